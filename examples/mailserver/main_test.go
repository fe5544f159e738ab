package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/pop3"
	"github.com/postkit/postkit/sasl"
	"github.com/postkit/postkit/smtp"
)

const (
	alice, alicePass = "alice@example.test", "alice-secret"
	bob, bobPass     = "bob@example.test", "bob-secret:with colon"
)

// startApp starts the mail system on free loopback ports with data in dir.
func startApp(t *testing.T, dir string, extra ...string) *app {
	t.Helper()
	args := []string{
		"-data", dir, "-log-level", "error",
		"-smtp", "127.0.0.1:0", "-submission", "127.0.0.1:0",
		"-imap", "127.0.0.1:0", "-pop3", "127.0.0.1:0", "-http", "127.0.0.1:0",
	}
	args = append(args, extra...)
	cfg, err := parseFlags(args, io.Discard)
	require.NoError(t, err)
	a, err := newApp(cfg, io.Discard)
	require.NoError(t, err)
	a.authDelay = -1
	require.NoError(t, a.start(context.Background()))
	t.Cleanup(func() { assert.NoError(t, a.shutdown()) })
	return a
}

func withUsers(extra ...string) []string {
	return append([]string{"-user", alice + ":" + alicePass, "-user", bob + ":" + bobPass}, extra...)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testMessage(subject string) string {
	return "From: someone@example.org\r\nTo: alice@example.test\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\nHello, " + subject + ".\r\n"
}

// sendMX sends a message to the MX listener without authentication.
func sendMX(t *testing.T, a *app, from string, to []string, msg string) ([]error, error) {
	t.Helper()
	ctx := testCtx(t)
	c, err := smtp.Dial(ctx, a.addrs["smtp"])
	require.NoError(t, err)
	defer c.Close()
	return c.Send(ctx, from, to, strings.NewReader(msg), nil)
}

// submit sends a message through the submission listener as user.
func submit(t *testing.T, a *app, user, pass, from string, to []string, msg string) ([]error, error) {
	t.Helper()
	return submitWith(t, a, user, pass, from, to, msg, nil)
}

// submitWith is submit with the MAIL and RCPT options opts.
func submitWith(t *testing.T, a *app, user, pass, from string, to []string, msg string, opts *smtp.MailOptions) ([]error, error) {
	t.Helper()
	ctx := testCtx(t)
	c, err := smtp.Dial(ctx, a.addrs["submission"])
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello(ctx, "client.example.test"))
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient("", user, pass)))
	return c.Send(ctx, from, to, strings.NewReader(msg), opts)
}

// imapClient speaks raw IMAP, as the RFC examples read.
type imapClient struct {
	t   *testing.T
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func dialIMAP(t *testing.T, a *app) *imapClient {
	t.Helper()
	c, err := net.Dial("tcp", a.addrs["imap"])
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	ic := &imapClient{t: t, c: c, r: bufio.NewReader(c)}
	line := ic.readLine()
	require.True(t, strings.HasPrefix(line, "* OK"), line)
	return ic
}

func (c *imapClient) readLine() string {
	c.t.Helper()
	require.NoError(c.t, c.c.SetReadDeadline(time.Now().Add(10*time.Second)))
	line, err := c.r.ReadString('\n')
	require.NoError(c.t, err)
	return strings.TrimRight(line, "\r\n")
}

// cmd sends a command and returns the lines of its answer; the last is the
// tagged status, which must be OK.
func (c *imapClient) cmd(format string, args ...any) []string {
	c.t.Helper()
	lines, status := c.cmdStatus(format, args...)
	require.True(c.t, strings.HasPrefix(status, "OK"), "%s: %s", fmt.Sprintf(format, args...), status)
	return lines
}

func (c *imapClient) cmdStatus(format string, args ...any) ([]string, string) {
	c.t.Helper()
	c.tag++
	tag := fmt.Sprintf("a%d", c.tag)
	_, err := fmt.Fprintf(c.c, "%s %s\r\n", tag, fmt.Sprintf(format, args...))
	require.NoError(c.t, err)
	var lines []string
	for {
		line := c.readLine()
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			return lines, rest
		}
		lines = append(lines, line)
	}
}

