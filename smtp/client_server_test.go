package smtp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

// TestClientAgainstServer drives our server with our client over loopback:
// STARTTLS, AUTH PLAIN, a pipelined Send with one refused recipient, a
// second Send on the same connection, and a dot-stuffed body.
func TestClientAgainstServer(t *testing.T) {
	b := &testBackend{rejectTo: map[string]error{"nobody@y.test": &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "no such user"}}}
	srvTLS, cliTLS := selfSigned(t, "mx.test")
	srv := &Server{Handler: b, TLSConfig: srvTLS, AuthDelay: -1,
		Auth: map[string]sasl.ServerFactory{sasl.Plain: func() sasl.Server {
			return sasl.NewPlainServer(func(ctx context.Context, identity, user, pass string) (string, error) {
				if user == "user" && pass == "pass" {
					return user, nil
				}
				return "", sasl.ErrAuthFailed
			})
		}}}
	addr := startTestServer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := Dial(ctx, addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello(ctx, "client.test"))
	ok, _ := c.Extension("PIPELINING")
	assert.True(t, ok)
	require.NoError(t, c.StartTLS(ctx, cliTLS)) // the certificate is verified
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient("", "user", "pass")))

	body := "Subject: hi\r\n\r\n.leading dot\r\nbare LF\nend\r\n"
	results, err := c.Send(ctx, "a@x.test", []string{"b@y.test", "nobody@y.test", "c@y.test"}, strings.NewReader(body), nil)
	require.NoError(t, err)
	require.Len(t, results, 3)
	assert.NoError(t, results[0])
	var se *Error
	require.ErrorAs(t, results[1], &se)
	assert.Equal(t, 550, se.Code)
	assert.NoError(t, results[2])

	_, err = c.Send(ctx, "a@x.test", []string{"d@y.test"}, strings.NewReader("second\r\n"), nil)
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))

	msgs := b.messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, []string{"b@y.test", "c@y.test"}, msgs[0].To)
	assert.Equal(t, "Subject: hi\r\n\r\n.leading dot\r\nbare LF\r\nend\r\n", msgs[0].Data)
	assert.Equal(t, "user", msgs[0].Ident)
	assert.Equal(t, "second\r\n", msgs[1].Data)
}
