package imap

import (
	"errors"
	"slices"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// retOpts are the result options of a SEARCH or SORT.
type retOpts struct {
	min, max, all, count, save bool
	// RFC 5267 4: CONTEXT (a hint, ignored), UPDATE, PARTIAL first:last.
	update, partial bool
	first, last     uint32
}

// returnOptions reads the result options of SEARCH (RFC 4731 3.1, RFC
// 5182) or SORT (RFC 5267 3): MIN MAX ALL COUNT SAVE, and CONTEXT
// UPDATE PARTIAL (RFC 5267 4), "RETURN ()" meaning ALL. bad says what
// is wrong with them, if anything (BAD).
func returnOptions(hasReturn bool, opts []string) (r retOpts, bad string) {
	for i := 0; i < len(opts); i++ {
		switch o := opts[i]; o {
		case "MIN":
			r.min = true
		case "MAX":
			r.max = true
		case "ALL":
			r.all = true
		case "COUNT":
			r.count = true
		case "SAVE":
			r.save = true
		case "CONTEXT":
			// RFC 5267 4.2: a hint a server may ignore.
		case "UPDATE":
			r.update = true
		case "PARTIAL":
			if r.partial || i+1 == len(opts) {
				return retOpts{}, "PARTIAL needs one range"
			}
			i++
			var err error
			if r.first, r.last, err = ParsePartialRange(opts[i]); err != nil {
				return retOpts{}, "Invalid PARTIAL range " + opts[i]
			}
			r.partial = true
		default:
			return retOpts{}, "Unknown result option " + o
		}
	}
	if r.partial && r.all {
		// RFC 5267 4.4: one PARTIAL, one ALL, or neither.
		return retOpts{}, "PARTIAL and ALL together"
	}
	if hasReturn && !r.min && !r.max && !r.count && !r.save && !r.update && !r.partial {
		r.all = true // RETURN () is RETURN (ALL) (RFC 4731 3.1, RFC 5267 3.3)
	}
	return r, ""
}

// updateFetchModSeq makes the client CONDSTORE-aware when the fetch
// attributes of UPDATE (RFC 5465 7) ask for MODSEQ, as FETCH MODSEQ
// does (RFC 7162 3.1). It reports false, for a BAD, when the mailbox
// has no mod-sequences (RFC 7162 3.1.2.2).
func (c *conn) updateFetchModSeq(items []FetchItem) bool {
	if !slices.ContainsFunc(items, func(it FetchItem) bool { return it.Name == FetchModSeq }) {
		return true
	}
	if c.noModSeq() {
		return false
	}
	c.enableCondStore(false)
	return true
}

// partialOf returns the PARTIAL result of nums (RFC 5267 4.4): the
// results at positions first to last, counting from 1, as far as they
// go.
func partialOf(nums []uint32, first, last uint32) *PartialResult {
	p := &PartialResult{First: first, Last: last}
	lo, hi := min(first, last), max(first, last)
	if n := uint32(len(nums)); lo <= n {
		p.Results = orderedSeqSet(nums[lo-1 : min(hi, n)])
	}
	return p
}

// cmdSearch answers SEARCH and UID SEARCH (RFC 9051 6.4.4) with the
// ESEARCH result options (RFC 4731: MIN MAX ALL COUNT) and SAVE (RFC
// 5182, RFC 9051 6.4.4.1).
func (c *conn) cmdSearch(cmd *Command) bool {
	s := c.sel
	args := cmd.Args.(*SearchCommand)
	ro, bad := returnOptions(args.HasReturn, args.Return)
	if bad == "" {
		bad = checkUpdateFetch(args.UpdateFetch)
	}
	if bad != "" {
		// RFC 9051 6.4.4: unknown options MUST be rejected with BAD.
		return c.bad(cmd.Tag, "", "SEARCH: "+bad)
	}
	if ro.update && s.context(cmd.Tag) != nil {
		// RFC 5267 4.3: a tag updating already is BAD.
		return c.bad(cmd.Tag, "", "Tag reuse")
	}
	min, max, all, count, save := ro.min, ro.max, ro.all, ro.count, ro.save
	extended := args.HasReturn || c.rev2
	if extended && !args.HasReturn {
		all = true // RFC 9051 6.4.4: no RETURN means ALL
	}
	if args.Charset != "" && c.utf8Accept {
		// RFC 6855 3: no CHARSET once UTF8=ACCEPT is enabled.
		return c.bad(cmd.Tag, "", "CHARSET not allowed after ENABLE UTF8=ACCEPT")
	}
	if cs := args.Charset; cs != "" && !strings.EqualFold(cs, "UTF-8") && !strings.EqualFold(cs, "US-ASCII") {
		// RFC 9051 6.4.4: BADCHARSET with the charsets supported.
		if save {
			s.saved, s.hasSaved = nil, true
		}
		c.tagged(cmd.Tag, StatusNO, "BADCHARSET", []string{"UTF-8", "US-ASCII"}, "Unsupported charset")
		return true
	}
	modSeq := hasModSeqKey(args.Keys)
	if modSeq && c.noModSeq() {
		return c.bad(cmd.Tag, "", noModSeqText) // RFC 7162 3.1.2.2
	}
	if modSeq {
		c.enableCondStore(false)
	}
	if !c.updateFetchModSeq(args.UpdateFetch) {
		return c.bad(cmd.Tag, "", noModSeqText) // RFC 7162 3.1.2.2
	}
	crit, err := searchCriteria(args.Keys, sessionContext{sessionResolver{s}, c.ctx})
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) || errors.Is(err, errBadSeq) {
			return c.fail(cmd, err)
		}
		return c.bad(cmd.Tag, "", "Invalid search: "+err.Error())
	}
	found, err := mailbox.Search(c.ctx, s.mbox, crit)
	if err != nil {
		if save {
			s.saved, s.hasSaved = nil, true
		}
		return c.fail(cmd, err)
	}
	// Only the messages the client knows of; a backend searching
	// natively may see newer ones.
	uids := found[:0:0]
	nums := make([]uint32, 0, len(found))
	for _, u := range found {
		seq := s.seqOf(u)
		if seq == 0 {
			continue
		}
		uids = append(uids, u)
		if cmd.UID {
			nums = append(nums, uint32(u))
		} else {
			nums = append(nums, seq)
		}
	}
	if save {
		// RFC 9051 6.4.4.1: with MIN or MAX alone, "$" holds what they
		// return.
		var set mailbox.UIDSet
		if (min || max) && !all && !count {
			if len(uids) > 0 {
				var mm []mailbox.UID
				if min {
					mm = append(mm, uids[0])
				}
				if max {
					mm = append(mm, uids[len(uids)-1])
				}
				set = uidSet(mm)
			}
		} else {
			set = uidSet(uids)
		}
		s.saved, s.hasSaved = set, true
	}
	// RFC 7162 3.1.6: with MODSEQ, the highest mod-sequence of the
	// messages found; RFC 4731 3.2: of those MIN and MAX return, when
	// they are all that ESEARCH returns.
	var highest uint64
	if modSeq && len(uids) > 0 {
		some := uids
		if extended && minMaxOnly(ro) {
			some = minMaxUIDs(ro, uids[0], uids[len(uids)-1])
		}
		if highest, err = c.highestModSeq(some); err != nil {
			return c.fail(cmd, err)
		}
	}
	switch {
	case !extended:
		c.write(&SearchData{Nums: nums, ModSeq: highest})
	case min || max || all || count || ro.partial || ro.update:
		ed := &ESearchData{Tag: cmd.Tag, UID: cmd.UID, ModSeq: highest}
		if ro.partial {
			ed.Partial = partialOf(nums, ro.first, ro.last)
		}
		if len(nums) > 0 {
			if min {
				ed.Min = nums[0]
			}
			if max {
				ed.Max = nums[len(nums)-1]
			}
			if all {
				ed.All = SeqSetFromUIDs(uidSet(uidsOf(nums)))
			}
		}
		if count {
			ed.Count = ptr(uint32(len(nums)))
		}
		c.write(ed)
	}
	if ro.update {
		c.addContext(c.newContext(cmd, crit, args.UpdateFetch, uids))
	}
	return c.done(cmd, cmd.UID)
}

