package imap

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The examples of RFC 4731 (ESEARCH), RFC 5161 (ENABLE) and RFC 5032
// (WITHIN) on the wire. RFC 5957 (SORT=DISPLAY) has no example; its
// keys are played in TestSortKeys. RFC 5032 4's one example is
// TestWithin's "a1"; the RFC prints its answer as "a1 * SEARCH 4 8 15
// 16 23 42", an error: the untagged SEARCH comes first, then "a1 OK".

// fillRFC4731 builds the mailbox of the RFC 4731 examples: six
// messages expunged first, so that message k is UID k+6 (A285's "UID
// MIN 7"); of messages 1:12, 2, 10 and 11 are \Flagged, received
// since 1-Feb-1994 and not from Smith (1 is older, 3 is from Smith);
// 1:3 are \Seen, so 4 is the first unseen; 5 and 6 are \Deleted.
func fillRFC4731(t *testing.T, ts *testServer) {
	t.Helper()
	var msgs []tm
	for range 6 {
		msgs = append(msgs, tm{subject: "gone"})
	}
	for k := 1; k <= 12; k++ {
		m := tm{from: "Jones <jones@example.org>", subject: fmt.Sprint(k), date: feb(k)}
		switch k {
		case 1:
			m.arrival = time.Date(1993, 12, 1, 0, 0, 0, 0, time.UTC)
			m.flags = []string{`\Flagged`, `\Seen`}
		case 2, 10, 11:
			m.flags = []string{`\Flagged`}
		case 3:
			m.from = "Smith <smith@example.org>"
			m.flags = []string{`\Flagged`, `\Seen`}
		case 5, 6:
			m.flags = []string{`\Deleted`}
		}
		if k == 2 {
			m.flags = append(m.flags, `\Seen`)
		}
		msgs = append(msgs, m)
	}
	ts.fill(t, msgs...)
	expungeFirst(t, ts, 6)
}

// TestRFC4731Examples plays the examples of RFC 4731 3.1.
func TestRFC4731Examples(t *testing.T) {
	ts := newTestServer(t)
	fillRFC4731(t, ts)
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "ESEARCH")
	c.ok("b SELECT INBOX")
	for _, tc := range []struct{ cmd, want string }{
		{`A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`, `* ESEARCH (TAG "A282") MIN 2 COUNT 3`},
		{`A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`, `* ESEARCH (TAG "A283") ALL 2,10:11`},
		{`A284 SEARCH RETURN (MIN) UNSEEN`, `* ESEARCH (TAG "A284") MIN 4`},
		// The RFC's mailbox has 5000 messages or more; a sequence number
		// past the last is BAD (RFC 9051 9, seq-number), so 1:12 here.
		{`A285 UID SEARCH RETURN (MIN MAX) 1:12`, `* ESEARCH (TAG "A285") UID MIN 7 MAX 18`},
		{`A286 SEARCH RETURN (COUNT) DELETED`, `* ESEARCH (TAG "A286") COUNT 2`},
		// 3.1: an extended UID SEARCH says UID, and its data are UIDs.
		{`A287 UID SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`, `* ESEARCH (TAG "A287") UID ALL 8,16:17`},
		// Nothing found: no MIN, MAX or ALL; COUNT 0.
		{`A288 SEARCH RETURN (MIN MAX ALL COUNT) KEYWORD $none`, `* ESEARCH (TAG "A288") COUNT 0`},
		{`A289 SEARCH RETURN (MIN) KEYWORD $none`, `* ESEARCH (TAG "A289")`},
	} {
		tag, _, _ := strings.Cut(tc.cmd, " ")
		assert.Equal(t, []string{tc.want, tag + " OK SEARCH completed"}, c.cmd(tc.cmd), tc.cmd)
	}
}

