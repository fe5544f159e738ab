package imap

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContextUpdateFetchRFC5465Example7 plays the example of RFC 5465
// 7: UPDATE with fetch attributes sends each new message of the result
// in a FETCH, after the EXISTS and before the ESEARCH ADDTO; a message
// that joins the result by a flag change is not fetched.
func TestContextUpdateFetchRFC5465Example7(t *testing.T) {
	ts := newTestServer(t)
	boss := "From: myboss@example.org\r\nTo: bob@example.org\r\nSubject: Re: good morning\r\n\r\nhi\r\n"
	other := "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: lunch\r\n\r\nhi\r\n"
	for range 2 {
		ts.deliver(t, "INBOX", boss)
	}
	ts.deliver(t, "INBOX", other)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	r := c.ok(`a00 SEARCH RETURN (COUNT UPDATE (UID BODY.PEEK[HEADER.FIELDS (TO FROM SUBJECT)])) FROM "boss"`)
	assert.Equal(t, []string{`* ESEARCH (TAG "a00") COUNT 2`}, r)

	// A new message is delivered.
	ts.deliver(t, "INBOX", boss)
	r = c.ok("n NOOP")
	hdr := "From: myboss@example.org\r\nTo: bob@example.org\r\nSubject: Re: good morning\r\n\r\n"
	require.Len(t, r, 3, "%q", r)
	assert.Equal(t, "* 4 EXISTS", r[0])
	assert.Equal(t, "* 4 FETCH (UID 4 BODY[HEADER.FIELDS (TO FROM SUBJECT)] "+fmtLiteral(hdr)+")", r[1])
	assert.Equal(t, `* ESEARCH (TAG "a00") ADDTO (0 4)`, r[2])

	// A message of another sender does not join; nothing is fetched.
	ts.deliver(t, "INBOX", other)
	r = c.ok("m NOOP")
	assert.Equal(t, []string{"* 5 EXISTS"}, r)
}

// TestContextUpdateFetchFlagChange: a message that joins the result of
// UPDATE because of its flags is not fetched (RFC 5465 7).
func TestContextUpdateFetchFlagChange(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	assert.Equal(t, []string{`* ESEARCH (TAG "b") UID ALL 1:2`},
		c.ok(`b UID SEARCH RETURN (ALL UPDATE (FLAGS)) UNFLAGGED`))
	r := c.ok(`c STORE 1 +FLAGS.SILENT (\Flagged)`)
	assert.Equal(t, []string{`* ESEARCH (TAG "b") UID REMOVEFROM (0 1)`}, r)
	r = c.ok(`d STORE 1 -FLAGS.SILENT (\Flagged)`)
	assert.Equal(t, []string{`* ESEARCH (TAG "b") UID ADDTO (0 1)`}, r)
}

// TestContextUpdateFetchSort: SORT RETURN (UPDATE (...)) too, and the
// options' syntax both ways.
func TestContextUpdateFetchSort(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	c.ok(`a SORT RETURN (UPDATE (UID RFC822.SIZE) COUNT) (ARRIVAL) UTF-8 ALL`)
	ts.deliver(t, "INBOX", testMsg)
	r := c.ok("n NOOP")
	require.Len(t, r, 3, "%q", r)
	assert.Equal(t, "* 2 EXISTS", r[0])
	assert.Regexp(t, `^\* 2 FETCH \(UID 2 RFC822\.SIZE \d+\)$`, r[1])
	assert.Equal(t, `* ESEARCH (TAG "a") ADDTO (2 2)`, r[2])

	for _, tc := range []struct{ cmd, want string }{
		{`SEARCH RETURN (UPDATE ()) ALL`, "BAD"},
		{`SEARCH RETURN (UPDATE (BODY[HEADER.FIELDS ()])) ALL`, "BAD"},
		{`SEARCH RETURN (UPDATE (NOSUCHITEM)) ALL`, "BAD"},
		{`SEARCH RETURN (COUNT (UID)) ALL`, "BAD"},
	} {
		r := c.cmd("t " + tc.cmd)
		require.NotEmpty(t, r)
		assert.Contains(t, r[len(r)-1], "t "+tc.want, tc.cmd)
	}
}

