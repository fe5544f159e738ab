package mailbox

import "context"

// SpecialUseEntry is the annotation (IMAP METADATA, RFC 5464) that
// mirrors a mailbox's special-use attributes (RFC 6154 4). A
// SpecialUseSetter reports changes of special uses to the account's
// watches as EventMetadata for this entry.
const SpecialUseEntry = "/private/specialuse"

// SpecialUseSetter is implemented by an Account whose mailboxes' special
// uses can change after Create (IMAP SETMETADATA of SpecialUseEntry,
// RFC 6154 4).
type SpecialUseSetter interface {
	// SetSpecialUse sets the special-use attributes of the mailbox
	// named name to use (none when empty), with the checks of Create:
	// an attribute the store does not keep fails with
	// ErrUseAttrUnsupported. A special use marks one mailbox at most:
	// each attribute given is taken from the other mailboxes that had
	// it, which moved lists, sorted. It fails with ErrNoSuchMailbox for
	// no such mailbox and ErrNotSelectable for a \Noselect parent.
	SetSpecialUse(ctx context.Context, name string, use []string) (moved []string, err error)
}
