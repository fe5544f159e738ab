package imap

import (
	"errors"

	"github.com/postkit/postkit/mailbox"
)

// searchResolver gives what only the IMAP session knows to the search
// conversion: message sequence numbers, "$" and \Recent.
type searchResolver interface {
	// SeqUIDs returns the UIDs of the messages whose sequence numbers are
	// in s ("*" is the last message; "$" the saved result).
	SeqUIDs(s SeqSet) (mailbox.UIDSet, error)
	// UIDs returns the UIDs in s ("*" is the largest UID; "$" the saved
	// result), as a set over existing messages.
	UIDs(s SeqSet) (mailbox.UIDSet, error)
	// Recent returns the UIDs of the messages \Recent in the session.
	Recent() mailbox.UIDSet
}

// searchCriteria converts a SEARCH program (the keys are ANDed) to the
// mailbox criteria the shared evaluator runs.
//
// TODO: stub; being written.
func searchCriteria(keys []SearchKey, r searchResolver) (*mailbox.SearchCriteria, error) {
	return nil, errors.New("imap: search not implemented yet")
}
