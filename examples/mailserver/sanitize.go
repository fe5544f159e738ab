package main

import (
	"html"
	"strings"
)

// The HTML sanitiser of the webmail: an allowlist over a small tokenizer of
// its own (the root module has no HTML parser to lean on).
//
// Its safety does not depend on parsing the mail the way a browser does.
// The output is written afresh: text escaped, only allowlisted elements and
// attributes, every attribute value decoded, checked and written escaped in
// double quotes, every element it opened closed again, style sheets with no
// "<" in them. Where the tokenizer reads the input differently from a
// browser, the page looks different; it does not run anything. The page
// shows the result in a sandboxed iframe without allow-scripts and under a
// CSP of its own, so that a bug here still runs no script.

const (
	// sanitizeMaxDepth bounds the elements open at once; deeper ones are
	// dropped, their text kept.
	sanitizeMaxDepth = 256
	// sanitizeMaxOutput bounds the sanitised HTML: past it the rest of the
	// message is left out (an <a> tag of 3 octets grows to 45).
	sanitizeMaxOutput = 4 << 20
)

// sanitizeOptions says what the sanitiser may let through.
type sanitizeOptions struct {
	// Remote keeps images from https URLs (img src and CSS url()); without
	// it they are dropped and counted.
	Remote bool
	// CID maps a Content-ID (without angle brackets) to the URL serving
	// that part of the message, or "" when the message has no such part.
	CID func(id string) string
}

// sanitizeResult is what sanitizeHTML made.
type sanitizeResult struct {
	HTML      string
	Blocked   int  // remote images left out
	Truncated bool // the output reached sanitizeMaxOutput
}

