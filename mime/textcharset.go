package mime

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// ErrCharsetNotWritable is matched (with errors.Is) by the error of the
// functions that write text in a given charset (EncodeHeaderCharset,
// FormatMediaTypeCharset, ...) when the charset is known but mail text
// cannot be written in it: it does not write ASCII as ASCII (UTF-16, UTF-32,
// UTF-7, HZ, EBCDIC), or its name holds characters that an encoded word
// (RFC 2047 2.) or an RFC 2231 value cannot carry, or is too long for an
// encoded word.
var ErrCharsetNotWritable = errors.New("mime: charset cannot be used to write mail text")

// maxWritableName is the longest charset name an encoded word can carry
// with room for one character of ISO-2022-JP in B encoding (8 octets: two
// escape sequences and the character), the most any charset needs:
// "=?" name "?B?" 12 characters "?=" in 75.
const maxWritableName = maxEncodedWord - len("=??B??=") - 12

// A textCharset is a charset other than UTF-8 that mail text is written
// in. It keeps an encoder and a scratch buffer for reuse, so it is not safe
// for concurrent use.
type textCharset struct {
	name     string // as written in encoded words and RFC 2231 values
	enc      encoding.Encoding
	encoder  *encoding.Encoder // for enc, made when first needed
	stateful bool              // ISO-2022-JP: a chunk is encoded on its own
	cjk      bool              // a multibyte charset, for which encoded words use B
	scratch  []byte
}

// writableCharset returns the textCharset for name, or nil for UTF-8 (any
// of its names) and for "". It returns an *UnknownCharsetError for an
// unknown name and an error matching ErrCharsetNotWritable for a charset
// that mail text cannot be written in.
func writableCharset(name string) (*textCharset, error) {
	if name == "" {
		return nil, nil
	}
	enc, err := CharsetEncoding(name)
	if err != nil {
		return nil, err
	}
	if enc == unicode.UTF8 {
		return nil, nil
	}
	// ISO-2022-JP is the one stateful charset allowed: each chunk written
	// starts and ends in ASCII (RFC 1468), which x/text's encoder ensures
	// at the end of its input. HZ's encoder does not return to ASCII.
	if !asciiCompatible(enc) && enc != japanese.ISO2022JP {
		return nil, fmt.Errorf("%w: %s does not write ASCII as ASCII", ErrCharsetNotWritable, name)
	}
	if len(name) > maxWritableName {
		return nil, fmt.Errorf("%w: name %q is too long for an encoded word", ErrCharsetNotWritable, name)
	}
	for i := 0; i < len(name); i++ {
		if !charsetNameChar(name[i]) {
			return nil, fmt.Errorf("%w: name %q cannot be written in an encoded word or parameter", ErrCharsetNotWritable, name)
		}
	}
	cs := &textCharset{name: name, enc: enc, stateful: enc == japanese.ISO2022JP}
	switch enc.(type) {
	case *charmap.Charmap, asciiEncoding:
	default:
		cs.cjk = true
	}
	return cs, nil
}

// charsetNameChar reports whether c may appear in a charset name written in
// an encoded word, where the name is an RFC 2047 2. token (no especials),
// and at the start of an RFC 2231 7. extended value (attribute-char).
func charsetNameChar(c byte) bool {
	return tokenChars[c] && c != '*' && c != '\'' && c != '%' && c != '.'
}

// appendRaw appends s converted to cs to dst. It does not check that the
// result decodes back to s; see appendExact.
func (cs *textCharset) appendRaw(dst []byte, s string) ([]byte, int) {
	return appendCharset(dst, cs.enc, &cs.encoder, &cs.scratch, s)
}

// appendExact appends s, valid UTF-8, converted to cs to dst, or returns
// an error matching ErrUnrepresentable that gives the offending
// character's index in s plus base.
func (cs *textCharset) appendExact(dst []byte, s string, base int) ([]byte, error) {
	dst, bad := appendCharsetExact(dst, cs.enc, &cs.encoder, &cs.scratch, s)
	if bad >= 0 {
		return dst, unrepresentable(s, bad, base, cs.name)
	}
	return dst, nil
}

// appendCharset appends s, valid UTF-8, converted to enc to dst. *e is an
// encoder for enc, made when needed; *scratch is a buffer for its input. It
// returns the index in s of the first character enc cannot represent, or
// -1. On failure dst is returned unchanged.
func appendCharset(dst []byte, enc encoding.Encoding, e **encoding.Encoder, scratch *[]byte, s string) ([]byte, int) {
	switch m := enc.(type) {
	case *charmap.Charmap:
		start := len(dst)
		for i, r := range s {
			c, ok := m.EncodeRune(r)
			if !ok {
				return dst[:start], i
			}
			dst = append(dst, c)
		}
		return dst, -1
	case asciiEncoding:
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return dst, i
			}
		}
		return append(dst, s...), -1
	}
	if enc == unicode.UTF8 {
		return append(dst, s...), -1
	}
	if enc == japanese.ISO2022JP {
		if i := iso2022JPExcluded(s); i >= 0 {
			return dst, i
		}
	}
	if *e == nil {
		*e = enc.NewEncoder()
	}
	*scratch = append((*scratch)[:0], s...)
	start := len(dst)
	dst = slices.Grow(dst, len(s)+8)
	out, n, err := transform.Append(*e, dst, *scratch)
	if err != nil {
		n = min(n, len(s))
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		if n == len(s) && n > 0 {
			_, size := utf8.DecodeLastRuneInString(s)
			n -= size
		}
		return dst[:start], n
	}
	return out, -1
}

