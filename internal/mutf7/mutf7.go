// Package mutf7 is modified UTF-7, the form of IMAP mailbox names (RFC
// 3501 5.1.3, RFC 9051 5.1.3), shared by the imap package and the
// maildir store, which keeps folder names on disk in it as Dovecot does.
package mutf7

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Modified UTF-7 mailbox names (RFC 3501 5.1.3, RFC 9051 5.1.3):
// printable US-ASCII stands for itself except "&", written "&-"; any
// other character is UTF-16 in modified BASE64 (RFC 2152 with ","
// for "/" and no padding) between "&" and "-".

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"

var values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// Encode returns the modified UTF-7 form of the UTF-8 name s.
// Invalid UTF-8 is encoded as U+FFFD.
func Encode(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	var units []uint16
	flush := func() {
		if len(units) == 0 {
			return
		}
		sb.WriteByte('&')
		var acc uint32
		bits := 0
		for _, u := range units {
			acc = acc<<16 | uint32(u)
			bits += 16
			for bits >= 6 {
				bits -= 6
				sb.WriteByte(alphabet[acc>>bits&63])
			}
		}
		if bits > 0 {
			sb.WriteByte(alphabet[acc<<(6-bits)&63])
		}
		sb.WriteByte('-')
		units = units[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			sb.WriteRune(r)
			if r == '&' {
				sb.WriteByte('-')
			}
			continue
		}
		units = utf16.AppendRune(units, r)
	}
	flush()
	return sb.String()
}

// Decode returns the UTF-8 form of the modified UTF-7 name s. It
// accepts only the canonical form that EncodeMUTF7 writes: no 8-bit or
// control characters, no padding, no printable ASCII in BASE64, no
// non-zero leftover bits, no two encoded runs next to each other and no
// unpaired surrogates.
func Decode(s string) (string, error) {
	var sb strings.Builder
	sb.Grow(len(s))
	lastRunEnd := -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("mutf7: byte %#x not allowed", c)
		}
		if c != '&' {
			sb.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], '-')
		if j < 0 {
			return "", fmt.Errorf("mutf7: unterminated shift")
		}
		b64 := s[i+1 : i+1+j]
		start := i
		i += j + 2
		if b64 == "" {
			sb.WriteByte('&')
			continue
		}
		if start == lastRunEnd {
			return "", fmt.Errorf("mutf7: adjacent encoded runs")
		}
		lastRunEnd = i
		if err := decodeRun(&sb, b64); err != nil {
			return "", err
		}
	}
	return sb.String(), nil
}

func decodeRun(sb *strings.Builder, b64 string) error {
	var acc uint32
	bits := 0
	var units []uint16
	for k := 0; k < len(b64); k++ {
		v := values[b64[k]]
		if v < 0 {
			return fmt.Errorf("mutf7: %q not in BASE64", b64[k])
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 16 {
			bits -= 16
			units = append(units, uint16(acc>>bits))
			acc &= 1<<bits - 1
		}
	}
	if bits >= 6 || acc != 0 || len(units) == 0 {
		return fmt.Errorf("mutf7: bad BASE64 run %q", b64)
	}
	for k := 0; k < len(units); k++ {
		u := units[k]
		var r rune
		switch {
		case utf16.IsSurrogate(rune(u)):
			if u >= 0xdc00 || k+1 == len(units) {
				return fmt.Errorf("mutf7: unpaired surrogate")
			}
			r = utf16.DecodeRune(rune(u), rune(units[k+1]))
			if r == utf8.RuneError {
				return fmt.Errorf("mutf7: unpaired surrogate")
			}
			k++
		default:
			r = rune(u)
		}
		if r >= 0x20 && r <= 0x7e {
			return fmt.Errorf("mutf7: printable ASCII %q encoded", r)
		}
		sb.WriteRune(r)
	}
	return nil
}
