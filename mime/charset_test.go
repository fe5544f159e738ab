package mime

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

func TestCharsetTableHasNoClashes(t *testing.T) {
	m, clashes := buildCharsetTable()
	assert.Empty(t, clashes, "names listed for two encodings, or not normalisable")
	assert.Greater(t, len(m), 300)
}

func TestCharsetEncodingNames(t *testing.T) {
	tests := []struct {
		name string
		want encoding.Encoding
	}{
		{"", usASCII},
		{"us-ascii", usASCII},
		{"US-ASCII", usASCII},
		{"ascii", usASCII},
		{"ANSI_X3.4-1968", usASCII},
		{"iso-ir-6", usASCII},
		{"utf-8", unicode.UTF8},
		{"UTF8", unicode.UTF8},
		{"utf_8", unicode.UTF8},
		{"x-unicode20utf8", unicode.UTF8},
		{` "utf-8" `, unicode.UTF8},
		{"'UTF-8'", unicode.UTF8},
		{`""`, usASCII},
		{"charset=us-ascii", usASCII}, // enmime's garbled parameter
		{`Charset="utf-8"`, unicode.UTF8},
		{"\tutf-8\r\n", unicode.UTF8},
		{"utf-7", utf7Encoding{}},
		{"UNICODE-1-1-UTF-7", utf7Encoding{}},
		{"utf-16", utf16Sniffing{}},
		{"UTF-16LE", utf16NoWriteBOM(unicode.LittleEndian)},
		{"utf-16be", utf16NoWriteBOM(unicode.BigEndian)},
		{"unicode", utf16NoWriteBOM(unicode.LittleEndian)},

		// ISO 8859, strict: latin1 is not windows-1252.
		{"iso-8859-1", charmap.ISO8859_1},
		{"ISO_8859-1", charmap.ISO8859_1},
		{"iso8859-1", charmap.ISO8859_1},
		{"ISO8859_1", charmap.ISO8859_1},
		{"iso_8859-1:1987", charmap.ISO8859_1},
		{"ISO-8859-01", charmap.ISO8859_1},
		{"latin1", charmap.ISO8859_1},
		{"Latin-1", charmap.ISO8859_1},
		{"l1", charmap.ISO8859_1},
		{"x-iso-8859-1", charmap.ISO8859_1},
		{"cp819", charmap.ISO8859_1},
		{"iso-8859-2", charmap.ISO8859_2},
		{"latin2", charmap.ISO8859_2},
		{"iso-8859-3", charmap.ISO8859_3},
		{"iso-8859-4", charmap.ISO8859_4},
		{"iso-8859-5", charmap.ISO8859_5},
		{"cyrillic", charmap.ISO8859_5},
		{"iso-8859-6", charmap.ISO8859_6},
		{"iso-8859-6-i", charmap.ISO8859_6},
		{"iso-8859-7", charmap.ISO8859_7},
		{"greek", charmap.ISO8859_7},
		{"iso-8859-8", charmap.ISO8859_8},
		{"ISO-8859-8-I", charmap.ISO8859_8},
		{"iso-8859-8-e", charmap.ISO8859_8},
		{"iso-8859-9", charmap.ISO8859_9},
		{"latin5", charmap.ISO8859_9},
		{"iso-8859-10", charmap.ISO8859_10},
		{"iso-8859-11", charmap.Windows874},
		{"iso-8859-13", charmap.ISO8859_13},
		{"iso-8859-14", charmap.ISO8859_14},
		{"iso-8859-15", charmap.ISO8859_15},
		{"latin9", charmap.ISO8859_15},
		{"ISO_8859-15", charmap.ISO8859_15},
		{"iso-8859-16", charmap.ISO8859_16},

		// Windows code pages in the spellings mailers use.
		{"windows-1250", charmap.Windows1250},
		{"cp1250", charmap.Windows1250},
		{"windows-1251", charmap.Windows1251},
		{"win-1251", charmap.Windows1251},
		{"x-cp1251", charmap.Windows1251},
		{"windows-1252", charmap.Windows1252},
		{"CP1252", charmap.Windows1252},
		{"cp-1252", charmap.Windows1252},
		{"ms-ansi", charmap.Windows1252},
		{"windows_1252", charmap.Windows1252},
		{"windows-1253", charmap.Windows1253},
		{"windows-1254", charmap.Windows1254},
		{"windows-1255", charmap.Windows1255},
		{"windows-1256", charmap.Windows1256},
		{"windows-1257", charmap.Windows1257},
		{"windows-1258", charmap.Windows1258},
		{"windows-874", charmap.Windows874},
		{"x-windows-874", charmap.Windows874},
		{"tis-620", charmap.Windows874},
		{"TIS620", charmap.Windows874},
		{"cp874", charmap.Windows874},

		{"koi8-r", charmap.KOI8R},
		{"KOI8_R", charmap.KOI8R},
		{"koi8-u", charmap.KOI8U},
		{"macintosh", charmap.Macintosh},
		{"x-mac-roman", charmap.Macintosh},
		{"ibm850", charmap.CodePage850},
		{"cp850", charmap.CodePage850},
		{"IBM866", charmap.CodePage866},
		{"cp866", charmap.CodePage866},

		{"shift_jis", japanese.ShiftJIS},
		{"Shift-JIS", japanese.ShiftJIS},
		{"x-sjis", japanese.ShiftJIS},
		{"ms932", japanese.ShiftJIS},
		{"cp932", japanese.ShiftJIS},
		{"windows-31j", japanese.ShiftJIS},
		{"iso-2022-jp", japanese.ISO2022JP},
		{"euc-jp", japanese.EUCJP},
		{"x-euc-jp", japanese.EUCJP},

		{"gb2312", simplifiedchinese.GBK},
		{"GB_2312-80", simplifiedchinese.GBK},
		{"gbk", simplifiedchinese.GBK},
		{"x-gbk", simplifiedchinese.GBK},
		{"cp936", simplifiedchinese.GBK},
		{"gb18030", simplifiedchinese.GB18030},
		{"big5", traditionalchinese.Big5},
		{"big5-hkscs", traditionalchinese.Big5},
		{"euc-kr", korean.EUCKR},
		{"ks_c_5601-1987", korean.EUCKR},
		{"KS_C_5601", korean.EUCKR},
		{"cp949", korean.EUCKR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CharsetEncoding(tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCharsetEncodingUnknown(t *testing.T) {
	for _, name := range []string{
		"x-unknown", "unknown-8bit", "fakescii", "invalid-charset", "x-user-defined",
		"iso-8859-12", "iso-8859-0", "iso-8859-111", "utf-9", "charset=us-askey", "\"\"x",
		strings.Repeat("a", 200), "\xff\xfe", "-", "x-", "charset=",
	} {
		enc, err := CharsetEncoding(name)
		assert.Nil(t, enc, name)
		var ue *UnknownCharsetError
		if assert.ErrorAs(t, err, &ue, name) {
			assert.Equal(t, name, ue.Charset)
		}
		assert.ErrorIs(t, err, ErrUnknownCharset, name)
	}
}

func TestCharsetLookupDoesNotAllocate(t *testing.T) {
	charsetTable() // build it
	for _, name := range []string{"ISO-8859-1", "utf-8", " \"x-sjis\" ", "no-such-charset"} {
		allocs := testing.AllocsPerRun(100, func() { lookupCharset(name) })
		assert.Zero(t, allocs, name)
	}
}

func TestDecodeCharset(t *testing.T) {
	tests := []struct {
		charset string
		in      string
		want    string
	}{
		// Unicode.
		{"utf-8", "caf\xc3\xa9", "café"},
		{"utf-8", "a\xffb", "a\uFFFDb"},
		{"us-ascii", "plain", "plain"},
		{"us-ascii", "caf\xc3\xa9", "café"},                    // mislabelled UTF-8
		{"us-ascii", "caf\xe9 ok", "caf\uFFFD ok"},             // not UTF-8 either
		{"", "caf\xc3\xa9", "café"},                            // no charset
		{"utf-16", "\xfe\xff\x00h\x00i", "hi"},                 // BOM, big-endian
		{"utf-16", "\xff\xfeh\x00i\x00", "hi"},                 // BOM, little-endian
		{"utf-16", "\x00h\x00i", "hi"},                         // RFC 2781 default
		{"utf-16", "D\x00e\x00s\x00i\x00g\x00n\x00", "Design"}, // Windows, no BOM
		{"utf-16", "\x65\xe5\x67\x2c", "日本"},                   // CJK, no BOM: big-endian
		{"utf-16le", "h\x00i\x00", "hi"},
		{"utf-16le", "\xff\xfeh\x00i\x00", "hi"}, // BOM honoured, not kept
		{"utf-16be", "\x00h\x00i", "hi"},
		{"utf-16be", "\x00h\xd8\x00", "h\uFFFD"}, // lone surrogate
		{"utf-16", "\x00", "\uFFFD"},             // odd length
		{"utf-32", "\x00\x00\x00h\x00\x01\xf6\x00", "h😀"},
		{"utf-32le", "h\x00\x00\x00", "h"},
		{"utf-32", "0", "\uFFFD"}, // truncated
		{"utf-7", "Hi Mom -+Jjo--!", "Hi Mom -☺-!"},
		{"utf-7", "+ZeVnLIqe +AKM-1", "日本語 £1"},

		// ISO 8859.
		{"iso-8859-1", "caf\xe9", "café"},
		{"iso-8859-1", "\x80\x93", "\u0080\u0093"}, // strict Latin-1: C1 controls
		{"iso-8859-2", "Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1 ja\xbc\xf1", "Zażółć gęślą jaźń"},
		{"iso-8859-3", "\xa1 \xf5", "Ħ ġ"},
		{"iso-8859-4", "\xc0\xaa", "ĀĒ"},
		{"iso-8859-5", "\xbf\xe0\xd8\xd2\xd5\xe2", "Привет"},
		{"iso-8859-6", "\xe5\xd1\xcd\xc8\xc7", "مرحبا"},
		{"iso-8859-7", "\xc3\xe5\xe9\xdc \xf3\xef\xf5", "Γειά σου"},
		{"iso-8859-8", "\xf9\xec\xe5\xed", "שלום"},
		{"iso-8859-8-i", "\xf9\xec\xe5\xed", "שלום"},
		{"iso-8859-9", "\xddstanbul \xfe", "İstanbul ş"},
		{"iso-8859-10", "\xaf\xbb", "Ŋŧ"},
		{"iso-8859-11", "\xca\xc7\xd1\xca\xb4\xd5", "สวัสดี"},
		{"iso-8859-13", "\xd9\xf3d\xea \xf8", "Łódź ų"},
		{"iso-8859-14", "\xd0\xfe", "Ŵŷ"},
		{"iso-8859-15", "\xa4 \xbd", "€ œ"},
		{"iso-8859-16", "\xaa\xfe", "Șț"},

		// Windows, KOI8, Mac, DOS.
		{"windows-1250", "P\xf8\xedli\x9a", "Příliš"},
		{"windows-1251", "\xcf\xf0\xe8\xe2\xe5\xf2", "Привет"},
		{"windows-1252", "\x93\x80\x94", "“€”"},
		{"windows-1253", "\xc3\xe5\xe9\xdc", "Γειά"},
		{"windows-1254", "\xf0\xfd\xfe", "ğış"},
		{"windows-1255", "\xf9\xec\xe5\xed", "שלום"},
		{"windows-1256", "\xe3\xd1\xcd\xc8\xc7", "مرحبا"},
		{"windows-1257", "\xe0\xe8\xe6", "ąčę"},
		{"windows-1258", "Vi\xea\xf2t", "Vi\u00ea\u0323t"},
		{"windows-874", "\xca\xc7\xd1\xca\xb4\xd5", "สวัสดี"},
		{"tis-620", "\xca\xc7\xd1\xca\xb4\xd5", "สวัสดี"},
		{"koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
		{"koi8-u", "\xb7\xd6\xc1\xcb \xa4", "Їжак є"},
		{"macintosh", "caf\x8e", "café"},
		{"ibm850", "caf\x82", "café"},
		{"ibm866", "\x8f\xe0\xa8\xa2\xa5\xe2", "Привет"},
		{"ibm037", "\xc8\x89", "Hi"}, // EBCDIC: not an ASCII superset

		// CJK.
		{"shift_jis", "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd", "こんにちは"},
		{"windows-31j", "\x87@", "①"}, // a cp932 extension
		{"iso-2022-jp", "\x1b$B$3$s$K$A$O\x1b(B", "こんにちは"},
		{"euc-jp", "\xa4\xb3\xa4\xf3\xa4\xcb\xa4\xc1\xa4\xcf", "こんにちは"},
		{"gb2312", "\xc4\xe3\xba\xc3", "你好"},
		{"gb2312", "\xd6\xec\xe9F\xbb\xf9", "朱镕基"}, // GBK-only character
		{"gbk", "\xd6\xec\xe9F\xbb\xf9", "朱镕基"},
		{"gb18030", "\xc4\xe3\xba\xc3\x900\x810", "你好𐀀"},
		{"big5", "\xa7A\xa6n", "你好"},
		{"big5-hkscs", "\x9d\xef", "嘅"},
		{"euc-kr", "\xbe\xc8\xb3\xe7\xc7\xcf\xbc\xbc\xbf\xe4", "안녕하세요"},
		{"ks_c_5601-1987", "\x8cc", "똠"}, // a cp949 extension
		{"shift_jis", "\x82", "\uFFFD"},  // truncated
	}
	for _, tt := range tests {
		t.Run(tt.charset, func(t *testing.T) {
			got, err := DecodeCharset(tt.charset, []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			r, err := NewCharsetReader(tt.charset, iotest.OneByteReader(strings.NewReader(tt.in)))
			require.NoError(t, err)
			b, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b), "reader")
		})
	}
}

func TestDecodeCharsetUnknown(t *testing.T) {
	s, err := DecodeCharset("x-no-such", []byte("abc\xff"))
	assert.ErrorIs(t, err, ErrUnknownCharset)
	assert.Equal(t, "abc\uFFFD", s)

	r, err := NewCharsetReader("x-no-such", strings.NewReader("abc"))
	assert.ErrorIs(t, err, ErrUnknownCharset)
	assert.Nil(t, r)
}

func TestValidUTF8MaximalSubparts(t *testing.T) {
	// The answers are Python's and WHATWG's (one U+FFFD per maximal
	// subpart of an ill-formed sequence).
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"\xe2\x82a", "\uFFFDa"},
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // surrogate
		{"\xf0\x9f\x98", "\uFFFD"},
		{"\xff\xfe", "\uFFFD\uFFFD"},
		{"\xc0\xaf", "\uFFFD\uFFFD"}, // overlong
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"\xed\xa0\x80a\xe2\x82b\xf0\x9f\x98\xff\xfe\xc0\xaf", "\uFFFD\uFFFD\uFFFDa\uFFFDb\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"ok\xe2\x82\xac", "ok€"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, validUTF8([]byte(tt.in)), "%q", tt.in)
	}
}

func TestEncodeCharset(t *testing.T) {
	tests := []struct {
		charset, in, want string
	}{
		{"utf-8", "café", "caf\xc3\xa9"},
		{"us-ascii", "plain", "plain"},
		{"iso-8859-1", "café", "caf\xe9"},
		{"iso-8859-15", "€", "\xa4"},
		{"windows-1252", "“€”", "\x93\x80\x94"},
		{"koi8-r", "Привет", "\xf0\xd2\xc9\xd7\xc5\xd4"},
		{"shift_jis", "こんにちは", "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd"},
		{"iso-2022-jp", "こんにちは", "\x1b$B$3$s$K$A$O\x1b(B"},
		{"gb2312", "你好", "\xc4\xe3\xba\xc3"},
		{"big5", "你好", "\xa7A\xa6n"},
		{"euc-kr", "안녕", "\xbe\xc8\xb3\xe7"},
		{"utf-16", "hi", "\xfe\xff\x00h\x00i"},
		{"utf-16le", "hi", "h\x00i\x00"},
		{"utf-16be", "hi", "\x00h\x00i"},
		{"utf-7", "Hi Mom -☺-!", "Hi Mom -+Jjo--+ACE-"},
		{"utf-8", "a\xffb", "a\xef\xbf\xbdb"}, // invalid input is U+FFFD
	}
	for _, tt := range tests {
		got, err := EncodeCharset(tt.charset, tt.in)
		require.NoError(t, err, tt.charset)
		assert.Equal(t, tt.want, string(got), tt.charset)
		back, err := DecodeCharset(tt.charset, got)
		require.NoError(t, err)
		assert.Equal(t, strings.ToValidUTF8(tt.in, "\uFFFD"), back, tt.charset)
	}

	for _, tt := range []struct{ charset, in string }{
		{"us-ascii", "café"},
		{"iso-8859-1", "€"},
		{"koi8-r", "ü"},
		{"shift_jis", "한"},
		{"iso-2022-jp", "😀"},
	} {
		_, err := EncodeCharset(tt.charset, tt.in)
		assert.ErrorIs(t, err, ErrUnrepresentable, tt.charset)
	}
	_, err := EncodeCharset("x-no-such", "a")
	assert.ErrorIs(t, err, ErrUnknownCharset)
}

// TestCorpusCharsetsKnown checks that every charset the message corpus uses,
// in a Content-Type header, an HTML <meta> or an encoded word, is known, except for the
// deliberately broken ones listed here.
func TestCorpusCharsetsKnown(t *testing.T) {
	deliberatelyUnknown := map[string]string{
		"charset=us-askey":  "enmime test of a garbled parameter",
		"fakescii":          "enmime test of an unknown charset",
		"invalid-charset":   "mail-mime-parser test of an unknown charset",
		"x-unknown-charset": "synthetic encoded word in an unknown charset",
		"fakescii-7":        "enmime test of an unknown charset in an HTML <meta>",
		"utf-8return-path: bounce-810_html-769869545-477063-1070564-43@bounce.email.oflce57578375.com": "enmime test of a missing closing quote; recovering the name is the parameter parser's job",
	}
	reCT := regexp.MustCompile(`(?i)charset\s*=\s*("[^"]*"?|[^\s;"'>]+)`)
	reEW := regexp.MustCompile(`=\?([^?\s]+)\?[bBqQ]\?`)
	seen := map[string]int{}
	files := corpusFiles(t)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, v := range contentTypeValues(raw) {
			for _, m := range reCT.FindAllStringSubmatch(v, -1) {
				seen[strings.ToLower(strings.Trim(m[1], `"`))]++
			}
		}
		// HTML <meta> charsets, quoted-printable or not; a value cut by a
		// soft line break ("us-a=") is not a name.
		for _, l := range splitLines(raw) {
			if !bytes.Contains(bytes.ToLower(l), []byte("<meta")) {
				continue
			}
			l = bytes.ReplaceAll(bytes.ReplaceAll(l, []byte("=3D"), []byte("=")), []byte("=3d"), []byte("="))
			for _, m := range reCT.FindAllSubmatch(l, -1) {
				if v := strings.Trim(string(m[1]), `"`); v != "" && !strings.HasSuffix(v, "=") {
					seen[strings.ToLower(v)]++
				}
			}
		}
		for _, m := range reEW.FindAllSubmatch(raw, -1) {
			cs, _, _ := strings.Cut(string(m[1]), "*")
			seen[strings.ToLower(cs)]++
		}
	}
	require.NotEmpty(t, seen)
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		_, err := CharsetEncoding(n)
		if why, ok := deliberatelyUnknown[n]; ok {
			assert.ErrorIs(t, err, ErrUnknownCharset, "%s should stay unknown (%s)", n, why)
			continue
		}
		assert.NoError(t, err, "charset %q (%d uses)", n, seen[n])
	}
	for n := range deliberatelyUnknown {
		assert.Contains(t, seen, n, "listed but not in the corpus")
	}
}

