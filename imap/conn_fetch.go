package imap

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mime"
)

// errStop ends a Fetch iteration after a write failed.
var errStop = errors.New("imap: connection broken")

// cmdFetch answers FETCH and UID FETCH (RFC 9051 6.4.5, 6.4.9).
func (c *conn) cmdFetch(cmd *Command) bool {
	s := c.sel
	args := cmd.Args.(*FetchCommand)
	if c.noModSeq() && (args.ChangedSince != 0 || slices.ContainsFunc(args.Items, func(it FetchItem) bool { return it.Name == FetchModSeq })) {
		return c.bad(cmd.Tag, "", noModSeqText) // RFC 7162 3.1.2.2
	}
	if args.Vanished {
		// RFC 7162 3.2.6: UID FETCH only, with CHANGEDSINCE, after
		// ENABLE QRESYNC.
		switch {
		case !c.qresync:
			return c.bad(cmd.Tag, "", "VANISHED needs ENABLE QRESYNC")
		case !cmd.UID:
			return c.bad(cmd.Tag, "", "VANISHED is for UID FETCH only")
		case args.ChangedSince == 0:
			return c.bad(cmd.Tag, "", "VANISHED needs CHANGEDSINCE")
		}
		// Report the changes pending first (UID FETCH may), so that
		// the UIDs the session shows are the mailbox's.
		if !c.update(true) {
			return false
		}
	}
	uids, err := s.resolve(args.Seq, cmd.UID)
	if err != nil {
		return c.fail(cmd, err)
	}
	if args.Vanished {
		// RFC 7162 3.2.6: VANISHED (EARLIER) before any FETCH.
		if !c.fetchVanished(args) {
			return !c.broken
		}
	}
	setSeen := false
	if args.ChangedSince != 0 {
		c.enableCondStore(false)
	}
	for _, it := range args.Items {
		switch it.Name {
		case FetchModSeq:
			c.enableCondStore(false)
		case FetchBinary:
			setSeen = setSeen || !it.Peek
		case FetchBody:
			if it.Section == nil {
				continue
			}
			if err := checkSection(it.Section); err != nil {
				return c.bad(cmd.Tag, "", err.Error())
			}
			setSeen = setSeen || !it.Peek
		case FetchRFC822, FetchRFC822Text:
			setSeen = true
		}
	}
	// RFC 9051 6.4.5: BODY[...] and RFC822 set \Seen, and the new
	// flags are reported with the data.
	var seenSet map[mailbox.UID]bool
	if setSeen && !s.readOnly && !uids.Empty() {
		if seenSet, err = c.markSeen(uids); err != nil {
			return c.fail(cmd, err)
		}
	}
	err = s.mbox.Fetch(c.ctx, uids, func(m mailbox.Message) error {
		return c.fetchOne(cmd, args.Items, m, seenSet[m.UID()])
	})
	if c.broken {
		return false
	}
	if err != nil {
		return c.fail(cmd, err)
	}
	return c.done(cmd, cmd.UID)
}

// checkSection rejects the sections RFC 9051 6.4.5 does not allow.
func checkSection(sec *Section) error {
	for _, p := range sec.Part {
		if p == 0 {
			return errors.New("section part number 0")
		}
	}
	if sec.Specifier == SectionMIME && len(sec.Part) == 0 {
		return errors.New("MIME needs a part number")
	}
	return nil
}

// markSeen sets \Seen on the messages in uids that lack it and returns
// them.
func (c *conn) markSeen(uids mailbox.UIDSet) (map[mailbox.UID]bool, error) {
	s := c.sel
	var unseen []mailbox.UID
	err := s.mbox.Fetch(c.ctx, uids, func(m mailbox.Message) error {
		if !mailbox.HasFlag(m.Flags(), mailbox.FlagSeen) {
			unseen = append(unseen, m.UID())
		}
		return nil
	})
	if err != nil || len(unseen) == 0 {
		return nil, err
	}
	res, err := s.mbox.Store(c.ctx, uidSet(unseen), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[mailbox.UID]bool, len(res.Updated))
	for _, u := range res.Updated {
		out[u.UID] = true
	}
	return out, nil
}

