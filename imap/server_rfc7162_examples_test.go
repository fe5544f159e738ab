package imap

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// The examples of RFC 7162 3.1 (CONDSTORE) and 3.2 (QRESYNC), played on
// the wire against memstore. The RFC's mailboxes are not rebuilt to
// the message: each test builds a small one that gives the same kind
// of answer, with the same items and response codes, and says which
// example it plays. Played elsewhere: 3.2.5 (UIDVALIDITY mismatch),
// 3.2.5.1 and 3.2.5.2 (A03, A04, B04) in TestQResyncSelect; 3.2.8
// (CLOSE) in TestQResyncVanished; 3.2.10.2 under QRESYNC in
// TestQResyncRFCExpungeExample.

// modSeqRe finds the value of a MODSEQ item or HIGHESTMODSEQ code.
var modSeqRe = regexp.MustCompile(`(?:MODSEQ \(|HIGHESTMODSEQ )(\d+)`)

// modSeqIn returns the first MODSEQ or HIGHESTMODSEQ value in l.
func modSeqIn(t *testing.T, l string) uint64 {
	t.Helper()
	m := modSeqRe.FindStringSubmatch(l)
	require.NotNil(t, m, "no mod-sequence in %q", l)
	n, err := strconv.ParseUint(m[1], 10, 64)
	require.NoError(t, err)
	return n
}

// highestIn returns the HIGHESTMODSEQ that lines report.
func highestIn(t *testing.T, lines []string) uint64 {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(l, "[HIGHESTMODSEQ ") {
			return modSeqIn(t, l)
		}
	}
	t.Fatalf("no HIGHESTMODSEQ in %q", lines)
	return 0
}

// rfc7162Box delivers n+3 messages to INBOX and has another session
// expunge the first three, so that message k is UID k+3 (the RFC's
// examples have UIDs apart from message numbers).
func rfc7162Box(t *testing.T, ts *testServer, n int) {
	t.Helper()
	for range n + 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("x1 SELECT INBOX")
	c.ok(`x2 STORE 1:3 +FLAGS.SILENT (\Deleted)`)
	c.ok("x3 EXPUNGE")
	c.ok("x4 LOGOUT")
}

// selectLinesRe is the shape of SELECT's untagged responses to an
// IMAP4rev1 client once CONDSTORE is on (RFC 7162 3.1.2.1 example 1,
// 3.1.8 example 18): those of RFC 3501 6.3.1, then HIGHESTMODSEQ.
var selectLinesRe = []string{
	`^\* FLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft\)$`,
	`^\* OK \[PERMANENTFLAGS \(.*\)\] `,
	`^\* 3 EXISTS$`,
	`^\* 0 RECENT$`,
	`^\* OK \[UNSEEN 1\] `,
	`^\* OK \[UIDVALIDITY \d+\] `,
	`^\* OK \[MAILBOXID \(\w+\)\] `, // RFC 8474
	`^\* OK \[UIDNEXT \d+\] `,
	`^\* OK \[URLMECH INTERNAL\] `, // RFC 4467 BASE.7.1.URLMECH
}

// TestRFC7162SelectExamples plays RFC 7162 3.1.2.1 example 1 (SELECT
// once CONDSTORE is enabled: HIGHESTMODSEQ), 3.1.8 example 18 (SELECT
// with the CONDSTORE parameter) and 3.1.7 example 17 (STATUS
// HIGHESTMODSEQ).
func TestRFC7162SelectExamples(t *testing.T) {
	ts := newTestServer(t)
	rfc7162Box(t, ts, 3) // UIDs 4:6, HIGHESTMODSEQ past the expunge
	tests := []struct {
		name, before, sel, tagged string
	}{
		// Example 1: CONDSTORE enabled beforehand (ENABLE is a
		// CONDSTORE enabling command, RFC 7162 3.1).
		{"example 1", "A141 ENABLE CONDSTORE", "A142 SELECT INBOX", "A142 OK [READ-WRITE] SELECT completed"},
		// Example 18.
		{"example 18", "", "A142 SELECT INBOX (CONDSTORE)", "A142 OK [READ-WRITE] SELECT completed"},
		{"example 18, EXAMINE", "", "A143 EXAMINE INBOX (CONDSTORE)", "A143 OK [READ-ONLY] EXAMINE completed"},
	}
	var highest uint64
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.login(t)
			if tc.before != "" {
				c.ok(tc.before)
			}
			r := c.cmd(tc.sel)
			require.Len(t, r, len(selectLinesRe)+2, "%q", r)
			for i, re := range selectLinesRe {
				assert.Regexp(t, re, r[i])
			}
			assert.Regexp(t, `^\* OK \[HIGHESTMODSEQ \d+\] `, r[len(r)-2])
			assert.Equal(t, tc.tagged, r[len(r)-1])
			h := highestIn(t, r)
			if highest == 0 {
				highest = h
			}
			assert.Equal(t, highest, h)
		})
	}
	// Example 17: STATUS HIGHESTMODSEQ is the same value.
	c := ts.login(t)
	assert.Equal(t, []string{fmt.Sprintf("* STATUS INBOX (MESSAGES 3 UIDNEXT 7 HIGHESTMODSEQ %d)", highest)},
		c.ok("A042 STATUS INBOX (UIDNEXT MESSAGES HIGHESTMODSEQ)"))
	// Without a CONDSTORE enabling command (STATUS HIGHESTMODSEQ is
	// one), SELECT says nothing of mod-sequences (RFC 7162 3.1.2.1:
	// "Once a CONDSTORE enabling command is issued").
	d := ts.login(t)
	assert.NotContains(t, strings.Join(d.ok("A144 SELECT INBOX"), "\n"), "MODSEQ")
}

