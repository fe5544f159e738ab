package mailbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

// MaxSearchDepth bounds the nesting of NOT and OR in a SearchCriteria.
// Real clients nest a handful of levels; the bound keeps a hostile
// program from exhausting the stack of the evaluator.
const MaxSearchDepth = 100

// ErrInvalidSearch is matched (with errors.Is) by the errors Search and
// Match return for criteria they refuse: nesting deeper than
// MaxSearchDepth, an empty or malformed header field name, a negative
// size, an empty flag, or a string that is not UTF-8. IMAP answers BAD.
var ErrInvalidSearch = errors.New("mailbox: invalid search criteria")

// Search returns the UIDs of the messages of m that match c, in
// ascending order. A Mailbox that implements Searcher searches itself;
// for any other, Search fetches the candidates (those in c.UID when it
// is set, else every message) and evaluates c on each with Match's
// rules, reading each message at most once and only as far as needed.
// When the program's strings are all BODY strings and a Message is a
// TextLayouter, only the text parts its layout lists are read (and the
// header, if a key needs it), each decoded straight from its octets.
// A nil c matches every message.
//
// Criteria are checked first (ErrInvalidSearch), whoever searches.
func Search(ctx context.Context, m Mailbox, c *SearchCriteria) ([]UID, error) {
	if c == nil {
		c = &SearchCriteria{}
	}
	p, err := compileSearch(c)
	if err != nil {
		return nil, err
	}
	if s, ok := m.(Searcher); ok {
		return s.Search(ctx, c)
	}
	cand := AllUIDs
	for i, s := range c.UID {
		if i == 0 {
			cand = normalized(s)
		} else {
			cand = intersectUIDs(cand, s)
		}
	}
	var out []UID
	if cand.Empty() {
		return out, nil
	}
	var ev evaluator
	err = m.Fetch(ctx, cand, func(msg Message) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, err := ev.match(ctx, p, msg)
		if err != nil {
			return fmt.Errorf("mailbox: search of UID %d: %w", msg.UID(), err)
		}
		if ok {
			out = append(out, msg.UID())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Match reports whether msg matches c, for backends that index some keys
// and evaluate the rest. A nil c matches.
//
// The keys that need only the message's metadata (UID, flags, size,
// internal date, MODSEQ) are evaluated first; the message is opened only
// when they do not decide, its header parsed only for header keys,
// SENT* and TEXT, and its body read only for BODY and TEXT, part by part
// and once for all the strings of the program, stopping as soon as the
// result is known. Memory does not grow with the size of the message.
//
// String keys are case-insensitive substring matches under Unicode
// simple case folding (see SearchCriteria): both sides are mapped, rune
// by rune, to the smallest code point of the rune's unicode.SimpleFold
// orbit, so "k", "K" and KELVIN SIGN match each other, as do "s", "S"
// and LONG S, and "ß" matches "ẞ"; full folding ("ß" = "ss") is not
// done. Header keys (FROM, TO, CC, BCC, SUBJECT, HEADER) match any field
// of that name whose unfolded value, RFC 2047 words decoded, holds the
// string: for address fields that is display names and addresses as
// written, as Dovecot does. SENT* compare the first Date field as
// message.ParseDate reads it; a message without a readable Date matches
// no SENT* key, so NOT SENTBEFORE does match it (RFC 9051 6.4.4 names
// the Date field; Dovecot falls back to the internal date, which we do
// not).
//
// BODY matches the decoded content of the text/*, message/* and
// malformed multipart leaves (RFC 9051 6.4.4 lets a server skip other
// media types): transfer encoding undone, charset converted to UTF-8; a
// part in an unknown charset is matched as raw bytes read as UTF-8.
// TEXT matches that or any header field of the message or of its parts
// ("Name: decoded value"), as Dovecot does. A string is found wherever
// it is within one part's content or one header block, however the
// reads split it, but never across two of them.
func Match(ctx context.Context, msg Message, c *SearchCriteria) (bool, error) {
	if c == nil {
		return true, nil
	}
	p, err := compileSearch(c)
	if err != nil {
		return false, err
	}
	var ev evaluator
	return ev.match(ctx, p, msg)
}

// normalized returns a sorted, merged copy of s.
func normalized(s UIDSet) UIDSet {
	out := slices.Clone(s)
	out.normalize()
	return out
}

// intersectUIDs returns the UIDs in both a and b.
func intersectUIDs(a, b UIDSet) UIDSet {
	a, b = normalized(a), normalized(b)
	var out UIDSet
	for i, j := 0, 0; i < len(a) && j < len(b); {
		lo, hi := max(a[i].Start, b[j].Start), min(a[i].Stop, b[j].Stop)
		if lo <= hi {
			out = append(out, UIDRange{lo, hi})
		}
		if a[i].Stop < b[j].Stop {
			i++
		} else {
			j++
		}
	}
	return out
}

// A day is a calendar date as year*10000 + month*100 + day; 0 is unset.
type day int64

func dayOf(t time.Time) day {
	if t.IsZero() {
		return 0
	}
	y, m, d := t.Date() // in t's own location: RFC 9051 6.4.4
	return day(y)*10000 + day(m)*100 + day(d)
}

// A searchProgram is SearchCriteria compiled for evaluation: strings
// validated and case-folded once for all messages.
type searchProgram struct {
	root       *searchNode
	hkeys      []headerKey // header keys of every node
	needles    []needle    // BODY and TEXT strings of every node
	needHeader bool        // some key needs the header
	needBody   bool        // some key needs the body
	hasSent    bool        // some node has SENT*
	// rawHeader is set when every header key can be ruled out by a
	// look at the raw header (rawHeaderMisses): the program needs the
	// header for nothing else, and every key's string is ASCII.
	rawHeader bool
	// layoutOK is set when a TextLayout is enough to find the body
	// strings: there are some, and no TEXT string, which part headers
	// may hold.
	layoutOK bool
}

type headerKey struct {
	field  string
	name   []byte // field, for rawHeaderMisses
	folded []byte // folded value; nil or empty: presence only
}

type needle struct {
	folded []byte
	text   bool // TEXT: headers count too
}

type searchNode struct {
	uids                  []UIDSet
	flags, notFlags       []string
	since, before         day
	sentSince, sentBefore day
	older, younger        int64 // Unix seconds; hasOlder, hasYounger say set
	hasOlder, hasYounger  bool
	hkeys, needles        []int // indexes into the program's tables
	larger, smaller       int64
	modSeq                uint64
	hasModSeq             bool
	not                   []*searchNode
	or                    [][2]*searchNode
	needHeader, needBody  bool // this node or one below it
	hasSent               bool
}

func compileSearch(c *SearchCriteria) (*searchProgram, error) {
	p := &searchProgram{}
	n, err := p.compile(c, 0)
	if err != nil {
		return nil, err
	}
	p.root = n
	p.needHeader, p.needBody = n.needHeader, n.needBody
	p.layoutOK = p.needBody && !slices.ContainsFunc(p.needles, func(n needle) bool { return n.text })
	p.rawHeader = !p.needBody && !p.hasSent && len(p.hkeys) > 0
	for _, k := range p.hkeys {
		p.rawHeader = p.rawHeader && rawMatchable(k.folded)
	}
	return p, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidSearch}, args...)...)
}

