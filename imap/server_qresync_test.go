package imap

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// qresyncSetup delivers 10 messages (UIDs 1:10, MODSEQ 2:11), then,
// through another session, sets \Seen on UID 3 (MODSEQ 12) and
// expunges UIDs 5, 6 and 9 (MODSEQ 16, 17, 18). It returns the
// UIDVALIDITY of INBOX.
func qresyncSetup(t *testing.T, ts *testServer) uint32 {
	t.Helper()
	for range 10 {
		ts.deliver(t, "INBOX", testMsg)
	}
	b := ts.login(t)
	b.ok("B1 SELECT INBOX")
	b.ok(`B2 STORE 3 +FLAGS.SILENT (\Seen)`)
	b.ok(`B3 UID STORE 5:6,9 +FLAGS.SILENT (\Deleted)`)
	b.ok("B4 EXPUNGE")
	b.ok("B5 LOGOUT")
	acct, err := ts.store.Account(context.Background(), testUser)
	require.NoError(t, err)
	defer acct.Close()
	st, err := acct.Status(context.Background(), "INBOX")
	require.NoError(t, err)
	require.Equal(t, uint64(18), st.HighestModSeq)
	return st.UIDValidity
}

// resyncLines returns the responses of a SELECT after HIGHESTMODSEQ:
// the resynchronisation data.
func resyncLines(t *testing.T, r []string) []string {
	t.Helper()
	for i, l := range r {
		if strings.HasPrefix(l, "* OK [HIGHESTMODSEQ ") {
			return r[i+1:]
		}
	}
	t.Fatalf("no HIGHESTMODSEQ in %q", r)
	return nil
}

// TestQResyncCommandRules follows RFC 7162 3.2.3, 3.2.5 and 3.2.6:
// QRESYNC is advertised, and its parameter and modifier are BAD until
// ENABLE QRESYNC, which enables CONDSTORE too.
func TestQResyncCommandRules(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	assert.Contains(t, c.ok("C0 CAPABILITY")[0], " CONDSTORE QRESYNC")
	tests := []struct{ cmd, want string }{
		{"C1 SELECT INBOX (QRESYNC (1 1))", "C1 BAD QRESYNC needs ENABLE QRESYNC"},
		{"C2 ENABLE QRESYNC", "* ENABLED QRESYNC"},
		{"C3 ENABLE QRESYNC CONDSTORE", "* ENABLED"}, // already on
		{"C4 SELECT INBOX (QRESYNC (1 0))", "C4 BAD QRESYNC mod-sequence must be positive"},
		{"C5 SELECT INBOX (QRESYNC (1 1 1:*))", `C5 BAD "*" not allowed in QRESYNC`},
		{"C6 SELECT INBOX (QRESYNC (1 1 1:5 (1:* 1:5)))", `C6 BAD "*" not allowed in QRESYNC`},
		{"C7 SELECT INBOX (QRESYNC (1 1 1:5 (1:5)))", "C7 BAD"},
		{"C8 SELECT INBOX", "* FLAGS"},
		{"C9 FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)", "C9 BAD VANISHED is for UID FETCH only"},
		{"C10 UID FETCH 1 (FLAGS) (VANISHED)", "C10 BAD VANISHED needs CHANGEDSINCE"},
		{"C11 UID FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)", "* 1 FETCH (UID 1 FLAGS () MODSEQ (2))"},
	}
	for _, tc := range tests {
		r := c.cmd(tc.cmd)
		assert.True(t, strings.HasPrefix(r[0], tc.want), "%s: %q", tc.cmd, r)
	}

	d := ts.login(t)
	d.ok("D1 SELECT INBOX")
	assert.Equal(t, []string{"D2 BAD VANISHED needs ENABLE QRESYNC"}, d.cmd("D2 UID FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)"))
	// RFC 5161 3.1 lets a server take ENABLE with a mailbox selected
	// (as Dovecot does); CONDSTORE then reports HIGHESTMODSEQ (RFC
	// 7162 3.1).
	assert.Equal(t, []string{"* OK [HIGHESTMODSEQ 2] Highest mod-sequence", "* ENABLED CONDSTORE QRESYNC"}, d.ok("D3 ENABLE CONDSTORE QRESYNC"))
	d.ok(`D4 STORE 1 +FLAGS.SILENT (\Deleted)`)
	assert.Equal(t, []string{"* VANISHED 1", "D5 OK [HIGHESTMODSEQ 4] EXPUNGE completed"}, d.cmd("D5 EXPUNGE"))
}

