package dotstuff

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll drains a Reader over wire and reports the body, the error and
// the bytes left in the stream after it.
func readAll(t testing.TB, wire string, max int64, oneByte bool) (string, error, string) {
	var src io.Reader = strings.NewReader(wire)
	if oneByte {
		src = iotest.OneByteReader(src)
	}
	br := bufio.NewReaderSize(src, 16)
	r := NewReader(br, max)
	var body bytes.Buffer
	buf := make([]byte, 7)
	if oneByte {
		buf = buf[:1]
	}
	var err error
	for {
		var n int
		n, err = r.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	rest, _ := io.ReadAll(br)
	return body.String(), err, string(rest)
}

var readerTests = []struct {
	name, wire, body string
	max              int64
	err              error
	rest             string
}{
	{"empty", ".\r\n", "", 0, nil, ""},
	{"one line", "Hello\r\n.\r\nQUIT\r\n", "Hello\r\n", 0, nil, "QUIT\r\n"},
	{"stuffed", "..x\r\n.\r\n", ".x\r\n", 0, nil, ""},
	{"double dot line", "..\r\n.\r\n", ".\r\n", 0, nil, ""},
	{"dot in middle", "a.b\r\n.a\r\n.\r\n", "a.b\r\na\r\n", 0, nil, ""},
	{"empty lines", "\r\n\r\n.\r\n", "\r\n\r\n", 0, nil, ""},
	{"RFC 5321 D.1", "Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\nQUIT\r\n",
		"Blah blah blah...\r\n..etc. etc. etc.\r\n", 0, nil, "QUIT\r\n"},
	{"smuggle LF.LF", "a\n.\nMAIL FROM:<x>\r\n.\r\nQUIT\r\n", "a", 0, ErrBareLineEnding, "QUIT\r\n"},
	{"smuggle CR.CR", "a\r.\rMAIL FROM:<x>\r\n.\r\nQUIT\r\n", "a", 0, ErrBareLineEnding, "QUIT\r\n"},
	{"smuggle LF.CRLF", "a\n.\r\nMAIL\r\n.\r\n", "a", 0, ErrBareLineEnding, ""},
	{"smuggle CRLF.LF", "a\r\n.\nMAIL\r\n.\r\n", "a\r\n", 0, ErrBareLineEnding, ""},
	{"smuggle CRLF.CR", "a\r\n.\rMAIL\r\n.\r\n", "a\r\n", 0, ErrBareLineEnding, ""},
	{"bare LF at start", "\n.\r\n.\r\n", "", 0, ErrBareLineEnding, ""},
	{"smuggle only", "a\n.\n", "a", 0, io.ErrUnexpectedEOF, ""},
	{"bare CR in line", "a\rb\r\nc\r\n.\r\n", "a", 0, ErrBareLineEnding, ""},
	{"too large", "0123456789\r\n.\r\nQUIT\r\n", "0123456789\r\n", 5, ErrTooLarge, "QUIT\r\n"},
	{"exact limit", "abc\r\n.\r\n", "abc\r\n", 5, nil, ""},
	{"eof", "abc\r\n", "abc\r\n", 0, io.ErrUnexpectedEOF, ""},
	{"eof after dot", "abc\r\n.\r", "abc\r\n", 0, io.ErrUnexpectedEOF, ""},
	{"long line", strings.Repeat("x", 999) + "\r\n.\r\n", strings.Repeat("x", 999) + "\r\n", 0, ErrLineTooLong, ""},
	{"max line", strings.Repeat("x", 998) + "\r\n.\r\n", strings.Repeat("x", 998) + "\r\n", 0, nil, ""},
}

func TestReader(t *testing.T) {
	for _, tt := range readerTests {
		for _, one := range []bool{false, true} {
			body, err, rest := readAll(t, tt.wire, tt.max, one)
			if tt.err == nil {
				assert.NoError(t, err, tt.name)
			} else {
				assert.ErrorIs(t, err, tt.err, tt.name)
			}
			if tt.err != ErrBareLineEnding && tt.err != ErrTooLarge && tt.err != io.ErrUnexpectedEOF {
				assert.Equal(t, tt.body, body, tt.name)
			} else {
				// Nothing past the fault is ever delivered.
				assert.True(t, strings.HasPrefix(tt.body, body), "%s: %q", tt.name, body)
				if tt.max > 0 {
					assert.LessOrEqual(t, int64(len(body)), tt.max)
				}
			}
			assert.Equal(t, tt.rest, rest, tt.name)
		}
	}
}

func TestReaderErrorSticks(t *testing.T) {
	r := NewReader(bufio.NewReader(strings.NewReader("a\n\r\n.\r\n")), 0)
	_, err := io.ReadAll(r)
	require.ErrorIs(t, err, ErrBareLineEnding)
	_, err = r.Read(make([]byte, 4))
	assert.ErrorIs(t, err, ErrBareLineEnding)
}

func TestReaderCRLFAcrossOneByteBuffer(t *testing.T) {
	r := NewReader(bufio.NewReader(strings.NewReader("ab\r\ncd\r\n.\r\n")), 0)
	var out bytes.Buffer
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, "ab\r\ncd\r\n", out.String())
}

