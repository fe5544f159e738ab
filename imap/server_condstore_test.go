package imap

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCondStore follows RFC 7162 3.1: mod-sequences in FETCH once the
// client is CONDSTORE-aware, CHANGEDSINCE, UNCHANGEDSINCE and MODIFIED.
func TestCondStore(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 3; i++ {
		ts.deliver(t, "INBOX", testMsg)
	}
	a := ts.login(t)
	b := ts.login(t)
	assert.Contains(t, a.ok("a0 CAPABILITY")[0], " CONDSTORE")
	r := a.ok("a1 SELECT INBOX (CONDSTORE)")
	assert.Contains(t, r, "* OK [HIGHESTMODSEQ 4] Highest mod-sequence")
	assert.Equal(t, []string{"* 1 FETCH (UID 1 MODSEQ (2))"}, a.ok("a2 UID FETCH 1 UID"))

	// STORE reports MODSEQ, even .SILENT with UNCHANGEDSINCE, and the
	// UID, since the server offers QRESYNC (RFC 7162 3.2.4).
	assert.Equal(t, []string{"* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (5))"}, a.ok(`a3 STORE 2 +FLAGS (\Seen)`))
	assert.Equal(t, []string{"* 1 FETCH (UID 1 MODSEQ (6))"}, a.ok(`a4 STORE 1 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\Flagged)`))
	// Message 2 changed at 5: not changed since 4, so MODIFIED.
	assert.Equal(t, []string{"* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (5))", "a5 OK [MODIFIED 2] Conditional STORE failed"}, a.cmd(`a5 STORE 2 (UNCHANGEDSINCE 4) +FLAGS.SILENT (\Deleted)`))
	assert.Equal(t, []string{"a6 OK [MODIFIED 3] Conditional STORE failed"}, a.cmd(`a6 UID STORE 3 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)`))
	// CHANGEDSINCE: only what changed after 4.
	assert.Equal(t, []string{
		"* 1 FETCH (FLAGS (\\Flagged) MODSEQ (6))",
		"* 2 FETCH (FLAGS (\\Seen) MODSEQ (5))",
	}, a.ok("a7 FETCH 1:* (FLAGS) (CHANGEDSINCE 4)"))
	assert.Equal(t, []string{"* STATUS INBOX (HIGHESTMODSEQ 6)"}, a.ok("a8 STATUS INBOX (HIGHESTMODSEQ)"))

	// b becomes CONDSTORE-aware through FETCH MODSEQ: HIGHESTMODSEQ
	// first (RFC 7162 3.1), then MODSEQ in its unsolicited FETCHes.
	b.ok("b1 SELECT INBOX")
	r = b.ok("b2 FETCH 1 (MODSEQ)")
	require.Len(t, r, 2)
	assert.Equal(t, "* OK [HIGHESTMODSEQ 6] Highest mod-sequence", r[0])
	assert.Equal(t, "* 1 FETCH (MODSEQ (6))", r[1])
	a.ok(`a9 STORE 3 +FLAGS.SILENT (\Answered)`)
	assert.Equal(t, []string{"* 3 FETCH (UID 3 FLAGS (\\Answered) MODSEQ (7))"}, b.ok("b3 NOOP"))
}

func TestHasModSeqKey(t *testing.T) {
	assert.False(t, hasModSeqKey([]SearchKey{{Op: "ALL"}}))
	assert.True(t, hasModSeqKey([]SearchKey{{Op: "NOT", Keys: []SearchKey{{Op: "OR", Keys: []SearchKey{{Op: "SEEN"}, {Op: "MODSEQ", Number: 3}}}}}}))
}

// TestCondStoreUIDInEveryFetch: RFC 7162 3.2.4: once CONDSTORE-aware,
// a FETCH that sets \Seen carries the UID, and one that does not and
// asks for no UID does not.
func TestCondStoreUIDInEveryFetch(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a ENABLE CONDSTORE")
	c.ok("b SELECT INBOX")
	r := c.ok("c FETCH 2 (RFC822.SIZE BODY[TEXT])")
	require.Len(t, r, 1)
	assert.Regexp(t, `^\* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\) RFC822\.SIZE \d+ BODY\[TEXT\] \{\d+\}\r\n`, r[0])
	r = c.ok("d FETCH 2 (RFC822.SIZE BODY[TEXT])")
	require.Len(t, r, 1)
	assert.Regexp(t, `^\* 2 FETCH \(MODSEQ \(\d+\) RFC822\.SIZE \d+ BODY\[TEXT\] \{\d+\}\r\n`, r[0])
	assert.Equal(t, []string{"* 1 FETCH (FLAGS () MODSEQ (2))"}, c.ok("e FETCH 1 FLAGS"))
}
