package pop3

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

// Credentials the test servers accept: RFC 1939's example user.
const (
	testUser   = "mrose"
	testPass   = "tanstaaf"
	testSecret = "tanstaaf"
)

// msg120 and msg200 are the two messages of RFC 1939's example session,
// 120 and 200 octets.
var (
	msg120 = sized("Subject: one\r\n\r\n", 120)
	msg200 = sized("Subject: two\r\n\r\n.starts with a dot\r\n", 200)
)

// sized pads head with body lines to exactly n octets, CRLF ended.
func sized(head string, n int) []byte {
	b := []byte(head)
	for rem := n - len(b); rem > 0; rem = n - len(b) {
		k := min(60, rem-2)
		if rem-(k+2) == 1 {
			k--
		}
		b = append(b, strings.Repeat("x", k)+"\r\n"...)
	}
	if len(b) != n {
		panic("sized")
	}
	return b
}

// testServer is a server on a loopback port over a fakeStore.
type testServer struct {
	srv   *Server
	store *fakeStore
	addr  string
	cert  *tls.Config // the server's certificate, trusted by clientTLS
	pool  *x509.CertPool
}

func (ts *testServer) clientTLS() *tls.Config {
	return &tls.Config{RootCAs: ts.pool, ServerName: "localhost"}
}

func checkPass(ctx context.Context, user, pass string) (string, error) {
	if user == testUser && pass == testPass {
		return user, nil
	}
	if user == "nobody" && pass == testPass {
		return user, nil
	}
	return "", sasl.ErrAuthFailed
}

func apopSecret(ctx context.Context, user string) (string, error) {
	if user == testUser {
		return testSecret, nil
	}
	return "", sasl.ErrAuthFailed
}

func plainAuth(ctx context.Context, identity, user, pass string) (string, error) {
	if _, err := checkPass(ctx, user, pass); err != nil || (identity != "" && identity != user) {
		return "", sasl.ErrAuthFailed
	}
	return user, nil
}

// newTestServer makes a Server with every way to log in; configure may
// change it before it starts.
func newTestServer(t testing.TB, configure func(*Server)) *testServer {
	t.Helper()
	cfg, pool := selfSigned(t)
	ts := &testServer{store: newFakeStore(), cert: cfg, pool: pool}
	ts.srv = &Server{
		Hostname:     "dewey",
		Store:        ts.store,
		TLSConfig:    cfg,
		Authenticate: checkPass,
		APOPSecret:   apopSecret,
		Auth: map[string]sasl.ServerFactory{
			sasl.Plain: func() sasl.Server { return sasl.NewPlainServer(plainAuth) },
			sasl.Login: func() sasl.Server { return sasl.NewLoginServer(plainAuth) },
			sasl.CRAMMD5: func() sasl.Server {
				return sasl.NewCRAMMD5Server("dewey", func(ctx context.Context, user string) (string, error) {
					return apopSecret(ctx, user)
				})
			},
			sasl.SCRAMSHA256: func() sasl.Server {
				s, err := sasl.NewSCRAMServer(sasl.SCRAMSHA256, func(ctx context.Context, user string) (sasl.SCRAMCredentials, error) {
					if user != testUser {
						return sasl.SCRAMCredentials{}, sasl.ErrAuthFailed
					}
					return sasl.DeriveSCRAMCredentials(sasl.SCRAMSHA256, testPass, []byte("salt-salt-salt"), 4096)
				})
				if err != nil {
					panic(err)
				}
				return s
			},
		},
		AuthDelay: -1,
	}
	if configure != nil {
		configure(ts.srv)
	}
	return ts
}

// start serves on a loopback port; implicit selects ServeTLS.
func (ts *testServer) start(t testing.TB, implicit bool) *testServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts.addr = l.Addr().String()
	done := make(chan error, 1)
	go func() {
		if implicit {
			done <- ts.srv.ServeTLS(l)
		} else {
			done <- ts.srv.Serve(l)
		}
	}()
	t.Cleanup(func() {
		ts.srv.Close()
		err := <-done
		if !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

func startServer(t testing.TB, configure func(*Server)) *testServer {
	return newTestServer(t, configure).start(t, false)
}

func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
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

// wire drives a connection with raw bytes.
type wire struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialWire(t testing.TB, addr string) *wire {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return newWire(t, conn)
}

func newWire(t testing.TB, conn net.Conn) *wire {
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &wire{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// send writes s as it is.
func (w *wire) send(s string) {
	w.t.Helper()
	_, err := w.conn.Write([]byte(s))
	require.NoError(w.t, err)
}

// line reads one line, CRLF included.
func (w *wire) line() string {
	w.t.Helper()
	l, err := w.r.ReadString('\n')
	require.NoError(w.t, err, "read after %q", l)
	return l
}

// expect reads len(lines) lines and checks each, CRLF added.
func (w *wire) expect(lines ...string) {
	w.t.Helper()
	for _, want := range lines {
		require.Equal(w.t, want+"\r\n", w.line())
	}
}

// expectPrefix reads a line and checks that it starts with prefix.
func (w *wire) expectPrefix(prefix string) string {
	w.t.Helper()
	l := w.line()
	require.True(w.t, strings.HasPrefix(l, prefix), "got %q, want prefix %q", l, prefix)
	return l
}

// multi reads a multi-line body up to ".\r\n" and returns it raw (still
// stuffed), terminator excluded.
func (w *wire) multi() string {
	w.t.Helper()
	var b strings.Builder
	for {
		l := w.line()
		if l == ".\r\n" {
			return b.String()
		}
		b.WriteString(l)
	}
}

// cmd sends a command line and checks the answer's first line.
func (w *wire) cmd(line, want string) {
	w.t.Helper()
	w.send(line + "\r\n")
	w.expect(want)
}

// expectClosed checks that the server closed the connection.
func (w *wire) expectClosed() {
	w.t.Helper()
	l, err := w.r.ReadString('\n')
	require.Error(w.t, err, "got %q", l)
}

// login greets and logs in with USER/PASS.
func (w *wire) login() {
	w.t.Helper()
	w.expectPrefix("+OK")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.send("PASS " + testPass + "\r\n")
	w.expectPrefix("+OK " + testUser + "'s maildrop has")
}
