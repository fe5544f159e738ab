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
// date; a copy, a moved message and a message moved by renaming INBOX
// get a new one; it does not change with the flags, and a store that
// persists keeps it.
func testSaveDate(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Dst")
	src := e.open("INBOX")
	before := time.Now().Add(-2 * time.Second)
	u1 := addAt(t, src, synth(1), day(3))
	u2 := addAt(t, src, synth(2), day(4))
	u3 := addAt(t, src, synth(3), day(5))
	dates := saveDates(t, src, u1, u2, u3)
	if dates == nil {
		t.Skip("Messages do not implement mailbox.SaveDater")
	}
	after := time.Now().Add(2 * time.Second)
	for _, u := range []mailbox.UID{u1, u2, u3} {
		d := dates[u]
		require.False(t, d.IsZero(), "a store that records save dates has one for a message it appended")
		assert.True(t, d.After(before) && d.Before(after), "the save date is the time of the Append, not the internal date: %v", d)
	}
	_, err := src.Store(e.ctx, mailbox.UIDSetOf(u1), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	assert.Equal(t, dates[u1].Unix(), saveDates(t, src, u1)[u1].Unix(), "flags do not change the save date")

	// Save dates may have whole seconds: what follows happens in a later
	// second than the appends.
	latest := max(dates[u1].Unix(), dates[u2].Unix(), dates[u3].Unix())
	time.Sleep(time.Until(time.Unix(latest+1, 0)))

	res, err := src.Copy(e.ctx, mailbox.UIDSetOf(u1), "Dst")
	require.NoError(t, err)
	mres, err := mailbox.Move(e.ctx, src, mailbox.UIDSetOf(u2), "Dst")
	require.NoError(t, err)
	dst := e.open("Dst")
	moved := []mailbox.UID{res.Dest[0], mres.Dest[0]}
	got := saveDates(t, dst, moved...)
	for _, u := range moved {
		assert.Greater(t, got[u].Unix(), latest, "a copy or a moved message gets a new save date: %v", got[u])
	}
	assert.Equal(t, dates[u1].Unix(), saveDates(t, src, u1)[u1].Unix(), "the source of a copy keeps its save date")
	_, err = dst.Store(e.ctx, mailbox.UIDSetOf(moved...), mailbox.StoreAdd, []string{mailbox.FlagFlagged, "$Kw"}, nil)
	require.NoError(t, err)
	assert.Equal(t, got, saveDates(t, dst, moved...), "flags do not change the save date")

	// RFC 9051 6.3.9: renaming INBOX moves its messages to a new mailbox.
	require.NoError(t, e.acct.Rename(e.ctx, "INBOX", "Old"))
	old := e.open("Old")
	oldDates := saveDates(t, old, allUIDs(t, old)...)
	require.Len(t, oldDates, 2, "u1 and u3 moved")
	for u, d := range oldDates {
		assert.Greater(t, d.Unix(), latest, "a message moved by renaming INBOX gets a new save date: %d %v", u, d)
	}

	if f.Reopen == nil {
		return
	}
	require.NoError(t, src.Close())
	require.NoError(t, dst.Close())
	require.NoError(t, old.Close())
	require.NoError(t, e.acct.Close())
	a, err := f.Reopen(t, e.store).Account(e.ctx, "alice")
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	again := saveDates(t, openIn(t, e.ctx, a, "Dst", false), moved...)
	for _, u := range moved {
		assert.Equal(t, got[u].Unix(), again[u].Unix(), "the save date persists")
	}
}

// testMailboxID checks Status.MailboxID (RFC 8474 4) when the store
// gives one: different for two mailboxes, the same from a view and from
// the account, kept by a rename, new for a mailbox created again.
func testMailboxID(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("A", "B")
	a := e.status("A").MailboxID
	if a == "" {
		t.Skip("the store gives no MailboxID")
	}
	assert.Regexp(t, `^[A-Za-z0-9_-]{1,255}$`, a)
	assert.NotEqual(t, a, e.status("B").MailboxID)
	assert.NotEqual(t, a, e.status("INBOX").MailboxID)
	st, err := e.open("A").Status(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, a, st.MailboxID)
	require.NoError(t, e.acct.Rename(e.ctx, "A", "C"))
	assert.Equal(t, a, e.status("C").MailboxID, "a rename keeps the MailboxID")
	require.NoError(t, e.acct.Delete(e.ctx, "C"))
	e.create("C")
	assert.NotEqual(t, a, e.status("C").MailboxID, "a new mailbox gets a new MailboxID")
}

// objectIDs returns the ObjectIDs of the messages in uids, or nil when
// the store's Messages do not implement mailbox.ObjectIDer.
func objectIDs(t *testing.T, m mailbox.Mailbox, uids ...mailbox.UID) map[mailbox.UID]mailbox.ObjectIDs {
	t.Helper()
	out := map[mailbox.UID]mailbox.ObjectIDs{}
	supported := true
	err := m.Fetch(t.Context(), mailbox.UIDSetOf(uids...), func(msg mailbox.Message) error {
		o, ok := msg.(mailbox.ObjectIDer)
		if !ok {
			supported = false
			return nil
		}
		ids, err := o.ObjectIDs(t.Context())
		out[msg.UID()] = ids
		return err
	})
	require.NoError(t, err)
	if !supported {
		return nil
	}
	return out
}

// testObjectIDs checks what mailbox.ObjectIDer promises (RFC 8474 5):
// EmailIDs differ for different octets and are kept by copies and
// moves; ThreadIDs are those of the EmailID and never change.
func testObjectIDs(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Dst")
	src := e.open("INBOX")
	orig := []byte("Message-ID: <a@example.org>\r\nSubject: A\r\n\r\nA\r\n")
	reply := []byte("Message-ID: <b@example.org>\r\nReferences: <a@example.org>\r\nSubject: Re: A\r\n\r\nB\r\n")
	u1 := add(t, src, orig)
	u2 := add(t, src, reply)
	u3 := add(t, src, synth(3))
	ids := objectIDs(t, src, u1, u2, u3)
	if ids == nil {
		t.Skip("Messages do not implement mailbox.ObjectIDer")
	}
	for _, u := range []mailbox.UID{u1, u2, u3} {
		assert.Regexp(t, `^[A-Za-z0-9_-]{1,255}$`, ids[u].EmailID)
		assert.NotEqual(t, ids[u].EmailID, ids[u].ThreadID, "RFC 8474 5.2: EMAILID and THREADID values differ")
	}
	assert.NotEqual(t, ids[u1].EmailID, ids[u2].EmailID)
	assert.NotEqual(t, ids[u1].EmailID, ids[u3].EmailID)
	assert.Equal(t, ids, objectIDs(t, src, u1, u2, u3), "the ids do not change")
	_, err := src.Store(e.ctx, mailbox.UIDSetOf(u1), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	assert.Equal(t, ids[u1], objectIDs(t, src, u1)[u1], "flags do not change the ids")

	res, err := src.Copy(e.ctx, mailbox.UIDSetOf(u1), "Dst")
	require.NoError(t, err)
	mres, err := mailbox.Move(e.ctx, src, mailbox.UIDSetOf(u2), "Dst")
	require.NoError(t, err)
	got := objectIDs(t, e.open("Dst"), res.Dest[0], mres.Dest[0])
	assert.Equal(t, ids[u1], got[res.Dest[0]], "RFC 8474 5.1: a copy keeps the EMAILID")
	assert.Equal(t, ids[u2], got[mres.Dest[0]], "RFC 8474 5.1: a moved message keeps the EMAILID")
}