// TestQResyncSelect follows RFC 7162 3.2.5: after the usual responses,
// VANISHED (EARLIER) for what was expunged since the client's
// mod-sequence, within its known UIDs and past its sequence match
// data, then FETCH for what changed; nothing on a UIDVALIDITY
// mismatch. The backend's ExpungeTracker is exact; without it every
// missing UID is reported.
func TestQResyncSelect(t *testing.T) {
	tests := []struct {
		name     string
		param    string // after the UIDVALIDITY
		want     []string
		fallback []string // when it differs without ExpungeTracker
	}{
		{"all", "11", []string{
			"* VANISHED (EARLIER) 5:6,9",
			`* 3 FETCH (UID 3 FLAGS (\Seen) MODSEQ (12))`,
		}, nil},
		{"known UIDs", "11 1:7", []string{
			"* VANISHED (EARLIER) 5:6",
			`* 3 FETCH (UID 3 FLAGS (\Seen) MODSEQ (12))`,
		}, nil},
		{"unsorted known UIDs", "11 7,1:4,6", []string{
			"* VANISHED (EARLIER) 6",
			`* 3 FETCH (UID 3 FLAGS (\Seen) MODSEQ (12))`,
		}, nil},
		// 5:6 went as one record at 17.
		{"since the first expunge", "16", []string{"* VANISHED (EARLIER) 5:6,9"}, nil},
		{"since the second expunge", "17", []string{"* VANISHED (EARLIER) 9"}, []string{"* VANISHED (EARLIER) 5:6,9"}},
		{"up to date", "18", nil, []string{"* VANISHED (EARLIER) 5:6,9"}},
		// Messages 1:4 are UIDs 1:4, message 6 is UID 8: expunges up to
		// 8 are known (RFC 7162 3.2.5.2).
		{"sequence match", "11 1:10 (1:4,6 1:4,8)", []string{
			"* VANISHED (EARLIER) 9",
			`* 3 FETCH (UID 3 FLAGS (\Seen) MODSEQ (12))`,
		}, nil},
		// Message 5 is UID 7, not 5: the walk stops there.
		{"sequence mismatch", "11 1:10 (1:5,7 1:5,10)", []string{
			"* VANISHED (EARLIER) 5:6,9",
			`* 3 FETCH (UID 3 FLAGS (\Seen) MODSEQ (12))`,
		}, nil},
		{"all sequences match", "11 1:10 (1:7 1:4,7:8,10)", []string{
			`* 3 FETCH (UID 3 FLAGS (\Seen) MODSEQ (12))`,
		}, nil},
		{"UIDVALIDITY mismatch", "", nil, nil},
	}
	for _, plain := range []bool{false, true} {
		ts := newTestServer(t, func(s *Server) {
			if plain {
				s.Store = plainStore(s.Store)
			}
		})
		v := qresyncSetup(t, ts)
		a := ts.login(t)
		a.ok("A1 ENABLE QRESYNC")
		for i, tc := range tests {
			want := tc.want
			if plain && tc.fallback != nil {
				want = tc.fallback
			}
			param := fmt.Sprintf("%d %s", v, tc.param)
			if tc.param == "" {
				param = fmt.Sprintf("%d 11", v+1)
			}
			r := a.ok(fmt.Sprintf("S%d SELECT INBOX (QRESYNC (%s))", i, param))
			if i > 0 {
				assert.Equal(t, "* OK [CLOSED] Previous mailbox closed", r[0])
			}
			if want == nil {
				want = []string{}
			}
			assert.Equal(t, want, resyncLines(t, r), "%s (plain %v)", tc.name, plain)
		}
		// EXAMINE too.
		r := a.ok(fmt.Sprintf("E1 EXAMINE INBOX (QRESYNC (%d 17 1:10))", v))
		want := []string{"* VANISHED (EARLIER) 9"}
		if plain {
			want = []string{"* VANISHED (EARLIER) 5:6,9"}
		}
		assert.Equal(t, want, resyncLines(t, r))
	}
}

