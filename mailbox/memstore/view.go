package memstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// errInvalidFlag is returned for a flag that cannot be stored: a
// keyword that is not an IMAP atom or an unknown system flag.
var errInvalidFlag = mailbox.ErrInvalidFlag

// errNoUIDs is returned when a mailbox has given out every UID.
var errNoUIDs = fmt.Errorf("memstore: mailbox has no UIDs left: %w", mailbox.ErrQuota)

// fetchChunk is how many messages Fetch copies under the lock at a
// time; fn runs without the lock.
const fetchChunk = 256

// view is one open mailbox.Mailbox. Its fields are guarded by the
// account's lock.
type view struct {
	d        *accountData
	a        *account // the handle that opened the view
	b        *box
	hv       *mailbox.HubView
	readOnly bool
	noRecent bool // claims no \Recent (OpenOptions.NoRecent)
	closed   bool

	// known lists the messages the view knows, ascending UID: see the
	// package documentation. Messages in it may be gone (expunged by
	// another view, not yet polled). It is a snapshot of the box's
	// msgs (box.snapshot), shared with the box and with the other
	// views that polled at the same point, so it is never changed in
	// place: a view that expunges builds a new one.
	known []*message
}

var (
	_ mailbox.Mailbox  = (*view)(nil)
	_ mailbox.Mover    = (*view)(nil)
	_ mailbox.Notifier = (*view)(nil)
)

// lock checks the context and the view and takes the account's lock.
// With write, a read-only view fails with ErrReadOnly. A view of a
// deleted mailbox fails with ErrNoSuchMailbox unless gone is allowed.
func (v *view) lock(ctx context.Context, write, allowGone bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v.d.mu.Lock()
	var err error
	switch {
	case v.closed:
		err = mailbox.ErrClosed
	case v.b.gone && !allowGone:
		err = mailbox.ErrNoSuchMailbox
	case write && v.readOnly:
		err = mailbox.ErrReadOnly
	}
	if err != nil {
		v.d.mu.Unlock()
	}
	return err
}

// claimLocked makes the unclaimed messages of ms recent in v, if v is
// read-write.
func (v *view) claimLocked(ms []*message) {
	if v.readOnly || v.noRecent {
		return
	}
	for _, m := range ms {
		if !m.claimed {
			m.claimed, m.recent = true, v
		}
	}
}

// recentLocked reports whether m is \Recent in v: claimed by v, or, in
// a read-only view, claimed by no view (RFC 3501 6.3.2: EXAMINE shows
// \Recent without taking it).
func (v *view) recentLocked(m *message) bool {
	return m.recent == v || v.readOnly && !m.claimed
}

// flagsLocked returns m's flags as v sees them: with \Recent when m is
// recent in v. A message's flags slice is never changed in place (Store
// replaces it), so when m is not recent the slice is shared, capped so
// that an append copies it: a SELECT of a large mailbox then allocates
// nothing per message, which would otherwise be garbage interleaved
// with the sessions' long-lived state.
func (v *view) flagsLocked(m *message) []string {
	if !v.recentLocked(m) {
		return m.flags[:len(m.flags):len(m.flags)]
	}
	f := make([]string, len(m.flags), len(m.flags)+1)
	copy(f, m.flags)
	if v.recentLocked(m) {
		f = append(f, mailbox.FlagRecent)
	}
	return f
}

// matchLocked appends to ms up to limit known messages whose UID is in
// set (normalized) and at least from, and returns them with the UID to
// continue from if there may be more.
func (v *view) matchLocked(ms []*message, set mailbox.UIDSet, from mailbox.UID, limit int) (_ []*message, next mailbox.UID, more bool) {
	ms = ms[:0]
	i, _ := find(v.known, from)
	r := 0
	for i < len(v.known) {
		if limit > 0 && len(ms) == limit {
			return ms, v.known[i].uid, true
		}
		m := v.known[i]
		for r < len(set) && set[r].Stop < m.uid {
			r++
		}
		if r == len(set) {
			break
		}
		if m.uid < set[r].Start {
			i, _ = find(v.known, set[r].Start)
			continue
		}
		ms = append(ms, m)
		i++
	}
	return ms, 0, false
}