// contentTypeValues returns the values of every Content-Type field line in
// msg (top level and parts), with continuation lines joined.
func contentTypeValues(msg []byte) []string {
	var out []string
	lines := splitLines(msg)
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if len(l) < 13 || !strings.EqualFold(string(l[:13]), "content-type:") {
			continue
		}
		v := string(l[13:])
		for i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++
			v += string(lines[i])
		}
		out = append(out, v)
	}
	return out
}

// splitLines splits b at CRLF, LF or a lone CR.
func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i])
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return out
}

// corpusFiles lists the messages of testdata/messages.
func corpusFiles(t testing.TB) []string {
	var files []string
	err := filepath.WalkDir("../testdata/messages", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			files = append(files, p)
		}
		return err
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// allCharsetNames is every name in the table, for the fuzz target.
func allCharsetNames() []string {
	var names []string
	for _, e := range charsetAliases {
		names = append(names, e.names...)
	}
	return append(names, "", "x-unknown")
}

func FuzzCharsetDecode(f *testing.F) {
	names := allCharsetNames()
	for i := range names {
		f.Add(uint16(i), []byte("caf\xe9 \x82\xb1 +AKM- \x1b$B$3\x00h\xff\xfe"))
	}
	f.Add(uint16(0), []byte{})
	f.Fuzz(func(t *testing.T, n uint16, b []byte) {
		name := names[int(n)%len(names)]
		s, err := DecodeCharset(name, b)
		if !utf8.ValidString(s) {
			t.Fatalf("%s: invalid UTF-8 %q", name, s)
		}
		if err != nil {
			return
		}
		r, err := NewCharsetReader(name, iotest.HalfReader(bytes.NewReader(b)))
		if err != nil {
			t.Fatal(err)
		}
		rb, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !utf8.Valid(rb) {
			t.Fatalf("%s: reader gave invalid UTF-8 %q", name, rb)
		}
		if enc, err := EncodeCharset(name, s); err == nil {
			// What was decoded encodes and decodes to itself, except in
			// charsets with several spellings of one text.
			if back, _ := DecodeCharset(name, enc); back != s && !strings.ContainsRune(s, utf8.RuneError) &&
				stableCharset(name) {
				t.Fatalf("%s: %q encodes to %q, which decodes to %q", name, s, enc, back)
			}
		}
	})
}

// stableCharset reports whether decode(encode(s)) == s for every string s
// that the charset decodes to; false for encodings where a byte order mark
// or a byte order guess takes part.
func stableCharset(name string) bool {
	enc, _ := CharsetEncoding(name)
	switch enc.(type) {
	case *charmap.Charmap, asciiEncoding, utf7Encoding:
		return true
	}
	return false
}

func BenchmarkCharsetEncoding(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = CharsetEncoding("ISO-8859-1")
	}
}

