package mime

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// partView is what a test compares of one Part.
type partView struct {
	Path, Type string
	Kind       PartKind
	Body       string // raw body, leaves only
	Defects    []DefectKind
}

func readAll(t *testing.T, r io.Reader) []partView {
	t.Helper()
	var out []partView
	mr := NewReader(r)
	for {
		p, err := mr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		v := partView{Path: p.Path, Type: p.MediaType, Kind: p.Kind}
		if p.Kind == Leaf {
			b, err := io.ReadAll(p.RawBody())
			require.NoError(t, err)
			v.Body = string(b)
		}
		out = append(out, v)
		// Defects that come with the header are known now; later ones
		// (close delimiters) are added when the reader moves on, so collect
		// them at the end.
		defer func(i int, p *Part) {
			for _, d := range p.Defects {
				out[i].Defects = append(out[i].Defects, d.Kind)
			}
		}(len(out)-1, p)
	}
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestReaderStructure(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []partView
	}{
		{
			name: "single part",
			in:   crlf("Subject: hi\n\nhello\nworld\n"),
			want: []partView{{Path: "1", Type: "text/plain", Body: "hello\r\nworld\r\n"}},
		},
		{
			name: "header only, no empty line",
			in:   "Subject: hi\r\n",
			want: []partView{{Path: "1", Type: "text/plain"}},
		},
		{
			name: "multipart with preamble and epilogue (RFC 2046 5.1.1)",
			in: crlf(`Content-Type: multipart/mixed; boundary="simple boundary"

This is the preamble.
--simple boundary

plain text, no final line break
--simple boundary
Content-type: text/plain; charset=us-ascii

text with a final line break

--simple boundary--
This is the epilogue.
`),
			want: []partView{
				{Path: "", Type: "multipart/mixed", Kind: Multipart},
				{Path: "1", Type: "text/plain", Body: "plain text, no final line break"},
				{Path: "2", Type: "text/plain", Body: "text with a final line break\r\n"},
			},
		},
		{
			name: "transport padding after delimiters",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\nx\n--b-- \n"),
			want: []partView{
				{Path: "", Type: "multipart/mixed", Kind: Multipart},
				{Path: "1", Type: "text/plain", Body: "x"},
			},
		},
		{
			name: "LF-only lines",
			in:   "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>x</p>\n--b--\n",
			want: []partView{
				{Path: "", Type: "multipart/alternative", Kind: Multipart},
				{Path: "1", Type: "text/html", Body: "<p>x</p>"},
			},
		},
		{
			name: "bare CR lines",
			in:   "Content-Type: multipart/mixed; boundary=b\r\r--b\r\rone\r--b--\r",
			want: []partView{
				{Path: "", Type: "multipart/mixed", Kind: Multipart},
				{Path: "1", Type: "text/plain", Body: "one"},
			},
		},
		{
			name: "nested multipart and encapsulated message",
			in: crlf(`Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner

plain
--inner
Content-Type: text/html

<b>html</b>
--inner--
--outer
Content-Type: message/rfc822

Subject: inner message
Content-Type: multipart/mixed; boundary=deep

--deep

deep text
--deep--
--outer
Content-Type: message/rfc822

Subject: simple inner

simple body
--outer--
`),
			want: []partView{
				{Path: "", Type: "multipart/mixed", Kind: Multipart},
				{Path: "1", Type: "multipart/alternative", Kind: Multipart},
				{Path: "1.1", Type: "text/plain", Body: "plain"},
				{Path: "1.2", Type: "text/html", Body: "<b>html</b>"},
				{Path: "2", Type: "message/rfc822", Kind: Encapsulated},
				{Path: "2", Type: "multipart/mixed", Kind: Multipart},
				{Path: "2.1", Type: "text/plain", Body: "deep text"},
				{Path: "3", Type: "message/rfc822", Kind: Encapsulated},
				{Path: "3.1", Type: "text/plain", Body: "simple body"},
			},
		},
		{
			name: "missing close delimiters",
			in: crlf(`Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner

first
--outer

second
`),
			want: []partView{
				{Path: "", Type: "multipart/mixed", Kind: Multipart, Defects: []DefectKind{DefectCloseBoundaryNotFound}},
				{Path: "1", Type: "multipart/alternative", Kind: Multipart, Defects: []DefectKind{DefectCloseBoundaryNotFound}},
				{Path: "1.1", Type: "text/plain", Body: "first"},
				{Path: "2", Type: "text/plain", Body: "second"},
			},
		},
		{
			name: "no delimiter at all: the body stands in",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\njust text\n"),
			want: []partView{
				{Path: "", Type: "multipart/mixed", Kind: Multipart, Defects: []DefectKind{DefectStartBoundaryNotFound}},
				{Path: "1", Type: "multipart/mixed", Body: "just text\r\n"},
			},
		},
		{
			name: "multipart without boundary parameter is a leaf",
			in:   crlf("Content-Type: multipart/mixed\n\nbody\n"),
			want: []partView{{Path: "1", Type: "multipart/mixed", Body: "body\r\n", Defects: []DefectKind{DefectNoBoundary}}},
		},
		{
			name: "repeated delimiters enclose no part",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nx\n--b--\n"),
			want: []partView{
				{Path: "", Type: "multipart/mixed", Kind: Multipart},
				{Path: "1", Type: "text/plain", Body: "x"},
			},
		},
		{
			name: "base64-encoded message/rfc822 is decoded and read",
			in: crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" +
				base64.StdEncoding.EncodeToString([]byte(crlf("Subject: inner\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\nin plain\n--i--\n"))) +
				"\n--o--\n"),
			want: []partView{
				{Path: "", Type: "multipart/mixed", Kind: Multipart},
				{Path: "1", Type: "message/rfc822", Kind: Encapsulated, Defects: []DefectKind{DefectMultipartTransferEncoded}},
				{Path: "1", Type: "multipart/alternative", Kind: Multipart},
				{Path: "1.1", Type: "text/plain", Body: "in plain"},
			},
		},
		{
			name: "digest parts default to message/rfc822",
			in:   crlf("Content-Type: multipart/digest; boundary=b\n\n--b\n\nSubject: m1\n\nbody1\n--b--\n"),
			want: []partView{
				{Path: "", Type: "multipart/digest", Kind: Multipart},
				{Path: "1", Type: "message/rfc822", Kind: Encapsulated},
				{Path: "1.1", Type: "text/plain", Body: "body1"},
			},
		},
		{
			name: "header without empty line before body",
			in:   crlf("Subject: x\nthis is body\n"),
			want: []partView{{Path: "1", Type: "text/plain", Body: "this is body\r\n", Defects: []DefectKind{DefectMissingHeaderBodySeparator}}},
		},
		{
			name: "mbox From line skipped",
			in:   "From someone Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody\n",
			want: []partView{{Path: "1", Type: "text/plain", Body: "body\n"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, readAll(t, strings.NewReader(tc.in)))
			// Same result however the input is chunked.
			assert.Equal(t, tc.want, readAll(t, iotest.OneByteReader(strings.NewReader(tc.in))))
		})
	}
}