var writerTests = []struct{ in, wire string }{
	{"", ".\r\n"},
	{"Hello\r\n", "Hello\r\n.\r\n"},
	{"Hello", "Hello\r\n.\r\n"},
	{".", "..\r\n.\r\n"},
	{".\r\n", "..\r\n.\r\n"},
	{"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},
	{"a\r.\rb", "a\r\n..\r\nb\r\n.\r\n"},
	{"a\r\r\nb\r", "a\r\n\r\nb\r\n.\r\n"},
	{"\n\n", "\r\n\r\n.\r\n"},
	{"x.y\r\n..z", "x.y\r\n...z\r\n.\r\n"},
}

func TestWriter(t *testing.T) {
	for _, tt := range writerTests {
		for _, size := range []int{1, 2, 3, 1 << 20} {
			var out bytes.Buffer
			w := NewWriter(&out)
			for in := tt.in; len(in) > 0; {
				k := min(size, len(in))
				n, err := w.Write([]byte(in[:k]))
				require.NoError(t, err)
				require.Equal(t, k, n)
				in = in[k:]
			}
			require.NoError(t, w.Close())
			assert.Equal(t, tt.wire, out.String(), "%q size %d", tt.in, size)
			_, err := w.Write([]byte("x"))
			assert.ErrorIs(t, err, ErrClosed)
		}
	}
}

// normalise turns every line ending into CRLF and ends the text with one,
// which is what a Writer then Reader give back.
func normalise(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			sb.WriteString("\r\n")
		case '\n':
			sb.WriteString("\r\n")
		default:
			sb.WriteByte(c)
		}
	}
	out := sb.String()
	if out != "" && !strings.HasSuffix(out, "\r\n") {
		out += "\r\n"
	}
	return out
}

func roundTrip(t testing.TB, in []byte) {
	var wire bytes.Buffer
	w := NewWriter(&wire)
	_, err := w.Write(in)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	wire.WriteString("NEXT")
	body, err, rest := readAll(t, wire.String(), 0, false)
	if err == ErrLineTooLong {
		err = nil
	}
	require.NoError(t, err)
	require.Equal(t, normalise(string(in)), body)
	require.Equal(t, "NEXT", rest)
}

func TestRoundTrip(t *testing.T) {
	for _, tt := range writerTests {
		roundTrip(t, []byte(tt.in))
	}
	for _, tt := range readerTests {
		roundTrip(t, []byte(tt.wire))
	}
}

// reference computes, the slow way, where the body ends and whether a
// bare line ending precedes the end.
func reference(wire []byte) (end int, bareAt int) {
	s := append([]byte("\r\n"), wire...)
	i := bytes.Index(s, []byte("\r\n.\r\n"))
	if i < 0 {
		return -1, -1
	}
	end = i + 3 // in wire: i-2+5
	bareAt = -1
	body := wire[:max(i, 0)]
	for k := 0; k < len(body); k++ {
		if body[k] == '\r' && (k+1 >= len(wire) || wire[k+1] != '\n') ||
			body[k] == '\n' && (k == 0 || wire[k-1] != '\r') {
			bareAt = k
			break
		}
	}
	return end, bareAt
}

// unstuff is the slow reference un-stuffing of a body with only CRLF.
func unstuff(b []byte) string {
	lines := strings.Split(string(b), "\r\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, ".")
	}
	return strings.Join(lines, "\r\n")
}

func FuzzReader(f *testing.F) {
	for _, tt := range readerTests {
		f.Add([]byte(tt.wire), int64(tt.max))
	}
	f.Fuzz(func(t *testing.T, wire []byte, max int64) {
		body, err, rest := readAll(t, string(wire), max, false)
		// Chunk boundaries must not matter.
		body1, err1, rest1 := readAll(t, string(wire), max, true)
		require.Equal(t, err, err1)
		require.Equal(t, rest, rest1)
		if err == nil || err == ErrLineTooLong || err == io.ErrUnexpectedEOF {
			require.Equal(t, body, body1)
		}
		end, bareAt := reference(wire)
		if end < 0 {
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			return
		}
		require.Equal(t, string(wire[end:]), rest, "must stop exactly at the terminator")
		if bareAt >= 0 {
			require.ErrorIs(t, err, ErrBareLineEnding)
			// Un-stuffing only shortens, so the body cannot reach past the fault.
			require.LessOrEqual(t, len(body), bareAt)
			return
		}
		if err == nil || err == ErrLineTooLong {
			require.Equal(t, unstuff(wire[:end-3]), body)
			if max > 0 {
				require.LessOrEqual(t, int64(len(body)), max)
			}
		} else {
			require.ErrorIs(t, err, ErrTooLarge)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	for _, tt := range writerTests {
		f.Add([]byte(tt.in))
	}
	for _, tt := range readerTests {
		f.Add([]byte(tt.wire))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		roundTrip(t, in)
	})
}

func benchBody() []byte {
	line := []byte("The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnop\r\n")
	var b bytes.Buffer
	for b.Len() < 1<<20 {
		b.Write(line)
		b.WriteString(".stuffed line\r\n")
	}
	return b.Bytes()
}

func BenchmarkReader(b *testing.B) {
	var wire bytes.Buffer
	w := NewWriter(&wire)
	w.Write(benchBody())
	w.Close()
	data := wire.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	br := bufio.NewReader(nil)
	for b.Loop() {
		br.Reset(bytes.NewReader(data))
		if _, err := io.Copy(io.Discard, NewReader(br, 0)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewWriter(io.Discard)
		w.Write(body)
		w.Close()
	}
}
