package maildirinterop

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// imapClient is a small IMAP4rev1 client speaking the raw protocol:
// enough to drive Dovecot in these tests, and no more.
type imapClient struct {
	t   *testing.T
	c   net.Conn
	r   *bufio.Reader
	tag int
}

// response is one server response: its tokens (atoms as string, quoted
// strings and literals as []byte, lists as []any, NIL as nil) and its
// text with literals shown as {n}.
type response struct {
	tokens []any
	text   string
}

func dialIMAP(t *testing.T, addr string) *imapClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(caseTimeout)))
	cl := &imapClient{t: t, c: c, r: bufio.NewReader(c)}
	t.Cleanup(func() { c.Close() })
	greeting := cl.read()
	require.True(t, strings.HasPrefix(greeting.text, "* OK"), "greeting %q", greeting.text)
	return cl
}

// login logs in as testUser.
func (c *imapClient) login() {
	c.t.Helper()
	c.ok("LOGIN %s %s", quote(testUser), quote(testPass))
}

// logout ends the session.
func (c *imapClient) logout() {
	c.t.Helper()
	c.ok("LOGOUT")
	c.c.Close()
}

// quote returns s as an IMAP quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// ok runs a command that must succeed and returns its untagged
// responses and the tagged one.
func (c *imapClient) ok(format string, args ...any) ([]response, response) {
	c.t.Helper()
	untagged, done := c.run(nil, format, args...)
	require.True(c.t, strings.HasPrefix(done.text, fmt.Sprintf("A%d OK", c.tag)), "%s: %s", fmt.Sprintf(format, args...), done.text)
	return untagged, done
}

// run sends a command, followed by literal when it is not nil (the
// command then ends with a LITERAL+ marker), and reads the responses up
// to the tagged one.
func (c *imapClient) run(literal []byte, format string, args ...any) ([]response, response) {
	c.t.Helper()
	c.tag++
	tag := fmt.Sprintf("A%d", c.tag)
	line := tag + " " + fmt.Sprintf(format, args...)
	var buf bytes.Buffer
	buf.WriteString(line)
	if literal != nil {
		fmt.Fprintf(&buf, " {%d+}\r\n", len(literal))
		buf.Write(literal)
	}
	buf.WriteString("\r\n")
	_, err := c.c.Write(buf.Bytes())
	require.NoError(c.t, err)
	var untagged []response
	for {
		r := c.read()
		if strings.HasPrefix(r.text, tag+" ") {
			return untagged, r
		}
		untagged = append(untagged, r)
	}
}

// read reads one response.
func (c *imapClient) read() response {
	c.t.Helper()
	p := &parser{r: c.r}
	var toks []any
	for {
		tok, end, err := p.value()
		require.NoError(c.t, err, "reading a response after %q", p.text.String())
		if end {
			return response{tokens: toks, text: p.text.String()}
		}
		toks = append(toks, tok)
	}
}

// parser reads the tokens of one response.
type parser struct {
	r    *bufio.Reader
	text strings.Builder
}

func (p *parser) byte() (byte, error) {
	b, err := p.r.ReadByte()
	if err == nil && b != '\r' && b != '\n' {
		p.text.WriteByte(b)
	}
	return b, err
}

// value reads the next token; end is true at the end of the response.
func (p *parser) value() (tok any, end bool, err error) {
	b, err := p.byte()
	for err == nil && b == ' ' {
		b, err = p.byte()
	}
	if err != nil {
		return nil, false, err
	}
	switch b {
	case '\r':
		b, err = p.byte()
		if err == nil && b != '\n' {
			err = fmt.Errorf("CR without LF")
		}
		return nil, true, err
	case '\n':
		return nil, true, nil
	case '(':
		var list []any
		for {
			b, err := p.r.ReadByte()
			if err != nil {
				return nil, false, err
			}
			if b == ')' {
				p.text.WriteByte(b)
				return list, false, nil
			}
			if b != ' ' {
				p.r.UnreadByte()
			} else {
				p.text.WriteByte(b)
			}
			v, end, err := p.value()
			if err != nil {
				return nil, false, err
			}
			if end {
				return nil, false, fmt.Errorf("response ends in a list")
			}
			list = append(list, v)
		}
	case '"':
		var s []byte
		for {
			b, err := p.byte()
			if err != nil {
				return nil, false, err
			}
			switch b {
			case '"':
				return s, false, nil
			case '\\':
				if b, err = p.byte(); err != nil {
					return nil, false, err
				}
			}
			s = append(s, b)
		}
	case '{':
		var n []byte
		for {
			b, err := p.byte()
			if err != nil {
				return nil, false, err
			}
			if b == '}' {
				break
			}
			n = append(n, b)
		}
		size, err := strconv.Atoi(strings.TrimSuffix(string(n), "+"))
		if err != nil {
			return nil, false, err
		}
		if crlf, err := p.r.Peek(2); err != nil || string(crlf) != "\r\n" {
			return nil, false, fmt.Errorf("no CRLF after a literal's size")
		}
		p.r.Discard(2)
		lit := make([]byte, size)
		_, err = io.ReadFull(p.r, lit)
		return lit, false, err
	}
	// An atom: up to a space, a parenthesis or the end of the line.
	atom := []byte{b}
	for {
		c, err := p.r.ReadByte()
		if err != nil {
			return nil, false, err
		}
		if c == ' ' || c == '(' || c == ')' || c == '\r' || c == '\n' {
			p.r.UnreadByte()
			break
		}
		p.text.WriteByte(c)
		atom = append(atom, c)
		if c == '[' && strings.EqualFold(string(atom), "BODY[") {
			// BODY[] and BODY[section]: the section is part of the atom.
			for c != ']' {
				if c, err = p.byte(); err != nil {
					return nil, false, err
				}
				atom = append(atom, c)
			}
		}
	}
	if string(atom) == "NIL" {
		return nil, false, nil
	}
	return string(atom), false, nil
}

