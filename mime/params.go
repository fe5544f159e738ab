package mime

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/postkit/postkit/internal/textutil"
)

// Defect kinds recorded while reading media type and disposition parameters.
const (
	// DefectInvalidParameter: a parameter that is not `attribute=value`
	// (no name, no '=', a name with a stray '*'), junk after a value, a
	// missing ';' between parameters, or an unterminated quoted string or
	// comment. Unreadable parameters are skipped; the rest are repaired.
	DefectInvalidParameter DefectKind = "invalid-parameter"
	// DefectDuplicateParameter: a parameter, or an RFC 2231 section of one,
	// given more than once; the first was kept.
	DefectDuplicateParameter DefectKind = "duplicate-parameter"
	// DefectInvalidContinuation: RFC 2231 continuation sections with gaps;
	// the sections present were joined in numeric order.
	DefectInvalidContinuation DefectKind = "invalid-parameter-continuation"
	// DefectInvalidParameterEncoding: an RFC 2231 extended value with a bad
	// %XX escape (kept literally), without its charset'language' prefix, in
	// an unknown charset (its bytes read as UTF-8); an RFC 2047 encoded word
	// in a value that could not be decoded; or invalid UTF-8 in a value
	// (replaced by U+FFFD).
	DefectInvalidParameterEncoding DefectKind = "invalid-parameter-encoding"
	// DefectEncodedWordInParameter: an RFC 2047 encoded word inside a
	// parameter value, which RFC 2047 5. does not allow but many mailers
	// send for name and filename; it was decoded.
	DefectEncodedWordInParameter DefectKind = "encoded-word-in-parameter"
)

const (
	// maxParamDefects bounds the defects recorded for one field: hostile
	// input can be made of nothing but broken parameters.
	maxParamDefects = 32
	// maxDefectDetail bounds the bytes of input quoted in a Defect's Detail.
	maxDefectDetail = 64
	// maxParamLine is the longest `name=value` formatParams writes on its
	// own when it can split: a header writer that folds at "; " puts each
	// parameter on a line of its own after one space and before the ';',
	// and RFC 5322 2.1.1 asks for lines of at most 78 characters.
	maxParamLine = 76
)

// tokenChars marks the bytes allowed in an RFC 2045 5.1 token: US-ASCII
// without SPACE, CTLs and tspecials.
var tokenChars = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
	}
	return t
}()

// isToken reports whether s is a non-empty RFC 2045 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return true
}

func isParamSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// defectDetail returns s shortened to maxDefectDetail bytes at a character
// boundary, as valid UTF-8, for a Defect's Detail.
func defectDetail(s string) string {
	if len(s) > maxDefectDetail {
		n := maxDefectDetail
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "..."
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// extSegment is one RFC 2231 parameter: a section of a continued value
// (name*0, name*1*, ...) or an extended value (name*).
type extSegment struct {
	name    string // lower-case attribute without the section
	section int    // 0 for name*
	encoded bool   // the name ended in '*': charset'language'%XX form
	value   string // unquoted
}

// paramParser reads the parameter list of a Content-Type or
// Content-Disposition value (RFC 2045 5.1, RFC 2231).
type paramParser struct {
	s       string
	i       int
	params  map[string]string
	ext     []extSegment
	defects []Defect
}

// defect records a defect whose Detail is parts joined, each shortened
// first: parts may be long slices of hostile input, and only the first
// maxParamDefects defects are kept.
func (p *paramParser) defect(k DefectKind, parts ...string) {
	if len(p.defects) >= maxParamDefects {
		return
	}
	var b strings.Builder
	for _, s := range parts {
		if len(s) > maxDefectDetail+utf8.UTFMax {
			s = s[:maxDefectDetail+utf8.UTFMax] // defectDetail cuts at a character
		}
		b.WriteString(s)
	}
	p.defects = append(p.defects, Defect{Kind: k, Detail: defectDetail(b.String())})
}

// skipCFWS skips white space (line breaks included, so folded values may be
// passed as they are) and comments (RFC 822 3.4.3, allowed in structured
// fields by RFC 2045 5.1).
func (p *paramParser) skipCFWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		case '(':
			p.skipComment()
		default:
			return
		}
	}
}

