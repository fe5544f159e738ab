package smtpinterop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	gosasl "github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/postkit/postkit/sasl"
	"github.com/postkit/postkit/smtp"
)

// gsRecord is one message as the go-smtp backend received it.
type gsRecord struct {
	Hello string
	TLS   bool
	Ident string
	From  string
	Opts  gosmtp.MailOptions
	To    []string
	Rcpt  []gosmtp.RcptOptions
	Data  []byte
}

// gsBackend is a go-smtp backend that records messages, refuses
// refusedRcpt with 550 and offers AUTH PLAIN and LOGIN.
type gsBackend struct {
	mu   sync.Mutex
	msgs []gsRecord
}

func (b *gsBackend) messages() []gsRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]gsRecord(nil), b.msgs...)
}

func (b *gsBackend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &gsSession{b: b, conn: c}, nil
}

type gsSession struct {
	b     *gsBackend
	conn  *gosmtp.Conn
	ident string
	cur   gsRecord
}

func (s *gsSession) AuthMechanisms() []string { return []string{gosasl.Plain, gosasl.Login} }

func (s *gsSession) Auth(mech string) (gosasl.Server, error) {
	check := func(user, pass string) error {
		if user != testUser || pass != testPass {
			return gosmtp.ErrAuthFailed
		}
		s.ident = user
		return nil
	}
	switch mech {
	case gosasl.Plain:
		return gosasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return gosmtp.ErrAuthFailed
			}
			return check(user, pass)
		}), nil
	case gosasl.Login:
		return &gsLoginServer{check: check}, nil
	}
	return nil, gosmtp.ErrAuthUnknownMechanism
}

func (s *gsSession) Mail(from string, opts *gosmtp.MailOptions) error {
	_, tls := s.conn.TLSConnectionState()
	s.cur = gsRecord{Hello: s.conn.Hostname(), TLS: tls, Ident: s.ident, From: from}
	if opts != nil {
		s.cur.Opts = *opts
	}
	return nil
}

func (s *gsSession) Rcpt(to string, opts *gosmtp.RcptOptions) error {
	if to == refusedRcpt {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	s.cur.To = append(s.cur.To, to)
	var o gosmtp.RcptOptions
	if opts != nil {
		o = *opts
	}
	s.cur.Rcpt = append(s.cur.Rcpt, o)
	return nil
}

func (s *gsSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

// LMTPData reads the message like Data and fails fullRcpt with 452.
func (s *gsSession) LMTPData(r io.Reader, status gosmtp.StatusCollector) error {
	if err := s.Data(r); err != nil {
		return err
	}
	for _, to := range s.cur.To {
		var err error
		if to == fullRcpt {
			err = &gosmtp.SMTPError{Code: 452, EnhancedCode: gosmtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}
		}
		status.SetStatus(to, err)
	}
	return nil
}

func (s *gsSession) Reset()        { s.cur = gsRecord{} }
func (s *gsSession) Logout() error { return nil }

// gsLoginServer is LOGIN for go-sasl, which has only the client side: it
// asks "Username:" (unless the initial response is the username), then
// "Password:".
type gsLoginServer struct {
	check func(user, pass string) error
	user  *string
}

func (l *gsLoginServer) Next(response []byte) ([]byte, bool, error) {
	switch {
	case l.user == nil && response == nil:
		l.user = new(string)
		return []byte("Username:"), false, nil
	case l.user == nil || *l.user == "":
		u := string(response)
		if u == "" {
			return nil, true, gosasl.ErrUnexpectedClientResponse
		}
		l.user = &u
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(*l.user, string(response))
}

// startGoSMTPServer starts a go-smtp server with STARTTLS (our test
// certificate), SMTPUTF8, BINARYMIME, DSN and CHUNKING on 127.0.0.1:0.
func startGoSMTPServer(t *testing.T, cert *peertest.Cert, insecureAuth bool, opts ...func(*gosmtp.Server)) (string, *gsBackend) {
	t.Helper()
	be := &gsBackend{}
	logs := &lockedBuffer{}
	s := gosmtp.NewServer(be)
	s.Domain = "gosmtp.localhost"
	s.TLSConfig = cert.Server
	s.EnableSMTPUTF8 = true
	s.EnableBINARYMIME = true
	s.EnableDSN = true
	s.MaxMessageBytes = 4 << 20
	s.AllowInsecureAuth = insecureAuth
	s.ReadTimeout = caseTimeout
	s.WriteTimeout = caseTimeout
	s.ErrorLog = log.New(logs, "go-smtp ", 0)
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			s.Close()
			t.Errorf("go-smtp Shutdown: %v", err)
		}
		<-done
		if t.Failed() && logs.String() != "" {
			t.Logf("go-smtp log:\n%s", logs.String())
		}
	})
	return ln.Addr().String(), be
}

