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

// fillRFC5267 builds the INBOX the examples of RFC 5267 4 speak of:
// UIDs 1:32845 appended in arrival order, 3001:12006 expunged, so that
// UID 32768 is message 23762 and 32769 is 23763 (4.3.3); the 74
// messages 32772:32845 are \Deleted $Junk (4.3), which leaves 23765
// messages UNDELETED UNKEYWORD $Junk (4.2); UIDs 2734:2735 have the
// keyword Cx for the C01 example (4.3.3).
func fillRFC5267(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	acct, err := ts.store.Account(ctx, testUser)
	require.NoError(t, err)
	defer acct.Close()
	box, err := acct.Open(ctx, "INBOX", nil)
	require.NoError(t, err)
	defer box.Close()
	base := time.Date(2008, 7, 1, 0, 0, 0, 0, time.UTC)
	for u := 1; u <= 32845; u++ {
		var flags []string
		switch {
		case u >= 3001 && u <= 12006:
			flags = []string{mailbox.FlagDeleted}
		case u >= 32772:
			flags = []string{mailbox.FlagDeleted, "$Junk"}
		case u == 2734 || u == 2735:
			flags = []string{"Cx"}
		}
		got, err := box.Append(ctx, strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", u)),
			&mailbox.AppendOptions{Flags: flags, InternalDate: base.Add(time.Duration(u) * time.Second)})
		require.NoError(t, err)
		require.Equal(t, mailbox.UID(u), got)
	}
	_, err = box.Poll(ctx) // the view learns of its appends
	require.NoError(t, err)
	gone, err := box.Expunge(ctx, &mailbox.UIDSet{{Start: 3001, Stop: 12006}})
	require.NoError(t, err)
	require.Len(t, gone, 9006)
}

// TestContextRFC5267Examples runs the examples of RFC 5267 4 on the
// wire, in order, on a mailbox built to give their answers. The RFC's
// own figures disagree here and there (23765 results in 4.2, 23764 in
// 4.4; a FETCH of flags the search does not match in 4.3.3); the
// answers below are those of the mailbox.
func TestContextRFC5267Examples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a mailbox of 32845 messages")
	}
	ts := newTestServer(t)
	fillRFC5267(t, ts)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("s SELECT INBOX")
	other.ok("s SELECT INBOX")
	assert.Contains(t, c.ok("k CAPABILITY")[0], " ESORT WITHIN CONTEXT=SEARCH CONTEXT=SORT")

	// 4.2
	assert.Equal(t, []string{`* ESEARCH (TAG "A01") COUNT 23765`},
		c.ok("A01 SEARCH RETURN (CONTEXT COUNT) UNDELETED UNKEYWORD $Junk"))

	// 4.4: positions 23500:23765 are UIDs 32506:32771.
	c.send("A02 UID SEARCH RETURN (PARTIAL 23500:24000) UNDELETED UNKEYWORD $Junk\r\n" +
		"A03 UID SEARCH RETURN (PARTIAL 1:500) UNDELETED UNKEYWORD $Junk\r\n" +
		"A04 UID SEARCH RETURN (PARTIAL 24000:24500) UNDELETED UNKEYWORD $Junk\r\n")
	assert.Equal(t, []string{`* ESEARCH (TAG "A02") UID PARTIAL (23500:24000 32506:32771)`, "A02 OK SEARCH completed"}, c.until("A02"))
	assert.Equal(t, []string{`* ESEARCH (TAG "A03") UID PARTIAL (1:500 1:500)`, "A03 OK SEARCH completed"}, c.until("A03"))
	assert.Equal(t, []string{`* ESEARCH (TAG "A04") UID PARTIAL (24000:24500 NIL)`, "A04 OK SEARCH completed"}, c.until("A04"))

	// 4.3
	assert.Equal(t, []string{`* ESEARCH (TAG "B01") UID COUNT 74`},
		c.ok("B01 UID SEARCH RETURN (UPDATE COUNT) DELETED KEYWORD $Junk"))
	// The RFC's line lacks sort criteria (BAD whatever the tag); with
	// them, the tag is what is wrong.
	assert.Regexp(t, `^B01 BAD `, c.cmd("B01 SORT RETURN (UPDATE) FLAGGED")[0])
	assert.Equal(t, []string{"B01 BAD Tag reuse"}, c.cmd("B01 SORT RETURN (UPDATE) (ARRIVAL) UTF-8 FLAGGED"))

	// 4.3.1: the session keeps 8 contexts; B01 and 7 more fill them.
	// (The RFC's B02 lacks sort criteria too.)
	for i := 1; i <= 7; i++ {
		c.ok(fmt.Sprintf("L%d UID SEARCH RETURN (UPDATE) UID 1", i))
	}
	assert.Equal(t, []string{`* ESEARCH (TAG "B02") UID COUNT 74`, `* NO [NOUPDATE "B02"] Too many contexts`},
		c.ok("B02 UID SORT RETURN (UPDATE COUNT) (ARRIVAL) UTF-8 KEYWORD $Junk"))
	assert.Empty(t, c.ok(`L CANCELUPDATE "L1" "L2" "L3" "L4" "L5" "L6" "L7"`))

	// 4.3.3: ADDTO after the FETCH that causes it.
	other.ok(`x UID STORE 32768:32769 +FLAGS.SILENT (\Deleted $Junk)`)
	got := c.ok("n NOOP")
	require.Len(t, got, 3, "%q", got)
	assert.Regexp(t, `^\* 23762 FETCH \(UID 32768 FLAGS \(`, got[0])
	assert.Regexp(t, `^\* 23763 FETCH \(UID 32769 FLAGS \(`, got[1])
	assert.Equal(t, `* ESEARCH (TAG "B01") UID ADDTO (0 32768:32769)`, got[2])

	// 4.3.3: C01's result 2734:2735 becomes 2731:2735, told in the
	// preferred representation.
	assert.Equal(t, []string{`* ESEARCH (TAG "C01") UID ALL 2734:2735`},
		c.ok("C01 UID SORT RETURN (UPDATE ALL) (ARRIVAL) UTF-8 KEYWORD Cx"))
	other.ok(`y UID STORE 2731:2733 +FLAGS.SILENT (Cx)`)
	got = c.ok("n NOOP")
	require.Len(t, got, 4, "%q", got)
	assert.Equal(t, `* ESEARCH (TAG "C01") UID ADDTO (1 2731:2733)`, got[3])

	// 4.3.4: REMOVEFROM before the EXPUNGE.
	other.ok("z UID EXPUNGE 32768")
	assert.Equal(t, []string{`* ESEARCH (TAG "B01") UID REMOVEFROM (0 32768)`, "* 23762 EXPUNGE"}, c.ok("B03 NOOP"))

	// 4.3.5
	assert.Equal(t, []string{"B04 OK CANCELUPDATE completed"}, c.cmd(`B04 CANCELUPDATE "B01"`))
	other.ok("z UID EXPUNGE 32769")
	assert.Equal(t, []string{"* 23762 EXPUNGE"}, c.ok("B05 NOOP"))
}

