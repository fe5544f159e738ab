package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

// testMessage is what the test testBackend received.
type testMessage struct {
	From  string
	To    []string
	Data  string
	Ident string
	Trace string // Conn.Received at DATA
}

type testBackend struct {
	mu       sync.Mutex
	msgs     []testMessage
	rejectTo map[string]error // per recipient, at RCPT
	lmtpFail map[string]error // per recipient, at LMTPData
	dataErr  error
	lmtp     bool
}

func (b *testBackend) NewSession(c *Conn) (Session, error) {
	s := &testSession{b: b, c: c}
	if b.lmtp {
		return &testLMTPSession{s}, nil
	}
	return s, nil
}

func (b *testBackend) messages() []testMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]testMessage(nil), b.msgs...)
}

type testSession struct {
	b   *testBackend
	c   *Conn
	cur testMessage
}

func (s *testSession) Mail(from string, p MailParams) error {
	s.cur = testMessage{From: from}
	return nil
}

func (s *testSession) Rcpt(to string, p RcptParams) error {
	if err := s.b.rejectTo[to]; err != nil {
		return err
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	s.cur.Data = string(b)
	s.cur.Ident = s.c.AuthIdentity()
	s.cur.Trace = s.c.Received("mx.test", "id1").String()
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.cur = testMessage{} }
func (s *testSession) Logout() error { return nil }

type testLMTPSession struct{ *testSession }

func (s *testLMTPSession) LMTPData(r io.Reader, st StatusCollector) error {
	if err := s.Data(r); err != nil {
		return err
	}
	for rcpt, err := range s.b.lmtpFail {
		st.SetStatus(rcpt, err)
	}
	return nil
}

// startTestServer runs srv on a loopback listener until the test ends.
func startTestServer(t *testing.T, srv *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if srv.Hostname == "" {
		srv.Hostname = "mx.test"
	}
	if srv.AuthDelay == 0 {
		srv.AuthDelay = -1
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		assert.ErrorIs(t, <-done, ErrServerClosed)
	})
	return l.Addr().String()
}

type wireClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialWire(t *testing.T, addr string) *wireClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &wireClient{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *wireClient) send(s string) {
	c.t.Helper()
	_, err := io.WriteString(c.nc, s)
	require.NoError(c.t, err)
}

func (c *wireClient) reply() *Reply {
	c.t.Helper()
	r, err := ParseReply(c.br)
	require.NoError(c.t, err)
	return r
}

func (c *wireClient) expect(code int) *Reply {
	c.t.Helper()
	r := c.reply()
	require.Equal(c.t, code, r.Code, "reply %q", r.Lines)
	return r
}

// cmd sends line with CRLF and expects code.
func (c *wireClient) cmd(line string, code int) *Reply {
	c.t.Helper()
	c.send(line + "\r\n")
	return c.expect(code)
}

// wireStep is one exchange of a conversation: send, then the reply codes.
type wireStep struct {
	send  string
	codes []int
}

func converseWire(t *testing.T, addr string, steps []wireStep) *wireClient {
	t.Helper()
	c := dialWire(t, addr)
	c.expect(220)
	for i, s := range steps {
		c.send(s.send)
		for _, code := range s.codes {
			r := c.reply()
			require.Equal(t, code, r.Code, "step %d %q: reply %q", i, s.send, r.Lines)
		}
	}
	return c
}

