package imap

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/sasl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uaBoundary and uaBoundary2 delimit uaMsg20, the message of RFC 4467's
// examples: its part 1.2 is "Si vis pacem, para bellum.\r\n", part 2 a
// base64 attachment holding a NUL.
const (
	uaBoundary  = "outer-b"
	uaBoundary2 = "inner-b"
)

var uaMsg20 = "Subject: URLAUTH\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=" + uaBoundary + "\r\n" +
	"\r\n" +
	"--" + uaBoundary + "\r\n" +
	"Content-Type: multipart/alternative; boundary=" + uaBoundary2 + "\r\n" +
	"\r\n" +
	"--" + uaBoundary2 + "\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"Hello.\r\n" +
	"\r\n--" + uaBoundary2 + "\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"Si vis pacem, para bellum.\r\n" +
	"\r\n--" + uaBoundary2 + "--\r\n" +
	"\r\n--" + uaBoundary + "\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AGFiYw==\r\n" +
	"\r\n--" + uaBoundary + "--\r\n"

const uaBellum = "Si vis pacem, para bellum.\r\n"

// newURLAuthServer is a server for example.com where every user logs in
// with testPass and "submitserver" submits for everyone.
func newURLAuthServer(t *testing.T, opts ...func(*Server)) *testServer {
	return newTestServer(t, append([]func(*Server){func(s *Server) {
		s.Hostname = "example.com"
		s.Authenticate = func(ctx context.Context, user, pass string) (string, error) {
			if pass == testPass {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		}
		s.SubmitURLAuth = func(identity, user string) bool { return identity == "submitserver" }
	}}, opts...)...)
}

// loginAs dials and logs in as user.
func (ts *testServer) loginAs(t *testing.T, user string) *wireClient {
	c := ts.dial(t)
	c.ok("L1 LOGIN " + user + " " + testPass)
	return c
}

// putAt appends filler messages to user's box up to uid, then msg.
func (ts *testServer) putAt(t *testing.T, user, box string, uid mailbox.UID, msg string) {
	t.Helper()
	ctx := context.Background()
	acct, err := ts.store.Account(ctx, user)
	require.NoError(t, err)
	defer acct.Close()
	m, err := acct.Open(ctx, box, &mailbox.OpenOptions{NoRecent: true})
	require.NoError(t, err)
	defer m.Close()
	for {
		got, err := m.Append(ctx, strings.NewReader(msg), nil)
		require.NoError(t, err)
		if got == uid {
			return
		}
		require.Less(t, got, uid)
	}
}

var genRe = regexp.MustCompile(`^\* GENURLAUTH "([^"]*:internal:[0-9a-f]{64})"$`)

// gen runs GENURLAUTH on rump and returns the authorized URL.
func gen(t *testing.T, c *wireClient, rump string) string {
	t.Helper()
	lines := c.ok(`g GENURLAUTH "` + rump + `" INTERNAL`)
	require.Len(t, lines, 1)
	m := genRe.FindStringSubmatch(lines[0])
	require.NotNil(t, m, lines[0])
	require.True(t, strings.HasPrefix(m[1], rump+":internal:"), m[1])
	return m[1]
}

// fetchURL runs URLFETCH on one URL and returns what follows it.
func fetchURL(t *testing.T, c *wireClient, u string) string {
	t.Helper()
	lines := c.ok(`f URLFETCH "` + u + `"`)
	require.Len(t, lines, 1)
	prefix := `* URLFETCH "` + u + `" `
	require.True(t, strings.HasPrefix(lines[0], prefix), lines[0])
	return lines[0][len(prefix):]
}

func TestURLAuthRFC4467Examples(t *testing.T) {
	ts := newURLAuthServer(t)
	ts.putAt(t, "joe", "INBOX", 20, uaMsg20)
	joe := ts.loginAs(t, "joe")
	caps := strings.Fields(joe.ok("a CAPABILITY")[0])
	assert.Contains(t, caps, "URLAUTH")
	assert.Contains(t, caps, "URLAUTH=BINARY")

	// RESETKEY (RFC 4467 7); XSAMPLE is not a mechanism of this server.
	assert.Equal(t, []string{"a31 OK All keys removed"}, joe.cmd("a31 RESETKEY"))
	assert.Equal(t, []string{"a32 OK [URLMECH INTERNAL] RESETKEY completed"}, joe.cmd("a32 RESETKEY INBOX"))
	r := joe.cmd("a33 RESETKEY INBOX XSAMPLE")
	assert.True(t, strings.HasPrefix(r[0], "a33 BAD "), r)

	// GENURLAUTH.
	assert.Equal(t, []string{"a775 BAD missing access identifier in supplied URL"},
		joe.cmd(`a775 GENURLAUTH "imap://joe@example.com/INBOX/;uid=20/;section=1.2" INTERNAL`))
	assert.Equal(t, []string{"a776 BAD missing owner username in supplied URL"},
		joe.cmd(`a776 GENURLAUTH "imap://example.com/Shared/;uid=20/;section=1.2;urlauth=submit+fred" INTERNAL`))
	rump := "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred"
	r = joe.cmd(`a777 GENURLAUTH "` + rump + `" INTERNAL`)
	require.Len(t, r, 2)
	m := genRe.FindStringSubmatch(r[0])
	require.NotNil(t, m, r[0])
	full := m[1]
	assert.Equal(t, "a777 OK GENURLAUTH completed", r[1])

	// URLFETCH by the submit server.
	sub := ts.loginAs(t, "submitserver")
	r = sub.cmd(`a002 URLFETCH "` + full + `"`)
	assert.Equal(t, []string{`* URLFETCH "` + full + `" {28}` + "\r\n" + uaBellum, "a002 OK URLFETCH completed"}, r)

	// The same token is given again while the key stays.
	assert.Equal(t, full, gen(t, joe, rump))
}

func TestURLAuthErrors(t *testing.T) {
	ts := newURLAuthServer(t)
	ts.putAt(t, "joe", "INBOX", 20, uaMsg20)
	ts.putAt(t, "alice", "INBOX", 1, uaMsg20)
	joe := ts.loginAs(t, "joe")
	alice := ts.loginAs(t, "alice")
	sub := ts.loginAs(t, "submitserver")
	base := "imap://joe@example.com/INBOX/;uid=20/;section=1.2"

	t.Run("wrong token", func(t *testing.T) {
		u := gen(t, joe, base+";urlauth=anonymous")
		assert.Equal(t, "{28}\r\n"+uaBellum, fetchURL(t, alice, u))
		last := u[len(u)-1]
		bad := u[:len(u)-1] + map[bool]string{true: "0", false: "1"}[last != '0']
		assert.Equal(t, "NIL", fetchURL(t, alice, bad))
		assert.Equal(t, "NIL", fetchURL(t, alice, strings.Replace(u, "section=1.2", "section=1.1", 1)))
		assert.Equal(t, "NIL", fetchURL(t, alice, strings.Replace(u, ":internal:", ":xsample:", 1)))
		assert.Equal(t, "NIL", fetchURL(t, alice, strings.Replace(u, "example.com", "example.org", 1)))
	})
	t.Run("reset key", func(t *testing.T) {
		u := gen(t, joe, base+";urlauth=anonymous")
		assert.Equal(t, "{28}\r\n"+uaBellum, fetchURL(t, alice, u))
		joe.ok("r RESETKEY INBOX")
		assert.Equal(t, "NIL", fetchURL(t, alice, u))
		u2 := gen(t, joe, base+";urlauth=anonymous")
		assert.NotEqual(t, u, u2)
		assert.Equal(t, "{28}\r\n"+uaBellum, fetchURL(t, alice, u2))
		joe.ok("r RESETKEY")
		assert.Equal(t, "NIL", fetchURL(t, alice, u2))
		r := joe.cmd("r RESETKEY Nonexistent")
		assert.True(t, strings.HasPrefix(r[0], "r NO [NONEXISTENT]"), r)
	})
	t.Run("other user's mailbox", func(t *testing.T) {
		r := alice.cmd(`g GENURLAUTH "` + base + `;urlauth=anonymous" INTERNAL`)
		assert.True(t, strings.HasPrefix(r[0], "g BAD "), r)
		r = joe.cmd(`g GENURLAUTH "imap://joe@example.com/Nonexistent/;uid=20;urlauth=anonymous" INTERNAL`)
		assert.True(t, strings.HasPrefix(r[0], "g BAD "), r)
		r = joe.cmd(`g GENURLAUTH "imap://joe@example.org/INBOX/;uid=20;urlauth=anonymous" INTERNAL`)
		assert.True(t, strings.HasPrefix(r[0], "g BAD "), r)
		r = joe.cmd(`g GENURLAUTH "imap://joe@example.com/INBOX;urlauth=anonymous" INTERNAL`)
		assert.True(t, strings.HasPrefix(r[0], "g BAD "), r)
		r = joe.cmd(`g GENURLAUTH "` + base + `;urlauth=anonymous" XSAMPLE`)
		assert.True(t, strings.HasPrefix(r[0], "g BAD "), r)
		r = joe.cmd(`g GENURLAUTH "` + base + `;urlauth=nobody" INTERNAL`)
		assert.True(t, strings.HasPrefix(r[0], "g BAD "), r)
		// A token made with joe's key does not open alice's mailbox.
		u := gen(t, joe, base+";urlauth=anonymous")
		forged := strings.Replace(u, "joe@", "alice@", 1)
		assert.Equal(t, "NIL", fetchURL(t, joe, forged))
	})
	t.Run("expire", func(t *testing.T) {
		past := gen(t, joe, base+";expire=2000-01-01T00:00:00Z;urlauth=anonymous")
		assert.Equal(t, "NIL", fetchURL(t, alice, past))
		future := gen(t, joe, base+";EXPIRE=2999-01-01T00:00:00Z;urlauth=anonymous")
		assert.Equal(t, "{28}\r\n"+uaBellum, fetchURL(t, alice, future))
	})
	t.Run("access", func(t *testing.T) {
		// RFC 4467 3: authuser is for any logged-in user, not only the owner.
		u := gen(t, joe, base+";urlauth=authuser")
		assert.Equal(t, "{28}\r\n"+uaBellum, fetchURL(t, alice, u))
		u = gen(t, joe, base+";urlauth=user+alice")
		assert.Equal(t, "{28}\r\n"+uaBellum, fetchURL(t, alice, u))
		assert.Equal(t, "NIL", fetchURL(t, joe, u))
		assert.Equal(t, "NIL", fetchURL(t, sub, u))
		u = gen(t, joe, base+";urlauth=submit+fred")
		assert.Equal(t, "{28}\r\n"+uaBellum, fetchURL(t, sub, u))
		assert.Equal(t, "NIL", fetchURL(t, alice, u))
		assert.Equal(t, "NIL", fetchURL(t, joe, u))
		// Not a URLAUTH URL at all.
		assert.Equal(t, "NIL", fetchURL(t, alice, base))
	})
	t.Run("syntax and state", func(t *testing.T) {
		c := ts.dial(t)
		r := c.cmd(`u URLFETCH "` + base + `"`)
		assert.True(t, strings.HasPrefix(r[0], "u BAD "), r)
		for _, cmd := range []string{"URLFETCH", "GENURLAUTH", `GENURLAUTH "x"`, `URLFETCH ("x" FOO)`, "URLFETCH ()"} {
			r := alice.cmd("s " + cmd)
			assert.True(t, strings.HasPrefix(r[len(r)-1], "s BAD "), "%s: %q", cmd, r)
		}
	})
}

func TestURLAuthSubmitDefault(t *testing.T) {
	// Without SubmitURLAuth, submit+ is for the named user only.
	ts := newURLAuthServer(t, func(s *Server) { s.SubmitURLAuth = nil })
	ts.putAt(t, "joe", "INBOX", 20, uaMsg20)
	joe := ts.loginAs(t, "joe")
	alice := ts.loginAs(t, "alice")
	u := gen(t, joe, "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+alice")
	assert.Equal(t, "{28}\r\n"+uaBellum, fetchURL(t, alice, u))
	assert.Equal(t, "NIL", fetchURL(t, joe, u))
}

func TestURLFetchBinaryRFC5524(t *testing.T) {
	ts := newURLAuthServer(t)
	ts.putAt(t, "joe", "INBOX", 20, uaMsg20)
	joe := ts.loginAs(t, "joe")
	sub := ts.loginAs(t, "submitserver")
	u := gen(t, joe, "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred")

	r := sub.cmd(`a001 URLFETCH ("` + u + `" BODYPARTSTRUCTURE BINARY)`)
	assert.Equal(t, []string{`* URLFETCH "` + u + `" (BODYPARTSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 28 1 NIL NIL NIL NIL))` +
		` (BINARY {28}` + "\r\n" + uaBellum + ")", "a001 OK URLFETCH completed"}, r)
	r = sub.cmd(`a002 URLFETCH ("` + u + `" BODY) "` + u + `" ("` + u + `")`)
	assert.Equal(t, []string{`* URLFETCH "` + u + `" (BODY {28}` + "\r\n" + uaBellum + `) "` + u + `" {28}` + "\r\n" + uaBellum +
		` "` + u + `" {28}` + "\r\n" + uaBellum, "a002 OK URLFETCH completed"}, r)

	// The base64 attachment decodes to a NUL and "abc": a literal8.
	att := gen(t, joe, "imap://joe@example.com/INBOX/;uid=20/;section=2;urlauth=submit+fred")
	r = sub.cmd(`a003 URLFETCH ("` + att + `" BINARY BODYPARTSTRUCTURE)`)
	assert.Equal(t, []string{`* URLFETCH "` + att + `" (BINARY ~{4}` + "\r\n\x00abc)" +
		` (BODYPARTSTRUCTURE ("application" "octet-stream" NIL NIL NIL "BASE64" 10 NIL NIL NIL NIL))`, "a003 OK URLFETCH completed"}, r)
	// A partial range applies to the decoded octets.
	part := gen(t, joe, "imap://joe@example.com/INBOX/;uid=20/;section=2/;partial=1.2;urlauth=submit+fred")
	r = sub.cmd(`a004 URLFETCH ("` + part + `" BINARY)`)
	assert.Equal(t, []string{`* URLFETCH "` + part + `" (BINARY {2}` + "\r\nab)", "a004 OK URLFETCH completed"}, r)

	// Not valid for the session: NIL, metadata or not.
	r = joe.cmd(`a005 URLFETCH ("` + u + `" BINARY)`)
	assert.Equal(t, []string{`* URLFETCH "` + u + `" NIL`, "a005 OK URLFETCH completed"}, r)
	// BINARY and BODY exclude each other.
	r = sub.cmd(`a006 URLFETCH ("` + u + `" BINARY BODY)`)
	assert.True(t, strings.HasPrefix(r[0], "a006 BAD "), r)
}

func TestCatenateURLAuth(t *testing.T) {
	ts := newURLAuthServer(t)
	ts.putAt(t, "joe", "INBOX", 20, uaMsg20)
	joe := ts.loginAs(t, "joe")
	alice := ts.loginAs(t, "alice")
	u := gen(t, joe, "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=user+alice")
	alice.ok(`c1 APPEND INBOX CATENATE (TEXT {8+}` + "\r\nHeader\r\n" + ` URL "` + u + `")`)
	assert.Equal(t, "Header\r\n"+uaBellum, fetchBody(t, alice, "INBOX", "1"))
	// joe may not use a URL for alice, nor a forged one.
	r := joe.cmd(`c2 APPEND INBOX CATENATE (URL "` + u + `")`)
	assert.True(t, strings.HasPrefix(r[len(r)-1], "c2 NO [BADURL "), r)
	r = alice.cmd(`c3 APPEND INBOX CATENATE (URL "` + u[:len(u)-4] + `0000")`)
	assert.True(t, strings.HasPrefix(r[len(r)-1], "c3 NO [BADURL "), r)
}

func TestParseAuthURLHostile(t *testing.T) {
	for _, s := range []string{
		"\xff\xff\xff;urlauth=anonymous:internal:00",
		"imap://a@b/\xff\xffɐɐ;UID=1;urlauth=anonymous:internal:00000000000000000000000000000000",
		"imap://a@b/ɐɐɐɐ;uidvalidity=1/;UID=1;expire=ɐ;urlauth=anonymous",
		";urlauth=", ";URLAUTH=::", "imap://@/;urlauth=authuser",
		"imap://a@b/INBOX/;UID=1;expire=2000-01-01T00:00:00Z;urlauth=user+:internal:00000000000000000000000000000000",
	} {
		assert.NotPanics(t, func() {
			parseAuthURL(s, true)
			parseAuthURL(s, false)
			parseURLPath(s)
		}, s)
	}
	a, why := parseAuthURL("imap://joe%40x@Example.COM:143/INBOX;UIDVALIDITY=7/;UID=20/;PARTIAL=0.5;EXPIRE=2030-01-02T03:04:05Z;URLAUTH=User+fred:INTERNAL:ABCDEF0123456789abcdef0123456789", true)
	require.NotNil(t, a, why)
	assert.Equal(t, "joe@x", a.owner)
	assert.Equal(t, "Example.COM", a.host)
	assert.Equal(t, "User+fred", a.access)
	assert.Equal(t, "INTERNAL", a.mech)
	assert.Equal(t, "abcdef0123456789abcdef0123456789", a.token)
	assert.Equal(t, "imap://joe%40x@Example.COM:143/INBOX;UIDVALIDITY=7/;UID=20/;PARTIAL=0.5;EXPIRE=2030-01-02T03:04:05Z;URLAUTH=User+fred", a.rump)
	assert.Equal(t, &imapURL{mailbox: "INBOX", uidValidity: 7, uid: 20, partial: &Partial{Offset: 0, Count: 5}}, a.url)
	assert.Equal(t, 2030, a.expire.Year())
}

// TestURLFetchCreatesNoAccount: URLFETCH of URLs naming users that do
// not exist answers NIL and leaves the store without new accounts (a
// store that creates accounts on first use must not be made to by a
// peer).
func TestURLFetchCreatesNoAccount(t *testing.T) {
	ts := newURLAuthServer(t)
	c := ts.loginAs(t, "fred")
	for i := range 3 {
		u := fmt.Sprintf("imap://ghost%d@example.com/INBOX;UIDVALIDITY=1/;UID=1;urlauth=anonymous:internal:%064d", i, 0)
		assert.Equal(t, "NIL", fetchURL(t, c, u))
	}
	_, err := ts.store.FindAccount(context.Background(), "ghost0")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchAccount, "URLFETCH made an account")
}
