package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/postkit/postkit/internal/textutil"
	"io"
	"strings"

	"github.com/postkit/postkit/mime"
)

// Errors of OpenSection.
var (
	// ErrNoSuchSection: the section names a part the message does not
	// have, or HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT or TEXT after a
	// part that is not message/rfc822 or message/global. Dovecot answers
	// such a FETCH with an empty string (BODY[9] ""), and an IMAP server
	// that wants to behave the same maps this error to an empty literal.
	ErrNoSuchSection = errors.New("mailbox: no such body section")
	// ErrInvalidSection: the SectionSpec breaks the section grammar of
	// RFC 9051 6.4.5 (a part number below 1, MIME without a part number,
	// HEADER.FIELDS without field names, an unknown specifier). An IMAP
	// server rejects such a command before it gets here (BAD).
	ErrInvalidSection = errors.New("mailbox: invalid body section")
)

// ReadStructure reads the message in body once and returns its structure:
// every entity with the offsets of its header and body (mime.Entity's
// HeaderOffset, BodyOffset, EndOffset). The result is what OpenSection
// needs to read any section without reading the rest of the message; a
// store may compute it once per message and keep it. Bodies are read
// through, not kept: memory is bounded by the structure, with mime's
// default Limits.
func ReadStructure(body Body) (*mime.Entity, error) {
	return mime.ReadEntity(io.NewSectionReader(body, 0, body.Size()), nil)
}

// A SectionSpec is the section of an IMAP BODY[section] fetch
// (RFC 9051 6.4.5.1): zero or more part numbers, then an optional
// specifier.
type SectionSpec struct {
	// Part holds the part numbers: [4 2 1] for "4.2.1"; none for the
	// message itself.
	Part []int
	// Specifier is "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT",
	// "TEXT" or "MIME" (in any case).
	Specifier string
	// Fields are the field names of HEADER.FIELDS and HEADER.FIELDS.NOT,
	// matched ASCII-case-insensitively.
	Fields []string
}

