package memstore

import (
	"context"

	"github.com/postkit/postkit/mailbox"
)

// quotaAccount is the Account of a store with quotas (Store.Quota).
type quotaAccount struct{ account }

var (
	_ mailbox.Quotaer     = (*quotaAccount)(nil)
	_ mailbox.QuotaSetter = (*quotaAccount)(nil)
)

// usageLocked returns the octets and messages the account holds.
func (d *accountData) usageLocked() (bytes, msgs int64) {
	for _, b := range d.boxes {
		for _, m := range b.msgs {
			bytes += int64(len(m.body))
		}
		msgs += int64(len(b.msgs))
	}
	return bytes, msgs
}

// quotaCheckLocked returns mailbox.ErrQuota when adding addMsgs
// messages of addBytes octets in all would take the account over its
// limits.
func (d *accountData) quotaCheckLocked(addBytes, addMsgs int64) error {
	if !d.hasQuota {
		return nil
	}
	bytes, msgs := d.usageLocked()
	if d.quota.Over(bytes, msgs, addBytes, addMsgs) {
		return mailbox.ErrQuota
	}
	return nil
}

// QuotaRoots returns the account's quota root, "".
func (a *quotaAccount) QuotaRoots(ctx context.Context) ([]mailbox.QuotaRoot, error) {
	if err := a.lock(ctx); err != nil {
		return nil, err
	}
	defer a.d.mu.Unlock()
	bytes, msgs := a.d.usageLocked()
	return []mailbox.QuotaRoot{a.d.quota.Root("", bytes, msgs)}, nil
}

// SetQuota sets the limits of the quota root "": STORAGE (in units of
// 1024 octets) and MESSAGE; other resources are refused with
// mailbox.ErrNotAllowed.
func (a *quotaAccount) SetQuota(ctx context.Context, root string, limits map[string]uint64) error {
	if root != "" {
		return mailbox.ErrInvalidName
	}
	var l mailbox.QuotaLimits
	for k, v := range limits {
		switch k {
		case mailbox.QuotaStorage:
			l.Bytes = int64(min(v, 1<<40)) * 1024
		case mailbox.QuotaMessage:
			l.Messages = int64(min(v, 1<<62))
		default:
			return mailbox.ErrNotAllowed
		}
	}
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.d.mu.Unlock()
	a.d.quota = l
	return nil
}
