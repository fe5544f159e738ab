package imap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// TestRFC3502Examples plays the three exchanges of the example of RFC
// 3502 6.3.11 in the forms TestMultiAppendRFC3502Example does not: the
// third refused over a quota, as the RFC has it ("Disk quota
// exceeded"), rather than over APPENDLIMIT; the second with
// non-synchronising literals; the first into the selected mailbox.
func TestRFC3502Examples(t *testing.T) {
	ts := newTestServer(t)
	// Room for the first message of A005 and not for the second.
	ts.store.Quota = mailbox.QuotaLimits{Bytes: 32 * 1024}
	c := ts.login(t)
	c.ok("b CREATE saved-messages")
	c.ok("c CREATE test")
	lit := func(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }
	big := strings.Repeat("x", 35403)

	cases := []struct {
		name string
		send []string // sent one after the other, each after a continuation request but the first
		want []string
	}{
		{"A003 into the selected mailbox", []string{
			`A003 APPEND saved-messages (\Seen) {329}` + "\r\n",
			rfc3502Msg1 + ` (\Seen) " 7-Feb-1994 22:43:04 -0800" {295}` + "\r\n",
			rfc3502Msg2 + "\r\n",
		}, []string{"* 2 EXISTS", "* 2 RECENT", "A003 OK [APPENDUID V 1:2] APPEND completed"}},
		{"A004 with LITERAL+", []string{
			`A004 APPEND bogusname (\Flagged) ` + lit(strings.Repeat("y", 1023)) + "\r\n",
		}, []string{"A004 NO [TRYCREATE] No such mailbox"}},
		// The first message goes in; the second is over the quota, and
		// the first is taken out again.
		{"A005 over quota", []string{
			`A005 APPEND test (\Flagged) {99}` + "\r\n",
			rfc3502Msg3 + " {35403}\r\n",
			big + "\r\n",
		}, []string{"A005 NO [OVERQUOTA] Quota exceeded"}},
		{"A005 over quota with LITERAL+", []string{
			`A005 APPEND test (\Flagged) ` + lit(rfc3502Msg3) + " " + lit(big) + "\r\n",
		}, []string{"A005 NO [OVERQUOTA] Quota exceeded"}},
	}
	c.ok("a SELECT saved-messages")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tag, _, _ := strings.Cut(tc.send[0], " ")
			for i, s := range tc.send {
				if i > 0 {
					require.Equal(t, "+ Ready for literal data", c.line())
				}
				c.send(s)
			}
			assert.Equal(t, tc.want, norm(c.until(tag)))
		})
	}
	// The failed APPENDs left nothing in test.
	assert.Equal(t, []string{`* STATUS test (MESSAGES 0)`}, c.ok("d STATUS test (MESSAGES)"))
	assert.Equal(t, []string{
		`* 2 FETCH (FLAGS (\Seen \Recent) INTERNALDATE "07-Feb-1994 22:43:04 -0800")`,
	}, c.ok("e FETCH 2 (FLAGS INTERNALDATE)")[:1])
}
