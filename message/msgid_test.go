package message

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var msgidCases = []struct {
	in   string
	want string
	err  bool
}{
	{in: "<1234@local.machine.example>", want: "1234@local.machine.example"},
	{in: "  <5678.21-Nov-1997@example.com>  ", want: "5678.21-Nov-1997@example.com"},
	{in: "<testabcd.1234@silly.test>", want: "testabcd.1234@silly.test"},
	{in: "(comment) <a@b> (trailing)", want: "a@b"},
	{in: "\r\n <synthetic-031@corpus.example>", want: "synthetic-031@corpus.example"},
	{in: "<id@[192.0.2.1]>", want: "id@[192.0.2.1]"},
	{in: "<$1$abc/def+x=y@mail.example>", want: "$1$abc/def+x=y@mail.example"},
	// RFC 5322 A.6.3 obsolete CFWS inside the id.
	{in: "<1234   @   local(blah)  .machine .example>", want: "1234@local.machine.example"},
	{in: `<"quoted"@example.com>`, want: "quoted@example.com"},
	// Malformed: best effort plus an error.
	{in: "1234@example.com", want: "1234@example.com", err: true},
	{in: " 1234@example.com (comment)", want: "1234@example.com", err: true},
	{in: "<1234>", want: "1234", err: true},
	{in: "<a b@c>", want: "a b@c", err: true},
	{in: "<ABC[123]@x>", want: "ABC[123]@x", err: true},
	{in: "<a@b", want: "a@b", err: true},
	{in: "<a@b> <c@d>", want: "a@b", err: true},
	{in: "<a@b> junk", want: "a@b", err: true},
	{in: "<ünï@example.срб>", want: "ünï@example.срб"},
	{in: "<\xff@x>", want: "\uFFFD@x", err: true},
	{in: "", want: "", err: true},
	{in: "<>", want: "", err: true},
	{in: "no id here", want: "", err: true},
	{in: "a@b c@d", want: "", err: true},
}

func TestParseMessageID(t *testing.T) {
	for _, tc := range msgidCases {
		got, err := ParseMessageID(tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		if tc.err {
			assert.ErrorIs(t, err, ErrInvalidMessageID, "%q", tc.in)
		} else {
			assert.NoError(t, err, "%q", tc.in)
		}
	}
}

func TestParseMessageIDList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"<1234@local.machine.example> <3456@example.net>", []string{"1234@local.machine.example", "3456@example.net"}},
		{"<a@b>\r\n\t<c@d>\r\n <e@f>", []string{"a@b", "c@d", "e@f"}},
		{"<a@b>,<c@d>", []string{"a@b", "c@d"}},
		{"<a@b><c@d>", []string{"a@b", "c@d"}},
		{`Your message of "Mon, 3 Mar 2026 <x>" <id@host>`, []string{"id@host"}},
		{"<id@host> (Joe's message of Mon, 3 Mar)", []string{"id@host"}},
		{"(<not@this>) <a@b>", []string{"a@b"}},
		{"<a@b <c@d>", []string{"a@b", "c@d"}},
		{"<a@b junk> <c@d>", []string{"a@b junk", "c@d"}},
		{"<1234 @ local . example>", []string{"1234@local.example"}},
		{"a@b c@d, e@f", []string{"a@b", "c@d", "e@f"}},
		{`"x@y" a@b (c@d)`, []string{"a@b"}},
		{"", nil},
		{"<> < >", nil},
		{"no ids here", nil},
	} {
		assert.Equal(t, tc.want, ParseMessageIDList(tc.in), "%q", tc.in)
	}
}

func TestParseMessageIDListHostile(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("<", 200000),
		strings.Repeat("<a", 200000),
		strings.Repeat("<a@b>", 200000),
		strings.Repeat("(", 200000),
		strings.Repeat(`"`, 200001),
		strings.Repeat("a@b ", 200000),
		strings.Repeat("< a", 200000),
	} {
		for _, id := range ParseMessageIDList(in) {
			require.True(t, utf8.ValidString(id))
		}
		_, _ = ParseMessageID(in)
	}
}

