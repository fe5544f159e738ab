package message

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/postkit/postkit/mime"
)

// An Address is one entry of an address list: a mailbox, or a group.
//
// Addr is the addr-spec in canonical form: comments, folding white space and
// an obsolete route are removed, and the local part is written as a
// quoted-string if and only if it is not a dot-atom (RFC 5322 3.4.1), so
// `"john"@example.com` and `john @ example.com` both give
// "john@example.com", while `"john doe"@example.com` keeps its quotes.
// Local parts and domains may hold UTF-8 (RFC 6532).
type Address struct {
	Name    string    // display name, decoded to UTF-8; for a group, the group's name
	Addr    string    // addr-spec "local@domain" for a mailbox; "" for a group
	Group   bool      // true for a group ("undisclosed-recipients:;" is a group with no members)
	Members []Address // a group's mailboxes
}

// ErrInvalidAddress is matched by every *AddressError (errors.Is).
var ErrInvalidAddress = errors.New("message: invalid address")

// An AddressError describes the first problem found while parsing an
// address or an address list.
type AddressError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // what was wrong
}

// Error returns a description of the problem and where it was found.
func (e *AddressError) Error() string {
	return fmt.Sprintf("message: invalid address: %s at offset %d", e.Msg, e.Offset)
}

// Is reports whether target is ErrInvalidAddress.
func (e *AddressError) Is(target error) bool { return target == ErrInvalidAddress }

// decodeHeader decodes the RFC 2047 encoded words of a display name.
var decodeHeader = mime.DecodeHeader

// ParseAddress parses a single mailbox (RFC 5322 3.4 mailbox: a name-addr
// or a bare addr-spec), such as the value of a Sender field.
//
// When the input is not exactly one well-formed mailbox it returns an error,
// together with the first entry it could recover, if any: a group, a second
// address, a missing "@domain" or an empty "<>" are all errors.
func ParseAddress(s string) (Address, error) {
	list, err := ParseAddressList(s)
	if len(list) == 0 {
		if err == nil {
			err = &AddressError{Offset: 0, Msg: "no address"}
		}
		return Address{}, err
	}
	a := list[0]
	if err == nil {
		switch {
		case a.Group:
			err = &AddressError{Offset: 0, Msg: "group where a mailbox is expected"}
		case len(list) > 1:
			err = &AddressError{Offset: 0, Msg: "more than one address"}
		}
	}
	return a, err
}

// ParseAddressList parses an address list (RFC 5322 3.4 address-list,
// including the obsolete syntax of RFC 5322 4.4, UTF-8 of RFC 6532 and the
// groups that RFC 6854 allows in From) such as the value of a To, Cc or
// From field.
//
// Parsing is best effort: the list holds every entry that could be
// recovered, and the error (an *AddressError) describes the first problem
// found, so one bad entry never loses the others. An empty or blank value
// gives an empty list and no error.
//
// What is tolerated, besides the obsolete syntax (comments and white space
// anywhere, routes, null list elements, CFWS around the dots of a local part
// or domain, periods in display names):
//
//   - encoded words (RFC 2047) in the display name, also inside a
//     quoted-string and with specials in their text, as many mailers
//     write them;
//   - a missing comma between two entries, a missing ">" or ";", a ";"
//     outside a group; junk after an entry is skipped;
//   - a display name that is itself an address, "a@b <c@d>", which gives
//     Name "a@b" and Addr "c@d";
//   - a display name without angle brackets, "Joe Bloggs joe@example.com":
//     words separated by white space cannot form a local part, so all but
//     the last are the name;
//   - a mailbox without "@domain" ("postmaster", "<moderator>"), whose Addr
//     is the local part alone; "Name <>", whose Addr is empty; and a phrase
//     with encoded words but no address, which gives a Name and an empty
//     Addr, since encoded words cannot be part of an addr-spec (RFC 2047
//     5.). All are reported as errors.
//
// A comment after a bare addr-spec, "joe@example.com (Joe)", is not taken as
// the display name: RFC 5322 3.4 leaves the meaning of comments unspecified
// and asks for the name-addr form instead (CPython's email package agrees;
// net/mail does not).
//
// Display names are decoded to valid UTF-8 (raw 8-bit bytes are read as
// UTF-8, invalid sequences become U+FFFD) and never contain CR or LF.
//
// The work is linear in the length of the input.
func ParseAddressList(s string) ([]Address, error) {
	var toks [8]addrTok
	p := addrParser{s: s, toks: toks[:0]}
	list := p.parseList()
	if p.err != nil {
		return list, p.err
	}
	return list, nil
}