// fetchOne writes the FETCH response of one message.
func (c *conn) fetchOne(cmd *Command, items []FetchItem, m mailbox.Message, seen bool) error {
	s := c.sel
	seq := s.seqOf(m.UID())
	if seq == 0 {
		return nil
	}
	if cs := cmd.Args.(*FetchCommand).ChangedSince; cs != 0 && m.ModSeq() <= cs {
		// RFC 7162 3.1.4.1: only what changed since.
		return nil
	}
	fd := &FetchData{Seq: seq}
	if c.condStore {
		// RFC 7162 3.1: MODSEQ in every FETCH once CONDSTORE-aware.
		fd.ModSeq = m.ModSeq()
	}
	if cmd.UID || seen && c.condStore {
		// RFC 9051 6.4.9: UID FETCH always returns the UID; RFC 7162
		// 3.2.4: so does a FETCH that set \Seen, once CONDSTORE-aware.
		fd.UID = uint32(m.UID())
	}
	var body mailbox.Body
	defer func() {
		if body != nil {
			body.Close()
		}
	}()
	open := func() (mailbox.Body, error) {
		if body == nil {
			b, err := m.Open(c.ctx)
			if err != nil {
				return nil, err
			}
			body = b
		}
		return body, nil
	}
	fc := fetchCache{c: c, m: m, open: open}
	defer fc.store()
	structure := fc.structure
	for _, it := range items {
		switch it.Name {
		case FetchUID:
			fd.UID = uint32(m.UID())
		case FetchFlags:
			fd.Flags = c.clientFlags(m.Flags())
		case FetchInternalDate:
			fd.InternalDate = m.InternalDate()
		case FetchRFC822Size:
			fd.RFC822Size = ptr(m.Size())
		case FetchModSeq:
			fd.ModSeq = m.ModSeq()
		case FetchEnvelope:
			if err := fc.item(fd, itemEnvelope); err != nil {
				return err
			}
		case FetchBodyStructure:
			if err := fc.item(fd, itemBodyStructure); err != nil {
				return err
			}
		case FetchSaveDate:
			fd.SaveDate = ptr(saveDate(m))
		case FetchEmailID, FetchThreadID:
			if err := c.fetchObjectIDs(fd, it.Name, m, open); err != nil {
				return err
			}
		case FetchPreview:
			if err := fc.preview(fd, it); err != nil {
				return err
			}
		case FetchBody, FetchRFC822, FetchRFC822Header, FetchRFC822Text:
			if it.Name == FetchBody && it.Section == nil {
				if err := fc.item(fd, itemBody); err != nil {
					return err
				}
				continue
			}
			fc.keepEntity = true
			sec, err := c.section(it, open, structure)
			if err != nil {
				return err
			}
			fd.Sections = append(fd.Sections, sec)
		case FetchBinary, FetchBinarySize:
			fc.keepEntity = true
			b, err := open()
			if err != nil {
				return err
			}
			e, err := structure()
			if err != nil {
				return err
			}
			src, err := binarySection(b, e, it.Section)
			if err != nil {
				return err
			}
			if it.Name == FetchBinarySize {
				var n int64
				if src != nil {
					if n, _, err = src.size(); err != nil {
						return err
					}
				}
				fd.BinarySizes = append(fd.BinarySizes, BinarySize{Part: it.Section.Part, Size: uint32(min(n, 1<<32-1))})
				continue
			}
			sec, err := binaryValue(it, src)
			if err != nil {
				return err
			}
			fd.Sections = append(fd.Sections, sec)
		}
	}
	if seen && fd.Flags == nil {
		fd.Flags = c.clientFlags(m.Flags())
	}
	if fd.Flags != nil {
		// A keyword another session set since the last FLAGS is
		// announced before a FETCH shows it (RFC 9051 7.3.5).
		c.checkNewFlags(fd.Flags)
	}
	c.write(fd)
	if c.broken {
		return errStop
	}
	return nil
}

// section returns the value of a body section item, a reader over the
// message's octets.
func (c *conn) section(it FetchItem, open func() (mailbox.Body, error), structure func() (*mime.Entity, error)) (FetchSection, error) {
	var spec mailbox.SectionSpec
	resp := FetchItem{Name: it.Name}
	switch it.Name {
	case FetchRFC822Header:
		spec.Specifier = SectionHeader
	case FetchRFC822Text:
		spec.Specifier = SectionText
	case FetchBody:
		resp.Section = it.Section
		for _, p := range it.Section.Part {
			spec.Part = append(spec.Part, int(p))
		}
		spec.Specifier = it.Section.Specifier
		spec.Fields = it.Section.Fields
	}
	root, err := structure()
	if err != nil {
		return FetchSection{}, err
	}
	b, err := open()
	if err != nil {
		return FetchSection{}, err
	}
	r, size, err := mailbox.OpenSection(b, root, spec)
	if errors.Is(err, mailbox.ErrNoSuchSection) {
		// As Dovecot does: an empty string.
		r, size, err = nil, 0, nil
	}
	if err != nil {
		return FetchSection{}, err
	}
	if it.Partial != nil {
		// RFC 9051 6.4.5: <offset.count>; the response gives the origin.
		resp.Partial = &Partial{Offset: it.Partial.Offset}
		off := min(int64(min(it.Partial.Offset, 1<<62)), size)
		n := min(int64(min(it.Partial.Count, 1<<62)), size-off)
		if r != nil {
			if _, err := io.CopyN(io.Discard, r, off); err != nil {
				return FetchSection{}, err
			}
			r = io.LimitReader(r, n)
		}
		size = n
	}
	if r == nil {
		return FetchSection{Item: resp, Data: []byte{}}, nil
	}
	return FetchSection{Item: resp, Reader: nulTo80{r}, Size: size}, nil
}

