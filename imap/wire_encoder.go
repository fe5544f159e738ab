package imap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// LiteralMode says how an Encoder announces the literals it writes.
type LiteralMode int

const (
	// LiteralSync announces "{n}": a client waits for the server's
	// continuation request through OnSyncLiteral (RFC 9051 7.5). Servers
	// use it for every literal in responses, with no hook.
	LiteralSync LiteralMode = iota
	// LiteralPlus announces "{n+}" for every literal (RFC 7888 LITERAL+).
	LiteralPlus
	// LiteralMinus announces "{n+}" up to LiteralMinusMax bytes and
	// "{n}" above (RFC 7888 LITERAL-).
	LiteralMinus
)

// maxQuoted is the longest string an Encoder writes quoted; longer ones
// go as literals.
const maxQuoted = 1024

// ErrBadString is returned for a string that cannot be sent as the
// element asked for: NUL outside literal8, or characters an atom cannot
// hold.
var ErrBadString = errors.New("imap: string cannot be encoded")

// An Encoder writes the elements of the IMAP grammar (RFC 9051 9). Its
// methods return nothing: the first error sticks, later writes do
// nothing, and Flush or Err returns it. Strings that could smuggle a
// line break are always sent as literals.
type Encoder struct {
	// UTF8 allows UTF-8 in quoted strings (IMAP4rev2, UTF8=ACCEPT, RFC
	// 6855); without it 8-bit strings are sent as literals.
	UTF8 bool

	// Literals chooses the literal announcement.
	Literals LiteralMode

	// OnSyncLiteral, when set, is called after a synchronising literal's
	// announcement has been flushed and before its bytes are written: a
	// client waits there for the continuation request and returns an
	// error if the server answered otherwise.
	OnSyncLiteral func() error

	w *bufio.Writer
	// buf holds what was written since the last commit: a line is
	// handed to w only once it is complete (or a literal follows), so
	// that a command or response that fails half-way leaves nothing.
	buf bytes.Buffer
	err error
}

// commit hands the pending bytes to the underlying writer.
func (e *Encoder) commit() {
	if e.err == nil && e.buf.Len() > 0 {
		_, e.err = e.w.Write(e.buf.Bytes())
	}
	e.buf.Reset()
}

// begin starts a command or response: the error of the previous one is
// forgotten (an I/O error sticks in the bufio.Writer anyway), and what
// the caller wrote before through the element methods is handed on.
func (e *Encoder) begin() {
	e.err = nil
	e.commit()
}

// abort drops what is pending after an error.
func (e *Encoder) abort() { e.buf.Reset() }

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w *bufio.Writer) *Encoder { return &Encoder{w: w} }

// Err returns the first error met since the last WriteCommand or
// WriteResponse began.
func (e *Encoder) Err() error { return e.err }

// Flush writes what is pending, flushes the underlying writer and
// returns the first error.
func (e *Encoder) Flush() error {
	e.commit()
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// Raw writes s as it is; it is for fixed tokens of the grammar.
func (e *Encoder) Raw(s string) *Encoder {
	if e.err == nil {
		e.buf.WriteString(s)
	}
	return e
}

// rawBytes writes b as it is: elements encoded earlier by an Encoder
// in the same mode.
func (e *Encoder) rawBytes(b []byte) *Encoder {
	if e.err == nil {
		e.buf.Write(b)
	}
	return e
}

func (e *Encoder) byte1(c byte) *Encoder {
	if e.err == nil {
		e.buf.WriteByte(c)
	}
	return e
}

// SP writes a space.
func (e *Encoder) SP() *Encoder { return e.byte1(' ') }

// CRLF ends the line and hands it to the underlying writer.
func (e *Encoder) CRLF() *Encoder {
	e.Raw("\r\n").commit()
	return e
}

// Atom writes s as an atom; it fails with ErrBadString when s is not one.
func (e *Encoder) Atom(s string) *Encoder {
	if !isToken(s, classAtom) {
		e.fail(fmt.Errorf("%w: not an atom: %q", ErrBadString, s))
		return e
	}
	return e.Raw(s)
}

func isToken(s string, class int) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !inClass(s[i], class) {
			return false
		}
	}
	return true
}

// Number writes a number.
func (e *Encoder) Number(n uint32) *Encoder { return e.Number64(uint64(n)) }

// Number64 writes a number64.
func (e *Encoder) Number64(n uint64) *Encoder {
	if e.err == nil {
		var buf [20]byte
		e.buf.Write(strconv.AppendUint(buf[:0], n, 10))
	}
	return e
}

