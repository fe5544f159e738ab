package smtp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postkit/postkit/sasl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeServer plays a script against the client end of a net.Pipe. Each
// script line is "S: text" (the server writes text CRLF), "C: text" (the
// server reads one line and expects exactly text), "TLS" (the server
// starts TLS with cfg), "W: quoted" (the server writes the bytes of the
// Go-quoted string in one write), "B: quoted" (the server reads exactly the bytes
// of the Go-quoted string), or "HANG" (the server reads until the connection
// closes). It reports the first mismatch on the returned channel, or nil.
func fakeServer(t testing.TB, script string, cfg *tls.Config) (net.Conn, <-chan error) {
	t.Helper()
	cli, srv := net.Pipe()
	errc := make(chan error, 1)
	go play(srv, script, cfg, errc)
	return cli, errc
}

// play runs script on srv; see fakeServer.
func play(srv net.Conn, script string, cfg *tls.Config, errc chan<- error) {
	func() {
		defer srv.Close()
		var conn net.Conn = srv
		br := bufio.NewReader(conn)
		for _, step := range strings.Split(strings.TrimSpace(script), "\n") {
			step = strings.TrimSpace(step)
			switch {
			case strings.HasPrefix(step, "S: "):
				if _, err := io.WriteString(conn, step[3:]+"\r\n"); err != nil {
					errc <- fmt.Errorf("write %q: %w", step, err)
					return
				}
			case strings.HasPrefix(step, "C:"):
				want := strings.TrimPrefix(strings.TrimPrefix(step, "C:"), " ")
				line, err := br.ReadString('\n')
				if err != nil {
					errc <- fmt.Errorf("want %q: %w", want, err)
					return
				}
				if !strings.HasSuffix(line, "\r\n") {
					errc <- fmt.Errorf("line %q does not end in CRLF", line)
					return
				}
				if got := strings.TrimSuffix(line, "\r\n"); got != want {
					errc <- fmt.Errorf("client sent %q, want %q", got, want)
					return
				}
			case strings.HasPrefix(step, "W: "):
				raw, err := strconv.Unquote(step[3:])
				if err != nil {
					panic(err)
				}
				if _, err := io.WriteString(conn, raw); err != nil {
					errc <- err
					return
				}
			case strings.HasPrefix(step, "B: "):
				want, err := strconv.Unquote(step[3:])
				if err != nil {
					panic(err)
				}
				got := make([]byte, len(want))
				if _, err := io.ReadFull(br, got); err != nil || string(got) != want {
					errc <- fmt.Errorf("client sent %q (%v), want %q", got, err, want)
					return
				}
			case step == "TLS":
				tc := tls.Server(srv, cfg)
				if err := tc.Handshake(); err != nil {
					errc <- err
					return
				}
				conn = tc
				br = bufio.NewReader(conn)
			case step == "HANG":
				io.Copy(io.Discard, br)
			default:
				panic("bad script step " + step)
			}
		}
		errc <- nil
	}()
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wait(t testing.TB, errc <-chan error) {
	t.Helper()
	select {
	case err := <-errc:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("fake server did not finish")
	}
}

const ehloFull = `S: 220 mx.example.org ESMTP
C: EHLO client.example.com
S: 250-mx.example.org hello
S: 250-PIPELINING
S: 250-SIZE 35882577
S: 250-8BITMIME
S: 250-DSN
S: 250-SMTPUTF8
S: 250-AUTH PLAIN login
S: 250 ENHANCEDSTATUSCODES`

func TestClientGreeting(t *testing.T) {
	tests := []struct {
		name, script string
		code         int // 0: protocol or I/O error
	}{
		{"refused", "S: 554 5.3.2 go away", 554},
		{"temporary", "S: 421 busy", 421},
		{"multi-line refusal", "S: 554-no\nS: 554 really", 554},
		{"garbage", "S: hello", 0},
		{"wrong code", "S: 250 ok", 0},
		{"eof", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, _ := fakeServer(t, tt.script+"\nHANG", nil)
			if tt.script == "" {
				conn.Close()
			}
			c, err := NewClient(conn, "localhost")
			require.Error(t, err)
			assert.Nil(t, c)
			var se *Error
			if tt.code != 0 {
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.code, se.Code)
				assert.Equal(t, tt.code < 500, se.Temporary())
			} else {
				assert.False(t, errors.As(err, &se))
			}
		})
	}
}