// TestContextUpdates: contexts follow another session's APPEND, STORE
// and EXPUNGE, with positions for SORT and message numbers without
// UID; CANCELUPDATE and UNSELECT end them.
func TestContextUpdates(t *testing.T) {
	ts := newTestServer(t)
	for i := 1; i <= 5; i++ {
		ts.deliver(t, "INBOX", fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i))
	}
	c := ts.login(t)
	other := ts.login(t)
	c.ok("s SELECT INBOX")
	other.ok("s SELECT INBOX")

	assert.Equal(t, []string{`* ESEARCH (TAG "a") UID`}, c.ok("a UID SEARCH RETURN (UPDATE) FLAGGED"))
	// Same arrival times: REVERSE ARRIVAL is sequence order.
	assert.Equal(t, []string{`* ESEARCH (TAG "b") ALL 1:5`}, c.ok("b SORT RETURN (UPDATE ALL) (SIZE) UTF-8 UNSEEN"))
	assert.Equal(t, []string{`* ESEARCH (TAG "p") PARTIAL (2:3 2:3)`}, c.ok("p SORT RETURN (PARTIAL 2:3) (SIZE) UTF-8 UNSEEN"))

	// APPEND: ADDTO after EXISTS; the bigger message sorts last.
	other.ok("x APPEND INBOX " + fmtLiteral("Subject: 6\r\n\r\nlonger body\r\n"))
	got := c.ok("n NOOP")
	assert.Equal(t, "* 6 EXISTS", got[0])
	assert.Equal(t, `* ESEARCH (TAG "b") ADDTO (6 6)`, got[len(got)-1])

	// STORE: in one context, out of the other.
	other.ok(`x STORE 2,4 +FLAGS.SILENT (\Flagged \Seen)`)
	got = c.ok("n NOOP")
	require.Len(t, got, 4, "%q", got)
	assert.Equal(t, []string{`* ESEARCH (TAG "a") UID ADDTO (0 2,4)`, `* ESEARCH (TAG "b") REMOVEFROM (2 2 3 4)`}, got[2:])
	// b is 1 3 5 6; a is 2 4. A message out and one in again.
	other.ok(`x STORE 3 +FLAGS.SILENT (\Seen)`)
	other.ok(`x STORE 4 -FLAGS.SILENT (\Seen)`)
	got = c.ok("n NOOP")
	assert.Equal(t, `* ESEARCH (TAG "b") REMOVEFROM (2 3) ADDTO (2 4)`, got[len(got)-1])

	// EXPUNGE: REMOVEFROM with the numbers before the EXPUNGE.
	other.ok(`x STORE 4 +FLAGS.SILENT (\Deleted)`)
	other.ok("x EXPUNGE")
	got = c.ok("n NOOP")
	require.GreaterOrEqual(t, len(got), 3, "%q", got)
	assert.Equal(t, []string{`* ESEARCH (TAG "a") UID REMOVEFROM (0 4)`, `* ESEARCH (TAG "b") REMOVEFROM (2 4)`, "* 4 EXPUNGE"}, got[len(got)-3:])

	// Own changes count too.
	got = c.ok(`y STORE 1 +FLAGS (\Flagged)`)
	got = append(got, c.ok("n NOOP")...)
	assert.Contains(t, got, `* ESEARCH (TAG "a") UID ADDTO (0 1)`)

	// Updates come in IDLE too.
	c.send("i IDLE\r\n")
	assert.Regexp(t, `^\+ `, c.line())
	other.ok(`x STORE 1 -FLAGS.SILENT (\Flagged)`)
	for l := c.line(); l != `* ESEARCH (TAG "a") UID REMOVEFROM (0 1)`; l = c.line() {
		assert.Regexp(t, `^\* 1 FETCH `, l)
	}
	c.send("DONE\r\n")
	assert.Equal(t, []string{"i OK IDLE terminated"}, c.until("i"))

	// CANCELUPDATE: no more for a; b still.
	c.ok(`c CANCELUPDATE "a"`)
	other.ok(`x STORE 5 +FLAGS.SILENT (\Flagged \Seen)`)
	got = c.ok("n NOOP")
	// b is UIDs 1 5 6, numbered 1 4 5.
	assert.Equal(t, `* ESEARCH (TAG "b") REMOVEFROM (3 5)`, got[len(got)-1])
	assert.NotContains(t, strings.Join(got, "\n"), `TAG "a"`)
	// The tag of a cancelled context may update again.
	c.ok("a UID SEARCH RETURN (UPDATE) FLAGGED")

	// UNSELECT ends them all.
	c.ok("u UNSELECT")
	c.ok("s SELECT INBOX")
	other.ok(`x STORE 1 -FLAGS.SILENT (\Seen)`)
	other.ok(`x STORE 1 +FLAGS.SILENT (\Flagged)`)
	got = c.ok("n NOOP")
	assert.NotContains(t, strings.Join(got, "\n"), "ESEARCH")
	c.ok("b UID SEARCH RETURN (UPDATE) FLAGGED") // b is free again
}

