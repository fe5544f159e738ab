package imap

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// tm is a test message for SORT and THREAD: header fields ("" leaves
// a field out), internal date, body (which sets the size).
type tm struct {
	from, to, cc, subject, date, id, refs, irt string
	arrival                                    time.Time
	body                                       string
	flags                                      []string
}

func (m tm) text() string {
	var b strings.Builder
	for _, f := range [][2]string{{"From", m.from}, {"To", m.to}, {"Cc", m.cc}, {"Subject", m.subject},
		{"Date", m.date}, {"Message-ID", m.id}, {"References", m.refs}, {"In-Reply-To", m.irt}} {
		if f[1] != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", f[0], f[1])
		}
	}
	b.WriteString("\r\n" + m.body + "\r\n")
	return b.String()
}

// fill appends msgs to INBOX in order.
func (ts *testServer) fill(t *testing.T, msgs ...tm) {
	t.Helper()
	ctx := context.Background()
	acct, err := ts.store.Account(ctx, testUser)
	require.NoError(t, err)
	defer acct.Close()
	box, err := acct.Open(ctx, "INBOX", nil)
	require.NoError(t, err)
	defer box.Close()
	for i, m := range msgs {
		at := m.arrival
		if at.IsZero() {
			at = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		}
		_, err := box.Append(ctx, strings.NewReader(m.text()), &mailbox.AppendOptions{Flags: m.flags, InternalDate: at})
		require.NoError(t, err)
	}
}

func feb(d int) string { return fmt.Sprintf("Mon, %d Feb 2026 10:00:00 +0000", d) }

// TestSortRFC5256Examples: the SORT examples of RFC 5256 3 on a
// mailbox made to give their answers.
func TestSortRFC5256Examples(t *testing.T) {
	ts := newTestServer(t)
	old := time.Date(1994, 1, 1, 0, 0, 0, 0, time.UTC)
	ts.fill(t,
		tm{subject: "b", date: feb(1), arrival: old},
		tm{subject: "c", date: feb(2)},
		tm{subject: "Re: a", date: feb(3)},
		tm{subject: "a", date: feb(1)},
		tm{subject: "A (fwd)", date: feb(5)},
	)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Equal(t, []string{"* SORT 3 4 5 2"}, c.ok("A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994"))
	assert.Equal(t, []string{"* SORT 5 3 4 1 2"}, c.ok("A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL"))
	assert.Equal(t, []string{"* SORT"}, c.ok(`A284 SORT (SUBJECT) US-ASCII TEXT "not in mailbox"`))
	// UID SORT answers UIDs and takes the same search keys.
	assert.Equal(t, []string{"* SORT 5 3 4 1 2"}, c.ok("A285 UID SORT (SUBJECT REVERSE DATE) UTF-8 ALL"))
	// The charset is required; US-ASCII and UTF-8 are.
	assert.Equal(t, []string{"b NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset"}, c.cmd("b SORT (DATE) KOI8-R ALL"))
	assert.Regexp(t, `^c BAD `, c.cmd("c SORT (FROB) UTF-8 ALL")[0])
	assert.Regexp(t, `^d BAD `, c.cmd("d SORT (REVERSE) UTF-8 ALL")[0])
	assert.Regexp(t, `^e BAD `, c.cmd("e SORT () UTF-8 ALL")[0])
	assert.Regexp(t, `^f BAD `, c.cmd("f SORT (DATE) UTF-8")[0])
	assert.Regexp(t, `^g BAD `, c.cmd("g SORT DATE UTF-8 ALL")[0])
}

