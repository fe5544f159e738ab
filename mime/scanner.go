package mime

import (
	"bytes"
	"io"
)

// A scanner reads one MIME stream as a sequence of lines, recognising the
// delimiter lines of every enclosing multipart boundary (RFC 2046 5.1.1).
// Checking all enclosing boundaries, not just the innermost one, lets a part
// whose own close delimiter is missing end where its parent's next part
// starts.
type scanner struct {
	lr     *lineReader
	bounds [][]byte // "--" + boundary of each open multipart, outermost first

	atLineStart bool // the next piece starts a line
	pieceStart  bool // the piece last returned started a line
	eof         bool // the input has ended (or failed; see err)
	err         error

	hit      int  // index in bounds of the delimiter line last read, or -1
	hitClose bool // that delimiter was a close delimiter

	// Offset tracking for Part.EndOffset.
	hitLine  int64   // offset of the delimiter line last read
	lastEOL  int     // line break length of the piece last read
	savedEOL int     // lastEOL before that piece, restored by unread
	open     []*Part // entities whose end is not known yet, outermost first
	open0    [6]*Part
}

func newScanner(r io.Reader) *scanner {
	s := &scanner{lr: newLineReader(r), atLineStart: true, hit: -1}
	s.open = s.open0[:0]
	return s
}

// delimiter reports whether line (without its terminator) is a delimiter of
// an open boundary: "--" boundary, optionally "--", then only linear white
// space (transport padding, RFC 2046 5.1.1). The outermost match wins, as
// in CPython: a nested multipart that reuses its parent's boundary (which RFC
// 2046 forbids) ends at the parent's delimiter.
func (s *scanner) delimiter(line []byte) (idx int, isClose, ok bool) {
	if len(line) < 3 || line[0] != '-' || line[1] != '-' {
		return -1, false, false
	}
	for i := range s.bounds {
		b := s.bounds[i]
		if !bytes.HasPrefix(line, b) {
			continue
		}
		tail := line[len(b):]
		c := false
		if len(tail) >= 2 && tail[0] == '-' && tail[1] == '-' {
			tail, c = tail[2:], true
		}
		if onlyLWSP(tail) {
			return i, c, true
		}
	}
	return -1, false, false
}

