package smtpinterop

import (
	"context"
	"errors"
	"net"
	"testing"

	gosasl "github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGoSMTPClientToOurServer drives our server with emersion/go-smtp's
// client: plain, STARTTLS, AUTH PLAIN and LOGIN (go-sasl), a 1 MiB
// message, 8BITMIME, SMTPUTF8 and a refused recipient.
func TestGoSMTPClientToOurServer(t *testing.T) {
	runSendCases(t, driveGoSMTP, clientQuirks{
		// go-smtp's Mail adds BODY=8BITMIME whenever the server offers it.
		body: func(sendCase) string { return "8BITMIME" },
		utf8: func(c sendCase) bool { return c.utf8 },
	})
}

func driveGoSMTP(t *testing.T, ctx context.Context, srv *ourServer, c sendCase) (res sendResult, err error) {
	conn, err := dialCase(ctx, srv, c)
	if err != nil {
		return res, err
	}
	// go-smtp takes no context: its CommandTimeout bounds each command,
	// and closing the connection ends the case.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var cl *gosmtp.Client
	if c.startTLS {
		cl, err = gosmtp.NewClientStartTLS(conn, srv.cert.Client(srv.host))
		if err != nil {
			conn.Close()
			return res, err
		}
	} else {
		cl = gosmtp.NewClient(conn)
		if err := cl.Hello("client.example"); err != nil {
			cl.Close()
			return res, err
		}
	}
	cl.CommandTimeout = caseTimeout
	cl.SubmissionTimeout = caseTimeout
	defer cl.Close()

	if c.auth != "" {
		var a gosasl.Client
		if c.auth == "PLAIN" {
			a = gosasl.NewPlainClient("", testUser, c.password())
		} else {
			a = gosasl.NewLoginClient(testUser, c.password())
		}
		if c.noIR {
			a = &deferIR{Client: a}
		}
		if err := cl.Auth(a); err != nil {
			var se *gosmtp.SMTPError
			if errors.As(err, &se) {
				res.authCode = se.Code
				return res, cl.Quit()
			}
			return res, err
		}
	}

	if err := cl.Mail(c.from, &gosmtp.MailOptions{UTF8: c.utf8}); err != nil {
		return res, err
	}
	for _, to := range c.to {
		if err := cl.Rcpt(to, nil); err != nil {
			var se *gosmtp.SMTPError
			if !errors.As(err, &se) {
				return res, err
			}
			if res.refused == nil {
				res.refused = map[string]int{}
			}
			res.refused[to] = se.Code
		}
	}
	w, err := cl.Data()
	if err != nil {
		return res, err
	}
	if _, err := w.Write(c.msg); err != nil {
		return res, err
	}
	if err := w.Close(); err != nil {
		return res, err
	}
	return res, cl.Quit()
}

// deferIR makes a go-sasl client send its initial response as the answer
// to the server's first challenge instead of with AUTH (RFC 4954 4.), so
// the server's path without an initial response is exercised.
type deferIR struct {
	gosasl.Client
	ir      []byte
	pending bool
}

func (d *deferIR) Start() (string, []byte, error) {
	mech, ir, err := d.Client.Start()
	d.ir, d.pending = ir, ir != nil
	return mech, nil, err
}

func (d *deferIR) Next(challenge []byte) ([]byte, error) {
	if d.pending {
		d.pending = false
		return d.ir, nil
	}
	return d.Client.Next(challenge)
}

// TestGoSMTPClientDSNToOurServer sends go-smtp's DSN (RFC 3461) and AUTH=
// (RFC 4954 5.) parameters to our server: RET, ENVID, NOTIFY and ORCPT in
// its rfc822 and utf-8 (RFC 6533) forms. Our server offers SMTPUTF8, so
// go-smtp writes a non-ASCII utf-8 ORCPT as utf-8-addr-unitext.
func TestGoSMTPClientDSNToOurServer(t *testing.T) {
	cert := peertest.NewCert(t)
	auth := "a+b@example.org"
	tests := []struct {
		name      string
		from      string
		utf8      bool
		orcptType gosmtp.DSNAddressType
		orcpt     string
		wantORCPT string // as our server hands it to the session
	}{
		{name: "rfc822", from: "a@example.org", orcptType: gosmtp.DSNAddressTypeRFC822,
			orcpt: "orig+b@example.org", wantORCPT: "RFC822;orig+2Bb@example.org"},
		{name: "utf8_type_ascii", from: "a@example.org", orcptType: gosmtp.DSNAddressTypeUTF8,
			orcpt: "orig@example.org", wantORCPT: "UTF-8;orig@example.org"},
		{name: "utf8_type_unitext", from: utf8From, utf8: true, orcptType: gosmtp.DSNAddressTypeUTF8,
			orcpt: utf8To, wantORCPT: "UTF-8;" + utf8To},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startOurServer(t, cert)
			ctx := testCtx(t)
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", srv.addr)
			require.NoError(t, err)
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			defer stop()
			cl := gosmtp.NewClient(conn)
			defer cl.Close()
			cl.CommandTimeout = caseTimeout
			require.NoError(t, cl.Hello("client.example"))
			require.NoError(t, cl.Mail(tc.from, &gosmtp.MailOptions{UTF8: tc.utf8, Return: gosmtp.DSNReturnHeaders,
				EnvelopeID: "env+id=1", Auth: &auth}))
			require.NoError(t, cl.Rcpt("b@example.org", &gosmtp.RcptOptions{
				Notify:                []gosmtp.DSNNotify{gosmtp.DSNNotifySuccess, gosmtp.DSNNotifyFailure},
				OriginalRecipientType: tc.orcptType, OriginalRecipient: tc.orcpt}))
			w, err := cl.Data()
			require.NoError(t, err)
			_, err = w.Write(msgDots)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			require.NoError(t, cl.Quit())

			msgs := srv.rec.messages()
			require.Len(t, msgs, 1)
			m := msgs[0]
			assert.Equal(t, "HDRS", m.Ret)
			assert.Equal(t, "env+id=1", m.EnvID)
			assert.Equal(t, auth, m.Auth)
			assert.Equal(t, []rcptRecord{{Notify: "SUCCESS,FAILURE", ORCPT: tc.wantORCPT}}, m.Rcpt)
		})
	}
}