// TestOurClientToGoSMTPServer drives emersion/go-smtp's server with our
// client: Hello, StartTLS (verifying the certificate), Auth with our
// PLAIN and LOGIN clients, pipelined Send with a refused recipient,
// 1 MiB by DATA and by BDAT (CHUNKING), BINARYMIME, 8BITMIME, SMTPUTF8,
// DSN parameters and several messages on one connection.
func TestOurClientToGoSMTPServer(t *testing.T) {
	cert := peertest.NewCert(t)
	binary := []byte("Content-Type: application/octet-stream\r\n\r\n\x00\x01bare LF\nbare CR\r.\r\n\xff\xfe\r\n")
	one := []string{"b@example.org"}
	var manyRcpts []string
	for i := range 250 {
		manyRcpts = append(manyRcpts, fmt.Sprintf("r%03d@example.org", i))
	}
	send := func(from string, to []string, msg []byte, opts *smtp.MailOptions) func(context.Context, *smtp.Client) ([]error, error) {
		return func(ctx context.Context, c *smtp.Client) ([]error, error) {
			return c.Send(ctx, from, to, bytes.NewReader(msg), opts)
		}
	}
	tests := []struct {
		name         string
		insecureAuth bool
		startTLS     bool
		auth         sasl.Client
		authCode     int // expected AUTH refusal
		run          func(context.Context, *smtp.Client) ([]error, error)
		wantErr      error // from run
		refused      []int // indexes of the recipients refused with 550
		want         []gsRecord
	}{
		{name: "plain", run: send("a@example.org", one, msgDots, nil),
			want: []gsRecord{{From: "a@example.org", To: one, Data: msgDots}}},
		{name: "starttls", startTLS: true, run: send("a@example.org", one, msgDots, nil),
			want: []gsRecord{{TLS: true, From: "a@example.org", To: one, Data: msgDots}}},
		{name: "starttls_auth_plain", startTLS: true, auth: sasl.NewPlainClient("", testUser, testPass),
			run:  send("a@example.org", one, msgDots, nil),
			want: []gsRecord{{TLS: true, Ident: testUser, From: "a@example.org", To: one, Data: msgDots}}},
		{name: "starttls_auth_login", startTLS: true, auth: sasl.NewLoginClient(testUser, testPass),
			run:  send("a@example.org", one, msgDots, nil),
			want: []gsRecord{{TLS: true, Ident: testUser, From: "a@example.org", To: one, Data: msgDots}}},
		// Without TLS go-smtp offers AUTH only with AllowInsecureAuth;
		// our client sends PLAIN in the clear only to loopback.
		{name: "auth_plain_insecure_loopback", insecureAuth: true, auth: sasl.NewPlainClient("", testUser, testPass),
			run:  send("a@example.org", one, msgDots, nil),
			want: []gsRecord{{Ident: testUser, From: "a@example.org", To: one, Data: msgDots}}},
		{name: "auth_wrong_password", startTLS: true, auth: sasl.NewPlainClient("", testUser, "wrong"), authCode: 535},
		{name: "recipients_one_refused", run: send("a@example.org",
			[]string{"b@example.org", refusedRcpt, "c@example.org"}, msgDots, nil),
			refused: []int{1},
			want:    []gsRecord{{From: "a@example.org", To: []string{"b@example.org", "c@example.org"}, Data: msgDots}}},
		{name: "all_recipients_refused", run: send("a@example.org", []string{refusedRcpt}, msgDots, nil),
			wantErr: smtp.ErrNoRecipients, refused: []int{0}},
		{name: "1MiB_data", startTLS: true, run: send("a@example.org", one, msgBig, &smtp.MailOptions{Size: int64(len(msgBig))}),
			want: []gsRecord{{TLS: true, From: "a@example.org", Opts: gosmtp.MailOptions{Size: int64(len(msgBig))}, To: one, Data: msgBig}}},
		{name: "1MiB_bdat", run: func(ctx context.Context, c *smtp.Client) ([]error, error) {
			if ok, _ := c.Extension("CHUNKING"); !ok {
				return nil, errors.New("go-smtp does not offer CHUNKING")
			}
			if err := c.Mail(ctx, "a@example.org", nil); err != nil {
				return nil, err
			}
			if err := c.Rcpt(ctx, "b@example.org", nil); err != nil {
				return nil, err
			}
			return nil, c.Bdat(ctx, bytes.NewReader(msgBig), 100_000)
		}, want: []gsRecord{{From: "a@example.org", To: one, Data: msgBig}}},
		{name: "binarymime", run: send("a@example.org", one, binary, &smtp.MailOptions{Body: "BINARYMIME"}),
			want: []gsRecord{{From: "a@example.org", Opts: gosmtp.MailOptions{Body: gosmtp.BodyBinaryMIME}, To: one, Data: binary}}},
		{name: "8bitmime", run: send("a@example.org", one, msg8bit, &smtp.MailOptions{Body: "8BITMIME"}),
			want: []gsRecord{{From: "a@example.org", Opts: gosmtp.MailOptions{Body: gosmtp.Body8BitMIME}, To: one, Data: msg8bit}}},
		{name: "smtputf8", run: send(utf8From, []string{utf8To}, msg8bit, &smtp.MailOptions{UTF8: true, Body: "8BITMIME"}),
			want: []gsRecord{{From: utf8From, Opts: gosmtp.MailOptions{UTF8: true, Body: gosmtp.Body8BitMIME}, To: []string{utf8To}, Data: msg8bit}}},
		{name: "dsn", run: func(ctx context.Context, c *smtp.Client) ([]error, error) {
			if err := c.Mail(ctx, "a@example.org", &smtp.MailOptions{Return: "HDRS", EnvelopeID: "id+1=x"}); err != nil {
				return nil, err
			}
			if err := c.Rcpt(ctx, "b@example.org", &smtp.RcptOptions{Notify: []string{"FAILURE", "DELAY"},
				OriginalRecipient: "orig+b@example.org"}); err != nil {
				return nil, err
			}
			w, err := c.Data(ctx)
			if err != nil {
				return nil, err
			}
			if _, err := w.Write(msgDots); err != nil {
				return nil, err
			}
			return nil, w.Close()
		}, want: []gsRecord{{From: "a@example.org", Opts: gosmtp.MailOptions{Return: gosmtp.DSNReturnHeaders, EnvelopeID: "id+1=x"},
			To: one, Data: msgDots, Rcpt: []gosmtp.RcptOptions{{
				Notify:                []gosmtp.DSNNotify{gosmtp.DSNNotifyFailure, gosmtp.DSNNotifyDelayed},
				OriginalRecipientType: gosmtp.DSNAddressTypeRFC822, OriginalRecipient: "orig+b@example.org"}}}}},
		{name: "three_messages_one_connection", startTLS: true, run: func(ctx context.Context, c *smtp.Client) ([]error, error) {
			for i, m := range [][]byte{msgDots, msg8bit, msgDots} {
				if _, err := c.Send(ctx, "a@example.org", []string{"b@example.org"}, bytes.NewReader(m), nil); err != nil {
					return nil, err
				}
				if i == 0 {
					// A transaction left open by hand: Send resets it.
					if err := c.Mail(ctx, "x@example.org", nil); err != nil {
						return nil, err
					}
				}
			}
			return nil, nil
		}, want: []gsRecord{
			{TLS: true, From: "a@example.org", To: one, Data: msgDots},
			{TLS: true, From: "a@example.org", To: one, Data: msg8bit},
			{TLS: true, From: "a@example.org", To: one, Data: msgDots},
		}},
		{name: "null_sender", run: send("", one, msgDots, nil),
			want: []gsRecord{{From: "", To: one, Data: msgDots}}},
		// More commands than Send pipelines in one write (maxPipelined).
		{name: "250_recipients", run: send("a@example.org", manyRcpts, msgDots, nil),
			want: []gsRecord{{From: "a@example.org", To: manyRcpts, Data: msgDots}}},
		// RFC 5321 2.3.8: our client sends bare LF as CRLF.
		{name: "bare_lf_sent_as_crlf", run: send("a@example.org", one, bytes.ReplaceAll(msgDots, []byte("\r\n"), []byte("\n")), nil),
			want: []gsRecord{{From: "a@example.org", To: one, Data: msgDots}}},
		// RFC 1870 6.3: a message larger than the server's SIZE is not sent.
		{name: "size_over_limit", run: send("a@example.org", one, msgDots, &smtp.MailOptions{Size: 5 << 20}),
			wantErr: errors.New("exceeds the server's SIZE")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, be := startGoSMTPServer(t, cert, tc.insecureAuth)
			ctx := testCtx(t)
			c, err := smtp.Dial(ctx, addr)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Hello(ctx, "client.example"))
			if tc.startTLS {
				// ServerName comes from the address given to Dial.
				require.NoError(t, c.StartTLS(ctx, cert.Client("")))
				require.True(t, c.TLS())
			}
			if tc.auth != nil {
				assert.Contains(t, c.AuthMechanisms(), "PLAIN")
				err := c.Auth(ctx, tc.auth)
				if tc.authCode != 0 {
					var se *smtp.Error
					require.ErrorAs(t, err, &se)
					assert.Equal(t, tc.authCode, se.Code)
					require.NoError(t, c.Quit(ctx))
					assert.Empty(t, be.messages())
					return
				}
				require.NoError(t, err)
			}
			per, err := tc.run(ctx, c)
			switch {
			case tc.wantErr == nil:
				require.NoError(t, err)
			case errors.Is(tc.wantErr, smtp.ErrNoRecipients):
				require.ErrorIs(t, err, smtp.ErrNoRecipients)
			default:
				require.ErrorContains(t, err, tc.wantErr.Error())
			}
			for i, e := range per {
				if slices.Contains(tc.refused, i) {
					var se *smtp.Error
					if assert.ErrorAs(t, e, &se, "recipient %d", i) {
						assert.Equal(t, 550, se.Code)
						assert.Equal(t, smtp.EnhancedCode{5, 1, 1}, se.EnhancedCode)
					}
				} else {
					assert.NoError(t, e, "recipient %d", i)
				}
			}
			require.NoError(t, c.Quit(ctx))

			got := be.messages()
			require.Len(t, got, len(tc.want))
			for i, w := range tc.want {
				g := got[i]
				assert.Equal(t, "client.example", g.Hello, "EHLO name, after STARTTLS too")
				assert.Equal(t, w.TLS, g.TLS, "TLS")
				assert.Equal(t, w.Ident, g.Ident, "identity")
				assert.Equal(t, w.From, g.From)
				assert.Equal(t, w.To, g.To)
				assert.Equal(t, w.Opts, g.Opts, "MAIL parameters")
				if w.Rcpt != nil {
					assert.Equal(t, w.Rcpt, g.Rcpt, "RCPT parameters")
				}
				require.Equal(t, len(w.Data), len(g.Data), "message length")
				assert.True(t, bytes.Equal(w.Data, g.Data), "message bytes differ")
			}
		})
	}
}
