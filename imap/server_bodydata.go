package imap

import (
	"math"
	"slices"
	"strings"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

// This file computes the ENVELOPE and BODYSTRUCTURE of a message for the
// server (RFC 9051 7.5.2, RFC 3501 7.4.2). Where the RFCs leave a choice,
// it does what Dovecot does, so that clients see what they are used to:
//
//   - Envelope strings (Date, Subject, In-Reply-To, Message-ID) are the
//     header field values as they are in the message, unfolded, RFC 2047
//     encoded words left encoded: RFC 9051 7.5.2 asks for the fields, not
//     for their decoded text, and clients decode them.
//   - Display names are the phrase as written (encoded words left
//     encoded), quoted-strings unquoted; local parts are unquoted. Source
//     routes are dropped (ADL is always NIL).
//   - An address without a domain gets the host "MISSING_DOMAIN", one
//     without a local part the mailbox "MISSING_MAILBOX", as in Dovecot:
//     a NIL host would turn the address into a group start.
//   - Body fields are header values as written: type, subtype and
//     parameter names keep their case; a missing or unusable Content-Type
//     is "text" "plain" ("charset" "us-ascii"). The transfer encoding is
//     upper case, "7BIT" when absent.
//   - Parameter values are the decoded ones (RFC 2231 continuations
//     joined): a value that is printable US-ASCII is sent as it is; any
//     other is sent in the RFC 2231 extended form, name*="utf-8''%XX..",
//     so the wire stays 7-bit and clients that know RFC 2231 get it back.

// Placeholders for an address that lacks a part (as Dovecot writes them).
const (
	missingDomain  = "MISSING_DOMAIN"
	missingMailbox = "MISSING_MAILBOX"
)

// maxBodyDepth bounds the nesting BodyStructureOf writes; deeper entities
// are replaced by an empty text/plain part, which keeps the encoder and
// client decoders (DefaultMaxDepth lists) within their bounds.
const maxBodyDepth = 48

// EnvelopeOf returns the ENVELOPE (RFC 9051 7.5.2) of a message, or of
// an encapsulated message, from its header. Strings are the raw,
// unfolded field values; see the notes at the top of this file.
func EnvelopeOf(h mime.Header) *Envelope {
	env := &Envelope{
		Date:      clean(h.Get("Date")),
		Subject:   clean(h.Get("Subject")),
		From:      addressesOf(h, "From"),
		Sender:    addressesOf(h, "Sender"),
		ReplyTo:   addressesOf(h, "Reply-To"),
		To:        addressesOf(h, "To"),
		Cc:        addressesOf(h, "Cc"),
		Bcc:       addressesOf(h, "Bcc"),
		InReplyTo: clean(h.Get("In-Reply-To")),
		MessageID: clean(h.Get("Message-ID")),
	}
	// RFC 9051 7.5.2: an absent or empty Sender or Reply-To is the From.
	if len(env.Sender) == 0 {
		env.Sender = env.From
	}
	if len(env.ReplyTo) == 0 {
		env.ReplyTo = env.From
	}
	return env
}

// ewMark stands for "=?" while an address list is parsed, so that the
// parser, which decodes RFC 2047 encoded words in display names, leaves
// them as written. It is UTF-8 text (atext under RFC 6532) made of two
// noncharacters, which mail does not carry.
const ewMark = "\uFDD0\uFDD1"

// addressesOf returns the addresses of the first field named key, in the
// envelope's form (RFC 9051 9: address), groups as start, members, end.
func addressesOf(h mime.Header, key string) []Address {
	v := h.Get(key)
	if strings.TrimSpace(v) == "" {
		return nil
	}
	list, err := message.ParseAddressList(v) // best effort: what could be read
	unmark := clean
	if strings.Contains(v, "=?") && !strings.Contains(v, ewMark) {
		// Parse again with the encoded words hidden, to keep them as
		// written. Encoded words with specials in their text (which RFC
		// 2047 5. forbids in a phrase, but mailers write) break the
		// list up then: keep the first parse and encode its names again.
		raw, rawErr := message.ParseAddressList(strings.ReplaceAll(v, "=?", ewMark))
		if len(raw) == len(list) && (rawErr == nil || err != nil) {
			list = raw
			unmark = func(s string) string { return clean(strings.ReplaceAll(s, ewMark, "=?")) }
		} else {
			unmark = func(s string) string {
				if !printableASCII(s) {
					s = mime.EncodeHeader(s)
				}
				return clean(s)
			}
		}
	}
	var out []Address
	for _, a := range list {
		if !a.Group {
			out = append(out, mailboxOf(a, unmark))
			continue
		}
		name := unmark(a.Name)
		if name != "" {
			// RFC 9051 7.5.2: group start, members, group end.
			out = append(out, Address{Mailbox: name})
		}
		for _, m := range a.Members {
			out = append(out, mailboxOf(m, unmark))
		}
		if name != "" {
			out = append(out, Address{})
		}
		// A group without a name cannot be written (its start would be
		// a group end): only its members are.
	}
	return out
}

// mailboxOf converts one mailbox; name gives the display name to send.
func mailboxOf(a message.Address, name func(string) string) Address {
	addr := clean(strings.ReplaceAll(a.Addr, ewMark, "=?"))
	local, host := addr, ""
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local, host = addr[:i], addr[i+1:]
	}
	local = unquoteLocal(local)
	if local == "" {
		local = missingMailbox
	}
	if host == "" {
		host = missingDomain
	}
	return Address{Name: name(a.Name), Mailbox: local, Host: host}
}

