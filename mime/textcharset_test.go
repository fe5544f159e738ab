package mime

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// charsetSamples is text in each writable charset: a short phrase and a
// long one that takes several encoded words or parameter sections.
var charsetSamples = []struct {
	charset, short, long string
}{
	{"iso-8859-1", "Zoë Ångström", "Grüße aus Köln - non, « À bientôt » et ¡olé! ñ ß ÿ Ø æ " + strings.Repeat("é", 40)},
	{"iso-8859-15", "Œuvre à 10 €", "Šimon Žaneta paie 10 € pour l'Œuvre, Ÿ " + strings.Repeat("€œ", 30)},
	{"windows-1252", "“Smart” – €5", "naïve “quotes” — ‘single’ … € † ‰ Š Ÿ ž " + strings.Repeat("“x”", 20)},
	{"koi8-r", "Иван Петров", "Привет, мир! Это очень длинная тема письма для проверки переноса, ёЁ"},
	{"windows-1251", "Іван Петренко", "Добрий день! Це дуже довга тема листа для перевірки, ґҐєЄїЇ"},
	{"iso-8859-7", "Γιώργος", "Καλημέρα κόσμε, αυτό είναι ένα μακρύ θέμα για δοκιμή"},
	{"iso-2022-jp", "山田 太郎", "会議のお知らせ：来週の予定について、皆様のご都合をお知らせください。～ ASCII text 漢字"},
	{"ISO-2022-JP", "ｔｅｓｔ 全角", "長いファイル名の議事録テスト資料（最終版）第二四半期 abc 日本語 def"},
	{"shift_jis", "ｶﾀｶﾅ 山田", "会議のお知らせ：来週の予定について、ｶﾀｶﾅ 皆様のご都合をお知らせください①"},
	{"euc-jp", "山田 太郎", "会議のお知らせ：来週の予定について、皆様のご都合をお知らせください"},
	{"euc-kr", "김철수", "안녕하세요 회의 안내입니다. 다음 주 일정에 대해 알려드립니다 한국어"},
	{"gb2312", "王小明", "会议通知：下周安排，请各位准时参加。你好，世界！"},
	{"gbk", "王小明", "会议通知：下周安排，请各位准时参加。你好，世界！镕"},
	{"gb18030", "王小明 😀", "会议通知：下周安排 😀 ✓ 𠀀 请各位准时参加"},
	{"big5", "陳大文", "會議通知：下週安排，請各位準時參加。你好，世界！"},
	{"us-ascii", "a=?b", "plain " + strings.Repeat("x", 100)},
	{"windows-874", "สวัสดี", "สวัสดีครับ นี่คือหัวข้อที่ยาวมากสำหรับการทดสอบ"},
}

// checkCharsetWords checks the output of EncodeHeaderCharset or
// EncodePhraseCharset in charset: printable ASCII; encoded words in
// charset of at most 75 characters, B for multibyte charsets, each
// decoding on its own to valid text (so an ISO-2022-JP word ends in ASCII);
// plain words of at most 77, atoms in a phrase.
func checkCharsetWords(t testing.TB, s, charset string, phrase bool) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			t.Fatalf("byte %#x in %q", c, s)
		}
	}
	cs, err := writableCharset(charset)
	require.NoError(t, err)
	prefix := "=?" + cs.label() + "?"
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }) {
		if !strings.HasPrefix(w, prefix) {
			if len(w) > maxPlainWord || strings.Contains(w, "=?") {
				t.Fatalf("plain word %q in %q", w, s)
			}
			if phrase {
				for i := 0; i < len(w); i++ {
					if !isAtext(w[i]) {
						t.Fatalf("word %q in phrase %q is not an atom", w, s)
					}
				}
			}
			continue
		}
		if len(w) > maxEncodedWord {
			t.Fatalf("encoded word of %d characters: %q", len(w), w)
		}
		sc := wordScanner{s: w, endFrom: len(w) + 1, eqFrom: len(w) + 1}
		ew, end, ok := sc.parse(0)
		if !ok || end != len(w) {
			t.Fatalf("malformed encoded word %q", w)
		}
		if cs.cjk && !ew.b {
			t.Fatalf("Q word %q in multibyte %s", w, charset)
		}
		if ew.b && len(ew.text)%4 != 0 {
			t.Fatalf("B text of %q is not whole quanta", w)
		}
		if phrase && !ew.b {
			for _, c := range []byte(ew.text) {
				if !qSafe(c, true) && c != '=' && c != '_' {
					t.Fatalf("%q in Q phrase word %q", c, w)
				}
			}
		}
		octets := ew.appendDecoded(nil)
		checkSelfContained(t, octets, charset, w)
	}
}

