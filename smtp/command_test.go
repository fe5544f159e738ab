package smtp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var commandTests = []struct {
	line string
	want Command
	code int // expected SyntaxError code, 0 for success
}{
	{"EHLO bar.com\r\n", Command{"EHLO", "bar.com"}, 0},
	{"ehlo bar.com", Command{"EHLO", "bar.com"}, 0},
	{"MAIL FROM:<Smith@bar.com>\r\n", Command{"MAIL", "FROM:<Smith@bar.com>"}, 0},
	{"DATA\r\n", Command{"DATA", ""}, 0},
	{"DATA \r\n", Command{"DATA", ""}, 0},
	{"QuIt\r\n", Command{"QUIT", ""}, 0},
	{"LHLO foo.edu", Command{"LHLO", "foo.edu"}, 0},
	{"VRFY  Smith ", Command{"VRFY", "Smith"}, 0},
	{"BDAT 1000 LAST", Command{"BDAT", "1000 LAST"}, 0},
	{"RCPT TO:<a@b> ORCPT=rfc822;a+40b", Command{"RCPT", "TO:<a@b> ORCPT=rfc822;a+40b"}, 0},
	{"", Command{}, 500},
	{"\r\n", Command{}, 500},
	{" MAIL", Command{}, 500},
	{"MA-IL FROM:<>", Command{}, 500},
	{"MAIL FROM:<a@b>\rRCPT TO:<c@d>\r\n", Command{}, 500},
	{"MAIL FROM:<a@b>\nRCPT", Command{}, 500},
	{"NOOP \x00", Command{}, 500},
	{strings.Repeat("X", 3000), Command{}, 500},
}

func TestParseCommand(t *testing.T) {
	for _, tt := range commandTests {
		got, err := ParseCommand([]byte(tt.line))
		if tt.code != 0 {
			var se *SyntaxError
			require.ErrorAs(t, err, &se, "%q", tt.line)
			assert.Equal(t, tt.code, se.Code, "%q", tt.line)
			continue
		}
		require.NoError(t, err, "%q", tt.line)
		assert.Equal(t, tt.want, got, "%q", tt.line)
	}
}

var mailTests = []struct {
	args   string
	utf8   bool
	path   string
	params Params
	code   int
}{
	// RFC 5321 Appendix D.
	{"FROM:<Smith@bar.com>", false, "Smith@bar.com", nil, 0},
	{"FROM:<>", false, "", nil, 0},
	{"from:<a@b.c>", false, "a@b.c", nil, 0},
	{"FROM: <a@b.c>", false, "a@b.c", nil, 0},
	{"FROM:a@b.c", false, "a@b.c", nil, 0},
	{"FROM:<@hosta.int,@jkl.org:userc@d.bar.org>", false, "userc@d.bar.org", nil, 0},
	{`FROM:<"John Doe"@example.com>`, false, `"John Doe"@example.com`, nil, 0},
	{`FROM:<"a\"b>c"@example.com>`, false, `"a\"b>c"@example.com`, nil, 0},
	{"FROM:<a@[192.0.2.1]>", false, "a@[192.0.2.1]", nil, 0},
	{"FROM:<a@[IPv6:2001:db8::1]>", false, "a@[IPv6:2001:db8::1]", nil, 0},
	{"FROM:<a@[x-tag:abc]>", false, "a@[x-tag:abc]", nil, 0},
	{"FROM:<a@b.c> SIZE=1000 BODY=8BITMIME", false, "a@b.c",
		Params{{"SIZE", "1000", true}, {"BODY", "8BITMIME", true}}, 0},
	{"FROM:<a@b.c>  smtputf8 ret=HDRS envid=QQ+2B", false, "a@b.c",
		Params{{"SMTPUTF8", "", false}, {"RET", "HDRS", true}, {"ENVID", "QQ+2B", true}}, 0},
	{"FROM:<δοκιμή@παράδειγμα.δοκιμή> SMTPUTF8", true, "δοκιμή@παράδειγμα.δοκιμή",
		Params{{"SMTPUTF8", "", false}}, 0},
	{"FROM:<δοκιμή@παράδειγμα.δοκιμή>", false, "", nil, 550},
	{"FROM:<a@b.c> SIZE=1 size=2", false, "", nil, 501},
	{"FROM:<a@b.c> SIZE=", false, "", nil, 501},
	{"FROM:<a@b.c> -X=1", false, "", nil, 501},
	{"FROM:<a@b.c> X=a=b", false, "", nil, 501},
	{"FROM:<a@b.c>X=1", false, "", nil, 501},
	{"FROM:<a@b.c", false, "", nil, 501},
	{"FROM:<a>", false, "", nil, 501},
	{"FROM:<a..b@c>", false, "", nil, 501},
	{"FROM:<.a@c>", false, "", nil, 501},
	{"FROM:<a@-c>", false, "", nil, 501},
	{"FROM:<a@c..d>", false, "", nil, 501},
	{"FROM:<a@[300.1.1.1]>", false, "", nil, 501},
	{"FROM:<a@[IPv6:1.2.3.4]>", false, "", nil, 501},
	{"FROM:<a b@c>", false, "", nil, 501},
	{"FROM:<@a:b@c>", false, "b@c", nil, 0},
	{"FROM:<@a;b@c>", false, "", nil, 501},
	{"FROM:", false, "", nil, 501},
	{"TO:<a@b>", false, "", nil, 501},
	{"FROM:<\xff@b>", true, "", nil, 501},
}

