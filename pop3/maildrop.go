package pop3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/postkit/postkit/mailbox"
)

// maildrop is a session's snapshot of its INBOX, taken at login: the
// messages numbered from 1 in ascending UID order (RFC 1939 4.), with
// their sizes and the session's deletion marks. Messages that arrive
// later are not seen until the next session; messages another session
// (IMAP) expunges meanwhile answer -ERR when asked for.
type maildrop struct {
	uidValidity uint32
	msgs        []dropMsg
	count       int   // messages not marked deleted
	size        int64 // their total size
}

type dropMsg struct {
	uid       mailbox.UID
	size      int64 // octets of the CRLF form
	deleted   bool  // DELE'd in this session
	retrieved bool  // RETR'd in this session
}

// loadMaildrop takes the snapshot. Sizes are the octets RETR sends
// (RFC 1939 5. LIST: the "exact size"): counted by reading each message
// when count is set; otherwise Message.Size (RFC822.SIZE, the size of
// the CRLF form, by the mailbox seam's contract) corrected for a last
// line without CRLF, which RETR ends with one.
func loadMaildrop(ctx context.Context, mbox mailbox.Mailbox, count bool) (*maildrop, error) {
	st, err := mbox.Status(ctx)
	if err != nil {
		return nil, err
	}
	d := &maildrop{uidValidity: st.UIDValidity, msgs: make([]dropMsg, 0, st.Messages)}
	var tail [2]byte
	err = mbox.Fetch(ctx, mailbox.AllUIDs, func(m mailbox.Message) error {
		var size int64
		var err error
		if count {
			size, err = countCRLFSize(ctx, m)
		} else {
			size, err = endedSize(ctx, m, tail[:])
		}
		if err != nil {
			return err
		}
		d.msgs = append(d.msgs, dropMsg{uid: m.UID(), size: size})
		d.count++
		d.size += size
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// endedSize is Message.Size plus the octets RETR adds to end the last
// line with CRLF: none if the message ends in CRLF (or is empty), one
// for a bare CR or LF at its end, two for a last line without either.
// It reads the last two octets only; tail is their buffer. A message
// that cannot be read keeps Message.Size: RETR answers -ERR for it, and
// the rest of the maildrop stays usable.
func endedSize(ctx context.Context, m mailbox.Message, tail []byte) (int64, error) {
	body, err := m.Open(ctx)
	if err != nil {
		return m.Size(), ctx.Err()
	}
	defer body.Close()
	n := body.Size()
	k := min(n, 2)
	if k == 0 {
		return m.Size(), nil
	}
	if _, err := body.ReadAt(tail[:k], n-k); err != nil && err != io.EOF {
		return m.Size(), ctx.Err()
	}
	switch t := tail[:k]; {
	case len(t) == 2 && t[0] == '\r' && t[1] == '\n':
		return m.Size(), nil
	case t[len(t)-1] == '\r' || t[len(t)-1] == '\n':
		return m.Size() + 1, nil
	}
	return m.Size() + 2, nil
}

// countCRLFSize reads a message and counts its octets in the form the
// server sends it: every bare CR and bare LF becomes CRLF and a last
// line without one gets it.
func countCRLFSize(ctx context.Context, m mailbox.Message) (int64, error) {
	body, err := m.Open(ctx)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	var c crlfCounter
	if _, err := io.Copy(&c, io.NewSectionReader(body, 0, body.Size())); err != nil {
		return 0, err
	}
	return c.total(), nil
}

// crlfCounter counts the octets dotstuff.Writer would deliver (before
// stuffing) for what is written to it.
type crlfCounter struct {
	n   int64
	cr  bool // a CR is pending: CRLF whatever follows
	eol bool // the last octet counted ended a line
}

func (c *crlfCounter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); {
		if c.cr {
			c.cr = false
			c.n += 2
			c.eol = true
			if p[i] == '\n' {
				i++
				continue
			}
		}
		j := bytes.IndexAny(p[i:], "\r\n")
		if j < 0 {
			c.n += int64(len(p) - i)
			c.eol = false
			break
		}
		if j > 0 {
			c.n += int64(j)
			c.eol = false
		}
		i += j
		if p[i] == '\r' {
			c.cr = true
		} else {
			c.n += 2
			c.eol = true
		}
		i++
	}
	return len(p), nil
}

func (c *crlfCounter) total() int64 {
	n := c.n
	if c.cr || (n > 0 && !c.eol) {
		n += 2
	}
	return n
}

// get returns the message numbered by arg, or the text of the -ERR
// answer and whether the argument was a syntax error.
func (d *maildrop) get(arg string) (m *dropMsg, errText string, syntax bool) {
	n, ok := parseNumber(arg)
	if !ok || n == 0 {
		return nil, "Invalid message number", true
	}
	if n > uint64(len(d.msgs)) {
		return nil, "No such message", false
	}
	m = &d.msgs[n-1]
	if m.deleted {
		return nil, "Message " + arg + " already deleted", false
	}
	return m, "", false
}

// parseNumber parses a decimal number of at most 9 digits, without sign.
func parseNumber(s string) (uint64, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return n, err == nil
}

// appendUIDL appends the unique-id of a message: UIDVALIDITY and UID,
// eight hex digits each (RFC 1939 7.: 1 to 70 characters from 0x21 to
// 0x7E). It stays the same across sessions and server restarts as long
// as the store keeps the mailbox's UIDVALIDITY.
func appendUIDL(dst []byte, validity uint32, uid mailbox.UID) []byte {
	const hexdig = "0123456789abcdef"
	v := uint64(validity)<<32 | uint64(uid)
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexdig[v>>uint(shift)&0xf])
	}
	return dst
}

