package smtpinterop

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/postkit/postkit/smtp"
)

// lmtpRcpts are the recipients of the LMTP cases: refusedRcpt is refused
// at RCPT, fullRcpt after the message (RFC 2033 4.2).
var lmtpRcpts = []string{"b@example.org", refusedRcpt, fullRcpt, "c@example.org"}

// TestOurLMTPClientToGoSMTPServer sends with our client in LMTP mode to
// go-smtp's LMTP server: one reply per accepted recipient after DATA.
func TestOurLMTPClientToGoSMTPServer(t *testing.T) {
	addr, be := startGoSMTPServer(t, peertest.NewCert(t), false, func(s *gosmtp.Server) { s.LMTP = true })
	ctx := testCtx(t)
	c, err := smtp.Dial(ctx, addr)
	require.NoError(t, err)
	defer c.Close()
	c.LMTP = true
	require.NoError(t, c.Hello(ctx, "client.example"))
	per, err := c.Send(ctx, "a@example.org", lmtpRcpts, bytes.NewReader(msgDots), nil)
	require.NoError(t, err)
	require.Len(t, per, 4)
	assert.NoError(t, per[0])
	assertCode(t, per[1], 550)
	assertCode(t, per[2], 452)
	assert.NoError(t, per[3])
	require.NoError(t, c.Quit(ctx))

	msgs := be.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "client.example", msgs[0].Hello)
	assert.Equal(t, []string{"b@example.org", fullRcpt, "c@example.org"}, msgs[0].To)
	assert.True(t, bytes.Equal(msgDots, msgs[0].Data), "message bytes differ")
}

// TestGoSMTPLMTPClientToOurServer sends with go-smtp's LMTP client to our
// server in LMTP mode.
func TestGoSMTPLMTPClientToOurServer(t *testing.T) {
	srv := startOurServer(t, peertest.NewCert(t), func(s *smtp.Server) { s.LMTP = true })
	ctx := testCtx(t)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.addr)
	require.NoError(t, err)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	cl := gosmtp.NewClientLMTP(conn)
	defer cl.Close()
	cl.CommandTimeout = caseTimeout
	require.NoError(t, cl.Hello("client.example"))
	require.NoError(t, cl.Mail("a@example.org", nil))
	for _, to := range lmtpRcpts {
		err := cl.Rcpt(to, nil)
		if to == refusedRcpt {
			assertCode(t, err, 550)
		} else {
			require.NoError(t, err)
		}
	}
	w, err := cl.Data()
	require.NoError(t, err)
	_, err = w.Write(msgDots)
	require.NoError(t, err)
	resp, err := w.CloseWithLMTPResponse()
	var lerr gosmtp.LMTPDataError
	require.ErrorAs(t, err, &lerr)
	require.Contains(t, lerr, fullRcpt)
	assert.Equal(t, 452, lerr[fullRcpt].Code)
	assert.Len(t, lerr, 1)
	assert.Contains(t, resp, "b@example.org")
	assert.Contains(t, resp, "c@example.org")
	require.NoError(t, cl.Quit())

	msgs := srv.rec.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "client.example", msgs[0].Hello)
	assert.Equal(t, []string{"b@example.org", fullRcpt, "c@example.org"}, msgs[0].To)
	assert.True(t, bytes.Equal(msgDots, msgs[0].Data), "message bytes differ")
}

// assertCode checks that err is an SMTP refusal with code, from our
// package or go-smtp.
func assertCode(t *testing.T, err error, code int) {
	t.Helper()
	var se *smtp.Error
	var ge *gosmtp.SMTPError
	switch {
	case errors.As(err, &se):
		assert.Equal(t, code, se.Code, "%v", err)
	case errors.As(err, &ge):
		assert.Equal(t, code, ge.Code, "%v", err)
	default:
		t.Errorf("want an SMTP error %d, got %v", code, err)
	}
}
