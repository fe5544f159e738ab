package proxyproto

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipe returns both ends of an in-memory connection, closed with the test.
func pipe(t *testing.T) (server, client net.Conn) {
	server, client = net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// send writes b to c from a goroutine and returns the write's error.
func send(c net.Conn, b []byte) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(b)
		done <- err
	}()
	return done
}

func TestWrapPreservesFollowingBytes(t *testing.T) {
	for name, hdr := range map[string][]byte{
		"v1": []byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n"),
		"v2": v2(0x21, 0x11, inet4, tlv(TypeAuthority, "mx.example.org")),
	} {
		t.Run(name, func(t *testing.T) {
			server, client := pipe(t)
			// Header and command in one write, as a proxy relaying a fast
			// client does.
			sent := send(client, append(hdr, "EHLO x\r\n"...))
			c, h, err := Wrap(server, time.Second)
			require.NoError(t, err)
			require.NoError(t, <-sent)
			assert.Equal(t, "tcp 192.0.2.1:56324", addrString(h.Source))
			assert.Equal(t, "tcp 192.0.2.1:56324", addrString(c.RemoteAddr()))
			assert.Equal(t, "tcp 198.51.100.2:25", addrString(c.LocalAddr()))
			assert.Same(t, server, c.(*Conn).NetConn())

			line := make([]byte, len("EHLO x\r\n"))
			_, err = io.ReadFull(c, line)
			require.NoError(t, err)
			assert.Equal(t, "EHLO x\r\n", string(line))

			// Later bytes come straight from the connection, both ways.
			sent = send(client, []byte("QUIT\r\n"))
			line = make([]byte, 6)
			_, err = io.ReadFull(c, line)
			require.NoError(t, err)
			assert.Equal(t, "QUIT\r\n", string(line))
			require.NoError(t, <-sent)
			go c.Write([]byte("221 bye\r\n"))
			reply, err := bufio.NewReader(client).ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "221 bye\r\n", reply)
		})
	}
}

func TestWrapRealAddresses(t *testing.T) {
	for name, hdr := range map[string][]byte{
		"v1 UNKNOWN": []byte("PROXY UNKNOWN\r\n"),
		"v2 LOCAL":   v2(0x20, 0x00),
		"v2 UNSPEC":  v2(0x21, 0x00),
	} {
		t.Run(name, func(t *testing.T) {
			server, client := pipe(t)
			sent := send(client, hdr)
			c, h, err := Wrap(server, time.Second)
			require.NoError(t, err)
			require.NoError(t, <-sent)
			assert.Nil(t, h.Source)
			assert.Equal(t, server.RemoteAddr(), c.RemoteAddr())
			assert.Equal(t, server.LocalAddr(), c.LocalAddr())
		})
	}
}

