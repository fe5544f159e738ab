package imap

import (
	"slices"

	"github.com/postkit/postkit/mailbox"
)

// maxContexts is how many updating contexts (RFC 5267 4.3) a session
// keeps; beyond, a searching command with UPDATE gets NOUPDATE (RFC
// 5267 4.3.1).
const maxContexts = 8

// searchContext is a searching command with the UPDATE return option
// (RFC 5267 4.3): its program, as resolved when it ran (message numbers
// are not evaluated again), and the result the client holds, as UIDs
// in the requested order.
type searchContext struct {
	tag    string
	uid    bool // UID SEARCH or UID SORT: updates give UIDs
	crit   *mailbox.SearchCriteria
	sort   []SortCriterion // nil for SEARCH: mailbox order
	need   sortNeeds
	result []mailbox.UID
	// fetch are the fetch attributes of UPDATE (RFC 5465 7), and known
	// the highest UID the context has seen (conn_context_fetch.go).
	fetch []FetchItem
	known mailbox.UID
}

// context returns the updating context of tag, or nil.
func (s *selected) context(tag string) *searchContext {
	for _, sc := range s.contexts {
		if sc.tag == tag {
			return sc
		}
	}
	return nil
}

// addContext keeps sc, or says NOUPDATE when the session has as many
// as it keeps (RFC 5267 4.3.1).
func (c *conn) addContext(sc *searchContext) {
	s := c.sel
	if len(s.contexts) >= maxContexts {
		c.write(&StatusResponse{Type: StatusNO, Code: "NOUPDATE", CodeArg: `"` + sc.tag + `"`, Text: "Too many contexts"})
		return
	}
	sc.result = slices.Clone(sc.result)
	s.contexts = append(s.contexts, sc)
}

// cmdCancelUpdate answers CANCELUPDATE (RFC 5267 4.3.5): the contexts
// named end; tags with none are ignored.
func (c *conn) cmdCancelUpdate(cmd *Command) bool {
	s := c.sel
	for _, t := range cmd.Args.(*CancelUpdateCommand).Tags {
		s.contexts = slices.DeleteFunc(s.contexts, func(sc *searchContext) bool { return sc.tag == t })
	}
	return c.done(cmd, true)
}

// num returns what sc's updates name uid by.
func (c *conn) contextNum(sc *searchContext, uid mailbox.UID) uint32 {
	if sc.uid {
		return uint32(uid)
	}
	return c.sel.seqOf(uid)
}

// removals takes from sc.result the UIDs gone says, and returns the
// REMOVEFROM pairs that tell it (RFC 5267 4.3.4): position 0 and the
// set in mailbox order for SEARCH, and for SORT the position of each
// run of results removed, counted after the runs before it.
func (c *conn) removals(sc *searchContext, gone func(mailbox.UID) bool) []ContextUpdate {
	var out []ContextUpdate
	var nums []uint32
	kept := sc.result[:0]
	pos := uint32(0)
	endRun := func() {
		if len(nums) > 0 && sc.sort != nil {
			out = append(out, ContextUpdate{Pos: pos, Nums: orderedSeqSet(nums)})
			nums = nil
		}
	}
	for _, u := range sc.result {
		if !gone(u) {
			endRun()
			kept = append(kept, u)
			continue
		}
		if len(nums) == 0 {
			pos = uint32(len(kept)) + 1
		}
		nums = append(nums, c.contextNum(sc, u))
	}
	endRun()
	if len(nums) > 0 {
		out = append(out, ContextUpdate{Pos: 0, Nums: orderedSeqSet(nums)})
	}
	sc.result = kept
	return out
}

// contextExpunged tells the contexts of the messages uids, about to be
// expunged: a REMOVEFROM with message numbers must come before the
// EXPUNGE (RFC 5267 4.3.4).
func (c *conn) contextExpunged(uids []mailbox.UID) {
	s := c.sel
	if s == nil || len(s.contexts) == 0 || len(uids) == 0 {
		return
	}
	gone := make(map[mailbox.UID]bool, len(uids))
	for _, u := range uids {
		gone[u] = true
	}
	for _, sc := range s.contexts {
		if rm := c.removals(sc, func(u mailbox.UID) bool { return gone[u] }); len(rm) > 0 {
			c.write(&ESearchData{Tag: sc.tag, UID: sc.uid, RemoveFrom: rm})
		}
	}
}

// refreshContexts runs the program of every context again, after new
// messages or flag changes were reported (so that an ADDTO comes after
// the EXISTS: RFC 5267 4.3.3), and tells the differences: REMOVEFROM,
// then ADDTO.
func (c *conn) refreshContexts() {
	s := c.sel
	for _, sc := range s.contexts {
		now, err := c.searchKnown(sc.crit)
		if err != nil {
			c.log().Error("imap: context update", "tag", sc.tag, "err", err)
			continue
		}
		if sc.sort != nil {
			msgs, err := c.sortFetch(now, sc.uid, sc.need)
			if err != nil {
				c.log().Error("imap: context update", "tag", sc.tag, "err", err)
				continue
			}
			sortMsgs(msgs, sc.sort)
			now = now[:0]
			for _, m := range msgs {
				now = append(now, m.uid)
			}
		}
		in := make(map[mailbox.UID]bool, len(now))
		for _, u := range now {
			in[u] = true
		}
		rm := c.removals(sc, func(u mailbox.UID) bool { return !in[u] })
		had := make(map[mailbox.UID]bool, len(sc.result))
		for _, u := range sc.result {
			had[u] = true
		}
		var added []mailbox.UID
		for _, u := range now {
			if !had[u] {
				added = append(added, u)
			}
		}
		c.contextFetch(sc, added)
		add := c.additions(sc, now, had)
		sc.result = now
		if len(rm) > 0 || len(add) > 0 {
			c.write(&ESearchData{Tag: sc.tag, UID: sc.uid, RemoveFrom: rm, AddTo: add})
		}
	}
}

// additions returns the ADDTO pairs that turn the result had into now
// (RFC 5267 4.3.3): position 0 and the set in mailbox order for
// SEARCH; for SORT, each run of new results at its position in now.
// The results both hold are in the same order in both (sort keys do
// not change).
func (c *conn) additions(sc *searchContext, now []mailbox.UID, had map[mailbox.UID]bool) []ContextUpdate {
	var out []ContextUpdate
	var nums []uint32
	pos := uint32(0)
	for i, u := range now {
		if had[u] {
			if len(nums) > 0 && sc.sort != nil {
				out = append(out, ContextUpdate{Pos: pos, Nums: orderedSeqSet(nums)})
				nums = nil
			}
			continue
		}
		if len(nums) == 0 {
			pos = uint32(i) + 1
		}
		nums = append(nums, c.contextNum(sc, u))
	}
	if len(nums) > 0 {
		if sc.sort == nil {
			pos = 0
		}
		out = append(out, ContextUpdate{Pos: pos, Nums: orderedSeqSet(nums)})
	}
	return out
}
