package mime

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defectKinds returns the kinds of ds, for comparing in tables.
func defectKinds(ds []Defect) []DefectKind {
	var ks []DefectKind
	for _, d := range ds {
		ks = append(ks, d.Kind)
	}
	return ks
}

// haveRFC2047 reports whether DecodeHeader decodes encoded words yet; tests
// that need it skip until it does.
func haveRFC2047() bool {
	s, _ := DecodeHeader("=?utf-8?q?a?=")
	return s == "a"
}

type mediaTypeTest struct {
	in      string
	typ     string
	params  map[string]string
	err     bool
	defects []DefectKind
}

var contentTypeTests = []mediaTypeTest{
	// RFC 2045 5.1 and 5.2.
	{in: "text/plain", typ: "text/plain"},
	{in: `text/plain; charset=us-ascii`, typ: "text/plain", params: map[string]string{"charset": "us-ascii"}},
	{in: `text/plain; charset="us-ascii"`, typ: "text/plain", params: map[string]string{"charset": "us-ascii"}},
	{in: `text/plain; charset=us-ascii (Plain text)`, typ: "text/plain", params: map[string]string{"charset": "us-ascii"}},
	{in: `TEXT/PLAIN; CHARSET=UTF-8`, typ: "text/plain", params: map[string]string{"charset": "UTF-8"}},
	{in: `TeXt/HtMl`, typ: "text/html"},
	{in: `text / plain ; charset = "utf-8"`, typ: "text/plain", params: map[string]string{"charset": "utf-8"}},
	{in: "(lead) text/plain (comment (nested) \\) ) ; format=flowed", typ: "text/plain", params: map[string]string{"format": "flowed"}},
	{in: `multipart/mixed; boundary="----=_Part_123"`, typ: "multipart/mixed", params: map[string]string{"boundary": "----=_Part_123"}},
	// RFC 2046 5.1.1: a boundary may contain "=?", space and parentheses.
	{in: `multipart/mixed; boundary="simple boundary '()+_,-./:=?"`, typ: "multipart/mixed", params: map[string]string{"boundary": "simple boundary '()+_,-./:=?"}},
	{in: `multipart/mixed;;                Boundary="===========================_ _= 1212158(26598)"`, typ: "multipart/mixed", params: map[string]string{"boundary": "===========================_ _= 1212158(26598)"}},
	{in: "message/external-body; access-type=local-file;\r\n name=\"/u/nsb/writing/rfcs/RFC-MIME.ps\";\r\n\tsite=\"thumper.bellcore.com\"", typ: "message/external-body", params: map[string]string{"access-type": "local-file", "name": "/u/nsb/writing/rfcs/RFC-MIME.ps", "site": "thumper.bellcore.com"}},
	{in: `message/partial; number=1; total=5; id="heks68ewe@example.org"`, typ: "message/partial", params: map[string]string{"number": "1", "total": "5", "id": "heks68ewe@example.org"}},
	{in: "text/plain;", typ: "text/plain"},
	{in: "text/plain; ; ;", typ: "text/plain"},
	{in: `text/plain; name=""`, typ: "text/plain", params: map[string]string{"name": ""}},
	{in: `text/plain; name = "x y"`, typ: "text/plain", params: map[string]string{"name": "x y"}},
	{in: `text/plain; name=" x "`, typ: "text/plain", params: map[string]string{"name": " x "}},
	{in: `text/plain; name="a\"b\\c"`, typ: "text/plain", params: map[string]string{"name": `a"b\c`}},
	{in: "text/plain; name=\"a\r\n\tb\"", typ: "text/plain", params: map[string]string{"name": "a\tb"}},
	{in: "text/plain; name=a\r\n b", typ: "text/plain", params: map[string]string{"name": "a b"}},
	{in: "text/plain; charset=utf-8\r\n", typ: "text/plain", params: map[string]string{"charset": "utf-8"}},

	// Unusable types: RFC 2045 5.2 default, parameters still read.
	{in: "", typ: "text/plain", err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: "  ", typ: "text/plain", err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: "text", typ: "text/plain", err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: "text; charset=us-ascii", typ: "text/plain", params: map[string]string{"charset": "us-ascii"}, err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: "text/", typ: "text/plain", err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: "/plain", typ: "text/plain", err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: "<html>", typ: "text/plain", err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: `"text/plain"`, typ: "text/plain", err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: "тип/подтип", typ: "text/plain", err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: ";\tname=\"\"", typ: "text/plain", params: map[string]string{"name": ""}, err: true, defects: []DefectKind{DefectInvalidMediaType}},
	{in: `name="a.pdf"`, typ: "text/plain", params: map[string]string{"name": "a.pdf"}, err: true, defects: []DefectKind{DefectInvalidMediaType}},

	// Junk after the subtype: the type is kept.
	{in: "text/plain>", typ: "text/plain", defects: []DefectKind{DefectInvalidMediaType}},
	{in: "text/plain/x; charset=utf-8", typ: "text/plain", params: map[string]string{"charset": "utf-8"}, defects: []DefectKind{DefectInvalidMediaType}},
	{in: "image/jpeg, image/png", typ: "image/jpeg", defects: []DefectKind{DefectInvalidMediaType}},
	{in: "text/plain foo", typ: "text/plain", defects: []DefectKind{DefectInvalidMediaType}},

	// Missing ';' separators.
	{in: "text/plain charset=utf-8", typ: "text/plain", params: map[string]string{"charset": "utf-8"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: "multipart/mixed\tboundary=\"boundary\"", typ: "multipart/mixed", params: map[string]string{"boundary": "boundary"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: `application/pdf name="Invoice_302232133150612.pdf"`, typ: "application/pdf", params: map[string]string{"name": "Invoice_302232133150612.pdf"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: `text/plain; charset=utf-8 format=flowed`, typ: "text/plain", params: map[string]string{"charset": "utf-8", "format": "flowed"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: `text/plain; charset="utf-8"format=flowed`, typ: "text/plain", params: map[string]string{"charset": "utf-8"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: `message/external-body;  access-type=mail-server   server="listserv@bogus.bitnet"; expiration="Fri, 14 Jun 1991 19:13:14 -0400 (EDT)"`,
		typ: "message/external-body", params: map[string]string{"access-type": "mail-server", "server": "listserv@bogus.bitnet", "expiration": "Fri, 14 Jun 1991 19:13:14 -0400 (EDT)"}, defects: []DefectKind{DefectInvalidParameter}},

	// Duplicates: the first wins, as in CPython.
	{in: `Text/Plain; charset="utf-8"; charset=iso-8859-1; format=flowed; delsp=yes;`, typ: "text/plain", params: map[string]string{"charset": "utf-8", "format": "flowed", "delsp": "yes"}, defects: []DefectKind{DefectDuplicateParameter}},
	{in: `multipart/mixed; boundary=1; comment=""  comment="人権の無視及"`, typ: "multipart/mixed", params: map[string]string{"boundary": "1", "comment": ""}, defects: []DefectKind{DefectInvalidParameter, DefectDuplicateParameter}},
	{in: `text/plain; NAME=a; name=b`, typ: "text/plain", params: map[string]string{"name": "a"}, defects: []DefectKind{DefectDuplicateParameter}},

	// Unquoted values with tspecials run to the ';'.
	{in: `text/plain; name=foo/bar@baz?.txt; x=1`, typ: "text/plain", params: map[string]string{"name": "foo/bar@baz?.txt", "x": "1"}},
	{in: `multipart/alternative; boundary=----=_NextPart_000_0003_3D3227F9.133740DF`, typ: "multipart/alternative", params: map[string]string{"boundary": "----=_NextPart_000_0003_3D3227F9.133740DF"}},
	{in: `text/calendar; method=text/calendar`, typ: "text/calendar", params: map[string]string{"method": "text/calendar"}},
	{in: `application/riscos; name="clock.bmp,69c"; type=BMP; load=&fff69c4b; exec=&355dd4d1; access=&03`, typ: "application/riscos", params: map[string]string{"name": "clock.bmp,69c", "type": "BMP", "load": "&fff69c4b", "exec": "&355dd4d1", "access": "&03"}},
	{in: `application/octet-stream; name=foo (1).txt`, typ: "application/octet-stream", params: map[string]string{"name": "foo (1).txt"}},
	{in: `application/pdf; name=Invoice_(302232133150612).pdf`, typ: "application/pdf", params: map[string]string{"name": "Invoice_(302232133150612).pdf"}},
	{in: `image/jpeg; name=a b c.jpg`, typ: "image/jpeg", params: map[string]string{"name": "a b c.jpg"}},
	{in: `text/plain; charset=us-ascii (Plain text) (more); format=flowed`, typ: "text/plain", params: map[string]string{"charset": "us-ascii", "format": "flowed"}},
	{in: `text/plain; name=(all comment)`, typ: "text/plain", params: map[string]string{"name": "(all comment)"}},

	// Unterminated quoted strings and comments run to the end.
	{in: `text/plain; name="abc`, typ: "text/plain", params: map[string]string{"name": "abc"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: `text/HTML; charset="UTF-8Return-Path: bounce@example.com`, typ: "text/html", params: map[string]string{"charset": "UTF-8Return-Path: bounce@example.com"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: `text/plain (comment; charset=utf-8`, typ: "text/plain", defects: []DefectKind{DefectInvalidParameter}},

	// Parameters that are not attribute=value are skipped.
	{in: `text/html;iso-8859-1`, typ: "text/html", defects: []DefectKind{DefectInvalidParameter}},
	{in: `text/plain;  c`, typ: "text/plain", defects: []DefectKind{DefectInvalidParameter}},
	{in: `text/plain; =x; charset=utf-8`, typ: "text/plain", params: map[string]string{"charset": "utf-8"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: `text/plain; "q"=x`, typ: "text/plain", defects: []DefectKind{DefectInvalidParameter}},
	{in: `text/plain; ä=x; b=y`, typ: "text/plain", params: map[string]string{"b": "y"}, defects: []DefectKind{DefectInvalidParameter}},

	// RFC 6532: raw UTF-8 is kept; invalid UTF-8 becomes U+FFFD.
	{in: "application/msword;\tname=管理.doc", typ: "application/msword", params: map[string]string{"name": "管理.doc"}},
	{in: "text/plain; name=\"b\xe4r.txt\"", typ: "text/plain", params: map[string]string{"name": "b\uFFFDr.txt"}, defects: []DefectKind{DefectInvalidParameterEncoding}},

	// Encoded-word-like text in a boundary is the boundary.
	{in: `multipart/mixed; boundary="=?utf-8?q?a?="`, typ: "multipart/mixed", params: map[string]string{"boundary": "=?utf-8?q?a?="}},
}

func TestParseContentType(t *testing.T) {
	for _, tt := range contentTypeTests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := ParseContentType(tt.in)
			if tt.err {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalidMediaType)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.typ, m.Type)
			if len(tt.params) == 0 {
				assert.Empty(t, m.Params)
			} else {
				assert.Equal(t, tt.params, m.Params)
			}
			assert.Equal(t, tt.defects, defectKinds(m.Defects), "%v", m.Defects)

			typ, params, err2 := ParseMediaType(tt.in)
			assert.Equal(t, m.Type, typ)
			assert.Equal(t, m.Params, params)
			assert.Equal(t, err, err2)
		})
	}
}

func TestParseContentTypeEncodedWords(t *testing.T) {
	if !haveRFC2047() {
		t.Skip("DecodeHeader does not decode RFC 2047 yet")
	}
	tests := []struct{ in, name string }{
		{`application/pdf; name="=?UTF-8?Q?Rechnung=5F4711=5FM=C3=A4rz=2Epdf?="`, "Rechnung_4711_März.pdf"},
		{`image/gif; name="nyan cat =?UTF-8?Q?=E2=9C=94=2Egif?="`, "nyan cat ✔.gif"},
		{"application/octet-stream; name=\t\"=?utf-8?B?0LTQvtC60YPQvNC10L3RgtGLINC00LvRjyDQvtGC0LTQ?=\t=?utf-8?B?tdC70LAg0LrQsNC00YDQvtCyLnBkZg==?=\"", "документы для отдела кадров.pdf"},
		{`application/pdf; name="=?UTF-8?B?UHLDpHNlbnRhdGlvbiDigJMgUTMgRXJnZWJuaXNzZSAoZmlu?= =?UTF-8?B?YWwpIOaXpeacrC5wZGY=?="`, "Präsentation – Q3 Ergebnisse (final) 日本.pdf"},
		// Unquoted, as some mailers write it.
		{`text/plain; name==?utf-8?q?caf=C3=A9?=`, "café"},
	}
	for _, tt := range tests {
		m, err := ParseContentType(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.name, m.Params["name"], tt.in)
		assert.Contains(t, defectKinds(m.Defects), DefectEncodedWordInParameter, tt.in)
	}
	// Never in boundary.
	m, _ := ParseContentType(`multipart/mixed; boundary="=?utf-8?q?a?="`)
	assert.Equal(t, "=?utf-8?q?a?=", m.Params["boundary"])
}

func TestFormatMediaType(t *testing.T) {
	tests := []struct {
		typ    string
		params map[string]string
		want   string
	}{
		{"text/plain", nil, "text/plain"},
		{"TEXT/Plain", map[string]string{"Charset": "utf-8"}, "text/plain; charset=utf-8"},
		{"text/plain", map[string]string{"format": "flowed", "charset": "utf-8", "delsp": "yes"}, "text/plain; charset=utf-8; delsp=yes; format=flowed"},
		{"multipart/mixed", map[string]string{"boundary": "----=_Part_123"}, `multipart/mixed; boundary="----=_Part_123"`},
		{"application/pdf", map[string]string{"name": "a b.pdf"}, `application/pdf; name="a b.pdf"`},
		{"application/pdf", map[string]string{"name": ""}, `application/pdf; name=""`},
		{"application/pdf", map[string]string{"name": `a"b\c`}, `application/pdf; name="a\"b\\c"`},
		{"application/pdf", map[string]string{"name": "€.txt"}, `application/pdf; name*=utf-8''%E2%82%AC.txt`},
		{"application/pdf", map[string]string{"name": "a*b'c%d"}, `application/pdf; name=a*b'c%d`},
		{"application/pdf", map[string]string{"name": "ä*'%.txt"}, `application/pdf; name*=utf-8''%C3%A4%2A%27%25.txt`},
		{"text/plain", map[string]string{"name": "a\r\nb"}, `text/plain; name*=utf-8''a%0D%0Ab`},
		{"text/plain", map[string]string{"name": "tab\there"}, `text/plain; name*=utf-8''tab%09here`},
		// Text that would read as an RFC 2047 encoded word.
		{"text/plain", map[string]string{"name": "=?utf-8?q?a?="}, `text/plain; name*=utf-8''%3D%3Futf-8%3Fq%3Fa%3F%3D`},
		{"multipart/mixed", map[string]string{"boundary": "=?x"}, `multipart/mixed; boundary="=?x"`},
		// Long values: RFC 2231 continuations, each section short.
		{"application/octet-stream", map[string]string{"name": strings.Repeat("x", 80)},
			`application/octet-stream; name*0=` + strings.Repeat("x", 69) + `; name*1=` + strings.Repeat("x", 11)},
		{"application/octet-stream", map[string]string{"name": strings.Repeat("a b ", 20)},
			`application/octet-stream; name*0="` + strings.Repeat("a b ", 16) + `a b"; name*1=" a b a b a b "`},
		{"application/octet-stream", map[string]string{"name": strings.Repeat("é", 30)},
			`application/octet-stream; name*0*=utf-8''` + strings.Repeat("%C3%A9", 10) + `; name*1*=` + strings.Repeat("%C3%A9", 11) + `; name*2*=` + strings.Repeat("%C3%A9", 9)},
		// A boundary is never split.
		{"multipart/mixed", map[string]string{"boundary": strings.Repeat("b", 90)}, "multipart/mixed; boundary=" + strings.Repeat("b", 90)},
	}
	for _, tt := range tests {
		got := FormatMediaType(tt.typ, tt.params)
		assert.Equal(t, tt.want, got, "%q %q", tt.typ, tt.params)
	}
}

func TestFormatMediaTypeInvalid(t *testing.T) {
	for _, tt := range []struct {
		typ    string
		params map[string]string
	}{
		{"", nil},
		{"text", nil},
		{"text/", nil},
		{"/plain", nil},
		{"text/plain/x", nil},
		{"text /plain", nil},
		{"text/plain; charset=utf-8", nil},
		{"täxt/plain", nil},
		{"text/plain", map[string]string{"": "x"}},
		{"text/plain", map[string]string{"a b": "x"}},
		{"text/plain", map[string]string{"name*": "x"}},
		{"text/plain", map[string]string{"name*0": "x"}},
		{"text/plain", map[string]string{"näme": "x"}},
		{"text/plain", map[string]string{"a=b": "x"}},
		{"text/plain", map[string]string{"Name": "x", "name": "y"}},
	} {
		assert.Empty(t, FormatMediaType(tt.typ, tt.params), "%q %q", tt.typ, tt.params)
	}
}

// checkFormatted checks what Format* promise about their output: 7-bit
// printable ASCII, and (unless it is the boundary) no parameter longer than
// maxParamLine when it could be split.
func checkFormatted(t *testing.T, s string, params map[string]string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		require.True(t, s[i] >= 0x20 && s[i] < 0x7f, "byte %#x in %q", s[i], s)
	}
	// A value in the table below has no "; ", so the output splits there.
	for _, part := range strings.Split(s, "; ")[1:] {
		name, _, _ := strings.Cut(part, "=")
		if name == "boundary" || len(name) > 52 {
			continue // never split
		}
		assert.LessOrEqual(t, len(part), maxParamLine, "%q", part)
	}
}

func TestFormatParseRoundTrip(t *testing.T) {
	long := "Präsentation – Q3 Ergebnisse (final) 日本 und noch ein sehr langer Name, der nicht auf eine Zeile passt.pdf"
	tables := []map[string]string{
		nil,
		{"charset": "utf-8"},
		{"boundary": "----=_Part_123_456.789", "type": "text/html", "start": "<part1@example.com>"},
		{"name": "Rechnung_4711_März.pdf"},
		{"name": long},
		{"name": strings.Repeat(`"\`, 60)},
		{"name": strings.Repeat("=?", 50)},
		{"name": "€"},
		{"title": "This is even more ***fun*** isn't it!"},
		{"a": " leading and trailing ", "b": "", "c": "(comment-like)", "d": "x;y", "e": "tab\tand\nnewline"},
		{"name": strings.Repeat("日本語", 40), "x-long-parameter-name-that-leaves-little-room-for-anything-else": strings.Repeat("é", 10)},
		{strings.Repeat("n", 80): strings.Repeat("v", 10)},
	}
	for _, params := range tables {
		for _, typ := range []string{"application/octet-stream", "attachment"} {
			var s string
			var m MediaType
			var err error
			if typ == "attachment" {
				s = FormatDisposition(typ, params)
				m, err = ParseContentDisposition(s)
			} else {
				s = FormatMediaType(typ, params)
				m, err = ParseContentType(s)
			}
			require.NotEmpty(t, s)
			checkFormatted(t, s, params)
			require.NoError(t, err, s)
			assert.Empty(t, m.Defects, s)
			assert.Equal(t, typ, m.Type)
			if len(params) == 0 {
				assert.Empty(t, m.Params, s)
			} else {
				assert.Equal(t, params, m.Params, s)
			}
		}
	}
}

// The messages corpus (testdata/messages) with CPython's results: every
// Content-Type and Content-Disposition field in it is read without losing
// the invariants, and for single-part messages the type, charset, filename
// and disposition agree with CPython's, except where CPython is wrong.
func TestCorpusMediaTypes(t *testing.T) {
	entries := readExpected(t)
	cpythonWrong := map[string]string{
		// CPython returns the raw text as the type.
		"dovecot/malformed-017.eml":                 "multipart/mixed",
		"enmime/parts-ctype-invalid-characters.eml": "text/plain",
	}
	var compared int
	for _, e := range entries {
		data := readCorpusFile(t, e.File)
		for _, f := range mediaFields(data) {
			checkFieldInvariants(t, e.File, f.name, f.value)
		}
		h, ok := topHeader(data)
		if !ok {
			continue // not a header block CPython would read as one
		}
		ct, hasCT := h["content-type"]
		m, err := ParseContentType(ct)
		if hasCT && e.ContentType != nil {
			want := *e.ContentType
			if w, ok := cpythonWrong[e.File]; ok {
				want = w
			}
			assert.Equal(t, want, m.Type, "%s: %q", e.File, ct)
			if err != nil {
				// Unusable only where CPython too fell back to the default.
				assert.Equal(t, DefaultMediaType, want, "%s: %q: %v", e.File, ct, err)
			}
		}
		if len(e.Parts) != 1 || e.Parts[0].Path != "1" || e.ContentType == nil ||
			strings.HasPrefix(*e.ContentType, "multipart/") || strings.HasPrefix(*e.ContentType, "message/") {
			continue
		}
		compared++
		p := e.Parts[0]
		var cs *string
		if c, ok := m.Params["charset"]; ok && hasCT {
			c = strings.ToLower(strings.TrimSpace(c))
			cs = &c
		}
		assert.Equal(t, p.Charset, cs, "%s: charset of %q", e.File, ct)

		cd := h["content-disposition"]
		fn := Filename(cd, ct)
		want := ""
		if p.Filename != nil {
			want = *p.Filename // "" when filename="" (we say no name)
		}
		if fn != want && strings.Contains(cd+ct, "=?") && !haveRFC2047() {
			continue
		}
		assert.Equal(t, want, fn, "%s: filename of %q %q", e.File, cd, ct)
		if cd != "" {
			d, _ := ParseContentDisposition(cd)
			assert.Equal(t, p.Disposition, &d.Type, "%s: %q", e.File, cd)
		}
	}
	assert.Greater(t, compared, 100)
}

// checkFieldInvariants checks a Content-Type or Content-Disposition value
// from the corpus: parameters are valid UTF-8, and formatting what was read
// and reading it again gives the same.
func checkFieldInvariants(t *testing.T, file, name, v string) {
	t.Helper()
	var m MediaType
	if name == "content-type" {
		m, _ = ParseContentType(v)
	} else {
		m, _ = ParseContentDisposition(v)
	}
	for k, val := range m.Params {
		assert.True(t, utf8.ValidString(k) && utf8.ValidString(val), "%s: %q", file, v)
	}
	if m.Type == "" {
		return
	}
	var s string
	var m2 MediaType
	if name == "content-type" {
		s = FormatMediaType(m.Type, m.Params)
		m2, _ = ParseContentType(s)
	} else {
		s = FormatDisposition(m.Type, m.Params)
		m2, _ = ParseContentDisposition(s)
	}
	assert.Equal(t, m.Type, m2.Type, "%s: %q -> %q", file, v, s)
	assert.Equal(t, len(m.Params), len(m2.Params), "%s: %q -> %q", file, v, s)
	for k, val := range m.Params {
		assert.Equal(t, val, m2.Params[k], "%s: %q -> %q", file, v, s)
	}
}

func BenchmarkParseMediaType(b *testing.B) {
	for _, bb := range []struct{ name, v string }{
		{"multipart", `multipart/mixed; boundary="----=_Part_123"`},
		{"text", `text/plain; charset=UTF-8; format=flowed`},
		{"rfc2231", `application/pdf; name*=UTF-8''Rechnung_4711_M%C3%A4rz.pdf`},
		{"rfc2231-latin1", `application/pdf; name*="iso-8859-1''HasenundFr%F6sche.txt"`},
		{"continuations", "application/pdf;\r\n name*0*=UTF-8''Pr%C3%A4sentation%20%E2%80%93;\r\n name*1*=%20Q3%20Ergebnisse%20%28final;\r\n name*2*=%29%20%E6%97%A5%E6%9C%AC.pdf"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.v)))
			for b.Loop() {
				_, _, _ = ParseMediaType(bb.v)
			}
		})
	}
}

func BenchmarkFormatMediaType(b *testing.B) {
	for _, bb := range []struct {
		name   string
		typ    string
		params map[string]string
	}{
		{"multipart", "multipart/mixed", map[string]string{"boundary": "----=_Part_123"}},
		{"rfc2231", "application/pdf", map[string]string{"name": "Rechnung_4711_März.pdf"}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = FormatMediaType(bb.typ, bb.params)
			}
		})
	}
}

func FuzzParseMediaType(f *testing.F) {
	for _, tt := range contentTypeTests {
		f.Add(tt.in)
	}
	for _, tt := range dispositionTests {
		f.Add(tt.in)
	}
	for _, tt := range rfc2231Tests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, v string) {
		m, err := ParseContentType(v)
		checkParsed(t, m)
		require.NotEmpty(t, m.Type)
		if err != nil {
			require.Contains(t, defectKinds(m.Defects), DefectInvalidMediaType)
		}
		s := FormatMediaType(m.Type, m.Params)
		require.NotEmpty(t, s, "%q -> %q", v, m)
		m2, err := ParseContentType(s)
		require.NoError(t, err)
		require.Empty(t, m2.Defects, "%q -> %q", v, s)
		require.Equal(t, m.Type, m2.Type)
		requireSameParams(t, m.Params, m2.Params, s)

		d, err := ParseContentDisposition(v)
		checkParsed(t, d)
		if d.Type == "" {
			require.Error(t, err)
			return
		}
		s = FormatDisposition(d.Type, d.Params)
		require.NotEmpty(t, s, "%q -> %q", v, d)
		d2, err := ParseContentDisposition(s)
		require.NoError(t, err)
		require.Empty(t, d2.Defects, "%q -> %q", v, s)
		require.Equal(t, d.Type, d2.Type)
		requireSameParams(t, d.Params, d2.Params, s)
	})
}

func FuzzFormatMediaType(f *testing.F) {
	f.Add("text/plain", "charset", "utf-8", "name", "a b.txt")
	f.Add("application/pdf", "filename", "Präsentation – Q3.pdf", "name", strings.Repeat("x", 100))
	f.Add("multipart/mixed", "boundary", "=?a?=", "title", "=?utf-8?q?a?=")
	f.Add("attachment", "filename", "\"\\\r\n\x00\xff", "size", "")
	f.Fuzz(func(t *testing.T, typ, k1, v1, k2, v2 string) {
		params := map[string]string{k1: v1, k2: v2}
		s := FormatMediaType(typ, params)
		isDisp := false
		if !strings.Contains(typ, "/") {
			s = FormatDisposition(typ, params)
			isDisp = true
		}
		if s == "" {
			return
		}
		for i := 0; i < len(s); i++ {
			require.True(t, s[i] >= 0x20 && s[i] < 0x7f, "byte %#x in %q", s[i], s)
		}
		var m MediaType
		var err error
		if isDisp {
			m, err = ParseContentDisposition(s)
		} else {
			m, err = ParseContentType(s)
		}
		require.NoError(t, err, s)
		require.Empty(t, m.Defects, s)
		require.Equal(t, strings.ToLower(typ), m.Type)
		require.Len(t, m.Params, len(params))
		for k, v := range params {
			got, ok := m.Params[strings.ToLower(k)]
			require.True(t, ok, "%q missing from %q", k, s)
			if utf8.ValidString(v) {
				require.Equal(t, v, got, s)
			} else {
				require.True(t, utf8.ValidString(got))
			}
		}
	})
}

// checkParsed checks the invariants of any parse result.
func checkParsed(t *testing.T, m MediaType) {
	t.Helper()
	require.Equal(t, strings.ToLower(m.Type), m.Type)
	require.True(t, utf8.ValidString(m.Type))
	require.LessOrEqual(t, len(m.Defects), maxParamDefects)
	for k, v := range m.Params {
		require.True(t, isToken(k), "name %q", k)
		require.NotContains(t, k, "*")
		require.Equal(t, strings.ToLower(k), k)
		require.True(t, utf8.ValidString(v), "value %q", v)
	}
	for _, d := range m.Defects {
		require.True(t, utf8.ValidString(d.Detail))
	}
}

func requireSameParams(t *testing.T, want, got map[string]string, s string) {
	t.Helper()
	require.Len(t, got, len(want), s)
	for k, v := range want {
		require.Equal(t, v, got[k], "%s: %q", s, k)
	}
}

func ExampleParseContentType() {
	m, err := ParseContentType("Text/Plain; charset=\"utf-8\" format=flowed")
	fmt.Println(m.Type, m.Params["charset"], m.Params["format"], err)
	for _, d := range m.Defects {
		fmt.Println(d)
	}
	// Output:
	// text/plain utf-8 flowed <nil>
	// invalid-parameter: missing ';' before format=flowed
}

func ExampleFormatMediaType() {
	fmt.Println(FormatMediaType("text/plain", map[string]string{"charset": "utf-8", "format": "flowed"}))
	fmt.Println(FormatMediaType("application/pdf", map[string]string{"name": "Rechnung März.pdf"}))
	// Output:
	// text/plain; charset=utf-8; format=flowed
	// application/pdf; name*=utf-8''Rechnung%20M%C3%A4rz.pdf
}

func ExampleFilename() {
	fmt.Println(Filename(
		"attachment; filename*0*=utf-8''Pr%C3%A4sentation%20Q3;\r\n filename*1=\".pdf\"",
		`application/pdf; name="Praesentation Q3.pdf"`))
	// Output:
	// Präsentation Q3.pdf
}
