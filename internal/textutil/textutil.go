// Package textutil holds small text helpers that the mail syntax packages
// share: UTF-8 repair and RFC 5322 comment skipping.
package textutil

import (
	"strings"
	"unicode/utf8"
)

// ValidUTF8 returns s with each maximal invalid subsequence replaced by
// U+FFFD, the practice Unicode recommends (Unicode 15, 3.9, "U+FFFD
// Substitution of Maximal Subparts") and that CPython and WHATWG follow: a
// lone Latin-1 byte becomes one U+FFFD, a truncated sequence one U+FFFD.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + 8)
	AppendValidUTF8(&sb, s)
	return sb.String()
}

// AppendValidUTF8 writes s to sb with each maximal invalid subsequence
// replaced by U+FFFD.
func AppendValidUTF8(sb *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		if _, size := utf8.DecodeRuneInString(s[i:]); size > 1 {
			i += size
			continue
		}
		sb.WriteString(s[start:i])
		sb.WriteString("\uFFFD")
		i += maximalSubpart(s[i:])
		start = i
	}
	sb.WriteString(s[start:])
}

// maximalSubpart returns the length of the longest prefix of s, at least 1,
// that could start a well-formed UTF-8 sequence; s does not start with one.
func maximalSubpart(s string) int {
	c := s[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case 0xC2 <= c && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case 0xE1 <= c && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case 0xF1 <= c && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(s); n++ {
		if s[n] < lo || s[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}

// SkipComment returns the index just past the comment that starts at s[i]
// (which is '('), nested comments and quoted pairs included (RFC 5322
// 3.2.2). An unterminated comment runs to the end of s and closed is false.
func SkipComment(s string, i int) (end int, closed bool) {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // quoted-pair: the next byte is literal
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(s), false
}

// EqualFoldASCII reports whether a and b are equal with ASCII letters
// compared case-insensitively and every other byte exactly (RFC 9051
// 6.4.5.1: header field names are "ASCII-range case insensitive but
// otherwise exact"; strings.EqualFold also folds non-ASCII).
func EqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