// skipComment skips the comment that starts at p.i, nested comments and
// quoted pairs included. An unterminated comment runs to the end.
func (p *paramParser) skipComment() {
	var closed bool
	if p.i, closed = textutil.SkipComment(p.s, p.i); !closed {
		p.defect(DefectInvalidParameter, "unterminated comment")
	}
}

// token reads an RFC 2045 token at p.i; it returns "" if there is none.
func (p *paramParser) token() string {
	start := p.i
	for p.i < len(p.s) && tokenChars[p.s[p.i]] {
		p.i++
	}
	return p.s[start:p.i]
}

// skipTo advances to the next c, or to the end.
func (p *paramParser) skipTo(c byte) {
	if j := strings.IndexByte(p.s[p.i:], c); j >= 0 {
		p.i += j
	} else {
		p.i = len(p.s)
	}
}

// leadingToken reads the token that starts a field value, after CFWS, and
// returns it with its offset. When the value has no such token, or starts
// with a parameter instead (`filename="a.pdf"` with the disposition type
// left out), it returns "" and leaves p.i where the parameters start.
func (p *paramParser) leadingToken() (string, int) {
	p.skipCFWS()
	start := p.i
	tok := p.token()
	if tok != "" && p.equalsAt(p.i) {
		p.i = start
		return "", start
	}
	if tok == "" {
		p.skipTo(';')
	}
	return tok, start
}

// equalsAt reports whether s[j:] is white space then '='.
func (p *paramParser) equalsAt(j int) bool {
	for j < len(p.s) && isParamSpace(p.s[j]) {
		j++
	}
	return j < len(p.s) && p.s[j] == '='
}

// paramAt reports whether a parameter (`token *WSP "="`) starts at s[j:].
func (p *paramParser) paramAt(j int) bool {
	k := j
	for k < len(p.s) && tokenChars[p.s[k]] {
		k++
	}
	return k > j && p.equalsAt(k)
}

// afterValue checks what follows a media type or a parameter value: CFWS,
// then ';' or the end. A parameter without the ';' (`text/plain
// charset=utf-8`) is read as if the ';' were there; anything else is junk up
// to the next ';', recorded as a defect of kind k.
func (p *paramParser) afterValue(k DefectKind) {
	if p.i < len(p.s) && !isParamSpace(p.s[p.i]) && p.s[p.i] != '(' && p.s[p.i] != ';' {
		// Junk glued to the value: "image/jpeg>", `name="a"b`.
		p.junk(k)
		return
	}
	p.skipCFWS()
	switch {
	case p.i >= len(p.s) || p.s[p.i] == ';':
	case p.paramAt(p.i):
		p.defect(DefectInvalidParameter, "missing ';' before ", p.s[p.i:])
	default:
		p.junk(k)
	}
}

func (p *paramParser) junk(k DefectKind) {
	start := p.i
	p.skipTo(';')
	p.defect(k, "junk ", p.s[start:p.i])
}

// parseParams reads parameters up to the end of the value, then joins the
// RFC 2231 ones; ParseContentType describes the rules.
func (p *paramParser) parseParams() {
	for {
		p.skipCFWS()
		if p.i >= len(p.s) {
			break
		}
		if p.s[p.i] == ';' {
			p.i++
			continue
		}
		p.parseParam()
	}
	if p.ext != nil {
		p.joinExtended()
	}
}

// parseParam reads one `attribute "=" value` at p.i.
func (p *paramParser) parseParam() {
	start := p.i
	name := p.token()
	if name == "" || !p.equalsAt(p.i) {
		p.skipTo(';')
		p.defect(DefectInvalidParameter, p.s[start:p.i])
		return
	}
	p.skipTo('=')
	p.i++
	for p.i < len(p.s) && isParamSpace(p.s[p.i]) {
		p.i++
	}
	var value string
	if p.i < len(p.s) && p.s[p.i] == '"' {
		value = p.quotedString()
	} else {
		value = p.bareValue()
	}
	p.add(strings.ToLower(name), value)
	p.afterValue(DefectInvalidParameter)
}

