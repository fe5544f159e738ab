package imap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/sasl"
)

const (
	testUser = "alice"
	testPass = "secret"
)

// testServer is a Server on 127.0.0.1:0 over a memstore, with one user.
type testServer struct {
	srv   *Server
	store *memstore.Store
	addr  string
	done  chan error
}

func newTestServer(t *testing.T, opts ...func(*Server)) *testServer {
	t.Helper()
	store := memstore.New()
	tl := &testLog{t: t}
	srv := &Server{
		Store: store,
		Authenticate: func(ctx context.Context, user, pass string) (string, error) {
			if user == testUser && pass == testPass {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		},
		AuthDelay: -1,
		Logger:    slog.New(slog.NewTextHandler(tl, nil)),
	}
	for _, o := range opts {
		o(srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{srv: srv, store: store, addr: l.Addr().String(), done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(l) }()
	t.Cleanup(func() {
		tl.stop()
		srv.Close()
		select {
		case err := <-ts.done:
			assert.ErrorIs(t, err, ErrServerClosed)
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return ts
}

// testLog passes the server's log to the test while it runs.
type testLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// deliver appends a message to a mailbox of the test user, as a
// delivery would, and returns its UID.
func (ts *testServer) deliver(t *testing.T, box, msg string, flags ...string) mailbox.UID {
	t.Helper()
	ctx := context.Background()
	acct, err := ts.srv.Store.Account(ctx, testUser)
	require.NoError(t, err)
	defer acct.Close()
	m, err := acct.Open(ctx, box, nil)
	require.NoError(t, err)
	defer m.Close()
	uid, err := m.Append(ctx, strings.NewReader(msg), &mailbox.AppendOptions{
		Flags: flags, InternalDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	require.NoError(t, err)
	return uid
}

// wireClient speaks raw IMAP: it sends lines and collects responses.
type wireClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func (ts *testServer) dial(t *testing.T) *wireClient {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	c := &wireClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	g := c.line()
	require.True(t, strings.HasPrefix(g, "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 "), g)
	return c
}

// login dials and logs in.
func (ts *testServer) login(t *testing.T) *wireClient {
	c := ts.dial(t)
	c.ok("L1 LOGIN alice secret")
	return c
}

func (c *wireClient) send(s string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := io.WriteString(c.nc, s)
	require.NoError(c.t, err)
}

// line reads one response line, literals included in it as they are
// on the wire ("{3}\r\nabc"), without the final CRLF.
func (c *wireClient) line() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var sb strings.Builder
	for {
		l, err := c.br.ReadString('\n')
		require.NoError(c.t, err, "read after %q", sb.String()+l)
		sb.WriteString(l)
		n, ok := literalAt(l)
		if !ok {
			break
		}
		buf := make([]byte, n)
		_, err = io.ReadFull(c.br, buf)
		require.NoError(c.t, err)
		sb.Write(buf)
	}
	return strings.TrimSuffix(sb.String(), "\r\n")
}

// literalAt reports the size of the literal the line announces at its
// end.
func literalAt(l string) (int, bool) {
	l, ok := strings.CutSuffix(l, "}\r\n")
	if !ok {
		return 0, false
	}
	i := strings.LastIndexByte(l, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(l[i+1:], "+"))
	return n, err == nil
}

// until reads lines up to and including the one tagged tag.
func (c *wireClient) until(tag string) []string {
	c.t.Helper()
	var out []string
	for {
		l := c.line()
		out = append(out, l)
		if strings.HasPrefix(l, tag+" ") {
			return out
		}
	}
}

// cmd sends "line" (which starts with its tag) and returns the
// responses up to the tagged one.
func (c *wireClient) cmd(line string) []string {
	c.t.Helper()
	tag, _, _ := strings.Cut(line, " ")
	c.send(line + "\r\n")
	return c.until(tag)
}

// ok runs cmd and checks that it succeeded; it returns the untagged
// responses.
func (c *wireClient) ok(line string) []string {
	c.t.Helper()
	r := c.cmd(line)
	tag, _, _ := strings.Cut(line, " ")
	require.True(c.t, strings.HasPrefix(r[len(r)-1], tag+" OK"), "%s: %q", line, r)
	return r[:len(r)-1]
}

// expectClosed checks that the server closed the connection.
func (c *wireClient) expectClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.br.ReadString('\n')
	require.Error(c.t, err)
	var ne net.Error
	require.False(c.t, errors.As(err, &ne) && ne.Timeout(), "connection still open")
}

const testMsg = "From: Bob <bob@example.org>\r\n" +
	"To: alice@example.org\r\n" +
	"Subject: hello\r\n" +
	"Date: Fri, 2 Jan 2026 03:04:05 +0000\r\n" +
	"\r\n" +
	"Hello, Alice.\r\n"

func TestGreetingCapabilityLogout(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	r := c.ok("a CAPABILITY")
	require.Len(t, r, 1)
	assert.Contains(t, r[0], "* CAPABILITY IMAP4rev1 IMAP4rev2 ")
	// Loopback: LOGIN allowed, so no LOGINDISABLED; no TLS configured.
	assert.NotContains(t, r[0], "LOGINDISABLED")
	assert.NotContains(t, r[0], "STARTTLS")
	for _, cp := range []string{"LITERAL+", "SASL-IR", "ENABLE", "IDLE", "UIDPLUS", "MOVE", "NAMESPACE", "ID", "UNSELECT", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "ESEARCH", "SEARCHRES", "STATUS=SIZE", "APPENDLIMIT=52428800"} {
		assert.Contains(t, strings.Fields(r[0]), cp)
	}
	r = c.cmd("b LOGOUT")
	assert.Equal(t, []string{"* BYE Logging out", "b OK LOGOUT completed"}, r)
	c.expectClosed()
}

func TestStateRules(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	for _, cmd := range []string{"a1 SELECT INBOX", "a2 FETCH 1 FLAGS", "a3 LIST \"\" *", "a4 CLOSE", "a5 ENABLE IMAP4rev2", "a6 IDLE"} {
		r := c.cmd(cmd)
		tag, _, _ := strings.Cut(cmd, " ")
		assert.Equal(t, []string{tag + " BAD " + strings.Fields(cmd)[1] + " not valid in this state"}, r)
	}
	assert.Equal(t, []string{"b NO [AUTHENTICATIONFAILED] Authentication failed"}, c.cmd("b LOGIN alice wrong"))
	r := c.cmd("c LOGIN alice secret")
	require.Len(t, r, 1)
	assert.Regexp(t, `^c OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*\] LOGIN completed$`, r[0])
	assert.Equal(t, []string{"d BAD LOGIN not valid in this state"}, c.cmd("d LOGIN alice secret"))
	assert.Equal(t, []string{"e BAD FETCH not valid in this state"}, c.cmd("e FETCH 1 FLAGS"))
	assert.Equal(t, []string{"f BAD EXPUNGE not valid in this state"}, c.cmd("f EXPUNGE"))
	c.ok("g NOOP")
	// Unknown commands and syntax errors are BAD, with the tag.
	assert.Equal(t, []string{"h BAD Unknown command"}, c.cmd("h FROB"))
	assert.Regexp(t, `^i BAD Syntax error`, c.cmd("i SELECT")[0])
}

func TestTooManyAuthFailures(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	c.cmd("a LOGIN alice x")
	c.cmd("b LOGIN alice y")
	r := c.cmd("c LOGIN alice z")
	assert.Equal(t, []string{"c NO [AUTHENTICATIONFAILED] Authentication failed"}, r)
	assert.Equal(t, "* BYE Too many authentication failures", c.line())
	c.expectClosed()
}

func TestTooManyErrors(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.MaxErrors = 3 })
	c := ts.dial(t)
	c.cmd("a FROB")
	c.cmd("b FROB")
	assert.Equal(t, []string{"c BAD Unknown command"}, c.cmd("c FROB"))
	assert.Equal(t, "* BYE Too many invalid commands", c.line())
	c.expectClosed()
}

func TestAuthenticatePlainSASLIR(t *testing.T) {
	ts := newTestServer(t, func(s *Server) {
		s.Auth = map[string]sasl.ServerFactory{
			sasl.Plain: func() sasl.Server {
				return sasl.NewPlainServer(func(ctx context.Context, identity, user, pass string) (string, error) {
					if user == testUser && pass == testPass {
						return user, nil
					}
					return "", sasl.ErrAuthFailed
				})
			},
		}
	})
	c := ts.dial(t)
	caps := c.ok("a CAPABILITY")[0]
	assert.Contains(t, caps, " AUTH=PLAIN ")
	// RFC 4959: initial response on the command line.
	r := c.cmd("b AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==")
	assert.Regexp(t, `^b OK \[CAPABILITY .*\] AUTHENTICATE completed$`, r[len(r)-1])

	// Without an initial response: an empty challenge first.
	c2 := ts.dial(t)
	c2.send("c AUTHENTICATE PLAIN\r\n")
	assert.Equal(t, "+ ", c2.line())
	c2.send("AGFsaWNlAHdyb25n\r\n")
	assert.Equal(t, []string{"c NO [AUTHENTICATIONFAILED] Authentication failed"}, c2.until("c"))
	// Cancelled (RFC 9051 6.2.2).
	c2.send("d AUTHENTICATE PLAIN\r\n")
	assert.Equal(t, "+ ", c2.line())
	c2.send("*\r\n")
	assert.Equal(t, []string{"d BAD Authentication cancelled"}, c2.until("d"))
	assert.Equal(t, []string{"e NO [CANNOT] Unsupported authentication mechanism"}, c2.cmd("e AUTHENTICATE CRAM-MD5"))
}

func TestLoginDisabledWithoutTLS(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.Authenticate = nil })
	c := ts.dial(t)
	assert.Contains(t, c.ok("a CAPABILITY")[0], " LOGINDISABLED")
	assert.Equal(t, []string{"b NO [CANNOT] LOGIN is disabled"}, c.cmd("b LOGIN alice secret"))
}

func TestIDNamespaceEnable(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	assert.Equal(t, []string{`* ID ("name" "postkit")`}, c.ok(`a ID ("name" "test")`))
	c.ok("b LOGIN alice secret")
	assert.Equal(t, []string{`* NAMESPACE (("" "/")) NIL NIL`}, c.ok("c NAMESPACE"))
	assert.Equal(t, []string{`* ENABLED IMAP4rev2`}, c.ok("d ENABLE IMAP4rev2 FROB"))
	assert.Equal(t, []string{`* ENABLED`}, c.ok("e ENABLE IMAP4rev2"))
}

func TestShutdownSendsBye(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c2 := ts.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ts.srv.Shutdown(ctx))
	assert.Equal(t, "* BYE [UNAVAILABLE] Server shutting down", c.line())
	c.expectClosed()
	assert.Equal(t, "* BYE [UNAVAILABLE] Server shutting down", c2.line())
	c2.expectClosed()
}

func TestShutdownDuringIdle(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	c.send("i IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ts.srv.Shutdown(ctx))
	assert.Equal(t, "* BYE [UNAVAILABLE] Server shutting down", c.line())
	c.expectClosed()
}

func TestPipelining(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.dial(t)
	// RFC 9051 5.5: several commands in one write, answered in order.
	c.send("a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1 (UID FLAGS)\r\nd NOOP\r\ne LOGOUT\r\n")
	var tags []string
	var fetch string
	for len(tags) < 5 {
		l := c.line()
		if l[0] != '*' {
			tags = append(tags, l[:1])
		}
		if strings.Contains(l, "FETCH (") {
			fetch = l
		}
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, tags)
	assert.Equal(t, `* 1 FETCH (UID 1 FLAGS ())`, fetch)
	c.expectClosed()
}

func TestIdleTimeoutBye(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.LoginTimeout = 100 * time.Millisecond })
	c := ts.dial(t)
	assert.Equal(t, "* BYE Autologout; idle for too long", c.line())
	c.expectClosed()
}