func joined(lines []string) string { return strings.Join(lines, "\n") }

func popLogin(t *testing.T, a *app, user, pass string) *pop3.Client {
	t.Helper()
	ctx := testCtx(t)
	c, err := pop3.Dial(ctx, a.addrs["pop3"])
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(ctx, user, pass))
	return c
}

func popRetrAll(t *testing.T, c *pop3.Client) []string {
	t.Helper()
	ctx := testCtx(t)
	list, err := c.List(ctx)
	require.NoError(t, err)
	var out []string
	for _, m := range list {
		r, err := c.Retr(ctx, m.Number)
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		out = append(out, string(b))
	}
	return out
}

func TestMXToIMAPAndPOP3(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)

	perRcpt, err := sendMX(t, a, "someone@example.org", []string{"ALICE@example.test", bob}, testMessage("first"))
	require.NoError(t, err)
	require.Equal(t, []error{nil, nil}, perRcpt)

	// IMAP: the message is there with a Received field.
	ic := dialIMAP(t, a)
	ic.cmd("LOGIN %s %q", alice, alicePass)
	sel := joined(ic.cmd("SELECT INBOX"))
	assert.Contains(t, sel, "* 1 EXISTS")
	assert.Contains(t, sel, "* 1 RECENT") // the delivery claimed no \Recent
	body := joined(ic.cmd("FETCH 1 (FLAGS BODY.PEEK[])"))
	assert.Contains(t, body, "Subject: first")
	assert.Contains(t, body, "Received: from localhost ([127.0.0.1])")
	assert.Contains(t, body, "by example.test with ESMTP id ")
	ic.cmd("LOGOUT")

	// POP3: bob got it too, same bytes.
	pc := popLogin(t, a, bob, bobPass)
	msgs := popRetrAll(t, pc)
	require.Len(t, msgs, 1)
	assert.True(t, strings.HasPrefix(msgs[0], "Received: from "), msgs[0])
	assert.Contains(t, msgs[0], "Hello, first.")
	require.NoError(t, pc.Quit(testCtx(t)))
}

func TestMXRefusals(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	tests := []struct {
		name string
		to   string
		code int
		enh  smtp.EnhancedCode
	}{
		{"open relay", "victim@example.org", 550, smtp.EnhancedCode{5, 7, 1}},
		{"subdomain", "alice@sub.example.test", 550, smtp.EnhancedCode{5, 7, 1}},
		{"unknown user", "nobody@example.test", 550, smtp.EnhancedCode{5, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			perRcpt, err := sendMX(t, a, "spammer@example.org", []string{tt.to, alice}, testMessage("x"))
			require.NoError(t, err)
			var se *smtp.Error
			require.ErrorAs(t, perRcpt[0], &se)
			assert.Equal(t, tt.code, se.Code)
			assert.Equal(t, tt.enh, se.EnhancedCode)
			assert.NoError(t, perRcpt[1])
		})
	}
	// Postmaster exists (RFC 5321 4.5.1) and reaches the first account.
	perRcpt, err := sendMX(t, a, "someone@example.org", []string{"postmaster@EXAMPLE.test"}, testMessage("pm"))
	require.NoError(t, err)
	assert.Equal(t, []error{nil}, perRcpt)
	// The MX listener offers no AUTH.
	ctx := testCtx(t)
	c, err := smtp.Dial(ctx, a.addrs["smtp"])
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello(ctx, "client.example.org"))
	ok, _ := c.Extension("AUTH")
	assert.False(t, ok)
	ok, _ = c.Extension("STARTTLS")
	assert.True(t, ok)
}