func TestReturnListRoundTrip(t *testing.T) {
	for _, line := range []string{
		`a SEARCH RETURN (COUNT UPDATE (UID BODY.PEEK[HEADER.FIELDS (TO FROM)])) FROM boss`,
		`a SEARCH RETURN (UPDATE COUNT) ALL`,
		`a SEARCH RETURN (UPDATE) ALL`,
		`a SEARCH RETURN () ALL`,
		`a UID SORT RETURN (UPDATE (FLAGS) PARTIAL 1:10) (DATE) UTF-8 ALL`,
		`a SEARCH RETURN (UPDATE (UID) UPDATE) ALL`,
		`a SEARCH RETURN (MIN MIN UPDATE UPDATE) ALL`,
	} {
		cmd, err := ReadCommand(newDec(line + "\r\n"))
		require.NoError(t, err, line)
		assert.Equal(t, line+"\r\n", formatCommand(t, cmd), line)
	}

	// Forms the parser takes and writes back otherwise: RFC 5465 8 has
	// no SP between UPDATE and "(", and the fetch attributes of a
	// later UPDATE belong to the first.
	for _, tc := range []struct{ in, out string }{
		{`a SEARCH RETURN (UPDATE(UID)) ALL`, `a SEARCH RETURN (UPDATE (UID)) ALL`},
		{`a SEARCH RETURN (COUNT UPDATE(UID FLAGS) MIN) ALL`, `a SEARCH RETURN (COUNT UPDATE (UID FLAGS) MIN) ALL`},
		{`a SEARCH RETURN (update UPDATE (UID)) ALL`, `a SEARCH RETURN (UPDATE (UID) UPDATE) ALL`},
		{`a SORT RETURN (UPDATE(MODSEQ)) (DATE) UTF-8 ALL`, `a SORT RETURN (UPDATE (MODSEQ)) (DATE) UTF-8 ALL`},
	} {
		cmd, err := ReadCommand(newDec(tc.in + "\r\n"))
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.out+"\r\n", formatCommand(t, cmd), tc.in)
	}

	for _, line := range []string{
		`a SEARCH RETURN (UPDATE (UID) UPDATE (FLAGS)) ALL`,
		`a SEARCH RETURN (UPDATE () ) ALL`,
		`a SEARCH RETURN (MIN(UID)) ALL`,
		`a SEARCH RETURN (UPDATE ) ALL`,
		`a SEARCH RETURN (UPDATE (UID)(FLAGS)) ALL`,
	} {
		_, err := ReadCommand(newDec(line + "\r\n"))
		assert.Error(t, err, line)
	}

	// The encoder writes the fetch attributes once, after the first
	// UPDATE in any case.
	for _, tc := range []struct {
		ret  []string
		want string
	}{
		{[]string{"UPDATE", "UPDATE"}, `a SEARCH RETURN (UPDATE (UID) UPDATE) ALL`},
		{[]string{"update"}, `a SEARCH RETURN (update (UID)) ALL`},
		{[]string{"COUNT", "Update", "UPDATE"}, `a SEARCH RETURN (COUNT Update (UID) UPDATE) ALL`},
	} {
		cmd := &Command{Tag: "a", Name: "SEARCH", Args: &SearchCommand{HasReturn: true, Return: tc.ret, UpdateFetch: []FetchItem{{Name: FetchUID}}, Keys: []SearchKey{{Op: "ALL"}}}}
		out := formatCommand(t, cmd)
		assert.Equal(t, tc.want+"\r\n", out)
		back, err := ReadCommand(newDec(out))
		require.NoError(t, err, out)
		assert.Equal(t, []FetchItem{{Name: FetchUID}}, back.Args.(*SearchCommand).UpdateFetch, out)
		sort := &Command{Tag: "a", Name: "SORT", Args: &SortCommand{HasReturn: true, Return: tc.ret, UpdateFetch: []FetchItem{{Name: FetchUID}}, Criteria: []SortCriterion{{Key: "DATE"}}, Charset: "UTF-8", Keys: []SearchKey{{Op: "ALL"}}}}
		out = formatCommand(t, sort)
		back, err = ReadCommand(newDec(out))
		require.NoError(t, err, out)
		assert.Equal(t, []FetchItem{{Name: FetchUID}}, back.Args.(*SortCommand).UpdateFetch, out)
	}
	_, err := encode(t, func(e *Encoder) error {
		return WriteCommand(e, &Command{Tag: "a", Name: "SEARCH", Args: &SearchCommand{HasReturn: true, Return: []string{"COUNT"}, UpdateFetch: []FetchItem{{Name: FetchUID}}, Keys: []SearchKey{{Op: "ALL"}}}})
	})
	assert.Error(t, err, "UPDATE fetch attributes without UPDATE")
}

