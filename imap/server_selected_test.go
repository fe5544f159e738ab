package imap

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// norm replaces the UIDVALIDITY value, which the store picks, by "V".
var validityRe = regexp.MustCompile(`(UIDVALIDITY|COPYUID|APPENDUID) \d+`)

// mailboxIDRe matches a MAILBOXID (RFC 8474), which the store picks;
// norm writes it "ID".
var mailboxIDRe = regexp.MustCompile(`MAILBOXID \([A-Za-z0-9_-]+\)`)

// listAttrsRe matches the attributes of a LIST response, which
// listMailboxes chooses.
var listAttrsRe = regexp.MustCompile(`^\* LIST \([^)]*\)`)

func norm(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		l = validityRe.ReplaceAllString(l, "$1 V")
		l = mailboxIDRe.ReplaceAllString(l, "MAILBOXID (ID)")
		out[i] = listAttrsRe.ReplaceAllString(l, "* LIST (ATTRS)")
	}
	return out
}

func TestSelectData(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg, `\Seen`)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	r := c.cmd("a SELECT INBOX")
	assert.Equal(t, []string{
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted`,
		`* 2 EXISTS`,
		`* 0 RECENT`,
		`* OK [UNSEEN 2] First unseen`,
		`* OK [UIDVALIDITY V] UIDs valid`,
		`* OK [MAILBOXID (ID)] Ok`,
		`* OK [UIDNEXT 3] Predicted next UID`,
		`* OK [URLMECH INTERNAL] URL authorization mechanisms`,
		`a OK [READ-WRITE] SELECT completed`,
	}, norm(r))

	// EXAMINE: read-only, no permanent flags; the previous mailbox is
	// closed with [CLOSED] for IMAP4rev1 too, as a server offering
	// CONDSTORE must (RFC 7162 3.2.11).
	r = c.cmd("b EXAMINE INBOX")
	assert.Equal(t, `* OK [CLOSED] Previous mailbox closed`, r[0])
	assert.Equal(t, `* OK [PERMANENTFLAGS ()] Read-only mailbox`, r[2])
	assert.Equal(t, `b OK [READ-ONLY] EXAMINE completed`, r[len(r)-1])
	assert.Equal(t, []string{"c NO [READ-ONLY] Mailbox is read-only"}, c.cmd(`c STORE 1 +FLAGS (\Deleted)`))

	// A failed SELECT leaves the authenticated state.
	assert.Equal(t, []string{"* OK [CLOSED] Previous mailbox closed", "d NO [NONEXISTENT] No such mailbox"}, c.cmd("d SELECT Nope"))
	assert.Equal(t, []string{"e BAD FETCH not valid in this state"}, c.cmd("e FETCH 1 FLAGS"))
}

func TestSelectIMAP4rev2(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a ENABLE IMAP4rev2")
	r := c.cmd("b SELECT INBOX")
	// RFC 9051 6.3.2: no RECENT, no UNSEEN; a LIST response.
	assert.Equal(t, []string{
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted`,
		`* 1 EXISTS`,
		`* OK [UIDVALIDITY V] UIDs valid`,
		`* OK [MAILBOXID (ID)] Ok`,
		`* OK [UIDNEXT 2] Predicted next UID`,
		`* OK [URLMECH INTERNAL] URL authorization mechanisms`,
		`* LIST (ATTRS) "/" INBOX`,
		`b OK [READ-WRITE] SELECT completed`,
	}, norm(r))
	r = c.cmd("c SELECT INBOX")
	assert.Equal(t, `* OK [CLOSED] Previous mailbox closed`, r[0])
}

func TestRecentIMAP4rev1(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	// An APPEND through the session's own view: recent in it.
	c.send("b APPEND INBOX " + fmtLiteral(testMsg) + "\r\n")
	r := norm(c.until("b"))
	assert.Equal(t, []string{"+ Ready for literal data", "* 1 EXISTS", "* 1 RECENT", "b OK [APPENDUID V 1] APPEND completed"}, r)
	assert.Equal(t, []string{`* 1 FETCH (FLAGS (\Recent))`}, c.ok("c FETCH 1 FLAGS"))
}

