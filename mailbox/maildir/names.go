package maildir

import (
	"github.com/postkit/postkit/internal/mutf7"
	"strings"
	"unicode/utf8"

	"github.com/postkit/postkit/mailbox"
)

// Mailbox names on disk (Maildir++, as Dovecot lays it out): INBOX is the
// account's directory itself; every other mailbox is a directory of the
// account named "." followed by the name's levels in modified UTF-7,
// joined by "." ("Archive/2026" is ".Archive.2026", "Entwürfe" is
// ".Entw&APw-rfe"). Since "." separates levels on disk, a name that
// contains "." is refused with ErrInvalidName, as Dovecot's Maildir++
// layout does.

// MaxNameLength bounds a mailbox name in octets. The directory name on
// disk must also fit a file name (255 octets on common file systems).
const MaxNameLength = 1000

// maxDirName is the longest directory name most file systems take.
const maxDirName = 255

// normName checks name and returns it with INBOX, as a whole name or as
// the first level, in its canonical case, and without a trailing
// delimiter. It refuses, with ErrInvalidName: the empty name, invalid
// UTF-8, control characters and NUL, an empty level ("a//b", "/a"), a
// level that is "." or "..", any ".", and names too long.
func normName(name string) (string, error) {
	if len(name) > MaxNameLength || !utf8.ValidString(name) {
		return "", mailbox.ErrInvalidName
	}
	name = strings.TrimSuffix(name, string(mailbox.Delimiter))
	if name == "" {
		return "", mailbox.ErrInvalidName
	}
	levels := strings.Split(name, string(mailbox.Delimiter))
	for _, l := range levels {
		if l == "" || strings.ContainsRune(l, '.') {
			return "", mailbox.ErrInvalidName
		}
		for _, r := range l {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
				return "", mailbox.ErrInvalidName
			}
		}
	}
	if strings.EqualFold(levels[0], mailbox.Inbox) {
		levels[0] = mailbox.Inbox
	}
	return strings.Join(levels, string(mailbox.Delimiter)), nil
}

// isInbox reports whether a normalized name is INBOX.
func isInbox(name string) bool { return name == mailbox.Inbox }

// dirName returns the directory name, relative to the account's
// directory, of the mailbox name: "" for INBOX. The result never holds
// "/", is never "." or "..", and fits maxDirName.
func dirName(name string) (string, error) {
	n, err := normName(name)
	if err != nil {
		return "", err
	}
	if isInbox(n) {
		return "", nil
	}
	var sb strings.Builder
	for _, l := range strings.Split(n, string(mailbox.Delimiter)) {
		sb.WriteByte('.')
		sb.WriteString(mutf7.Encode(l))
	}
	d := sb.String()
	if len(d) > maxDirName {
		return "", mailbox.ErrInvalidName
	}
	return d, nil
}

// nameOfDir returns the mailbox name of a directory of the account, or
// false when the directory is not a mailbox this package can name.
func nameOfDir(dir string) (string, bool) {
	if len(dir) < 2 || dir[0] != '.' || len(dir) > maxDirName {
		return "", false
	}
	levels := strings.Split(dir[1:], ".")
	for i, l := range levels {
		d, err := mutf7.Decode(l)
		if err != nil || d == "" {
			return "", false
		}
		levels[i] = d
	}
	n, err := normName(strings.Join(levels, string(mailbox.Delimiter)))
	if err != nil || isInbox(n) {
		return "", false
	}
	if d, err := dirName(n); err != nil || d != dir {
		return "", false
	}
	return n, true
}