// noModSeqStore gives mailboxes without persistent mod-sequences: their
// HIGHESTMODSEQ is 0 (RFC 7162 3.1.2.2).
type noModSeqStore struct{ mailbox.Store }

type noModSeqAccount struct{ mailbox.Account }

type noModSeqMailbox struct{ mailbox.Mailbox }

func (s noModSeqStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	a, err := s.Store.Account(ctx, user)
	if err != nil {
		return nil, err
	}
	return noModSeqAccount{a}, nil
}

func (a noModSeqAccount) Open(ctx context.Context, name string, opts *mailbox.OpenOptions) (mailbox.Mailbox, error) {
	m, err := a.Account.Open(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	return noModSeqMailbox{m}, nil
}

func (a noModSeqAccount) Status(ctx context.Context, name string) (*mailbox.Status, error) {
	st, err := a.Account.Status(ctx, name)
	if st != nil {
		st.HighestModSeq = 0
	}
	return st, err
}

func (m noModSeqMailbox) Status(ctx context.Context) (*mailbox.Status, error) {
	st, err := m.Mailbox.Status(ctx)
	if st != nil {
		st.HighestModSeq = 0
	}
	return st, err
}

// TestRFC7162NoModSeqExample plays RFC 7162 3.1.2.2 example 2: a
// mailbox without mod-sequences answers NOMODSEQ where HIGHESTMODSEQ
// would be, STATUS HIGHESTMODSEQ is 0 (3.1.7), QRESYNC's parameter is
// ignored (3.2.5.1), expunges stay EXPUNGE responses under QRESYNC
// (3.2.10.2), and the commands that need mod-sequences are BAD
// (3.1.2.2).
func TestRFC7162NoModSeqExample(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.Store = noModSeqStore{s.Store} })
	for range 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	r := c.cmd("A142 SELECT INBOX (CONDSTORE)")
	// The wrapping store's accounts have no URLAUTH keys: no URLMECH.
	require.Len(t, r, len(selectLinesRe)+1, "%q", r)
	assert.Regexp(t, `^\* OK \[NOMODSEQ\] `, r[len(r)-2])
	assert.Equal(t, "A142 OK [READ-WRITE] SELECT completed", r[len(r)-1])
	assert.Regexp(t, `^\* STATUS INBOX \(HIGHESTMODSEQ 0\)$`, c.ok("A143 STATUS INBOX (HIGHESTMODSEQ)")[0])

	// RFC 7162 3.1.2.2: "MUST reject (with a tagged BAD response)".
	for _, cmd := range []string{
		`b1 SEARCH MODSEQ 1`,
		`b2 UID SEARCH RETURN (MIN) MODSEQ 1`,
		`b3 SORT (ARRIVAL) UTF-8 MODSEQ 1`,
		`b7 THREAD REFERENCES UTF-8 MODSEQ 1`,
		`b4 FETCH 1 (FLAGS) (CHANGEDSINCE 1)`,
		`b5 FETCH 1 (MODSEQ)`,
		`b6 STORE 1 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\Seen)`,
	} {
		r := c.cmd(cmd)
		assert.Regexp(t, `^b\d BAD `, r[len(r)-1], cmd)
	}

	// QRESYNC: the parameter is ignored (3.2.5.1) and expunges are
	// EXPUNGE responses, not VANISHED (3.2.10.2).
	q := ts.login(t)
	q.ok("Q1 ENABLE QRESYNC")
	r = q.ok("Q2 SELECT INBOX (QRESYNC (1 1 1:10))")
	assert.Regexp(t, `^\* OK \[NOMODSEQ\] `, r[len(r)-1])
	q.ok(`Q3 STORE 2 +FLAGS.SILENT (\Deleted)`)
	assert.Equal(t, []string{"* 2 EXPUNGE", "Q4 OK EXPUNGE completed"}, q.cmd("Q4 EXPUNGE"))
}

