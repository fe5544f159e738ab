package message

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mime"
)

func TestAddressFormat(t *testing.T) {
	for _, tc := range []struct {
		a        Address
		ascii    string
		utf8     string // "" means same as ascii
		needsDec bool   // reading ascii back needs an RFC 2047 decoder
	}{
		{a: mb("", "joe@example.com"), ascii: "joe@example.com"},
		{a: mb("Joe", "joe@example.com"), ascii: "Joe <joe@example.com>"},
		{a: mb("Mary Smith", "mary@x.test"), ascii: "Mary Smith <mary@x.test>"},
		{a: mb("Who?", "one@y.test"), ascii: "Who? <one@y.test>"},
		{a: mb("Joe Q. Public", "john.q.public@example.com"), ascii: `"Joe Q. Public" <john.q.public@example.com>`},
		{a: mb(`Giant; "Big" Box`, "sysservices@example.net"), ascii: `"Giant; \"Big\" Box" <sysservices@example.net>`},
		{a: mb(`back\slash`, "a@b"), ascii: `"back\\slash" <a@b>`},
		{a: mb("Doe, John", "a@b"), ascii: `"Doe, John" <a@b>`},
		{a: mb(" lead", "a@b"), ascii: `" lead" <a@b>`},
		{a: mb("two  spaces", "a@b"), ascii: `"two  spaces" <a@b>`},
		{a: mb("tab\there", "a@b"), ascii: "\"tab\there\" <a@b>"},
		{a: mb("alice@example.com", "bob@example.com"), ascii: `"alice@example.com" <bob@example.com>`},
		{a: mb("Jörg", "j@x"), ascii: "=?UTF-8?B?SsO2cmc=?= <j@x>", utf8: "Jörg <j@x>", needsDec: true},
		{a: mb("Jörg Müller, Jr.", "j@x"), ascii: "=?UTF-8?B?SsO2cmcgTcO8bGxlciwgSnIu?= <j@x>", utf8: `"Jörg Müller, Jr." <j@x>`, needsDec: true},
		{a: mb("=?looks?like?", "j@x"), ascii: "=?UTF-8?B?PT9sb29rcz9saWtlPw==?= <j@x>", needsDec: true},
		{a: mb("bell\a", "j@x"), ascii: "=?UTF-8?Q?bell=07?= <j@x>", needsDec: true},
		{a: mb("", `"john doe"@x`), ascii: `"john doe"@x`},
		{a: mb("", "john doe@x"), ascii: `"john doe"@x`},
		{a: mb("", `a"b@x`), ascii: `"a\"b"@x`},
		{a: mb("", `"a@b"@x`), ascii: `"a@b"@x`},
		{a: mb("", "jörg@bücher.example"), ascii: "jörg@bücher.example"},
		{a: mb("", "a@[1.2.3.4]"), ascii: "a@[1.2.3.4]"},
		{a: mb("", "postmaster"), ascii: "postmaster"},
		{a: mb("", ""), ascii: "<>"},
		{a: mb("MAILER DAEMON", ""), ascii: "MAILER DAEMON <>"},
		{a: mb("Joe", "joe@x\r\nBcc: evil@y"), ascii: `Joe <joe@xBcc: evil@y>`},
		{a: grp("Undisclosed recipients"), ascii: "Undisclosed recipients:;"},
		{a: grp("A Group", mb("Ed Jones", "c@a.test"), mb("", "joe@where.test")), ascii: "A Group: Ed Jones <c@a.test>, joe@where.test;"},
		{a: grp("Team.", mb("", "a@b")), ascii: `"Team.": a@b;`},
		{a: grp("", mb("", "a@b")), ascii: ": a@b;"},
		{a: grp("outer", mb("", "a@b"), grp("inner", mb("", "c@d"))), ascii: "outer: a@b, c@d;"},
	} {
		assert.Equal(t, tc.ascii, tc.a.String(), "%#v", tc.a)
		want8 := tc.utf8
		if want8 == "" {
			want8 = tc.ascii
		}
		assert.Equal(t, want8, tc.a.Format(true), "%#v", tc.a)
		assert.NotContains(t, tc.a.String(), "\n")
	}
}

func TestFormatAddressList(t *testing.T) {
	list := []Address{mb("Mary Smith", "mary@x.test"), mb("", "jdoe@example.org"), grp("G", mb("Jörg", "j@x"))}
	assert.Equal(t, "Mary Smith <mary@x.test>, jdoe@example.org, G: =?UTF-8?B?SsO2cmc=?= <j@x>;", FormatAddressList(list))
	assert.Equal(t, "Mary Smith <mary@x.test>, jdoe@example.org, G: Jörg <j@x>;", FormatAddressListUTF8(list))
	assert.Equal(t, "", FormatAddressList(nil))
}