// TestRFC4731CondStoreExamples plays RFC 4731 3.2: with MIN or MAX
// alone, MODSEQ is that of the message returned; with MIN and MAX
// alone, the higher of their two; otherwise the highest of all found.
// \Draft is set on 12, then 2, then 5, so that 5 has the highest
// mod-sequence and 12 the lowest of the three, as message 23 has in
// the RFC.
func TestRFC4731CondStoreExamples(t *testing.T) {
	ts := newTestServer(t)
	fillRFC4731(t, ts)
	c := ts.login(t)
	c.ok("b SELECT INBOX (CONDSTORE)")
	var ms [3]uint64
	for i, n := range []int{12, 2, 5} {
		r := c.ok(fmt.Sprintf(`s%d STORE %d +FLAGS (\Draft)`, i, n))
		ms[i] = modSeqIn(t, r[len(r)-1])
	}
	m12, m2, m5 := ms[0], ms[1], ms[2]
	require.Less(t, m12, m2)
	require.Less(t, m2, m5)
	crit := fmt.Sprintf(`MODSEQ "/flags/\\draft" all %d`, m12)
	for _, tc := range []struct{ cmd, want string }{
		{"a1 SEARCH RETURN (MIN) " + crit, fmt.Sprintf(`* ESEARCH (TAG "a1") MIN 2 MODSEQ %d`, m2)},
		{"a2 SEARCH RETURN (MAX) " + crit, fmt.Sprintf(`* ESEARCH (TAG "a2") MAX 12 MODSEQ %d`, m12)},
		{"a3 SEARCH RETURN (MIN MAX) " + crit, fmt.Sprintf(`* ESEARCH (TAG "a3") MIN 2 MAX 12 MODSEQ %d`, m2)},
		{"a4 SEARCH RETURN (MIN COUNT) " + crit, fmt.Sprintf(`* ESEARCH (TAG "a4") MIN 2 COUNT 3 MODSEQ %d`, m5)},
		{"a5 SEARCH RETURN (ALL) " + crit, fmt.Sprintf(`* ESEARCH (TAG "a5") ALL 2,5,12 MODSEQ %d`, m5)},
		{"a6 UID SEARCH RETURN (MAX) " + crit, fmt.Sprintf(`* ESEARCH (TAG "a6") UID MAX 18 MODSEQ %d`, m12)},
		// Extended SORT likewise (RFC 7162 3.1.10): MIN and MAX are the
		// first and last in sort order; REVERSE DATE puts 12 first.
		{"a7 SORT RETURN (MIN) (REVERSE DATE) UTF-8 " + crit, fmt.Sprintf(`* ESEARCH (TAG "a7") MIN 12 MODSEQ %d`, m12)},
		{"a8 SORT RETURN (MAX) (REVERSE DATE) UTF-8 " + crit, fmt.Sprintf(`* ESEARCH (TAG "a8") MAX 2 MODSEQ %d`, m2)},
		{"a9 SORT RETURN (MIN MAX) (REVERSE DATE) UTF-8 " + crit, fmt.Sprintf(`* ESEARCH (TAG "a9") MIN 12 MAX 2 MODSEQ %d`, m2)},
		{"a10 SORT RETURN (MIN COUNT) (REVERSE DATE) UTF-8 " + crit, fmt.Sprintf(`* ESEARCH (TAG "a10") MIN 12 COUNT 3 MODSEQ %d`, m5)},
		// The plain SEARCH of RFC 7162 3.1.5 example 15, for comparison.
		{"a11 SEARCH " + crit, fmt.Sprintf(`* SEARCH 2 5 12 (MODSEQ %d)`, m5)},
	} {
		tag, _, _ := strings.Cut(tc.cmd, " ")
		r := c.cmd(tc.cmd)
		require.Len(t, r, 2, "%s: %q", tc.cmd, r)
		assert.Equal(t, tc.want, r[0], tc.cmd)
		assert.Regexp(t, "^"+tag+" OK ", r[1])
	}
}

// TestRFC5161Examples plays RFC 5161 3.1: ENABLE does not change the
// CAPABILITY list, enables only what the server knows, and ENABLED
// lists what this command enabled.
func TestRFC5161Examples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	before := c.ok("t1 CAPABILITY")
	// The server has no X-GOOD-IDEA; it enables CONDSTORE alone
	// (RFC 7162 3.2.3 does not require it, this server takes it).
	assert.Equal(t, []string{"* ENABLED CONDSTORE"}, c.ok("t2 ENABLE CONDSTORE X-GOOD-IDEA"))
	assert.Equal(t, before, c.ok("t3 CAPABILITY"))

	d := ts.login(t)
	assert.Equal(t, []string{"* ENABLED CONDSTORE", "a1 OK ENABLE completed"}, d.cmd("a1 ENABLE CONDSTORE"))
	// Additive: enabling again lists nothing new (RFC 5161 3.1).
	assert.Equal(t, []string{"* ENABLED", "a2 OK ENABLE completed"}, d.cmd("a2 ENABLE CONDSTORE"))
	// And it made the session CONDSTORE-aware (RFC 7162 3.1).
	assert.Regexp(t, `^\* OK \[HIGHESTMODSEQ \d+\] `, d.ok("a3 SELECT INBOX")[8])
}