// TestRFC7162StoreExamples plays the conditional STORE examples of RFC
// 7162 3.1.3 (examples 3 to 10) on one mailbox, message k being UID
// k+3, with a second session b changing flags under a.
func TestRFC7162StoreExamples(t *testing.T) {
	ts := newTestServer(t)
	rfc7162Box(t, ts, 12)
	a := ts.login(t)
	b := ts.login(t)
	h := highestIn(t, a.ok("A142 SELECT INBOX (CONDSTORE)"))
	b.ok("B1 SELECT INBOX")

	// Example 3: all pass; UID STORE answers in message order with UID
	// and MODSEQ, though .SILENT.
	assert.Equal(t, []string{
		fmt.Sprintf("* 1 FETCH (UID 4 MODSEQ (%d))", h+1),
		fmt.Sprintf("* 3 FETCH (UID 6 MODSEQ (%d))", h+2),
		fmt.Sprintf("* 5 FETCH (UID 8 MODSEQ (%d))", h+3),
		"a103 OK STORE completed",
	}, a.cmd(fmt.Sprintf(`a103 UID STORE 6,4,8 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\Deleted)`, h)))
	h += 3

	// Example 4: STORE * passes. $Processed is new: FLAGS first (RFC
	// 9051 7.3.5).
	assert.Equal(t, []string{
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Processed)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Processed \*)] Flags permitted`,
		fmt.Sprintf("* 12 FETCH (UID 15 MODSEQ (%d))", h+1),
		"a104 OK STORE completed",
	}, a.cmd(fmt.Sprintf(`a104 STORE * (UNCHANGEDSINCE %d) +FLAGS.SILENT (\Deleted $Processed)`, h)))
	h++

	// Example 5: the first CONDSTORE enabling command of a session with
	// a mailbox selected reports HIGHESTMODSEQ first (RFC 7162 3.1).
	c := ts.login(t)
	c.ok("C1 SELECT INBOX")
	assert.Equal(t, []string{
		fmt.Sprintf("* OK [HIGHESTMODSEQ %d] Highest mod-sequence", h),
		fmt.Sprintf("* 12 FETCH (UID 15 MODSEQ (%d))", h+1),
		"c101 OK STORE completed",
	}, c.cmd(fmt.Sprintf(`c101 STORE 12 (UNCHANGEDSINCE %d) -FLAGS.SILENT (\Deleted)`, h)))
	h++
	a.ok("A2 NOOP") // a learns of c's change

	// Example 6: 7 and 9 changed in b after h; 5 is stored, and the
	// failures do not stop the others. The STORE tells the flags of 7
	// and 9, as the example's second form (and examples 9 and 10)
	// recommend, so that the client need not poll.
	b.ok(`B2 STORE 7 +FLAGS.SILENT (\Seen)`)     // h+1
	b.ok(`B3 STORE 9 +FLAGS.SILENT (\Answered)`) // h+2
	assert.Equal(t, []string{
		fmt.Sprintf("* 5 FETCH (UID 8 MODSEQ (%d))", h+3),
		fmt.Sprintf(`* 7 FETCH (UID 10 FLAGS (\Seen) MODSEQ (%d))`, h+1),
		fmt.Sprintf(`* 9 FETCH (UID 12 FLAGS (\Answered) MODSEQ (%d))`, h+2),
		"d105 OK [MODIFIED 7,9] Conditional STORE failed",
	}, a.cmd(fmt.Sprintf(`d105 STORE 7,5,9 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\Flagged)`, h)))
	assert.Equal(t, []string{
		fmt.Sprintf(`* 7 FETCH (UID 10 FLAGS (\Seen) MODSEQ (%d))`, h+1),
		fmt.Sprintf(`* 9 FETCH (UID 12 FLAGS (\Answered) MODSEQ (%d))`, h+2),
	}, a.ok("d106 NOOP"))
	h += 3

	// Example 7: as example 6, but the server tells the flags of the
	// messages that failed with the STORE (RFC 3501 6.4.6's SHOULD).
	// This server does so for UID STORE, during which it may report
	// every change; the MODIFIED set is then of UIDs.
	b.ok(`B4 STORE 7 +FLAGS.SILENT (\Deleted)`)  // h+1
	b.ok(`B5 STORE 9 -FLAGS.SILENT (\Answered)`) // h+2
	assert.Equal(t, []string{
		fmt.Sprintf("* 5 FETCH (UID 8 MODSEQ (%d))", h+3),
		fmt.Sprintf(`* 7 FETCH (UID 10 FLAGS (\Seen \Deleted) MODSEQ (%d))`, h+1),
		fmt.Sprintf(`* 9 FETCH (UID 12 FLAGS () MODSEQ (%d))`, h+2),
		"d107 OK [MODIFIED 10,12] Conditional STORE failed",
	}, a.cmd(fmt.Sprintf(`d107 UID STORE 10,8,12 (UNCHANGEDSINCE %d) -FLAGS.SILENT (\Flagged)`, h)))
	h += 3

	// Example 8: UNCHANGEDSINCE 0 always fails.
	assert.Equal(t, []string{"a102 OK [MODIFIED 12] Conditional STORE failed"},
		a.cmd(`a102 STORE 12 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)`))

	// RFC 7162 3.1.3 (after example 11): a message named twice does
	// not fail the second time.
	assert.Equal(t, []string{
		fmt.Sprintf("* 2 FETCH (UID 5 MODSEQ (%d))", h+1),
		fmt.Sprintf("* 3 FETCH (UID 6 MODSEQ (%d))", h+2),
		"e105 OK STORE completed",
	}, a.cmd(fmt.Sprintf(`e105 STORE 3,2:3 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\Flagged)`, h)))
	h += 2

	// Example 10: $Processed set on 10 by b; a's STORE 8:11 fails for
	// 10 only, and tells why; the NOOP of example 9 tells it again.
	b.ok(`B6 STORE 10 +FLAGS.SILENT ($Processed)`) // h+1
	assert.Equal(t, []string{
		fmt.Sprintf("* 8 FETCH (UID 11 MODSEQ (%d))", h+2),
		fmt.Sprintf("* 9 FETCH (UID 12 MODSEQ (%d))", h+3),
		fmt.Sprintf("* 11 FETCH (UID 14 MODSEQ (%d))", h+4),
		fmt.Sprintf(`* 10 FETCH (UID 13 FLAGS ($Processed) MODSEQ (%d))`, h+1),
		"a106 OK [MODIFIED 10] Conditional STORE failed",
	}, a.cmd(fmt.Sprintf(`a106 STORE 8:11 (UNCHANGEDSINCE %d) +FLAGS.SILENT ($Processed)`, h)))
	assert.Equal(t, []string{fmt.Sprintf(`* 10 FETCH (UID 13 FLAGS ($Processed) MODSEQ (%d))`, h+1)}, a.ok("a107 NOOP"))
	h += 4

	// Example 9, second part: other flags changed on 6 (twice); this
	// server keeps one mod-sequence per message, so the STORE fails
	// (what RFC 7162 3.1.12 discourages but allows), NOOP tells the
	// flags once, and the client retries with the mod-sequence told.
	b.ok(`B7 STORE 6 +FLAGS.SILENT (\Answered)`) // h+1
	b.ok(`B8 STORE 6 +FLAGS.SILENT (\Draft)`)    // h+2
	assert.Equal(t, []string{fmt.Sprintf(`* 6 FETCH (UID 9 FLAGS (\Answered \Draft) MODSEQ (%d))`, h+2), "b106 OK [MODIFIED 6] Conditional STORE failed"},
		a.cmd(fmt.Sprintf(`b106 STORE 6 (UNCHANGEDSINCE %d) +FLAGS.SILENT ($Processed)`, h)))
	assert.Equal(t, []string{fmt.Sprintf(`* 6 FETCH (UID 9 FLAGS (\Answered \Draft) MODSEQ (%d))`, h+2)}, a.ok("b107 NOOP"))
	assert.Equal(t, []string{
		fmt.Sprintf("* 6 FETCH (UID 9 MODSEQ (%d))", h+3),
		"b108 OK STORE completed",
	}, a.cmd(fmt.Sprintf(`b108 STORE 6 (UNCHANGEDSINCE %d) +FLAGS.SILENT ($Processed)`, h+2)))
	h += 3

	// Example 10: the server spares the client the NOOP: with UID
	// STORE the changes of others, the cause of the failure among
	// them, come with the answer.
	b.ok(`B9 STORE 8 +FLAGS.SILENT (\Seen)`) // h+1
	assert.Equal(t, []string{
		fmt.Sprintf("* 7 FETCH (UID 10 MODSEQ (%d))", h+2),
		fmt.Sprintf("* 9 FETCH (UID 12 MODSEQ (%d))", h+3),
		fmt.Sprintf(`* 8 FETCH (UID 11 FLAGS ($Processed \Seen) MODSEQ (%d))`, h+1),
		"a106 OK [MODIFIED 11] Conditional STORE failed",
	}, a.cmd(fmt.Sprintf(`a106 UID STORE 10:12 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\Draft)`, h)))
}

// TestRFC7162ExpungedStoreExample plays RFC 7162 3.1.3 example 11 (from
// RFC 2180 4.2.3): a conditional STORE over messages another session
// expunged, one of the others failing the test. This server stores
// what it can and answers OK [MODIFIED 2]; the RFC shows NO [MODIFIED
// 2], which it allows ("MAY") but does not require.
func TestRFC7162ExpungedStoreExample(t *testing.T) {
	ts := newTestServer(t)
	for range 7 {
		ts.deliver(t, "INBOX", testMsg)
	}
	a := ts.login(t)
	b := ts.login(t)
	h := highestIn(t, a.ok("A1 SELECT INBOX (CONDSTORE)"))
	b.ok("B1 SELECT INBOX")
	b.ok(`B2 STORE 4:7 +FLAGS.SILENT (\Deleted)`)
	b.ok("B3 EXPUNGE")
	b.ok(`B4 STORE 2 +FLAGS.SILENT (\Deleted \Answered)`)

	r := a.cmd(fmt.Sprintf(`B001 STORE 1:7 (UNCHANGEDSINCE %d) +FLAGS (\Seen)`, h))
	require.Len(t, r, 4, "%q", r)
	assert.Regexp(t, `^\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$`, r[0])
	assert.Regexp(t, `^\* 3 FETCH \(UID 3 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$`, r[1])
	assert.Regexp(t, `^\* 2 FETCH \(UID 2 FLAGS \(\\Deleted \\Answered\) MODSEQ \(\d+\)\)$`, r[2])
	assert.Equal(t, "B001 OK [MODIFIED 2] Conditional STORE failed", r[3])

	r = a.ok("B002 NOOP")
	require.Len(t, r, 5, "%q", r)
	assert.Equal(t, []string{"* 4 EXPUNGE", "* 4 EXPUNGE", "* 4 EXPUNGE", "* 4 EXPUNGE"}, r[:4])
	assert.Regexp(t, `^\* 2 FETCH \(UID 2 FLAGS \(\\Deleted \\Answered\) MODSEQ \(\d+\)\)$`, r[4])
	m2 := modSeqIn(t, r[4])

	r = a.cmd(fmt.Sprintf(`b003 STORE 2 (UNCHANGEDSINCE %d) +FLAGS (\Seen)`, m2))
	assert.Equal(t, []string{
		// B001 changed 1 and 3 after m2.
		fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS (\Deleted \Answered \Seen) MODSEQ (%d))`, m2+3),
		"b003 OK STORE completed",
	}, r)
}