func TestHeaderPassThrough(t *testing.T) {
	in := "Subject: a\r\n folded\r\nX-8bit: caf\xc3\xa9\nto : bob@example.com\r\n\r\nbody"
	p, err := NewReader(strings.NewReader(in)).Next()
	require.NoError(t, err)
	assert.Equal(t, "a folded", p.Header.Get("subject"))
	assert.Equal(t, "bob@example.com", p.Header.Get("To"))
	var b bytes.Buffer
	_, err = p.Header.WriteTo(&b)
	require.NoError(t, err)
	assert.Equal(t, in[:len(in)-len("\r\nbody")]+"\r\n", b.String())
}

func TestHeaderFolding(t *testing.T) {
	var h Header
	h.Add("Subject", strings.Repeat("word ", 40))
	h.Add("X-Long", strings.Repeat("x", 1200))
	h.Add("X-Inject", "a\r\nBcc: evil@example.com")
	var b bytes.Buffer
	_, err := h.WriteTo(&b)
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
		assert.LessOrEqual(t, len(line), MaxLineLength)
		if !strings.HasPrefix(line, "X-Long") && !strings.HasPrefix(line, " x") {
			assert.LessOrEqual(t, len(line), FoldLength, line)
		}
		assert.False(t, strings.HasPrefix(line, "Bcc:"), "header injection")
	}
	// Reading it back gives the same values (folding whitespace aside).
	p, err := NewReader(&b).Next()
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(strings.Repeat("word ", 40)), p.Header.Get("Subject"))
	assert.Equal(t, "a Bcc: evil@example.com", p.Header.Get("X-Inject"))
}

