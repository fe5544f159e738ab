package mailboxtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// saveDates returns the save dates of the messages in uids, or nil when
// the store's Messages do not implement mailbox.SaveDater.
func saveDates(t *testing.T, m mailbox.Mailbox, uids ...mailbox.UID) map[mailbox.UID]time.Time {
	t.Helper()
	out := map[mailbox.UID]time.Time{}
	supported := true
	err := m.Fetch(t.Context(), mailbox.UIDSetOf(uids...), func(msg mailbox.Message) error {
		sd, ok := msg.(mailbox.SaveDater)
		if !ok {
			supported = false
			return nil
		}
		out[msg.UID()] = sd.SaveDate()
		return nil
	})
	require.NoError(t, err)
	if !supported {
		return nil
	}
	return out
}

// testSaveDate checks what mailbox.SaveDater promises (RFC 8514 3): the
// save date is when the message came into the mailbox, not its internal
// date; a copy or a moved message gets a new one; it does not change
// with the flags.
func testSaveDate(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Dst")
	src := e.open("INBOX")
	before := time.Now().Add(-2 * time.Second)
	u1 := addAt(t, src, synth(1), day(3))
	u2 := addAt(t, src, synth(2), day(4))
	dates := saveDates(t, src, u1, u2)
	if dates == nil {
		t.Skip("Messages do not implement mailbox.SaveDater")
	}
	after := time.Now().Add(2 * time.Second)
	for _, u := range []mailbox.UID{u1, u2} {
		d := dates[u]
		require.False(t, d.IsZero(), "a store that records save dates has one for a message it appended")
		assert.True(t, d.After(before) && d.Before(after), "the save date is the time of the Append, not the internal date: %v", d)
	}
	_, err := src.Store(e.ctx, mailbox.UIDSetOf(u1), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	assert.Equal(t, dates[u1].Unix(), saveDates(t, src, u1)[u1].Unix(), "flags do not change the save date")

	copyStart := time.Now()
	res, err := src.Copy(e.ctx, mailbox.UIDSetOf(u1), "Dst")
	require.NoError(t, err)
	mres, err := mailbox.Move(e.ctx, src, mailbox.UIDSetOf(u2), "Dst")
	require.NoError(t, err)
	dst := e.open("Dst")
	got := saveDates(t, dst, res.Dest[0], mres.Dest[0])
	for _, u := range []mailbox.UID{res.Dest[0], mres.Dest[0]} {
		assert.False(t, got[u].Before(copyStart.Truncate(time.Second)), "a copy or a moved message gets a new save date: %v", got[u])
	}
	assert.Equal(t, dates[u1].Unix(), saveDates(t, src, u1)[u1].Unix(), "the source of a copy keeps its save date")
}