// TestSortKeys checks each key, REVERSE and the sequence-number tie
// break (RFC 5256 3, RFC 5957 4).
func TestSortKeys(t *testing.T) {
	ts := newTestServer(t)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ts.fill(t,
		tm{from: "Zed <a@x.org>", to: "=?UTF-8?Q?=C3=89mile?= <z@x.org>", cc: "c@x", subject: "x", date: "Tue, 3 Feb 2026 00:00:00 -0800", arrival: base.Add(3 * time.Hour), body: strings.Repeat("x", 1000)},
		tm{from: "b@x.org", to: "Bob <b@x.org>", subject: "x", date: "Tue, 3 Feb 2026 07:00:00 +0000", arrival: base.Add(1 * time.Hour), body: strings.Repeat("x", 200)},
		tm{from: "\"Adam\" <C@x.org>", to: "group: y@x.org;", cc: "A@x", subject: "x", arrival: base.Add(2 * time.Hour), body: strings.Repeat("x", 600)},
		tm{subject: "x", date: "garbage", arrival: base, body: strings.Repeat("x", 400)},
	)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	for _, tc := range []struct{ crit, want string }{
		{"ARRIVAL", "4 2 3 1"},
		{"REVERSE ARRIVAL", "1 3 2 4"},
		{"SIZE", "2 4 3 1"},
		// Sent dates in UTC; 3 has none and 4 a bad one: their
		// internal dates count (RFC 5256 2.2).
		{"DATE", "2 1 4 3"},
		// addr-mailbox of the first address; "" first; case-insensitive.
		{"FROM", "4 1 2 3"},
		{"CC", "2 4 3 1"},
		// A group's first address is its start, named "group".
		{"TO", "4 2 3 1"},
		// RFC 5957: the display name, else mailbox@host.
		{"DISPLAYFROM", "4 3 2 1"},
		{"DISPLAYTO", "4 2 1 3"},
		// Ties go by sequence number, also under REVERSE.
		{"SUBJECT", "1 2 3 4"},
		{"REVERSE SUBJECT", "1 2 3 4"},
		{"SUBJECT REVERSE SIZE", "1 3 4 2"},
	} {
		assert.Equal(t, []string{"* SORT " + tc.want}, c.ok("s SORT ("+tc.crit+") UTF-8 ALL"), tc.crit)
	}
	// DISPLAYTO: "Émile" decoded, between "Bob" and "group".
	assert.Equal(t, []string{"* SORT 4 2 1 3"}, c.ok("t SORT (DISPLAYTO) US-ASCII ALL"))
	// Search keys select, sequence numbers follow expunges.
	assert.Equal(t, []string{"* SORT 2 3"}, c.ok("u SORT (SIZE) UTF-8 2:3"))
	c.ok(`v STORE 4 +FLAGS (\Deleted)`)
	c.ok("w EXPUNGE")
	assert.Equal(t, []string{"* SORT 2 3 1"}, c.ok("x SORT (SIZE) UTF-8 ALL"))
	assert.Equal(t, []string{"* SORT 2 3 1"}, c.ok("y UID SORT (SIZE) UTF-8 ALL"))
}

// TestESort: RFC 5267 3 (ESORT): RETURN options answered with ESEARCH,
// ALL in sort order without descending ranges.
func TestESort(t *testing.T) {
	ts := newTestServer(t)
	var msgs []tm
	for i := 1; i <= 6; i++ {
		m := tm{subject: "s", date: feb(i)}
		if i == 2 {
			m.flags = []string{"$Junk"}
		}
		msgs = append(msgs, m)
	}
	ts.fill(t, msgs...)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	// RFC 5267 3.3, on this mailbox.
	assert.Equal(t, []string{`* ESEARCH (TAG "E01") UID ALL 6,5,4,3,1`},
		c.ok("E01 UID SORT RETURN () (REVERSE DATE) UTF-8 UNDELETED UNKEYWORD $Junk"))
	assert.Equal(t, []string{`* ESEARCH (TAG "E02") ALL 1,3:6`}, c.ok("E02 SORT RETURN (ALL) (DATE) UTF-8 UNKEYWORD $Junk"))
	assert.Equal(t, []string{`* ESEARCH (TAG "E03") MIN 6 MAX 1 COUNT 6`}, c.ok("E03 SORT RETURN (MIN MAX COUNT) (REVERSE DATE) UTF-8 ALL"))
	assert.Equal(t, []string{`* ESEARCH (TAG "E04") COUNT 0`}, c.ok("E04 SORT RETURN (MIN COUNT) (DATE) UTF-8 DELETED"))
	assert.Regexp(t, `^E05 BAD `, c.cmd("E05 SORT RETURN (PARTIAL) (DATE) UTF-8 ALL")[0])
	// SAVE: "$" is the set found.
	assert.Empty(t, c.ok("E06 SORT RETURN (SAVE) (REVERSE DATE) UTF-8 4:5"))
	assert.Equal(t, []string{"* SEARCH 4 5"}, c.ok("E07 SEARCH $"))
}

