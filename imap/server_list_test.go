package imap

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// mboxes builds a listing from "name attr attr..." strings; special-use
// attributes (\Sent, \Drafts, ...) go to SpecialUse.
func mboxes(specs ...string) []mailbox.MailboxInfo {
	special := []string{mailbox.AttrAll, mailbox.AttrArchive, mailbox.AttrDrafts,
		mailbox.AttrFlagged, mailbox.AttrJunk, mailbox.AttrSent, mailbox.AttrTrash}
	var out []mailbox.MailboxInfo
	for _, s := range specs {
		f := strings.Fields(s)
		info := mailbox.MailboxInfo{Name: f[0]}
		for _, a := range f[1:] {
			if slices.Contains(special, a) {
				info.SpecialUse = append(info.SpecialUse, a)
			} else {
				info.Attrs = append(info.Attrs, a)
			}
		}
		out = append(out, info)
	}
	return out
}

// normListLine sorts the attributes of a "* LIST (...) ..." line, so
// that expectations can keep the RFCs' order.
func normListLine(l string) string {
	l = strings.TrimSuffix(l, "\r\n")
	i := strings.IndexByte(l, '(')
	j := strings.IndexByte(l, ')')
	if i < 0 || j < i {
		return l
	}
	attrs := strings.Fields(l[i+1 : j])
	slices.Sort(attrs)
	return l[:i+1] + strings.Join(attrs, " ") + l[j:]
}

// runList parses the command line with the codec, lists, and returns
// the responses as the encoder writes them.
func runList(t *testing.T, infos []mailbox.MailboxInfo, subs []string, line string) ([]string, error) {
	t.Helper()
	c, err := ReadCommand(newDec(line + "\r\n"))
	require.NoError(t, err, line)
	require.Contains(t, []string{"LIST", "LSUB"}, c.Name)
	data, err := listMailboxes(infos, subs, c.Args.(*ListCommand), c.Name == "LSUB")
	if err != nil {
		return nil, err
	}
	out := []string{}
	for i := range data {
		out = append(out, normListLine(formatResponse(t, &data[i])))
	}
	return out, nil
}

// RFC 5258 5 examples 1-6, RFC 9051 6.3.9.8 extended examples 1-6.
var (
	foodInfos = mboxes(`INBOX \Marked \Noinferiors`, "Fruit", "Fruit/Apple", "Fruit/Banana",
		"Tofu", "Vegetable", "Vegetable/Broccoli", "Vegetable/Corn")
	foodSubs = []string{"inbox", "Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"}
)

// RFC 5258 5 example 8 (RFC 9051 example 7).
var fooInfos = mboxes(`INBOX \Marked \Noinferiors`, "Foo", "Foo/Bar", "Foo/Baz", "Moo")

// RFC 5258 5 example 9 (RFC 9051 example 8): qux2 is a missing level.
var (
	twoInfos = mboxes(`INBOX \Marked \Noinferiors`, "foo2", "foo2/bar1", "foo2/bar2", "baz2",
		"baz2/bar2", "baz2/bar22", "baz2/bar222", "eps2", "eps2/mamba", "qux2/bar2")
	twoSubs = []string{"foo2/bar1", "foo2/bar2", "baz2/bar2", "baz2/bar22", "baz2/bar222",
		"eps2", "eps2/mamba", "qux2/bar2"}
)

// RFC 6154 5.1, 5.2.
var specialInfos = mboxes(`Inbox \Marked`, "ToDo", "Projects", "Projects/2026",
	`SentMail \Sent`, `MyDrafts \Marked \Drafts`, `Trash \Trash`)

