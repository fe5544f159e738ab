package imap

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// A Decoder reads the elements of the IMAP grammar (RFC 9051 9) from a
// stream: the server reads commands with it, the client responses. Its
// methods are named after the grammar's productions and read exactly
// one; they never read past the end of the current line except into a
// literal the line announces.
//
// A Decoder holds no policy: the limits come from Limits and the
// decision to accept a literal from OnLiteral. It never panics on
// input and never buffers more than the limits allow.
type Decoder struct {
	// Limits bounds memory; zero fields take the defaults. Changes take
	// effect at the next Begin, which ReadCommand and ReadResponse call.
	Limits Limits

	// OnLiteral, when set, is called after a literal's announcement has
	// been read and before any of its bytes are. A server uses it to
	// check the size and to send the continuation request for a
	// synchronising literal (RFC 9051 7.5); returning an error refuses
	// the literal (see LiteralRefusedError). Literals larger than
	// Limits.MaxStringLiteral that would be read into memory are
	// refused before the hook is called.
	OnLiteral func(LiteralInfo) error

	r       *bufio.Reader
	lim     Limits
	line    int   // bytes of the current line segment
	total   int64 // bytes buffered for the current command
	depth   int
	pending int64 // unread bytes of a literal handed out by LiteralReader
	// lineOver is set when a refused synchronising literal ended the
	// line: the peer sends nothing more of it.
	lineOver bool
	// responses is set while reading responses: every literal follows
	// its announcement at once, whatever its form.
	responses bool
	// closeParen is set when the literal of APPEND UTF8 awaits its ")".
	closeParen bool
	// catenate is set while the parts of APPEND CATENATE are read
	// (RFC 4469); catParts counts those read.
	catenate bool
	catParts int
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r *bufio.Reader) *Decoder {
	return &Decoder{r: r, lim: Limits{}.withDefaults()}
}

// Begin starts a new command or response: it resets the per-command
// counters and applies changes to Limits.
func (d *Decoder) Begin() error {
	d.lim = d.Limits.withDefaults()
	d.line, d.total, d.depth = 0, 0, 0
	d.lineOver, d.closeParen = false, false
	d.catenate, d.catParts = false, 0
	return d.drain()
}

// atEOF reports whether the stream ended cleanly, before a command or
// response began: io.EOF rather than io.ErrUnexpectedEOF.
func (d *Decoder) atEOF() error {
	if _, err := d.r.Peek(1); err != nil {
		return err
	}
	return nil
}

func (d *Decoder) drain() error {
	if d.pending > 0 {
		n, err := io.CopyN(io.Discard, d.r, d.pending)
		d.pending -= n
		if err != nil {
			return err
		}
	}
	return nil
}

func syntaxf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) count(n int) error {
	d.line += n
	d.total += int64(n)
	if d.line > d.lim.MaxLineLength {
		return ErrLineTooLong
	}
	if d.total > d.lim.MaxCommandBytes {
		return ErrCommandTooLong
	}
	return nil
}

// peek returns the next byte without consuming it.
func (d *Decoder) peek() (byte, error) {
	if err := d.drain(); err != nil {
		return 0, err
	}
	if d.lineOver {
		return 0, syntaxf("unexpected end of line")
	}
	b, err := d.r.Peek(1)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	return b[0], nil
}

// PeekByte returns the next byte of the line without consuming it.
func (d *Decoder) PeekByte() (byte, error) { return d.peek() }

func (d *Decoder) readByte() (byte, error) {
	b, err := d.peek()
	if err != nil {
		return 0, err
	}
	d.r.ReadByte()
	return b, d.count(1)
}

// Expect reads the byte c or fails.
func (d *Decoder) Expect(c byte) error {
	b, err := d.peek()
	if err != nil {
		return err
	}
	if b != c {
		return syntaxf("expected %q, got %q", c, b)
	}
	d.r.ReadByte()
	return d.count(1)
}

