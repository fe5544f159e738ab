package maildir

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// makeBigInbox writes an INBOX of n messages the way Dovecot leaves one:
// files in cur/ with flags, and a dovecot-uidlist. Each file's atime is
// set before its mtime, so that reading it (relatime) moves the atime.
func makeBigInbox(tb testing.TB, root, user string, n int) {
	body := []byte("From: a@example.com\r\nSubject: bulk\r\n\r\n" + strings.Repeat("x", 200) + "\r\n")
	makeInbox(tb, root, user, n, func(int) []byte { return body })
}

// makeInbox is makeBigInbox with the body of message i given by body.
func makeInbox(tb testing.TB, root, user string, n int, body func(i int) []byte) {
	tb.Helper()
	home := filepath.Join(root, user)
	for _, d := range []string{"cur", "new", "tmp"} {
		require.NoError(tb, os.MkdirAll(filepath.Join(home, d), 0o700))
	}
	var ul strings.Builder
	fmt.Fprintf(&ul, "3 V1700000000 N%d G00112233445566778899aabbccddeeff\n", n+1)
	old, mtime := time.Unix(1600000000, 0), time.Unix(1700000000, 0)
	for i := 1; i <= n; i++ {
		body := body(i)
		base := fmt.Sprintf("1700000000.M%dP1.host,S=%d,W=%d", i, len(body), len(body))
		info := ""
		if i%2 == 0 {
			info = "S"
		}
		p := filepath.Join(home, "cur", fileName(base, info))
		require.NoError(tb, os.WriteFile(p, body, 0o600))
		require.NoError(tb, os.Chtimes(p, old, mtime))
		fmt.Fprintf(&ul, "%d :%s\n", i, base)
	}
	require.NoError(tb, os.WriteFile(filepath.Join(home, uidlistFile), []byte(ul.String()), 0o600))
}

// BenchmarkOpen100k opens a 100,000-message INBOX and reports the time
// and the heap it takes.
func BenchmarkOpen100k(b *testing.B) {
	root := b.TempDir()
	makeBigInbox(b, root, "big", 100000)
	ctx := context.Background()
	// The first open numbers nothing but writes the MODSEQ log.
	{
		s := New(root, &Options{PollInterval: -1})
		a, _ := s.Account(ctx, "big")
		m, err := a.Open(ctx, "INBOX", nil)
		require.NoError(b, err)
		m.Close()
	}
	var heap uint64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := New(root, &Options{PollInterval: -1})
		a, _ := s.Account(ctx, "big")
		m, err := a.Open(ctx, "INBOX", nil)
		require.NoError(b, err)
		st, err := m.Status(ctx)
		require.NoError(b, err)
		require.Equal(b, uint32(100000), st.Messages)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		m.Close()
	}
	b.ReportMetric(float64(heap)/(1<<20), "MiB-heap-open")
}

// BenchmarkFirstOpen100k opens a 100,000-message INBOX that Dovecot
// left (no MODSEQ log yet) in a new Store, as the first SELECT of it
// does: the open reads the folder and writes the MODSEQ log.
func BenchmarkFirstOpen100k(b *testing.B) {
	root := b.TempDir()
	makeBigInbox(b, root, "big", 100000)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		require.NoError(b, os.RemoveAll(filepath.Join(root, "big", modseqFile)))
		b.StartTimer()
		s := New(root, &Options{PollInterval: -1})
		a, _ := s.Account(ctx, "big")
		m, err := a.Open(ctx, "INBOX", nil)
		require.NoError(b, err)
		st, err := m.Status(ctx)
		require.NoError(b, err)
		require.Equal(b, uint32(100000), st.Messages)
		m.Close()
	}
}