var listTests = []struct {
	name  string
	infos []mailbox.MailboxInfo
	subs  []string
	cmd   string
	want  []string // nil: an error (BAD)
}{
	// RFC 9051 6.3.9.8 basic examples; the root of a reference is ""
	// since our names are not rooted.
	{"9051 delimiter", foodInfos, nil, `A101 LIST "" ""`, []string{`* LIST (\Noselect) "/" ""`}},
	{"9051 delimiter of reference", foodInfos, nil, `A102 LIST #news.comp.mail.misc ""`, []string{`* LIST (\Noselect) "/" ""`}},
	{"9051 delimiter of rooted reference", foodInfos, nil, `A103 LIST /usr/staff/jones ""`, []string{`* LIST (\Noselect) "/" ""`}},
	{"9051 reference", mboxes(`~/Mail/foo \Noselect`, "~/Mail/foo/x", "~/Mail/meetings"), nil, `A202 LIST ~/Mail/ %`, []string{
		`* LIST (\Noselect \HasChildren) "/" ~/Mail/foo`,
		`* LIST (\HasNoChildren) "/" ~/Mail/meetings`,
	}},
	{"LSUB delimiter", foodInfos, nil, `A1 LSUB "" ""`, []string{`* LSUB (\Noselect) "/" ""`}},

	// RFC 5258 5 (RFC 9051 6.3.9.8 extended); \HasChildren and
	// \HasNoChildren are always returned, \Remote mailboxes never.
	{"5258 ex1", foodInfos, foodSubs, `A01 LIST "" "*"`, []string{
		`* LIST (\Marked \Noinferiors) "/" INBOX`,
		`* LIST (\HasChildren) "/" Fruit`,
		`* LIST (\HasNoChildren) "/" Fruit/Apple`,
		`* LIST (\HasNoChildren) "/" Fruit/Banana`,
		`* LIST (\HasNoChildren) "/" Tofu`,
		`* LIST (\HasChildren) "/" Vegetable`,
		`* LIST (\HasNoChildren) "/" Vegetable/Broccoli`,
		`* LIST (\HasNoChildren) "/" Vegetable/Corn`,
	}},
	{"5258 ex2", foodInfos, foodSubs, `A02 LIST (SUBSCRIBED) "" "*"`, []string{
		`* LIST (\Marked \Noinferiors \Subscribed) "/" INBOX`,
		`* LIST (\Subscribed \HasNoChildren) "/" Fruit/Banana`,
		`* LIST (\Subscribed \NonExistent \HasNoChildren) "/" Fruit/Peach`,
		`* LIST (\Subscribed \HasChildren) "/" Vegetable`,
		`* LIST (\Subscribed \HasNoChildren) "/" Vegetable/Broccoli`,
	}},
	{"5258 ex3", foodInfos, foodSubs, `A03 LIST () "" "%" RETURN (CHILDREN)`, []string{
		`* LIST (\Marked \Noinferiors) "/" INBOX`,
		`* LIST (\HasChildren) "/" Fruit`,
		`* LIST (\HasNoChildren) "/" Tofu`,
		`* LIST (\HasChildren) "/" Vegetable`,
	}},
	{"5258 ex4", foodInfos, foodSubs, `A04 LIST (REMOTE) "" "%" RETURN (CHILDREN)`, []string{
		`* LIST (\Marked \Noinferiors) "/" INBOX`,
		`* LIST (\HasChildren) "/" Fruit`,
		`* LIST (\HasNoChildren) "/" Tofu`,
		`* LIST (\HasChildren) "/" Vegetable`,
	}},
	{"5258 ex5", foodInfos, foodSubs, `A05 LIST (REMOTE SUBSCRIBED) "" "*"`, []string{
		`* LIST (\Marked \Noinferiors \Subscribed) "/" INBOX`,
		`* LIST (\Subscribed \HasNoChildren) "/" Fruit/Banana`,
		`* LIST (\Subscribed \NonExistent \HasNoChildren) "/" Fruit/Peach`,
		`* LIST (\Subscribed \HasChildren) "/" Vegetable`,
		`* LIST (\Subscribed \HasNoChildren) "/" Vegetable/Broccoli`,
	}},
	{"5258 ex6", foodInfos, foodSubs, `A06 LIST (REMOTE) "" "*" RETURN (SUBSCRIBED)`, []string{
		`* LIST (\Marked \Noinferiors \Subscribed) "/" INBOX`,
		`* LIST (\HasChildren) "/" Fruit`,
		`* LIST (\HasNoChildren) "/" Fruit/Apple`,
		`* LIST (\Subscribed \HasNoChildren) "/" Fruit/Banana`,
		`* LIST (\HasNoChildren) "/" Tofu`,
		`* LIST (\Subscribed \HasChildren) "/" Vegetable`,
		`* LIST (\Subscribed \HasNoChildren) "/" Vegetable/Broccoli`,
		`* LIST (\HasNoChildren) "/" Vegetable/Corn`,
	}},
	{"5258 ex7 patterns", mboxes("INBOX", `Drafts \Noinferiors`, "Sent", "Sent/March2004",
		`Sent/December2003 \Marked`, "Sent/August2004", "Junk"), nil,
		`BBB LIST "" ("INBOX" "Drafts" "Sent/%")`, []string{
			`* LIST (\HasNoChildren) "/" INBOX`,
			`* LIST (\Noinferiors) "/" Drafts`,
			`* LIST (\HasNoChildren) "/" Sent/August2004`,
			`* LIST (\Marked \HasNoChildren) "/" Sent/December2003`,
			`* LIST (\HasNoChildren) "/" Sent/March2004`,
		}},
	{"5258 ex8 hierarchy", fooInfos, []string{"Foo/Baz"}, `C01 LIST "" "*"`, []string{
		`* LIST (\Marked \Noinferiors) "/" INBOX`,
		`* LIST (\HasChildren) "/" Foo`,
		`* LIST (\HasNoChildren) "/" Foo/Bar`,
		`* LIST (\HasNoChildren) "/" Foo/Baz`,
		`* LIST (\HasNoChildren) "/" Moo`,
	}},
	{"5258 ex8 children", fooInfos, []string{"Foo/Baz"}, `CA3 LIST "" "%" RETURN (CHILDREN)`, []string{
		`* LIST (\Marked \Noinferiors) "/" INBOX`,
		`* LIST (\HasChildren) "/" Foo`,
		`* LIST (\HasNoChildren) "/" Moo`,
	}},
	{"5258 ex8 A subscribed", fooInfos, []string{"Foo/Baz"}, `C02 LIST (SUBSCRIBED) "" "*"`, []string{
		`* LIST (\Subscribed \HasNoChildren) "/" Foo/Baz`,
	}},
	{"5258 ex8 A percent", fooInfos, []string{"Foo/Baz"}, `C03 LIST (SUBSCRIBED) "" "%"`, []string{}},
	{"5258 ex8 A recursive", fooInfos, []string{"Foo/Baz"}, `C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"`, []string{
		`* LIST (\HasChildren) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))`,
	}},
	{"5258 ex8 A1", fooInfos, []string{"Foo", "Foo/Baz"}, `C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"`, []string{
		`* LIST (\Subscribed \HasChildren) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))`,
	}},
	{"5258 ex8 A2", mboxes(`INBOX \Marked \Noinferiors`, "Foo/Bar", "Foo/Baz", "Moo"), []string{"Foo/Baz"},
		`C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"`, []string{
			`* LIST (\NonExistent \HasChildren) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))`,
		}},
	{"5258 ex8 B", fooInfos, nil, `C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"`, []string{}},
	{"5258 ex8 C", fooInfos, []string{"Foo", "Moo"}, `C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)`, []string{
		`* LIST (\HasChildren \Subscribed) "/" Foo`,
		`* LIST (\HasNoChildren \Subscribed) "/" Moo`,
	}},
	{"5258 ex9 subscribed", twoInfos, twoSubs, `D02 LIST (SUBSCRIBED) "" "*"`, []string{
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar2`,
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar22`,
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar222`,
		`* LIST (\Subscribed \HasChildren) "/" eps2`,
		`* LIST (\Subscribed \HasNoChildren) "/" eps2/mamba`,
		`* LIST (\Subscribed \HasNoChildren) "/" foo2/bar1`,
		`* LIST (\Subscribed \HasNoChildren) "/" foo2/bar2`,
		`* LIST (\Subscribed \HasNoChildren) "/" qux2/bar2`,
	}},
	// baz2 and qux2 are left out: their CHILDINFO would be redundant
	// (RFC 5258 3.5, SHOULD).
	{"5258 ex9 *2", twoInfos, twoSubs, `D03 LIST (RECURSIVEMATCH SUBSCRIBED) "" "*2"`, []string{
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar2`,
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar22`,
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar222`,
		`* LIST (\Subscribed \HasChildren) "/" eps2 ("CHILDINFO" ("SUBSCRIBED"))`,
		`* LIST (\HasChildren) "/" foo2 ("CHILDINFO" ("SUBSCRIBED"))`,
		`* LIST (\Subscribed \HasNoChildren) "/" foo2/bar2`,
		`* LIST (\Subscribed \HasNoChildren) "/" qux2/bar2`,
	}},
	// The RFC also lists foo2 and baz2 here, with redundant CHILDINFO,
	// against its own SHOULD of 3.5, which we follow.
	{"5258 ex9 *", twoInfos, twoSubs, `D03 LIST (RECURSIVEMATCH SUBSCRIBED) "" "*"`, []string{
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar2`,
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar22`,
		`* LIST (\Subscribed \HasNoChildren) "/" baz2/bar222`,
		`* LIST (\Subscribed \HasChildren) "/" eps2 ("CHILDINFO" ("SUBSCRIBED"))`,
		`* LIST (\Subscribed \HasNoChildren) "/" eps2/mamba`,
		`* LIST (\Subscribed \HasNoChildren) "/" foo2/bar1`,
		`* LIST (\Subscribed \HasNoChildren) "/" foo2/bar2`,
		`* LIST (\Subscribed \HasNoChildren) "/" qux2/bar2`,
	}},
	{"5258 ex10 a1", mboxes("foo"), []string{"foo/bar"}, `a1 LIST "" ("foo" "foo/*")`, []string{
		`* LIST (\HasNoChildren) "/" foo`,
	}},
	{"9051 ex9 a1", mboxes("foo"), []string{"foo/bar"}, `a1 LIST "" ("foo")`, []string{
		`* LIST (\HasNoChildren) "/" foo`,
	}},
	{"5258 ex10 a2", mboxes("foo"), []string{"foo/bar"}, `a2 LIST (SUBSCRIBED) "" "foo/*"`, []string{
		`* LIST (\Subscribed \NonExistent \HasNoChildren) "/" foo/bar`,
	}},
	{"5258 ex10 a3", mboxes("foo"), []string{"foo/bar"}, `a3 LIST (SUBSCRIBED RECURSIVEMATCH) "" foo RETURN (CHILDREN)`, []string{
		`* LIST (\HasNoChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))`,
	}},
	{"5258 ex11 a1", mboxes("music/rock"), nil, `a1 LIST (REMOTE) "" *`, []string{
		`* LIST (\HasNoChildren) "/" music/rock`,
	}},
	{"5258 ex11 a2", mboxes("music/rock"), nil, `a2 LIST () "" %`, []string{
		`* LIST (\NonExistent \HasChildren) "/" music`,
	}},
	{"5258 ex11 a3", mboxes("music/rock"), nil, `a3 LIST (REMOTE) "" %`, []string{
		`* LIST (\NonExistent \HasChildren) "/" music`,
	}},
	{"5258 ex11 a3.1", mboxes("music/rock"), nil, `a3.1 LIST "" (% music/rock)`, []string{
		`* LIST (\HasNoChildren) "/" music/rock`,
	}},
	// RFC 9051 6.3.9: in the basic syntax a missing level is \Noselect.
	{"missing level basic", mboxes("music/rock"), nil, `a2 LIST "" %`, []string{
		`* LIST (\Noselect \HasChildren) "/" music`,
	}},
	{"missing level matched deeper", mboxes("a/b/c"), nil, `a LIST "" %/%`, []string{
		`* LIST (\Noselect \HasChildren) "/" a/b`,
	}},
	// RFC 9051 6.3.9.8 example 11 (LIST-STATUS: the session adds STATUS).
	{"9051 ex11", mboxes("INBOX", "foo", `bar \Noselect`, "bar/x"), []string{"INBOX", "foo/x"},
		`A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))`, []string{
			`* LIST (\Subscribed \HasNoChildren) "/" INBOX`,
			`* LIST (\HasNoChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))`,
		}},
	{"9051 ex11 plain", mboxes("INBOX", "foo", `bar \Noselect`, "bar/x"), nil,
		`A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))`, []string{
			`* LIST (\HasNoChildren) "/" INBOX`,
			`* LIST (\Noselect \HasChildren) "/" bar`,
			`* LIST (\HasNoChildren) "/" foo`,
		}},

	// RFC 6154 5.1, 5.2: special-use attributes are always returned.
	{"6154 5.1", specialInfos, nil, `t1 LIST "" "%"`, []string{
		`* LIST (\Marked \HasNoChildren) "/" INBOX`,
		`* LIST (\Drafts \Marked \HasNoChildren) "/" MyDrafts`,
		`* LIST (\HasChildren) "/" Projects`,
		`* LIST (\Sent \HasNoChildren) "/" SentMail`,
		`* LIST (\HasNoChildren) "/" ToDo`,
		`* LIST (\Trash \HasNoChildren) "/" Trash`,
	}},
	{"6154 5.2 return", specialInfos, nil, `t2 LIST "" "%" RETURN (SPECIAL-USE)`, []string{
		`* LIST (\Marked \HasNoChildren) "/" INBOX`,
		`* LIST (\Drafts \Marked \HasNoChildren) "/" MyDrafts`,
		`* LIST (\HasChildren) "/" Projects`,
		`* LIST (\Sent \HasNoChildren) "/" SentMail`,
		`* LIST (\HasNoChildren) "/" ToDo`,
		`* LIST (\Trash \HasNoChildren) "/" Trash`,
	}},
	{"6154 5.2 select", specialInfos, nil, `t3 LIST (SPECIAL-USE) "" "*"`, []string{
		`* LIST (\Drafts \Marked \HasNoChildren) "/" MyDrafts`,
		`* LIST (\Sent \HasNoChildren) "/" SentMail`,
		`* LIST (\Trash \HasNoChildren) "/" Trash`,
	}},
	{"special-use recursive", mboxes("INBOX", "Mail", `Mail/Sent \Sent`), nil, `t LIST (SPECIAL-USE RECURSIVEMATCH) "" "%"`, []string{
		`* LIST (\HasChildren) "/" Mail ("CHILDINFO" ("SPECIAL-USE"))`,
	}},
	{"special-use and subscribed", specialInfos, []string{"Trash", "ToDo"}, `t LIST (SPECIAL-USE SUBSCRIBED) "" "*"`, []string{
		`* LIST (\Trash \Subscribed \HasNoChildren) "/" Trash`,
	}},

	// RFC 3501 6.3.9 LSUB, "." changed to "/".
	{"3501 LSUB *", mboxes("news/comp/mail/mime", "news/comp/mail/misc"), []string{"news/comp/mail/mime", "news/comp/mail/misc"},
		`A002 LSUB "news/" "comp/mail/*"`, []string{
			`* LSUB () "/" news/comp/mail/mime`,
			`* LSUB () "/" news/comp/mail/misc`,
		}},
	{"3501 LSUB %", mboxes("news/comp/mail/mime", "news/comp/mail/misc"), []string{"news/comp/mail/mime", "news/comp/mail/misc"},
		`A003 LSUB "news/" "comp/%"`, []string{
			`* LSUB (\Noselect) "/" news/comp/mail`,
		}},
	{"3501 LSUB foo/bar", mboxes("foo", "foo/bar"), []string{"foo/bar"}, `A LSUB "" "%"`, []string{
		`* LSUB (\Noselect) "/" foo`,
	}},
	{"LSUB missing and noselect", mboxes("INBOX", `a \Noselect`, "a/b", "c"), []string{"inbox", "a", "gone", "c"},
		`A LSUB "" "*"`, []string{
			`* LSUB () "/" INBOX`,
			`* LSUB (\Noselect) "/" a`,
			`* LSUB () "/" c`,
			`* LSUB (\Noselect) "/" gone`,
		}},
	{"LSUB subscribed parent", mboxes("foo", "foo/bar"), []string{"foo", "foo/bar"}, `A LSUB "" "%"`, []string{
		`* LSUB () "/" foo`,
	}},

	// INBOX is case-insensitive, as is the INBOX level of its children.
	{"inbox lower", mboxes("INBOX", "INBOX/sub", "inboxes"), nil, `A LIST "" inbox`, []string{
		`* LIST (\HasChildren) "/" INBOX`,
	}},
	{"inbox wildcard", mboxes("INBOX", "INBOX/sub", "inboxes"), nil, `A LIST "" In%`, []string{
		`* LIST (\HasChildren) "/" INBOX`,
	}},
	{"inbox children", mboxes("INBOX", "INBOX/sub", "inboxes"), nil, `A LIST "" inbox/%`, []string{
		`* LIST (\HasNoChildren) "/" INBOX/sub`,
	}},
	{"inbox reference", mboxes("INBOX", "INBOX/sub", "inboxes"), nil, `A LIST InBox/ *`, []string{
		`* LIST (\HasNoChildren) "/" INBOX/sub`,
	}},
	{"other names case-sensitive", mboxes("INBOX", "Fruit"), nil, `A LIST "" fruit`, []string{}},
	{"backend inbox spelling", mboxes("Inbox"), []string{"INBOX"}, `A LIST "" "*" RETURN (SUBSCRIBED)`, []string{
		`* LIST (\Subscribed \HasNoChildren) "/" INBOX`,
	}},

	{"reference", foodInfos, nil, `A LIST Fruit/ %`, []string{
		`* LIST (\HasNoChildren) "/" Fruit/Apple`,
		`* LIST (\HasNoChildren) "/" Fruit/Banana`,
	}},
	{"reference without delimiter", foodInfos, nil, `A LIST Fruit /A*`, []string{
		`* LIST (\HasNoChildren) "/" Fruit/Apple`,
	}},
	{"percent in the middle", foodInfos, nil, `A LIST "" %/B%`, []string{
		`* LIST (\HasNoChildren) "/" Fruit/Banana`,
		`* LIST (\HasNoChildren) "/" Vegetable/Broccoli`,
	}},
	{"patterns overlap", foodInfos, nil, `A LIST "" (% * Tofu)`, []string{
		`* LIST (\Marked \Noinferiors) "/" INBOX`,
		`* LIST (\HasChildren) "/" Fruit`,
		`* LIST (\HasNoChildren) "/" Fruit/Apple`,
		`* LIST (\HasNoChildren) "/" Fruit/Banana`,
		`* LIST (\HasNoChildren) "/" Tofu`,
		`* LIST (\HasChildren) "/" Vegetable`,
		`* LIST (\HasNoChildren) "/" Vegetable/Broccoli`,
		`* LIST (\HasNoChildren) "/" Vegetable/Corn`,
	}},
	{"extended empty pattern", foodInfos, nil, `A LIST () "" ""`, []string{}},
	{"extended empty pattern ignored", foodInfos, nil, `A LIST "" ("" Tofu)`, []string{
		`* LIST (\HasNoChildren) "/" Tofu`,
	}},
	{"return empty", foodInfos, nil, `A LIST "" Tofu RETURN ()`, []string{
		`* LIST (\HasNoChildren) "/" Tofu`,
	}},
	{"duplicate options", foodInfos, foodSubs, `A LIST (SUBSCRIBED SUBSCRIBED) "" Veg* RETURN (SUBSCRIBED CHILDREN CHILDREN)`, []string{
		`* LIST (\Subscribed \HasChildren) "/" Vegetable`,
		`* LIST (\Subscribed \HasNoChildren) "/" Vegetable/Broccoli`,
	}},
	{"backend computed attrs ignored", mboxes(`a \HasChildren \Subscribed \NonExistent`), nil, `A LIST "" *`, []string{
		`* LIST (\HasNoChildren) "/" a`,
	}},
	{"utf-8 names", mboxes("Entwürfe", "Entwürfe/Größe"), nil, `A LIST "" Entw%`, []string{
		"* LIST (\\HasChildren) \"/\" {9}\r\nEntwürfe",
	}},
	{"no mailboxes", nil, nil, `A LIST "" *`, []string{}},

	// RFC 5258 3: BAD.
	{"recursivematch alone", foodInfos, nil, `A LIST (RECURSIVEMATCH) "" *`, nil},
	{"recursivematch remote", foodInfos, nil, `A LIST (REMOTE RECURSIVEMATCH) "" *`, nil},
	{"unknown selection", foodInfos, nil, `A LIST (X-FOO) "" *`, nil},
	{"unknown return", foodInfos, nil, `A LIST "" * RETURN (MYRIGHTS)`, nil},
}