// checkSelfContained checks that octets, one encoded word's or one
// parameter section's, decode on their own to whole characters, and in
// ISO-2022-JP end in ASCII.
func checkSelfContained(t testing.TB, octets []byte, charset, where string) {
	t.Helper()
	text, err := DecodeCharset(charset, octets)
	require.NoError(t, err)
	// What the octets decode to converts back to them: nothing was lost
	// (a broken sequence would decode to U+FFFD, which converts back to
	// something else or not at all), and nothing depends on a neighbour.
	back, err := EncodeCharset(charset, text)
	require.NoError(t, err, "%q decodes alone to %q", where, text)
	assert.Equal(t, string(octets), string(back), "%q does not decode alone", where)
	if !strings.EqualFold(charset, "iso-2022-jp") {
		return
	}
	if esc := bytes.LastIndexByte(octets, 0x1b); esc >= 0 && !bytes.HasPrefix(octets[esc:], []byte("\x1b(B")) {
		t.Fatalf("%q does not end in ASCII: %q", where, octets)
	}
}

func TestEncodeHeaderCharset(t *testing.T) {
	tests := []struct {
		in, charset, want string
	}{
		{"café", "iso-8859-1", "=?iso-8859-1?Q?caf=E9?="},
		{"Re: café au lait", "ISO-8859-1", "Re: =?ISO-8859-1?Q?caf=E9?= au lait"},
		{"Привет", "koi8-r", "=?koi8-r?B?8NLJ18XU?="},
		{"こんにちは", "ISO-2022-JP", "=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?="},
		{"山田 太郎", "iso-2022-jp", "=?iso-2022-jp?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?="},
		{"plain ascii", "koi8-r", "plain ascii"},
		{"a =?x?= b", "iso-8859-1", "a =?iso-8859-1?B?PT94Pz0=?= b"},
		{"a =?x?= é", "iso-8859-1", "a =?iso-8859-1?B?PT94Pz0g6Q==?="},
		{"a =?x?= ÿ", "iso-8859-1", "a =?iso-8859-1?B?PT94Pz0g/w==?="},
		{"voilà ça", "iso-8859-1", "=?iso-8859-1?Q?voil=E0_=E7a?="},
		{"你好", "gb2312", "=?gb2312?B?xOO6ww==?="},
		{"x€", "windows-1252", "=?windows-1252?Q?x=80?="},
		{"tab\x01", "us-ascii", "=?us-ascii?Q?tab=01?="},
	}
	for _, tt := range tests {
		got, err := EncodeHeaderCharset(tt.in, tt.charset)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		back, err := DecodeHeader(got)
		require.NoError(t, err)
		assert.Equal(t, tt.in, back)
	}

	// UTF-8 and "" are EncodeHeader and EncodePhrase.
	for _, s := range []string{"Grüße 東京 🎉", "ascii", "a=?b", strings.Repeat("ü", 80), "bad\xff"} {
		for _, cs := range []string{"", "utf-8", "UTF8", "unicode-1-1-utf-8"} {
			got, err := EncodeHeaderCharset(s, cs)
			require.NoError(t, err)
			assert.Equal(t, EncodeHeader(s), got)
			got, err = EncodePhraseCharset(s, cs)
			require.NoError(t, err)
			assert.Equal(t, EncodePhrase(s), got)
		}
	}

	// A phrase keeps to the restricted Q characters of RFC 2047 5.(3).
	got, err := EncodePhraseCharset("Smith, Zoë", "iso-8859-1")
	require.NoError(t, err)
	assert.Equal(t, "=?iso-8859-1?Q?Smith=2C_Zo=EB?=", got)
	// White space other than one space next to an encoded word goes inside
	// it: a phrase reader would not keep it between words.
	got, err = EncodePhraseCharset("0aa  Zoë", "iso-8859-1")
	require.NoError(t, err)
	assert.Equal(t, "=?iso-8859-1?Q?0aa__Zo=EB?=", got)
	assert.Equal(t, "=?UTF-8?B?MGFhICBab8Or?=", EncodePhrase("0aa  Zoë"))
	assert.Equal(t, "=?UTF-8?B?YQlab8Or?= b", EncodePhrase("a\tZoë b"))
	assert.Equal(t, "a b =?UTF-8?Q?Zo=C3=AB?=", EncodePhrase("a b Zoë"))
	got, err = EncodePhraseCharset("Smith, Bob", "iso-8859-1")
	require.NoError(t, err)
	assert.Equal(t, "Smith, Bob", got, "ASCII is left to the caller to quote")
}

