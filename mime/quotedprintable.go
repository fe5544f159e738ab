package mime

import (
	"encoding/binary"
	"fmt"
	"io"
)

// qpMaxWhiteSpace bounds the run of white space a quoted-printable decoder
// holds back to learn whether it ends a line. The first qpMaxWhiteSpace
// octets of a longer run are kept as they are. It must leave room in the
// input buffer for the run plus "=", CR and LF.
const qpMaxWhiteSpace = 1024

// qpStop[c] reports whether the decoder's fast path stops at c: "=" starts
// an escape or a soft line break, and a line break may end trailing white
// space. Everything else, SPACE and TAB included, is copied.
var qpStop = [256]bool{'=': true, '\r': true, '\n': true}

// qpStopIn reports whether any of the eight octets in w is one qpStop
// holds. (x-0x01…)&^x&0x80… is not zero exactly when an octet of x is.
func qpStopIn(w uint64) bool {
	const low, high = 0x0101010101010101, 0x8080808080808080
	zero := func(x uint64) uint64 { return (x - low) &^ x & high }
	return zero(w^('='*low))|zero(w^('\r'*low))|zero(w^('\n'*low)) != 0
}

// qpEndsWhite[c] reports whether white space followed by c may be trailing
// white space, that is, whether c is white space or a line break.
var qpEndsWhite = func() (t [256]bool) {
	for _, c := range []byte(" \t\r\n") {
		t[c] = true
	}
	return t
}()

// qpUnhex maps a hexadecimal digit, either case, to its value and anything
// else to 0xff.
var qpUnhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range byte(10) {
		t['0'+i] = i
	}
	for i := range byte(6) {
		t['A'+i] = 10 + i
		t['a'+i] = 10 + i
	}
	return t
}()

// Problems a quoted-printable decoder records, one defect each.
const qpProblemEscape = 1

// qpState is the state machine of a quoted-printable decoder
// (RFC 2045 6.7):
//
//   - "=" followed by two hexadecimal digits, either case, is the octet they
//     name (lower case is the robust reading of the RFC's note (1));
//   - "=" at the end of a line, optionally followed by white space (added
//     in transport, rule 3), is a soft line break and disappears with the
//     line break (CRLF, LF, or a CR alone); "=" at the very end of the input
//     disappears too;
//   - any other "=" is kept as it is and recorded as
//     DefectInvalidQuotedPrintable (note (2));
//   - SPACE and TAB at the end of a line or of the input are deleted
//     (rule 3); of a run longer than qpMaxWhiteSpace the first
//     qpMaxWhiteSpace octets are kept, and an "=" followed by such a run is
//     invalid;
//   - everything else, line breaks included, is copied, so CRLF stays CRLF
//     and LF stays LF.
//
// CPython's email package (binascii.a2b_qp) differs in four places: it
// keeps trailing white space; it keeps "=" followed by white space and a
// line break; it decodes "==" to "="; and after "=" CR it deletes the rest
// of the line up to the next LF, where this decoder ends the soft line
// break at the CR.
type qpState struct {
	lit int // octets of white space next in the input known to be kept
}

func (st *qpState) reset() { *st = qpState{} }

