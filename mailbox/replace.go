package mailbox

import (
	"context"
	"io"
)

// Replacer is implemented by a Mailbox that replaces a message in one
// action (IMAP REPLACE, RFC 8508): the new message is appended, the old
// one expunged, and quotas see only the net change (RFC 8508 3.4), so
// that a replacement no bigger than the message it replaces fits in an
// account at its limit. Without it, an IMAP server appends, then
// expunges, and the append is checked against the quota as if the old
// message were to stay.
type Replacer interface {
	// Replace appends the message read from r to the mailbox named dest,
	// as Append does (dest may be this view's own mailbox or another),
	// and expunges the message old from this view's mailbox, whatever
	// its flags. It reads r to io.EOF before it changes anything, and
	// when reading fails, or the append or the expunge cannot be done,
	// neither happens. The body is streamed, not held in memory whole,
	// unless the store keeps messages in memory. r is not read once
	// Replace has returned.
	//
	// A message for this view's mailbox is \Recent in this view; one
	// for another mailbox is left \Recent for the next session, as a
	// delivery through a view opened with NoRecent. Every view learns
	// of the new message through Poll; the other views of this mailbox
	// learn of the expunge through Poll too, while this one does not
	// (as for Expunge). When old has no live message this view knows
	// (another view expunged it meanwhile), the message is appended all
	// the same, counted whole against the quotas, and the result says
	// that nothing was expunged.
	//
	// It fails as Append does (ErrQuota, ErrInvalidFlag, ErrTooLarge)
	// and as Copy does for dest (ErrNoSuchMailbox, ErrNotSelectable).
	Replace(ctx context.Context, old UID, dest string, r io.Reader, opts *AppendOptions) (*ReplaceResult, error)
}

// ReplaceResult is what Replace did.
type ReplaceResult struct {
	UIDValidity uint32 // of the destination
	UID         UID    // of the new message in the destination
	// Expunged is set when the old message was expunged by Replace,
	// and not already gone.
	Expunged bool
}

// OverReplacing reports whether an account that holds bytes octets in
// msgs messages goes over the limits when a message of oldBytes octets
// (oldMsgs is 1, or 0 when that message is gone already) is replaced
// by one of newBytes octets. Only the net change counts (RFC 8508 3.4),
// and a resource the replacement does not grow is never over, so that
// an account over its limits already (a soft quota) can still shrink.
func (l QuotaLimits) OverReplacing(bytes, msgs, oldBytes, oldMsgs, newBytes int64) bool {
	dBytes, dMsgs := newBytes-oldBytes, 1-oldMsgs
	return l.Bytes > 0 && dBytes > 0 && bytes+dBytes > l.Bytes ||
		l.Messages > 0 && dMsgs > 0 && msgs+dMsgs > l.Messages
}