func TestIMAPIdleSeesDelivery(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	ic := dialIMAP(t, a)
	ic.cmd("LOGIN %s %q", alice, alicePass)
	assert.Contains(t, joined(ic.cmd("SELECT INBOX")), "* 0 EXISTS")
	ic.tag++
	_, err := fmt.Fprintf(ic.c, "a%d IDLE\r\n", ic.tag)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(ic.readLine(), "+"))

	perRcpt, err := sendMX(t, a, "someone@example.org", []string{alice}, testMessage("idle"))
	require.NoError(t, err)
	require.Equal(t, []error{nil}, perRcpt)

	// The EXISTS comes at once, long before the store's 2-second poll.
	start := time.Now()
	var seen []string
	for !strings.Contains(joined(seen), "* 1 EXISTS") || !strings.Contains(joined(seen), "* 1 RECENT") {
		seen = append(seen, ic.readLine())
	}
	assert.Less(t, time.Since(start), 1500*time.Millisecond)
	_, err = io.WriteString(ic.c, "DONE\r\n")
	require.NoError(t, err)
	for {
		line := ic.readLine()
		if strings.HasPrefix(line, fmt.Sprintf("a%d ", ic.tag)) {
			assert.Contains(t, line, "OK")
			break
		}
	}
}

// sink is an SMTP server standing in for a smarthost: it keeps what it gets
// and refuses recipients whose local part starts with "reject".
type sink struct {
	mu   sync.Mutex
	msgs []sinkMsg
	srv  *smtp.Server
	addr string
}

type sinkMsg struct {
	from   string
	to     []string
	data   string
	mail   smtp.MailParams
	params []smtp.RcptParams // of each of to
}

type sinkSession struct {
	s      *sink
	from   string
	to     []string
	mail   smtp.MailParams
	params []smtp.RcptParams
}

func (s *sinkSession) Mail(from string, p smtp.MailParams) error {
	s.from, s.to, s.mail, s.params = from, nil, p, nil
	return nil
}
func (s *sinkSession) Rcpt(to string, p smtp.RcptParams) error {
	if strings.HasPrefix(to, "reject") {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	}
	s.to = append(s.to, to)
	s.params = append(s.params, p)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.s.mu.Lock()
	s.s.msgs = append(s.s.msgs, sinkMsg{s.from, s.to, string(b), s.mail, s.params})
	s.s.mu.Unlock()
	return nil
}
func (s *sinkSession) Reset()        { s.from, s.to = "", nil }
func (s *sinkSession) Logout() error { return nil }

func startSink(t *testing.T) *sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &sink{addr: l.Addr().String()}
	s.srv = &smtp.Server{Hostname: "relay.example.net", Handler: smtp.HandlerFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s}, nil
	})}
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) messages() []sinkMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkMsg(nil), s.msgs...)
}

func TestSubmissionRelayAndLocal(t *testing.T) {
	relay := startSink(t)
	a := startApp(t, t.TempDir(), withUsers("-relay", relay.addr)...)

	msg := "From: alice@example.test\r\nTo: carol@remote.example, bob@example.test\r\nSubject: out\r\n\r\nHi Carol.\r\n"
	perRcpt, err := submit(t, a, alice, alicePass, alice, []string{"carol@remote.example", bob}, msg)
	require.NoError(t, err)
	require.Equal(t, []error{nil, nil}, perRcpt)

	// Bob, local, has it at once.
	msgs := popRetrAll(t, popLogin(t, a, bob, bobPass))
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "with ESMTPA id ")
	assert.Contains(t, msgs[0], "Hi Carol.")

	// Carol's copy went through the queue to the smarthost.
	require.Eventually(t, func() bool { return len(relay.messages()) == 1 }, 10*time.Second, 20*time.Millisecond)
	got := relay.messages()[0]
	assert.Equal(t, alice, got.from)
	assert.Equal(t, []string{"carol@remote.example"}, got.to)
	assert.Contains(t, got.data, "Hi Carol.")
	assert.Contains(t, got.data, "Received: from client.example.test")
	require.Eventually(t, func() bool { return a.queue.Len() == 0 }, 5*time.Second, 20*time.Millisecond)
}