// str returns a token as a string: an atom, a quoted string or a literal.
func str(tok any) string {
	switch v := tok.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// mailboxInfo is a mailbox as LIST shows it.
type mailboxInfo struct {
	name  string // as on the wire: modified UTF-7
	attrs []string
}

// list runs LIST (or LSUB) "" "*".
func (c *imapClient) list(cmd string) map[string]mailboxInfo {
	c.t.Helper()
	untagged, _ := c.ok(`%s "" "*"`, cmd)
	out := map[string]mailboxInfo{}
	for _, r := range untagged {
		if len(r.tokens) != 5 || str(r.tokens[1]) != cmd {
			continue
		}
		require.Equal(c.t, "/", str(r.tokens[3]), "the hierarchy separator")
		info := mailboxInfo{name: str(r.tokens[4])}
		for _, a := range r.tokens[2].([]any) {
			info.attrs = append(info.attrs, str(a))
		}
		out[info.name] = info
	}
	return out
}

// selected is what SELECT says of a mailbox.
type selected struct {
	exists      int
	uidValidity uint32
	uidNext     uint32
}

var (
	reUIDValidity = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)
	reUIDNext     = regexp.MustCompile(`\[UIDNEXT (\d+)\]`)
	reExists      = regexp.MustCompile(`^\* (\d+) EXISTS`)
	reAppendUID   = regexp.MustCompile(`\[APPENDUID (\d+) (\d+)\]`)
)

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	require.NoError(t, err, "%q", s)
	return n
}

// selectBox selects a mailbox (name as on the wire).
func (c *imapClient) selectBox(name string) selected {
	c.t.Helper()
	untagged, _ := c.ok("SELECT %s", quote(name))
	var s selected
	for _, r := range untagged {
		if m := reUIDValidity.FindStringSubmatch(r.text); m != nil {
			s.uidValidity = uint32(atoi(c.t, m[1]))
		}
		if m := reUIDNext.FindStringSubmatch(r.text); m != nil {
			s.uidNext = uint32(atoi(c.t, m[1]))
		}
		if m := reExists.FindStringSubmatch(r.text); m != nil {
			s.exists = atoi(c.t, m[1])
		}
	}
	require.NotZero(c.t, s.uidValidity, "SELECT %s: no UIDVALIDITY", name)
	return s
}

// imapMessage is a message as UID FETCH gives it.
type imapMessage struct {
	uid   uint32
	flags []string
	size  int64
	date  time.Time
	body  []byte
}

// fetchAll fetches every message of the selected mailbox.
func (c *imapClient) fetchAll() []imapMessage {
	c.t.Helper()
	untagged, _ := c.ok("UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[])")
	var out []imapMessage
	for _, r := range untagged {
		if len(r.tokens) != 4 || str(r.tokens[2]) != "FETCH" {
			continue
		}
		items := r.tokens[3].([]any)
		var m imapMessage
		for i := 0; i+1 < len(items); i += 2 {
			switch strings.ToUpper(str(items[i])) {
			case "UID":
				m.uid = uint32(atoi(c.t, str(items[i+1])))
			case "FLAGS":
				for _, f := range items[i+1].([]any) {
					m.flags = append(m.flags, str(f))
				}
			case "RFC822.SIZE":
				m.size = int64(atoi(c.t, str(items[i+1])))
			case "INTERNALDATE":
				d, err := time.Parse("_2-Jan-2006 15:04:05 -0700", str(items[i+1]))
				require.NoError(c.t, err)
				m.date = d
			case "BODY[]":
				m.body, _ = items[i+1].([]byte)
			}
		}
		out = append(out, m)
	}
	return out
}

// appendMsg appends a message and returns the UIDVALIDITY and UID of
// APPENDUID (RFC 4315).
func (c *imapClient) appendMsg(name string, flags []string, date time.Time, body []byte) (uint32, uint32) {
	c.t.Helper()
	cmd := fmt.Sprintf("APPEND %s (%s)", quote(name), strings.Join(flags, " "))
	if !date.IsZero() {
		cmd += " " + quote(date.Format("02-Jan-2006 15:04:05 -0700"))
	}
	_, done := c.run(body, "%s", cmd)
	m := reAppendUID.FindStringSubmatch(done.text)
	require.NotNil(c.t, m, "APPEND: %s", done.text)
	return uint32(atoi(c.t, m[1])), uint32(atoi(c.t, m[2]))
}
