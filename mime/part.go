package mime

import (
	"io"
	"strings"
)

// A PartKind says what a Part holds.
type PartKind int

// The kinds of Part.
const (
	// Leaf: a body of its own, read with Body or RawBody.
	Leaf PartKind = iota
	// Multipart: a multipart/* entity; its parts follow it.
	Multipart
	// Encapsulated: a message/rfc822 or message/global entity; the
	// encapsulated message follows it as the next Part.
	Encapsulated
)

// A Part is one entity of a message as a Reader hands it out.
type Part struct {
	// Header is the entity's header. For the top-level message and for an
	// encapsulated message it is the message header.
	Header Header

	// Path is the IMAP part number (RFC 3501 6.4.5): "1.2" is the second
	// part of the first part. A message that is not multipart has its body
	// at "1" ("2.1" for one encapsulated at "2"); a multipart message, or
	// one encapsulated at "2", has the path of the message ("" or "2").
	Path string

	// Depth counts the multipart and message entities this one is inside.
	Depth int

	// Kind says whether the part is a leaf, a multipart, or a
	// message/rfc822 wrapper.
	Kind PartKind

	// Message reports that Header is a message header: the top-level
	// message or an encapsulated one.
	Message bool

	// MediaType is the lower-case "type/subtype", defaulted as RFC 2045 5.2
	// and RFC 2046 5.1.5 say when absent or invalid.
	MediaType string

	// Params holds the Content-Type parameters, names in lower case,
	// RFC 2231 continuations joined and decoded; nil when there are none.
	Params map[string]string

	// Defects lists what was wrong in this entity and was recovered from.
	// Defects found while reading the body are added once it has been read.
	Defects []Defect

	// HeaderOffset, BodyOffset and EndOffset locate the entity in the
	// input, in octets from its start: the first octet of the header
	// (where it would be for an entity without header lines; an mbox
	// "From " line skipped before a message header counts as header),
	// the first octet of the body (after the empty line that ends the
	// header, or where the header ended at a delimiter line or the end of
	// input), and the octet after the body. Inside a multipart the body
	// ends before the line break that precedes the next delimiter line,
	// which belongs to the delimiter (RFC 2046 5.1.1); at the end of input
	// inside a multipart whose close delimiter is missing, before the last
	// line break; the top-level message ends at the end of input. (An
	// empty part whose header is just the empty line before a delimiter
	// line of an enclosing multipart keeps that line break as its header,
	// so it may reach past its container's EndOffset by that line break.) A
	// multipart's body holds its preamble, parts and epilogue; a
	// message/rfc822 wrapper's body is the encapsulated message.
	//
	// input[BodyOffset:EndOffset] is what RawBody reads, except for the
	// stand-in leaf of a multipart with no delimiter line whose body was
	// too long to keep (DefectBodyTruncated): its offsets give the whole
	// body. EndOffset is -1 until the Reader has read past the end of the
	// entity: for a leaf, once its body has been read; for a container,
	// once the Reader has moved past its last part and its epilogue
	// (ReadEntity returns final values).
	HeaderOffset, BodyOffset, EndOffset int64

	// Encoded reports that the entity is inside a message/rfc822 whose
	// body is transfer-encoded (which RFC 2045 6.4 forbids, but mailers
	// do). Such an entity is read from the decoded body, so it has no
	// place in the input: its offsets are -1. To locate it, decode the
	// wrapper's body (input[BodyOffset:EndOffset] of the wrapper) and read
	// that as a message of its own.
	Encoded bool

	outer        int // enclosing multipart boundaries, for the scanner's open list
	body         *bodyReader
	decoder      *Decoder
	decoded      decodedBody // what Body returns
	defectsTaken bool
	r            *Reader // lends decoders
}

// RawBody returns the body as it is on the wire, transfer encoding not
// undone. It is valid until the Reader's next call of Next. For a
// Multipart or Encapsulated part it is empty.
func (p *Part) RawBody() io.Reader {
	if p.body == nil || p.Kind != Leaf {
		return strings.NewReader("")
	}
	return p.body
}

// Body returns the body with its Content-Transfer-Encoding undone. It is
// valid until the Reader's next call of Next. Defects in the encoding are
// added to Defects when the body has been read to its end (or when the
// Reader moves past it).
func (p *Part) Body() io.Reader {
	if p.body == nil || p.Kind != Leaf {
		return strings.NewReader("")
	}
	if p.decoder == nil {
		cte := p.Header.Get("Content-Transfer-Encoding")
		if p.r != nil && p.r.spare != nil {
			p.decoder, p.r.spare = p.r.spare, nil
			p.decoder.Reset(cte, p.body)
		} else {
			p.decoder = NewDecoder(cte, p.body)
		}
		p.decoded = decodedBody{p}
	}
	return &p.decoded
}

// decodedBody reads a Part's decoder and takes its defects at the end.
type decodedBody struct{ p *Part }

func (d *decodedBody) Read(b []byte) (int, error) {
	dec := d.p.decoder
	if dec == nil {
		return 0, io.EOF // the Reader has moved on
	}
	n, err := dec.Read(b)
	if err == io.EOF {
		d.p.takeDecoderDefects()
	}
	return n, err
}

// setEnd records the end of the entity's body, which cannot come before
// its start.
func (p *Part) setEnd(end int64) {
	p.EndOffset = max(end, p.BodyOffset)
}

// takeDecoderDefects adds the decoder's defects to Defects, once.
func (p *Part) takeDecoderDefects() {
	if p.decoder != nil && !p.defectsTaken {
		p.defectsTaken = true
		p.Defects = append(p.Defects, p.decoder.Defects()...)
	}
}

// TransferEncoding returns the Content-Transfer-Encoding in canonical
// lower case ("7bit" when absent, RFC 2045 6.1), comments and quotes
// removed; an encoding this package does not know is returned as written,
// lower-cased.
func (p *Part) TransferEncoding() string {
	v := p.Header.Get("Content-Transfer-Encoding")
	if _, name, ok := parseTransferEncoding(v); ok {
		if name == "" {
			return "7bit"
		}
		return name
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// Charset returns the lower-case charset parameter, or "".
func (p *Part) Charset() string {
	return strings.ToLower(strings.TrimSpace(p.Params["charset"]))
}

// Disposition returns the lower-case Content-Disposition type ("inline",
// "attachment", ...), or "" when there is none.
func (p *Part) Disposition() string {
	v := p.Header.Get("Content-Disposition")
	if v == "" {
		return ""
	}
	d, _ := ParseContentDisposition(v)
	return d.Type
}

// Filename returns the Content-Disposition filename, else the Content-Type
// name parameter, decoded to UTF-8 (RFC 2231, and RFC 2047 as mailers
// misuse it), or "".
func (p *Part) Filename() string {
	if v := p.Header.Get("Content-Disposition"); v != "" {
		d, _ := ParseContentDisposition(v)
		if f := strings.TrimSpace(d.Params["filename"]); f != "" {
			return f
		}
	}
	return strings.TrimSpace(p.Params["name"])
}

// Size returns the number of raw body octets read so far; once the body
// has been read (or the Reader has moved past it), its full size.
func (p *Part) Size() int64 {
	if p.body == nil {
		return 0
	}
	return p.body.size
}

// Lines returns the number of line feeds in the raw body read so far; once
// the body has been read, its line count (RFC 3501 body-fld-lines, counted
// as Dovecot does: a bare CR ends no line here).
func (p *Part) Lines() int {
	if p.body == nil {
		return 0
	}
	return p.body.lines
}