func TestClientHelloExtensions(t *testing.T) {
	conn, errc := fakeServer(t, ehloFull, nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	require.NoError(t, c.Hello(testCtx(t), "client.example.com"))
	wait(t, errc)
	ok, p := c.Extension("size")
	assert.True(t, ok)
	assert.Equal(t, "35882577", p)
	assert.Equal(t, int64(35882577), c.MaxMessageSize())
	assert.Equal(t, []string{"PLAIN", "LOGIN"}, c.AuthMechanisms())
	ok, _ = c.Extension("PIPELINING")
	assert.True(t, ok)
	ok, _ = c.Extension("STARTTLS")
	assert.False(t, ok)
}

func TestClientHeloFallback(t *testing.T) {
	for _, code := range []string{"500", "502"} {
		conn, errc := fakeServer(t, `S: 220 old
C: EHLO me.example
S: `+code+` what?
C: HELO me.example
S: 250 old.example
C: MAIL FROM:<a@b.example>
S: 250 ok`, nil)
		c, err := NewClient(conn, "localhost")
		require.NoError(t, err)
		ctx := testCtx(t)
		require.NoError(t, c.Hello(ctx, "me.example"))
		ok, _ := c.Extension("PIPELINING")
		assert.False(t, ok)
		require.NoError(t, c.Mail(ctx, "a@b.example", nil))
		wait(t, errc)
	}
	// Another refusal is not a reason to fall back.
	conn, errc := fakeServer(t, "S: 220 x\nC: EHLO me\nS: 421 closing", nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	err = c.Hello(testCtx(t), "me")
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.True(t, se.Temporary())
	wait(t, errc)
}

func TestClientParamsOnWire(t *testing.T) {
	auth := "sender@example.com"
	conn, errc := fakeServer(t, ehloFull+`
C: MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1+3D AUTH=sender@example.com
S: 250 ok
C: RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@example.org
S: 250 ok
C: RCPT TO:<c@example.org>
S: 250 ok
C: MAIL FROM:<>
S: 250 ok`, nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	ctx := testCtx(t)
	c.LocalName = "client.example.com"
	require.NoError(t, c.Mail(ctx, "a@example.com", &MailOptions{
		Size: 1000, Body: "8bitmime", UTF8: true, Return: "hdrs", EnvelopeID: "id+1=", Auth: &auth,
	}))
	require.NoError(t, c.Rcpt(ctx, "b@example.org", &RcptOptions{
		Notify: []string{"success", "failure"}, OriginalRecipient: "b+x@example.org",
	}))
	require.NoError(t, c.Rcpt(ctx, "c@example.org", nil))
	// Parameters the server did not offer are refused before sending.
	assert.Error(t, c.Mail(ctx, "a@example.com", &MailOptions{Body: "BINARYMIME"}))
	assert.Error(t, c.Mail(ctx, "a@example.com", &MailOptions{RequireTLS: true}))
	assert.ErrorContains(t, c.Mail(ctx, "a@example.com", &MailOptions{Size: 35882578}), "SIZE")
	assert.Error(t, c.Rcpt(ctx, "x@example.org", &RcptOptions{Notify: []string{"NEVER", "DELAY"}}))
	require.NoError(t, c.Mail(ctx, "", nil))
	wait(t, errc)
}

func TestClientRefusesInjection(t *testing.T) {
	conn, errc := fakeServer(t, ehloFull+"\nC: QUIT\nS: 221 bye", nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	ctx := testCtx(t)
	c.LocalName = "client.example.com"
	for _, bad := range []string{"a@b\r\nRCPT TO:<x@y>", "a@b\n", "a@b\r", "a\x00@b", "a@b> SIZE=1", "a@b.example <x>"} {
		assert.Error(t, c.Hello(ctx, bad), "%q", bad)
		assert.Error(t, c.Mail(ctx, bad, nil), "%q", bad)
		assert.Error(t, c.Rcpt(ctx, bad, nil), "%q", bad)
		_, err := c.Send(ctx, bad, []string{"x@y"}, strings.NewReader("x"), nil)
		assert.Error(t, err, "%q", bad)
		_, err = c.Send(ctx, "x@y", []string{"ok@y", bad}, strings.NewReader("x"), nil)
		assert.Error(t, err, "%q", bad)
		if strings.ContainsAny(bad, "\r\n\x00") {
			_, err = c.Verify(ctx, bad)
			assert.Error(t, err, "%q", bad)
		}
	}
	// Nothing reached the wire: the script sees the EHLO the first Mail
	// needed, then QUIT.
	require.NoError(t, c.Quit(ctx))
	wait(t, errc)
}

// selfSigned returns a server TLS configuration with a certificate for
// host, and a client configuration that trusts it.
func selfSigned(t testing.TB, host string) (*tls.Config, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return srv, &tls.Config{RootCAs: pool, ServerName: host}
}

func TestClientStartTLSAndAuth(t *testing.T) {
	srvCfg, cliCfg := selfSigned(t, "mx.example.org")
	conn, errc := fakeServer(t, `S: 220 mx.example.org
C: EHLO me.example
S: 250-mx.example.org
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
TLS
C: EHLO me.example
S: 250-mx.example.org
S: 250-PIPELINING
S: 250 AUTH PLAIN
C: AUTH PLAIN AHVzZXIAcGFzcw==
S: 235 2.7.0 ok`, srvCfg)
	c, err := NewClient(conn, "mx.example.org")
	require.NoError(t, err)
	ctx := testCtx(t)
	require.NoError(t, c.Hello(ctx, "me.example"))
	// Without TLS to a remote host, PLAIN is refused before sending.
	assert.ErrorContains(t, c.Auth(ctx, sasl.NewPlainClient("", "user", "pass")), "without TLS")
	require.NoError(t, c.StartTLS(ctx, cliCfg))
	assert.True(t, c.TLS())
	ok, _ := c.Extension("PIPELINING")
	assert.True(t, ok, "extensions come from the EHLO after TLS")
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient("", "user", "pass")))
	wait(t, errc)
}

func TestClientDial(t *testing.T) {
	srvCfg, cliCfg := selfSigned(t, "mx.example.org")
	for _, implicit := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		errc := make(chan error, 1)
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				errc <- err
				return
			}
			if implicit {
				conn = tls.Server(conn, srvCfg)
			}
			play(conn, "S: 220 mx\nC: QUIT\nS: 221 bye", nil, errc)
		}()
		ctx := testCtx(t)
		var c *Client
		if implicit {
			cfg := cliCfg.Clone()
			cfg.ServerName = "mx.example.org"
			c, err = DialTLS(ctx, ln.Addr().String(), cfg)
		} else {
			c, err = Dial(ctx, ln.Addr().String())
		}
		require.NoError(t, err)
		assert.Equal(t, implicit, c.TLS())
		require.NoError(t, c.Quit(ctx))
		wait(t, errc)
		ln.Close()
	}
}