func TestConnectionCap(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.MaxConnections = 1 })
	ts.dial(t)
	nc, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := bufio.NewReader(nc).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, byeTooMany, l)
}

// fmtLiteral is a helper for tests that send literals.
func fmtLiteral(s string) string { return fmt.Sprintf("{%d}\r\n%s", len(s), s) }

func TestIdleWithoutMailboxAndBadDone(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	// IDLE is valid in the authenticated state too (RFC 9051 6.3.13).
	c.send("a IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	c.send("done\r\n")
	assert.Equal(t, []string{"a OK IDLE terminated"}, c.until("a"))
	c.send("b IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	c.send("NOOP\r\n")
	assert.Equal(t, []string{"b BAD Expected DONE"}, c.until("b"))
	c.ok("c NOOP")
}

func TestNestingTooDeep(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	c.send("b SEARCH " + strings.Repeat("(", 200) + "ALL" + strings.Repeat(")", 200) + "\r\n")
	assert.Equal(t, "* BYE Command nested too deep", c.line())
	c.expectClosed()
}

func TestUntaggedBad(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	// RFC 9051 7.1.3: no tag could be read, so the BAD is untagged.
	c.send("\r\n")
	assert.Regexp(t, `^\* BAD Syntax error`, c.line())
	c.ok("a NOOP")
}

// TestServeClosesListener: Serve closes its listener whatever ends it,
// even on a server already closed, as smtp and pop3 do.
func TestServeClosesListener(t *testing.T) {
	srv := &Server{Store: memstore.New()}
	require.NoError(t, srv.Close())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	assert.ErrorIs(t, srv.Serve(l), ErrServerClosed)
	assert.ErrorIs(t, l.Close(), net.ErrClosed, "Serve closed l")
}