// TestQResyncVanished follows RFC 7162 3.2.10 and 3.2.6: under QRESYNC
// expunges (EXPUNGE, UID EXPUNGE, MOVE, other sessions') are VANISHED
// responses, EXPUNGE and MOVE end with HIGHESTMODSEQ (3.2.7, 3.2.9,
// RFC 6851 4.4), CLOSE without (3.2.8), and UID FETCH (CHANGEDSINCE
// VANISHED) sends VANISHED (EARLIER) before its FETCHes.
func TestQResyncVanished(t *testing.T) {
	ts := newTestServer(t)
	v := qresyncSetup(t, ts)
	a := ts.login(t)
	b := ts.login(t)
	a.ok("A1 ENABLE QRESYNC")
	a.ok(fmt.Sprintf("A2 SELECT INBOX (QRESYNC (%d 18))", v))
	b.ok("B1 SELECT INBOX")

	// Messages 1:7 are UIDs 1:4,7,8,10.
	a.ok(`A3 STORE 1:2,5 +FLAGS.SILENT (\Deleted)`) // 19, 20, 21
	assert.Equal(t, []string{"* VANISHED 1:2,7", "A4 OK [HIGHESTMODSEQ 24] EXPUNGE completed"}, a.cmd("A4 EXPUNGE"))
	a.ok(`A5 UID STORE 3:4 +FLAGS.SILENT (\Deleted)`) // 25, 26
	assert.Equal(t, []string{"* VANISHED 4", "A6 OK [HIGHESTMODSEQ 27] EXPUNGE completed"}, a.cmd("A6 UID EXPUNGE 4"))
	assert.Equal(t, []string{"A7 OK EXPUNGE completed"}, a.cmd("A7 UID EXPUNGE 8"), "nothing expunged: no HIGHESTMODSEQ")

	// Another session's expunge, and one of a message a never saw.
	b.ok(`B2 UID STORE 3 +FLAGS.SILENT (\Deleted)`) // b has not seen a's expunges
	ts.deliver(t, "INBOX", testMsg)                 // UID 11
	b.ok("B3 NOOP")
	b.ok(`B4 UID STORE 11 +FLAGS.SILENT (\Deleted)`)
	b.ok("B5 EXPUNGE") // 3 and 11
	r := a.ok("A8 NOOP")
	// 11 was announced, so VANISHED may name it (RFC 7162 3.2.10.2).
	assert.Equal(t, []string{"* 4 EXISTS", "* VANISHED 3,11"}, r)

	a.ok(`A9 CREATE Trash`)
	r = a.cmd("A10 UID MOVE 8 Trash")
	require.Len(t, r, 3, "%q", r)
	assert.Regexp(t, `^\* OK \[COPYUID \d+ 8 1\] Moved$`, r[0])
	assert.Equal(t, "* VANISHED 8", r[1])
	assert.Regexp(t, `^A10 OK \[HIGHESTMODSEQ \d+\] MOVE completed$`, r[2])

	// UID FETCH with VANISHED: what went since 11 among 1:*, then the
	// changes (RFC 7162 3.2.6 example 1).
	r = a.ok("A11 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 11 VANISHED)")
	require.NotEmpty(t, r)
	assert.Equal(t, "* VANISHED (EARLIER) 1:9,11", r[0])
	assert.Empty(t, r[1:], "10 is unchanged since 11: no FETCH")
	r = a.ok("A12 UID FETCH 10 (FLAGS) (CHANGEDSINCE 10 VANISHED)")
	assert.Equal(t, []string{`* 1 FETCH (UID 10 FLAGS () MODSEQ (11))`}, r)

	// CLOSE expunges silently, and says no HIGHESTMODSEQ.
	a.ok(`A13 STORE 1 +FLAGS.SILENT (\Deleted)`)
	assert.Equal(t, []string{"A14 OK CLOSE completed"}, a.cmd("A14 CLOSE"))
}

// TestQResyncRFCExpungeExample replays RFC 7162 3.2.10.2: messages
// 1:11 are UIDs x,504,505,507,508,x,510,x,x,x,625.
func TestQResyncRFCExpungeExample(t *testing.T) {
	ts := newTestServer(t)
	for range 625 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("A1 ENABLE QRESYNC")
	c.ok("A2 SELECT INBOX")
	keep := "1,504:505,507:508,509:510,511,512,513,625"
	c.ok(`A3 UID STORE 1:* +FLAGS.SILENT (\Deleted)`)
	c.ok(`A4 UID STORE ` + keep + ` -FLAGS.SILENT (\Deleted)`)
	c.ok("A5 EXPUNGE")
	c.ok(`A6 UID STORE 505,507,510,625 +FLAGS.SILENT (\Deleted)`)
	r := c.cmd("A202 EXPUNGE")
	assert.Equal(t, "* VANISHED 505,507,510,625", r[0])
	assert.Regexp(t, `^A202 OK \[HIGHESTMODSEQ \d+\] EXPUNGE completed$`, r[1])
	c.ok(`A7 UID STORE 504,508 +FLAGS.SILENT (\Deleted)`)
	assert.Equal(t, "* VANISHED 504,508", c.cmd("A210 EXPUNGE")[0])
}