func TestClientStartTLSRefusals(t *testing.T) {
	// RFC 3207 5.: a reply pipelined after the 220 could be injected in
	// the clear; the client drops the connection.
	conn, errc := fakeServer(t, `S: 220 mx
C: EHLO localhost
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
W: "220 go ahead\r\n250 injected\r\n"`, nil)
	c, err := NewClient(conn, "mx.example.org")
	require.NoError(t, err)
	var pe *ProtocolError
	require.ErrorAs(t, c.StartTLS(testCtx(t), nil), &pe)
	wait(t, errc)
	assert.Error(t, c.Noop(testCtx(t)))

	// Not offered: refused before sending.
	conn, errc = fakeServer(t, ehloPlain+"\nC: QUIT\nS: 221 bye", nil)
	c, err = NewClient(conn, "mx.example.org")
	require.NoError(t, err)
	assert.ErrorContains(t, c.StartTLS(testCtx(t), nil), "does not offer")
	require.NoError(t, c.Quit(testCtx(t)))
	wait(t, errc)
}

func TestClientAuthChallenges(t *testing.T) {
	conn, errc := fakeServer(t, `S: 220 localhost
C: EHLO localhost
S: 250-localhost
S: 250 AUTH LOGIN PLAIN
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: dXNlcg==
S: 334 UGFzc3dvcmQ6
C: cGFzcw==
S: 535 5.7.8 bad credentials
C: AUTH PLAIN AHVzZXIAcGFzcw==
S: 334 !!!
C: *
S: 501 cancelled`, nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	ctx := testCtx(t)
	err = c.Auth(ctx, sasl.NewLoginClient("user", "pass"))
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 535, se.Code)
	assert.Equal(t, EnhancedCode{5, 7, 8}, se.EnhancedCode)
	var pe *ProtocolError
	require.ErrorAs(t, c.Auth(ctx, sasl.NewPlainClient("", "user", "pass")), &pe)
	wait(t, errc)
}

