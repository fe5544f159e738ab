package mime

import (
	"errors"
	"io"
	"strconv"
	"strings"
)

// A Reader reads the entities of one message, depth first, as a stream:
// the message itself, then each part in order, descending into multipart
// entities and encapsulated messages. Bodies are read from the underlying
// reader as the caller reads them and are never held in memory.
//
// Broken structure is recovered from as a mail client would: a missing
// close delimiter ends a part at its parent's next delimiter or at the end
// of input, a header without its empty line ends at the first line that is
// not a field, and so on; each such repair is recorded as a Defect on the
// Part. Next returns an error only for a read error or a Limits bound.
type Reader struct {
	// Limits bounds what the Reader accepts. Set it before the first call
	// of Next.
	Limits Limits

	s       *scanner
	started bool
	stack   []*frame
	cur     *Part
	parts   int
	count   *int            // entities read so far, shared with nested Readers
	sub     *encodedMessage // a transfer-encoded message/rfc822 being read

	scratch headerScratch
	spare   *Decoder // a decoder to reuse for the next body

	// For the Reader of an encoded message: the path and depth of the
	// message within the outer one; encoded marks its parts Encoded.
	basePath  string
	baseDepth int
	encoded   bool
	err       error
}

// An encodedMessage is a transfer-encoded message/rfc822 being read.
type encodedMessage struct {
	r       *Reader // over the decoded body
	wrapper *Part   // the message/rfc822 part
}

// nextEncoded returns the next entity of the encoded message being read,
// with its path and depth placed under the wrapper's, or nil at its end.
func (r *Reader) nextEncoded() (*Part, error) {
	sub, w := r.sub.r, r.sub.wrapper
	p, err := sub.Next()
	if err == nil {
		return p, nil
	}
	if err != io.EOF {
		return nil, err
	}
	r.sub = nil
	if err := w.body.drain(); err != nil {
		return nil, err
	}
	r.finishBody(w)
	return nil, nil
}

// A frame is an open container: a multipart or an encapsulated message.
type frame struct {
	part     *Part
	bound    int // index of the multipart's boundary in scanner.bounds
	children int
	digest   bool // multipart/digest: parts default to message/rfc822
}

// NewReader returns a Reader for the message in r.
func NewReader(r io.Reader) *Reader {
	mr := &Reader{s: newScanner(r)}
	mr.count = &mr.parts
	return mr
}

// Next returns the next entity. The previous Part's body is skipped if it
// was not read to its end, and becomes invalid. At the end of the message
// Next returns io.EOF.
func (r *Reader) Next() (*Part, error) {
	if r.err != nil {
		return nil, r.err
	}
	p, err := r.next()
	if err != nil {
		r.err = err
		r.cur = nil
		r.s.lr.release()
		return nil, err
	}
	r.cur = p
	return p, nil
}

// ErrReaderClosed is returned by Next after Close.
var ErrReaderClosed = errors.New("mime: Reader closed")

// Close releases the Reader's buffers for reuse by other Readers. Call it
// when you stop before Next returned io.EOF or an error (which release
// them already), such as after reading only the header; Next then
// returns ErrReaderClosed. Close does not close the underlying reader.
func (r *Reader) Close() error {
	if r.sub != nil {
		r.sub.r.Close()
		r.sub = nil
	}
	if r.err == nil {
		r.err = ErrReaderClosed
	}
	r.cur = nil
	r.s.lr.release()
	return nil
}

