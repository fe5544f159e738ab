package imap

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notifyQuiet checks that nothing arrives unasked for: a NOOP gets its
// tagged OK alone.
func notifyQuiet(t *testing.T, c *wireClient, tag string) {
	t.Helper()
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, []string{tag + " OK NOOP completed"}, c.cmd(tag+" NOOP"))
}

func TestNotifyCapability(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	r := c.ok("a CAPABILITY")
	require.Len(t, r, 1)
	assert.Contains(t, r[0], " NOTIFY")
}

// TestNotifyRFCExample31 plays the example of RFC 5465 3.1. The
// example's "(subtree Lists MessageNew)" breaks the rule of RFC 5465 5
// (MessageNew and MessageExpunge together, else BAD), so it is refused
// as written and played with both events.
func TestNotifyRFCExample31(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("x1 CREATE Lists/Lemonade")
	c.ok("x2 CREATE Lists/Im2000")
	c.ok("x3 CREATE misc")
	ts.deliver(t, "Lists/Lemonade", testMsg)

	r := c.cmd("b notify set status (selected MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge) (subtree Lists MessageNew)")
	assert.Equal(t, []string{"b BAD MessageNew and MessageExpunge must be given together"}, r)

	r = c.ok("b notify set status (selected MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge) (subtree Lists (MessageNew MessageExpunge))")
	// CREATE made the parent Lists a mailbox, which the subtree holds.
	require.Len(t, r, 3)
	assert.Regexp(t, `^\* STATUS Lists \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0\)$`, r[0])
	assert.Regexp(t, `^\* STATUS Lists/Im2000 \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0\)$`, r[1])
	assert.Regexp(t, `^\* STATUS Lists/Lemonade \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$`, r[2])
	c.ok("c select inbox")

	// A new message is delivered to Lists/Lemonade: no command runs.
	ts.deliver(t, "Lists/Lemonade", testMsg)
	assert.Regexp(t, `^\* STATUS Lists/Lemonade \(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \d+ UNSEEN 2\)$`, c.line())

	// A new message is delivered to INBOX.
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 1 EXISTS", c.line())
	hdr := "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: hello\r\n\r\n"
	assert.Equal(t, "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (from to subject)] "+fmtLiteral(hdr)+")", c.line())

	r = c.ok("d STATUS misc (UIDVALIDITY UIDNEXT MESSAGES)")
	assert.Regexp(t, `^\* STATUS misc \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+\)$`, r[0])
	r = c.cmd("e notify set (selected MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge) (subtree Lists MessageNew) (mailboxes misc MessageNew)")
	assert.Equal(t, []string{"e BAD MessageNew and MessageExpunge must be given together"}, r)
	assert.Empty(t, c.ok("e notify set (selected MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge) (subtree Lists (MessageNew MessageExpunge)) (mailboxes misc (MessageNew MessageExpunge))"))
	ts.deliver(t, "misc", testMsg)
	assert.Regexp(t, `^\* STATUS misc \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$`, c.line())
}

// TestNotifySelectedEvents: RFC 5465 5.1, 5.2 and 5.3 in the selected
// mailbox, sent as they happen under SELECTED.
func TestNotifySelectedEvents(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a ENABLE IMAP4rev2")
	c.ok("b SELECT INBOX")
	assert.Empty(t, c.ok("c NOTIFY SET (selected (MessageNew (uid) MessageExpunge FlagChange))"))

	// 5.2: "* 444 EXISTS", "* 444 FETCH (UID 9999)".
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 2 EXISTS", c.line())
	assert.Equal(t, "* 2 FETCH (UID 2)", c.line())

	// 5.1: a flag change by another session.
	other.ok("o1 SELECT INBOX")
	other.ok("o2 STORE 2 +FLAGS (\\Flagged)")
	assert.Equal(t, "* 2 FETCH (UID 2 FLAGS (\\Flagged))", c.line())

	// 5.3: "* 444 EXPUNGE".
	other.ok("o3 STORE 1 +FLAGS (\\Deleted)")
	assert.Equal(t, "* 1 FETCH (UID 1 FLAGS (\\Deleted))", c.line())
	other.ok("o4 EXPUNGE")
	assert.Equal(t, "* 1 EXPUNGE", c.line())
	notifyQuiet(t, c, "d")
}