func TestServerConversations(t *testing.T) {
	ehlo := wireStep{"EHLO client.test\r\n", []int{250}}
	mail := wireStep{"MAIL FROM:<a@x.test>\r\n", []int{250}}
	rcpt := wireStep{"RCPT TO:<b@y.test>\r\n", []int{250}}
	tests := []struct {
		name  string
		steps []wireStep
		msgs  int
	}{
		{"mail before ehlo", []wireStep{{"MAIL FROM:<a@x.test>\r\n", []int{503}}}, 0},
		{"noop before ehlo", []wireStep{{"NOOP\r\n", []int{250}}, {"RSET\r\n", []int{250}}}, 0},
		{"rcpt before mail", []wireStep{ehlo, {"RCPT TO:<b@y.test>\r\n", []int{503}}}, 0},
		{"data before rcpt", []wireStep{ehlo, mail, {"DATA\r\n", []int{503}}}, 0},
		{"data before mail", []wireStep{ehlo, {"DATA\r\n", []int{503}}}, 0},
		{"nested mail", []wireStep{ehlo, mail, {"MAIL FROM:<c@x.test>\r\n", []int{503}}}, 0},
		{"unknown command", []wireStep{{"XYZZY\r\n", []int{500}}, {"EXPN x\r\n", []int{502}}}, 0},
		{"bad mail syntax", []wireStep{ehlo, {"MAIL FROM:<a@x.test\r\n", []int{501}}, {"MAIL TO:<a@x.test>\r\n", []int{501}}}, 0},
		{"bad rcpt syntax", []wireStep{ehlo, mail, {"RCPT TO:<>\r\n", []int{501}}}, 0},
		{"ehlo without domain", []wireStep{{"EHLO\r\n", []int{501}}, {"HELO\r\n", []int{501}}}, 0},
		{"unknown parameter", []wireStep{ehlo, {"MAIL FROM:<a@x.test> FOO=BAR\r\n", []int{555}}}, 0},
		{"size over limit", []wireStep{ehlo, {"MAIL FROM:<a@x.test> SIZE=999999999\r\n", []int{552}}, mail}, 0},
		{"bad size", []wireStep{ehlo, {"MAIL FROM:<a@x.test> SIZE=abc\r\n", []int{501}}}, 0},
		{"bad body", []wireStep{ehlo, {"MAIL FROM:<a@x.test> BODY=9BIT\r\n", []int{501}}}, 0},
		{"data with args", []wireStep{ehlo, mail, rcpt, {"DATA x\r\n", []int{501}}}, 0},
		{"auth without config", []wireStep{ehlo, {"AUTH PLAIN\r\n", []int{502}}}, 0},
		{"starttls without config", []wireStep{ehlo, {"STARTTLS\r\n", []int{502}}}, 0},
		{"utf8 without smtputf8", []wireStep{ehlo, {"MAIL FROM:<prüfer@x.test>\r\n", []int{550}}}, 0},
		{"utf8 with smtputf8", []wireStep{ehlo, {"MAIL FROM:<prüfer@bücher.test> SMTPUTF8\r\n", []int{250}},
			{"RCPT TO:<empfänger@bücher.test>\r\n", []int{250}}}, 0},
		{"misc", []wireStep{{"VRFY a\r\n", []int{252}}, {"HELP\r\n", []int{214}}, {"noop\r\n", []int{250}}}, 0},
		{"helo transaction", []wireStep{{"HELO client.test\r\n", []int{250}}, mail, rcpt,
			{"DATA\r\n", []int{354}}, {"Subject: x\r\n\r\nhi\r\n.\r\n", []int{250}}}, 1},
		{"null sender", []wireStep{ehlo, {"MAIL FROM:<>\r\n", []int{250}}, rcpt}, 0},
		{"rset clears", []wireStep{ehlo, mail, rcpt, {"RSET\r\n", []int{250}}, {"DATA\r\n", []int{503}}, mail}, 0},
		{"pipelined", []wireStep{ehlo, {"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n",
			[]int{250, 250, 250, 354}}, {"hi\r\n.\r\nNOOP\r\n", []int{250, 250}}}, 1},
		{"dot stuffing", []wireStep{ehlo, mail, rcpt, {"DATA\r\n", []int{354}}, {"..x\r\n.\r\n", []int{250}}}, 1},
		{"bdat", []wireStep{ehlo, mail, rcpt, {"BDAT 5\r\nhello", []int{250}}, {"BDAT 6 LAST\r\n world", []int{250}}}, 1},
		{"bdat empty last", []wireStep{ehlo, mail, rcpt, {"BDAT 5\r\nhello", []int{250}}, {"BDAT 0 LAST\r\n", []int{250}}}, 1},
		{"bdat before rcpt", []wireStep{ehlo, mail, {"BDAT 3\r\nabc", []int{503}}, {"NOOP\r\n", []int{250}}}, 0},
		{"data after bdat", []wireStep{ehlo, mail, rcpt, {"BDAT 3\r\nabc", []int{250}}, {"DATA\r\n", []int{503}}}, 0},
		{"binarymime needs bdat", []wireStep{ehlo, {"MAIL FROM:<a@x.test> BODY=BINARYMIME\r\n", []int{250}}, rcpt,
			{"DATA\r\n", []int{503}}}, 0},
		{"bad bdat", []wireStep{ehlo, mail, rcpt, {"BDAT x\r\n", []int{501}}}, 0},
		{"lmtp verb in smtp", []wireStep{{"LHLO client.test\r\n", []int{500}}}, 0},
		{"bare lf command tolerated", []wireStep{{"NOOP\n", []int{250}}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &testBackend{}
			addr := startTestServer(t, &Server{Handler: b, MaxMessageBytes: 1 << 20})
			c := converseWire(t, addr, tt.steps)
			c.cmd("QUIT", 221)
			c.nc.Close()
			assert.Len(t, b.messages(), tt.msgs)
		})
	}
}

