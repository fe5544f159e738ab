package message

import (
	"fmt"
	"strings"
	"time"

	"github.com/postkit/postkit/mime"
)

// A Header is a message header with typed access to the fields RFC 5322
// defines. It embeds mime.Header, so raw access (Get, Add, Set, Fields,
// WriteTo) is there too.
type Header struct {
	mime.Header
}

// AddressList parses the address list in the field named key (From,
// To, Cc, Bcc, Reply-To, Sender, ...). Groups are kept as group entries;
// use Mailboxes to flatten them. On malformed input it returns the entries
// it could recover and an error. An absent field gives nil, nil.
func (h *Header) AddressList(key string) ([]Address, error) {
	vs := h.Values(key)
	if len(vs) == 0 {
		return nil, nil
	}
	if len(vs) > 1 && isDestinationField(key) {
		// Repeated destination fields are read as one list (RFC 5322
		// 4.5.3); for other fields the first counts.
		return ParseAddressList(strings.Join(vs, ", "))
	}
	return ParseAddressList(vs[0])
}

func isDestinationField(key string) bool {
	switch strings.ToLower(key) {
	case "to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc":
		return true
	}
	return false
}

// From returns the From addresses (RFC 5322 3.6.2).
func (h *Header) From() ([]Address, error) { return h.AddressList("From") }

// Sender returns the Sender addresses (RFC 5322 3.6.2).
func (h *Header) Sender() ([]Address, error) { return h.AddressList("Sender") }

// ReplyTo returns the Reply-To addresses (RFC 5322 3.6.2).
func (h *Header) ReplyTo() ([]Address, error) { return h.AddressList("Reply-To") }

// To returns the To addresses (RFC 5322 3.6.3).
func (h *Header) To() ([]Address, error) { return h.AddressList("To") }

// Cc returns the Cc addresses (RFC 5322 3.6.3).
func (h *Header) Cc() ([]Address, error) { return h.AddressList("Cc") }

// Bcc returns the Bcc addresses (RFC 5322 3.6.3).
func (h *Header) Bcc() ([]Address, error) { return h.AddressList("Bcc") }

// SetAddressList sets the field named key to the formatted list, display
// names RFC 2047-encoded where they are not ASCII. An empty list removes
// the field. An address that would not read back as given (an Addr that is
// no addr-spec, say "a@b, c@d") is an error matching ErrInvalidAddress, and
// the field is left as it was.
func (h *Header) SetAddressList(key string, list []Address) error {
	return h.SetAddressListCharset(key, list, "")
}

// SetAddressListCharset is SetAddressList with the display names encoded
// in charset rather than UTF-8 (see FormatAddressListCharset). On error the
// field is left as it was.
func (h *Header) SetAddressListCharset(key string, list []Address, charset string) error {
	if len(list) == 0 {
		h.Del(key)
		return nil
	}
	v, err := FormatAddressListCharset(list, charset)
	if err != nil {
		return fmt.Errorf("message: %s: %w", key, err)
	}
	// What is written must read back as the same mailboxes: an Addr such
	// as "a@b, evil@c" must not add recipients.
	back, err := ParseAddressList(v)
	if err != nil || !sameMailboxes(Mailboxes(back), Mailboxes(list)) {
		return fmt.Errorf("message: %s: %w: %q does not read back as given", key, ErrInvalidAddress, v)
	}
	h.Set(key, v)
	return nil
}

func sameMailboxes(a, b []Address) bool {
	if len(a) != len(b) {
		return false
	}
	// The formatter may quote a local part ("john doe"@x for john doe@x):
	// quoting aside, the addresses must be the same.
	unquote := strings.NewReplacer(`"`, "", `\\`, "")
	for i := range a {
		if a[i].Addr != b[i].Addr && unquote.Replace(a[i].Addr) != unquote.Replace(b[i].Addr) {
			return false
		}
	}
	return true
}

// Subject returns the Subject with encoded words decoded (RFC 2047) and
// raw 8-bit text read as UTF-8 (RFC 6532).
func (h *Header) Subject() string { return h.Text("Subject") }

// SetSubject sets the Subject, encoding it (RFC 2047) where it is not
// printable ASCII.
func (h *Header) SetSubject(s string) { h.Set("Subject", mime.EncodeHeader(s)) }

// SetSubjectCharset sets the Subject, encoding it (RFC 2047) in charset
// rather than UTF-8 where it is not printable ASCII, for receivers that do
// not read UTF-8; "" means UTF-8. It fails, leaving the field as it was,
// with the error of mime.EncodeHeaderCharset: a character the charset
// cannot represent, or a charset that cannot be written.
func (h *Header) SetSubjectCharset(s, charset string) error {
	v, err := mime.EncodeHeaderCharset(s, charset)
	if err != nil {
		return fmt.Errorf("message: Subject: %w", err)
	}
	h.Set("Subject", v)
	return nil
}

// Date returns the origination date (RFC 5322 3.6.1). A date written with
// the unknown zone "-0000" comes back in a zone named "-0000" at offset
// zero. It returns an error when the field is absent or unparseable.
func (h *Header) Date() (time.Time, error) {
	return ParseDate(h.Get("Date"))
}

// SetDate sets the Date field.
func (h *Header) SetDate(t time.Time) { h.Set("Date", FormatDate(t)) }

// MessageID returns the Message-ID without angle brackets (RFC 5322
// 3.6.4): the best reading of a malformed one, or "" when there is none.
func (h *Header) MessageID() string {
	id, _ := ParseMessageID(h.Get("Message-Id")) // a best guess, even when malformed
	return id
}

// SetMessageID sets the Message-ID; id is given without angle brackets.
//
// An id with white space, angle brackets or control characters inside, or
// an empty one, would not read back as itself: it is an error matching
// ErrInvalidMessageID and the field is left as it was.
func (h *Header) SetMessageID(id string) error {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	if !validMessageID(id, true) {
		return fmt.Errorf("%w: %q", ErrInvalidMessageID, id)
	}
	h.Set("Message-Id", FormatMessageID(id))
	return nil
}

// References returns the ids of the References field, without angle
// brackets.
func (h *Header) References() []string { return ParseMessageIDList(h.Get("References")) }

// InReplyTo returns the ids of the In-Reply-To field, without angle
// brackets.
func (h *Header) InReplyTo() []string { return ParseMessageIDList(h.Get("In-Reply-To")) }

// SetMessageIDList sets a field such as References or In-Reply-To to the
// given ids; an empty list removes it. Ids are checked as by SetMessageID.
func (h *Header) SetMessageIDList(key string, ids []string) error {
	if len(ids) == 0 {
		h.Del(key)
		return nil
	}
	var b strings.Builder
	for i, id := range ids {
		id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
		if !validMessageID(id, true) {
			return fmt.Errorf("%w: %s: %q", ErrInvalidMessageID, key, id)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(FormatMessageID(id))
	}
	h.Set(key, b.String())
	return nil
}