func TestReaderLimits(t *testing.T) {
	nested := func(depth int) string {
		var b strings.Builder
		for i := 0; i < depth; i++ {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
		}
		b.WriteString("\r\nleaf\r\n")
		return b.String()
	}
	manyParts := func(n int) string {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := 0; i < n; i++ {
			b.WriteString("--b\r\n\r\nx\r\n")
		}
		return b.String()
	}
	tests := []struct {
		name   string
		limits Limits
		in     string
		limit  string
	}{
		{"header bytes", Limits{MaxHeaderBytes: 1000}, "X: " + strings.Repeat("a", 2000) + "\r\n\r\n", "header bytes"},
		{"header bytes, one long folded field", Limits{MaxHeaderBytes: 1000}, "X: a" + strings.Repeat("\r\n a", 1000) + "\r\n\r\n", "header bytes"},
		{"header fields", Limits{MaxHeaderFields: 10}, strings.Repeat("X: a\r\n", 11) + "\r\n", "header fields"},
		{"depth", Limits{MaxDepth: 5}, nested(6), "depth"},
		{"parts", Limits{MaxParts: 100}, manyParts(200), "parts"},
		{"parts inside an encoded message", Limits{MaxParts: 100}, "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString([]byte(manyParts(150))) + "\r\n", "parts"},
		{"depth inside an encoded message", Limits{MaxDepth: 5}, "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString([]byte(nested(5))) + "\r\n", "depth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in))
			r.Limits = tc.limits
			err := r.Walk(func(p *Part) error { return nil })
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrLimitExceeded)
			var le *LimitError
			require.True(t, errors.As(err, &le))
			assert.Equal(t, tc.limit, le.Limit)
		})
	}
	// Just under each bound is fine.
	r := NewReader(strings.NewReader(nested(5)))
	r.Limits = Limits{MaxDepth: 5}
	assert.NoError(t, r.Walk(func(p *Part) error { return nil }))
}

func TestMultipartWriterRoundTrip(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("Content-Type: multipart/mixed; boundary=\"")
	mw := NewMultipartWriter(&b)
	b.WriteString(mw.Boundary() + "\"\r\n\r\n")
	bodies := []string{"first\r\n", "second, no line break", "", "--not a delimiter\r\n"}
	for _, body := range bodies {
		var h Header
		h.Add("Content-Type", "text/plain")
		w, err := mw.CreatePart(h)
		require.NoError(t, err)
		io.WriteString(w, body)
	}
	require.NoError(t, mw.Close())
	var got []string
	require.NoError(t, Walk(&b, func(p *Part) error {
		if p.Kind == Leaf {
			data, err := io.ReadAll(p.Body())
			got = append(got, string(data))
			return err
		}
		return nil
	}))
	assert.Equal(t, bodies, got)
	assert.Error(t, mw.SetBoundary("x"), "after a part")
	assert.Error(t, NewMultipartWriter(io.Discard).SetBoundary(strings.Repeat("a", 71)))
	assert.Error(t, NewMultipartWriter(io.Discard).SetBoundary("bad\x00"))
}

func TestWalkSkipPart(t *testing.T) {
	in := crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\nskipped\n--i--\n--o\n\nkept\n--o--\n")
	var paths []string
	require.NoError(t, Walk(strings.NewReader(in), func(p *Part) error {
		paths = append(paths, p.Path)
		if p.Path == "1" {
			return SkipPart
		}
		return nil
	}))
	assert.Equal(t, []string{"", "1", "2"}, paths)
}

func TestHeaderWriteRejectsBadNames(t *testing.T) {
	for _, key := range []string{"", "X-A\r\nBcc", "Bad Name", "Colon:", "caf\xc3\xa9", strings.Repeat("k", 1000)} {
		var h Header
		h.Add(key, "v")
		_, err := h.WriteTo(io.Discard)
		assert.Error(t, err, "%q", key)
	}
	// Pathological but valid input never panics and stays within 998.
	var h Header
	h.Add("Subject", "a"+strings.Repeat(" ", 2000)+"b")
	h.Add(strings.Repeat("k", 990), "v")
	var b bytes.Buffer
	_, err := h.WriteTo(&b)
	require.NoError(t, err)
	for _, line := range strings.Split(b.String(), "\r\n")[1:] {
		assert.LessOrEqual(t, len(line), MaxLineLength)
	}
}

func TestHeaderWriteLastRawFieldWithoutLineBreak(t *testing.T) {
	p, err := NewReader(strings.NewReader("Subject: hi")).Next()
	require.NoError(t, err)
	p.Header.Add("X", "y")
	var b bytes.Buffer
	_, err = p.Header.WriteTo(&b)
	require.NoError(t, err)
	assert.Equal(t, "Subject: hi\r\nX: y\r\n\r\n", b.String())
}

