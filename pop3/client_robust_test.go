package pop3

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRetrMessagesCallbackCannotUseClient: while RetrMessages has
// commands in flight, a call on the Client from its callback returns
// ErrBusy instead of desynchronising the connection; DeleMessages
// deletes afterwards, pipelined.
func TestRetrMessagesCallbackCannotUseClient(t *testing.T) {
	ts := startServer(t, nil)
	ts.store.put(testUser, msg120, msg200, msg120)
	ctx := context.Background()
	c, err := Dial(ctx, ts.addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx, testUser, testPass))

	var got []string
	var done []int
	err = c.RetrMessages(ctx, []int{1, 2, 3}, func(n int, r io.Reader, err error) error {
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		got = append(got, string(b[:12]))
		assert.ErrorIs(t, c.Dele(ctx, n), ErrBusy)
		_, err = c.Retr(ctx, n)
		assert.ErrorIs(t, err, ErrBusy)
		_, _, err = c.Stat(ctx)
		assert.ErrorIs(t, err, ErrBusy)
		assert.ErrorIs(t, c.Quit(ctx), ErrBusy)
		done = append(done, n)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"Subject: one", "Subject: two", "Subject: one"}, got)

	errs, err := c.DeleMessages(ctx, append(done, 9))
	require.NoError(t, err)
	assert.Equal(t, []error{nil, nil, nil}, errs[:3])
	var pe *Error
	assert.ErrorAs(t, errs[3], &pe, "no message 9")
	cnt, _, err := c.Stat(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, cnt)
	require.NoError(t, c.Quit(ctx))
	assert.Empty(t, ts.store.uids(testUser))
}

// dnsOnlyServer starts a server whose certificate names "localhost" and
// no IP address, and returns the port and a pool trusting it.
func dnsOnlyServer(t *testing.T) (port string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames:  []string{"localhost"}, // no IP SAN
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	ts := startServer(t, func(s *Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	})
	_, port, _ = net.SplitHostPort(ts.addr)
	return port, pool
}

// TestStartTLSVerifiesHostDialled: StartTLS verifies the server against
// the host name given to Dial, not the peer's IP address; a client made
// by NewClient needs a ServerName.
func TestStartTLSVerifiesHostDialled(t *testing.T) {
	port, pool := dnsOnlyServer(t)
	ctx := context.Background()
	addr := net.JoinHostPort("localhost", port)

	t.Run("config without ServerName", func(t *testing.T) {
		c, err := Dial(ctx, addr)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.StartTLS(ctx, &tls.Config{RootCAs: pool}))
		assert.True(t, c.TLS())
		require.NoError(t, c.Login(ctx, testUser, testPass))
	})

	t.Run("nil config", func(t *testing.T) {
		// The system roots do not know the test CA: the handshake fails,
		// but on the chain, after the name "localhost" matched (an IP
		// address would fail on the name: the certificate has no IP SAN).
		c, err := Dial(ctx, addr)
		require.NoError(t, err)
		defer c.Close()
		err = c.StartTLS(ctx, nil)
		var ua x509.UnknownAuthorityError
		require.True(t, errors.As(err, &ua), "got %v", err)
	})

	t.Run("NewClient without ServerName", func(t *testing.T) {
		nc, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		c, err := NewClient(ctx, nc)
		require.NoError(t, err)
		defer c.Close()
		require.ErrorContains(t, c.StartTLS(ctx, nil), "ServerName")
		require.ErrorContains(t, c.StartTLS(ctx, &tls.Config{RootCAs: pool}), "ServerName")
		caps, err := c.Capabilities(ctx)
		require.NoError(t, err, "nothing was sent: the session goes on")
		assert.True(t, caps.Has("STLS"))
		require.NoError(t, c.StartTLS(ctx, &tls.Config{RootCAs: pool, ServerName: "localhost"}))
	})
}
