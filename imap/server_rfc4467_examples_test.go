package imap

import (
	"context"
	"strings"
	"testing"

	"github.com/postkit/postkit/mailbox"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRFC4467Examples plays what the examples of RFC 4467 7 and 8 show
// that TestURLAuthRFC4467Examples (server_urlauth_test.go) does not:
// the whole submit-server exchange of 7 (URLFETCH) from the greeting,
// several URLs in one GENURLAUTH and in one URLFETCH, and the NIL of
// URLs that are not of a message or part.
func TestRFC4467Examples(t *testing.T) {
	ts := newURLAuthServer(t)
	ts.putAt(t, "joe", "INBOX", 20, uaMsg20)
	joe := ts.loginAs(t, "joe")
	rump := "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred"
	full := gen(t, joe, rump)

	// RFC 4467 7, URLFETCH: the submit server logs in and fetches,
	// with no mailbox selected.
	sub := ts.dial(t)
	r := sub.cmd("a001 LOGIN submitserver secret")
	require.Len(t, r, 1)
	assert.True(t, strings.HasPrefix(r[0], "a001 OK "), r[0])
	assert.Contains(t, strings.Fields(sub.ok("a CAPABILITY")[0]), "URLAUTH")
	assert.Equal(t, []string{`* URLFETCH "` + full + `" {28}` + "\r\n" + uaBellum, "a002 OK URLFETCH completed"},
		sub.cmd(`a002 URLFETCH "`+full+`"`))

	// RFC 4467 7, GENURLAUTH: "one or more URL/mechanism pairs", one
	// response with the URLs in order.
	r = joe.cmd(`a778 GENURLAUTH "imap://joe@example.com/INBOX/;uid=20;urlauth=anonymous" INTERNAL "` + rump + `" INTERNAL`)
	require.Len(t, r, 2)
	assert.True(t, strings.HasPrefix(r[0], `* GENURLAUTH "imap://joe@example.com/INBOX/;uid=20;urlauth=anonymous:internal:`), r[0])
	assert.True(t, strings.HasSuffix(r[0], `" "`+full+`"`), r[0])
	assert.Equal(t, "a778 OK GENURLAUTH completed", r[1])

	// RFC 4467 8 (URLFETCH response): one URLFETCH for several URLs,
	// NIL for those not valid; NIL too for a URL of a server, a
	// mailbox, a list or a search (RFC 4467 7).
	zero := ":internal:" + strings.Repeat("0", 32)
	cases := []struct{ name, url, want string }{
		{"valid", full, "{28}\r\n" + uaBellum},
		{"bad token", rump + zero, "NIL"},
		{"a server", "imap://joe@example.com/;urlauth=anonymous" + zero, "NIL"},
		{"a mailbox", "imap://joe@example.com/INBOX;urlauth=anonymous" + zero, "NIL"},
		{"a list", "imap://joe@example.com/;type=LIST;urlauth=anonymous" + zero, "NIL"},
		{"a search", "imap://joe@example.com/INBOX?SUBJECT%20x;urlauth=anonymous" + zero, "NIL"},
		{"UIDVALIDITY", gen(t, joe, "imap://joe@example.com/INBOX;UIDVALIDITY=1/;uid=20;urlauth=anonymous"), "NIL"},
	}
	var cmd, want strings.Builder
	cmd.WriteString("a003 URLFETCH")
	want.WriteString("* URLFETCH")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, []string{`* URLFETCH "` + tc.url + `" ` + tc.want, "a002 OK URLFETCH completed"},
				sub.cmd(`a002 URLFETCH "`+tc.url+`"`))
		})
		cmd.WriteString(` "` + tc.url + `"`)
		want.WriteString(` "` + tc.url + `" ` + tc.want)
	}
	assert.Equal(t, []string{want.String(), "a003 OK URLFETCH completed"}, sub.cmd(cmd.String()))

	// RFC 4467 7: URLFETCH does not touch the selected mailbox.
	joe.ok("s SELECT INBOX")
	assert.Equal(t, []string{`* URLFETCH "` + full + `" NIL`, "a004 OK URLFETCH completed"},
		joe.cmd(`a004 URLFETCH "`+full+`"`))
	assert.Empty(t, joe.ok("n NOOP"))
}