func TestReaderEdgeCases(t *testing.T) {
	t.Run("a line longer than the buffer starting like a delimiter is body", func(t *testing.T) {
		long := "--b" + strings.Repeat(" ", 40000) + "not a delimiter"
		in := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nfirst\r\n" + long + "\r\nmore\r\n--b--\r\n"
		got := readAll(t, strings.NewReader(in))
		require.Len(t, got, 2)
		assert.Equal(t, "first\r\n"+long+"\r\nmore", got[1].Body)
	})
	t.Run("skipped bodies are counted", func(t *testing.T) {
		in := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhello\r\nworld\r\n--b--\r\n"
		root, err := ReadEntity(strings.NewReader(in), nil)
		require.NoError(t, err)
		assert.Equal(t, int64(12), root.Parts[0].Size)
		assert.Equal(t, 1, root.Parts[0].Lines)
		var sizes []int64
		var parts []*Part
		require.NoError(t, Walk(strings.NewReader(in), func(p *Part) error {
			parts = append(parts, p) // bodies not read: the Reader skips them
			return nil
		}))
		for _, p := range parts {
			sizes = append(sizes, p.Size())
		}
		assert.Equal(t, []int64{0, 12}, sizes)
	})
	t.Run("decoding defects are there when the body ends", func(t *testing.T) {
		p, err := NewReader(strings.NewReader("Content-Transfer-Encoding: base64\r\n\r\nQU!!JD\r\n")).Next()
		require.NoError(t, err)
		_, err = io.ReadAll(p.Body())
		require.NoError(t, err)
		require.NotEmpty(t, p.Defects)
		assert.Equal(t, DefectInvalidBase64, p.Defects[0].Kind)
	})
	t.Run("mbox From line at the start of an encapsulated message", func(t *testing.T) {
		in := "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\nFrom someone\r\nSubject: s\r\n\r\nbody\r\n--o--\r\n"
		var subjects []string
		require.NoError(t, Walk(strings.NewReader(in), func(p *Part) error {
			if p.Message && p.Depth > 0 {
				subjects = append(subjects, p.Header.Get("Subject"))
			}
			return nil
		}))
		assert.Equal(t, []string{"s"}, subjects)
	})
	t.Run("transfer encoding with a comment is still identity", func(t *testing.T) {
		in := "Content-Type: multipart/mixed; boundary=o\r\nContent-Transfer-Encoding: 7bit (plain)\r\n\r\n--o\r\n\r\nx\r\n--o--\r\n"
		p, err := NewReader(strings.NewReader(in)).Next()
		require.NoError(t, err)
		assert.Equal(t, "7bit", p.TransferEncoding())
		assert.Empty(t, p.Defects)
	})
	t.Run("stray continuation lines make one defect and count against the limit", func(t *testing.T) {
		in := strings.Repeat(" "+strings.Repeat("x", 63)+"\n", 100) + "\n"
		r := NewReader(strings.NewReader(in))
		r.Limits.MaxHeaderBytes = 1000
		_, err := r.Next()
		assert.ErrorIs(t, err, ErrLimitExceeded)
		p, err := NewReader(strings.NewReader(in)).Next()
		require.NoError(t, err)
		assert.Len(t, p.Defects, 1)
	})
	t.Run("a stand-in text longer than can be kept is marked", func(t *testing.T) {
		in := "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("text line\r\n", 120000)
		var last *Part
		require.NoError(t, Walk(strings.NewReader(in), func(p *Part) error {
			last = p
			_, err := io.Copy(io.Discard, p.Body())
			return err
		}))
		assert.Equal(t, "1", last.Path)
		assert.Equal(t, DefectBodyTruncated, last.Defects[0].Kind)
	})
}

func TestHeaderHardBreakKeepsCharacters(t *testing.T) {
	var h Header
	h.Add("X-Long", strings.Repeat("é", 700)) // one 1400-octet word
	var b bytes.Buffer
	_, err := h.WriteTo(&b)
	require.NoError(t, err)
	for _, line := range strings.Split(b.String(), "\r\n") {
		assert.LessOrEqual(t, len(line), MaxLineLength)
		assert.True(t, utf8.ValidString(line), "%.40q", line)
	}
}

func TestReaderClose(t *testing.T) {
	r := NewReader(strings.NewReader("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b--\r\n"))
	_, err := r.Next()
	require.NoError(t, err)
	require.NoError(t, r.Close())
	_, err = r.Next()
	assert.ErrorIs(t, err, ErrReaderClosed)
	require.NoError(t, r.Close(), "twice")
}

func TestUnfold(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"  a b  ", "a b"},
		{" a\r\n b\r\n\tc\r\n", "a b\tc"},
		{"a\n b\r c\r\r\n\n d", "a b c d"},
		{"\r\n\r\n", ""},
		{"x\ry", "xy"},
		{"a\r\n", "a"},
	} {
		assert.Equal(t, tt.want, unfold(tt.in), "%q", tt.in)
	}
}
