package imap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 6855 has no C:/S: examples; these tests play its rules on the
// wire, each with its section (TestUTF8Accept has the APPEND rules of
// 4 and the SEARCH CHARSET rule of 3).

// TestRFC6855Enable: RFC 6855 3, UTF8=ACCEPT is advertised and enabled
// with ENABLE, which is valid in the authenticated state only (RFC 5161
// 3.1).
func TestRFC6855Enable(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "UTF8=ACCEPT")
	assert.Equal(t, []string{"* ENABLED UTF8=ACCEPT"}, c.ok("e ENABLE UTF8=ACCEPT"))
	// Enabling again enables nothing new.
	assert.Equal(t, []string{"* ENABLED"}, c.ok("f ENABLE UTF8=ACCEPT"))
}

// TestRFC6855EnableSelected: RFC 6855 3, "The ENABLE UTF8=ACCEPT
// command is only valid in the authenticated state" (and RFC 5161 3.1,
// RFC 9051 6.3.1 for ENABLE).
func TestRFC6855EnableSelected(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("b SELECT INBOX")
	assert.Equal(t, []string{"c BAD ENABLE UTF8=ACCEPT only before SELECT"}, c.cmd("c ENABLE UTF8=ACCEPT"))
	assert.Equal(t, []string{"d BAD ENABLE IMAP4REV2 only before SELECT"}, c.cmd("d ENABLE IMAP4rev2 CONDSTORE"))
	// CONDSTORE alone is taken (RFC 5161 3.1 lets a server not check).
	assert.Contains(t, c.ok("e ENABLE CONDSTORE"), "* ENABLED CONDSTORE")
	// Once unselected, UTF8=ACCEPT is enabled.
	c.ok("f UNSELECT")
	assert.Equal(t, []string{"* ENABLED UTF8=ACCEPT"}, c.ok("g ENABLE UTF8=ACCEPT"))
}

// TestRFC6855MailboxNames plays RFC 6855 3 for mailbox names: UTF-8 in
// quoted strings once enabled (and a BAD for invalid UTF-8), the same
// mailbox as the modified UTF-7 name of RFC 3501 5.1.3, never UTF-8 in
// a quoted string to a client that did not enable it, and no control
// characters, DEL, U+2028 or U+2029 in names.
func TestRFC6855MailboxNames(t *testing.T) {
	ts := newTestServer(t)
	u := ts.login(t)
	u.ok("a ENABLE UTF8=ACCEPT")
	old := ts.login(t)

	u.ok(`b CREATE "été"`)
	assert.Equal(t, []string{`* LIST (\HasNoChildren) "/" "été"`}, u.ok(`c LIST "" "été"`))
	// The client without UTF8=ACCEPT sees and uses modified UTF-7.
	assert.Equal(t, []string{`* LIST (\HasNoChildren) "/" &AOk-t&AOk-`}, old.ok(`d LIST "" "&AOk-t&AOk-"`))
	assert.Equal(t, []string{`* STATUS &AOk-t&AOk- (MESSAGES 0)`}, old.ok(`e STATUS "&AOk-t&AOk-" (MESSAGES)`))
	assert.Equal(t, []string{"f NO [ALREADYEXISTS] Mailbox already exists"}, old.cmd(`f CREATE "&AOk-t&AOk-"`))
	for _, l := range old.ok(`g LIST "" "*"`) {
		assert.True(t, isASCII(l), "UTF-8 to a client that did not enable it: %q", l)
	}

	// Invalid UTF-8 in a quoted string: BAD.
	r := u.cmd("h CREATE \"caf\xe9\"")
	require.Len(t, r, 1)
	assert.True(t, strings.HasPrefix(r[0], "h BAD "), r[0])

	// Names with characters the Net-Unicode rules of RFC 6855 3 forbid.
	for _, name := range []string{"a\u0085b", "a\u009fb", "a\u2028b", "a\u2029b", "a\x7fb", "a\x01b"} {
		r := u.cmd(fmt.Sprintf("i CREATE {%d+}\r\n%s", len(name), name))
		require.Len(t, r, 1, "%q", name)
		assert.True(t, strings.HasPrefix(r[0], "i NO ") || strings.HasPrefix(r[0], "i BAD "), "%q: %s", name, r[0])
	}
	assert.Equal(t, []string{`* LIST (\HasNoChildren) "/" INBOX`, `* LIST (\HasNoChildren) "/" "été"`}, u.ok(`j LIST "" "*"`))
	// RENAME to such a name, and in modified UTF-7 (&ICg- is U+2028).
	assert.Equal(t, []string{"k NO [CANNOT] Invalid mailbox name"}, u.cmd("k RENAME \"été\" {5+}\r\na\u2028b"))
	assert.Equal(t, []string{"l NO [CANNOT] Invalid mailbox name"}, old.cmd(`l CREATE "a&ICg-b"`))
}