// TestWithin: RFC 5032 OLDER and YOUNGER against the internal date.
func TestWithin(t *testing.T) {
	ts := newTestServer(t)
	now := time.Now()
	ts.fill(t,
		tm{subject: "1", arrival: now.Add(-10 * 24 * time.Hour)},
		tm{subject: "2", arrival: now.Add(-2 * 24 * time.Hour)},
		tm{subject: "3", arrival: now.Add(-1 * time.Hour), flags: []string{`\Seen`}},
		tm{subject: "4", arrival: now.Add(-1 * time.Minute)},
	)
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "WITHIN")
	c.ok("b SELECT INBOX")
	// RFC 5032 4.
	assert.Equal(t, []string{"* SEARCH 2 4"}, c.ok("a1 SEARCH UNSEEN YOUNGER 259200"))
	assert.Equal(t, []string{"* SEARCH 1 2"}, c.ok("c SEARCH OLDER 86400"))
	assert.Equal(t, []string{"* SEARCH 3"}, c.ok("d SEARCH OLDER 600 YOUNGER 86400"))
	assert.Equal(t, []string{"* SEARCH 1 4"}, c.ok("e SEARCH OR OLDER 259200 YOUNGER 600"))
	assert.Equal(t, []string{"* SEARCH 1 2 3"}, c.ok("f SEARCH NOT YOUNGER 600"))
	assert.Equal(t, []string{"* SORT 4 3"}, c.ok("g SORT (REVERSE ARRIVAL) UTF-8 YOUNGER 86400"))
	assert.Equal(t, []string{"* SEARCH 1 2 3 4"}, c.ok("h SEARCH OLDER 1"))
	assert.Equal(t, []string{"* SEARCH"}, c.ok("i SEARCH OLDER 99999999999999"))
	assert.Regexp(t, `^j BAD `, c.cmd("j SEARCH OLDER 0")[0])
}

// TestThreadOrderedSubject: RFC 5256 3 ORDEREDSUBJECT.
func TestThreadOrderedSubject(t *testing.T) {
	ts := newTestServer(t)
	ts.fill(t,
		tm{subject: "b", date: feb(5)},        // 1
		tm{subject: "Re: a", date: feb(3)},    // 2
		tm{subject: "a", date: feb(2)},        // 3
		tm{subject: "[fwd: a]", date: feb(4)}, // 4
		tm{subject: "c", date: feb(1)},        // 5
		tm{subject: "RE: B", date: feb(6)},    // 6
		tm{subject: "a", date: feb(2)},        // 7
	)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Equal(t, []string{"* THREAD (5)(3 (7)(2)(4))(1 6)"}, c.ok("A283 THREAD ORDEREDSUBJECT UTF-8 ALL"))
	assert.Equal(t, []string{"* THREAD"}, c.ok(`A284 THREAD ORDEREDSUBJECT US-ASCII TEXT "gewp"`))
	assert.Equal(t, []string{"* THREAD (5)(3 4)(1)"}, c.ok("b UID THREAD ORDEREDSUBJECT UTF-8 1,3:5"))
	assert.Regexp(t, `^c BAD `, c.cmd("c THREAD FROB UTF-8 ALL")[0])
	assert.Equal(t, []string{"d NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset"}, c.cmd("d THREAD REFERENCES X-UNKNOWN ALL"))
}

