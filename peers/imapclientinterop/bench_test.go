package imapclientinterop

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/peers/internal/dovecottest"
)

// benchMessages is how many messages the benchmarks fetch.
const benchMessages = 10000

// benchMsg is a realistic message: a multipart/alternative inside a
// multipart/mixed with an attachment, and a few recipients.
func benchMsg(i int) string {
	return fmt.Sprintf("From: \"Bob Example\" <bob@example.org>\r\n"+
		"To: Alice <alice@example.org>, carol@example.net\r\n"+
		"Cc: \"Dave, the third\" <dave@example.com>\r\n"+
		"Subject: =?UTF-8?Q?Re=3A_quarterly_report_n=C2=B0?= %d\r\n"+
		"Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"+
		"Message-ID: <bench%d@example.org>\r\n"+
		"In-Reply-To: <prev%d@example.org>\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"+
		"\r\n"+
		"--outer\r\n"+
		"Content-Type: multipart/alternative; boundary=\"inner\"\r\n"+
		"\r\n"+
		"--inner\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"Content-Transfer-Encoding: quoted-printable\r\n"+
		"\r\n"+
		"Hello, here is the report.\r\n"+
		"--inner\r\n"+
		"Content-Type: text/html; charset=utf-8\r\n"+
		"\r\n"+
		"<p>Hello, here is the report.</p>\r\n"+
		"--inner--\r\n"+
		"--outer\r\n"+
		"Content-Type: application/pdf; name=\"report.pdf\"\r\n"+
		"Content-Disposition: attachment; filename=\"report.pdf\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n"+
		"\r\n"+
		"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n"+
		"--outer--\r\n", i, i, i)
}

// cannedFetch is the answer of postkit's server to
// "FETCH 1:* (ENVELOPE BODYSTRUCTURE)" over benchMessages messages,
// without the tagged line, captured once.
var cannedFetch = sync.OnceValues(func() ([]byte, error) {
	store := memstore.New()
	if err := fillStore(store); err != nil {
		return nil, err
	}
	return captureFetch(store)
})

func fillStore(store *memstore.Store) error {
	ctx := context.Background()
	acct, err := store.Account(ctx, testUser)
	if err != nil {
		return err
	}
	defer acct.Close()
	m, err := acct.Open(ctx, "INBOX", nil)
	if err != nil {
		return err
	}
	defer m.Close()
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 1; i <= benchMessages; i++ {
		if _, err := m.Append(ctx, strings.NewReader(benchMsg(i)), &mailbox.AppendOptions{InternalDate: date}); err != nil {
			return err
		}
	}
	return nil
}

// captureFetch runs postkit's server over store and records its FETCH
// answer byte for byte.
func captureFetch(store *memstore.Store) ([]byte, error) {
	addr, stop, err := servePostkit(store)
	if err != nil {
		return nil, err
	}
	defer stop()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 1<<16)
	if _, err := br.ReadString('\n'); err != nil {
		return nil, err
	}
	fmt.Fprintf(nc, "a LOGIN %s %s\r\nb SELECT INBOX\r\nc FETCH 1:* (ENVELOPE BODYSTRUCTURE)\r\n", testUser, testPass)
	var out bytes.Buffer
	inFetch := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		switch {
		case strings.HasPrefix(line, "b "):
			inFetch = true
		case strings.HasPrefix(line, "c "):
			if !strings.HasPrefix(line, "c OK") {
				return nil, fmt.Errorf("FETCH: %s", line)
			}
			return out.Bytes(), nil
		case inFetch:
			out.WriteString(line)
		}
	}
}

// replayFetchServer answers LOGIN, SELECT and any FETCH with canned
// bytes: both clients read exactly the same stream, so the benchmark
// measures the clients.
func replayFetchServer(b *testing.B, canned []byte) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	var wg sync.WaitGroup
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				br := bufio.NewReader(nc)
				bw := bufio.NewWriterSize(nc, 1<<16)
				bw.WriteString("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n")
				bw.Flush()
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					f := strings.Fields(line)
					if len(f) < 2 {
						continue
					}
					tag, cmd := f[0], strings.ToUpper(f[1])
					switch cmd {
					case "SELECT":
						fmt.Fprintf(bw, "* %d EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT %d] x\r\n", benchMessages, benchMessages+1)
					case "FETCH":
						bw.Write(canned)
					case "LOGOUT":
						bw.WriteString("* BYE bye\r\n")
					}
					fmt.Fprintf(bw, "%s OK done\r\n", tag)
					bw.Flush()
				}
			}()
		}
	}()
	b.Cleanup(func() { l.Close(); wg.Wait() })
	return l.Addr().String()
}

