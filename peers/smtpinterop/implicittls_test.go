package smtpinterop

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/postkit/postkit/sasl"
	"github.com/postkit/postkit/smtp"
)

// TestImplicitTLSToOurServer sends over implicit TLS (RFC 8314 3.3, the
// submissions port) to our server with go-smtp, net/smtp and smtplib's
// SMTP_SSL, with AUTH PLAIN.
func TestImplicitTLSToOurServer(t *testing.T) {
	cert := peertest.NewCert(t)
	c := sendCase{implicitTLS: true, auth: "PLAIN", from: "a@example.org",
		to: []string{"b@example.org", refusedRcpt}, msg: msgDots}
	drivers := map[string]driver{"go-smtp": driveGoSMTP, "net-smtp": driveNetSMTP, "smtplib": nil}
	for name, drive := range drivers {
		t.Run(name, func(t *testing.T) {
			if drive == nil {
				python := peertest.Need(t, "python3")
				script := filepath.Join(t.TempDir(), "smtplib_client.py")
				require.NoError(t, os.WriteFile(script, smtplibScript, 0o600))
				drive = func(t *testing.T, ctx context.Context, srv *ourServer, c sendCase) (sendResult, error) {
					return driveSmtplib(t, ctx, python, script, srv, c)
				}
			}
			srv := startOurServerOn(t, cert, true)
			res, err := drive(t, testCtx(t), srv, c)
			require.NoError(t, err)
			assert.Equal(t, map[string]int{refusedRcpt: 550}, res.refused)
			msgs := srv.rec.messages()
			require.Len(t, msgs, 1)
			assert.True(t, msgs[0].TLS)
			assert.Equal(t, testUser, msgs[0].Ident)
			assert.Equal(t, []string{"b@example.org"}, msgs[0].To)
			assert.True(t, bytes.Equal(msgDots, msgs[0].Data), "message bytes differ")
		})
	}
}

// TestOurClientImplicitTLSToGoSMTPServer sends with our DialTLS to a
// go-smtp server behind a TLS listener.
func TestOurClientImplicitTLSToGoSMTPServer(t *testing.T) {
	cert := peertest.NewCert(t)
	be := &gsBackend{}
	s := gosmtp.NewServer(be)
	s.Domain = "gosmtp.localhost"
	s.ReadTimeout, s.WriteTimeout = caseTimeout, caseTimeout
	s.ErrorLog = discardLogger{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	// go-smtp sees a *tls.Conn and offers AUTH without AllowInsecureAuth.
	s.TLSConfig = cert.Server
	done := make(chan error, 1)
	go func() { done <- s.Serve(tls.NewListener(ln, cert.Server)) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	})

	ctx := testCtx(t)
	c, err := smtp.DialTLS(ctx, ln.Addr().String(), cert.Client(""))
	require.NoError(t, err)
	defer c.Close()
	require.True(t, c.TLS())
	require.NoError(t, c.Hello(ctx, "client.example"))
	ok, _ := c.Extension("STARTTLS")
	assert.False(t, ok, "no STARTTLS offered over TLS")
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient("", testUser, testPass)))
	_, err = c.Send(ctx, "a@example.org", []string{"b@example.org"}, bytes.NewReader(msgBig), nil)
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	msgs := be.messages()
	require.Len(t, msgs, 1)
	assert.True(t, msgs[0].TLS)
	assert.Equal(t, testUser, msgs[0].Ident)
	assert.True(t, bytes.Equal(msgBig, msgs[0].Data), "message bytes differ")
}

// discardLogger is a go-smtp Logger that drops everything.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
