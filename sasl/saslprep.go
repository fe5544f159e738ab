package sasl

import (
	"errors"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// errSASLprep reports a string SASLprep prohibits.
var errSASLprep = errors.New("sasl: string prohibited by SASLprep")

// SASLprep prepares s with the SASLprep profile of stringprep (RFC 4013)
// for use as a query: non-ASCII spaces become U+0020, characters mapped to
// nothing are removed, the result is NFKC-normalized, and prohibited
// characters (controls, private use, non-characters, surrogates and the
// rest of RFC 4013 2.3) make it fail. Unassigned code points are allowed
// (RFC 3454 7.) and the bidirectional checks of RFC 3454 6. are not made.
func SASLprep(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errSASLprep
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c < 0x20 || c == 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return s, nil
	}
	// RFC 4013 2.1: mapping.
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case mappedToNothing(r):
		case nonASCIISpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	// RFC 4013 2.2: normalization.
	out := norm.NFKC.String(b.String())
	// RFC 4013 2.3: prohibited output.
	for _, r := range out {
		if prohibited(r) {
			return "", errSASLprep
		}
	}
	return out, nil
}

// mappedToNothing is RFC 3454 table B.1.
func mappedToNothing(r rune) bool {
	switch r {
	case 0x00AD, 0x034F, 0x1806, 0x180B, 0x180C, 0x180D, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF:
		return true
	}
	return r >= 0xFE00 && r <= 0xFE0F
}

// nonASCIISpace is RFC 3454 table C.1.2 (less U+200B, which B.1 removes).
func nonASCIISpace(r rune) bool {
	switch r {
	case 0x00A0, 0x1680, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// prohibited is RFC 4013 2.3: tables C.1.2, C.2.1, C.2.2, C.3, C.4, C.5,
// C.6, C.7, C.8 and C.9 of RFC 3454.
func prohibited(r rune) bool {
	switch {
	case nonASCIISpace(r):
		return true
	case r < 0x20 || r == 0x7F: // C.2.1
		return true
	case r >= 0x80 && r <= 0x9F: // C.2.2
		return true
	case r == 0x06DD, r == 0x070F, r == 0x180E, r == 0x200C, r == 0x200D,
		r == 0x2028, r == 0x2029, r >= 0x2060 && r <= 0x2063, r >= 0x206A && r <= 0x206F,
		r == 0xFEFF, r >= 0xFFF9 && r <= 0xFFFC, r >= 0x1D173 && r <= 0x1D17A: // C.2.2
		return true
	case r >= 0xE000 && r <= 0xF8FF, r >= 0xF0000 && r <= 0xFFFFD, r >= 0x100000 && r <= 0x10FFFD: // C.3
		return true
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE: // C.4
		return true
	case r >= 0xD800 && r <= 0xDFFF: // C.5
		return true
	case r >= 0xFFF9 && r <= 0xFFFD: // C.6
		return true
	case r >= 0x2FF0 && r <= 0x2FFB: // C.7
		return true
	case r == 0x0340, r == 0x0341, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E: // C.8
		return true
	case r == 0xE0001, r >= 0xE0020 && r <= 0xE007F: // C.9
		return true
	}
	return false
}
