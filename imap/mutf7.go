package imap

import (
	"strings"
	"unicode/utf8"

	"github.com/postkit/postkit/internal/mutf7"
)

// EncodeMUTF7 returns the modified UTF-7 form (RFC 3501 5.1.3) of the
// UTF-8 name s. Invalid UTF-8 is encoded as U+FFFD.
func EncodeMUTF7(s string) string { return mutf7.Encode(s) }

// DecodeMUTF7 returns the UTF-8 form of the modified UTF-7 name s,
// refusing forms that are not canonical.
func DecodeMUTF7(s string) (string, error) {
	d, err := mutf7.Decode(s)
	if err != nil {
		return "", syntaxf("modified UTF-7 name: %v", err)
	}
	return d, nil
}

// DecodeMailboxName returns the UTF-8 form of a mailbox name as sent on
// the wire: decoded from modified UTF-7, or, when utf8 is set (IMAP4rev2,
// or UTF8=ACCEPT enabled, RFC 6855 3), checked to be valid UTF-8. INBOX
// in any case is returned as "INBOX" (RFC 9051 5.1).
func DecodeMailboxName(name string, utf8Names bool) (string, error) {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX", nil
	}
	if utf8Names {
		if !utf8.ValidString(name) {
			return "", syntaxf("mailbox name is not UTF-8")
		}
		return name, nil
	}
	return DecodeMUTF7(name)
}

// EncodeMailboxName returns the wire form of a UTF-8 mailbox name: as it
// is when utf8 is set, in modified UTF-7 otherwise.
func EncodeMailboxName(name string, utf8Names bool) string {
	if utf8Names {
		return name
	}
	return EncodeMUTF7(name)
}