// unquoteLocal removes the quotes of a quoted-string local part (RFC 5322
// 3.2.4): the envelope carries the mailbox name, not its syntax.
func unquoteLocal(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// clean makes s something every IMAP string can carry: NUL removed, CR
// and LF (which only damaged input leaves in an unfolded value) turned
// into spaces.
func clean(s string) string {
	if !strings.ContainsAny(s, "\x00\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case 0:
			return -1
		case '\r', '\n':
			return ' '
		}
		return r
	}, s)
}

// BodyStructureOf returns the BODY (extended false) or BODYSTRUCTURE
// (extended true) of the message whose structure is root, as
// mime.ReadEntity or mailbox.ReadStructure give it (RFC 9051 7.5.2).
// Extended is set on every node as asked, and the extension data is
// filled only then. A nil root gives an empty text/plain part.
//
// mime.Entity counts octets and lines for leaves only. The size of a
// message/rfc822 part comes from its offsets; its line count, unless
// the entity has one, is summed from the encapsulated message (header
// lines, leaf lines, delimiter lines), which misses the lines of
// multipart preambles and epilogues and, for a transfer-encoded
// message/rfc822, counts the decoded message.
func BodyStructureOf(root *mime.Entity, extended bool) *BodyStructure {
	if root == nil {
		return standIn(0, 0, extended)
	}
	return bodyOf(root, extended, 0)
}

// standIn is the empty text/plain part that takes the place of one that
// cannot be written, as Dovecot writes it.
func standIn(size int64, lines int, extended bool) *BodyStructure {
	return &BodyStructure{Type: "text", Subtype: "plain",
		Params: []Param{{"charset", "us-ascii"}}, Encoding: "7BIT",
		Size: clamp32(size), Lines: uint64(max(lines, 0)), Extended: extended}
}

