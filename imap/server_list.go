package imap

import (
	"slices"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// Mailbox name attributes the LIST code computes (RFC 9051 7.3.1,
// RFC 5258 3, RFC 3348).
const (
	attrNonExistent   = `\NonExistent`
	attrSubscribed    = `\Subscribed`
	attrHasChildren   = `\HasChildren`
	attrHasNoChildren = `\HasNoChildren`
	attrRemote        = `\Remote`
)

// Bounds on the patterns of one LIST, which cost the matcher time for
// each name of the account. RFC 9051 6.3.9 lets a server silently
// ignore patterns it does not accept; real clients send one to a few
// patterns with one or two wildcards each.
const (
	// maxListPatterns: later patterns of a command are ignored.
	maxListPatterns = 16
	// maxListWildcards: a pattern with more runs of wildcards ("*",
	// "%", "%*" ...) is ignored.
	maxListWildcards = 8
)

// listDelim is the hierarchy delimiter of every name the server lists.
const listDelim = string(mailbox.Delimiter)

// listOptions are the options of one LIST command (RFC 5258 3.1, 3.2,
// RFC 6154 6).
type listOptions struct {
	extended      bool // the extended syntax was used (RFC 5258 3)
	selSubscribed bool
	selSpecialUse bool
	recursive     bool
	retSubscribed bool
}

// parseListOptions checks the options of cmd. RFC 5258 3: options the
// server does not know, and RECURSIVEMATCH without another selection
// option than REMOTE, get BAD: the error is a *SyntaxError.
func parseListOptions(cmd *ListCommand) (listOptions, error) {
	o := listOptions{
		extended: cmd.SelectOpts != nil || cmd.HasReturn || len(cmd.Patterns) > 1 ||
			len(cmd.ReturnOpts) > 0 || len(cmd.ReturnStatus) > 0,
	}
	for _, s := range cmd.SelectOpts {
		switch strings.ToUpper(s) {
		case "SUBSCRIBED":
			o.selSubscribed = true
		case "SPECIAL-USE": // RFC 6154 6
			o.selSpecialUse = true
		case "RECURSIVEMATCH":
			o.recursive = true
		case "REMOTE":
			// RFC 5258 3.1: a server without remote mailboxes ignores it.
		default:
			return o, syntaxf("unknown LIST selection option %q", s)
		}
	}
	// RFC 5258 3.1: RECURSIVEMATCH alone (or with REMOTE) is BAD.
	if o.recursive && !o.selSubscribed && !o.selSpecialUse {
		return o, syntaxf("RECURSIVEMATCH needs another selection option")
	}
	for _, r := range cmd.ReturnOpts {
		switch strings.ToUpper(r) {
		case "SUBSCRIBED":
			o.retSubscribed = true
		case "CHILDREN", "SPECIAL-USE":
			// Always returned: see listMailboxes.
		default:
			return o, syntaxf("unknown LIST return option %q", r)
		}
	}
	return o, nil
}

// listNode is one name the listing knows of: a mailbox, a subscribed
// name, or a level of hierarchy above one of those.
type listNode struct {
	name       string
	exists     bool
	attrs      []string // the backend's attributes
	specialUse []string
	subscribed bool
	children   bool // some existing mailbox is below it
	noSelect   bool // exists but \Noselect
	noInfer    bool // \Noinferiors

	matched bool // matches a pattern
	sel     bool // meets the selection criteria
	selDesc bool // a descendant meets the selection criteria
	// hiddenDesc: a descendant meets the selection criteria and matches
	// no pattern.
	hiddenDesc bool
}

// canonMailbox returns name with INBOX in upper case (RFC 9051 5.1:
// INBOX is case-insensitive).
func canonMailbox(name string) string {
	if strings.EqualFold(name, mailbox.Inbox) {
		return mailbox.Inbox
	}
	return name
}

// listMailboxes answers LIST or LSUB (lsub) for cmd over the account's
// mailboxes and subscriptions, as RFC 9051 6.3.9, RFC 5258
// (LIST-EXTENDED: selection and return options, CHILDINFO), RFC 6154
// (SPECIAL-USE), RFC 3348 (CHILDREN) and RFC 3501 6.3.9 (LSUB) say.
// cmd.Reference and cmd.Patterns are already decoded to UTF-8, and the
// returned ListData carry UTF-8 names, which the session encodes for
// the wire; Delim is "/". STATUS for LIST-STATUS is the session's
// business.
//
// The canonical pattern is the reference followed by the pattern, as
// is (there is no break-out character). "*" matches any string and "%"
// any string without "/"; the INBOX at the start of a name matches
// case-insensitively. A name that matches several patterns is listed
// once. The result is sorted level by level, INBOX first.
//
// LIST gives each existing mailbox its backend attributes, its RFC
// 6154 special-use attributes (always, as Dovecot does: RFC 6154 lets
// a server return them without the SPECIAL-USE option), and
// \HasChildren or \HasNoChildren (always, as IMAP4rev2 servers do;
// \Noinferiors alone when there is no child). \Subscribed comes with
// the SUBSCRIBED selection or return option. A name that does not
// exist is \NonExistent in the extended syntax and \Noselect in the
// basic one (an IMAP4rev1 client knows only the latter).
//
// Without selection options, a level of hierarchy that matches a
// pattern and does not exist is listed when a mailbox below it matches
// no pattern (RFC 9051 6.3.9: "LIST "" %" shows such levels; RFC 5258
// example 11). With RECURSIVEMATCH, a matching name that does not meet
// the selection criteria is listed with CHILDINFO when a descendant
// that matches no pattern does (RFC 5258 3.5: redundant CHILDINFO
// responses are suppressed), and a name that meets them gets CHILDINFO
// when any descendant does.
//
// LSUB lists the subscribed names that match, \Noselect when they do
// not exist or are \Noselect, and, RFC 3501 6.3.9, a matching name that
// is not subscribed but has a subscribed descendant that matches no
// pattern ("foo" for "%" when "foo/bar" is subscribed), \Noselect.
//
// In the basic syntax, an empty pattern asks for the delimiter: the
// answer is one (\Noselect) "/" "" response, the root being "" since
// our names are not rooted (RFC 9051 6.3.9). In the extended syntax,
// empty patterns are ignored (RFC 5258 3). So are, RFC 9051 6.3.9
// allowing it, patterns after the first maxListPatterns and patterns
// with more than maxListWildcards wildcards, which bounds the time a
// LIST takes to about (number of names) x (name length) x
// maxListPatterns x maxListWildcards steps.
//
// Unknown options and a lone RECURSIVEMATCH give a *SyntaxError: the
// session answers BAD (RFC 5258 3).
func listMailboxes(infos []mailbox.MailboxInfo, subs []string, cmd *ListCommand, lsub bool) ([]ListData, error) {
	var o listOptions
	if !lsub {
		var err error
		if o, err = parseListOptions(cmd); err != nil {
			return nil, err
		}
	}
	// RFC 9051 6.3.9: in the basic syntax, an empty mailbox name asks
	// for the hierarchy delimiter and the root of the reference.
	if !o.extended && len(cmd.Patterns) == 1 && cmd.Patterns[0] == "" {
		return []ListData{{LSUB: lsub, Attrs: []string{mailbox.AttrNoSelect}, Delim: listDelim}}, nil
	}
	var pats []*listPattern
	seen := map[string]bool{}
	for _, p := range cmd.Patterns {
		if p == "" { // RFC 5258 3: ignored in the extended syntax
			continue
		}
		full := cmd.Reference + p
		if seen[full] {
			continue
		}
		seen[full] = true
		if lp := compileListPattern(full); lp.wildcards <= maxListWildcards && len(pats) < maxListPatterns {
			pats = append(pats, lp)
		}
	}
	if len(pats) == 0 {
		return nil, nil
	}

	nodes := map[string]*listNode{}
	node := func(name string) *listNode {
		n := nodes[name]
		if n == nil {
			n = &listNode{name: name}
			nodes[name] = n
		}
		return n
	}
	for _, info := range infos {
		name := canonMailbox(info.Name)
		if name == "" {
			continue
		}
		n := node(name)
		n.exists = true
		for _, a := range info.Attrs {
			switch {
			case strings.EqualFold(a, mailbox.AttrNoSelect):
				n.noSelect = true
			case strings.EqualFold(a, mailbox.AttrNoInferiors):
				n.noInfer = true
			case isComputedListAttr(a):
				continue
			}
			if !containsFold(n.attrs, a) {
				n.attrs = append(n.attrs, a)
			}
		}
		for _, a := range info.SpecialUse {
			if !containsFold(n.specialUse, a) {
				n.specialUse = append(n.specialUse, a)
			}
		}
	}
	for _, s := range subs {
		if s = canonMailbox(s); s != "" {
			node(s).subscribed = true
		}
	}
	// Levels of hierarchy above every known name; children counts the
	// existing mailboxes below (RFC 3348).
	names := make([]string, 0, len(nodes))
	for name := range nodes {
		names = append(names, name)
	}
	for _, name := range names {
		exists := nodes[name].exists
		forEachParent(name, func(parent string) {
			p := node(parent)
			if exists {
				p.children = true
			}
		})
	}

	maxLen := 0
	for name := range nodes {
		maxLen = max(maxLen, len(name))
	}
	m := newListMatcher(maxLen)
	for _, n := range nodes {
		for _, p := range pats {
			if m.match(p, n.name) {
				n.matched = true
				break
			}
		}
		switch {
		case lsub:
			n.sel = n.subscribed
		case o.selSubscribed || o.selSpecialUse:
			n.sel = (!o.selSubscribed || n.subscribed) &&
				(!o.selSpecialUse || n.exists && len(n.specialUse) > 0)
		default:
			n.sel = n.exists
		}
	}
	for _, n := range nodes {
		if !n.sel {
			continue
		}
		hidden := !n.matched
		forEachParent(n.name, func(parent string) {
			p := nodes[parent]
			p.selDesc = true
			p.hiddenDesc = p.hiddenDesc || hidden
		})
	}

	// Which names are listed because a descendant is: LSUB's "%" rule,
	// RECURSIVEMATCH, and the missing levels of a plain LIST.
	parentsListed := lsub || o.recursive || !o.selSubscribed && !o.selSpecialUse
	var childInfo []string
	if o.recursive {
		if o.selSubscribed {
			childInfo = append(childInfo, "SUBSCRIBED")
		}
		if o.selSpecialUse {
			childInfo = append(childInfo, "SPECIAL-USE")
		}
	}
	var out []ListData
	for _, n := range nodes {
		if !n.matched || !n.sel && !(parentsListed && n.hiddenDesc) {
			continue
		}
		d := ListData{LSUB: lsub, Delim: listDelim, Mailbox: n.name}
		if lsub {
			// RFC 3501 6.3.9: \Noselect for a name that cannot be
			// selected, and for a parent listed for its children.
			if !n.sel || !n.exists || n.noSelect {
				d.Attrs = []string{mailbox.AttrNoSelect}
			}
			out = append(out, d)
			continue
		}
		d.Attrs = n.listAttrs(o)
		if o.recursive && n.selDesc && (n.sel || n.hiddenDesc) {
			d.ChildInfo = slices.Clone(childInfo)
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b ListData) int { return compareMailboxNames(a.Mailbox, b.Mailbox) })
	return out, nil
}

// listAttrs returns the LIST attributes of n.
func (n *listNode) listAttrs(o listOptions) []string {
	attrs := []string{}
	if n.exists {
		attrs = append(attrs, n.attrs...)
	} else if o.extended {
		attrs = append(attrs, attrNonExistent) // RFC 5258 3
	} else {
		attrs = append(attrs, mailbox.AttrNoSelect) // RFC 9051 6.3.9
	}
	// RFC 3348, RFC 5258 4: \Noinferiors implies \HasNoChildren.
	if n.children {
		attrs = append(attrs, attrHasChildren)
	} else if !n.noInfer {
		attrs = append(attrs, attrHasNoChildren)
	}
	if (o.selSubscribed || o.retSubscribed) && n.subscribed {
		attrs = append(attrs, attrSubscribed)
	}
	return append(attrs, n.specialUse...)
}

// isComputedListAttr reports whether a is an attribute listMailboxes
// computes itself, and so ignores from the backend.
func isComputedListAttr(a string) bool {
	for _, c := range []string{attrNonExistent, attrSubscribed, attrHasChildren, attrHasNoChildren, attrRemote} {
		if strings.EqualFold(a, c) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// forEachParent calls fn for each level of hierarchy above name, from
// the top: "a" and "a/b" for "a/b/c".
func forEachParent(name string, fn func(string)) {
	for i := 0; i < len(name); i++ {
		if name[i] == mailbox.Delimiter && i > 0 {
			fn(name[:i])
		}
	}
}

// compareMailboxNames orders names level by level ("a" < "a/b" < "a-b"
// < "b"), INBOX before anything else.
func compareMailboxNames(a, b string) int {
	for top := true; ; top = false {
		ca, ra, moreA := strings.Cut(a, listDelim)
		cb, rb, moreB := strings.Cut(b, listDelim)
		if ca != cb {
			switch {
			case top && ca == mailbox.Inbox:
				return -1
			case top && cb == mailbox.Inbox:
				return 1
			}
			return strings.Compare(ca, cb)
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = ra, rb
	}
}

// A listPattern is a canonical LIST pattern compiled for matching: runs
// of wildcards are folded into one ("%*%" is "*", "%%" is "%"), so
// that a pattern has at most one wildcard between two literal bytes.
type listPattern struct {
	toks      []listTok
	lits      int  // literal bytes: a name shorter than that cannot match
	wildcards int  // wildcard tokens
	percent   bool // some token is "%"
}

// A listTok is a wildcard ('*' or '%') or a literal string (kind 0).
type listTok struct {
	kind byte
	lit  string
}

func compileListPattern(p string) *listPattern {
	lp := &listPattern{}
	for i := 0; i < len(p); {
		if c := p[i]; c == '*' || c == '%' {
			kind := byte('%')
			for ; i < len(p) && (p[i] == '*' || p[i] == '%'); i++ {
				if p[i] == '*' {
					kind = '*'
				}
			}
			lp.toks = append(lp.toks, listTok{kind: kind})
			lp.wildcards++
			lp.percent = lp.percent || kind == '%'
			continue
		}
		j := i
		for j < len(p) && p[j] != '*' && p[j] != '%' {
			j++
		}
		lp.toks = append(lp.toks, listTok{lit: p[i:j]})
		lp.lits += j - i
		i = j
	}
	return lp
}

// listMatcher matches names against listPatterns. The literals of a
// pattern are first looked for in order, leftmost first, which decides
// patterns without "%" exactly (the greedy choice is the best one when
// only "*" lies between literals) and rejects most others in linear
// time. The rest goes to a dynamic program over the positions of the
// name: for each token, the set of name prefixes the pattern so far can
// match. Its cost is O(len(name) * tokens), where backtracking matchers
// are exponential on patterns like "%a%a%a%a%b".
type listMatcher struct {
	cur, next []bool
}

func newListMatcher(maxLen int) *listMatcher {
	return &listMatcher{cur: make([]bool, maxLen+1), next: make([]bool, maxLen+1)}
}

// match reports whether name matches p. The "INBOX" that starts a name
// (INBOX itself or one of its children) matches case-insensitively
// (RFC 9051 6.3.9: INBOX is listed when "INBOX" matches the pattern).
func (m *listMatcher) match(p *listPattern, name string) bool {
	n := len(name)
	if p.lits > n {
		return false
	}
	fold := 0
	if strings.HasPrefix(name, mailbox.Inbox) && (n == len(mailbox.Inbox) || name[len(mailbox.Inbox)] == mailbox.Delimiter) {
		fold = len(mailbox.Inbox)
	}
	if fold == 0 {
		if ok := p.literalsInOrder(name); !ok || !p.percent {
			return ok
		}
	}
	cur, next := m.cur[:n+1], m.next[:n+1]
	clear(cur)
	cur[0] = true
	lo := 0 // the first position set in cur
	for _, t := range p.toks {
		first := -1
		switch t.kind {
		case '*':
			clear(next[:lo])
			for i := lo; i <= n; i++ {
				next[i] = true
			}
			first = lo
		case '%':
			clear(next[:lo])
			for i := lo; i <= n; i++ {
				next[i] = cur[i] || i > lo && next[i-1] && name[i-1] != mailbox.Delimiter
				if first < 0 && next[i] {
					first = i
				}
			}
		default:
			l := len(t.lit)
			clear(next)
			for i := lo; i+l <= n; i++ {
				if cur[i] && literalMatch(name[i:i+l], t.lit, fold-i) {
					next[i+l] = true
					if first < 0 {
						first = i + l
					}
				}
			}
		}
		if first < 0 {
			return false
		}
		lo = first
		cur, next = next, cur
	}
	return cur[n]
}

// literalsInOrder reports whether the literals of p can be found in
// name in order, the first at the start and the last at the end when
// the pattern starts or ends with them, "%" read as "*". It is exact
// for patterns without "%".
func (p *listPattern) literalsInOrder(name string) bool {
	toks := p.toks
	if p.wildcards == 0 {
		return len(toks) == 0 && name == "" || len(toks) == 1 && name == toks[0].lit
	}
	pos, end := 0, len(name)
	if toks[0].kind == 0 {
		if !strings.HasPrefix(name, toks[0].lit) {
			return false
		}
		pos, toks = len(toks[0].lit), toks[1:]
	}
	if t := toks[len(toks)-1]; t.kind == 0 {
		if !strings.HasSuffix(name[pos:], t.lit) {
			return false
		}
		end, toks = end-len(t.lit), toks[:len(toks)-1]
	}
	for _, t := range toks {
		if t.kind != 0 {
			continue
		}
		i := strings.Index(name[pos:end], t.lit)
		if i < 0 {
			return false
		}
		pos += i + len(t.lit)
	}
	return true
}

// literalMatch reports whether s equals lit, ASCII case-insensitively
// for the first fold bytes.
func literalMatch(s, lit string, fold int) bool {
	if fold <= 0 {
		return s == lit
	}
	fold = min(fold, len(s))
	return strings.EqualFold(s[:fold], lit[:fold]) && s[fold:] == lit[fold:]
}