// normalize returns a sorted, merged copy of s.
func normalize(s mailbox.UIDSet) mailbox.UIDSet {
	var out mailbox.UIDSet
	for _, r := range s {
		out.AddRange(r.Start, r.Stop)
	}
	return out
}

func (v *view) Name() string {
	v.d.mu.Lock()
	defer v.d.mu.Unlock()
	return v.b.name
}

// Status reports the mailbox as it is now, not as the view knows it;
// Recent counts the messages recent in this view.
func (v *view) Status(ctx context.Context) (*mailbox.Status, error) {
	if err := v.lock(ctx, false, false); err != nil {
		return nil, err
	}
	defer v.d.mu.Unlock()
	return v.b.status(v), nil
}

// cleanFlags checks flags for Append and Store and returns them in
// canonical case; \Recent is dropped (a client cannot set it).
func cleanFlags(flags []string) ([]string, error) {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if strings.EqualFold(f, mailbox.FlagRecent) {
			continue
		}
		if !mailbox.ValidFlag(f) {
			return nil, fmt.Errorf("%w %q", errInvalidFlag, f)
		}
		out = append(out, mailbox.CanonicalFlag(f))
	}
	return out, nil
}

// ctxReader stops reading when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Append reads the whole message into memory, up to the store's
// MaxMessageBytes, before it takes the lock.
func (v *view) Append(ctx context.Context, r io.Reader, opts *mailbox.AppendOptions) (mailbox.UID, error) {
	if err := v.lock(ctx, true, false); err != nil {
		return 0, err
	}
	v.d.mu.Unlock()
	if opts == nil {
		opts = &mailbox.AppendOptions{}
	}
	flags, err := cleanFlags(opts.Flags)
	if err != nil {
		return 0, err
	}
	date := opts.InternalDate
	if date.IsZero() {
		date = v.d.store.now()
	}
	body, err := readAll(ctxReader{ctx, r}, v.d.store.maxMessageBytes())
	if err != nil {
		return 0, err
	}

	if err := v.lock(ctx, true, false); err != nil {
		return 0, err
	}
	defer v.d.mu.Unlock()
	if !v.b.room(1) {
		return 0, errNoUIDs
	}
	if err := v.d.quotaCheckLocked(int64(len(body)), 1); err != nil {
		return 0, err
	}
	m := v.b.add(&message{date: date, body: body}, flags, v.d.store.now())
	// Like every view, this one learns of the message through Poll, so
	// it learns of all new messages in UID order; the message is recent
	// in it.
	v.claimLocked([]*message{m})
	v.b.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: slices.Clone(m.flags), ModSeq: m.modSeq})
	v.d.event(v.a, v.b.name, mailbox.EventMessageNew)
	return m.uid, nil
}

