package memstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// accountData is the state of one user's mailboxes, shared by every
// Account handle and view of that user. mu guards it all, including
// the boxes and messages.
type accountData struct {
	store *Store

	mu    sync.Mutex
	boxes map[string]*box
	subs  map[string]struct{}
	// meta holds the account's (server) annotations (metadata.go).
	meta map[string]string
	// quota holds the limits of the account's quota root when
	// hasQuota (quota.go).
	quota    mailbox.QuotaLimits
	hasQuota bool

	// watch reports changes to the watches of the account (IMAP
	// NOTIFY); the origin of an event is the *account handle.
	watch mailbox.AccountHub
}

// box is one incarnation of a mailbox. Delete, and Create over a
// \Noselect parent, replace it with a new box; views of the old one then
// fail with mailbox.ErrNoSuchMailbox.
type box struct {
	name       string
	noSelect   bool // a parent that exists only because of its children
	specialUse []string
	gone       bool // deleted; views of it are dead
	// urlKey is the URLAUTH mailbox access key (RFC 4467 2.2), nil
	// until one is made (urlauth.go).
	urlKey []byte

	validity uint32
	// id is the MAILBOXID (RFC 8474 4): random, kept across renames.
	id      string
	uidNext mailbox.UID
	modSeq  uint64 // HIGHESTMODSEQ
	// msgs lists the live messages, ascending UID. Its elements are
	// never changed in place: views share its backing array (see
	// view.known), so messages are only appended, and an expunge
	// builds a new slice.
	msgs []*message
	// tombs records the expunges for QRESYNC, ascending mod-sequence
	// (expunged.go).
	tombs []tombstone

	// keywords maps each keyword, lower-cased, to the spelling it was
	// first given; order lists them in that order.
	keywords map[string]string
	order    []string

	// meta holds the mailbox's annotations (metadata.go).
	meta map[string]string

	hub mailbox.Hub
}

// message is one message. Its body never changes and is shared by
// copies; the other fields are guarded by the account's lock.
type message struct {
	uid     mailbox.UID
	flags   []string // canonical case, no \Recent
	date    time.Time
	saved   time.Time // when it was added to its box (RFC 8514 SAVEDATE)
	body    []byte
	modSeq  uint64
	gone    bool  // expunged
	recent  *view // the view it is \Recent in
	claimed bool  // a view has claimed it (recent may since have closed)
	// layout is the layout of the body's text parts, read on the first
	// BODY search of the message (noLayout when it has none); copies
	// share it once read. See fetched.TextLayout.
	layout atomic.Pointer[mailbox.TextLayout]
	// ids are the message's object identifiers, computed on first use
	// and shared by its copies, like layout.
	ids atomic.Pointer[mailbox.ObjectIDs]
}

func newBox(name string, validity uint32, specialUse []string) *box {
	// HIGHESTMODSEQ starts at 1: RFC 7162 mod-sequence values are
	// positive, so a fresh mailbox can announce one.
	var id [12]byte
	rand.Read(id[:])
	return &box{name: name, specialUse: specialUse, validity: validity, id: "F" + hex.EncodeToString(id[:]), uidNext: 1, modSeq: 1}
}

func newParent(name string) *box { return &box{name: name, noSelect: true} }

