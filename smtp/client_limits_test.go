package smtp

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

// Send keeps to the server's LIMITS RCPTMAX (RFC 9422): more recipients
// go in further transactions when the message can be read again, and
// get a temporary error when it cannot.
func TestClientSendRCPTMAX(t *testing.T) {
	to := []string{"r1@y.test", "r2@y.test", "r3@y.test", "r4@y.test", "r5@y.test"}
	const body = "Subject: x\r\n\r\nhello\r\n"
	tests := []struct {
		name     string
		msg      func() io.Reader
		sentTo   [][]string
		deferred int // recipients not sent, with a temporary error
	}{
		{"seekable", func() io.Reader { return strings.NewReader(body) },
			[][]string{{"r1@y.test", "r2@y.test"}, {"r3@y.test", "r4@y.test"}, {"r5@y.test"}}, 0},
		{"not seekable", func() io.Reader { return io.MultiReader(strings.NewReader(body)) },
			[][]string{{"r1@y.test", "r2@y.test"}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &testBackend{}
			addr := startTestServer(t, &Server{Handler: b, MaxRecipients: 2})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, addr)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Hello(ctx, "client.test"))
			assert.Equal(t, 2, c.MaxRecipients())

			per, err := c.Send(ctx, "a@x.test", to, tt.msg(), nil)
			require.NoError(t, err)
			require.Len(t, per, len(to))
			for i, e := range per {
				if i < len(to)-tt.deferred {
					assert.NoError(t, e, to[i])
					continue
				}
				var se *Error
				require.ErrorAs(t, e, &se, to[i])
				assert.True(t, se.Temporary())
				assert.Equal(t, EnhancedCode{4, 5, 3}, se.EnhancedCode)
			}
			msgs := b.messages()
			require.Len(t, msgs, len(tt.sentTo))
			for i, m := range msgs {
				assert.Equal(t, tt.sentTo[i], m.To)
				assert.Equal(t, body, m.Data)
			}
			require.NoError(t, c.Quit(ctx))
		})
	}
}

func TestClientAuthMechanismOffered(t *testing.T) {
	conn, errc := fakeServer(t, `S: 220 mx
C: EHLO localhost
S: 250-mx
S: 250 AUTH=LOGIN PLAIN
C: AUTH PLAIN AHUAcA==
S: 235 2.7.0 ok`, nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	ctx := testCtx(t)
	require.NoError(t, c.Hello(ctx, "localhost"))
	assert.Equal(t, []string{"LOGIN", "PLAIN"}, c.AuthMechanisms(), "the pre-standard AUTH= form")
	err = c.Auth(ctx, sasl.NewCRAMMD5Client("u", "p"))
	assert.ErrorContains(t, err, "does not offer AUTH CRAM-MD5")
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient("", "u", "p")))
	c.Close()
	wait(t, errc)
}

func TestClientSendRcptOptions(t *testing.T) {
	conn, errc := fakeServer(t, `S: 220 mx
C: EHLO localhost
S: 250-mx
S: 250-PIPELINING
S: 250 DSN
C: MAIL FROM:<a@x> RET=HDRS
C: RCPT TO:<b@y> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b+2Bold@y
C: RCPT TO:<c@y>
C: DATA
S: 250 ok
S: 250 ok
S: 250 ok
S: 354 go
C: hi
C: .
S: 250 ok`, nil)
	c, err := NewClient(conn, "localhost")
	require.NoError(t, err)
	ctx := testCtx(t)
	per, err := c.Send(ctx, "a@x", []string{"b@y", "c@y"}, strings.NewReader("hi\r\n"), &MailOptions{
		Return: "HDRS",
		Rcpt:   []*RcptOptions{{Notify: []string{"FAILURE", "DELAY"}, OriginalRecipient: "b+old@y"}},
	})
	require.NoError(t, err)
	assert.Equal(t, []error{nil, nil}, per)
	c.Close()
	wait(t, errc)
}