// readAll reads r to the end, failing with mailbox.ErrTooLarge past
// max octets when max > 0. It sizes its buffer from r's Len when r has
// one (bytes.Reader, strings.Reader, bytes.Buffer), and returns a slice
// without much spare capacity, since it is kept.
func readAll(r ctxReader, max int64) ([]byte, error) {
	size := 4096
	if l, ok := r.r.(interface{ Len() int }); ok && (max <= 0 || int64(l.Len()) <= max) {
		size = l.Len() + 1 // +1 to see io.EOF without growing
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if max > 0 && int64(len(b)) > max {
			return nil, mailbox.ErrTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if cap(b)-len(b) > len(b)/8+1 {
		b = bytes.Clone(b)
	}
	return b, nil
}

// room reports whether b can give n more UIDs.
func (b *box) room(n int) bool {
	return b.uidNext != 0 && uint64(b.uidNext)+uint64(n)-1 <= uint64(mailbox.MaxUID)
}

// Fetch copies the known messages in uids a chunk at a time and calls
// fn without holding the lock, so fn may use the view. A message that
// fn itself expunges may still be passed to fn if it was in the chunk
// already copied, as it would be had another view expunged it.
func (v *view) Fetch(ctx context.Context, uids mailbox.UIDSet, fn func(mailbox.Message) error) error {
	set := normalize(uids)
	from := mailbox.UID(1)
	buf := make([]fetched, 0, fetchChunk)
	var ms []*message
	for {
		if err := v.lock(ctx, false, false); err != nil {
			return err
		}
		var next mailbox.UID
		var more bool
		ms, next, more = v.matchLocked(ms, set, from, fetchChunk)
		buf = buf[:0]
		for _, m := range ms {
			buf = append(buf, fetched{uid: m.uid, flags: v.flagsLocked(m), date: m.date, saved: m.saved, body: m.body, modSeq: m.modSeq, m: m})
		}
		v.d.mu.Unlock()
		for i := range buf {
			if err := fn(&buf[i]); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		from = next
	}
}

// fetched is a message as Fetch saw it.
type fetched struct {
	uid    mailbox.UID
	flags  []string
	date   time.Time
	saved  time.Time
	body   []byte
	modSeq uint64
	m      *message // for its layout, which needs no lock
}

var (
	_ mailbox.SaveDater  = (*fetched)(nil)
	_ mailbox.ObjectIDer = (*fetched)(nil)
)

// ObjectIDs implements mailbox.ObjectIDer with mailbox.ReadObjectIDs,
// computed on the first call and kept with the message and its copies.
func (f *fetched) ObjectIDs(ctx context.Context) (mailbox.ObjectIDs, error) {
	if err := ctx.Err(); err != nil {
		return mailbox.ObjectIDs{}, err
	}
	if ids := f.m.ids.Load(); ids != nil {
		return *ids, nil
	}
	ids, err := mailbox.ReadObjectIDs(body{bytes.NewReader(f.body)})
	if err != nil {
		return ids, err
	}
	f.m.ids.CompareAndSwap(nil, &ids)
	return ids, nil
}

// SaveDate implements mailbox.SaveDater: when the message was appended,
// copied or moved to its mailbox.
func (f *fetched) SaveDate() time.Time { return f.saved }

func (f *fetched) UID() mailbox.UID        { return f.uid }
func (f *fetched) Flags() []string         { return f.flags }
func (f *fetched) InternalDate() time.Time { return f.date }
func (f *fetched) Size() int64             { return int64(len(f.body)) }
func (f *fetched) ModSeq() uint64          { return f.modSeq }

func (f *fetched) Open(ctx context.Context) (mailbox.Body, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return body{bytes.NewReader(f.body)}, nil
}

// noLayout marks a message that has no text layout (see
// mailbox.ReadTextLayout): it is searched by reading it whole.
var noLayout = new(mailbox.TextLayout)

// TextLayout returns the layout of the message's text parts, read on
// the first call and kept with the message (mailbox.TextLayouter): a few
// dozen octets per text part, mailbox.MaxTextLayoutParts at most.
// Concurrent first calls may both read it; one is kept.
func (f *fetched) TextLayout(ctx context.Context) (*mailbox.TextLayout, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := f.m.layout.Load()
	if l == nil {
		var err error
		if l, err = mailbox.ReadTextLayout(body{bytes.NewReader(f.body)}); err != nil {
			return nil, err
		}
		if l == nil {
			l = noLayout
		}
		f.m.layout.CompareAndSwap(nil, l)
	}
	if l == noLayout {
		return nil, nil
	}
	return l, nil
}

// body is a message's octets; Close does nothing.
type body struct{ *bytes.Reader }

func (body) Close() error { return nil }

// Store skips known messages that another view expunged.
func (v *view) Store(ctx context.Context, uids mailbox.UIDSet, op mailbox.StoreOp, flags []string, opts *mailbox.StoreOptions) (*mailbox.StoreResult, error) {
	change, err := cleanFlags(flags)
	if err != nil {
		return nil, err
	}
	if op != mailbox.StoreReplace && op != mailbox.StoreAdd && op != mailbox.StoreRemove {
		return nil, fmt.Errorf("memstore: unknown store operation %d", op)
	}
	if err := v.lock(ctx, true, false); err != nil {
		return nil, err
	}
	defer v.d.mu.Unlock()
	b := v.b
	for i, f := range change {
		change[i] = b.keyword(f, op != mailbox.StoreRemove)
	}
	var since uint64
	if opts != nil {
		since = opts.UnchangedSince
	}
	ms, _, _ := v.matchLocked(nil, normalize(uids), 1, 0)
	res := &mailbox.StoreResult{}
	var ups []mailbox.Update
	for _, m := range ms {
		if m.gone {
			continue
		}
		// RFC 7162 3.1.3: leave alone what changed after UNCHANGEDSINCE.
		if since != 0 && m.modSeq > since {
			res.Modified = append(res.Modified, m.uid)
			continue
		}
		nf := mailbox.ApplyFlags(m.flags, op, change)
		if !sameFlags(nf, m.flags) {
			b.modSeq++
			m.flags, m.modSeq = nf, b.modSeq
			ups = append(ups, mailbox.Update{Kind: mailbox.UpdateFlags, UID: m.uid, Flags: slices.Clone(nf), ModSeq: m.modSeq})
		}
		res.Updated = append(res.Updated, mailbox.FlagUpdate{UID: m.uid, Flags: v.flagsLocked(m), ModSeq: m.modSeq})
	}
	v.hv.Publish(ups...)
	if len(ups) > 0 {
		v.d.event(v.a, b.name, mailbox.EventFlagChange)
	}
	return res, nil
}

// sameFlags reports whether a and b hold the same flags, in any order;
// both are in canonical case without duplicates.
func sameFlags(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, f := range a {
		if !slices.Contains(b, f) {
			return false
		}
	}
	return true
}

// Expunge removes known, live messages flagged \Deleted.
func (v *view) Expunge(ctx context.Context, uids *mailbox.UIDSet) ([]mailbox.UID, error) {
	if err := v.lock(ctx, true, false); err != nil {
		return nil, err
	}
	defer v.d.mu.Unlock()
	set := mailbox.AllUIDs
	if uids != nil {
		set = normalize(*uids)
	}
	ms, _, _ := v.matchLocked(nil, set, 1, 0)
	var del []*message
	for _, m := range ms {
		if !m.gone && mailbox.HasFlag(m.flags, mailbox.FlagDeleted) {
			del = append(del, m)
		}
	}
	return v.removeLocked(del), nil
}

// removeLocked expunges ms (live, ascending) from the view's box, tells
// the other views, and returns their UIDs.
func (v *view) removeLocked(ms []*message) []mailbox.UID {
	if len(ms) == 0 {
		return nil
	}
	b := v.b
	out := make([]mailbox.UID, 0, len(ms))
	ups := make([]mailbox.Update, 0, len(ms))
	for _, m := range ms {
		m.gone = true
		b.modSeq++
		b.buryLocked(m.uid, b.modSeq)
		out = append(out, m.uid)
		ups = append(ups, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: m.uid, ModSeq: b.modSeq})
	}
	// b.msgs and v.known share their arrays with the views' snapshots:
	// filter into new ones.
	b.msgs = without(b.msgs, func(m *message) bool { return m.gone })
	v.known = without(v.known, func(m *message) bool {
		_, found := slices.BinarySearch(out, m.uid)
		return found
	})
	v.hv.Publish(ups...)
	if len(ups) > 0 {
		v.d.event(v.a, b.name, mailbox.EventMessageExpunge)
	}
	return out
}

// without returns a new slice of the messages of ms for which drop is
// false, leaving ms alone.
func without(ms []*message, drop func(*message) bool) []*message {
	n := 0
	for _, m := range ms {
		if !drop(m) {
			n++
		}
	}
	out := make([]*message, 0, n)
	for _, m := range ms {
		if !drop(m) {
			out = append(out, m)
		}
	}
	return out
}

// Copy copies the known, live messages in uids. A copy into the view's
// own mailbox is like Append: the view knows the copies at once and
// they are recent in it.
func (v *view) Copy(ctx context.Context, uids mailbox.UIDSet, dest string) (*mailbox.CopyResult, error) {
	if err := v.lock(ctx, false, false); err != nil {
		return nil, err
	}
	defer v.d.mu.Unlock()
	res, _, err := v.copyLocked(uids, dest, true)
	return res, err
}

// Move moves the known, live messages in uids at once (RFC 6851): the
// copies and the expunge happen under one lock.
func (v *view) Move(ctx context.Context, uids mailbox.UIDSet, dest string) (*mailbox.CopyResult, error) {
	if err := v.lock(ctx, true, false); err != nil {
		return nil, err
	}
	defer v.d.mu.Unlock()
	res, moved, err := v.copyLocked(uids, dest, false)
	if err != nil {
		return nil, err
	}
	v.removeLocked(moved)
	return res, nil
}

// copyLocked copies the messages; quota says whether the account's
// quota is checked (a move within the account adds nothing to it).
func (v *view) copyLocked(uids mailbox.UIDSet, dest string, quota bool) (*mailbox.CopyResult, []*message, error) {
	dst, err := v.d.selectableLocked(dest)
	if err != nil {
		return nil, nil, err
	}
	ms, _, _ := v.matchLocked(nil, normalize(uids), 1, 0)
	ms = slices.DeleteFunc(ms, func(m *message) bool { return m.gone })
	if !dst.room(len(ms)) {
		return nil, nil, errNoUIDs
	}
	if quota {
		var size int64
		for _, m := range ms {
			size += int64(len(m.body))
		}
		if err := v.d.quotaCheckLocked(size, int64(len(ms))); err != nil {
			return nil, nil, err
		}
	}
	res := &mailbox.CopyResult{UIDValidity: dst.validity}
	var added []*message
	ups := make([]mailbox.Update, 0, len(ms))
	now := v.d.store.now()
	for _, m := range ms {
		n := dst.add(m, m.flags, now)
		added = append(added, n)
		res.Source = append(res.Source, m.uid)
		res.Dest = append(res.Dest, n.uid)
		ups = append(ups, mailbox.Update{Kind: mailbox.UpdateAppended, UID: n.uid, Flags: slices.Clone(n.flags), ModSeq: n.modSeq})
	}
	// The copies reach every view of dst, this one too when dst is its
	// own mailbox, through Poll; then they are recent in it.
	if dst == v.b {
		v.claimLocked(added)
	}
	dst.hub.Publish(nil, ups...)
	if len(ups) > 0 {
		v.d.event(v.a, dst.name, mailbox.EventMessageNew)
	}
	return res, ms, nil
}

func (v *view) Updates() <-chan struct{} { return v.hv.Updates() }

// NotifyUpdates implements mailbox.Notifier.
func (v *view) NotifyUpdates(f func()) (stop func() bool) { return v.hv.NotifyUpdates(f) }

// Poll returns the pending updates and brings the view up to date: it
// then knows exactly the mailbox's live messages. The flags in the
// updates include \Recent for the messages recent in this view. When
// updates were lost (mailbox.ErrUpdatesLost) the view is brought up to
// date all the same, but the caller should start afresh.
func (v *view) Poll(ctx context.Context) ([]mailbox.Update, error) {
	if err := v.lock(ctx, false, true); err != nil {
		return nil, err
	}
	defer v.d.mu.Unlock()
	ups, err := v.hv.Poll()
	if len(ups) == 0 && err == nil {
		return nil, nil
	}
	// The messages the view did not know are those above the largest
	// UID it knew (UIDs ascend), and only they may still be unclaimed:
	// the others were claimed when the view learnt of them, if it
	// claims at all. So Poll costs O(changes), not O(messages).
	var last mailbox.UID
	if n := len(v.known); n > 0 {
		last = v.known[n-1].uid
	}
	v.known = v.b.snapshot()
	i, found := find(v.known, last)
	if found {
		i++
	}
	v.claimLocked(v.known[i:])
	for i, u := range ups {
		if u.Kind != mailbox.UpdateAppended && u.Kind != mailbox.UpdateFlags {
			continue
		}
		// A change reported late must not undo a later one this view
		// made or saw: the update carries the message's flags as they
		// are now (a client told "\Seen" by a stale update after its
		// own STORE added a keyword would lose the keyword).
		if j, ok := find(v.b.msgs, u.UID); ok {
			m := v.b.msgs[j]
			u.Flags, u.ModSeq = slices.Clone(m.flags), m.modSeq
			if v.recentLocked(m) {
				u.Flags = append(u.Flags, mailbox.FlagRecent)
			}
		} else {
			// The Flags slice is shared with the other views: copy it.
			u.Flags = slices.Clone(u.Flags)
		}
		ups[i] = u
	}
	return ups, err
}

// Close leaves the mailbox's hub; the messages recent in the view stay
// claimed. Closing twice is not an error.
func (v *view) Close() error {
	v.d.mu.Lock()
	defer v.d.mu.Unlock()
	if v.closed {
		return nil
	}
	v.closed = true
	v.known = nil
	v.hv.Leave()
	return nil
}
