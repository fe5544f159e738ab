package mime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The base64 alphabet of RFC 2045 6.8, Table 1, which UTF-7 (RFC 2152) and
// the B encoding (RFC 2047 4.1) use too.
const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// Classes in base64Decode beyond the 6-bit values 0-63. Every class has one
// of the top two bits set, so a quantum of four values ORed together tells
// whether all four are data.
const (
	b64Pad   = 0x40 // '='
	b64Space = 0x41 // white space: ignored without a defect
	b64Junk  = 0xff // outside the alphabet: ignored, recorded
)

// base64Decode maps an octet to its 6-bit value or its class.
var base64Decode = func() (t [256]byte) {
	for i := range t {
		t[i] = b64Junk
	}
	for i := range len(base64Alphabet) {
		t[base64Alphabet[i]] = byte(i)
	}
	t['='] = b64Pad
	for _, c := range []byte(" \t\r\n\v\f") {
		t[c] = b64Space
	}
	return t
}()

// Problems a base64 decoder records, one defect each.
const (
	b64ProblemJunk = iota + 1
	b64ProblemStrayPad
	b64ProblemAfterPad
	b64ProblemNoPad
	b64ProblemTruncated
)

// base64State is the state machine of a base64 decoder. It follows the
// decoder CPython's email package uses (binascii.a2b_base64, not strict),
// so that damaged bodies decode to the same bytes:
//
//   - white space and line breaks are skipped; any other octet outside the
//     alphabet is skipped and recorded;
//   - each octet is emitted as soon as its bits are in, so a final quantum
//     of two or three characters without padding still yields its one or
//     two octets (recorded as missing padding);
//   - "=" ends the data once it completes a quantum that has at least two
//     characters; the rest of the body is read and ignored (recorded if it
//     holds more than white space); an "=" that does not complete a quantum
//     is skipped and recorded;
//   - a final quantum of one character carries no whole octet and is
//     dropped (recorded). Here CPython instead gives up and returns the
//     undecoded body; a streaming decoder cannot, and the decoded prefix is
//     what a reader would want.
type base64State struct {
	acc  uint32 // bits not yet emitted
	nq   int    // characters of the current quantum seen, 0-3
	pads int    // "=" seen after the last data character
	done bool   // padding ended the data
	eof  bool   // the end has been reported
}

func (st *base64State) reset() { *st = base64State{} }

// read decodes from s into p.
func (st *base64State) read(s *teSource, p []byte, def *teDefects) (int, error) {
	n := 0
	for n < len(p) {
		if st.done {
			st.drain(s, def)
			return n, s.finalErr()
		}
		if s.r0 == s.r1 {
			if n > 0 {
				return n, nil
			}
			if !s.fill() {
				st.finish(def)
				return n, s.finalErr()
			}
			continue
		}
		in := s.buf[s.r0:s.r1]
		i := 0
		for i < len(in) && n < len(p) {
			if st.nq == 0 && st.pads == 0 {
				// At a quantum boundary: whole quanta at once.
				var k int
				k, n = base64Fast(in[i:], p, n)
				i += k
				if i == len(in) || n == len(p) {
					break
				}
			}
			// One character: a line break, junk, padding, or a quantum
			// that does not fit the fast path. Each data character emits
			// at most one octet, and n < len(p).
			c := in[i]
			v := base64Decode[c]
			i++
			if v < 64 {
				if st.pads > 0 {
					def.add(b64ProblemStrayPad, DefectInvalidBase64,
						fmt.Sprintf("stray padding before offset %d", s.offset(s.r0+i-1)))
					st.pads = 0
				}
				switch st.nq {
				case 0:
					st.acc = uint32(v)
					st.nq = 1
				case 1:
					p[n] = byte(st.acc<<2 | uint32(v)>>4)
					n++
					st.acc = uint32(v) & 0x0f
					st.nq = 2
				case 2:
					p[n] = byte(st.acc<<4 | uint32(v)>>2)
					n++
					st.acc = uint32(v) & 0x03
					st.nq = 3
				default:
					p[n] = byte(st.acc<<6 | uint32(v))
					n++
					st.nq = 0
				}
				continue
			}
			switch v {
			case b64Space:
			case b64Pad:
				if st.nq >= 2 {
					st.pads++
					if st.nq+st.pads >= 4 {
						st.done = true
						s.r0 += i
						st.drain(s, def)
						return n, s.finalErr()
					}
				} else {
					def.add(b64ProblemStrayPad, DefectInvalidBase64,
						fmt.Sprintf("stray padding at offset %d", s.offset(s.r0+i-1)))
				}
			default:
				def.add(b64ProblemJunk, DefectInvalidBase64,
					fmt.Sprintf("invalid character %s at offset %d", teCharDetail(c), s.offset(s.r0+i-1)))
			}
		}
		s.r0 += i
	}
	return n, nil
}