const ehloPipe = `S: 220 mx
C: EHLO localhost
S: 250-mx
S: 250 PIPELINING`

const ehloPlain = `S: 220 mx
C: EHLO localhost
S: 250 mx`

func TestClientSend(t *testing.T) {
	msg := "Subject: hi\r\n\r\n.x\nbare LF\r\n..\rend"
	body := `C: Subject: hi
C:
C: ..x
C: bare LF
C: ...
C: end
C: .`
	tests := []struct {
		name, script string
		per          []bool // true: recipient refused
		err          bool
		noRcpt       bool
	}{
		{"pipelined", ehloPipe + `
C: MAIL FROM:<a@x>
C: RCPT TO:<b@y>
C: RCPT TO:<c@y>
C: RCPT TO:<d@y>
C: DATA
S: 250 ok
S: 250 ok
S: 550 5.1.1 no such user
S: 250 ok
S: 354 go
` + body + `
S: 250 queued`, []bool{false, true, false}, false, false},
		{"sequential", ehloPlain + `
C: MAIL FROM:<a@x>
S: 250 ok
C: RCPT TO:<b@y>
S: 250 ok
C: RCPT TO:<c@y>
S: 550 5.1.1 no such user
C: RCPT TO:<d@y>
S: 250 ok
C: DATA
S: 354 go
` + body + `
S: 250 queued`, []bool{false, true, false}, false, false},
		{"pipelined all refused", ehloPipe + `
C: MAIL FROM:<a@x>
C: RCPT TO:<b@y>
C: RCPT TO:<c@y>
C: RCPT TO:<d@y>
C: DATA
S: 250 ok
S: 550 no
S: 450 later
S: 550 no
S: 554 no valid recipients`, []bool{true, true, true}, true, true},
		{"pipelined all refused DATA accepted", ehloPipe + `
C: MAIL FROM:<a@x>
C: RCPT TO:<b@y>
C: RCPT TO:<c@y>
C: RCPT TO:<d@y>
C: DATA
S: 250 ok
S: 550 no
S: 550 no
S: 550 no
S: 354 go
C: .
S: 554 no recipients`, []bool{true, true, true}, true, true},
		{"sequential all refused", ehloPlain + `
C: MAIL FROM:<a@x>
S: 250 ok
C: RCPT TO:<b@y>
S: 550 no
C: RCPT TO:<c@y>
S: 550 no
C: RCPT TO:<d@y>
S: 550 no`, []bool{true, true, true}, true, true},
		{"MAIL refused", ehloPipe + `
C: MAIL FROM:<a@x>
C: RCPT TO:<b@y>
C: RCPT TO:<c@y>
C: RCPT TO:<d@y>
C: DATA
S: 451 try later
S: 503 no
S: 503 no
S: 503 no
S: 503 no`, []bool{true, true, true}, true, false},
		{"data refused", ehloPlain + `
C: MAIL FROM:<a@x>
S: 250 ok
C: RCPT TO:<b@y>
S: 250 ok
C: RCPT TO:<c@y>
S: 250 ok
C: RCPT TO:<d@y>
S: 250 ok
C: DATA
S: 354 go
` + body + `
S: 552 too big`, []bool{false, false, false}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, errc := fakeServer(t, tt.script, nil)
			c, err := NewClient(conn, "localhost")
			require.NoError(t, err)
			per, err := c.Send(testCtx(t), "a@x", []string{"b@y", "c@y", "d@y"}, strings.NewReader(msg), nil)
			if tt.err {
				require.Error(t, err)
				if tt.noRcpt {
					assert.ErrorIs(t, err, ErrNoRecipients)
				}
			} else {
				require.NoError(t, err)
			}
			require.Len(t, per, 3)
			for i, refused := range tt.per {
				if refused {
					var se *Error
					assert.ErrorAs(t, per[i], &se, "recipient %d", i)
				} else {
					assert.NoError(t, per[i], "recipient %d", i)
				}
			}
			wait(t, errc)
		})
	}
}