// rfc5524Msg21 has a part in an encoding the server does not know (2),
// as the X-BLURDYBLOOP example of RFC 5524 4.
const rfc5524Msg21 = "Subject: parts\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"Text.\r\n" +
	"--b\r\n" +
	"Content-Type: image/png\r\n" +
	"Content-Transfer-Encoding: x-blurdybloop\r\n" +
	"\r\n" +
	"blurdybloop\r\n" +
	"--b--\r\n"

// TestRFC5524Examples plays the exchanges of RFC 5524 4 (URLAUTH=BINARY)
// on the message of RFC 4467's examples and on one with a part in an
// unknown encoding.
func TestRFC5524Examples(t *testing.T) {
	ts := newURLAuthServer(t)
	ts.putAt(t, "joe", "INBOX", 20, uaMsg20)
	ts.putAt(t, "joe", "INBOX", 21, rfc5524Msg21)
	joe := ts.loginAs(t, "joe")
	sub := ts.loginAs(t, "submitserver")
	assert.Contains(t, strings.Fields(sub.ok("a CAPABILITY")[0]), "URLAUTH=BINARY")
	text := gen(t, joe, "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred")
	blurdy := gen(t, joe, "imap://joe@example.com/INBOX/;uid=21/;section=2;urlauth=submit+fred")
	textBS := `("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 28 1 NIL NIL NIL NIL)`

	cases := []struct {
		name, args, want string
	}{
		// RFC 5524 3.1: BINARY alone; no NUL, so a string (3.2).
		{"BINARY", `("` + text + `" BINARY)`, `"` + text + `" (BINARY {28}` + "\r\n" + uaBellum + ")"},
		{"BODY", `("` + text + `" BODY)`, `"` + text + `" (BODY {28}` + "\r\n" + uaBellum + ")"},
		{"BODYPARTSTRUCTURE", `("` + text + `" BODYPARTSTRUCTURE)`, `"` + text + `" (BODYPARTSTRUCTURE ` + textBS + ")"},
		// RFC 5524 3: no parameters, or no parentheses: as RFC 4467.
		{"no parameters", `("` + text + `")`, `"` + text + `" {28}` + "\r\n" + uaBellum},
		// RFC 5524 4: BINARY NIL for an encoding the server cannot undo,
		// with the structure as stored.
		{"X-BLURDYBLOOP", `("` + blurdy + `" BODYPARTSTRUCTURE BINARY)`, `"` + blurdy +
			`" (BODYPARTSTRUCTURE ("image" "png" NIL NIL NIL "X-BLURDYBLOOP" 11 NIL NIL NIL NIL)) (BINARY NIL)`},
		// RFC 5524 5: urldata-error, NIL for a URL not valid, whatever
		// was asked.
		{"not valid", `("` + text[:len(text)-1] + `x" BODYPARTSTRUCTURE BINARY)`, `"` + text[:len(text)-1] + `x" NIL`},
		// Both forms in one command.
		{"mixed", `("` + text + `" BINARY) "` + text + `"`, `"` + text + `" (BINARY {28}` + "\r\n" + uaBellum + `) "` + text + `" {28}` + "\r\n" + uaBellum},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, []string{"* URLFETCH " + tc.want, "A001 OK URLFETCH completed"}, sub.cmd("A001 URLFETCH "+tc.args))
		})
	}

	// RFC 5524 3.1: clients MUST NOT ask for BINARY and BODY together,
	// nor for an item twice: BAD.
	for _, args := range []string{
		`("` + text + `" BINARY BODY)`,
		`("` + text + `" BINARY BINARY)`,
		`("` + text + `" BODYPARTSTRUCTURE binary bodypartstructure)`,
		`("` + text + `" SIZE)`,
	} {
		r := sub.cmd("A002 URLFETCH " + args)
		require.Len(t, r, 1)
		assert.True(t, strings.HasPrefix(r[0], "A002 BAD "), "%s: %q", args, r)
	}
}