func (r *Reader) next() (*Part, error) {
	if !r.started {
		r.started = true
		return r.readPart(r.basePath, r.baseDepth, true, "text/plain")
	}
	if r.sub != nil {
		p, err := r.nextEncoded()
		if p != nil || err != nil {
			return p, err
		}
	} else if c := r.cur; c != nil && c.Kind == Leaf && c.body != nil {
		if err := c.body.drain(); err != nil {
			return nil, err
		}
		r.finishBody(c)
	}
	for len(r.stack) > 0 {
		top := r.stack[len(r.stack)-1]
		if top.part.Kind == Encapsulated {
			if top.children == 0 {
				top.children++
				return r.readPart(top.part.Path, r.baseDepth+len(r.stack), true, "text/plain")
			}
			r.pop()
			continue
		}
		// A multipart: find its next delimiter, skipping the preamble, the
		// rest of the previous part, or the epilogue of a nested multipart.
		var preamble []byte
		preambleCut := false
		if r.s.hit < 0 && !r.s.eof {
			skip := bodyReader{s: r.s, keepFinalEOL: true}
			if top.children == 0 {
				// Keep the preamble: if no delimiter follows, it is the
				// text a person would see.
				preamble, preambleCut = skip.collect(maxRetainedPreamble)
			}
			if err := skip.drain(); err != nil {
				return nil, err
			}
		}
		switch {
		case r.s.hit == top.bound && !r.s.hitClose:
			r.s.hit = -1
			r.skipRepeatedDelimiters(top.bound)
			top.children++
			def := "text/plain"
			if top.digest {
				def = "message/rfc822"
			}
			path := strconv.Itoa(top.children)
			if top.part.Path != "" {
				path = top.part.Path + "." + path
			}
			return r.readPart(path, r.baseDepth+len(r.stack), false, def)
		case r.s.hit == top.bound && top.children > 0: // the close delimiter
			r.s.hit = -1
			r.pop()
		case top.children == 0:
			end := r.s.lr.pos() // the end of input, or the delimiter line
			if r.s.hit >= 0 {
				end = r.s.hitLine
			}
			if r.s.hit == top.bound {
				r.s.hit = -1 // a close delimiter with no part before it
			}
			// No delimiter at all: the body is one text, handed out as a
			// leaf standing in for the parts (as mail clients show it).
			top.part.Defects = append(top.part.Defects, Defect{Kind: DefectStartBoundaryNotFound})
			r.pop()
			return r.standIn(top.part, preamble, preambleCut, end)
		default: // an enclosing multipart's delimiter, or the end of input
			top.part.Defects = append(top.part.Defects, Defect{Kind: DefectCloseBoundaryNotFound})
			r.pop()
		}
	}
	if !r.s.eof {
		// The epilogue of a top-level multipart: read to the end, for
		// the message's EndOffset.
		r.s.hit = -1
		rest := bodyReader{s: r.s}
		if err := rest.drain(); err != nil {
			return nil, err
		}
	}
	if r.s.err != nil {
		return nil, r.s.err
	}
	return nil, io.EOF
}

// maxRetainedPreamble bounds the preamble kept in case a multipart turns
// out to have no delimiter line.
const maxRetainedPreamble = 1 << 20

// standIn returns the leaf that stands in for the parts of multipart m
// whose body has no delimiter line: same header, the body as its content,
// numbered and placed as m's only part (as Dovecot does; IMAP has no empty
// multipart). cut says the body was longer than could be kept; end is the
// offset of the end of m's body, its last line break included.
func (r *Reader) standIn(m *Part, body []byte, cut bool, end int64) (*Part, error) {
	if err := r.countPart(); err != nil {
		return nil, err
	}
	p := &Part{Header: m.Header, Path: leafPath(m.Path), Depth: m.Depth + 1,
		MediaType: m.MediaType, Params: m.Params, Kind: Leaf,
		HeaderOffset: m.HeaderOffset, BodyOffset: m.BodyOffset, EndOffset: max(end, m.BodyOffset), Encoded: m.Encoded}
	if p.Encoded {
		p.EndOffset = -1
	}
	if cut {
		p.Defects = append(p.Defects, Defect{Kind: DefectBodyTruncated, Detail: strconv.Itoa(len(body))})
	}
	s := &scanner{lr: &lineReader{buf: body, end: len(body), err: io.EOF}, atLineStart: true, hit: -1}
	p.body = &bodyReader{s: s}
	return p, nil
}

// countPart counts one more entity against Limits.MaxParts.
func (r *Reader) countPart() error {
	*r.count++
	if max := r.Limits.maxParts(); *r.count > max {
		return &LimitError{Limit: "parts", Max: max}
	}
	return nil
}

func leafPath(messagePath string) string {
	if messagePath == "" {
		return "1"
	}
	return messagePath + ".1"
}

// skipRepeatedDelimiters consumes delimiter lines of the same boundary that
// directly follow one: they enclose no part a person could see, and CPython
// reads them the same way.
func (r *Reader) skipRepeatedDelimiters(bound int) {
	for {
		_, _, delim, eof := r.s.nextPiece()
		switch {
		case eof:
			return
		case delim:
			if r.s.hit != bound || r.s.hitClose {
				return
			}
			r.s.hit = -1
		default:
			r.s.unread()
			return
		}
	}
}

func (r *Reader) pop() {
	top := r.stack[len(r.stack)-1]
	r.stack = r.stack[:len(r.stack)-1]
	if top.part.Kind == Multipart {
		r.s.bounds = r.s.bounds[:top.bound]
	}
}

// finishBody records what reading a body found.
func (r *Reader) finishBody(p *Part) {
	p.takeDecoderDefects()
	if d := p.decoder; d != nil && p.Kind == Leaf {
		p.decoder = nil
		r.spare = d
	}
}

