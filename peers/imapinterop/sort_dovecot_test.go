package imapinterop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/peers/internal/dovecottest"
)

// sortDiffMessages is a mailbox of tricky threads: missing parents,
// a reference loop, a duplicate Message-ID, replies found by subject
// only, [blob] and (fwd) subjects, encoded words, groups and display
// names.
func sortDiffMessages() []string {
	type m struct{ from, to, subject, date, id, refs string }
	ms := []m{
		{"Carol <carol@example.org>", "a@x", "Lunch", "Mon, 2 Feb 2026 10:00:00 +0000", "<1@x>", ""},
		{"alice@example.org", "Bob <b@x>", "Report", "Mon, 2 Feb 2026 09:00:00 +0100", "<2@x>", ""},
		{"Bob <bob@example.org>", "c@x", "Re: Lunch", "Mon, 2 Feb 2026 11:00:00 +0000", "<3@x>", "<1@x>"},
		{"dave@example.org", "undisclosed-recipients:;", "RE: report", "Mon, 2 Feb 2026 12:00:00 +0000", "<4@x>", ""},
		{"=?UTF-8?Q?=C3=89mile?= <e@example.org>", "d@x", "[list] Re: Lunch (fwd)", "Mon, 2 Feb 2026 13:00:00 +0000", "<5@x>", "<gone@x> <3@x>"},
		{"zed@example.org", "e@x", "Orphan A", "Tue, 3 Feb 2026 08:00:00 +0000", "<6@x>", "<missing@x>"},
		{"yan@example.org", "f@x", "Orphan B", "Tue, 3 Feb 2026 07:00:00 +0000", "<7@x>", "<missing@x>"},
		{"Xu <xu@example.org>", "g@x", "Loop one", "Tue, 3 Feb 2026 09:00:00 +0000", "<8@x>", "<9@x>"},
		{"wim@example.org", "h@x", "Loop two", "Tue, 3 Feb 2026 10:00:00 +0000", "<9@x>", "<8@x>"},
		{"vic@example.org", "i@x", "Dup", "Wed, 4 Feb 2026 10:00:00 +0000", "<10@x>", ""},
		{"uma@example.org", "j@x", "Dup again", "Wed, 4 Feb 2026 11:00:00 +0000", "<10@x>", ""},
		{"tom@example.org", "k@x", "[Fwd: Report]", "Wed, 4 Feb 2026 12:00:00 +0000", "<12@x>", ""},
		{"sam@example.org", "l@x", "Fwd: Fwd: Lunch", "Wed, 4 Feb 2026 13:00:00 +0000", "<13@x>", ""},
		{"", "", "", "", "", ""},
		{"rob@example.org", "m@x", "Re: Orphan A", "Thu, 5 Feb 2026 10:00:00 -0500", "<15@x>", "<missing@x> <6@x>"},
	}
	out := make([]string, len(ms))
	for i, x := range ms {
		var b strings.Builder
		for _, f := range [][2]string{{"From", x.from}, {"To", x.to}, {"Subject", x.subject}, {"Date", x.date}, {"Message-ID", x.id}, {"References", x.refs}} {
			if f[1] != "" {
				fmt.Fprintf(&b, "%s: %s\r\n", f[0], f[1])
			}
		}
		fmt.Fprintf(&b, "\r\n%s\r\n", strings.Repeat("body ", i*3%7+1))
		out[i] = b.String()
	}
	return out
}

// TestSortThreadAgainstDovecot sends the same mailbox to Dovecot and
// to our server and compares their SORT and THREAD answers: every key,
// both algorithms, the same numbers in the same order.
func TestSortThreadAgainstDovecot(t *testing.T) {
	dovecottest.Need(t)
	dir, maildir := dovecottest.NewDir(t)
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(maildir, sub), 0o700))
	}
	const dovecotPass = "dovecot-pass" // a static passdb: no space
	d := dovecottest.Start(t, dovecottest.Options{Dir: dir, Password: dovecotPass, Config: "mail_save_crlf = yes\n"})
	ours := startServer(t, memstore.New())
	ctx := testCtx(t)
	dial := func(addr, pass string) *imap.Client {
		c, err := imap.Dial(ctx, addr, nil)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		require.NoError(t, c.Login(ctx, testUser, pass))
		for i, m := range sortDiffMessages() {
			_, err := c.Append(ctx, "INBOX", strings.NewReader(m), int64(len(m)), &imap.AppendOptions{
				Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration((i*5)%11) * time.Hour)})
			require.NoError(t, err)
		}
		_, err = c.Select(ctx, "INBOX", nil)
		require.NoError(t, err)
		return c
	}
	dc, oc := dial(d.Addr, dovecotPass), dial(ours.addr, testPass)
	all := []imap.SearchKey{{Op: "ALL"}}
	for _, crit := range [][]imap.SortCriterion{
		{{Key: "ARRIVAL"}}, {{Key: "SIZE"}}, {{Key: "DATE"}}, {{Key: "FROM"}}, {{Key: "TO"}},
		{{Key: "CC"}}, {{Key: "SUBJECT"}}, {{Key: "SUBJECT", Reverse: true}}, {{Key: "SUBJECT"}, {Key: "DATE", Reverse: true}},
		{{Key: "DISPLAYFROM"}}, {{Key: "DISPLAYTO"}},
	} {
		want, err := dc.Sort(ctx, crit, "", all)
		require.NoError(t, err)
		got, err := oc.Sort(ctx, crit, "", all)
		require.NoError(t, err)
		assert.Equal(t, want, got, "SORT %v", crit)
		t.Logf("SORT %v: %v", crit, got)
	}
	for _, alg := range []string{"ORDEREDSUBJECT", "REFERENCES"} {
		want, err := dc.Thread(ctx, alg, "", all)
		require.NoError(t, err)
		got, err := oc.Thread(ctx, alg, "", all)
		require.NoError(t, err)
		assert.Equal(t, threadString(want), threadString(got), "THREAD %s", alg)
		t.Logf("THREAD %s: %s", alg, threadString(got))
	}
}

// threadString writes threads back in the wire's shape, for messages.
func threadString(ts []*imap.Thread) string {
	var b strings.Builder
	var w func(t *imap.Thread)
	w = func(t *imap.Thread) {
		b.WriteByte('(')
		if t.Num != 0 {
			fmt.Fprint(&b, t.Num)
		}
		for len(t.Children) == 1 && t.Num != 0 {
			t = t.Children[0]
			fmt.Fprintf(&b, " %d", t.Num)
		}
		if t.Num != 0 && len(t.Children) > 0 {
			b.WriteByte(' ')
		}
		for _, c := range t.Children {
			w(c)
		}
		b.WriteByte(')')
	}
	for _, t := range ts {
		w(t)
	}
	return b.String()
}