// expungeFirst has another session expunge the first n messages of
// INBOX, UIDs 1:n, and only them.
func expungeFirst(t *testing.T, ts *testServer, n int) {
	t.Helper()
	c := ts.login(t)
	c.ok("x1 SELECT INBOX")
	c.ok(fmt.Sprintf(`x2 STORE 1:%d +FLAGS.SILENT (\Deleted)`, n))
	c.ok(fmt.Sprintf("x3 UID EXPUNGE 1:%d", n))
	c.ok("x4 LOGOUT")
}

// TestRFC7162FetchSearchExamples plays RFC 7162 3.1.4.1 example 12
// (CHANGEDSINCE), 3.1.4.2 example 13 (FETCH MODSEQ), 3.1.5 examples 15
// and 16 (SEARCH MODSEQ), and 3.1.10 examples 19 and 20 (ESEARCH and
// ESORT with MODSEQ). Messages 1:6 are UIDs 4:9, sent on dates that
// go back, so that DATE order is the reverse of theirs.
func TestRFC7162FetchSearchExamples(t *testing.T) {
	ts := newTestServer(t)
	var msgs []tm
	for i := range 9 {
		msgs = append(msgs, tm{subject: fmt.Sprint("s", i), date: feb(20 - i)})
	}
	ts.fill(t, msgs...)
	expungeFirst(t, ts, 3)
	a := ts.login(t)
	b := ts.login(t)
	h := highestIn(t, a.ok("A1 SELECT INBOX (CONDSTORE)"))
	b.ok("B1 SELECT INBOX")
	b.ok(`B2 STORE 1 +FLAGS.SILENT (\Seen)`)                      // h+1
	b.ok(`B3 STORE 2 +FLAGS.SILENT (\Deleted)`)                   // h+2
	b.ok(`B4 STORE 4 +FLAGS.SILENT ($NoJunk $AutoJunk $MDNSent)`) // h+3
	a.ok("A2 NOOP")

	// Example 12.
	assert.Equal(t, []string{
		fmt.Sprintf(`* 1 FETCH (UID 4 FLAGS (\Seen) MODSEQ (%d))`, h+1),
		fmt.Sprintf(`* 2 FETCH (UID 5 FLAGS (\Deleted) MODSEQ (%d))`, h+2),
		fmt.Sprintf(`* 4 FETCH (UID 7 FLAGS ($NoJunk $AutoJunk $MDNSent) MODSEQ (%d))`, h+3),
		"s100 OK FETCH completed",
	}, a.cmd(fmt.Sprintf("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)", h)))

	// Example 13: message 3 (UID 6) kept the mod-sequence of its
	// APPEND, the sixth.
	assert.Equal(t, []string{
		fmt.Sprintf(`* 1 FETCH (MODSEQ (%d))`, h+1),
		fmt.Sprintf(`* 2 FETCH (MODSEQ (%d))`, h+2),
		`* 3 FETCH (MODSEQ (7))`,
		"a OK FETCH completed",
	}, a.cmd("a FETCH 1:3 (MODSEQ)"))

	// Example 15: the server keeps one mod-sequence per message, so it
	// ignores the entry name and type (RFC 7162 3.1.5: "MUST ignore").
	b.ok(`B5 STORE 2 +FLAGS.SILENT (\Draft)`) // h+4
	b.ok(`B6 STORE 5 +FLAGS.SILENT (\Draft)`) // h+5
	a.ok("A3 NOOP")
	assert.Equal(t, []string{fmt.Sprintf("* SEARCH 2 5 (MODSEQ %d)", h+5), "a OK SEARCH completed"},
		a.cmd(fmt.Sprintf(`a SEARCH MODSEQ "/flags/\\draft" all %d`, h+4)))
	assert.Equal(t, []string{fmt.Sprintf("* SEARCH 5 8 (MODSEQ %d)", h+5), "a OK SEARCH completed"},
		a.cmd(fmt.Sprintf(`a UID SEARCH MODSEQ "/flags/\\draft" all %d`, h+4)))
	// Example 16: nothing found, no MODSEQ.
	assert.Equal(t, []string{"* SEARCH", "t OK SEARCH completed"}, a.cmd("t SEARCH OR NOT MODSEQ 1 LARGER 50000"))

	// Example 19: messages 1, 2, 4 and 5 changed since h+1.
	assert.Equal(t, []string{fmt.Sprintf(`* ESEARCH (TAG "a") ALL 1:2,4:5 MODSEQ %d`, h+5), "a OK SEARCH completed"},
		a.cmd(fmt.Sprintf("a SEARCH RETURN (ALL) MODSEQ %d", h+1)))
	// Example 20: the same in DATE order.
	assert.Equal(t, []string{fmt.Sprintf(`* ESEARCH (TAG "a") ALL 5,4,2,1 MODSEQ %d`, h+5), "a OK SORT completed"},
		a.cmd(fmt.Sprintf("a SORT RETURN (ALL) (DATE) UTF-8 MODSEQ %d", h+1)))
	// RFC 7162 3.1.9: SORT without RETURN ends with MODSEQ as SEARCH
	// does, and THREAD is unchanged.
	assert.Equal(t, []string{fmt.Sprintf(`* SORT 5 4 2 1 (MODSEQ %d)`, h+5)},
		a.ok(fmt.Sprintf("a SORT (DATE) UTF-8 MODSEQ %d", h+1)))
	assert.Equal(t, []string{`* THREAD (5)(4)(2)(1)`},
		a.ok(fmt.Sprintf("a THREAD REFERENCES UTF-8 MODSEQ %d", h+1)))
	// Nothing found: no MODSEQ either.
	assert.Equal(t, []string{`* ESEARCH (TAG "a") COUNT 0`}, a.ok("a SEARCH RETURN (COUNT) MODSEQ 1000000"))
	assert.Equal(t, []string{`* SORT`}, a.ok("a SORT (DATE) UTF-8 MODSEQ 1000000"))
}