// Accept consumes c if it is the next byte and reports whether it was.
func (d *Decoder) Accept(c byte) (bool, error) {
	b, err := d.peek()
	if err != nil {
		return false, err
	}
	if b != c {
		return false, nil
	}
	d.r.ReadByte()
	return true, d.count(1)
}

// SP reads one space.
func (d *Decoder) SP() error { return d.Expect(' ') }

// CRLF reads the end of the line.
func (d *Decoder) CRLF() error {
	if err := d.Expect('\r'); err != nil {
		return err
	}
	if err := d.Expect('\n'); err != nil {
		return err
	}
	d.line = 0
	return nil
}

// AtCRLF reports whether the line ends here (without consuming it).
func (d *Decoder) AtCRLF() bool {
	b, err := d.peek()
	return err == nil && b == '\r'
}

// Character classes of RFC 9051 9.
const (
	classAtom    = iota // ATOM-CHAR
	classAString        // ASTRING-CHAR: ATOM-CHAR / "]"
	classTag            // ASTRING-CHAR except "+"
	classList           // list-char: ATOM-CHAR / list-wildcards / "]"
)

func isAtomChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`(){%*"\]`, rune(c))
}

func inClass(c byte, class int) bool {
	switch class {
	case classAString:
		return isAtomChar(c) || c == ']'
	case classTag:
		return (isAtomChar(c) || c == ']') && c != '+'
	case classList:
		return isAtomChar(c) || c == ']' || c == '%' || c == '*'
	}
	return isAtomChar(c)
}

func (d *Decoder) token(class int, what string) (string, error) {
	var sb strings.Builder
	for {
		b, err := d.peek()
		if err != nil {
			return "", err
		}
		if !inClass(b, class) {
			break
		}
		d.r.ReadByte()
		if err := d.count(1); err != nil {
			return "", err
		}
		sb.WriteByte(b)
	}
	if sb.Len() == 0 {
		b, _ := d.peek()
		return "", syntaxf("expected %s, got %q", what, b)
	}
	return sb.String(), nil
}

// Atom reads an atom.
func (d *Decoder) Atom() (string, error) { return d.token(classAtom, "atom") }

// Tag reads a command tag (RFC 9051 9: any ASTRING-CHAR except "+").
func (d *Decoder) Tag() (string, error) { return d.token(classTag, "tag") }

// AString reads an astring: an atom that may hold "]", or a string.
func (d *Decoder) AString() (string, error) {
	b, err := d.peek()
	if err != nil {
		return "", err
	}
	if b == '"' || b == '{' {
		return d.String()
	}
	return d.token(classAString, "astring")
}

// ListMailbox reads a list-mailbox: like AString but the atom form may
// hold the wildcards "%" and "*" (RFC 9051 6.3.9).
func (d *Decoder) ListMailbox() (string, error) {
	b, err := d.peek()
	if err != nil {
		return "", err
	}
	if b == '"' || b == '{' {
		return d.String()
	}
	return d.token(classList, "list-mailbox")
}

// String reads a quoted string or a literal into memory.
func (d *Decoder) String() (string, error) {
	b, err := d.peek()
	if err != nil {
		return "", err
	}
	switch b {
	case '"':
		return d.Quoted()
	case '{':
		buf, err := d.Literal(false)
		return string(buf), err
	}
	return "", syntaxf("expected string, got %q", b)
}

// NString reads a string or NIL; isNil reports which.
func (d *Decoder) NString() (s string, isNil bool, err error) {
	b, err := d.peek()
	if err != nil {
		return "", false, err
	}
	if b == 'N' || b == 'n' {
		a, err := d.Atom()
		if err != nil {
			return "", false, err
		}
		if !strings.EqualFold(a, "NIL") {
			return "", false, syntaxf("expected NIL or string, got %q", a)
		}
		return "", true, nil
	}
	s, err = d.String()
	return s, false, err
}

