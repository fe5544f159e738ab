package mime

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newB64(r io.Reader) teDefectReader { return NewBase64Reader(r) }

var base64ReaderTests = []struct {
	name    string
	in      string
	want    string
	defects []string // substrings of the details, in order
}{
	// RFC 4648 10. test vectors.
	{"empty", "", "", nil},
	{"f", "Zg==", "f", nil},
	{"fo", "Zm8=", "fo", nil},
	{"foo", "Zm9v", "foo", nil},
	{"foob", "Zm9vYg==", "foob", nil},
	{"fooba", "Zm9vYmE=", "fooba", nil},
	{"foobar", "Zm9vYmFy", "foobar", nil},

	{"CRLF lines", "Zm9v\r\nYmFy\r\n", "foobar", nil},
	{"LF lines", "Zm9v\nYmFy\n", "foobar", nil},
	{"white space", " Zm 9v\tYm\vFy\f ", "foobar", nil},
	{"only white space", " \r\n\t\r\n", "", nil},
	{"padding then line break", "Zg==\r\n", "f", nil},
	{"padding then white space", "Zg==\r\n \t\r\n", "f", nil},
	{"non-zero unused bits", "Zh==", "f", nil},

	{"missing padding 2", "Zm9vYg", "foob", []string{"missing padding"}},
	{"missing padding 3", "Zm9vYmE", "fooba", []string{"missing padding"}},
	{"half padding", "Zg=", "f", []string{"missing padding"}},
	{"half padding then line break", "Zg=\r\n", "f", []string{"missing padding"}},
	{"one character left", "Zm9vY", "foo", []string{"final quantum of one character dropped"}},
	{"one character and padding", "Zm9vY===", "foo", []string{"stray padding", "final quantum of one character dropped"}},
	{"junk", "Zm9v*YmFy", "foobar", []string{`invalid character '*' at offset 4`}},
	{"junk recorded once", "Zm9v*Ym*Fy", "foobar", []string{`invalid character '*' at offset 4`}},
	{"8-bit junk", "Zm9v\xffYmFy", "foobar", []string{`invalid character 0xFF at offset 4`}},
	{"data after padding", "Zg==Zm9v", "f", []string{"data after padding at offset 4"}},
	{"data after padding on next line", "Zg==\r\nfooter text\r\n", "f", []string{"data after padding at offset 6"}},
	{"extra padding", "Zg===", "f", []string{"data after padding"}},
	{"leading padding", "=Zm9v", "foo", []string{"stray padding at offset 0"}},
	{"only padding", "====", "", []string{"stray padding"}},
	{"padding inside a quantum", "Zm=9v", "foo", []string{"stray padding before offset 3"}},
	{"CPython: pad, data, pad", "QUJDRA=QQ==", "ABCD\x04\x10", []string{"stray padding"}},
	{"junk inside padding", "Zg=*=Zm9v", "f", []string{"invalid character '*'", "data after padding"}},
	{"several problems", "Zm9v*Y", "foo", []string{"invalid character", "final quantum"}},
}

func TestBase64Reader(t *testing.T) {
	for _, tt := range base64ReaderTests {
		t.Run(tt.name, func(t *testing.T) {
			got, defects := teCheckChunking(t, newB64, []byte(tt.in))
			assert.Equal(t, tt.want, string(got))
			require.Len(t, defects, len(tt.defects), "%v", defects)
			for i, d := range defects {
				assert.Equal(t, DefectInvalidBase64, d.Kind)
				assert.Contains(t, d.Detail, tt.defects[i])
			}
		})
	}
}

func TestBase64ReaderMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		data := make([]byte, rng.IntN(3000))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		enc := base64.StdEncoding.EncodeToString(data)
		// Wrap at an arbitrary width with CRLF or LF.
		width := 1 + rng.IntN(100)
		nl := []string{"\r\n", "\n"}[rng.IntN(2)]
		var b strings.Builder
		for i := 0; i < len(enc); i += width {
			b.WriteString(enc[i:min(i+width, len(enc))])
			b.WriteString(nl)
		}
		got, defects := teCheckChunking(t, newB64, []byte(b.String()))
		require.Equal(t, data, got)
		require.Empty(t, defects)
	}
}

func TestBase64ReaderStopsReadingAtEnd(t *testing.T) {
	// After the end of input has been reported, Read keeps reporting it.
	r := NewBase64Reader(strings.NewReader("Zm9v"))
	_, err := io.ReadAll(r)
	require.NoError(t, err)
	n, err := r.Read(make([]byte, 10))
	assert.Equal(t, 0, n)
	assert.Equal(t, io.EOF, err)
	assert.Nil(t, r.Defects())
	// Reading into an empty buffer is a no-op.
	n, err = NewBase64Reader(strings.NewReader("Zm9v")).Read(nil)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
}

func TestBase64ReaderError(t *testing.T) {
	boom := io.ErrClosedPipe
	r := NewBase64Reader(&teFailingReader{data: []byte("Zm9vYmFy"), err: boom})
	got, err := io.ReadAll(r)
	assert.Equal(t, "foobar", string(got))
	assert.ErrorIs(t, err, boom)
}