var (
	// Elements kept, without the attributes not listed in allowedAttrs.
	allowedTags = setOf("a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big",
		"blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del",
		"details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer",
		"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li",
		"main", "mark", "nav", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span",
		"strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
		"thead", "time", "tr", "tt", "u", "ul", "var", "wbr")
	voidTags = setOf("br", "col", "hr", "img", "wbr")
	// Elements whose content is raw text up to their end tag (HTML
	// "raw text" and "escapable raw text" elements, and those browsers
	// treat alike): dropped with their content, except style, whose sheet
	// is checked.
	rawTextTags = setOf("script", "style", "textarea", "title", "xmp", "iframe", "noembed",
		"noframes", "noscript", "plaintext")
	// Elements dropped with everything inside them.
	droppedTags = setOf("svg", "math", "object", "applet", "embed", "template", "select",
		"frameset", "frame", "audio", "video", "canvas", "map")
	// Attributes kept on any allowed element; href and src are checked as
	// URLs, style as CSS declarations.
	allowedAttrs = setOf("abbr", "align", "alt", "axis", "bgcolor", "border", "cellpadding",
		"cellspacing", "char", "charoff", "class", "clear", "color", "cols", "colspan", "compact",
		"datetime", "dir", "face", "frame", "headers", "height", "hspace", "lang", "noshade",
		"nowrap", "open", "reversed", "rows", "rowspan", "rules", "scope", "size", "span",
		"start", "style", "summary", "title", "type", "valign", "value", "vspace", "width")
	// CSS functions that load nothing. url() is handled on its own.
	allowedCSSFuncs = setOf("", "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch",
		"calc", "min", "max", "clamp", "linear-gradient", "radial-gradient", "conic-gradient",
		"repeating-linear-gradient", "repeating-radial-gradient", "translate", "translatex",
		"translatey", "scale", "scalex", "scaley", "rotate", "skew", "skewx", "skewy", "matrix",
		"cubic-bezier", "steps", "attr", "counter", "counters",
		// selectors, in style sheets
		"not", "is", "where", "has", "nth-child", "nth-last-child", "nth-of-type",
		"nth-last-of-type", "lang", "dir")
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// sanitizeHTML returns the body of a message's HTML part made safe to show.
func sanitizeHTML(src string, opts sanitizeOptions) sanitizeResult {
	s := &sanitizer{src: src, lower: asciiLower(src), opts: opts}
	s.run()
	for i := len(s.stack) - 1; i >= 0; i-- {
		s.out.WriteString("</" + s.stack[i] + ">")
	}
	return sanitizeResult{HTML: s.out.String(), Blocked: s.blocked, Truncated: s.truncated}
}

type sanitizer struct {
	src, lower string // lower: src with ASCII letters in lower case, same offsets
	opts       sanitizeOptions
	out        strings.Builder
	stack      []string // open elements written to out
	skip       string   // a droppedTags element being skipped
	skipDepth  int
	blocked    int
	truncated  bool
}

// attr is one attribute of a tag, its value with character references
// decoded.
type attr struct{ name, value string }

func (s *sanitizer) run() {
	src := s.src
	i := 0
	for i < len(src) {
		if s.out.Len() > sanitizeMaxOutput {
			s.truncated = true
			return
		}
		lt := strings.IndexByte(src[i:], '<')
		if lt < 0 {
			s.text(src[i:])
			return
		}
		s.text(src[i : i+lt])
		i += lt
		rest := src[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			i = s.skipComment(i)
		case strings.HasPrefix(rest, "<!") || strings.HasPrefix(rest, "<?"):
			// A doctype, CDATA section or processing instruction: a
			// bogus comment up to the next ">".
			i = indexFrom(src, i+2, ">", len(src)-1) + 1
		case strings.HasPrefix(rest, "</") && len(rest) > 2 && isASCIILetter(rest[2]):
			name, _, _, next, ok := s.tag(i + 2)
			if !ok {
				return // EOF inside a tag: the tag is dropped
			}
			i = next
			s.endTag(name)
		case len(rest) > 1 && isASCIILetter(rest[1]):
			name, attrs, selfClosing, next, ok := s.tag(i + 1)
			if !ok {
				return
			}
			i = next
			if rawTextTags[name] {
				end, after := s.rawTextEnd(name, i)
				if s.skip == "" && name == "style" {
					s.styleSheet(src[i:end])
				}
				i = after
				continue
			}
			s.startTag(name, attrs, selfClosing)
		default:
			s.text("<")
			i++
		}
	}
}

// skipComment returns the offset after the comment starting at i.
// HTML 13.2.5.43-52: "<!-->" and "<!--->" end at once; "--!>" ends one too.
func (s *sanitizer) skipComment(i int) int {
	src := s.src
	j := i + 4
	if strings.HasPrefix(src[j:], ">") {
		return j + 1
	}
	if strings.HasPrefix(src[j:], "->") {
		return j + 2
	}
	end := len(src)
	for k := j; k < len(src); k++ {
		if src[k] != '-' || !strings.HasPrefix(src[k:], "--") {
			continue
		}
		if strings.HasPrefix(src[k:], "-->") {
			end = k + 3
			break
		}
		if strings.HasPrefix(src[k:], "--!>") {
			end = k + 4
			break
		}
	}
	return end
}

// indexFrom returns the offset of sub in s at or after i, or def.
func indexFrom(s string, i int, sub string, def int) int {
	if i > len(s) {
		return def
	}
	if k := strings.Index(s[i:], sub); k >= 0 {
		return i + k
	}
	return def
}

// rawTextEnd finds the end tag of the raw text element name whose content
// starts at i: it returns the offset of the end of the content and the
// offset after the end tag (the end of the input when there is none).
func (s *sanitizer) rawTextEnd(name string, i int) (end, after int) {
	if name == "plaintext" {
		return len(s.src), len(s.src)
	}
	pat := "</" + name
	for k := i; ; {
		j := indexFrom(s.lower, k, pat, -1)
		if j < 0 {
			return len(s.src), len(s.src)
		}
		k = j + len(pat)
		if k < len(s.src) && !isTagSpace(s.src[k]) && s.src[k] != '/' && s.src[k] != '>' {
			continue // "</scripts" does not end a script
		}
		_, _, _, next, ok := s.tag(j + 2)
		if !ok {
			return j, len(s.src)
		}
		return j, next
	}
}

// tag reads a tag's name and attributes from i, just after "<" or "</",
// HTML 13.2.5.6-40 in short: it returns the offset after its ">", and ok
// false when the input ends first (a browser drops such a tag).
func (s *sanitizer) tag(i int) (name string, attrs []attr, selfClosing bool, next int, ok bool) {
	src := s.src
	j := i
	for j < len(src) && !isTagSpace(src[j]) && src[j] != '/' && src[j] != '>' {
		j++
	}
	name = s.lower[i:j]
	for {
		for j < len(src) && (isTagSpace(src[j]) || src[j] == '/') {
			selfClosing = src[j] == '/'
			j++
		}
		if j >= len(src) {
			return "", nil, false, j, false
		}
		if src[j] == '>' {
			return name, attrs, selfClosing, j + 1, true
		}
		selfClosing = false
		// Attribute name: an "=" first is part of it (13.2.5.32).
		k := j + 1
		for k < len(src) && !isTagSpace(src[k]) && src[k] != '/' && src[k] != '>' && src[k] != '=' {
			k++
		}
		an := s.lower[j:k]
		j = k
		for j < len(src) && isTagSpace(src[j]) {
			j++
		}
		value := ""
		if j < len(src) && src[j] == '=' {
			j++
			for j < len(src) && isTagSpace(src[j]) {
				j++
			}
			if j >= len(src) {
				return "", nil, false, j, false
			}
			switch q := src[j]; q {
			case '"', '\'':
				end := strings.IndexByte(src[j+1:], q)
				if end < 0 {
					return "", nil, false, len(src), false
				}
				value = src[j+1 : j+1+end]
				j += end + 2
			default:
				k := j
				for k < len(src) && !isTagSpace(src[k]) && src[k] != '>' {
					k++
				}
				value = src[j:k]
				j = k
			}
		}
		// The first of duplicate attributes wins (13.2.5.33).
		if !hasAttr(attrs, an) && len(attrs) < 64 {
			attrs = append(attrs, attr{an, html.UnescapeString(value)})
		}
	}
}

func hasAttr(attrs []attr, name string) bool {
	for _, a := range attrs {
		if a.name == name {
			return true
		}
	}
	return false
}

func (s *sanitizer) text(t string) {
	if s.skip != "" || t == "" {
		return
	}
	writeEscaped(&s.out, html.UnescapeString(t))
}

// writeEscaped writes t escaped for HTML text or a quoted attribute
// value; NUL becomes U+FFFD, as a browser would read it.
func writeEscaped(b *strings.Builder, t string) {
	t = html.EscapeString(t)
	if strings.IndexByte(t, 0) >= 0 {
		t = strings.ReplaceAll(t, "\x00", "\uFFFD")
	}
	b.WriteString(t)
}

func (s *sanitizer) startTag(name string, attrs []attr, selfClosing bool) {
	if s.skip != "" {
		if name == s.skip && !selfClosing {
			s.skipDepth++
		}
		return
	}
	if droppedTags[name] {
		if !selfClosing && !voidTags[name] && name != "embed" && name != "frame" {
			s.skip, s.skipDepth = name, 1
		}
		return
	}
	if !allowedTags[name] {
		return // the tag goes, its content stays
	}
	if !voidTags[name] && len(s.stack) >= sanitizeMaxDepth {
		return
	}
	s.out.WriteString("<" + name)
	for _, a := range attrs {
		s.attr(name, a)
	}
	if name == "a" {
		// Links open outside the sandboxed frame, telling the target
		// nothing of the webmail.
		s.out.WriteString(` target="_blank" rel="noopener noreferrer"`)
	}
	s.out.WriteString(">")
	if !voidTags[name] {
		s.stack = append(s.stack, name)
	}
}

func (s *sanitizer) attr(tag string, a attr) {
	var v string
	switch {
	case a.name == "href" && tag == "a":
		v = linkURL(a.value)
	case a.name == "src" && tag == "img":
		v = s.imageURL(a.value)
	case a.name == "style":
		v = s.declarations(a.value)
	case allowedAttrs[a.name]:
		v = a.value
		if len(v) > 1024 {
			return
		}
	default:
		return
	}
	if v == "" && (a.name == "href" || a.name == "src" || a.name == "style") {
		return
	}
	s.out.WriteString(" " + a.name + `="`)
	writeEscaped(&s.out, v)
	s.out.WriteString(`"`)
}

func (s *sanitizer) endTag(name string) {
	if s.skip != "" {
		if name == s.skip {
			s.skipDepth--
			if s.skipDepth == 0 {
				s.skip = ""
			}
		}
		return
	}
	for i := len(s.stack) - 1; i >= 0; i-- {
		if s.stack[i] == name {
			for j := len(s.stack) - 1; j >= i; j-- {
				s.out.WriteString("</" + s.stack[j] + ">")
			}
			s.stack = s.stack[:i]
			return
		}
	}
}

// cleanURL trims a URL as a browser's URL parser does (leading and
// trailing C0 controls and spaces) and refuses one with a control
// character or white space left inside, which the parser would drop
// ("java\tscript:").
func cleanURL(u string) (string, bool) {
	u = strings.TrimFunc(u, func(r rune) bool { return r <= ' ' })
	for i := 0; i < len(u); i++ {
		if u[i] <= ' ' || u[i] == 0x7f {
			return "", false
		}
	}
	return u, u != ""
}

// linkURL returns href if it is an absolute http, https or mailto URL.
// Everything else goes: javascript:, data:, and relative URLs, which
// would point into the webmail.
func linkURL(href string) string {
	u, ok := cleanURL(href)
	if !ok {
		return ""
	}
	l := strings.ToLower(u)
	if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:") {
		return u
	}
	return ""
}

