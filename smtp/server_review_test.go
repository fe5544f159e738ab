package smtp

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

// LMTP: a refused BDAT chunk that is not the LAST gets one reply; a
// refused LAST chunk gets one per recipient (RFC 3030 2., RFC 2033 4.2).
func TestServerLMTPBDATTooLarge(t *testing.T) {
	tests := []struct {
		name  string
		send  string
		codes []int
	}{
		{"second chunk", "BDAT 60\r\n" + strings.Repeat("x", 60) + "BDAT 60\r\n" + strings.Repeat("y", 60), []int{250, 552}},
		{"LAST at once", "BDAT 200 LAST\r\n" + strings.Repeat("x", 200), []int{552, 552}},
		{"LAST after one", "BDAT 60\r\n" + strings.Repeat("x", 60) + "BDAT 60 LAST\r\n" + strings.Repeat("y", 60), []int{250, 552, 552}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startTestServer(t, &Server{Handler: &testBackend{lmtp: true}, LMTP: true, MaxMessageBytes: 100})
			c := dialWire(t, addr)
			c.expect(220)
			c.cmd("LHLO c.test", 250)
			c.cmd("MAIL FROM:<a@x.test>", 250)
			c.cmd("RCPT TO:<b@y.test>", 250)
			c.cmd("RCPT TO:<c@y.test>", 250)
			c.send(tt.send)
			for _, code := range tt.codes {
				c.expect(code)
			}
			c.cmd("NOOP", 250) // in sync
		})
	}
}

// RFC 3030 2.: chunks pipelined after a failed BDAT are discarded with
// 503 and do not count toward MaxErrors.
func TestServerBDATPipelinedAfterFailure(t *testing.T) {
	c := startBDAT(t, newStreamSession(), &Server{MaxMessageBytes: 100})
	c.send("BDAT 200\r\n" + strings.Repeat("x", 200) + strings.Repeat("BDAT 1\r\nx", 12) + "RSET\r\n")
	c.expect(552)
	for range 12 {
		c.expect(503)
	}
	c.expect(250)
	c.cmd("NOOP", 250)
}

// A client waiting between BDAT chunks is idle: Shutdown answers 421.
func TestServerShutdownBetweenChunks(t *testing.T) {
	srv := &Server{}
	c := startBDAT(t, newStreamSession(), srv)
	c.send("BDAT 3\r\nabc")
	c.expect(250)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	c.expect(421)
}

// XCLIENT without LOGIN does not hand the front end's own AUTH identity
// to the original client's session.
func TestServerXCLIENTDropsFrontEndAuth(t *testing.T) {
	b := &testBackend{}
	var mu sync.Mutex
	var idents []string
	srv := &Server{Handler: HandlerFunc(func(c *Conn) (Session, error) {
		mu.Lock()
		idents = append(idents, c.AuthIdentity())
		mu.Unlock()
		return b.NewSession(c)
	}), XCLIENT: func(net.Addr) bool { return true },
		Auth: map[string]sasl.ServerFactory{sasl.Plain: func() sasl.Server { return sasl.NewPlainServer(testPlainAuth) }}}
	c := dialWire(t, startTestServer(t, srv))
	c.expect(220)
	c.cmd("EHLO c.test", 250)
	c.cmd("AUTH PLAIN "+testB64("\x00user\x00pass"), 235)
	c.cmd("XCLIENT ADDR=192.0.2.7", 220)
	c.cmd("EHLO c.test", 250)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	c.cmd("BDAT 2 LAST\r\nhi", 250)
	mu.Lock()
	assert.Equal(t, []string{"", ""}, idents)
	mu.Unlock()
	require.Len(t, b.messages(), 1)
	assert.Equal(t, "", b.messages()[0].Ident)
}