// read decodes from s into p.
func (st *qpState) read(s *teSource, p []byte, def *teDefects) (int, error) {
	n := 0
	for n < len(p) {
		if s.r0 == s.r1 {
			if n > 0 {
				return n, nil
			}
			if !s.fill() {
				return n, s.finalErr()
			}
			continue
		}
		in := s.buf[s.r0:s.r1]
		if st.lit > 0 {
			k := min(st.lit, len(in), len(p)-n)
			copy(p[n:], in[:k])
			n += k
			st.lit -= k
			s.r0 += k
			continue
		}
		// Decode ordinary octets and escapes in place. SPACE and TAB are
		// copied too, but a run of them that ends at a line break or where
		// the loop stops may be trailing white space: it is taken back and
		// left to qpToken.
		src, dst := in, p[n:]
		i, o := 0, 0
		atEquals := false
	fast:
		for i < len(src) && o < len(dst) {
			// Eight octets at a time while none stops the fast path.
			if i+8 <= len(src) && o+8 <= len(dst) {
				if w := binary.LittleEndian.Uint64(src[i:]); !qpStopIn(w) {
					binary.LittleEndian.PutUint64(dst[o:], w)
					i += 8
					o += 8
					continue
				}
			}
			c := src[i]
			if !qpStop[c] {
				dst[o] = c
				i++
				o++
				continue
			}
			if c == '=' {
				if i+2 < len(src) {
					if h1, h2 := qpUnhex[src[i+1]], qpUnhex[src[i+2]]; h1|h2 < 16 {
						dst[o] = h1<<4 | h2
						i += 3
						o++
						continue
					}
					if src[i+1] == '\r' && src[i+2] == '\n' {
						i += 3 // soft line break
						continue
					}
				}
				if i+1 < len(src) && src[i+1] == '\n' {
					i += 2 // soft line break
					continue
				}
				atEquals = true
				break fast
			}
			// CR or LF.
			if i > 0 && (src[i-1] == ' ' || src[i-1] == '\t') {
				break fast
			}
			dst[o] = c
			i++
			o++
		}
		if !atEquals {
			// src[i-1], when white space, was copied literally: escapes
			// end in a hex digit and soft breaks in LF.
			for i > 0 && (src[i-1] == ' ' || src[i-1] == '\t') {
				i--
				o--
			}
		}
		n += o
		s.r0 += i
		if i == len(src) || (!atEquals && src[i] != ' ' && src[i] != '\t') {
			continue
		}
		tok := src[i:]
		consumed, out, more := qpToken(tok, s.err != nil)
		if more {
			if n > 0 {
				return n, nil
			}
			// When no more comes, s.err is set and the next round
			// decides with what there is.
			s.fill()
			continue
		}
		switch {
		case out >= 0:
			p[n] = byte(out)
			n++
			s.r0 += consumed
		case out == qpOutInvalid:
			def.add(qpProblemEscape, DefectInvalidQuotedPrintable,
				fmt.Sprintf("invalid escape %s at offset %d",
					teQuoteDetail(tok[:min(consumed, len(tok))]), s.offset(s.r0)))
			p[n] = '='
			n++
			s.r0++
		case out == qpOutKeep:
			st.lit = consumed
		default: // qpOutDrop
			s.r0 += consumed
		}
	}
	return n, nil
}

// Results of qpToken besides an octet value.
const (
	qpOutDrop    = -1 // consume and produce nothing
	qpOutInvalid = -2 // an invalid "=": keep it
	qpOutKeep    = -3 // white space to keep
)

// qpToken examines the "=" or white space that starts in. eof tells whether
// in holds all the rest of the input. It returns how many octets the token
// spans (for an invalid "=", how many were examined) and its output: an
// octet value or one of the qpOut constants. more is true when the decision
// needs more input than in holds.
func qpToken(in []byte, eof bool) (consumed, out int, more bool) {
	if in[0] == '=' {
		if len(in) < 2 {
			if eof {
				return 1, qpOutDrop, false // "=" ends the input: a soft break
			}
			return 0, 0, true
		}
		c1 := in[1]
		if h1 := qpUnhex[c1]; h1 != 0xff {
			if len(in) < 3 {
				if eof {
					return 2, qpOutInvalid, false
				}
				return 0, 0, true
			}
			if h2 := qpUnhex[in[2]]; h2 != 0xff {
				return 3, int(h1<<4 | h2), false
			}
			return 3, qpOutInvalid, false
		}
		if !qpEndsWhite[c1] {
			return 2, qpOutInvalid, false
		}
		// "=", white space, then a line break or the end: a soft break.
		j := 1
		for j < len(in) && j-1 <= qpMaxWhiteSpace && (in[j] == ' ' || in[j] == '\t') {
			j++
		}
		if j-1 > qpMaxWhiteSpace {
			return 2, qpOutInvalid, false
		}
		end, isEnd, more := qpLineEnd(in[j:], eof, true)
		switch {
		case more:
			return 0, 0, true
		case isEnd:
			return j + end, qpOutDrop, false
		}
		return 2, qpOutInvalid, false
	}
	// White space: deleted if it ends a line.
	j := 0
	for j < len(in) && j <= qpMaxWhiteSpace && (in[j] == ' ' || in[j] == '\t') {
		j++
	}
	if j > qpMaxWhiteSpace {
		return qpMaxWhiteSpace, qpOutKeep, false
	}
	_, isEnd, more := qpLineEnd(in[j:], eof, false)
	switch {
	case more:
		return 0, 0, true
	case isEnd:
		return j, qpOutDrop, false // the line break itself is copied later
	}
	return j, qpOutKeep, false
}

