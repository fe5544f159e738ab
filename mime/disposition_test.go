package mime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var dispositionTests = []mediaTypeTest{
	{in: "inline", typ: "inline"},
	{in: "attachment", typ: "attachment"},
	{in: "Attachment; FileName=a.txt", typ: "attachment", params: map[string]string{"filename": "a.txt"}},
	// RFC 2183 2.: every parameter it defines.
	{in: `attachment; filename=genome.jpeg;
  modification-date="Wed, 12 Feb 1997 16:29:51 -0500"; creation-date="Mon, 10 Feb 1997 08:00:00 -0500";
  read-date="Thu, 13 Feb 1997 10:00:00 -0500"; size=4823`,
		typ: "attachment", params: map[string]string{"filename": "genome.jpeg", "modification-date": "Wed, 12 Feb 1997 16:29:51 -0500",
			"creation-date": "Mon, 10 Feb 1997 08:00:00 -0500", "read-date": "Thu, 13 Feb 1997 10:00:00 -0500", "size": "4823"}},
	// Extension types are kept; RFC 2183 2.8 says to treat them as attachment.
	{in: "x-foo; a=b", typ: "x-foo", params: map[string]string{"a": "b"}},
	{in: "form-data; name=\"field\"", typ: "form-data", params: map[string]string{"name": "field"}},
	{in: "inline;\tfilename=favicon.png", typ: "inline", params: map[string]string{"filename": "favicon.png"}},
	{in: `attachment; filename*=UTF-8''Rechnung_4711_M%C3%A4rz.pdf`, typ: "attachment", params: map[string]string{"filename": "Rechnung_4711_März.pdf"}},
	{in: "attachment; size=38078; \tfilename=\"Biodiversite de semaine.doc\"", typ: "attachment", params: map[string]string{"size": "38078", "filename": "Biodiversite de semaine.doc"}},
	{in: "attachment;\tfilename=管理.doc", typ: "attachment", params: map[string]string{"filename": "管理.doc"}},
	{in: `inline; filename="C:\TEMP\nsmail39.png"`, typ: "inline", params: map[string]string{"filename": `C:\TEMP\nsmail39.png`}},
	{in: `inline; fi1ename="map_of_Argentina.gif"`, typ: "inline", params: map[string]string{"fi1ename": "map_of_Argentina.gif"}},

	// Missing type: attachment, parameters read.
	{in: `filename="x.pdf"`, typ: "attachment", params: map[string]string{"filename": "x.pdf"}, err: true, defects: []DefectKind{DefectInvalidDisposition}},
	{in: ";        filename=\"image001.png\"", typ: "attachment", params: map[string]string{"filename": "image001.png"}, err: true, defects: []DefectKind{DefectInvalidDisposition}},
	{in: "", typ: "", err: true, defects: []DefectKind{DefectInvalidDisposition}},
	{in: " \t", typ: "", err: true, defects: []DefectKind{DefectInvalidDisposition}},
	// Junk and missing separators.
	{in: "inline filename=a.txt", typ: "inline", params: map[string]string{"filename": "a.txt"}, defects: []DefectKind{DefectInvalidParameter}},
	{in: "foo bar", typ: "foo", defects: []DefectKind{DefectInvalidDisposition}},
	{in: "attachment/pdf; filename=a", typ: "attachment", params: map[string]string{"filename": "a"}, defects: []DefectKind{DefectInvalidDisposition}},
}

func TestParseContentDisposition(t *testing.T) {
	for _, tt := range dispositionTests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := ParseContentDisposition(tt.in)
			if tt.err {
				assert.ErrorIs(t, err, ErrInvalidDisposition)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.typ, m.Type)
			if len(tt.params) == 0 {
				assert.Empty(t, m.Params)
			} else {
				assert.Equal(t, tt.params, m.Params)
			}
			assert.Equal(t, tt.defects, defectKinds(m.Defects), "%v", m.Defects)

			typ, params, err2 := ParseDisposition(tt.in)
			assert.Equal(t, m.Type, typ)
			assert.Equal(t, m.Params, params)
			assert.Equal(t, err, err2)
		})
	}
}

func TestFormatDisposition(t *testing.T) {
	assert.Equal(t, "attachment", FormatDisposition("attachment", nil))
	assert.Equal(t, "inline; filename=a.png", FormatDisposition("Inline", map[string]string{"filename": "a.png"}))
	assert.Equal(t, `attachment; filename*=utf-8''Rechnung_4711_M%C3%A4rz.pdf; size=4823`,
		FormatDisposition("attachment", map[string]string{"filename": "Rechnung_4711_März.pdf", "size": "4823"}))
	assert.Equal(t, `attachment; creation-date="Mon, 10 Feb 1997 08:00:00 -0500"`,
		FormatDisposition("attachment", map[string]string{"creation-date": "Mon, 10 Feb 1997 08:00:00 -0500"}))
	assert.Empty(t, FormatDisposition("", nil))
	assert.Empty(t, FormatDisposition("attach ment", nil))
	assert.Empty(t, FormatDisposition("attachment/x", nil))
	assert.Empty(t, FormatDisposition("attachment", map[string]string{"file name": "x"}))

	// RFC 2231 continuations, each section short enough for a 78-column line.
	long := strings.Repeat("Präsentation – Q3 Ergebnisse ", 4) + "日本.pdf"
	s := FormatDisposition("attachment", map[string]string{"filename": long})
	assert.True(t, strings.HasPrefix(s, "attachment; filename*0*=utf-8''Pr%C3%A4sentation%20%E2%80%93%20"), s)
	assert.Contains(t, s, "; filename*1*=")
	assert.NotContains(t, s, "=?")
	checkFormatted(t, s, nil)
	d, err := ParseContentDisposition(s)
	require.NoError(t, err)
	assert.Equal(t, long, d.Params["filename"])
}