// TestSubmissionRelaysDSNParams: RET, ENVID, NOTIFY and ORCPT given at
// submission reach the smarthost with the queued copy (RFC 3461 5.2).
func TestSubmissionRelaysDSNParams(t *testing.T) {
	relay := startSink(t)
	a := startApp(t, t.TempDir(), withUsers("-relay", relay.addr)...)
	msg := "From: alice@example.test\r\nTo: carol@remote.example\r\nSubject: dsn\r\n\r\nHi.\r\n"
	perRcpt, err := submitWith(t, a, alice, alicePass, alice, []string{"carol@remote.example"}, msg, &smtp.MailOptions{
		Return: "HDRS", EnvelopeID: "track-1",
		Rcpt: []*smtp.RcptOptions{{Notify: []string{"FAILURE", "DELAY"}, OriginalRecipient: "Carol@remote.example"}},
	})
	require.NoError(t, err)
	require.Equal(t, []error{nil}, perRcpt)
	require.Eventually(t, func() bool { return len(relay.messages()) == 1 }, 10*time.Second, 20*time.Millisecond)
	got := relay.messages()[0]
	assert.Equal(t, "HDRS", got.mail.Ret)
	assert.Equal(t, "track-1", got.mail.EnvID)
	require.Len(t, got.params, 1)
	assert.Equal(t, "FAILURE,DELAY", got.params[0].Notify)
	assert.Equal(t, "rfc822;Carol@remote.example", got.params[0].ORCPT)
}

func TestSubmissionBounce(t *testing.T) {
	relay := startSink(t)
	a := startApp(t, t.TempDir(), withUsers("-relay", relay.addr)...)

	msg := "From: alice@example.test\r\nTo: reject-me@remote.example\r\nSubject: doomed\r\nMessage-ID: <doomed@example.test>\r\n\r\nThis will bounce.\r\n"
	perRcpt, err := submit(t, a, alice, alicePass, alice, []string{"reject-me@remote.example"}, msg)
	require.NoError(t, err)
	require.Equal(t, []error{nil}, perRcpt)

	// The queue gets 550 from the relay and sends a DSN to alice's INBOX.
	var dsn string
	require.Eventually(t, func() bool {
		ctx := testCtx(t)
		c, err := pop3.Dial(ctx, a.addrs["pop3"])
		if err != nil {
			return false
		}
		defer c.Close()
		if c.Login(ctx, alice, alicePass) != nil {
			return false
		}
		n, _, err := c.Stat(ctx)
		if err != nil || n == 0 {
			_ = c.Quit(ctx)
			return false
		}
		r, err := c.Retr(ctx, 1)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(r)
		r.Close()
		dsn = string(b)
		_ = c.Quit(ctx)
		return true
	}, 10*time.Second, 50*time.Millisecond)
	assert.Contains(t, dsn, "multipart/report")
	assert.Contains(t, dsn, "report-type=delivery-status")
	assert.Contains(t, dsn, "Final-Recipient: rfc822; reject-me@remote.example")
	assert.Contains(t, dsn, "Status: 5.1.1")
	assert.Contains(t, dsn, "550 5.1.1 No such mailbox here")
	assert.Contains(t, dsn, "This will bounce.")
	assert.Empty(t, relay.messages())
}