// TestContextLimit: a session keeps maxContexts updating contexts;
// past them NOUPDATE, and the other options still hold (RFC 5267
// 4.3.1).
func TestContextLimit(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", "Subject: 1\r\n\r\nx\r\n")
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	for i := range maxContexts {
		assert.Equal(t, []string{fmt.Sprintf(`* ESEARCH (TAG "t%d") MIN 1`, i)}, c.ok(fmt.Sprintf("t%d SEARCH RETURN (UPDATE MIN) ALL", i)))
	}
	assert.Equal(t, []string{`* ESEARCH (TAG "over") COUNT 1`, `* NO [NOUPDATE "over"] Too many contexts`},
		c.ok("over SEARCH RETURN (UPDATE COUNT) ALL"))
	assert.Equal(t, []string{`* ESEARCH (TAG "over2") ALL 1`, `* NO [NOUPDATE "over2"] Too many contexts`},
		c.ok("over2 SORT RETURN (UPDATE ALL) (ARRIVAL) UTF-8 ALL"))
	// The refused tags are not in use.
	assert.Regexp(t, `^over OK `, c.cmd("over SEARCH RETURN (COUNT UPDATE) ALL")[2])
	c.ok(`c CANCELUPDATE "t0" "nosuch"`)
	assert.Equal(t, []string{`* ESEARCH (TAG "new") UID`}, c.ok("new UID SEARCH RETURN (UPDATE) ALL"))
}

