package mime

import (
	"bytes"
	"fmt"
	"io"
)

// uuMaxPrelude bounds the input a uudecoder holds while it looks for the
// begin line. If none starts within it, the body is not uuencoded and is
// given as it is.
const uuMaxPrelude = 64 << 10

// uuLineKeep is how much of a line a uudecoder keeps: a data line needs at
// most 1+84 characters (63 octets), a begin line its first few.
const uuLineKeep = 128

// Phases of a uudecoder.
const (
	uuBegin = iota // looking for the begin line
	uuData         // decoding lines up to "end"
	uuDone         // "end" seen, or input ended
	uuRaw          // no begin line: giving the input as it is
)

// States of the matcher for an "end" line: "end" with optional white
// space around it.
const (
	uuEndLead = iota // only white space so far
	uuEndE           // "e"
	uuEndEN          // "en"
	uuEndEND         // "end", maybe followed by white space
	uuEndFail        // something else
)

// Problems a uudecoder records, one defect each.
const (
	uuProblemNoBegin = iota + 1
	uuProblemNoEnd
	uuProblemChar
)

// uuState is the state machine of a uudecoder. It follows the decoder
// CPython's email package uses for the uuencode transfer encodings:
//
//   - lines end at LF, CRLF or CR;
//   - lines before the first "begin MODE [NAME]" line (MODE octal) are
//     skipped, and so is everything after the first line that is "end"
//     with optional white space around it;
//   - a data line's first character gives its length in octets; its other
//     characters are 6-bit groups (" " to "`", with "`" as 0); missing
//     characters count as 0 and characters after the last needed one are
//     ignored;
//   - a missing end line ends the data at the end of the input (recorded).
//
// Where CPython gives up and returns the body undecoded, this decoder
// recovers instead: a blank line (or one of only white space) in the data
// is skipped, and a character outside the alphabet counts as 0 (recorded).
// When no begin line starts within the first uuMaxPrelude octets, the body
// is given as it is (recorded); CPython does so when there is no begin line
// at all.
type uuState struct {
	phase   uint8
	endSt   uint8  // "end" matcher state of the current line
	skipLF  bool   // the last line ended with CR: an LF next belongs to it
	kept    bool   // phase uuBegin: the current line is long and kept in pre
	lineLen int    // length of the current line; line holds its start
	p0, p1  int    // decoded octets waiting in pend
	raw     int    // phase uuRaw: octets of pre already given
	pre     []byte // phase uuBegin: the input before the current line
	pend    [64]byte
	line    [uuLineKeep]byte
}

func (st *uuState) reset() {
	pre := st.pre[:0]
	*st = uuState{}
	st.pre = pre
}

// read decodes from s into p.
func (st *uuState) read(s *teSource, p []byte, def *teDefects) (int, error) {
	n := 0
	for n < len(p) {
		if st.p0 < st.p1 {
			k := copy(p[n:], st.pend[st.p0:st.p1])
			st.p0 += k
			n += k
			continue
		}
		switch st.phase {
		case uuDone:
			if s.err != nil && s.r0 == s.r1 {
				return n, s.err // the input ended before "end", or failed
			}
			return n, io.EOF
		case uuRaw:
			if st.raw < len(st.pre) {
				k := copy(p[n:], st.pre[st.raw:])
				st.raw += k
				n += k
				continue
			}
			if s.r0 < s.r1 {
				k := copy(p[n:], s.buf[s.r0:s.r1])
				s.r0 += k
				n += k
				continue
			}
			if n > 0 {
				return n, nil
			}
			if !s.fill() {
				return n, s.finalErr()
			}
			continue
		}
		if s.r0 == s.r1 {
			if n > 0 {
				return n, nil
			}
			if !s.fill() {
				st.finish(def)
			}
			continue
		}
		in := s.buf[s.r0:s.r1]
		i := 0
		for i < len(in) && st.p0 == st.p1 && st.phase <= uuData {
			if st.phase == uuData && st.lineLen == 0 && !st.skipLF {
				// A whole data line in the buffer: no need to copy it.
				if k := st.wholeLine(in[i:], def); k > 0 {
					i += k
					continue
				}
			}
			c := in[i]
			i++
			if st.skipLF {
				st.skipLF = false
				if c == '\n' {
					if st.phase == uuBegin {
						st.pre = append(st.pre, c)
					}
					continue
				}
			}
			if c == '\n' || c == '\r' {
				st.skipLF = c == '\r'
				st.endLine(c, def)
			} else {
				st.addByte(c)
			}
			if st.phase == uuBegin && st.held() >= uuMaxPrelude {
				def.add(uuProblemNoBegin, DefectInvalidUUEncode,
					fmt.Sprintf("no begin line in the first %d octets", uuMaxPrelude))
				st.toRaw()
			}
		}
		s.r0 += i
	}
	return n, nil
}