// OpenSection returns a reader over exactly the octets that IMAP returns
// for BODY[section] of the message in body (RFC 9051 6.4.5), and their
// number. root is the message's structure from ReadStructure.
//
//   - BODY[] is the whole message; BODY[HEADER] its header, the empty line
//     that ends it included; BODY[TEXT] what follows that line.
//   - BODY[1.2] is the body of part 1.2: for a multipart part, its
//     preamble, parts and epilogue; for a message/rfc822 part, the whole
//     encapsulated message. A message that is not multipart has its body
//     as part 1; a part that is neither multipart nor message has itself
//     as its only subpart (BODY[1.1] of such a part 1 is BODY[1]), as in
//     Dovecot.
//   - BODY[1.2.MIME] is the MIME header of part 1.2. For the part 1 of a
//     message that is not multipart, and for a message that is not
//     multipart encapsulated in a message/rfc822 part 2 (BODY[2.1.MIME]),
//     that is the message header, as in Dovecot.
//   - BODY[2.HEADER], BODY[2.TEXT], BODY[2.HEADER.FIELDS (...)] need part 2
//     to be message/rfc822 (or message/global): they are the header and
//     text of the encapsulated message.
//   - HEADER.FIELDS and HEADER.FIELDS.NOT return the header lines of the
//     fields named (not named), folded lines whole, in their order, then
//     the empty line that ended the header. A header without that line
//     gets a CRLF when a body follows, nothing when none does (RFC 9051
//     6.4.5.1). Lines that are not fields (an mbox "From " line) are left
//     out of both.
//
// Octets are returned as stored: a message stored with bare LF line ends
// comes back with them (Dovecot would send CRLF). Partial fetches
// (<start.length>) are left to the caller: skip start octets of the
// reader, or wrap it in an io.SectionReader, and cap the length.
//
// Only the octets of the section are read from body, except for
// HEADER.FIELDS (the header is read and filtered in memory) and for
// sections inside a message/rfc822 whose body is transfer-encoded (which
// RFC 2045 6.4 forbids, but mailers do): there the encapsulated message
// is decoded and its structure read once more, and the section is read
// by decoding again from the start of that body, with bounded memory.
//
// A section the message does not have gives ErrNoSuchSection, an invalid
// spec ErrInvalidSection.
func OpenSection(body Body, root *mime.Entity, spec SectionSpec) (io.Reader, int64, error) {
	kind := strings.ToUpper(spec.Specifier)
	switch kind {
	case "", "HEADER", "TEXT":
	case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
		if len(spec.Fields) == 0 {
			return nil, 0, fmt.Errorf("%w: %s without field names", ErrInvalidSection, kind)
		}
	case "MIME":
		if len(spec.Part) == 0 {
			return nil, 0, fmt.Errorf("%w: MIME without a part number", ErrInvalidSection)
		}
	default:
		return nil, 0, fmt.Errorf("%w: unknown specifier %q", ErrInvalidSection, spec.Specifier)
	}
	for _, n := range spec.Part {
		if n < 1 {
			return nil, 0, fmt.Errorf("%w: part number %d", ErrInvalidSection, n)
		}
	}
	if root == nil {
		return nil, 0, errors.New("mailbox: no message structure")
	}
	src := source{raw: body, size: body.Size()}
	if len(spec.Part) == 0 && kind == "" {
		// RFC 9051 6.4.5: BODY[] is the whole message.
		return io.NewSectionReader(body, 0, src.size), src.size, nil
	}
	e, src, err := findPart(root, src, spec.Part)
	if err != nil {
		return nil, 0, err
	}
	if kind != "" && kind != "MIME" && len(spec.Part) > 0 {
		// RFC 9051 6.4.5.1: HEADER, HEADER.FIELDS[.NOT] and TEXT after a
		// part number need a message/rfc822 or message/global part, and
		// refer to the encapsulated message.
		if e.Kind != mime.Encapsulated || len(e.Parts) == 0 {
			return nil, 0, ErrNoSuchSection
		}
		if e, src, err = enter(e, src); err != nil {
			return nil, 0, err
		}
	}
	if err := src.check(e); err != nil {
		return nil, 0, err
	}
	switch kind {
	case "":
		return src.open(e.BodyOffset, e.EndOffset-e.BodyOffset)
	case "TEXT":
		return src.open(e.BodyOffset, e.EndOffset-e.BodyOffset)
	case "HEADER", "MIME":
		return src.open(e.HeaderOffset, e.BodyOffset-e.HeaderOffset)
	}
	r, _, err := src.open(e.HeaderOffset, e.BodyOffset-e.HeaderOffset)
	if err != nil {
		return nil, 0, err
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, err
	}
	out := filterHeader(raw, spec.Fields, kind == "HEADER.FIELDS.NOT", e.EndOffset > e.BodyOffset)
	return bytes.NewReader(out), int64(len(out)), nil
}

// findPart follows the part numbers from the message root, as Dovecot
// does: a multipart's number n is its n-th part; any other entity has
// only a part 1, itself, and only a message/rfc822 part may be followed
// by more numbers, which then number the parts of the encapsulated
// message.
func findPart(root *mime.Entity, src source, nums []int) (*mime.Entity, source, error) {
	e := root
	for i, n := range nums {
		more := i < len(nums)-1
		if e.Kind == mime.Multipart {
			if n > len(e.Parts) {
				return nil, src, ErrNoSuchSection
			}
			e = e.Parts[n-1]
		} else if n != 1 || more && e.Kind != mime.Encapsulated {
			return nil, src, ErrNoSuchSection
		}
		if more && e.Kind == mime.Encapsulated {
			var err error
			if e, src, err = enter(e, src); err != nil {
				return nil, src, err
			}
		}
	}
	return e, src, nil
}

// enter returns the message encapsulated in the message/rfc822 entity e,
// and where its octets are. When e's body is transfer-encoded, the
// message's offsets are in the decoded body: it is decoded and its
// structure read again.
func enter(e *mime.Entity, src source) (*mime.Entity, source, error) {
	if len(e.Parts) == 0 {
		return nil, src, ErrNoSuchSection
	}
	inner := e.Parts[0]
	if !inner.Encoded {
		return inner, src, nil
	}
	if err := src.check(e); err != nil {
		return nil, src, err
	}
	dec := source{
		parent: &src,
		start:  e.BodyOffset,
		length: e.EndOffset - e.BodyOffset,
		cte:    e.Header.Get("Content-Transfer-Encoding"),
	}
	r, err := dec.decoded()
	if err != nil {
		return nil, src, err
	}
	msg, err := mime.ReadEntity(countingReader{r: r, n: &dec.size}, nil)
	if err != nil {
		return nil, src, err
	}
	return msg, dec, nil
}

