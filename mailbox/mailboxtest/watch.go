package mailboxtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// testWatch checks what mailbox.AccountWatcher promises (IMAP NOTIFY,
// RFC 5465): a watch hears of the changes made through the account's
// other handles, each kind of them, not of its own handle's (RFC 5465
// 5), merged per mailbox until it polls, and of nothing once stopped.
func testWatch(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, w *watchEnv)
	}{
		{"MessageEvents", testWatchMessages},
		{"CopyMove", testWatchCopyMove},
		{"MailboxName", testWatchNames},
		{"RenameInbox", testWatchRenameInbox},
		{"Subscription", testWatchSubscription},
		{"Metadata", testWatchMetadata},
		{"Origin", testWatchOrigin},
		{"Merging", testWatchMerging},
		{"Stop", testWatchStop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, f)
			if _, ok := e.acct.(mailbox.AccountWatcher); !ok {
				t.Skip("the account does not implement mailbox.AccountWatcher")
			}
			other := e.account("alice")
			w := e.acct.(mailbox.AccountWatcher).WatchAccount()
			t.Cleanup(w.Stop)
			tc.fn(t, &watchEnv{env: e, other: other, w: w})
		})
	}
}

// watchEnv is a watch on e.acct, and another handle of the same
// account whose changes it hears of.
type watchEnv struct {
	*env
	other mailbox.Account
	w     *mailbox.AccountWatch
}

// events polls the watch, after checking that it was signalled if it
// has events.
func (w *watchEnv) events() []mailbox.MailboxEvent {
	w.t.Helper()
	signalled := false
	select {
	case <-w.w.Events():
		signalled = true
	default:
	}
	evs, err := w.w.Poll()
	require.NoError(w.t, err)
	if len(evs) > 0 {
		assert.True(w.t, signalled, "a watch with events is signalled")
	}
	return evs
}

// expect checks that the pending events are want, in any order.
func (w *watchEnv) expect(want ...mailbox.MailboxEvent) {
	w.t.Helper()
	got := w.events()
	if len(want) == 0 {
		assert.Empty(w.t, got)
		return
	}
	assert.ElementsMatch(w.t, want, got)
}

// openOther opens a read-write view through the other handle.
func (w *watchEnv) openOther(name string) mailbox.Mailbox {
	w.t.Helper()
	return openIn(w.t, w.ctx, w.other, name, false)
}

func ev(name string, kinds mailbox.EventKind) mailbox.MailboxEvent {
	return mailbox.MailboxEvent{Name: name, Kinds: kinds}
}

