package imap

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// The examples of RFC 9208 that TestQuotaRFCExamples and
// TestQuotaMemstore (server_quota_test.go) do not play: a mailbox
// without quota root (4.2.2), and the untagged NO [OVERQUOTA] of a
// soft quota (4.3.1, example 2).

// rfc9208Msg is the message of the examples of RFC 9208 4.3.1.
const rfc9208Msg = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n" +
	"From: Fred Foobar <foobar@Blurdybloop.example>\r\n" +
	"Subject: afternoon meeting\r\n" +
	"To: mooch@owatagu.siam.edu.example\r\n" +
	"Message-Id: <B27397-0100000@Blurdybloop.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
	"\r\n" +
	"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"

// TestRFC9208QuotaRootNone plays the second example of RFC 9208 4.2.2:
// "* QUOTAROOT comp.mail.mime" for a mailbox that no quota root
// governs.
func TestRFC9208QuotaRootNone(t *testing.T) {
	qs := &rfcQuotaStore{}
	ts := newTestServer(t, func(s *Server) { qs.Store = s.Store; s.Store = qs })
	c := ts.login(t)
	assert.Equal(t, []string{"* QUOTAROOT comp.mail.mime", "a OK GETQUOTAROOT completed"},
		c.cmd("a GETQUOTAROOT comp.mail.mime"))
	// RFC 9208 4.2.1: an empty list means no limits.
	qs.set(mailbox.QuotaRoot{Name: ""})
	assert.Equal(t, []string{`* QUOTAROOT INBOX ""`, `* QUOTA "" ()`, "b OK GETQUOTAROOT completed"},
		c.cmd("b GETQUOTAROOT INBOX"))
}

// TestRFC9208SoftQuota plays example 2 of RFC 9208 4.3.1: an APPEND
// that the store lets in although it takes the account over a limit
// (a soft quota; a maildir store can be taken over by appends that
// race) succeeds with an untagged NO [OVERQUOTA] before its OK.
func TestRFC9208SoftQuota(t *testing.T) {
	qs := &rfcQuotaStore{}
	ts := newTestServer(t, func(s *Server) { qs.Store = s.Store; s.Store = qs })
	c := ts.login(t)
	c.ok("a CREATE saved-messages")
	require.Len(t, rfc9208Msg, 326)

	cases := []struct {
		name string
		root mailbox.QuotaRoot
		want []string
	}{
		{"under the limits", userAlice(mailbox.QuotaResource{Name: "STORAGE", Usage: 58, Limit: 512}),
			[]string{"A003 OK [APPENDUID V 1] APPEND completed"}},
		{"at the limit", userAlice(mailbox.QuotaResource{Name: "MESSAGE", Usage: 1000, Limit: 1000}),
			[]string{"A003 OK [APPENDUID V 2] APPEND completed"}},
		// RFC 9208 4.3.1, example 2.
		{"over a soft limit", userAlice(mailbox.QuotaResource{Name: "STORAGE", Usage: 58, Limit: 512}, mailbox.QuotaResource{Name: "MESSAGE", Usage: 1001, Limit: 1000}),
			[]string{"* NO [OVERQUOTA] Soft quota has been exceeded", "A003 OK [APPENDUID V 3] APPEND completed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			qs.set(tc.root, sda4)
			c.send("A003 APPEND saved-messages (\\Seen) {326}\r\n")
			assert.Equal(t, "+ Ready for literal data", c.line())
			c.send(rfc9208Msg + "\r\n")
			assert.Equal(t, tc.want, norm(c.until("A003")))
		})
	}
	// Into the selected mailbox, with MULTIAPPEND: one warning.
	c.ok("b SELECT saved-messages")
	c.send("c APPEND saved-messages " + fmtLiteralPlus(rfc9208Msg) + " " + fmtLiteralPlus(rfc9208Msg) + "\r\n")
	got := c.until("c")
	assert.Contains(t, got, "* NO [OVERQUOTA] Soft quota has been exceeded")
	assert.Equal(t, 1, strings.Count(strings.Join(got, "\n"), "OVERQUOTA"))
	assert.Equal(t, "c OK [APPENDUID V 4:5] APPEND completed", norm(got[len(got)-1:])[0])
}

