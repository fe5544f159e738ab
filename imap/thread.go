package imap

import (
	"cmp"
	"slices"
)

// This file holds the threading algorithms of THREAD (RFC 5256 3):
// ORDEREDSUBJECT and REFERENCES, over the messages sortSearch read.

// compareSent orders by sent date (RFC 5256 2.2), then sequence number.
func compareSent(a, b *sortMsg) int {
	if r := a.sent.Compare(b.sent); r != 0 {
		return r
	}
	return cmp.Compare(a.seq, b.seq)
}

// threadOrderedSubject threads msgs by base subject (RFC 5256 3,
// ORDEREDSUBJECT): each thread is the messages of one base subject by
// sent date, the first the parent of all others; the threads are in
// the order of their first message's sent date.
func threadOrderedSubject(msgs []*sortMsg) []*Thread {
	// By base subject, then sent date, then sequence number.
	sorted := slices.Clone(msgs)
	sortMsgs(sorted, []SortCriterion{{Key: "SUBJECT"}, {Key: "DATE"}})
	type group struct {
		first *sortMsg
		t     *Thread
	}
	var groups []group
	for i, m := range sorted {
		if i > 0 && m.subject() == sorted[i-1].subject() {
			g := &groups[len(groups)-1]
			g.t.Children = append(g.t.Children, &Thread{Num: m.num})
			continue
		}
		groups = append(groups, group{m, &Thread{Num: m.num}})
	}
	slices.SortFunc(groups, func(a, b group) int { return compareSent(a.first, b.first) })
	out := make([]*Thread, len(groups))
	for i, g := range groups {
		out[i] = g.t
	}
	return out
}

// container is a node of the REFERENCES thread tree: a message, or a
// dummy (msg nil) for a Message-ID that no message found has.
type container struct {
	msg      *sortMsg
	parent   *container
	children []*container
}

// maxThreadAncestors bounds the walk up the tree that checks a new link
// for a loop (RFC 5256 3, REFERENCES 1.A): a link under a chain deeper
// than this is not made, which keeps threading O(n) in the depth
// instead of quadratic on a hostile mailbox of one endless chain.
const maxThreadAncestors = 4096

// isAncestorOrSelf reports whether a is c or one of c's ancestors, or
// the walk found c's chain too deep to tell.
func (c *container) isAncestorOrSelf(a *container) bool {
	for i := 0; c != nil; i++ {
		if c == a || i > maxThreadAncestors {
			return true
		}
		c = c.parent
	}
	return false
}

// link makes p the parent of c, unless that would make a loop.
func link(p, c *container) {
	if p.isAncestorOrSelf(c) {
		return
	}
	c.parent = p
	p.children = append(p.children, c)
}

// unlink removes c from its parent.
func unlink(c *container) {
	p := c.parent
	if p == nil {
		return
	}
	if i := slices.Index(p.children, c); i >= 0 {
		p.children = slices.Delete(p.children, i, i+1)
	}
	c.parent = nil
}

// first returns the message that stands for c when sorting: c's own,
// else its first child's (RFC 5256 3, REFERENCES 4 and 6).
func (c *container) first() *sortMsg {
	for c.msg == nil {
		if len(c.children) == 0 {
			return nil
		}
		c = c.children[0]
	}
	return c.msg
}

