package imapcompressbench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/peers/internal/dovecottest"
	"github.com/postkit/postkit/peers/internal/maildirpair"
)

func TestMain(m *testing.M) { maildirpair.Main(m) }

// Credentials both servers accept.
const (
	testUser = "alice"
	testPass = "s3cret-pass"
)

// corpusDir is the developer corpus of the root module.
const corpusDir = "../../testdata/messages"

// maxMessageSize bounds the corpus messages used, as the root module's
// BenchmarkFetchCompress does.
const maxMessageSize = 16 << 10

// setupTimeout bounds writing the Maildir and starting the servers.
const setupTimeout = 2 * time.Minute

// dovecotConfig turns on Dovecot's COMPRESS (imap_zlib). The Maildir
// holds only INBOX, so Dovecot's default namespace will do.
const dovecotConfig = `protocol imap {
  mail_plugins = $mail_plugins imap_zlib
}
`

// server is an IMAP server under test.
type server struct {
	name string // "postkit" or "dovecot"
	addr string
	// pid returns the process serving a session, for its CPU time; 0
	// if unknown.
	pid func(*session) int
}

// fixture is a Maildir of n messages served by both servers.
type fixture struct {
	servers []server
	// bodies[i] is the SHA-256 of the message with UID i+1, each NUL
	// made 0x80 (see nulFree).
	bodies [][sha256.Size]byte
	// octets is the sum of the messages' sizes.
	octets int64
}

// loadCorpus returns the messages of the corpus of at most
// maxMessageSize octets, with CRLF line endings, in MANIFEST order.
func loadCorpus(t testing.TB) [][]byte {
	t.Helper()
	manifest, err := os.ReadFile(filepath.Join(corpusDir, "MANIFEST.tsv"))
	require.NoError(t, err, "the corpus of the root module")
	var out [][]byte
	for _, line := range strings.Split(string(manifest), "\n")[1:] {
		file, _, _ := strings.Cut(line, "\t")
		if file == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(corpusDir, filepath.FromSlash(file)))
		require.NoError(t, err)
		if len(data) > maxMessageSize {
			continue
		}
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		out = append(out, bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")))
	}
	require.NotEmpty(t, out, "corpus")
	return out
}

// newFixture writes n messages into INBOX of a fresh Maildir with our
// backend, then starts Dovecot and our server over it
// (peers/internal/maildirpair). Both stop when the test ends.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	dovecottest.Need(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	dir, md := dovecottest.NewDir(t)
	store := maildir.New("", &maildir.Options{
		NoSync:       true,
		PollInterval: -1,
		AccountPath:  func(string) (string, error) { return md, nil },
	})
	fx := &fixture{bodies: make([][sha256.Size]byte, n)}
	corpus := loadCorpus(t)
	sums := make([][sha256.Size]byte, len(corpus))
	for i, m := range corpus {
		sums[i] = sha256.Sum256(nulFree(m))
	}
	acct, err := store.Account(ctx, testUser)
	require.NoError(t, err)
	mb, err := acct.Open(ctx, "INBOX", nil)
	require.NoError(t, err)
	date := time.Date(2026, time.January, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		m := corpus[i%len(corpus)]
		uid, err := mb.Append(ctx, bytes.NewReader(m), &mailbox.AppendOptions{InternalDate: date.Add(time.Duration(i) * time.Minute)})
		require.NoError(t, err)
		require.Equal(t, mailbox.UID(i+1), uid, "UID of a fresh mailbox")
		fx.bodies[i] = sums[i%len(corpus)]
		fx.octets += int64(len(m))
	}
	require.NoError(t, mb.Close())
	require.NoError(t, acct.Close())

	p := maildirpair.Start(t, maildirpair.Options{Dir: dir, User: testUser, Password: testPass, DovecotConfig: dovecotConfig})
	fx.servers = []server{
		{"postkit", p.Postkit, func(*session) int { return p.PostkitPID }},
		{"dovecot", p.Dovecot.Addr, func(s *session) int { return socketOwner(s.nc) }},
	}
	return fx
}

// nulFree returns b with each NUL made 0x80, as Dovecot sends a body
// (a literal cannot hold NUL: CHAR8 is %x01-ff, RFC 9051 9); b itself
// when it has none.
func nulFree(b []byte) []byte {
	if bytes.IndexByte(b, 0) < 0 {
		return b
	}
	out := bytes.Clone(b)
	for i, c := range out {
		if c == 0 {
			out[i] = 0x80
		}
	}
	return out
}