func TestFilename(t *testing.T) {
	for _, tt := range []struct{ cd, ct, want string }{
		{`attachment; filename="a.pdf"`, `application/pdf; name="b.pdf"`, "a.pdf"},
		{`attachment`, `application/pdf; name="b.pdf"`, "b.pdf"},
		{``, `application/pdf; name="b.pdf"`, "b.pdf"},
		{`attachment; filename=""`, `application/pdf; name="b.pdf"`, "b.pdf"},
		{`attachment; filename="  a.pdf "`, ``, "a.pdf"},
		{`attachment; filename*=UTF-8''Rechnung_4711_M%C3%A4rz.pdf`, ``, "Rechnung_4711_März.pdf"},
		{`attachment; filename*0*=utf-8''nyan%20cat%20%E2%9C%94.gif`, `image/gif; name="nyan cat.gif"`, "nyan cat ✔.gif"},
		{`attachment; filename="fallback.txt"; filename*=UTF-8''%E2%82%AC-preferred.txt`, ``, "€-preferred.txt"},
		{`TEXT/PLAIN; charset=iso-8859-1; name*="iso-8859-1''HasenundFr%F6sche.txt"`, ``, ""},
		{``, `TEXT/PLAIN; charset=iso-8859-1; name*="iso-8859-1''HasenundFr%F6sche.txt"`, "HasenundFrösche.txt"},
		{`filename="x.pdf"`, ``, "x.pdf"},
		{`inline`, `text/plain`, ""},
		{``, ``, ""},
	} {
		assert.Equal(t, tt.want, Filename(tt.cd, tt.ct), "%q %q", tt.cd, tt.ct)
	}
	if haveRFC2047() {
		assert.Equal(t, "HasenundFrösche.txt", Filename(`inline; filename="=?iso-8859-1?Q?HasenundFr=F6sche=2Etxt?="`, ""))
	}
}

func BenchmarkParseDisposition(b *testing.B) {
	for _, bb := range []struct{ name, v string }{
		{"plain", `attachment; filename="report.pdf"`},
		{"rfc2231", `attachment; filename*=UTF-8''Rechnung_4711_M%C3%A4rz.pdf`},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.v)))
			for b.Loop() {
				_, _, _ = ParseDisposition(bb.v)
			}
		})
	}
}

// The corpus of testdata/messages and CPython's results for it.

type refHeaders struct {
	File        string
	ContentType *string `json:"content_type"`
	Parts       []struct {
		Path        string
		ContentType string `json:"content_type"`
		Charset     *string
		Filename    *string
		Disposition *string
	}
}

func readExpected(t *testing.T) []refHeaders {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "expected.jsonl"))
	if os.IsNotExist(err) {
		t.Skip("no message corpus")
	}
	require.NoError(t, err)
	defer f.Close()
	var out []refHeaders
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var e refHeaders
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

func readCorpusFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, filepath.FromSlash(name)))
	require.NoError(t, err)
	return data
}

// mediaFieldRE finds Content-Type and Content-Disposition fields anywhere in
// a message, with their continuation lines.
var mediaFieldRE = regexp.MustCompile(`(?im)^(content-type|content-disposition)[ \t]*:(.*(?:\r?\n[ \t].*)*)`)

type corpusField struct{ name, value string }

// mediaFields returns the Content-Type and Content-Disposition fields of
// every header block in data, found by pattern rather than by parsing the
// MIME structure, unfolded.
func mediaFields(data []byte) []corpusField {
	var out []corpusField
	for _, m := range mediaFieldRE.FindAllSubmatch(data, -1) {
		v := regexp.MustCompile(`\r?\n`).ReplaceAll(m[2], nil)
		out = append(out, corpusField{strings.ToLower(string(m[1])), strings.TrimSpace(string(v))})
	}
	return out
}

// topHeader returns the fields of the top-level header block of a message,
// lower-case names to unfolded values, the first of repeated fields. It
// reports false when a line of the block is not a field, which CPython would
// take for the start of the body.
func topHeader(data []byte) (map[string]string, bool) {
	if bytes.HasPrefix(data, []byte("From ")) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	h := map[string]string{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if i == 0 {
				return nil, false
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || bytes.ContainsAny(line[:colon], " \t") {
			return nil, false
		}
		name := strings.ToLower(string(line[:colon]))
		if _, dup := h[name]; dup {
			continue
		}
		// The value with its continuation lines, unfolded.
		rest := data[bytes.Index(data, line)+colon+1:]
		var v strings.Builder
		for j, l := range bytes.Split(rest, []byte("\n")) {
			l = bytes.TrimSuffix(l, []byte("\r"))
			if j > 0 && (len(l) == 0 || l[0] != ' ' && l[0] != '\t') {
				break
			}
			v.Write(l)
		}
		h[name] = strings.TrimSpace(v.String())
	}
	return h, true
}