func BenchmarkDecodeCharset(b *testing.B) {
	for _, bm := range []struct{ charset, text string }{
		{"iso-8859-1", strings.Repeat("Gr\xfc\xdfe aus K\xf6ln, ", 64)},
		{"utf-8", strings.Repeat("Grüße aus Köln, ", 64)},
		{"shift_jis", strings.Repeat("\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd ", 64)},
		{"utf-7", strings.Repeat("+ZeVnLIqe- ", 64)},
	} {
		b.Run(bm.charset, func(b *testing.B) {
			in := []byte(bm.text)
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				_, _ = DecodeCharset(bm.charset, in)
			}
		})
	}
}

func TestNewCharsetDecoderAsReader(t *testing.T) {
	for _, tc := range []struct{ charset, in string }{
		{"iso-8859-1", "caf\xe9"},
		{"shift_jis", "\x93\xfa\x96\x7b\x8c\xea\x82"}, // truncated at the end
		{"utf-8", "ok \xff"},
	} {
		r, err := NewCharsetReader(tc.charset, strings.NewReader(tc.in))
		require.NoError(t, err)
		want, err := io.ReadAll(r)
		require.NoError(t, err)
		d, err := NewCharsetDecoder(tc.charset)
		require.NoError(t, err)
		got, _, err := transform.String(d, tc.in)
		require.NoError(t, err)
		assert.Equal(t, string(want), got, tc.charset)
	}
	_, err := NewCharsetDecoder("x-no-such")
	var ue *UnknownCharsetError
	assert.ErrorAs(t, err, &ue)
}
