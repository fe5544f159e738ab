package mime

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalidMediaType is matched (with errors.Is) by the error that
// ParseContentType and ParseMediaType return when the type itself is
// unusable.
var ErrInvalidMediaType = errors.New("mime: invalid media type")

// DefaultMediaType is the type RFC 2045 5.2 assumes for a message without a
// Content-Type field, and recommends for one whose field is syntactically
// invalid.
const DefaultMediaType = "text/plain"

// A MediaType is a parsed Content-Type (RFC 2045 5.1) or Content-Disposition
// (RFC 2183) field value.
//
// Type is "type/subtype" for a Content-Type and the disposition type
// ("inline", "attachment" or an extension token) for a Content-Disposition,
// in lower case either way. Params maps parameter names, in lower case, to
// their values: unquoted, RFC 2231 continuations joined and charsets decoded,
// always valid UTF-8. Params is nil when there are no parameters; reading a
// nil map is safe, writing to it is not. Defects lists what was wrong with
// the field and recovered from; it is nil for a well-formed field.
type MediaType struct {
	Type    string
	Params  map[string]string
	Defects []Defect
}

// ParseContentType parses a Content-Type field value (RFC 2045 5.1) such as
// `text/plain; charset="utf-8"`. The value may still be folded: line breaks
// count as white space. Comments are skipped wherever RFC 2045 allows CFWS.
//
// Parameter names are lower-cased; values are unquoted. RFC 2231
// continuations (name*0, name*1*, ...) are joined in numeric order whatever
// order they come in, gaps tolerated, and extended values
// (charset'language'%XX) are decoded to UTF-8; the language is dropped. When
// a plain parameter and an RFC 2231 one have the same name, the RFC 2231
// value is taken: it is what the sender meant, the plain one being a
// fallback for old readers (CPython's get_filename prefers the plain one).
// RFC 2047 encoded words in values, which RFC 2047 5. forbids but mailers
// send in name and filename, are decoded, except in boundary, where "=?" is
// legal text. Raw 8-bit UTF-8 is kept (RFC 6532); invalid UTF-8 becomes
// U+FFFD. Of duplicate parameters the first is kept, as CPython does.
//
// It is tolerant of what mailers send: empty parameters and a trailing ';',
// white space around '=', a missing ';' before a parameter, unquoted values
// with tspecials ('/', '@', '?', '=', spaces: such a value runs to the ';',
// less a trailing comment), a backslash in a quoted string before anything
// but a quote or a backslash (kept: Windows paths), unterminated quoted
// strings (they run to the end). Damage is recorded in Defects.
//
// It returns a non-nil error, matching ErrInvalidMediaType, only when the type
// is unusable: empty, or missing its type or its subtype (a bare "text"). The
// MediaType returned with the error has Type set to DefaultMediaType, as RFC
// 2045 5.2 recommends, and the parameters that could be read; so a caller
// that does not care why may ignore the error. Lesser damage, such as junk
// after the subtype ("text/plain>" is text/plain), is only recorded in
// Defects.
func ParseContentType(v string) (MediaType, error) {
	p := paramParser{s: v}
	typ, start := p.leadingToken()
	var mt string
	if typ != "" {
		p.skipCFWS()
		if p.i < len(p.s) && p.s[p.i] == '/' {
			p.i++
			p.skipCFWS()
			if sub := p.token(); sub != "" {
				mt = joinType(v[start:p.i], typ, sub)
				p.afterValue(DefectInvalidMediaType)
			}
		}
		if mt == "" {
			p.skipTo(';')
		}
	}
	var err error
	if mt == "" {
		err = fmt.Errorf("%w %q", ErrInvalidMediaType, defectDetail(v))
		p.defect(DefectInvalidMediaType, v)
		mt = DefaultMediaType
	}
	p.parseParams()
	return MediaType{Type: mt, Params: p.params, Defects: p.defects}, err
}

// ParseMediaType parses a Content-Type field value (RFC 2045 5.1) and returns
// the media type in lower case ("text/plain") and its parameters. It is
// ParseContentType without the defects: on error the media type is
// DefaultMediaType and params holds what could be read. params is nil when
// there are no parameters.
func ParseMediaType(v string) (mediatype string, params map[string]string, err error) {
	m, err := ParseContentType(v)
	return m.Type, m.Params, err
}

