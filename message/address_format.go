package message

import (
	"strings"
	"unicode/utf8"

	"github.com/postkit/postkit/mime"
)

// String returns the address formatted for a header field, in 7-bit form:
// see Format.
func (a Address) String() string { return a.Format(false) }

// Format returns the address formatted for a header field (RFC 5322 3.4).
//
// The display name is written as atoms when it is made of atext words
// separated by single spaces, as a quoted-string when it holds specials
// (".", ",", quotes...) or other white space, and as RFC 2047 encoded words
// when it holds non-ASCII text (unless utf8 is set), control characters or
// "=?" (which a reader would take for an encoded word). With utf8 set
// (RFC 6532, for SMTPUTF8 transport) non-ASCII text is written as it is.
//
// Addr is written with its local part quoted if it needs to be; CR and LF
// are dropped. A non-ASCII addr-spec cannot be encoded and is written as it
// is in either form. An empty Addr with no name gives "<>".
//
// A group is written "name: m1, m2;" ("name:;" without members); a group
// among the members is replaced by its own members.
func (a Address) Format(utf8 bool) string {
	var b strings.Builder
	a.appendTo(&b, utf8)
	return b.String()
}

// FormatAddressList returns the addresses joined by ", ", each formatted
// with String.
func FormatAddressList(list []Address) string {
	return formatAddressList(list, false)
}

// FormatAddressListUTF8 returns the addresses joined by ", ", each
// formatted with Format(true) (RFC 6532 UTF-8 header, for SMTPUTF8).
func FormatAddressListUTF8(list []Address) string {
	return formatAddressList(list, true)
}

func formatAddressList(list []Address, utf8 bool) string {
	var b strings.Builder
	for i, a := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		a.appendTo(&b, utf8)
	}
	return b.String()
}

func (a Address) appendTo(b *strings.Builder, utf8 bool) {
	if !a.Group {
		addrAppendMailbox(b, a, utf8)
		return
	}
	addrAppendPhrase(b, a.Name, utf8)
	b.WriteByte(':')
	first := true
	var walk func(list []Address)
	walk = func(list []Address) {
		for _, m := range list {
			if m.Group {
				walk(m.Members)
				continue
			}
			if first {
				b.WriteByte(' ')
				first = false
			} else {
				b.WriteString(", ")
			}
			addrAppendMailbox(b, m, utf8)
		}
	}
	walk(a.Members)
	b.WriteByte(';')
}

func addrAppendMailbox(b *strings.Builder, a Address, utf8 bool) {
	if a.Name == "" {
		if a.Addr == "" {
			b.WriteString("<>")
			return
		}
		addrAppendAddrSpec(b, a.Addr)
		return
	}
	addrAppendPhrase(b, a.Name, utf8)
	b.WriteString(" <")
	addrAppendAddrSpec(b, a.Addr)
	b.WriteByte('>')
}

// addrAppendAddrSpec writes addr with its local part quoted when it is
// neither a dot-atom nor already a well-formed quoted-string.
func addrAppendAddrSpec(b *strings.Builder, addr string) {
	if addr == "" {
		return
	}
	if strings.ContainsAny(addr, "\r\n") {
		addr = strings.NewReplacer("\r", "", "\n", "").Replace(addr)
	}
	local, domain, hasAt := addrSplit(addr)
	if addrIsDotAtom(local) || addrIsQuoted(local) {
		b.WriteString(local)
	} else {
		b.WriteString(addrQuoteLocal(local))
	}
	if hasAt {
		b.WriteByte('@')
		b.WriteString(domain)
	}
}

// addrSplit splits an addr-spec at the "@" after its local part, which may
// be a quoted-string holding "@".
func addrSplit(addr string) (local, domain string, hasAt bool) {
	if addrIsQuotedPrefix(addr) {
		end := addrQuotedEnd(addr)
		if end == len(addr) {
			return addr, "", false
		}
		if addr[end] == '@' {
			return addr[:end], addr[end+1:], true
		}
	}
	i := strings.IndexByte(addr, '@') // an unquoted local part holds no "@"
	if i < 0 {
		return addr, "", false
	}
	return addr[:i], addr[i+1:], true
}

func addrIsQuotedPrefix(s string) bool { return len(s) >= 2 && s[0] == '"' }

// addrQuotedEnd returns the index just past the quoted-string at the start
// of s, or len(s)+1 when it is not closed.
func addrQuotedEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s) + 1
}

// addrIsQuoted reports whether s is exactly one well-formed quoted-string.
func addrIsQuoted(s string) bool {
	return addrIsQuotedPrefix(s) && addrQuotedEnd(s) == len(s)
}

// addrAppendPhrase writes a display name (RFC 5322 3.2.5 phrase).
func addrAppendPhrase(b *strings.Builder, name string, utf8OK bool) {
	if name == "" {
		return
	}
	name = addrValidUTF8(name)
	switch addrPhraseForm(name, utf8OK) {
	case addrPhraseAtoms:
		b.WriteString(name)
	case addrPhraseQuoted:
		b.WriteByte('"')
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	default:
		b.WriteString(encodePhrase(name))
	}
}

const (
	addrPhraseAtoms = iota
	addrPhraseQuoted
	addrPhraseEncoded
)

// addrPhraseForm decides how a display name must be written.
func addrPhraseForm(name string, utf8OK bool) int {
	if strings.Contains(name, "=?") {
		return addrPhraseEncoded
	}
	form := addrPhraseAtoms
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= utf8.RuneSelf:
			if !utf8OK {
				return addrPhraseEncoded
			}
		case addrCtl(c) || c == '\r' || c == '\n':
			return addrPhraseEncoded
		case c == ' ':
			if i == 0 || i == len(name)-1 || name[i-1] == ' ' {
				form = addrPhraseQuoted
			}
		case c == '\\' || !addrAtext(c):
			form = addrPhraseQuoted
		}
	}
	return form
}

// encodePhrase encodes a display name as RFC 2047 encoded words.
var encodePhrase = mime.EncodePhrase

// addrQuoteLocal returns the local part value in canonical form: as it is
// when it is a dot-atom-text (RFC 5322 3.2.3, with UTF-8 per RFC 6532),
// else as a quoted-string.
func addrQuoteLocal(v string) string {
	if addrIsDotAtom(v) {
		return v
	}
	return addrQuote(v)
}

// addrLocalOnly returns the Addr of a mailbox that has a local part and no
// domain: addrQuoteLocal's form, but quoted when it holds "=?", so that
// when written alone it cannot read back as an encoded word, which would
// be a display name.
func addrLocalOnly(v string) string {
	if strings.Contains(v, "=?") {
		return addrQuote(v)
	}
	return addrQuoteLocal(v)
}

// addrQuote returns v as a quoted-string (RFC 5322 3.2.4).
func addrQuote(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// addrIsDotAtom reports whether v is a dot-atom-text: atoms of atext or
// UTF-8 separated by single dots. The lenient backslash of addrAtext is not
// allowed here.
func addrIsDotAtom(v string) bool {
	if v == "" || v[0] == '.' || v[len(v)-1] == '.' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if v[i-1] == '.' {
				return false
			}
		case c == '\\' || !addrAtext(c):
			return false
		}
	}
	return true
}