func TestFormatMessageID(t *testing.T) {
	assert.Equal(t, "<a@b>", FormatMessageID("a@b"))
	assert.Equal(t, "<a@b>", FormatMessageID(" <a@b> "))
	assert.Equal(t, "<a@bX-Evil: 1>", FormatMessageID("a@b\r\nX-Evil: 1"))
}

func TestGenerateMessageID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := GenerateMessageID("mail.example.com")
		require.False(t, seen[id], "duplicate %s", id)
		seen[id] = true
		got, err := ParseMessageID(FormatMessageID(id))
		require.NoError(t, err, id)
		require.Equal(t, id, got)
		require.True(t, strings.HasSuffix(id, "@mail.example.com"))
		require.GreaterOrEqual(t, len(id), len("@mail.example.com")+26)
	}
	for _, dom := range []string{"", "bad domain", "x..y", "ünï.example", "a\r\nb", "[192.0.2.1]"} {
		id := GenerateMessageID(dom)
		_, err := ParseMessageID(FormatMessageID(id))
		assert.NoError(t, err, "%q gave %q", dom, id)
	}
	assert.True(t, strings.HasSuffix(GenerateMessageID("bad domain"), "@localhost"))
	assert.True(t, strings.HasSuffix(GenerateMessageID("[192.0.2.1]"), "@[192.0.2.1]"))
}

// Every Message-ID of the corpus that CPython saw as "<...>" reads as the
// text between the brackets (or its obsolete-syntax canonical form).
func TestMessageIDCorpus(t *testing.T) {
	exp, err := os.ReadFile("../testdata/messages/expected.jsonl")
	if os.IsNotExist(err) {
		t.Skip("corpus not present")
	}
	require.NoError(t, err)
	var n, clean int
	for _, line := range strings.Split(strings.TrimSpace(string(exp)), "\n") {
		var r struct {
			File      string  `json:"file"`
			MessageID *string `json:"message_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		if r.MessageID == nil {
			continue
		}
		n++
		v := *r.MessageID
		id, err := ParseMessageID(v)
		if err == nil {
			clean++
		}
		if strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">") && msgidIsSimple(v[1:len(v)-1]) {
			assert.NoError(t, err, r.File)
			assert.Equal(t, v[1:len(v)-1], id, r.File)
		} else {
			t.Logf("%s: %q -> %q, %v", r.File, v, id, err)
		}
		if strings.ContainsAny(v, "<@") {
			assert.NotEmpty(t, id, "%s: %q", r.File, v)
		}
	}
	t.Logf("%d/%d corpus message ids well formed", clean, n)
}

func FuzzParseMessageID(f *testing.F) {
	for _, tc := range msgidCases {
		f.Add(tc.in)
	}
	f.Add(`Your message of "Mon" <id@host> (c) <a@b`)
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseMessageID(s)
		if !utf8.ValidString(id) {
			t.Fatalf("invalid UTF-8 id %q", id)
		}
		if err == nil {
			// A well-formed id reads back the same once formatted.
			again, err := ParseMessageID(FormatMessageID(id))
			if err != nil || again != id {
				t.Fatalf("%q -> %q -> %q, %v", s, id, again, err)
			}
		}
		for _, id := range ParseMessageIDList(s) {
			if id == "" || !utf8.ValidString(id) {
				t.Fatalf("bad id %q in list of %q", id, s)
			}
		}
	})
}

func BenchmarkParseMessageIDList(b *testing.B) {
	const in = "<1234@local.machine.example> <3456@example.net>\r\n <abcd.efgh@mail.example.org>"
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if len(ParseMessageIDList(in)) != 3 {
			b.Fatal("wrong count")
		}
	}
}
