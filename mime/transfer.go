package mime

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefectInvalidUUEncode: a uuencoded body had no begin line, no end line or
// characters outside the uuencode alphabet.
const DefectInvalidUUEncode DefectKind = "invalid-uuencode"

// ErrUnsupportedTransferEncoding is returned (wrapped) by NewEncoder for a
// Content-Transfer-Encoding it cannot produce.
var ErrUnsupportedTransferEncoding = errors.New("mime: unsupported transfer encoding")

// transferBufSize is the size of the input buffer of every decoder. It bounds
// the memory a decoder holds and the lookahead a quoted-printable decoder
// can use.
const transferBufSize = 4096

// teMaxDetail bounds the length of a Defect.Detail built from input.
const teMaxDetail = 64

// A teSource is the buffered input of a decoder. The decoders work on
// buf[r0:r1] in place and call fill when they need more.
type teSource struct {
	r      io.Reader
	err    error // sticky error of r; io.EOF at the end
	r0, r1 int   // unread input is buf[r0:r1]
	off    int64 // input offset of buf[0], for defect details
	buf    [transferBufSize]byte
}

func (s *teSource) reset(r io.Reader) {
	s.r, s.err, s.r0, s.r1, s.off = r, nil, 0, 0, 0
}

// fill moves the unread input to the front of buf and reads once into the
// rest. It returns false when no more input can come (s.err is set).
func (s *teSource) fill() bool {
	if s.err != nil {
		return false
	}
	if s.r0 > 0 {
		s.off += int64(s.r0)
		s.r1 = copy(s.buf[:], s.buf[s.r0:s.r1])
		s.r0 = 0
	}
	if s.r1 == len(s.buf) {
		return true // full; the caller has input to work on
	}
	if s.r == nil {
		s.err = io.EOF
		return false
	}
	// Retry a few times on (0, nil) reads, as bufio does, then give up.
	for range 100 {
		n, err := s.r.Read(s.buf[s.r1:])
		if n < 0 || n > len(s.buf)-s.r1 {
			n, err = 0, errors.New("mime: reader returned invalid count")
		}
		s.r1 += n
		if err != nil {
			s.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.err = io.ErrNoProgress
	return false
}

// offset returns the input offset of buf[i].
func (s *teSource) offset(i int) int64 { return s.off + int64(i) }

// finalErr is the error to report once all input has been consumed.
func (s *teSource) finalErr() error {
	if s.err == nil {
		return io.EOF
	}
	return s.err
}

// teDefects collects the defects of one decoder. Each distinct problem is
// recorded once (the first occurrence), so hostile input cannot grow the
// list.
type teDefects struct {
	list []Defect
	seen uint32 // bit set of problems recorded
}

func (d *teDefects) add(problem uint, kind DefectKind, detail string) {
	if d.seen&(1<<problem) != 0 {
		return
	}
	d.seen |= 1 << problem
	d.list = append(d.list, Defect{Kind: kind, Detail: detail})
}

func (d *teDefects) reset() { d.list, d.seen = nil, 0 }

// teQuoteDetail renders raw input for a Defect.Detail, truncated.
func teQuoteDetail(b []byte) string {
	if len(b) > teMaxDetail {
		b = b[:teMaxDetail]
	}
	return fmt.Sprintf("%q", b)
}

// teCharDetail renders one input octet for a Defect.Detail: quoted when it
// is printable ASCII, in hexadecimal otherwise.
func teCharDetail(c byte) string {
	if c > ' ' && c < 0x7f {
		return fmt.Sprintf("%q", c)
	}
	return fmt.Sprintf("0x%02X", c)
}

// The kinds of transfer encoding a Decoder knows.
type teKind uint8

const (
	teIdentity teKind = iota
	teBase64
	teQuotedPrintable
	teUUEncode
)

// parseTransferEncoding maps a Content-Transfer-Encoding value to its kind
// and canonical lower-case name. RFC 2045 6.1: the value is a
// case-insensitive token; surrounding white space and RFC 5322 comments are
// ignored. ok is false for anything else.
func parseTransferEncoding(v string) (kind teKind, name string, ok bool) {
	tok, ok := cteToken(v)
	if !ok {
		return teIdentity, "", false
	}
	switch {
	case tok == "":
		return teIdentity, "", true
	case strings.EqualFold(tok, "7bit"):
		return teIdentity, "7bit", true
	case strings.EqualFold(tok, "8bit"):
		return teIdentity, "8bit", true
	case strings.EqualFold(tok, "binary"):
		return teIdentity, "binary", true
	case strings.EqualFold(tok, "base64"):
		return teBase64, "base64", true
	case strings.EqualFold(tok, "quoted-printable"):
		return teQuotedPrintable, "quoted-printable", true
	case strings.EqualFold(tok, "x-uuencode"), strings.EqualFold(tok, "uuencode"),
		strings.EqualFold(tok, "x-uue"), strings.EqualFold(tok, "uue"):
		return teUUEncode, strings.ToLower(tok), true
	}
	return teIdentity, "", false
}

// cteToken returns the single token in v, skipping white space and
// comments around it. ok is false when v holds anything else.
func cteToken(v string) (tok string, ok bool) {
	i := cteSkipCFWS(v, 0)
	start := i
	for i < len(v) && cteIsTokenChar(v[i]) {
		i++
	}
	tok = v[start:i]
	if cteSkipCFWS(v, i) != len(v) {
		return "", false
	}
	return tok, true
}

// cteSkipCFWS skips white space and (nested) comments from v[i:] and returns
// the index of the first other byte. An unterminated comment runs to the
// end.
func cteSkipCFWS(v string, i int) int {
	depth := 0
	for i < len(v) {
		c := v[i]
		switch {
		case depth > 0 && c == '\\':
			i++
		case c == '(':
			depth++
		case depth > 0 && c == ')':
			depth--
		case depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n':
			return i
		}
		i++
	}
	return len(v)
}

// cteIsTokenChar reports whether c may appear in an RFC 2045 token.
func cteIsTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

// A Decoder reads a body and undoes its Content-Transfer-Encoding
// (RFC 2045 6.). It recovers from damaged input and records what was wrong
// as Defects.
//
// A Decoder holds one fixed input buffer; it never reads more of the body
// than it needs and its memory does not grow with the input.
type Decoder struct {
	kind teKind
	name string
	src  teSource
	b64  base64State
	qp   qpState
	uu   uuState
	def  teDefects
}

// NewDecoder returns a Decoder that reads the body r, encoded with the
// Content-Transfer-Encoding transferEncoding. The name is case-insensitive
// and may be surrounded by white space and comments. "7bit", "8bit",
// "binary" and "" (no header; RFC 2045 6.1 default 7bit) give the body as it
// is; "base64", "quoted-printable" and the uuencode names "x-uuencode",
// "uuencode", "x-uue" and "uue" are decoded. Any other value gives the body
// as it is and records DefectUnknownTransferEncoding.
func NewDecoder(transferEncoding string, r io.Reader) *Decoder {
	d := new(Decoder)
	d.Reset(transferEncoding, r)
	return d
}

// Reset discards the Decoder's state and makes it read r, encoded with
// transferEncoding, as NewDecoder does. It lets one Decoder, and its
// buffer, serve many bodies.
func (d *Decoder) Reset(transferEncoding string, r io.Reader) {
	kind, name, ok := parseTransferEncoding(transferEncoding)
	d.kind, d.name = kind, name
	d.src.reset(r)
	d.b64.reset()
	d.qp.reset()
	d.uu.reset()
	d.def.reset()
	if !ok {
		d.def.add(0, DefectUnknownTransferEncoding, teQuoteDetail([]byte(transferEncoding)))
	}
}

// Encoding returns the canonical lower-case name of the transfer encoding
// being decoded: "7bit", "8bit", "binary", "base64", "quoted-printable", one
// of the uuencode names, or "" when the encoding was empty or unknown.
func (d *Decoder) Encoding() string { return d.name }

// Read reads decoded bytes into p.
func (d *Decoder) Read(p []byte) (int, error) {
	switch d.kind {
	case teBase64:
		return d.b64.read(&d.src, p, &d.def)
	case teQuotedPrintable:
		return d.qp.read(&d.src, p, &d.def)
	case teUUEncode:
		return d.uu.read(&d.src, p, &d.def)
	}
	if d.src.r == nil {
		return 0, io.EOF
	}
	return d.src.r.Read(p)
}

// Defects returns what was found wrong so far, in the order found. Each
// kind of problem is recorded once. The result is complete once Read has
// returned io.EOF.
func (d *Decoder) Defects() []Defect { return d.def.list }

// NewEncoder returns a writer that applies the Content-Transfer-Encoding
// transferEncoding to what is written and writes the result to w. It
// supports "base64" (NewBase64Writer), "quoted-printable"
// (NewQuotedPrintableWriter in text mode) and the identity encodings "7bit",
// "8bit" and "binary", which write through unchanged. The name is matched as
// NewDecoder matches it. Close flushes the encoder and does not close w.
// Other encodings give an error wrapping ErrUnsupportedTransferEncoding.
func NewEncoder(transferEncoding string, w io.Writer) (io.WriteCloser, error) {
	kind, name, ok := parseTransferEncoding(transferEncoding)
	if ok {
		switch kind {
		case teBase64:
			return NewBase64Writer(w), nil
		case teQuotedPrintable:
			return NewQuotedPrintableWriter(w, false), nil
		case teIdentity:
			if name != "" {
				return teNopWriteCloser{w}, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedTransferEncoding, transferEncoding)
}

type teNopWriteCloser struct{ io.Writer }

func (teNopWriteCloser) Close() error { return nil }

// chooseMaxLine is the RFC 5322 2.1.1 limit on a line, without its CRLF.
const chooseMaxLine = 998

// ChooseTransferEncoding returns the Content-Transfer-Encoding a message
// builder should use for a body that starts with sample (pass the whole
// body when it is at hand). The rule, after RFC 2045 2.7, 2.8 and 6.:
//
//   - "7bit" when every line is at most 998 octets (CRLF or LF not counted)
//     and sample has no octet above 127, no NUL and no CR that is not
//     followed by LF;
//   - "8bit" under the same conditions but with octets above 127, when
//     allow8bit says the transport accepts 8BITMIME (RFC 6152);
//   - "quoted-printable" when fewer than one octet in six would need an
//     escape (octets above 127, controls other than TAB, CR and LF, and
//     "="), that is, when the text stays mostly readable and no larger than
//     base64;
//   - "base64" otherwise.
//
// The empty sample gives "7bit".
func ChooseTransferEncoding(sample []byte, allow8bit bool) string {
	var eight, escapes int
	var nul, bareCR bool
	line, longest := 0, 0
	for i, c := range sample {
		switch {
		case c == '\n':
			longest = max(longest, line)
			line = 0
			continue
		case c == '\r':
			if i+1 < len(sample) && sample[i+1] == '\n' {
				continue // counted with the LF
			}
			bareCR = true
			escapes++
		case c == 0:
			nul = true
			escapes++
		case c >= 0x80:
			eight++
			escapes++
		case c == '=' || (c < ' ' && c != '\t') || c == 0x7f:
			escapes++
		}
		line++
	}
	longest = max(longest, line)
	if !nul && !bareCR && longest <= chooseMaxLine {
		if eight == 0 {
			return "7bit"
		}
		if allow8bit {
			return "8bit"
		}
	}
	if escapes*6 < len(sample) {
		return "quoted-printable"
	}
	return "base64"
}
