package smtpinterop

import (
	"bytes"
	"context"
	"net"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/postkit/postkit/smtp"
)

// smallLimit is the message size limit of the oversize cases; msgBig is
// sixteen times larger.
const smallLimit = 64 << 10

// TestGoSMTPClientOversizeToOurServer sends a message over our server's
// limit without SIZE: the server reads it to the end, answers 552
// (RFC 5321 4.5.3.1.10) and the connection carries on.
func TestGoSMTPClientOversizeToOurServer(t *testing.T) {
	srv := startOurServer(t, peertest.NewCert(t), func(s *smtp.Server) { s.MaxMessageBytes = smallLimit })
	ctx := testCtx(t)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.addr)
	require.NoError(t, err)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	cl := gosmtp.NewClient(conn)
	defer cl.Close()
	cl.CommandTimeout = caseTimeout
	cl.SubmissionTimeout = caseTimeout
	require.NoError(t, cl.Hello("client.example"))
	send := func(msg []byte) error {
		require.NoError(t, cl.Mail("a@example.org", nil))
		require.NoError(t, cl.Rcpt("b@example.org", nil))
		w, err := cl.Data()
		require.NoError(t, err)
		_, err = w.Write(msg)
		require.NoError(t, err)
		return w.Close()
	}
	assertCode(t, send(msgBig), 552)
	require.NoError(t, send(msgDots))
	require.NoError(t, cl.Quit())
	msgs := srv.rec.messages()
	require.Len(t, msgs, 1)
	assert.True(t, bytes.Equal(msgDots, msgs[0].Data), "message bytes differ")
}

// TestOurClientOversizeToGoSMTPServer sends over go-smtp's limit with our
// client by DATA without SIZE: the refusal comes back as *smtp.Error 552
// and the next message on the connection goes through. (Not by BDAT:
// go-smtp v0.26.0's handleBdat leaves its reading goroutine running after
// an early refusal, and -race reports it racing with the next command.)
func TestOurClientOversizeToGoSMTPServer(t *testing.T) {
	addr, be := startGoSMTPServer(t, peertest.NewCert(t), false, func(s *gosmtp.Server) { s.MaxMessageBytes = smallLimit })
	ctx := testCtx(t)
	c, err := smtp.Dial(ctx, addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello(ctx, "client.example"))
	assert.EqualValues(t, smallLimit, c.MaxMessageSize())
	_, err = c.Send(ctx, "a@example.org", []string{"b@example.org"}, bytes.NewReader(msgBig), nil)
	assertCode(t, err, 552)
	_, err = c.Send(ctx, "a@example.org", []string{"b@example.org"}, bytes.NewReader(msgDots), nil)
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	msgs := be.messages()
	require.Len(t, msgs, 1)
	assert.True(t, bytes.Equal(msgDots, msgs[0].Data), "message bytes differ")
}