func TestWrapTimeout(t *testing.T) {
	server, _ := pipe(t) // the peer sends nothing
	start := time.Now()
	c, h, err := Wrap(server, 50*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Nil(t, c)
	assert.Nil(t, h)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestWrapTimeoutInsideHeader(t *testing.T) {
	server, client := pipe(t)
	go client.Write([]byte("PROXY TCP4 192.0.2.1")) // and then nothing
	_, _, err := Wrap(server, 50*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

func TestWrapClearsDeadline(t *testing.T) {
	server, client := pipe(t)
	sent := send(client, []byte("PROXY UNKNOWN\r\n"))
	c, _, err := Wrap(server, 20*time.Millisecond)
	require.NoError(t, err)
	require.NoError(t, <-sent)
	time.Sleep(60 * time.Millisecond) // past the header deadline
	sent = send(client, []byte("NOOP\r\n"))
	b := make([]byte, 6)
	_, err = io.ReadFull(c, b)
	require.NoError(t, err)
	assert.Equal(t, "NOOP\r\n", string(b))
	require.NoError(t, <-sent)
}

func TestWrapRefusesMissingHeader(t *testing.T) {
	server, client := pipe(t)
	go client.Write([]byte("EHLO x\r\n"))
	start := time.Now()
	_, _, err := Wrap(server, 5*time.Second)
	assert.ErrorIs(t, err, ErrNoHeader)
	assert.Less(t, time.Since(start), 4*time.Second, "refused without waiting for the deadline")
}

func TestWrapRefusesMalformedHeader(t *testing.T) {
	server, client := pipe(t)
	go client.Write([]byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 025\r\nEHLO x\r\n"))
	_, _, err := Wrap(server, time.Second)
	var fe *FormatError
	assert.ErrorAs(t, err, &fe)
}

// listen returns a loopback listener closed with the test.
func listen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

func TestWrapLoopbackTCP(t *testing.T) {
	l := listen(t)
	go func() {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		c.Write(append(v2(0x21, 0x21, inet6), "EHLO x\r\n"...))
		io.Copy(io.Discard, c)
	}()
	raw, err := l.Accept()
	require.NoError(t, err)
	defer raw.Close()
	c, _, err := Wrap(raw, time.Second)
	require.NoError(t, err)
	assert.Equal(t, "tcp [2001:db8::1]:56324", addrString(c.RemoteAddr()))
	assert.Equal(t, "tcp [2001:db8::2]:587", addrString(c.LocalAddr()))
	_, ok := c.(*Conn).NetConn().(*net.TCPConn)
	assert.True(t, ok)
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "EHLO x\r\n", line)
}

// prefixConn sends prefix in the same Write as the first data, so a TLS
// ClientHello travels in the segment of the PROXY header.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Write(p []byte) (int, error) {
	if c.prefix != nil {
		b := append(c.prefix, p...)
		c.prefix = nil
		if _, err := c.Conn.Write(b); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// TestWrapImplicitTLS runs a TLS handshake over the wrapped connection
// when the ClientHello arrives with the header and so is already buffered.
func TestWrapImplicitTLS(t *testing.T) {
	cert := selfSigned(t)
	l := listen(t)
	clientErr := make(chan error, 1)
	go func() {
		raw, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			clientErr <- err
			return
		}
		defer raw.Close()
		pool := x509.NewCertPool()
		pool.AddCert(cert.Leaf)
		tc := tls.Client(&prefixConn{Conn: raw, prefix: v2(0x21, 0x11, inet4)},
			&tls.Config{ServerName: "mx.example.org", RootCAs: pool})
		if err := tc.Handshake(); err != nil {
			clientErr <- err
			return
		}
		_, err = tc.Write([]byte("EHLO x\r\n"))
		clientErr <- err
		io.Copy(io.Discard, tc)
	}()
	raw, err := l.Accept()
	require.NoError(t, err)
	defer raw.Close()
	c, _, err := Wrap(raw, time.Second)
	require.NoError(t, err)
	assert.Equal(t, "tcp 192.0.2.1:56324", addrString(c.RemoteAddr()))
	assert.NotEmpty(t, c.(*Conn).rest, "the ClientHello came with the header")
	tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, tc.Handshake())
	require.NoError(t, <-clientErr)
	line, err := bufio.NewReader(tc).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "EHLO x\r\n", line)
	assert.Equal(t, "tcp 192.0.2.1:56324", addrString(tc.RemoteAddr()))
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		DNSNames:     []string{"mx.example.org"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestListener(t *testing.T) {
	l := NewListener(listen(t), time.Second)

	dial := func(payload []byte) net.Conn {
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		if payload != nil {
			_, err = c.Write(payload)
			require.NoError(t, err)
		}
		return c
	}

	t.Run("accept does not wait for the header", func(t *testing.T) {
		dial(nil) // silent peer
		start := time.Now()
		c, err := l.Accept()
		require.NoError(t, err)
		defer c.Close()
		assert.Less(t, time.Since(start), 500*time.Millisecond, "well before the header timeout")
		_, err = c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		_, err = c.Write([]byte("220 hello\r\n"))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing is written to a peer without a header")
	})

	t.Run("valid header", func(t *testing.T) {
		dial(append(v2(0x21, 0x11, inet4, tlv(TypeAuthority, "mx.example.org")), "EHLO x\r\n"...))
		c, err := l.Accept()
		require.NoError(t, err)
		defer c.Close()
		assert.Equal(t, "tcp 192.0.2.1:56324", addrString(c.RemoteAddr()))
		h, err := c.(*Conn).Header()
		require.NoError(t, err)
		v, _ := h.TLV(TypeAuthority)
		assert.Equal(t, "mx.example.org", string(v))
		line, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "EHLO x\r\n", line)
	})

	t.Run("missing header closes the connection", func(t *testing.T) {
		client := dial([]byte("EHLO x\r\n"))
		c, err := l.Accept()
		require.NoError(t, err)
		defer c.Close()
		assert.Equal(t, c.(*Conn).NetConn().RemoteAddr(), c.RemoteAddr(), "real address after a failed header")
		_, err = c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, ErrNoHeader)
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = client.Read(make([]byte, 1))
		assert.Error(t, err, "the server side closed the connection")
		assert.NotErrorIs(t, err, os.ErrDeadlineExceeded)
	})
}

// TestWrapPeerClosedAfterHeader: a peer that sends the header and closes
// still yields the header; the close shows on the next Read.
func TestWrapPeerClosedAfterHeader(t *testing.T) {
	server, client := pipe(t)
	go func() {
		client.Write([]byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n"))
		client.Close()
	}()
	c, h, err := Wrap(server, time.Second)
	require.NoError(t, err)
	assert.Equal(t, "tcp 192.0.2.1:56324", addrString(h.Source))
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
}
