package message

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	stdmime "mime"

	"github.com/postkit/postkit/mime"
)

// An Attachment is a file carried by a composed message.
type Attachment struct {
	// Filename is the name shown to the recipient. Non-ASCII names are
	// written with RFC 2231 (filename*=utf-8''...), in the Builder's
	// Charset when it is set.
	Filename string
	// ContentType is the media type, with parameters if any; when empty it
	// is guessed from the Filename's extension, else
	// application/octet-stream.
	ContentType string
	// ContentID, for an inline part, is the id an HTML body refers to as
	// "cid:ID" (without angle brackets).
	ContentID string
	// Body is read once, while the message is written.
	Body io.Reader
}

// A Builder composes a message. Set the header fields (From, To, Subject,
// ...) on Header with its setters, the bodies and the files, and call
// WriteTo. The structure follows from what is set:
//
//	Text only                  text/plain
//	HTML only                  text/html
//	Text and HTML              multipart/alternative
//	HTML and Inline files      multipart/related (HTML first)
//	any of the above and Attachments   multipart/mixed, the body first
//
// Header fields set through Header's setters are encoded (RFC 2047) where
// they are not ASCII; an address that has no ASCII form makes WriteTo fail
// with ErrEightBitHeader unless Allow8Bit is set.
//
// Text is written as UTF-8 with CRLF line breaks, as 7bit when it is ASCII
// with short lines, 8bit when Allow8Bit is set, and quoted-printable
// otherwise; files are written in base64. The output is 7-bit clean unless
// Allow8Bit is set, and no line exceeds 998 octets.
//
// To write for receivers that do not read UTF-8, set Charset, which the
// bodies and the file names are then written in, and set the header
// fields in the same charset with Header.SetSubjectCharset and
// Header.SetAddressListCharset: the header is encoded when it is set, the
// rest when the message is written.
type Builder struct {
	Header      Header
	Text        string
	HTML        string
	Inline      []Attachment // shown inside the HTML body (multipart/related); without HTML, sent with the attachments
	Attachments []Attachment
	// Allow8Bit lets text bodies go out as 8bit (RFC 6152 8BITMIME) and
	// header fields carry UTF-8 (RFC 6532).
	Allow8Bit bool
	// Charset, when set, is the charset Text and HTML are written in
	// ("iso-2022-jp", "koi8-r", ...) and labelled with as given, and that
	// non-ASCII file names are written in (RFC 2231). The transfer encoding
	// is the one mime.ChooseTransferEncoding picks for the converted text:
	// ISO-2022-JP goes as 7bit, 8-bit charsets as 8bit with Allow8Bit, else
	// quoted-printable or base64. WriteTo fails before writing anything,
	// with an error matching mime.ErrUnrepresentable, when a body or name
	// has a character the charset lacks, and with the error of
	// mime.CharsetEncoding or one matching mime.ErrCharsetNotWritable for a
	// charset that cannot be used (UTF-16, ...). When empty, bodies are
	// UTF-8 (labelled US-ASCII when they are ASCII) and names are UTF-8.
	Charset string
	// Now, if set, gives the Date written when Header has none.
	Now func() time.Time
}

// ErrNoBody is returned by WriteTo when the Builder has no body and no
// files.
var ErrNoBody = errors.New("message: nothing to compose")

// ErrEightBitHeader is returned by WriteTo when a header field holds text
// that has no 7-bit form — an address with a non-ASCII local part or
// domain — and Allow8Bit is not set (RFC 6532 needs SMTPUTF8 to send it).
var ErrEightBitHeader = errors.New("message: a header field needs 8-bit text (RFC 6532) but Allow8Bit is not set")

// WriteTo writes the message. A Date and a Message-Id are added to the
// header when it has none (the Message-Id's domain is taken from the first
// From address), and MIME-Version is set.
func (b *Builder) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	err := b.write(cw)
	return cw.n, err
}

