package imap

import (
	"cmp"
	"errors"
	"slices"
	"sort"

	"github.com/postkit/postkit/mailbox"
)

// selected is the session's view of its selected mailbox: the UIDs of
// the messages in sequence-number order (message sequence numbers are
// per session: RFC 9051 2.3.1.2), the flags the client was told of, and
// the messages \Recent in this session.
//
// uids always holds exactly the messages the mailbox view knows: the
// view learns of changes only through Poll, and every Poll's updates are
// applied here and reported to the client at once.
type selected struct {
	mbox        mailbox.Mailbox
	name        string // UTF-8
	readOnly    bool
	uidValidity uint32
	noModSeq    bool // the mailbox has no mod-sequences (NOMODSEQ)
	uids        seqMap
	recent      map[mailbox.UID]bool
	flags       []string // the FLAGS last sent
	permFlags   []string // the PERMANENTFLAGS last sent
	// saved is the SEARCHRES result (RFC 5182), as UIDs; valid when
	// hasSaved.
	saved    mailbox.UIDSet
	hasSaved bool
	// contexts are the updating contexts (RFC 5267 4.3); they end with
	// the selection.
	contexts []*searchContext
}

var errBadSeq = errors.New("imap: invalid message sequence number")

// seqMap maps message sequence numbers to UIDs and back (RFC 9051
// 2.3.1.2) as runs of consecutive UIDs, so that a session holds a few
// bytes for a mailbox whose UIDs have few gaps (UIDs 1:10000 are one
// run) instead of four bytes a message. The zero value is empty.
type seqMap struct {
	runs []uidRun // ascending, neither overlapping nor touching
	n    uint32   // the messages, the sequence number of the last
	// valid counts the runs, from the first, whose seq is up to date:
	// an expunge makes the seq of the runs after it stale, and they are
	// brought up to date when asked for, so that a batch of expunges
	// in ascending order costs O(runs) in all.
	valid int
}

// uidRun is the UIDs first to first+n-1, whose sequence numbers start
// at seq.
type uidRun struct {
	first mailbox.UID
	n     uint32
	seq   uint32
}

func (r uidRun) last() mailbox.UID { return r.first + mailbox.UID(r.n) - 1 }

// len returns the number of messages.
func (m *seqMap) len() uint32 { return m.n }

// maxUID returns the largest UID, or 0.
func (m *seqMap) maxUID() mailbox.UID {
	if len(m.runs) == 0 {
		return 0
	}
	return m.runs[len(m.runs)-1].last()
}

// find returns the index of the run holding uid, or of the first run
// above it, and whether uid is there.
func (m *seqMap) find(uid mailbox.UID) (int, bool) {
	i := sort.Search(len(m.runs), func(i int) bool { return m.runs[i].last() >= uid })
	return i, i < len(m.runs) && m.runs[i].first <= uid
}

// fix brings the seq of runs[:i+1] up to date.
func (m *seqMap) fix(i int) {
	for ; m.valid <= i && m.valid < len(m.runs); m.valid++ {
		if m.valid == 0 {
			m.runs[0].seq = 1
		} else {
			p := m.runs[m.valid-1]
			m.runs[m.valid].seq = p.seq + p.n
		}
	}
}

// seqOf returns the sequence number of uid, or 0.
func (m *seqMap) seqOf(uid mailbox.UID) uint32 {
	i, ok := m.find(uid)
	if !ok {
		return 0
	}
	m.fix(i)
	return m.runs[i].seq + uint32(uid-m.runs[i].first)
}

// add adds uid; it reports false if it was there already.
func (m *seqMap) add(uid mailbox.UID) bool {
	if uid == 0 {
		return false
	}
	n := len(m.runs)
	// The usual case: a UID above the others.
	if n == 0 || uid > m.runs[n-1].last() {
		m.n++
		if n > 0 && uid == m.runs[n-1].last()+1 {
			m.runs[n-1].n++
			return true
		}
		if m.valid == n {
			m.valid++
		}
		m.runs = append(m.runs, uidRun{first: uid, n: 1, seq: m.n})
		return true
	}
	i, ok := m.find(uid)
	if ok {
		return false
	}
	m.n++
	// uid is below runs[i] and above runs[i-1], if any.
	switch {
	case i > 0 && m.runs[i-1].last()+1 == uid && uid+1 == m.runs[i].first:
		m.runs[i-1].n += 1 + m.runs[i].n
		m.runs = slices.Delete(m.runs, i, i+1)
		i--
	case i > 0 && m.runs[i-1].last()+1 == uid:
		i--
		m.runs[i].n++
	case uid+1 == m.runs[i].first:
		m.runs[i].first, m.runs[i].n = uid, m.runs[i].n+1
	default:
		m.runs = slices.Insert(m.runs, i, uidRun{first: uid, n: 1})
	}
	m.valid = min(m.valid, i)
	return true
}

