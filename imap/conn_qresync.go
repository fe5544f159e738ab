package imap

import (
	"sort"

	"github.com/postkit/postkit/mailbox"
)

// QRESYNC (RFC 7162 3.2): once the client has sent ENABLE QRESYNC,
// expunges are reported as VANISHED (3.2.10), SELECT and EXAMINE take
// the QRESYNC parameter (3.2.5) and UID FETCH the VANISHED modifier
// (3.2.6), which report with VANISHED (EARLIER) the UIDs expunged since
// a mod-sequence. Which ones a mailbox says through
// mailbox.ExpungeTracker; without it, every UID of the client's set
// that has no message is reported (RFC 7162 5.1), which is correct but
// longer.

// vanishedMode reports whether expunges in the selected mailbox are
// reported as VANISHED rather than EXPUNGE: QRESYNC is enabled and
// the mailbox has mod-sequences (RFC 7162 3.2.10: not for a mailbox
// that answered NOMODSEQ).
func (c *conn) vanishedMode() bool { return c.qresync && c.sel != nil && !c.sel.noModSeq }

// writeExpunged removes uids, in ascending order, from the session's
// view and tells the client, as EXPUNGE responses or as one VANISHED
// response (RFC 7162 3.2.10.2). UIDs the session does not know are
// skipped: VANISHED must name only messages the client was told of.
func (c *conn) writeExpunged(uids []mailbox.UID) {
	s := c.sel
	c.contextExpunged(uids) // RFC 5267 4.3.4: before the EXPUNGE
	var gone mailbox.UIDSet
	for _, uid := range uids {
		seq := s.expunge(uid)
		if seq == 0 {
			continue
		}
		if c.vanishedMode() {
			gone.Add(uid)
		} else {
			c.write(&ExpungeData{Seq: seq})
		}
	}
	if len(gone) > 0 {
		c.write(&VanishedData{UIDs: SeqSetFromUIDs(gone)})
	}
}

// vanishedSince returns the UIDs of within that were expunged since
// modSeq, for VANISHED (EARLIER): what the mailbox's ExpungeTracker
// says, or every UID below UIDNEXT without a message. UIDs the session
// still shows are left out: their expunge, if any, is yet to be
// reported by a VANISHED without EARLIER. Without a tracker, a message
// another session appended after this one last polled would count as
// missing; UID FETCH polls first and SELECT's view is fresh, so the
// window is small, and VANISHED (EARLIER) of a UID the client never
// saw does no harm (RFC 7162 3.2.10.1).
func (c *conn) vanishedSince(modSeq uint64, within mailbox.UIDSet, st *mailbox.Status) (mailbox.UIDSet, error) {
	s := c.sel
	if st.UIDNext <= 1 {
		return nil, nil
	}
	within = within.Intersect(mailbox.UIDSet{{Start: 1, Stop: st.UIDNext - 1}})
	got := within
	if tr, ok := s.mbox.(mailbox.ExpungeTracker); ok {
		var err error
		if got, err = tr.ExpungedSince(c.ctx, modSeq, within); err != nil {
			return nil, err
		}
	}
	var shown []mailbox.UIDRange
	for _, r := range got {
		shown = s.uids.appendWithin(shown, r.Start, r.Stop)
	}
	return got.Minus(mailbox.UIDSet(shown)), nil
}

// writeVanishedEarlier sends VANISHED (EARLIER) for uids, if any.
func (c *conn) writeVanishedEarlier(uids mailbox.UIDSet) {
	if len(uids) > 0 {
		c.write(&VanishedData{Earlier: true, UIDs: SeqSetFromUIDs(uids)})
	}
}

// checkQResync checks the QRESYNC parameter beyond its syntax: the
// mod-sequence is positive and the sets have no "*" (RFC 7162 7:
// mod-sequence-value, known-uids, known-sequence-set).
func checkQResync(q *QResyncParams) string {
	if q.ModSeq == 0 {
		return "QRESYNC mod-sequence must be positive"
	}
	for _, set := range []SeqSet{q.KnownUIDs, q.SeqMatchSeqs, q.SeqMatchUIDs} {
		if set.Saved {
			return `"$" not allowed in QRESYNC`
		}
		for _, r := range set.Ranges {
			if r.Start == Star || r.Stop == Star {
				return `"*" not allowed in QRESYNC`
			}
		}
	}
	return ""
}