func (b *Builder) write(w io.Writer) error {
	body, err := b.bodyEntity()
	if err != nil {
		return err
	}
	if body == nil && len(b.Attachments) == 0 && len(b.Inline) == 0 {
		return ErrNoBody
	}
	// Fields are written anew (CRLF, folded) even when the header was read
	// from a message, so the output obeys RFC 5322 whatever the input did.
	var h Header
	for _, f := range b.Header.Fields() {
		h.Add(f.Key, f.Value)
	}
	if !h.Has("Date") {
		now := time.Now
		if b.Now != nil {
			now = b.Now
		}
		h.SetDate(now())
	}
	if !h.Has("Message-Id") {
		domain := "localhost"
		if from, _ := h.From(); len(from) > 0 {
			if mb := Mailboxes(from); len(mb) > 0 {
				if at := strings.LastIndexByte(mb[0].Addr, '@'); at >= 0 {
					domain = mb[0].Addr[at+1:]
				}
			}
		}
		h.SetMessageID(GenerateMessageID(domain))
	}
	h.Set("MIME-Version", "1.0")
	if !b.Allow8Bit {
		for _, f := range h.Fields() {
			if !isASCII(f.Key) || !isASCII(f.Value) {
				return fmt.Errorf("%w: %s", ErrEightBitHeader, f.Key)
			}
		}
	}
	root := body
	var files []*entity
	if b.HTML == "" {
		// Inline files need an HTML body to sit in; without one they go
		// with the attachments, still marked inline.
		for _, a := range b.Inline {
			f, err := fileEntity(a, "inline", b.Allow8Bit, b.Charset)
			if err != nil {
				return err
			}
			files = append(files, f)
		}
	}
	for _, a := range b.Attachments {
		f, err := fileEntity(a, "attachment", b.Allow8Bit, b.Charset)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	if len(files) > 0 {
		var parts []*entity
		if body != nil {
			parts = append(parts, body)
		}
		root = &entity{mediaType: "multipart/mixed", parts: append(parts, files...)}
	}
	return root.write(w, &h.Header, b.Allow8Bit)
}

// bodyEntity is the text, HTML and inline files, or nil.
func (b *Builder) bodyEntity() (*entity, error) {
	var text, html *entity
	var err error
	if b.Text != "" {
		if text, err = textEntity("text/plain", b.Text, b.Allow8Bit, b.Charset); err != nil {
			return nil, err
		}
	}
	if b.HTML != "" {
		if html, err = textEntity("text/html", b.HTML, b.Allow8Bit, b.Charset); err != nil {
			return nil, err
		}
		if len(b.Inline) > 0 {
			parts := []*entity{html}
			for _, a := range b.Inline {
				f, err := fileEntity(a, "inline", b.Allow8Bit, b.Charset)
				if err != nil {
					return nil, err
				}
				parts = append(parts, f)
			}
			html = &entity{mediaType: "multipart/related", params: map[string]string{"type": "text/html"}, parts: parts}
		}
	}
	switch {
	case text != nil && html != nil:
		return &entity{mediaType: "multipart/alternative", parts: []*entity{text, html}}, nil
	case html != nil:
		return html, nil
	}
	return text, nil
}

// An entity is one node of the message being composed. A leaf's fields
// are formatted when it is made, so that what cannot be written is found
// before anything is.
type entity struct {
	mediaType   string
	params      map[string]string // for multiparts
	contentType string            // for leaves: the Content-Type value
	cte         string            // for leaves: the Content-Transfer-Encoding
	header      mime.Header       // fields besides Content-Type and Content-Transfer-Encoding
	text        string            // for text parts: the octets, in their charset
	isText      bool
	file        io.Reader // for file parts
	parts       []*entity
}

// textEntity makes a text part of s with line breaks made CRLF: in UTF-8
// when charset is "", else converted to charset.
func textEntity(mediaType, s string, allow8bit bool, charset string) (*entity, error) {
	e := &entity{mediaType: mediaType, text: normalizeLineBreaks(s), isText: true}
	label := charset
	if charset == "" {
		label = "utf-8"
		if isASCII(e.text) {
			label = "us-ascii"
		}
	}
	var err error
	e.contentType, err = mime.FormatMediaTypeCharset(mediaType, map[string]string{"charset": label}, charset)
	if err != nil {
		return nil, fmt.Errorf("message: %s body: %w", mediaType, err)
	}
	if charset == "" {
		e.cte = mime.ChooseTransferEncoding([]byte(e.text), allow8bit)
		if e.cte == "base64" {
			e.cte = "quoted-printable" // text stays readable
		}
		return e, nil
	}
	b, err := mime.EncodeCharset(charset, e.text)
	if err != nil {
		return nil, fmt.Errorf("message: %s body: %w", mediaType, err)
	}
	e.text = string(b)
	e.cte = mime.ChooseTransferEncoding(b, allow8bit)
	return e, nil
}

// fileEntity makes a file part, its name written in charset ("": UTF-8).
func fileEntity(a Attachment, disposition string, allow8bit bool, charset string) (*entity, error) {
	ct := a.ContentType
	if ct == "" {
		ct = stdmime.TypeByExtension(strings.ToLower(path.Ext(a.Filename)))
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, params = "application/octet-stream", nil
	}
	if params == nil {
		params = map[string]string{}
	}
	e := &entity{mediaType: mt, file: a.Body, cte: "base64"}
	if e.file == nil {
		e.file = strings.NewReader("")
	}
	if isComposite(mt) {
		// RFC 2045 6.4, RFC 2046 5.2: never encoded. The content goes as
		// it is and is checked on the way.
		e.cte = "7bit"
		if allow8bit {
			e.cte = "8bit"
		}
	}
	dparams := map[string]string{}
	if a.Filename != "" {
		params["name"] = a.Filename
		dparams["filename"] = a.Filename
	}
	cd, err := mime.FormatDispositionCharset(disposition, dparams, charset)
	if err != nil {
		return nil, fmt.Errorf("message: file %q: %w", a.Filename, err)
	}
	if e.contentType, err = mime.FormatMediaTypeCharset(mt, params, charset); err != nil {
		return nil, fmt.Errorf("message: file %q: %w", a.Filename, err)
	}
	e.header.Add("Content-Disposition", cd)
	if a.ContentID != "" {
		if !validMessageID(a.ContentID, allow8bit) {
			return nil, fmt.Errorf("message: file %q: %w: Content-ID %q", a.Filename, ErrInvalidMessageID, a.ContentID)
		}
		e.header.Add("Content-Id", FormatMessageID(a.ContentID))
	}
	return e, nil
}

// normalizeLineBreaks turns CRLF, LF and bare CR into CRLF.
func normalizeLineBreaks(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/32)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString("\r\n")
		case '\n':
			b.WriteString("\r\n")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// write writes the entity with h holding its other header fields (for the
// root, the message header).
func (e *entity) write(w io.Writer, h *mime.Header, allow8bit bool) error {
	hdr := h.Clone()
	for _, f := range e.header.Fields() {
		hdr.Add(f.Key, f.Value)
	}
	if e.parts != nil {
		params := copyParams(e.params)
		mw := mime.NewMultipartWriter(w)
		params["boundary"] = mw.Boundary()
		hdr.Set("Content-Type", mime.FormatMediaType(e.mediaType, params))
		hdr.Del("Content-Transfer-Encoding") // 7bit, the default (RFC 2045 6.4)
		if _, err := hdr.WriteTo(w); err != nil {
			return err
		}
		for _, p := range e.parts {
			pw, err := mw.CreateRawPart()
			if err != nil {
				return err
			}
			if err := p.write(pw, &mime.Header{}, allow8bit); err != nil {
				return err
			}
		}
		return mw.Close()
	}
	cte := e.cte
	hdr.Set("Content-Type", e.contentType)
	hdr.Set("Content-Transfer-Encoding", cte)
	if _, err := hdr.WriteTo(w); err != nil {
		return err
	}
	enc, err := mime.NewEncoder(cte, w)
	if err != nil {
		return err
	}
	switch {
	case e.isText:
		_, err = io.Copy(enc, strings.NewReader(e.text))
	case cte == "7bit" || cte == "8bit":
		lc := &lineChecker{w: enc, allow8bit: allow8bit}
		if _, err = io.Copy(lc, e.file); err == nil && lc.cr {
			err = ErrInvalidEncapsulated // ends in a bare CR
		}
	default:
		_, err = io.Copy(enc, e.file)
	}
	if err != nil {
		return err
	}
	return enc.Close()
}

// isComposite reports whether media type mt must not be transfer-encoded
// (RFC 2045 6.4, RFC 2046 5.2).
func isComposite(mt string) bool {
	return strings.HasPrefix(mt, "multipart/") || mt == "message/rfc822" ||
		mt == "message/partial" || mt == "message/external-body"
}

// ErrInvalidEncapsulated is returned by WriteTo when an attached
// message/rfc822 or other composite type is not fit to be sent unencoded
// (RFC 2046 5.2.1): it has a
// NUL, a bare CR or LF, a line over 998 octets, or 8-bit octets without
// Allow8Bit.
var ErrInvalidEncapsulated = errors.New("message: attached message or multipart is not 7bit/8bit clean")

// A lineChecker passes bytes through, failing on what RFC 5322 2.1.1 and
// RFC 2045 2.7/2.8 forbid in 7bit and 8bit data.
type lineChecker struct {
	w         io.Writer
	allow8bit bool
	lineLen   int
	cr        bool // the previous byte was CR
}

func (c *lineChecker) Write(p []byte) (int, error) {
	for _, b := range p {
		switch {
		case c.cr && b != '\n', !c.cr && b == '\n', b == 0, b >= 0x80 && !c.allow8bit:
			return 0, ErrInvalidEncapsulated
		case b == '\n':
			c.lineLen = 0
		case b != '\r':
			c.lineLen++
			if c.lineLen > mime.MaxLineLength {
				return 0, ErrInvalidEncapsulated
			}
		}
		c.cr = b == '\r'
	}
	return c.w.Write(p)
}

func copyParams(p map[string]string) map[string]string {
	out := make(map[string]string, len(p)+2)
	for k, v := range p {
		out[k] = v
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
