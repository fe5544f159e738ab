package imap

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
)

// bareMessage is a message of a store without save dates (nor any
// other optional per-message data).
type bareMessage struct{ mailbox.Message }

// TestRFC8514NoSaveDate plays RFC 8514 4.2 and 4.3 on the wire for a
// store that does not keep save dates: SAVEDATE is NIL, the SAVED* keys
// use the internal date, and SAVEDATESUPPORTED matches nothing.
func TestRFC8514NoSaveDate(t *testing.T) {
	ts := newTestServer(t, func(s *Server) {
		s.Store = msgWrapStore(s.Store, func(m mailbox.Message) mailbox.Message { return bareMessage{m} })
	})
	ts.deliver(t, "INBOX", testMsg) // internal date 2-Jan-2026
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	// RFC 8514 4.2.
	assert.Equal(t, []string{`* 1 FETCH (SAVEDATE NIL)`}, c.ok("A101 FETCH 1 (SAVEDATE)"))
	assert.Equal(t, []string{`* 1 FETCH (UID 1 SAVEDATE NIL)`}, c.ok("A102 UID FETCH 1 SAVEDATE"))
	// RFC 8514 4.3.
	for _, tc := range []struct{ cmd, want string }{
		{"A103 SEARCH SAVEDON 2-Jan-2026", "* SEARCH 1"},
		{"A104 SEARCH SAVEDSINCE 3-Jan-2026", "* SEARCH"},
		{"A105 SEARCH SAVEDSINCE 2-Jan-2026", "* SEARCH 1"},
		{"A106 SEARCH SAVEDBEFORE 3-Jan-2026", "* SEARCH 1"},
		{"A107 SEARCH SAVEDBEFORE 2-Jan-2026", "* SEARCH"},
		{"A108 SEARCH SAVEDATESUPPORTED", "* SEARCH"},
		{"A109 SEARCH NOT SAVEDATESUPPORTED", "* SEARCH 1"},
	} {
		assert.Equal(t, []string{tc.want}, c.ok(tc.cmd), tc.cmd)
	}
}

// TestRFC8514Examples plays RFC 8514 4.2 and 4.3 with a small mailbox
// (TestSaveDateRFC8514Examples has the RFC's 1001 messages): the save
// date is kept in its zone, and the SAVED* keys disregard the time and
// the zone (RFC 8514 4.3): a message saved at 23:59 +0100 on 28-Dec-2014
// is SAVEDON 28-Dec-2014, though it is 22:59 UTC.
func TestRFC8514Examples(t *testing.T) {
	clock := &testClock{}
	ts := newTestServer(t, func(s *Server) { s.Store.(*memstore.Store).Now = clock.now })
	cet := time.FixedZone("", 3600)
	for _, d := range []time.Time{
		time.Date(2014, 12, 27, 12, 0, 0, 0, cet),
		time.Date(2014, 12, 28, 0, 30, 0, 0, cet), // 27-Dec-2014 23:30 UTC
		time.Date(2014, 12, 28, 23, 59, 0, 0, cet),
		time.Date(2015, 1, 1, 18, 50, 53, 0, cet),
	} {
		clock.set(d)
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Equal(t, []string{`* 4 FETCH (SAVEDATE "01-Jan-2015 18:50:53 +0100")`}, c.ok("A101 FETCH 4 (SAVEDATE)"))
	for _, tc := range []struct{ cmd, want string }{
		{"A102 SEARCH SAVEDON 28-Dec-2014", "* SEARCH 2 3"},
		{"A103 SEARCH SAVEDSINCE 28-Dec-2014", "* SEARCH 2 3 4"},
		{"A104 SEARCH SAVEDBEFORE 28-Dec-2014", "* SEARCH 1"},
		{"A105 UID SEARCH SAVEDON 1-Jan-2015", "* SEARCH 4"},
		{"A106 SEARCH SAVEDATESUPPORTED", "* SEARCH 1 2 3 4"},
	} {
		assert.Equal(t, []string{tc.want}, c.ok(tc.cmd), tc.cmd)
	}
	// Lower case, as the grammar is case-insensitive.
	assert.Equal(t, []string{"* SEARCH 2 3"}, c.ok("A107 search savedon 28-dec-2014"))
}