// TestNotifySelectedVanished: RFC 5465 5.3 with QRESYNC: VANISHED.
func TestNotifySelectedVanished(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a ENABLE QRESYNC")
	c.ok("b SELECT INBOX")
	c.ok("c NOTIFY SET (selected (MessageNew MessageExpunge))")
	other := ts.login(t)
	other.ok("o1 SELECT INBOX")
	other.ok("o2 STORE 1 +FLAGS.SILENT (\\Deleted)")
	assert.Equal(t, "* 1 FETCH (UID 1 FLAGS (\\Deleted) MODSEQ (3))", c.line())
	other.ok("o3 EXPUNGE")
	assert.Equal(t, "* VANISHED 1", c.line())
}

// TestNotifyOtherMailboxes: RFC 5465 5.1, 5.2, 5.3 in another mailbox:
// STATUS, with HIGHESTMODSEQ once CONDSTORE is on.
func TestNotifyOtherMailboxes(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a CREATE misc")
	c.ok("b NOTIFY SET (mailboxes misc (MessageNew MessageExpunge FlagChange))")
	other.ok("o1 SELECT misc")
	other.ok("o2 APPEND misc " + fmtLiteral(testMsg))
	assert.Regexp(t, `^\* STATUS misc \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$`, c.line())
	c.ok("c ENABLE CONDSTORE")
	other.ok("o3 STORE 1 +FLAGS (\\Deleted)")
	assert.Regexp(t, `^\* STATUS misc \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1 HIGHESTMODSEQ \d+\)$`, c.line())
	other.ok("o4 EXPUNGE")
	assert.Regexp(t, `^\* STATUS misc \(MESSAGES 0 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 0 HIGHESTMODSEQ \d+\)$`, c.line())
	// INBOX is not watched.
	ts.deliver(t, "INBOX", testMsg)
	notifyQuiet(t, c, "d")
}

// TestNotifyMailboxName: RFC 5465 5.4: CREATE, DELETE and RENAME by
// another session give LIST; the session's own do not (RFC 5465 5).
func TestNotifyMailboxName(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a NOTIFY SET (personal (MailboxName))")
	other.ok("o1 CREATE NewMailbox")
	assert.Equal(t, `* LIST (\HasNoChildren) "/" NewMailbox`, c.line())
	other.ok("o2 RENAME NewMailbox OtherMailbox")
	assert.Equal(t, `* LIST (\HasNoChildren) "/" OtherMailbox ("OLDNAME" (NewMailbox))`, c.line())
	other.ok("o3 DELETE OtherMailbox")
	assert.Equal(t, `* LIST (\NonExistent) "/" OtherMailbox`, c.line())
	c.ok("b CREATE Mine")
	notifyQuiet(t, c, "c")
}

// TestNotifySubscriptionChange: RFC 5465 5.5.
func TestNotifySubscriptionChange(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a CREATE SubscribedMailbox")
	c.ok("b NOTIFY SET (personal (SubscriptionChange))")
	other.ok("o1 SUBSCRIBE SubscribedMailbox")
	assert.Equal(t, `* LIST (\HasNoChildren \Subscribed) "/" SubscribedMailbox`, c.line())
	other.ok("o2 UNSUBSCRIBE SubscribedMailbox")
	assert.Equal(t, `* LIST (\HasNoChildren) "/" SubscribedMailbox`, c.line())
}

// TestNotifyBadEvent: RFC 5465 3.1: unsupported events are refused
// with NO [BADEVENT] listing the supported ones, the metadata events
// among them since the store keeps annotations (5.6, 5.7).
func TestNotifyBadEvent(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	const no = " NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)] Unsupported event"
	assert.Equal(t, []string{"c" + no}, c.cmd("c NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))"))
	assert.Equal(t, []string{"d" + no}, c.cmd("d NOTIFY SET (personal (SomethingNew))"))
	c.ok("e NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))")
}