// FormatMediaType returns the Content-Type field value for the media type t
// ("type/subtype") and params, or "" when t is not two RFC 2045 tokens
// around a '/' or a parameter name is not a token, contains '*' (which RFC
// 2231 reserves) or differs from another only in case.
//
// Type and names are written in lower case, parameters sorted by name so
// that the output is deterministic, each after "; ", where a header writer
// may fold. A value is written as a token when it is one, else as a quoted
// string. A value with non-ASCII or control characters, or with "=?" that a
// reader would take for an RFC 2047 encoded word, is written in RFC 2231
// extended form (UTF-8, no language), never as an encoded word:
//
//	filename*=utf-8''%E2%82%AC.txt
//
// A parameter that would not fit a 78-character line of its own is split
// into RFC 2231 continuations (name*0=...; name*1=... or name*0*=...) that
// do, sections ending at character boundaries. A boundary is never split:
// it is used literally, and many readers would not join it.
//
// The result is 7-bit ASCII without control characters, and
// ParseContentType of it gives back the lower-cased t and params (values
// that are not valid UTF-8 come back with U+FFFD).
func FormatMediaType(t string, params map[string]string) string {
	if !isMediaType(t) {
		return ""
	}
	out, _ := formatParams(t, params, nil)
	return out
}

// FormatMediaTypeCharset is FormatMediaType with the RFC 2231 extended
// values in charset instead of UTF-8, for receivers that do not read UTF-8:
//
//	filename*=iso-8859-1''r%E9sum%E9.pdf
//
// The charset name is written as given; "" and the names of UTF-8 mean
// UTF-8. Only the values FormatMediaType would write in extended form are
// converted; ASCII values are written as they are. A long value is split
// into continuations at character boundaries; in ISO-2022-JP each section
// is self-contained, starting and ending in ASCII, though RFC 2231 3. and
// 4.1 join the sections' octets before decoding them, so that readers that
// decode each section on their own get it right too.
//
// It returns an error matching ErrInvalidMediaType when t is not
// "type/subtype", an error when a parameter name is invalid (see
// FormatMediaType), an error matching ErrUnrepresentable when a value has
// a character the charset cannot represent exactly, an
// *UnknownCharsetError for an unknown charset and an error matching
// ErrCharsetNotWritable for a charset that mail cannot be written in.
func FormatMediaTypeCharset(t string, params map[string]string, charset string) (string, error) {
	cs, err := writableCharset(charset)
	if err != nil {
		return "", err
	}
	if !isMediaType(t) {
		return "", fmt.Errorf("%w %q", ErrInvalidMediaType, defectDetail(t))
	}
	return formatParams(t, params, cs)
}

// isMediaType reports whether t is two RFC 2045 tokens around a '/'.
func isMediaType(t string) bool {
	slash := strings.IndexByte(t, '/')
	return slash >= 0 && isToken(t[:slash]) && isToken(t[slash+1:])
}

// joinType returns the lower-cased "type/subtype" whose source text (with
// any CFWS around the slash) is raw. The common case, nothing around the
// slash, reuses raw without allocating when it is already in lower case.
func joinType(raw, typ, sub string) string {
	if len(raw) == len(typ)+1+len(sub) {
		return strings.ToLower(raw)
	}
	return strings.ToLower(typ) + "/" + strings.ToLower(sub)
}