func TestEncodeHeaderCharsetRoundTrip(t *testing.T) {
	for _, tt := range charsetSamples {
		for _, s := range []string{tt.short, tt.long, tt.short + " " + tt.long, "Re: " + tt.long + " (fwd) " + tt.short + " end"} {
			for _, phrase := range []bool{false, true} {
				var got string
				var err error
				if phrase {
					got, err = EncodePhraseCharset(s, tt.charset)
				} else {
					got, err = EncodeHeaderCharset(s, tt.charset)
				}
				require.NoError(t, err, "%s %q", tt.charset, s)
				if phrase && isPlainASCII(s) && !strings.Contains(s, "=?") {
					assert.Equal(t, s, got, "ASCII is left to the caller to quote")
					continue
				}
				checkCharsetWords(t, got, tt.charset, phrase)
				back, err := DecodeHeader(got)
				require.NoError(t, err)
				assert.Equal(t, s, back, "%s: %q", tt.charset, got)
				// Folded at every space and unfolded again, it still decodes.
				folded := strings.ReplaceAll(got, " ", "\r\n ")
				back, err = DecodeHeader(strings.ReplaceAll(folded, "\r\n", ""))
				require.NoError(t, err)
				assert.Equal(t, s, back)
			}
		}
	}
}

func TestEncodeHeaderCharsetLongName(t *testing.T) {
	// The longest name known: there is still room for the widest character.
	const name = "extended_unix_code_packed_format_for_japanese"
	s := strings.Repeat("日本語のテキスト", 5)
	got, err := EncodeHeaderCharset(s, name)
	require.NoError(t, err)
	checkCharsetWords(t, got, name, false)
	back, err := DecodeHeader(got)
	require.NoError(t, err)
	assert.Equal(t, s, back)
}

func TestEncodeHeaderCharsetErrors(t *testing.T) {
	unrepresentable := []struct {
		in, charset string
		at          string // in the error message
	}{
		{"Re: x€", "iso-8859-1", "U+20AC at byte 5"},
		{"Grüße 東京", "iso-8859-15", "U+6771 at byte 8"},
		{"ü", "koi8-r", "U+00FC at byte 0"},
		{"ｱ", "iso-2022-jp", "U+FF71"},        // half-width katakana: not in RFC 1468
		{"a\x1b(Bb", "iso-2022-jp", "U+001B"}, // would be read as an escape
		{"¥", "shift_jis", "U+00A5"},
		{"−", "iso-2022-jp", "U+2212"},
		{"😀", "euc-kr", "U+1F600"},
		{"한", "big5", "U+D55C"},
		{"bad\xff", "iso-8859-1", "U+FFFD"}, // invalid UTF-8 is U+FFFD
		{"é", "us-ascii", "U+00E9"},
	}
	for _, tt := range unrepresentable {
		for _, phrase := range []bool{false, true} {
			var err error
			if phrase {
				_, err = EncodePhraseCharset(tt.in, tt.charset)
			} else {
				_, err = EncodeHeaderCharset(tt.in, tt.charset)
			}
			require.ErrorIs(t, err, ErrUnrepresentable, "%s %q", tt.charset, tt.in)
			assert.Contains(t, err.Error(), tt.at)
			assert.Contains(t, err.Error(), tt.charset)
		}
	}

	_, err := EncodeHeaderCharset("é", "x-no-such")
	assert.ErrorIs(t, err, ErrUnknownCharset)
	for _, cs := range []string{"utf-16", "utf-16le", "utf-32", "utf-7", "hz-gb-2312", "ibm037",
		"iso_8859-1:1987", "ansi_x3.4-1968", " koi8-r", "'latin1'"} {
		_, err := EncodeHeaderCharset("é", cs)
		assert.ErrorIs(t, err, ErrCharsetNotWritable, cs)
		_, err = FormatMediaTypeCharset("text/plain", map[string]string{"name": "é"}, cs)
		assert.ErrorIs(t, err, ErrCharsetNotWritable, cs)
	}
}

