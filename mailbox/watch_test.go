package mailbox

import (
	"fmt"
	"strings"
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

// TestAccountHubMetadataEntryBytes: the octets of the annotation names
// pending in a watch are bounded by MaxWatchEntryBytes, for a first
// event as for merged ones (of one mailbox or of several); a name
// merged again costs nothing, and Poll gives the budget back.
func TestAccountHubMetadataEntryBytes(t *testing.T) {
	names := func(prefix string, n, size int) []string {
		var out []string
		for i := range n {
			s := fmt.Sprintf("/private/%s%d/", prefix, i)
			out = append(out, s+strings.Repeat("x", size-len(s)))
		}
		return out
	}
	const size = 1024
	full := MaxWatchEntryBytes / size // names that fit exactly
	for _, tc := range []struct {
		name string
		evs  []MailboxEvent
		lost bool
	}{
		{"first event at the bound", []MailboxEvent{{Name: "a", Entries: names("a", full, size)}}, false},
		{"first event over the bound", []MailboxEvent{{Name: "a", Entries: names("a", full+1, size)}}, true},
		{"first event over the bound by one octet", []MailboxEvent{{Name: "a", Entries: append(names("a", full-1, size), names("b", 1, size+1)...)}}, true},
		{"merged at the bound", []MailboxEvent{
			{Name: "a", Entries: names("a", full/2, size)},
			{Name: "a", Entries: names("b", full-full/2, size)},
		}, false},
		{"merged over the bound", []MailboxEvent{
			{Name: "a", Entries: names("a", full/2, size)},
			{Name: "a", Entries: names("b", full-full/2+1, size)},
		}, true},
		{"names merged again are counted once", []MailboxEvent{
			{Name: "a", Entries: names("a", full, size)},
			{Name: "a", Entries: names("a", full, size)},
		}, false},
		{"several mailboxes over the bound", []MailboxEvent{
			{Name: "a", Entries: names("a", full/2, size)},
			{Name: "b", Entries: names("b", full-full/2+1, size)},
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h AccountHub
			w := h.Watch(nil)
			for _, ev := range tc.evs {
				ev.Kinds = EventMetadata
				h.Publish(nil, ev)
			}
			evs, err := w.Poll()
			if tc.lost {
				require.ErrorIs(t, err, ErrUpdatesLost)
				evs, err = w.Poll()
				require.NoError(t, err, "lost once")
				assert.Empty(t, evs)
			} else {
				require.NoError(t, err)
				require.NotEmpty(t, evs)
			}
			// The budget is back once polled.
			h.Publish(nil, MailboxEvent{Name: "c", Kinds: EventMetadata, Entries: names("c", full, size)})
			evs, err = w.Poll()
			require.NoError(t, err)
			require.Len(t, evs, 1)
			assert.Len(t, evs[0].Entries, full)
		})
	}
}