// keyword returns the spelling of the keyword kw in b, registering it
// when add is true and it is new. System flags come back canonical.
func (b *box) keyword(kw string, add bool) string {
	kw = mailbox.CanonicalFlag(kw)
	if strings.HasPrefix(kw, `\`) {
		return kw
	}
	low := strings.ToLower(kw)
	if s, ok := b.keywords[low]; ok {
		return s
	}
	if add {
		if b.keywords == nil {
			b.keywords = make(map[string]string)
		}
		b.keywords[low] = kw
		b.order = append(b.order, kw)
	}
	return kw
}

// find returns the index of uid in msgs, sorted by UID, and whether it
// is there.
func find(msgs []*message, uid mailbox.UID) (int, bool) {
	return slices.BinarySearchFunc(msgs, uid, func(m *message, u mailbox.UID) int {
		switch {
		case m.uid < u:
			return -1
		case m.uid > u:
			return 1
		}
		return 0
	})
}

// status computes the status of b; Recent counts the messages recent
// in the view recentFor, or those no view claimed when it is nil.
func (b *box) status(recentFor *view) *mailbox.Status {
	st := &mailbox.Status{
		Messages:      uint32(len(b.msgs)),
		UIDNext:       b.uidNext,
		UIDValidity:   b.validity,
		HighestModSeq: b.modSeq,
		MailboxID:     b.id,
	}
	for _, m := range b.msgs {
		if !mailbox.HasFlag(m.flags, mailbox.FlagSeen) {
			st.Unseen++
		}
		if mailbox.HasFlag(m.flags, mailbox.FlagDeleted) {
			st.Deleted++
		}
		if recentFor == nil && !m.claimed || recentFor != nil && recentFor.recentLocked(m) {
			st.Recent++
		}
		st.Size += int64(len(m.body))
	}
	st.Flags = append([]string{mailbox.FlagAnswered, mailbox.FlagFlagged,
		mailbox.FlagDeleted, mailbox.FlagSeen, mailbox.FlagDraft}, b.order...)
	st.PermanentFlags = append(slices.Clone(st.Flags), `\*`)
	return st
}

// account is one handle on an account; Close ends only the handle.
type account struct {
	d      *accountData
	closed atomic.Bool
}

var (
	_ mailbox.Account        = (*account)(nil)
	_ mailbox.AccountWatcher = (*account)(nil)
)

// WatchAccount implements mailbox.AccountWatcher: the watch sees the
// changes made through every other handle of the account.
func (a *account) WatchAccount() *mailbox.AccountWatch { return a.d.watch.Watch(a) }

// event publishes a change to a mailbox to the account's watches.
func (d *accountData) event(origin *account, name string, kinds mailbox.EventKind) {
	d.watch.Publish(origin, mailbox.MailboxEvent{Name: name, Kinds: kinds})
}

// lock checks the context and the handle and takes the account's lock.
func (a *account) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.closed.Load() {
		return mailbox.ErrClosed
	}
	a.d.mu.Lock()
	return nil
}

func (a *account) Mailboxes(ctx context.Context) ([]mailbox.MailboxInfo, error) {
	if err := a.lock(ctx); err != nil {
		return nil, err
	}
	defer a.d.mu.Unlock()
	out := make([]mailbox.MailboxInfo, 0, len(a.d.boxes))
	for _, b := range a.d.boxes {
		info := mailbox.MailboxInfo{Name: b.name, SpecialUse: slices.Clone(b.specialUse)}
		if b.noSelect {
			info.Attrs = []string{mailbox.AttrNoSelect}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(x, y mailbox.MailboxInfo) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// Create makes name and its missing parents (RFC 9051 6.3.4). A
// \Noselect parent of that name becomes a mailbox.
func (a *account) Create(ctx context.Context, name string, opts *mailbox.CreateOptions) error {
	// RFC 9051 6.3.4: a trailing delimiter only declares the intent to
	// create children.
	name = strings.TrimSuffix(name, string(mailbox.Delimiter))
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	var use []string
	if opts != nil {
		if use, err = cleanSpecialUse(opts.SpecialUse); err != nil {
			return err
		}
	}
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.d.mu.Unlock()
	if b := a.d.boxes[name]; b != nil && !b.noSelect {
		return mailbox.ErrMailboxExists
	}
	a.d.makeParentsLocked(name)
	a.d.boxes[name] = newBox(name, a.d.store.nextValidity(), use)
	a.d.event(a, name, mailbox.EventMailboxName)
	return nil
}

// makeParentsLocked creates the missing parents of name as mailboxes
// (RFC 9051 6.3.4, 6.3.6: "SHOULD create any superior hierarchical
// names").
func (d *accountData) makeParentsLocked(name string) {
	for _, p := range parents(name) {
		if d.boxes[p] == nil {
			d.boxes[p] = newBox(p, d.store.nextValidity(), nil)
		}
	}
}

// hasChildrenLocked reports whether some mailbox is under name.
func (d *accountData) hasChildrenLocked(name string) bool {
	for n := range d.boxes {
		if under(n, name) {
			return true
		}
	}
	return false
}

// pruneLocked removes the \Noselect parents of name that no longer
// have children.
func (d *accountData) pruneLocked(name string) {
	ps := parents(name)
	for i := len(ps) - 1; i >= 0; i-- {
		if b := d.boxes[ps[i]]; b != nil && b.noSelect && !d.hasChildrenLocked(ps[i]) {
			delete(d.boxes, ps[i])
		}
	}
}

// kill marks b deleted and wakes its views, which then fail with
// ErrNoSuchMailbox; the messages are reported expunged to them.
func (b *box) kill() {
	b.gone = true
	ups := make([]mailbox.Update, 0, len(b.msgs))
	for _, m := range b.msgs {
		m.gone = true
		ups = append(ups, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: m.uid, ModSeq: b.modSeq})
	}
	b.msgs = nil
	b.hub.Publish(nil, ups...)
}

// Delete removes name (RFC 9051 6.3.5); with children, it stays as a
// \Noselect parent.
func (a *account) Delete(ctx context.Context, name string) error {
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	if name == mailbox.Inbox {
		return mailbox.ErrNotAllowed
	}
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.d.mu.Unlock()
	b := a.d.boxes[name]
	if b == nil {
		return mailbox.ErrNoSuchMailbox
	}
	children := a.d.hasChildrenLocked(name)
	if b.noSelect {
		if children {
			return mailbox.ErrHasChildren
		}
		delete(a.d.boxes, name)
		a.d.pruneLocked(name)
		return nil
	}
	b.kill()
	a.d.event(a, name, mailbox.EventMailboxName)
	if children {
		a.d.boxes[name] = newParent(name)
		return nil
	}
	delete(a.d.boxes, name)
	a.d.pruneLocked(name)
	return nil
}

// Rename renames from and its children (RFC 9051 6.3.6). The boxes
// keep their UIDVALIDITY: a name that a box leaves gets a new one if it
// is created again, from the store's counter. Renaming INBOX moves its
// messages to a new mailbox; INBOX keeps its UIDVALIDITY and UIDNEXT, so
// its views see the messages expunged. Subscriptions are not renamed.
func (a *account) Rename(ctx context.Context, from, to string) error {
	from, err := cleanName(from)
	if err != nil {
		return err
	}
	if to, err = cleanName(to); err != nil {
		return err
	}
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.d.mu.Unlock()
	d := a.d
	src := d.boxes[from]
	if src == nil {
		return mailbox.ErrNoSuchMailbox
	}
	if d.boxes[to] != nil {
		return mailbox.ErrMailboxExists
	}
	if from == mailbox.Inbox {
		d.makeParentsLocked(to)
		dst := newBox(to, d.store.nextValidity(), nil)
		// RFC 5464 4.1: INBOX's annotations are copied and kept.
		dst.meta = maps.Clone(src.meta)
		d.boxes[to] = dst
		moved := src.msgs
		ups := make([]mailbox.Update, 0, len(moved))
		now := d.store.now()
		for _, m := range moved {
			dst.add(m, m.flags, now)
			m.gone = true
			src.modSeq++
			src.buryLocked(m.uid, src.modSeq)
			ups = append(ups, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: m.uid, ModSeq: src.modSeq})
		}
		src.msgs = nil
		src.hub.Publish(nil, ups...)
		// RFC 5465 5.4: a new INBOX is assumed, and no event for it.
		d.event(a, from, mailbox.EventMessageExpunge)
		d.watch.Publish(a, mailbox.MailboxEvent{Name: to, Kinds: mailbox.EventMailboxName, OldName: from})
		return nil
	}
	if under(to, from) {
		return mailbox.ErrNotAllowed // into itself
	}
	var names []string
	for n := range d.boxes {
		if n == from || under(n, from) {
			names = append(names, n)
		}
	}
	moved := make(map[string]*box, len(names))
	for _, n := range names {
		nn := to + n[len(from):]
		if len(nn) > maxNameBytes {
			return mailbox.ErrInvalidName
		}
		if d.boxes[nn] != nil { // only if to had children without existing
			return mailbox.ErrMailboxExists
		}
		moved[nn] = d.boxes[n]
	}
	for _, n := range names {
		delete(d.boxes, n)
	}
	for n, b := range moved {
		b.name = n
		d.boxes[n] = b
	}
	d.makeParentsLocked(to)
	d.pruneLocked(from)
	// RFC 5465 5.4: one event for the renamed mailbox, none for its
	// children.
	d.watch.Publish(a, mailbox.MailboxEvent{Name: to, Kinds: mailbox.EventMailboxName, OldName: from})
	return nil
}

// snapshot returns b's live messages as they are now, sharing b.msgs'
// backing array: the slice is capped, so appending to b.msgs does not
// show through it, and an expunge replaces b.msgs.
func (b *box) snapshot() []*message { return b.msgs[:len(b.msgs):len(b.msgs)] }

// add appends a copy of m to b, with a new UID and MODSEQ, and returns
// it; it is \Recent for the first view to learn of it. The caller
// publishes the update.
func (b *box) add(m *message, flags []string, saved time.Time) *message {
	b.modSeq++
	n := &message{
		uid:    b.uidNext,
		flags:  make([]string, 0, len(flags)),
		date:   m.date,
		saved:  saved,
		body:   m.body,
		modSeq: b.modSeq,
	}
	n.layout.Store(m.layout.Load())
	n.ids.Store(m.ids.Load())
	for _, f := range flags {
		n.flags = append(n.flags, b.keyword(f, true))
	}
	b.uidNext++
	b.msgs = append(b.msgs, n)
	return n
}

func (a *account) Subscribe(ctx context.Context, name string, subscribed bool) error {
	name, err := cleanName(strings.TrimSuffix(name, string(mailbox.Delimiter)))
	if err != nil {
		return err
	}
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.d.mu.Unlock()
	if subscribed {
		a.d.subs[name] = struct{}{}
	} else {
		delete(a.d.subs, name)
	}
	a.d.event(a, name, mailbox.EventSubscription)
	return nil
}

func (a *account) Subscriptions(ctx context.Context) ([]string, error) {
	if err := a.lock(ctx); err != nil {
		return nil, err
	}
	defer a.d.mu.Unlock()
	out := make([]string, 0, len(a.d.subs))
	for n := range a.d.subs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// selectable returns the box called name, or the error saying why it
// cannot be opened. The caller holds the lock.
func (d *accountData) selectableLocked(name string) (*box, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	b := d.boxes[name]
	switch {
	case b == nil:
		return nil, mailbox.ErrNoSuchMailbox
	case b.noSelect:
		return nil, mailbox.ErrNotSelectable
	}
	return b, nil
}

// Status counts as Recent the messages no view has claimed.
func (a *account) Status(ctx context.Context, name string) (*mailbox.Status, error) {
	if err := a.lock(ctx); err != nil {
		return nil, err
	}
	defer a.d.mu.Unlock()
	b, err := a.d.selectableLocked(name)
	if err != nil {
		return nil, err
	}
	return b.status(nil), nil
}

func (a *account) Open(ctx context.Context, name string, opts *mailbox.OpenOptions) (mailbox.Mailbox, error) {
	if err := a.lock(ctx); err != nil {
		return nil, err
	}
	defer a.d.mu.Unlock()
	b, err := a.d.selectableLocked(name)
	if err != nil {
		return nil, err
	}
	v := &view{d: a.d, a: a, b: b, readOnly: opts != nil && opts.ReadOnly, noRecent: opts != nil && opts.NoRecent}
	v.hv = b.hub.Join()
	v.known = b.snapshot()
	v.claimLocked(v.known)
	return v, nil
}

func (a *account) Close() error {
	a.closed.Store(true)
	return nil
}