// TestQResyncClient runs the package's own client against the server:
// ENABLE QRESYNC, SELECT with QRESYNC, VANISHED (EARLIER) through UID
// FETCH, and VANISHED for EXPUNGE.
func TestQResyncClient(t *testing.T) {
	ts := newTestServer(t)
	v := qresyncSetup(t, ts)
	ctx := clientCtx(t)
	var ul unilateralLog
	c := ts.loggedIn(t, &ClientOptions{Unilateral: ul.handle})
	en, err := c.Enable(ctx, "QRESYNC")
	require.NoError(t, err)
	assert.Equal(t, []string{"QRESYNC"}, en)

	sd, err := c.Select(ctx, "INBOX", &SelectOptions{QResync: &QResyncParams{UIDValidity: v, ModSeq: 11, KnownUIDs: SeqSet{Ranges: []SeqRange{{1, 10}}}}})
	require.NoError(t, err)
	assert.Equal(t, uint64(18), sd.HighestModSeq)
	require.Len(t, sd.Vanished, 1)
	assert.Equal(t, "5:6,9", sd.Vanished[0].String())
	require.Len(t, sd.Fetch, 1)
	assert.Equal(t, uint32(3), sd.Fetch[0].UID)
	assert.Equal(t, uint64(12), sd.Fetch[0].ModSeq)

	before := len(ul.all()) // the client passes SELECT's VANISHED on too
	_, err = c.UIDFetch(ctx, SeqSet{Ranges: []SeqRange{{1, Star}}}, []FetchItem{{Name: FetchFlags}}, &FetchOptions{ChangedSince: 16, Vanished: true})
	require.NoError(t, err)
	var earlier []string
	for _, r := range ul.all()[before:] {
		if vd, ok := r.(*VanishedData); ok && vd.Earlier {
			earlier = append(earlier, vd.UIDs.String())
		}
	}
	assert.Equal(t, []string{"5:6,9"}, earlier)

	_, err = c.UIDStore(ctx, SeqSetOf(4, 7), StoreAdd, []string{`\Deleted`}, &StoreOptions{Silent: true})
	require.NoError(t, err)
	res, err := c.Expunge(ctx)
	require.NoError(t, err)
	assert.Empty(t, res.Seqs)
	require.Len(t, res.Vanished, 1)
	assert.Equal(t, "4,7", res.Vanished[0].String())
}

// TestQResyncIdle: an expunge by another session reaches an IDLE
// client as VANISHED (RFC 7162 3.2.10.2).
func TestQResyncIdle(t *testing.T) {
	ts := newTestServer(t)
	for range 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	a := ts.login(t)
	b := ts.login(t)
	a.ok("A1 ENABLE QRESYNC")
	a.ok("A2 SELECT INBOX")
	b.ok("B1 SELECT INBOX")
	a.send("A3 IDLE\r\n")
	require.Equal(t, "+ idling", a.line())
	b.ok(`B2 STORE 2 +FLAGS.SILENT (\Deleted)`)
	assert.Regexp(t, `^\* 2 FETCH \(UID 2 FLAGS \(\\Deleted\) MODSEQ \(\d+\)\)$`, a.line())
	b.ok("B3 EXPUNGE")
	assert.Equal(t, "* VANISHED 2", a.line())
	a.send("DONE\r\n")
	assert.Equal(t, []string{"A3 OK IDLE terminated"}, a.until("A3"))
}

// TestEnableInSelectedReportsFirst: ENABLE QRESYNC with a mailbox
// selected reports another session's expunge before the HIGHESTMODSEQ
// that covers it, so that a client cut off in between loses nothing
// (RFC 7162 3.2; a review finding).
func TestEnableInSelectedReportsFirst(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg)
	a := ts.login(t)
	b := ts.login(t)
	a.ok("A1 SELECT INBOX")
	b.ok("B1 SELECT INBOX")
	b.ok(`B2 STORE 1 +FLAGS.SILENT (\Deleted)`)
	b.ok("B3 EXPUNGE")
	r := a.ok("A2 ENABLE QRESYNC")
	require.GreaterOrEqual(t, len(r), 3, "%q", r)
	assert.Equal(t, "* 1 EXPUNGE", r[0], "the expunge first, as the client knew it before enabling")
	assert.Regexp(t, `^\* OK \[HIGHESTMODSEQ \d+\]`, r[1])
	assert.Equal(t, "* ENABLED QRESYNC", r[2])
}
