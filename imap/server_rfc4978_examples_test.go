package imap

import (
	"bufio"
	"compress/flate"
	"crypto/tls"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRFC4978Example1 plays the first example of RFC 4978 3 as the RFC
// writes it, from the greeting (STARTTLS and COMPRESS=DEFLATE offered)
// to a compressed session under TLS, and checks the rule the example
// illustrates: compression starts right after the CRLF of the tagged
// OK, so the first octet after it is DEFLATE data, and the client's
// next command is read compressed. (The RFC's "d OK" answering "c
// compress deflate" is a typo for "c OK".)
//
// The second example (NO [COMPRESSIONACTIVE] DEFLATE active via TLS)
// needs TLS-level compression, which crypto/tls never negotiates; the
// server's NO [COMPRESSIONACTIVE] for a second COMPRESS is tested in
// TestCompress.
func TestRFC4978Example1(t *testing.T) {
	cfg, pool := selfSigned(t)
	ts := newTestServer(t, func(s *Server) { s.TLSConfig = cfg })
	c := ts.dial(t) // checks "* OK [CAPABILITY IMAP4rev1 ..."
	caps := strings.Fields(c.ok("x CAPABILITY")[0])
	assert.Contains(t, caps, "STARTTLS")
	assert.Contains(t, caps, "COMPRESS=DEFLATE")

	c.send("a starttls\r\n")
	require.Equal(t, "a OK Begin TLS negotiation now", c.line())
	tc := tls.Client(c.nc, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	require.NoError(t, tc.Handshake())
	c.nc, c.br = tc, bufio.NewReader(tc)
	r := c.cmd("b login alice secret")
	require.Len(t, r, 1)
	assert.True(t, strings.HasPrefix(r[0], "b OK "), r[0])

	c.send("c compress deflate\r\n")
	require.Equal(t, "c OK DEFLATE active", c.line())
	assert.Zero(t, c.br.Buffered(), "nothing after the OK before the client compresses")
	fw, err := flate.NewWriter(tc, flate.BestSpeed)
	require.NoError(t, err)
	_, err = io.WriteString(fw, "d NOOP\r\n")
	require.NoError(t, err)
	require.NoError(t, fw.Flush())
	// The server's answer is raw DEFLATE from its first octet.
	zr := bufio.NewReader(flate.NewReader(c.br))
	tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := zr.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "d OK NOOP completed\r\n", l)
}
