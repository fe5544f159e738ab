package mailbox

import "context"

// Quota resources (RFC 9208 5).
const (
	// QuotaStorage is the space of the messages, in units of 1024
	// octets (RFC 9208 5.1).
	QuotaStorage = "STORAGE"
	// QuotaMessage is the number of messages (RFC 9208 5.2).
	QuotaMessage = "MESSAGE"
)

// Quotaer is implemented by an Account that has quotas (IMAP QUOTA,
// RFC 9208). The backend enforces them: Append, Copy and Move fail
// with ErrQuota when the messages they add would take a quota root
// over one of its limits (Move within one root adds nothing), and
// Replacer.Replace only when its net change would (RFC 8508 3.4).
type Quotaer interface {
	// QuotaRoots returns the quota roots of the account with their
	// usage and limits. Every mailbox of the account, existing or to
	// be created, is governed by all of them.
	QuotaRoots(ctx context.Context) ([]QuotaRoot, error)
}

// QuotaSetter is implemented by an Account whose limits can be changed
// (IMAP SETQUOTA, RFC 9208 4.1.3).
type QuotaSetter interface {
	// SetQuota replaces the limits of the quota root named root: a
	// resource absent from limits is no longer limited. It returns
	// ErrNotAllowed when the limits of root cannot be changed, and
	// ErrInvalidName when there is no such root.
	SetQuota(ctx context.Context, root string, limits map[string]uint64) error
}

// QuotaRoot is a quota root: a name and the resources it limits.
type QuotaRoot struct {
	Name      string
	Resources []QuotaResource
}

// QuotaResource is the usage and limit of a resource in a quota root;
// Usage and Limit are in the resource's units (1024 octets for
// QuotaStorage).
type QuotaResource struct {
	Name         string
	Usage, Limit uint64
}

// Resource returns the resource named name of r, if r limits it.
func (r *QuotaRoot) Resource(name string) (QuotaResource, bool) {
	for _, q := range r.Resources {
		if q.Name == name {
			return q, true
		}
	}
	return QuotaResource{}, false
}

// QuotaLimits are the limits of a backend with one quota root per
// account; a zero field means no limit.
type QuotaLimits struct {
	Bytes    int64 // total size of the messages, in octets
	Messages int64 // number of messages
}

// Over reports whether an account that holds bytes octets in msgs
// messages goes over the limits when addBytes octets in addMsgs
// messages are added.
func (l QuotaLimits) Over(bytes, msgs, addBytes, addMsgs int64) bool {
	return l.Bytes > 0 && bytes+addBytes > l.Bytes || l.Messages > 0 && msgs+addMsgs > l.Messages
}

// Root returns the quota root named name with the usage of an account
// holding bytes octets in msgs messages. Usage and limit in kilobytes
// are both rounded up, so that an account within its limit in octets
// never shows a usage over its limit (RFC 9208 5.1 counts STORAGE in
// units of 1024 octets).
func (l QuotaLimits) Root(name string, bytes, msgs int64) QuotaRoot {
	r := QuotaRoot{Name: name}
	if l.Bytes > 0 {
		r.Resources = append(r.Resources, QuotaResource{Name: QuotaStorage, Usage: uint64(bytes+1023) / 1024, Limit: uint64(l.Bytes+1023) / 1024})
	}
	if l.Messages > 0 {
		r.Resources = append(r.Resources, QuotaResource{Name: QuotaMessage, Usage: uint64(msgs), Limit: uint64(l.Messages)})
	}
	return r
}
