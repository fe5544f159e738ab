package imap

import (
	"errors"
	"io"
	"slices"
	"strings"

	unorm "golang.org/x/text/unicode/norm"

	"github.com/postkit/postkit/mailbox"
)

// cmdCreate answers CREATE (RFC 9051 6.3.4) with USE (RFC 6154 3).
func (c *conn) cmdCreate(cmd *Command) bool {
	args := cmd.Args.(*CreateCommand)
	name, err := c.mailboxName(args.Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	if err := checkNewMailboxName(name); err != nil {
		return c.fail(cmd, err)
	}
	var opts *mailbox.CreateOptions
	if len(args.SpecialUse) > 0 {
		opts = &mailbox.CreateOptions{SpecialUse: args.SpecialUse}
	}
	if err := c.acct.Create(c.ctx, name, opts); err != nil {
		return c.fail(cmd, err)
	}
	return c.createDone(cmd, name)
}

// checkNewMailboxName refuses, with mailbox.ErrInvalidName ([CANNOT]),
// a name for a new mailbox (CREATE, RENAME) that RFC 6855 3 forbids
// whatever the store: control characters (U+0000-U+001F,
// U+0080-U+009F), DEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, and
// a name not in Normalization Form C (Net-Unicode, RFC 5198 2), which
// would look like another name and not match it. Names that exist
// already are left usable.
func checkNewMailboxName(name string) error {
	for _, r := range name {
		if r < 0x20 || r >= 0x7f && r < 0xa0 || r == '\u2028' || r == '\u2029' {
			return mailbox.ErrInvalidName
		}
	}
	if !unorm.NFC.IsNormalString(name) {
		return mailbox.ErrInvalidName
	}
	return nil
}

// cmdDelete answers DELETE (RFC 9051 6.3.5).
func (c *conn) cmdDelete(cmd *Command) bool {
	name, err := c.mailboxName(cmd.Args.(*MailboxCommand).Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	if err := c.acct.Delete(c.ctx, name); err != nil {
		return c.fail(cmd, err)
	}
	if c.sel != nil && c.sel.name == name {
		// The session deleted its own mailbox: deselect it rather than
		// say BYE as for a deletion by another session.
		c.closeSelected()
		c.untaggedOK("CLOSED", nil, "Mailbox deleted") // for every client: it leaves the selected state
	}
	return c.done(cmd, true)
}

// cmdRename answers RENAME (RFC 9051 6.3.6).
func (c *conn) cmdRename(cmd *Command) bool {
	args := cmd.Args.(*RenameCommand)
	from, err := c.mailboxName(args.From)
	if err != nil {
		return c.fail(cmd, err)
	}
	to, err := c.mailboxName(args.To)
	if err != nil {
		return c.fail(cmd, err)
	}
	if err := checkNewMailboxName(to); err != nil {
		return c.fail(cmd, err)
	}
	if err := c.acct.Rename(c.ctx, from, to); err != nil {
		return c.fail(cmd, err)
	}
	if s := c.sel; s != nil && from != mailbox.Inbox {
		if s.name == from {
			s.name = to
		} else if rest, ok := strings.CutPrefix(s.name, from+string(mailbox.Delimiter)); ok {
			s.name = to + string(mailbox.Delimiter) + rest
		}
	}
	return c.done(cmd, true)
}

// cmdSubscribe answers SUBSCRIBE and UNSUBSCRIBE (RFC 9051 6.3.7, 6.3.8).
func (c *conn) cmdSubscribe(cmd *Command) bool {
	name, err := c.mailboxName(cmd.Args.(*MailboxCommand).Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	if err := c.acct.Subscribe(c.ctx, name, cmd.Name == "SUBSCRIBE"); err != nil {
		return c.fail(cmd, err)
	}
	return c.done(cmd, true)
}

// cmdList answers LIST (RFC 9051 6.3.9, RFC 5258, RFC 6154, RFC 5819
// LIST-STATUS) and LSUB (RFC 3501 6.3.9); listMailboxes chooses the
// mailboxes.
func (c *conn) cmdList(cmd *Command) bool {
	args := *cmd.Args.(*ListCommand)
	var err error
	if args.Reference, err = c.mailboxName(args.Reference); err != nil {
		return c.fail(cmd, err)
	}
	args.Patterns = slices.Clone(args.Patterns)
	for i, p := range args.Patterns {
		if args.Patterns[i], err = c.mailboxName(p); err != nil {
			return c.fail(cmd, err)
		}
	}
	for _, it := range args.ReturnStatus {
		if !statusItems[it] {
			return c.bad(cmd.Tag, "", "Unknown STATUS item "+it)
		}
	}
	infos, err := c.acct.Mailboxes(c.ctx)
	if err != nil {
		return c.fail(cmd, err)
	}
	subs, err := c.acct.Subscriptions(c.ctx)
	if err != nil {
		return c.fail(cmd, err)
	}
	list, err := listMailboxes(infos, subs, &args, cmd.Name == "LSUB")
	if err != nil {
		return c.fail(cmd, err)
	}
	var opts listOptions
	special := map[string]bool{}
	if len(args.ReturnStatus) > 0 {
		// listMailboxes checked the options already.
		opts, _ = parseListOptions(&args)
		for _, info := range infos {
			if len(info.SpecialUse) > 0 {
				special[canonMailbox(info.Name)] = true
			}
		}
	}
	for i := range list {
		ld := &list[i]
		name := ld.Mailbox
		ld.Mailbox = c.wireName(name)
		if ld.OldName != "" {
			ld.OldName = c.wireName(ld.OldName)
		}
		// RFC 5819 2: STATUS follows the LIST of each selectable mailbox
		// that matches the pattern and the selection options, not of one
		// listed for its CHILDINFO only (RFC 5819 3, second example).
		var sd *StatusData
		if len(args.ReturnStatus) > 0 && !hasAttr(ld.Attrs, mailbox.AttrNoSelect) &&
			!hasAttr(ld.Attrs, attrNonExistent) && meetsListSelection(opts, ld, special[name]) {
			var err error
			sd, err = c.status(name, args.ReturnStatus)
			switch {
			case errors.Is(err, mailbox.ErrNotSelectable):
				// RFC 5819 2: a STATUS that fails because the mailbox
				// cannot be selected (it became so since the listing):
				// no STATUS, and the LIST says \Noselect.
				ld.Attrs = append(ld.Attrs, mailbox.AttrNoSelect)
			case errors.Is(err, mailbox.ErrNoSuchMailbox):
				// Deleted since the listing: \NonExistent implies
				// \Noselect (RFC 5258 3.4).
				ld.Attrs = append(ld.Attrs, attrNonExistent)
			case err != nil:
				// RFC 5819 2: on other failures the STATUS may be dropped.
				c.log().Warn("imap: LIST-STATUS", "mailbox", name, "err", err)
			}
		}
		c.write(ld)
		if sd != nil {
			c.write(sd)
		}
	}
	return c.done(cmd, true)
}

// meetsListSelection reports whether ld meets the selection options o
// itself, rather than being listed for the CHILDINFO of RECURSIVEMATCH
// (RFC 5258 3.5): it is \Subscribed when SUBSCRIBED selects, and has a
// special use when SPECIAL-USE does (RFC 6154 6).
func meetsListSelection(o listOptions, ld *ListData, specialUse bool) bool {
	if o.selSubscribed && !hasAttr(ld.Attrs, attrSubscribed) {
		return false
	}
	return !o.selSpecialUse || specialUse
}

func hasAttr(attrs []string, a string) bool {
	for _, x := range attrs {
		if strings.EqualFold(x, a) {
			return true
		}
	}
	return false
}

// cmdNamespace answers NAMESPACE (RFC 9051 6.3.10, RFC 2342): one
// personal namespace, no others.
func (c *conn) cmdNamespace(cmd *Command) bool {
	c.write(&NamespaceData{Personal: []Namespace{{Prefix: "", Delim: string(mailbox.Delimiter)}}})
	return c.done(cmd, true)
}

// statusItems are the STATUS items the server knows (RFC 9051 6.3.11,
// RFC 8438 SIZE, RFC 7889 APPENDLIMIT, RFC 7162 HIGHESTMODSEQ).
var statusItems = map[string]bool{
	"MESSAGES": true, "UIDNEXT": true, "UIDVALIDITY": true, "UNSEEN": true, "DELETED": true,
	"SIZE": true, "RECENT": true, "HIGHESTMODSEQ": true, "APPENDLIMIT": true,
	"MAILBOXID":       true, // RFC 8474 4.3
	"DELETED-STORAGE": true, // RFC 9208 4.1.4
}

// cmdStatus answers STATUS (RFC 9051 6.3.11).
func (c *conn) cmdStatus(cmd *Command) bool {
	args := cmd.Args.(*StatusCommand)
	for _, it := range args.Items {
		if !statusItems[it] {
			return c.bad(cmd.Tag, "", "Unknown STATUS item "+it)
		}
	}
	name, err := c.mailboxName(args.Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	for _, it := range args.Items {
		if it == "HIGHESTMODSEQ" {
			c.enableCondStore(false)
		}
	}
	sd, err := c.status(name, args.Items)
	if err != nil {
		return c.fail(cmd, err)
	}
	c.write(sd)
	return c.done(cmd, true)
}

// status returns the STATUS response for the named mailbox.
func (c *conn) status(name string, items []string) (*StatusData, error) {
	st, err := c.acct.Status(c.ctx, name)
	if err != nil {
		return nil, err
	}
	sd := &StatusData{Mailbox: c.wireName(name)}
	for _, it := range items {
		switch it {
		case "MESSAGES":
			sd.Messages = ptr(st.Messages)
		case "UIDNEXT":
			sd.UIDNext = ptr(uint32(st.UIDNext))
		case "UIDVALIDITY":
			sd.UIDValidity = ptr(st.UIDValidity)
		case "UNSEEN":
			sd.Unseen = ptr(st.Unseen)
		case "DELETED":
			sd.Deleted = ptr(st.Deleted)
		case "SIZE":
			sd.Size = ptr(uint64(st.Size))
		case "RECENT":
			sd.Recent = ptr(st.Recent)
		case "HIGHESTMODSEQ":
			sd.HighestModSeq = ptr(st.HighestModSeq)
		case "APPENDLIMIT":
			sd.AppendLimit = ptr(uint64(c.srv.maxAppendBytes()))
		case "MAILBOXID":
			sd.MailboxID = st.MailboxID
		case "DELETED-STORAGE":
			n, err := c.deletedStorage(name)
			if err != nil {
				return nil, err
			}
			sd.DeletedStorage = ptr(n)
		}
	}
	return sd, nil
}

func ptr[T any](v T) *T { return &v }

// cmdAppend answers APPEND (RFC 9051 6.3.12), of one message or more
// (MULTIAPPEND, RFC 3502), with APPENDUID (RFC 4315 3), streaming each
// message literal into the mailbox. Each literal's size was checked
// against APPENDLIMIT before any of it was read (onLiteral).
func (c *conn) cmdAppend(cmd *Command) bool {
	args := cmd.Args.(*AppendCommand)
	name, err := c.mailboxName(args.Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	var mbox mailbox.Mailbox
	if s := c.sel; s != nil && s.name == name && !s.readOnly {
		mbox = s.mbox
	} else {
		// A view just for this APPEND must not take \Recent: the first
		// session that selects the mailbox gets it (RFC 3501 2.3.2).
		mbox, err = c.acct.Open(c.ctx, name, &mailbox.OpenOptions{NoRecent: true})
		if err != nil {
			return c.fail(cmd, err)
		}
		defer mbox.Close()
	}
	uids, ok, keep := c.appendAll(cmd, name, mbox, args)
	if !ok {
		return keep
	}
	st, err := mbox.Status(c.ctx)
	c.noteOwnNew(name, uids)
	if !c.update(true) {
		return false
	}
	if err != nil {
		c.tagged(cmd.Tag, StatusOK, "", nil, "APPEND completed")
		return true
	}
	c.tagged(cmd.Tag, StatusOK, "APPENDUID", &AppendUIDCode{UIDValidity: st.UIDValidity, UIDs: uidSeqSet(uids)}, "APPEND completed")
	return true
}

var err8BitHeader = errors.New("imap: 8-bit octet in a header field")

// asciiHeaderReader passes a message on and fails if its header holds
// an octet above 127.
type asciiHeaderReader struct {
	r    io.Reader
	last uint32 // the last four octets of the header seen so far
	body bool
}

func (a *asciiHeaderReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	for i := 0; i < n && !a.body; i++ {
		b := p[i]
		if b >= 0x80 {
			return 0, err8BitHeader
		}
		a.last = a.last<<8 | uint32(b)
		if a.last == 0x0d0a0d0a || a.last&0xffff == 0x0a0a {
			a.body = true
		}
	}
	return n, err
}