// TestThreadReferences covers the REFERENCES steps of RFC 5256 3 with
// the graph of its THREAD response example, "(2)(3 6 (4 23)(44 7
// 96))", scaled down, and with missing parents, loops, duplicate
// Message-IDs and subject merging.
func TestThreadReferences(t *testing.T) {
	tests := []struct {
		name string
		msgs []tm
		want string
	}{{
		name: "RFC 5256 4 example shape",
		msgs: []tm{
			{subject: "one", id: "<1@x>", date: feb(1)},                                     // 1
			{subject: "two", id: "<2@x>", date: feb(2)},                                     // 2
			{subject: "Re: two", id: "<3@x>", refs: "<2@x>", date: feb(3)},                  // 3
			{subject: "Re: two", id: "<4@x>", refs: "<2@x> <3@x>", date: feb(4)},            // 4
			{subject: "Re: two", id: "<5@x>", refs: "<2@x> <3@x> <4@x>", date: feb(5)},      // 5
			{subject: "Re: two", id: "<6@x>", refs: "<2@x> <3@x>", date: feb(6)},            // 6
			{subject: "Re: two", id: "<7@x>", refs: "<2@x> <3@x> <6@x>", date: feb(7)},      // 7
			{subject: "Re: two", id: "<8@x>", irt: "<7@x> (sent by someone)", date: feb(8)}, // 8
		},
		want: "(1)(2 3 (4 5)(6 7 8))",
	}, {
		name: "missing parent: siblings under a dummy",
		msgs: []tm{
			{subject: "x", id: "<a@x>", refs: "<gone@x>", date: feb(1)},
			{subject: "y", id: "<b@x>", refs: "<gone@x>", date: feb(2)},
			{subject: "z", id: "<c@x>", date: feb(3)},
		},
		want: "((1)(2))(3)",
	}, {
		name: "missing parent with one child: promoted",
		msgs: []tm{
			{subject: "x", id: "<a@x>", refs: "<gone@x> <gone2@x>", date: feb(1)},
		},
		want: "(1)",
	}, {
		name: "missing grandparent: the chain is kept",
		msgs: []tm{
			{subject: "x", id: "<a@x>", refs: "<root@x> <mid@x>", date: feb(1)},
			{subject: "x", id: "<b@x>", refs: "<root@x> <mid@x> <a@x>", date: feb(2)},
		},
		want: "(1 2)",
	}, {
		name: "loop between two messages",
		msgs: []tm{
			{subject: "p", id: "<a@x>", refs: "<b@x>", date: feb(1)},
			{subject: "q", id: "<b@x>", refs: "<a@x>", date: feb(2)},
		},
		want: "(2 1)",
	}, {
		name: "a message referring to itself",
		msgs: []tm{
			{subject: "p", id: "<a@x>", refs: "<a@x>", date: feb(1)},
			{subject: "q", id: "<b@x>", refs: "<a@x> <b@x> <a@x>", date: feb(2)},
		},
		want: "(1 2)",
	}, {
		name: "duplicate Message-ID: the later one gets its own",
		msgs: []tm{
			{subject: "p", id: "<a@x>", date: feb(1)},
			{subject: "q", id: "<a@x>", date: feb(2)},
			{subject: "Re: p", id: "<c@x>", refs: "<a@x>", date: feb(3)},
		},
		want: "(1 3)(2)",
	}, {
		name: "quoted and plain Message-IDs are one",
		msgs: []tm{
			{subject: "p", id: `<"01KF8JCEOCBS0045PS"@xxx.yyy.com>`, date: feb(1)},
			{subject: "q", id: "<b@x>", refs: "<01KF8JCEOCBS0045PS@xxx.yyy.com>", date: feb(2)},
		},
		want: "(1 2)",
	}, {
		name: "a truncated References is overridden by the last reference",
		msgs: []tm{
			{subject: "p", id: "<a@x>", date: feb(1)},
			{subject: "p", id: "<b@x>", date: feb(2)},
			{subject: "Re: p", id: "<c@x>", refs: "<a@x> <d@x>", date: feb(3)},
			{subject: "Re: p", id: "<d@x>", refs: "<b@x>", date: feb(4)},
		},
		// d was made a's child by c's References, then moved under b.
		want: "((1)(2 4 3))",
	}, {
		name: "subject merging: a reply joins the original",
		msgs: []tm{
			{subject: "Lunch", id: "<a@x>", date: feb(1)},
			{subject: "Re: Lunch", id: "<b@x>", date: feb(2)},
			{subject: "Fwd: lunch", id: "<c@x>", date: feb(3)},
		},
		want: "(1 (2)(3))",
	}, {
		name: "subject merging: two originals under a dummy",
		msgs: []tm{
			{subject: "Lunch", id: "<a@x>", date: feb(1)},
			{subject: "lunch", id: "<b@x>", date: feb(2)},
			{subject: "other", id: "<c@x>", date: feb(3)},
		},
		want: "((1)(2))(3)",
	}, {
		name: "subject merging: a reply first in the table gives way",
		msgs: []tm{
			{subject: "Re: Lunch", id: "<a@x>", date: feb(1)},
			{subject: "Lunch", id: "<b@x>", date: feb(2)},
		},
		want: "(2 1)",
	}, {
		name: "subject merging: dummies merge their children",
		msgs: []tm{
			{subject: "Lunch", id: "<a@x>", refs: "<m1@x>", date: feb(1)},
			{subject: "Lunch", id: "<b@x>", refs: "<m1@x>", date: feb(2)},
			{subject: "Re: Lunch", id: "<c@x>", refs: "<m2@x>", date: feb(3)},
			{subject: "Re: Lunch", id: "<d@x>", refs: "<m2@x>", date: feb(4)},
			{subject: "Re: Lunch", id: "<e@x>", date: feb(5)},
		},
		want: "((1)(2)(3)(4)(5))",
	}, {
		name: "empty subjects are not merged",
		msgs: []tm{
			{id: "<a@x>", date: feb(1)},
			{subject: "Re:", id: "<b@x>", date: feb(2)},
		},
		want: "(1)(2)",
	}, {
		name: "no Message-ID, no Date",
		msgs: []tm{
			{subject: "p"},
			{subject: "q"},
		},
		want: "(1)(2)",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			ts.fill(t, tc.msgs...)
			c := ts.login(t)
			c.ok("a SELECT INBOX")
			assert.Equal(t, []string{"* THREAD " + tc.want}, c.ok("b THREAD REFERENCES UTF-8 ALL"))
			assert.Equal(t, []string{"* THREAD " + tc.want}, c.ok("c UID THREAD REFERENCES US-ASCII ALL"))
		})
	}
}

