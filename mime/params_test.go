package mime

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var rfc2231Tests = []mediaTypeTest{
	// RFC 2231 3.
	{in: "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
		typ: "message/external-body", params: map[string]string{"access-type": "URL", "url": "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"}},
	// RFC 2231 4.
	{in: "application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
		typ: "application/x-stuff", params: map[string]string{"title": "This is ***fun***"}},
	// RFC 2231 4.1 (with the ';' separators the RFC's example leaves out).
	{in: "application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"",
		typ: "application/x-stuff", params: map[string]string{"title": "This is even more ***fun*** isn't it!"}},
	// ... and as the RFC prints it, without them.
	{in: "application/x-stuff\r\n title*0*=us-ascii'en'This%20is%20even%20more%20\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20\r\n title*2=\"isn't it!\"",
		typ: "application/x-stuff", params: map[string]string{"title": "This is even more ***fun*** isn't it!"},
		defects: []DefectKind{DefectInvalidParameter, DefectInvalidParameter, DefectInvalidParameter}},
	// Empty charset and language fields.
	{in: "text/plain; name*=''a%20b", typ: "text/plain", params: map[string]string{"name": "a b"}},
	{in: "text/plain; name*=utf-8''", typ: "text/plain", params: map[string]string{"name": ""}},

	// Continuations out of order, mixing encoded and plain sections.
	{in: "text/plain; filename*1=\"-part-two.txt\";\tfilename*0*=iso-8859-1'de'Gr%FC%DFe",
		typ: "text/plain", params: map[string]string{"filename": "Grüße-part-two.txt"}},
	{in: "text/plain; name*2=c; name*0=a; name*1=b", typ: "text/plain", params: map[string]string{"name": "abc"}},
	{in: "text/plain; name*10=k; name*9=j; name*0=a; name*1=b; name*2=c; name*3=d; name*4=e; name*5=f; name*6=g; name*7=h; name*8=i",
		typ: "text/plain", params: map[string]string{"name": "abcdefghijk"}},
	// Multi-byte characters split across sections are joined before decoding.
	{in: "text/plain; name*0*=utf-8''%C3; name*1*=%A9", typ: "text/plain", params: map[string]string{"name": "é"}},
	{in: "attachment; filename*0*=UTF-8''Pr%C3%A4sentation%20%E2%80%93; filename*1*=%20Q3%20Ergebnisse%20%28final; filename*2*=%29%20%E6%97%A5%E6%9C%AC.pdf",
		typ: "text/plain", params: map[string]string{"filename": "Präsentation – Q3 Ergebnisse (final) 日本.pdf"}, err: true, defects: []DefectKind{DefectInvalidMediaType}},
	// Leading zeroes are harmless.
	{in: "text/plain; name*00=a; name*01=b", typ: "text/plain", params: map[string]string{"name": "ab"}},
	// Case-insensitive names.
	{in: "text/plain; NAME*0=a; Name*1=b", typ: "text/plain", params: map[string]string{"name": "ab"}},

	// Missing sections: the rest joined in order.
	{in: "text/plain; name*0=a; name*2=c", typ: "text/plain", params: map[string]string{"name": "ac"}, defects: []DefectKind{DefectInvalidContinuation}},
	{in: "text/plain; name*1=b; name*2=c", typ: "text/plain", params: map[string]string{"name": "bc"}, defects: []DefectKind{DefectInvalidContinuation}},
	{in: "text/plain; name*1*=%41", typ: "text/plain", params: map[string]string{"name": "A"}, defects: []DefectKind{DefectInvalidContinuation}},
	// Duplicate sections: the first wins.
	{in: "text/plain; name*0=a; name*0=x; name*1=b", typ: "text/plain", params: map[string]string{"name": "ab"}, defects: []DefectKind{DefectDuplicateParameter}},
	{in: "text/plain; name*=utf-8''a; name*0*=utf-8''x", typ: "text/plain", params: map[string]string{"name": "a"}, defects: []DefectKind{DefectDuplicateParameter}},

	// Both plain and RFC 2231: the RFC 2231 value is what the sender meant.
	{in: "text/plain; filename=\"fallback.txt\";\r\n filename*=UTF-8''%E2%82%AC-preferred.txt", typ: "text/plain", params: map[string]string{"filename": "€-preferred.txt"}},
	{in: "text/plain; filename*=UTF-8''%E2%82%AC-preferred.txt; filename=\"fallback.txt\"", typ: "text/plain", params: map[string]string{"filename": "€-preferred.txt"}},
	{in: "text/plain; name=\"a\"; name*0=b; name*1=c", typ: "text/plain", params: map[string]string{"name": "bc"}},

	// Quoted extended values, which RFC 2231 does not allow but mailers send.
	{in: `TEXT/PLAIN; charset=iso-8859-1; name*="iso-8859-1''HasenundFr%F6sche.txt"`, typ: "text/plain", params: map[string]string{"charset": "iso-8859-1", "name": "HasenundFrösche.txt"}},
	{in: `text/plain; title*0*="us-ascii'en'This%20is%20even%20more%20"; title*1*="%2A%2A%2Afun%2A%2A%2A%20"; title*2="isn't it!"`,
		typ: "text/plain", params: map[string]string{"title": "This is even more ***fun*** isn't it!"}},
	{in: `multipart/signed; micalg*=utf-8''pgp-md5; protocol*=utf-8''application%2Fpgp-signature; boundary*="utf-8''EeQfGwPcQSOJBaQU"`,
		typ: "multipart/signed", params: map[string]string{"micalg": "pgp-md5", "protocol": "application/pgp-signature", "boundary": "EeQfGwPcQSOJBaQU"}},
	// Raw 8-bit text in an extended value is taken as bytes of the charset.
	{in: "text/plain; name*=utf-8''Grüße", typ: "text/plain", params: map[string]string{"name": "Grüße"}},

	// Bad escapes are kept literally.
	{in: "text/plain; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A%zz", typ: "text/plain", params: map[string]string{"title": "This is ***fun***%zz"}, defects: []DefectKind{DefectInvalidParameterEncoding}},
	{in: "text/plain; name*=utf-8''100%", typ: "text/plain", params: map[string]string{"name": "100%"}, defects: []DefectKind{DefectInvalidParameterEncoding}},
	{in: "text/plain; name*=utf-8''%4", typ: "text/plain", params: map[string]string{"name": "%4"}, defects: []DefectKind{DefectInvalidParameterEncoding}},
	// Missing charset'language' prefix: UTF-8 assumed.
	{in: "text/plain; name*=%41%42", typ: "text/plain", params: map[string]string{"name": "AB"}, defects: []DefectKind{DefectInvalidParameterEncoding}},
	{in: "text/plain; name*=utf-8'x%41", typ: "text/plain", params: map[string]string{"name": "utf-8'xA"}, defects: []DefectKind{DefectInvalidParameterEncoding}},
	// Unknown charset: the bytes as UTF-8.
	{in: "text/plain; name*=x-unknown''%E9t%C3%A9", typ: "text/plain", params: map[string]string{"name": "\uFFFDté"}, defects: []DefectKind{DefectInvalidParameterEncoding}},
	// Invalid UTF-8 in a UTF-8 value.
	{in: "text/plain; name*=''%FF", typ: "text/plain", params: map[string]string{"name": "\uFFFD"}, defects: []DefectKind{DefectInvalidParameterEncoding}},

	// Names that are not RFC 2231 forms are dropped.
	{in: "text/plain; name*x=a; b=c", typ: "text/plain", params: map[string]string{"b": "c"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: "text/plain; *0=a", typ: "text/plain", defects: []DefectKind{DefectInvalidParameter}},
	{in: "text/plain; name**=a", typ: "text/plain", defects: []DefectKind{DefectInvalidParameter}},
	{in: "text/plain; name*-1=a", typ: "text/plain", defects: []DefectKind{DefectInvalidParameter}},
	{in: "text/plain; name*+1=a", typ: "text/plain", defects: []DefectKind{DefectInvalidParameter}},
	{in: "text/plain; name*1234567890=a", typ: "text/plain", defects: []DefectKind{DefectInvalidParameter}},
}

func TestRFC2231(t *testing.T) {
	for _, tt := range rfc2231Tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := ParseContentType(tt.in)
			assert.Equal(t, tt.err, err != nil, "%v", err)
			assert.Equal(t, tt.typ, m.Type)
			if len(tt.params) == 0 {
				assert.Empty(t, m.Params)
			} else {
				assert.Equal(t, tt.params, m.Params)
			}
			assert.Equal(t, tt.defects, defectKinds(m.Defects), "%v", m.Defects)
		})
	}
}

