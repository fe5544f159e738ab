package mailboxtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// testExpungedSince checks mailbox.ExpungeTracker, for a backend that
// implements it: the answer holds every UID expunged since the given
// mod-sequence, no UID of a live message and no UID at or above
// UIDNEXT, and only UIDs of the given set. It may hold more (forgotten
// expunges), so precision is each backend's own test.
func testExpungedSince(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	tr, ok := m.(mailbox.ExpungeTracker)
	if !ok {
		t.Skip("the Mailbox does not implement mailbox.ExpungeTracker")
	}
	var u [6]mailbox.UID
	for i := range u {
		u[i] = add(t, m, synth(i))
	}
	expunge := func(uids ...mailbox.UID) uint64 {
		t.Helper()
		_, err := m.Store(e.ctx, mailbox.UIDSetOf(uids...), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
		require.NoError(t, err)
		got, err := m.Expunge(e.ctx, nil)
		require.NoError(t, err)
		require.Equal(t, uids, got)
		return e.status("INBOX").HighestModSeq
	}
	h0 := e.status("INBOX").HighestModSeq
	h1 := expunge(u[1], u[2])
	require.Greater(t, h1, h0, "Expunge raises HIGHESTMODSEQ")
	expunge(u[4])
	live := []mailbox.UID{u[0], u[3], u[5]}
	next := e.status("INBOX").UIDNext

	since := func(v mailbox.ExpungeTracker, modSeq uint64, within mailbox.UIDSet) mailbox.UIDSet {
		t.Helper()
		got, err := v.ExpungedSince(e.ctx, modSeq, within)
		require.NoError(t, err)
		for _, l := range live {
			assert.False(t, got.Contains(l), "live UID %d reported expunged", l)
		}
		for _, r := range got {
			assert.Less(t, r.Stop, next, "UID at or above UIDNEXT reported")
			assert.Equal(t, r, within.Intersect(mailbox.UIDSet{r})[0], "UIDs outside within reported")
		}
		return got
	}
	all := mailbox.UIDSet{{Start: 1, Stop: next + 10}}
	got := since(tr, h0, all)
	for _, x := range []mailbox.UID{u[1], u[2], u[4]} {
		assert.True(t, got.Contains(x), "UID %d expunged after %d not reported", x, h0)
	}
	assert.True(t, since(tr, h1, all).Contains(u[4]))
	got = since(tr, h0, mailbox.UIDSetOf(u[0], u[2], u[3]))
	assert.True(t, got.Contains(u[2]))
	assert.False(t, got.Contains(u[1]))
	assert.Empty(t, since(tr, 1, nil), "empty within")

	// An expunge through another view is in the answer before this view
	// polls (ExpungedSince describes the mailbox as it is now).
	o := e.open("INBOX")
	h2 := e.status("INBOX").HighestModSeq
	_, err := o.Store(e.ctx, mailbox.UIDSetOf(u[5]), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	_, err = o.Expunge(e.ctx, nil)
	require.NoError(t, err)
	live = live[:2]
	assert.True(t, since(tr, h2, all).Contains(u[5]))
	assert.True(t, since(o.(mailbox.ExpungeTracker), h2, all).Contains(u[5]))
}
