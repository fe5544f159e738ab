package maildir

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
)

// Dovecot stores Maildir++ folder names on disk in IMAP's modified UTF-7
// (RFC 3501 5.1.3), so this package encodes the UTF-8 names of the
// mailbox API to it, and decodes directory names back.

// mutf7 is the base64 of modified UTF-7: "," instead of "/", no padding
// (RFC 3501 5.1.3).
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding).Strict()

var errMUTF7 = errors.New("maildir: invalid modified UTF-7")

// mutf7Direct reports whether c stands for itself in modified UTF-7:
// printable US-ASCII except "&" (RFC 3501 5.1.3).
func mutf7Direct(c rune) bool { return c >= 0x20 && c <= 0x7e && c != '&' }

// encodeMUTF7 encodes s, valid UTF-8, to modified UTF-7.
func encodeMUTF7(s string) string {
	var sb strings.Builder
	var run []rune
	flush := func() {
		if len(run) == 0 {
			return
		}
		u := utf16.Encode(run)
		b := make([]byte, 0, 2*len(u))
		for _, x := range u {
			b = append(b, byte(x>>8), byte(x))
		}
		sb.WriteByte('&')
		sb.WriteString(mutf7.EncodeToString(b))
		sb.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		switch {
		case r == '&':
			flush()
			sb.WriteString("&-")
		case mutf7Direct(r):
			flush()
			sb.WriteRune(r)
		default:
			run = append(run, r)
		}
	}
	flush()
	return sb.String()
}

// decodeMUTF7 decodes modified UTF-7 to UTF-8. It accepts only the
// canonical form encodeMUTF7 writes, so that every name has one
// spelling on disk: no 8-bit or control bytes, every shift closed by
// "-", no shifted printable ASCII, no two adjacent shifts, no surrogate
// halves (they would not encode back the same), no stray padding bits.
func decodeMUTF7(s string) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '&' {
			if !mutf7Direct(rune(c)) {
				return "", errMUTF7
			}
			sb.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", errMUTF7
		}
		enc := s[i+1 : i+1+end]
		i += end + 2
		if enc == "" {
			sb.WriteByte('&')
			continue
		}
		b, err := mutf7.DecodeString(enc)
		if err != nil || len(b)%2 != 0 {
			return "", errMUTF7
		}
		u := make([]uint16, len(b)/2)
		for j := range u {
			u[j] = uint16(b[2*j])<<8 | uint16(b[2*j+1])
		}
		for _, r := range utf16.Decode(u) {
			if mutf7Direct(r) || r == '&' {
				return "", errMUTF7
			}
			sb.WriteRune(r)
		}
	}
	out := sb.String()
	if encodeMUTF7(out) != s {
		return "", errMUTF7
	}
	return out, nil
}