// finish handles the end of the input.
func (st *uuState) finish(def *teDefects) {
	if st.lineLen > 0 {
		st.endLine(0, def)
	}
	switch st.phase {
	case uuBegin:
		def.add(uuProblemNoBegin, DefectInvalidUUEncode, "no begin line")
		st.toRaw()
	case uuData:
		def.add(uuProblemNoEnd, DefectInvalidUUEncode, "no end line")
		st.phase = uuDone
	}
}

// uuEndNext advances the "end" matcher by c.
func uuEndNext(state uint8, c byte) uint8 {
	white := c == ' ' || c == '\t' || c == '\f'
	switch state {
	case uuEndLead:
		if white {
			return uuEndLead
		}
		if c == 'e' {
			return uuEndE
		}
	case uuEndE:
		if c == 'n' {
			return uuEndEN
		}
	case uuEndEN:
		if c == 'd' {
			return uuEndEND
		}
	case uuEndEND:
		if white {
			return uuEndEND
		}
	}
	return uuEndFail
}

// addByte adds c, which is not a line break, to the current line.
func (st *uuState) addByte(c byte) {
	if st.lineLen < len(st.line) {
		st.line[st.lineLen] = c
	} else if st.phase == uuBegin {
		// The line no longer fits. If it cannot be a begin line, keep it
		// in pre from now on.
		if st.lineLen == len(st.line) && !isUUBeginLine(st.line[:]) {
			st.pre = append(st.pre, st.line[:]...)
			st.kept = true
		}
		if st.kept {
			st.pre = append(st.pre, c)
		}
	}
	st.lineLen++
	st.endSt = uuEndNext(st.endSt, c)
}

// held returns how much input the decoder holds while looking for the
// begin line.
func (st *uuState) held() int {
	if st.kept {
		return len(st.pre)
	}
	return len(st.pre) + min(st.lineLen, len(st.line))
}

// toRaw gives up looking for the begin line: what was held and the rest of
// the input are given as they are.
func (st *uuState) toRaw() {
	if !st.kept {
		st.pre = append(st.pre, st.line[:min(st.lineLen, len(st.line))]...)
	}
	st.kept = false
	st.phase = uuRaw
}

// endLine handles a complete line, ended by term (CR, LF, or 0 at the end
// of the input).
func (st *uuState) endLine(term byte, def *teDefects) {
	l := st.line[:min(st.lineLen, len(st.line))]
	switch st.phase {
	case uuBegin:
		// Lines before the begin line are held in pre in case there is
		// none; the begin line itself never needs to be.
		if isUUBeginLine(l) {
			st.phase = uuData
			st.pre = st.pre[:0]
			break
		}
		if !st.kept {
			st.pre = append(st.pre, l...)
		}
		if term != 0 {
			st.pre = append(st.pre, term)
		}
	case uuData:
		switch st.endSt {
		case uuEndLead:
			// Blank or only white space: nothing to decode.
		case uuEndEND:
			st.phase = uuDone
		default:
			st.decodeLine(l, def)
		}
	}
	st.lineLen = 0
	st.kept = false
	st.endSt = uuEndLead
}