func TestParseMailFrom(t *testing.T) {
	for _, tt := range mailTests {
		path, params, err := ParseMailFrom(tt.args, tt.utf8)
		if tt.code != 0 {
			var se *SyntaxError
			require.ErrorAs(t, err, &se, "%q", tt.args)
			assert.Equal(t, tt.code, se.Code, "%q", tt.args)
			assert.True(t, se.EnhancedCode.Valid())
			continue
		}
		require.NoError(t, err, "%q", tt.args)
		assert.Equal(t, tt.path, path, "%q", tt.args)
		assert.Equal(t, tt.params, params, "%q", tt.args)
	}
}

func TestParseRcptTo(t *testing.T) {
	tests := []struct {
		args, path string
		params     Params
		code       int
	}{
		{"TO:<Jones@foo.com>", "Jones@foo.com", nil, 0},
		{"To: <Green@foo.com>", "Green@foo.com", nil, 0},
		{"TO:<@hosta.int,@jkl.org:userc@d.bar.org>", "userc@d.bar.org", nil, 0},
		{"TO:<postmaster>", "Postmaster", nil, 0},
		{"TO:<Postmaster@example.org>", "Postmaster@example.org", nil, 0},
		{"TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b", "a@b",
			Params{{"NOTIFY", "SUCCESS,FAILURE", true}, {"ORCPT", "rfc822;a+40b", true}}, 0},
		{"TO:<>", "", nil, 501},
		{"TO:<ü@b>", "", nil, 553},
		{"FROM:<a@b>", "", nil, 501},
	}
	for _, tt := range tests {
		path, params, err := ParseRcptTo(tt.args, false)
		if tt.code != 0 {
			var se *SyntaxError
			require.ErrorAs(t, err, &se, "%q", tt.args)
			assert.Equal(t, tt.code, se.Code, "%q", tt.args)
			continue
		}
		require.NoError(t, err, "%q", tt.args)
		assert.Equal(t, tt.path, path)
		assert.Equal(t, tt.params, params)
	}
}

func TestParams(t *testing.T) {
	_, ps, err := ParseMailFrom("FROM:<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8", false)
	require.NoError(t, err)
	v, ok := ps.Get("size")
	assert.True(t, ok)
	assert.Equal(t, "10", v)
	assert.False(t, ps.Has("RET"))
	assert.Equal(t, " SIZE=10 BODY=8BITMIME SMTPUTF8", ps.String())

	_, _, err = ParseMailFrom("FROM:<a@b>"+strings.Repeat(" X", MaxParams+1), false)
	assert.Error(t, err)
}