func TestEncodeCharsetExact(t *testing.T) {
	// Characters an encoder would write as something that decodes to
	// another character are missing from the charset.
	for _, tt := range []struct{ charset, in string }{
		{"iso-2022-jp", "ｱｲｳ"},
		{"iso-2022-jp", "\x1b$B"},
		{"iso-2022-jp", "a\x0eb"},
		{"shift_jis", "¥"},
		{"utf-16le", "\uFEFFx"}, // would be read as a byte order mark
	} {
		_, err := EncodeCharset(tt.charset, tt.in)
		assert.ErrorIs(t, err, ErrUnrepresentable, "%s %q", tt.charset, tt.in)
	}
}

func TestFormatMediaTypeCharset(t *testing.T) {
	tests := []struct {
		t       string
		params  map[string]string
		charset string
		want    string
	}{
		{"application/pdf", map[string]string{"name": "résumé.pdf"}, "iso-8859-1", "application/pdf; name*=iso-8859-1''r%E9sum%E9.pdf"},
		{"text/plain", map[string]string{"charset": "koi8-r", "name": "отчёт.txt"}, "koi8-r",
			"text/plain; charset=koi8-r; name*=koi8-r''%CF%D4%DE%A3%D4.txt"},
		{"application/pdf", map[string]string{"name": "議事録.pdf"}, "ISO-2022-JP",
			"application/pdf; name*=ISO-2022-JP''%1B$B5D%3BvO%3F%1B%28B.pdf"},
		{"application/pdf", map[string]string{"name": "plain.pdf", "x": "a b"}, "big5", `application/pdf; name=plain.pdf; x="a b"`},
		{"text/plain", map[string]string{"title": "=?not-a-word?="}, "us-ascii", "text/plain; title*=us-ascii''%3D%3Fnot-a-word%3F%3D"},
	}
	for _, tt := range tests {
		got, err := FormatMediaTypeCharset(tt.t, tt.params, tt.charset)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
		m, err := ParseContentType(got)
		require.NoError(t, err)
		assert.Empty(t, m.Defects)
		assert.Equal(t, tt.params, m.Params)
	}

	got, err := FormatDispositionCharset("attachment", map[string]string{"filename": "résumé.pdf"}, "iso-8859-1")
	require.NoError(t, err)
	assert.Equal(t, "attachment; filename*=iso-8859-1''r%E9sum%E9.pdf", got)

	// UTF-8 and "" are FormatMediaType and FormatDisposition.
	params := map[string]string{"name": "résumé " + strings.Repeat("東京", 30) + ".pdf", "boundary": "=?x"}
	for _, cs := range []string{"", "utf-8", "UTF-8"} {
		got, err := FormatMediaTypeCharset("multipart/mixed", params, cs)
		require.NoError(t, err)
		assert.Equal(t, FormatMediaType("multipart/mixed", params), got)
		got, err = FormatDispositionCharset("inline", params, cs)
		require.NoError(t, err)
		assert.Equal(t, FormatDisposition("inline", params), got)
	}

	// Errors.
	_, err = FormatMediaTypeCharset("text", nil, "koi8-r")
	assert.ErrorIs(t, err, ErrInvalidMediaType)
	_, err = FormatDispositionCharset("at tachment", nil, "koi8-r")
	assert.ErrorIs(t, err, ErrInvalidDisposition)
	_, err = FormatMediaTypeCharset("text/plain", map[string]string{"na*me": "x"}, "koi8-r")
	assert.Error(t, err)
	_, err = FormatMediaTypeCharset("text/plain", map[string]string{"name": "x", "NAME": "y"}, "")
	assert.Error(t, err)
	_, err = FormatDispositionCharset("attachment", map[string]string{"filename": "日本.pdf"}, "koi8-r")
	assert.ErrorIs(t, err, ErrUnrepresentable)
	assert.Contains(t, err.Error(), "filename")
	_, err = FormatMediaTypeCharset("text/plain", nil, "x-no-such")
	assert.ErrorIs(t, err, ErrUnknownCharset)
}