func (p *searchProgram) compile(c *SearchCriteria, depth int) (*searchNode, error) {
	if depth > MaxSearchDepth {
		return nil, invalid("NOT and OR nested deeper than %d", MaxSearchDepth)
	}
	n := &searchNode{
		uids:   c.UID,
		since:  dayOf(c.Since),
		before: dayOf(c.Before),
		larger: c.Larger, smaller: c.Smaller,
		sentSince: dayOf(c.SentSince), sentBefore: dayOf(c.SentBefore),
		hasOlder: !c.Older.IsZero(), hasYounger: !c.Younger.IsZero(),
		older: c.Older.Unix(), younger: c.Younger.Unix(),
	}
	for _, list := range [][]string{c.Flag, c.NotFlag} {
		for _, f := range list {
			if f == "" || !utf8.ValidString(f) {
				return nil, invalid("flag %q", f)
			}
		}
	}
	n.flags, n.notFlags = c.Flag, c.NotFlag
	if c.Larger < 0 || c.Smaller < 0 {
		return nil, invalid("negative size")
	}
	if c.ModSeq != nil {
		n.hasModSeq, n.modSeq = true, c.ModSeq.ModSeq
	}
	n.hasSent = n.sentSince != 0 || n.sentBefore != 0
	p.hasSent = p.hasSent || n.hasSent
	for _, h := range c.Header {
		if !validSearchField(h.Field) {
			return nil, invalid("header field name %q", h.Field)
		}
		if !utf8.ValidString(h.Value) {
			return nil, invalid("header value of %s is not UTF-8", h.Field)
		}
		n.hkeys = append(n.hkeys, len(p.hkeys))
		p.hkeys = append(p.hkeys, headerKey{field: h.Field, name: []byte(h.Field), folded: foldString(h.Value)})
	}
	for i, list := range [][]string{c.Body, c.Text} {
		for _, s := range list {
			if !utf8.ValidString(s) {
				return nil, invalid("search string is not UTF-8")
			}
			nd := needle{folded: foldString(s), text: i == 1}
			k := slices.IndexFunc(p.needles, func(o needle) bool {
				return o.text == nd.text && string(o.folded) == string(nd.folded)
			})
			if k < 0 {
				k = len(p.needles)
				p.needles = append(p.needles, nd)
			}
			n.needles = append(n.needles, k)
		}
	}
	n.needHeader = len(n.hkeys) > 0 || n.hasSent || len(c.Text) > 0
	n.needBody = len(c.Body) > 0 || len(c.Text) > 0
	for i := range c.Not {
		s, err := p.compile(&c.Not[i], depth+1)
		if err != nil {
			return nil, err
		}
		n.not = append(n.not, s)
		n.needHeader = n.needHeader || s.needHeader
		n.needBody = n.needBody || s.needBody
	}
	for i := range c.Or {
		var pair [2]*searchNode
		for j := range 2 {
			s, err := p.compile(&c.Or[i][j], depth+1)
			if err != nil {
				return nil, err
			}
			pair[j] = s
			n.needHeader = n.needHeader || s.needHeader
			n.needBody = n.needBody || s.needBody
		}
		n.or = append(n.or, pair)
	}
	return n, nil
}

