package imap

import (
	"bufio"
	"compress/flate"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deflateConn is the client end of a COMPRESS=DEFLATE stream (RFC 4978
// 3): raw DEFLATE both ways, each write sync-flushed.
type deflateConn struct {
	net.Conn
	fr io.Reader
	fw *flate.Writer
}

func (d *deflateConn) Read(p []byte) (int, error) { return d.fr.Read(p) }

func (d *deflateConn) Write(p []byte) (int, error) {
	n, err := d.fw.Write(p)
	if err == nil {
		err = d.fw.Flush()
	}
	return n, err
}

// compress sends COMPRESS DEFLATE and turns on DEFLATE on the client's
// side, with what the client wrote after the command (pipelined) sent
// compressed.
func (c *wireClient) compress(tag string, pipelined ...string) {
	c.t.Helper()
	c.send(tag + " COMPRESS DEFLATE\r\n")
	fw, err := flate.NewWriter(c.nc, flate.BestSpeed)
	require.NoError(c.t, err)
	dc := &deflateConn{Conn: c.nc, fw: fw}
	for _, p := range pipelined {
		_, err := dc.Write([]byte(p))
		require.NoError(c.t, err)
	}
	// RFC 4978 3: uncompressed up to and including the CRLF of the OK.
	assert.Equal(c.t, tag+" OK DEFLATE active", c.line())
	dc.fr = flate.NewReader(c.br)
	c.nc, c.br = dc, bufio.NewReader(dc)
}

func TestCompress(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "COMPRESS=DEFLATE")
	// RFC 4978 5: command-auth.
	assert.Equal(t, []string{"b BAD COMPRESS not valid in this state"}, c.cmd("b COMPRESS DEFLATE"))
	c.ok("L LOGIN alice secret")
	assert.Equal(t, []string{"c BAD Unknown compression mechanism"}, c.cmd("c COMPRESS LZW"))
	c.compress("d")
	c.ok("e SELECT INBOX")
	// RFC 4978 3: a second COMPRESS is refused.
	assert.Equal(t, []string{"f NO [COMPRESSIONACTIVE] DEFLATE active already"}, c.cmd("f compress deflate"))
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, []string{"* 1 EXISTS"}, c.ok("g0 NOOP"))
	r := c.ok("g FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	assert.Equal(t, []string{"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: hello\r\n\r\n)"}, r)
	// Pipelined commands are answered in one flushed batch.
	c.send("h NOOP\r\ni NOOP\r\nj NOOP\r\n")
	assert.Equal(t, []string{"h OK NOOP completed"}, c.until("h"))
	assert.Equal(t, []string{"i OK NOOP completed"}, c.until("i"))
	assert.Equal(t, []string{"j OK NOOP completed"}, c.until("j"))
	c.send("z LOGOUT\r\n")
	assert.Equal(t, []string{"* BYE Logging out", "z OK LOGOUT completed"}, c.until("z"))
}

// TestCompressPipelined: a client that sends commands right after
// COMPRESS, before the OK, sends them compressed (RFC 4978 3), and the
// server reads them from the DEFLATE stream.
func TestCompressPipelined(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.compress("a", "b NOOP\r\n")
	assert.Equal(t, []string{"b OK NOOP completed"}, c.until("b"))
	c.ok("c NOOP")
}

// TestCompressIdle: updates and the end of IDLE go out at once through
// the compressor, and a session in IDLE still says goodbye at shutdown.
func TestCompressIdle(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.compress("a")
	c.ok("b SELECT INBOX")
	for round := 1; round <= 2; round++ {
		c.send("i IDLE\r\n")
		assert.Equal(t, "+ idling", c.line())
		ts.deliver(t, "INBOX", testMsg)
		assert.Equal(t, fmt.Sprintf("* %d EXISTS", round), c.line())
		c.send("DONE\r\n")
		assert.Equal(t, []string{"i OK IDLE terminated"}, c.until("i"))
	}
	c.send("j IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ts.srv.Shutdown(ctx))
	assert.Equal(t, "* BYE [UNAVAILABLE] Server shutting down", c.line())
	c.expectClosed()
}

// TestCompressShutdownBye: a compressed session waiting for a command
// gets its BYE compressed.
func TestCompressShutdownBye(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.compress("a")
	c.ok("b NOOP")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ts.srv.Shutdown(ctx))
	assert.Equal(t, "* BYE [UNAVAILABLE] Server shutting down", c.line())
	c.expectClosed()
}

// TestCompressTLS: COMPRESS under STARTTLS and under implicit TLS, the
// login sequence of RFC 4978 3.
func TestCompressTLS(t *testing.T) {
	cfg, pool := selfSigned(t)
	ts := newTestServer(t, func(s *Server) { s.TLSConfig = cfg })
	clientCfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	t.Run("STARTTLS", func(t *testing.T) {
		c := ts.dial(t)
		c.send("a starttls\r\n")
		assert.Equal(t, "a OK Begin TLS negotiation now", c.line())
		tc := tls.Client(c.nc, clientCfg)
		require.NoError(t, tc.Handshake())
		c.nc, c.br = tc, bufio.NewReader(tc)
		r := c.cmd("b login alice secret")
		assert.Regexp(t, `^b OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .* COMPRESS=DEFLATE .*\] LOGIN completed$`, r[0])
		c.compress("c")
		c.ok("d SELECT INBOX")
		assert.Equal(t, []string{"e NO [COMPRESSIONACTIVE] DEFLATE active already"}, c.cmd("e compress deflate"))
	})
	t.Run("implicit", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go ts.srv.ServeTLS(l)
		tc, err := tls.Dial("tcp", l.Addr().String(), clientCfg)
		require.NoError(t, err)
		defer tc.Close()
		c := &wireClient{t: t, nc: tc, br: bufio.NewReader(tc)}
		c.line()
		c.ok("a LOGIN alice secret")
		c.compress("b")
		c.ok("c SELECT INBOX")
	})
}

// TestCompressClient: our Client's Compress against our server, with a
// FETCH of many messages and an IDLE through the compressed stream.
func TestCompressClient(t *testing.T) {
	ts := newTestServer(t)
	for range 50 {
		ts.deliver(t, "INBOX", testMsg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := Dial(ctx, ts.addr, nil)
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.Login(ctx, testUser, testPass))
	require.NoError(t, cl.Compress(ctx))
	_, err = cl.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	ms, err := cl.Fetch(ctx, SeqSetOf(1), []FetchItem{{Name: FetchEnvelope}}, nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, "hello", ms[0].Envelope.Subject)
	require.NoError(t, cl.Logout(ctx))
}