func TestListMailboxes(t *testing.T) {
	for _, tt := range listTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runList(t, tt.infos, tt.subs, tt.cmd)
			if tt.want == nil {
				var se *SyntaxError
				require.Error(t, err)
				assert.True(t, errors.As(err, &se), "%v", err)
				return
			}
			require.NoError(t, err)
			want := []string{}
			for _, w := range tt.want {
				want = append(want, normListLine(w))
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestListOrder(t *testing.T) {
	infos := mboxes("b", "a-b", "a/b", "a", "INBOX/x", "Archive", "INBOX", "a/b/c", "a/a", "a/INBOX", "a/Archive")
	got, err := listMailboxes(infos, nil, &ListCommand{Patterns: []string{"*"}}, false)
	require.NoError(t, err)
	var names []string
	for _, d := range got {
		names = append(names, d.Mailbox)
		assert.Equal(t, "/", d.Delim)
		assert.False(t, d.LSUB)
	}
	assert.Equal(t, []string{"INBOX", "INBOX/x", "Archive", "a", "a/Archive", "a/INBOX", "a/a", "a/b", "a/b/c", "a-b", "b"}, names)
}

func TestListPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "a/b/c", true},
		{"%", "a", true},
		{"%", "a/b", false},
		{"%", "", true},
		{"", "", true},
		{"", "a", false},
		{"a", "a", true},
		{"a", "A", false},
		{"a", "ab", false},
		{"a*", "a/b", true},
		{"a%", "a/b", false},
		{"a%", "abc", true},
		{"%/%", "a/b", true},
		{"%/%", "a/b/c", false},
		{"*/%", "a/b/c", true},
		{"%*", "a/b", true},
		{"*%", "a/b", true},
		{"%%%", "a/b", false},
		{"%%/%%", "ab/cd", true},
		{"a*b", "ab", true},
		{"a*b", "a/x/b", true},
		{"a*b", "a/x/bc", false},
		{"a%b%c", "axbyc", true},
		{"a%b%c", "axb/c", false},
		{"*2", "foo2", true},
		{"*2", "foo2/bar1", false},
		{"inbox", "INBOX", true},
		{"INBOX", "INBOX", true},
		{"iNbOx/Sub", "INBOX/Sub", true},
		{"inbox/sub", "INBOX/Sub", false},
		{"inbox", "INBOXES", false},
		{"in*", "INBOX", true},
		{"*box", "INBOX", true},
		{"%X/%", "INBOX/a", true},
		{"Entw%", "Entwürfe", true},
		{"%ü%", "Entwürfe", true},
		{"%ü%", "Entwurfe", false},
	}
	m := newListMatcher(64)
	for _, tt := range tests {
		got := m.match(compileListPattern(tt.pattern), tt.name)
		assert.Equal(t, tt.want, got, "%q ~ %q", tt.pattern, tt.name)
	}
}

