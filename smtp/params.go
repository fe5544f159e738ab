package smtp

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Param is one ESMTP parameter of MAIL or RCPT (RFC 5321 4.1.2
// esmtp-param): a keyword, upper-cased, and an optional value.
type Param struct {
	Keyword  string // upper-case
	Value    string // raw value; xtext is not decoded (see DecodeXtext)
	HasValue bool   // "KEY=value" rather than "KEY"
}

// Params holds the parameters of one command in the order they came.
// Keywords are unique.
type Params []Param

// Get returns the value of the parameter named keyword (case-insensitive)
// and whether it is present.
func (p Params) Get(keyword string) (string, bool) {
	for _, x := range p {
		if strings.EqualFold(x.Keyword, keyword) {
			return x.Value, true
		}
	}
	return "", false
}

// Has reports whether the parameter named keyword is present.
func (p Params) Has(keyword string) bool {
	_, ok := p.Get(keyword)
	return ok
}

// String returns the parameters as they go on the wire, each preceded by a
// space.
func (p Params) String() string {
	var sb strings.Builder
	for _, x := range p {
		sb.WriteByte(' ')
		sb.WriteString(x.Keyword)
		if x.HasValue {
			sb.WriteByte('=')
			sb.WriteString(x.Value)
		}
	}
	return sb.String()
}

// parseParams reads esmtp-param *(SP esmtp-param) (RFC 5321 4.1.2):
//
//	esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//	esmtp-value   = 1*(%d33-60 / %d62-126)   ; and UTF-8 with SMTPUTF8 (RFC 6531 3.3)
//
// Runs of spaces between parameters are tolerated.
func parseParams(s string, utf8ok bool) (Params, error) {
	var ps Params
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return ps, nil
		}
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		tok := s[:end]
		s = s[end:]
		key, val, hasVal := strings.Cut(tok, "=")
		if !validKeyword(key) {
			return nil, syntaxErr(501, codeBadArgs, "Invalid parameter keyword")
		}
		if hasVal && !validValue(val, utf8ok) {
			return nil, syntaxErr(501, codeBadArgs, "Invalid parameter value")
		}
		key = strings.ToUpper(key)
		if ps.Has(key) {
			return nil, syntaxErr(501, codeBadArgs, "Duplicate parameter "+key)
		}
		if len(ps) >= MaxParams {
			return nil, syntaxErr(501, codeBadArgs, "Too many parameters")
		}
		ps = append(ps, Param{Keyword: key, Value: val, HasValue: hasVal})
	}
}

// MaxParams bounds the parameters of one command; the known extensions
// define fewer than ten per command, so more is an attack or a bug.
const MaxParams = 32

func validKeyword(k string) bool {
	if k == "" || !isAlnum(k[0]) {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isAlnum(k[i]) && k[i] != '-' {
			return false
		}
	}
	return true
}

func validValue(v string, utf8ok bool) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			if !utf8ok {
				return false
			}
			continue
		}
		if c < 33 || c > 126 || c == '=' {
			return false
		}
	}
	return !utf8ok || utf8.ValidString(v)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// DecodeXtext decodes xtext (RFC 3461 4.): "+" followed by two hex digits
// stands for that octet; other characters are ASCII 33 to 126 except "+"
// and "=". Lower-case hex digits are accepted.
func DecodeXtext(s string) (string, error) {
	if strings.IndexByte(s, '+') < 0 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 33 || c > 126 || c == '=' {
				return "", syntaxErr(501, codeBadArgs, "Invalid xtext")
			}
		}
		return s, nil
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			if i+2 >= len(s) {
				return "", syntaxErr(501, codeBadArgs, "Truncated xtext escape")
			}
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", syntaxErr(501, codeBadArgs, "Invalid xtext escape")
			}
			sb.WriteByte(h<<4 | l)
			i += 2
		case c < 33 || c > 126 || c == '=':
			return "", syntaxErr(501, codeBadArgs, "Invalid xtext")
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// EncodeXtext encodes s as xtext (RFC 3461 4.), escaping "+", "=" and every
// octet outside ASCII 33 to 126 with upper-case hex.
func EncodeXtext(s string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 || c == '+' || c == '=' {
			sb.WriteByte('+')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// ParseORCPT parses the value of the ORCPT parameter of RCPT (RFC 3461
// 4.2): addr-type ";" xtext, as "rfc822;user+40example.org". It returns
// the address type as written and the decoded address. For the type
// "utf-8" the address is utf-8-addr-xtext or utf-8-addr-unitext
// (RFC 6533 3.): UTF-8 as is and \x{HEX} escapes.
func ParseORCPT(value string) (addrType, addr string, err error) {
	typ, enc, ok := strings.Cut(value, ";")
	if !ok || !validKeyword(typ) {
		return "", "", syntaxErr(501, codeBadArgs, "Syntax: ORCPT=addr-type;xtext")
	}
	if strings.EqualFold(typ, "utf-8") {
		addr, err = decodeUTF8Addr(enc)
	} else {
		addr, err = DecodeXtext(enc)
	}
	if err != nil {
		return "", "", err
	}
	if addr == "" {
		return "", "", syntaxErr(501, codeBadArgs, "Empty ORCPT address")
	}
	return typ, addr, nil
}

// encodeUTF8Addr encodes addr as utf-8-addr-xtext (RFC 6533 3.), which
// any server with DSN takes: the QCHARs of ASCII as they are, and every
// other character — "+", "=", "\\", controls, space, and all beyond
// ASCII — as \x{HEX}. Invalid UTF-8 is encoded rune by rune as U+FFFD.
func encodeUTF8Addr(addr string) string {
	var sb strings.Builder
	sb.Grow(len(addr))
	for _, r := range addr {
		if r > 32 && r < 127 && r != '+' && r != '=' && r != '\\' {
			sb.WriteRune(r)
			continue
		}
		if r < 0x100 {
			fmt.Fprintf(&sb, "\\x{%02X}", r)
		} else {
			fmt.Fprintf(&sb, "\\x{%X}", r)
		}
	}
	return sb.String()
}

// decodeUTF8Addr decodes utf-8-addr-xtext or utf-8-addr-unitext
// (RFC 6533 3.): QCHAR, UTF-8 beyond ASCII, and \x{HEX} for the rest.
func decodeUTF8Addr(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", syntaxErr(501, codeBadArgs, "Invalid UTF-8 in ORCPT")
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			rest := s[i:]
			if !strings.HasPrefix(rest, "\\x{") {
				return "", syntaxErr(501, codeBadArgs, "Invalid ORCPT escape")
			}
			end := strings.IndexByte(rest, '}')
			if end < 0 || end < 4 || end > 9 {
				return "", syntaxErr(501, codeBadArgs, "Invalid ORCPT escape")
			}
			n, err := strconv.ParseUint(rest[3:end], 16, 32)
			if err != nil || !utf8.ValidRune(rune(n)) {
				return "", syntaxErr(501, codeBadArgs, "Invalid ORCPT escape")
			}
			sb.WriteRune(rune(n))
			i += end
		case c >= 0x80:
			sb.WriteByte(c)
		case c < 33 || c > 126 || c == '+' || c == '=':
			return "", syntaxErr(501, codeBadArgs, "Invalid character in ORCPT")
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), nil
}
