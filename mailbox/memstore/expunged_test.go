package memstore_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
)

// expungeAll flags uids \Deleted, expunges them and returns the
// HIGHESTMODSEQ after.
func expungeAll(t *testing.T, a mailbox.Account, m mailbox.Mailbox, uids mailbox.UIDSet) uint64 {
	t.Helper()
	_, err := m.Store(t.Context(), uids, mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	_, err = m.Expunge(t.Context(), nil)
	require.NoError(t, err)
	st, err := a.Status(t.Context(), mailbox.Inbox)
	require.NoError(t, err)
	return st.HighestModSeq
}

// TestExpungedSincePrecise: the expunge record answers exactly, and a
// batch of consecutive UIDs is reported as a whole for any modseq
// inside it (one record).
func TestExpungedSincePrecise(t *testing.T) {
	a := newAccount(t, memstore.New())
	m := open(t, a, mailbox.Inbox, false)
	for range 10 {
		appendMsg(t, m, "Subject: x\r\n\r\nx\r\n")
	}
	tr := m.(mailbox.ExpungeTracker)
	h1 := expungeAll(t, a, m, mailbox.UIDSet{{Start: 2, Stop: 4}})
	h2 := expungeAll(t, a, m, mailbox.UIDSetOf(7))
	all := mailbox.UIDSet{{Start: 1, Stop: 100}}
	for _, tc := range []struct {
		since uint64
		want  mailbox.UIDSet
	}{
		{1, mailbox.UIDSet{{Start: 2, Stop: 4}, {Start: 7, Stop: 7}}},
		{h1 - 1, mailbox.UIDSet{{Start: 2, Stop: 4}, {Start: 7, Stop: 7}}}, // inside the batch: all of it
		{h1, mailbox.UIDSetOf(7)},
		{h2, nil},
	} {
		got, err := tr.ExpungedSince(t.Context(), tc.since, all)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "since %d", tc.since)
	}
}

// TestExpungedSinceBounded: past the bound the oldest records go, and
// their UIDs are reported for any modseq.
func TestExpungedSinceBounded(t *testing.T) {
	a := newAccount(t, memstore.New())
	m := open(t, a, mailbox.Inbox, false)
	const n = 8200
	for range n {
		_, err := m.Append(t.Context(), strings.NewReader("Subject: x\r\n\r\nx\r\n"), nil)
		require.NoError(t, err)
	}
	_, err := m.Poll(t.Context())
	require.NoError(t, err)
	var odd mailbox.UIDSet
	for u := mailbox.UID(1); u <= n; u += 2 {
		odd.Add(u)
	}
	h := expungeAll(t, a, m, odd)
	got, err := m.(mailbox.ExpungeTracker).ExpungedSince(t.Context(), h, mailbox.UIDSet{{Start: 1, Stop: n}})
	require.NoError(t, err)
	require.NotEmpty(t, got, "forgotten expunges are reported")
	assert.Less(t, len(got), len(odd), "the kept records are not")
	assert.Equal(t, mailbox.UIDSetOf(1), got[:1])
	for _, r := range got {
		assert.Equal(t, r.Start, r.Stop)
		assert.Equal(t, mailbox.UID(1), r.Start%2)
	}
}
