package imap

import (
	"bufio"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/postkit/postkit/mailbox"
)

// errCatenate is what the reader of an APPEND CATENATE returns when a
// part fails; catenateReader.fail says why.
var errCatenate = errors.New("imap: CATENATE failed")

// catenateReader streams the message of an APPEND CATENATE (RFC 4469
// 5): the parts are read from the command as the store reads the
// message, TEXT literals from the wire and URL parts from the mailboxes
// of the account, so that no part is held in memory. The total is
// bounded by APPENDLIMIT.
type catenateReader struct {
	c      *conn
	cur    io.Reader
	closer func()
	n, max int64
	done   bool
	fail   *appendFailure
}

func (c *conn) catenateReader() *catenateReader {
	// RFC 4469 4.2: TOOBIG past the 4 GB of an IMAP message or the
	// server's own limit.
	return &catenateReader{c: c, max: min(c.srv.maxAppendBytes(), 1<<32-1)}
}

func (r *catenateReader) close() {
	if r.closer != nil {
		r.closer()
		r.closer = nil
	}
	r.cur = nil
}

func (r *catenateReader) tooBig() (int, error) {
	r.close()
	r.fail = &appendFailure{typ: StatusNO, code: "TOOBIG", text: "Message too big"}
	return 0, errCatenate
}

func (r *catenateReader) Read(p []byte) (int, error) {
	for {
		if r.fail != nil {
			return 0, errCatenate
		}
		if r.cur != nil {
			n, err := r.cur.Read(p)
			r.n += int64(n)
			if r.n > r.max {
				return r.tooBig()
			}
			if err == io.EOF {
				r.close()
				if n > 0 {
					return n, nil
				}
				continue
			}
			return n, err
		}
		if r.done {
			return 0, io.EOF
		}
		part, err := r.c.dec.NextCatenatePart()
		if err != nil {
			// The rest of the line is skipped, or the stream is lost:
			// nothing of the command is left to read.
			r.c.appendPending = false
			if IsFatal(err) {
				r.c.broken = true
			}
			r.fail = appendReadFailure(err)
			return 0, errCatenate
		}
		switch {
		case part == nil:
			r.done = true
		case part.Text != nil:
			if r.n+part.Literal.Size > r.max {
				return r.tooBig()
			}
			r.cur = part.Text
		default:
			rd, size, closer, f := r.c.openURL(part.URL)
			if f != nil {
				r.fail = f
				return 0, errCatenate
			}
			r.cur, r.closer = rd, closer
			if r.n+size > r.max {
				return r.tooBig()
			}
		}
	}
}

// badURL is the failure of a URL part: NO [BADURL url] (RFC 4469 4.1).
func badURL(u string) *appendFailure {
	// url-resp-text is TEXT-CHAR but "]".
	clean := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == ']' || r >= utf8.RuneSelf {
			return -1
		}
		return r
	}, u)
	return &appendFailure{typ: StatusNO, code: "BADURL", arg: clean, text: "Cannot use this URL"}
}

// imapURL is a message or section URL of RFC 5092 that CATENATE takes.
type imapURL struct {
	mailbox     string
	uidValidity uint32 // 0 when absent
	uid         mailbox.UID
	section     string // percent-decoded
	partial     *Partial
}

