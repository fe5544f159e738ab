package imap

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// rfc8508Draft is the draft of RFC 8508 4.2, its attachment shortened.
const rfc8508Draft = "Date: Thu, 1 Jan 2015 00:10:00 -0500 (EST)\r\n" +
	"From: Fritz Schmidt <fritz.ze@example.org>\r\n" +
	"Message-ID: <B238822388-0100003@example.org>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed;\r\n" +
	"        boundary=\"------------030305060306060609050804\"\r\n" +
	"\r\n" +
	"--------------030305060306060609050804\r\n" +
	"Content-Type: text/plain; charset=utf-8; format=flowed\r\n" +
	"Content-Transfer-Encoding: 7bit\r\n" +
	"\r\n" +
	"Here is picture from the fireworks\r\n" +
	"\r\n" +
	"Yours...\r\n" +
	"Fritz\r\n" +
	"\r\n" +
	"--------------030305060306060609050804\r\n" +
	"Content-Type: image/jpeg;\r\n" +
	"        name=\"Fireworks.jpg\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"Content-Disposition: attachment;\r\n" +
	"        filename=\"Fireworks.jpg\"\r\n" +
	"\r\n" +
	"/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkI\r\n" +
	"--------------030305060306060609050804--\r\n"

// noRecent drops the RECENT responses, which IMAP4rev1 sessions get
// after EXISTS and the RFC 8508 examples do not show.
func noRecent(r []string) []string {
	return slices.DeleteFunc(r, func(l string) bool { return strings.HasSuffix(l, " RECENT") })
}

// TestRFC8508CatenateExample plays RFC 8508 4.2: UID REPLACE with
// CATENATE, whose URL names the very message being replaced.
func TestRFC8508CatenateExample(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE Drafts")
	for range 3 {
		ts.deliver(t, "Drafts", testMsg)
	}
	c.ok("b SELECT Drafts")
	c.send(fmt.Sprintf("A010 APPEND Drafts (\\Seen \\Draft) {%d}\r\n", len(rfc8508Draft)))
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(rfc8508Draft + "\r\n")
	assert.Equal(t, []string{"* 4 EXISTS", "A010 OK [APPENDUID V 4] APPEND completed"}, noRecent(norm(c.until("A010"))))

	text := "To: Mitzy <miss.mitzy@example.org>\r\nSubject: My view of the fireworks\r\n"
	require.Len(t, text, 71)
	c.send("A011 UID REPLACE 4 Drafts CATENATE (TEXT {71}\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(text + " URL \"/Drafts/;UID=4\")\r\n")
	assert.Equal(t, []string{
		"* OK [APPENDUID V 5] Replacement Message ready",
		"* 5 EXISTS",
		"* 4 EXPUNGE",
		"A011 OK REPLACE completed",
	}, noRecent(norm(c.until("A011"))))
	want := text + rfc8508Draft
	assert.Equal(t, []string{fmt.Sprintf("* 4 FETCH (UID 5 BODY[] {%d}\r\n%s)", len(want), want)}, c.ok("c FETCH 4 (UID BODY.PEEK[])"))
}