// splitSections returns the percent-decoded octets of each section of the
// RFC 2231 parameter name in a formatted field value.
func splitSections(t *testing.T, v, name string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range strings.Split(v, "; ") {
		eq := strings.IndexByte(p, '=')
		if eq < 0 || !strings.HasPrefix(p, name+"*") {
			continue
		}
		val := p[eq+1:]
		if len(out) == 0 {
			val = val[strings.LastIndexByte(val, '\'')+1:]
		}
		b, bad := appendPercentDecoded(nil, val)
		require.False(t, bad, p)
		out = append(out, b)
	}
	return out
}

func TestFormatMediaTypeCharsetRoundTrip(t *testing.T) {
	for _, tt := range charsetSamples {
		for _, v := range []string{tt.short, tt.long, tt.long + " " + tt.long} {
			params := map[string]string{"filename": v}
			got, err := FormatDispositionCharset("attachment", params, tt.charset)
			require.NoError(t, err, "%s %q", tt.charset, v)
			for i := 0; i < len(got); i++ {
				require.Less(t, got[i], byte(0x7f), got)
				require.GreaterOrEqual(t, got[i], byte(' '), got)
			}
			m, err := ParseContentDisposition(got)
			require.NoError(t, err)
			assert.Empty(t, m.Defects, got)
			assert.Equal(t, params, m.Params, got)

			if !needsExtended("filename", v) {
				continue // written as it is
			}
			sections := splitSections(t, got, "filename")
			require.NotEmpty(t, sections, got)
			parts := strings.Split(got, "; ")
			for i, sec := range sections {
				// Each section fits its line, unless it is one character.
				if p := parts[i+1]; len(p) > maxParamLine {
					text, _ := DecodeCharset(tt.charset, sec)
					assert.Equal(t, 1, utf8.RuneCountInString(text), "section %q too long", p)
				}
				checkSelfContained(t, sec, tt.charset, parts[i+1])
			}
		}
	}
}

func FuzzEncodeHeaderCharset(f *testing.F) {
	names := []string{"iso-8859-1", "iso-8859-15", "windows-1252", "koi8-r", "windows-1251", "iso-8859-7",
		"iso-2022-jp", "shift_jis", "euc-jp", "euc-kr", "gb2312", "gb18030", "big5", "us-ascii", "windows-874", "utf-8"}
	for _, tt := range charsetSamples {
		b, err := EncodeCharset(tt.charset, tt.long)
		require.NoError(f, err)
		if i := slices.Index(names, strings.ToLower(tt.charset)); i >= 0 {
			f.Add(uint8(i), b, tt.short)
		}
	}
	for _, tt := range encodeHeaderTests {
		f.Add(uint8(0), []byte(tt.in), tt.in)
	}
	f.Add(uint8(6), []byte("\x1b$B$3$s\x1b(B \x1b(I1"), "ｱ a\x1b(B")
	f.Fuzz(func(t *testing.T, n uint8, raw []byte, s string) {
		name := names[int(n)%len(names)]
		// Text the charset can hold: raw decoded from it; and s as it is,
		// which it may not.
		fromRaw, err := DecodeCharset(name, raw)
		require.NoError(t, err)
		for _, in := range []string{fromRaw, s, s + " " + fromRaw} {
			_, encErr := EncodeCharset(name, in)
			for _, phrase := range []bool{false, true} {
				var got string
				var err error
				if phrase {
					got, err = EncodePhraseCharset(in, name)
				} else {
					got, err = EncodeHeaderCharset(in, name)
				}
				// The characters left as they are are printable ASCII,
				// which every writable charset has, and the others are
				// converted: so it fails exactly when EncodeCharset does.
				if err != nil {
					if encErr == nil {
						t.Fatalf("%s: %q: %v, but EncodeCharset can", name, in, err)
					}
					require.ErrorIs(t, err, ErrUnrepresentable)
					continue
				}
				if encErr != nil {
					t.Fatalf("%s: %q encoded to %q, but EncodeCharset fails: %v", name, in, got, encErr)
				}
				if phrase && got == in && isPlainASCII(in) {
					continue // the caller quotes it
				}
				if name == "utf-8" {
					checkEncoded(t, got, phrase)
				} else {
					checkCharsetWords(t, got, name, phrase)
				}
				back, err := DecodeHeader(got)
				require.NoError(t, err)
				if want := strings.ToValidUTF8(in, "\uFFFD"); back != want {
					t.Fatalf("%s phrase=%v: %q encoded to %q decoded to %q", name, phrase, in, got, back)
				}
			}
		}
	})
}

