package smtpinterop

import (
	"context"
	"errors"
	"net"
	"testing"

	gosasl "github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// TestGoSMTPClientToOurServer drives our server with emersion/go-smtp's
// client: plain, STARTTLS, AUTH PLAIN and LOGIN (go-sasl), a 1 MiB
// message, 8BITMIME, SMTPUTF8 and a refused recipient.
func TestGoSMTPClientToOurServer(t *testing.T) {
	runSendCases(t, driveGoSMTP, clientQuirks{
		// go-smtp's Mail adds BODY=8BITMIME whenever the server offers it.
		body: func(sendCase) string { return "8BITMIME" },
		utf8: func(c sendCase) bool { return c.utf8 },
	}, map[string]string{
		"auth_plain_no_ir": bugEmptyChallenge,
	})
}

func driveGoSMTP(t *testing.T, ctx context.Context, srv *ourServer, c sendCase) (res sendResult, err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.addr)
	if err != nil {
		return res, err
	}
	// go-smtp takes no context: its CommandTimeout bounds each command,
	// and closing the connection ends the case.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var cl *gosmtp.Client
	if c.startTLS {
		cl, err = gosmtp.NewClientStartTLS(conn, srv.cert.client(srv.host))
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
