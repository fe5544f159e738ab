package mailbox

import (
	"context"
	"errors"
	"slices"
)

// Metadataer is implemented by an Account that keeps annotations: the
// entries of IMAP METADATA (RFC 5464), on each mailbox and on the
// account itself (the server entries of RFC 5464 3.2.1.1, which a
// backend keeps per account). Entry names are lower case, as
// "/private/comment" and "/shared/vendor/x/y"; the caller checks their
// syntax. Annotations follow a mailbox when it is renamed and go with
// it when it is deleted (RFC 5464 4.1).
type Metadataer interface {
	// Metadata returns every entry of the mailbox named name, or of the
	// account when name is "". It returns ErrNoSuchMailbox when there
	// is no such mailbox (a \Noselect parent has entries too).
	Metadata(ctx context.Context, name string) (map[string]string, error)
	// SetMetadata sets the entries of the mailbox named name ("" for
	// the account); a nil value removes the entry. It is all or
	// nothing (RFC 5464 4.3): when the mailbox would then hold more
	// than maxEntries entries (no limit if maxEntries <= 0), nothing
	// changes and it returns ErrMetadataTooMany.
	SetMetadata(ctx context.Context, name string, entries map[string]*string, maxEntries int) error
}

// Errors of Metadataer.
var (
	// ErrMetadataTooMany says a mailbox has as many entries as allowed
	// (IMAP [METADATA TOOMANY]).
	ErrMetadataTooMany = errors.New("mailbox: too many metadata entries")
	// ErrMetadataNoPrivate says the backend keeps no private entries
	// on that mailbox (IMAP [METADATA NOPRIVATE]).
	ErrMetadataNoPrivate = errors.New("mailbox: no private metadata")
)

// ChangedMetadata returns the names, sorted, of the entries of m that a
// SetMetadata change would set to a new value or remove.
func ChangedMetadata(m map[string]string, entries map[string]*string) []string {
	var names []string
	for k, v := range entries {
		old, had := m[k]
		if v == nil && had || v != nil && (!had || old != *v) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

// ApplyMetadata applies a SetMetadata change to the entries in m,
// which it modifies only if the result has no more than maxEntries
// entries (no limit if maxEntries <= 0); it returns ErrMetadataTooMany
// otherwise. A backend that keeps entries in a map can use it.
func ApplyMetadata(m map[string]string, entries map[string]*string, maxEntries int) error {
	if maxEntries > 0 {
		n := len(m)
		for k, v := range entries {
			_, had := m[k]
			switch {
			case v == nil && had:
				n--
			case v != nil && !had:
				n++
			}
		}
		if n > maxEntries && n > len(m) {
			return ErrMetadataTooMany
		}
	}
	for k, v := range entries {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = *v
		}
	}
	return nil
}