func TestSubmissionRefusals(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	ctx := testCtx(t)

	// Without AUTH: 530 5.7.0.
	c, err := smtp.Dial(ctx, a.addrs["submission"])
	require.NoError(t, err)
	defer c.Close()
	err = c.Mail(ctx, alice, nil)
	var se *smtp.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 530, se.Code)
	assert.Equal(t, smtp.EnhancedCode{5, 7, 0}, se.EnhancedCode)

	// Wrong password: 535.
	err = c.Auth(ctx, sasl.NewPlainClient("", alice, "wrong"))
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 535, se.Code)

	// Spoofing another user's address: 553 5.7.1.
	_, err = submit(t, a, alice, alicePass, bob, []string{bob}, testMessage("spoof"))
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 553, se.Code)
	assert.Equal(t, smtp.EnhancedCode{5, 7, 1}, se.EnhancedCode)

	// Unknown local recipient: 550 5.1.1.
	perRcpt, err := submit(t, a, alice, alicePass, alice, []string{"nobody@example.test", bob}, testMessage("x"))
	require.NoError(t, err)
	require.ErrorAs(t, perRcpt[0], &se)
	assert.Equal(t, smtp.EnhancedCode{5, 1, 1}, se.EnhancedCode)
	assert.NoError(t, perRcpt[1])
}

func TestRestartKeepsMessagesFlagsAndQueue(t *testing.T) {
	dir := t.TempDir()
	// A relay that is down: the remote message stays queued.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadRelay := l.Addr().String()
	require.NoError(t, l.Close())

	a := startApp(t, dir, withUsers("-relay", deadRelay)...)
	_, err = sendMX(t, a, "someone@example.org", []string{alice}, testMessage("keep"))
	require.NoError(t, err)
	ic := dialIMAP(t, a)
	ic.cmd("LOGIN %s %q", alice, alicePass)
	ic.cmd("SELECT INBOX")
	ic.cmd("STORE 1 +FLAGS (\\Flagged $Important)")
	ic.cmd("LOGOUT")
	perRcpt, err := submit(t, a, alice, alicePass, alice, []string{"dave@remote.example"}, testMessage("queued"))
	require.NoError(t, err)
	require.Equal(t, []error{nil}, perRcpt)
	require.Eventually(t, func() bool {
		list := a.queue.List()
		return len(list) == 1 && list[0].Attempts >= 1 && !list[0].Delivering
	}, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, a.shutdown())

	b := startApp(t, dir, withUsers("-relay", deadRelay)...)
	ic = dialIMAP(t, b)
	ic.cmd("LOGIN %s %q", alice, alicePass)
	sel := joined(ic.cmd("SELECT INBOX"))
	assert.Contains(t, sel, "* 1 EXISTS")
	f := joined(ic.cmd("FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
	assert.Contains(t, f, `\Flagged`)
	assert.Contains(t, f, `$Important`)
	assert.Contains(t, f, "Subject: keep")
	require.Equal(t, 1, b.queue.Len())
	assert.Equal(t, "dave@remote.example", b.queue.List()[0].Recipients[0].Addr)
}

func TestDemoAccountPersists(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, dir)
	require.NotEmpty(t, a.demoPassword)
	var out bytes.Buffer
	a.banner(&out)
	assert.Contains(t, out.String(), "demo@example.test  password: "+a.demoPassword)
	require.NoError(t, a.shutdown())

	b := startApp(t, dir)
	assert.Equal(t, a.demoPassword, b.demoPassword)
	pc := popLogin(t, b, "demo@example.test", b.demoPassword)
	require.NoError(t, pc.Quit(testCtx(t)))
	pw, err := os.ReadFile(filepath.Join(dir, "demo-password"))
	require.NoError(t, err)
	assert.Equal(t, a.demoPassword, strings.TrimSpace(string(pw)))
}

func TestSTARTTLSEverywhere(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	ctx := testCtx(t)
	cfg := a.tls.Clone()
	cfg.InsecureSkipVerify = true // self-signed
	cfg.Certificates = nil

	c, err := smtp.Dial(ctx, a.addrs["submission"])
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.StartTLS(ctx, cfg))
	require.NoError(t, c.Auth(ctx, sasl.NewLoginClient(alice, alicePass)))
	perRcpt, err := c.Send(ctx, alice, []string{bob}, strings.NewReader(testMessage("tls")), nil)
	require.NoError(t, err)
	require.Equal(t, []error{nil}, perRcpt)

	pc, err := pop3.Dial(ctx, a.addrs["pop3"])
	require.NoError(t, err)
	defer pc.Close()
	require.NoError(t, pc.StartTLS(ctx, cfg))
	require.NoError(t, pc.Login(ctx, bob, bobPass))
	r, err := pc.Retr(ctx, 1)
	require.NoError(t, err)
	msg, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Contains(t, string(msg), "with ESMTPSA id ")
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"bad user", []string{"-user", "nocolon"}, "ADDR:PASSWORD"},
		{"foreign user", []string{"-user", "x@other.example:pw"}, "not in the local domain"},
		{"no password", []string{"-user", "x@example.test:"}, "empty password"},
		{"bad domain", []string{"-domain", "a b"}, "not a domain"},
		{"bad level", []string{"-log-level", "loud"}, "log-level"},
		{"extra arg", []string{"serve"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-data", t.TempDir()}, tt.args...)
			cfg, err := parseFlags(args, io.Discard)
			if err == nil {
				_, err = newApp(cfg, io.Discard)
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestRunStartsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-data", t.TempDir(), "-smtp", "127.0.0.1:0", "-submission", "",
			"-imap", "127.0.0.1:0", "-pop3", "", "-http", ""}, &out)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Accounts") }, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, out.String(), "submission  off")
	assert.Contains(t, out.String(), "demo@example.test  password: ")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return")
	}
	assert.Contains(t, out.String(), "msg=stopped")

	// A port in use is an error, not a hang.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	err = run(context.Background(), []string{"-data", t.TempDir(), "-smtp", l.Addr().String(),
		"-submission", "", "-imap", "", "-pop3", "", "-http", ""}, io.Discard)
	require.Error(t, err)
	assert.False(t, errors.Is(err, context.Canceled))
}