// readPart reads an entity's header and classifies it. message says the
// header is a message header; def is the default media type.
func (r *Reader) readPart(path string, depth int, message bool, def string) (*Part, error) {
	if err := r.countPart(); err != nil {
		return nil, err
	}
	headerAt := r.s.lr.pos()
	// A message may start with an mbox "From " line (CPython skips it too).
	hr, err := readHeader(r.s, &r.Limits, message, &r.scratch)
	if err != nil {
		return nil, err
	}
	p := &Part{Header: hr.header, Depth: depth, Message: message, Defects: hr.defects}
	r.locate(p, headerAt, hr.bodyFollows)
	p.MediaType = def
	if v := p.Header.Get("Content-Type"); v != "" {
		// An invalid Content-Type means text/plain (RFC 2045 5.2); what
		// could be read of the parameters is kept.
		ct, _ := ParseContentType(v)
		p.MediaType = ct.Type
		if ct.Params != nil {
			p.Params = ct.Params
		}
		p.Defects = append(p.Defects, ct.Defects...)
	}
	p.Path = path
	if message && (!strings.HasPrefix(p.MediaType, "multipart/") || p.Params["boundary"] == "") {
		// The body of a message that is not multipart is its part 1.
		p.Path = leafPath(path)
	}
	switch {
	case strings.HasPrefix(p.MediaType, "multipart/"):
		b := p.Params["boundary"]
		if b == "" {
			p.Defects = append(p.Defects, Defect{Kind: DefectNoBoundary})
			break
		}
		if depth >= r.Limits.maxDepth() {
			return nil, &LimitError{Limit: "depth", Max: r.Limits.maxDepth()}
		}
		r.checkIdentityEncoding(p)
		p.Kind = Multipart
		r.s.bounds = append(r.s.bounds, []byte("--"+b))
		r.stack = append(r.stack, &frame{part: p, bound: len(r.s.bounds) - 1, digest: p.MediaType == "multipart/digest"})
		return p, nil
	case (p.MediaType == "message/rfc822" || p.MediaType == "message/global") && hr.bodyFollows:
		if depth >= r.Limits.maxDepth() {
			return nil, &LimitError{Limit: "depth", Max: r.Limits.maxDepth()}
		}
		p.Kind = Encapsulated
		if isIdentityEncoding(p.TransferEncoding()) {
			r.stack = append(r.stack, &frame{part: p})
			return p, nil
		}
		// RFC 2045 6.4 forbids encoding a message/rfc822 body, but mailers
		// do it: the encapsulated message is read from the decoded body by
		// a Reader of its own.
		p.Defects = append(p.Defects, Defect{Kind: DefectMultipartTransferEncoded, Detail: p.TransferEncoding()})
		p.body = &bodyReader{s: r.s}
		p.decoder = NewDecoder(p.Header.Get("Content-Transfer-Encoding"), p.body)
		sub := NewReader(p.decoder)
		sub.Limits = r.Limits
		sub.count = r.count // one part count for the whole message
		sub.basePath, sub.baseDepth = p.Path, depth+1
		sub.encoded = true
		r.sub = &encodedMessage{r: sub, wrapper: p}
		return p, nil
	}
	p.Kind = Leaf
	p.body = &bodyReader{s: r.s, done: !hr.bodyFollows}
	p.r = r
	return p, nil
}

// locate sets the offsets of p, whose header started at headerAt and has
// just been read, and adds it to the scanner's open entities if its body
// follows.
func (r *Reader) locate(p *Part, headerAt int64, bodyFollows bool) {
	if r.encoded {
		p.Encoded = true
		p.HeaderOffset, p.BodyOffset, p.EndOffset = -1, -1, -1
		return
	}
	p.HeaderOffset = headerAt
	p.BodyOffset = r.s.lr.pos()
	if !bodyFollows {
		// The header ended at a delimiter line (already read) or at
		// the end of input: the body is empty.
		if r.s.hit >= 0 && r.s.hitLine >= headerAt {
			p.BodyOffset = r.s.hitLine
		}
		p.EndOffset = p.BodyOffset
		return
	}
	p.EndOffset = -1
	p.outer = len(r.s.bounds)
	r.s.open = append(r.s.open, p)
}

func (r *Reader) checkIdentityEncoding(p *Part) {
	if !isIdentityEncoding(p.TransferEncoding()) {
		p.Defects = append(p.Defects, Defect{Kind: DefectMultipartTransferEncoded, Detail: p.TransferEncoding()})
	}
}

func isIdentityEncoding(cte string) bool {
	switch cte {
	case "7bit", "8bit", "binary":
		return true
	}
	return false
}