// rfc6855Msg has UTF-8 header fields.
const rfc6855Msg = "From: Zoë <zoe@example.org>\r\nSubject: café\r\n\r\nbody\r\n"

// TestRFC6855Messages: RFC 6855 4, UTF8 APPEND data once enabled; RFC
// 6855 3, a message with UTF-8 header fields reaches a client that did
// not enable UTF8=ACCEPT without UTF-8 in its quoted strings.
func TestRFC6855Messages(t *testing.T) {
	ts := newTestServer(t)
	u := ts.login(t)
	u.ok("a ENABLE UTF8=ACCEPT")
	u.send(fmt.Sprintf("b APPEND INBOX UTF8 (~{%d+}\r\n%s)\r\n", len(rfc6855Msg), rfc6855Msg))
	assert.Equal(t, []string{"b OK [APPENDUID V 1] APPEND completed"}, norm(u.until("b")))
	u.ok("c SELECT INBOX")
	r := u.ok("d FETCH 1 ENVELOPE")
	require.Len(t, r, 1)
	assert.Contains(t, r[0], `"café"`)

	old := ts.login(t)
	old.ok("e SELECT INBOX")
	r = old.ok("f FETCH 1 ENVELOPE")
	require.Len(t, r, 1)
	assert.False(t, hasUTF8Quoted(r[0]), "UTF-8 in a quoted string: %q", r[0])
}

// TestRFC6855CatenateUTF8: RFC 6855 4, cat-part =/ utf8-literal: a
// server with CATENATE takes UTF8 data as a CATENATE part, among TEXT
// and URL parts, once UTF8=ACCEPT is enabled; before, it is BAD, as
// APPEND UTF8 is.
func TestRFC6855CatenateUTF8(t *testing.T) {
	ts := newTestServer(t)
	u := ts.login(t)
	r := u.cmd(fmt.Sprintf("a APPEND INBOX CATENATE (UTF8 (~{%d+}\r\n%s))", len(rfc6855Msg), rfc6855Msg))
	require.Len(t, r, 1, "%q", r)
	assert.True(t, strings.HasPrefix(r[0], "a BAD "), r[0])
	// The rest of the command was read: the session goes on.
	u.ok("a2 NOOP")

	u.ok("a ENABLE UTF8=ACCEPT")
	u.send(fmt.Sprintf("b APPEND INBOX CATENATE (UTF8 (~{%d+}\r\n%s))\r\n", len(rfc6855Msg), rfc6855Msg))
	r = norm(u.until("b"))
	assert.Equal(t, []string{"b OK [APPENDUID V 1] APPEND completed"}, r)

	// A header in a synchronising UTF8 part, a URL part, a TEXT part.
	head := "Subject: Zoë\r\n\r\n"
	u.send(fmt.Sprintf("c APPEND INBOX CATENATE (UTF8 (~{%d}\r\n", len(head)))
	assert.True(t, strings.HasPrefix(u.line(), "+ "), "continuation request")
	u.send(fmt.Sprintf("%s) URL \"/INBOX/;UID=1/;SECTION=TEXT\" TEXT {4+}\r\nend\n)\r\n", head))
	assert.Equal(t, []string{"c OK [APPENDUID V 2] APPEND completed"}, norm(u.until("c")))
	u.ok("d SELECT INBOX")
	r = u.ok("e FETCH 2 BODY[]")
	require.Len(t, r, 1)
	assert.Contains(t, r[0], "Subject: Zoë\r\n\r\nbody\r\nend\n")

	// A UTF8 part without its ")" is a syntax error.
	r = u.cmd("f APPEND INBOX CATENATE (UTF8 (~{3+}\r\nabc TEXT {1+}\r\nx)")
	require.NotEmpty(t, r)
	assert.True(t, strings.HasPrefix(r[len(r)-1], "f BAD "), "%q", r)
	u.ok("g NOOP")
}

// hasUTF8Quoted reports whether a response line has an octet above
// 0x7f inside a quoted string (literals are skipped).
func hasUTF8Quoted(l string) bool {
	in := false
	for i := 0; i < len(l); i++ {
		switch b := l[i]; {
		case in && b == '\\':
			i++
		case b == '"':
			in = !in
		case !in && b == '{':
			if j := strings.Index(l[i:], "}\r\n"); j > 0 {
				var n int
				if _, err := fmt.Sscanf(l[i+1:i+j], "%d", &n); err == nil {
					i += j + 2 + n
				}
			}
		case in && b >= 0x80:
			return true
		}
	}
	return false
}
