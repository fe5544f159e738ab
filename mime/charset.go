package mime

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// ErrUnknownCharset is matched (with errors.Is) by every *UnknownCharsetError.
var ErrUnknownCharset = errors.New("mime: unknown charset")

// An UnknownCharsetError reports a charset name that no decoder is known for.
type UnknownCharsetError struct {
	Charset string
}

func (e *UnknownCharsetError) Error() string {
	return fmt.Sprintf("mime: unknown charset %q", e.Charset)
}

// Is reports whether target is ErrUnknownCharset.
func (e *UnknownCharsetError) Is(target error) bool { return target == ErrUnknownCharset }

// CharsetEncoding returns the encoding for an IANA charset name or one of the
// aliases mailers send. Names are matched case-insensitively. It returns an
// *UnknownCharsetError when the name is not known.
func CharsetEncoding(name string) (encoding.Encoding, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "utf-8", "utf8", "us-ascii", "ascii", "":
		return unicode.UTF8, nil
	}
	if e, err := ianaindex.MIME.Encoding(n); err == nil && e != nil {
		return e, nil
	}
	if e, err := htmlindex.Get(n); err == nil && e != nil {
		return e, nil
	}
	return nil, &UnknownCharsetError{Charset: name}
}

// DecodeCharset converts b from charset to UTF-8. Bytes that are invalid in
// the charset become U+FFFD. For an unknown charset it returns the bytes as
// they are (read as UTF-8, invalid sequences replaced) and an
// *UnknownCharsetError.
func DecodeCharset(charset string, b []byte) (string, error) {
	enc, err := CharsetEncoding(charset)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD"), err
	}
	if enc == unicode.UTF8 {
		if utf8.Valid(b) {
			return string(b), nil
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	out, _, terr := transform.Bytes(enc.NewDecoder(), b)
	if terr != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return string(out), nil
}

// NewCharsetReader returns a reader that converts r from charset to UTF-8.
// For an unknown charset it returns nil and an *UnknownCharsetError.
func NewCharsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := CharsetEncoding(charset)
	if err != nil {
		return nil, err
	}
	return transform.NewReader(r, enc.NewDecoder()), nil
}
