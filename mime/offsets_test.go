package mime

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// located is what checkOffsets keeps of one Part.
type located struct {
	p    *Part
	raw  []byte // RawBody of a leaf
	kept bool   // raw is the whole body
}

// walkLocated reads every entity of msg (through r, which delivers msg)
// and its raw body.
func walkLocated(r io.Reader, lim Limits) ([]located, error) {
	mr := NewReader(r)
	mr.Limits = lim
	var out []located
	err := mr.Walk(func(p *Part) error {
		l := located{p: p, kept: true}
		if p.Kind == Leaf {
			b, err := io.ReadAll(p.RawBody())
			if err != nil {
				return err
			}
			l.raw = b
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

// offsetProblem checks the offset invariants of the entities of msg and
// describes the first one broken, or returns "".
func offsetProblem(msg []byte, parts []located) string {
	n := int64(len(msg))
	for i, l := range parts {
		p := l.p
		if p.Encoded {
			if p.HeaderOffset != -1 || p.BodyOffset != -1 || p.EndOffset != -1 {
				return fmt.Sprintf("%s: encoded entity with offsets %d %d %d", p.Path, p.HeaderOffset, p.BodyOffset, p.EndOffset)
			}
			continue
		}
		if !(0 <= p.HeaderOffset && p.HeaderOffset <= p.BodyOffset && p.BodyOffset <= p.EndOffset && p.EndOffset <= n) {
			return fmt.Sprintf("%s (%d): offsets %d %d %d of %d", p.Path, i, p.HeaderOffset, p.BodyOffset, p.EndOffset, n)
		}
		if i == 0 && p.EndOffset != n {
			return fmt.Sprintf("message ends at %d of %d", p.EndOffset, n)
		}
		// The header bytes read as the same fields. (The stand-in leaf of
		// a multipart message has the message header.)
		message := p.Message || i > 0 && parts[i-1].p.Message && parts[i-1].p.HeaderOffset == p.HeaderOffset
		hr, err := readHeader(newScanner(bytes.NewReader(msg[p.HeaderOffset:p.BodyOffset])), &Limits{MaxHeaderBytes: 1 << 30, MaxHeaderFields: 1 << 20}, message, &headerScratch{})
		if err != nil {
			return fmt.Sprintf("%s: header: %v", p.Path, err)
		}
		got, want := hr.header.Fields(), p.Header.Fields()
		if len(got) != len(want) {
			return fmt.Sprintf("%s: %d fields in %q, want %d", p.Path, len(got), msg[p.HeaderOffset:p.BodyOffset], len(want))
		}
		for j := range got {
			if got[j].Key != want[j].Key || got[j].Value != want[j].Value {
				return fmt.Sprintf("%s: field %d is %q: %q, want %q: %q", p.Path, j, got[j].Key, got[j].Value, want[j].Key, want[j].Value)
			}
		}
		body := msg[p.BodyOffset:p.EndOffset]
		if p.Kind == Leaf && l.kept {
			if !bytes.Equal(body, l.raw) && !hasDefect(p, DefectBodyTruncated) {
				return fmt.Sprintf("%s: body %.200q, RawBody %.200q", p.Path, body, l.raw)
			}
			if hasDefect(p, DefectBodyTruncated) && !bytes.HasPrefix(body, l.raw) {
				return fmt.Sprintf("%s: truncated RawBody is not a prefix of the body", p.Path)
			}
		}
		// Each entity lies inside its container's body.
		for j := i - 1; j >= 0; j-- {
			c := parts[j].p
			if c.Depth == p.Depth-1 && c.Kind != Leaf {
				// An empty part whose header's empty line is the line
				// break before the delimiter that ends its container
				// reaches past the container by that line break.
				over := p.EndOffset - c.EndOffset
				if over > 0 && p.BodyOffset == p.EndOffset && over <= 2 {
					over = 0
				}
				if !c.Encoded && (p.HeaderOffset < c.BodyOffset || over > 0) && !(p.Path == leafPath(c.Path) && c.Kind == Multipart) {
					return fmt.Sprintf("%s [%d,%d) outside %s [%d,%d)", p.Path, p.HeaderOffset, p.EndOffset, c.Path, c.BodyOffset, c.EndOffset)
				}
				break
			}
		}
	}
	return ""
}

func hasDefect(p *Part, k DefectKind) bool {
	for _, d := range p.Defects {
		if d.Kind == k {
			return true
		}
	}
	return false
}

// offsetList lists the offsets of every entity, to compare readings.
func offsetList(parts []located) string {
	var b strings.Builder
	for _, l := range parts {
		fmt.Fprintf(&b, "%s %d %d %d %v\n", l.p.Path, l.p.HeaderOffset, l.p.BodyOffset, l.p.EndOffset, l.p.Encoded)
	}
	return b.String()
}

// manifestFiles lists the corpus files named in MANIFEST.tsv.
func manifestFiles(t *testing.T) []string {
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if os.IsNotExist(err) {
		t.Skip("corpus not found")
	}
	require.NoError(t, err)
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), "\t")
		if name == "" || name == "file" {
			continue
		}
		files = append(files, name)
	}
	require.NoError(t, sc.Err())
	return files
}

func TestOffsetsCorpus(t *testing.T) {
	files := manifestFiles(t)
	require.NotEmpty(t, files)
	lim := Limits{MaxHeaderBytes: 1 << 30, MaxHeaderFields: 1 << 20, MaxParts: 1 << 20, MaxDepth: 1000}
	entities, encoded := 0, 0
	for _, name := range files {
		msg, err := os.ReadFile(filepath.Join(corpusDir, name))
		require.NoError(t, err, name)
		parts, err := walkLocated(bytes.NewReader(msg), lim)
		require.NoError(t, err, name)
		require.Empty(t, offsetProblem(msg, parts), name)
		// However the input arrives, the offsets are the same.
		want := offsetList(parts)
		for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(msg)), iotest.HalfReader(bytes.NewReader(msg))} {
			again, err := walkLocated(r, lim)
			require.NoError(t, err, name)
			require.Equal(t, want, offsetList(again), name)
		}
		// ReadEntity reports the same offsets.
		root, err := ReadEntity(bytes.NewReader(msg), &EntityOptions{Limits: lim})
		require.NoError(t, err, name)
		var b strings.Builder
		require.NoError(t, root.Walk(func(e *Entity) error {
			fmt.Fprintf(&b, "%s %d %d %d %v\n", e.Path, e.HeaderOffset, e.BodyOffset, e.EndOffset, e.Encoded)
			return nil
		}))
		require.Equal(t, want, b.String(), name)
		for _, l := range parts {
			entities++
			if l.p.Encoded {
				encoded++
			}
		}
	}
	t.Logf("%d messages, %d entities (%d inside encoded messages)", len(files), entities, encoded)
}