// validSearchField reports whether name can be a header field name
// (RFC 5322 3.6.8: printable US-ASCII but ':').
func validSearchField(name string) bool {
	if name == "" || len(name) > 998 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// A tri is a three-valued truth: a key whose data is not read yet is
// unknown.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

// evaluator holds what is known of one message while a program is
// evaluated on it, and buffers reused from message to message.
type evaluator struct {
	p   *searchProgram
	msg Message

	headerRead bool
	hdr        mime.Header   // the message header, once read
	hres       []tri         // result of each header key
	sent       day           // the Date field's day; 0 if none or unreadable
	found      []bool        // needles found so far
	bodyDone   bool          // the whole message was scanned
	scan       scanner       // streaming matcher and its buffers
	raw        []byte        // the start of the message, read by rawHeaderMisses
	dec        *mime.Decoder // transfer decoder for the parts of a TextLayout
	sect       sectionReader // what dec reads
	conv       convReader    // charset conversion, its buffer kept
}

func (ev *evaluator) match(ctx context.Context, p *searchProgram, msg Message) (bool, error) {
	ev.p, ev.msg = p, msg
	ev.headerRead, ev.bodyDone, ev.sent = false, false, 0
	ev.hdr = mime.Header{}
	ev.hres = resize(ev.hres, len(p.hkeys))
	ev.found = resize(ev.found, len(p.needles))
	defer func() {
		ev.msg, ev.hdr, ev.sect = nil, mime.Header{}, sectionReader{}
		ev.conv.t, ev.conv.r = nil, nil
	}()

	// Metadata first: UID, flags, sizes, dates, MODSEQ.
	if r := ev.eval(p.root); r != triUnknown {
		return r == triTrue, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var layout *TextLayout
	if lm, ok := msg.(TextLayouter); ok && p.layoutOK {
		var err error
		if layout, err = lm.TextLayout(ctx); err != nil {
			return false, readErr(ctx, err)
		}
	}
	body, err := msg.Open(ctx)
	if err != nil {
		return false, err
	}
	defer body.Close()
	if layout != nil {
		return ev.matchLayout(ctx, body, layout)
	}
	var src io.Reader = io.NewSectionReader(body, 0, body.Size())
	if p.rawHeader {
		misses, err := ev.rawHeaderMisses(body)
		if err != nil {
			return false, readErr(ctx, err)
		}
		if misses {
			ev.headerRead = true
			for i := range ev.hres {
				ev.hres[i] = triFalse
			}
			return ev.eval(p.root) == triTrue, nil
		}
		n := int64(len(ev.raw))
		src = io.MultiReader(bytes.NewReader(ev.raw), io.NewSectionReader(body, n, body.Size()-n))
	}
	mr := mime.NewReader(&ctxReader{ctx: ctx, r: src})
	defer mr.Close() // a search often stops before the end
	top, err := mr.Next()
	switch {
	case err == nil:
		ev.hdr = top.Header
	case errors.Is(err, mime.ErrLimitExceeded) || err == io.EOF:
		// A header beyond the bounds is searched as absent.
		top = nil
	default:
		return false, readErr(ctx, err)
	}
	ev.readHeader()
	if r := ev.eval(p.root); r != triUnknown {
		return r == triTrue, nil
	}
	if top != nil {
		if err := ev.scanBody(mr, top); err != nil {
			return false, readErr(ctx, err)
		}
	}
	ev.bodyDone = true
	return ev.eval(p.root) == triTrue, nil
}

// readErr prefers the context's error to the read error it caused.
func readErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// readHeader evaluates the header keys and the Date field, and looks for
// the TEXT strings in the message header.
func (ev *evaluator) readHeader() {
	ev.headerRead = true
	p := ev.p
	if !p.needHeader {
		return
	}
	for i, k := range p.hkeys {
		ev.hres[i] = triFalse
		// RFC 9051 6.4.4: any field of the name; "" tests presence.
		for _, f := range ev.hdr.Fields() {
			if strings.EqualFold(f.Key, k.field) && ev.scan.fieldContains(f.Value, k.folded) {
				ev.hres[i] = triTrue
				break
			}
		}
	}
	if v := ev.hdr.Get("Date"); v != "" {
		if t, err := message.ParseDate(v); err == nil {
			ev.sent = dayOf(t)
		}
	}
	if ev.scan.start(p, ev.found, true) {
		ev.scan.header(&ev.hdr)
		ev.scan.finish()
	}
}

// eval evaluates n with what is known so far.
func (ev *evaluator) eval(n *searchNode) tri {
	m := ev.msg
	for _, s := range n.uids {
		if !s.Contains(m.UID()) {
			return triFalse
		}
	}
	if len(n.flags)+len(n.notFlags) > 0 {
		flags := m.Flags()
		for _, f := range n.flags {
			if !HasFlag(flags, f) {
				return triFalse
			}
		}
		for _, f := range n.notFlags {
			if HasFlag(flags, f) {
				return triFalse
			}
		}
	}
	// RFC 9051 6.4.4: LARGER and SMALLER are strict, on RFC822.SIZE.
	if n.larger > 0 && m.Size() <= n.larger || n.smaller > 0 && m.Size() >= n.smaller {
		return triFalse
	}
	// RFC 9051 6.4.4: SINCE, BEFORE (and ON) on the internal date's day.
	if n.since != 0 || n.before != 0 {
		d := dayOf(m.InternalDate())
		if n.since != 0 && d < n.since || n.before != 0 && d >= n.before {
			return triFalse
		}
	}
	// RFC 5032 2: OLDER and YOUNGER on the internal date, to the second,
	// both ends included.
	if n.hasOlder || n.hasYounger {
		t := m.InternalDate().Unix()
		if n.hasOlder && t > n.older || n.hasYounger && t < n.younger {
			return triFalse
		}
	}
	if n.hasModSeq && m.ModSeq() < n.modSeq { // RFC 7162 3.1.5: at least
		return triFalse
	}
	r := triTrue
	and := func(x tri) bool {
		if x == triFalse {
			return false
		}
		if x == triUnknown {
			r = triUnknown
		}
		return true
	}
	if n.hasSent { // RFC 9051 6.4.4: SENT* on the Date field's day
		x := triUnknown
		if ev.headerRead {
			d := ev.sent
			x = triTrue
			if d == 0 || n.sentSince != 0 && d < n.sentSince || n.sentBefore != 0 && d >= n.sentBefore {
				x = triFalse
			}
		}
		if !and(x) {
			return triFalse
		}
	}
	for _, i := range n.hkeys {
		x := triUnknown
		if ev.headerRead {
			x = ev.hres[i]
		}
		if !and(x) {
			return triFalse
		}
	}
	for _, i := range n.needles {
		x := triUnknown
		switch {
		case ev.found[i]:
			x = triTrue
		case ev.bodyDone:
			x = triFalse
		}
		if !and(x) {
			return triFalse
		}
	}
	for _, s := range n.not {
		x := ev.eval(s)
		switch x {
		case triTrue:
			x = triFalse
		case triFalse:
			x = triTrue
		}
		if !and(x) {
			return triFalse
		}
	}
	for _, pair := range n.or {
		x := ev.eval(pair[0])
		if x != triTrue {
			switch y := ev.eval(pair[1]); {
			case y == triTrue:
				x = triTrue
			case y == triUnknown:
				x = triUnknown
			}
		}
		if !and(x) {
			return triFalse
		}
	}
	return r
}

// ctxReader fails reads once its context is done, so that a search of a
// large message stops promptly.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
