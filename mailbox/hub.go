package mailbox

import (
	"errors"
	"sync"
)

// ErrUpdatesLost is returned by HubView.Poll when the view fell so far
// behind that updates were dropped; the session should reopen the
// mailbox (IMAP: BYE, or a full resynchronisation).
var ErrUpdatesLost = errors.New("mailbox: too many pending updates; updates were lost")

// DefaultMaxPendingUpdates bounds the updates a view that does not
// poll can accumulate.
const DefaultMaxPendingUpdates = 100000

// Hub fans out Updates between the open views of one mailbox in this
// process. A backend keeps one Hub per mailbox and one HubView per open
// Mailbox. The zero value is ready to use.
type Hub struct {
	// MaxPending bounds each view's queue; DefaultMaxPendingUpdates if 0.
	MaxPending int

	mu    sync.Mutex
	views map[*HubView]struct{}
}

// HubView is one view's membership of a Hub.
type HubView struct {
	hub     *Hub
	ch      chan struct{}
	mu      sync.Mutex
	pending []Update
	lost    bool
	left    bool
	notify  *notifyFunc // armed by NotifyUpdates
}

// notifyFunc is one NotifyUpdates registration.
type notifyFunc struct{ f func() }

// A Notifier is a Mailbox that can call a function when updates are
// pending, as well as signal its Updates channel: a server waits for
// the updates of many sessions with it without a goroutine blocked on
// each channel. Backends built on Hub implement it with
// HubView.NotifyUpdates.
type Notifier interface {
	// NotifyUpdates arranges for f to run once, in a goroutine of its
	// own, as soon as updates are pending: at once if some are already.
	// stop cancels it and reports whether it did so before f was
	// started (like context.AfterFunc's stop). Only the last
	// registration of a view is kept.
	NotifyUpdates(f func()) (stop func() bool)
}

// Join adds a view.
func (h *Hub) Join() *HubView {
	v := &HubView{hub: h, ch: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.views == nil {
		h.views = make(map[*HubView]struct{})
	}
	h.views[v] = struct{}{}
	h.mu.Unlock()
	return v
}

// Views reports how many views are joined.
func (h *Hub) Views() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.views)
}

// Publish queues updates for every view but v and signals them. v may
// be nil to publish to every view (a change made outside any view, such
// as a delivery).
func (h *Hub) Publish(from *HubView, updates ...Update) {
	if len(updates) == 0 {
		return
	}
	max := h.MaxPending
	if max <= 0 {
		max = DefaultMaxPendingUpdates
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for v := range h.views {
		if v == from {
			continue
		}
		v.mu.Lock()
		if !v.lost {
			if len(v.pending)+len(updates) > max {
				v.lost, v.pending = true, nil
			} else {
				v.pending = append(v.pending, updates...)
			}
		}
		n := v.notify
		v.notify = nil
		v.mu.Unlock()
		if n != nil {
			go n.f()
		}
		select {
		case v.ch <- struct{}{}:
		default:
		}
	}
}

// NotifyUpdates implements Notifier: f runs once, in a goroutine of its
// own, when Publish gives v updates, or at once if some are pending.
// The Updates channel is signalled all the same.
func (v *HubView) NotifyUpdates(f func()) (stop func() bool) {
	n := &notifyFunc{f}
	v.mu.Lock()
	if len(v.pending) > 0 || v.lost {
		v.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	v.notify = n
	v.mu.Unlock()
	return func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.notify != n {
			return false
		}
		v.notify = nil
		return true
	}
}

// Publish queues updates for every other view of the hub.
func (v *HubView) Publish(updates ...Update) { v.hub.Publish(v, updates...) }

// Updates returns the channel signalled when updates are pending.
func (v *HubView) Updates() <-chan struct{} { return v.ch }

// Poll returns and clears the pending updates, oldest first.
func (v *HubView) Poll() ([]Update, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.lost {
		v.lost = false
		return nil, ErrUpdatesLost
	}
	u := v.pending
	v.pending = nil
	return u, nil
}

// Leave removes the view from the hub; it gets no more updates.
func (v *HubView) Leave() {
	v.hub.mu.Lock()
	delete(v.hub.views, v)
	v.hub.mu.Unlock()
	v.mu.Lock()
	v.left, v.pending, v.notify = true, nil, nil
	v.mu.Unlock()
}