// needsUTF8 reports whether the header of the message holds octets
// outside ASCII (RFC 6532 internationalized header fields), which a
// client must not get without UTF-8 mode (RFC 6856 2.1).
func needsUTF8(body mailbox.Body) (bool, error) {
	var buf [4096]byte
	lineEmpty := true // the current line holds nothing but CR so far
	for off := int64(0); off < body.Size(); {
		n, err := body.ReadAt(buf[:], off)
		for _, b := range buf[:n] {
			switch {
			case b >= 0x80:
				return true, nil
			case b == '\n':
				if lineEmpty {
					return false, nil // the blank line ends the header
				}
				lineEmpty = true
			case b != '\r':
				lineEmpty = false
			}
		}
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// errTopDone stops the copy of a message once TOP has sent its lines.
var errTopDone = errors.New("pop3: top done")

// topWriter passes on the header of a message, the blank line and the
// first lines of the body (RFC 1939 7. TOP), then fails with
// errTopDone. Lines end as dotstuff.Writer ends them: at CRLF, bare LF
// or bare CR.
type topWriter struct {
	w         io.Writer
	lines     int  // body lines still to pass
	inBody    bool // the blank line was passed
	lineEmpty bool // nothing but the line end seen on the current line
	afterCR   bool // the last octet was a CR
	done      bool // the last line to pass ended
}

func newTopWriter(w io.Writer, lines int) *topWriter {
	return &topWriter{w: w, lines: lines, lineEmpty: true}
}

func (t *topWriter) endLine() {
	if !t.inBody {
		if t.lineEmpty {
			t.inBody = true
			t.done = t.lines == 0
		}
	} else {
		t.lines--
		t.done = t.lines <= 0
	}
	t.lineEmpty = true
}

func (t *topWriter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i++ {
		b := p[i]
		if t.afterCR {
			t.afterCR = false
			if b == '\n' {
				if t.done {
					_, err := t.w.Write(p[:i+1])
					return i + 1, cmpErr(err, errTopDone)
				}
				continue
			}
		}
		if t.done {
			_, err := t.w.Write(p[:i])
			return i, cmpErr(err, errTopDone)
		}
		switch b {
		case '\r':
			t.endLine()
			t.afterCR = true
		case '\n':
			t.endLine()
		default:
			t.lineEmpty = false
		}
	}
	return t.w.Write(p)
}

// cmpErr returns err if not nil, else def.
func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}
