package imap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The messages of the example of RFC 3502 6.3.11.
const (
	rfc3502Msg1 = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n" +
		"From: Fred Foobar <foobar@Blurdybloop.example.COM>\r\n" +
		"Subject: afternoon meeting\r\n" +
		"To: mooch@owatagu.example.net\r\n" +
		"Message-Id: <B27397-0100000@Blurdybloop.example.COM>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
		"\r\n" +
		"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
	rfc3502Msg2 = "Date: Mon, 7 Feb 1994 22:43:04 -0800 (PST)\r\n" +
		"From: Joe Mooch <mooch@OWaTaGu.example.net>\r\n" +
		"Subject: Re: afternoon meeting\r\n" +
		"To: foobar@blurdybloop.example.com\r\n" +
		"Message-Id: <a0434793874930@OWaTaGu.example.net>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
		"\r\n" +
		"3:30 is fine with me.\r\n"
	rfc3502Msg3 = "Date: Mon, 7 Feb 2000 22:43:04 -0800 (PST)\r\n" +
		"From: Fred Foobar <fred@example.com>\r\n" +
		"Subject: hmm...\r\n"
)

func TestMultiAppendRFC3502Example(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.MaxAppendBytes = 35402 })
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "MULTIAPPEND")
	c.ok("b CREATE saved-messages")
	c.ok("c CREATE test")

	// RFC 3502 6.3.11, the first example: two messages in one APPEND.
	require.Len(t, rfc3502Msg1, 329)
	require.Len(t, rfc3502Msg2, 295)
	c.send(`A003 APPEND saved-messages (\Seen) {329}` + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(rfc3502Msg1 + ` (\Seen) " 7-Feb-1994 22:43:04 -0800" {295}` + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(rfc3502Msg2 + "\r\n")
	// RFC 3502 with UIDPLUS: APPENDUID gives every UID, in order.
	assert.Equal(t, []string{"A003 OK [APPENDUID V 1:2] APPEND completed"}, norm(c.until("A003")))

	// The second: no such mailbox. This server asks for the literal
	// before it looks at the mailbox, which RFC 3502 allows.
	c.send(`A004 APPEND bogusname (\Flagged) {1023}` + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(strings.Repeat("x", 1023) + "\r\n")
	assert.Equal(t, []string{"A004 NO [TRYCREATE] No such mailbox"}, c.until("A004"))

	// The third: the second message is refused before it is sent (here
	// over APPENDLIMIT rather than over quota), and the first is not kept.
	require.Len(t, rfc3502Msg3, 99)
	c.send(`A005 APPEND test (\Flagged) {99}` + "\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(rfc3502Msg3 + " {35403}\r\n")
	assert.Equal(t, []string{"A005 NO [TOOBIG] Message too big"}, c.until("A005"))

	assert.Equal(t, []string{`* STATUS test (MESSAGES 0 UIDNEXT 2)`}, c.ok("d STATUS test (MESSAGES UIDNEXT)"))
	assert.Equal(t, []string{`* STATUS saved-messages (MESSAGES 2)`}, c.ok("e STATUS saved-messages (MESSAGES)"))
	c.ok("f SELECT saved-messages")
	assert.Equal(t, []string{
		`* 1 FETCH (UID 1 FLAGS (\Seen \Recent) RFC822.SIZE 329 BODY[HEADER.FIELDS (SUBJECT)] {30}` + "\r\nSubject: afternoon meeting\r\n\r\n)",
		`* 2 FETCH (UID 2 FLAGS (\Seen \Recent) RFC822.SIZE 295 BODY[HEADER.FIELDS (SUBJECT)] {34}` + "\r\nSubject: Re: afternoon meeting\r\n\r\n)",
	}, c.ok("g FETCH 1:2 (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
	assert.Equal(t, []string{`* 2 FETCH (INTERNALDATE "07-Feb-1994 22:43:04 -0800")`}, c.ok("h FETCH 2 INTERNALDATE"))
}

func TestMultiAppendAllOrNothing(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	lit := func(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }

	// A zero-length literal cancels the APPEND (RFC 3502 6.3.11); the
	// messages after it, sent without waiting, are read and dropped.
	c.send("a APPEND INBOX " + lit(testMsg) + " " + lit("") + " (\\Seen) " + lit(testMsg) + "\r\n")
	assert.Equal(t, []string{"a NO APPEND cancelled: empty message"}, c.until("a"))
	// A bad flag on the second message.
	c.send("b APPEND INBOX " + lit(testMsg) + " (\\Bogus) " + lit(testMsg) + "\r\n")
	assert.Equal(t, []string{"b BAD Invalid flag \\Bogus"}, c.until("b"))
	// A syntax error after the first message.
	c.send("c APPEND INBOX " + lit(testMsg) + " junk\r\n")
	assert.Equal(t, []string{`c BAD Syntax error: expected '{', got 'j'`}, c.until("c"))
	// A synchronising literal after a failure is refused: the client
	// sends nothing more.
	c.send("d APPEND INBOX " + lit(testMsg) + " " + lit("") + " {10}\r\n")
	assert.Equal(t, []string{"d NO APPEND cancelled: empty message"}, c.until("d"))
	assert.Equal(t, []string{`* STATUS INBOX (MESSAGES 0 UIDNEXT 5)`}, c.ok("e STATUS INBOX (MESSAGES UIDNEXT)"))

	// With the mailbox selected, the session sees the messages come and
	// go, as another session's changes.
	c.ok("f SELECT INBOX")
	c.send("g APPEND INBOX " + lit(testMsg) + " " + lit(testMsg) + " " + lit("") + "\r\n")
	assert.Equal(t, []string{"g NO APPEND cancelled: empty message"}, c.until("g"))
	assert.Equal(t, []string{"* 2 EXISTS", "* 1 EXPUNGE", "* 1 EXPUNGE"}, c.ok("h NOOP"))
	assert.Equal(t, []string{`* STATUS INBOX (MESSAGES 0)`}, c.ok("i STATUS INBOX (MESSAGES)"))

	// Success into the selected mailbox: EXISTS, then the UIDs.
	c.send("j APPEND INBOX " + lit(testMsg) + " (\\Flagged) " + lit(testMsg) + " " + lit(testMsg) + "\r\n")
	assert.Equal(t, []string{"* 3 EXISTS", "* 3 RECENT", "j OK [APPENDUID V 7:9] APPEND completed"}, norm(c.until("j")))
	assert.Equal(t, []string{`* 2 FETCH (UID 8 FLAGS (\Flagged \Recent))`}, c.ok("k FETCH 2 (UID FLAGS)"))
}

func TestNextAppendMessage(t *testing.T) {
	d := newDec(`a APPEND box (\Seen) {1+}` + "\r\nx" + ` (\Draft) " 7-Feb-1994 22:43:04 -0800" {2+}` + "\r\nyz UTF8 (~{1+}\r\nw)\r\nb NOOP\r\n")
	cmd, err := ReadCommand(d)
	require.NoError(t, err)
	a := cmd.Args.(*AppendCommand)
	assert.Equal(t, []string{`\Seen`}, a.Flags)
	n, err := d.NextAppendMessage()
	require.NoError(t, err)
	require.NotNil(t, n)
	assert.Equal(t, []string{`\Draft`}, n.Flags)
	assert.Equal(t, 1994, n.Date.Year())
	assert.Equal(t, int64(2), n.Literal.Size)
	n, err = d.NextAppendMessage()
	require.NoError(t, err)
	require.NotNil(t, n)
	assert.True(t, n.UTF8)
	n, err = d.NextAppendMessage()
	require.NoError(t, err)
	assert.Nil(t, n)
	cmd, err = ReadCommand(d)
	require.NoError(t, err)
	assert.Equal(t, "NOOP", cmd.Name)
}

// TestMultiAppendClient drives the server's MULTIAPPEND with the
// package's own client.
func TestMultiAppendClient(t *testing.T) {
	ts := newTestServer(t)
	cl := ts.loggedIn(t, nil)
	ctx := clientCtx(t)
	msg := func(s string) AppendMessage {
		return AppendMessage{Reader: strings.NewReader(s), Size: int64(len(s)), Flags: []string{`\Seen`}}
	}
	res, err := cl.AppendMulti(ctx, "INBOX", []AppendMessage{msg(rfc3502Msg1), msg(rfc3502Msg2)})
	require.NoError(t, err)
	assert.Equal(t, "1:2", res.UIDs.String())
	_, err = cl.AppendMulti(ctx, "INBOX", []AppendMessage{msg(testMsg), msg("")})
	require.Error(t, err)
	c := ts.login(t)
	assert.Equal(t, []string{`* STATUS INBOX (MESSAGES 2)`}, c.ok("a STATUS INBOX (MESSAGES)"))
}
