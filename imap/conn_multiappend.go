package imap

import (
	"errors"

	"github.com/postkit/postkit/mailbox"
)

// errAppendCancelled refuses the synchronising literals of a
// MULTIAPPEND that already failed: the client gets the tagged NO
// instead of a continuation request and sends nothing more of the
// command (RFC 3502 6.3.11: "The server MAY return an error before
// processing all the message arguments").
var errAppendCancelled = errors.New("imap: APPEND cancelled")

// appendFailure is why a MULTIAPPEND failed: the response to give,
// chosen before the messages already appended are removed.
type appendFailure struct {
	bad       bool // BAD rather than NO
	typ, code string
	arg       any // of the response code: the URL of BADURL
	text      string
}

// appendAll appends the messages of one APPEND to mbox, the first
// given by args and the others read from the command as the previous
// one ends (MULTIAPPEND, RFC 3502). It is all or nothing: when one
// message fails, the rest of the command is discarded and those
// appended already are expunged, so that the mailbox is as it was
// (RFC 3502 6.3.11). It returns the new UIDs in order and whether the
// command succeeded; when it did not, it has answered cmd, and keep
// says whether the connection stays open.
func (c *conn) appendAll(cmd *Command, name string, mbox mailbox.Mailbox, args *AppendCommand) (uids []mailbox.UID, ok, keep bool) {
	for {
		f, uid := c.appendOne(mbox, args)
		if f != nil {
			if c.appendPending {
				// The rest of the command is still to be read.
				c.discardAppend()
			}
			return nil, false, c.appendFail(cmd, name, uids, f)
		}
		uids = append(uids, uid)
		c.appendPending = false
		next, err := c.dec.NextAppendMessage()
		if err != nil {
			if IsFatal(err) {
				c.broken = true
				c.rollbackAppend(name, uids)
				return nil, false, false
			}
			return nil, false, c.appendFail(cmd, name, uids, appendReadFailure(err))
		}
		if next == nil {
			c.warnSoftQuota()
			return uids, true, true
		}
		c.appendPending = true
		args = next
	}
}

// appendOne checks and appends one message of an APPEND.
func (c *conn) appendOne(mbox mailbox.Mailbox, args *AppendCommand) (*appendFailure, mailbox.UID) {
	for _, f := range args.Flags {
		if !mailbox.ValidFlag(f) {
			return &appendFailure{bad: true, text: "Invalid flag " + f}, 0
		}
	}
	if args.UTF8 && !c.utf8Accept {
		return &appendFailure{bad: true, text: "APPEND UTF8 needs ENABLE UTF8=ACCEPT"}, 0
	}
	var cat *catenateReader
	msg := args.Message
	if args.Catenate {
		// RFC 4469 5: the message is the concatenation of the parts.
		cat = c.catenateReader()
		msg = cat
	} else if args.Literal.Size == 0 {
		// RFC 3502 6.3.11: a zero-length message literal MUST give NO;
		// it cancels the append.
		return &appendFailure{typ: StatusNO, text: "APPEND cancelled: empty message"}, 0
	}
	// RFC 3516 4.4 and 6: no NUL in a stored message.
	msg = nulRefuser{msg}
	if !c.utf8Accept {
		// RFC 6855 4: 8-bit header fields only after ENABLE UTF8=ACCEPT.
		msg = &asciiHeaderReader{r: msg}
	}
	uid, err := mbox.Append(c.ctx, msg, &mailbox.AppendOptions{Flags: args.Flags, InternalDate: args.Date})
	if cat != nil {
		cat.close()
		if cat.fail != nil {
			return cat.fail, 0
		}
	}
	if errors.Is(err, errBinaryNUL) {
		return &appendFailure{typ: StatusNO, code: "UNKNOWN-CTE", text: "Binary content with NUL octets cannot be stored"}, 0
	}
	if errors.Is(err, err8BitHeader) {
		return &appendFailure{typ: StatusNO, code: "CANNOT", text: "8-bit header fields need ENABLE UTF8=ACCEPT"}, 0
	}
	if err != nil {
		typ, code, text := c.mapError(&Command{Name: "APPEND"}, err)
		return &appendFailure{bad: typ == StatusBAD, typ: typ, code: code, text: text}, 0
	}
	return nil, uid
}

// appendReadFailure is the answer to an APPEND whose next message could
// not be read.
func appendReadFailure(err error) *appendFailure {
	var le *LiteralRefusedError
	if errors.As(err, &le) {
		if errors.Is(le.Err, errAppendSize) {
			// RFC 7889 4: NO [TOOBIG] for a message over APPENDLIMIT.
			return &appendFailure{typ: StatusNO, code: "TOOBIG", text: "Message too big"}
		}
		return &appendFailure{bad: true, code: "TOOBIG", text: "Literal too big"}
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return &appendFailure{bad: true, text: "Syntax error: " + se.Msg}
	}
	return &appendFailure{bad: true, text: "Syntax error after the message"}
}

// discardAppend reads and drops the rest of a failed APPEND: the
// literals the client sends without waiting (LITERAL+) are read, within
// APPENDLIMIT; a synchronising one is refused, which ends the command.
func (c *conn) discardAppend() {
	c.appendCancel = true
	defer func() { c.appendCancel = false }()
	c.appendPending = false
	for {
		next, err := c.dec.NextAppendMessage()
		if err != nil {
			if IsFatal(err) {
				c.broken = true
			}
			return
		}
		if next == nil {
			return
		}
	}
}

// appendFail removes the messages a failed APPEND appended and answers
// it; it reports false when the connection must close.
func (c *conn) appendFail(cmd *Command, name string, uids []mailbox.UID, f *appendFailure) bool {
	c.rollbackAppend(name, uids)
	if c.broken {
		return false
	}
	if f.bad {
		return c.bad(cmd.Tag, f.code, f.text)
	}
	c.tagged(cmd.Tag, f.typ, f.code, f.arg, f.text)
	return true
}

// rollbackAppend expunges the messages of a failed MULTIAPPEND through
// a view of its own, which knows them from the start; the selected
// view, if any, learns of them and of their expunge as of any other
// session's changes.
func (c *conn) rollbackAppend(name string, uids []mailbox.UID) {
	if len(uids) == 0 {
		return
	}
	var set mailbox.UIDSet
	for _, u := range uids {
		set.Add(u)
	}
	err := func() error {
		mb, err := c.acct.Open(c.ctx, name, &mailbox.OpenOptions{NoRecent: true})
		if err != nil {
			return err
		}
		defer mb.Close()
		if _, err := mb.Store(c.ctx, set, mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil); err != nil {
			return err
		}
		_, err = mb.Expunge(c.ctx, &set)
		return err
	}()
	if err != nil {
		c.log().Error("imap: MULTIAPPEND: cannot remove the messages of a failed APPEND", "mailbox", name, "uids", set.String(), "err", err)
	}
}

// uidSeqSet gives UIDs as a sequence set, consecutive ones as ranges.
func uidSeqSet(uids []mailbox.UID) SeqSet {
	var s SeqSet
	for _, u := range uids {
		if n := len(s.Ranges); n > 0 && s.Ranges[n-1].Stop+1 == uint32(u) {
			s.Ranges[n-1].Stop = uint32(u)
			continue
		}
		s.Ranges = append(s.Ranges, SeqRange{uint32(u), uint32(u)})
	}
	return s
}