// remove removes uid and returns its sequence number, or 0.
func (m *seqMap) remove(uid mailbox.UID) uint32 {
	i, ok := m.find(uid)
	if !ok {
		return 0
	}
	m.fix(i)
	r := &m.runs[i]
	seq := r.seq + uint32(uid-r.first)
	m.n--
	switch {
	case r.n == 1:
		m.runs = slices.Delete(m.runs, i, i+1)
		m.valid = min(m.valid, i)
		return seq
	case uid == r.first:
		r.first++
		r.n--
	case uid == r.last():
		r.n--
	default:
		after := uidRun{first: uid + 1, n: uint32(r.last() - uid)}
		r.n = uint32(uid - r.first)
		m.runs = slices.Insert(m.runs, i+1, after)
	}
	m.valid = min(m.valid, i+1)
	return seq
}

// appendSeqs appends to out the UIDs of the messages numbered lo to
// hi, which must exist, as ranges.
func (m *seqMap) appendSeqs(out []mailbox.UIDRange, lo, hi uint32) []mailbox.UIDRange {
	m.fix(len(m.runs) - 1)
	i := sort.Search(len(m.runs), func(i int) bool { return m.runs[i].seq+m.runs[i].n > lo })
	for ; i < len(m.runs) && m.runs[i].seq <= hi; i++ {
		r := m.runs[i]
		a := r.first + mailbox.UID(max(lo, r.seq)-r.seq)
		b := r.first + mailbox.UID(min(hi, r.seq+r.n-1)-r.seq)
		out = append(out, mailbox.UIDRange{Start: a, Stop: b})
	}
	return out
}

// appendWithin appends to out the known UIDs from lo to hi, as ranges.
func (m *seqMap) appendWithin(out []mailbox.UIDRange, lo, hi mailbox.UID) []mailbox.UIDRange {
	i, _ := m.find(lo)
	for ; i < len(m.runs) && m.runs[i].first <= hi; i++ {
		r := m.runs[i]
		out = append(out, mailbox.UIDRange{Start: max(lo, r.first), Stop: min(hi, r.last())})
	}
	return out
}

// seqOf returns the sequence number of uid, or 0.
func (s *selected) seqOf(uid mailbox.UID) uint32 { return s.uids.seqOf(uid) }

func (s *selected) maxUID() mailbox.UID { return s.uids.maxUID() }

// uidSet returns the set of uids. It sorts them once and merges runs,
// in O(n log n) (mailbox.UIDSetOf normalises at each UID, which is
// quadratic for scattered UIDs).
func uidSet(uids []mailbox.UID) mailbox.UIDSet {
	if !slices.IsSorted(uids) {
		uids = slices.Clone(uids)
		slices.Sort(uids)
	}
	var out mailbox.UIDSet
	for _, u := range uids {
		if u == 0 {
			continue
		}
		if n := len(out); n > 0 && (u <= out[n-1].Stop || u-1 == out[n-1].Stop) {
			out[n-1].Stop = max(out[n-1].Stop, u)
			continue
		}
		out = append(out, mailbox.UIDRange{Start: u, Stop: u})
	}
	return out
}