func benchPostkit(b *testing.B, addr string) {
	ctx := context.Background()
	c, err := imap.Dial(ctx, addr, nil)
	require.NoError(b, err)
	defer c.Close()
	require.NoError(b, c.Login(ctx, testUser, testPass))
	_, err = c.Select(ctx, "INBOX", nil)
	require.NoError(b, err)
	items := []imap.FetchItem{{Name: imap.FetchEnvelope}, {Name: imap.FetchBodyStructure}}
	all := imap.SeqSet{Ranges: []imap.SeqRange{{Start: 1, Stop: imap.Star}}}
	b.ResetTimer()
	for b.Loop() {
		msgs, err := c.Fetch(ctx, all, items, nil)
		require.NoError(b, err)
		if len(msgs) != benchMessages || msgs[0].Envelope == nil || msgs[0].BodyStructure == nil {
			b.Fatalf("got %d messages", len(msgs))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchMessages, "ns/msg")
}

// warmFetch runs the benchmark's FETCH once, untimed.
func warmFetch(b *testing.B, addr string) {
	ctx := context.Background()
	c, err := imap.Dial(ctx, addr, nil)
	require.NoError(b, err)
	defer c.Close()
	require.NoError(b, c.Login(ctx, testUser, testPass))
	_, err = c.Select(ctx, "INBOX", nil)
	require.NoError(b, err)
	msgs, err := c.Fetch(ctx, imap.SeqSet{Ranges: []imap.SeqRange{{Start: 1, Stop: imap.Star}}},
		[]imap.FetchItem{{Name: imap.FetchEnvelope}, {Name: imap.FetchBodyStructure}}, nil)
	require.NoError(b, err)
	require.Len(b, msgs, benchMessages)
}

func benchGoIMAP(b *testing.B, addr string) {
	c, err := imapclient.DialInsecure(addr, nil)
	require.NoError(b, err)
	defer c.Close()
	require.NoError(b, c.Login(testUser, testPass).Wait())
	_, err = c.Select("INBOX", nil).Wait()
	require.NoError(b, err)
	var all goimap.SeqSet
	all.AddRange(1, 0)
	opts := &goimap.FetchOptions{Envelope: true, BodyStructure: &goimap.FetchItemBodyStructure{Extended: true}}
	b.ResetTimer()
	for b.Loop() {
		msgs, err := c.Fetch(all, opts).Collect()
		require.NoError(b, err)
		if len(msgs) != benchMessages || msgs[0].Envelope == nil || msgs[0].BodyStructure == nil {
			b.Fatalf("got %d messages", len(msgs))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchMessages, "ns/msg")
}

// fillMaildir writes the benchmark's messages into the cur/ directory of
// a new Maildir, as Dovecot finds mail delivered by another program.
func fillMaildir(b *testing.B, maildir string) {
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(b, os.MkdirAll(filepath.Join(maildir, sub), 0o755))
	}
	for i := 1; i <= benchMessages; i++ {
		name := fmt.Sprintf("1767323045.M%dP1.bench:2,", i)
		require.NoError(b, os.WriteFile(filepath.Join(maildir, "cur", name), []byte(benchMsg(i)), 0o644))
	}
}

// BenchmarkFetchEnvelopeBodyStructure fetches ENVELOPE and
// BODYSTRUCTURE of 10,000 messages: "Replay" from a server that sends
// the bytes postkit's server produced (the clients alone), "Live" from
// postkit's server over memstore (server time included), "Dovecot" from
// Dovecot, which answers from its cache after a first FETCH that builds
// it (skipped when Dovecot is not installed).
func BenchmarkFetchEnvelopeBodyStructure(b *testing.B) {
	canned, err := cannedFetch()
	require.NoError(b, err)
	replay := replayFetchServer(b, canned)
	store := memstore.New()
	require.NoError(b, fillStore(store))
	live := startPostkitStore(b, store)
	b.Run("Replay/postkit", func(b *testing.B) { benchPostkit(b, replay) })
	b.Run("Replay/go-imap", func(b *testing.B) { benchGoIMAP(b, replay) })
	b.Run("Live/postkit", func(b *testing.B) { benchPostkit(b, live) })
	b.Run("Live/go-imap", func(b *testing.B) { benchGoIMAP(b, live) })

	dir, maildir := dovecottest.NewDir(b)
	fillMaildir(b, maildir)
	dc := startDovecot(b, dir)
	// The first FETCH makes Dovecot parse every message and fill its
	// cache; the timed ones are answered from it.
	warmFetch(b, dc.Addr)
	b.Run("Dovecot/postkit", func(b *testing.B) { benchPostkit(b, dc.Addr) })
	b.Run("Dovecot/go-imap", func(b *testing.B) { benchGoIMAP(b, dc.Addr) })
}

// TestFetchBenchmarkAnswers checks that both clients read the canned
// answer fully and agree on it.
func TestFetchBenchmarkAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 10,000 messages")
	}
	canned, err := cannedFetch()
	require.NoError(t, err)
	require.Equal(t, benchMessages, bytes.Count(canned, []byte(" FETCH ")))
}
