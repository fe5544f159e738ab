package mime

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// A MultipartWriter writes the body of a multipart entity (RFC 2046 5.1):
// a delimiter line and a header before each part, and the close delimiter.
type MultipartWriter struct {
	w        io.Writer
	boundary string
	parts    int
	closed   bool
}

// NewMultipartWriter returns a MultipartWriter writing to w with a random
// boundary. The boundary contains "=_", which neither base64 nor
// quoted-printable output can contain (RFC 2045 6.7 and 6.8), and 144
// random bits, so it cannot collide with encoded content.
func NewMultipartWriter(w io.Writer) *MultipartWriter {
	return &MultipartWriter{w: w, boundary: RandomBoundary()}
}

// RandomBoundary returns a new boundary: "=_" and 24 random characters of
// a 64-character set (144 bits).
func RandomBoundary() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._"
	var buf [24]byte
	rand.Read(buf[:])
	for i, c := range buf {
		buf[i] = alphabet[c&63]
	}
	return "=_" + string(buf[:])
}

// Boundary returns the writer's boundary.
func (mw *MultipartWriter) Boundary() string { return mw.boundary }

// SetBoundary sets the boundary. It must be called before the first part.
// A boundary is 1 to 70 characters from the set RFC 2046 5.1.1 allows, not
// ending in a space.
func (mw *MultipartWriter) SetBoundary(b string) error {
	if mw.parts > 0 {
		return errors.New("mime: SetBoundary called after a part was written")
	}
	if err := validBoundary(b); err != nil {
		return err
	}
	mw.boundary = b
	return nil
}

func validBoundary(b string) error {
	if len(b) < 1 || len(b) > 70 || b[len(b)-1] == ' ' {
		return fmt.Errorf("mime: invalid boundary %q", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '\'' || c == '(' || c == ')' || c == '+' || c == '_' || c == ',' ||
			c == '-' || c == '.' || c == '/' || c == ':' || c == '=' || c == '?' || c == ' ':
		default:
			return fmt.Errorf("mime: invalid boundary %q", b)
		}
	}
	return nil
}

// CreateRawPart writes a delimiter and returns the writer for the part,
// valid until the next part or Close. The caller writes the part's header
// block, the empty line that ends it, and its body.
func (mw *MultipartWriter) CreateRawPart() (io.Writer, error) {
	if mw.closed {
		return nil, errors.New("mime: CreateRawPart after Close")
	}
	lead := "\r\n--"
	if mw.parts == 0 {
		lead = "--"
	}
	mw.parts++
	if _, err := io.WriteString(mw.w, lead+mw.boundary+"\r\n"); err != nil {
		return nil, err
	}
	return mw.w, nil
}

// CreatePart writes a delimiter and the part's header, and returns the
// writer for the part's body, valid until the next CreatePart or Close.
// The body must not contain a line that is the delimiter; with the random
// boundary that cannot happen for encoded content.
func (mw *MultipartWriter) CreatePart(h Header) (io.Writer, error) {
	w, err := mw.CreateRawPart()
	if err != nil {
		return nil, err
	}
	if _, err := h.WriteTo(w); err != nil {
		return nil, err
	}
	return w, nil
}

// Close writes the close delimiter. It does not close the underlying
// writer.
func (mw *MultipartWriter) Close() error {
	if mw.closed {
		return nil
	}
	mw.closed = true
	lead := "\r\n--"
	if mw.parts == 0 {
		lead = "--"
	}
	_, err := io.WriteString(mw.w, lead+mw.boundary+"--\r\n")
	return err
}
