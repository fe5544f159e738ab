package dotstuff

import (
	"bufio"
	"errors"
	"io"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("dotstuff: write after close")

// Writer dot-stuffs a body for the wire (RFC 5321 4.5.2) and normalises
// line endings so that only CRLF is written: CRLF stays, a bare LF becomes
// CRLF and a bare CR becomes CRLF (RFC 5321 2.3.8 forbids both bare forms;
// a CR followed by CRLF thus writes two line breaks). Close ends the last
// line if the body did not and writes the terminating ".\r\n".
//
// Writes are buffered; Close flushes. Memory use is constant.
type Writer struct {
	w         *bufio.Writer
	lineStart bool // the next byte opens a line
	sawCR     bool // the last byte written was a CR
	closed    bool
}

// NewWriter returns a Writer that writes the stuffed body to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 4096), lineStart: true}
}

// Write implements io.Writer. It reports len(p) unless the underlying
// writer fails.
func (d *Writer) Write(p []byte) (int, error) {
	if d.closed {
		return 0, ErrClosed
	}
	w := d.w
	i := 0
	for i < len(p) {
		if d.sawCR {
			d.sawCR = false
			w.WriteString("\r\n")
			d.lineStart = true
			if p[i] == '\n' {
				i++
				continue
			}
		}
		if d.lineStart && p[i] == '.' {
			w.WriteByte('.')
		}
		d.lineStart = false
		rest := p[i:]
		j := indexCRLF(rest)
		if j < 0 {
			w.Write(rest)
			break
		}
		w.Write(rest[:j])
		i += j + 1
		if rest[j] == '\r' {
			d.sawCR = true
			continue
		}
		w.WriteString("\r\n")
		d.lineStart = true
	}
	// bufio.Writer keeps the first error; report it here.
	if _, err := w.Write(nil); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close ends the last line if needed, writes the terminator ".\r\n" and
// flushes. It does not close the underlying writer.
func (d *Writer) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if d.sawCR || !d.lineStart {
		d.w.WriteString("\r\n")
	}
	d.w.WriteString(".\r\n")
	return d.w.Flush()
}