// TestNotifyMailboxMetadataChange: RFC 5465 5.6 and RFC 5464 4.4.2: the
// names of the entries another session set or removed, without values;
// nothing for the session's own changes or for a value set again.
func TestNotifyMailboxMetadataChange(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a CREATE Lists")
	c.ok("b NOTIFY SET (mailboxes (INBOX Lists) (MailboxMetadataChange))")
	other.ok(`o1 SETMETADATA INBOX (/shared/comment "Shared comment")`)
	assert.Equal(t, `* METADATA INBOX /shared/comment`, c.line())
	other.ok(`o2 SETMETADATA Lists (/private/comment "mine" /shared/comment "ours")`)
	assert.Equal(t, `* METADATA Lists /private/comment /shared/comment`, c.line())
	// Removed entries are always named (5.6).
	other.ok(`o3 SETMETADATA Lists (/private/comment NIL /shared/comment "ours")`)
	assert.Equal(t, `* METADATA Lists /private/comment`, c.line())
	other.ok(`o4 SETMETADATA Lists (/shared/comment "ours" /private/absent NIL)`)
	c.ok(`c SETMETADATA INBOX (/shared/comment "by me")`)
	other.ok(`o5 CREATE Elsewhere`)
	other.ok(`o6 SETMETADATA Elsewhere (/shared/comment "not watched")`)
	other.ok(`o7 SETMETADATA "" (/shared/comment "server")`)
	notifyQuiet(t, c, "d")
}

// TestNotifyServerMetadataChange: RFC 5465 5.7: the server's entries,
// "" in the METADATA response.
func TestNotifyServerMetadataChange(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a NOTIFY SET (subscribed (ServerMetadataChange))")
	other.ok(`o1 SETMETADATA "" (/shared/comment "Shared comment")`)
	assert.Equal(t, `* METADATA "" /shared/comment`, c.line())
	other.ok(`o2 SETMETADATA INBOX (/shared/comment "a mailbox's")`)
	other.ok(`o3 SETMETADATA "" (/shared/comment NIL)`)
	assert.Equal(t, `* METADATA "" /shared/comment`, c.line())
	notifyQuiet(t, c, "b")
	assert.Equal(t, []string{"c BAD Only message events for SELECTED"}, c.cmd("c NOTIFY SET (selected (MailboxMetadataChange))"))
}

// TestNotifyBad: the rules RFC 5465 5, 6.1 and 8 make BAD.
func TestNotifyBad(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	for _, tc := range []struct{ cmd, want string }{
		{"NOTIFY SET (personal (MessageNew))", "BAD MessageNew and MessageExpunge must be given together"},
		{"NOTIFY SET (personal (MessageExpunge))", "BAD MessageNew and MessageExpunge must be given together"},
		{"NOTIFY SET (personal (FlagChange))", "BAD FlagChange and AnnotationChange need MessageNew and MessageExpunge"},
		{"NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))", "BAD Only one of SELECTED and SELECTED-DELAYED"},
		{"NOTIFY SET (selected (MailboxName))", "BAD Only message events for SELECTED"},
		{"NOTIFY SET (personal (MessageNew (uid) MessageExpunge))", "BAD MessageNew fetch attributes need SELECTED"},
		{"NOTIFY SET (elsewhere (MailboxName))", `BAD Syntax error: unknown mailbox filter "elsewhere"`},
		{"NOTIFY SET", "BAD Syntax error"},
		{"NOTIFY MAYBE", `BAD Syntax error: expected SET or NONE, got "MAYBE"`},
	} {
		r := c.cmd("t " + tc.cmd)
		require.Len(t, r, 1, tc.cmd)
		assert.Contains(t, r[0], "t "+tc.want, tc.cmd)
	}
	assert.Equal(t, []string{"u BAD NOTIFY not valid in this state"}, ts.dial(t).cmd("u NOTIFY NONE"))
}

