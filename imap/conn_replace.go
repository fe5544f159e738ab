package imap

import (
	"context"
	"errors"
	"io"

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
//
// When the selected mailbox is a mailbox.Replacer, the store does both
// steps in one action, with the quota counted net of the old message
// (RFC 8508 3.4); see replaceNative.
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
	if rp, ok := s.mbox.(mailbox.Replacer); ok {
		return c.replaceNative(cmd, rp, old[0].Start, name)
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
		if err != nil && len(gone) > 0 {
			// The old message is gone all the same (mailbox.Mailbox
			// Expunge): the replacement is done, and said so; taking
			// the new message back would leave neither.
			c.log().Error("imap: REPLACE: expunge of the old message failed after removing it", "err", err)
			err = nil
		}
		if err == nil {
			c.untaggedOK("APPENDUID", &AppendUIDCode{UIDValidity: st.UIDValidity, UIDs: SeqSetOf(uint32(uid))}, "Replacement Message ready")
			c.noteOwnNew(name, []mailbox.UID{uid})
			c.warnSoftQuota()
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
	if err != nil && len(gone) == 0 && !hadDeleted {
		if _, serr := mb.Store(c.ctx, old, mailbox.StoreRemove, []string{mailbox.FlagDeleted}, nil); serr != nil {
			c.log().Error("imap: REPLACE: cannot restore the flags of a message", "uids", old.String(), "err", serr)
		}
	}
	return gone, err
}

// replaceNative answers REPLACE through mailbox.Replacer: the message
// goes through appendOne, which checks and streams it as for APPEND,
// to a replaceTarget whose Append replaces. The store commits only
// once it has read the message to its end, and the rest of the command
// is read before that end is given to it (replaceTail): a REPLACE with
// a second message or a syntax error after the literal changes
// nothing.
func (c *conn) replaceNative(cmd *Command, rp mailbox.Replacer, old mailbox.UID, name string) bool {
	args := cmd.Args.(*ReplaceCommand)
	t := &replaceTarget{Mailbox: c.sel.mbox, c: c, rp: rp, old: old, dest: name}
	f, uid := c.appendOne(t, &args.AppendCommand)
	if !t.tailRead && f == nil {
		// The store returned before the end of the message: read the
		// rest of the command now, too late to change anything.
		c.log().Error("imap: REPLACE: the store did not read the message to its end", "mailbox", name)
		t.readTail()
	}
	if t.tailRead {
		switch {
		case t.tailErr != nil && IsFatal(t.tailErr):
			c.broken = true
			return false
		case t.tailErr != nil:
			return c.appendFail(cmd, name, nil, appendReadFailure(t.tailErr))
		case t.next != nil:
			// RFC 8508 4.7: one message only.
			c.appendPending = true
			c.discardAppend()
			return c.appendFail(cmd, name, nil, &appendFailure{bad: true, text: "REPLACE takes one message"})
		}
	}
	if f != nil {
		return c.appendFail(cmd, name, nil, f)
	}
	c.untaggedOK("APPENDUID", &AppendUIDCode{UIDValidity: t.res.UIDValidity, UIDs: SeqSetOf(uint32(uid))}, "Replacement Message ready")
	c.noteOwnNew(name, []mailbox.UID{uid})
	c.warnSoftQuota()
	// The new message's EXISTS first, as in RFC 8508's examples; the
	// poll does not report this view's own expunge.
	if !c.update(true) {
		return false
	}
	var gone []mailbox.UID
	if t.res.Expunged {
		gone = []mailbox.UID{old}
	}
	return c.expunged(cmd, gone)
}

// errReplaceTail stops a native REPLACE whose command does not end
// right after its message; the answer comes from what was read (a
// cmdError, so that it is not logged as a failure of the store).
var errReplaceTail error = &cmdError{typ: StatusBAD, text: "Bad end of REPLACE"}

// replaceTarget is the selected mailbox as appendOne sees it for a
// native REPLACE: its Append is mailbox.Replacer.Replace.
type replaceTarget struct {
	mailbox.Mailbox
	c    *conn
	rp   mailbox.Replacer
	old  mailbox.UID
	dest string
	res  *mailbox.ReplaceResult

	// The rest of the command, read once the message is.
	tailRead bool
	next     *AppendCommand
	tailErr  error
}

func (t *replaceTarget) Append(ctx context.Context, r io.Reader, opts *mailbox.AppendOptions) (mailbox.UID, error) {
	rt := &replaceTail{r: r, t: t}
	res, err := t.rp.Replace(ctx, t.old, t.dest, rt, opts)
	// A store that kept the reader must not read the connection after
	// this: the command loop reads it again.
	rt.returned = true
	if err != nil {
		return 0, err
	}
	t.res = res
	return res.UID, nil
}

// readTail reads the rest of the command after the message.
func (t *replaceTarget) readTail() {
	t.tailRead = true
	t.c.appendPending = false
	t.next, t.tailErr = t.c.dec.NextAppendMessage()
}

// replaceTail is the message of a native REPLACE: at its end, the rest
// of the command is read, and the store gets io.EOF only if the
// command ends there.
type replaceTail struct {
	r        io.Reader
	t        *replaceTarget
	returned bool // Replace returned: reads fail
}

// errReplaceReturned fails a read of the message after Replace
// returned (mailbox.Replacer: the reader is not read after that).
var errReplaceReturned = errors.New("imap: REPLACE message read after Replace returned")

func (rt *replaceTail) Read(p []byte) (int, error) {
	if rt.returned {
		return 0, errReplaceReturned
	}
	n, err := rt.r.Read(p)
	if err != io.EOF {
		return n, err
	}
	if !rt.t.tailRead {
		rt.t.readTail()
	}
	if rt.t.tailErr != nil || rt.t.next != nil {
		return n, errReplaceTail
	}
	return n, io.EOF
}
