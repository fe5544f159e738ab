package mime

import (
	"fmt"
	"io"
	"strings"
)

// A Field is one header field.
//
// Key is the field name as written and Value the field body unfolded: line
// breaks removed (the whitespace after them kept), leading and trailing
// whitespace trimmed. Encoded words are not decoded; see Header.Text.
type Field struct {
	Key   string
	Value string
	raw   string // the field exactly as read, line breaks included; "" if made by the caller
}

// Raw returns the field exactly as it was read, line breaks included, or ""
// for a field added by the caller.
func (f Field) Raw() string { return f.raw }

// A Header is an ordered list of fields. Lookups by name are
// case-insensitive. The zero value is an empty header ready to use.
//
// A header that was read keeps the raw bytes of each field, so writing it
// gives back the input unchanged; fields added or changed by the caller are
// folded when written.
type Header struct {
	fields []Field
	end    string // the empty line that ended the header as read; "" for CRLF
}

// Len returns the number of fields.
func (h *Header) Len() int { return len(h.fields) }

// Fields returns the fields in order. The slice is the header's own: callers
// must not change it.
func (h *Header) Fields() []Field { return h.fields }

// Has reports whether a field named key exists.
func (h *Header) Has(key string) bool { return h.index(key, 0) >= 0 }

// Get returns the unfolded value of the first field named key, or "".
func (h *Header) Get(key string) string {
	if i := h.index(key, 0); i >= 0 {
		return h.fields[i].Value
	}
	return ""
}

// Values returns the values of every field named key, in order.
func (h *Header) Values(key string) []string {
	var vs []string
	for i := h.index(key, 0); i >= 0; i = h.index(key, i+1) {
		vs = append(vs, h.fields[i].Value)
	}
	return vs
}

// Text returns the value of the first field named key with RFC 2047 encoded
// words decoded and raw 8-bit bytes read as UTF-8 (RFC 6532), for
// unstructured fields such as Subject. Undecodable words are kept as they
// are.
func (h *Header) Text(key string) string {
	s, _ := DecodeHeader(h.Get(key))
	return s
}

// Add appends a field.
func (h *Header) Add(key, value string) {
	h.fields = append(h.fields, Field{Key: key, Value: value})
}

// Set replaces the first field named key with value, in place, and removes
// the others; if there is none, it appends one.
func (h *Header) Set(key, value string) {
	i := h.index(key, 0)
	if i < 0 {
		h.Add(key, value)
		return
	}
	h.fields[i] = Field{Key: key, Value: value}
	h.delFrom(key, i+1)
}

// Del removes every field named key.
func (h *Header) Del(key string) { h.delFrom(key, 0) }

func (h *Header) delFrom(key string, from int) {
	out := h.fields[:from]
	for _, f := range h.fields[from:] {
		if !strings.EqualFold(f.Key, key) {
			out = append(out, f)
		}
	}
	clear(h.fields[len(out):])
	h.fields = out
}

func (h *Header) index(key string, from int) int {
	for i := from; i < len(h.fields); i++ {
		if strings.EqualFold(h.fields[i].Key, key) {
			return i
		}
	}
	return -1
}

// Clone returns a copy of h that shares no state with it.
func (h *Header) Clone() Header {
	return Header{fields: append([]Field(nil), h.fields...), end: h.end}
}

// WriteTo writes the header block followed by the empty line that ends it.
// Fields that were read are written byte for byte as they arrived, and so
// is the empty line of a header that was read; others
// are folded at whitespace to lines of at most 78 octets where possible
// (RFC 5322 2.1.1) and end in CRLF. A field name that is empty or has
// characters other than printable US-ASCII without ':' (RFC 5322 3.6.8), or
// is too long for a line, is an error: writing it would change the
// header's meaning.
func (h *Header) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	for _, f := range h.fields {
		if f.raw != "" {
			b.WriteString(f.raw)
			if c := f.raw[len(f.raw)-1]; c != '\n' && c != '\r' {
				b.WriteString("\r\n") // the last line of input had no line break
			}
			continue
		}
		if !validFieldName(f.Key) {
			return 0, fmt.Errorf("mime: invalid header field name %q", f.Key)
		}
		writeFolded(&b, f.Key, f.Value)
	}
	if h.end != "" {
		b.WriteString(h.end)
	} else {
		b.WriteString("\r\n")
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// validFieldName reports whether name is a field name RFC 5322 3.6.8
// allows: one or more printable US-ASCII characters other than ':', short
// enough that "name:" fits a line.
func validFieldName(name string) bool {
	if name == "" || len(name) >= MaxLineLength {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}