func TestServerEHLO(t *testing.T) {
	addr := startTestServer(t, &Server{Handler: &testBackend{}, MaxMessageBytes: 1000,
		Auth: map[string]sasl.ServerFactory{"PLAIN": func() sasl.Server { return sasl.NewPlainServer(nil) }}})
	c := dialWire(t, addr)
	g := c.expect(220)
	assert.Contains(t, g.Lines[0], "mx.test")
	r := c.cmd("EHLO client.test", 250)
	for _, ext := range []string{"PIPELINING", "8BITMIME", "SIZE 1000", "ENHANCEDSTATUSCODES",
		"SMTPUTF8", "CHUNKING", "BINARYMIME", "DSN", "AUTH PLAIN"} {
		assert.Contains(t, r.Lines[1:], ext)
	}
	assert.NotContains(t, r.Lines, "STARTTLS")
	r = c.cmd("HELO client.test", 250)
	assert.Len(t, r.Lines, 1)
}

func TestServerData(t *testing.T) {
	b := &testBackend{}
	addr := startTestServer(t, &Server{Handler: b, MaxMessageBytes: 100})
	c := dialWire(t, addr)
	c.expect(220)
	c.cmd("EHLO c.test", 250)

	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("DATA", 354)
	c.send("Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\n")
	c.expect(250)

	// Too large: read to the end, then 552, and the testSession goes on.
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("DATA", 354)
	c.send(strings.Repeat("0123456789\r\n", 20) + ".\r\n")
	r := c.expect(552)
	assert.Equal(t, EnhancedCode{5, 3, 4}, r.EnhancedCode())
	c.cmd("NOOP", 250)
	c.cmd("RCPT TO:<b@y.test>", 503) // the transaction is over

	// BDAT over the limit.
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.send("BDAT 60\r\n" + strings.Repeat("x", 60))
	c.expect(250)
	c.send("BDAT 60 LAST\r\n" + strings.Repeat("x", 60))
	c.expect(552)
	c.cmd("NOOP", 250)

	msgs := b.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "a@x.test", msgs[0].From)
	assert.Equal(t, []string{"b@y.test"}, msgs[0].To)
	assert.Equal(t, "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n", msgs[0].Data)
}

