package imap

import (
	"errors"
	"github.com/postkit/postkit/internal/textutil"
	"slices"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// cmdSelect answers SELECT and EXAMINE (RFC 9051 6.3.2, 6.3.3).
func (c *conn) cmdSelect(cmd *Command) bool {
	args := cmd.Args.(*SelectCommand)
	if q := args.QResync; q != nil {
		// RFC 7162 3.2.5: BAD without ENABLE QRESYNC, and the mailbox
		// stays as it was.
		if !c.qresync {
			return c.bad(cmd.Tag, "", "QRESYNC needs ENABLE QRESYNC")
		}
		if msg := checkQResync(q); msg != "" {
			return c.bad(cmd.Tag, "", msg)
		}
	}
	if c.sel != nil {
		// RFC 9051 6.3.2: the current mailbox is closed first, whether
		// the new one can be selected or not.
		c.closeSelected()
		// RFC 9051 7.1 (CLOSED); RFC 7162 3.2.11: a server offering
		// CONDSTORE sends it to every client, IMAP4rev1 ones too.
		c.untaggedOK("CLOSED", nil, "Previous mailbox closed")
	}
	name, err := c.mailboxName(args.Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	readOnly := cmd.Name == "EXAMINE"
	mbox, err := c.acct.Open(c.ctx, name, &mailbox.OpenOptions{ReadOnly: readOnly})
	if err != nil {
		return c.fail(cmd, err)
	}
	st, err := mbox.Status(c.ctx)
	if err != nil {
		mbox.Close()
		return c.fail(cmd, err)
	}
	s := &selected{mbox: mbox, name: name, readOnly: readOnly, uidValidity: st.UIDValidity, noModSeq: st.HighestModSeq == 0, recent: map[mailbox.UID]bool{}}
	var firstUnseen uint32
	err = mbox.Fetch(c.ctx, mailbox.AllUIDs, func(m mailbox.Message) error {
		s.uids.add(m.UID())
		flags := m.Flags()
		if mailbox.HasFlag(flags, mailbox.FlagRecent) {
			s.recent[m.UID()] = true
		}
		if firstUnseen == 0 && !mailbox.HasFlag(flags, mailbox.FlagSeen) {
			firstUnseen = s.uids.len()
		}
		return nil
	})
	if err != nil {
		mbox.Close()
		return c.fail(cmd, err)
	}
	c.sel = s
	c.setState(stateSelected)
	c.sendFlags(st)
	c.write(&ExistsData{Num: s.uids.len()})
	if !c.rev2 {
		c.write(&RecentData{Num: uint32(len(s.recent))})
		if firstUnseen != 0 {
			// RFC 3501 6.3.1 (IMAP4rev2 dropped it).
			c.untaggedOK("UNSEEN", uint32(firstUnseen), "First unseen")
		}
	}
	c.untaggedOK("UIDVALIDITY", st.UIDValidity, "UIDs valid")
	if st.MailboxID != "" {
		c.untaggedOK("MAILBOXID", "("+st.MailboxID+")", "Ok") // RFC 8474 4.2
	}
	c.untaggedOK("UIDNEXT", uint32(st.UIDNext), "Predicted next UID")
	c.sendURLMech() // RFC 4467 BASE.7.1.URLMECH
	c.seeKeyResets()
	if args.CondStore {
		c.enableCondStore(true)
	}
	if c.condStore {
		// RFC 7162 3.1.2.
		c.sendHighestModSeq(st)
	}
	if c.rev2 {
		// RFC 9051 6.3.2: a LIST response with the mailbox's name.
		c.write(c.selectList(name))
	}
	if args.QResync != nil {
		// RFC 7162 3.2.5.1: after the usual responses.
		if err := c.resync(args.QResync, st); err != nil {
			if c.broken {
				return false
			}
			return c.fail(cmd, err)
		}
	}
	code := "READ-WRITE"
	if readOnly {
		code = "READ-ONLY"
	}
	c.tagged(cmd.Tag, StatusOK, code, nil, cmd.Name+" completed")
	return true
}

// selectList returns the LIST response SELECT sends to IMAP4rev2
// clients: what LIST would say of the mailbox.
func (c *conn) selectList(name string) *ListData {
	ld := &ListData{Attrs: []string{}, Delim: string(mailbox.Delimiter), Mailbox: c.wireName(name)}
	infos, err := c.acct.Mailboxes(c.ctx)
	if err != nil {
		return ld
	}
	subs, _ := c.acct.Subscriptions(c.ctx)
	if !strings.ContainsAny(name, "*%") {
		list, err := listMailboxes(infos, subs, &ListCommand{Patterns: []string{name}}, false)
		if err == nil && len(list) == 1 && list[0].Mailbox == name {
			l := list[0]
			l.Mailbox, l.OldName = ld.Mailbox, ""
			return &l
		}
	}
	for _, in := range infos {
		if in.Name == name {
			ld.Attrs = append(ld.Attrs, in.Attrs...)
			ld.Attrs = append(ld.Attrs, in.SpecialUse...)
		}
	}
	return ld
}

// cmdClose answers CLOSE (RFC 9051 6.4.1: expunge silently) and
// UNSELECT (RFC 3691).
func (c *conn) cmdClose(cmd *Command) bool {
	s := c.sel
	if cmd.Name == "CLOSE" && !s.readOnly {
		if _, err := s.mbox.Expunge(c.ctx, nil); err != nil && !isGone(err) {
			c.log().Error("imap: expunge on CLOSE", "err", err)
		}
	}
	c.closeSelected()
	c.tagged(cmd.Tag, StatusOK, "", nil, cmd.Name+" completed")
	return true
}

// cmdExpunge answers EXPUNGE (RFC 9051 6.4.3) and UID EXPUNGE (RFC 4315
// 2.1).
func (c *conn) cmdExpunge(cmd *Command) bool {
	s := c.sel
	var only *mailbox.UIDSet
	if cmd.UID {
		set := s.resolveUID(cmd.Args.(*SeqCommand).Seq)
		if set.Empty() {
			return c.done(cmd, true)
		}
		only = &set
	}
	// Report what others did first, so that the sequence numbers of the
	// EXPUNGE responses below are the client's.
	if !c.update(true) {
		return false
	}
	gone, err := s.mbox.Expunge(c.ctx, only)
	if err != nil {
		return c.expungeFailed(cmd, gone, err)
	}
	return c.expunged(cmd, gone)
}

// expungeFailed answers an EXPUNGE or UID EXPUNGE that failed after the
// messages of gone were expunged (see mailbox.Mailbox.Expunge): their
// EXPUNGE or VANISHED responses come first, with what others did, then
// the NO. RFC 9051 7.5.1: the client must learn of every expunge, or
// its message sequence numbers go wrong; the NO tells it that not all
// went as asked (some \Deleted messages may be left).
func (c *conn) expungeFailed(cmd *Command, gone []mailbox.UID, err error) bool {
	if len(gone) > 0 {
		c.writeExpunged(gone)
		if !c.update(true) {
			return false
		}
	}
	return c.fail(cmd, err)
}

// expunged reports the expunge of gone by EXPUNGE, UID EXPUNGE or MOVE
// and completes cmd. Under QRESYNC the tagged OK carries the mailbox's
// HIGHESTMODSEQ (RFC 7162 3.2.7, 3.2.9; RFC 6851 4.4), read before the
// final poll so that every change up to it has been reported.
func (c *conn) expunged(cmd *Command, gone []mailbox.UID) bool {
	s := c.sel
	var highest uint64
	if c.vanishedMode() && len(gone) > 0 {
		if st, err := s.mbox.Status(c.ctx); err == nil {
			highest = st.HighestModSeq
		}
	}
	c.writeExpunged(gone)
	if !c.update(true) {
		return false
	}
	if highest == 0 {
		c.tagged(cmd.Tag, StatusOK, "", nil, cmd.Name+" completed")
	} else {
		c.tagged(cmd.Tag, StatusOK, "HIGHESTMODSEQ", highest, cmd.Name+" completed")
	}
	return true
}

// isGone reports whether err says that the mailbox is no longer there.
func isGone(err error) bool {
	return errors.Is(err, mailbox.ErrNoSuchMailbox) || errors.Is(err, mailbox.ErrClosed)
}

// cmdStore answers STORE and UID STORE (RFC 9051 6.4.6).
func (c *conn) cmdStore(cmd *Command) bool {
	s := c.sel
	args := cmd.Args.(*StoreCommand)
	if args.HasUnchangedSince && c.noModSeq() {
		return c.bad(cmd.Tag, "", noModSeqText) // RFC 7162 3.1.2.2
	}
	uids, err := s.resolve(args.Seq, cmd.UID)
	if err != nil {
		return c.fail(cmd, err)
	}
	if s.readOnly {
		c.tagged(cmd.Tag, StatusNO, "READ-ONLY", nil, "Mailbox is read-only")
		return true
	}
	for _, f := range args.Flags {
		if !mailbox.ValidFlag(f) && !textutil.EqualFoldASCII(f, mailbox.FlagRecent) {
			return c.bad(cmd.Tag, "", "Invalid flag "+f)
		}
	}
	if args.HasUnchangedSince {
		c.enableCondStore(false)
	}
	if uids.Empty() {
		return c.done(cmd, cmd.UID)
	}
	var opts *mailbox.StoreOptions
	if args.HasUnchangedSince {
		if args.UnchangedSince == 0 {
			// RFC 7162 3.1.3: UNCHANGEDSINCE 0 always fails.
			return c.storeModified(cmd, uids, false)
		}
		opts = &mailbox.StoreOptions{UnchangedSince: args.UnchangedSince}
	}
	// RFC 9051 2.3.2: \Recent cannot be changed by the client.
	flags := slices.DeleteFunc(slices.Clone(args.Flags), func(f string) bool { return textutil.EqualFoldASCII(f, mailbox.FlagRecent) })
	res, err := s.mbox.Store(c.ctx, uids, mailbox.StoreOp(args.Op), flags, opts)
	if err != nil {
		return c.fail(cmd, err)
	}
	for _, u := range res.Updated {
		c.checkNewFlags(u.Flags)
		if mailbox.HasFlag(u.Flags, mailbox.FlagRecent) {
			s.recent[u.UID] = true
		}
	}
	// RFC 7162 3.1.3: with UNCHANGEDSINCE, FETCH with MODSEQ even when
	// .SILENT.
	if !args.Silent || args.HasUnchangedSince {
		for _, u := range res.Updated {
			seq := s.seqOf(u.UID)
			if seq == 0 {
				continue
			}
			fd := &FetchData{Seq: seq}
			if !args.Silent {
				fd.Flags = c.clientFlags(u.Flags)
			}
			if c.condStore {
				// RFC 7162 3.2.4: UID and MODSEQ in every FETCH a
				// STORE causes, once CONDSTORE-aware.
				fd.UID, fd.ModSeq = uint32(u.UID), u.ModSeq
			} else if cmd.UID {
				fd.UID = uint32(u.UID)
			}
			c.write(fd)
		}
	}
	if len(s.contexts) > 0 && len(res.Updated) > 0 {
		c.refreshContexts() // RFC 5267 4.3: after the FETCH
	}
	if len(res.Modified) > 0 {
		return c.storeModified(cmd, uidSet(res.Modified), true)
	}
	return c.done(cmd, cmd.UID)
}

// storeModified completes a STORE whose UNCHANGEDSINCE test failed for
// uids with OK [MODIFIED] (RFC 7162 3.1.3): message numbers for STORE,
// UIDs for UID STORE.
func (c *conn) storeModified(cmd *Command, uids mailbox.UIDSet, tell bool) bool {
	if !c.update(cmd.UID) {
		return false
	}
	if tell && !cmd.UID {
		// RFC 7162 3.1.3 (examples 9, 10): the client is told the
		// state of the messages that failed, so that it need not
		// poll. UID STORE's update above told it of every change; a
		// STORE cannot report expunges, so it fetches them.
		c.storeModifiedFlags(uids)
	}
	var set SeqSet
	if cmd.UID {
		set = SeqSetFromUIDs(uids)
	} else {
		// The known UIDs of each range are runs of consecutive UIDs,
		// and so of consecutive message numbers.
		var known, seqs []mailbox.UIDRange
		for _, r := range uids {
			known = c.sel.uids.appendWithin(known[:0], r.Start, r.Stop)
			for _, k := range known {
				a, b := c.sel.seqOf(k.Start), c.sel.seqOf(k.Stop)
				seqs = append(seqs, mailbox.UIDRange{Start: mailbox.UID(a), Stop: mailbox.UID(b)})
			}
		}
		set = SeqSetFromUIDs(mergeRanges(seqs))
	}
	c.tagged(cmd.Tag, StatusOK, "MODIFIED", set, "Conditional STORE failed")
	return true
}

// storeModifiedFlags sends the flags and mod-sequence of the messages
// uids that the session knows.
func (c *conn) storeModifiedFlags(uids mailbox.UIDSet) {
	err := c.sel.mbox.Fetch(c.ctx, uids, func(m mailbox.Message) error {
		seq := c.sel.seqOf(m.UID())
		if seq == 0 {
			return nil
		}
		flags := c.clientFlags(m.Flags())
		c.checkNewFlags(flags)
		// RFC 7162 3.2.4: the UID too.
		c.write(&FetchData{Seq: seq, UID: uint32(m.UID()), Flags: flags, ModSeq: m.ModSeq()})
		if c.broken {
			return errStop
		}
		return nil
	})
	if err != nil && !c.broken {
		c.log().Error("imap: STORE MODIFIED flags", "err", err)
	}
}

// cmdCopy answers COPY, MOVE and their UID forms (RFC 9051 6.4.7,
// 6.4.8; RFC 6851; COPYUID of RFC 4315 3).
func (c *conn) cmdCopy(cmd *Command) bool {
	s := c.sel
	args := cmd.Args.(*CopyCommand)
	uids, err := s.resolve(args.Seq, cmd.UID)
	if err != nil {
		return c.fail(cmd, err)
	}
	dest, err := c.mailboxName(args.Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	if cmd.Name == "MOVE" && s.readOnly {
		c.tagged(cmd.Tag, StatusNO, "READ-ONLY", nil, "Mailbox is read-only")
		return true
	}
	if uids.Empty() {
		if _, err := c.acct.Status(c.ctx, dest); err != nil {
			return c.fail(cmd, err)
		}
		return c.done(cmd, true)
	}
	var res *mailbox.CopyResult
	if cmd.Name == "MOVE" {
		// Report others' changes first: the EXPUNGEs below must use the
		// client's sequence numbers.
		if !c.update(true) {
			return false
		}
		res, err = mailbox.Move(c.ctx, s.mbox, uids, dest)
		if err != nil {
			// RFC 6851 3.3: a MOVE may fail partway. The messages
			// it moved all the same are expunged here, and the
			// mailbox's next Poll reports them: the client learns
			// of them before the NO, its sequence numbers right.
			// The fallback of a store without Mover says which it
			// expunged in its result.
			if res != nil {
				c.writeExpunged(res.Source)
			}
			if !c.update(true) {
				return false
			}
			return c.fail(cmd, err)
		}
	} else {
		res, err = s.mbox.Copy(c.ctx, uids, dest)
	}
	if err != nil {
		return c.fail(cmd, err)
	}
	c.noteOwnNew(dest, res.Dest)
	var code string
	var arg any
	if len(res.Source) > 0 {
		code = "COPYUID"
		arg = &CopyUIDCode{
			UIDValidity: res.UIDValidity,
			Source:      SeqSetFromUIDs(uidSet(res.Source)),
			Dest:        uidList(res.Dest),
		}
	}
	if cmd.Name == "COPY" {
		if !c.update(true) {
			return false
		}
		if code != "" {
			// RFC 9208 4.3.1, example 3: copies the store let in over a
			// soft quota.
			c.warnSoftQuota()
		}
		c.tagged(cmd.Tag, StatusOK, code, arg, "COPY completed")
		return true
	}
	// RFC 6851 4.3: COPYUID in an untagged OK before the EXPUNGEs.
	if code != "" {
		c.untaggedOK(code, arg, "Moved")
		// RFC 9208 4.3.1: as after a COPY (a move within the account
		// adds nothing, but a store may count per mailbox).
		c.warnSoftQuota()
	}
	return c.expunged(cmd, res.Source)
}

// uidList returns uids as a sequence set in their order (COPYUID's
// destination set must pair up with the source set: RFC 4315 3).
func uidList(uids []mailbox.UID) SeqSet {
	var s SeqSet
	for _, u := range uids {
		if n := len(s.Ranges); n > 0 && s.Ranges[n-1].Stop+1 == uint32(u) {
			s.Ranges[n-1].Stop = uint32(u)
			continue
		}
		s.Ranges = append(s.Ranges, SeqRange{Start: uint32(u), Stop: uint32(u)})
	}
	return s
}