// TestListPatternHostile checks that patterns which make a
// backtracking matcher exponential stay cheap.
func TestListPatternHostile(t *testing.T) {
	name := strings.Repeat("a", 1000) + "/" + strings.Repeat("a", 1000)
	pats := []string{
		strings.Repeat("*%", 30000) + "b",
		strings.Repeat("%a", 900) + "%b",
		strings.Repeat("a%", 999) + "/" + strings.Repeat("%a*", 300) + "b",
		strings.Repeat("*a", 1000) + "*b",
	}
	infos := []mailbox.MailboxInfo{{Name: name}}
	for range 50 {
		infos = append(infos, mailbox.MailboxInfo{Name: strings.Repeat("a%", 100)})
	}
	start := time.Now()
	m := newListMatcher(len(name))
	for _, p := range pats {
		assert.False(t, m.match(compileListPattern(p), name))
	}
	assert.True(t, m.match(compileListPattern(strings.Repeat("*a", 1000)+"*"+"/"), name[:1001]))
	got, err := listMailboxes(infos, nil, &ListCommand{Patterns: pats, SelectOpts: []string{}}, false)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Less(t, time.Since(start), 2*time.Second)
}

// TestListWorstCase times a LIST at the limits: patterns whose
// literals all occur in order, so that only the dynamic program can
// tell that "%" cannot cross the "/" of long names. About 150 ms
// without the race detector.
func TestListWorstCase(t *testing.T) {
	var infos []mailbox.MailboxInfo
	for i := range 300 {
		infos = append(infos, mailbox.MailboxInfo{Name: strings.Repeat("a", 400+i) + "/" + strings.Repeat("a", 300)})
	}
	var pats []string
	for i := range maxListPatterns {
		pats = append(pats, strings.Repeat("%a", maxListWildcards-1)+"%"+strings.Repeat("a", i+1))
	}
	m := newListMatcher(1000)
	p := compileListPattern(pats[0])
	require.True(t, p.literalsInOrder(infos[0].Name))
	require.False(t, m.match(p, infos[0].Name))
	start := time.Now()
	got, err := listMailboxes(infos, nil, &ListCommand{Patterns: pats}, false)
	require.NoError(t, err)
	t.Logf("%d names x %d patterns: %v", len(infos), len(pats), time.Since(start))
	assert.Less(t, time.Since(start), 10*time.Second)
	// Only the missing first levels match.
	assert.Len(t, got, len(infos))
	for _, d := range got {
		assert.NotContains(t, d.Mailbox, "/")
	}
}