// isUUBeginLine reports whether l is "begin", SPACE, an octal mode and
// then SPACE or the end of the line.
func isUUBeginLine(l []byte) bool {
	const prefix = "begin "
	if len(l) <= len(prefix) || string(l[:len(prefix)]) != prefix {
		return false
	}
	i := len(prefix)
	for i < len(l) && l[i] >= '0' && l[i] <= '7' {
		i++
	}
	return i > len(prefix) && (i == len(l) || l[i] == ' ')
}

// wholeLine handles the data line at the start of in if in holds all of
// it, and returns how many octets it took (0 if none).
func (st *uuState) wholeLine(in []byte, def *teDefects) int {
	e := bytes.IndexByte(in, '\n')
	if e < 0 {
		e = len(in)
	}
	if cr := bytes.IndexByte(in[:e], '\r'); cr >= 0 {
		e = cr
	}
	if e == len(in) {
		return 0
	}
	line := in[:e]
	switch t := bytes.Trim(line, " \t\f"); {
	case len(t) == 0:
		// Blank or only white space.
	case string(t) == "end":
		st.phase = uuDone
	default:
		st.decodeLine(line[:min(len(line), uuLineKeep)], def)
	}
	st.skipLF = in[e] == '\r'
	return e + 1
}

// uuValue maps a character of a data line to its 6-bit value; characters
// outside " " to "`" map to 0xff.
var uuValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := ' '; c <= '`'; c++ {
		t[c] = byte(c-' ') & 63
	}
	return t
}()

// decodeLine decodes one data line into pend.
func (st *uuState) decodeLine(l []byte, def *teDefects) {
	size := int((l[0] - ' ') & 63)
	chars := l[1:]
	out, k := 0, 0
	// Whole quanta of four valid characters.
	for out+3 <= size && k+4 <= len(chars) {
		q := chars[k : k+4 : k+4]
		a, b, c, d := uuValue[q[0]], uuValue[q[1]], uuValue[q[2]], uuValue[q[3]]
		if (a|b|c|d)&0xc0 != 0 {
			break
		}
		x := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		st.pend[out], st.pend[out+1], st.pend[out+2] = byte(x>>16), byte(x>>8), byte(x)
		out += 3
		k += 4
	}
	// The rest one character at a time: a short final quantum, missing
	// characters (0) or invalid ones (0, recorded).
	var acc uint32
	bits := 0
	for ; out < size; k++ {
		var v byte
		if k < len(chars) {
			v = uuValue[chars[k]]
			if v == 0xff {
				def.add(uuProblemChar, DefectInvalidUUEncode,
					fmt.Sprintf("invalid character %s in a data line", teCharDetail(chars[k])))
				v = 0
			}
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			st.pend[out] = byte(acc >> bits)
			out++
			acc &= 1<<bits - 1
		}
	}
	st.p0, st.p1 = 0, out
}

// A UUDecodeReader decodes a uuencoded body as it is read. See
// NewUUDecodeReader.
type UUDecodeReader struct {
	src teSource
	st  uuState
	def teDefects
}

// NewUUDecodeReader returns a reader that decodes the uuencoded body r
// (Content-Transfer-Encoding x-uuencode, uuencode, x-uue or uue; not
// standardised, but common in older mail). It decodes the lines between
// "begin" and "end" and recovers from damage as uuState describes,
// recording DefectInvalidUUEncode.
func NewUUDecodeReader(r io.Reader) *UUDecodeReader {
	ur := new(UUDecodeReader)
	ur.src.reset(r)
	return ur
}

// Read reads decoded bytes into p.
func (ur *UUDecodeReader) Read(p []byte) (int, error) {
	return ur.st.read(&ur.src, p, &ur.def)
}

// Defects returns what was found wrong so far; see Decoder.Defects.
func (ur *UUDecodeReader) Defects() []Defect { return ur.def.list }
