package mailbox

import "context"

// Move moves the messages in uids to the mailbox named dest (RFC 6851):
// natively when m is a Mover, otherwise by Copy, then \Deleted and
// Expunge of exactly the copied UIDs. The result's Source lists the
// UIDs that left m, which the IMAP session reports as expunged.
//
// The fallback is not atomic: if it fails after the copy, the messages
// are in both mailboxes, as RFC 6851 3.3 allows for a server without
// native MOVE. When its Expunge fails having expunged some of them, it
// returns the error with a result whose Source lists those only.
func Move(ctx context.Context, m Mailbox, uids UIDSet, dest string) (*CopyResult, error) {
	if mv, ok := m.(Mover); ok {
		return mv.Move(ctx, uids, dest)
	}
	res, err := m.Copy(ctx, uids, dest)
	if err != nil || len(res.Source) == 0 {
		return res, err
	}
	moved := UIDSetOf(res.Source...)
	if _, err := m.Store(ctx, moved, StoreAdd, []string{FlagDeleted}, nil); err != nil {
		return res, err
	}
	if gone, err := m.Expunge(ctx, &moved); err != nil {
		// The UIDs it did expunge are gone (Mailbox.Expunge): the
		// caller reports them; the others stay in both mailboxes.
		return &CopyResult{UIDValidity: res.UIDValidity, Source: gone}, err
	}
	return res, nil
}
