package mime

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	stdqp "mime/quotedprintable"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newQP(r io.Reader) teDefectReader { return NewQuotedPrintableReader(r) }

var qpSpaces = strings.Repeat(" ", 2000)

var qpReaderTests = []struct {
	name    string
	in      string
	want    string
	defects []string // substrings of the details, in order
}{
	{"empty", "", "", nil},
	{"plain", "hello, world", "hello, world", nil},
	// RFC 2045 6.7, the example after rule 5.
	{"RFC 2045 soft breaks", "Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.",
		"Now's the time for all folk to come to the aid of their country.", nil},
	{"soft breaks LF", "Now's the time =\nfor all folk to come=\n to the aid of their country.",
		"Now's the time for all folk to come to the aid of their country.", nil},
	{"escapes", "caf=C3=A9 =3D =00=FF", "café = \x00\xff", nil},
	{"lower-case escapes", "caf=c3=a9 =3d", "café =", nil},
	{"CRLF kept", "a\r\nb\r\n", "a\r\nb\r\n", nil},
	{"LF kept", "a\nb\n", "a\nb\n", nil},
	{"mixed line breaks kept", "a\r\nb\nc\rd", "a\r\nb\nc\rd", nil},
	{"escaped line breaks", "a=0D=0Ab", "a\r\nb", nil},
	{"8-bit passed through", "caf\xe9\x01", "caf\xe9\x01", nil},

	// Rule 3: trailing white space is deleted.
	{"trailing spaces CRLF", "a  \r\nb", "a\r\nb", nil},
	{"trailing tab and space LF", "a \t\nb", "a\nb", nil},
	{"trailing space at end", "a \t ", "a", nil},
	{"white space only lines", "  \r\n\t\n", "\r\n\n", nil},
	{"inner white space kept", "a b\t c", "a b\t c", nil},
	{"white space before =", "a =\r\nb", "a b", nil},
	{"white space before escape", "a =20\r\n", "a  \r\n", nil},
	{"white space before bare CR kept", "a \rb", "a \rb", nil},
	{"white space before CR at end kept", "a \r", "a \r", nil},

	// Soft breaks.
	{"soft break with transport padding", "a= \t\r\nb", "ab", nil},
	{"soft break with padding LF", "a=  \nb", "ab", nil},
	{"soft break with bare CR", "a=\rb", "ab", nil},
	{"= at end", "abc=", "abc", nil},
	{"= and white space at end", "abc= \t", "abc", nil},
	{"= and CR at end", "abc=\r", "abc", nil},
	{"only =", "=", "", nil},
	{"soft break at end", "abc=\r\n", "abc", nil},

	// RFC 2045 6.7 note (2): malformed "=" kept literally.
	{"invalid hex", "a=ZZb", "a=ZZb", []string{`invalid escape "=Z" at offset 1`}},
	{"invalid second digit", "=4g", "=4g", []string{`"=4g"`}},
	{"one digit at end", "a=4", "a=4", []string{`"=4"`}},
	{"double =", "a==41", "a=A", []string{`"==" at offset 1`}},
	{"= then white space then text", "a= b", "a= b", []string{`"= " at offset 1`}},
	{"= then white space then bare CR", "a= \rb", "ab", nil},
	{"recorded once", "=ZZ=YY", "=ZZ=YY", []string{`"=Z" at offset 0`}},

	// Bounded lookahead.
	{"long white space run kept", qpSpaces + "x", qpSpaces + "x", nil},
	{"long trailing run", qpSpaces + "\r\nx", qpSpaces[:qpMaxWhiteSpace] + "\r\nx", nil},
	{"long run at end", qpSpaces, qpSpaces[:qpMaxWhiteSpace], nil},
	{"= then long run", "=" + qpSpaces + "\r\nx", "=" + qpSpaces[:qpMaxWhiteSpace] + "\r\nx", []string{"invalid escape"}},
	{"= then bounded run", "=" + qpSpaces[:qpMaxWhiteSpace] + "\r\nx", "x", nil},
}