func TestClientSendReuse(t *testing.T) {
	conn, errc := fakeServer(t, ehloPipe+`
C: MAIL FROM:<a@x>
C: RCPT TO:<b@y>
C: DATA
S: 250 ok
S: 550 no
S: 554 no valid recipients
C: RSET
S: 250 ok
C: MAIL FROM:<a@x>
C: RCPT TO:<b@y>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
C: hi
C: .
S: 250 ok
C: MAIL FROM:<a@x>
C: RCPT TO:<b@y>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
C: again
C: .
S: 250 ok
C: QUIT
S: 221 bye`, nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	ctx := testCtx(t)
	_, err = c.Send(ctx, "a@x", []string{"b@y"}, strings.NewReader("hi"), nil)
	require.ErrorIs(t, err, ErrNoRecipients)
	_, err = c.Send(ctx, "a@x", []string{"b@y"}, strings.NewReader("hi"), nil)
	require.NoError(t, err)
	_, err = c.Send(ctx, "a@x", []string{"b@y"}, strings.NewReader("again\r\n"), nil)
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	wait(t, errc)
}

func TestClientBdat(t *testing.T) {
	conn, errc := fakeServer(t, `S: 220 mx
C: EHLO localhost
S: 250-mx
S: 250-PIPELINING
S: 250-CHUNKING
S: 250 BINARYMIME
C: MAIL FROM:<a@x> BODY=BINARYMIME
C: RCPT TO:<b@y>
C: RCPT TO:<c@y>
S: 250 ok
S: 250 ok
S: 550 no
C: BDAT 4
B: "a\r.\n"
S: 250 ok
C: BDAT 3 LAST
B: "\x00\r\n"
S: 250 ok
C: RSET
S: 250 ok
C: MAIL FROM:<a@x>
S: 250 ok
C: BDAT 0 LAST
S: 250 ok`, nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	ctx := testCtx(t)
	require.NoError(t, c.Hello(ctx, ""))
	c.ChunkSize = 4
	per, err := c.Send(ctx, "a@x", []string{"b@y", "c@y"}, strings.NewReader("a\r.\n\x00\r\n"), &MailOptions{Body: "BINARYMIME"})
	require.NoError(t, err)
	assert.NoError(t, per[0])
	assert.Error(t, per[1])
	require.NoError(t, c.Reset(ctx))
	require.NoError(t, c.Mail(ctx, "a@x", nil))
	require.NoError(t, c.Bdat(ctx, strings.NewReader(""), 0))
	wait(t, errc)
}

func TestClientDataLMTP(t *testing.T) {
	conn, errc := fakeServer(t, `S: 220 lmtp
C: LHLO localhost
S: 250-lmtp
S: 250 PIPELINING
C: MAIL FROM:<a@x>
C: RCPT TO:<b@y>
C: RCPT TO:<c@y>
C: RCPT TO:<d@y>
C: DATA
S: 250 ok
S: 250 ok
S: 550 no
S: 250 ok
S: 354 go
C: hi
C: .
S: 250 delivered b
S: 452 4.2.2 mailbox full d`, nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	c.LMTP = true
	per, err := c.Send(testCtx(t), "a@x", []string{"b@y", "c@y", "d@y"}, strings.NewReader("hi"), nil)
	require.NoError(t, err)
	assert.NoError(t, per[0])
	assert.Error(t, per[1])
	var se *Error
	require.ErrorAs(t, per[2], &se)
	assert.True(t, se.Temporary())
	wait(t, errc)
}

func TestClientContextCancel(t *testing.T) {
	conn, _ := fakeServer(t, ehloPipe+"\nHANG", nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	require.NoError(t, c.Hello(testCtx(t), ""))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = c.Send(ctx, "a@x", []string{"b@y"}, strings.NewReader("hi"), nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 2*time.Second)
	// The connection is out of sync now.
	assert.Error(t, c.Noop(testCtx(t)))
	c.Close()

	conn, _ = fakeServer(t, "HANG", nil)
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = newClient(ctx, conn, "localhost")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// FuzzClientReplies feeds arbitrary server bytes to Hello and Send: no
// panic, no hang.
func FuzzClientReplies(f *testing.F) {
	f.Add([]byte("220 x\r\n250-x\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"))
	f.Add([]byte("220 x\r\n250 x\r\n250 ok\r\n550 no\r\n"))
	f.Add([]byte("220 x\r\n500 no\r\n250 ok\r\n"))
	f.Add([]byte("220-x\r\n221 x\r\n"))
	f.Add([]byte("220 x\r\n250-x\r\n250-CHUNKING\r\n250 BINARYMIME\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"))
	f.Add([]byte("220 x\r\n250-x\r\n250-SIZE 99999999999999999999\r\n250 AUTH\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := net.Pipe()
		go io.Copy(io.Discard, srv)
		go func() {
			srv.Write(data)
			srv.Close()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > time.Second {
				t.Fatalf("client took %v on %q", d, data)
			}
		}()
		c, err := newClient(ctx, cli, "localhost")
		if err != nil {
			return
		}
		defer c.Close()
		if c.Hello(ctx, "me") != nil {
			return
		}
		var opts *MailOptions
		if len(data)%2 == 1 {
			// BDAT path when the server offers CHUNKING and BINARYMIME.
			opts = &MailOptions{Body: "BINARYMIME"}
			c.ChunkSize = 3
		}
		per, err := c.Send(ctx, "a@x", []string{"b@y", "c@y"}, strings.NewReader("hi\r\n"), opts)
		if err == nil && len(per) != 2 {
			t.Fatal("per-recipient results lost")
		}
		require.NoError(t, ctx.Err(), "client hung")
	})
}

// instantServer answers every command at once: 250, 354 for DATA, and
// 250 after the body.
func instantServer(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	bw := bufio.NewWriter(conn)
	bw.WriteString("220 bench\r\n")
	bw.Flush()
	inData := false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		switch {
		case inData:
			if bytes.Equal(line, []byte(".\r\n")) {
				inData = false
				bw.WriteString("250 ok\r\n")
			}
		case bytes.HasPrefix(line, []byte("EHLO")):
			bw.WriteString("250-bench\r\n250 PIPELINING\r\n")
		case bytes.HasPrefix(line, []byte("DATA")):
			bw.WriteString("354 go\r\n")
			inData = true
		case bytes.HasPrefix(line, []byte("QUIT")):
			bw.WriteString("221 bye\r\n")
			bw.Flush()
			return
		default:
			bw.WriteString("250 ok\r\n")
		}
		if br.Buffered() == 0 {
			bw.Flush()
		}
	}
}

func BenchmarkClientSend(b *testing.B) {
	cli, srv := net.Pipe()
	go instantServer(srv)
	c, err := NewClient(cli, "localhost")
	require.NoError(b, err)
	defer c.Close()
	ctx := context.Background()
	var sb strings.Builder
	sb.WriteString("Subject: bench\r\n\r\n")
	for sb.Len() < 4096-80 {
		sb.WriteString(strings.Repeat("x", 76) + "\r\n")
	}
	msg := sb.String()
	to := []string{"b@y", "c@y"}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Send(ctx, "a@x", to, strings.NewReader(msg), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestClientSendManyRecipients(t *testing.T) {
	cli, srv := net.Pipe()
	go instantServer(srv)
	c, err := NewClient(cli, "localhost")
	require.NoError(t, err)
	defer c.Close()
	to := make([]string, 2*maxPipelined+17)
	for i := range to {
		to[i] = fmt.Sprintf("r%d@example.org", i)
	}
	ctx := testCtx(t)
	for range 2 {
		per, err := c.Send(ctx, "a@x", to, strings.NewReader("hi\n"), nil)
		require.NoError(t, err)
		require.Len(t, per, len(to))
		for _, e := range per {
			require.NoError(t, e)
		}
	}
	require.NoError(t, c.Quit(ctx))
}