// base64Fast decodes whole quanta of data characters from in into p[n:],
// eight or four characters at a time, and stops at the first quantum that
// holds anything else or when p is nearly full. It returns the characters
// consumed and the new n.
func base64Fast(in, p []byte, n int) (int, int) {
	i := 0
	for i+8 <= len(in) && n+8 <= len(p) {
		q := in[i : i+8 : i+8]
		v0, v1, v2, v3 := base64Decode[q[0]], base64Decode[q[1]], base64Decode[q[2]], base64Decode[q[3]]
		v4, v5, v6, v7 := base64Decode[q[4]], base64Decode[q[5]], base64Decode[q[6]], base64Decode[q[7]]
		if (v0|v1|v2|v3|v4|v5|v6|v7)&0xc0 != 0 {
			break
		}
		x := uint64(v0)<<58 | uint64(v1)<<52 | uint64(v2)<<46 | uint64(v3)<<40 |
			uint64(v4)<<34 | uint64(v5)<<28 | uint64(v6)<<22 | uint64(v7)<<16
		binary.BigEndian.PutUint64(p[n:], x)
		n += 6
		i += 8
	}
	for i+4 <= len(in) && n+3 <= len(p) {
		q := in[i : i+4 : i+4]
		v0, v1, v2, v3 := base64Decode[q[0]], base64Decode[q[1]], base64Decode[q[2]], base64Decode[q[3]]
		if (v0|v1|v2|v3)&0xc0 != 0 {
			break
		}
		x := uint32(v0)<<18 | uint32(v1)<<12 | uint32(v2)<<6 | uint32(v3)
		o := p[n : n+3 : n+3]
		o[0], o[1], o[2] = byte(x>>16), byte(x>>8), byte(x)
		n += 3
		i += 4
	}
	return i, n
}

// drain reads and discards the rest of the input after the padding,
// recording a defect if it holds more than white space.
func (st *base64State) drain(s *teSource, def *teDefects) {
	for {
		for i, c := range s.buf[s.r0:s.r1] {
			if base64Decode[c] != b64Space {
				def.add(b64ProblemAfterPad, DefectInvalidBase64,
					fmt.Sprintf("data after padding at offset %d", s.offset(s.r0+i)))
				break
			}
		}
		s.r0 = s.r1
		if def.seen&(1<<b64ProblemAfterPad) != 0 {
			// Nothing more to learn; skip the rest without looking.
			for s.fill() {
				s.r0 = s.r1
			}
			return
		}
		if !s.fill() {
			return
		}
	}
}

// finish records what is wrong with the end of the data.
func (st *base64State) finish(def *teDefects) {
	if st.eof {
		return
	}
	st.eof = true
	switch st.nq {
	case 1:
		def.add(b64ProblemTruncated, DefectInvalidBase64, "final quantum of one character dropped")
	case 2, 3:
		def.add(b64ProblemNoPad, DefectInvalidBase64, "missing padding")
	}
}

// A Base64Reader decodes a base64 body (RFC 2045 6.8) as it is read. See
// NewBase64Reader.
type Base64Reader struct {
	src teSource
	st  base64State
	def teDefects
}

// NewBase64Reader returns a reader that decodes the base64 body r. Line
// breaks and white space are skipped; characters outside the alphabet, a
// missing or stray "=" and a truncated final quantum are recovered from and
// recorded as DefectInvalidBase64. Decoding ends at the first "=" padding
// that completes a quantum; the rest of r is read and ignored. The results
// match CPython's email package except for a final quantum of one
// character, which is dropped here and makes CPython return the body
// undecoded.
func NewBase64Reader(r io.Reader) *Base64Reader {
	br := new(Base64Reader)
	br.src.reset(r)
	return br
}

// Read reads decoded bytes into p.
func (br *Base64Reader) Read(p []byte) (int, error) {
	return br.st.read(&br.src, p, &br.def)
}

