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
	a.appendTo(&b, utf8, "")
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

// FormatAddressListCharset returns the addresses joined by ", ", each
// formatted with String but with the encoded words of display names in
// charset (mime.EncodePhraseCharset), for receivers that do not read
// UTF-8; "" means UTF-8. It fails, with the error of
// mime.EncodePhraseCharset, when a name has a character the charset cannot
// represent or the charset cannot be written.
func FormatAddressListCharset(list []Address, charset string) (string, error) {
	return formatAddresses(list, false, charset)
}

// formatAddressList formats list, non-ASCII display names encoded in UTF-8
// unless utf8 is set.
func formatAddressList(list []Address, utf8 bool) string {
	s, _ := formatAddresses(list, utf8, "")
	return s
}

// formatAddresses formats list with display names encoded in charset
// ("": UTF-8) unless utf8 is set. It fails only for a name the charset
// cannot carry.
func formatAddresses(list []Address, utf8 bool, charset string) (string, error) {
	var b strings.Builder
	for i, a := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		if err := a.appendTo(&b, utf8, charset); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

func (a Address) appendTo(b *strings.Builder, utf8 bool, charset string) error {
	if !a.Group {
		return addrAppendMailbox(b, a, utf8, charset)
	}
	if err := addrAppendPhrase(b, a.Name, utf8, charset); err != nil {
		return err
	}
	b.WriteByte(':')
	first := true
	var walk func(list []Address) error
	walk = func(list []Address) error {
		for _, m := range list {
			if m.Group {
				if err := walk(m.Members); err != nil {
					return err
				}
				continue
			}
			if first {
				b.WriteByte(' ')
				first = false
			} else {
				b.WriteString(", ")
			}
			if err := addrAppendMailbox(b, m, utf8, charset); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(a.Members); err != nil {
		return err
	}
	b.WriteByte(';')
	return nil
}

func addrAppendMailbox(b *strings.Builder, a Address, utf8 bool, charset string) error {
	if a.Name == "" {
		if a.Addr == "" {
			b.WriteString("<>")
			return nil
		}
		addrAppendAddrSpec(b, a.Addr)
		return nil
	}
	if err := addrAppendPhrase(b, a.Name, utf8, charset); err != nil {
		return err
	}
	b.WriteString(" <")
	addrAppendAddrSpec(b, a.Addr)
	b.WriteByte('>')
	return nil
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

// addrAppendPhrase writes a display name (RFC 5322 3.2.5 phrase), with
// encoded words in charset ("": UTF-8).
func addrAppendPhrase(b *strings.Builder, name string, utf8OK bool, charset string) error {
	if name == "" {
		return nil
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
		if charset == "" {
			b.WriteString(encodePhrase(name))
			break
		}
		enc, err := mime.EncodePhraseCharset(name, charset)
		if err != nil {
			return err
		}
		b.WriteString(enc)
	}
	return nil
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