func TestStoreAndExpungeTwoSessions(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 3; i++ {
		ts.deliver(t, "INBOX", testMsg)
	}
	a := ts.login(t)
	b := ts.login(t)
	a.ok("a1 SELECT INBOX")
	b.ok("b1 SELECT INBOX")

	assert.Equal(t, []string{`* 2 FETCH (FLAGS (\Deleted))`}, a.ok(`a2 STORE 2 +FLAGS (\Deleted)`))
	assert.Empty(t, a.ok(`a3 STORE 1 +FLAGS.SILENT (\Flagged)`))
	assert.Equal(t, []string{`* 3 FETCH (UID 3 FLAGS (\Seen))`}, a.ok(`a4 UID STORE 3 FLAGS (\Seen)`))

	// b learns of the flag changes at its next command that allows it.
	assert.Equal(t, []string{
		`* 2 FETCH (UID 2 FLAGS (\Deleted))`,
		`* 1 FETCH (UID 1 FLAGS (\Flagged))`,
		`* 3 FETCH (UID 3 FLAGS (\Seen))`,
	}, b.ok("b2 NOOP"))

	assert.Equal(t, []string{`* 2 EXPUNGE`}, a.ok("a5 EXPUNGE"))
	// RFC 9051 7.5.1: no EXPUNGE during FETCH, STORE or SEARCH; b still
	// sees message 2 as it was.
	assert.Equal(t, []string{
		`* 1 FETCH (UID 1)`, `* 2 FETCH (UID 2)`, `* 3 FETCH (UID 3)`,
	}, b.ok("b3 FETCH 1:* UID"))
	// A STORE to a message another session expunged changes nothing.
	assert.Empty(t, b.ok(`b4 STORE 2 +FLAGS (\Seen)`))
	assert.Equal(t, []string{`* 2 EXPUNGE`}, b.ok("b5 NOOP"))
	assert.Equal(t, []string{`* 1 FETCH (UID 1)`, `* 2 FETCH (UID 3)`}, b.ok("b6 FETCH 1:* UID"))
	// UID commands may report expunges at once.
	a.ok(`a6 STORE 1 +FLAGS.SILENT (\Deleted)`)
	a.ok("a7 EXPUNGE")
	assert.Equal(t, []string{`* 2 FETCH (UID 3)`, `* 1 EXPUNGE`}, b.ok("b7 UID FETCH 3 UID"))
}

func TestIdleNotification(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	a := ts.login(t)
	b := ts.login(t)
	a.ok("a1 SELECT INBOX")
	b.ok("b1 SELECT INBOX")
	b.send("b2 IDLE\r\n")
	assert.Equal(t, "+ idling", b.line())
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 2 EXISTS", b.line())
	a.ok(`a2 STORE 1 +FLAGS (\Answered)`)
	assert.Equal(t, `* 1 FETCH (UID 1 FLAGS (\Answered))`, b.line())
	a.ok(`a3 STORE 1 +FLAGS ($Important)`)
	// A new keyword: FLAGS and PERMANENTFLAGS first (RFC 9051 7.3.5).
	assert.Equal(t, `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)`, b.line())
	assert.Regexp(t, `^\* OK \[PERMANENTFLAGS \(.*\$Important.*\)\]`, b.line())
	assert.Equal(t, `* 1 FETCH (UID 1 FLAGS (\Answered $Important))`, b.line())
	a.ok(`a4 STORE 1 +FLAGS (\Deleted)`)
	assert.Equal(t, `* 1 FETCH (UID 1 FLAGS (\Answered $Important \Deleted))`, b.line())
	a.ok("a5 EXPUNGE")
	assert.Equal(t, `* 1 EXPUNGE`, b.line())
	b.send("DONE\r\n")
	assert.Equal(t, []string{"b2 OK IDLE terminated"}, b.until("b2"))
	assert.Equal(t, []string{`* 1 FETCH (UID 2)`}, b.ok("b3 FETCH 1 UID"))
}

func TestCloseExpungesUnselectDoesNot(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg, `\Deleted`)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Empty(t, c.ok("b UNSELECT"))
	r := c.ok("c SELECT INBOX")
	assert.Contains(t, r, "* 2 EXISTS")
	assert.Empty(t, c.ok("d CLOSE"))
	assert.Equal(t, []string{`* STATUS INBOX (MESSAGES 1)`}, c.ok("e STATUS INBOX (MESSAGES)"))
}

