package message

// The lexical layer of RFC 5322 3.2 (white space and comments, atoms,
// quoted-strings) as addresses, dates and message ids use it.

import (
	"strings"

	"github.com/postkit/postkit/internal/textutil"
)

// Token kinds of a phrase or local part.
const (
	addrTokAtom   = iota // run of atext (and UTF-8) bytes
	addrTokQuoted        // quoted-string; start/end delimit the content
	addrTokDot           // "."
)

// addrTok is one word or dot of a phrase or local part, by position in the
// input.
type addrTok struct {
	kind       uint8
	space      bool // CFWS came before this token
	escaped    bool // quoted content holds a quoted-pair, CR or LF
	ew         bool // an atom that is an RFC 2047 encoded word
	start, end int
}

// addrAtext reports whether c may appear in an atom: RFC 5322 3.2.3 atext,
// every byte of UTF-8 (RFC 6532 3.2; invalid bytes are kept and replaced
// later) and, leniently, a backslash, which has no other meaning outside
// quoted-strings and comments.
func addrAtext(c byte) bool {
	return addrAtextTable[c]
}

var addrAtextTable = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-/=?^_`{|}~\\" {
		t[c] = true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// addrCtl reports whether c is a control character other than white space
// (RFC 5322 4.1 obs-NO-WS-CTL, plus NUL).
func addrCtl(c byte) bool {
	return (c < 0x20 && c != ' ' && c != '\t' && c != '\r' && c != '\n') || c == 0x7f
}

// skipCFWS skips white space, line breaks and comments (RFC 5322 3.2.2 CFWS,
// 4.2 obs-FWS) and reports whether it skipped anything. Comments nest; the
// nesting depth is counted, not recursed into, so any depth costs the same.
func (p *addrParser) skipCFWS() bool {
	start := p.i
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		case '(':
			p.skipComment()
		default:
			return p.i > start
		}
	}
	return p.i > start
}

// skipComment skips the comment at p.i (RFC 5322 3.2.2).
func (p *addrParser) skipComment() {
	var closed bool
	if p.i, closed = textutil.SkipComment(p.s, p.i); !closed {
		p.fail("unclosed comment")
	}
}

// quoted scans a quoted-string starting at its DQUOTE and returns its token.
func (p *addrParser) quoted() addrTok {
	t := addrTok{kind: addrTokQuoted}
	p.i++
	t.start = p.i
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '"':
			t.end = p.i
			p.i++
			return t
		case '\\':
			t.escaped = true
			p.i++
		case '\r', '\n':
			t.escaped = true
		}
		p.i++
	}
	p.i = len(p.s)
	t.end = p.i
	p.fail("unclosed quoted-string")
	return t
}

// collectPhrase reads words (atoms and quoted-strings) and dots into p.toks
// until a special character or the end: RFC 5322 3.2.5 phrase with 4.1
// obs-phrase, and 4.4 obs-local-part, which share this shape.
func (p *addrParser) collectPhrase() {
	p.toks = p.toks[:0]
	for {
		space := p.skipCFWS()
		if p.i >= len(p.s) {
			return
		}
		c := p.s[p.i]
		var t addrTok
		switch {
		case c == '"':
			t = p.quoted()
		case c == '.':
			t = addrTok{kind: addrTokDot, start: p.i, end: p.i + 1}
			p.i++
		case c == '=' && p.i+1 < len(p.s) && p.s[p.i+1] == '?' && addrEncodedWordEnd(p.s, p.i) > 0:
			// An encoded word is one token even when its text holds
			// specials, as senders write "=?utf-8?q?a:_b?=" in phrases.
			t = addrTok{kind: addrTokAtom, ew: true, start: p.i}
			p.i = addrEncodedWordEnd(p.s, p.i)
			t.end = p.i
		case addrAtext(c):
			t = addrTok{kind: addrTokAtom, start: p.i}
			for p.i < len(p.s) && addrAtext(p.s[p.i]) {
				p.i++
			}
			t.end = p.i
		case addrCtl(c):
			p.failf("control character %#02x", c)
			p.i++
			continue
		default:
			return
		}
		t.space = space && len(p.toks) > 0
		p.toks = append(p.toks, t)
	}
}

// addrEncodedWordEnd returns the end of the RFC 2047 encoded word
// "=?charset?e?text?=" at s[i:], or 0. The text may hold any visible
// character but "?"; the scan stops at the fourth "?" or at white space, so
// scans of failed candidates never overlap by more than a word.
func addrEncodedWordEnd(s string, i int) int {
	j := i + 2
	for j < len(s) && s[j] != '?' && addrAtext(s[j]) {
		j++
	}
	if j == i+2 || j+3 >= len(s) || s[j] != '?' || s[j+2] != '?' {
		return 0
	}
	switch s[j+1] {
	case 'b', 'B', 'q', 'Q':
	default:
		return 0
	}
	for j += 3; j < len(s) && s[j] > ' ' && s[j] != 0x7f && s[j] != '?'; j++ {
	}
	if j+1 < len(s) && s[j] == '?' && s[j+1] == '=' {
		return j + 2
	}
	return 0
}

// tokText appends the text of t: the atom, the dot, or the content of a
// quoted-string with quoted-pairs undone and CR and LF removed (they can
// only be folding, RFC 5322 3.2.4).
func (p *addrParser) tokText(b *strings.Builder, t addrTok) {
	if !t.escaped {
		b.WriteString(p.s[t.start:t.end])
		return
	}
	for i := t.start; i < t.end; i++ {
		c := p.s[i]
		if c == '\\' && i+1 < t.end {
			i++
			c = p.s[i]
		}
		if c == '\r' || c == '\n' {
			continue
		}
		b.WriteByte(c)
	}
}

// rawSpan returns the input text of toks when it reads exactly as the
// tokens are to be joined (atoms and dots only, with nothing between them
// or, if spaces is set, a single space where CFWS was), so that no copy is
// needed.
func (p *addrParser) rawSpan(toks []addrTok, spaces bool) (string, bool) {
	if len(toks) == 0 {
		return "", true
	}
	for k, t := range toks {
		if t.kind == addrTokQuoted {
			return "", false
		}
		if k == 0 {
			continue
		}
		prev := toks[k-1]
		gap := t.start - prev.end
		switch {
		case gap == 0:
		case gap == 1 && t.space && spaces && p.s[prev.end] == ' ':
		default:
			return "", false
		}
	}
	return p.s[toks[0].start:toks[len(toks)-1].end], true
}

// addrValidUTF8 returns s with each maximal ill-formed subsequence replaced
// by U+FFFD, as CPython does.
func addrValidUTF8(s string) string { return textutil.ValidUTF8(s) }