func bodyOf(e *mime.Entity, ext bool, depth int) *BodyStructure {
	if depth >= maxBodyDepth {
		return standIn(0, 0, ext)
	}
	h := &e.Header
	switch e.Kind {
	case mime.Multipart:
		b := &BodyStructure{Type: "multipart", Extended: ext}
		_, b.Subtype = typeOf(h, e.MediaType)
		for _, p := range e.Parts {
			b.Parts = append(b.Parts, bodyOf(p, ext, depth+1))
		}
		if len(b.Parts) == 0 {
			// RFC 9051 9: body-type-mpart has at least one body.
			b.Parts = append(b.Parts, standIn(0, 0, ext))
		}
		if ext {
			b.Params = paramsOf(h.Get("Content-Type"), e.Params)
			extensionOf(b, h)
		}
		return b
	case mime.Encapsulated:
		b := singleOf(e, ext)
		if len(e.Parts) > 0 {
			inner := e.Parts[0]
			b.Envelope = EnvelopeOf(inner.Header)
			b.Body = bodyOf(inner, ext, depth+1)
		} else {
			b.Envelope = EnvelopeOf(mime.Header{})
			b.Body = standIn(0, 0, ext)
		}
		if e.BodyOffset >= 0 && e.EndOffset >= e.BodyOffset {
			b.Size = clamp32(e.EndOffset - e.BodyOffset)
		} else {
			b.Size = clamp32(e.Size)
			if len(e.Parts) > 0 && e.Size == 0 {
				b.Size = clamp32(headerSize(e.Parts[0]) + bodySize(e.Parts[0], 0))
			}
		}
		b.Lines = uint64(max(e.Lines, 0))
		if e.Lines == 0 && len(e.Parts) > 0 {
			// mime.Entity counts the lines of leaves only: the lines
			// of the encapsulated message are summed from its parts.
			b.Lines = uint64(headerLines(e.Parts[0]) + bodyLines(e.Parts[0], 0))
		}
		return b
	}
	b := singleOf(e, ext)
	b.Size = clamp32(e.Size)
	if b.isMessage() {
		// A message/rfc822 part that could not be read as one (no body):
		// an empty message.
		b.Envelope = EnvelopeOf(mime.Header{})
		b.Body = standIn(0, 0, ext)
		b.Lines = uint64(max(e.Lines, 0))
	} else if strings.EqualFold(b.Type, "text") {
		b.Lines = uint64(max(e.Lines, 0))
	}
	return b
}

// singleOf fills the fields of a part that is not a multipart: type,
// parameters, body fields and, when ext, the extension data.
func singleOf(e *mime.Entity, ext bool) *BodyStructure {
	h := &e.Header
	b := &BodyStructure{Extended: ext}
	mt := e.MediaType
	params := e.Params
	if mt == "" || strings.HasPrefix(mt, "multipart/") {
		// A multipart read as a leaf has no boundary, or is the
		// stand-in for the parts of one without delimiter lines: its
		// Content-Type is unusable, and RFC 2045 5.2 says text/plain.
		mt, params = mime.DefaultMediaType, nil
	}
	b.Type, b.Subtype = typeOf(h, mt)
	if params != nil {
		b.Params = paramsOf(h.Get("Content-Type"), params)
	} else if strings.EqualFold(b.Type, "text") {
		// RFC 2045 5.2, RFC 2046 4.1.2: the default charset.
		b.Params = []Param{{"charset", "us-ascii"}}
	}
	b.ID = clean(h.Get("Content-ID"))
	b.Description = clean(h.Get("Content-Description"))
	b.Encoding = encodingOf(h.Get("Content-Transfer-Encoding"))
	if ext {
		b.MD5 = clean(h.Get("Content-MD5"))
		extensionOf(b, h)
	}
	return b
}

// typeOf returns the type and subtype of mediaType (lower case, as mime
// gives it) in the case the Content-Type field writes them, when the
// field does name that type.
func typeOf(h *mime.Header, mediaType string) (typ, sub string) {
	typ, sub, _ = strings.Cut(mediaType, "/")
	raw := strings.TrimLeft(h.Get("Content-Type"), " \t")
	rt, rest, ok := strings.Cut(raw, "/")
	if !ok || !strings.EqualFold(strings.TrimSpace(rt), typ) {
		return typ, sub
	}
	rest = strings.TrimLeft(rest, " \t")
	if len(rest) >= len(sub) && strings.EqualFold(rest[:len(sub)], sub) {
		typ, sub = strings.TrimSpace(rt), rest[:len(sub)]
	}
	return typ, sub
}

