package mailbox

import (
	"slices"
	"sync"
)

// An AccountWatcher is an Account that reports changes to any of its
// mailboxes, as IMAP NOTIFY (RFC 5465) needs. A watch sees the changes
// made through every handle of the account but its own (RFC 5465 5:
// a client is not told of what it did).
type AccountWatcher interface {
	// WatchAccount starts a watch; Stop it when done.
	WatchAccount() *AccountWatch
}

// EventKind is a set of kinds of change to a mailbox.
type EventKind uint8

// Kinds of MailboxEvent.
const (
	EventMessageNew     EventKind = 1 << iota // messages were added
	EventMessageExpunge                       // messages were expunged
	EventFlagChange                           // message flags changed
	// EventMailboxName: the mailbox was created, deleted, or renamed
	// (from MailboxEvent.OldName).
	EventMailboxName
	EventSubscription // the mailbox was subscribed or unsubscribed
	// EventMetadata: annotations (RFC 5464) of the mailbox, or of the
	// account when Name is "", were set or removed; Entries names them.
	EventMetadata
)

// MailboxEvent says that a mailbox changed, not how: the watcher asks
// the account for the current state.
type MailboxEvent struct {
	Name    string    // the mailbox's name now
	Kinds   EventKind // what changed, a set
	OldName string    // for a rename: the name before
	// Entries are the names of the annotations set or removed, for
	// EventMetadata; merged events hold the union.
	Entries []string
}

// DefaultMaxWatchEvents bounds the mailboxes a watch holds events for.
const DefaultMaxWatchEvents = 10000

// MaxWatchEventEntries bounds the annotation names one pending event
// holds; past it the watch's events are lost (ErrUpdatesLost), since a
// removed entry cannot be reported otherwise.
const MaxWatchEventEntries = 1000

// MaxWatchEntryBytes bounds the octets of the annotation names all the
// pending events of one watch hold together; past it the watch's
// events are lost (ErrUpdatesLost), as past MaxWatchEventEntries. With
// names of up to 1024 octets (IMAP's MaxMetadataEntryName) the count
// bounds alone would let a watch hold gigabytes.
const MaxWatchEntryBytes = 256 << 10

// AccountHub fans out MailboxEvents to the watches of one account. A
// backend keeps one per account. Events for the same mailbox are
// merged while a watch does not poll, so a watch holds at most one
// event per mailbox. The zero value is ready to use.
type AccountHub struct {
	// MaxEvents bounds each watch's pending events (one per mailbox);
	// DefaultMaxWatchEvents if 0.
	MaxEvents int

	// OnIdle, when not nil, is called after Stop has removed the hub's
	// last watch, without the hub's lock held, so that a backend can
	// stop what it runs only for watches (a poller). A new watch may
	// have started meanwhile: Len tells.
	OnIdle func()

	mu      sync.Mutex
	watches map[*AccountWatch]struct{}
}

// Len returns the number of watches not stopped.
func (h *AccountHub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watches)
}

// AccountWatch is one watch of an AccountHub.
type AccountWatch struct {
	hub    *AccountHub
	origin any
	ch     chan struct{}

	mu      sync.Mutex
	pending []MailboxEvent
	index   map[string]int // name -> position in pending
	// bytes is the octets of the annotation names in pending.
	bytes int
	lost  bool
}

// Watch starts a watch that ignores the events published with the
// given origin (nil: ignores none).
func (h *AccountHub) Watch(origin any) *AccountWatch {
	w := &AccountWatch{hub: h, origin: origin, ch: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.watches == nil {
		h.watches = make(map[*AccountWatch]struct{})
	}
	h.watches[w] = struct{}{}
	h.mu.Unlock()
	return w
}

// Publish gives ev to every watch but those of origin and signals them.
func (h *AccountHub) Publish(origin any, ev MailboxEvent) {
	max := h.MaxEvents
	if max <= 0 {
		max = DefaultMaxWatchEvents
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watches {
		if origin != nil && w.origin == origin {
			continue
		}
		w.add(ev, max)
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
}

func (w *AccountWatch) add(ev MailboxEvent, max int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lost {
		return
	}
	if i, ok := w.index[ev.Name]; ok {
		p := &w.pending[i]
		p.Kinds |= ev.Kinds
		if ev.OldName != "" {
			p.OldName = ev.OldName
		}
		for _, e := range ev.Entries {
			if !slices.Contains(p.Entries, e) {
				if len(p.Entries) >= MaxWatchEventEntries || w.bytes+len(e) > MaxWatchEntryBytes {
					w.loseLocked()
					return
				}
				p.Entries = append(p.Entries, e)
				w.bytes += len(e)
			}
		}
		return
	}
	if len(w.pending) >= max || len(ev.Entries) > MaxWatchEventEntries {
		w.loseLocked()
		return
	}
	n := w.bytes
	for _, e := range ev.Entries {
		n += len(e)
	}
	if n > MaxWatchEntryBytes {
		w.loseLocked()
		return
	}
	if w.index == nil {
		w.index = make(map[string]int)
	}
	ev.Entries = slices.Clone(ev.Entries)
	w.index[ev.Name] = len(w.pending)
	w.pending = append(w.pending, ev)
	w.bytes = n
}

// loseLocked drops the pending events: the next Poll reports
// ErrUpdatesLost.
func (w *AccountWatch) loseLocked() {
	w.lost, w.pending, w.index, w.bytes = true, nil, nil, 0
}

// Events returns the channel signalled when events are pending.
func (w *AccountWatch) Events() <-chan struct{} { return w.ch }

// Poll returns and clears the pending events, in the order the
// mailboxes first changed. It fails with ErrUpdatesLost, once, when
// more mailboxes changed than the hub's MaxEvents, or the annotation
// names pending passed MaxWatchEventEntries for a mailbox or
// MaxWatchEntryBytes in all.
func (w *AccountWatch) Poll() ([]MailboxEvent, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lost {
		w.lost = false
		return nil, ErrUpdatesLost
	}
	p := w.pending
	w.pending, w.index, w.bytes = nil, nil, 0
	return p, nil
}

// Stop ends the watch. Stopping it again does nothing.
func (w *AccountWatch) Stop() {
	h := w.hub
	h.mu.Lock()
	_, ok := h.watches[w]
	delete(h.watches, w)
	idle := ok && len(h.watches) == 0 && h.OnIdle != nil
	h.mu.Unlock()
	w.mu.Lock()
	w.pending, w.index, w.bytes = nil, nil, 0
	w.mu.Unlock()
	if idle {
		h.OnIdle()
	}
}