// quotedString reads the RFC 822 quoted-string at p.i and returns its
// content. Line breaks in it are dropped (unfolding). A backslash quotes
// only '"' and '\'; before any other character it is kept, because real
// mail carries Windows paths such as "C:\TEMP\x.png" unescaped. An
// unterminated string runs to the end of the value.
func (p *paramParser) quotedString() string {
	p.i++ // opening quote
	start := p.i
	plain := true // no escapes or line breaks: a substring will do
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '"':
			v := p.s[start:p.i]
			p.i++
			if plain {
				return v
			}
			return unescapeQuoted(v)
		case '\\':
			if p.i+1 < len(p.s) && (p.s[p.i+1] == '"' || p.s[p.i+1] == '\\') {
				plain = false
				p.i++
			}
		case '\r', '\n':
			plain = false
		}
		p.i++
	}
	p.defect(DefectInvalidParameter, "unterminated quoted string ", p.s[start-1:])
	v := strings.TrimRight(p.s[start:], " \t\r\n")
	if plain {
		return v
	}
	return unescapeQuoted(v)
}

// dropLineBreaks returns v without CR and LF: a folded value unfolded.
func dropLineBreaks(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] != '\r' && v[i] != '\n' {
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// unescapeQuoted undoes the quoting quotedString accepts.
func unescapeQuoted(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\'):
			i++
			b.WriteByte(v[i])
		case c == '\r' || c == '\n':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// bareValue reads an unquoted value: up to the next ';', or up to white
// space followed by what looks like the next parameter when the ';' is
// missing. Tspecials are taken as part of the value (RFC 2045 wants them
// quoted; mailers do not always oblige). Trailing white space and trailing
// comments (`us-ascii (Plain text)`) are dropped; a parenthesis that is not
// a trailing comment after white space (`foo(1).txt`, `a (1).txt`) is text.
func (p *paramParser) bareValue() string {
	start, end := p.i, p.i
	fold := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == ';' {
			break
		}
		if isParamSpace(c) {
			j := p.i
			for j < len(p.s) && isParamSpace(p.s[j]) {
				if p.s[j] == '\r' || p.s[j] == '\n' {
					fold = true
				}
				j++
			}
			if j < len(p.s) && p.paramAt(j) {
				break
			}
			p.i = j
			continue
		}
		p.i++
		end = p.i
	}
	v := p.s[start:end]
	// Trailing comments; each pass removes one, so this is linear.
	for len(v) > 0 && v[len(v)-1] == ')' {
		depth, k := 0, len(v)-1
		for ; k >= 0; k-- {
			if v[k] == ')' {
				depth++
			} else if v[k] == '(' {
				if depth--; depth == 0 {
					break
				}
			}
		}
		if k <= 0 || !isParamSpace(v[k-1]) {
			break
		}
		v = strings.TrimRight(v[:k], " \t\r\n")
	}
	if fold {
		v = dropLineBreaks(v)
	}
	return v
}

// add records one parameter as read: a plain one in p.params, an RFC 2231
// one in p.ext for joinExtended.
func (p *paramParser) add(name, value string) {
	if star := strings.IndexByte(name, '*'); star >= 0 {
		p.addExtended(name, star, value)
		return
	}
	if p.params == nil {
		p.params = make(map[string]string, 4)
	} else if _, dup := p.params[name]; dup {
		p.defect(DefectDuplicateParameter, name)
		return
	}
	if name != "boundary" && strings.Contains(value, "=?") {
		dec, err := DecodeHeader(value)
		if err != nil {
			p.defect(DefectInvalidParameterEncoding, name, ": ", err.Error())
		}
		if dec != value {
			p.defect(DefectEncodedWordInParameter, name)
			value = dec
		}
	}
	p.params[name] = p.validUTF8(name, value)
}

// addExtended records an RFC 2231 parameter (RFC 2231 7.): name is
// attribute "*" [section] ["*"] with the first '*' at star.
func (p *paramParser) addExtended(name string, star int, value string) {
	seg := extSegment{name: name[:star], value: value}
	rest := name[star+1:]
	if rest == "" {
		seg.encoded = true // name*: an extended value that is not continued
	} else {
		if rest[len(rest)-1] == '*' {
			seg.encoded = true
			rest = rest[:len(rest)-1]
		}
		// RFC 2231 forbids leading zeroes; they are harmless, so accepted.
		// Nine digits fit an int everywhere and are far beyond real use.
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 || len(rest) > 9 || rest[0] == '+' {
			seg.name = ""
		}
		seg.section = n
	}
	if seg.name == "" {
		p.defect(DefectInvalidParameter, name)
		return
	}
	if p.ext == nil {
		p.ext = make([]extSegment, 0, 4)
	}
	p.ext = append(p.ext, seg)
}

// joinExtended joins the RFC 2231 sections of each parameter in numeric
// order, whatever order they came in (RFC 2231 3.), decodes the %XX escapes
// of the encoded ones and converts the whole from the charset named in the
// first section (RFC 2231 4., 4.1). The language is dropped. The result
// replaces a plain parameter of the same name.
func (p *paramParser) joinExtended() {
	if len(p.ext) > 1 {
		slices.SortStableFunc(p.ext, func(a, b extSegment) int {
			if c := strings.Compare(a.name, b.name); c != 0 {
				return c
			}
			return a.section - b.section
		})
	}
	if p.params == nil {
		p.params = make(map[string]string, len(p.ext))
	}
	size := 0
	for _, seg := range p.ext {
		size += len(seg.value)
	}
	buf := make([]byte, 0, size)
	for i := 0; i < len(p.ext); {
		name := p.ext[i].name
		j := i
		for j < len(p.ext) && p.ext[j].name == name {
			j++
		}
		buf = buf[:0]
		charset, encoded, next := "", false, 0
		for k := i; k < j; k++ {
			seg := p.ext[k]
			if k > i && seg.section == p.ext[k-1].section {
				p.defect(DefectDuplicateParameter, name, "*", strconv.Itoa(seg.section))
				continue
			}
			if seg.section != next && next >= 0 {
				p.defect(DefectInvalidContinuation, name, ": section ", strconv.Itoa(next), " missing")
				next = -1 // report the first gap only
			}
			if next >= 0 {
				next = seg.section + 1
			}
			if !seg.encoded {
				buf = append(buf, seg.value...)
				continue
			}
			encoded = true
			v := seg.value
			if seg.section == 0 {
				// RFC 2231 4.: charset'language'value; both quotes must be
				// there even when the fields are empty.
				if q1 := strings.IndexByte(v, '\''); q1 >= 0 {
					if q2 := strings.IndexByte(v[q1+1:], '\''); q2 >= 0 {
						charset = v[:q1]
						v = v[q1+1+q2+1:]
					} else {
						p.defect(DefectInvalidParameterEncoding, name, ": no charset'language' prefix")
					}
				} else {
					p.defect(DefectInvalidParameterEncoding, name, ": no charset'language' prefix")
				}
			}
			var bad bool
			buf, bad = appendPercentDecoded(buf, v)
			if bad {
				p.defect(DefectInvalidParameterEncoding, name, ": bad %XX escape")
			}
		}
		var value string
		if encoded && charset != "" {
			s, err := DecodeCharset(charset, buf)
			if err != nil {
				p.defect(DefectInvalidParameterEncoding, name, ": ", err.Error())
			}
			value = p.validUTF8(name, s)
		} else {
			// No charset given: RFC 2231 assigns no default; UTF-8 (RFC
			// 6532) is what such values are in practice.
			value = p.validUTF8(name, string(buf))
		}
		p.params[name] = value
		i = j
	}
	p.ext = nil
}

// appendPercentDecoded appends s to b with %XX escapes decoded. A '%' not
// followed by two hex digits is kept as it is and reported as bad.
func appendPercentDecoded(b []byte, s string) ([]byte, bool) {
	bad := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 < len(s) {
				hi, ok1 := unhex(s[i+1])
				lo, ok2 := unhex(s[i+2])
				if ok1 && ok2 {
					b = append(b, hi<<4|lo)
					i += 2
					continue
				}
			}
			bad = true
		}
		b = append(b, c)
	}
	return b, bad
}

// validUTF8 returns v with invalid UTF-8 replaced by U+FFFD, recording a
// defect when there was any.
func (p *paramParser) validUTF8(name, v string) string {
	if utf8.ValidString(v) {
		return v
	}
	p.defect(DefectInvalidParameterEncoding, name, ": invalid UTF-8")
	return strings.ToValidUTF8(v, "\uFFFD")
}