// TestRFC7162SessionsExample plays RFC 7162 3.1.4.2 example 14 for the
// two sessions of one user: flag changes of session 1 reach session 2
// with MODSEQ, and with UID since the server offers QRESYNC (RFC 7162
// 3.2.4, as the text before the example says). Session 3, another user
// sharing the mailbox with private \Seen, has no counterpart here (no
// shared mailboxes). Session 1's .SILENT STOREs answer no FETCH: RFC
// 7162 3.1.3 asks for one only with UNCHANGEDSINCE, and RFC 9051
// 6.4.6's .SILENT for none; the example's "* 7 FETCH (MODSEQ ...)"
// after A160 goes beyond the normative text.
func TestRFC7162SessionsExample(t *testing.T) {
	ts := newTestServer(t)
	for range 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	s1 := ts.login(t)
	s2 := ts.login(t)
	s1.ok("A142 SELECT INBOX (CONDSTORE)")
	s2.ok("C142 SELECT INBOX (CONDSTORE)")
	s1.ok(`A150 STORE 3 +FLAGS.SILENT (\Answered)`)
	s2.ok("C150 NOOP")

	assert.Equal(t, []string{"A160 OK STORE completed"}, s1.cmd(`A160 STORE 3 +FLAGS.SILENT (\Deleted)`))
	r := s2.ok("C180 NOOP")
	require.Len(t, r, 1)
	assert.Regexp(t, `^\* 3 FETCH \(UID 3 FLAGS \(\\Answered \\Deleted\) MODSEQ \(\d+\)\)$`, r[0])
	m := modSeqIn(t, r[0])

	s1.ok(`A240 STORE 3 +FLAGS.SILENT (\Seen)`)
	assert.Equal(t, []string{fmt.Sprintf(`* 3 FETCH (UID 3 FLAGS (\Answered \Deleted \Seen) MODSEQ (%d))`, m+1)}, s2.ok("C270 NOOP"))
	s1.ok(`A330 STORE 3 -FLAGS.SILENT (\Answered \Seen)`)
	assert.Equal(t, []string{fmt.Sprintf(`* 3 FETCH (UID 3 FLAGS (\Deleted) MODSEQ (%d))`, m+2)}, s2.ok("C360 NOOP"))
	// Without .SILENT, session 1 sees its own change with MODSEQ.
	assert.Equal(t, []string{fmt.Sprintf(`* 3 FETCH (UID 3 FLAGS () MODSEQ (%d))`, m+3)}, s1.ok(`A340 STORE 3 -FLAGS (\Deleted)`))
}