// TestServerSmuggling checks that bare-LF or bare-CR terminators inside
// DATA do not end the testMessage (SMTP smuggling), that the 550 arrives after
// the real end, and that the next command is read in sync.
func TestServerSmuggling(t *testing.T) {
	for _, end := range []string{"\n.\n", "\n.\r\n", "\r.\n", "\r.\r\n", "\r\n.\n", "\r\n.\r"} {
		t.Run(strconv.Quote(end), func(t *testing.T) {
			b := &testBackend{}
			addr := startTestServer(t, &Server{Handler: b})
			c := dialWire(t, addr)
			c.expect(220)
			c.cmd("EHLO c.test", 250)
			c.cmd("MAIL FROM:<a@x.test>", 250)
			c.cmd("RCPT TO:<b@y.test>", 250)
			c.cmd("DATA", 354)
			c.send("Subject: x\r\n\r\nhi" + end + "MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\nDATA\r\n")
			// Nothing may answer the smuggled commands before the real end.
			c.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, err := c.br.Peek(1)
			require.Error(t, err)
			c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			c.send("smuggled\r\n.\r\n")
			r := c.expect(550)
			assert.Equal(t, EnhancedCode{5, 6, 0}, r.EnhancedCode())
			c.cmd("MAIL FROM:<a@x.test>", 250)
			c.cmd("QUIT", 221)
			assert.Empty(t, b.messages())
		})
	}
}

func TestServerLimits(t *testing.T) {
	t.Run("recipients", func(t *testing.T) {
		addr := startTestServer(t, &Server{Handler: &testBackend{}, MaxRecipients: 2})
		c := dialWire(t, addr)
		c.expect(220)
		c.cmd("EHLO c.test", 250)
		c.cmd("MAIL FROM:<a@x.test>", 250)
		c.cmd("RCPT TO:<b@y.test>", 250)
		c.cmd("RCPT TO:<c@y.test>", 250)
		r := c.cmd("RCPT TO:<d@y.test>", 452)
		assert.Equal(t, EnhancedCode{4, 5, 3}, r.EnhancedCode())
	})
	t.Run("long line", func(t *testing.T) {
		addr := startTestServer(t, &Server{Handler: &testBackend{}})
		c := dialWire(t, addr)
		c.expect(220)
		c.send("NOOP " + strings.Repeat("x", 1<<20) + "\r\n")
		r := c.expect(500)
		assert.Equal(t, EnhancedCode{5, 5, 2}, r.EnhancedCode())
		c.cmd("NOOP", 250)
	})
	t.Run("max errors", func(t *testing.T) {
		addr := startTestServer(t, &Server{Handler: &testBackend{}, MaxErrors: 3})
		c := dialWire(t, addr)
		c.expect(220)
		c.cmd("BOGUS", 500)
		c.cmd("BOGUS", 500)
		c.cmd("BOGUS", 421)
		_, err := c.br.ReadByte()
		assert.ErrorIs(t, err, io.EOF)
	})
	t.Run("read timeout", func(t *testing.T) {
		addr := startTestServer(t, &Server{Handler: &testBackend{}, ReadTimeout: 50 * time.Millisecond})
		c := dialWire(t, addr)
		c.expect(220)
		_, err := c.br.ReadByte()
		assert.ErrorIs(t, err, io.EOF)
	})
	t.Run("session errors", func(t *testing.T) {
		b := &testBackend{rejectTo: map[string]error{
			"bad@y.test":  &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "No such user"},
			"fail@y.test": errors.New("database down"),
		}}
		addr := startTestServer(t, &Server{Handler: b})
		c := dialWire(t, addr)
		c.expect(220)
		c.cmd("EHLO c.test", 250)
		c.cmd("MAIL FROM:<a@x.test>", 250)
		r := c.cmd("RCPT TO:<bad@y.test>", 550)
		assert.Equal(t, "No such user", r.Message())
		r = c.cmd("RCPT TO:<fail@y.test>", 451)
		assert.Equal(t, EnhancedCode{4, 0, 0}, r.EnhancedCode())
	})
}

func TestServerPanicRecovered(t *testing.T) {
	h := HandlerFunc(func(c *Conn) (Session, error) { return panicSession{}, nil })
	addr := startTestServer(t, &Server{Handler: h})
	c := dialWire(t, addr)
	c.expect(220)
	c.cmd("EHLO c.test", 250)
	c.send("MAIL FROM:<a@x.test>\r\n")
	_, err := c.br.ReadByte()
	assert.Error(t, err)
	// The server still serves.
	c2 := dialWire(t, addr)
	c2.expect(220)
}

