package memstore

import (
	"strings"
	"unicode/utf8"

	"github.com/postkit/postkit/mailbox"
)

// cleanName checks a mailbox name and returns it with INBOX, as its
// first level, in upper case (RFC 9051 5.1: INBOX is case-insensitive).
func cleanName(name string) (string, error) {
	if name == "" || len(name) > maxNameBytes || !utf8.ValidString(name) {
		return "", mailbox.ErrInvalidName
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '*' || r == '%' {
			return "", mailbox.ErrInvalidName
		}
	}
	levels := strings.Split(name, string(mailbox.Delimiter))
	for _, l := range levels {
		if l == "" {
			return "", mailbox.ErrInvalidName
		}
	}
	if strings.EqualFold(levels[0], mailbox.Inbox) {
		levels[0] = mailbox.Inbox
		name = strings.Join(levels, string(mailbox.Delimiter))
	}
	return name, nil
}

// parents returns the names above name, shortest first ("a", "a/b" for
// "a/b/c").
func parents(name string) []string {
	var out []string
	for i := 0; i < len(name); i++ {
		if name[i] == mailbox.Delimiter {
			out = append(out, name[:i])
		}
	}
	return out
}

// under reports whether name is a child (at any depth) of parent.
func under(name, parent string) bool {
	return len(name) > len(parent) && name[len(parent)] == mailbox.Delimiter && strings.HasPrefix(name, parent)
}

// specialUses are the RFC 6154 attributes Create accepts.
var specialUses = []string{
	mailbox.AttrAll, mailbox.AttrArchive, mailbox.AttrDrafts, mailbox.AttrFlagged,
	mailbox.AttrJunk, mailbox.AttrSent, mailbox.AttrTrash,
}

// cleanSpecialUse returns attrs in canonical case, without duplicates,
// or mailbox.ErrUseAttrUnsupported for one that RFC 6154 does not
// define.
func cleanSpecialUse(attrs []string) ([]string, error) {
	var out []string
	for _, a := range attrs {
		found := ""
		for _, u := range specialUses {
			if strings.EqualFold(a, u) {
				found = u
			}
		}
		if found == "" {
			return nil, mailbox.ErrUseAttrUnsupported
		}
		if !mailbox.HasFlag(out, found) {
			out = append(out, found)
		}
	}
	return out, nil
}