// TestRFC5524WithNUL: URLFETCH of a part holding NUL octets sends them
// as 0x80 in its plain literal (RFC 4467's nstring, RFC 5524's BODY)
// and as they are in the literal8 of BINARY (RFC 5524 3.2).
func TestRFC5524WithNUL(t *testing.T) {
	ts := newURLAuthServer(t)
	ts.putAt(t, "joe", "INBOX", 1, "Subject: nul\r\n\r\na\x00b\r\n")
	joe := ts.loginAs(t, "joe")
	u := gen(t, joe, "imap://joe@example.com/INBOX/;uid=1/;section=1;urlauth=anonymous")
	cases := []struct{ args, want string }{
		{`"` + u + `"`, `"` + u + `" {5}` + "\r\na\x80b\r\n"},
		{`("` + u + `" BODY)`, `"` + u + `" (BODY {5}` + "\r\na\x80b\r\n)"},
		{`("` + u + `" BINARY)`, `"` + u + `" (BINARY ~{5}` + "\r\na\x00b\r\n)"},
	}
	for _, tc := range cases {
		assert.Equal(t, []string{"* URLFETCH " + tc.want, "a OK URLFETCH completed"}, joe.cmd("a URLFETCH "+tc.args))
	}
}

// TestRFC4467SelectURLMech: RFC 4467 BASE.7.1.URLMECH, the URLMECH
// code "is returned in an untagged OK response in response to a
// RESETKEY, SELECT, or EXAMINE command": SELECT and EXAMINE list
// INTERNAL when URLAUTH is available, and a server without URLAUTH
// sends no URLMECH.
func TestRFC4467SelectURLMech(t *testing.T) {
	ts := newURLAuthServer(t)
	joe := ts.loginAs(t, "joe")
	for _, cmd := range []string{"s SELECT INBOX", "e EXAMINE INBOX"} {
		r := joe.ok(cmd)
		var mech []string
		for _, l := range r {
			if strings.HasPrefix(l, "* OK [URLMECH ") {
				mech = append(mech, l)
			}
		}
		assert.Equal(t, []string{"* OK [URLMECH INTERNAL] URL authorization mechanisms"}, mech, cmd)
	}

	plain := newTestServer(t, func(s *Server) { s.Store = noURLAuthStore{s.Store} })
	c := plain.login(t)
	require.NotContains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "URLAUTH")
	for _, l := range c.ok("s SELECT INBOX") {
		assert.NotContains(t, l, "URLMECH")
	}
}

// noURLAuthStore gives accounts that are not mailbox.URLAuthKeyers: a
// server without URLAUTH.
type noURLAuthStore struct{ mailbox.Store }

type noURLAuthAccount struct{ mailbox.Account }

func (s noURLAuthStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	a, err := s.Store.Account(ctx, user)
	if err != nil {
		return nil, err
	}
	return noURLAuthAccount{a}, nil
}

// TestRFC4467ResetKeyTellsOtherSessions: RFC 4467 6.3: "any current
// IMAP session logged in as the user that has the mailbox selected
// will receive an untagged OK response with the URLMECH status
// response code".
func TestRFC4467ResetKeyTellsOtherSessions(t *testing.T) {
	ts := newURLAuthServer(t)
	a := ts.loginAs(t, "joe")
	b := ts.loginAs(t, "joe")
	a.ok("c CREATE Other")
	b.ok("s SELECT INBOX")
	const mech = "* OK [URLMECH INTERNAL] URL authorization mechanisms"
	assert.Equal(t, []string{"r1 OK [URLMECH INTERNAL] RESETKEY completed"}, a.cmd("r1 RESETKEY INBOX"))
	assert.Equal(t, []string{mech}, b.ok("n1 NOOP"))
	assert.Empty(t, b.ok("n2 NOOP"))
	a.ok("r2 RESETKEY Other")
	assert.Empty(t, b.ok("n3 NOOP"))
	a.ok("r3 RESETKEY")
	assert.Equal(t, []string{mech}, b.ok("n4 NOOP"))
	// The session that reset is told in its tagged OK only.
	a.ok("s SELECT INBOX")
	a.ok("r4 RESETKEY INBOX")
	assert.Empty(t, a.ok("n5 NOOP"))
	// A session's own RESETKEY does not hide another session's earlier
	// reset of its mailbox: it is told before its tagged OK.
	b.ok("s2 SELECT INBOX")
	a.ok("r6 RESETKEY INBOX")
	assert.Equal(t, []string{mech}, b.ok("r7 RESETKEY Other"))
	// Another user's sessions are not told.
	other := ts.loginAs(t, "bob")
	other.ok("s SELECT INBOX")
	a.ok("r5 RESETKEY INBOX")
	assert.Empty(t, other.ok("n6 NOOP"))
}