// TestThreadReferencesSearch: only the messages found are threaded;
// the others are missing parents.
func TestThreadReferencesSearch(t *testing.T) {
	ts := newTestServer(t)
	ts.fill(t,
		tm{subject: "p", id: "<a@x>", date: feb(1)},
		tm{subject: "Re: p", id: "<b@x>", refs: "<a@x>", date: feb(2)},
		tm{subject: "Re: p", id: "<c@x>", refs: "<a@x>", date: feb(3)},
	)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	// RFC 5256 4: "((3)(5))": siblings whose parent was not found.
	assert.Equal(t, []string{"* THREAD ((2)(3))"}, c.ok("b THREAD REFERENCES UTF-8 2:3"))
}

func TestSortCapabilities(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	caps := strings.Fields(c.ok("a CAPABILITY")[0])
	for _, cp := range []string{"SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "ESORT", "WITHIN"} {
		assert.Contains(t, caps, cp)
	}
	// Selected state only.
	assert.Regexp(t, `^b BAD `, c.cmd("b SORT (DATE) UTF-8 ALL")[0])
}

// TestSortClient drives the server with this package's client.
func TestSortClient(t *testing.T) {
	ts := newTestServer(t)
	ts.fill(t,
		tm{subject: "b", id: "<a@x>", date: feb(2)},
		tm{subject: "a", id: "<b@x>", date: feb(1)},
		tm{subject: "Re: b", id: "<c@x>", refs: "<a@x>", date: feb(3)},
	)
	ctx := context.Background()
	cl, err := Dial(ctx, ts.addr, nil)
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.Login(ctx, testUser, testPass))
	_, err = cl.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	nums, err := cl.Sort(ctx, []SortCriterion{{Key: "SUBJECT"}, {Key: "DATE", Reverse: true}}, "", []SearchKey{{Op: "ALL"}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{2, 3, 1}, nums)
	nums, err = cl.UIDSort(ctx, []SortCriterion{{Key: "DISPLAYFROM"}}, "US-ASCII", []SearchKey{{Op: "ALL"}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{1, 2, 3}, nums)
	th, err := cl.Thread(ctx, "REFERENCES", "", []SearchKey{{Op: "ALL"}})
	require.NoError(t, err)
	assert.Equal(t, []*Thread{{Num: 2}, {Num: 1, Children: []*Thread{{Num: 3}}}}, th)
	th, err = cl.UIDThread(ctx, "ORDEREDSUBJECT", "", []SearchKey{{Op: "ALL"}})
	require.NoError(t, err)
	assert.Equal(t, []*Thread{{Num: 2}, {Num: 1, Children: []*Thread{{Num: 3}}}}, th)
}
