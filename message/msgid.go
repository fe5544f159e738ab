package message

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidMessageID is returned (wrapped) by ParseMessageID for a value
// that is not a well-formed msg-id.
var ErrInvalidMessageID = errors.New("message: invalid message id")

// ParseMessageID parses a msg-id such as the value of a Message-ID field
// (RFC 5322 3.6.4, with the obsolete syntax of 4.5.4) and returns the
// identifier without its angle brackets.
//
// Comments and white space around the identifier are skipped, and the
// obsolete form with CFWS around the dots and the "@" is reduced to its
// canonical text ("<1234 @ local(blah) .machine .example>" gives
// "1234@local.machine.example"). The error is nil exactly when the value is
// one well-formed msg-id; otherwise ParseMessageID still returns its best
// guess with the error: the text between the brackets as written when it
// is not an addr-spec ("<1234>", "<a b@c>"), a single word holding "@"
// when the brackets are missing ("1234@example.com"), the first identifier
// when there are several. The id is "" only when nothing usable was found.
func ParseMessageID(s string) (string, error) {
	p := msgidParser{s: s}
	p.skipCFWS()
	start := p.i
	if p.peek() != '<' {
		// No brackets: a single word holding "@" is taken as the id.
		for p.i < len(p.s) && !msgidSpace(p.s[p.i]) && p.s[p.i] != '(' {
			p.i++
		}
		w := p.s[start:p.i]
		p.skipCFWS()
		if strings.IndexByte(w, '@') > 0 && p.i == len(p.s) {
			return addrValidUTF8(w), fmt.Errorf("%w: missing angle brackets", ErrInvalidMessageID)
		}
		return "", fmt.Errorf("%w: %s", ErrInvalidMessageID, msgidQuote(s))
	}
	id, ok := p.bracketed()
	p.skipCFWS()
	switch {
	case id == "":
		return "", fmt.Errorf("%w: empty id in %s", ErrInvalidMessageID, msgidQuote(s))
	case !ok:
		return id, fmt.Errorf("%w: malformed id in %s", ErrInvalidMessageID, msgidQuote(s))
	case p.i != len(p.s):
		return id, fmt.Errorf("%w: text after the id in %s", ErrInvalidMessageID, msgidQuote(s))
	}
	return id, nil
}

// ParseMessageIDList returns the identifiers of a References or
// In-Reply-To field (RFC 5322 3.6.4), without angle brackets, in order.
//
// It is tolerant: comments, quoted-strings, phrases (old In-Reply-To
// fields say `Your message of "Mon, 3 Mar 2026" <id@host>`), commas and
// other text between the identifiers are skipped; each bracketed
// identifier is read as ParseMessageID reads one, a missing ">" ends an
// identifier at white space. When the value has no "<" at all, its words
// that hold an "@" are taken as identifiers.
func ParseMessageIDList(s string) []string {
	var ids []string
	p := msgidParser{s: s}
	if strings.IndexByte(s, '<') < 0 {
		for p.i < len(p.s) {
			p.skipCFWS()
			switch p.peek() {
			case '"':
				p.skipQuoted()
				continue
			case ',':
				p.i++
				continue
			}
			start := p.i
			for p.i < len(p.s) && !msgidSpace(p.s[p.i]) && !strings.ContainsRune(`(",`, rune(p.s[p.i])) {
				p.i++
			}
			if w := p.s[start:p.i]; strings.IndexByte(w, '@') > 0 {
				ids = append(ids, addrValidUTF8(w))
			}
		}
		return ids
	}
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '(':
			p.skipComment()
		case '"':
			p.skipQuoted()
		case '<':
			if id, _ := p.bracketed(); id != "" {
				ids = append(ids, id)
			}
		default:
			p.i++
		}
	}
	return ids
}

// FormatMessageID returns id in angle brackets, as a msg-id is written
// (RFC 5322 3.6.4). Brackets already around id are not doubled; white
// space around it is removed, and CR and LF are dropped so that the result
// is always one header line.
func FormatMessageID(id string) string {
	if strings.ContainsAny(id, "\r\n") {
		id = strings.NewReplacer("\r", "", "\n", "").Replace(id)
	}
	id = strings.TrimSpace(id)
	id = strings.TrimPrefix(id, "<")
	id = strings.TrimSuffix(id, ">")
	return "<" + id + ">"
}