// RFC 5465 5.1, 5.2, 5.3: MessageNew, FlagChange and MessageExpunge.
func testWatchMessages(t *testing.T, w *watchEnv) {
	w.create("Box")
	w.expect()
	m := w.openOther("Box")
	u := add(t, m, synth(1))
	w.expect(ev("Box", mailbox.EventMessageNew))
	_, err := m.Store(w.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	w.expect(ev("Box", mailbox.EventFlagChange))
	_, err = m.Expunge(w.ctx, nil)
	require.NoError(t, err)
	w.expect(ev("Box", mailbox.EventMessageExpunge))

	// A delivery (NoRecent) is a new message too.
	d, err := w.other.Open(w.ctx, "INBOX", &mailbox.OpenOptions{NoRecent: true})
	require.NoError(t, err)
	defer d.Close()
	add(t, d, synth(2))
	w.expect(ev(mailbox.Inbox, mailbox.EventMessageNew))
}

// A copy is new in its destination; a move is new there and expunged
// from its source.
func testWatchCopyMove(t *testing.T, w *watchEnv) {
	w.create("Dst")
	src := w.openOther("INBOX")
	u1 := add(t, src, synth(1))
	u2 := add(t, src, synth(2))
	w.expect(ev(mailbox.Inbox, mailbox.EventMessageNew))
	_, err := src.Copy(w.ctx, mailbox.UIDSetOf(u1), "Dst")
	require.NoError(t, err)
	w.expect(ev("Dst", mailbox.EventMessageNew))
	_, err = mailbox.Move(w.ctx, src, mailbox.UIDSetOf(u2), "Dst")
	require.NoError(t, err)
	w.expect(ev("Dst", mailbox.EventMessageNew), ev(mailbox.Inbox, mailbox.EventMessageExpunge))
}

// RFC 5465 5.4: create, delete and rename, one event for a renamed
// mailbox and none for its children.
func testWatchNames(t *testing.T, w *watchEnv) {
	require.NoError(t, w.other.Create(w.ctx, "A", nil))
	w.expect(ev("A", mailbox.EventMailboxName))
	require.NoError(t, w.other.Create(w.ctx, "A/Child", nil))
	w.expect(ev("A/Child", mailbox.EventMailboxName))
	require.NoError(t, w.other.Rename(w.ctx, "A", "B"))
	w.expect(mailbox.MailboxEvent{Name: "B", Kinds: mailbox.EventMailboxName, OldName: "A"})
	assert.Contains(t, w.names(), "B/Child", "the child was renamed with its parent")
	require.NoError(t, w.other.Delete(w.ctx, "B/Child"))
	w.expect(ev("B/Child", mailbox.EventMailboxName))
	require.NoError(t, w.other.Delete(w.ctx, "B"))
	w.expect(ev("B", mailbox.EventMailboxName))
}

// RFC 5465 5.4: renaming INBOX moves its messages to the new mailbox,
// and no event says that INBOX was created anew.
func testWatchRenameInbox(t *testing.T, w *watchEnv) {
	add(t, w.openOther("INBOX"), synth(1))
	w.expect(ev(mailbox.Inbox, mailbox.EventMessageNew))
	require.NoError(t, w.other.Rename(w.ctx, "INBOX", "Old"))
	w.expect(ev(mailbox.Inbox, mailbox.EventMessageExpunge),
		mailbox.MailboxEvent{Name: "Old", Kinds: mailbox.EventMailboxName, OldName: mailbox.Inbox})
}

// RFC 5465 5.5: SubscriptionChange.
func testWatchSubscription(t *testing.T, w *watchEnv) {
	w.create("Box")
	require.NoError(t, w.other.Subscribe(w.ctx, "Box", true))
	w.expect(ev("Box", mailbox.EventSubscription))
	require.NoError(t, w.other.Subscribe(w.ctx, "Box", false))
	w.expect(ev("Box", mailbox.EventSubscription))
}

// RFC 5465 5.6, 5.7: the names of the annotations that changed, sorted
// and merged; the account's under the name "", INBOX's under "INBOX"
// however it was spelled.
func testWatchMetadata(t *testing.T, w *watchEnv) {
	md, ok := w.other.(mailbox.Metadataer)
	if !ok {
		t.Skip("the account does not implement mailbox.Metadataer")
	}
	str := func(s string) *string { return &s }
	meta := func(name string, entries ...string) mailbox.MailboxEvent {
		return mailbox.MailboxEvent{Name: name, Kinds: mailbox.EventMetadata, Entries: entries}
	}
	require.NoError(t, md.SetMetadata(w.ctx, "inbox", map[string]*string{"/shared/b": str("2"), "/private/a": str("1")}, 0))
	w.expect(meta(mailbox.Inbox, "/private/a", "/shared/b"))
	require.NoError(t, md.SetMetadata(w.ctx, "INBOX", map[string]*string{"/private/a": str("1"), "/private/none": nil}, 0))
	w.expect() // nothing changed
	require.NoError(t, md.SetMetadata(w.ctx, "INBOX", map[string]*string{"/private/a": nil, "/shared/b": str("2")}, 0))
	w.expect(meta(mailbox.Inbox, "/private/a")) // removed: reported too
	require.NoError(t, md.SetMetadata(w.ctx, "", map[string]*string{"/shared/comment": str("x")}, 0))
	w.expect(meta("", "/shared/comment"))

	// Merged until the watch polls.
	w.create("Box")
	require.NoError(t, md.SetMetadata(w.ctx, "Box", map[string]*string{"/private/z": str("1")}, 0))
	require.NoError(t, md.SetMetadata(w.ctx, "Box", map[string]*string{"/private/y": str("1"), "/private/z": str("2")}, 0))
	got := w.events()
	require.Len(t, got, 1)
	assert.Equal(t, "Box", got[0].Name)
	assert.Equal(t, mailbox.EventMetadata, got[0].Kinds)
	assert.ElementsMatch(t, []string{"/private/y", "/private/z"}, got[0].Entries)
}

// RFC 5465 5: a watch does not hear of what its own handle did, through
// the account or through a view it opened; a second watch of another
// handle does.
func testWatchOrigin(t *testing.T, w *watchEnv) {
	other := w.other.(mailbox.AccountWatcher).WatchAccount()
	defer other.Stop()
	w.create("Box")
	m := w.open("Box")
	u := add(t, m, synth(1))
	_, err := m.Store(w.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	require.NoError(t, w.acct.Subscribe(w.ctx, "Box", true))
	w.expect()
	evs, err := other.Poll()
	require.NoError(t, err)
	assert.Equal(t, []mailbox.MailboxEvent{ev("Box", mailbox.EventMailboxName|mailbox.EventMessageNew|mailbox.EventFlagChange|mailbox.EventSubscription)}, evs)
}

// Events for one mailbox merge until the watch polls; Poll returns the
// mailboxes in the order they first changed.
func testWatchMerging(t *testing.T, w *watchEnv) {
	w.create("A", "B")
	a, b := w.openOther("A"), w.openOther("B")
	u := add(t, a, synth(1))
	add(t, b, synth(2))
	_, err := a.Store(w.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	_, err = a.Expunge(w.ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.MailboxEvent{
		ev("A", mailbox.EventMessageNew|mailbox.EventFlagChange|mailbox.EventMessageExpunge),
		ev("B", mailbox.EventMessageNew),
	}, w.events())
	w.expect()
}

// A stopped watch hears of nothing; the others still do.
func testWatchStop(t *testing.T, w *watchEnv) {
	second := w.acct.(mailbox.AccountWatcher).WatchAccount()
	defer second.Stop()
	w.create("Box")
	m := w.openOther("Box")
	add(t, m, synth(1))
	w.w.Stop()
	w.w.Stop() // twice is harmless
	evs, err := w.w.Poll()
	require.NoError(t, err)
	assert.Empty(t, evs, "Stop drops the pending events")
	add(t, m, synth(2))
	evs, err = w.w.Poll()
	require.NoError(t, err)
	assert.Empty(t, evs)
	select {
	case <-second.Events():
	case <-time.After(5 * time.Second):
		t.Fatal("the other watch was not signalled")
	}
	evs, err = second.Poll()
	require.NoError(t, err)
	assert.Equal(t, []mailbox.MailboxEvent{ev("Box", mailbox.EventMessageNew)}, evs)
}