// Quoted reads a quoted string (RFC 9051 4.3). Escapes other than \\
// and \" are refused, as are CR, LF, NUL and invalid UTF-8.
func (d *Decoder) Quoted() (string, error) {
	if err := d.Expect('"'); err != nil {
		return "", err
	}
	var sb strings.Builder
	utf := false
	for {
		b, err := d.readByte()
		if err != nil {
			return "", err
		}
		switch {
		case b == '"':
			s := sb.String()
			if utf && !utf8.ValidString(s) {
				return "", syntaxf("invalid UTF-8 in quoted string")
			}
			return s, nil
		case b == '\\':
			b, err = d.readByte()
			if err != nil {
				return "", err
			}
			if b != '"' && b != '\\' {
				return "", syntaxf("bad escape \\%c in quoted string", b)
			}
		case b == '\r' || b == '\n':
			d.unreadLineEnd(b)
			return "", syntaxf("unterminated quoted string")
		case b == 0:
			return "", syntaxf("NUL in quoted string")
		case b >= 0x80:
			utf = true
		}
		sb.WriteByte(b)
	}
}

// unreadLineEnd puts back a CR or LF so that SkipLine sees the end of
// the line.
func (d *Decoder) unreadLineEnd(b byte) {
	if d.r.UnreadByte() == nil {
		d.line--
		d.total--
	}
}

// Number reads a number that fits in 32 bits (RFC 9051 9: number).
func (d *Decoder) Number() (uint32, error) {
	n, err := d.digits(10)
	if err != nil {
		return 0, err
	}
	if n > 1<<32-1 {
		return 0, syntaxf("number %d out of range", n)
	}
	return uint32(n), nil
}

// NZNumber reads a number that is not zero.
func (d *Decoder) NZNumber() (uint32, error) {
	n, err := d.Number()
	if err == nil && n == 0 {
		err = syntaxf("zero where a non-zero number is required")
	}
	return n, err
}

// Number64 reads a number64: up to 2^63-1 (RFC 9051 9).
func (d *Decoder) Number64() (uint64, error) {
	n, err := d.digits(19)
	if err != nil {
		return 0, err
	}
	if n > 1<<63-1 {
		return 0, syntaxf("number %d out of range", n)
	}
	return n, nil
}

func (d *Decoder) digits(maxDigits int) (uint64, error) {
	var n uint64
	i := 0
	for ; ; i++ {
		b, err := d.peek()
		if err != nil {
			return 0, err
		}
		if b < '0' || b > '9' {
			break
		}
		if i == maxDigits {
			return 0, syntaxf("number too long")
		}
		d.r.ReadByte()
		if err := d.count(1); err != nil {
			return 0, err
		}
		n = n*10 + uint64(b-'0')
	}
	if i == 0 {
		b, _ := d.peek()
		return 0, syntaxf("expected number, got %q", b)
	}
	return n, nil
}

// List reads a parenthesised list, calling item for each element; the
// elements are separated by one space. An empty list "()" is allowed.
func (d *Decoder) List(item func() error) error {
	if err := d.Expect('('); err != nil {
		return err
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > d.lim.MaxDepth {
		return ErrTooDeep
	}
	if ok, err := d.Accept(')'); ok || err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		b, err := d.readByte()
		if err != nil {
			return err
		}
		if b == ')' {
			return nil
		}
		if b != ' ' {
			return syntaxf("expected SP or \")\" in list, got %q", b)
		}
	}
}

