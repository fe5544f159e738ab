package main

import (
	"strings"
)

// CSS, in style attributes and style elements, is kept when it can load
// nothing: no backslash (escapes could spell "url" or "expression" any
// way), no "<", no @import or @font-face, and no function but those in
// allowedCSSFuncs and url(), whose argument goes through imageURL like an
// img src: a blocked URL becomes "none".

// declarations returns the declarations of a style attribute that pass,
// or "".
func (s *sanitizer) declarations(v string) string {
	if len(v) > 8<<10 || hasCSSDanger(v) {
		return ""
	}
	var b strings.Builder
	for _, decl := range strings.Split(v, ";") {
		name, value, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if !cssPropertyName(name) || value == "" {
			continue
		}
		value, ok = s.cssValue(value)
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name + ": " + value)
	}
	return b.String()
}

// styleSheet writes the content of a style element if it passes whole.
func (s *sanitizer) styleSheet(css string) {
	if len(css) > 256<<10 {
		return
	}
	css = stripCSSComments(css)
	l := strings.ToLower(css)
	if hasCSSDanger(css) || strings.Contains(l, "@import") || strings.Contains(l, "@font-face") ||
		strings.Contains(l, "@namespace") || strings.Contains(l, "</") {
		return
	}
	css, ok := s.cssValue(css)
	if !ok {
		return
	}
	// No "<" can be in css (hasCSSDanger), so it cannot end the element
	// early; the output has none of the input's.
	s.out.WriteString("<style>" + css + "</style>")
}

// hasCSSDanger reports what makes CSS too hard to check: a backslash, a
// comment, markup, a control character, or a property that binds code.
func hasCSSDanger(v string) bool {
	if strings.ContainsAny(v, "\\<\x00") || strings.Contains(v, "/*") {
		return true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			return true
		}
	}
	l := strings.ToLower(v)
	return strings.Contains(l, "behavior") || strings.Contains(l, "binding") ||
		strings.Contains(l, "expression") || strings.Contains(l, "javascript:")
}

// cssPropertyName accepts a property name such as "font-size" or
// "-webkit-text-size-adjust", not a custom property ("--x").
func cssPropertyName(n string) bool {
	n = strings.TrimPrefix(n, "-")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// cssValue checks every function in v and replaces each url() by the URL
// imageURL allows or by "none".
func (s *sanitizer) cssValue(v string) (string, bool) {
	var b strings.Builder
	last := 0
	for i := 0; i < len(v); i++ {
		if v[i] != '(' {
			continue
		}
		start := i
		for start > 0 && isCSSNameChar(v[start-1]) {
			start--
		}
		fn := strings.ToLower(v[start:i])
		if fn != "url" {
			if !allowedCSSFuncs[fn] {
				return "", false
			}
			continue
		}
		// url( ws* (string | unquoted) ws* )
		j := i + 1
		for j < len(v) && isTagSpace(v[j]) {
			j++
		}
		var arg string
		if j < len(v) && (v[j] == '"' || v[j] == '\'') {
			end := strings.IndexByte(v[j+1:], v[j])
			if end < 0 {
				return "", false
			}
			arg = v[j+1 : j+1+end]
			j += end + 2
			for j < len(v) && isTagSpace(v[j]) {
				j++
			}
			if j >= len(v) || v[j] != ')' {
				return "", false
			}
		} else {
			end := strings.IndexByte(v[j:], ')')
			if end < 0 {
				return "", false
			}
			arg = strings.TrimSpace(v[j : j+end])
			j += end
		}
		if j+1 < len(v) && (v[j+1] == '(' || isCSSNameChar(v[j+1])) {
			return "", false // "url(x)(" or "url(x)y": garbage, and "none(" would read as a function
		}
		b.WriteString(v[last:start])
		u := s.imageURL(arg)
		if u == "" || strings.ContainsAny(u, `"'()`) {
			b.WriteString("none")
		} else {
			b.WriteString(`url("` + u + `")`)
		}
		last = j + 1
		i = j
	}
	b.WriteString(v[last:])
	return b.String(), true
}

func isCSSNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c >= 0x80
}

// stripCSSComments removes /* ... */ comments; an unterminated one runs to
// the end.
func stripCSSComments(css string) string {
	if !strings.Contains(css, "/*") {
		return css
	}
	var b strings.Builder
	for {
		i := strings.Index(css, "/*")
		if i < 0 {
			b.WriteString(css)
			return b.String()
		}
		b.WriteString(css[:i])
		j := strings.Index(css[i+2:], "*/")
		if j < 0 {
			return b.String()
		}
		b.WriteString(" ")
		css = css[i+2+j+2:]
	}
}