// compareContainers orders by the sent date of first().
func compareContainers(a, b *container) int {
	ma, mb := a.first(), b.first()
	switch {
	case ma == nil || mb == nil:
		return cmp.Compare(btoi(ma != nil), btoi(mb != nil))
	}
	return compareSent(ma, mb)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// threadReferences threads msgs, in sequence order, by the REFERENCES
// algorithm of RFC 5256 3, its six steps in order.
func threadReferences(msgs []*sortMsg) []*Thread {
	ids := make(map[string]*container, len(msgs))
	// Containers are allocated a slab at a time.
	var slab []container
	newContainer := func() *container {
		if len(slab) == cap(slab) {
			slab = make([]container, 0, min(max(len(msgs), 16), 4096))
		}
		slab = slab[:len(slab)+1]
		return &slab[len(slab)-1]
	}
	get := func(id string) *container {
		c := ids[id]
		if c == nil {
			c = newContainer()
			ids[id] = c
		}
		return c
	}
	all := make([]*container, 0, len(msgs))
	for _, m := range msgs {
		// (1) A message without a Message-ID, or with one an earlier
		// message has, gets a unique one: it is not in the table.
		var c *container
		if id := m.msgID(); id != "" {
			if c = get(id); c.msg != nil {
				c = nil
			}
		}
		if c == nil {
			c = newContainer()
		}
		c.msg = m
		all = append(all, c)
		// (1.A) Link the references, first to last, keeping parents
		// already set and making no loop.
		var prev *container
		for id := range m.refs() {
			r := get(id)
			if prev != nil && r.parent == nil && r != prev {
				link(prev, r)
			}
			prev = r
		}
		// (1.B) The last reference is the parent: break any link made
		// before, then link unless that makes a loop.
		unlink(c)
		if prev != nil && prev != c {
			link(prev, c)
		}
	}
	// (2) The messages and dummies without a parent are the roots.
	var roots []*container
	for _, c := range all {
		if c.parent == nil {
			roots = append(roots, c)
		}
	}
	for _, id := range sortedKeys(ids) {
		if c := ids[id]; c.msg == nil && c.parent == nil {
			roots = append(roots, c)
		}
	}
	// (3) Prune the dummies.
	roots = prune(roots, true)
	// (4) Sort the roots by sent date; a dummy by its first child.
	for _, c := range roots {
		if c.msg == nil {
			slices.SortFunc(c.children, compareContainers)
		}
	}
	slices.SortStableFunc(roots, compareContainers)
	// (5) Merge the threads of one base subject.
	roots = mergeSubjects(roots)
	// (6) Sort every set of siblings, the deepest first.
	sortTree(roots)
	slices.SortStableFunc(roots, compareContainers)
	out := make([]*Thread, 0, len(roots))
	for _, c := range roots {
		out = append(out, toThread(c))
	}
	return out
}

// sortedKeys returns the keys of m in order, so that the dummies are
// taken in an order that does not change from run to run.
func sortedKeys(m map[string]*container) []string {
	keys := make([]string, 0, len(m))
	for k, c := range m {
		if c.msg == nil && c.parent == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// prune removes dummies from list and below (RFC 5256 3, REFERENCES
// 3): a dummy with no children goes; one with children gives them its
// place, unless it is a root with more than one.
func prune(list []*container, root bool) []*container {
	out := list[:0:0]
	for _, c := range list {
		c.children = prune(c.children, false)
		if c.msg != nil {
			out = append(out, c)
			continue
		}
		switch {
		case len(c.children) == 0:
		case !root || len(c.children) == 1:
			for _, k := range c.children {
				k.parent = c.parent
				out = append(out, k)
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// threadSubject returns the base subject of the thread at c (RFC 5256
// 3, REFERENCES 5.B.i).
func threadSubject(c *container) string {
	if m := c.first(); m != nil {
		return m.subject()
	}
	return ""
}

// mergeSubjects gathers the roots of one base subject (RFC 5256 3,
// REFERENCES 5).
func mergeSubjects(roots []*container) []*container {
	// (5.B) The subject table: one root per subject, a dummy before a
	// message, a message before a reply.
	table := make(map[string]*container)
	for _, c := range roots {
		s := threadSubject(c)
		if s == "" {
			continue
		}
		t := table[s]
		switch {
		case t == nil:
			table[s] = c
		case t.msg != nil && (c.msg == nil || t.msg.reply && !c.msg.reply):
			table[s] = c
		}
	}
	// (5.C) Merge each root into the table's one.
	out := make([]*container, 0, len(roots))
	pos := make(map[*container]int)
	for _, c := range roots {
		if c.parent != nil {
			continue // made a child of a dummy before its turn
		}
		s := threadSubject(c)
		t := table[s]
		if s == "" || t == c {
			pos[c] = len(out)
			out = append(out, c)
			continue
		}
		switch {
		case t.msg == nil && c.msg == nil:
			for _, k := range c.children {
				k.parent = t
			}
			t.children = append(t.children, c.children...)
			c.children = nil
		case t.msg == nil:
			c.parent = t
			t.children = append(t.children, c)
		case c.msg.reply && !t.msg.reply:
			c.parent = t
			t.children = append(t.children, c)
		default:
			d := &container{children: []*container{t, c}}
			t.parent, c.parent = d, d
			table[s] = d
			if i, ok := pos[t]; ok {
				out[i] = d
				pos[d] = i
				delete(pos, t)
			} else {
				// t comes later among the roots; d takes c's place
				// and t, now a child, is skipped there.
				pos[d] = len(out)
				out = append(out, d)
			}
		}
	}
	// Drop the roots that became children after their turn.
	kept := out[:0]
	for _, c := range out {
		if c.parent == nil {
			kept = append(kept, c)
		}
	}
	return kept
}

// sortTree sorts the children of every container below list by sent
// date, the deepest first (RFC 5256 3, REFERENCES 6).
func sortTree(list []*container) {
	for _, c := range list {
		sortTree(c.children)
		slices.SortStableFunc(c.children, compareContainers)
	}
}

// toThread converts the tree at c.
func toThread(c *container) *Thread {
	t := &Thread{}
	if c.msg != nil {
		t.Num = c.msg.num
	}
	if len(c.children) > 0 {
		t.Children = make([]*Thread, len(c.children))
		for i, k := range c.children {
			t.Children[i] = toThread(k)
		}
	}
	return t
}