// TestNotifyRFCExamples6: the examples of RFC 5465 6.
func TestNotifyRFCExamples6(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	assert.Empty(t, c.ok("a notify set (mailboxes INBOX (Messagenew messageExpunge)) (personal (SubscriptionChange))"))
	ts.deliver(t, "INBOX", testMsg)
	assert.Regexp(t, `^\* STATUS INBOX \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$`, c.line())
	other.ok("o1 SUBSCRIBE INBOX")
	assert.Equal(t, `* LIST (\HasNoChildren \Subscribed) "/" INBOX`, c.line())

	c.ok("b SELECT INBOX")
	assert.Empty(t, c.ok("a notify set (selected (Messagenew (uid flags) messageExpunge)) (personal (MessageNew FlagChange MessageExpunge))"))
	// The selected mailbox's events follow SELECTED, not personal.
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 2 EXISTS", c.line())
	assert.Equal(t, "* 2 FETCH (UID 2 FLAGS ())", c.line())
}

// TestNotifyNoneStops: after NOTIFY NONE nothing comes unasked for.
func TestNotifyNoneStops(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a CREATE misc")
	c.ok("b NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))")
	ts.deliver(t, "misc", testMsg)
	assert.Regexp(t, `^\* STATUS misc `, c.line())
	c.ok("c NOTIFY NONE")
	ts.deliver(t, "misc", testMsg)
	other.ok("o1 CREATE more")
	notifyQuiet(t, c, "d")
}

// TestNotifySelectedDelayedIdle: under SELECTED-DELAYED an expunge waits
// for a command that allows it, and IDLE reports what NOTIFY asks for
// (RFC 5465 4, 6.1.2), other mailboxes included.
func TestNotifySelectedDelayedIdle(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a CREATE misc")
	c.ok("b SELECT INBOX")
	c.ok("c NOTIFY SET (selected-delayed (MessageNew MessageExpunge)) (mailboxes misc (MessageNew MessageExpunge))")
	other.ok("o1 SELECT INBOX")
	other.ok("o2 STORE 1 +FLAGS.SILENT (\\Deleted)")
	other.ok("o3 EXPUNGE")
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, []string{"* 1 EXPUNGE", "d OK NOOP completed"}, c.cmd("d NOOP"))

	c.send("e IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 1 EXISTS", c.line())
	ts.deliver(t, "misc", testMsg)
	assert.Regexp(t, `^\* STATUS misc \(MESSAGES 1 `, c.line())
	c.send("DONE\r\n")
	assert.Equal(t, []string{"e OK IDLE terminated"}, c.until("e"))
}

// TestNotifyLiteralBetweenNotifications: a command with a synchronising
// literal is read while notifications go out.
func TestNotifyLiteralBetweenNotifications(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE misc")
	c.ok("b NOTIFY SET (mailboxes misc (MessageNew MessageExpunge))")
	c.send("c STATUS {4}\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	ts.deliver(t, "misc", testMsg)
	assert.Regexp(t, `^\* STATUS misc \(MESSAGES 1 `, c.line())
	c.send("misc (MESSAGES)\r\n")
	assert.Equal(t, []string{"* STATUS misc (MESSAGES 1)", "c OK STATUS completed"}, c.until("c"))
}

// TestNotifyNoFetchForOwnMessages: RFC 5465 5.2: no FETCH for the
// messages the session itself put in the selected mailbox (APPEND,
// COPY, MOVE); another session's still get theirs.
func TestNotifyNoFetchForOwnMessages(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE Other")
	c.ok("s SELECT INBOX")
	c.ok("n NOTIFY SET (selected (MessageNew (UID) MessageExpunge))")
	r := c.ok("b APPEND INBOX {5+}\r\nhello")
	assert.Equal(t, []string{"* 1 EXISTS", "* 1 RECENT"}, r)
	r = c.ok("d COPY 1 INBOX")
	assert.Equal(t, []string{"* 2 EXISTS", "* 2 RECENT"}, r)
	c.ok("e APPEND Other {5+}\r\nhello")
	notifyQuiet(t, c, "f")
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 3 EXISTS", c.line())
	assert.Equal(t, "* 3 FETCH (UID 3)", c.line())
}
