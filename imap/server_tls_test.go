package imap

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}, pool
}

func TestStartTLS(t *testing.T) {
	cfg, pool := selfSigned(t)
	ts := newTestServer(t, func(s *Server) { s.TLSConfig = cfg })
	c := ts.dial(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "STARTTLS")
	// A command pipelined after STARTTLS in the clear is dropped
	// (RFC 9051 6.2.1).
	c.send("b STARTTLS\r\nx LOGIN alice secret\r\n")
	assert.Equal(t, "b OK Begin TLS negotiation now", c.line())
	tc := tls.Client(c.nc, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	require.NoError(t, tc.Handshake())
	c.nc, c.br = tc, bufio.NewReader(tc)
	caps := c.ok("c CAPABILITY")[0]
	assert.NotContains(t, strings.Fields(caps), "STARTTLS")
	assert.Regexp(t, `BAD STARTTLS not available`, c.cmd("d STARTTLS")[0])
	c.ok("e LOGIN alice secret")
}

func TestImplicitTLS(t *testing.T) {
	cfg, pool := selfSigned(t)
	ts := newTestServer(t, func(s *Server) { s.TLSConfig = cfg })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go ts.srv.ServeTLS(l)
	tc, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	require.NoError(t, err)
	defer tc.Close()
	c := &wireClient{t: t, nc: tc, br: bufio.NewReader(tc)}
	g := c.line()
	assert.True(t, strings.HasPrefix(g, "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 "), g)
	assert.NotContains(t, g, "STARTTLS")
	c.ok("a LOGIN alice secret")
}

// TestProxyProtocolLoginDisabled: behind a PROXY header giving a remote
// address that is not loopback, LOGIN needs TLS (RFC 9051 6.2.3), and
// the per-IP cap counts that address.
func TestProxyProtocolLoginDisabled(t *testing.T) {
	ts := newTestServer(t, func(s *Server) {
		s.ProxyProtocol = true
		s.MaxConnectionsPerIP = 1
	})
	dial := func() *wireClient {
		nc, err := net.Dial("tcp", ts.addr)
		require.NoError(t, err)
		t.Cleanup(func() { nc.Close() })
		_, err = nc.Write([]byte("PROXY TCP4 192.0.2.7 192.0.2.1 40000 143\r\n"))
		require.NoError(t, err)
		return &wireClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	}
	c := dial()
	g := c.line()
	assert.Contains(t, g, " LOGINDISABLED")
	assert.Equal(t, []string{"a NO [PRIVACYREQUIRED] LOGIN needs TLS"}, c.cmd("a LOGIN alice secret"))
	c2 := dial()
	assert.Equal(t, strings.TrimSuffix(byeTooMany, "\r\n"), c2.line())
	c2.expectClosed()
}