// encodingOf returns the Content-Transfer-Encoding in upper case without
// comments or quotes, "7BIT" when there is none (RFC 2045 6.1).
func encodingOf(v string) string {
	v = strings.TrimSpace(stripComments(v))
	v = strings.Trim(v, `"`)
	v = strings.TrimSpace(v)
	if v == "" {
		return "7BIT"
	}
	return clean(strings.ToUpper(v))
}

// stripComments removes RFC 5322 comments (nested parentheses) outside
// quoted strings.
func stripComments(v string) string {
	if !strings.Contains(v, "(") {
		return v
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (quoted || depth > 0) && i+1 < len(v):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(v[i+1])
			}
			i++
			continue
		case c == '"' && depth == 0:
			quoted = !quoted
		case c == '(' && !quoted:
			depth++
			continue
		case c == ')' && !quoted && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// extensionOf fills the disposition, language and location (RFC 9051 9:
// body-ext-1part, body-ext-mpart).
func extensionOf(b *BodyStructure, h *mime.Header) {
	if v := h.Get("Content-Disposition"); strings.TrimSpace(v) != "" {
		d, _ := mime.ParseContentDisposition(v)
		if d.Type != "" {
			b.Disposition = d.Type
			// The type as written, when the field starts with it.
			raw := strings.TrimLeft(v, " \t")
			if len(raw) >= len(d.Type) && strings.EqualFold(raw[:len(d.Type)], d.Type) {
				b.Disposition = clean(raw[:len(d.Type)])
			}
			b.DispositionParams = paramsOf(v, d.Params)
		}
	}
	b.Language = languagesOf(h.Get("Content-Language"))
	b.Location = clean(strings.TrimSpace(h.Get("Content-Location")))
}

// languagesOf splits a Content-Language value (RFC 3282: a list of
// language tags) into its tags.
func languagesOf(v string) []string {
	v = stripComments(v)
	var out []string
	for _, t := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t'
	}) {
		out = append(out, clean(t))
	}
	return out
}

