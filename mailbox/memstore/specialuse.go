package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

var _ mailbox.SpecialUseSetter = (*account)(nil)

// SetSpecialUse sets the special-use attributes of the mailbox named
// name to use (none when empty), with the checks of Create: an
// attribute RFC 6154 does not define fails with
// mailbox.ErrUseAttrUnsupported. A special use marks one mailbox at
// most (RFC 6154 4): each attribute given is taken from the other
// mailboxes that had it, and moved lists those, sorted. It fails with
// mailbox.ErrNoSuchMailbox for no such mailbox, and with
// mailbox.ErrNotSelectable for a \Noselect parent.
func (a *account) SetSpecialUse(ctx context.Context, name string, use []string) (moved []string, err error) {
	name, err = cleanName(name)
	if err != nil {
		return nil, err
	}
	if use, err = cleanSpecialUse(use); err != nil {
		return nil, err
	}
	if err := a.lock(ctx); err != nil {
		return nil, err
	}
	defer a.d.mu.Unlock()
	b := a.d.boxes[name]
	switch {
	case b == nil:
		return nil, mailbox.ErrNoSuchMailbox
	case b.noSelect:
		return nil, mailbox.ErrNotSelectable
	}
	for _, o := range a.d.boxes {
		if o == b || !slices.ContainsFunc(o.specialUse, func(u string) bool { return slices.Contains(use, u) }) {
			continue
		}
		o.specialUse = slices.DeleteFunc(slices.Clone(o.specialUse), func(u string) bool { return slices.Contains(use, u) })
		moved = append(moved, o.name)
	}
	slices.Sort(moved)
	changed := !sameUse(b.specialUse, use)
	b.specialUse = use
	if changed {
		a.d.watch.Publish(a, mailbox.MailboxEvent{Name: name, Kinds: mailbox.EventMetadata, Entries: []string{mailbox.SpecialUseEntry}})
	}
	for _, n := range moved {
		a.d.watch.Publish(a, mailbox.MailboxEvent{Name: n, Kinds: mailbox.EventMetadata, Entries: []string{mailbox.SpecialUseEntry}})
	}
	return moved, nil
}

// sameUse reports whether two sets of special uses are equal.
func sameUse(x, y []string) bool {
	if len(x) != len(y) {
		return false
	}
	for _, u := range x {
		if !slices.ContainsFunc(y, func(v string) bool { return strings.EqualFold(u, v) }) {
			return false
		}
	}
	return true
}
