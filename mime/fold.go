package mime

import "strings"

// Line lengths from RFC 5322 2.1.1.
const (
	// FoldLength is the line length the header writer folds at.
	FoldLength = 78
	// MaxLineLength is the hard limit on a line, excluding CRLF.
	MaxLineLength = 998
)

// writeFolded writes "key: value" CRLF, folding at whitespace so lines stay
// within FoldLength where a break point allows and never exceed
// MaxLineLength. Line breaks in value are replaced by spaces, so a caller's
// value can never start a new field (header injection).
func writeFolded(b *strings.Builder, key, value string) {
	if strings.ContainsAny(value, "\r\n") {
		value = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(value)
	}
	b.WriteString(key)
	b.WriteByte(':')
	lineLen := len(key) + 1
	lineHasWord := false
	rest := value
	first := true
	for rest != "" || first {
		// Split off leading whitespace and the following word.
		i := 0
		for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
			i++
		}
		ws := rest[:i]
		j := i
		for j < len(rest) && rest[j] != ' ' && rest[j] != '\t' {
			j++
		}
		word := rest[i:j]
		rest = rest[j:]
		if first {
			// One space after the colon, whatever the value starts with.
			ws = " "
			first = false
		}
		if word == "" {
			break // trailing whitespace is dropped
		}
		if len(ws) >= MaxLineLength {
			ws = " " // white space that no line can hold: one space
		}
		if lineHasWord && lineLen+len(ws)+len(word) > FoldLength {
			b.WriteString("\r\n")
			lineLen = 0
		}
		b.WriteString(ws)
		lineLen += len(ws)
		// A word too long for any line is broken hard; rare, and only for
		// values that could not be sent intact anyway.
		for lineLen+len(word) > MaxLineLength {
			n := MaxLineLength - lineLen
			if n <= 0 {
				// Only a field name longer than a line gets here.
				b.WriteString("\r\n ")
				lineLen = 1
				continue
			}
			for k := n; k > n-4 && k > 0; k-- {
				if c := word[k]; c < 0x80 || c >= 0xC0 {
					n = k // break before a character, not inside one
					break
				}
			}
			b.WriteString(word[:n])
			b.WriteString("\r\n ")
			word = word[n:]
			lineLen = 1
		}
		b.WriteString(word)
		lineLen += len(word)
		lineHasWord = true
	}
	b.WriteString("\r\n")
}