// TestRFC7162VanishedFetchExample plays RFC 7162 3.2.6 example 1 with
// the RFC's UIDs less 400: the client's cache holds UIDs 1:12 (the
// RFC's 300:500); 9 went before the client's mod-sequence, 1:3, 5 and
// 11 after it, and 4, 6 and 8 changed flags, so that they are messages
// 1, 2 and 4 as in the RFC.
func TestRFC7162VanishedFetchExample(t *testing.T) {
	ts := newTestServer(t)
	for range 12 {
		ts.deliver(t, "INBOX", testMsg)
	}
	b := ts.login(t)
	b.ok("B1 SELECT INBOX")
	b.ok(`B2 UID STORE 9 +FLAGS.SILENT (\Deleted)`)
	b.ok("B3 EXPUNGE")
	since := highestIn(t, b.ok("B4 STATUS INBOX (HIGHESTMODSEQ)"))
	b.ok(`B5 UID STORE 4 +FLAGS.SILENT (\Seen)`)
	b.ok(`B6 UID STORE 6 +FLAGS.SILENT (\Deleted)`)
	b.ok(`B7 UID STORE 8 +FLAGS.SILENT ($NoJunk $AutoJunk $MDNSent)`)
	b.ok(`B8 UID STORE 1:3,5,11 +FLAGS.SILENT (\Deleted)`)
	b.ok("B9 UID EXPUNGE 1:3,5,11")

	a := ts.login(t)
	a.ok("A1 ENABLE QRESYNC")
	a.ok("A2 SELECT INBOX")
	fetches := []string{
		`* 1 FETCH \(UID 4 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)`,
		`* 2 FETCH \(UID 6 FLAGS \(\\Deleted\) MODSEQ \(\d+\)\)`,
		`* 4 FETCH \(UID 8 FLAGS \(\$NoJunk \$AutoJunk \$MDNSent\) MODSEQ \(\d+\)\)`,
	}
	// Without VANISHED: the changes, then a UID SEARCH for what is left.
	r := a.ok(fmt.Sprintf("s100 UID FETCH 1:12 (FLAGS) (CHANGEDSINCE %d)", since))
	require.Len(t, r, 3, "%q", r)
	for i, re := range fetches {
		assert.Regexp(t, "^"+strings.ReplaceAll(re, "* ", `\* `)+"$", r[i])
	}
	assert.Equal(t, []string{"* SEARCH 4 6 7 8 10 12", "s101 OK SEARCH completed"}, a.cmd("s101 UID SEARCH UID 1:12"))
	// With VANISHED: VANISHED (EARLIER) first, then the same FETCHes.
	r = a.ok(fmt.Sprintf("s100 UID FETCH 1:12 (FLAGS) (CHANGEDSINCE %d VANISHED)", since))
	require.Len(t, r, 4, "%q", r)
	assert.Equal(t, "* VANISHED (EARLIER) 1:3,5,11", r[0])
	for i, re := range fetches {
		assert.Regexp(t, "^"+strings.ReplaceAll(re, "* ", `\* `)+"$", r[i+1])
	}
}

