// Package peertest holds what the interop tests in peers/ share: finding
// the other implementations they run, and a test certificate.
package peertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Need returns the path of the first of names that exists: a name with a
// slash is a path, any other is looked up in PATH. When none does, the
// test is skipped, or failed under POSTKIT_REQUIRE_PEERS=1 (as CI runs),
// so that a missing peer cannot pass unnoticed there.
func Need(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if strings.Contains(n, "/") {
			if _, err := os.Stat(n); err == nil {
				return n
			}
		} else if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("POSTKIT_REQUIRE_PEERS") == "1" {
		t.Fatalf("none of %v found and POSTKIT_REQUIRE_PEERS=1", names)
	}
	t.Skipf("none of %v found", names)
	return ""
}

// Cert is a self-signed certificate for localhost, 127.0.0.1 and ::1,
// made for one test.
type Cert struct {
	Server  *tls.Config    // for a server
	Pool    *x509.CertPool // trusting the certificate
	PEMPath string         // the certificate in PEM, for python3, curl and swaks
}

// Client returns a client configuration that verifies the certificate
// for serverName.
func (c *Cert) Client(serverName string) *tls.Config {
	return &tls.Config{RootCAs: c.Pool, ServerName: serverName}
}

// NewCert makes a self-signed ECDSA certificate valid for an hour and
// writes it as PEM into a temporary directory of t.
func NewCert(t testing.TB) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // OpenSSL (python3, curl) takes it as its own trust anchor
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Cert{
		Server:  &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}},
		Pool:    pool,
		PEMPath: path,
	}
}