// TestContextReturnOptions: PARTIAL and the errors of the options (RFC
// 5267 4.4, 5).
func TestContextReturnOptions(t *testing.T) {
	ts := newTestServer(t)
	for i := 1; i <= 6; i++ {
		ts.deliver(t, "INBOX", fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat("x", 10-i)))
	}
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	for _, tc := range []struct{ cmd, want string }{
		{"SEARCH RETURN (PARTIAL 2:4) ALL", `PARTIAL (2:4 2:4)`},
		{"SEARCH RETURN (PARTIAL 4:2) ALL", `PARTIAL (4:2 2:4)`}, // 4:2 is 2:4
		{"SEARCH RETURN (PARTIAL 5:100 COUNT) 2:6", `COUNT 5 PARTIAL (5:100 6)`},
		{"SEARCH RETURN (PARTIAL 7:8) ALL", `PARTIAL (7:8 NIL)`},
		{"UID SEARCH RETURN (CONTEXT) ALL", `UID ALL 1:6`},
		{"SEARCH RETURN (CONTEXT MIN) ALL", `MIN 1`},
		// SORT's partial results are in sort order.
		{"SORT RETURN (PARTIAL 1:3) (SIZE) UTF-8 ALL", `PARTIAL (1:3 6,5,4)`},
		{"UID SORT RETURN (PARTIAL 2:2) (REVERSE SIZE) UTF-8 ALL", `UID PARTIAL (2:2 2)`},
	} {
		assert.Equal(t, []string{`* ESEARCH (TAG "t") ` + tc.want}, c.ok("t "+tc.cmd), tc.cmd)
	}
	for _, bad := range []string{
		"SEARCH RETURN (PARTIAL -1:-5) ALL", // RFC 9394, not RFC 5267
		"SEARCH RETURN (PARTIAL 0:5) ALL",
		"SEARCH RETURN (PARTIAL 1:*) ALL",
		"SEARCH RETURN (PARTIAL 1) ALL",
		"SEARCH RETURN (PARTIAL) ALL",
		"SEARCH RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL",
		"SEARCH RETURN (PARTIAL 1:2 ALL) ALL",
		"SORT RETURN (ALL PARTIAL 1:2) (SIZE) UTF-8 ALL",
		"SEARCH RETURN (FROB) ALL",
	} {
		assert.Regexp(t, `^t BAD `, c.cmd("t " + bad)[0], bad)
	}
	assert.Regexp(t, `^t BAD `, c.cmd("t CANCELUPDATE")[0])
	c.ok("u UNSELECT")
	assert.Regexp(t, `^t BAD `, c.cmd(`t CANCELUPDATE "a"`)[0])
}

// TestContextCodec: CANCELUPDATE and the ESEARCH data of RFC 5267 5,
// both ways.
func TestContextCodec(t *testing.T) {
	cmd, err := ReadCommand(newDec("t CANCELUPDATE \"B01\" {2}\r\nB2\r\n"))
	require.NoError(t, err)
	assert.Equal(t, &CancelUpdateCommand{Tags: []string{"B01", "B2"}}, cmd.Args)
	assert.Equal(t, "t CANCELUPDATE \"B01\" \"B2\"\r\n", formatCommand(t, cmd))
	_, err = ReadCommand(newDec("t CANCELUPDATE\r\n"))
	assert.Error(t, err)

	for _, line := range []string{
		`* ESEARCH (TAG "B01") UID ADDTO (0 32768:32769)`,
		`* ESEARCH (TAG "C01") UID ADDTO (1 2733 1 2732 1 2731)`,
		`* ESEARCH (TAG "B01") UID REMOVEFROM (0 32768)`,
		`* ESEARCH (TAG "b") REMOVEFROM (2 3) ADDTO (2 4,1)`,
		`* ESEARCH (TAG "A02") UID PARTIAL (23500:24000 32506:32771)`,
		`* ESEARCH (TAG "A04") UID PARTIAL (24000:24500 NIL)`,
	} {
		r, err := ReadResponse(newDec(line+"\r\n"), nil)
		require.NoError(t, err, line)
		assert.Equal(t, line+"\r\n", formatResponse(t, r), line)
	}
	r, err := ReadResponse(newDec("* ESEARCH (TAG \"x\") PARTIAL (1:2 nil) ADDTO (0 1)\r\n"), nil)
	require.NoError(t, err)
	ed := r.(*ESearchData)
	assert.Equal(t, &PartialResult{First: 1, Last: 2}, ed.Partial)
	assert.Equal(t, []ContextUpdate{{Pos: 0, Nums: SeqSet{Ranges: []SeqRange{{1, 1}}}}}, ed.AddTo)
	for _, bad := range []string{
		"* ESEARCH PARTIAL (1:2)\r\n",
		"* ESEARCH PARTIAL (0:2 1)\r\n",
		"* ESEARCH ADDTO ()\r\n",
		"* ESEARCH ADDTO (1)\r\n",
	} {
		_, err := ReadResponse(newDec(bad), nil)
		assert.Error(t, err, bad)
	}
}