type panicSession struct{}

func (panicSession) Mail(string, MailParams) error { panic("boom") }
func (panicSession) Rcpt(string, RcptParams) error { return nil }
func (panicSession) Data(io.Reader) error          { return nil }
func (panicSession) Reset()                        {}
func (panicSession) Logout() error                 { return nil }

func TestServerRefusedSession(t *testing.T) {
	h := HandlerFunc(func(c *Conn) (Session, error) {
		return nil, &Error{Code: 554, EnhancedCode: EnhancedCode{5, 7, 1}, Message: "Go away"}
	})
	addr := startTestServer(t, &Server{Handler: h})
	c := dialWire(t, addr)
	c.expect(554)
}

func testPlainAuth(ctx context.Context, identity, username, password string) (string, error) {
	if username == "user" && password == "pass" {
		return username, nil
	}
	return "", sasl.ErrAuthFailed
}

func testB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestServerAuth(t *testing.T) {
	b := &testBackend{}
	srv := &Server{Handler: b, MaxAuthFailures: 3,
		Auth: map[string]sasl.ServerFactory{"PLAIN": func() sasl.Server { return sasl.NewPlainServer(testPlainAuth) }}}
	addr := startTestServer(t, srv)
	c := dialWire(t, addr)
	c.expect(220)
	c.cmd("AUTH PLAIN "+testB64("\x00user\x00pass"), 503) // before EHLO
	c.cmd("EHLO c.test", 250)
	c.cmd("AUTH FOO", 504)
	r := c.cmd("AUTH PLAIN "+testB64("\x00user\x00wrong"), 535)
	assert.Equal(t, EnhancedCode{5, 7, 8}, r.EnhancedCode())
	c.cmd("AUTH PLAIN", 334)
	c.cmd("*", 501)
	c.cmd("AUTH PLAIN !!!", 501)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("AUTH PLAIN "+testB64("\x00user\x00pass"), 503) // in a transaction
	c.cmd("RSET", 250)
	c.cmd("AUTH PLAIN", 334)
	r = c.cmd(testB64("\x00user\x00pass"), 235)
	assert.Equal(t, EnhancedCode{2, 7, 0}, r.EnhancedCode())
	c.cmd("AUTH PLAIN "+testB64("\x00user\x00pass"), 503) // twice
	c.cmd("NOOP "+strings.Repeat("x", 3000), 500)
	c.cmd("AUTH PLAIN "+strings.Repeat("x", 3000), 503) // long AUTH lines are read as AUTH
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("BDAT 2 LAST\r\nhi", 250)
	msgs := b.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "user", msgs[0].Ident)

	// Too many failures close the connection.
	c = dialWire(t, addr)
	c.expect(220)
	c.cmd("EHLO c.test", 250)
	long := testB64("\x00user\x00" + strings.Repeat("p", 6000))
	c.cmd("AUTH PLAIN "+long, 535) // a 8 KiB AUTH line is read whole
	c.cmd("AUTH PLAIN "+testB64("\x00user\x00x"), 535)
	c.cmd("AUTH PLAIN "+testB64("\x00user\x00x"), 421)
}

func TestServerAuthNotOfferedInsecure(t *testing.T) {
	// A non-loopback wireClient without TLS: simulate with net.Pipe, whose
	// addresses are not IPs.
	srv := &Server{Handler: &testBackend{}, Hostname: "mx.test",
		Auth: map[string]sasl.ServerFactory{"PLAIN": func() sasl.Server { return sasl.NewPlainServer(testPlainAuth) }}}
	sc, cc := net.Pipe()
	go newConn(srv, sc).serve()
	c := &wireClient{t: t, nc: cc, br: bufio.NewReader(cc)}
	cc.SetDeadline(time.Now().Add(5 * time.Second))
	c.expect(220)
	r := c.cmd("EHLO c.test", 250)
	assert.NotContains(t, strings.Join(r.Lines, "\n"), "AUTH")
	c.cmd("AUTH PLAIN "+testB64("\x00user\x00pass"), 502)
	c.cmd("QUIT", 221)
}

