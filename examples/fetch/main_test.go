package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/pop3"
	"github.com/postkit/postkit/sasl"
)

const (
	testUser = "alice@example.test"
	testPass = "s3cret"
)

// msg returns a test message; every line ends with CRLF, as POP3 sends it.
func msg(i int) string {
	return fmt.Sprintf("From: bob@example.org\r\nTo: alice@example.test\r\nSubject: message %d\r\n"+
		"Message-ID: <%d@example.org>\r\n\r\nBody of message %d.\r\n.leading dot\r\n", i, i, i)
}

// bigMsg returns a 4 MiB message, larger than any buffer on the way.
func bigMsg() string {
	line := strings.Repeat("0123456789", 7) + "abcd\r\n"
	return "Subject: big\r\n\r\n" + strings.Repeat(line, 4<<20/len(line))
}

// server is a memstore account served over IMAP and POP3 on loopback.
type server struct {
	store    *memstore.Store
	imapAddr string
	pop3Addr string
	imapTLS  string // implicit TLS
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{store: memstore.New()}
	check := func(_ context.Context, u, p string) (string, error) {
		if u == testUser && p == testPass {
			return testUser, nil
		}
		return "", sasl.ErrAuthFailed
	}
	cfg := selfSigned(t)
	isrv := &imap.Server{Store: s.store, Authenticate: check, TLSConfig: cfg, AuthDelay: -1}
	psrv := &pop3.Server{Store: s.store, Authenticate: check, TLSConfig: cfg, AuthDelay: -1}
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		return l
	}
	il, pl, tl := listen(), listen(), listen()
	go isrv.Serve(il)
	go isrv.ServeTLS(tl)
	go psrv.Serve(pl)
	s.imapAddr, s.pop3Addr, s.imapTLS = il.Addr().String(), pl.Addr().String(), tl.Addr().String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		isrv.Shutdown(ctx)
		psrv.Shutdown(ctx)
	})
	return s
}

// inbox opens a view of the user's INBOX on the server side.
func (s *server) inbox(t *testing.T) mailbox.Mailbox {
	t.Helper()
	ctx := context.Background()
	acct, err := s.store.Account(ctx, testUser)
	require.NoError(t, err)
	t.Cleanup(func() { acct.Close() })
	mb, err := acct.Open(ctx, mailbox.Inbox, &mailbox.OpenOptions{NoRecent: true})
	require.NoError(t, err)
	t.Cleanup(func() { mb.Close() })
	return mb
}

func (s *server) add(t *testing.T, msgs ...string) {
	t.Helper()
	mb := s.inbox(t)
	for _, m := range msgs {
		_, err := mb.Append(context.Background(), strings.NewReader(m), nil)
		require.NoError(t, err)
	}
}

// serverMessages returns the flags of each message in the user's INBOX.
func (s *server) flags(t *testing.T) [][]string {
	t.Helper()
	mb := s.inbox(t)
	var out [][]string
	require.NoError(t, mb.Fetch(context.Background(), mailbox.UIDSet{{Start: 1, Stop: mailbox.MaxUID}}, func(m mailbox.Message) error {
		out = append(out, m.Flags())
		return nil
	}))
	return out
}

// selfSigned returns a server configuration with a fresh certificate
// for 127.0.0.1.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// fetch runs the command and returns what it printed.
func fetch(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	t.Setenv("FETCH_PASSWORD", testPass)
	require.NoError(t, run(ctx, append([]string{"-user", testUser}, args...), &out), out.String())
	return out.String()
}

// maildirContents returns the contents of the messages in the Maildir at
// dir (new/ and cur/), sorted.
func maildirContents(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		require.NoError(t, err)
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			require.NoError(t, err)
			out = append(out, string(b))
		}
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { return slices.Sorted(slices.Values(s)) }

