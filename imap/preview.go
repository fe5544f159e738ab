package imap

import (
	"html"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mime"
)

// Limits of PREVIEW (RFC 8970).
const (
	// previewChars is the length of a preview in characters: RFC 8970
	// 3.3 says SHOULD 200 and MUST NOT exceed 256.
	previewChars = 200
	// previewTextBytes is how much of a text/plain part's decoded text
	// is read for a preview; previewHTMLBytes of a text/html part's,
	// whose markup takes room.
	previewTextBytes = 16 << 10
	previewHTMLBytes = 64 << 10
	// lazyPreviewBytes is the largest message whose preview FETCH
	// PREVIEW (LAZY) computes when it is not cached; for larger ones
	// it answers NIL (RFC 8970 4.1: "without undue delay").
	lazyPreviewBytes = 64 << 10
)

// preview sets fd.Preview for the PREVIEW item it (RFC 8970), from the
// cache when the message's preview is there.
func (fc *fetchCache) preview(fd *FetchData, it FetchItem) error {
	if p := fc.addedPreview; p != nil {
		fd.Preview = &NString{Value: *p}
		return nil
	}
	if info := fc.lookup(); info != nil && info.preview != nil {
		fd.Preview = &NString{Value: *info.preview}
		return nil
	}
	if it.Lazy && fc.m.Size() > lazyPreviewBytes {
		// RFC 8970 4.1: NIL when it cannot be had at once; a later
		// FETCH PREVIEW without LAZY computes it.
		fd.Preview = &NString{IsNil: true}
		return nil
	}
	root, err := fc.structure()
	if err != nil {
		return err
	}
	b, err := fc.open()
	if err != nil {
		return err
	}
	p := messagePreview(b, root)
	fc.addedPreview = &p
	fc.adds = true
	fd.Preview = &NString{Value: p}
	return nil
}

// messagePreview returns the preview of a message (RFC 8970 3.3): the
// start of its first text/plain part without its signature, or failing one of its first
// text/html part stripped of markup, with white space runs made one
// space, at most previewChars characters. It is "" when the message has
// no such text (RFC 8970 3.2: no meaningful preview).
func messagePreview(b mailbox.Body, root *mime.Entity) string {
	part := findPreviewPart(root, "text/plain")
	max := int64(previewTextBytes)
	if part == nil {
		part = findPreviewPart(root, "text/html")
		max = previewHTMLBytes
	}
	if part == nil || part.Encoded || part.BodyOffset < 0 || part.EndOffset < part.BodyOffset {
		return ""
	}
	var r io.Reader = io.NewSectionReader(b, part.BodyOffset, part.EndOffset-part.BodyOffset)
	r = mime.NewDecoder(part.Header.Get("Content-Transfer-Encoding"), r)
	if cs := strings.ToLower(strings.TrimSpace(part.Params["charset"])); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		if cr, err := mime.NewCharsetReader(cs, r); err == nil {
			r = cr
		}
		// An unknown charset: read as UTF-8, invalid octets dropped.
	}
	text, err := io.ReadAll(io.LimitReader(r, max))
	if err != nil && len(text) == 0 {
		return ""
	}
	s := string(text)
	if part.MediaType == "text/html" {
		s = htmlText(s)
	} else {
		s = cutSignature(s)
	}
	return previewText(s)
}

// findPreviewPart returns the first leaf of media type mt that is not an
// attachment, looking through multiparts but not into attached
// messages.
func findPreviewPart(e *mime.Entity, mt string) *mime.Entity {
	switch e.Kind {
	case mime.Multipart:
		for _, p := range e.Parts {
			if f := findPreviewPart(p, mt); f != nil {
				return f
			}
		}
		return nil
	case mime.Leaf:
		if e.MediaType != mt {
			return nil
		}
		if d, _, err := mime.ParseDisposition(e.Header.Get("Content-Disposition")); err == nil && strings.EqualFold(d, "attachment") {
			return nil
		}
		return e
	}
	return nil
}

// cutSignature returns text up to its signature, which starts after a
// line "-- " (RFC 3676 4.3).
func cutSignature(text string) string {
	for i := 0; ; {
		j := strings.Index(text[i:], "-- ")
		if j < 0 {
			return text
		}
		j += i
		rest := text[j+3:]
		if (j == 0 || text[j-1] == '\n') && (strings.HasPrefix(rest, "\r\n") || strings.HasPrefix(rest, "\n") || rest == "") {
			return text[:j]
		}
		i = j + 3
	}
}

// previewText makes s one line of at most previewChars characters:
// invalid UTF-8 dropped, control characters and white space runs made
// one space, no space at either end.
func previewText(s string) string {
	var sb strings.Builder
	n := 0
	space := false
	for _, r := range strings.ToValidUTF8(s, "") {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			space = sb.Len() > 0
			continue
		}
		if space {
			if n+1 >= previewChars {
				break
			}
			sb.WriteByte(' ')
			n++
			space = false
		}
		sb.WriteRune(r)
		n++
		if n == previewChars {
			break
		}
	}
	return sb.String()
}

// htmlText returns the text of an HTML document, crudely: tags become
// spaces, comments and the content of script, style, head and title
// elements go, and character references are decoded. It reads s once
// and never fails; unclosed constructs end the text.
func htmlText(s string) string {
	var sb strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			sb.WriteString(html.UnescapeString(s))
			break
		}
		sb.WriteString(html.UnescapeString(s[:i]))
		sb.WriteByte(' ')
		s = s[i:]
		if strings.HasPrefix(s, "<!--") {
			j := strings.Index(s[4:], "-->")
			if j < 0 {
				break
			}
			s = s[4+j+3:]
			continue
		}
		j := strings.IndexByte(s, '>')
		if j < 0 {
			break
		}
		name := tagName(s[1:j])
		s = s[j+1:]
		switch name {
		case "script", "style", "head", "title":
			// Skip to the element's end tag.
			k := indexFold(s, "</"+name)
			if k < 0 {
				return sb.String()
			}
			s = s[k:]
		}
	}
	return sb.String()
}

// tagName returns the lower-case name of the start tag whose text, the
// part between "<" and ">", is t; "" for end tags and others.
func tagName(t string) string {
	end := 0
	for end < len(t) && (t[end] >= 'a' && t[end] <= 'z' || t[end] >= 'A' && t[end] <= 'Z' || t[end] >= '0' && t[end] <= '9') {
		end++
	}
	return strings.ToLower(t[:end])
}

// indexFold is strings.Index for an ASCII substr, ignoring case.
func indexFold(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return i
		}
	}
	return -1
}