// mergeRanges sorts rs and merges the ranges that overlap or touch, in
// place, in O(n log n).
func mergeRanges(rs []mailbox.UIDRange) mailbox.UIDSet {
	if !slices.IsSortedFunc(rs, cmpRange) {
		slices.SortFunc(rs, cmpRange)
	}
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && uint64(r.Start) <= uint64(out[n-1].Stop)+1 {
			out[n-1].Stop = max(out[n-1].Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	return mailbox.UIDSet(out)
}

func cmpRange(a, b mailbox.UIDRange) int { return cmp.Compare(a.Start, b.Start) }

// resolveSeq turns a set of message sequence numbers into UIDs. A
// number past the last message is an error (BAD); "*" in an empty
// mailbox stands for nothing. "$" is the saved search result.
func (s *selected) resolveSeq(set SeqSet) (mailbox.UIDSet, error) {
	var out []mailbox.UIDRange
	if set.Saved {
		out = s.appendSaved(out)
	}
	n := s.uids.len()
	if n == 0 {
		// RFC 9051 6.4.8 ("*" is the last message): there is none.
		rs := set.Ranges[:0:0]
		for _, r := range set.Ranges {
			if r.Start != Star && r.Stop != Star {
				rs = append(rs, r)
			}
		}
		set.Ranges = rs
	}
	for _, r := range set.Resolve(n) {
		if r.Start == 0 || r.Stop > n {
			return nil, errBadSeq
		}
		out = s.uids.appendSeqs(out, r.Start, r.Stop)
	}
	return mergeRanges(out), nil
}

// resolveUID turns a set of UIDs into the UIDs of existing messages
// ("*" is the largest UID; RFC 9051 6.4.9: UIDs with no message are
// ignored).
func (s *selected) resolveUID(set SeqSet) mailbox.UIDSet {
	var out []mailbox.UIDRange
	if set.Saved {
		out = s.appendSaved(out)
	}
	if s.uids.len() > 0 {
		for _, r := range set.Resolve(uint32(s.maxUID())) {
			out = s.uids.appendWithin(out, mailbox.UID(r.Start), mailbox.UID(r.Stop))
		}
	}
	return mergeRanges(out)
}

// appendSaved appends the saved search result, without the messages
// expunged since (RFC 5182 2.1).
func (s *selected) appendSaved(out []mailbox.UIDRange) []mailbox.UIDRange {
	if !s.hasSaved {
		return out
	}
	for _, r := range s.saved {
		out = s.uids.appendWithin(out, r.Start, r.Stop)
	}
	return out
}

// resolve resolves the set of a command: UIDs for UID commands, message
// numbers otherwise.
func (s *selected) resolve(set SeqSet, uid bool) (mailbox.UIDSet, error) {
	if uid {
		return s.resolveUID(set), nil
	}
	return s.resolveSeq(set)
}

// expunge removes uid and returns its sequence number, or 0.
func (s *selected) expunge(uid mailbox.UID) uint32 {
	seq := s.uids.remove(uid)
	if seq != 0 {
		delete(s.recent, uid)
	}
	return seq
}

// add adds a new message; a UID that is not above the others (which a
// backend should not send) is put in its place.
func (s *selected) add(uid mailbox.UID, flags []string) {
	if s.uids.add(uid) && mailbox.HasFlag(flags, mailbox.FlagRecent) {
		s.recent[uid] = true
	}
}

// newFlags reports whether flags holds a flag the client was not told
// of in FLAGS.
func (s *selected) newFlags(flags []string) bool {
	for _, f := range flags {
		if f != mailbox.FlagRecent && !mailbox.HasFlag(s.flags, f) {
			return true
		}
	}
	return false
}

// clientFlags returns flags as this session shows them: without
// \Recent for IMAP4rev2 (RFC 9051 removed it).
func (c *conn) clientFlags(flags []string) []string {
	if flags == nil {
		flags = []string{}
	}
	if !c.rev2 || !slices.Contains(flags, mailbox.FlagRecent) {
		return flags
	}
	return slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return f == mailbox.FlagRecent })
}

// closeSelected closes the selected mailbox, if any, and returns to the
// authenticated state.
func (c *conn) closeSelected() {
	if c.sel == nil {
		return
	}
	c.sel.mbox.Close()
	c.sel = nil
	if c.state == stateSelected {
		c.setState(stateAuth)
	}
}

// update polls the selected mailbox and reports the changes: EXISTS and
// RECENT for new messages, FETCH FLAGS for flag changes, FLAGS and
// PERMANENTFLAGS when a new keyword appears, and EXPUNGE (RFC 9051
// 7.4.1, 7.5.1), or VANISHED under QRESYNC (RFC 7162 3.2.10.2), after
// URLMECH if another session reset the selected mailbox's key. When
// expunges is false (FETCH, STORE, SEARCH, which must not see an
// EXPUNGE), it polls nothing: the view keeps the
// messages it knows, so that sequence numbers stay valid, until a
// command that may report expunges. It reports false when the
// connection must close.
func (c *conn) update(expunges bool) bool {
	c.checkKeyResets()
	// RFC 5464 4.4.2: annotations others changed, after ENABLE METADATA.
	c.metadataUpdates()
	s := c.sel
	if s == nil || !expunges {
		return true
	}
	ups, err := s.mbox.Poll(c.ctx)
	if err != nil {
		if errors.Is(err, mailbox.ErrUpdatesLost) {
			c.bye("* BYE [UNAVAILABLE] Too many changes to the mailbox; please reconnect\r\n")
			return false
		}
		if errors.Is(err, mailbox.ErrNoSuchMailbox) || errors.Is(err, mailbox.ErrClosed) {
			// The mailbox was deleted or renamed under the session.
			c.bye("* BYE [UNAVAILABLE] Selected mailbox no longer exists\r\n")
			return false
		}
		c.log().Error("imap: poll", "err", err)
		return true
	}
	for _, u := range ups {
		if u.Kind != mailbox.UpdateExpunged {
			continue
		}
		// Expunges may mean that the mailbox was deleted.
		if _, err := s.mbox.Status(c.ctx); isGone(err) {
			c.bye("* BYE [UNAVAILABLE] Selected mailbox no longer exists\r\n")
			return false
		}
		break
	}
	c.report(ups)
	c.notifyNewMessages(ups)
	c.ownNew = nil
	return true
}

