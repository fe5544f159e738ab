package imap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The messages of the examples of RFC 8508 3.2 and 3.3; the literal
// sizes of the RFC count a blank line after the text.
const (
	rfc8508Msg1 = "Date: Thu, 1 Jan 2015 00:05:00 -0500 (EST)\r\n" +
		"From: Fritz Schmidt <fritz.ze@example.org>\r\n" +
		"Subject: happy new year !!\r\n" +
		"To: miss.mitzy@example.org\r\n" +
		"Message-Id: <B238822388-0100000@example.org>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
		"\r\n" +
		"Just saw the best fireworks show. Wish you were here.\r\n" +
		"\r\n"
	rfc8508Msg2 = "Date: Thu, 1 Jan 2015 00:06:00 -0500 (EST)\r\n" +
		"From: Fritz Schmidt <fritz.ze@example.org>\r\n" +
		"Subject: happy new year !!\r\n" +
		"To: miss.mitzy@example.org\r\n" +
		"Message-Id: <B238822389-0100000@example.org>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
		"\r\n" +
		"Just saw the best fireworks show. Wish you were here.\r\n" +
		"Hopefully next year you can join us.\r\n" +
		"\r\n"
)

func TestReplaceRFC8508Examples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "REPLACE")
	// RFC 8508 3.5: only in the selected state.
	assert.Equal(t, []string{"b BAD REPLACE not valid in this state"}, c.cmd("b REPLACE 1 Drafts {1+}\r\nx"))
	c.ok("c CREATE Drafts")
	for range 4 {
		ts.deliver(t, "Drafts", testMsg)
	}
	c.ok("d SELECT Drafts")

	// RFC 8508 3.2.
	require.Len(t, rfc8508Msg1, 312)
	c.send(`A003 REPLACE 4 Drafts (\Seen \Draft) {312}` + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(rfc8508Msg1 + "\r\n")
	assert.Equal(t, []string{
		"* OK [APPENDUID V 5] Replacement Message ready",
		"* 5 EXISTS",
		"* 1 RECENT",
		"* 4 EXPUNGE",
		"A003 OK REPLACE completed",
	}, norm(c.until("A003")))

	// RFC 8508 3.3.
	require.Len(t, rfc8508Msg2, 350)
	c.send(`A004 UID REPLACE 5 Drafts (\Seen \Draft) {350}` + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(rfc8508Msg2 + "\r\n")
	assert.Equal(t, []string{
		"* OK [APPENDUID V 6] Replacement Message ready",
		"* 5 EXISTS",
		"* 2 RECENT",
		"* 4 EXPUNGE",
		"A004 OK REPLACE completed",
	}, norm(c.until("A004")))
	assert.Equal(t, []string{
		`* 1 FETCH (UID 1 FLAGS ())`, `* 2 FETCH (UID 2 FLAGS ())`, `* 3 FETCH (UID 3 FLAGS ())`,
		`* 4 FETCH (UID 6 FLAGS (\Seen \Draft \Recent))`,
	}, c.ok("e FETCH 1:* (UID FLAGS)"))
	assert.Equal(t, []string{`* 4 FETCH (RFC822.SIZE 350)`}, c.ok("f FETCH 4 RFC822.SIZE"))
}

func TestReplaceFailures(t *testing.T) {
	for _, native := range []bool{true, false} {
		t.Run(map[bool]string{true: "native", false: "append and expunge"}[native], func(t *testing.T) {
			testReplaceFailures(t, native)
		})
	}
}

func testReplaceFailures(t *testing.T, native bool) {
	var opts []func(*Server)
	if !native {
		opts = append(opts, func(s *Server) { s.Store = plainStore(s.Store) })
	}
	ts := newTestServer(t, opts...)
	for range 2 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("a CREATE Sent")
	c.ok("b SELECT INBOX")
	lit := fmt.Sprintf("{%d+}\r\n%s", len(testMsg), testMsg)
	for _, tc := range []struct{ send, want string }{
		{"c REPLACE 3 INBOX " + lit, "c BAD Invalid message sequence number"},
		{"d UID REPLACE 9 INBOX " + lit, "d NO No such message"},
		{"e REPLACE 1 Nope " + lit, "e NO [TRYCREATE] No such mailbox"},
		{"f REPLACE 1 INBOX (\\Bogus) " + lit, "f BAD Invalid flag \\Bogus"},
		{"g REPLACE 1 INBOX {0+}\r\n", "g NO APPEND cancelled: empty message"},
		{"h REPLACE 1 INBOX " + lit + " " + lit, "h BAD REPLACE takes one message"},
		{"i REPLACE 1:2 INBOX " + lit, "i BAD Syntax error: REPLACE takes one message"},
		{"j REPLACE 1 INBOX " + lit + " junk", "j BAD Syntax error: expected CRLF"},
	} {
		c.send(tc.send + "\r\n")
		tag, _, _ := strings.Cut(tc.send, " ")
		got := c.until(tag)
		if strings.HasPrefix(tc.want, "j ") {
			// The exact text of a syntax error is the decoder's.
			require.Len(t, got, 1)
			assert.True(t, strings.HasPrefix(got[0], "j BAD "), got[0])
			continue
		}
		assert.Equal(t, []string{tc.want}, got, tc.send)
	}
	// Nothing changed. Natively the store never took the messages that
	// would have replaced message 1; otherwise they were appended and
	// removed again, which this session learns as any other's change.
	if native {
		assert.Empty(t, c.ok("k NOOP"))
	} else {
		assert.Equal(t, []string{"* 3 EXISTS", "* 3 EXPUNGE", "* 3 EXISTS", "* 3 EXPUNGE"}, c.ok("k NOOP"))
	}
	assert.Equal(t, []string{`* 1 FETCH (UID 1 FLAGS ())`, `* 2 FETCH (UID 2 FLAGS ())`}, c.ok("l FETCH 1:* (UID FLAGS)"))

	// Into another mailbox: no EXISTS here.
	c.send("m REPLACE 1 Sent (\\Seen) " + lit + "\r\n")
	assert.Equal(t, []string{"* OK [APPENDUID V 1] Replacement Message ready", "* 1 EXPUNGE", "m OK REPLACE completed"}, norm(c.until("m")))
	assert.Equal(t, []string{`* STATUS Sent (MESSAGES 1)`}, c.ok("n STATUS Sent (MESSAGES)"))
	assert.Equal(t, []string{`* 1 FETCH (UID 2 FLAGS ())`}, c.ok("o FETCH 1:* (UID FLAGS)"))

	// Read-only.
	c.ok("p EXAMINE INBOX")
	c.send("q REPLACE 1 INBOX " + lit + "\r\n")
	assert.Equal(t, []string{"q NO [READ-ONLY] Mailbox is read-only"}, c.until("q"))
}

func TestReplaceQResync(t *testing.T) {
	ts := newTestServer(t)
	for range 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("a ENABLE QRESYNC")
	c.ok("b SELECT INBOX")
	// RFC 8508 4.5: as UID EXPUNGE: VANISHED, and HIGHESTMODSEQ in the
	// tagged OK (RFC 7162 3.2.10).
	c.send(fmt.Sprintf("c UID REPLACE 2 INBOX {%d+}\r\n%s\r\n", len(testMsg), testMsg))
	r := norm(c.until("c"))
	require.Len(t, r, 5)
	assert.Equal(t, "* OK [APPENDUID V 4] Replacement Message ready", r[0])
	assert.Equal(t, "* 4 EXISTS", r[1])
	assert.Equal(t, "* VANISHED 2", r[3])
	assert.Regexp(t, `^c OK \[HIGHESTMODSEQ \d+\] REPLACE completed$`, r[4])
}