// roundTripCases are valid inputs that must read back the same after being
// formatted, both as 7-bit and as UTF-8.
var roundTripCases = []string{
	"John Doe <jdoe@machine.example>",
	`"Joe Q. Public" <john.q.public@example.com>, Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>`,
	`<boss@nil.test>, "Giant; \"Big\" Box" <sysservices@example.net>`,
	"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Undisclosed recipients:;",
	`"john doe"@example.com, "a\"b"@x, "a@b"@x, ""@x, ".a"@x`,
	"a@[1.2.3.4], θσερ@εχαμπλε.ψομ",
	`"Jörg" <jörg@bücher.example>, Jürgen Müller <jm@example.de>`,
	`"  spaced  out " <x@y>, "tab` + "\t" + `" <x@y>`,
	"Joe <joe@x>, Joe <>, postmaster, <>",
}

func TestAddressRoundTrip(t *testing.T) {
	for _, in := range roundTripCases {
		list, err := ParseAddressList(in)
		if !strings.Contains(in, "<>") && !strings.Contains(in, "postmaster") {
			require.NoError(t, err, in)
		}
		for _, utf8Out := range []bool{true, false} {
			if !haveDecoder() && !roundTrips(list, utf8Out) {
				continue
			}
			out := formatAddressList(list, utf8Out)
			again, err2 := ParseAddressList(out)
			assert.Equal(t, list, again, "%q -> %q", in, out)
			if err == nil {
				assert.NoError(t, err2, out)
			}
		}
	}
}

// Non-ASCII names go out as encoded words and come back with the decoder.
func TestAddressRoundTripEncoded(t *testing.T) {
	skipWithoutDecoder(t)
	list := []Address{
		mb("Jörg Müller, Jr.", "j@x"),
		mb(strings.Repeat("長い名前", 30), "long@x"),
		mb("=?not an encoded word?=", "n@x"),
		grp("Équipe", mb("Zoë", "zoe@x")),
	}
	out := FormatAddressList(list)
	for i := 0; i < len(out); i++ {
		require.Less(t, out[i], byte(0x80), "7-bit output: %q", out)
	}
	again, err := ParseAddressList(out)
	require.NoError(t, err)
	assert.Equal(t, list, again)
}

func TestFormatAddressListCharset(t *testing.T) {
	list := []Address{
		mb("Иван Петров", "ivan@example.ru"),
		mb("Doe, John", "john@x"),
		grp("Отдел", mb("Пётр", "p@x"), mb("", "q@x")),
	}
	out, err := FormatAddressListCharset(list, "koi8-r")
	require.NoError(t, err)
	assert.Equal(t, `=?koi8-r?B?6dfBziDwxdTSz9c=?= <ivan@example.ru>, "Doe, John" <john@x>, `+
		`=?koi8-r?B?79TExcw=?=: =?koi8-r?B?8KPU0g==?= <p@x>, q@x;`, out)
	again, err := ParseAddressList(out)
	require.NoError(t, err)
	assert.Equal(t, list, again)

	// "" is FormatAddressList.
	out, err = FormatAddressListCharset(list, "")
	require.NoError(t, err)
	assert.Equal(t, FormatAddressList(list), out)

	_, err = FormatAddressListCharset([]Address{grp("x", mb("東京", "t@x"))}, "koi8-r")
	assert.ErrorIs(t, err, mime.ErrUnrepresentable)
	_, err = FormatAddressListCharset(list, "utf-16")
	assert.ErrorIs(t, err, mime.ErrCharsetNotWritable)
}

func TestHeaderSetCharset(t *testing.T) {
	var h Header
	require.NoError(t, h.SetSubjectCharset("会議のお知らせ", "ISO-2022-JP"))
	assert.Equal(t, "=?ISO-2022-JP?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?=", h.Get("Subject"))
	assert.Equal(t, "会議のお知らせ", h.Subject())
	err := h.SetSubjectCharset("ｱ", "ISO-2022-JP")
	assert.ErrorIs(t, err, mime.ErrUnrepresentable)
	assert.Equal(t, "会議のお知らせ", h.Subject(), "unchanged on error")

	from := []Address{mb("山田 太郎", "taro@example.jp")}
	require.NoError(t, h.SetAddressListCharset("From", from, "iso-2022-jp"))
	assert.Equal(t, "=?iso-2022-jp?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.jp>", h.Get("From"))
	got, err := h.From()
	require.NoError(t, err)
	assert.Equal(t, from, got)
	err = h.SetAddressListCharset("From", []Address{mb("Zoë", "z@x")}, "iso-2022-jp")
	assert.ErrorIs(t, err, mime.ErrUnrepresentable)
	got, _ = h.From()
	assert.Equal(t, from, got, "unchanged on error")
	require.NoError(t, h.SetAddressListCharset("From", nil, "iso-2022-jp"))
	assert.False(t, h.Has("From"))
}