// paramsOf returns the parameters params (names in lower case, values
// decoded, as mime parses them) in the order and name case of the field
// value raw they were read from. Values that are not printable US-ASCII
// are sent in the RFC 2231 extended form (see the notes at the top).
func paramsOf(raw string, params map[string]string) []Param {
	if len(params) == 0 {
		return nil
	}
	type found struct {
		pos  int
		name string
	}
	lower := asciiLower(raw)
	fs := make([]found, 0, len(params))
	for name := range params {
		pos, spelt := paramPos(raw, lower, name)
		fs = append(fs, found{pos, spelt})
	}
	slices.SortFunc(fs, func(a, b found) int {
		if a.pos != b.pos {
			return a.pos - b.pos
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]Param, 0, len(fs))
	for _, f := range fs {
		v := params[asciiLower(f.name)]
		if printableASCII(v) {
			out = append(out, Param{clean(f.name), v})
		} else {
			out = append(out, Param{clean(f.name) + "*", "utf-8''" + percentEncode(v)})
		}
	}
	return out
}

// paramPos finds where the parameter name (lower case) is first written
// in raw (lower is raw in ASCII lower case): after a ';' or white space,
// and followed by '=' or '*'. It returns the position and the name as
// written, or a position past every other and name itself.
func paramPos(raw, lower, name string) (int, string) {
	for from := 0; from < len(lower); {
		i := strings.Index(lower[from:], name)
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		j := i - 1
		for j >= 0 && (lower[j] == ' ' || lower[j] == '\t') {
			j--
		}
		if j >= 0 && lower[j] != ';' && j == i-1 {
			continue // inside a word: not this parameter
		}
		k := i + len(name)
		for k < len(lower) && (lower[k] == ' ' || lower[k] == '\t') {
			k++
		}
		if k < len(lower) && (lower[k] == '=' || lower[k] == '*') {
			return i, raw[i : i+len(name)]
		}
	}
	return math.MaxInt, name
}

// asciiLower lowers ASCII letters only, keeping byte positions.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// printableASCII reports whether s is printable US-ASCII (tab allowed).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// percentEncode writes s as an RFC 2231 extended value: attribute-char
// as it is, every other octet as %XX.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x20 && c < 0x7f && !strings.ContainsRune("*'%()<>@,;:\\\"/[]?=", rune(c)) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// clamp32 bounds a size to what body-fld-octets (number) holds.
func clamp32(n int64) uint32 {
	if n < 0 {
		return 0
	}
	if n > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(n)
}

// headerSize and headerLines give the octets and lines of an entity's
// header as read: its fields and the empty line that ends it, which the
// offsets tell apart from a header that ended without one; an entity
// without offsets (inside an encoded message) is assumed to have it.
func headerSize(e *mime.Entity) int64 {
	if e.HeaderOffset >= 0 && e.BodyOffset >= e.HeaderOffset {
		return e.BodyOffset - e.HeaderOffset
	}
	n := int64(2)
	for _, f := range e.Header.Fields() {
		if r := f.Raw(); r != "" {
			n += int64(len(r))
		} else {
			n += int64(len(f.Key) + 2 + len(f.Value) + 2)
		}
	}
	return n
}

func headerLines(e *mime.Entity) int {
	n, size := 0, int64(0)
	for _, f := range e.Header.Fields() {
		if r := f.Raw(); r != "" {
			n += max(strings.Count(r, "\n"), 1)
			size += int64(len(r))
		} else {
			n++
		}
	}
	if e.HeaderOffset < 0 || e.BodyOffset < e.HeaderOffset || e.BodyOffset-e.HeaderOffset > size {
		n++ // the empty line
	}
	return n
}

// bodySize and bodyLines estimate the octets and lines of an entity's
// body from its parts, for containers whose counts mime.Entity does not
// hold: a multipart's delimiter lines are counted, its preamble and
// epilogue cannot be.
func bodySize(e *mime.Entity, depth int) int64 {
	if depth > maxBodyDepth {
		return 0
	}
	switch e.Kind {
	case mime.Multipart:
		if e.BodyOffset >= 0 && e.EndOffset >= e.BodyOffset {
			return e.EndOffset - e.BodyOffset
		}
		if isStandIn(e) {
			return e.Parts[0].Size
		}
		delim := int64(len(e.Params["boundary"]) + 4) // "--" boundary CRLF
		n := delim + 2                                // close delimiter's "--"
		for _, p := range e.Parts {
			n += delim + headerSize(p) + bodySize(p, depth+1) + 2
		}
		return n
	case mime.Encapsulated:
		if e.BodyOffset >= 0 && e.EndOffset >= e.BodyOffset {
			return e.EndOffset - e.BodyOffset
		}
		if len(e.Parts) > 0 {
			return headerSize(e.Parts[0]) + bodySize(e.Parts[0], depth+1)
		}
	}
	return e.Size
}

func bodyLines(e *mime.Entity, depth int) int {
	if depth > maxBodyDepth {
		return 0
	}
	switch e.Kind {
	case mime.Multipart:
		if isStandIn(e) {
			return max(e.Parts[0].Lines, 0)
		}
		n := 1 // close delimiter
		for _, p := range e.Parts {
			// Delimiter line, header, body, the line break before the
			// next delimiter.
			n += 1 + headerLines(p) + bodyLines(p, depth+1) + 1
		}
		return n
	case mime.Encapsulated:
		if e.Lines > 0 {
			return e.Lines
		}
		if len(e.Parts) > 0 {
			return headerLines(e.Parts[0]) + bodyLines(e.Parts[0], depth+1)
		}
	}
	return max(e.Lines, 0)
}

// isStandIn reports whether the one part of multipart e is the leaf that
// mime puts in for the body of a multipart without delimiter lines: a
// part with e's own header.
func isStandIn(e *mime.Entity) bool {
	if len(e.Parts) != 1 || e.Parts[0].Kind != mime.Leaf {
		return false
	}
	p := e.Parts[0]
	if f, g := e.Header.Fields(), p.Header.Fields(); len(f) > 0 && len(g) > 0 {
		return &f[0] == &g[0]
	}
	return p.HeaderOffset == e.HeaderOffset && p.BodyOffset == e.BodyOffset
}