// nulTo80 turns the NUL octets of a message into 0x80, as Dovecot
// does: a BODY, RFC822 or RFC822.TEXT literal cannot carry NUL (RFC
// 9051 4.3), and RFC 3516 6 wants BODY to give the content in a form
// the base protocol can send; BINARY, whose literal8 can, gives the
// octets as they are. The size stays, so RFC822.SIZE and partial
// ranges hold. (APPEND refuses NUL, but a delivery may store it.)
type nulTo80 struct{ r io.Reader }

func (n nulTo80) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	for q := p[:k]; ; {
		i := bytes.IndexByte(q, 0)
		if i < 0 {
			break
		}
		q[i] = 0x80
		q = q[i+1:]
	}
	return k, err
}

// noNUL drops NUL octets, which no IMAP string can carry (RFC 9051 4.3):
// a message whose header holds one must not make its FETCH fail.
func noNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// cleanEnvelope makes env writable whatever the message held.
func cleanEnvelope(env *Envelope) *Envelope {
	if env == nil {
		return nil
	}
	env.Date, env.Subject = noNUL(env.Date), noNUL(env.Subject)
	env.InReplyTo, env.MessageID = noNUL(env.InReplyTo), noNUL(env.MessageID)
	for _, l := range [][]Address{env.From, env.Sender, env.ReplyTo, env.To, env.Cc, env.Bcc} {
		for i := range l {
			a := &l[i]
			a.Name, a.ADL, a.Mailbox, a.Host = noNUL(a.Name), noNUL(a.ADL), noNUL(a.Mailbox), noNUL(a.Host)
		}
	}
	return env
}

// cleanBody makes b writable whatever the message held.
func cleanBody(b *BodyStructure) *BodyStructure {
	if b == nil {
		return nil
	}
	b.Type, b.Subtype = noNUL(b.Type), noNUL(b.Subtype)
	b.ID, b.Description, b.Encoding = noNUL(b.ID), noNUL(b.Description), noNUL(b.Encoding)
	b.MD5, b.Disposition, b.Location = noNUL(b.MD5), noNUL(b.Disposition), noNUL(b.Location)
	for _, ps := range [][]Param{b.Params, b.DispositionParams} {
		for i := range ps {
			ps[i].Name, ps[i].Value = noNUL(ps[i].Name), noNUL(ps[i].Value)
		}
	}
	for i := range b.Language {
		b.Language[i] = noNUL(b.Language[i])
	}
	cleanEnvelope(b.Envelope)
	cleanBody(b.Body)
	for _, p := range b.Parts {
		cleanBody(p)
	}
	return b
}

// binaryValue returns the value of a BINARY item (RFC 9051 7.5.2).
func binaryValue(it FetchItem, src *binarySource) (FetchSection, error) {
	resp := FetchItem{Name: FetchBinary, Section: it.Section}
	if src == nil {
		return FetchSection{Item: resp, Data: []byte{}}, nil
	}
	size, _, err := src.size()
	if err != nil {
		return FetchSection{}, err
	}
	r, err := src.open()
	if err != nil {
		return FetchSection{}, err
	}
	off, n := int64(0), size
	if it.Partial != nil {
		resp.Partial = &Partial{Offset: it.Partial.Offset}
		off = min(int64(min(it.Partial.Offset, 1<<62)), size)
		n = min(int64(min(it.Partial.Count, 1<<62)), size-off)
		if _, err := io.CopyN(io.Discard, r, off); err != nil {
			return FetchSection{}, err
		}
	}
	r = io.LimitReader(r, n)
	if n <= maxBinaryInMemory {
		// Data is sent as a literal unless it holds NUL, a Reader
		// always as literal8 (RFC 9051 7.5.2: a string when there is no
		// NUL); small sections are read so that the choice is right.
		data, err := io.ReadAll(r)
		if err != nil {
			return FetchSection{}, err
		}
		return FetchSection{Item: resp, Data: data}, nil
	}
	return FetchSection{Item: resp, Reader: r, Size: n}, nil
}