// TestRFC8508Semantics plays RFC 8508 3.4, 4.3 and 4.6 on the wire.
func TestRFC8508Semantics(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg, `\Deleted`)
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	r := c.ok("b FETCH 3 EMAILID")
	require.Len(t, r, 1)
	oldID := idOf(t, "EMAILID", r[0])

	// 3.4: only the message named is expunged, not message 1, which is
	// \Deleted; no FETCH for the \Deleted flag of the STORE step; 4.3:
	// APPENDUID untagged, before the EXPUNGE.
	c.send(fmt.Sprintf("A003 REPLACE 3 INBOX (\\Seen \\Draft) {%d+}\r\n%s\r\n", len(rfc8508Msg1), rfc8508Msg1))
	assert.Equal(t, []string{
		"* OK [APPENDUID V 4] Replacement Message ready",
		"* 4 EXISTS",
		"* 3 EXPUNGE",
		"A003 OK REPLACE completed",
	}, noRecent(norm(c.until("A003"))))
	assert.Equal(t, []string{
		`* 1 FETCH (UID 1 FLAGS (\Deleted))`, `* 2 FETCH (UID 2 FLAGS ())`,
		`* 3 FETCH (UID 4 FLAGS (\Seen \Draft \Recent))`,
	}, c.ok("d FETCH 1:* (UID FLAGS)"))
	// 4.6: the replacing message has another EMAILID.
	r = c.ok("e FETCH 3 EMAILID")
	require.Len(t, r, 1)
	assert.NotEqual(t, oldID, idOf(t, "EMAILID", r[0]))
	// 4.3: UID REPLACE too, into another mailbox (3.4: the target need
	// not be the selected mailbox).
	c.ok("f CREATE Sent")
	c.send(fmt.Sprintf("A004 UID REPLACE 4 Sent (\\Seen) {%d+}\r\n%s\r\n", len(rfc8508Msg2), rfc8508Msg2))
	assert.Equal(t, []string{
		"* OK [APPENDUID V 1] Replacement Message ready",
		"* 3 EXPUNGE",
		"A004 OK REPLACE completed",
	}, norm(c.until("A004")))
}

// TestRFC8508NetQuota: RFC 8508 3.4, the quota implications of the
// APPEND step are evaluated within the context of the pending EXPUNGE:
// at the message limit, REPLACE fits where APPEND does not.
func TestRFC8508NetQuota(t *testing.T) {
	ts := newTestServer(t)
	ts.store.Quota = mailbox.QuotaLimits{Messages: 2}
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	c.send(fmt.Sprintf("c APPEND INBOX {%d+}\r\n%s\r\n", len(rfc8508Msg1), rfc8508Msg1))
	assert.Equal(t, []string{"c NO [OVERQUOTA] Quota exceeded"}, c.until("c"))
	c.send(fmt.Sprintf("A003 REPLACE 2 INBOX {%d+}\r\n%s\r\n", len(rfc8508Msg1), rfc8508Msg1))
	assert.Equal(t, []string{
		"* OK [APPENDUID V 3] Replacement Message ready",
		"* 3 EXISTS",
		"* 2 EXPUNGE",
		"A003 OK REPLACE completed",
	}, noRecent(norm(c.until("A003"))))
	// Into another mailbox of the same quota root, likewise.
	c.ok("d CREATE Sent")
	c.send(fmt.Sprintf("A004 REPLACE 2 Sent {%d+}\r\n%s\r\n", len(rfc8508Msg1), rfc8508Msg1))
	assert.Equal(t, []string{
		"* OK [APPENDUID V 1] Replacement Message ready",
		"* 2 EXPUNGE",
		"A004 OK REPLACE completed",
	}, noRecent(norm(c.until("A004"))))

	// A replacement that grows the account past a limit is refused, and
	// the old message stays.
	ts2 := newTestServer(t)
	ts2.store.Quota = mailbox.QuotaLimits{Bytes: int64(len(testMsg) + len(rfc8508Msg1) + 10)}
	ts2.deliver(t, "INBOX", testMsg)
	ts2.deliver(t, "INBOX", rfc8508Msg1)
	c2 := ts2.login(t)
	c2.ok("a SELECT INBOX")
	c2.send(fmt.Sprintf("b REPLACE 2 INBOX {%d+}\r\n%s\r\n", len(rfc8508Msg1), rfc8508Msg1))
	assert.Equal(t, []string{"* OK [APPENDUID V 3] Replacement Message ready", "* 3 EXISTS", "* 2 EXPUNGE", "b OK REPLACE completed"}, noRecent(norm(c2.until("b"))))
	big := rfc8508Msg1 + strings.Repeat("x", 20) + "\r\n"
	c2.send(fmt.Sprintf("c REPLACE 2 INBOX {%d+}\r\n%s\r\n", len(big), big))
	assert.Equal(t, []string{"c NO [OVERQUOTA] Quota exceeded"}, c2.until("c"))
	assert.Equal(t, []string{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"}, c2.ok("d FETCH 1:* UID"))
}