// report tells the client of the updates of a Poll, in order.
func (c *conn) report(ups []mailbox.Update) {
	s := c.sel
	// A flag change of a message the same batch expunges is not worth
	// telling.
	var expunged map[mailbox.UID]bool
	// Nor is a flag change followed by another of the same message: a
	// FETCH tells all the flags and the last mod-sequence, so one per
	// message is enough (RFC 7162 3.1.3 example 9 shows one).
	var lastFlags map[mailbox.UID]int
	for i, u := range ups {
		switch u.Kind {
		case mailbox.UpdateExpunged:
			if expunged == nil {
				expunged = make(map[mailbox.UID]bool)
			}
			expunged[u.UID] = true
		case mailbox.UpdateFlags:
			if lastFlags == nil {
				lastFlags = make(map[mailbox.UID]int)
			}
			lastFlags[u.UID] = i
		}
	}
	added := false
	recentBefore := len(s.recent)
	flush := func() {
		if !added {
			return
		}
		added = false
		c.write(&ExistsData{Num: s.uids.len()})
		if !c.rev2 && len(s.recent) != recentBefore {
			c.write(&RecentData{Num: uint32(len(s.recent))})
		}
		recentBefore = len(s.recent)
	}
	// Consecutive expunges are reported together (one VANISHED under
	// QRESYNC).
	var gone []mailbox.UID
	flushGone := func() {
		c.writeExpunged(gone)
		gone = gone[:0]
	}
	for i, u := range ups {
		switch u.Kind {
		case mailbox.UpdateAppended:
			flushGone()
			c.checkNewFlags(u.Flags)
			s.add(u.UID, u.Flags)
			added = true
		case mailbox.UpdateExpunged:
			flush()
			gone = append(gone, u.UID)
		case mailbox.UpdateFlags:
			flush()
			flushGone()
			seq := s.seqOf(u.UID)
			if seq == 0 || expunged[u.UID] || lastFlags[u.UID] != i {
				continue
			}
			c.checkNewFlags(u.Flags)
			if mailbox.HasFlag(u.Flags, mailbox.FlagRecent) {
				s.recent[u.UID] = true
			}
			fd := &FetchData{Seq: seq, UID: uint32(u.UID), Flags: c.clientFlags(u.Flags)}
			if c.condStore {
				fd.ModSeq = u.ModSeq
			}
			c.write(fd)
		}
	}
	flush()
	flushGone()
	// RFC 5267 4.3: ADDTO and REMOVEFROM for what new messages and flag
	// changes did to the contexts' results, once the EXISTS and FETCH
	// are out.
	if len(s.contexts) > 0 && slices.ContainsFunc(ups, func(u mailbox.Update) bool { return u.Kind != mailbox.UpdateExpunged }) {
		c.refreshContexts()
	}
}

// checkNewFlags sends FLAGS and PERMANENTFLAGS when flags holds a
// keyword the client was not told of (RFC 9051 7.3.5: FLAGS is sent
// again when the set of defined flags changes).
func (c *conn) checkNewFlags(flags []string) {
	s := c.sel
	if !s.newFlags(flags) {
		return
	}
	st, err := s.mbox.Status(c.ctx)
	if err != nil {
		return
	}
	for _, f := range flags {
		if f != mailbox.FlagRecent && !mailbox.HasFlag(st.Flags, f) {
			st.Flags = append(st.Flags, f)
		}
	}
	c.sendFlags(st)
}

// systemFlags are the flags every mailbox defines (RFC 9051 2.3.2), in
// the order of RFC 9051's examples.
var systemFlags = []string{mailbox.FlagAnswered, mailbox.FlagFlagged, mailbox.FlagDeleted, mailbox.FlagSeen, mailbox.FlagDraft}

// definedFlags returns the flags of the FLAGS response for st: the
// system flags, then the keywords the mailbox knows (from Flags, and
// from PermanentFlags for a backend that lists them only there).
func definedFlags(st *mailbox.Status) []string {
	out := slices.Clone(systemFlags)
	for _, l := range [][]string{st.Flags, st.PermanentFlags} {
		for _, f := range l {
			if f != mailbox.FlagRecent && f != `\*` && !mailbox.HasFlag(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// sendFlags sends FLAGS and OK [PERMANENTFLAGS] for st.
func (c *conn) sendFlags(st *mailbox.Status) {
	s := c.sel
	s.flags = definedFlags(st)
	c.write(&FlagsData{Flags: s.flags})
	s.permFlags = []string{}
	if !s.readOnly {
		s.permFlags = slices.DeleteFunc(slices.Clone(st.PermanentFlags), func(f string) bool { return f == mailbox.FlagRecent })
	}
	text := "Flags permitted"
	if s.readOnly {
		text = "Read-only mailbox"
	}
	c.untaggedOK("PERMANENTFLAGS", s.permFlags, text)
}
