package smtpinterop

import (
	"context"
	"errors"
	"net/smtp"
	"net/textproto"
	"testing"
)

// TestNetSMTPClientToOurServer drives our server with the standard
// library's net/smtp client. net/smtp has PLAIN only (PlainAuth, which
// sends the password over TLS or to localhost); LOGIN is loginAuth below.
// Its Mail adds BODY=8BITMIME and SMTPUTF8 whenever the server offers
// them, so every message arrives with both.
func TestNetSMTPClientToOurServer(t *testing.T) {
	runSendCases(t, driveNetSMTP, clientQuirks{
		body: func(sendCase) string { return "8BITMIME" },
		utf8: func(sendCase) bool { return true },
	})
}

func driveNetSMTP(t *testing.T, ctx context.Context, srv *ourServer, c sendCase) (res sendResult, err error) {
	conn, err := dialCase(ctx, srv, c)
	if err != nil {
		return res, err
	}
	// net/smtp takes no context: the case's deadline goes on the
	// connection.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	cl, err := smtp.NewClient(conn, srv.host)
	if err != nil {
		conn.Close()
		return res, err
	}
	defer cl.Close()
	if err := cl.Hello("client.example"); err != nil {
		return res, err
	}
	if c.startTLS {
		if err := cl.StartTLS(srv.cert.Client(srv.host)); err != nil {
			return res, err
		}
	}
	if c.auth != "" {
		var a smtp.Auth
		if c.auth == "PLAIN" {
			a = smtp.PlainAuth("", testUser, c.password(), srv.host)
		} else {
			a = &loginAuth{user: testUser, pass: c.password(), ir: !c.noIR}
		}
		if c.noIR && c.auth == "PLAIN" {
			a = &deferIRNet{Auth: a}
		}
		if err := cl.Auth(a); err != nil {
			// net/smtp closes the connection after a failed AUTH.
			var te *textproto.Error
			if errors.As(err, &te) {
				res.authCode = te.Code
				return res, nil
			}
			return res, err
		}
	}
	if err := cl.Mail(c.from); err != nil {
		return res, err
	}
	for _, to := range c.to {
		if err := cl.Rcpt(to); err != nil {
			var te *textproto.Error
			if !errors.As(err, &te) {
				return res, err
			}
			if res.refused == nil {
				res.refused = map[string]int{}
			}
			res.refused[to] = te.Code
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

// loginAuth is LOGIN (draft-murchison-sasl-login) for net/smtp, which has
// none: the username answers "Username:" (or goes as the initial response
// when ir is set) and the password answers "Password:". Like PlainAuth it
// sends the password only over TLS or to the local machine.
type loginAuth struct {
	user, pass string
	ir         bool
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && server.Name != "localhost" && server.Name != "127.0.0.1" && server.Name != "::1" {
		return "", nil, errors.New("loginAuth: unencrypted connection")
	}
	if a.ir {
		return "LOGIN", []byte(a.user), nil
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch string(fromServer) {
	case "Username:":
		return []byte(a.user), nil
	case "Password:":
		return []byte(a.pass), nil
	}
	return nil, errors.New("loginAuth: unexpected challenge " + string(fromServer))
}

// deferIRNet sends a net/smtp Auth's initial response as the answer to the
// server's first (empty) challenge instead of with AUTH.
type deferIRNet struct {
	smtp.Auth
	ir      []byte
	pending bool
}

func (d *deferIRNet) Start(server *smtp.ServerInfo) (string, []byte, error) {
	mech, ir, err := d.Auth.Start(server)
	d.ir, d.pending = ir, ir != nil
	return mech, nil, err
}

func (d *deferIRNet) Next(fromServer []byte, more bool) ([]byte, error) {
	if d.pending && more {
		d.pending = false
		return d.ir, nil
	}
	return d.Auth.Next(fromServer, more)
}