// Defects returns what was found wrong so far; see Decoder.Defects.
func (br *Base64Reader) Defects() []Defect { return br.def.list }

// Base64 output: 76 characters a line (RFC 2045 6.8), which is 57 octets.
const (
	base64LineChars = 76
	base64LineBytes = base64LineChars / 4 * 3
)

var errTransferWriteAfterClose = errors.New("mime: write after close")

// base64Writer is the encoder behind NewBase64Writer.
type base64Writer struct {
	w      io.Writer
	err    error
	pend   [3]byte // input octets not yet making a quantum
	npend  int
	col    int // characters on the current output line
	no     int // bytes buffered in out
	closed bool
	out    [4096]byte
}

// NewBase64Writer returns a writer that base64-encodes what is written to
// it (RFC 2045 6.8) and writes it to w in lines of 76 characters, each
// ended by CRLF. Close writes the final quantum with its padding and the
// last line break and flushes; it does not close w.
func NewBase64Writer(w io.Writer) io.WriteCloser {
	return &base64Writer{w: w}
}

// Write encodes p.
func (bw *base64Writer) Write(p []byte) (int, error) {
	if bw.closed {
		return 0, errTransferWriteAfterClose
	}
	if bw.err != nil {
		return 0, bw.err
	}
	total := len(p)
	if bw.npend > 0 {
		k := copy(bw.pend[bw.npend:], p)
		bw.npend += k
		p = p[k:]
		if bw.npend < 3 {
			return total, nil
		}
		bw.quantum(bw.pend[:])
		bw.npend = 0
	}
	for len(p) >= 3 {
		if len(bw.out)-bw.no < base64LineChars+2 {
			if err := bw.flush(); err != nil {
				return total - len(p), err
			}
		}
		if bw.col == base64LineChars {
			bw.out[bw.no], bw.out[bw.no+1] = '\r', '\n'
			bw.no += 2
			bw.col = 0
		}
		// Encode up to the end of the current line.
		k := min(len(p)/3, (base64LineChars-bw.col)/4)
		encodeBase64Quanta(bw.out[bw.no:], p[:k*3])
		bw.no += k * 4
		bw.col += k * 4
		p = p[k*3:]
	}
	bw.npend = copy(bw.pend[:], p)
	return total, nil
}

// quantum writes the four characters of one three-octet quantum.
func (bw *base64Writer) quantum(q []byte) {
	if len(bw.out)-bw.no < 6 {
		bw.flush()
	}
	if bw.col == base64LineChars {
		bw.out[bw.no], bw.out[bw.no+1] = '\r', '\n'
		bw.no += 2
		bw.col = 0
	}
	encodeBase64Quanta(bw.out[bw.no:], q)
	bw.no += 4
	bw.col += 4
}

// encodeBase64Quanta encodes src, a multiple of three octets, into dst.
func encodeBase64Quanta(dst, src []byte) {
	for len(src) >= 3 {
		x := uint32(src[0])<<16 | uint32(src[1])<<8 | uint32(src[2])
		d := dst[:4:4]
		d[0] = base64Alphabet[x>>18&0x3f]
		d[1] = base64Alphabet[x>>12&0x3f]
		d[2] = base64Alphabet[x>>6&0x3f]
		d[3] = base64Alphabet[x&0x3f]
		src, dst = src[3:], dst[4:]
	}
}

// flush writes the buffered output to w.
func (bw *base64Writer) flush() error {
	if bw.err != nil {
		return bw.err
	}
	if bw.no > 0 {
		_, bw.err = bw.w.Write(bw.out[:bw.no])
		bw.no = 0
	}
	return bw.err
}

// Close writes the final quantum, padded, ends the last line and flushes.
func (bw *base64Writer) Close() error {
	if bw.closed {
		return bw.err
	}
	bw.closed = true
	if bw.err != nil {
		return bw.err
	}
	if bw.npend > 0 {
		var q [3]byte
		copy(q[:], bw.pend[:bw.npend])
		bw.quantum(q[:])
		// Replace the characters that carry no input with padding.
		for i := bw.npend + 1; i < 4; i++ {
			bw.out[bw.no-4+i] = '='
		}
		bw.npend = 0
	}
	if bw.col > 0 {
		if len(bw.out)-bw.no < 2 {
			bw.flush()
		}
		bw.out[bw.no], bw.out[bw.no+1] = '\r', '\n'
		bw.no += 2
		bw.col = 0
	}
	return bw.flush()
}
