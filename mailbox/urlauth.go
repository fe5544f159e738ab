package mailbox

import (
	"context"
	"crypto/rand"
)

// URLAuthKeySize is the size in bytes of a mailbox access key: 256
// random bits, over the 128 RFC 4467 2.2 asks for.
const URLAuthKeySize = 32

// URLAuthKeyer is implemented by an Account that keeps the mailbox
// access keys of IMAP URLAUTH (RFC 4467 2.2): one secret random key per
// mailbox of the account, with which the server signs and checks the
// URLs the user authorizes. An IMAP server offers URLAUTH only over an
// account that is one.
type URLAuthKeyer interface {
	// URLAuthKey returns the access key of the mailbox named name. When
	// the mailbox has none, a new random key is stored and returned if
	// create is set, and nil is returned otherwise. It fails with
	// ErrNoSuchMailbox when there is no such mailbox.
	URLAuthKey(ctx context.Context, name string, create bool) ([]byte, error)

	// ResetURLAuthKey replaces the key of the mailbox named name by a
	// new random one, which revokes every URL signed with the old one
	// (RFC 4467 6.3.RESETKEY). With name "" it removes the keys of all
	// the mailboxes of the account.
	ResetURLAuthKey(ctx context.Context, name string) error
}

// NewURLAuthKey returns a new random mailbox access key of
// URLAuthKeySize bytes.
func NewURLAuthKey() []byte {
	k := make([]byte, URLAuthKeySize)
	rand.Read(k) // never fails (crypto/rand)
	return k
}