func TestXtext(t *testing.T) {
	tests := []struct{ dec, enc string }{
		{"", ""},
		{"plain", "plain"},
		{"a+b=c", "a+2Bb+3Dc"},
		{"rfc822;Jöe Doe@x", "rfc822;J+C3+B6e+20Doe@x"},
		{"\x00\x7f", "+00+7F"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.enc, EncodeXtext(tt.dec))
		got, err := DecodeXtext(tt.enc)
		require.NoError(t, err)
		assert.Equal(t, tt.dec, got)
	}
	got, err := DecodeXtext("a+2bc")
	require.NoError(t, err)
	assert.Equal(t, "a+c", got)
	for _, bad := range []string{"a+", "a+2", "a+ZZ", "a b", "a=b", "é"} {
		_, err := DecodeXtext(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, tt := range commandTests {
		f.Add([]byte(tt.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c, err := ParseCommand(line)
		if err != nil {
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			return
		}
		require.NotEmpty(t, c.Verb)
		require.Equal(t, strings.ToUpper(c.Verb), c.Verb)
		require.NotContains(t, c.Args, "\r")
		require.NotContains(t, c.Args, "\n")
		// Re-parsing the canonical form gives the same command.
		canon := c.Verb
		if c.Args != "" {
			canon += " " + c.Args
		}
		c2, err := ParseCommand([]byte(canon + "\r\n"))
		require.NoError(t, err)
		require.Equal(t, c, c2)
		// The argument parsers never panic on what ParseCommand lets through.
		ParseHello(c.Args, true)
		ParseBdat(c.Args)
		ParseRcptTo(c.Args, true)
		ParseORCPT(c.Args)
	})
}

func FuzzParseMailFrom(f *testing.F) {
	for _, tt := range mailTests {
		f.Add(tt.args, tt.utf8)
	}
	f.Fuzz(func(t *testing.T, args string, utf8 bool) {
		path, params, err := ParseMailFrom(args, utf8)
		if err != nil {
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.True(t, se.Code == 501 || se.Code == 550 || se.Code == 555, se.Code)
			return
		}
		require.False(t, strings.ContainsAny(path, "\r\n\x00"), "%q", path)
		// The canonical form parses back to the same result.
		again, params2, err := ParseMailFrom("FROM:<"+path+">"+params.String(), utf8)
		require.NoError(t, err, "%q -> %q", args, path)
		require.Equal(t, path, again)
		require.Equal(t, params, params2)
		for _, p := range params {
			require.Equal(t, strings.ToUpper(p.Keyword), p.Keyword)
		}
		if path != "" {
			rpath, _, err := ParseRcptTo("TO:<"+path+">", utf8)
			require.NoError(t, err)
			if !strings.EqualFold(path, "postmaster") {
				require.Equal(t, path, rpath)
			}
		}
	})
}

func BenchmarkParseCommand(b *testing.B) {
	line := []byte("MAIL FROM:<someone.long@example.org> SIZE=123456 BODY=8BITMIME\r\n")
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := ParseCommand(line)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := ParseMailFrom(c.Args, false); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKnownVerb(t *testing.T) {
	assert.True(t, KnownVerb("MAIL"))
	assert.True(t, KnownVerb("LHLO"))
	assert.False(t, KnownVerb("mail"))
	assert.False(t, KnownVerb("XYZZY"))
}

func TestParseBdat(t *testing.T) {
	tests := []struct {
		args string
		size int64
		last bool
		ok   bool
	}{
		{"86", 86, false, true},
		{"0 LAST", 0, true, true},
		{"1000  last", 1000, true, true},
		{"", 0, false, false},
		{"-1", 0, false, false},
		{"12 FIRST", 0, false, false},
		{"999999999999999999999", 0, false, false},
	}
	for _, tt := range tests {
		size, last, err := ParseBdat(tt.args)
		if !tt.ok {
			assert.Error(t, err, tt.args)
			continue
		}
		require.NoError(t, err, tt.args)
		assert.Equal(t, tt.size, size)
		assert.Equal(t, tt.last, last)
	}
}

func TestParseHello(t *testing.T) {
	for _, ok := range []string{"bar.com", "bar.com.", "[192.0.2.1]", "[IPv6:::1]", "localhost", "mx1 extra words"} {
		_, err := ParseHello(ok, false)
		assert.NoError(t, err, ok)
	}
	name, err := ParseHello("mx1 extra", false)
	require.NoError(t, err)
	assert.Equal(t, "mx1", name)
	for _, bad := range []string{"", "bad..dom", "[1.2.3]", "-x.com", "ü.example"} {
		_, err := ParseHello(bad, false)
		assert.Error(t, err, bad)
	}
	_, err = ParseHello("ü.example", true)
	assert.NoError(t, err)
}

func TestParseORCPT(t *testing.T) {
	typ, addr, err := ParseORCPT("rfc822;Bob+2BLists@example.org")
	require.NoError(t, err)
	assert.Equal(t, "rfc822", typ)
	assert.Equal(t, "Bob+Lists@example.org", addr)
	for _, bad := range []string{"", "rfc822", "rfc822;", ";a@b", "rfc822;a+zz", "rf c;a",
		"utf-8;a+2Bb@c", "utf-8;a=b@c", "utf-8;a\\x{}@c", "utf-8;a\\x{110000}@c", "utf-8;a\\y@c", "utf-8;\xff@c"} {
		_, _, err := ParseORCPT(bad)
		assert.Error(t, err, bad)
	}
	// RFC 6533 3.: utf-8-addr-unitext and utf-8-addr-xtext.
	for in, want := range map[string]string{
		"utf-8;用户@例子.example":                "用户@例子.example",
		"UTF-8;a\\x{2B}b\\x{7528}@c.example": "a+b用@c.example",
	} {
		typ, addr, err := ParseORCPT(in)
		require.NoError(t, err, in)
		assert.Equal(t, strings.ToLower(typ), "utf-8")
		assert.Equal(t, want, addr)
	}
}