func serverTLSConfig(t *testing.T) *tls.Config {
	t.Helper()
	srv, _ := selfSigned(t, "mx.test")
	return srv
}

func (c *wireClient) startTLS() {
	c.t.Helper()
	tc := tls.Client(c.nc, &tls.Config{InsecureSkipVerify: true})
	require.NoError(c.t, tc.Handshake())
	c.nc = tc
	c.br = bufio.NewReader(tc)
}

func TestServerSTARTTLS(t *testing.T) {
	b := &testBackend{}
	addr := startTestServer(t, &Server{Handler: b, TLSConfig: serverTLSConfig(t)})
	c := dialWire(t, addr)
	c.expect(220)
	r := c.cmd("EHLO c.test", 250)
	assert.Contains(t, r.Lines, "STARTTLS")
	c.cmd("STARTTLS x", 501)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("STARTTLS", 503) // in a transaction
	c.cmd("RSET", 250)
	// Injection: commands pipelined after STARTTLS in the clear must be
	// discarded (CVE-2011-0411).
	c.send("STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n")
	c.expect(220)
	require.Zero(t, c.br.Buffered())
	c.startTLS()
	c.cmd("MAIL FROM:<a@x.test>", 503) // state was reset: EHLO needed
	r = c.cmd("EHLO c.test", 250)
	assert.NotContains(t, r.Lines, "STARTTLS")
	c.cmd("STARTTLS", 503)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("DATA", 354)
	c.send("hi\r\n.\r\n")
	c.expect(250)
	require.Len(t, b.messages(), 1)
}

func TestServerLMTP(t *testing.T) {
	b := &testBackend{lmtp: true, lmtpFail: map[string]error{
		"full@y.test": &Error{Code: 452, EnhancedCode: EnhancedCode{4, 2, 2}, Message: "Mailbox full"},
	}}
	addr := startTestServer(t, &Server{Handler: b, LMTP: true})
	c := dialWire(t, addr)
	g := c.expect(220)
	assert.Contains(t, g.Lines[0], "LMTP")
	c.cmd("EHLO c.test", 500)
	c.cmd("LHLO c.test", 250)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("RCPT TO:<full@y.test>", 250)
	c.cmd("RCPT TO:<c@y.test>", 250)
	c.cmd("DATA", 354)
	c.send("hi\r\n.\r\n")
	c.expect(250)
	c.expect(452)
	c.expect(250)

	// A plain Session gets the same reply for every recipient.
	b2 := &testBackend{}
	addr = startTestServer(t, &Server{Handler: b2, LMTP: true})
	c = dialWire(t, addr)
	c.expect(220)
	c.cmd("LHLO c.test", 250)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("RCPT TO:<c@y.test>", 250)
	c.send("BDAT 2 LAST\r\nhi")
	c.expect(250)
	c.expect(250)
	// Bare LF: one 550 per recipient.
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("RCPT TO:<c@y.test>", 250)
	c.cmd("DATA", 354)
	c.send("a\nb\r\n.\r\n")
	c.expect(550)
	c.expect(550)
	c.cmd("NOOP", 250)
}

