package smtpinterop

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/postkit/postkit/sasl"
	"github.com/postkit/postkit/smtp"
)

// Credentials every server in these tests accepts.
const (
	testUser = "user"
	testPass = "s3cret-pass"
)

// refusedRcpt is the recipient every recording backend refuses with 550.
const refusedRcpt = "refused@example.org"

// fullRcpt is the recipient every LMTP backend accepts at RCPT and then
// fails with 452 after the message (RFC 2033 4.2).
const fullRcpt = "full@example.org"

// caseTimeout bounds one interop case.
const caseTimeout = 10 * time.Second

// testCtx returns a context that ends after caseTimeout or with the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	return ctx
}

// record is one message as a backend received it.
type record struct {
	Hello string // EHLO/HELO name
	TLS   bool   // the message came over TLS
	Ident string // authenticated identity, "" without AUTH
	From  string
	Body  string // BODY= parameter
	UTF8  bool   // SMTPUTF8 parameter
	Ret   string // DSN RET=
	EnvID string // DSN ENVID=, decoded
	Auth  string // AUTH= of MAIL, decoded
	To    []string
	Rcpt  []rcptRecord // the parameters of each accepted RCPT
	Data  []byte
}

// rcptRecord is the DSN parameters of one RCPT.
type rcptRecord struct {
	Notify string
	ORCPT  string
}

// recorder is a backend for our smtp.Server that keeps every message and
// refuses refusedRcpt.
type recorder struct {
	mu    sync.Mutex
	msgs  []record
	mechs []string // SASL mechanisms of successful AUTHs, in order
}

func (r *recorder) messages() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]record(nil), r.msgs...)
}

func (r *recorder) mechanisms() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.mechs...)
}

// NewSession implements smtp.Handler.
func (r *recorder) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &recSession{rec: r, conn: c}, nil
}

// authenticator checks testUser and testPass and notes mech on success.
func (r *recorder) authenticator(mech string) sasl.PlainAuthenticator {
	return func(ctx context.Context, identity, user, pass string) (string, error) {
		if user != testUser || pass != testPass || (identity != "" && identity != user) {
			return "", sasl.ErrAuthFailed
		}
		r.mu.Lock()
		r.mechs = append(r.mechs, mech)
		r.mu.Unlock()
		return user, nil
	}
}

type recSession struct {
	rec  *recorder
	conn *smtp.Conn
	cur  record
}

func (s *recSession) Mail(from string, p smtp.MailParams) error {
	_, tls := s.conn.ConnectionState()
	s.cur = record{Hello: s.conn.Hostname(), TLS: tls, Ident: s.conn.AuthIdentity(),
		From: from, Body: p.Body, UTF8: p.SMTPUTF8, Ret: p.Ret, EnvID: p.EnvID, Auth: p.Auth}
	return nil
}

