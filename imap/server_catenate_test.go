package imap

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/postkit/postkit/mailbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// catBoundary is the boundary of the drafts of RFC 4469's examples.
const catBoundary = "------------030308070208000400050907"

// catDraft20 is a draft as the examples 1 and 2 of RFC 4469 describe
// UID 20: multipart/mixed, a text/plain part and a zip.
var catDraft20 = "Subject: About our holiday trip\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed;\r\n boundary=\"" + catBoundary + "\"\r\n" +
	"\r\n" +
	"--" + catBoundary + "\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"Old text.\r\n" +
	"--" + catBoundary + "\r\n" +
	"Content-Type: application/x-zip-compressed; name=\"a.zip\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"UEsDBAo=\r\n" +
	"--" + catBoundary + "--\r\n"

// fillTo appends filler messages to box until the next UID is uid, then
// msg, and returns the mailbox's UIDVALIDITY.
func (ts *testServer) fillTo(t *testing.T, box string, uid mailbox.UID, msg string) uint32 {
	t.Helper()
	ctx := context.Background()
	acct, err := ts.store.Account(ctx, testUser)
	require.NoError(t, err)
	defer acct.Close()
	m, err := acct.Open(ctx, box, &mailbox.OpenOptions{NoRecent: true})
	require.NoError(t, err)
	defer m.Close()
	st, err := m.Status(ctx)
	require.NoError(t, err)
	require.LessOrEqual(t, st.UIDNext, uid)
	for next := st.UIDNext; next < uid; next++ {
		_, err := m.Append(ctx, strings.NewReader("Subject: filler\r\n\r\nx\r\n"), nil)
		require.NoError(t, err)
	}
	got, err := m.Append(ctx, strings.NewReader(msg), nil)
	require.NoError(t, err)
	require.Equal(t, uid, got)
	return st.UIDValidity
}

// fetchBody returns BODY[] of the message with the UID in box.
func fetchBody(t *testing.T, c *wireClient, box string, uid string) string {
	t.Helper()
	c.ok("fs EXAMINE " + box)
	lines := c.ok("fb UID FETCH " + uid + " BODY.PEEK[]")
	require.Len(t, lines, 1)
	l := lines[0]
	i := strings.Index(l, "}\r\n")
	require.Positive(t, i)
	c.ok("fu UNSELECT")
	return strings.TrimSuffix(l[i+3:], ")")
}