func TestBase64Writer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"f", "Zg==\r\n"},
		{"fo", "Zm8=\r\n"},
		{"foo", "Zm9v\r\n"},
		{"foob", "Zm9vYg==\r\n"},
		{"fooba", "Zm9vYmE=\r\n"},
		{"foobar", "Zm9vYmFy\r\n"},
		{strings.Repeat("a", 57), strings.Repeat("YWFh", 19) + "\r\n"},
		{strings.Repeat("a", 58), strings.Repeat("YWFh", 19) + "\r\nYQ==\r\n"},
		{strings.Repeat("a", 114), strings.Repeat("YWFh", 19) + "\r\n" + strings.Repeat("YWFh", 19) + "\r\n"},
	}
	for _, tt := range tests {
		for _, chunk := range []int{0, 1, 2, 5, 56, 57} {
			got := teEncodeAll(t, NewBase64Writer, []byte(tt.in), chunk)
			assert.Equal(t, tt.want, string(got), "input %q chunk %d", tt.in, chunk)
		}
	}
}

// wrapBase64 is the expected writer output: standard base64 in lines of 76
// characters, each ended by CRLF.
func wrapBase64(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for i := 0; i < len(enc); i += 76 {
		b.WriteString(enc[i:min(i+76, len(enc))])
		b.WriteString("\r\n")
	}
	return b.String()
}

func TestBase64WriterRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		data := make([]byte, rng.IntN(5000))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		out := teEncodeAll(t, NewBase64Writer, data, rng.IntN(200))
		require.Equal(t, wrapBase64(data), string(out))
		lines := teSplitCRLF(t, out)
		for _, l := range lines {
			require.LessOrEqual(t, len(l), 76)
		}
		got, defects := teDecodeAll(t, newB64, out)
		require.Equal(t, data, got)
		require.Empty(t, defects)
	}
}

func TestBase64WriterErrors(t *testing.T) {
	w := NewBase64Writer(io.Discard)
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "second Close")
	_, err := w.Write([]byte("x"))
	require.ErrorIs(t, err, errTransferWriteAfterClose)

	boom := io.ErrShortWrite
	w = NewBase64Writer(teErrWriter{boom})
	_, err = w.Write(bytes.Repeat([]byte("x"), 10000))
	require.ErrorIs(t, err, boom)
	_, err = w.Write([]byte("x"))
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, w.Close(), boom)

	w = NewBase64Writer(teErrWriter{boom})
	_, err = w.Write([]byte("xy"))
	require.NoError(t, err, "buffered")
	require.ErrorIs(t, w.Close(), boom)
}

func FuzzBase64Reader(f *testing.F) {
	for _, tt := range base64ReaderTests {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte(wrapBase64([]byte("any carnal pleasure."))))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, defects := teFuzzChunking(t, newB64, in)
		require.LessOrEqual(t, len(defects), 5)
		require.LessOrEqual(t, len(got), len(in)*3/4)
		// Valid base64, with line breaks anywhere, decodes as the standard
		// library decodes it, without defects.
		stripped := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, in)
		if want, err := base64.StdEncoding.DecodeString(string(stripped)); err == nil {
			require.Equal(t, want, got)
			require.Empty(t, defects)
		}
	})
}

func FuzzBase64RoundTrip(f *testing.F) {
	f.Add([]byte(""), 0)
	f.Add([]byte("foobar"), 1)
	f.Add(bytes.Repeat([]byte{0xff, 0, 'x'}, 40), 7)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		out := teEncodeAll(t, NewBase64Writer, data, chunk%300)
		require.Equal(t, wrapBase64(data), string(out))
		got, defects := teDecodeAll(t, newB64, out)
		require.Equal(t, data, got)
		require.Empty(t, defects)
	})
}

// teBenchPayload is 1 MiB of pseudo-random octets.
func teBenchPayload() []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	return data
}

// teDrainReader reads r to the end through a 32 KiB buffer, as a caller
// copying a body would.
func teDrainReader(b *testing.B, r io.Reader, buf []byte) {
	for {
		_, err := r.Read(buf)
		if err == io.EOF {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBase64Reader decodes 1 MiB of data (about 1.38 MB of base64 in
// CRLF lines of 76); MB/s counts decoded octets.
func BenchmarkBase64Reader(b *testing.B) {
	enc := []byte(wrapBase64(teBenchPayload()))
	buf := make([]byte, 32<<10)
	src := bytes.NewReader(enc)
	d := NewDecoder("base64", src)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(enc)
		d.Reset("base64", src)
		teDrainReader(b, d, buf)
	}
}

// BenchmarkBase64Writer encodes 1 MiB of data in 32 KiB writes.
func BenchmarkBase64Writer(b *testing.B) {
	data := teBenchPayload()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewBase64Writer(io.Discard)
		for p := data; len(p) > 0; p = p[32<<10:] {
			w.Write(p[:32<<10])
		}
		w.Close()
	}
}