func TestListPatternLimits(t *testing.T) {
	infos := mboxes("a", "b", "c")
	// Too many wildcards: ignored.
	got, err := listMailboxes(infos, nil, &ListCommand{Patterns: []string{strings.Repeat("%a", maxListWildcards+1)[1:] + "%"}}, false)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = listMailboxes(infos, nil, &ListCommand{Patterns: []string{strings.Repeat("*%", 1000)}}, false)
	require.NoError(t, err)
	assert.Len(t, got, 3, "a run of wildcards is one")
	// Patterns beyond maxListPatterns: ignored.
	var pats []string
	for i := range maxListPatterns {
		pats = append(pats, "x"+strings.Repeat("y", i))
	}
	got, err = listMailboxes(infos, nil, &ListCommand{Patterns: append(pats, "a")}, false)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = listMailboxes(infos, nil, &ListCommand{Patterns: append(pats[1:], "a")}, false)
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

// refListMatch is a naive backtracking matcher, for small inputs.
func refListMatch(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '*', '%':
		for i := 0; i <= len(s); i++ {
			if refListMatch(p[1:], s[i:]) {
				return true
			}
			if i < len(s) && p[0] == '%' && s[i] == '/' {
				return false
			}
		}
		return false
	}
	return s != "" && s[0] == p[0] && refListMatch(p[1:], s[1:])
}

// TestListPatternRandom checks the matcher, both of its paths, against
// the naive one on random short patterns and names.
func TestListPatternRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(alphabet string, n int) string {
		b := make([]byte, rng.IntN(n+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	m := newListMatcher(16)
	for range 20000 {
		p, s := gen("ab/*%", 8), gen("ab/", 10)
		assert.Equal(t, refListMatch(p, s), m.match(compileListPattern(p), s), "%q ~ %q", p, s)
	}
}