// A source is where a structure's offsets point: the stored message, or
// the decoded body of a transfer-encoded message/rfc822 part in another
// source.
type source struct {
	raw  io.ReaderAt // the stored message, for the outermost source
	size int64       // octets in the source

	// For a decoded body: the raw body is parent's octets
	// [start, start+length), in transfer encoding cte.
	parent        *source
	start, length int64
	cte           string
}

// open returns a reader over the octets [off, off+n) of the source.
func (s source) open(off, n int64) (io.Reader, int64, error) {
	if s.parent == nil {
		return io.NewSectionReader(s.raw, off, n), n, nil
	}
	r, err := s.decoded()
	if err != nil {
		return nil, 0, err
	}
	if _, err := io.CopyN(io.Discard, r, off); err != nil {
		return nil, 0, fmt.Errorf("mailbox: decoding a message/rfc822 body: %w", err)
	}
	return &exactReader{r: r, left: n}, n, nil
}

// decoded returns a reader over the whole decoded body.
func (s source) decoded() (io.Reader, error) {
	r, _, err := s.parent.open(s.start, s.length)
	if err != nil {
		return nil, err
	}
	return mime.NewDecoder(s.cte, r), nil
}

// check reports an error when e's offsets do not fit the source: a
// structure read from another message, or an entity without offsets.
func (s source) check(e *mime.Entity) error {
	if e.Encoded || e.HeaderOffset < 0 || e.HeaderOffset > e.BodyOffset || e.BodyOffset > e.EndOffset || e.EndOffset > s.size {
		return fmt.Errorf("mailbox: message structure does not match the message (part %q at %d, %d, %d of %d octets)",
			e.Path, e.HeaderOffset, e.BodyOffset, e.EndOffset, s.size)
	}
	return nil
}

// countingReader counts the octets read through it.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// exactReader reads left octets of r, and fails if r has fewer: the
// reader OpenSection returns must give the number of octets it promised.
type exactReader struct {
	r    io.Reader
	left int64
}

func (x *exactReader) Read(p []byte) (int, error) {
	if x.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > x.left {
		p = p[:x.left]
	}
	n, err := x.r.Read(p)
	x.left -= int64(n)
	if err == io.EOF && x.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// filterHeader returns the lines of the header block raw (as stored,
// the empty line that ends it included when present) whose field name
// is among names (not among them, with not), then the empty line.
// bodyFollows says whether the entity has a body: a header that ended
// without an empty line gets a CRLF only then (RFC 9051 6.4.5.1).
func filterHeader(raw []byte, names []string, not, bodyFollows bool) []byte {
	var out []byte
	keep := false // the current field is kept; its continuation lines too
	var blank []byte
	for len(raw) > 0 {
		line, rest := splitLine(raw)
		raw = rest
		content := bytes.TrimRight(line, "\r\n")
		switch {
		case len(content) == 0:
			blank = line // the empty line ends the header
			raw = nil
			continue
		case content[0] == ' ' || content[0] == '\t':
			// A continuation line goes with its field.
		default:
			name, ok := fieldName(content)
			keep = ok && matchName(name, names) != not
		}
		if keep {
			out = append(out, line...)
		}
	}
	switch {
	case blank != nil:
		out = append(out, blank...)
	case bodyFollows:
		out = append(out, '\r', '\n')
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// splitLine returns the first line of b with its line end (CRLF, LF or a
// bare CR, as mime reads them), and the rest.
func splitLine(b []byte) (line, rest []byte) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return b, nil
	}
	if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
		i++
	}
	return b[:i+1], b[i+1:]
}

// fieldName returns the name of the field that line starts, and false
// when line is not a field (no colon after a name; RFC 5322 3.6.8). White
// space before the colon is allowed (RFC 5322 4.5).
func fieldName(line []byte) (string, bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return "", false
	}
	name := bytes.TrimRight(line[:colon], " \t")
	if len(name) == 0 {
		return "", false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f {
			return "", false
		}
	}
	return string(name), true
}

// matchName reports whether name is among names, ASCII case-insensitively
// (RFC 9051 6.4.5.1: "ASCII-range case insensitive but otherwise exact").
func matchName(name string, names []string) bool {
	for _, n := range names {
		if textutil.EqualFoldASCII(n, name) {
			return true
		}
	}
	return false
}