// Mailboxes returns the mailboxes of list with every group replaced by its
// members.
func Mailboxes(list []Address) []Address {
	n := 0
	for _, a := range list {
		if a.Group {
			n += len(a.Members)
		} else {
			n++
		}
	}
	out := make([]Address, 0, n)
	for _, a := range list {
		if a.Group {
			out = append(out, a.Members...)
		} else {
			out = append(out, a)
		}
	}
	return out
}

// addrParser parses an address list in a single forward pass; it never
// backtracks by more than the white space after an addr-spec.
type addrParser struct {
	s    string
	i    int
	err  *AddressError
	toks []addrTok
}

func (p *addrParser) fail(msg string) {
	if p.err == nil {
		p.err = &AddressError{Offset: p.i, Msg: msg}
	}
}

func (p *addrParser) failf(format string, args ...any) {
	if p.err == nil {
		p.fail(fmt.Sprintf(format, args...))
	}
}

func (p *addrParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// phraseText returns the display name that toks spell: words joined by a
// single space where CFWS separated them (comments are not part of a
// phrase), RFC 2047 encoded words decoded.
func (p *addrParser) phraseText(toks []addrTok) string {
	s, ok := p.rawSpan(toks, true)
	if !ok {
		var b strings.Builder
		for k, t := range toks {
			if t.space && k > 0 {
				b.WriteByte(' ')
			}
			p.tokText(&b, t)
		}
		s = b.String()
	}
	return addrCleanName(s)
}

// addrCleanName decodes the encoded words of a display name and makes it
// valid UTF-8 without CR or LF.
func addrCleanName(s string) string {
	if strings.Contains(s, "=?") {
		if d, err := decodeHeader(s); err == nil || d != "" {
			s = d
		}
	}
	s = addrValidUTF8(s)
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, s)
	}
	return s
}

// localText returns the local part that toks spell (RFC 5322 4.4
// obs-local-part): words and dots with the CFWS around dots removed.
// Words not separated by a dot, which no grammar allows, are joined by a
// space when white space was between them. It records an error when the
// words and dots do not alternate.
func (p *addrParser) localText(toks []addrTok) string {
	p.checkLocal(toks)
	if s, ok := p.rawSpan(toks, false); ok {
		return addrValidUTF8(s)
	}
	var b strings.Builder
	for k, t := range toks {
		if t.space && k > 0 && t.kind != addrTokDot && toks[k-1].kind != addrTokDot {
			b.WriteByte(' ')
		}
		p.tokText(&b, t)
	}
	return addrValidUTF8(b.String())
}

// checkLocal records an error when the words and dots of a local part do
// not alternate (RFC 5322 4.4 obs-local-part).
func (p *addrParser) checkLocal(toks []addrTok) {
	for k, t := range toks {
		if t.kind == addrTokDot && (k == 0 || k == len(toks)-1 || toks[k-1].kind == addrTokDot) ||
			t.kind != addrTokDot && k > 0 && toks[k-1].kind != addrTokDot {
			p.fail("malformed local part")
			return
		}
	}
}

// parseList parses a whole address list (RFC 5322 3.4 address-list with 4.4
// obs-addr-list).
func (p *addrParser) parseList() []Address {
	var out []Address
	if n := strings.Count(p.s, "@"); n > 0 {
		out = make([]Address, 0, min(n, 16))
	}
	for {
		p.skipCFWS()
		if p.i >= len(p.s) {
			if len(out) == 0 {
				return nil
			}
			return out
		}
		switch p.s[p.i] {
		case ',':
			p.i++ // obs-addr-list: null element
			continue
		case ';':
			p.fail("';' outside a group")
			p.i++
			continue
		}
		if a, ok := p.parseAddress(true); ok {
			out = append(out, a)
		}
		p.afterEntry(false)
	}
}

// afterEntry consumes the comma after a list entry, or records what is
// wrong when there is none.
func (p *addrParser) afterEntry(inGroup bool) {
	p.skipCFWS()
	if p.i >= len(p.s) {
		return
	}
	switch c := p.s[p.i]; {
	case c == ',':
		p.i++
	case c == ';':
		if !inGroup {
			p.fail("';' outside a group")
			p.i++
		}
	case c == '"' || c == '<' || c == ':' || addrAtext(c):
		// Another entry starts here: recover it.
		p.fail("missing ',' between addresses")
	default:
		// Junk; parseAddress skips it.
	}
}

