package pop3

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSTLSDiscardsInjectedCommands pipelines a command after STLS in the
// clear: the server must not run it under TLS (RFC 2595 4., the STARTTLS
// command injection).
func TestSTLSDiscardsInjectedCommands(t *testing.T) {
	ts := startServer(t, nil)
	ts.store.put(testUser, msg120)
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.send("STLS\r\nUSER " + testUser + "\r\nPASS " + testPass + "\r\n")
	w.expect("+OK Begin TLS negotiation")
	require.Zero(t, w.r.Buffered(), "nothing after the STLS answer in the clear")
	tc := tls.Client(w.conn, ts.clientTLS())
	require.NoError(t, tc.Handshake())
	tw := newWire(t, tc)
	// The injected USER/PASS were dropped: STAT is refused, and PASS
	// without a USER under TLS too.
	tw.cmd("STAT", "-ERR Not authenticated")
	tw.cmd("CAPA", "+OK Capability list follows")
	assert.NotContains(t, tw.multi(), "STLS")
	tw.cmd("STLS", "-ERR TLS already active")
	tw.cmd("USER "+testUser, "+OK Send PASS")
	tw.cmd("PASS "+testPass, "+OK mrose's maildrop has 1 messages (120 octets)")
	tw.cmd("QUIT", "+OK dewey POP3 server signing off (1 messages left)")
}

// TestSTLSRefusals checks STLS without TLSConfig and after UTF8 (RFC
// 6856 2.1).
func TestSTLSRefusals(t *testing.T) {
	ts := startServer(t, nil)
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("STLS x", "-ERR Syntax: STLS")
	w.cmd("UTF8", "+OK UTF8 enabled")
	w.cmd("STLS", "-ERR STLS not allowed after UTF8")

	ts2 := startServer(t, func(s *Server) { s.TLSConfig = nil })
	w2 := dialWire(t, ts2.addr)
	w2.expectPrefix("+OK")
	w2.cmd("STLS", "-ERR STLS not supported")
	w2.cmd("CAPA", "+OK Capability list follows")
	assert.NotContains(t, w2.multi(), "STLS")
}

// TestImplicitTLS serves with ServeTLS (port 995 style).
func TestImplicitTLS(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.store.put(testUser, msg120)
	ts.start(t, true)
	conn, err := tls.Dial("tcp", ts.addr, ts.clientTLS())
	require.NoError(t, err)
	defer conn.Close()
	w := newWire(t, conn)
	w.login()
	w.cmd("CAPA", "+OK Capability list follows")
	assert.NotContains(t, w.multi(), "STLS")
	w.cmd("RETR 1", "+OK 120 octets")
	assert.Equal(t, string(msg120), w.multi())
}

// pipeListener hands out the server ends of net.Pipe connections, whose
// remote address is neither TCP nor loopback: an insecure connection.
type pipeListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.UnixAddr{Name: "pipe", Net: "pipe"} }
func (l *pipeListener) dial() net.Conn {
	a, b := net.Pipe()
	l.ch <- b
	return a
}

// TestInsecureConnection checks that USER/PASS and plain-text SASL
// mechanisms are neither offered nor accepted without TLS from a remote
// address (RFC 5034 4., RFC 2595 2.), while CRAM-MD5 and SCRAM and APOP
// are; AllowInsecureAuth lifts the rule.
func TestInsecureConnection(t *testing.T) {
	for _, allow := range []bool{false, true} {
		ts := newTestServer(t, func(s *Server) { s.AllowInsecureAuth = allow })
		l := newPipeListener()
		go ts.srv.Serve(l)
		t.Cleanup(func() { ts.srv.Close() })
		w := newWire(t, l.dial())
		w.expectPrefix("+OK")
		w.cmd("CAPA", "+OK Capability list follows")
		capa := w.multi()
		if allow {
			assert.Contains(t, capa, "\r\nUSER\r\n")
			assert.Contains(t, capa, "SASL CRAM-MD5 LOGIN PLAIN SCRAM-SHA-256\r\n")
			w.cmd("USER "+testUser, "+OK Send PASS")
			continue
		}
		assert.NotContains(t, capa, "\r\nUSER\r\n")
		assert.Contains(t, capa, "SASL CRAM-MD5 SCRAM-SHA-256\r\n")
		w.cmd("USER "+testUser, "-ERR [AUTH] Plaintext authentication disallowed on insecure connections; use STLS")
		w.cmd("PASS "+testPass, "-ERR Send USER first")
		w.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00mrose\x00tanstaaf")),
			"-ERR [AUTH] Plaintext authentication disallowed on insecure connections; use STLS")
		w.send("AUTH CRAM-MD5\r\n")
		w.expectPrefix("+ ")
		w.cmd("*", "-ERR Authentication cancelled")
		w.cmd("QUIT", "+OK dewey POP3 server signing off")
	}
}