// resync sends what changed in the just selected mailbox since the
// client's last visit (RFC 7162 3.2.5.1): VANISHED (EARLIER) for the
// UIDs expunged since q.ModSeq, then FETCH (UID FLAGS MODSEQ) for the
// messages changed since. Nothing when the UIDVALIDITY differs or the
// mailbox has no mod-sequences.
func (c *conn) resync(q *QResyncParams, st *mailbox.Status) error {
	s := c.sel
	if q.UIDValidity != st.UIDValidity || st.HighestModSeq == 0 {
		return nil
	}
	known := q.KnownUIDs.UIDSet(0)
	if q.KnownUIDs.Empty() {
		// RFC 7162 3.2.5.1: as if 1:<UIDNEXT-1>, empty for a mailbox
		// that never had a message.
		known = nil
		if st.UIDNext > 1 {
			known = mailbox.UIDSet{{Start: 1, Stop: st.UIDNext - 1}}
		}
	}
	// RFC 7162 3.2.5.2: the client knows the expunges below the last
	// UID of its sequence match data that still matches.
	if from := s.seqMatchStart(q.SeqMatchSeqs, q.SeqMatchUIDs); from != 0 {
		van, err := c.vanishedSince(q.ModSeq, known.Intersect(mailbox.UIDSet{{Start: from, Stop: mailbox.MaxUID}}), st)
		if err != nil {
			return err
		}
		c.writeVanishedEarlier(van)
	}
	return s.mbox.Fetch(c.ctx, known, func(m mailbox.Message) error {
		seq := s.seqOf(m.UID())
		if seq == 0 || m.ModSeq() <= q.ModSeq {
			return nil
		}
		c.write(&FetchData{Seq: seq, UID: uint32(m.UID()), Flags: c.clientFlags(m.Flags()), ModSeq: m.ModSeq()})
		if c.broken {
			return errStop
		}
		return nil
	})
}

// uidAt returns the UID of message seq, or 0.
func (s *selected) uidAt(seq uint32) mailbox.UID {
	if seq == 0 || seq > s.uids.len() {
		return 0
	}
	return s.uids.appendSeqs(nil, seq, seq)[0].Start
}

// seqMatchStart returns the lowest UID whose expunge the client may
// not know of, given its message sequence match data (RFC 7162
// 3.2.5.2): the pairs of seqs and uids are taken in order, and each
// pair whose message number still has that UID tells that the client
// knows every expunge up to it; the first pair that does not match
// ends the walk. Runs of pairs are checked at their ends and split by
// binary search, so the cost does not grow with the size of the
// ranges. It returns 0 when every UID is covered.
func (s *selected) seqMatchStart(seqs, uids SeqSet) mailbox.UID {
	from := mailbox.UID(1)
	match := func(seq, uid uint32) bool { return uint32(s.uidAt(seq)) == uid }
	i, j := 0, 0
	var a, b, x, y uint32 // the pairs (a..b, x..y) of the current ranges
	for {
		if a == 0 {
			if i == len(seqs.Ranges) {
				return from
			}
			a, b = seqs.Ranges[i].bounds(0)
			i++
		}
		if x == 0 {
			if j == len(uids.Ranges) {
				return from
			}
			x, y = uids.Ranges[j].bounds(0)
			j++
		}
		if a == 0 || x == 0 {
			return from
		}
		n := min(b-a, y-x) // pairs a+k, x+k for k in 0..n
		if !match(a, x) {
			return from
		}
		k := n
		if !match(a+n, x+n) {
			// match(a+k, x+k) holds for k up to some point, then not:
			// UIDs ascend at least as fast as message numbers.
			k = uint32(sort.Search(int(n), func(k int) bool { return !match(a+uint32(k), x+uint32(k)) })) - 1
		}
		last := mailbox.UID(x + k)
		if last == mailbox.MaxUID {
			return 0
		}
		from = last + 1
		if k < n {
			return from
		}
		if a+n == b {
			a = 0
		} else {
			a += n + 1
		}
		if x+n == y {
			x = 0
		} else {
			x += n + 1
		}
	}
}

// fetchVanished sends the VANISHED (EARLIER) of UID FETCH ...
// (CHANGEDSINCE m VANISHED) (RFC 7162 3.2.6): the UIDs of the command's
// set, "*" standing for UIDNEXT-1, expunged since m. It reports false
// when the connection broke or the mailbox failed (logged).
func (c *conn) fetchVanished(args *FetchCommand) bool {
	s := c.sel
	st, err := s.mbox.Status(c.ctx)
	if err == nil {
		largest := max(s.maxUID(), st.UIDNext-1)
		within := args.Seq.UIDSet(largest)
		if args.Seq.Saved {
			within = mergeRanges(append(within, s.saved...))
		}
		var van mailbox.UIDSet
		if van, err = c.vanishedSince(args.ChangedSince, within, st); err == nil {
			c.writeVanishedEarlier(van)
		}
	}
	if err != nil && !isGone(err) {
		c.log().Error("imap: VANISHED", "err", err)
	}
	return !c.broken
}
