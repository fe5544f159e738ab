package memstore

import (
	"context"
	"slices"

	"github.com/postkit/postkit/mailbox"
)

var _ mailbox.URLAuthKeyer = (*account)(nil)

// urlKeyBox returns the box named name for its URLAUTH key.
func (d *accountData) urlKeyBox(name string) (*box, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	b := d.boxes[name]
	if b == nil || b.noSelect {
		return nil, mailbox.ErrNoSuchMailbox
	}
	return b, nil
}

// URLAuthKey returns the URLAUTH access key of a mailbox.
func (a *account) URLAuthKey(ctx context.Context, name string, create bool) ([]byte, error) {
	if err := a.lock(ctx); err != nil {
		return nil, err
	}
	defer a.d.mu.Unlock()
	b, err := a.d.urlKeyBox(name)
	if err != nil {
		return nil, err
	}
	if b.urlKey == nil && create {
		b.urlKey = mailbox.NewURLAuthKey()
	}
	return slices.Clone(b.urlKey), nil
}

// ResetURLAuthKey replaces the URLAUTH access key of a mailbox, or
// removes those of all mailboxes for name "".
func (a *account) ResetURLAuthKey(ctx context.Context, name string) error {
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.d.mu.Unlock()
	if name == "" {
		for _, b := range a.d.boxes {
			b.urlKey = nil
		}
		return nil
	}
	b, err := a.d.urlKeyBox(name)
	if err != nil {
		return err
	}
	b.urlKey = mailbox.NewURLAuthKey()
	return nil
}
