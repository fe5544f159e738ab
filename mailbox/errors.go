package mailbox

import "errors"

// Errors a backend returns; protocol servers map them to replies (IMAP
// response codes in brackets).
var (
	ErrNoSuchAccount      = errors.New("mailbox: no such account")
	ErrNoSuchMailbox      = errors.New("mailbox: no such mailbox")               // [NONEXISTENT], [TRYCREATE] for APPEND/COPY/MOVE
	ErrMailboxExists      = errors.New("mailbox: mailbox already exists")        // [ALREADYEXISTS]
	ErrInvalidName        = errors.New("mailbox: invalid mailbox name")          // [CANNOT]
	ErrNotAllowed         = errors.New("mailbox: operation not allowed")         // [NOPERM], e.g. deleting INBOX
	ErrHasChildren        = errors.New("mailbox: mailbox has children")          // [HASCHILDREN]
	ErrNotSelectable      = errors.New("mailbox: mailbox cannot be selected")    // a \Noselect parent
	ErrReadOnly           = errors.New("mailbox: mailbox is open read-only")     // [READ-ONLY]
	ErrUseAttrUnsupported = errors.New("mailbox: special-use attribute refused") // [USEATTR]
	ErrTooLarge           = errors.New("mailbox: message too large")             // [TOOBIG]
	ErrQuota              = errors.New("mailbox: quota exceeded")                // [OVERQUOTA]
	ErrInvalidFlag        = errors.New("mailbox: invalid flag")                  // BAD
	ErrClosed             = errors.New("mailbox: closed")
)
