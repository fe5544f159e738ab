package memstore

import (
	"context"
	"io"
	"slices"

	"github.com/postkit/postkit/mailbox"
)

var _ mailbox.Replacer = (*view)(nil)

// Replace implements mailbox.Replacer: it reads the message into memory
// first, like Append, then adds it to dest and expunges old under one
// lock, with the quota counted net of old (RFC 8508 3.4).
func (v *view) Replace(ctx context.Context, old mailbox.UID, dest string, r io.Reader, opts *mailbox.AppendOptions) (*mailbox.ReplaceResult, error) {
	if err := v.lock(ctx, true, false); err != nil {
		return nil, err
	}
	v.d.mu.Unlock()
	if opts == nil {
		opts = &mailbox.AppendOptions{}
	}
	flags, err := cleanFlags(opts.Flags)
	if err != nil {
		return nil, err
	}
	date := opts.InternalDate
	if date.IsZero() {
		date = v.d.store.now()
	}
	body, err := readAll(ctxReader{ctx, r}, v.d.store.maxMessageBytes())
	if err != nil {
		return nil, err
	}

	if err := v.lock(ctx, true, false); err != nil {
		return nil, err
	}
	defer v.d.mu.Unlock()
	dst, err := v.d.selectableLocked(dest)
	if err != nil {
		return nil, err
	}
	if !dst.room(1) {
		return nil, errNoUIDs
	}
	var om *message
	if i, ok := find(v.known, old); ok && !v.known[i].gone {
		om = v.known[i]
	}
	if err := v.d.replaceCheckLocked(om, int64(len(body))); err != nil {
		return nil, err
	}
	m := dst.add(&message{date: date, body: body}, flags, v.d.store.now())
	if dst == v.b {
		v.claimLocked([]*message{m})
	}
	dst.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: slices.Clone(m.flags), ModSeq: m.modSeq})
	v.d.event(v.a, dst.name, mailbox.EventMessageNew)
	if om != nil {
		v.removeLocked([]*message{om})
	}
	return &mailbox.ReplaceResult{UIDValidity: dst.validity, UID: m.uid, Expunged: om != nil}, nil
}

// replaceCheckLocked returns mailbox.ErrQuota when replacing old (nil
// when it is gone) by a message of size octets takes the account over
// its limits; only the net change counts (RFC 8508 3.4).
func (d *accountData) replaceCheckLocked(old *message, size int64) error {
	if !d.hasQuota {
		return nil
	}
	var oldBytes, oldMsgs int64
	if old != nil {
		oldBytes, oldMsgs = int64(len(old.body)), 1
	}
	bytes, msgs := d.usageLocked()
	if d.quota.OverReplacing(bytes, msgs, oldBytes, oldMsgs, size) {
		return mailbox.ErrQuota
	}
	return nil
}
