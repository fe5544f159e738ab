package mailbox

import "time"

// SaveDater is implemented by a Message whose store records when the
// message was saved in its mailbox (IMAP SAVEDATE, RFC 8514 3): when it
// was appended, copied or moved there, whatever InternalDate says. The
// save date does not change while the message stays in the mailbox; a
// copy or a moved message gets its own. A store that records no save
// date does not implement it (IMAP then answers NIL).
type SaveDater interface {
	// SaveDate returns when the message was saved in the mailbox; the
	// zero time when the store has no save date for it.
	SaveDate() time.Time
}
