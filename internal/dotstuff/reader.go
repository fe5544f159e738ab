package dotstuff

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxLineLength is the longest line, in octets including the CRLF, that
// RFC 5321 4.5.3.1.6 allows in a message body.
const MaxLineLength = 1000

var (
	// ErrBareLineEnding reports a CR not followed by LF, or an LF not
	// preceded by CR, in the body (RFC 5321 2.3.8 and 4.1.1.4). The Reader
	// has read on to the real terminator and delivered nothing after the
	// bare CR or LF.
	ErrBareLineEnding = errors.New("dotstuff: bare CR or LF in data")

	// ErrTooLarge reports a body longer than the Reader's limit. The Reader
	// has read on to the terminator and discarded what passed the limit.
	ErrTooLarge = errors.New("dotstuff: data exceeds size limit")

	// ErrLineTooLong reports a line longer than MaxLineLength octets. It is
	// returned only at the end, after the whole body was delivered, so a
	// tolerant caller may ignore it (RFC 5321 4.5.3.1: be liberal).
	ErrLineTooLong = errors.New("dotstuff: line exceeds 1000 octets")
)

// state is where the Reader stands in the wire grammar.
type state uint8

const (
	stateLineStart state = iota // after CRLF or at the very beginning
	stateDot                    // a "." opened the line
	stateDotCR                  // ".\r" opened the line
	stateData                   // inside a line
	stateCR                     // a CR inside a line, waiting for LF
	stateDone                   // the terminator was read
)

// Reader un-stuffs a dot-terminated body (RFC 5321 4.5.2). It reads from
// the bufio.Reader only the bytes up to and including the terminating
// CRLF "." CRLF. Read delivers the body with CRLF line ends and without the
// terminator; it returns io.EOF after a clean body, or one of the errors
// ErrBareLineEnding, ErrTooLarge, ErrLineTooLong (in that order of
// precedence) once the terminator has been consumed. A stream that ends
// before the terminator gives io.ErrUnexpectedEOF.
type Reader struct {
	r       *bufio.Reader
	max     int64 // <= 0: no limit
	n       int64 // body octets seen (un-stuffed)
	line    int   // wire octets in the current line
	st      state
	discard bool // a fault was found: read on, deliver nothing
	bare    bool
	large   bool
	long    bool
	pendLF  bool // "\r" was delivered, "\n" is owed
	err     error
}

// NewReader returns a Reader of the body that r holds. maxBytes bounds the
// un-stuffed body; zero or less means no bound.
func NewReader(r *bufio.Reader, maxBytes int64) *Reader {
	return &Reader{r: r, max: maxBytes}
}

// fault switches the Reader into discarding mode.
func (d *Reader) fault() {
	d.bare = true
	d.discard = true
}

// emit delivers b into p at n unless the Reader discards, and enforces the
// size limit: what passes the limit is dropped, so the delivered body does
// not depend on how the input was chunked. It reports the new n.
func (d *Reader) emit(p []byte, n int, b []byte) int {
	if d.max > 0 && d.n+int64(len(b)) > d.max {
		keep := d.max - d.n
		d.n += int64(len(b))
		d.large = true
		if !d.discard {
			n += copy(p[n:], b[:keep])
		}
		d.discard = true
		return n
	}
	d.n += int64(len(b))
	if d.discard {
		return n
	}
	return n + copy(p[n:], b)
}

var crlf = []byte("\r\n")

// Read implements io.Reader.
func (d *Reader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n := 0
	if d.pendLF && len(p) > 0 {
		p[0] = '\n'
		n = 1
		d.pendLF = false
	}
	for n < len(p) && d.st != stateDone {
		if d.r.Buffered() == 0 {
			if n > 0 {
				break // hand back what we have before blocking
			}
			if _, err := d.r.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				d.err = err
				return n, err
			}
		}
		chunk, _ := d.r.Peek(d.r.Buffered())
		used := 0
		for used < len(chunk) && n < len(p) && d.st != stateDone {
			c := chunk[used]
			switch d.st {
			case stateLineStart:
				d.line = 0
				if c == '.' {
					d.st = stateDot
					d.line++
					used++
					continue
				}
				d.st = stateData
				continue // reprocess c as data
			case stateDot:
				switch c {
				case '\r':
					d.st = stateDotCR
					d.line++
					used++
				case '\n':
					d.fault() // ".\n"
					d.st = stateData
					d.line++
					used++
				default:
					d.st = stateData // the stuffed dot is dropped
				}
				continue
			case stateDotCR:
				if c == '\n' {
					d.st = stateDone
					used++
					continue
				}
				d.fault() // ".\r" then something else
				d.st = stateData
				continue
			case stateCR:
				if c != '\n' {
					d.fault() // bare CR
					d.st = stateData
					continue
				}
				used++
				d.line++
				if d.line > MaxLineLength {
					d.long = true
				}
				d.st = stateLineStart
				if len(p)-n < 2 {
					// Deliver the CR now and owe the LF.
					if d.max > 0 && d.n+2 > d.max {
						n = d.emit(p, n, crlf) // delivers what fits
						continue
					}
					n = d.emit(p, n, crlf[:1])
					d.n++
					if !d.discard {
						d.pendLF = true
					}
					goto out
				}
				n = d.emit(p, n, crlf)
				continue
			}
			// stateData: copy the run up to the next CR or LF.
			rest := chunk[used:]
			end := indexCRLF(rest)
			if end < 0 {
				end = len(rest)
			}
			if room := len(p) - n; end > room && !d.discard {
				end = room
			}
			if end > 0 {
				n = d.emit(p, n, rest[:end])
				d.line += end
				used += end
				continue
			}
			// rest[0] is CR or LF.
			used++
			d.line++
			if rest[0] == '\n' {
				d.fault() // bare LF
				continue
			}
			d.st = stateCR
		}
	out:
		d.r.Discard(used)
		if d.line > MaxLineLength {
			d.long = true
		}
		if d.pendLF {
			break
		}
	}
	if d.st == stateDone && !d.pendLF {
		d.err = d.finalErr()
		return n, d.err
	}
	return n, nil
}

// finalErr is the error Read reports once the terminator is consumed.
func (d *Reader) finalErr() error {
	switch {
	case d.bare:
		return ErrBareLineEnding
	case d.large:
		return ErrTooLarge
	case d.long:
		return ErrLineTooLong
	}
	return io.EOF
}

// indexCRLF returns the index of the first CR or LF in b, or -1.
func indexCRLF(b []byte) int {
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		return bytes.IndexByte(b, '\n')
	}
	if j := bytes.IndexByte(b[:i], '\n'); j >= 0 {
		return j
	}
	return i
}