// qpLineEnd reports whether in starts with a line break (CRLF or LF, and a CR
// alone when bareCR is set) or is empty at the end of input, and its length.
func qpLineEnd(in []byte, eof, bareCR bool) (n int, isEnd, more bool) {
	if len(in) == 0 {
		if eof {
			return 0, true, false
		}
		return 0, false, true
	}
	switch in[0] {
	case '\n':
		return 1, true, false
	case '\r':
		if len(in) < 2 {
			if eof {
				return 1, bareCR, false
			}
			return 0, false, true
		}
		if in[1] == '\n' {
			return 2, true, false
		}
		return 1, bareCR, false
	}
	return 0, false, false
}

// A QuotedPrintableReader decodes a quoted-printable body (RFC 2045 6.7) as
// it is read. See NewQuotedPrintableReader.
type QuotedPrintableReader struct {
	src teSource
	st  qpState
	def teDefects
}

// NewQuotedPrintableReader returns a reader that decodes the
// quoted-printable body r. Escapes are decoded in either case, soft line
// breaks and trailing white space are removed, line breaks are kept as they
// are, and a malformed "=" is kept literally and recorded as
// DefectInvalidQuotedPrintable.
func NewQuotedPrintableReader(r io.Reader) *QuotedPrintableReader {
	qr := new(QuotedPrintableReader)
	qr.src.reset(r)
	return qr
}

// Read reads decoded bytes into p.
func (qr *QuotedPrintableReader) Read(p []byte) (int, error) {
	return qr.st.read(&qr.src, p, &qr.def)
}

// Defects returns what was found wrong so far; see Decoder.Defects.
func (qr *QuotedPrintableReader) Defects() []Defect { return qr.def.list }

// qpLineMax is the longest encoded line, not counting CRLF (RFC 2045 6.7
// rule 5). Lines that end in a soft break hold at most qpLineMax-1
// characters before the "=".
const qpLineMax = 76

// qpLiteral[c] reports whether the encoder may write c as itself (rule 2,
// and rule 3 for SPACE and TAB, which are escaped at the end of a line).
var qpLiteral = func() (t [256]bool) {
	for c := 33; c <= 126; c++ {
		t[c] = c != '='
	}
	t[' '] = true
	t['\t'] = true
	return t
}()

const qpUpperHex = "0123456789ABCDEF"

// qpWriter is the encoder behind NewQuotedPrintableWriter.
type qpWriter struct {
	w      io.Writer
	err    error
	binary bool
	closed bool
	cr     bool // text mode: a CR waits to see whether LF follows
	n      int  // characters in line
	no     int  // bytes buffered in out
	line   [qpLineMax + 4]byte
	out    [4096]byte
}

// NewQuotedPrintableWriter returns a writer that quoted-printable-encodes
// what is written to it (RFC 2045 6.7) and writes it to w. Encoded lines
// are at most 76 characters, split by soft line breaks; "=", controls and
// octets above 126 are escaped, and so are SPACE and TAB at the end of a
// line. For robustness through broken transports (RFC 2049 3. (8)), "." at
// the start of a line and the "F" of "From " at the start of a line are
// escaped too.
//
// In text mode (binary false) each line break of the input, CRLF or LF,
// becomes a CRLF hard line break, and a CR alone is escaped. In binary
// mode CR and LF are escaped as "=0D" and "=0A" and the output has only
// soft line breaks.
//
// Close writes what is pending and flushes; it does not close w, and it
// does not add a line break after the last line.
func NewQuotedPrintableWriter(w io.Writer, binary bool) io.WriteCloser {
	return &qpWriter{w: w, binary: binary}
}