func FuzzFormatMediaTypeCharset(f *testing.F) {
	names := []string{"iso-8859-1", "koi8-r", "iso-2022-jp", "shift_jis", "euc-kr", "gbk", "big5", "utf-8"}
	for _, tt := range charsetSamples {
		b, err := EncodeCharset(tt.charset, tt.long)
		require.NoError(f, err)
		if i := slices.Index(names, strings.ToLower(tt.charset)); i >= 0 {
			f.Add(uint8(i), b, "filename")
			f.Add(uint8(i), append(b, b...), "name")
		}
	}
	f.Fuzz(func(t *testing.T, n uint8, raw []byte, name string) {
		charset := names[int(n)%len(names)]
		v, err := DecodeCharset(charset, raw)
		require.NoError(t, err)
		params := map[string]string{strings.ToLower(name): v}
		got, err := FormatDispositionCharset("attachment", params, charset)
		if err != nil {
			if !isToken(name) || strings.Contains(name, "*") {
				return
			}
			require.ErrorIs(t, err, ErrUnrepresentable, "%q", v)
			return
		}
		for i := 0; i < len(got); i++ {
			if got[i] < ' ' || got[i] >= 0x7f {
				t.Fatalf("byte %#x in %q", got[i], got)
			}
		}
		m, err := ParseContentDisposition(got)
		require.NoError(t, err)
		if want := strings.ToValidUTF8(v, "\uFFFD"); m.Params[strings.ToLower(name)] != want {
			t.Fatalf("%s: %q formatted as %q read back as %q", charset, v, got, m.Params)
		}
	})
}

func BenchmarkEncodeHeaderCharset(b *testing.B) {
	for _, bm := range []struct{ name, charset, s string }{
		{"latin1", "iso-8859-1", "Re: Grüße aus Köln und Düsseldorf"},
		{"koi8-r", "koi8-r", "Привет, мир! Это тема письма"},
		{"iso-2022-jp", "iso-2022-jp", "会議のお知らせ：来週の予定について"},
		{"shift_jis", "shift_jis", "会議のお知らせ：来週の予定について"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.s)))
			for b.Loop() {
				_, _ = EncodeHeaderCharset(bm.s, bm.charset)
			}
		})
	}
}

func BenchmarkFormatDispositionCharset(b *testing.B) {
	for _, bm := range []struct{ name, charset, s string }{
		{"latin1", "iso-8859-1", "Lebenslauf für Jürgen Müller, Köln.pdf"},
		{"iso-2022-jp-long", "iso-2022-jp", "長いファイル名の議事録テスト資料（最終版）第二四半期.pdf"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			params := map[string]string{"filename": bm.s}
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.s)))
			for b.Loop() {
				_, _ = FormatDispositionCharset("attachment", params, bm.charset)
			}
		})
	}
}

func ExampleEncodeHeaderCharset() {
	subject, err := EncodeHeaderCharset("Re: 会議のお知らせ", "ISO-2022-JP")
	if err != nil {
		panic(err)
	}
	fmt.Println(subject)
	cd, _ := FormatDispositionCharset("attachment", map[string]string{"filename": "résumé.pdf"}, "iso-8859-1")
	fmt.Println(cd)
	_, err = EncodeHeaderCharset("ｱ", "ISO-2022-JP")
	fmt.Println(errors.Is(err, ErrUnrepresentable))
	// Output:
	// Re: =?ISO-2022-JP?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?=
	// attachment; filename*=iso-8859-1''r%E9sum%E9.pdf
	// true
}