func TestQuotedPrintableReader(t *testing.T) {
	for _, tt := range qpReaderTests {
		t.Run(tt.name, func(t *testing.T) {
			got, defects := teCheckChunking(t, newQP, []byte(tt.in))
			assert.Equal(t, tt.want, string(got))
			require.Len(t, defects, len(tt.defects), "%v", defects)
			for i, d := range defects {
				assert.Equal(t, DefectInvalidQuotedPrintable, d.Kind)
				assert.Contains(t, d.Detail, tt.defects[i])
			}
		})
	}
}

func TestQuotedPrintableReaderError(t *testing.T) {
	boom := io.ErrClosedPipe
	r := NewQuotedPrintableReader(&teFailingReader{data: []byte("ab=41 "), err: boom})
	got, err := io.ReadAll(r)
	assert.Equal(t, "abA", string(got))
	assert.ErrorIs(t, err, boom)
}

func TestQuotedPrintableWriter(t *testing.T) {
	x74 := strings.Repeat("x", 74)
	x75 := strings.Repeat("x", 75)
	tests := []struct {
		name   string
		binary bool
		in     string
		want   string
	}{
		{"empty", false, "", ""},
		{"plain", false, "hello", "hello"},
		{"LF to CRLF", false, "a\nb\n", "a\r\nb\r\n"},
		{"CRLF kept", false, "a\r\nb\r\n", "a\r\nb\r\n"},
		{"bare CR escaped", false, "a\rb\r", "a=0Db=0D"},
		{"CR before CRLF", false, "a\r\r\nb", "a=0D\r\nb"},
		{"escapes", false, "café = ok", "caf=C3=A9 =3D ok"},
		{"controls", false, "\x00\x1b\x7f", "=00=1B=7F"},
		{"tab kept inside", false, "a\tb", "a\tb"},
		{"trailing space before break", false, "a \nb", "a=20\r\nb"},
		{"trailing tab at end", false, "a\t", "a=09"},
		{"only spaces", false, "  \n", " =20\r\n"},
		{"dot at line start", false, ".\n.x\na.b", "=2E\r\n=2Ex\r\na.b"},
		{"From at line start", false, "From me\nx From y\nFrom\nFromage", "=46rom me\r\nx From y\r\nFrom\r\nFromage"},
		{"From and trailing space", false, "From ", "=46rom=20"},
		{"binary line breaks", true, "a\r\nb\nc", "a=0D=0Ab=0Ac"},
		{"binary text", true, "From x. =", "=46rom x. =3D"},
		{"long line", false, strings.Repeat("x", 100), x75 + "=\r\n" + strings.Repeat("x", 25)},
		{"line of 76", false, x75 + "y\n", x75 + "=\r\ny\r\n"},
		{"escape does not fit", false, x74 + "é", x74 + "=\r\n=C3=A9"},
		{"escaped space does not fit", false, x74 + " \n", x74 + "=\r\n=20\r\n"},
		{"escaped space fits", false, x74[:73] + " \n", x74[:73] + "=20\r\n"},
		{"space before soft break kept", false, x74 + " y", x74 + " =\r\ny"},
		{"dot after soft break", false, x75 + ".", x75 + "=\r\n=2E"},
		{"From after soft break", false, x75 + "From x", x75 + "=\r\n=46rom x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newW := func(w io.Writer) io.WriteCloser { return NewQuotedPrintableWriter(w, tt.binary) }
			for _, chunk := range []int{0, 1, 2, 3, 7} {
				got := teEncodeAll(t, newW, []byte(tt.in), chunk)
				require.Equal(t, tt.want, string(got), "chunk %d", chunk)
			}
			checkQPOutput(t, []byte(tt.want))
		})
	}
}