func TestOffsetsEdgeCases(t *testing.T) {
	type loc struct {
		Path             string
		Header, Body     string // input[HeaderOffset:BodyOffset], input[BodyOffset:EndOffset]
		Encoded          bool
		HeaderAt, BodyAt int64 // checked when not 0
	}
	tests := []struct {
		name string
		in   string
		want []loc
	}{
		{
			name: "preamble and epilogue",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\npre\n--b\nA: 1\n\none\n--b\n\ntwo\n\n--b--\nepi\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=b\n\n"), Body: crlf("pre\n--b\nA: 1\n\none\n--b\n\ntwo\n\n--b--\nepi\n")},
				{Path: "1", Header: crlf("A: 1\n\n"), Body: "one"},
				{Path: "2", Header: "\r\n", Body: "two\r\n"},
			},
		},
		{
			name: "missing close delimiter",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\nmore\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=b\n\n"), Body: crlf("--b\n\none\n--b\n\ntwo\nmore\n")},
				{Path: "1", Header: "\r\n", Body: "one"},
				{Path: "2", Header: "\r\n", Body: "two\r\nmore"},
			},
		},
		{
			name: "LF only",
			in:   "Content-Type: multipart/alternative; boundary=\"x y\"\n\n--x y\nContent-Type: text/plain\n\nhello\n\n--x y\n\n\n--x y--\n",
			want: []loc{
				{Path: "", Header: "Content-Type: multipart/alternative; boundary=\"x y\"\n\n", Body: "--x y\nContent-Type: text/plain\n\nhello\n\n--x y\n\n\n--x y--\n"},
				{Path: "1", Header: "Content-Type: text/plain\n\n", Body: "hello\n"},
				{Path: "2", Header: "\n", Body: ""},
			},
		},
		{
			name: "bare CR lines",
			in:   "Content-Type: multipart/mixed; boundary=b\r\r--b\rX: 1\r\rbody\r--b--",
			want: []loc{
				{Path: "", Header: "Content-Type: multipart/mixed; boundary=b\r\r", Body: "--b\rX: 1\r\rbody\r--b--"},
				{Path: "1", Header: "X: 1\r\r", Body: "body"},
			},
		},
		{
			name: "empty parts",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--b\nX: 1\n--b\nY: 2\n\n\n--b--"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=b\n\n"), Body: crlf("--b\n\n--b\nX: 1\n--b\nY: 2\n\n\n--b--")},
				{Path: "1", Header: "\r\n", Body: ""},
				{Path: "2", Header: "X: 1\r\n", Body: ""},
				{Path: "3", Header: "Y: 2\r\n\r\n", Body: ""},
			},
		},
		{
			name: "nested multiparts",
			in:   crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\nipre\n--i\n\na\n--i\n\nb\n--i--\niepi\n--o\n\nc\n--o--\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=o\n\n"), Body: crlf("--o\nContent-Type: multipart/alternative; boundary=i\n\nipre\n--i\n\na\n--i\n\nb\n--i--\niepi\n--o\n\nc\n--o--\n")},
				{Path: "1", Header: crlf("Content-Type: multipart/alternative; boundary=i\n\n"), Body: crlf("ipre\n--i\n\na\n--i\n\nb\n--i--\niepi")},
				{Path: "1.1", Header: "\r\n", Body: "a"},
				{Path: "1.2", Header: "\r\n", Body: "b"},
				{Path: "2", Header: "\r\n", Body: "c"},
			},
		},
		{
			name: "inner multipart ended by the outer delimiter",
			in:   crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\na\n--o\n\nc\n--o--\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=o\n\n"), Body: crlf("--o\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\na\n--o\n\nc\n--o--\n")},
				{Path: "1", Header: crlf("Content-Type: multipart/mixed; boundary=i\n\n"), Body: crlf("--i\n\na")},
				{Path: "1.1", Header: "\r\n", Body: "a"},
				{Path: "2", Header: "\r\n", Body: "c"},
			},
		},
		{
			name: "message/rfc822 with a multipart inside",
			in:   crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\n\nfirst\n--o\nContent-Type: message/rfc822\n\nSubject: in\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\nx\n--i\nContent-Type: text/html\n\n<p>y\n--i--\n\n--o--\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=o\n\n"), Body: crlf("--o\n\nfirst\n--o\nContent-Type: message/rfc822\n\nSubject: in\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\nx\n--i\nContent-Type: text/html\n\n<p>y\n--i--\n\n--o--\n")},
				{Path: "1", Header: "\r\n", Body: "first"},
				{Path: "2", Header: crlf("Content-Type: message/rfc822\n\n"), Body: crlf("Subject: in\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\nx\n--i\nContent-Type: text/html\n\n<p>y\n--i--\n")},
				{Path: "2", Header: crlf("Subject: in\nContent-Type: multipart/mixed; boundary=i\n\n"), Body: crlf("--i\n\nx\n--i\nContent-Type: text/html\n\n<p>y\n--i--\n")},
				{Path: "2.1", Header: "\r\n", Body: "x"},
				{Path: "2.2", Header: crlf("Content-Type: text/html\n\n"), Body: "<p>y"},
			},
		},
		{
			name: "message/rfc822 at the top, not multipart inside",
			in:   crlf("Content-Type: message/rfc822\n\nSubject: in\n\nbody\n"),
			want: []loc{
				{Path: "1", Header: crlf("Content-Type: message/rfc822\n\n"), Body: crlf("Subject: in\n\nbody\n")},
				{Path: "1.1", Header: crlf("Subject: in\n\n"), Body: "body\r\n"},
			},
		},
		{
			name: "header without empty line at the end of input",
			in:   "Subject: x\r\nFrom: a@b",
			want: []loc{{Path: "1", Header: "Subject: x\r\nFrom: a@b", Body: ""}},
		},
		{
			name: "header ending at a line that is not a field",
			in:   "Subject: x\r\nnot a field\r\nrest",
			want: []loc{{Path: "1", Header: "Subject: x\r\n", Body: "not a field\r\nrest"}},
		},
		{
			name: "part header ending at the end of input",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nX: 1\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=b\n\n"), Body: crlf("--b\nX: 1\n")},
				{Path: "1", Header: "X: 1\r\n", Body: ""},
			},
		},
		{
			name: "empty message",
			in:   "",
			want: []loc{{Path: "1", Header: "", Body: ""}},
		},
		{
			name: "body only",
			in:   "\r\nbody",
			want: []loc{{Path: "1", Header: "\r\n", Body: "body"}},
		},
		{
			name: "mbox From line",
			in:   "From a@b Thu Jan  1 00:00:00 2026\nSubject: x\n\nhi\n",
			want: []loc{{Path: "1", Header: "From a@b Thu Jan  1 00:00:00 2026\nSubject: x\n\n", Body: "hi\n"}},
		},
		{
			name: "no delimiter: the stand-in leaf",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\njust text\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=b\n\n"), Body: "just text\r\n"},
				{Path: "1", Header: crlf("Content-Type: multipart/mixed; boundary=b\n\n"), Body: "just text\r\n"},
			},
		},
		{
			name: "transfer-encoded message/rfc822",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQpoaQ==\n--b--\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=b\n\n"), Body: crlf("--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQpoaQ==\n--b--\n")},
				{Path: "1", Header: crlf("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"), Body: "U3ViamVjdDogeA0KDQpoaQ=="},
				{Path: "1.1", Encoded: true},
			},
		},
		{
			name: "long lines and transport padding",
			in:   crlf("Content-Type: multipart/mixed; boundary=b\n\n--b  \n\n" + strings.Repeat("x", 70000) + "\n--b-- \t\n"),
			want: []loc{
				{Path: "", Header: crlf("Content-Type: multipart/mixed; boundary=b\n\n"), Body: crlf("--b  \n\n" + strings.Repeat("x", 70000) + "\n--b-- \t\n")},
				{Path: "1", Header: "\r\n", Body: strings.Repeat("x", 70000)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunked := range []bool{false, true} {
				var r io.Reader = strings.NewReader(tt.in)
				if chunked {
					r = iotest.OneByteReader(r)
				}
				parts, err := walkLocated(r, Limits{})
				require.NoError(t, err)
				require.Empty(t, offsetProblem([]byte(tt.in), parts))
				var got []loc
				for _, l := range parts {
					p := l.p
					if p.Encoded {
						got = append(got, loc{Path: p.Path, Encoded: true})
						continue
					}
					got = append(got, loc{Path: p.Path, Header: tt.in[p.HeaderOffset:p.BodyOffset], Body: tt.in[p.BodyOffset:p.EndOffset]})
				}
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

// FuzzOffsets checks the offset invariants on arbitrary input: the header
// bytes read as the same fields, the body bytes are the raw body, entities
// nest, and the offsets do not depend on how the input arrives.
func FuzzOffsets(f *testing.F) {
	f.Add([]byte(crlf("Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\nx\n--b--\nepi")))
	f.Add([]byte("Content-Type: message/rfc822\n\nContent-Type: multipart/digest; boundary=\"a\"\n\n--a\n\n--a--"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\r--b\rX: 1\r\rbody\r--b--"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQpoaQ==\n--b--\n"))
	addCorpusSeeds(f, 40)
	lim := Limits{MaxHeaderBytes: 64 << 10, MaxParts: 500, MaxDepth: 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		parts, err := walkLocated(bytes.NewReader(data), lim)
		if err != nil {
			if isLimit(err) {
				return
			}
			t.Fatal(err)
		}
		if msg := offsetProblem(data, parts); msg != "" {
			t.Fatal(msg)
		}
		again, err := walkLocated(iotest.OneByteReader(bytes.NewReader(data)), lim)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := offsetList(parts), offsetList(again); a != b {
			t.Fatalf("chunking changes the offsets:\n%s\n%s", a, b)
		}
	})
}
