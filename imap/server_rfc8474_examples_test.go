package imap

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// msgWrapStore is a store whose mailboxes hand the server their
// messages through wrap, to play a store that lacks some per-message
// data (thread ids, save dates).
func msgWrapStore(st mailbox.Store, wrap func(mailbox.Message) mailbox.Message) mailbox.Store {
	return wrapStore{st, func(m mailbox.Mailbox) mailbox.Mailbox { return msgWrapMailbox{m, wrap} }}
}

type msgWrapMailbox struct {
	mailbox.Mailbox
	wrap func(mailbox.Message) mailbox.Message
}

func (m msgWrapMailbox) Fetch(ctx context.Context, uids mailbox.UIDSet, fn func(mailbox.Message) error) error {
	return m.Mailbox.Fetch(ctx, uids, func(msg mailbox.Message) error { return fn(m.wrap(msg)) })
}

// noThreadIDMessage is a message of a store that gives EMAILIDs but no
// THREADIDs; it hides the other optional interfaces of the message too.
type noThreadIDMessage struct{ mailbox.Message }

func (m noThreadIDMessage) ObjectIDs(ctx context.Context) (mailbox.ObjectIDs, error) {
	return mailbox.ObjectIDs{EmailID: fmt.Sprintf("M%08d", m.UID())}, nil
}

// TestRFC8474NoThreadIDExample plays the last example of RFC 8474 5.3,
// a server without THREADID support, on the wire; and RFC 8474 6: a
// SEARCH THREADID there matches nothing.
func TestRFC8474NoThreadIDExample(t *testing.T) {
	ts := newTestServer(t, func(s *Server) {
		s.Store = msgWrapStore(s.Store, func(m mailbox.Message) mailbox.Message { return noThreadIDMessage{m} })
	})
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Equal(t, []string{
		"* 1 FETCH (EMAILID (M00000001) THREADID NIL)",
		"* 2 FETCH (EMAILID (M00000002) THREADID NIL)",
	}, c.ok("26 fetch 1:* (emailid threadid)"))
	assert.Equal(t, []string{"* SEARCH 2"}, c.ok("27 search emailid M00000002"))
	assert.Equal(t, []string{"* SEARCH"}, c.ok("28 search threadid T00000001"))
}

// TestRFC8474Examples plays what the examples of RFC 8474 4.1 to 4.3
// and 5.3 show beyond TestObjectIDMailboxRFC8474Examples and
// TestObjectIDMessagesRFC8474Examples: a MAILBOXID is kept by RENAME
// and is the same in CREATE, SELECT, STATUS and LIST-STATUS; the
// EMAILID and THREADID of a message are kept by MOVE (5.1, 5.2); a new
// mailbox of a deleted one's name gets a new MAILBOXID (4).
func TestRFC8474Examples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	r := c.cmd("3 create foo")
	require.Len(t, r, 1)
	foo := idOf(t, "MAILBOXID", r[0])
	// RFC 8474 4.2, with EXAMINE too.
	assert.Contains(t, c.ok(`27 select "foo"`), "* OK [MAILBOXID ("+foo+")] Ok")
	assert.Contains(t, c.ok(`28 examine "foo"`), "* OK [MAILBOXID ("+foo+")] Ok")
	c.ok("u UNSELECT")
	// RFC 8474 4.3: STATUS, with other items.
	assert.Equal(t, []string{"* STATUS foo (MESSAGES 0 MAILBOXID (" + foo + "))"}, c.ok("6 status foo (messages mailboxid)"))
	c.ok("8 rename foo renamed")
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren) "/" renamed`, "* STATUS renamed (MAILBOXID (" + foo + "))",
	}, c.ok(`11 list "" "renamed" return (status (mailboxid))`))
	// RFC 8474 4: a mailbox created with the name of a deleted one is
	// another mailbox.
	r = c.cmd("4 create foo")
	require.Len(t, r, 1)
	foo2 := idOf(t, "MAILBOXID", r[0])
	assert.NotEqual(t, foo, foo2)
	c.ok("d delete foo")
	r = c.cmd("5 create foo")
	require.Len(t, r, 1)
	assert.NotEqual(t, foo2, idOf(t, "MAILBOXID", r[0]))

	// RFC 8474 5.3: the ids survive MOVE; UID MOVE too.
	msg := "From: a@example.com\r\nSubject: Message A\r\nMessage-ID: <fake.1521475657.54797@example.com>\r\n\r\nA\r\n"
	c.send(fmt.Sprintf("5 append inbox \"20-Mar-2018 03:07:37 +1100\" {%d+}\r\n%s\r\n", len(msg), msg))
	assert.Equal(t, []string{"5 OK [APPENDUID V 1] APPEND completed"}, norm(c.until("5")))
	c.ok("s select inbox")
	r = c.ok("22 fetch 1 (emailid threadid)")
	require.Len(t, r, 1)
	email, thread := idOf(t, "EMAILID", r[0]), idOf(t, "THREADID", r[0])
	assert.Equal(t, []string{"* OK [COPYUID V 1 1] Moved", "* 1 EXPUNGE", "23 OK MOVE completed"}, norm(c.cmd("23 uid move 1 renamed")))
	c.ok(`25 select "renamed"`)
	assert.Equal(t, []string{"* 1 FETCH (EMAILID (" + email + ") THREADID (" + thread + "))"}, c.ok("26 fetch 1:* (emailid threadid)"))
	assert.Equal(t, []string{"* SEARCH 1"}, c.ok("27 search emailid "+email))
	assert.Equal(t, []string{"* SEARCH 1"}, c.ok("28 search threadid "+thread))
	// RFC 8474 7: objectid is 1*255 of ALPHA / DIGIT / "_" / "-".
	r = c.cmd("29 search emailid M*")
	require.Len(t, r, 1)
	assert.True(t, strings.HasPrefix(r[0], "29 BAD"), r[0])
}