func TestIMAP(t *testing.T) {
	srv := newServer(t)
	srv.add(t, msg(1), msg(2), msg(3))
	dir := filepath.Join(t.TempDir(), "Mail")
	args := []string{"-proto", "imap", "-addr", srv.imapAddr, "-maildir", dir}

	out := fetch(t, args...)
	assert.Contains(t, out, "3 new message(s)")
	assert.Equal(t, sorted(msg(1), msg(2), msg(3)), maildirContents(t, dir))
	for _, f := range srv.flags(t) {
		assert.NotContains(t, f, mailbox.FlagSeen, "BODY.PEEK[] leaves \\Seen alone")
	}
	b, err := os.ReadFile(dir + ".fetch-state.json")
	require.NoError(t, err)
	assert.Contains(t, string(b), `"last_uid": 3`)

	// A rerun fetches nothing; a new message is fetched alone.
	assert.Contains(t, fetch(t, args...), "0 new message(s)")
	assert.Len(t, maildirContents(t, dir), 3)
	srv.add(t, msg(4), bigMsg())
	assert.Contains(t, fetch(t, args...), "2 new message(s)")
	assert.Equal(t, sorted(msg(1), msg(2), msg(3), msg(4), bigMsg()), maildirContents(t, dir))
}

func TestIMAPSeenOverTLS(t *testing.T) {
	srv := newServer(t)
	srv.add(t, msg(1), msg(2))
	dir := filepath.Join(t.TempDir(), "Mail")
	out := fetch(t, "-addr", srv.imapTLS, "-tls", "-insecure", "-seen", "-maildir", dir)
	assert.Contains(t, out, "2 new message(s)")
	assert.Equal(t, sorted(msg(1), msg(2)), maildirContents(t, dir))
	for _, f := range srv.flags(t) {
		assert.Contains(t, f, mailbox.FlagSeen)
	}
	// The local copies are \Seen too: in cur/ with the S info letter.
	ents, err := os.ReadDir(filepath.Join(dir, "cur"))
	require.NoError(t, err)
	require.Len(t, ents, 2)
	for _, e := range ents {
		assert.True(t, strings.HasSuffix(e.Name(), ":2,S"), e.Name())
	}

	// The certificate is self-signed: without -insecure it is refused.
	var buf bytes.Buffer
	err = run(context.Background(), []string{"-addr", srv.imapTLS, "-tls", "-user", testUser, "-pass", testPass, "-maildir", dir}, &buf)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
}

func TestIMAPUIDValidityChange(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	acct, err := srv.store.Account(ctx, testUser)
	require.NoError(t, err)
	defer acct.Close()
	appendTo := func(name string, m string) {
		mb, err := acct.Open(ctx, name, nil)
		require.NoError(t, err)
		defer mb.Close()
		_, err = mb.Append(ctx, strings.NewReader(m), nil)
		require.NoError(t, err)
	}
	require.NoError(t, acct.Create(ctx, "Lists", nil))
	appendTo("Lists", msg(1))
	dir := filepath.Join(t.TempDir(), "Lists")
	args := []string{"-addr", srv.imapAddr, "-mailbox", "Lists", "-maildir", dir}
	assert.Contains(t, fetch(t, args...), "1 new message(s)")

	// Recreated: a new UIDVALIDITY, so UID 1 is another message.
	require.NoError(t, acct.Delete(ctx, "Lists"))
	require.NoError(t, acct.Create(ctx, "Lists", nil))
	appendTo("Lists", msg(2))
	out := fetch(t, args...)
	assert.Contains(t, out, "UIDVALIDITY changed")
	assert.Contains(t, out, "1 new message(s)")
	assert.Equal(t, sorted(msg(1), msg(2)), maildirContents(t, dir))
}

func TestPOP3Delete(t *testing.T) {
	srv := newServer(t)
	srv.add(t, msg(1), msg(2), msg(3))
	dir := filepath.Join(t.TempDir(), "Mail")
	args := []string{"-proto", "pop3", "-addr", srv.pop3Addr, "-starttls", "-insecure", "-maildir", dir}

	out := fetch(t, args...)
	assert.Contains(t, out, "3 new message(s)")
	assert.Contains(t, out, "deleted from the server")
	assert.Equal(t, sorted(msg(1), msg(2), msg(3)), maildirContents(t, dir))
	assert.Empty(t, srv.flags(t), "the maildrop is empty")
	b, err := os.ReadFile(dir + ".fetch-state.json")
	require.NoError(t, err)
	assert.NotContains(t, string(b), "uidls", "deleted messages are forgotten")

	assert.Contains(t, fetch(t, args...), "0 new message(s)")
	srv.add(t, msg(4), bigMsg())
	assert.Contains(t, fetch(t, args...), "2 new message(s)")
	assert.Equal(t, sorted(msg(1), msg(2), msg(3), msg(4), bigMsg()), maildirContents(t, dir))
	assert.Empty(t, srv.flags(t))
}