// checkQPOutput checks the form of encoder output: CRLF line breaks, lines
// of at most 76 characters, only printable US-ASCII, SPACE and TAB, no
// white space at the end of a line, and no line starting with "." or
// "From ".
func checkQPOutput(t testing.TB, out []byte) {
	t.Helper()
	for _, l := range teSplitCRLF(t, out) {
		require.LessOrEqual(t, len(l), qpLineMax, "line %q", l)
		for i := range len(l) {
			if c := l[i]; c != ' ' && c != '\t' && (c <= ' ' || c >= 0x7f) {
				t.Fatalf("octet %#x in %q", c, l)
			}
		}
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			t.Fatalf("trailing white space in %q", l)
		}
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "From ") {
			t.Fatalf("line %q", l)
		}
	}
}

// qpCanonicalText is what the text-mode encoder gives back after decoding:
// each LF not preceded by CR becomes CRLF.
func qpCanonicalText(in []byte) []byte {
	var b bytes.Buffer
	for i, c := range in {
		if c == '\n' && (i == 0 || in[i-1] != '\r') {
			b.WriteByte('\r')
		}
		b.WriteByte(c)
	}
	return b.Bytes()
}

// checkQPRoundTrip encodes data, checks the output, decodes it with this
// package's and the standard library's readers and compares.
func checkQPRoundTrip(t testing.TB, data []byte, binary bool, chunk int) {
	t.Helper()
	newW := func(w io.Writer) io.WriteCloser { return NewQuotedPrintableWriter(w, binary) }
	out := teEncodeAll(t, newW, data, chunk)
	require.Equal(t, teEncodeAll(t, newW, data, 0), out, "output depends on chunking")
	checkQPOutput(t, out)
	want := append([]byte{}, data...)
	if !binary {
		want = append([]byte{}, qpCanonicalText(data)...)
	}
	got, defects := teDecodeAll(t, newQP, out)
	require.Equal(t, want, got, "encoded: %q", out)
	require.Empty(t, defects)
	std, err := io.ReadAll(stdqp.NewReader(bytes.NewReader(out)))
	require.NoError(t, err)
	require.Equal(t, want, std, "standard library decoding %q", out)
}

// qpRandomText returns text made of words, punctuation, 8-bit octets, white
// space and line breaks of every kind, with "From " and "." in places.
func qpRandomText(rng *rand.Rand, n int) []byte {
	pieces := []string{"word", "From ", ".", " ", "  ", "\t", "\n", "\r\n", "\r", "=", "é", "\xff", "\x00",
		"x", "longerword", "F", "rom", "=3D", "\r\r\n"}
	var b bytes.Buffer
	for b.Len() < n {
		if rng.IntN(10) == 0 {
			b.WriteString(strings.Repeat("y", rng.IntN(200)))
		}
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.Bytes()
}

func TestQuotedPrintableRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		text := qpRandomText(rng, rng.IntN(2000))
		checkQPRoundTrip(t, text, false, rng.IntN(100))
		checkQPRoundTrip(t, text, true, rng.IntN(100))
		data := make([]byte, rng.IntN(2000))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		checkQPRoundTrip(t, data, true, rng.IntN(100))
		checkQPRoundTrip(t, data, false, rng.IntN(100))
	}
}

func TestQuotedPrintableWriterErrors(t *testing.T) {
	w := NewQuotedPrintableWriter(io.Discard, false)
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "second Close")
	_, err := w.Write([]byte("x"))
	require.ErrorIs(t, err, errTransferWriteAfterClose)

	boom := io.ErrShortWrite
	w = NewQuotedPrintableWriter(teErrWriter{boom}, false)
	_, err = w.Write(bytes.Repeat([]byte("xx\n"), 5000))
	require.ErrorIs(t, err, boom)
	_, err = w.Write([]byte("x"))
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, w.Close(), boom)

	w = NewQuotedPrintableWriter(teErrWriter{boom}, false)
	_, err = w.Write([]byte("x\n"))
	require.NoError(t, err, "buffered")
	require.ErrorIs(t, w.Close(), boom)
}

