package mime

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
)

// maxEncodedWord is the longest encoded word RFC 2047 2. allows.
const maxEncodedWord = 75

// maxWordCharset bounds the charset (and language) part of an encoded word
// the decoder accepts; real ones are under 30 characters.
const maxWordCharset = 75

// DecodeHeader decodes the RFC 2047 encoded words in an unstructured header
// value (or an unquoted display name) and returns the text. The value should
// already be unfolded.
//
// It is tolerant of what mailers produce:
//
//   - White space between adjacent encoded words is dropped (RFC 2047 6.2),
//     and the octets of adjacent words in the same charset are decoded
//     together, so a multibyte character split between two words survives.
//   - An encoded word is decoded even where it touches other text, as in
//     "Re:=?utf-8?q?x?=", as CPython and Thunderbird do.
//   - The charset may carry an RFC 2231 5. language tag ("utf-8*en"), which
//     is ignored; encoding letters may be lower case; Q text may contain
//     spaces, "?" and stray "="; B text may lack padding or have stray
//     characters, which are skipped.
//   - Raw 8-bit bytes outside encoded words are read as UTF-8 (RFC 6532).
//
// The result is always valid UTF-8: invalid sequences become U+FFFD. An
// encoded word in an unknown charset is kept as it is, and the first such
// word's *UnknownCharsetError is returned alongside the text. Work is linear
// in len(s).
func DecodeHeader(s string) (string, error) {
	if !strings.Contains(s, "=?") {
		if utf8.ValidString(s) {
			return s, nil
		}
		var sb strings.Builder
		sb.Grow(len(s) + 8)
		appendValidUTF8(&sb, s)
		return sb.String(), nil
	}

	var d wordDecoder
	d.buf = make([]byte, 0, len(s)) // decoded octets are never more than s
	d.sb.Grow(len(s))
	sc := wordScanner{s: s, endFrom: len(s) + 1, eqFrom: len(s) + 1}
	var err error
	text := 0          // start of s not yet written
	afterWord := false // s[text:] follows a decoded encoded word
	for j := 0; ; {
		k := strings.Index(s[j:], "=?")
		if k < 0 {
			break
		}
		k += j
		w, end, ok := sc.parse(k)
		if !ok {
			j = k + 1
			continue
		}
		between := s[text:k]
		enc, known := lookupCharset(w.charset)
		switch {
		case !known:
			// A word in an unknown charset is kept as it is, unless its
			// octets are ASCII, which every charset mailers use agrees on.
			d.flush()
			appendValidUTF8(&d.sb, between)
			if dec := w.appendDecoded(nil); isASCII(dec) {
				d.sb.Write(dec)
			} else {
				appendValidUTF8(&d.sb, s[k:end])
			}
			if err == nil {
				err = &UnknownCharsetError{Charset: w.charset}
			}
			afterWord = false
		case afterWord && isLWSP(between):
			// RFC 2047 6.2: the white space between two encoded words
			// is not displayed.
			if enc != d.enc {
				d.flush()
			}
			d.enc = enc
			d.buf = w.appendDecoded(d.buf)
			afterWord = true
		default:
			d.flush()
			appendValidUTF8(&d.sb, between)
			d.enc = enc
			d.buf = w.appendDecoded(d.buf)
			afterWord = true
		}
		text, j = end, end
	}
	d.flush()
	appendValidUTF8(&d.sb, s[text:])
	return d.sb.String(), err
}

// wordDecoder holds DecodeHeader's output and the octets of a run of
// adjacent encoded words in one charset, which are converted together.
type wordDecoder struct {
	sb  strings.Builder
	buf []byte
	enc encoding.Encoding
}

// flush converts and writes the pending octets.
func (d *wordDecoder) flush() {
	if d.enc != nil {
		appendDecoded(&d.sb, d.enc, d.buf)
	}
	d.buf, d.enc = d.buf[:0], nil
}