func TestRFC2231Charsets(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"windows-1252''%80%20%93x%94", "€ “x”"},
		{"ISO-8859-5''%D1%D0%E0", "бар"},
		{"koi8-r''%C2%C1%D2", "бар"},
		{"Shift_JIS''%93%FA%96%7B", "日本"},
		{"gb2312''%D6%D0%CE%C4", "中文"},
		{"big5''%A4%A4%A4%E5", "中文"},
		{"euc-kr''%C7%D1%B1%DB", "한글"},
		{"utf-8'ja'%E6%97%A5%E6%9C%AC", "日本"},
	} {
		m, err := ParseContentType("application/octet-stream; name*=" + tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, m.Params["name"], tt.in)
		assert.Empty(t, m.Defects, tt.in)
	}
}

func TestParamDefectsBounded(t *testing.T) {
	v := "text/plain" + strings.Repeat("; x", 1000)
	m, err := ParseContentType(v)
	require.NoError(t, err)
	assert.Len(t, m.Defects, maxParamDefects)
	for _, d := range m.Defects {
		assert.LessOrEqual(t, len(d.Detail), maxDefectDetail+len("..."))
	}
}

// Hostile input of 1 MiB in shapes that would be quadratic in a naive
// parser is read in well under a second.
func TestParamsLinear(t *testing.T) {
	const n = 1 << 20
	for name, v := range map[string]string{
		"spaces":        "text/plain; name=" + strings.Repeat("a ", n/2),
		"parens":        "text/plain; name=x" + strings.Repeat(" (", n/2),
		"closing":       "text/plain; name=x" + strings.Repeat(" )", n/2),
		"comments":      "text/plain; name=x" + strings.Repeat(" (a)", n/4),
		"nested":        "text/plain" + strings.Repeat("(", n),
		"quotes":        "text/plain; name=\"" + strings.Repeat(`\"`, n/2),
		"sections":      "text/plain" + strings.Repeat("; n*999=a", n/9),
		"many-params":   "text/plain" + strings.Repeat("; a=b", n/5),
		"missing-semis": "text/plain" + strings.Repeat(" a=b", n/4),
		"equals":        "text/plain; a" + strings.Repeat(" =", n/2),
		"percent":       "text/plain; a*=utf-8''" + strings.Repeat("%", n),
		"encoded-words": "text/plain; a=" + strings.Repeat("=?", n/2),
	} {
		start := time.Now()
		m, _ := ParseContentType(v)
		_ = FormatMediaType(m.Type, m.Params)
		assert.Less(t, time.Since(start), 2*time.Second, name)
	}
}

func TestQuotedString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`"plain"`, "plain"},
		{`"a\"b"`, `a"b`},
		{`"a\\b"`, `a\b`},
		// A backslash before anything else is kept: Windows paths.
		{`"C:\TEMP\nsmail39.png"`, `C:\TEMP\nsmail39.png`},
		{`"\\server\share\x.txt"`, `\server\share\x.txt`},
		{`"trailing\"`, `trailing"`},
		{"\"folded\r\n line\"", "folded line"},
		{"\"a;b\"", "a;b"},
		{"\"(not a comment)\"", "(not a comment)"},
		{"\"\"", ""},
	} {
		m, _ := ParseContentDisposition("inline; filename=" + tt.in)
		assert.Equal(t, tt.want, m.Params["filename"], tt.in)
	}
}
