package mime

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newUU(r io.Reader) teDefectReader { return NewUUDecodeReader(r) }

// uuEncodeForTest encodes data as the uuencode utility does, with "`" for zero,
// lines of 45 octets ended by nl, and a begin and end line.
func uuEncodeForTest(data []byte, nl string) string {
	enc := func(v byte) byte {
		if v == 0 {
			return '`'
		}
		return v + ' '
	}
	var b strings.Builder
	b.WriteString("begin 644 file.bin" + nl)
	for len(data) > 0 {
		k := min(45, len(data))
		line := data[:k]
		data = data[k:]
		b.WriteByte(enc(byte(k)))
		for i := 0; i < len(line); i += 3 {
			var q [3]byte
			copy(q[:], line[i:])
			x := uint32(q[0])<<16 | uint32(q[1])<<8 | uint32(q[2])
			b.WriteByte(enc(byte(x >> 18 & 63)))
			b.WriteByte(enc(byte(x >> 12 & 63)))
			b.WriteByte(enc(byte(x >> 6 & 63)))
			b.WriteByte(enc(byte(x & 63)))
		}
		b.WriteString(nl)
	}
	b.WriteString("`" + nl + "end" + nl)
	return b.String()
}

var uuLongPrelude = strings.Repeat("some text before the data\r\n", uuMaxPrelude/27+1)

var uuReaderTests = []struct {
	name    string
	in      string
	want    string
	defects []string // substrings of the details, in order
}{
	{"standard", "begin 644 abc.txt\n#86)C\n`\nend\n", "abc", nil},
	{"CRLF", "begin 644 abc.txt\r\n#86)C\r\n`\r\nend\r\n", "abc", nil},
	{"CR", "begin 644 abc.txt\r#86)C\r`\rend\r", "abc", nil},
	{"text before and after", "Here it is:\r\n\r\nbegin 600 a\r\n#86)C\r\nend\r\n-- \r\nsig\r\n", "abc", nil},
	{"no name", "begin 644\n#86)C\nend", "abc", nil},
	{"invalid mode skipped", "begin abc x\nbegin 644 y\n#86)C\nend", "abc", nil},
	{"space for zero", "begin 644 x\n#86)C\n \nend", "abc", nil},
	{"end with white space", "begin 644 x\n#86)C\n \t end \t\nM86)C\n", "abc", nil},
	{"blank line skipped", "begin 644 x\n#86)C\n\n#86)C\nend\n", "abcabc", nil},
	{"white space line skipped", "begin 644 x\n#86)C\n\t\n#86)C\nend\n", "abcabc", nil},
	{"trailing garbage ignored", "begin 644 x\n#86)Cxyz!\nend\n", "abc", nil},
	{"short line zero-filled", "begin 644 x\n#86\nend\n", "a`\x00", nil},
	{"length only", "begin 644 x\n!\nend\n", "\x00", nil},
	{"no end line", "begin 644 x\n#86)C\n", "abc", []string{"no end line"}},
	{"no end line, no line break", "begin 644 x\n#86)C", "abc", []string{"no end line"}},
	{"begin at end", "begin 644 x", "", []string{"no end line"}},
	{"invalid character", "begin 644 x\n#8\x016)C\nend\n", "`\x05\x89", []string{"invalid character 0x01"}},
	{"no begin line", "just text\r\nend\r\n", "just text\r\nend\r\n", []string{"no begin line"}},
	{"two qpSpaces after begin", "begin  644 x\n#86)C\nend\n", "begin  644 x\n#86)C\nend\n", []string{"no begin line"}},
	{"empty", "", "", []string{"no begin line"}},
	{"long prelude", uuLongPrelude + "begin 644 x\n#86)C\nend\n", uuLongPrelude + "begin 644 x\n#86)C\nend\n",
		[]string{"no begin line in the first 65536 octets"}},
	{"long line", "begin 644 x\n#86)C" + strings.Repeat("`", 5000) + "\nend\n", "abc", nil},
}

func TestUUDecodeReader(t *testing.T) {
	for _, tt := range uuReaderTests {
		t.Run(tt.name, func(t *testing.T) {
			got, defects := teCheckChunking(t, newUU, []byte(tt.in))
			assert.Equal(t, tt.want, string(got))
			require.Len(t, defects, len(tt.defects), "%v", defects)
			for i, d := range defects {
				assert.Equal(t, DefectInvalidUUEncode, d.Kind)
				assert.Contains(t, d.Detail, tt.defects[i])
			}
		})
	}
}

func TestUUDecodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 100 {
		data := make([]byte, rng.IntN(3000))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		enc := uuEncodeForTest(data, []string{"\n", "\r\n", "\r"}[rng.IntN(3)])
		got, defects := teCheckChunking(t, newUU, []byte(enc))
		require.Equal(t, data, got)
		require.Empty(t, defects)
	}
}

func TestUUDecodeReaderError(t *testing.T) {
	boom := io.ErrClosedPipe
	r := NewUUDecodeReader(&teFailingReader{data: []byte("begin 644 x\n#86)C\n"), err: boom})
	got, err := io.ReadAll(r)
	assert.Equal(t, "abc", string(got))
	assert.ErrorIs(t, err, boom)
}

func FuzzUUDecode(f *testing.F) {
	for _, tt := range uuReaderTests {
		if len(tt.in) < 1000 {
			f.Add([]byte(tt.in))
		}
	}
	f.Add([]byte(uuEncodeForTest([]byte("any carnal pleasure"), "\r\n")))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, defects := teFuzzChunking(t, newUU, in)
		require.LessOrEqual(t, len(defects), 3)
		// Each line gives at most 63 octets; without a begin line the
		// input comes back as it is.
		lines := bytes.Count(in, []byte("\n")) + bytes.Count(in, []byte("\r")) + 1
		require.LessOrEqual(t, len(got), max(len(in), 63*lines))
		if !bytes.Contains(in, []byte("begin ")) {
			require.Equal(t, in, got)
		}
	})
}

// BenchmarkUUDecodeReader decodes 1 MiB of data; MB/s counts decoded
// octets.
func BenchmarkUUDecodeReader(b *testing.B) {
	enc := []byte(uuEncodeForTest(teBenchPayload(), "\r\n"))
	buf := make([]byte, 32<<10)
	src := bytes.NewReader(enc)
	d := NewDecoder("x-uuencode", src)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(enc)
		d.Reset("x-uuencode", src)
		teDrainReader(b, d, buf)
	}
}