// parseAddress parses one entry: a mailbox, or (at the top level) a group.
// ok is false when nothing usable was found; the parser has then still
// moved forward.
func (p *addrParser) parseAddress(top bool) (a Address, ok bool) {
	p.collectPhrase()
	c := p.peek()
	switch {
	case c == '<':
		name := p.phraseText(p.toks)
		return Address{Name: name, Addr: p.parseAngleAddr()}, true

	case c == ':' && top:
		// RFC 5322 3.4 group; RFC 6854 allows it in From too.
		if len(p.toks) == 0 {
			p.fail("group without a display name")
		}
		name := p.phraseText(p.toks)
		p.i++
		return Address{Name: name, Group: true, Members: p.parseGroupList()}, true

	case c == ':':
		p.fail("group inside a group")
		p.i++
		return Address{}, false

	case c == '@':
		if len(p.toks) == 0 {
			p.fail("missing local part")
			p.i++
			p.parseDomain()
			return Address{}, false
		}
		return p.parseAddrSpecRest(true)

	case len(p.toks) > 0:
		for _, t := range p.toks {
			if t.ew {
				// Encoded words belong in phrases (RFC 2047 5.), never
				// in an addr-spec: this is a name without an address.
				p.fail("display name without address")
				return Address{Name: p.phraseText(p.toks)}, true
			}
		}
		// Words and no "@": a local part alone, as in "postmaster" or
		// "undisclosed-recipients" without its colon.
		p.fail("missing @domain")
		return Address{Addr: addrLocalOnly(p.localText(p.toks))}, true
	}

	// Nothing usable: skip one piece of junk.
	switch c {
	case '[':
		p.fail("unexpected domain literal")
		p.domainLiteral(nil)
	default:
		p.failf("unexpected %q", c)
		p.i++
	}
	return Address{}, false
}

// parseAddrSpecRest finishes an addr-spec whose local part is in p.toks, at
// the "@". With bare set (a mailbox without angle brackets), an addr-spec
// followed by "<" is read as the display name of the angle-addr that
// follows ("a@b <c@d>"), and words separated by white space before the
// local part are read as a display name whose angle brackets are missing
// ("Joe Bloggs joe@example.com").
func (p *addrParser) parseAddrSpecRest(bare bool) (Address, bool) {
	at := p.i
	p.i++ // "@"
	dom, found := p.parseDomain()
	if found && dom[0] != '[' && !addrIsDotAtom(dom) {
		p.fail("malformed domain")
	}
	if bare {
		save := p.i
		p.skipCFWS()
		if p.peek() == '<' {
			// "a@b <c@d>": a person reads "a@b" as the name.
			p.fail("unquoted address as display name")
			name := p.localText(p.toks)
			if found {
				name += "@" + dom
			}
			return Address{Name: addrCleanName(name), Addr: p.parseAngleAddr()}, true
		}
		p.i = save
	}
	toks, name := p.toks, ""
	if bare {
		// Words can only follow words across white space in a phrase.
		k := 0
		for j := len(toks) - 1; j > 0; j-- {
			if toks[j].space && toks[j].kind != addrTokDot && toks[j-1].kind != addrTokDot {
				k = j
				break
			}
		}
		if k > 0 {
			p.fail("display name without angle brackets")
			name = p.phraseText(toks[:k])
			toks = toks[k:]
		}
	}
	local, contiguous := p.rawSpan(toks, false)
	contiguous = contiguous && at == toks[len(toks)-1].end
	if contiguous {
		p.checkLocal(toks)
		contiguous = utf8.ValidString(local)
		local = addrValidUTF8(local)
	} else {
		local = p.localText(toks)
	}
	var addr string
	switch {
	case !found:
		p.fail("missing domain")
		addr = addrLocalOnly(local)
	case contiguous && p.s[at+1:p.i] == dom && addrIsDotAtom(local) && utf8.ValidString(dom):
		addr = p.s[toks[0].start:p.i] // the common case: no copy
	default:
		addr = addrQuoteLocal(local) + "@" + addrValidUTF8(dom)
	}
	return Address{Name: name, Addr: addr}, true
}

