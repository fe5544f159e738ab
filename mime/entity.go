package mime

import (
	"errors"
	"io"
)

// An Entity is one node of a message's structure read whole by ReadEntity:
// its header and, for a leaf, the size of its body; for a multipart, its
// parts; for a message/rfc822 wrapper, the encapsulated message.
type Entity struct {
	Header    Header
	Path      string // IMAP part number, as in Part.Path
	Kind      PartKind
	MediaType string
	Params    map[string]string
	Defects   []Defect

	// Parts holds a Multipart's parts, or an Encapsulated entity's one
	// encapsulated message.
	Parts []*Entity

	// Size and Lines describe a leaf's raw body: its octets, and its line
	// feeds (RFC 3501 body-fld-octets and body-fld-lines). They are 0 for
	// containers.
	Size  int64
	Lines int

	// HeaderOffset, BodyOffset and EndOffset locate the entity in the
	// message, as Part's fields of the same names do; Encoded marks an
	// entity inside a transfer-encoded message/rfc822, whose offsets are
	// -1 (see Part.Encoded).
	HeaderOffset, BodyOffset, EndOffset int64
	Encoded                             bool

	// Body holds a leaf's transfer-decoded body when ReadEntity was asked
	// to keep bodies and it fitted; otherwise nil.
	Body []byte
}

// EntityOptions tunes ReadEntity. The zero value keeps no bodies.
type EntityOptions struct {
	Limits Limits
	// MaxBodyBytes, when positive, keeps each leaf's decoded body in
	// Entity.Body if it has at most this many bytes. Larger bodies are
	// counted, not kept, and the entity gets a DefectBodyNotKept.
	MaxBodyBytes int
}

// DefectBodyNotKept: a decoded body larger than EntityOptions.MaxBodyBytes
// was not kept.
const DefectBodyNotKept DefectKind = "body-not-kept"

// ReadEntity reads a whole message and returns its structure as a tree.
// Bodies are read through and counted; they are kept only as opts allows,
// so the memory used is bounded by the structure, not the message size.
func ReadEntity(r io.Reader, opts *EntityOptions) (*Entity, error) {
	if opts == nil {
		opts = &EntityOptions{}
	}
	mr := NewReader(r)
	mr.Limits = opts.Limits
	var root *Entity
	var stack []*Entity // open containers
	var leaves []leafEntity
	for {
		p, err := mr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return root, err
		}
		e := &Entity{Header: p.Header, Path: p.Path, Kind: p.Kind, MediaType: p.MediaType, Params: p.Params}
		// The open container at depth d-1 holds a part of depth d.
		d := p.Depth
		if d > len(stack) {
			return root, errors.New("mime: internal error: entity depth out of order")
		}
		stack = stack[:d]
		if d == 0 {
			root = e
		} else {
			parent := stack[d-1]
			parent.Parts = append(parent.Parts, e)
		}
		if p.Kind != Leaf {
			stack = append(stack, e)
		} else {
			body, err := readLeaf(p, opts.MaxBodyBytes)
			if err != nil {
				return root, err
			}
			e.Body = body
			if opts.MaxBodyBytes > 0 && body == nil && p.Size() > 0 {
				e.Defects = append(e.Defects, Defect{Kind: DefectBodyNotKept})
			}
		}
		leaves = append(leaves, leafEntity{e, p})
	}
	// Sizes, line counts and body defects are final only once the Reader
	// has moved past each body.
	for _, l := range leaves {
		if l.e.Kind == Leaf {
			l.e.Size, l.e.Lines = l.p.Size(), l.p.Lines()
		}
		l.e.Defects = append(l.p.Defects, l.e.Defects...)
		l.e.HeaderOffset, l.e.BodyOffset, l.e.EndOffset = l.p.HeaderOffset, l.p.BodyOffset, l.p.EndOffset
		l.e.Encoded = l.p.Encoded
	}
	return root, nil
}

type leafEntity struct {
	e *Entity
	p *Part
}

// readLeaf reads a leaf's body through, keeping it if it fits max.
func readLeaf(p *Part, max int) ([]byte, error) {
	if max <= 0 {
		_, err := io.Copy(io.Discard, p.Body())
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(p.Body(), int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(body) > max {
		_, err := io.Copy(io.Discard, p.Body())
		return nil, err
	}
	return body, nil
}

// Walk calls fn for e and every entity under it, depth first. It stops at
// the first error fn returns other than SkipPart, which skips the entities
// under the one it was returned for.
func (e *Entity) Walk(fn func(e *Entity) error) error {
	if err := fn(e); err != nil {
		if err == SkipPart {
			return nil
		}
		return err
	}
	for _, c := range e.Parts {
		if err := c.Walk(fn); err != nil {
			return err
		}
	}
	return nil
}