func TestPOP3DeleteAfterInterruptedRun(t *testing.T) {
	// A run that fetched messages but never reached QUIT left their
	// unique-ids in the state: the next run deletes them without
	// fetching them again.
	srv := newServer(t)
	srv.add(t, msg(1), msg(2))
	dir := filepath.Join(t.TempDir(), "Mail")
	args := []string{"-proto", "pop3", "-addr", srv.pop3Addr, "-maildir", dir}
	fetch(t, append(args, "-keep")...) // fetched, not deleted: as if QUIT had failed
	assert.Len(t, srv.flags(t), 2)

	out := fetch(t, args...)
	assert.Contains(t, out, "0 new message(s)")
	assert.Empty(t, srv.flags(t))
	assert.Equal(t, sorted(msg(1), msg(2)), maildirContents(t, dir))
}

func TestPOP3Keep(t *testing.T) {
	srv := newServer(t)
	srv.add(t, msg(1), msg(2))
	dir := filepath.Join(t.TempDir(), "Mail")
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"-proto", "pop3", "-addr", srv.pop3Addr, "-keep", "-maildir", dir, "-state", state}

	out := fetch(t, args...)
	assert.Contains(t, out, "2 new message(s)")
	assert.Contains(t, out, "kept on the server")
	assert.Equal(t, sorted(msg(1), msg(2)), maildirContents(t, dir))
	assert.Len(t, srv.flags(t), 2, "still on the server")
	st, err := loadState(state)
	require.NoError(t, err)
	e := st.Entries["pop3://"+testUser+"@"+srv.pop3Addr]
	require.NotNil(t, e)
	assert.Len(t, e.UIDLs, 2)

	assert.Contains(t, fetch(t, args...), "0 new message(s)")
	srv.add(t, msg(3))
	assert.Contains(t, fetch(t, args...), "1 new message(s)")
	assert.Equal(t, sorted(msg(1), msg(2), msg(3)), maildirContents(t, dir))

	// A message removed from the server is forgotten.
	mb := srv.inbox(t)
	ctx := context.Background()
	_, err = mb.Store(ctx, mailbox.UIDSetOf(1), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	_, err = mb.Expunge(ctx, nil)
	require.NoError(t, err)
	assert.Contains(t, fetch(t, args...), "0 new message(s)")
	st, err = loadState(state)
	require.NoError(t, err)
	assert.Len(t, st.Entries["pop3://"+testUser+"@"+srv.pop3Addr].UIDLs, 2)
}

func TestErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Mail")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-maildir", dir}, "-addr is required"},
		{[]string{"-addr", "127.0.0.1:1", "-user", "u", "-pass", "p"}, "-maildir is required"},
		{[]string{"-proto", "smtp", "-addr", "127.0.0.1:1", "-user", "u", "-pass", "p", "-maildir", dir}, "-proto"},
		{[]string{"-addr", "192.0.2.1:143", "-user", "u", "-pass", "p", "-maildir", dir}, "without TLS"},
		{[]string{"-addr", "127.0.0.1:1", "-tls", "-starttls", "-user", "u", "-pass", "p", "-maildir", dir}, "exclude"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Setenv("FETCH_PASSWORD", "")
			err := run(context.Background(), tc.args, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	srv := newServer(t)
	for _, proto := range []string{"imap", "pop3"} {
		addr := srv.imapAddr
		if proto == "pop3" {
			addr = srv.pop3Addr
		}
		err := run(context.Background(), []string{"-proto", proto, "-addr", addr, "-user", testUser, "-pass", "wrong", "-maildir", dir}, io.Discard)
		require.Error(t, err, proto)
		assert.Contains(t, err.Error(), "login", proto)
	}
}