// TestAuthSASL drives AUTH on the wire (RFC 5034 4.): initial response,
// empty challenge, "=" for an empty initial response, cancel, bad
// base64, a second AUTH after success.
func TestAuthSASL(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MaxAuthFailures = 10 })
	ts.store.put(testUser, msg120)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("AUTH", "+OK Mechanisms follow")
	w.expect("CRAM-MD5", "LOGIN", "PLAIN", "SCRAM-SHA-256", ".")
	// PLAIN without initial response: an empty challenge "+ ".
	w.cmd("AUTH PLAIN", "+ ")
	w.cmd("*", "-ERR Authentication cancelled")
	w.cmd("AUTH PLAIN", "+ ")
	w.cmd("not base64!", "-ERR Invalid base64")
	w.cmd("AUTH PLAIN =", "-ERR [AUTH] Authentication failed")
	w.cmd("AUTH PLAIN ====", "-ERR Invalid base64")
	w.cmd("AUTH PLAIN "+b64("\x00mrose\x00wrong"), "-ERR [AUTH] Authentication failed")
	// LOGIN: two challenges.
	w.cmd("AUTH LOGIN", "+ "+b64("Username:"))
	w.cmd(b64(testUser), "+ "+b64("Password:"))
	w.cmd(b64(testPass), "+OK mrose's maildrop has 1 messages (120 octets)")
	w.cmd("AUTH PLAIN "+b64("\x00mrose\x00tanstaaf"), "-ERR Already authenticated")
	w.cmd("QUIT", "+OK dewey POP3 server signing off (1 messages left)")

	w = dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("auth plain "+b64("\x00mrose\x00tanstaaf"), "+OK mrose's maildrop has 1 messages (120 octets)")
}

// TestLimits checks the line limit, the bad-command limit and the
// failed-login limit and delay.
func TestLimits(t *testing.T) {
	t.Run("line", func(t *testing.T) {
		ts := startServer(t, nil)
		w := dialWire(t, ts.addr)
		w.expectPrefix("+OK")
		w.cmd("USER "+strings.Repeat("a", 250), "-ERR Line too long")
		w.cmd("USER "+strings.Repeat("a", 248), "+OK Send PASS") // 255 with CRLF
	})
	t.Run("errors", func(t *testing.T) {
		ts := startServer(t, func(s *Server) { s.MaxErrors = 3 })
		w := dialWire(t, ts.addr)
		w.expectPrefix("+OK")
		w.cmd("FOO", "-ERR Unknown command")
		w.cmd("BAR", "-ERR Unknown command")
		w.cmd("BAZ", "-ERR Too many errors, closing connection")
		w.expectClosed()
	})
	t.Run("auth_failures", func(t *testing.T) {
		ts := startServer(t, func(s *Server) { s.MaxAuthFailures = 2; s.AuthDelay = 50 * time.Millisecond })
		w := dialWire(t, ts.addr)
		w.expectPrefix("+OK")
		w.cmd("USER "+testUser, "+OK Send PASS")
		start := time.Now()
		w.cmd("PASS wrong", "-ERR [AUTH] Authentication failed")
		assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "failed logins are slowed down")
		w.cmd("USER "+testUser, "+OK Send PASS")
		w.cmd("PASS wrong", "-ERR [AUTH] Too many authentication failures")
		w.expectClosed()
	})
	t.Run("commands", func(t *testing.T) {
		ts := startServer(t, func(s *Server) { s.MaxCommands = 2 })
		w := dialWire(t, ts.addr)
		w.expectPrefix("+OK")
		w.cmd("LANG en", "+OK en Language is English")
		w.cmd("LANG en", "+OK en Language is English")
		w.cmd("LANG en", "-ERR [SYS/PERM] Too many commands, closing connection")
		w.expectClosed()
	})
	t.Run("idle", func(t *testing.T) {
		ts := startServer(t, func(s *Server) { s.ReadTimeout = 50 * time.Millisecond })
		w := dialWire(t, ts.addr)
		w.expectPrefix("+OK")
		w.expectClosed()
	})
	t.Run("connections", func(t *testing.T) {
		ts := startServer(t, func(s *Server) { s.MaxConnections = 1 })
		w := dialWire(t, ts.addr)
		w.expectPrefix("+OK")
		w2 := dialWire(t, ts.addr)
		w2.expect("-ERR [SYS/TEMP] Too many connections, try again later")
		w2.expectClosed()
	})
	t.Run("control_characters", func(t *testing.T) {
		ts := startServer(t, nil)
		w := dialWire(t, ts.addr)
		w.expectPrefix("+OK")
		w.cmd("USER a\x00b", "-ERR Syntax error")
	})
}

