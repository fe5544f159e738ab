package message

import (
	"io"

	"github.com/postkit/postkit/mime"
)

// A Message is a message being read: its header, and its body as a stream
// of MIME entities.
type Message struct {
	// Header is the message header.
	Header Header

	r   *mime.Reader
	top *mime.Part
}

// Read reads the header of the message in r. The body is read from r as
// the caller walks the message; r must stay valid until then.
func Read(r io.Reader) (*Message, error) {
	return ReadWithLimits(r, mime.Limits{})
}

// ReadWithLimits is like Read with bounds other than the defaults.
func ReadWithLimits(r io.Reader, lim mime.Limits) (*Message, error) {
	mr := mime.NewReader(r)
	mr.Limits = lim
	top, err := mr.Next()
	if err != nil {
		return nil, err
	}
	// The message header is the caller's to change; the root Part keeps
	// its own copy.
	return &Message{Header: Header{top.Header.Clone()}, r: mr, top: top}, nil
}

// Root returns the top-level entity: the message itself. For a message
// that is not multipart its body is the message body.
func (m *Message) Root() *mime.Part { return m.top }

// Walk calls fn for every entity of the message, depth first, starting
// with the message itself. It may be called once.
func (m *Message) Walk(fn mime.WalkFunc) error {
	if err := fn(m.top); err != nil {
		if err == mime.SkipPart {
			return nil
		}
		return err
	}
	return m.r.Walk(fn)
}

// NextPart returns the next entity after the message itself, depth first,
// or io.EOF at the end.
func (m *Message) NextPart() (*mime.Part, error) { return m.r.Next() }