// nonLoopbackIP returns an address of this machine that is not loopback,
// or skips the test.
func nonLoopbackIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback address")
	return ""
}

// TestPlainLoginsNeedTLSOffLoopback checks that no password goes in the clear
// from an address other than loopback: AUTH, LOGIN and USER/PASS only after
// STARTTLS/STLS.
func TestPlainLoginsNeedTLSOffLoopback(t *testing.T) {
	ip := nonLoopbackIP(t)
	l := net.JoinHostPort(ip, "0")
	a := startApp(t, t.TempDir(), withUsers("-smtp", "", "-http", "", "-submission", l, "-imap", l, "-pop3", l)...)
	ctx := testCtx(t)
	cfg := &tls.Config{InsecureSkipVerify: true}

	c, err := smtp.Dial(ctx, a.addrs["submission"])
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello(ctx, "client.example.test"))
	ok, _ := c.Extension("AUTH")
	assert.False(t, ok, "AUTH offered in the clear")
	require.NoError(t, c.StartTLS(ctx, cfg))
	ok, mechs := c.Extension("AUTH")
	assert.True(t, ok)
	assert.Contains(t, mechs, "PLAIN")
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient("", alice, alicePass)))

	ic := dialIMAP(t, a)
	assert.Contains(t, joined(ic.cmd("CAPABILITY")), "LOGINDISABLED")
	_, status := ic.cmdStatus("LOGIN %s %q", alice, alicePass)
	assert.True(t, strings.HasPrefix(status, "NO") || strings.HasPrefix(status, "BAD"), status)

	pc, err := pop3.Dial(ctx, a.addrs["pop3"])
	require.NoError(t, err)
	defer pc.Close()
	assert.Error(t, pc.Login(ctx, alice, alicePass))
	pc2, err := pop3.Dial(ctx, a.addrs["pop3"])
	require.NoError(t, err)
	defer pc2.Close()
	require.NoError(t, pc2.StartTLS(ctx, cfg))
	require.NoError(t, pc2.Login(ctx, alice, alicePass))
}