// Write encodes p.
func (q *qpWriter) Write(p []byte) (int, error) {
	if q.closed {
		return 0, errTransferWriteAfterClose
	}
	if q.err != nil {
		return 0, q.err
	}
	for i := 0; i < len(p); {
		c := p[i]
		if !q.binary {
			if q.cr {
				q.cr = false
				if c == '\n' {
					q.hardBreak()
					i++
					continue
				}
				q.put('\r')
			}
			switch c {
			case '\r':
				q.cr = true
				i++
				continue
			case '\n':
				q.hardBreak()
				i++
				continue
			}
		}
		if q.n >= 5 {
			// Copy a run of literal characters that fits the line.
			room := qpLineMax - 1 - q.n
			j := i
			for j < len(p) && j-i < room && qpLiteral[p[j]] {
				j++
			}
			if j > i {
				q.n += copy(q.line[q.n:], p[i:j])
				i = j
				continue
			}
		}
		q.put(c)
		i++
		if q.err != nil {
			return i, q.err
		}
	}
	return len(p), q.err
}

// put appends the encoding of one octet to the line, breaking it first if
// it would get too long.
func (q *qpWriter) put(c byte) {
	lit := qpLiteral[c]
	size := 3
	if lit {
		size = 1
	}
	if q.n+size > qpLineMax-1 {
		q.emit(q.line[:q.n], "=\r\n")
		q.n = 0
	}
	if lit && q.n == 0 && c == '.' {
		lit = false
	}
	if lit {
		q.line[q.n] = c
		q.n++
		if q.n == 5 && string(q.line[:5]) == "From " {
			q.n = copy(q.line[:], "=46rom ")
		}
		return
	}
	q.line[q.n], q.line[q.n+1], q.line[q.n+2] = '=', qpUpperHex[c>>4], qpUpperHex[c&0x0f]
	q.n += 3
}

// fixTrailing escapes SPACE or TAB at the end of the line (rule 3).
func (q *qpWriter) fixTrailing() {
	if q.n == 0 {
		return
	}
	c := q.line[q.n-1]
	if c != ' ' && c != '\t' {
		return
	}
	q.n--
	if q.n+3 > qpLineMax {
		q.emit(q.line[:q.n], "=\r\n")
		q.n = 0
	}
	q.line[q.n], q.line[q.n+1], q.line[q.n+2] = '=', qpUpperHex[c>>4], qpUpperHex[c&0x0f]
	q.n += 3
}

// hardBreak ends the line with CRLF.
func (q *qpWriter) hardBreak() {
	q.fixTrailing()
	q.emit(q.line[:q.n], "\r\n")
	q.n = 0
}

// emit buffers a line and its ending for w.
func (q *qpWriter) emit(line []byte, end string) {
	if len(q.out)-q.no < len(line)+len(end) {
		q.flush()
	}
	q.no += copy(q.out[q.no:], line)
	q.no += copy(q.out[q.no:], end)
}

// flush writes the buffered output to w.
func (q *qpWriter) flush() error {
	if q.err != nil {
		q.no = 0
		return q.err
	}
	if q.no > 0 {
		_, q.err = q.w.Write(q.out[:q.no])
		q.no = 0
	}
	return q.err
}

// Close encodes what is pending and flushes.
func (q *qpWriter) Close() error {
	if q.closed {
		return q.err
	}
	q.closed = true
	if q.err != nil {
		return q.err
	}
	if q.cr {
		q.cr = false
		q.put('\r')
	}
	q.fixTrailing()
	q.emit(q.line[:q.n], "")
	q.n = 0
	return q.flush()
}