// appendCharsetExact is appendCharset that also fails, with the index of
// the first character that differs, when the result does not decode back
// to s: some encoders map characters they lack to look-alikes.
func appendCharsetExact(dst []byte, enc encoding.Encoding, e **encoding.Encoder, scratch *[]byte, s string) ([]byte, int) {
	start := len(dst)
	dst, bad := appendCharset(dst, enc, e, scratch, s)
	if bad >= 0 || enc == unicode.UTF8 || enc == usASCII {
		return dst, bad
	}
	if back := decodeWith(enc, dst[start:]); back != s {
		return dst[:start], firstMismatch(s, back)
	}
	return dst, -1
}

// iso2022JPExcluded returns the index of the first character in s that
// ISO-2022-JP as RFC 1468 defines it cannot carry although x/text's encoder
// writes it: half-width katakana (JIS X 0201 katakana, ESC ( I, which RFC
// 1468 leaves out) and ESC, SO and SI, which would be read as escape and
// shift codes. It returns -1 when there is none.
func iso2022JPExcluded(s string) int {
	for i, r := range s {
		if r == 0x1b || r == 0x0e || r == 0x0f || 0xff61 <= r && r <= 0xff9f {
			return i
		}
	}
	return -1
}

// firstMismatch returns the index in s of the first character that
// differs from t, or of s's last character when s is a prefix of t.
func firstMismatch(s, t string) int {
	i := 0
	for i < len(s) && i < len(t) {
		r1, n1 := utf8.DecodeRuneInString(s[i:])
		r2, n2 := utf8.DecodeRuneInString(t[i:])
		if r1 != r2 || n1 != n2 {
			return i
		}
		i += n1
	}
	if i >= len(s) {
		_, n := utf8.DecodeLastRuneInString(s)
		return max(len(s)-n, 0)
	}
	return i
}

// unrepresentable returns the error for the character at s[i:], at byte
// base+i of the caller's text, that charset cannot represent.
func unrepresentable(s string, i, base int, charset string) error {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return fmt.Errorf("%w: %U at byte %d in %s", ErrUnrepresentable, r, base+i, charset)
}

// A costKind says how octets are measured when they are cut into chunks:
// their length in B encoding, in Q encoding (unstructured text or a
// phrase), or percent-encoded in an RFC 2231 value.
type costKind uint8

const (
	costB costKind = iota
	costQ
	costQPhrase
	costPercent
)

// weight is the length of c in an additive encoding (not costB).
func (k costKind) weight(c byte) int {
	if k == costPercent {
		return percentWeight(c)
	}
	return qLen(c, k == costQPhrase)
}

// cost is the encoded length of octets b, given for the additive encodings
// as sum, the cost of b[:from], to which b[from:] is added.
func (k costKind) cost(b []byte, from, sum int) int {
	if k == costB {
		return (len(b) + 2) / 3 * 4
	}
	for _, c := range b[from:] {
		sum += k.weight(c)
	}
	return sum
}

// utf8Chunk returns the length of the longest prefix of t made of whole
// characters whose UTF-8 octets, t's own, cost at most budget in k; with
// atLeastOne it takes one character even when that costs more. An invalid
// byte counts as a character.
func utf8Chunk(t string, k costKind, budget int, atLeastOne bool) int {
	n, sum := 0, 0
	phrase := k == costQPhrase
	for n < len(t) {
		_, rl := utf8.DecodeRuneInString(t[n:])
		c := sum
		switch k {
		case costB:
			c = (n + rl + 2) / 3 * 4
		case costPercent:
			for i := n; i < n+rl; i++ {
				c += percentWeight(t[i])
			}
		default:
			for i := n; i < n+rl; i++ {
				c += qLen(t[i], phrase)
			}
		}
		if c > budget && (n > 0 || !atLeastOne) {
			break
		}
		sum = c
		n += rl
	}
	return n
}

// nextChunk is utf8Chunk for cs: it appends to dst the octets of the
// longest prefix of t that fits and returns them with the prefix's length.
//
// For a stateless charset a chunk's octets are its characters' octets, one
// after another. For ISO-2022-JP the candidate chunk is encoded on its own
// each time, so that it starts and ends in ASCII (RFC 1468; RFC 2047 5.
// wants every encoded word self-contained). Its cost never shrinks as the
// chunk grows, so the search stops at the first that does not fit; a chunk
// is at most budget octets, so the work per chunk is bounded.
func (cs *textCharset) nextChunk(dst []byte, t string, k costKind, budget int, atLeastOne bool) ([]byte, int) {
	start := len(dst)
	n := 0
	if cs.stateful {
		var best []byte
		for n < len(t) {
			_, rl := utf8.DecodeRuneInString(t[n:])
			cand, bad := cs.appendRaw(dst[:start], t[:n+rl])
			if bad >= 0 || k.cost(cand[start:], 0, 0) > budget && (n > 0 || !atLeastOne) {
				break
			}
			best = append(best[:0], cand[start:]...)
			n += rl
		}
		return append(dst[:start], best...), n
	}
	sum := 0
	for n < len(t) {
		_, rl := utf8.DecodeRuneInString(t[n:])
		mark := len(dst)
		var bad int
		if dst, bad = cs.appendRaw(dst, t[n:n+rl]); bad >= 0 {
			break
		}
		c := k.cost(dst[start:], mark-start, sum)
		if c > budget && (n > 0 || !atLeastOne) {
			dst = dst[:mark]
			break
		}
		sum = c
		n += rl
	}
	return dst, n
}

// label returns the charset name written in encoded words: cs's name, or
// "UTF-8" for nil.
func (cs *textCharset) label() string {
	if cs == nil {
		return "UTF-8"
	}
	return cs.name
}

// validText returns s with invalid UTF-8 replaced by U+FFFD.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