// TestContextUpdateFetchModSeq: MODSEQ among the fetch attributes of
// UPDATE makes the client CONDSTORE-aware as FETCH MODSEQ does (RFC
// 7162 3.1), HIGHESTMODSEQ first, and is BAD in a mailbox without
// mod-sequences (RFC 7162 3.1.2.2). UPDATE given twice is taken, as
// MIN or COUNT given twice are.
func TestContextUpdateFetchModSeq(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	r := c.ok(`a SEARCH RETURN (UPDATE(UID MODSEQ)) ALL`)
	require.Len(t, r, 2, "%q", r)
	assert.Regexp(t, `^\* OK \[HIGHESTMODSEQ \d+\] `, r[0])
	assert.Equal(t, `* ESEARCH (TAG "a")`, r[1])
	ts.deliver(t, "INBOX", testMsg)
	r = c.ok("n NOOP")
	require.Len(t, r, 3, "%q", r)
	assert.Regexp(t, `^\* 2 FETCH \(UID 2 MODSEQ \(\d+\)\)$`, r[1])

	s := ts.login(t)
	s.ok("s SELECT INBOX")
	r = s.ok(`b SORT RETURN (COUNT UPDATE UPDATE (MODSEQ)) (ARRIVAL) UTF-8 ALL`)
	require.Len(t, r, 2, "%q", r)
	assert.Regexp(t, `^\* OK \[HIGHESTMODSEQ \d+\] `, r[0])
	assert.Equal(t, `* ESEARCH (TAG "b") COUNT 2`, r[1])
	s.ok(`c SEARCH RETURN (MIN MIN UPDATE UPDATE) ALL`)

	nm := newTestServer(t, func(s *Server) { s.Store = noModSeqStore{s.Store} })
	nm.deliver(t, "INBOX", testMsg)
	n := nm.login(t)
	n.ok("s SELECT INBOX")
	for _, cmd := range []string{
		`b1 SEARCH RETURN (UPDATE (MODSEQ)) ALL`,
		`b2 UID SORT RETURN (UPDATE (UID MODSEQ)) (ARRIVAL) UTF-8 ALL`,
	} {
		r := n.cmd(cmd)
		assert.Regexp(t, `^b\d BAD `, r[len(r)-1], cmd)
	}
}

// TestUnsolicitedFetchSkipsBadMessage: a new message that cannot be
// fetched with the attributes of UPDATE or NOTIFY (BINARY of an unknown
// transfer encoding) is left out; the messages after it still are.
func TestUnsolicitedFetchSkipsBadMessage(t *testing.T) {
	bogus := "Subject: x\r\nContent-Transfer-Encoding: x-bogus\r\n\r\nbody\r\n"
	for _, tc := range []struct{ name, cmd string }{
		{"update", `a UID SEARCH RETURN (UPDATE (UID BINARY.PEEK[1])) ALL`},
		{"notify", `a NOTIFY SET (selected (MessageNew (UID BINARY.PEEK[1]) MessageExpunge))`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			ts.deliver(t, "INBOX", testMsg)
			c := ts.login(t)
			c.ok("s SELECT INBOX")
			c.ok(tc.cmd)
			ts.deliver(t, "INBOX", bogus)
			ts.deliver(t, "INBOX", "Subject: y\r\n\r\nfine\r\n")
			time.Sleep(50 * time.Millisecond)
			r := c.ok("n NOOP")
			joined := strings.Join(r, "\n")
			assert.Contains(t, joined, "* 3 EXISTS")
			assert.Contains(t, joined, "* 3 FETCH (UID 3 BINARY[1] {6}\r\nfine\r\n)")
			assert.NotContains(t, joined, "* 2 FETCH")
		})
	}
}

// TestContextUpdateFetchNotForOwnMessages: the session's own APPEND
// joins the result (ADDTO) but is not fetched (RFC 5465 5.2).
func TestContextUpdateFetchNotForOwnMessages(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	c.ok(`a UID SEARCH RETURN (UPDATE (UID FLAGS)) ALL`)
	r := c.ok("b APPEND INBOX {5+}\r\nhello")
	assert.Equal(t, []string{"* 1 EXISTS", "* 1 RECENT", `* ESEARCH (TAG "a") UID ADDTO (0 1)`}, r)
}

// TestNotifyAndUpdateFetchCombined: RFC 5465 5.2: when NOTIFY and an
// UPDATE context both ask for attributes of a new message, one FETCH
// carries them all, after the ESEARCH ADDTO.
func TestNotifyAndUpdateFetchCombined(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	c.ok(`a UID SEARCH RETURN (UPDATE (UID FLAGS)) ALL`)
	c.ok("n NOTIFY SET (selected (MessageNew (UID RFC822.SIZE) MessageExpunge))")
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 2 EXISTS", c.line())
	assert.Equal(t, `* ESEARCH (TAG "a") UID ADDTO (0 2)`, c.line())
	assert.Regexp(t, `^\* 2 FETCH \(UID 2 FLAGS \(\) RFC822\.SIZE \d+\)$`, c.line())
	notifyQuiet(t, c, "q")
}