// listTight reads a parenthesised list of one or more elements that
// the grammar runs together, "(a)(b)" (address lists, namespaces); a
// space between them is tolerated.
func (d *Decoder) listTight(item func() error) error {
	if err := d.Expect('('); err != nil {
		return err
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > d.lim.MaxDepth {
		return ErrTooDeep
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if ok, err := d.Accept(')'); ok || err != nil {
			return err
		}
		if _, err := d.Accept(' '); err != nil {
			return err
		}
	}
}

// NIL reads the atom NIL if it comes next and reports whether it did.
func (d *Decoder) NIL() (bool, error) {
	b, err := d.peek()
	if err != nil || (b != 'N' && b != 'n') {
		return false, err
	}
	a, err := d.Atom()
	if err != nil {
		return false, err
	}
	if !strings.EqualFold(a, "NIL") {
		return false, syntaxf("expected NIL, got %q", a)
	}
	return true, nil
}

// Flag reads a flag: a keyword atom, "\" atom, or "\*" (RFC 9051 9:
// flag-perm).
func (d *Decoder) Flag() (string, error) {
	if ok, err := d.Accept('\\'); err != nil {
		return "", err
	} else if ok {
		if ok, err := d.Accept('*'); ok || err != nil {
			return `\*`, err
		}
		a, err := d.Atom()
		return `\` + a, err
	}
	return d.Atom()
}

// FlagList reads a parenthesised list of flags.
func (d *Decoder) FlagList() ([]string, error) {
	flags := []string{}
	err := d.List(func() error {
		f, err := d.Flag()
		flags = append(flags, f)
		return err
	})
	return flags, err
}

// Text reads the rest of the line, up to but not including CRLF
// (RFC 9051 9: text). It may be empty.
func (d *Decoder) Text() (string, error) { return d.textUntil(0) }

func (d *Decoder) textUntil(stop byte) (string, error) {
	var sb strings.Builder
	for {
		b, err := d.peek()
		if err != nil {
			return "", err
		}
		if b == '\r' || b == '\n' || (stop != 0 && b == stop) {
			break
		}
		if b == 0 {
			return "", syntaxf("NUL in text")
		}
		d.r.ReadByte()
		if err := d.count(1); err != nil {
			return "", err
		}
		sb.WriteByte(b)
	}
	return strings.ToValidUTF8(sb.String(), "\uFFFD"), nil
}

// DateTime reads a date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" in quotes
// (RFC 9051 9).
func (d *Decoder) DateTime() (time.Time, error) {
	s, err := d.Quoted()
	if err != nil {
		return time.Time{}, err
	}
	return parseDateTime(s)
}

func parseDateTime(s string) (time.Time, error) {
	if len(s) != 26 {
		return time.Time{}, syntaxf("bad date-time %q", s)
	}
	t, err := time.Parse("_2-Jan-2006 15:04:05 -0700", s)
	if err != nil {
		t, err = time.Parse("02-Jan-2006 15:04:05 -0700", s)
	}
	if err != nil {
		return time.Time{}, syntaxf("bad date-time %q", s)
	}
	return t, nil
}

// Date reads a date, quoted or not: "d-Mon-yyyy" (RFC 9051 9). The
// result is midnight UTC of that day.
func (d *Decoder) Date() (time.Time, error) {
	b, err := d.peek()
	if err != nil {
		return time.Time{}, err
	}
	var s string
	if b == '"' {
		s, err = d.Quoted()
	} else {
		s, err = d.token(classAtom, "date")
	}
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse("2-Jan-2006", s)
	if err != nil || len(s) > 11 {
		return time.Time{}, syntaxf("bad date %q", s)
	}
	return t, nil
}

// SeqSet reads a sequence set (RFC 9051 9: sequence-set, with "$" of
// RFC 5182).
func (d *Decoder) SeqSet() (SeqSet, error) {
	var set SeqSet
	for {
		b, err := d.peek()
		if err != nil {
			return set, err
		}
		if b == '$' {
			d.readByte()
			set.Saved = true
		} else {
			lo, err := d.seqNumber()
			if err != nil {
				return set, err
			}
			hi := lo
			if ok, err := d.Accept(':'); err != nil {
				return set, err
			} else if ok {
				if hi, err = d.seqNumber(); err != nil {
					return set, err
				}
			}
			set.Ranges = append(set.Ranges, SeqRange{lo, hi})
			if len(set.Ranges) > maxSeqRanges {
				return set, syntaxf("sequence set too long")
			}
		}
		if ok, err := d.Accept(','); !ok || err != nil {
			return set, err
		}
	}
}

func (d *Decoder) seqNumber() (uint32, error) {
	if ok, err := d.Accept('*'); ok || err != nil {
		return Star, err
	}
	return d.NZNumber()
}