// qpStdAccepts reports whether the standard library's reader decodes in
// without error, and in has no CR outside CRLF and no run of white space
// longer than qpMaxWhiteSpace: the cases where its reading and this
// package's must agree.
func qpStdAccepts(in []byte) ([]byte, bool) {
	run := 0
	for i, c := range in {
		if c == '\r' && (i+1 == len(in) || in[i+1] != '\n') {
			return nil, false
		}
		if c == ' ' || c == '\t' {
			run++
			if run > qpMaxWhiteSpace {
				return nil, false
			}
		} else {
			run = 0
		}
	}
	out, err := io.ReadAll(stdqp.NewReader(bytes.NewReader(in)))
	return out, err == nil
}

func FuzzQuotedPrintableReader(f *testing.F) {
	for _, tt := range qpReaderTests {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, defects := teFuzzChunking(t, newQP, in)
		require.LessOrEqual(t, len(got), len(in))
		require.LessOrEqual(t, len(defects), 1)
		if want, ok := qpStdAccepts(in); ok {
			require.Equal(t, want, got)
		}
	})
}

func FuzzQuotedPrintableRoundTrip(f *testing.F) {
	for _, tt := range qpReaderTests {
		f.Add([]byte(tt.want), false, 1)
		f.Add([]byte(tt.want), true, 3)
	}
	f.Add([]byte("From x\n.\n\r\r\n \n\t"), false, 0)
	f.Fuzz(func(t *testing.T, data []byte, binary bool, chunk int) {
		checkQPRoundTrip(t, data, binary, chunk%200)
	})
}

// qpBenchText is 1 MiB of mostly ASCII text with some 8-bit characters,
// in lines of varying length.
func qpBenchText() []byte {
	rng := rand.New(rand.NewPCG(9, 10))
	words := []string{"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "café", "naïve",
		"Grüße", "=", "message", "transfer", "encoding"}
	var b bytes.Buffer
	line := 0
	for b.Len() < 1<<20 {
		w := words[rng.IntN(len(words))]
		b.WriteString(w)
		line += len(w) + 1
		if line > 40+rng.IntN(100) {
			b.WriteString("\r\n")
			line = 0
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:1<<20]
}

// BenchmarkQuotedPrintableReader decodes 1 MiB of text; MB/s counts
// decoded octets.
func BenchmarkQuotedPrintableReader(b *testing.B) {
	var enc bytes.Buffer
	w := NewQuotedPrintableWriter(&enc, false)
	w.Write(qpBenchText())
	w.Close()
	buf := make([]byte, 32<<10)
	src := bytes.NewReader(enc.Bytes())
	d := NewDecoder("quoted-printable", src)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(enc.Bytes())
		d.Reset("quoted-printable", src)
		teDrainReader(b, d, buf)
	}
}

// BenchmarkQuotedPrintableWriter encodes 1 MiB of text in 32 KiB writes.
func BenchmarkQuotedPrintableWriter(b *testing.B) {
	data := qpBenchText()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewQuotedPrintableWriter(io.Discard, false)
		for p := data; len(p) > 0; p = p[32<<10:] {
			w.Write(p[:32<<10])
		}
		w.Close()
	}
}

// TestQPStopIn checks the eight-octet test of the decoder's fast path
// against qpStop, for every octet at every place among others.
func TestQPStopIn(t *testing.T) {
	for _, fill := range []byte{'a', 0x00, 0xff, '=' + 1, '\n' - 1, 0x80} {
		for pos := range 8 {
			for c := range 256 {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				want := qpStop[c] || qpStop[fill]
				require.Equal(t, want, qpStopIn(binary.LittleEndian.Uint64(b[:])), "octet %#x at %d among %#x", c, pos, fill)
			}
		}
	}
}