// TestRFC9208SoftQuotaCopy plays example 3 of RFC 9208 4.3.1: a COPY
// that the store lets in over a soft limit succeeds with an untagged NO
// [OVERQUOTA] before its OK; so do MOVE and REPLACE (RFC 8508 3.4:
// what affects APPEND affects REPLACE), and none warns under the
// limits.
func TestRFC9208SoftQuotaCopy(t *testing.T) {
	qs := &rfcQuotaStore{}
	ts := newTestServer(t, func(s *Server) { qs.Store = s.Store; s.Store = qs })
	for range 6 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("a CREATE MEETING")
	c.ok("b SELECT INBOX")
	under := userAlice(mailbox.QuotaResource{Name: "MESSAGE", Usage: 999, Limit: 1000})
	over := userAlice(mailbox.QuotaResource{Name: "STORAGE", Usage: 58, Limit: 512}, mailbox.QuotaResource{Name: "MESSAGE", Usage: 1001, Limit: 1000})
	const warn = "* NO [OVERQUOTA] Soft quota has been exceeded"
	lit := fmtLiteralPlus(testMsg)

	cases := []struct {
		name string
		root mailbox.QuotaRoot
		cmd  string
		want []string
	}{
		{"copy under the limits", under, "A003 COPY 1 MEETING",
			[]string{"A003 OK [COPYUID V 1 1] COPY completed"}},
		// RFC 9208 4.3.1, example 3.
		{"copy over a soft limit", over, "A004 COPY 2:4 MEETING",
			[]string{warn, "A004 OK [COPYUID V 2:4 2:4] COPY completed"}},
		{"copy of nothing", over, "A005 UID COPY 99 MEETING",
			[]string{"A005 OK COPY completed"}},
		{"move under the limits", under, "A006 MOVE 6 MEETING",
			[]string{"* OK [COPYUID V 6 5] Moved", "* 6 EXPUNGE", "A006 OK MOVE completed"}},
		{"move over a soft limit", over, "A007 MOVE 5 MEETING",
			[]string{"* OK [COPYUID V 5 6] Moved", warn, "* 5 EXPUNGE", "A007 OK MOVE completed"}},
		{"replace under the limits", under, "A008 REPLACE 1 MEETING " + lit,
			[]string{"* OK [APPENDUID V 7] Replacement Message ready", "* 1 EXPUNGE", "A008 OK REPLACE completed"}},
		{"replace over a soft limit", over, "A009 REPLACE 1 INBOX " + lit,
			[]string{"* OK [APPENDUID V 7] Replacement Message ready", warn, "* 4 EXISTS", "* 1 EXPUNGE", "A009 OK REPLACE completed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			qs.set(tc.root, sda4)
			c.send(tc.cmd + "\r\n")
			tag, _, _ := strings.Cut(tc.cmd, " ")
			assert.Equal(t, tc.want, noRecent(norm(c.until(tag))))
		})
	}
}

// TestRFC9208StorageRounding: STORAGE is in units of 1024 octets (RFC
// 9208 5.1) and both usage and limit are rounded up, so that an
// account within its limit in octets never shows more usage than limit
// (nor gets the warning of a soft quota).
func TestRFC9208StorageRounding(t *testing.T) {
	ts := newTestServer(t)
	ts.store.Quota = mailbox.QuotaLimits{Bytes: 1000}
	c := ts.login(t)
	assert.Equal(t, []string{`* QUOTA "" (STORAGE 0 1)`, "a OK GETQUOTA completed"}, c.cmd(`a GETQUOTA ""`))
	for _, tag := range []string{"b1", "b2", "b3"} { // 978 octets
		assert.Equal(t, []string{tag + " OK [APPENDUID V " + tag[1:] + "] APPEND completed"},
			norm(c.cmd(tag+" APPEND INBOX "+fmtLiteralPlus(rfc9208Msg))))
	}
	assert.Equal(t, []string{`* QUOTA "" (STORAGE 1 1)`, "c OK GETQUOTA completed"}, c.cmd(`c GETQUOTA ""`))
	// RFC 9208 4.3.1, example 1: over the limit in octets.
	c.send("d APPEND INBOX (\\Seen) {326}\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(rfc9208Msg + "\r\n")
	assert.Equal(t, []string{"d NO [OVERQUOTA] Quota exceeded"}, c.until("d"))
}

func fmtLiteralPlus(s string) string { return "{" + itoa(len(s)) + "+}\r\n" + s }
