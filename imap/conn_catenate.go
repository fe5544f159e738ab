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
		case part.UTF8 && !r.c.utf8Accept:
			// RFC 6855 4: the UTF8 data extension is for a client
			// that enabled UTF8=ACCEPT, as APPEND UTF8 is.
			r.fail = &appendFailure{bad: true, text: "CATENATE UTF8 needs ENABLE UTF8=ACCEPT"}
			return 0, errCatenate
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
	if clean == "" {
		// url-resp-text is 1*TEXT-CHAR: "[BADURL]" would break the
		// grammar, so an empty URL (or one of nothing but such
		// octets) gets a NO without the code.
		return &appendFailure{typ: StatusNO, text: "Cannot use this URL"}
	}
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
		user, _, path, ok := splitURLServer(s)
		if !ok || user != c.identity {
			return nil, false
		}
		s = path
	}
	return parseURLPath(s)
}

// splitURLServer splits an absolute IMAP URL ("imap://user;AUTH=*@host
// /INBOX/;UID=5") into its percent-decoded user, its host (with the
// port, if any) and its path from the "/" on.
func splitURLServer(s string) (user, host, path string, ok bool) {
	if len(s) <= 7 || !strings.EqualFold(s[:7], "imap://") {
		return "", "", "", false
	}
	rest := s[7:]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return "", "", "", false
	}
	auth := rest[:slash]
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return "", "", "", false
	}
	user, host = auth[:at], auth[at+1:]
	if i := strings.IndexByte(user, ';'); i >= 0 {
		// ";AUTH=..." names a mechanism; the session is what counts.
		user = user[:i]
	}
	user, err := url.PathUnescape(user)
	if err != nil || user == "" || host == "" {
		return "", "", "", false
	}
	return user, host, rest[slash:], true
}

// parseURLPath parses the path of an IMAP URL naming a message or a
// section: "/INBOX;UIDVALIDITY=n/;UID=5/;SECTION=1.2/;PARTIAL=0.10".
func parseURLPath(s string) (*imapURL, bool) {
	if !strings.HasPrefix(s, "/") {
		return nil, false
	}
	s = s[1:]
	upper := upperASCII(s)
	i := strings.Index(upper, "/;UID=")
	if i < 0 {
		return nil, false
	}
	u := &imapURL{}
	mb := s[:i]
	if j := strings.Index(upperASCII(mb), ";UIDVALIDITY="); j >= 0 {
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
// of the session's account (RFC 4469 5), or, for a URLAUTH-authorized
// URL that the session may use, of the URL's owner (RFC 4467 7). The
// caller calls closer once read.
func (c *conn) openURL(raw string) (r io.Reader, size int64, closer func(), f *appendFailure) {
	f = badURL(raw)
	var u *imapURL
	acct, release := c.acct, func() {}
	if isAuthURL(raw) {
		var ok bool
		if u, acct, release, ok = c.authorizeURL(raw); !ok {
			return nil, 0, nil, f
		}
	} else {
		var ok bool
		if u, ok = c.parseIMAPURL(raw); !ok {
			return nil, 0, nil, f
		}
	}
	body, closeMsg, ok := c.urlMessage(acct, u)
	if !ok {
		release()
		return nil, 0, nil, f
	}
	closer = func() {
		closeMsg()
		release()
	}
	r, size, ok = urlSection(body, u)
	if !ok {
		closer()
		return nil, 0, nil, f
	}
	return r, size, closer, nil
}

// urlMessage opens the message a URL names in acct; the caller calls
// closer when done with the body.
func (c *conn) urlMessage(acct mailbox.Account, u *imapURL) (body mailbox.Body, closer func(), ok bool) {
	mb, err := acct.Open(c.ctx, u.mailbox, &mailbox.OpenOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, false
	}
	closer = func() {
		if body != nil {
			body.Close()
		}
		mb.Close()
	}
	if u.uidValidity != 0 {
		st, err := mb.Status(c.ctx)
		if err != nil || st.UIDValidity != u.uidValidity {
			closer()
			return nil, nil, false
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
		closer()
		return nil, nil, false
	}
	return body, closer, true
}

// urlSpec returns the section of a URL as a mailbox.SectionSpec.
func urlSpec(u *imapURL) (mailbox.SectionSpec, bool) {
	var spec mailbox.SectionSpec
	if u.section == "" {
		return spec, true
	}
	sec, err := parseURLSection(u.section)
	if err != nil {
		return spec, false
	}
	for _, p := range sec.Part {
		spec.Part = append(spec.Part, int(p))
	}
	spec.Specifier, spec.Fields = sec.Specifier, sec.Fields
	return spec, true
}

// urlSection opens the section and partial range of body that a URL
// names.
func urlSection(body mailbox.Body, u *imapURL) (io.Reader, int64, bool) {
	spec, ok := urlSpec(u)
	if !ok {
		return nil, 0, false
	}
	// The message's structure is read only when a section needs it.
	var r io.Reader = io.NewSectionReader(body, 0, body.Size())
	size := body.Size()
	if u.section != "" {
		root, err := mailbox.ReadStructure(body)
		if err != nil {
			return nil, 0, false
		}
		if r, size, err = mailbox.OpenSection(body, root, spec); err != nil {
			return nil, 0, false
		}
	}
	return urlPartial(r, size, u.partial)
}

// urlPartial applies ;PARTIAL=offset.length (RFC 5092 3) to the size
// octets of r.
func urlPartial(r io.Reader, size int64, p *Partial) (io.Reader, int64, bool) {
	if p == nil {
		return r, size, true
	}
	off := min(int64(p.Offset), size)
	n := min(int64(p.Count), size-off)
	if _, err := io.CopyN(io.Discard, r, off); err != nil {
		return nil, 0, false
	}
	return io.LimitReader(r, n), n, true
}
