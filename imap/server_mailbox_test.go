package imap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAppend(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.send(`a APPEND INBOX (\Seen $Work) "02-Jan-2026 03:04:05 +0100" ` + fmtLiteral(testMsg) + "\r\n")
	assert.Equal(t, []string{"+ Ready for literal data", "a OK [APPENDUID V 1] APPEND completed"}, norm(c.until("a")))
	// LITERAL+ (RFC 7888): no continuation request.
	c.send(fmt.Sprintf("b APPEND INBOX {%d+}\r\n%s\r\n", len(testMsg), testMsg))
	assert.Equal(t, []string{"b OK [APPENDUID V 2] APPEND completed"}, norm(c.until("b")))
	c.send(fmt.Sprintf("c APPEND Nope {%d+}\r\n%s\r\n", len(testMsg), testMsg))
	assert.Equal(t, []string{"c NO [TRYCREATE] No such mailbox"}, c.until("c"))
	r := c.ok("d SELECT INBOX")
	assert.Contains(t, r, "* 2 EXISTS")
	assert.Contains(t, r, "* 2 RECENT", "appended by a session without the mailbox selected: recent for the next one (RFC 3501 2.3.2)")
	assert.Equal(t, []string{`* 1 FETCH (FLAGS (\Seen $Work \Recent) INTERNALDATE "02-Jan-2026 03:04:05 +0100")`},
		c.ok("e FETCH 1 (FLAGS INTERNALDATE)"))
	// An APPEND to the selected mailbox: EXISTS before the tagged OK.
	c.send(fmt.Sprintf("f APPEND INBOX {%d+}\r\n%s\r\n", len(testMsg), testMsg))
	assert.Equal(t, []string{"* 3 EXISTS", "* 3 RECENT", "f OK [APPENDUID V 3] APPEND completed"}, norm(c.until("f")))
}

func TestAppendLimit(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.MaxAppendBytes = 100 })
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "APPENDLIMIT=100")
	// RFC 7889 4: refused before the literal is sent.
	c.send("b APPEND INBOX {101}\r\n")
	assert.Equal(t, []string{"b NO [TOOBIG] Message too big"}, c.until("b"))
	// A small non-synchronising literal is read and thrown away.
	c.send("c APPEND INBOX {200+}\r\n" + strings.Repeat("x", 200) + "\r\n")
	assert.Equal(t, []string{"c NO [TOOBIG] Message too big"}, c.until("c"))
	c.ok("d NOOP")
	assert.Equal(t, []string{`* STATUS INBOX (MESSAGES 0 APPENDLIMIT 100)`}, c.ok("e STATUS INBOX (MESSAGES APPENDLIMIT)"))
	// A large one cannot be skipped: BYE.
	c.send("f APPEND INBOX {100000+}\r\n")
	assert.Equal(t, "* BYE [TOOBIG] Literal too big", c.line())
	c.expectClosed()
}

func TestLiteralBeforeLogin(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	// An unauthenticated client cannot make the server read a large
	// literal: no continuation request.
	c.send("a LOGIN {5000}\r\n")
	assert.Equal(t, []string{"a BAD [TOOBIG] Literal too big"}, c.until("a"))
	c.send("b LOGIN {5}\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send("alice {6}\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send("secret\r\n")
	r := c.until("b")
	assert.Regexp(t, `^b OK \[CAPABILITY .*\] LOGIN completed$`, r[len(r)-1])

	c2 := ts.dial(t)
	c2.send("c LOGIN alice {1000000+}\r\n")
	assert.Equal(t, "* BYE [TOOBIG] Literal too big", c2.line())
	c2.expectClosed()
}

func TestLineTooLong(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.MaxLineLength = 1000 })
	c := ts.dial(t)
	c.send("a LOGIN " + strings.Repeat("x", 2000) + " y\r\n")
	assert.Equal(t, "* BYE [TOOBIG] Command too long", c.line())
	c.expectClosed()
}

func TestMailboxCommands(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE Work/Projects")
	assert.Equal(t, []string{"b NO [ALREADYEXISTS] Mailbox already exists"}, c.cmd("b CREATE Work"))
	c.ok("c RENAME Work/Projects Work/Done")
	assert.Equal(t, []string{"d NO [NONEXISTENT] No such mailbox"}, c.cmd("d STATUS Work/Projects (MESSAGES)"))
	assert.Equal(t, []string{"* STATUS Work/Done (MESSAGES 0 UNSEEN 0 DELETED 0 RECENT 0 SIZE 0)"},
		c.ok("e STATUS Work/Done (MESSAGES UNSEEN DELETED SIZE RECENT)"))
	assert.Regexp(t, `^f BAD `, c.cmd("f STATUS INBOX (BOGUS)")[0])
	c.ok("g DELETE Work/Done")
	assert.Equal(t, []string{"h NO [NOPERM] Operation not allowed"}, c.cmd("h DELETE INBOX"))
	c.ok("i SUBSCRIBE Work")
	c.ok("j UNSUBSCRIBE Work")
	// Modified UTF-7 names (RFC 3501 5.1.3) cross as they are.
	c.ok("k CREATE &AOk-t&AOk-")
	assert.Equal(t, []string{"* STATUS &AOk-t&AOk- (MESSAGES 0)"}, c.ok("l STATUS &AOk-t&AOk- (MESSAGES)"))
	// IMAP4rev2: UTF-8 names.
	c.ok("m ENABLE IMAP4rev2")
	assert.Equal(t, []string{`* STATUS "été" (MESSAGES 0)`}, c.ok(`n STATUS "été" (MESSAGES)`))
	c.ok(`o CREATE Sent (USE (\Sent))`)
}

