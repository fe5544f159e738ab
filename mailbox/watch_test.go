package mailbox

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAccountHubMergesPerMailbox(t *testing.T) {
	var h AccountHub
	me, other := new(int), new(int)
	w := h.Watch(me)
	h.Publish(other, MailboxEvent{Name: "a", Kinds: EventMessageNew})
	h.Publish(other, MailboxEvent{Name: "b", Kinds: EventMailboxName})
	h.Publish(nil, MailboxEvent{Name: "a", Kinds: EventFlagChange})
	h.Publish(other, MailboxEvent{Name: "b", Kinds: EventMailboxName, OldName: "old"})
	h.Publish(me, MailboxEvent{Name: "c", Kinds: EventMessageNew}) // its own
	select {
	case <-w.Events():
	default:
		t.Fatal("not signalled")
	}
	evs, err := w.Poll()
	require.NoError(t, err)
	assert.Equal(t, []MailboxEvent{
		{Name: "a", Kinds: EventMessageNew | EventFlagChange},
		{Name: "b", Kinds: EventMailboxName, OldName: "old"},
	}, evs)
	evs, err = w.Poll()
	require.NoError(t, err)
	assert.Empty(t, evs)
}

func TestAccountHubOverflowAndStop(t *testing.T) {
	h := AccountHub{MaxEvents: 2}
	w := h.Watch(nil)
	for _, n := range []string{"a", "b", "a", "c", "d"} {
		h.Publish(nil, MailboxEvent{Name: n, Kinds: EventMessageNew})
	}
	_, err := w.Poll()
	require.ErrorIs(t, err, ErrUpdatesLost)
	evs, err := w.Poll()
	require.NoError(t, err)
	assert.Empty(t, evs)
	h.Publish(nil, MailboxEvent{Name: "e", Kinds: EventMessageNew})
	w.Stop()
	h.Publish(nil, MailboxEvent{Name: "f", Kinds: EventMessageNew})
	evs, err = w.Poll()
	require.NoError(t, err)
	assert.Empty(t, evs)
}

func TestAccountHubMergesMetadataEntries(t *testing.T) {
	var h AccountHub
	w := h.Watch(nil)
	entries := []string{"/private/comment"}
	h.Publish(nil, MailboxEvent{Name: "", Kinds: EventMetadata, Entries: entries})
	entries[0] = "/changed/by/caller"
	h.Publish(nil, MailboxEvent{Name: "", Kinds: EventMetadata, Entries: []string{"/shared/comment", "/private/comment"}})
	h.Publish(nil, MailboxEvent{Name: "INBOX", Kinds: EventMetadata, Entries: []string{"/shared/x"}})
	evs, err := w.Poll()
	require.NoError(t, err)
	assert.Equal(t, []MailboxEvent{
		{Name: "", Kinds: EventMetadata, Entries: []string{"/private/comment", "/shared/comment"}},
		{Name: "INBOX", Kinds: EventMetadata, Entries: []string{"/shared/x"}},
	}, evs)
}

func TestAccountHubTooManyMetadataEntriesLoseEvents(t *testing.T) {
	var h AccountHub
	w := h.Watch(nil)
	for i := range MaxWatchEventEntries + 1 {
		h.Publish(nil, MailboxEvent{Name: "a", Kinds: EventMetadata, Entries: []string{fmt.Sprintf("/private/e%d", i)}})
	}
	_, err := w.Poll()
	require.ErrorIs(t, err, ErrUpdatesLost)
}

func TestAccountHubOnIdle(t *testing.T) {
	var h AccountHub
	idle := 0
	h.OnIdle = func() {
		idle++
		assert.Equal(t, 0, h.Len(), "called without the lock, after the last watch left")
	}
	w1, w2 := h.Watch(nil), h.Watch(nil)
	assert.Equal(t, 2, h.Len())
	w1.Stop()
	assert.Equal(t, 0, idle, "a watch is left")
	w2.Stop()
	assert.Equal(t, 1, idle)
	w2.Stop()
	w1.Stop()
	assert.Equal(t, 1, idle, "stopping again does nothing")
	h.Watch(nil).Stop()
	assert.Equal(t, 2, idle)
}