// TestRFC7162ExpungeExamples plays RFC 7162 3.2.7 (EXPUNGE), 3.2.9 (UID
// EXPUNGE) and 3.2.10.2 without QRESYNC, where they are EXPUNGE
// responses, while a QRESYNC session of the same mailbox gets them as
// VANISHED (3.2.10.2: "as well as messages expunged in other
// connections"). Messages 1:11 are UIDs 1,4,5,7,8,9,10,11,12,13,25,
// the RFC's x,504,505,507,508,x,510,x,x,x,625 less 500.
func TestRFC7162ExpungeExamples(t *testing.T) {
	ts := newTestServer(t)
	for range 25 {
		ts.deliver(t, "INBOX", testMsg)
	}
	p := ts.login(t)
	p.ok("P1 SELECT INBOX")
	p.ok(`P2 UID STORE 2:3,6,14:24 +FLAGS.SILENT (\Deleted)`)
	p.ok("P3 EXPUNGE")
	p.ok("P4 LOGOUT")

	a := ts.login(t) // CONDSTORE, not QRESYNC
	q := ts.login(t) // QRESYNC
	a.ok("A1 SELECT INBOX (CONDSTORE)")
	q.ok("Q1 ENABLE QRESYNC")
	q.ok("Q2 SELECT INBOX")

	// 3.2.7 and 3.2.10.2: messages 3, 4, 7 and 11 are \Deleted. Without
	// QRESYNC the HIGHESTMODSEQ code is optional; this server leaves it
	// out.
	a.ok(`A2 STORE 3:4,7,11 +FLAGS.SILENT (\Deleted)`)
	assert.Equal(t, []string{"* 3 EXPUNGE", "* 3 EXPUNGE", "* 5 EXPUNGE", "* 8 EXPUNGE", "A202 OK EXPUNGE completed"},
		a.cmd("A202 EXPUNGE"))
	r := q.ok("B202 NOOP")
	assert.Equal(t, "* VANISHED 5,7,10,25", r[len(r)-1])

	// 3.2.10.2, continued: 504 and 508 (4 and 8) go next.
	a.ok(`A3 UID STORE 4,8 +FLAGS.SILENT (\Deleted)`)
	assert.Equal(t, []string{"* 2 EXPUNGE", "* 2 EXPUNGE", "A210 OK EXPUNGE completed"}, a.cmd("A210 EXPUNGE"))
	r = q.ok("B210 NOOP")
	assert.Equal(t, "* VANISHED 4,8", r[len(r)-1])

	// 3.2.9: messages 2:5 are UIDs 9, 11, 12 and 13, all \Deleted;
	// UID EXPUNGE takes those in its set only.
	a.ok(`A4 STORE 2:5 +FLAGS.SILENT (\Deleted)`)
	assert.Equal(t, []string{"* 2 EXPUNGE", "* 2 EXPUNGE", "* 2 EXPUNGE", ". OK EXPUNGE completed"}, a.cmd(". UID EXPUNGE 9:12"))
	r = q.ok("B211 NOOP")
	assert.Equal(t, "* VANISHED 9,11:12", r[len(r)-1])
	// Under QRESYNC: VANISHED and HIGHESTMODSEQ in the tagged OK.
	r = q.cmd("B212 UID EXPUNGE 13")
	require.Len(t, r, 2, "%q", r)
	assert.Equal(t, "* VANISHED 13", r[0])
	assert.Regexp(t, `^B212 OK \[HIGHESTMODSEQ \d+\] EXPUNGE completed$`, r[1])

	// 3.2.10.2: "suppose the mailbox contains UIDs 2 and 4": VANISHED
	// never names a UID the session does not show, VANISHED (EARLIER)
	// may.
	assert.Equal(t, []string{"B213 OK EXPUNGE completed"}, q.cmd("B213 UID EXPUNGE 2:3,5"))
	assert.Equal(t, []string{"* VANISHED (EARLIER) 2:3,5"}, q.ok("B214 UID FETCH 2:3,5 (FLAGS) (CHANGEDSINCE 1 VANISHED)"))
}
