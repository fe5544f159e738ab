package imap

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// idOf returns the objectid of the first "<name> (<id>)" in s.
func idOf(t *testing.T, name, s string) string {
	t.Helper()
	m := regexp.MustCompile(name + ` \(([A-Za-z0-9_-]{1,255})\)`).FindStringSubmatch(s)
	require.NotNil(t, m, "%s in %q", name, s)
	return m[1]
}

func TestObjectIDMailboxRFC8474Examples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "OBJECTID")
	// RFC 8474 4.1.
	r := c.cmd("3 create foo")
	require.Len(t, r, 1)
	assert.Regexp(t, `^3 OK \[MAILBOXID \([A-Za-z0-9_-]+\)\] CREATE completed$`, r[0])
	foo := idOf(t, "MAILBOXID", r[0])
	r = c.cmd("4 create bar")
	require.Len(t, r, 1)
	bar := idOf(t, "MAILBOXID", r[0])
	assert.NotEqual(t, foo, bar)
	assert.Equal(t, []string{"5 NO [ALREADYEXISTS] Mailbox already exists"}, c.cmd("5 create foo"))

	// RFC 8474 4.3.
	assert.Equal(t, []string{"* STATUS foo (MAILBOXID (" + foo + "))"}, c.ok("6 status foo (mailboxid)"))
	assert.Equal(t, []string{"* STATUS bar (MAILBOXID (" + bar + "))"}, c.ok("7 status bar (mailboxid)"))
	c.ok("8 rename foo renamed")
	assert.Equal(t, []string{"* STATUS renamed (MAILBOXID (" + foo + "))"}, c.ok("9 status renamed (mailboxid)"))
	assert.Equal(t, []string{"* STATUS bar (MAILBOXID (" + bar + "))"}, c.ok("10 status bar (mailboxid)"))
	// With LIST-STATUS (RFC 5819).
	r = c.ok(`11 list "" "*" return (status (mailboxid))`)
	require.Len(t, r, 6)
	inbox := idOf(t, "MAILBOXID", r[1])
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`, "* STATUS INBOX (MAILBOXID (" + inbox + "))",
		`* LIST (\HasNoChildren) "/" bar`, "* STATUS bar (MAILBOXID (" + bar + "))",
		`* LIST (\HasNoChildren) "/" renamed`, "* STATUS renamed (MAILBOXID (" + foo + "))",
	}, r)

	// RFC 8474 4.2.
	r = c.ok(`27 select "renamed"`)
	assert.Contains(t, r, "* OK [MAILBOXID ("+foo+")] Ok")
	r = c.ok(`28 examine "bar"`)
	assert.Contains(t, r, "* OK [MAILBOXID ("+bar+")] Ok")
}

func TestObjectIDMessagesRFC8474Examples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE foo")
	msgs := []string{
		"From: a@example.com\r\nSubject: Message A\r\nMessage-ID: <fake.1521475657.54797@example.com>\r\n\r\nA\r\n",
		"From: b@example.org\r\nSubject: Re: Message A\r\nMessage-ID: <fake.1521475657.21213@example.org>\r\nReferences: <fake.1521475657.54797@example.com>\r\n\r\nB\r\n",
		"From: a@example.com\r\nSubject: Message C\r\nMessage-ID: <fake.1521475657.60280@example.com>\r\n\r\nC\r\n",
	}
	for i, tag := range []string{"5", "11", "17"} {
		c.send(fmt.Sprintf("%s append inbox \"20-Mar-2018 03:07:37 +1100\" {%d+}\r\n%s\r\n", tag, len(msgs[i]), msgs[i]))
		assert.Equal(t, []string{fmt.Sprintf("%s OK [APPENDUID V %d] APPEND completed", tag, i+1)}, norm(c.until(tag)))
	}
	c.ok("b select inbox")
	r := c.ok("22 fetch 1:* (emailid threadid)")
	require.Len(t, r, 3)
	var email, thread [3]string
	for i := range r {
		assert.Regexp(t, fmt.Sprintf(`^\* %d FETCH \(EMAILID \([A-Za-z0-9_-]+\) THREADID \([A-Za-z0-9_-]+\)\)$`, i+1), r[i])
		email[i], thread[i] = idOf(t, "EMAILID", r[i]), idOf(t, "THREADID", r[i])
	}
	assert.NotEqual(t, email[0], email[1])
	assert.NotEqual(t, email[0], email[2])
	assert.Equal(t, thread[0], thread[1], "a reply is in its original's thread")
	assert.NotEqual(t, thread[0], thread[2])
	for i := range email {
		assert.NotEqual(t, email[i], thread[i], "RFC 8474 5.2: EMAILID and THREADID values differ")
	}

	// RFC 8474 6, before the MOVE.
	assert.Equal(t, []string{"* SEARCH 1"}, c.ok("27 search emailid "+email[0]))
	assert.Equal(t, []string{"* SEARCH 1 2"}, c.ok("28 search threadid "+thread[0]))
	assert.Equal(t, []string{"* SEARCH"}, c.ok("29 search emailid "+strings.ToUpper(email[0])), "objectids are case-sensitive")
	assert.Equal(t, []string{"* SEARCH 3"}, c.ok("30 search not threadid "+thread[0]))

	c.send("23 move 2 foo\r\n")
	assert.Equal(t, []string{"* OK [COPYUID V 2 1] Moved", "* 2 EXPUNGE", "23 OK MOVE completed"}, norm(c.until("23")))
	assert.Equal(t, []string{
		"* 1 FETCH (EMAILID (" + email[0] + ") THREADID (" + thread[0] + "))",
		"* 2 FETCH (EMAILID (" + email[2] + ") THREADID (" + thread[2] + "))",
	}, c.ok("24 fetch 1:* (emailid threadid)"))
	c.ok(`25 select "foo"`)
	assert.Equal(t, []string{"* 1 FETCH (EMAILID (" + email[1] + ") THREADID (" + thread[1] + "))"}, c.ok("26 fetch 1:* (emailid threadid)"))
	// UID FETCH and a copy keep it too.
	c.ok("c COPY 1 INBOX")
	c.ok("d SELECT INBOX")
	assert.Equal(t, []string{"* 3 FETCH (UID 4 EMAILID (" + email[1] + "))"}, c.ok("e UID FETCH 4 EMAILID"))
}

// noThreadMessage is a message of a store without thread ids.
type noThreadMessage struct{ plainMessage }

func (noThreadMessage) ObjectIDs(context.Context) (mailbox.ObjectIDs, error) {
	return mailbox.ObjectIDs{EmailID: "M00000001"}, nil
}

func TestObjectIDNoThreadID(t *testing.T) {
	// RFC 8474 5.3, the example without THREADID support.
	c := &conn{}
	fd := &FetchData{Seq: 1}
	m := noThreadMessage{plainMessage{uid: 1}}
	require.NoError(t, c.fetchObjectIDs(fd, FetchEmailID, m, nil))
	require.NoError(t, c.fetchObjectIDs(fd, FetchThreadID, m, nil))
	assert.Equal(t, "* 1 FETCH (EMAILID (M00000001) THREADID NIL)\r\n", formatResponse(t, fd))
	r, err := ReadResponse(newDec("* 1 FETCH (EMAILID (M00000001) THREADID NIL)\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, fd, r)
	// A SEARCH THREADID matches nothing.
	res := plainResolver{msgs: []mailbox.Message{m}}
	crit, err := searchCriteria([]SearchKey{{Op: "THREADID", Value: "T1"}}, res)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UIDSet{nil}, crit.UID)
	crit, err = searchCriteria([]SearchKey{{Op: "EMAILID", Value: "M00000001"}}, res)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UIDSet{mailbox.UIDSetOf(1)}, crit.UID)

	// STATUS round trip.
	sd := &StatusData{Mailbox: "foo", Messages: ptr(uint32(2)), MailboxID: "F2212ea87-6097-4256-9d51-71338625"}
	s := formatResponse(t, sd)
	assert.Equal(t, "* STATUS foo (MESSAGES 2 MAILBOXID (F2212ea87-6097-4256-9d51-71338625))\r\n", s)
	r, err = ReadResponse(newDec(s), nil)
	require.NoError(t, err)
	assert.Equal(t, sd, r)
}