// NIL writes NIL.
func (e *Encoder) NIL() *Encoder { return e.Raw("NIL") }

func (e *Encoder) quotable(s string) bool {
	if len(s) > maxQuoted {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 || c == '\r' || c == '\n' || (c >= 0x80 && !e.UTF8) {
			return false
		}
	}
	return !e.UTF8 || utf8.ValidString(s)
}

// Quoted writes s as a quoted string; it fails when s cannot be quoted
// (CR, LF, NUL, 8-bit without UTF8, or too long).
func (e *Encoder) Quoted(s string) *Encoder {
	if !e.quotable(s) {
		e.fail(fmt.Errorf("%w: cannot quote %q", ErrBadString, s))
		return e
	}
	e.byte1('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			e.byte1('\\')
		}
		e.byte1(s[i])
	}
	return e.byte1('"')
}

// String writes s quoted when it can be, as a literal otherwise.
func (e *Encoder) String(s string) *Encoder {
	if e.quotable(s) {
		return e.Quoted(s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		e.fail(fmt.Errorf("%w: NUL in string", ErrBadString))
		return e
	}
	return e.Literal(strings.NewReader(s), int64(len(s)), false)
}

// AString writes s as an atom when it can be one, as String otherwise.
func (e *Encoder) AString(s string) *Encoder {
	if isToken(s, classAString) && !strings.EqualFold(s, "NIL") {
		return e.Raw(s)
	}
	return e.String(s)
}

// NString writes s as a string, or NIL when isNil.
func (e *Encoder) NString(s string, isNil bool) *Encoder {
	if isNil {
		return e.NIL()
	}
	return e.String(s)
}

// NStringOrNIL writes NIL for "" and s as a string otherwise; it suits
// fields where the empty string and NIL mean the same.
func (e *Encoder) NStringOrNIL(s string) *Encoder { return e.NString(s, s == "") }

// Literal writes a literal of size bytes copied from r; binary makes it
// a literal8 ("~{n}", RFC 3516). It fails if r holds fewer bytes, which
// leaves the stream broken.
func (e *Encoder) Literal(r io.Reader, size int64, binary bool) *Encoder {
	if e.err != nil {
		return e
	}
	if binary {
		e.byte1('~')
	}
	e.byte1('{').Number64(uint64(size))
	sync := e.Literals == LiteralSync || (e.Literals == LiteralMinus && size > LiteralMinusMax)
	if !sync {
		e.byte1('+')
	}
	e.Raw("}\r\n").commit()
	if sync && e.OnSyncLiteral != nil {
		if e.Flush() != nil {
			return e
		}
		if err := e.OnSyncLiteral(); err != nil {
			e.fail(err)
			return e
		}
	}
	if e.err == nil {
		n, err := io.CopyN(e.w, r, size)
		if err == io.EOF {
			err = fmt.Errorf("imap: literal source gave %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
		}
		e.fail(err)
	}
	return e
}

// List writes n elements separated by spaces in parentheses, calling
// item for each.
func (e *Encoder) List(n int, item func(i int)) *Encoder {
	e.byte1('(')
	for i := 0; i < n && e.err == nil; i++ {
		if i > 0 {
			e.SP()
		}
		item(i)
	}
	return e.byte1(')')
}

// Flag writes a flag; it fails unless flag is an atom, optionally after
// "\", or "\*".
func (e *Encoder) Flag(flag string) *Encoder {
	if flag == `\*` {
		return e.Raw(flag)
	}
	if !isToken(strings.TrimPrefix(flag, `\`), classAtom) {
		e.fail(fmt.Errorf("%w: not a flag: %q", ErrBadString, flag))
		return e
	}
	return e.Raw(flag)
}

// FlagList writes a parenthesised flag list.
func (e *Encoder) FlagList(flags []string) *Encoder {
	return e.List(len(flags), func(i int) { e.Flag(flags[i]) })
}

// SeqSet writes a sequence set; it fails for an empty set.
func (e *Encoder) SeqSet(s SeqSet) *Encoder {
	if s.Empty() {
		e.fail(fmt.Errorf("%w: empty sequence set", ErrBadString))
		return e
	}
	return e.Raw(s.String())
}

// DateTime writes t as a quoted date-time, "02-Jan-2006 15:04:05 -0700"
// (RFC 9051 9).
func (e *Encoder) DateTime(t time.Time) *Encoder {
	return e.Raw(t.Format(`"02-Jan-2006 15:04:05 -0700"`))
}

// Date writes t's calendar day as a date, "2-Jan-2006".
func (e *Encoder) Date(t time.Time) *Encoder { return e.Raw(t.Format("2-Jan-2006")) }