// isLWSP reports whether s is nothing but linear white space.
func isLWSP(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// An encodedWord is the parts of one RFC 2047 encoded word.
type encodedWord struct {
	charset string // without any RFC 2231 language tag
	b       bool   // B encoding, else Q
	text    string // encoded-text
}

// wordScanner finds encoded words in s. It remembers its searches for the
// "?=" that ends an encoded word and for a "=?" inside one, so that
// scanning a string full of "=?" stays linear.
type wordScanner struct {
	s              string
	endFrom, endAt int // the first "?=" at or after endFrom is at endAt (-1: none)
	eqFrom, eqAt   int // the same for "=?"
}

// index returns the first pat in sc.s at or after from, using and updating
// the remembered search in cFrom, cAt.
func (sc *wordScanner) index(from int, pat string, cFrom, cAt *int) int {
	if from < *cFrom || (*cAt >= 0 && from > *cAt) {
		*cFrom = from
		*cAt = strings.Index(sc.s[from:], pat)
		if *cAt >= 0 {
			*cAt += from
		}
	}
	return *cAt
}

// parse reads the encoded word that starts at s[k:] ("=?"), returning it and
// the index after it. RFC 2047 2.:
//
//	encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
//
// The encoded text runs to the first "?=" and may not contain "=?" (which
// no correct Q or B text has); unlike RFC 2047, it may contain white space
// and "?".
func (sc *wordScanner) parse(k int) (w encodedWord, end int, ok bool) {
	s := sc.s
	p := k + 2
	q := p
	for ; q < len(s) && s[q] != '?'; q++ {
		if c := s[q]; c <= ' ' || c >= 0x7f || q-p >= maxWordCharset {
			return w, 0, false
		}
	}
	if q+2 >= len(s) || s[q+2] != '?' {
		return w, 0, false
	}
	switch s[q+1] {
	case 'B', 'b':
		w.b = true
	case 'Q', 'q':
	default:
		return w, 0, false
	}
	w.charset = s[p:q]
	// RFC 2231 5.: charset "*" language.
	if star := strings.IndexByte(w.charset, '*'); star >= 0 {
		w.charset = w.charset[:star]
	}
	if w.charset == "" {
		return w, 0, false
	}
	ts := q + 3
	e := sc.index(ts, "?=", &sc.endFrom, &sc.endAt)
	if e < 0 {
		return w, 0, false
	}
	if eq := sc.index(ts, "=?", &sc.eqFrom, &sc.eqAt); eq >= 0 && eq+2 <= e {
		return w, 0, false
	}
	w.text = s[ts:e]
	return w, e + 2, true
}

// appendDecoded appends the octets of the word's encoded text to b.
func (w *encodedWord) appendDecoded(b []byte) []byte {
	if w.b {
		return appendBase64(b, w.text)
	}
	return appendQ(b, w.text)
}

// appendQ appends the octets of Q-encoded text (RFC 2047 4.2) to b. An "="
// not followed by two hex digits stands for itself; CR and LF (folding
// left inside a word) are dropped.
func appendQ(b []byte, t string) []byte {
	for i := 0; i < len(t); i++ {
		switch c := t[i]; c {
		case '_':
			b = append(b, ' ')
		case '=':
			if i+2 < len(t) {
				hi, ok1 := unhex(t[i+1])
				lo, ok2 := unhex(t[i+2])
				if ok1 && ok2 {
					b = append(b, hi<<4|lo)
					i += 2
					continue
				}
			}
			b = append(b, c)
		case '\r', '\n':
		default:
			b = append(b, c)
		}
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendBase64 appends the octets of B-encoded text (RFC 2047 4.1) to b.
// Characters outside the base64 alphabet are skipped; "=" ends a quantum,
// so missing padding and words glued together both decode; leftover bits
// are dropped.
func appendBase64(b []byte, t string) []byte {
	var acc uint32
	n := uint(0)
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '=' {
			acc, n = 0, 0
			continue
		}
		v := base64Value(c)
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		n += 6
		if n >= 8 {
			n -= 8
			b = append(b, byte(acc>>n))
			acc &= 1<<n - 1
		}
	}
	return b
}

// maxPlainWord is the longest run of printable ASCII without white space
// that EncodeHeader leaves as it is: with the space before it, it fits the
// 78-character line of RFC 5322 2.1.1. Longer runs are encoded so that the
// field can be folded.
const maxPlainWord = 77

// EncodeHeader encodes s for an unstructured header field such as Subject,
// using RFC 2047 encoded words in UTF-8.
//
// It returns s unchanged when s is printable ASCII (with spaces and tabs)
// that contains no "=?" and no word longer than 77 characters. Otherwise it
// encodes only the words that need it: non-ASCII or control characters,
// "=?", or too long to fold. Adjacent such words are encoded together with
// the white space between them; each run is written in Q or B encoding,
// whichever is shorter, as encoded words of at most 75 characters (RFC 2047
// 2.) split at character boundaries and separated by single spaces. Other
// words and the white space around them are kept as they are.
//
// Nothing is normalised: for valid UTF-8 s, DecodeHeader(EncodeHeader(s))
// is s, and stays s when the result is folded at its spaces and unfolded
// again. Invalid UTF-8 is encoded as U+FFFD.
func EncodeHeader(s string) string {
	out, _ := encodeWords(s, false, nil)
	return out
}

// EncodePhrase encodes s, a display name, for a phrase in a structured
// field such as From (RFC 2047 5.(3)). It returns s unchanged when s is
// printable ASCII (with spaces and tabs) and contains no "=?"; the caller
// quotes such a name as it needs. Otherwise the result is a sequence of
// RFC 5322 atoms and encoded words, to be written as it is, unquoted: words
// that are not all atext are encoded too, and Q encoding keeps to the
// restricted characters that section allows.
func EncodePhrase(s string) string {
	if isPlainASCII(s) && !strings.Contains(s, "=?") {
		return s
	}
	out, _ := encodeWords(s, true, nil)
	return out
}

// EncodeHeaderCharset is EncodeHeader with the encoded words in charset
// (=?ISO-2022-JP?B?...?=), for receivers that do not read UTF-8. The
// charset name is written as given. "" and the names of UTF-8 mean
// EncodeHeader.
//
// Each encoded word holds whole characters and is at most 75 characters
// long (RFC 2047 2., 5.). In ISO-2022-JP every word is self-contained: it
// starts in ASCII and switches back to ASCII (ESC ( B) at its end (RFC
// 1468). Words are written in B encoding for the multibyte charsets
// (Japanese, Chinese, Korean), else in Q or B, whichever is shorter.
//
// It returns an error matching ErrUnrepresentable when s has a character
// the charset cannot represent exactly (nothing is replaced by a look-alike;
// invalid UTF-8 counts as U+FFFD), an *UnknownCharsetError for an unknown
// charset, and an error matching ErrCharsetNotWritable for a charset that
// mail cannot be written in (UTF-16, ...). Without an error,
// DecodeHeader of the result is s.
func EncodeHeaderCharset(s, charset string) (string, error) {
	cs, err := writableCharset(charset)
	if err != nil {
		return "", err
	}
	return encodeWords(s, false, cs)
}

// EncodePhraseCharset is EncodePhrase with the encoded words in charset,
// written as EncodeHeaderCharset writes them, with the same errors.
func EncodePhraseCharset(s, charset string) (string, error) {
	cs, err := writableCharset(charset)
	if err != nil {
		return "", err
	}
	if isPlainASCII(s) && !strings.Contains(s, "=?") {
		return s, nil
	}
	return encodeWords(s, true, cs)
}

// isPlainASCII reports whether s is printable ASCII, spaces and tabs.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// needsEncoding reports whether a word (no spaces or tabs) must be encoded.
func needsEncoding(w string, phrase bool) bool {
	if len(w) > maxPlainWord || strings.Contains(w, "=?") {
		return true
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c <= ' ' || c >= 0x7f || phrase && !isAtext(c) {
			return true
		}
	}
	return false
}

// isAtext reports whether c is an RFC 5322 3.2.3 atext character.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// encodeWords implements EncodeHeader and EncodePhrase (cs nil: UTF-8) and
// their Charset forms. It fails only for a character cs lacks.
func encodeWords(s string, phrase bool, cs *textCharset) (string, error) {
	isWSP := func(c byte) bool { return c == ' ' || c == '\t' }
	// The words that need encoding, first; nil means s is fine as it is.
	need := false
	for i := 0; i < len(s); {
		for i < len(s) && isWSP(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isWSP(s[j]) {
			j++
		}
		if j > i && needsEncoding(s[i:j], phrase) {
			need = true
			break
		}
		i = j
	}
	if !need {
		return s, nil
	}
	if cs != nil {
		// So that error offsets are offsets in what is encoded.
		s = validText(s)
	}

	// In a phrase, white space before the first word and after the last
	// is not kept by readers (RFC 5322 3.2.5): it goes inside the encoded
	// text with its word.
	lead, trail := 0, len(s)
	for lead < len(s) && isWSP(s[lead]) {
		lead++
	}
	for trail > lead && isWSP(s[trail-1]) {
		trail--
	}
	var sb strings.Builder
	sb.Grow(len(s) * 3)
	run, runEnd := -1, -1 // the words being gathered for encoding
	for i := 0; i < len(s); {
		ws := i
		for i < len(s) && isWSP(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isWSP(s[j]) {
			j++
		}
		edge := phrase && ((ws == 0 && lead > 0) || (j == trail && trail < len(s)))
		if j > i && (needsEncoding(s[i:j], phrase) || phrase && oddSpaceAround(s, ws, i, j) || edge) {
			if run < 0 {
				if phrase && ws == 0 {
					run = 0
				} else {
					sb.WriteString(s[ws:i])
					run = i
				}
			}
			runEnd = j
			if phrase && j == trail {
				runEnd = len(s)
				break
			}
			i = j
			continue
		}
		if run >= 0 {
			if err := writeEncodedRun(&sb, s[run:runEnd], phrase, cs, run); err != nil {
				return "", err
			}
			run = -1
		}
		sb.WriteString(s[ws:j]) // a plain word, or trailing white space
		i = j
	}
	if run >= 0 {
		if err := writeEncodedRun(&sb, s[run:runEnd], phrase, cs, run); err != nil {
			return "", err
		}
	}
	return sb.String(), nil
}

// oddSpaceAround reports whether the word s[i:j], after the white space
// s[ws:i], has white space other than a single space between it and a
// neighbouring word. In a phrase a reader keeps no such white space between
// atoms and encoded words (RFC 5322 3.2.5, RFC 2047 6.2), so the word is
// encoded with it, inside the encoded text.
func oddSpaceAround(s string, ws, i, j int) bool {
	if ws > 0 && s[ws:i] != " " {
		return true
	}
	k := j
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	return k < len(s) && s[j:k] != " "
}

// qSafe reports whether the Q encoding writes c as itself: RFC 2047 4.2.(3)
// in unstructured text, and the restricted set of 5.(3) in a phrase.
func qSafe(c byte, phrase bool) bool {
	if phrase {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			return true
		}
		return c == '!' || c == '*' || c == '+' || c == '-' || c == '/'
	}
	return c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_'
}

// qLen is the length of c in Q encoding.
func qLen(c byte, phrase bool) int {
	if c == ' ' || qSafe(c, phrase) {
		return 1
	}
	return 3
}

// qTotal is the length of b in Q encoding.
func qTotal[T string | []byte](b T, phrase bool) int {
	n := 0
	for i := 0; i < len(b); i++ {
		n += qLen(b[i], phrase)
	}
	return n
}

// The start of the UTF-8 encoded words EncodeHeader writes.
const (
	wordPrefixB = "=?UTF-8?B?"
	wordPrefixQ = "=?UTF-8?Q?"
)

// writeEncodedRun writes t as encoded words in cs (nil: UTF-8) separated by
// single spaces: in B for a multibyte cs, else in Q or B, whichever is
// shorter for the whole of t. Each word is at most maxEncodedWord long and
// holds whole characters; for a stateful cs, octets that decode on their
// own (see nextChunk). base is t's offset in the caller's text, for errors.
func writeEncodedRun(sb *strings.Builder, t string, phrase bool, cs *textCharset, base int) error {
	var useB bool
	if cs == nil {
		t = validText(t)
		useB = (len(t)+2)/3*4 < qTotal(t, phrase)
	} else {
		// The whole run is converted once, to check it and to choose.
		whole, err := cs.appendExact(nil, t, base)
		if err != nil {
			return err
		}
		useB = cs.cjk || (len(whole)+2)/3*4 < qTotal(whole, phrase)
	}
	name := cs.label()
	// The encoded text that fits one encoded word: "=?" name "?Q?" text "?=".
	maxText := maxEncodedWord - len(name) - len("=??Q??=")
	k := costB
	switch {
	case useB:
	case phrase:
		k = costQPhrase
	default:
		k = costQ
	}
	prefix := wordPrefixQ
	if useB {
		prefix = wordPrefixB
	}
	var oct []byte
	if cs != nil {
		oct = make([]byte, 0, maxEncodedWord)
		prefix = "=?" + name + prefix[len(wordPrefixQ)-3:]
	}
	for first := true; len(t) > 0; first = false {
		// Take whole characters while they fit; one always fits (see
		// maxWritableName), which UTF-8 takes for granted.
		var n int
		if cs == nil {
			n = utf8Chunk(t, k, maxText, true)
		} else if oct, n = cs.nextChunk(oct[:0], t, k, maxText, false); n == 0 {
			return fmt.Errorf("%w: %s: a character does not fit an encoded word", ErrCharsetNotWritable, name)
		}
		if !first {
			sb.WriteByte(' ')
		}
		sb.WriteString(prefix)
		if cs == nil {
			writeWordText(sb, t[:n], useB, phrase)
		} else {
			writeWordText(sb, oct, useB, phrase)
		}
		sb.WriteString("?=")
		t = t[n:]
	}
	return nil
}

// writeWordText writes octets b as the encoded text of a word in B or Q.
func writeWordText[T string | []byte](sb *strings.Builder, b T, useB, phrase bool) {
	if useB {
		writeBase64(sb, b)
		return
	}
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == ' ':
			sb.WriteByte('_')
		case qSafe(c, phrase):
			sb.WriteByte(c)
		default:
			sb.WriteByte('=')
			sb.WriteByte(hexDigits[c>>4])
			sb.WriteByte(hexDigits[c&15])
		}
	}
}

// writeBase64 writes b in standard padded base64 (RFC 2045 6.8).
func writeBase64[T string | []byte](sb *strings.Builder, b T) {
	for len(b) >= 3 {
		v := uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
		sb.WriteByte(base64Alphabet[v>>18&63])
		sb.WriteByte(base64Alphabet[v>>12&63])
		sb.WriteByte(base64Alphabet[v>>6&63])
		sb.WriteByte(base64Alphabet[v&63])
		b = b[3:]
	}
	switch len(b) {
	case 1:
		v := uint32(b[0]) << 16
		sb.WriteByte(base64Alphabet[v>>18&63])
		sb.WriteByte(base64Alphabet[v>>12&63])
		sb.WriteString("==")
	case 2:
		v := uint32(b[0])<<16 | uint32(b[1])<<8
		sb.WriteByte(base64Alphabet[v>>18&63])
		sb.WriteByte(base64Alphabet[v>>12&63])
		sb.WriteByte(base64Alphabet[v>>6&63])
		sb.WriteByte('=')
	}
}
