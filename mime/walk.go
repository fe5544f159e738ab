package mime

import (
	"errors"
	"io"
)

// SkipPart, returned by a WalkFunc for a Multipart or Encapsulated part,
// skips everything inside that part; for a leaf it is the same as nil.
var SkipPart = errors.New("mime: skip this part")

// A WalkFunc is called by Walk for each entity. The Part's body is valid only
// during the call.
type WalkFunc func(p *Part) error

// Walk reads the message in r and calls fn for every entity, depth first.
// It stops at the first error fn returns (other than SkipPart) and returns
// it.
func Walk(r io.Reader, fn WalkFunc) error {
	return NewReader(r).Walk(fn)
}

// Walk calls fn for every remaining entity of the message, depth first.
func (r *Reader) Walk(fn WalkFunc) error {
	skipBelow := -1 // while >= 0, skip parts deeper than this
	for {
		p, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if skipBelow >= 0 {
			if p.Depth > skipBelow {
				continue
			}
			skipBelow = -1
		}
		if err := fn(p); err != nil {
			if err == SkipPart {
				skipBelow = p.Depth // for a leaf there is nothing below
				continue
			}
			return err
		}
	}
}