func (s *recSession) Rcpt(to string, p smtp.RcptParams) error {
	if to == refusedRcpt {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	s.cur.To = append(s.cur.To, to)
	s.cur.Rcpt = append(s.cur.Rcpt, rcptRecord{Notify: p.Notify, ORCPT: p.ORCPT})
	return nil
}

func (s *recSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.rec.mu.Lock()
	s.rec.msgs = append(s.rec.msgs, s.cur)
	s.rec.mu.Unlock()
	return nil
}

// LMTPData reads the message like Data and fails fullRcpt with 452.
func (s *recSession) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	if err := s.Data(r); err != nil {
		return err
	}
	for _, to := range s.cur.To {
		if to == fullRcpt {
			status.SetStatus(to, &smtp.Error{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"})
		}
	}
	return nil
}

func (s *recSession) Reset()        { s.cur = record{} }
func (s *recSession) Logout() error { return nil }

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ourServer is our smtp.Server on a loopback port with STARTTLS and AUTH
// PLAIN and LOGIN.
type ourServer struct {
	addr string // 127.0.0.1:port
	host string
	port string
	rec  *recorder
	cert *peertest.Cert
}

// startOurServer starts our smtp.Server with a recorder on 127.0.0.1:0;
// it stops with the test. The server's log is shown if the test fails.
// Each of opts may change the server before it starts.
func startOurServer(t *testing.T, cert *peertest.Cert, opts ...func(*smtp.Server)) *ourServer {
	t.Helper()
	return startOurServerOn(t, cert, false, opts...)
}

// startOurServerOn is startOurServer, with implicit TLS (RFC 8314 3.3) on
// the listener when implicitTLS is set.
func startOurServerOn(t *testing.T, cert *peertest.Cert, implicitTLS bool, opts ...func(*smtp.Server)) *ourServer {
	t.Helper()
	rec := &recorder{}
	logs := &lockedBuffer{}
	srv := &smtp.Server{
		Hostname:        "mx.localhost",
		Handler:         rec,
		TLSConfig:       cert.Server,
		MaxMessageBytes: 4 << 20,
		ReadTimeout:     caseTimeout,
		WriteTimeout:    caseTimeout,
		DataTimeout:     caseTimeout,
		AuthDelay:       -1,
		Logger:          slog.New(slog.NewTextHandler(logs, nil)),
		Auth: map[string]sasl.ServerFactory{
			sasl.Plain: func() sasl.Server { return sasl.NewPlainServer(rec.authenticator(sasl.Plain)) },
			sasl.Login: func() sasl.Server { return sasl.NewLoginServer(rec.authenticator(sasl.Login)) },
		},
	}
	for _, o := range opts {
		o(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if implicitTLS {
		ln = tls.NewListener(ln, cert.Server)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() && logs.String() != "" {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	return &ourServer{addr: ln.Addr().String(), host: host, port: port, rec: rec, cert: cert}
}

// Messages the cases send.
var (
	// msgDots has lines that only dot-stuffing keeps: a lone ".", which
	// unstuffed would end the data, and lines beginning with dots.
	msgDots = []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: interop\r\n\r\n" +
		"Hello.\r\n.leading dot\r\n.\r\n..\r\n. \r\n...three\r\nlast line\r\n")
	// msg8bit is UTF-8 in header and body (BODY=8BITMIME).
	msg8bit = []byte("From: jöran@bücher.example\r\nTo: 用户@例子.example\r\nSubject: Grüße\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Grüße aus Köln — ünïcödé, 你好.\r\n.ça commence par un point\r\n")
	msgBig = bigMessage(1 << 20)
)

// Non-ASCII addresses for SMTPUTF8 (RFC 6531).
const (
	utf8From = "jöran@bücher.example"
	utf8To   = "用户@例子.example"
)

// bigMessage returns a message of exactly n bytes (n well over 1 KiB) of
// CRLF-terminated lines of varying length, with dot-stuffing-sensitive
// lines scattered through it.
func bigMessage(n int) []byte {
	var b bytes.Buffer
	b.Grow(n)
	b.WriteString("From: a@example.org\r\nTo: b@example.org\r\nSubject: one mebibyte\r\n\r\n")
	special := []string{".", "..", ".leading dot", ". ", "..."}
	for i := 0; b.Len() < n-200; i++ {
		if i%37 == 0 {
			b.WriteString(special[(i/37)%len(special)])
			b.WriteString("\r\n")
			continue
		}
		fmt.Fprintf(&b, "%06d ", i)
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), i%70))
		b.WriteString("\r\n")
	}
	for b.Len() < n-2 {
		b.WriteByte('z')
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// dialCase connects to srv, over TLS at once for an implicit-TLS case.
func dialCase(ctx context.Context, srv *ourServer, c sendCase) (net.Conn, error) {
	if c.implicitTLS {
		d := tls.Dialer{Config: srv.cert.Client(srv.host)}
		return d.DialContext(ctx, "tcp", srv.addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", srv.addr)
}
