package maildir

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// TestExpungedSince: the E lines make the answer exact, survive a new
// Store (another process) and a rewrite of the log, and an expunge by
// another program, which has no E line, is reported for any modseq.
func TestExpungedSince(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "alice")
	m := openBox(t, a, "INBOX", false)
	for range 8 {
		appendMsg(t, m, testMsg)
	}
	expunge := func(m mailbox.Mailbox, uids ...mailbox.UID) uint64 {
		t.Helper()
		_, err := m.Store(ctx, mailbox.UIDSetOf(uids...), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
		require.NoError(t, err)
		_, err = m.Expunge(ctx, nil)
		require.NoError(t, err)
		st, err := m.Status(ctx)
		require.NoError(t, err)
		return st.HighestModSeq
	}
	h1 := expunge(m, 2, 3)
	h2 := expunge(m, 5)
	b, err := os.ReadFile(filepath.Join(root, "alice", modseqFile))
	require.NoError(t, err)
	assert.Contains(t, string(b), "\nE "+itoa(h1)+" 2:3\n")

	all := mailbox.UIDSet{{Start: 1, Stop: 50}}
	check := func(m mailbox.Mailbox, since uint64, want mailbox.UIDSet) {
		t.Helper()
		got, err := m.(mailbox.ExpungeTracker).ExpungedSince(ctx, since, all)
		require.NoError(t, err)
		assert.Equal(t, want, got, "since %d", since)
	}
	check(m, 1, mailbox.UIDSet{{Start: 2, Stop: 3}, {Start: 5, Stop: 5}})
	check(m, h1, mailbox.UIDSetOf(5))
	check(m, h2, nil)

	// Another process reads the log.
	s2 := New(root, &Options{NoSync: true, PollInterval: -1})
	m2 := openBox(t, openAccount(t, s2, "alice"), "INBOX", false)
	check(m2, h1, mailbox.UIDSetOf(5))

	// Another program removes message 7: no record, so reported always.
	names, _ := filepath.Glob(filepath.Join(root, "alice", "cur", "*"))
	names2, _ := filepath.Glob(filepath.Join(root, "alice", "new", "*"))
	names = append(names, names2...)
	var seven string
	for _, n := range names {
		if uidOfFile(t, m2, filepath.Base(n)) == 7 {
			seven = n
		}
	}
	require.NotEmpty(t, seven)
	require.NoError(t, os.Remove(seven))
	_, err = m2.Poll(ctx) // a sync notices
	require.NoError(t, err)
	h3 := expunge(m2, 8)
	check(m2, h3, mailbox.UIDSetOf(7))
	check(m2, h2, mailbox.UIDSet{{Start: 7, Stop: 8}})

	// A rewrite of the log keeps the records.
	f := m2.(*view).f
	f.mu.Lock()
	f.mod.end = 0
	f.mu.Unlock()
	expunge(m2, 1)
	b, err = os.ReadFile(filepath.Join(root, "alice", modseqFile))
	require.NoError(t, err)
	l := parseModLog(b, f.uidValidity)
	assert.Len(t, l.tombs, 4)
	check(m2, h1, mailbox.UIDSet{{Start: 1, Stop: 1}, {Start: 5, Stop: 5}, {Start: 7, Stop: 8}})
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// uidOfFile returns the UID of the message whose file is name.
func uidOfFile(t *testing.T, m mailbox.Mailbox, name string) mailbox.UID {
	f := m.(*view).f
	f.mu.Lock()
	defer f.mu.Unlock()
	base, _, _ := strings.Cut(name, ":")
	if msg := f.byBase[base]; msg != nil {
		return msg.uid
	}
	return 0
}

func TestModLogTombstones(t *testing.T) {
	l := parseModLog([]byte("postkit-modseq 1 V7\nX 3\nE 4 2:3,9\nE x 5\nE 6 0\n1 3 S\nE 8 12\n"), 7)
	assert.Equal(t, []tombstone{{4, mailbox.UIDSet{{Start: 2, Stop: 3}, {Start: 9, Stop: 9}}}, {8, mailbox.UIDSetOf(12)}}, l.tombs)
	assert.Equal(t, uint64(8), l.highest)
	// Bounded: the oldest go.
	for i := range maxTombstoneRanges {
		l.bury(uint64(10+i), mailbox.UIDSetOf(mailbox.UID(100+2*i)))
	}
	assert.LessOrEqual(t, l.tombRanges, maxTombstoneRanges)
	assert.Greater(t, l.tombRanges, maxTombstoneRanges/2)
	assert.Equal(t, uint64(10+maxTombstoneRanges-1), l.tombs[len(l.tombs)-1].modseq)
	big := make(mailbox.UIDSet, maxTombstoneRanges+1)
	for i := range big {
		big[i] = mailbox.UIDRange{Start: mailbox.UID(2*i + 1), Stop: mailbox.UID(2*i + 1)}
	}
	assert.False(t, l.bury(99999, big), "a record past the bound is not kept")
	l2 := parseModLog(l.format(), 7)
	assert.True(t, slices.EqualFunc(l.tombs, l2.tombs, func(a, b tombstone) bool {
		return a.modseq == b.modseq && slices.Equal(a.uids, b.uids)
	}), "round trip")
}