// minMaxOnly reports whether the result options ask for MIN or MAX
// and nothing else that returns messages (ALL, COUNT, PARTIAL): the
// MODSEQ of the ESEARCH response is then that of the messages MIN and
// MAX return (RFC 4731 3.2).
func minMaxOnly(ro retOpts) bool {
	return (ro.min || ro.max) && !ro.all && !ro.count && !ro.partial
}

// minMaxUIDs returns the messages MIN (first) and MAX (last) return.
func minMaxUIDs(ro retOpts, first, last mailbox.UID) []mailbox.UID {
	var out []mailbox.UID
	if ro.min {
		out = append(out, first)
	}
	if ro.max && (!ro.min || last != first) {
		out = append(out, last)
	}
	return out
}

func uidsOf(nums []uint32) []mailbox.UID {
	out := make([]mailbox.UID, len(nums))
	for i, n := range nums {
		out[i] = mailbox.UID(n)
	}
	return out
}

// sessionResolver gives the search conversion what the session knows.
type sessionResolver struct{ s *selected }

func (r sessionResolver) SeqUIDs(set SeqSet) (mailbox.UIDSet, error) { return r.s.resolveSeq(set) }
func (r sessionResolver) UIDs(set SeqSet) (mailbox.UIDSet, error)    { return r.s.resolveUID(set), nil }
func (r sessionResolver) Recent() mailbox.UIDSet {
	out := make([]mailbox.UID, 0, len(r.s.recent))
	for u := range r.s.recent {
		out = append(out, u)
	}
	return uidSet(out)
}