// TestUTF8AndLang checks RFC 6856: a message with a UTF-8 header is
// refused with [UTF8] until the client sends UTF8; LANG lists and
// selects English only.
func TestUTF8AndLang(t *testing.T) {
	ts := startServer(t, nil)
	intl := []byte("Subject: caf\xc3\xa9\r\n\r\nbody\r\n")
	ts.store.put(testUser, intl, []byte("Subject: plain\r\n\r\n8bit body: caf\xc3\xa9\r\n"))
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("LANG", "+OK Language listing follows")
	w.expect("en English", ".")
	w.cmd("LANG *", "+OK en Language is English")
	w.cmd("LANG EN", "+OK en Language is English")
	w.cmd("LANG fr", "-ERR en Unsupported language")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.cmd("PASS "+testPass, "+OK mrose's maildrop has 2 messages (60 octets)")
	w.cmd("RETR 1", "-ERR [UTF8] Message needs UTF8 mode")
	w.cmd("TOP 1 0", "-ERR [UTF8] Message needs UTF8 mode")
	w.cmd("LIST 1", "+OK 1 24")
	w.cmd("RETR 2", "+OK 36 octets") // 8bit in the body only: allowed
	w.multi()
	w.cmd("UTF8", "-ERR Already authenticated")
	w.cmd("LANG en", "+OK en Language is English")

	w = dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("UTF8", "+OK UTF8 enabled")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.send("PASS " + testPass + "\r\n")
	w.expectPrefix("-ERR [IN-USE]") // the first session still holds it
}

// TestUTF8UserSASLprep checks that USER and PASS are prepared with
// SASLprep and must be UTF-8 (RFC 6856 2.2).
func TestUTF8UserSASLprep(t *testing.T) {
	var got []string
	ts := startServer(t, func(s *Server) {
		s.Authenticate = func(ctx context.Context, user, pass string) (string, error) {
			got = append(got, user, pass)
			return user, nil
		}
	})
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("USER j\xc3\xbcrgen", "+OK Send PASS")
	w.cmd("PASS a\xc2\xa0b", "+OK j\xc3\xbcrgen's maildrop has 0 messages (0 octets)") // NO-BREAK SPACE maps to space
	assert.Equal(t, []string{"j\u00fcrgen", "a b"}, got)
	w2 := dialWire(t, ts.addr)
	w2.expectPrefix("+OK")
	w2.cmd("USER \xff", "-ERR [AUTH] Invalid user name")
}

// TestLoginDelay checks LOGIN-DELAY enforcement (RFC 2449 8.1.1).
func TestLoginDelay(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.LoginDelay = time.Hour })
	w := dialWire(t, ts.addr)
	w.login()
	w.cmd("QUIT", "+OK dewey POP3 server signing off (maildrop empty)")
	w = dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.cmd("PASS "+testPass, "-ERR [LOGIN-DELAY] Login attempted too soon after the last login")
}

// TestNoAccount checks a login whose account the store does not have.
func TestNoAccount(t *testing.T) {
	ts := startServer(t, nil)
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("USER nobody", "+OK Send PASS")
	w.cmd("PASS "+testPass, "-ERR [SYS/PERM] No maildrop for this user")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.cmd("PASS "+testPass, "+OK mrose's maildrop has 0 messages (0 octets)")
}

// TestCountSizes checks sizes of a message stored with bare LF: with
// CountSizes they are the octets RETR sends.
func TestCountSizes(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.CountSizes = true })
	ts.store.put(testUser, []byte("Subject: lf\n\nline\n.dot\nno final eol"))
	w := dialWire(t, ts.addr)
	w.login()
	want := "Subject: lf\r\n\r\nline\r\n..dot\r\nno final eol\r\n"
	w.cmd("LIST 1", "+OK 1 41") // the un-stuffed CRLF form: len(want) - 1
	w.cmd("RETR 1", "+OK 41 octets")
	assert.Equal(t, want, w.multi())
}

// TestPipelining sends a whole session in one write (RFC 2449 6.6).
func TestPipelining(t *testing.T) {
	ts := startServer(t, nil)
	ts.store.put(testUser, msg120, msg200)
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.send("USER mrose\r\nPASS tanstaaf\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nLIST\r\nQUIT\r\n")
	w.expect("+OK Send PASS", "+OK mrose's maildrop has 2 messages (320 octets)", "+OK 2 320", "+OK 120 octets")
	assert.Equal(t, string(msg120), w.multi())
	w.expect("+OK message 1 deleted", "+OK 1 messages (200 octets)", "2 200", ".",
		"+OK dewey POP3 server signing off (1 messages left)")
	w.expectClosed()
}

// TestMessageGone checks RETR of a message expunged by another view
// since login.
func TestMessageGone(t *testing.T) {
	ts := startServer(t, nil)
	ts.store.put(testUser, msg120)
	w := dialWire(t, ts.addr)
	w.login()
	b := ts.store.box(testUser)
	b.mu.Lock()
	b.msgs = nil
	b.mu.Unlock()
	w.cmd("RETR 1", "-ERR Message is no longer available")
	w.cmd("DELE 1", "+OK message 1 deleted")
	w.cmd("QUIT", "+OK dewey POP3 server signing off (maildrop empty)")
}

// TestReadErrorBeforeResponse checks a message that cannot be opened.
func TestReadErrorBeforeResponse(t *testing.T) {
	ts := startServer(t, nil)
	ts.store.put(testUser, msg120)
	ts.store.box(testUser).failOpen = net.ErrClosed
	w := dialWire(t, ts.addr)
	w.login()
	w.cmd("RETR 1", "-ERR [SYS/TEMP] Unable to read message")
}