// validMessageID reports whether id (without angle brackets) can be
// written as a msg-id that reads back as itself: no white space, angle
// brackets or control characters, and ASCII unless utf8 (RFC 6532) is
// allowed.
func validMessageID(id string, utf8 bool) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c == 0x7f || c == '<' || c == '>' || (c >= 0x80 && !utf8) {
			return false
		}
	}
	return true
}

// GenerateMessageID returns a new unique identifier, without angle
// brackets, for the Message-ID of a message created on the host domain:
// its left part is 128 random bits from crypto/rand, in base32 (RFC 5322
// 3.6.4 id-left, a dot-atom-text). If domain is not an ASCII id-right (a
// dot-atom-text or a domain literal), "localhost" is used instead, so the
// result is always a well-formed msg-id in any message.
func GenerateMessageID(domain string) string {
	if !addrIsDotAtom(domain) && !msgidIsLiteral(domain) || msgidHasSpecial(domain) || !isASCII(domain) {
		domain = "localhost"
	}
	return strings.ToLower(rand.Text()) + "@" + domain
}

// msgidHasSpecial reports characters a message id must not carry even
// where addrIsDotAtom allows them: white space, control characters and
// invalid UTF-8 (UTF-8 itself is allowed by RFC 6532 3.2).
func msgidHasSpecial(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return true
		}
	}
	return !utf8.ValidString(s)
}

// msgidIsLiteral reports whether s is a no-fold-literal, "[" *dtext "]".
func msgidIsLiteral(s string) bool {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '\\' {
			return false
		}
	}
	return true
}

func msgidSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func msgidQuote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// msgidParser scans a msg-id or a list of them. It shares the lexical
// rules of addresses.
type msgidParser struct {
	s string
	i int
}

func (p *msgidParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *msgidParser) skipCFWS() {
	a := addrParser{s: p.s, i: p.i}
	a.skipCFWS()
	p.i = a.i
}

func (p *msgidParser) skipComment() {
	a := addrParser{s: p.s, i: p.i}
	a.skipComment()
	p.i = a.i
}

func (p *msgidParser) skipQuoted() {
	a := addrParser{s: p.s, i: p.i}
	a.quoted()
	p.i = a.i
}

// bracketed reads "<" id ">" at p.i and returns the id and whether it is
// well formed. The id ends at the ">", or, when that is missing, at the
// next "<" or white space.
func (p *msgidParser) bracketed() (string, bool) {
	p.i++ // "<"
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '>' && p.s[p.i] != '<' {
		p.i++
	}
	inner := p.s[start:p.i]
	closed := p.peek() == '>'
	if closed {
		p.i++
	} else {
		// No ">": the id is the first word.
		trimmed := strings.TrimLeft(inner, " \t\r\n")
		lead := len(inner) - len(trimmed)
		if k := strings.IndexAny(trimmed, " \t\r\n"); k >= 0 {
			trimmed = trimmed[:k]
		}
		inner = trimmed
		p.i = start + lead + len(inner)
	}
	if msgidIsSimple(inner) {
		return inner, closed // RFC 5322 3.6.4: the common case
	}
	// RFC 5322 4.5.4 obs-id-left and obs-id-right are local-part and
	// domain: read the inside as an addr-spec with CFWS.
	a := addrParser{s: inner}
	a.skipCFWS()
	a.collectPhrase()
	if len(a.toks) > 0 && a.peek() == '@' {
		ad, _ := a.parseAddrSpecRest(false)
		a.skipCFWS()
		if a.err == nil && a.i == len(inner) && !msgidHasSpecial(ad.Addr) && utf8.ValidString(inner) {
			return ad.Addr, closed
		}
	}
	return addrValidUTF8(strings.TrimSpace(inner)), false
}

// msgidIsSimple reports whether s is id-left "@" id-right in the current
// syntax: dot-atom-text "@" (dot-atom-text / no-fold-literal), with UTF-8
// (RFC 6532 3.2).
func msgidIsSimple(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || msgidHasSpecial(s) {
		return false
	}
	left, right := s[:at], s[at+1:]
	return addrIsDotAtom(left) && (addrIsDotAtom(right) || msgidIsLiteral(right))
}
