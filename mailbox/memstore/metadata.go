package memstore

import (
	"context"
	"maps"

	"github.com/postkit/postkit/mailbox"
)

var _ mailbox.Metadataer = (*account)(nil)

// metaLocked returns the map of annotations of the mailbox named name,
// or of the account for "", creating it when create is set, and the
// mailbox's name as the account spells it.
func (d *accountData) metaLocked(name string, create bool) (map[string]string, string, error) {
	p := &d.meta
	if name != "" {
		var err error
		name, err = cleanName(name)
		if err != nil {
			return nil, "", err
		}
		b := d.boxes[name]
		if b == nil {
			return nil, "", mailbox.ErrNoSuchMailbox
		}
		p = &b.meta
	}
	if *p == nil && create {
		*p = make(map[string]string)
	}
	return *p, name, nil
}

// Metadata returns the annotations of a mailbox or of the account.
func (a *account) Metadata(ctx context.Context, name string) (map[string]string, error) {
	if err := a.lock(ctx); err != nil {
		return nil, err
	}
	defer a.d.mu.Unlock()
	m, _, err := a.d.metaLocked(name, false)
	return maps.Clone(m), err
}

// SetMetadata sets annotations of a mailbox or of the account.
func (a *account) SetMetadata(ctx context.Context, name string, entries map[string]*string, maxEntries int) error {
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.d.mu.Unlock()
	m, name, err := a.d.metaLocked(name, true)
	if err != nil {
		return err
	}
	changed := mailbox.ChangedMetadata(m, entries)
	if err := mailbox.ApplyMetadata(m, entries, maxEntries); err != nil {
		return err
	}
	if len(changed) > 0 {
		a.d.watch.Publish(a, mailbox.MailboxEvent{Name: name, Kinds: mailbox.EventMetadata, Entries: changed})
	}
	return nil
}