// parseIMAPURL parses an absolute-path IMAP URL ("/INBOX;UIDVALIDITY=n
// /;UID=5/;SECTION=1.2") or an absolute one ("imap://user@host/..."),
// which must name the session's user (RFC 4469 3: URLs of the current
// session only) and, when the server knows its name, its host.
func (c *conn) parseIMAPURL(s string) (*imapURL, bool) {
	if len(s) > 7 && strings.EqualFold(s[:7], "imap://") {
		rest := s[7:]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			return nil, false
		}
		auth := rest[:slash]
		at := strings.LastIndexByte(auth, '@')
		if at < 0 {
			return nil, false
		}
		user, host := auth[:at], auth[at+1:]
		if i := strings.IndexByte(user, ';'); i >= 0 {
			// ";AUTH=..." names a mechanism; the session is what counts.
			user = user[:i]
		}
		user, err := url.PathUnescape(user)
		if err != nil || user != c.identity {
			return nil, false
		}
		if host == "" {
			// The server does not know its own names: any host is
			// taken as this one, the user must be the session's.
			return nil, false
		}
		s = rest[slash:]
	}
	if !strings.HasPrefix(s, "/") {
		return nil, false
	}
	s = s[1:]
	upper := strings.ToUpper(s)
	i := strings.Index(upper, "/;UID=")
	if i < 0 {
		return nil, false
	}
	u := &imapURL{}
	mb := s[:i]
	if j := strings.Index(strings.ToUpper(mb), ";UIDVALIDITY="); j >= 0 {
		n, err := strconv.ParseUint(mb[j+len(";UIDVALIDITY="):], 10, 32)
		if err != nil || n == 0 {
			return nil, false
		}
		u.uidValidity, mb = uint32(n), mb[:j]
	}
	name, err := url.PathUnescape(mb)
	if err != nil || name == "" {
		return nil, false
	}
	if u.mailbox, err = DecodeMailboxName(name, !isASCII(name) && utf8.ValidString(name)); err != nil {
		return nil, false
	}
	for k, f := range strings.Split(s[i+2:], "/;") {
		key, val, ok := strings.Cut(f, "=")
		if !ok {
			return nil, false
		}
		switch key = strings.ToUpper(key); {
		case k == 0 && key == "UID":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil || n == 0 {
				return nil, false
			}
			u.uid = mailbox.UID(n)
		case key == "SECTION" && u.section == "" && u.partial == nil:
			if u.section, err = url.PathUnescape(val); err != nil || u.section == "" {
				return nil, false
			}
		case key == "PARTIAL" && u.partial == nil:
			off, cnt, hasCnt := strings.Cut(val, ".")
			o, err := strconv.ParseUint(off, 10, 63)
			if err != nil {
				return nil, false
			}
			u.partial = &Partial{Offset: o, Count: 1<<32 - 1}
			if hasCnt {
				n, err := strconv.ParseUint(cnt, 10, 32)
				if err != nil || n == 0 {
					return nil, false
				}
				u.partial.Count = n
			}
		default:
			// URLAUTH, EXPIRE and the like: not for this session.
			return nil, false
		}
	}
	return u, true
}

// parseURLSection parses the section of a URL as the section of a FETCH
// BODY[...] (RFC 5092 3: enc-section is section-text or part numbers).
func parseURLSection(s string) (Section, error) {
	d := NewDecoder(bufio.NewReader(strings.NewReader(s + "]")))
	d.Begin()
	sec, err := d.section(false)
	if err != nil {
		return sec, err
	}
	if _, err := d.peek(); err != io.ErrUnexpectedEOF {
		return sec, syntaxf("trailing octets after the section")
	}
	return sec, checkSection(&sec)
}

// openURL opens the octets a URL part of CATENATE names, in a mailbox
// of the session's account (RFC 4469 5). The caller calls closer once
// read.
func (c *conn) openURL(raw string) (r io.Reader, size int64, closer func(), f *appendFailure) {
	f = badURL(raw)
	u, ok := c.parseIMAPURL(raw)
	if !ok {
		return nil, 0, nil, f
	}
	var spec mailbox.SectionSpec
	if u.section != "" {
		sec, err := parseURLSection(u.section)
		if err != nil {
			return nil, 0, nil, f
		}
		for _, p := range sec.Part {
			spec.Part = append(spec.Part, int(p))
		}
		spec.Specifier, spec.Fields = sec.Specifier, sec.Fields
	}
	mb, err := c.acct.Open(c.ctx, u.mailbox, &mailbox.OpenOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, nil, f
	}
	var body mailbox.Body
	closer = func() {
		if body != nil {
			body.Close()
		}
		mb.Close()
	}
	fail := func() (io.Reader, int64, func(), *appendFailure) {
		closer()
		return nil, 0, nil, f
	}
	if u.uidValidity != 0 {
		st, err := mb.Status(c.ctx)
		if err != nil || st.UIDValidity != u.uidValidity {
			return fail()
		}
	}
	var set mailbox.UIDSet
	set.Add(u.uid)
	err = mb.Fetch(c.ctx, set, func(m mailbox.Message) error {
		if m.UID() != u.uid || body != nil {
			return nil
		}
		b, err := m.Open(c.ctx)
		body = b
		return err
	})
	if err != nil || body == nil {
		return fail()
	}
	// The message's structure is read only when a section needs it.
	r, size = io.NewSectionReader(body, 0, body.Size()), body.Size()
	if u.section != "" {
		root, err := mailbox.ReadStructure(body)
		if err != nil {
			return fail()
		}
		if r, size, err = mailbox.OpenSection(body, root, spec); err != nil {
			return fail()
		}
	}
	if p := u.partial; p != nil {
		// RFC 5092 3: ;PARTIAL=offset.length of the section.
		off := min(int64(p.Offset), size)
		n := min(int64(p.Count), size-off)
		if _, err := io.CopyN(io.Discard, r, off); err != nil {
			return fail()
		}
		r, size = io.LimitReader(r, n), n
	}
	return r, size, closer, nil
}
