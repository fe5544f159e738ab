package smtpinterop

import (
	"bufio"
	"net"
	"testing"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEmptyChallengeHasSpace checks the wire form of an empty SASL
// challenge: RFC 4954 4. continue-req = "334" SP [base64] CRLF. AUTH
// PLAIN without an initial response gets one (RFC 4616 2.).
func TestEmptyChallengeHasSpace(t *testing.T) {
	srv := startOurServer(t, peertest.NewCert(t))
	ctx := testCtx(t)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.addr)
	require.NoError(t, err)
	defer conn.Close()
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	r := bufio.NewReader(conn)
	readReply := func() []string {
		var lines []string
		for {
			l, err := r.ReadString('\n')
			require.NoError(t, err)
			lines = append(lines, l)
			if len(l) < 4 || l[3] != '-' {
				return lines
			}
		}
	}
	readReply() // greeting
	_, err = conn.Write([]byte("EHLO client.example\r\n"))
	require.NoError(t, err)
	readReply()
	_, err = conn.Write([]byte("AUTH PLAIN\r\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"334 \r\n"}, readReply())
}
