package mime

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidDisposition is matched (with errors.Is) by the error that
// ParseContentDisposition and ParseDisposition return when the disposition
// type is missing.
var ErrInvalidDisposition = errors.New("mime: invalid content disposition")

// DefectInvalidDisposition: a Content-Disposition without a disposition
// type, or with junk after it.
const DefectInvalidDisposition DefectKind = "invalid-disposition"

// ParseContentDisposition parses a Content-Disposition field value (RFC
// 2183 2.): a disposition type ("inline", "attachment" or an extension
// token), then parameters such as filename, creation-date,
// modification-date, read-date and size, read as ParseContentType reads
// them (RFC 2231, and RFC 2047 as mailers misuse it, included).
//
// Type is the disposition type in lower case; unknown types are returned as
// they are, and RFC 2183 2.8 asks that they be treated as "attachment". The
// error, matching ErrInvalidDisposition, means the type is missing: then
// Type is "attachment" (RFC 2183 2.8) when the value has anything else in
// it, such as a lone `filename="a.pdf"`, and "" for a blank value; the
// parameters are read either way.
func ParseContentDisposition(v string) (MediaType, error) {
	p := paramParser{s: v}
	typ, _ := p.leadingToken()
	var err error
	if typ == "" {
		err = fmt.Errorf("%w %q", ErrInvalidDisposition, defectDetail(v))
		p.defect(DefectInvalidDisposition, v)
		if strings.TrimSpace(v) != "" {
			typ = "attachment"
		}
	} else {
		typ = strings.ToLower(typ)
		p.afterValue(DefectInvalidDisposition)
	}
	p.parseParams()
	return MediaType{Type: typ, Params: p.params, Defects: p.defects}, err
}

// ParseDisposition parses a Content-Disposition field value (RFC 2183) and
// returns the disposition type in lower case and its parameters. It is
// ParseContentDisposition without the defects. params is nil when there are
// no parameters.
func ParseDisposition(v string) (disposition string, params map[string]string, err error) {
	m, err := ParseContentDisposition(v)
	return m.Type, m.Params, err
}

// FormatDisposition returns the Content-Disposition field value for the
// disposition type t and params, written as FormatMediaType writes them
// (RFC 2231 for non-ASCII values and long ones, never RFC 2047). It returns
// "" when t or a parameter name is not a token.
func FormatDisposition(t string, params map[string]string) string {
	if !isToken(t) {
		return ""
	}
	out, _ := formatParams(t, params, nil)
	return out
}

// FormatDispositionCharset is FormatDisposition with the RFC 2231 extended
// values in charset, written as FormatMediaTypeCharset writes them and with
// its errors, but an invalid t gives an error matching
// ErrInvalidDisposition.
func FormatDispositionCharset(t string, params map[string]string, charset string) (string, error) {
	cs, err := writableCharset(charset)
	if err != nil {
		return "", err
	}
	if !isToken(t) {
		return "", fmt.Errorf("%w %q", ErrInvalidDisposition, defectDetail(t))
	}
	return formatParams(t, params, cs)
}

// Filename returns the file name of an entity given the values of its
// Content-Disposition and Content-Type fields (either may be ""): the
// filename parameter of the disposition (RFC 2183 2.3), else the name
// parameter of the type, which older mailers send instead (RFC 2046 4.5.1
// deprecates it). Both are decoded from RFC 2231 and, as mailers commonly
// misuse it, RFC 2047. Surrounding white space is removed; "" means there is
// no name.
//
// The name is what the sender wrote: it may hold directories, "..", or
// characters a file system refuses. Sanitize it before using it as a path.
func Filename(contentDisposition, contentType string) string {
	if contentDisposition != "" {
		m, _ := ParseContentDisposition(contentDisposition)
		if f := strings.TrimSpace(m.Params["filename"]); f != "" {
			return f
		}
	}
	if contentType != "" {
		m, _ := ParseContentType(contentType)
		return strings.TrimSpace(m.Params["name"])
	}
	return ""
}