func onlyLWSP(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// nextPiece reads the next piece of input. At a line start that is a
// delimiter of an open boundary it records the hit and returns delim true.
// At the end of input it returns eof true.
func (s *scanner) nextPiece() (piece []byte, eolLen int, delim, eof bool) {
	if s.eof || s.hit >= 0 {
		return nil, 0, false, true
	}
	piece, eolLen, err := s.lr.next()
	if err != nil {
		s.eof = true
		if err != io.EOF {
			s.err = err
		}
		s.closeAtEOF()
		return nil, 0, false, true
	}
	prevEOL := s.lastEOL
	s.savedEOL, s.lastEOL = prevEOL, eolLen
	lineStart := s.atLineStart
	s.pieceStart = lineStart
	s.atLineStart = eolLen > 0
	// Only a whole line can be a delimiter, not the start of a line longer
	// than the buffer.
	if lineStart && len(s.bounds) > 0 && (eolLen > 0 || s.lr.err != nil) {
		if i, c, ok := s.delimiter(piece[:len(piece)-eolLen]); ok {
			s.hit, s.hitClose = i, c
			s.atLineStart = true
			s.hitLine = s.lr.pos() - int64(len(piece))
			if len(s.open) > 0 {
				// RFC 2046 5.1.1: the line break before the delimiter
				// line belongs to the delimiter.
				s.closeOpen(i, s.hitLine-int64(prevEOL))
			}
			return nil, 0, true, false
		}
	}
	return piece, eolLen, false, false
}

var (
	eolCRLF = []byte("\r\n")
	eolLF   = []byte("\n")
	eolCR   = []byte("\r")
)

func eolBytes(piece []byte, eolLen int) []byte {
	switch {
	case eolLen == 2:
		return eolCRLF
	case eolLen == 1 && piece[len(piece)-1] == '\n':
		return eolLF
	case eolLen == 1:
		return eolCR
	}
	return nil
}

// A bodyReader reads the raw bytes of one body from a scanner: up to the
// next delimiter line of an open boundary, without the line break before
// it (which belongs to the delimiter, RFC 2046 5.1.1), or to the end of
// input. It counts the octets and the line feeds it hands out.
type bodyReader struct {
	s      *scanner
	eol    []byte // line break withheld until the next line shows it is not before a delimiter
	cur    []byte // unread rest of the current piece
	curEOL []byte // line break to hand out before cur
	done   bool
	size   int64
	lines  int
	// keepFinalEOL keeps the last line break, even before a delimiter: for
	// a preamble that may turn out to be the whole text of its entity (as
	// CPython keeps it).
	keepFinalEOL bool
}

// advance makes the next run of body bytes ready in curEOL and cur, and
// reports false at the end of the body. Read, drain and collect all move
// through the body with it.
func (b *bodyReader) advance() bool {
	for len(b.curEOL) == 0 && len(b.cur) == 0 {
		if b.done {
			return false
		}
		if len(b.s.bounds) > 0 {
			if chunk, eolLen, ok := b.s.bulk(); ok {
				b.curEOL = b.eol
				b.eol = eolBytes(chunk, eolLen)
				b.cur = chunk[:len(chunk)-eolLen]
				continue
			}
		}
		piece, eolLen, delim, eof := b.s.nextPiece()
		switch {
		case delim || eof:
			// Before a delimiter the withheld line break is the
			// delimiter's (RFC 2046 5.1.1). At the end of input inside a
			// multipart whose close delimiter is missing, it was meant for
			// that delimiter and is dropped too (as CPython does).
			b.done = true
			if b.keepFinalEOL {
				b.curEOL = b.eol
			}
			b.eol = nil
		case len(b.s.bounds) == 0:
			// No delimiter can follow: nothing to withhold.
			b.cur = piece
		default:
			b.curEOL = b.eol
			b.eol = eolBytes(piece, eolLen)
			b.cur = piece[:len(piece)-eolLen]
		}
	}
	return true
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && b.advance() {
		c := copy(p[n:], b.curEOL)
		b.curEOL = b.curEOL[c:]
		n += c
		c = copy(p[n:], b.cur)
		b.cur = b.cur[c:]
		n += c
	}
	b.count(p[:n])
	if n == 0 && b.done {
		if b.s.err != nil {
			return 0, b.s.err
		}
		return 0, io.EOF
	}
	return n, nil
}

func (b *bodyReader) count(p []byte) {
	b.size += int64(len(p))
	b.lines += bytes.Count(p, eolLF)
}

// collect reads up to max bytes of the body and returns them, and whether
// more remained (which stays unread).
func (b *bodyReader) collect(max int) (out []byte, more bool) {
	for b.advance() {
		if len(out)+len(b.curEOL)+len(b.cur) > max {
			return out, true
		}
		out = append(out, b.curEOL...)
		out = append(out, b.cur...)
		b.curEOL, b.cur = nil, nil
	}
	return out, false
}

// drain reads the rest of the body, counting it, and throws it away.
func (b *bodyReader) drain() error {
	for b.advance() {
		b.count(b.curEOL)
		b.count(b.cur)
		b.curEOL, b.cur = nil, nil
	}
	return b.s.err
}

// bulk returns, at a line start, a run of whole buffered lines none of which
// starts with '-', so none can be a delimiter: body bytes that can be
// handed out without looking at each line. It returns ok false when the
// next line starts with '-' or no whole line is buffered; then nextPiece
// must be used.
func (s *scanner) bulk() (chunk []byte, eolLen int, ok bool) {
	if !s.atLineStart || s.hit >= 0 || s.eof {
		return nil, 0, false
	}
	l := s.lr
	if l.start == l.end {
		if l.err != nil || l.buf == nil {
			return nil, 0, false
		}
		l.fill()
	}
	data := l.buf[l.start:l.end]
	if len(data) == 0 || data[0] == '-' {
		return nil, 0, false
	}
	if l.err == nil && data[len(data)-1] == '\r' {
		data = data[:len(data)-1] // maybe half a CRLF
	}
	// The first line that starts with '-' ends the run.
	n := -1
	for pos := 1; pos < len(data); {
		i := bytes.IndexByte(data[pos:], '-')
		if i < 0 {
			break
		}
		i += pos
		if c := data[i-1]; c == '\n' || c == '\r' {
			n = i
			break
		}
		pos = i + 1
	}
	if n < 0 {
		// Up to the last line end.
		n = bytes.LastIndexByte(data, '\n')
		if cr := bytes.LastIndexByte(data[n+1:], '\r'); cr >= 0 {
			n += 1 + cr
		}
		n++
		if n == 0 {
			return nil, 0, false
		}
	}
	chunk = data[:n]
	eolLen = 1
	if n >= 2 && chunk[n-2] == '\r' && chunk[n-1] == '\n' {
		eolLen = 2
	}
	l.take(n)
	l.last = 0
	s.pieceStart = true
	s.lastEOL = eolLen
	return chunk, eolLen, true
}

// unread pushes back the piece nextPiece returned last, which started a line.
func (s *scanner) unread() {
	s.lr.unread()
	s.atLineStart = true
	s.lastEOL = s.savedEOL
}

// closeOpen sets the end of the open entities that a delimiter line of
// bounds[i] ends: those inside that multipart. end is the offset of the
// line break before the delimiter line.
func (s *scanner) closeOpen(i int, end int64) {
	n := len(s.open)
	for n > 0 && s.open[n-1].outer > i {
		s.open[n-1].setEnd(end)
		n--
	}
	clear(s.open[n:])
	s.open = s.open[:n]
}

// closeAtEOF sets the end of every open entity at the end of input. Inside
// a multipart the last line break is left out, as bodyReader leaves it out
// (it was meant for the missing close delimiter).
func (s *scanner) closeAtEOF() {
	end := s.lr.pos()
	for i, p := range s.open {
		if p.outer > 0 {
			p.setEnd(end - int64(s.lastEOL))
		} else {
			p.setEnd(end)
		}
		s.open[i] = nil
	}
	s.open = s.open[:0]
}
