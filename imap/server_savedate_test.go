package imap

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
)

// testClock is a settable clock for memstore.Store.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func TestSaveDateRFC8514Examples(t *testing.T) {
	clock := &testClock{}
	ts := newTestServer(t, func(s *Server) { s.Store.(*memstore.Store).Now = clock.now })
	cet := time.FixedZone("", 3600)
	for i := 1; i <= 1001; i++ {
		switch {
		case i < 993:
			clock.set(time.Date(2014, 12, 1, 10, 0, 0, 0, cet).Add(time.Duration(i) * time.Minute))
		case i <= 994:
			clock.set(time.Date(2014, 12, 28, 23, 59, 0, 0, cet))
		case i == 998:
			clock.set(time.Date(2015, 1, 1, 18, 50, 53, 0, cet))
		default:
			clock.set(time.Date(2014, 12, 29, 0, 0, 0, 0, cet))
		}
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "SAVEDATE")
	c.ok("b SELECT INBOX")
	// RFC 8514 4.2.
	assert.Equal(t, []string{`* 998 FETCH (SAVEDATE "01-Jan-2015 18:50:53 +0100")`}, c.ok("A101 FETCH 998 (SAVEDATE)"))
	// RFC 8514 4.3.
	assert.Equal(t, []string{"* SEARCH 993 994"}, c.ok("A102 SEARCH SAVEDON 28-Dec-2014"))
	assert.Equal(t, []string{"* SEARCH 993 994 995 996 997 998 999 1000 1001"}, c.ok("A103 SEARCH SAVEDSINCE 28-Dec-2014"))

	// The save date is not the internal date (deliver sets 2-Jan-2026),
	// and a copy gets its own.
	assert.Equal(t, []string{`* 998 FETCH (INTERNALDATE "02-Jan-2026 03:04:05 +0000" SAVEDATE "01-Jan-2015 18:50:53 +0100")`}, c.ok("c FETCH 998 (INTERNALDATE SAVEDATE)"))
	assert.Equal(t, []string{"* SEARCH 1 2 3 998"}, c.ok("d SEARCH OR 1:3 998 NOT SAVEDBEFORE 1-Dec-2014"))
	assert.Equal(t, []string{`* ESEARCH (TAG "e") COUNT 1001`}, c.ok("e SEARCH RETURN (COUNT) SAVEDATESUPPORTED"))
	clock.set(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	c.ok("f CREATE Dst")
	c.ok("g COPY 998 Dst")
	c.ok("h SELECT Dst")
	assert.Equal(t, []string{`* 1 FETCH (SAVEDATE "04-Mar-2026 05:06:07 +0000")`}, c.ok("i FETCH 1 SAVEDATE"))
	assert.Equal(t, []string{"* SEARCH 1"}, c.ok("j SEARCH SAVEDATESUPPORTED SAVEDON 4-Mar-2026"))
	assert.Equal(t, []string{"* SEARCH"}, c.ok("k SEARCH NOT SAVEDATESUPPORTED"))
}

// plainMessage is a Message of a store without save dates.
type plainMessage struct {
	uid  mailbox.UID
	date time.Time
}

func (m plainMessage) UID() mailbox.UID        { return m.uid }
func (m plainMessage) Flags() []string         { return nil }
func (m plainMessage) InternalDate() time.Time { return m.date }
func (m plainMessage) Size() int64             { return 0 }
func (m plainMessage) ModSeq() uint64          { return 1 }
func (m plainMessage) Open(context.Context) (mailbox.Body, error) {
	return nil, fmt.Errorf("no body")
}

// plainResolver matches over plainMessages.
type plainResolver struct {
	fakeResolver
	msgs []mailbox.Message
}

func (r plainResolver) MatchUIDs(match func(context.Context, mailbox.Message) (bool, error)) (mailbox.UIDSet, error) {
	var out []mailbox.UID
	for _, m := range r.msgs {
		ok, err := match(context.Background(), m)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m.UID())
		}
	}
	return uidSet(out), nil
}

func TestSaveDateUnsupported(t *testing.T) {
	// RFC 8514 4.2: NIL from a store without save dates.
	assert.True(t, saveDate(plainMessage{}).IsZero())
	assert.Equal(t, "* 1 FETCH (SAVEDATE NIL)\r\n", formatResponse(t, &FetchData{Seq: 1, SaveDate: new(time.Time)}))
	r, err := ReadResponse(newDec("* 1 FETCH (SAVEDATE NIL)\r\n"), nil)
	require.NoError(t, err)
	assert.True(t, r.(*FetchData).SaveDate.IsZero())
	r, err = ReadResponse(newDec("* 1 FETCH (SAVEDATE \"01-Jan-2015 18:50:53 +0100\")\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, 2015, r.(*FetchData).SaveDate.Year())

	// RFC 8514 4.3: the internal date instead, and SAVEDATESUPPORTED
	// matches nothing.
	res := plainResolver{msgs: []mailbox.Message{
		plainMessage{uid: 1, date: time.Date(2014, 12, 27, 23, 0, 0, 0, time.UTC)},
		plainMessage{uid: 2, date: time.Date(2014, 12, 28, 1, 0, 0, 0, time.UTC)},
	}}
	for _, tc := range []struct {
		key  string
		want mailbox.UIDSet
	}{
		{"SAVEDON 28-Dec-2014", mailbox.UIDSetOf(2)},
		{"SAVEDBEFORE 28-Dec-2014", mailbox.UIDSetOf(1)},
		{"SAVEDSINCE 27-Dec-2014", mailbox.UIDSetOf(1, 2)},
		{"SAVEDATESUPPORTED", nil},
	} {
		cmd, err := ReadCommand(newDec("a SEARCH " + tc.key + "\r\n"))
		require.NoError(t, err, tc.key)
		c, err := searchCriteria(cmd.Args.(*SearchCommand).Keys, res)
		require.NoError(t, err, tc.key)
		require.Len(t, c.UID, 1, tc.key)
		assert.Equal(t, tc.want, c.UID[0], tc.key)
	}
	// A resolver that cannot match: BAD.
	_, err = searchCriteria([]SearchKey{{Op: "SAVEDATESUPPORTED"}}, fakeResolver{})
	assert.ErrorIs(t, err, mailbox.ErrInvalidSearch)
}
