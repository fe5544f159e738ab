package imapinterop

import (
	"bufio"
	"bytes"
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

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/postkit/postkit/sasl"
)

// Credentials our server accepts in these tests.
const (
	testUser = "alice@example.test"
	testPass = "s3cret pass"
)

// caseTimeout bounds one interop case.
const caseTimeout = 30 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	return ctx
}

// backend is a mailbox store our server runs over.
type backend struct {
	name string
	new  func(t *testing.T) mailbox.Store
}

var backends = []backend{
	{"memstore", func(t *testing.T) mailbox.Store { return memstore.New() }},
	{"maildir", func(t *testing.T) mailbox.Store { return maildir.New(t.TempDir(), nil) }},
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, s *ourServer)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f(t, startServer(t, b.new(t)))
		})
	}
}

// ourServer is our imap.Server on a loopback port.
type ourServer struct {
	srv   *imap.Server
	store mailbox.Store
	addr  string
	port  int
	cert  *peertest.Cert
}

func checkPass(ctx context.Context, user, pass string) (string, error) {
	if user == testUser && pass == testPass {
		return user, nil
	}
	return "", sasl.ErrAuthFailed
}

// startServer starts our server over store with STARTTLS, LOGIN and
// AUTHENTICATE PLAIN; it stops when the test ends.
func startServer(t *testing.T, store mailbox.Store) *ourServer {
	t.Helper()
	s := &ourServer{store: store, cert: peertest.NewCert(t)}
	tl := &testLog{t: t}
	s.srv = &imap.Server{
		Store:        store,
		TLSConfig:    s.cert.Server,
		Authenticate: checkPass,
		Auth: map[string]sasl.ServerFactory{
			sasl.Plain: func() sasl.Server {
				return sasl.NewPlainServer(func(ctx context.Context, identity, user, pass string) (string, error) {
					if identity != "" && identity != user {
						return "", sasl.ErrAuthFailed
					}
					return checkPass(ctx, user, pass)
				})
			},
		},
		AuthDelay: -1,
		Logger:    slog.New(slog.NewTextHandler(tl, nil)),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.addr = l.Addr().String()
	s.port = l.Addr().(*net.TCPAddr).Port
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(l) }()
	t.Cleanup(func() {
		tl.stop()
		s.srv.Close()
		select {
		case err := <-done:
			assert.ErrorIs(t, err, imap.ErrServerClosed)
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return s
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
		l.t.Log("server: " + strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// storedMsg is a message as the store holds it.
type storedMsg struct {
	UID   mailbox.UID
	Flags []string
	Data  []byte
}

// messages returns the messages of the test user's mailbox name,
// straight from the store.
func (s *ourServer) messages(t *testing.T, name string) []storedMsg {
	t.Helper()
	ctx := testCtx(t)
	acct, err := s.store.Account(ctx, testUser)
	require.NoError(t, err)
	defer acct.Close()
	mb, err := acct.Open(ctx, name, &mailbox.OpenOptions{ReadOnly: true})
	require.NoError(t, err, "open %s", name)
	defer mb.Close()
	var out []storedMsg
	err = mb.Fetch(ctx, mailbox.UIDSet{{Start: 1, Stop: ^mailbox.UID(0)}}, func(m mailbox.Message) error {
		b, err := m.Open(ctx)
		if err != nil {
			return err
		}
		defer b.Close()
		data, err := io.ReadAll(io.NewSectionReader(b, 0, b.Size()))
		if err != nil {
			return err
		}
		var flags []string
		for _, f := range m.Flags() {
			if f != mailbox.FlagRecent { // recent in this view, not stored
				flags = append(flags, f)
			}
		}
		out = append(out, storedMsg{UID: m.UID(), Flags: flags, Data: data})
		return nil
	})
	require.NoError(t, err)
	return out
}

// mailboxNames lists the test user's mailboxes.
func (s *ourServer) mailboxNames(t *testing.T) []string {
	t.Helper()
	ctx := testCtx(t)
	acct, err := s.store.Account(ctx, testUser)
	require.NoError(t, err)
	defer acct.Close()
	infos, err := acct.Mailboxes(ctx)
	require.NoError(t, err)
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	return names
}

// deliver appends msg to the test user's mailbox name, as a delivery
// would.
func (s *ourServer) deliver(t *testing.T, name string, msgs ...string) {
	t.Helper()
	ctx := testCtx(t)
	acct, err := s.store.Account(ctx, testUser)
	require.NoError(t, err)
	defer acct.Close()
	mb, err := acct.Open(ctx, name, nil)
	require.NoError(t, err)
	defer mb.Close()
	for _, m := range msgs {
		_, err := mb.Append(ctx, strings.NewReader(m), &mailbox.AppendOptions{
			InternalDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
		require.NoError(t, err)
	}
}

// rawConn speaks raw IMAP to our server.
type rawConn struct {
	t   *testing.T
	nc  net.Conn
	br  *bufio.Reader
	tag int
}

func (s *ourServer) dial(t *testing.T) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	c := &rawConn{t: t, nc: nc, br: bufio.NewReaderSize(nc, 64<<10)}
	require.NoError(t, nc.SetDeadline(time.Now().Add(caseTimeout)))
	g := c.line()
	require.True(t, strings.HasPrefix(g, "* OK "), "greeting %q", g)
	return c
}

// line reads one line without its CRLF; literals are left in the
// reader.
func (c *rawConn) line() string {
	c.t.Helper()
	l, err := c.br.ReadString('\n')
	require.NoError(c.t, err, "read after %q", l)
	return strings.TrimSuffix(l, "\r\n")
}

// send writes a command line with the next tag and returns the tag.
func (c *rawConn) send(format string, args ...any) string {
	c.t.Helper()
	c.tag++
	tag := "R" + strconv.Itoa(c.tag)
	_, err := fmt.Fprintf(c.nc, tag+" "+format+"\r\n", args...)
	require.NoError(c.t, err)
	return tag
}

// ok sends a command without literals in its responses and checks that
// it succeeds; it returns the untagged lines.
func (c *rawConn) ok(format string, args ...any) []string {
	c.t.Helper()
	tag := c.send(format, args...)
	var out []string
	for {
		l := c.line()
		if strings.HasPrefix(l, tag+" ") {
			require.True(c.t, strings.HasPrefix(l, tag+" OK"), "%s: %s", fmt.Sprintf(format, args...), l)
			return out
		}
		out = append(out, l)
	}
}

// appendMsg APPENDs msg with a LITERAL+ literal.
func (c *rawConn) appendMsg(box string, msg []byte) {
	c.t.Helper()
	l := c.appendRaw(box, msg, "{%d+}\r\n", "\r\n")
	require.Regexp(c.t, `^R\d+ OK`, l, "APPEND")
}

// appendUTF8 APPENDs msg with the UTF8 data extension of RFC 6855 4 (a
// non-synchronising literal8), after ENABLE UTF8=ACCEPT.
func (c *rawConn) appendUTF8(box string, msg []byte) {
	c.t.Helper()
	l := c.appendRaw(box, msg, "UTF8 (~{%d+}\r\n", ")\r\n")
	require.Regexp(c.t, `^R\d+ OK`, l, "APPEND")
}

// appendRaw sends an APPEND of msg between before and after and returns
// its tagged answer.
func (c *rawConn) appendRaw(box string, msg []byte, before, after string) string {
	c.t.Helper()
	c.tag++
	tag := "R" + strconv.Itoa(c.tag)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s APPEND %s "+before, tag, box, len(msg))
	b.Write(msg)
	b.WriteString(after)
	_, err := c.nc.Write(b.Bytes())
	require.NoError(c.t, err)
	for {
		l := c.line()
		if strings.HasPrefix(l, tag+" ") {
			return l
		}
	}
}

// limitedBuffer collects a child's output, up to 16 MiB.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > 16<<20 {
		return 0, errors.New("output too large")
	}
	return b.Buffer.Write(p)
}