// imageURL returns what may stand in an img src (or CSS url()) for src:
// the URL serving a cid: part, a data: URL of a raster image, an https URL
// when remote content is allowed; "" otherwise, counting remote images
// left out.
func (s *sanitizer) imageURL(src string) string {
	u, ok := cleanURL(src)
	if !ok {
		return ""
	}
	l := strings.ToLower(u)
	switch {
	case strings.HasPrefix(l, "cid:"):
		if s.opts.CID == nil {
			return ""
		}
		id, err := urlUnescape(u[4:])
		if err != nil {
			return ""
		}
		return s.opts.CID(strings.Trim(id, "<>"))
	case strings.HasPrefix(l, "data:"):
		for _, t := range []string{"png", "gif", "jpeg", "jpg", "webp"} {
			if p := "data:image/" + t; strings.HasPrefix(l, p) && len(l) > len(p) && (l[len(p)] == ';' || l[len(p)] == ',') {
				return u
			}
		}
		return ""
	case strings.HasPrefix(l, "https://"), strings.HasPrefix(l, "http://"), strings.HasPrefix(l, "//"):
		if s.opts.Remote && strings.HasPrefix(l, "https://") {
			return u
		}
		s.blocked++
		return ""
	}
	return ""
}

// urlUnescape undoes %XX escapes (a cid: URL is an escaped Content-ID,
// RFC 2392 2).
func urlUnescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isTagSpace reports HTML's white space inside tags (13.2.5.34).
func isTagSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