// parseAngleAddr parses an angle-addr starting at its "<" (RFC 5322 3.4,
// 4.4 obs-angle-addr; the route is dropped) and returns the canonical
// addr-spec, "" for "<>".
func (p *addrParser) parseAngleAddr() string {
	p.i++ // "<"
	p.skipCFWS()
	if c := p.peek(); c == '@' || c == ',' {
		p.skipRoute()
	}
	p.collectPhrase()
	for p.peek() == ':' {
		// A route without its leading "@", or a URL scheme.
		p.fail("unexpected ':' in angle-addr")
		p.i++
		p.collectPhrase()
	}
	var addr string
	switch c := p.peek(); {
	case c == '@' && len(p.toks) > 0:
		a, _ := p.parseAddrSpecRest(false)
		addr = a.Addr
	case c == '@':
		p.fail("missing local part")
		p.i++
		p.parseDomain()
	case len(p.toks) > 0:
		p.fail("missing @domain")
		addr = addrLocalOnly(p.localText(p.toks))
	case c == '>':
		p.fail("empty address")
	}
	p.skipCFWS()
	if p.peek() == '>' {
		p.i++
		return addr
	}
	p.fail("missing '>'")
	// Skip junk up to the ">"; stop where the next entry begins.
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '>':
			p.i++
			return addr
		case ',', ';':
			return addr
		case '"':
			p.quoted()
			continue
		case '(':
			p.skipComment()
			continue
		}
		p.i++
	}
	return addr
}

// skipRoute skips an obsolete route, "@a,@b:" (RFC 5322 4.4 obs-route).
func (p *addrParser) skipRoute() {
	for {
		p.skipCFWS()
		switch p.peek() {
		case ',':
			p.i++
		case '@':
			p.i++
			p.parseDomain()
		case ':':
			p.i++
			return
		default:
			p.fail("route without ':'")
			return
		}
	}
}

// parseDomain parses a domain (RFC 5322 3.4.1 domain, 4.4 obs-domain):
// atoms separated by dots, with CFWS allowed around the dots, or a domain
// literal. It returns the domain without CFWS, and false when there is no
// domain at all. Malformed dots ("a..b", "a.") are kept as they are.
func (p *addrParser) parseDomain() (string, bool) {
	p.skipCFWS()
	if p.peek() == '[' {
		var b strings.Builder
		p.domainLiteral(&b)
		return b.String(), true
	}
	start, end := p.i, p.i
	contiguous := true
	var b strings.Builder // only when CFWS sits inside the domain
	wantAtom := true
	for {
		save := p.i
		space := p.skipCFWS()
		if p.i >= len(p.s) {
			p.i = save
			break
		}
		c := p.s[p.i]
		j := p.i + 1
		if c == '.' {
			wantAtom = true
		} else if wantAtom && addrAtext(c) {
			for j < len(p.s) && addrAtext(p.s[j]) {
				j++
			}
			wantAtom = false
		} else {
			p.i = save
			break
		}
		if space && contiguous {
			contiguous = false
			b.WriteString(p.s[start:end])
		}
		if !contiguous {
			b.WriteString(p.s[p.i:j])
		}
		p.i, end = j, j
	}
	if end == start {
		return "", false
	}
	if contiguous {
		return p.s[start:end], true
	}
	return b.String(), true
}

// domainLiteral parses "[...]" (RFC 5322 3.4.1 domain-literal, 4.4
// obs-dtext) and writes it to b without its folding white space;
// quoted-pairs are kept as they are. A literal without "]" ends, with an
// error, before the first "[", "<", ">", ",", ";" or the end, so that a
// missing bracket loses nothing after it.
func (p *addrParser) domainLiteral(b *strings.Builder) {
	if b != nil {
		b.WriteByte('[')
	}
	p.i++
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case ']':
			p.i++
			if b != nil {
				b.WriteByte(']')
			}
			return
		case ' ', '\t', '\r', '\n':
			p.i++
			continue
		case '[', '<', '>', ',', ';':
			p.fail("unclosed domain literal")
			if b != nil {
				b.WriteByte(']')
			}
			return
		case '\\':
			if p.i+1 >= len(p.s) {
				p.i++
				continue
			}
			if n := p.s[p.i+1]; n == '\r' || n == '\n' {
				p.i++
				continue
			}
			if b != nil {
				b.WriteString(p.s[p.i : p.i+2])
			}
			p.i += 2
			continue
		}
		if b != nil {
			b.WriteByte(c)
		}
		p.i++
	}
	p.fail("unclosed domain literal")
	if b != nil {
		b.WriteByte(']')
	}
}

// parseGroupList parses the members of a group after its ":" up to and
// including the ";" (RFC 5322 3.4 group-list, 4.4 obs-group-list).
func (p *addrParser) parseGroupList() []Address {
	var members []Address
	for {
		p.skipCFWS()
		if p.i >= len(p.s) {
			p.fail("missing ';' after group")
			return members
		}
		switch p.s[p.i] {
		case ';':
			p.i++
			return members
		case ',':
			p.i++
			continue
		}
		if a, ok := p.parseAddress(false); ok {
			members = append(members, a)
		}
		p.afterEntry(true)
	}
}
