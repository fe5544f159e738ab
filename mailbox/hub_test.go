package mailbox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHubNotifyUpdates(t *testing.T) {
	var h Hub
	a, b := h.Join(), h.Join()
	called := make(chan struct{}, 2)
	f := func() { called <- struct{}{} }

	// Armed, then fired once by another view's Publish.
	stop := b.NotifyUpdates(f)
	a.Publish(Update{Kind: UpdateAppended, UID: 1})
	select {
	case <-called:
	case <-time.After(5 * time.Second):
		t.Fatal("not notified")
	}
	assert.False(t, stop(), "stop after the call")
	a.Publish(Update{Kind: UpdateAppended, UID: 2})
	// Pending updates: called at once.
	b.NotifyUpdates(f)
	select {
	case <-called:
	case <-time.After(5 * time.Second):
		t.Fatal("not notified of pending updates")
	}
	ups, err := b.Poll()
	require.NoError(t, err)
	assert.Len(t, ups, 2)
	// The channel is signalled all the same.
	select {
	case <-b.Updates():
	default:
		t.Fatal("Updates not signalled")
	}

	// Stopped before any update: never called.
	stop = b.NotifyUpdates(f)
	assert.True(t, stop())
	a.Publish(Update{Kind: UpdateAppended, UID: 3})
	// A view's own updates do not notify it.
	a.NotifyUpdates(f)
	b.Leave()
	a.Publish(Update{Kind: UpdateAppended, UID: 4})
	select {
	case <-called:
		t.Fatal("called")
	case <-time.After(50 * time.Millisecond):
	}
}
