package mime

import (
	"bytes"
	"io"
	"sync"
)

// lineBufferSize is the lineReader's buffer. Lines longer than this come in
// pieces; no MIME delimiter or header line needs more.
const lineBufferSize = 32 << 10

// lineReader splits a stream into lines ending in CRLF, LF or a bare CR
// (CPython's email parser and most mail clients accept all three), with its
// own buffer so that a line's bytes can be handed out without copying and
// the last line can be pushed back once.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	err        error // sticky read error, io.EOF included
	last       int   // length of the piece next returned last, for unread
	pooled     bool  // buf came from lineBuffers
	base       int64 // offset in the stream of buf[0]
}

// lineBuffers recycles lineReader buffers: a Reader returns its buffer when
// it reaches the end of its message.
var lineBuffers = sync.Pool{New: func() any { return new([lineBufferSize]byte) }}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, buf: lineBuffers.Get().(*[lineBufferSize]byte)[:], pooled: true}
}

// release gives the buffer back for reuse. The lineReader reads nothing
// after it.
func (l *lineReader) release() {
	if l.buf == nil {
		return
	}
	if l.pooled {
		lineBuffers.Put((*[lineBufferSize]byte)(l.buf))
	}
	l.buf = nil
	l.base += int64(l.start)
	l.start, l.end = 0, 0
	if l.err == nil {
		l.err = io.EOF
	}
}

// next returns the next piece of input and the length of its line
// terminator. A piece is a whole line with its terminator, or, for a line
// longer than the buffer, a part of it (eolLen 0, more to come), or the last
// line of the input when that has no terminator (eolLen 0). The piece is
// valid until the next call. At the end of input it returns nil and the
// read error (io.EOF for a clean end).
func (l *lineReader) next() (piece []byte, eolLen int, err error) {
	scanned := 0 // bytes after start known to hold no line end
	for {
		data := l.buf[l.start:l.end]
		if n, e := lineEnd(data[scanned:], l.err != nil); n > 0 {
			return l.take(scanned + n), e, nil
		}
		// No line end in data (but perhaps a final CR): do not scan these
		// bytes again when more arrive.
		scanned = max(len(data)-1, 0)
		if l.err != nil {
			if len(data) > 0 {
				return l.take(len(data)), 0, nil
			}
			l.last = 0
			return nil, 0, l.err
		}
		if l.start == 0 && l.end == len(l.buf) {
			// A line longer than the buffer: hand out what is there,
			// keeping a final CR that may be the start of a CRLF.
			n := len(data)
			if data[n-1] == '\r' {
				n--
			}
			return l.take(n), 0, nil
		}
		l.fill()
	}
}

// lineEnd returns the length of the first line in data including its
// terminator, and the terminator's length; n is 0 when data holds no whole
// line. A CR at the very end of data counts as a terminator only at EOF,
// since the LF of a CRLF may still be on its way.
func lineEnd(data []byte, atEOF bool) (n, eolLen int) {
	lf := bytes.IndexByte(data, '\n')
	scan := data
	if lf >= 0 {
		scan = data[:lf]
	}
	if cr := bytes.IndexByte(scan, '\r'); cr >= 0 {
		switch {
		case lf == cr+1:
			return lf + 1, 2
		case cr+1 < len(data) || atEOF:
			return cr + 1, 1 // a bare CR
		default:
			return 0, 0 // a final CR: wait for more
		}
	}
	if lf >= 0 {
		return lf + 1, 1
	}
	return 0, 0
}

func (l *lineReader) take(n int) []byte {
	p := l.buf[l.start : l.start+n]
	l.start += n
	l.last = n
	return p
}

// unread pushes back the piece next returned last. It may be called once
// after a call of next.
func (l *lineReader) unread() {
	l.start -= l.last
	l.last = 0
}

// pos returns the offset in the stream of the next byte next hands out:
// the number of octets consumed so far.
func (l *lineReader) pos() int64 { return l.base + int64(l.start) }

func (l *lineReader) fill() {
	if l.start > 0 {
		l.base += int64(l.start)
		l.end = copy(l.buf, l.buf[l.start:l.end])
		l.start = 0
	}
	for tries := 0; tries < 100 && l.end < len(l.buf); tries++ {
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err != nil {
			l.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	if l.end < len(l.buf) {
		l.err = io.ErrNoProgress
	}
}
