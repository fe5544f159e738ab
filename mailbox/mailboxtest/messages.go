package mailboxtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// corpusDir is testdata/messages of the module, found from this
// file's place in the source tree, so the suite runs from any
// package's directory.
func corpusDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok, "cannot locate the mailboxtest sources")
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "messages")
}

// corpus reads messages of testdata/messages by their path there.
func corpus(t *testing.T, paths ...string) [][]byte {
	t.Helper()
	dir := corpusDir(t)
	out := make([][]byte, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		require.NoError(t, err, "corpus message")
		out[i] = b
	}
	return out
}

// bodyCorpus is a mix of real messages for the byte-for-byte checks:
// LF-only, CRLF, mixed line endings, 8-bit header bytes, a base64
// attachment, a malformed message and one of 570 KiB.
var bodyCorpus = []string{
	"cpython/msg_01.eml",
	"cpython/msg_07.eml",
	"cpython/msg_26.eml",
	"synthetic/8bit-headers.eml",
	"synthetic/mixed-line-endings.eml",
	"dovecot/malformed-000.eml",
	"mailcore2/2977-chinese.eml",
}

// synth returns a small message unique to n.
func synth(n int) []byte {
	return fmt.Appendf(nil, "From: a@example.org\r\nTo: b@example.org\r\nSubject: message %d\r\n"+
		"Message-ID: <%d@example.org>\r\n\r\nBody of message %d.\r\n", n, n, n)
}

// day returns noon UTC of the given day of January 2026, far enough
// from midnight that no time zone changes the calendar day.
func day(d int) time.Time { return time.Date(2026, time.January, d, 12, 0, 0, 0, time.UTC) }

// add appends body with flags and returns its UID.
func add(t *testing.T, m mailbox.Mailbox, body []byte, flags ...string) mailbox.UID {
	t.Helper()
	return addAt(t, m, body, time.Time{}, flags...)
}

func addAt(t *testing.T, m mailbox.Mailbox, body []byte, date time.Time, flags ...string) mailbox.UID {
	t.Helper()
	uid, err := m.Append(t.Context(), bytes.NewReader(body), &mailbox.AppendOptions{Flags: flags, InternalDate: date})
	require.NoError(t, err, "Append")
	require.NotZero(t, uid, "Append returned UID 0")
	// The appending view learns of its message through Poll, like every
	// view (mailbox.Mailbox.Append).
	ups := poll(t, m)
	require.NotEmpty(t, ups, "Poll after Append reports the new message")
	require.Equal(t, mailbox.Update{Kind: mailbox.UpdateAppended, UID: uid}, mailbox.Update{Kind: ups[len(ups)-1].Kind, UID: ups[len(ups)-1].UID})
	return uid
}

// msg is what Fetch gave for one message.
type msg struct {
	UID    mailbox.UID
	Flags  []string
	Date   time.Time
	Size   int64
	ModSeq uint64
	Body   []byte
}

// fetch fetches the messages in uids, bodies included.
func fetch(t *testing.T, m mailbox.Mailbox, uids mailbox.UIDSet) []msg {
	t.Helper()
	out, err := fetchErr(t.Context(), m, uids)
	require.NoError(t, err, "Fetch")
	return out
}

func fetchErr(ctx context.Context, m mailbox.Mailbox, uids mailbox.UIDSet) ([]msg, error) {
	var out []msg
	err := m.Fetch(ctx, uids, func(x mailbox.Message) error {
		b, err := x.Open(ctx)
		if err != nil {
			return err
		}
		defer b.Close()
		data := make([]byte, b.Size())
		if _, err := b.ReadAt(data, 0); err != nil && err != io.EOF {
			return err
		}
		out = append(out, msg{
			UID: x.UID(), Flags: slices.Clone(x.Flags()), Date: x.InternalDate(),
			Size: x.Size(), ModSeq: x.ModSeq(), Body: data,
		})
		return nil
	})
	return out, err
}

// fetchOne fetches uid, which must exist.
func fetchOne(t *testing.T, m mailbox.Mailbox, uid mailbox.UID) msg {
	t.Helper()
	ms := fetch(t, m, mailbox.UIDSetOf(uid))
	require.Len(t, ms, 1, "Fetch of UID %d", uid)
	return ms[0]
}

// uidsOf lists the UIDs of ms.
func uidsOf(ms []msg) []mailbox.UID {
	out := make([]mailbox.UID, len(ms))
	for i, m := range ms {
		out[i] = m.UID
	}
	return out
}

// allUIDs lists the UIDs the view fetches.
func allUIDs(t *testing.T, m mailbox.Mailbox) []mailbox.UID {
	t.Helper()
	var out []mailbox.UID
	require.NoError(t, m.Fetch(t.Context(), mailbox.AllUIDs, func(x mailbox.Message) error {
		out = append(out, x.UID())
		return nil
	}))
	return out
}

// stored drops \Recent, which is per view, and sorts flags for
// comparison.
func stored(flags []string) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if f != mailbox.FlagRecent {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// sorted returns a sorted copy of flags.
func sorted(flags ...string) []string {
	out := slices.Clone(flags)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// ascending reports whether uids are strictly ascending.
func ascending(uids []mailbox.UID) bool {
	for i := 1; i < len(uids); i++ {
		if uids[i] <= uids[i-1] {
			return false
		}
	}
	return true
}

// waitUpdate waits for m's Updates channel, failing after a while.
func waitUpdate(t *testing.T, m mailbox.Mailbox) {
	t.Helper()
	select {
	case <-m.Updates():
	case <-time.After(5 * time.Second):
		t.Fatal("no signal on Updates")
	}
}

// noUpdate checks that m's Updates channel is quiet.
func noUpdate(t *testing.T, m mailbox.Mailbox) {
	t.Helper()
	select {
	case <-m.Updates():
		ups, err := m.Poll(t.Context())
		require.NoError(t, err)
		require.Empty(t, ups, "unexpected updates")
	default:
	}
}

// poll polls m and fails on error.
func poll(t *testing.T, m mailbox.Mailbox) []mailbox.Update {
	t.Helper()
	ups, err := m.Poll(t.Context())
	require.NoError(t, err, "Poll")
	return ups
}

// rng is the UIDs from a to b.
func rng(a, b mailbox.UID) mailbox.UIDRange { return mailbox.UIDRange{Start: a, Stop: b} }