func TestServerShutdown(t *testing.T) {
	b := &testBackend{}
	srv := &Server{Handler: b, Hostname: "mx.test"}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	addr := l.Addr().String()

	idle := dialWire(t, addr)
	idle.expect(220)
	busy := dialWire(t, addr)
	busy.expect(220)
	busy.cmd("EHLO c.test", 250)
	busy.cmd("MAIL FROM:<a@x.test>", 250)
	busy.cmd("RCPT TO:<b@y.test>", 250)
	busy.cmd("DATA", 354)
	busy.send("partial\r\n")
	time.Sleep(50 * time.Millisecond)

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	idle.expect(421)
	require.ErrorIs(t, <-done, ErrServerClosed)
	// The busy connection finishes its testMessage, then gets 421.
	busy.send("rest\r\n.\r\n")
	busy.expect(250)
	busy.expect(421)
	require.NoError(t, <-shut)
	require.Len(t, b.messages(), 1)
	_, err = net.Dial("tcp", addr)
	assert.Error(t, err)
	assert.ErrorIs(t, srv.Serve(l), ErrServerClosed)
}

func TestServerShutdownTimeout(t *testing.T) {
	srv := &Server{Handler: &testBackend{}}
	addr := startTestServer(t, srv)
	c := dialWire(t, addr)
	c.expect(220)
	c.cmd("EHLO c.test", 250)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("DATA", 354)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
}

// TestServerProbe runs the conformance probe of the project against a
// server, when python3 and the probe are there.
func TestServerProbe(t *testing.T) {
	// The probe lives in ../shared beside the clone; CI names it.
	probe := os.Getenv("POSTKIT_SMTP_PROBE")
	if probe == "" {
		probe = filepath.Join("..", "..", "shared", "judges", "smtp_probe.py")
	}
	if testing.Short() {
		t.Skip("short")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if _, err := os.Stat(probe); err != nil {
		t.Skip("no probe")
	}
	addr := startTestServer(t, &Server{Handler: &testBackend{}, TLSConfig: serverTLSConfig(t), MaxMessageBytes: 1 << 20})
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command(py, probe, "--host", host, "--port", port, "--quiet-wait", "0.5").CombinedOutput()
	t.Logf("%s", out)
	require.NoError(t, err)
}

// fakeServerConn is a net.Conn that reads a fixed input and discards output.
type fakeServerConn struct {
	r io.Reader
}

func (f *fakeServerConn) Read(p []byte) (int, error)  { return f.r.Read(p) }
func (f *fakeServerConn) Write(p []byte) (int, error) { return len(p), nil }
func (f *fakeServerConn) Close() error                { return nil }
func (f *fakeServerConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25}
}
func (f *fakeServerConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1025}
}
func (f *fakeServerConn) SetDeadline(t time.Time) error      { return nil }
func (f *fakeServerConn) SetReadDeadline(t time.Time) error  { return nil }
func (f *fakeServerConn) SetWriteDeadline(t time.Time) error { return nil }

// panicLogHandler fails the fuzz run on a recovered panic.
type panicLogHandler struct{ t *testing.T }

func (h panicLogHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h panicLogHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		h.t.Errorf("%s", r.Message)
		r.Attrs(func(a slog.Attr) bool { h.t.Log(a.String()); return true })
	}
	return nil
}
func (h panicLogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panicLogHandler) WithGroup(string) slog.Handler      { return h }