// formatParams returns t in lower case followed by its parameters as
// FormatMediaType describes, with extended values in cs (nil: UTF-8). It
// fails when a parameter name is invalid or a value has a character cs
// lacks.
func formatParams(t string, params map[string]string, cs *textCharset) (string, error) {
	type param struct{ name, value string }
	list := make([]param, 0, len(params))
	size := len(t)
	for k, v := range params {
		if !isToken(k) || strings.IndexByte(k, '*') >= 0 {
			return "", fmt.Errorf("mime: invalid parameter name %q", defectDetail(k))
		}
		list = append(list, param{strings.ToLower(k), v})
		size += len(k) + len(v) + 6
	}
	slices.SortFunc(list, func(a, b param) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(list); i++ {
		if list[i].name == list[i-1].name {
			return "", fmt.Errorf("mime: parameter %q given twice", list[i].name)
		}
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(strings.ToLower(t))
	for _, p := range list {
		b.WriteString("; ")
		if err := writeParam(&b, p.name, p.value, cs); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// writeParam writes one `name=value` as formatParams describes.
func writeParam(b *strings.Builder, name, value string, cs *textCharset) error {
	prefix := extendedPrefix
	if cs != nil {
		prefix = cs.name + "''"
	}
	// Sections are worth it when each can carry a dozen characters, the
	// longest escape of one (4 bytes, %XX each).
	split := name != "boundary" &&
		len(name)+len("*99*=")+len(prefix)+12 <= maxParamLine
	if needsExtended(name, value) {
		return writeExtended(b, name, value, prefix, split, cs)
	}
	n := len(value)
	quote := !isToken(value)
	if quote {
		n += 2 + strings.Count(value, `"`) + strings.Count(value, `\`)
	}
	if split && len(name)+1+n > maxParamLine {
		writeContinued(b, name, value, quote)
		return nil
	}
	b.WriteString(name)
	b.WriteByte('=')
	if !quote {
		b.WriteString(value)
		return nil
	}
	b.WriteByte('"')
	writeQuotedText(b, value)
	b.WriteByte('"')
	return nil
}

// needsExtended reports whether value must be written in RFC 2231 extended
// form: it has bytes a quoted string cannot carry in a 7-bit header (8-bit,
// controls, line breaks), or text a reader would decode as an RFC 2047
// encoded word.
func needsExtended(name, value string) bool {
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 || c >= 0x7f {
			return true
		}
	}
	return name != "boundary" && strings.Contains(value, "=?")
}

func writeQuotedText(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
}

// writeSection writes `name*N=` (or `name*N*=` when encoded) and returns its
// length.
func writeSection(b *strings.Builder, name string, n int, encoded bool) int {
	start := b.Len()
	b.WriteString(name)
	b.WriteByte('*')
	b.WriteString(strconv.Itoa(n))
	if encoded {
		b.WriteByte('*')
	}
	b.WriteByte('=')
	return b.Len() - start
}

// writeContinued writes a long ASCII value as RFC 2231 3. continuations,
// name*0=...; name*1=..., each at most maxParamLine long (or one character
// when the name leaves no room); quoted when the value is not a token.
func writeContinued(b *strings.Builder, name, value string, quote bool) {
	q := 0
	if quote {
		q = 2
	}
	section := 0
	line := writeSection(b, name, section, false) + q
	if quote {
		b.WriteByte('"')
	}
	empty := true
	for i := 0; i < len(value); i++ {
		c := value[i]
		n := 1
		if c == '"' || c == '\\' {
			n = 2
		}
		if line+n > maxParamLine && !empty {
			if quote {
				b.WriteByte('"')
			}
			b.WriteString("; ")
			section++
			line = writeSection(b, name, section, false) + q
			if quote {
				b.WriteByte('"')
			}
		}
		if n == 2 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
		line += n
		empty = false
	}
	if quote {
		b.WriteByte('"')
	}
}

// extendedPrefix is the charset'language' prefix formatParams writes for
// UTF-8: no language.
const extendedPrefix = "utf-8''"

// writeExtended writes value in RFC 2231 4. extended form in cs (nil:
// UTF-8) after prefix, its charset'language', split into continuations (RFC
// 2231 4.1) when split is set and it is too long. Sections end at character
// boundaries, so that a reader that decodes each section on its own
// (wrongly, but some do) still gets whole characters; for ISO-2022-JP each
// section is converted on its own (see nextChunk).
func writeExtended(b *strings.Builder, name, value, prefix string, split bool, cs *textCharset) error {
	var whole []byte
	if cs != nil {
		value = validText(value)
		var err error
		if whole, err = cs.appendExact(nil, value, 0); err != nil {
			return fmt.Errorf("mime: parameter %s: %w", name, err)
		}
	}
	var total int
	if cs == nil {
		total = len(prefix) + percentLen(value)
	} else {
		total = len(prefix) + percentLen(whole)
	}
	if !split || len(name)+2+total <= maxParamLine {
		b.WriteString(name)
		b.WriteString("*=")
		b.WriteString(prefix)
		if cs == nil {
			writePercentEncoded(b, value)
		} else {
			writePercentEncoded(b, whole)
		}
		return nil
	}
	line := writeSection(b, name, 0, true) + len(prefix)
	b.WriteString(prefix)
	oct := whole[:0]
	for section := 0; len(value) > 0; section++ {
		if section > 0 {
			b.WriteString("; ")
			line = writeSection(b, name, section, true)
		}
		var n int
		if cs == nil {
			n = utf8Chunk(value, costPercent, maxParamLine-line, true)
			writePercentEncoded(b, value[:n])
		} else {
			oct, n = cs.nextChunk(oct[:0], value, costPercent, maxParamLine-line, true)
			writePercentEncoded(b, oct)
		}
		value = value[n:]
	}
	return nil
}

// percentWeight is the length of c in an RFC 2231 extended value.
func percentWeight(c byte) int {
	if attrChar(c) {
		return 1
	}
	return 3
}

// percentLen is the length of b in an RFC 2231 extended value.
func percentLen[T string | []byte](b T) int {
	n := 0
	for i := 0; i < len(b); i++ {
		n += percentWeight(b[i])
	}
	return n
}

// attrChar reports whether c may stand for itself in an RFC 2231 extended
// value: an attribute-char (RFC 2231 7.), a token character other than '*',
// the single quote and '%'.
func attrChar(c byte) bool {
	return tokenChars[c] && c != '*' && c != '\'' && c != '%'
}

func writePercentEncoded[T string | []byte](b *strings.Builder, s T) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if attrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}