func TestCatenateRFC4469Examples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "CATENATE")
	c.ok("b CREATE Drafts")
	c.ok("c CREATE Sent")
	v := ts.fillTo(t, "Drafts", 20, catDraft20)
	ts.fillTo(t, "Drafts", 21, catDraft20)
	msg30 := "Subject: forwarded\r\n\r\nThe message 30.\r\n"
	ts.fillTo(t, "Drafts", 30, msg30)
	url := func(s string) string {
		return strings.ReplaceAll(s, "385759045", fmt.Sprint(v))
	}
	sep := "\r\n--" + catBoundary + "\r\n"
	require.Len(t, sep, 42)
	end := "\r\n--" + catBoundary + "--\r\n"
	require.Len(t, end, 44)

	// Example 1: an attachment replaced by another message.
	c.send(url(`A003 APPEND Drafts (\Seen \Draft $MDNSent) CATENATE (URL "/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER" TEXT {42}`) + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(sep + url(` URL "/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME" URL "/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1" TEXT {42}`) + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(sep + url(` URL "/Drafts;UIDVALIDITY=385759045/;UID=30" TEXT {44}`) + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(end + ")\r\n")
	assert.Equal(t, []string{"A003 OK [APPENDUID V 31] APPEND completed"}, norm(c.until("A003")))
	hdr, _, _ := strings.Cut(catDraft20, "\r\n\r\n")
	want1 := hdr + "\r\n\r\n" + sep + "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + "Old text." + sep + msg30 + end
	assert.Equal(t, want1, fetchBody(t, c, "Drafts", "31"))

	// Example 2: new text and header, the zip kept; APPENDUID.
	text2 := "Return-Path: <bar@example.org>\r\n" +
		"Received: from [127.0.0.2]\r\n" +
		"          by rufus.example.org via TCP (internal) with ESMTPA;\r\n" +
		"          Thu, 11 Nov 2004 16:57:07 +0000\r\n" +
		"Message-ID: <419399E1.6000505@example.org>\r\n" +
		"Date: Thu, 12 Nov 2004 16:57:05 +0000\r\n" +
		"From: Bob Ar <bar@example.org>\r\n" +
		"X-Accept-Language: en-us, en\r\n" +
		"MIME-Version: 1.0\r\n" +
		"To: foo@example.net\r\n" +
		"Subject: About our holiday trip\r\n" +
		"Content-Type: multipart/mixed;\r\n" +
		"              boundary=\"" + catBoundary + "\"\r\n" +
		"\r\n" +
		"--" + catBoundary + "\r\n" +
		"Content-Type: text/plain; charset=us-ascii; format=flowed\r\n" +
		"Content-Transfer-Encoding: 7bit\r\n" +
		"\r\n" +
		"Our travel agent has sent the updated schedule.\r\n" +
		"\r\n" +
		"Cheers,\r\n" +
		"Bob\r\n" +
		"--" + catBoundary + "\r\n"
	// RFC 4469 announces {738} for 721 octets of text.
	require.Len(t, text2, 721)
	c.send(`A003 APPEND Drafts (\Seen \Draft $MDNSent) CATENATE (TEXT {721}` + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(text2 + url(` URL "/Drafts;UIDVALIDITY=385759045/;UID=20/;Section=2.MIME" URL "/Drafts;UIDVALIDITY=385759045/;UID=20/;Section=2" TEXT {44}`) + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(end + ")\r\n")
	assert.Equal(t, []string{"A003 OK [APPENDUID V 32] APPEND completed"}, norm(c.until("A003")))
	want2 := text2 + "Content-Type: application/x-zip-compressed; name=\"a.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBAo=" + end
	assert.Equal(t, want2, fetchBody(t, c, "Drafts", "32"))
	c.ok("A004 SELECT Drafts")
	c.ok(`A004 UID STORE 20 +FLAGS.SILENT (\Deleted)`)
	c.ok("A004 UNSELECT")

	// Example 3: an attachment stripped.
	b3 := "------------030308070208000400050903"
	draft21 := strings.ReplaceAll(catDraft20, catBoundary, b3)
	ts.fillTo(t, "Drafts", 33, draft21)
	text3 := "\r\n--" + b3 + "\r\n" +
		"Content-type: text/plain; charset=\"us-ascii\"\r\n" +
		"Content-transfer-encoding: 7bit\r\n" +
		"\r\n" +
		"This body part contained a Power Point presentation that was\r\n" +
		"deleted upon your request.\r\n" +
		"--" + b3 + "--\r\n"
	require.Len(t, text3, 255)
	c.send(url(`A003 APPEND Drafts (\Seen \Draft $MDNSent) CATENATE (URL "/Drafts;UIDVALIDITY=385759045/;UID=33/;section=HEADER" TEXT {42}`) + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send("\r\n--" + b3 + "\r\n" + url(` URL "/Drafts;UIDVALIDITY=385759045/;UID=33/;section=1.MIME" URL "/Drafts;UIDVALIDITY=385759045/;UID=33/;section=1" TEXT {255}`) + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(text3 + ")\r\n")
	assert.Equal(t, []string{"A003 OK [APPENDUID V 34] APPEND completed"}, norm(c.until("A003")))
	hdr3, _, _ := strings.Cut(draft21, "\r\n\r\n")
	want3 := hdr3 + "\r\n\r\n" + "\r\n--" + b3 + "\r\n" + "Content-Type: text/plain; charset=us-ascii\r\n\r\nOld text." + text3
	assert.Equal(t, want3, fetchBody(t, c, "Drafts", "34"))

	// Example 4: a digest whose second URL names no message; the
	// server answers at the next synchronising literal, which RFC 4469
	// allows, and nothing is appended.
	iv := ts.fillTo(t, "INBOX", 11467, "Subject: one\r\n\r\n1\r\n")
	text4 := rfc4469Digest
	// RFC 4469 announces {541} for this text.
	text4Len := fmt.Sprint(len(text4))
	in := func(s string) string { return strings.ReplaceAll(s, "785799047", fmt.Sprint(iv)) }
	c.send(`A003 APPEND Sent (\Seen $MDNSent) CATENATE (TEXT {` + text4Len + `}` + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(text4 + in(` URL "/INBOX;UIDVALIDITY=785799047/;UID=11467" TEXT {42}`) + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send("\r\n--------------030308070208000400050904\r\n" + in(` URL "/INBOX;UIDVALIDITY=785799047/;UID=113330/;section=1.5.9" TEXT {42}`) + "\r\n")
	assert.Equal(t, []string{in(`A003 NO [BADURL /INBOX;UIDVALIDITY=785799047/;UID=113330/;section=1.5.9] Cannot use this URL`)}, c.until("A003"))
	assert.Equal(t, []string{`* STATUS Sent (MESSAGES 0)`}, c.ok("A005 STATUS Sent (MESSAGES)"))
}

func TestCatenateErrors(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.MaxAppendBytes = 100 })
	c := ts.login(t)
	c.ok("a CREATE Other")
	v := ts.fillTo(t, "INBOX", 2, "Subject: two\r\n\r\nbody two\r\n")
	vs := fmt.Sprint(v)
	cases := []struct{ name, url, code string }{
		{"other user", "imap://bob@host/INBOX;UIDVALIDITY=" + vs + "/;UID=2", "BADURL"},
		{"no UID", "/INBOX;UIDVALIDITY=" + vs, "BADURL"},
		{"no such UID", "/INBOX/;UID=9", "BADURL"},
		{"UIDVALIDITY", "/INBOX;UIDVALIDITY=" + fmt.Sprint(v+100) + "/;UID=2", "BADURL"},
		{"bad section", "/INBOX/;UID=2/;SECTION=1.BOGUS", "BADURL"},
		{"no such section", "/INBOX/;UID=2/;SECTION=3", "BADURL"},
		{"no such mailbox", "/Nope/;UID=2", "BADURL"},
		{"URLAUTH", "/INBOX/;UID=2;URLAUTH=anonymous", "BADURL"},
		{"relative", ";UID=2", "BADURL"},
		{"other scheme", "http://host/INBOX/;UID=2", "BADURL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.send(`t APPEND Other CATENATE (TEXT {4+}` + "\r\nab\r\n" + ` URL "` + tc.url + `" TEXT {2+}` + "\r\nxy)\r\n")
			got := c.until("t")
			require.Len(t, got, 1)
			assert.True(t, strings.HasPrefix(got[0], "t NO ["+tc.code), got[0])
		})
	}
	// Good forms: the user's own absolute URL, PARTIAL, MULTIAPPEND.
	c.send(`g APPEND Other CATENATE (TEXT {4+}` + "\r\nab\r\n" + ` URL "imap://alice@localhost/INBOX/;UID=2/;SECTION=TEXT/;PARTIAL=5.3") {3+}` + "\r\nxyz CATENATE (URL \"/INBOX/;UID=2/;SECTION=1\")\r\n")
	assert.Equal(t, []string{"g OK [APPENDUID V 1:3] APPEND completed"}, norm(c.until("g")))
	assert.Equal(t, "ab\r\ntwo", fetchBody(t, c, "Other", "1"))
	assert.Equal(t, "xyz", fetchBody(t, c, "Other", "2"))
	assert.Equal(t, "body two\r\n", fetchBody(t, c, "Other", "3"))

	// Too big in total, though each part is under APPENDLIMIT.
	big := strings.Repeat("x", 60)
	c.send(`z APPEND Other CATENATE (TEXT {60+}` + "\r\n" + big + ` TEXT {60+}` + "\r\n" + big + ")\r\n")
	assert.Equal(t, []string{"z NO [TOOBIG] Message too big"}, c.until("z"))
	// A failed MULTIAPPEND keeps nothing.
	c.send(`m APPEND Other {3+}` + "\r\nabc CATENATE (URL \"/INBOX/;UID=7\")\r\n")
	assert.Equal(t, []string{"m NO [BADURL /INBOX/;UID=7] Cannot use this URL"}, c.until("m"))
	assert.Equal(t, []string{`* STATUS Other (MESSAGES 3)`}, c.ok("s STATUS Other (MESSAGES)"))
	// REPLACE takes CATENATE as APPEND does (RFC 8508 with RFC 4469).
	c.ok("r SELECT Other")
	c.send(`r REPLACE 2 Other CATENATE (URL "/INBOX/;UID=2/;SECTION=HEADER" TEXT {3+}` + "\r\nnew)\r\n")
	assert.Contains(t, c.until("r"), "r OK REPLACE completed")
	c.ok("r UNSELECT")
	assert.Equal(t, "Subject: two\r\n\r\nnew", fetchBody(t, c, "Other", "5")) // UID 4 was the failed MULTIAPPEND's
	// Syntax.
	c.send("y APPEND Other CATENATE (FOO \"x\")\r\n")
	got := c.until("y")
	require.Len(t, got, 1)
	assert.True(t, strings.HasPrefix(got[0], "y BAD"), got[0])
	c.ok("n NOOP")
}
