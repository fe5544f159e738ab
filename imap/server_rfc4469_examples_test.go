package imap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfc4469Digest is the text of example 4 of RFC 4469 Appendix A up to
// its first URL.
const rfc4469Digest = "Return-Path: <foo@example.org>\r\n" +
	"Received: from [127.0.0.2]\r\n" +
	"          by rufus.example.org via TCP (internal) with ESMTPA;\r\n" +
	"          Thu, 11 Nov 2004 16:57:07 +0000\r\n" +
	"Message-ID: <419399E1.6000505@example.org>\r\n" +
	"Date: Thu, 21 Nov 2004 16:57:05 +0000\r\n" +
	"From: Farren Oo <foo@example.org>\r\n" +
	"X-Accept-Language: en-us, en\r\n" +
	"MIME-Version: 1.0\r\n" +
	"To: bar@example.org\r\n" +
	"Subject: Digest of the mailing list for today\r\n" +
	"Content-Type: multipart/digest;\r\n" +
	"              boundary=\"------------030308070208000400050904\"\r\n" +
	"\r\n" +
	"--------------030308070208000400050904\r\n"

// TestRFC4469Example4Whole plays example 4 of RFC 4469 Appendix A to
// its end, as the RFC does: with LITERAL+ the server reads the whole
// command and answers NO [BADURL] with the first URL that failed (RFC
// 4469 4.1), and appends nothing. (The RFC's response quotes the URL
// and breaks it over two lines; url-resp-text of section 5 is the bare
// URL, which is what the server sends.)
func TestRFC4469Example4Whole(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE Sent")
	v := ts.fillTo(t, "INBOX", 11467, "Subject: one\r\n\r\n1\r\n")
	ts.fillTo(t, "INBOX", 11916, "Subject: three\r\n\r\n3\r\n")
	in := func(s string) string { return strings.ReplaceAll(s, "785799047", fmt.Sprint(v)) }
	lit := func(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }
	sep := "\r\n--------------030308070208000400050904\r\n"
	end := "\r\n--------------030308070208000400050904--\r\n"
	good1 := `/INBOX;UIDVALIDITY=785799047/;UID=11467`
	bad := `/INBOX;UIDVALIDITY=785799047/;UID=113330/;section=1.5.9`
	good3 := `/INBOX;UIDVALIDITY=785799047/;UID=11916`
	bad3 := `/INBOX;UIDVALIDITY=785799047/;UID=11917`

	cases := []struct {
		name       string
		u1, u2, u3 string
		want       string
	}{
		{"as in the RFC", good1, bad, good3, "A003 NO [BADURL " + in(bad) + "] Cannot use this URL"},
		{"the first bad URL is given", good1, bad, bad3, "A003 NO [BADURL " + in(bad) + "] Cannot use this URL"},
		{"a bad first URL", bad3, bad, good3, "A003 NO [BADURL " + in(bad3) + "] Cannot use this URL"},
		{"all good", good1, good3, good1, "A003 OK [APPENDUID V 1] APPEND completed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.send(`A003 APPEND Sent (\Seen $MDNSent) CATENATE (TEXT ` + lit(rfc4469Digest) +
				in(` URL "`+tc.u1+`" TEXT `) + lit(sep) +
				in(` URL "`+tc.u2+`" TEXT `) + lit(sep) +
				in(` URL "`+tc.u3+`" TEXT `) + lit(end) + ")\r\n")
			assert.Equal(t, []string{tc.want}, norm(c.until("A003")))
		})
	}
	assert.Equal(t, []string{`* STATUS Sent (MESSAGES 1)`}, c.ok("A005 STATUS Sent (MESSAGES)"))
	assert.Equal(t, rfc4469Digest+"Subject: one\r\n\r\n1\r\n"+sep+"Subject: three\r\n\r\n3\r\n"+sep+"Subject: one\r\n\r\n1\r\n"+end,
		fetchBody(t, c, "Sent", "1"))
}

// TestRFC4469Example2Selected plays example 2 of RFC 4469 Appendix A
// with Drafts selected, as its A004 UID STORE needs: the APPEND reports
// the new message with EXISTS before its OK [APPENDUID], and the STORE
// .SILENT answers only its OK.
func TestRFC4469Example2Selected(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE Drafts")
	v := ts.fillTo(t, "Drafts", 20, catDraft20)
	url := func(s string) string { return strings.ReplaceAll(s, "385759045", fmt.Sprint(v)) }
	c.ok("b SELECT Drafts")
	text := "Subject: About our holiday trip\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed;\r\n boundary=\"" + catBoundary + "\"\r\n" +
		"\r\n" +
		"--" + catBoundary + "\r\n" +
		"Content-Type: text/plain; charset=us-ascii; format=flowed\r\n" +
		"\r\n" +
		"Our travel agent has sent the updated schedule.\r\n" +
		"--" + catBoundary + "\r\n"
	end := "\r\n--" + catBoundary + "--\r\n"
	c.send(fmt.Sprintf(`A003 APPEND Drafts (\Seen \Draft $MDNSent) CATENATE (TEXT {%d}`, len(text)) + "\r\n")
	require.Equal(t, "+ Ready for literal data", c.line())
	c.send(text + url(` URL "/Drafts;UIDVALIDITY=385759045/;UID=20/;Section=2.MIME" URL "/Drafts;UIDVALIDITY=385759045/;UID=20/;Section=2" TEXT {44}`) + "\r\n")
	require.Equal(t, "+ Ready for literal data", c.line())
	c.send(end + ")\r\n")
	// The new keyword $MDNSent comes with FLAGS and PERMANENTFLAGS.
	assert.Equal(t, []string{
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $MDNSent)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $MDNSent \*)] Flags permitted`,
		"* 21 EXISTS", "* 21 RECENT", "A003 OK [APPENDUID V 21] APPEND completed"}, norm(c.until("A003")))
	assert.Equal(t, []string{"A004 OK STORE completed"}, c.cmd(`A004 UID STORE 20 +FLAGS.SILENT (\Deleted)`))
	assert.Equal(t, []string{`* 20 FETCH (UID 20 FLAGS (\Deleted \Recent))`, `* 21 FETCH (UID 21 FLAGS (\Seen \Draft $MDNSent \Recent))`},
		c.ok("c FETCH 20:21 (UID FLAGS)"))
}

// TestRFC4469BadURLText: the URL in [BADURL] is url-resp-text (RFC
// 4469 5), TEXT-CHAR but "]", one or more of them.
func TestRFC4469BadURLText(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	cases := []struct{ name, url, want string }{
		{"bracket", "/INBOX]x/;UID=9", "a NO [BADURL /INBOXx/;UID=9] Cannot use this URL"},
		{"8-bit", "/IN\xc3\xa9BOX/;UID=9", "a NO [BADURL /INBOX/;UID=9] Cannot use this URL"},
		{"empty", "", "a NO Cannot use this URL"},
		{"nothing left", "]]", "a NO Cannot use this URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, []string{tc.want}, c.cmd(fmt.Sprintf("a APPEND INBOX CATENATE (URL {%d+}\r\n%s)", len(tc.url), tc.url)))
		})
	}
	c.ok("b NOOP")
}