func TestCopyMove(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 3; i++ {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("a CREATE Archive")
	c.ok("b SELECT INBOX")
	assert.Equal(t, []string{"c OK [COPYUID V 1:2 1:2] COPY completed"}, norm(c.cmd("c COPY 1:2 Archive")))
	assert.Equal(t, []string{"d NO [TRYCREATE] No such mailbox"}, c.cmd("d COPY 1 Nope"))
	// RFC 6851 4.3: COPYUID untagged, then the EXPUNGEs.
	assert.Equal(t, []string{
		"* OK [COPYUID V 2:3 3:4] Moved",
		"* 2 EXPUNGE",
		"* 2 EXPUNGE",
		"e OK MOVE completed",
	}, norm(c.cmd("e MOVE 2:3 Archive")))
	assert.Equal(t, []string{
		"* OK [COPYUID V 1 5] Moved",
		"* 1 EXPUNGE",
		"f OK MOVE completed",
	}, norm(c.cmd("f UID MOVE 1 Archive")))
	assert.Equal(t, []string{`* STATUS Archive (MESSAGES 5 UIDNEXT 6)`}, c.ok("g STATUS Archive (MESSAGES UIDNEXT)"))
	assert.Equal(t, []string{"h BAD Invalid message sequence number"}, c.cmd("h COPY 1 Archive"))
}

func TestUIDExpunge(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 3; i++ {
		ts.deliver(t, "INBOX", testMsg, `\Deleted`)
	}
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Equal(t, []string{"* 2 EXPUNGE"}, c.ok("b UID EXPUNGE 2"))
	assert.Equal(t, []string{"* 1 EXPUNGE", "* 1 EXPUNGE"}, c.ok("c EXPUNGE"))
}

func TestSequenceErrors(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	// An empty mailbox: "*" stands for nothing, a number is an error.
	assert.Empty(t, c.ok("b FETCH * FLAGS"))
	assert.Empty(t, c.ok("c FETCH 1:* FLAGS"))
	assert.Equal(t, []string{"d BAD Invalid message sequence number"}, c.cmd("d FETCH 1 FLAGS"))
	assert.Empty(t, c.ok("e UID FETCH 1:100 FLAGS"))
}

// suppress unused warnings until more tests use them.
var _ = require.NoError
var _ = strings.Contains

// TestRecentClaimedOnce: a message is \Recent in the first IMAP4rev1
// session that selects the mailbox after it arrived, and in no other
// (RFC 3501 2.3.2); EXAMINE does not claim it.
func TestRecentClaimedOnce(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	a := ts.login(t)
	b := ts.login(t)
	a.ok("a1 CREATE Archive")
	a.ok("a2 SELECT INBOX")
	// A COPY into another mailbox arrives there unclaimed.
	a.ok("a3 COPY 1 Archive")
	assert.Contains(t, b.ok("b1 EXAMINE Archive"), "* 1 RECENT")
	assert.Equal(t, []string{`* 1 FETCH (FLAGS (\Recent))`}, b.ok("b2 FETCH 1 FLAGS"))
	assert.Equal(t, []string{`* STATUS Archive (RECENT 1)`}, a.ok("a4 STATUS Archive (RECENT)"))
	assert.Contains(t, a.ok("a5 SELECT Archive"), "* 1 RECENT")
	assert.Contains(t, b.ok("b3 SELECT Archive"), "* 0 RECENT")
	assert.Empty(t, b.ok("b4 NOOP"))
	// A new message reaches b with RECENT when b claims it.
	a.ok("a6 UNSELECT")
	a.ok("a7 SELECT INBOX")
	a.ok("a8 COPY 1 Archive")
	assert.Equal(t, []string{"* 2 EXISTS", "* 1 RECENT"}, b.ok("b5 NOOP"))
}

// TestRFC9051ExpungeExample is the example of RFC 9051 6.4.3: messages
// 3, 4, 7 and 11 have \Deleted; each EXPUNGE shifts the numbers after
// it.
func TestRFC9051ExpungeExample(t *testing.T) {
	ts := newTestServer(t)
	for i := 1; i <= 12; i++ {
		var flags []string
		switch i {
		case 3, 4, 7, 11:
			flags = []string{`\Deleted`}
		}
		ts.deliver(t, "INBOX", testMsg, flags...)
	}
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Equal(t, []string{
		"* 3 EXPUNGE",
		"* 3 EXPUNGE",
		"* 5 EXPUNGE",
		"* 8 EXPUNGE",
		"A202 OK EXPUNGE completed",
	}, c.cmd("A202 EXPUNGE"))
	assert.Equal(t, []string{"* 3 FETCH (UID 5)", "* 8 FETCH (UID 12)"}, c.ok("b FETCH 3,8 UID"))
}

// TestRFC9051StoreExample follows RFC 9051 6.4.6.
func TestRFC9051StoreExample(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg, `\Seen`)
	ts.deliver(t, "INBOX", testMsg, `$Keyword`)
	ts.deliver(t, "INBOX", testMsg, `\Flagged`, `\Seen`)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Equal(t, []string{
		`* 2 FETCH (FLAGS (\Seen \Deleted))`,
		`* 3 FETCH (FLAGS ($Keyword \Deleted))`,
		`* 4 FETCH (FLAGS (\Flagged \Seen \Deleted))`,
		`A003 OK STORE completed`,
	}, c.cmd(`A003 STORE 2:4 +FLAGS (\Deleted)`))
	assert.Equal(t, []string{
		`* 4 FETCH (FLAGS (\Flagged))`,
		`A004 OK STORE completed`,
	}, c.cmd(`A004 STORE 4 FLAGS (\Flagged)`))
	assert.Equal(t, []string{
		`* 3 FETCH (UID 3 FLAGS (\Deleted))`,
		`A005 OK STORE completed`,
	}, c.cmd(`A005 UID STORE 3 -FLAGS ($keyword)`))
	assert.Regexp(t, `^A006 BAD `, c.cmd(`A006 STORE 1 +FLAGS (\Bogus)`)[0])
	// \Recent cannot be set (RFC 9051 2.3.2) and is ignored.
	assert.Equal(t, []string{`* 1 FETCH (FLAGS ())`, `A007 OK STORE completed`}, c.cmd(`A007 STORE 1 +FLAGS (\Recent)`))
}

// A session that deletes its own selected mailbox leaves the selected
// state, and says so with [CLOSED] to IMAP4rev1 clients too.
func TestDeleteSelectedMailbox(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE box")
	c.ok("b SELECT box")
	assert.Equal(t, []string{"* OK [CLOSED] Mailbox deleted", "c OK DELETE completed"}, c.cmd("c DELETE box"))
	assert.Equal(t, []string{"d BAD FETCH not valid in this state"}, c.cmd("d FETCH 1 FLAGS"))
}