// FuzzServer drives one connection with arbitrary wireClient bytes: the server
// must neither panic nor hang, in SMTP and LMTP mode.
func FuzzServer(f *testing.F) {
	seeds := []string{
		"EHLO c.test\r\nMAIL FROM:<a@x.test> SIZE=10 BODY=8BITMIME\r\nRCPT TO:<b@y.test> NOTIFY=SUCCESS,DELAY\r\nDATA\r\nhi\r\n..x\r\n.\r\nQUIT\r\n",
		"LHLO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nBDAT 3\r\nabcBDAT 0 LAST\r\n",
		"EHLO c.test\r\nAUTH PLAIN\r\n" + testB64("\x00user\x00pass") + "\r\nAUTH PLAIN =\r\nAUTH PLAIN\r\n*\r\n",
		"EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nx\n.\nRSET\r\n.\r\nNOOP\r\n",
		"HELO x\r\nMAIL FROM:<prüfer@bücher.test> SMTPUTF8\r\nRCPT TO:<Postmaster>\r\nBDAT 99999999999\r\n",
		"STARTTLS\r\nVRFY x\r\nHELP\r\nEXPN\r\nXYZZY\r\n\r\n \r\n",
		"EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 3\r\nabcRSET\r\nBDAT 2 LAST\r\nxyBDAT 5\r\n12345QUIT\r\n",
		"XCLIENT ADDR=IPV6:2001:db8::1 PORT=25 NAME=[UNAVAILABLE] LOGIN=bob+20x\r\nEHLO c.test\r\nXCLIENT DESTADDR=1.2.3.4\r\n",
	}
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, lmtp bool) {
		srv := &Server{Handler: &testBackend{lmtp: lmtp}, LMTP: lmtp, MaxMessageBytes: 1 << 16,
			AuthDelay: -1, Logger: slog.New(panicLogHandler{t}), XCLIENT: func(net.Addr) bool { return true },
			Auth: map[string]sasl.ServerFactory{"PLAIN": func() sasl.Server { return sasl.NewPlainServer(testPlainAuth) }}}
		c := newConn(srv, &fakeServerConn{r: strings.NewReader(in)})
		srv.conns.Add(trackedConn{c}, -1)
		c.serve()
	})
}

// BenchmarkServerTransactions measures the server's work per testMessage:
// 100 transactions of a 10 KiB testMessage on one connection.
func BenchmarkServerTransactions(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("EHLO c.test\r\n")
	body := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n.leading\r\n", 140)
	for i := 0; i < 100; i++ {
		sb.WriteString("MAIL FROM:<a@x.test> SIZE=10240\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
		sb.WriteString(body)
		sb.WriteString(".\r\n")
	}
	sb.WriteString("QUIT\r\n")
	in := sb.String()
	h := HandlerFunc(func(c *Conn) (Session, error) { return discardSession{}, nil })
	srv := &Server{Handler: h}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		newConn(srv, &fakeServerConn{r: strings.NewReader(in)}).serve()
	}
}

type discardSession struct{}

func (discardSession) Mail(string, MailParams) error { return nil }
func (discardSession) Rcpt(string, RcptParams) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }

func TestServerImplicitTLS(t *testing.T) {
	cfg := serverTLSConfig(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var state bool
	h := HandlerFunc(func(c *Conn) (Session, error) {
		_, state = c.ConnectionState()
		return &testSession{b: &testBackend{}, c: c}, nil
	})
	srv := &Server{Handler: h, TLSConfig: cfg, Hostname: "mx.test"}
	go srv.Serve(tls.NewListener(l, cfg))
	defer srv.Close()
	nc, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	require.NoError(t, err)
	defer nc.Close()
	c := &wireClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	c.expect(220)
	assert.True(t, state)
	r := c.cmd("EHLO c.test", 250)
	assert.NotContains(t, r.Lines, "STARTTLS")
}

func TestServerDataTimeout(t *testing.T) {
	b := &testBackend{}
	addr := startTestServer(t, &Server{Handler: b, DataTimeout: 150 * time.Millisecond})
	c := dialWire(t, addr)
	c.expect(220)
	c.cmd("EHLO c.test", 250)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("DATA", 354)
	// Data that keeps coming does not time out, however long it takes.
	for i := 0; i < 4; i++ {
		c.send("line\r\n")
		time.Sleep(60 * time.Millisecond)
	}
	c.send(".\r\n")
	c.expect(250)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("DATA", 354)
	c.send("stall\r\n")
	_, err := c.br.ReadByte()
	assert.ErrorIs(t, err, io.EOF)
	assert.Len(t, b.messages(), 1)
}

// ExampleServer runs an SMTP server that hands each message to a Session.
func ExampleServer() {
	srv := &Server{
		Addr:     "127.0.0.1:2525",
		Hostname: "mx.example.com",
		Handler: HandlerFunc(func(c *Conn) (Session, error) {
			return discardSession{}, nil
		}),
	}
	go srv.ListenAndServe()
	srv.Shutdown(context.Background())
}
