package mime

import (
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// utf7Encoding is UTF-7 (RFC 2152), which golang.org/x/text lacks. It is
// the mail form, not the modified UTF-7 of IMAP mailbox names (RFC 3501
// 5.1.3).
//
// The decoder is tolerant: a base64 run may end at the end of the input
// without its "-", leftover bits at the end of a run are ignored, a lone
// "+" followed by a character outside the base64 alphabet stands for
// itself, and unpaired surrogates and 8-bit bytes become U+FFFD.
//
// The encoder writes the characters of RFC 2152 Set D, space, tab, CR and
// LF directly, "+" as "+-", and everything else in base64 runs that it
// always closes with "-".
type utf7Encoding struct{}

func (utf7Encoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &utf7Decoder{}}
}

func (utf7Encoding) NewEncoder() *encoding.Encoder {
	return &encoding.Encoder{Transformer: &utf7Encoder{}}
}

func (utf7Encoding) String() string { return "UTF-7" }

// base64Value returns the value of a base64 alphabet character, or -1.
func base64Value(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// utf7Direct reports whether the encoder writes r as itself: RFC 2152 Set D
// and the white space characters. The optional direct characters of Set O
// are encoded, since some of them are unsafe in mail headers.
func utf7Direct(r rune) bool {
	switch {
	case 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		return true
	}
	switch r {
	case '\'', '(', ')', ',', '-', '.', '/', ':', '?', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// utf7Decoder decodes UTF-7 to UTF-8.
type utf7Decoder struct {
	shifted bool   // inside a base64 run
	empty   bool   // no base64 character yet in this run
	bits    uint32 // undelivered bits, the low nbits of them
	nbits   uint
	high    uint16 // a high surrogate waiting for its pair, or 0
}

func (d *utf7Decoder) Reset() { *d = utf7Decoder{} }

// unit delivers one UTF-16 code unit and returns the bytes written to dst,
// which has room for 7.
func (d *utf7Decoder) unit(dst []byte, u uint16) int {
	n := 0
	if d.high != 0 {
		if utf16.IsSurrogate(rune(u)) && u >= 0xDC00 {
			r := utf16.DecodeRune(rune(d.high), rune(u))
			d.high = 0
			return utf8.EncodeRune(dst, r)
		}
		n = copy(dst, "\uFFFD")
		d.high = 0
	}
	switch {
	case 0xD800 <= u && u < 0xDC00:
		d.high = u
	case 0xDC00 <= u && u < 0xE000:
		n += copy(dst[n:], "\uFFFD")
	default:
		n += utf8.EncodeRune(dst[n:], rune(u))
	}
	return n
}

// end closes a base64 run and returns the bytes written to dst, which has
// room for 3.
func (d *utf7Decoder) end(dst []byte) int {
	n := 0
	if d.empty {
		dst[0] = '+'
		n = 1
	} else if d.high != 0 {
		n = copy(dst, "\uFFFD")
	}
	d.shifted, d.empty, d.bits, d.nbits, d.high = false, false, 0, 0, 0
	return n
}

func (d *utf7Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if d.shifted {
			if v := base64Value(c); v >= 0 {
				if d.nbits+6 >= 16 && len(dst)-nDst < 7 {
					return nDst, nSrc, transform.ErrShortDst
				}
				d.bits = d.bits<<6 | uint32(v)
				d.nbits += 6
				d.empty = false
				if d.nbits >= 16 {
					d.nbits -= 16
					u := uint16(d.bits >> d.nbits)
					d.bits &= 1<<d.nbits - 1
					nDst += d.unit(dst[nDst:], u)
				}
				nSrc++
				continue
			}
			// RFC 2152: any character outside the base64 alphabet ends
			// the run; a "-" is absorbed, and "+-" is "+".
			if len(dst)-nDst < 3 {
				return nDst, nSrc, transform.ErrShortDst
			}
			if c == '-' {
				if d.empty {
					dst[nDst] = '+'
					nDst++
					d.shifted, d.empty = false, false
				} else {
					nDst += d.end(dst[nDst:])
				}
				nSrc++
				continue
			}
			nDst += d.end(dst[nDst:])
			// c is then read as a direct character.
		}
		switch {
		case c == '+':
			d.shifted, d.empty = true, true
		case c < utf8.RuneSelf:
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
		default:
			if len(dst)-nDst < 3 {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += copy(dst[nDst:], "\uFFFD")
		}
		nSrc++
	}
	if atEOF && d.shifted {
		if len(dst)-nDst < 3 {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += d.end(dst[nDst:])
	}
	return nDst, nSrc, nil
}

// utf7Encoder encodes UTF-8 as UTF-7.
type utf7Encoder struct {
	shifted bool
	bits    uint32 // undelivered bits, the low nbits of them
	nbits   uint
}

func (e *utf7Encoder) Reset() { *e = utf7Encoder{} }

// close ends a base64 run, writing at most 2 bytes.
func (e *utf7Encoder) close(dst []byte) int {
	n := 0
	if e.nbits > 0 {
		dst[0] = base64Alphabet[(e.bits<<(6-e.nbits))&63]
		n = 1
	}
	dst[n] = '-'
	e.shifted, e.bits, e.nbits = false, 0, 0
	return n + 1
}

// put appends one UTF-16 code unit to the run, writing at most 3 bytes.
func (e *utf7Encoder) put(dst []byte, u uint16) int {
	n := 0
	e.bits = e.bits<<16 | uint32(u)
	e.nbits += 16
	for e.nbits >= 6 {
		e.nbits -= 6
		dst[n] = base64Alphabet[(e.bits>>e.nbits)&63]
		n++
	}
	e.bits &= 1<<e.nbits - 1
	return n
}

func (e *utf7Encoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		r, size := rune(src[nSrc]), 1
		if r >= utf8.RuneSelf {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r, size = utf8.DecodeRune(src[nSrc:])
		}
		// The longest step is a close and "+-" (4 bytes) or an opening
		// "+" and a surrogate pair (1 + 6 bytes).
		if len(dst)-nDst < 8 {
			return nDst, nSrc, transform.ErrShortDst
		}
		switch {
		case utf7Direct(r) || r == '+':
			if e.shifted {
				nDst += e.close(dst[nDst:])
			}
			dst[nDst] = byte(r)
			nDst++
			if r == '+' {
				dst[nDst] = '-'
				nDst++
			}
		default:
			if !e.shifted {
				dst[nDst] = '+'
				nDst++
				e.shifted = true
			}
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				nDst += e.put(dst[nDst:], uint16(r1))
				nDst += e.put(dst[nDst:], uint16(r2))
			} else {
				nDst += e.put(dst[nDst:], uint16(r))
			}
		}
		nSrc += size
	}
	if atEOF && e.shifted {
		if len(dst)-nDst < 2 {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += e.close(dst[nDst:])
	}
	return nDst, nSrc, nil
}
