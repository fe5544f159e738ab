package imap

import (
	"github.com/postkit/postkit/mailbox"
)

// cmdReplace answers REPLACE and UID REPLACE (RFC 8508): the message
// is appended to the named mailbox as by APPEND, then the old one is
// expunged from the selected mailbox as by UID EXPUNGE, with no STORE
// response (RFC 8508 3.4). Nothing is reported before both steps
// succeeded: on failure the new message is expunged again and the old
// one keeps its flags. The APPENDUID goes in an untagged OK before the
// EXISTS and EXPUNGE (or VANISHED) responses (RFC 8508 4.3), and under
// QRESYNC the tagged OK carries HIGHESTMODSEQ as for UID EXPUNGE
// (RFC 8508 4.5).
func (c *conn) cmdReplace(cmd *Command) bool {
	s := c.sel
	args := cmd.Args.(*ReplaceCommand)
	old, err := s.resolve(args.Seq, cmd.UID)
	if err != nil {
		return c.fail(cmd, err)
	}
	if s.readOnly {
		c.tagged(cmd.Tag, StatusNO, "READ-ONLY", nil, "Mailbox is read-only")
		return true
	}
	if old.Empty() {
		c.tagged(cmd.Tag, StatusNO, "", nil, "No such message")
		return true
	}
	name, err := c.mailboxName(args.Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	mbox := s.mbox
	if name != s.name {
		// A view just for this message must not take \Recent (RFC 3501
		// 2.3.2), as for APPEND.
		mbox, err = c.acct.Open(c.ctx, name, &mailbox.OpenOptions{NoRecent: true})
		if err != nil {
			return c.fail(cmd, err)
		}
		defer mbox.Close()
	}
	f, uid := c.appendOne(mbox, &args.AppendCommand)
	if f != nil {
		return c.appendFail(cmd, name, nil, f)
	}
	c.appendPending = false
	next, err := c.dec.NextAppendMessage()
	switch {
	case err != nil && IsFatal(err):
		c.broken = true
		c.rollbackAppend(name, []mailbox.UID{uid})
		return false
	case err != nil:
		return c.appendFail(cmd, name, []mailbox.UID{uid}, appendReadFailure(err))
	case next != nil:
		// RFC 8508 4.7: one message only.
		c.appendPending = true
		c.discardAppend()
		return c.appendFail(cmd, name, []mailbox.UID{uid}, &appendFailure{bad: true, text: "REPLACE takes one message"})
	}
	st, err := mbox.Status(c.ctx)
	if err == nil {
		var gone []mailbox.UID
		gone, err = c.replaceExpunge(old)
		if err == nil {
			c.untaggedOK("APPENDUID", &AppendUIDCode{UIDValidity: st.UIDValidity, UIDs: SeqSetOf(uint32(uid))}, "Replacement Message ready")
			c.noteOwnNew(name, []mailbox.UID{uid})
			// The new message's EXISTS first, as in RFC 8508's examples;
			// the poll does not report this view's own expunge.
			if !c.update(true) {
				return false
			}
			return c.expunged(cmd, gone)
		}
	}
	c.rollbackAppend(name, []mailbox.UID{uid})
	return c.fail(cmd, err)
}

// replaceExpunge expunges the messages of old (one message) from the
// selected mailbox, those only, leaving their flags as they were if
// it cannot. A message another session expunged already is not an
// error.
func (c *conn) replaceExpunge(old mailbox.UIDSet) ([]mailbox.UID, error) {
	mb := c.sel.mbox
	var hadDeleted bool
	err := mb.Fetch(c.ctx, old, func(m mailbox.Message) error {
		hadDeleted = mailbox.HasFlag(m.Flags(), mailbox.FlagDeleted)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := mb.Store(c.ctx, old, mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil); err != nil {
		return nil, err
	}
	gone, err := mb.Expunge(c.ctx, &old)
	if err != nil && !hadDeleted {
		if _, serr := mb.Store(c.ctx, old, mailbox.StoreRemove, []string{mailbox.FlagDeleted}, nil); serr != nil {
			c.log().Error("imap: REPLACE: cannot restore the flags of a message", "uids", old.String(), "err", serr)
		}
	}
	return gone, err
}
