package mailbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/postkit/postkit/mime"
)

// MaxTextLayoutParts bounds the parts a TextLayout lists. A message with
// more text parts gets no layout and is searched by reading it whole:
// the bound keeps what a store holds per message small next to the
// message, whatever its structure (a part costs a store about 48 octets
// and takes at least a delimiter line and an empty line of the message).
const MaxTextLayoutParts = 64

// A TextLayout says where the text a BODY search matches is in a stored
// message: the text/*, message/* and malformed multipart leaves of the
// message (see Match), in the order mime.Reader hands them out, and how
// each is encoded. A store keeps it so that a search decodes those parts
// directly, without reading the message's structure again (see
// TextLayouter).
type TextLayout struct {
	// Parts lists the text leaves, up to the first mime.Limits bound the
	// message reaches, if any: Search searches no further.
	Parts []TextPart
}

// A TextPart is one text leaf of a message: its body is the octets
// [BodyOffset, EndOffset) of the message, in TransferEncoding (a name
// mime.NewDecoder takes; "" for the identity encodings) and Charset
// (lower case; "" when the part names none).
type TextPart struct {
	BodyOffset, EndOffset int64
	TransferEncoding      string
	Charset               string
}

// ReadTextLayout reads the message in body once, with mime.Reader's
// default Limits, and returns the layout of its text parts, or nil when
// the message has none that a TextLayout can describe: a text part
// inside a transfer-encoded message/rfc822 (which has no place in the
// stored octets), a multipart without delimiters too long for
// mime.Reader to keep whole, or more than MaxTextLayoutParts text parts.
// Bodies are skipped, not decoded.
func ReadTextLayout(body Body) (*TextLayout, error) {
	mr := mime.NewReader(io.NewSectionReader(body, 0, body.Size()))
	defer mr.Close()
	var parts []*mime.Part
	for {
		p, err := mr.Next()
		if err == io.EOF || errors.Is(err, mime.ErrLimitExceeded) {
			// Search stops at a bound as well.
			break
		}
		if err != nil {
			return nil, err
		}
		if p.Encoded {
			return nil, nil
		}
		if !searchable(p) {
			continue
		}
		for _, d := range p.Defects {
			if d.Kind == mime.DefectBodyTruncated {
				return nil, nil // its offsets hold more than its body
			}
		}
		if len(parts) == MaxTextLayoutParts {
			return nil, nil
		}
		parts = append(parts, p)
	}
	// The offsets are final once the Reader has moved past each body.
	l := &TextLayout{Parts: make([]TextPart, len(parts))}
	for i, p := range parts {
		if p.BodyOffset < 0 || p.EndOffset < p.BodyOffset || p.EndOffset > body.Size() {
			return nil, nil
		}
		l.Parts[i] = TextPart{
			BodyOffset:       p.BodyOffset,
			EndOffset:        p.EndOffset,
			TransferEncoding: layoutEncoding(p.TransferEncoding()),
			Charset:          layoutCharset(p.Charset()),
		}
	}
	return l, nil
}

// layoutEncoding returns the transfer encoding te (a canonical name from
// mime.Part.TransferEncoding) as a TextPart keeps it: a constant, so
// that a layout holds no string of the message's header.
func layoutEncoding(te string) string {
	switch te {
	case "base64":
		return "base64"
	case "quoted-printable":
		return "quoted-printable"
	case "x-uuencode":
		return "x-uuencode"
	case "uuencode":
		return "uuencode"
	case "x-uue":
		return "x-uue"
	case "uue":
		return "uue"
	}
	// 7bit, 8bit, binary, and unknown encodings, which mime.Reader
	// reads as they are.
	return ""
}

// layoutCharset returns cs as a TextPart keeps it: the common names as
// constants, others copied out of the header they came from.
func layoutCharset(cs string) string {
	for _, c := range commonCharsets {
		if cs == c {
			return c
		}
	}
	return strings.Clone(cs)
}

var commonCharsets = [...]string{"", "us-ascii", "utf-8", "iso-8859-1", "iso-8859-15",
	"windows-1252", "iso-8859-2", "windows-1251", "koi8-r", "iso-2022-jp", "shift_jis",
	"gb2312", "gbk", "big5", "euc-kr", "utf8"}

// matchLayout ends ev.match for a message whose store gave its text
// layout: the header is read only when the program needs it, and the
// body strings are looked for in the layout's parts alone, each decoded
// straight from its octets, as scanBody would find them.
func (ev *evaluator) matchLayout(ctx context.Context, body Body, l *TextLayout) (bool, error) {
	if ev.p.needHeader {
		mr := mime.NewReader(&ctxReader{ctx: ctx, r: io.NewSectionReader(body, 0, body.Size())})
		top, err := mr.Next()
		mr.Close()
		switch {
		case err == nil:
			ev.hdr = top.Header
		case errors.Is(err, mime.ErrLimitExceeded) || err == io.EOF:
		default:
			return false, readErr(ctx, err)
		}
	}
	ev.readHeader()
	if r := ev.eval(ev.p.root); r != triUnknown {
		return r == triTrue, nil
	}
	if err := ev.scanLayout(ctx, body, l); err != nil {
		return false, readErr(ctx, err)
	}
	ev.bodyDone = true
	return ev.eval(ev.p.root) == triTrue, nil
}

// scanLayout is scanBody over the parts of a layout.
func (ev *evaluator) scanLayout(ctx context.Context, body Body, l *TextLayout) error {
	s := &ev.scan
	if s.buf == nil {
		s.buf = make([]byte, searchReadSize)
	}
	size := body.Size()
	for _, tp := range l.Parts {
		if tp.BodyOffset < 0 || tp.EndOffset < tp.BodyOffset || tp.EndOffset > size {
			return fmt.Errorf("mailbox: text layout does not match the message (%d, %d of %d octets)", tp.BodyOffset, tp.EndOffset, size)
		}
		if s.start(ev.p, ev.found, false) {
			ev.sect = sectionReader{ctx: ctx, r: body, off: tp.BodyOffset, end: tp.EndOffset}
			var r io.Reader = &ev.sect
			if tp.TransferEncoding != "" {
				if ev.dec == nil {
					ev.dec = mime.NewDecoder(tp.TransferEncoding, r)
				} else {
					ev.dec.Reset(tp.TransferEncoding, r)
				}
				r = ev.dec
			}
			done, err := ev.scanText(r, tp.Charset)
			if err != nil || done {
				return err
			}
		}
		if ev.decided() {
			return nil
		}
	}
	return nil
}

// sectionReader reads the octets [off, end) of r, and fails once its
// context is done. The evaluator keeps one, for every part it reads.
type sectionReader struct {
	ctx      context.Context
	r        io.ReaderAt
	off, end int64
}

func (s *sectionReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if s.off >= s.end {
		return 0, io.EOF
	}
	if int64(len(p)) > s.end-s.off {
		p = p[:s.end-s.off]
	}
	n, err := s.r.ReadAt(p, s.off)
	s.off += int64(n)
	if err == io.EOF && s.off < s.end {
		err = io.ErrUnexpectedEOF
	} else if err == io.EOF || s.off == s.end {
		err = nil
	}
	return n, err
}