func TestSelectedMailboxDeleted(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t)
	b := ts.login(t)
	a.ok("a1 CREATE Box")
	ts.deliver(t, "Box", testMsg)
	b.ok("b1 SELECT Box")
	a.ok("a2 DELETE Box")
	b.send("b2 NOOP\r\n")
	assert.Equal(t, "* BYE [UNAVAILABLE] Selected mailbox no longer exists", b.line())
	b.expectClosed()
}

func TestUTF8Accept(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	msg := "Subject: caf\xc3\xa9\r\n\r\nbody caf\xc3\xa9\r\n"
	// RFC 6855 4: 8-bit header fields need ENABLE UTF8=ACCEPT; the body
	// may hold 8-bit octets.
	c.send(fmt.Sprintf("a APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
	assert.Equal(t, []string{"a NO [CANNOT] 8-bit header fields need ENABLE UTF8=ACCEPT"}, c.until("a"))
	body := "Subject: cafe\r\n\r\nbody caf\xc3\xa9\r\n"
	c.send(fmt.Sprintf("b APPEND INBOX {%d+}\r\n%s\r\n", len(body), body))
	assert.Equal(t, []string{"b OK [APPENDUID V 1] APPEND completed"}, norm(c.until("b")))
	c.send(fmt.Sprintf("c APPEND INBOX UTF8 (~{%d+}\r\n%s)\r\n", len(msg), msg))
	assert.Equal(t, []string{"c BAD APPEND UTF8 needs ENABLE UTF8=ACCEPT"}, c.until("c"))

	assert.Equal(t, []string{"* ENABLED UTF8=ACCEPT"}, c.ok("d ENABLE UTF8=ACCEPT"))
	c.send(fmt.Sprintf("e APPEND INBOX UTF8 (~{%d+}\r\n%s)\r\n", len(msg), msg))
	assert.Equal(t, []string{"e OK [APPENDUID V 2] APPEND completed"}, norm(c.until("e")))
	c.ok(`f CREATE "café"`)
	assert.Equal(t, []string{`* STATUS "café" (MESSAGES 0)`}, c.ok(`g STATUS "café" (MESSAGES)`))
	c.ok("h SELECT INBOX")
	assert.Equal(t, []string{"i BAD CHARSET not allowed after ENABLE UTF8=ACCEPT"}, c.cmd("i SEARCH CHARSET UTF-8 ALL"))
}

func TestDeleteRenameSelected(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE Box")
	ts.deliver(t, "Box", testMsg)
	c.ok("b SELECT Box")
	c.ok("c RENAME Box Other")
	c.send(fmt.Sprintf("d APPEND Other {%d+}\r\n%s\r\n", len(testMsg), testMsg))
	assert.Equal(t, []string{"* 2 EXISTS", "* 1 RECENT", "d OK [APPENDUID V 2] APPEND completed"}, norm(c.until("d")))
	// Deleting the selected mailbox deselects it.
	c.ok("e DELETE Other")
	assert.Equal(t, []string{"f BAD FETCH not valid in this state"}, c.cmd("f FETCH 1 UID"))
}

// TestCreateRefusesNonNFCName: RFC 6855 3 (Net-Unicode, RFC 5198 2): a
// new mailbox name must be in Normalization Form C, else it would look
// like "été" and not match it.
func TestCreateRefusesNonNFCName(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a ENABLE UTF8=ACCEPT")
	decomposed := "e\u0301te\u0301"
	assert.Equal(t, []string{"b NO [CANNOT] Invalid mailbox name"}, c.cmd(fmt.Sprintf("b CREATE {%d+}\r\n%s", len(decomposed), decomposed)))
	composed := "\u00e9t\u00e9"
	c.ok(fmt.Sprintf("c CREATE {%d+}\r\n%s", len(composed), composed))
	assert.Equal(t, []string{"d NO [CANNOT] Invalid mailbox name"}, c.cmd(fmt.Sprintf("d RENAME {%d+}\r\n%s {%d+}\r\n%s", len(composed), composed, len(decomposed), decomposed)))
}