// BenchmarkAppendFsync appends with every fsync on.
func BenchmarkAppendFsync(b *testing.B) {
	s := New(b.TempDir(), &Options{PollInterval: -1})
	ctx := context.Background()
	a, _ := s.Account(ctx, "u")
	m, err := a.Open(ctx, "INBOX", nil)
	require.NoError(b, err)
	defer m.Close()
	msg := "From: a@example.com\r\nSubject: bench\r\n\r\n" + strings.Repeat("y", 2000) + "\r\n"
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := m.Append(ctx, strings.NewReader(msg), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreFlag100k sets a flag on one message of a 100,000-message
// INBOX: the cost of a change under the lock in a big folder.
func BenchmarkStoreFlag100k(b *testing.B) {
	root := b.TempDir()
	makeBigInbox(b, root, "big", 100000)
	ctx := context.Background()
	s := New(root, &Options{PollInterval: -1})
	a, _ := s.Account(ctx, "big")
	m, err := a.Open(ctx, "INBOX", nil)
	require.NoError(b, err)
	defer m.Close()
	i := 0
	for b.Loop() {
		i++
		op := mailbox.StoreAdd
		if i%2 == 0 {
			op = mailbox.StoreRemove
		}
		if _, err := m.Store(ctx, mailbox.UIDSetOf(1), op, []string{mailbox.FlagFlagged}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatus100k is STATUS of a 100,000-message folder that no view
// has open: after the first, only the stamps of the control files and
// directories are read.
func BenchmarkStatus100k(b *testing.B) {
	root := b.TempDir()
	makeBigInbox(b, root, "big", 100000)
	ctx := context.Background()
	s := New(root, &Options{PollInterval: -1})
	a, _ := s.Account(ctx, "big")
	_, err := a.Status(ctx, "INBOX") // numbers nothing, writes the MODSEQ log
	require.NoError(b, err)
	time.Sleep(2 * recentWindowFine)
	for b.Loop() {
		st, err := a.Status(ctx, "INBOX")
		if err != nil || st.Messages != 100000 {
			b.Fatal(err, st)
		}
	}
}

// BenchmarkSearchBodies reads every message of a 10,000-message folder
// looking for a string, as a SEARCH BODY without an index does.
func BenchmarkSearchBodies(b *testing.B) {
	root := b.TempDir()
	makeBigInbox(b, root, "big", 10000)
	ctx := context.Background()
	a, _ := New(root, &Options{PollInterval: -1}).Account(ctx, "big")
	m, err := a.Open(ctx, "INBOX", &mailbox.OpenOptions{ReadOnly: true})
	require.NoError(b, err)
	defer m.Close()
	buf := make([]byte, 64<<10)
	needle := []byte("needle")
	for b.Loop() {
		found := 0
		err := m.Fetch(ctx, mailbox.AllUIDs, func(msg mailbox.Message) error {
			body, err := msg.Open(ctx)
			if err != nil {
				return err
			}
			defer body.Close()
			n, _ := body.ReadAt(buf[:min(int64(len(buf)), body.Size())], 0)
			if bytes.Contains(buf[:n], needle) {
				found++
			}
			return nil
		})
		if err != nil || found != 0 {
			b.Fatal(err, found)
		}
	}
}

// searchBody is message i of the INBOX the search benchmarks use: about
// 1.5 KiB, a distinct subject, and the word "needle" in the body of one
// message in a thousand.
func searchBody(i int) []byte {
	word := "haystack"
	if i%1000 == 0 {
		word = "needle"
	}
	return fmt.Appendf(nil, "From: Sender %d <s%d@example.com>\r\nTo: rcpt@example.org\r\n"+
		"Subject: report number %d\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n"+
		"Message-ID: <%d@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s%s\r\n",
		i, i, i, i, strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", 24), word)
}

// benchmarkSearch100k runs mailbox.Search with c over a 100,000-message
// INBOX, opened once, and checks the number of matches.
func benchmarkSearch100k(b *testing.B, c *mailbox.SearchCriteria, want int) {
	root := b.TempDir()
	makeInbox(b, root, "big", 100000, searchBody)
	ctx := context.Background()
	a, err := New(root, &Options{PollInterval: -1}).Account(ctx, "big")
	require.NoError(b, err)
	m, err := a.Open(ctx, "INBOX", &mailbox.OpenOptions{ReadOnly: true})
	require.NoError(b, err)
	defer m.Close()
	b.ResetTimer()
	for b.Loop() {
		uids, err := mailbox.Search(ctx, m, c)
		if err != nil || len(uids) != want {
			b.Fatal(err, len(uids))
		}
	}
}

// BenchmarkSearch100kHeader searches the Subject of every message of a
// 100,000-message INBOX (no index: every file's header is read).
func BenchmarkSearch100kHeader(b *testing.B) {
	benchmarkSearch100k(b, &mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "Subject", Value: "number 4242"}}}, 11)
}

// BenchmarkSearch100kBody searches the body of every message of a
// 100,000-message INBOX for a word one in a thousand has.
func BenchmarkSearch100kBody(b *testing.B) {
	benchmarkSearch100k(b, &mailbox.SearchCriteria{Body: []string{"needle"}}, 100)
}

// benchmarkChangePoll100k opens a 100,000-message INBOX in two views,
// as two IMAP sessions would, and times op (a change through the first
// view) followed by a Poll of each view: the cost of a command that
// changes a big folder, and of the other session noticing it. The
// changes are this process's own, so no poll should read the folder
// again. prep runs before each op, off the clock. The Store has no
// poller unless poll is set.
func benchmarkChangePoll100k(b *testing.B, poll time.Duration, prep, op func(ctx context.Context, m mailbox.Mailbox, i int) error) {
	root := b.TempDir()
	makeBigInbox(b, root, "big", 100000)
	ctx := context.Background()
	if poll == 0 {
		poll = -1
	}
	s := New(root, &Options{PollInterval: poll, NoSync: true})
	a, err := s.Account(ctx, "big")
	require.NoError(b, err)
	m, err := a.Open(ctx, "INBOX", nil)
	require.NoError(b, err)
	defer m.Close()
	w, err := a.Open(ctx, "INBOX", nil)
	require.NoError(b, err)
	defer w.Close()
	// Let the first read settle, as a session's first command would.
	time.Sleep(2 * recentWindowFine)
	for _, v := range []mailbox.Mailbox{m, w} {
		_, err := v.Poll(ctx)
		require.NoError(b, err)
	}
	i := 0
	for b.Loop() {
		i++
		if prep != nil {
			b.StopTimer()
			require.NoError(b, prep(ctx, m, i))
			b.StartTimer()
		}
		require.NoError(b, op(ctx, m, i))
		for _, v := range []mailbox.Mailbox{m, w} {
			if _, err := v.Poll(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkStorePoll100k is a single-message STORE in a 100,000-message
// INBOX followed by a Poll of the session's view and of another's.
func BenchmarkStorePoll100k(b *testing.B) {
	benchmarkChangePoll100k(b, 0, nil, func(ctx context.Context, m mailbox.Mailbox, i int) error {
		_, err := m.Store(ctx, mailbox.UIDSetOf(mailbox.UID(i)), mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
		return err
	})
}

// BenchmarkAppendPoll100k is an APPEND to a 100,000-message INBOX
// followed by a Poll of the session's view and of another's.
func BenchmarkAppendPoll100k(b *testing.B) {
	msg := "From: a@example.com\r\nSubject: bench\r\n\r\n" + strings.Repeat("y", 2000) + "\r\n"
	benchmarkChangePoll100k(b, 0, nil, func(ctx context.Context, m mailbox.Mailbox, i int) error {
		_, err := m.Append(ctx, strings.NewReader(msg), nil)
		return err
	})
}

// BenchmarkExpungePoll100k is a UID EXPUNGE of one message of a
// 100,000-message INBOX followed by a Poll of the session's view and of
// another's; marking it \Deleted (and polling after) is off the clock.
func BenchmarkExpungePoll100k(b *testing.B) {
	prep := func(ctx context.Context, m mailbox.Mailbox, i int) error {
		_, err := m.Store(ctx, mailbox.UIDSetOf(mailbox.UID(i)), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
		if err == nil {
			_, err = m.Poll(ctx)
		}
		return err
	}
	benchmarkChangePoll100k(b, 0, prep, func(ctx context.Context, m mailbox.Mailbox, i int) error {
		uids := mailbox.UIDSetOf(mailbox.UID(i))
		gone, err := m.Expunge(ctx, &uids)
		if err == nil && len(gone) != 1 {
			err = fmt.Errorf("expunged %v", gone)
		}
		return err
	})
}

// BenchmarkStoreQuietPoll100k is BenchmarkStorePoll100k with the folder
// left quiet between the STORE and the polls (off the clock): with no
// poller, the first poll then looks for changes other processes may
// have hidden behind the STORE's.
func BenchmarkStoreQuietPoll100k(b *testing.B) { benchmarkStoreQuietPoll100k(b, 0) }

// BenchmarkStoreQuietPoller100k is BenchmarkStoreQuietPoll100k with a
// poller, which looks for them meanwhile, as with the default options.
func BenchmarkStoreQuietPoller100k(b *testing.B) {
	benchmarkStoreQuietPoll100k(b, 2*recentWindowFine)
}

func benchmarkStoreQuietPoll100k(b *testing.B, poll time.Duration) {
	benchmarkChangePoll100k(b, poll, nil, func(ctx context.Context, m mailbox.Mailbox, i int) error {
		_, err := m.Store(ctx, mailbox.UIDSetOf(mailbox.UID(i)), mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
		b.StopTimer()
		time.Sleep(5 * recentWindowFine)
		b.StartTimer()
		return err
	})
}

// BenchmarkFetchMeta100k fetches the metadata (UID, flags, size) of
// every message of a 100,000-message INBOX, opening no body, as a
// FETCH FLAGS or a SORT by size does: the path of a message's file is
// not computed unless it is opened.
func BenchmarkFetchMeta100k(b *testing.B) {
	root := b.TempDir()
	makeBigInbox(b, root, "big", 100000)
	ctx := context.Background()
	s := New(root, &Options{PollInterval: -1})
	a, err := s.Account(ctx, "big")
	require.NoError(b, err)
	defer a.Close()
	m, err := a.Open(ctx, "INBOX", &mailbox.OpenOptions{ReadOnly: true})
	require.NoError(b, err)
	defer m.Close()
	b.ReportAllocs()
	for b.Loop() {
		n, flags := 0, 0
		err := m.Fetch(ctx, mailbox.AllUIDs, func(msg mailbox.Message) error {
			n++
			flags += len(msg.Flags())
			_ = msg.Size()
			return nil
		})
		if err != nil || n != 100000 || flags != 50000 {
			b.Fatal(err, n, flags)
		}
	}
}
