package mime

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A teDefectReader is a decoder under test.
type teDefectReader interface {
	io.Reader
	Defects() []Defect
}

// teDecodeAll reads everything from a decoder made by newReader over in and
// returns the output and defects.
func teDecodeAll(t testing.TB, newReader func(io.Reader) teDefectReader, in []byte) ([]byte, []Defect) {
	t.Helper()
	r := newReader(bytes.NewReader(in))
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return out, r.Defects()
}

// teSmallReads reads r into buffers of size bufSize, as a caller with a
// small buffer would.
func teSmallReads(r io.Reader, bufSize int) ([]byte, error) {
	var out bytes.Buffer
	p := make([]byte, bufSize)
	for range 1 << 24 {
		n, err := r.Read(p)
		out.Write(p[:n])
		if err == io.EOF {
			return append([]byte{}, out.Bytes()...), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
	}
	return out.Bytes(), errors.New("no progress")
}

// teCheckChunking decodes in in several ways (one-byte and half reads from
// the source, one-byte and odd-sized reads by the caller, data together
// with io.EOF) and requires the same output and defects from each.
func teCheckChunking(t testing.TB, newReader func(io.Reader) teDefectReader, in []byte) ([]byte, []Defect) {
	t.Helper()
	want, wantDef := teDecodeAll(t, newReader, in)
	sources := map[string]func() io.Reader{
		"one-byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(in)) },
		"data-err": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(in)) },
	}
	for name, src := range sources {
		r := newReader(src())
		got, err := io.ReadAll(r)
		require.NoError(t, err, name)
		require.Equal(t, want, got, "source %s", name)
		require.Equal(t, wantDef, r.Defects(), "source %s", name)
	}
	for _, size := range []int{1, 2, 3, 7, 64} {
		r := newReader(bytes.NewReader(in))
		got, err := teSmallReads(r, size)
		require.NoError(t, err)
		require.Equal(t, want, got, "read size %d", size)
		require.Equal(t, wantDef, r.Defects(), "read size %d", size)
	}
	return want, wantDef
}

// teFuzzChunking is a cheaper teCheckChunking for fuzz targets: it compares a
// plain decoding with one from a one-byte source read three octets at a
// time.
func teFuzzChunking(t *testing.T, newReader func(io.Reader) teDefectReader, in []byte) ([]byte, []Defect) {
	r := newReader(bytes.NewReader(in))
	want, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	r2 := newReader(iotest.OneByteReader(bytes.NewReader(in)))
	got, err := teSmallReads(r2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("chunked reading gives %q, want %q", got, want)
	}
	if !slices.Equal(r.Defects(), r2.Defects()) {
		t.Fatalf("chunked reading gives defects %v, want %v", r2.Defects(), r.Defects())
	}
	return want, r.Defects()
}

// teDefectKinds returns the kinds of ds.
func teDefectKinds(ds []Defect) []DefectKind {
	var k []DefectKind
	for _, d := range ds {
		k = append(k, d.Kind)
	}
	return k
}

// teEncodeAll writes in to an encoder made by newWriter, in chunks of the
// given size (all at once when chunk <= 0), and returns the output.
func teEncodeAll(t testing.TB, newWriter func(io.Writer) io.WriteCloser, in []byte, chunk int) []byte {
	t.Helper()
	var out bytes.Buffer
	w := newWriter(&out)
	if chunk <= 0 {
		chunk = len(in) + 1
	}
	for p := in; len(p) > 0; {
		k := min(chunk, len(p))
		n, err := w.Write(p[:k])
		require.NoError(t, err)
		require.Equal(t, k, n)
		p = p[k:]
	}
	require.NoError(t, w.Close())
	return out.Bytes()
}

// teSplitCRLF splits encoder output into lines, requiring that every line
// break is CRLF. The last element is what follows the last CRLF.
func teSplitCRLF(t testing.TB, out []byte) []string {
	t.Helper()
	s := string(out)
	require.NotContains(t, strings.ReplaceAll(s, "\r\n", ""), "\r", "bare CR in output")
	require.NotContains(t, strings.ReplaceAll(s, "\r\n", ""), "\n", "bare LF in output")
	return strings.Split(s, "\r\n")
}

// teErrWriter fails every write.
type teErrWriter struct{ err error }

func (w teErrWriter) Write([]byte) (int, error) { return 0, w.err }

// teFailingReader returns its data and then a non-EOF error.
type teFailingReader struct {
	data []byte
	err  error
}

func (r *teFailingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestDecoderEncodings(t *testing.T) {
	const b64 = "Zm9vYmFy\r\n"
	const qp = "foo=3Dbar=\r\n"
	const uu = "begin 644 f\n&9F]O8F%R\nend\n"
	tests := []struct {
		cte, in, want, name string
		unknown             bool
	}{
		{"", "raw =3D", "raw =3D", "", false},
		{"7bit", "raw", "raw", "7bit", false},
		{"8BIT", "raw", "raw", "8bit", false},
		{" Binary\t", "raw", "raw", "binary", false},
		{"base64", b64, "foobar", "base64", false},
		{"BASE64", b64, "foobar", "base64", false},
		{"  base64 (as agreed) ", b64, "foobar", "base64", false},
		{"(comment) base64", b64, "foobar", "base64", false},
		{"\r\n base64", b64, "foobar", "base64", false},
		{"Quoted-Printable", qp, "foo=bar", "quoted-printable", false},
		{"quoted-printable              ", qp, "foo=bar", "quoted-printable", false},
		{"x-uuencode", uu, "foobar", "x-uuencode", false},
		{"X-UUE", uu, "foobar", "x-uue", false},
		{"uuencode", uu, "foobar", "uuencode", false},
		{"uue", uu, "foobar", "uue", false},
		{"x-foo", "raw", "raw", "", true},
		{"base9000", b64, b64, "", true},
		{`"8bit"`, "raw", "raw", "", true},
		{"8 bit", "raw", "raw", "", true},
		{"base64; x", b64, b64, "", true},
		{"quoted printable", qp, qp, "", true},
	}
	for _, tt := range tests {
		d := NewDecoder(tt.cte, strings.NewReader(tt.in))
		assert.Equal(t, tt.name, d.Encoding(), "%q", tt.cte)
		got, err := io.ReadAll(d)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(got), "%q", tt.cte)
		if tt.unknown {
			require.Len(t, d.Defects(), 1, "%q", tt.cte)
			assert.Equal(t, DefectUnknownTransferEncoding, d.Defects()[0].Kind)
			assert.Equal(t, teQuoteDetail([]byte(tt.cte)), d.Defects()[0].Detail)
		} else {
			assert.Empty(t, d.Defects(), "%q", tt.cte)
		}
	}
}

func TestDecoderDefects(t *testing.T) {
	d := NewDecoder("base64", strings.NewReader("Zm9v*Y"))
	got, err := io.ReadAll(d)
	require.NoError(t, err)
	assert.Equal(t, "foo", string(got))
	assert.Equal(t, []DefectKind{DefectInvalidBase64, DefectInvalidBase64}, teDefectKinds(d.Defects()))

	d = NewDecoder("x-foo", strings.NewReader("x"))
	assert.Equal(t, `unknown-transfer-encoding: "x-foo"`, d.Defects()[0].String())

	d.Reset("quoted-printable", strings.NewReader("=ZZ"))
	got, err = io.ReadAll(d)
	require.NoError(t, err)
	assert.Equal(t, "=ZZ", string(got))
	assert.Equal(t, []DefectKind{DefectInvalidQuotedPrintable}, teDefectKinds(d.Defects()))

	d.Reset("uue", strings.NewReader("nothing"))
	got, err = io.ReadAll(d)
	require.NoError(t, err)
	assert.Equal(t, "nothing", string(got))
	assert.Equal(t, []DefectKind{DefectInvalidUUEncode}, teDefectKinds(d.Defects()))

	// A long unknown name is truncated in the detail.
	d.Reset(strings.Repeat("x", 1000), strings.NewReader(""))
	assert.Less(t, len(d.Defects()[0].Detail), 100)
}

func TestDecoderChunking(t *testing.T) {
	for _, cte := range []string{"base64", "quoted-printable", "x-uuencode", "7bit", "x-foo"} {
		newD := func(r io.Reader) teDefectReader { return NewDecoder(cte, r) }
		for _, in := range []string{"", "Zm9v\r\nYmFy\r\n", "a=3D \r\nb=\r\nc", "begin 644 x\n#86)C\nend\n", "\x00\xff=\r"} {
			teCheckChunking(t, newD, []byte(in))
		}
	}
}

func TestDecoderReset(t *testing.T) {
	d := NewDecoder("base64", strings.NewReader("Zm9v*"))
	_, err := io.ReadAll(d)
	require.NoError(t, err)
	first := d.Defects()
	require.Len(t, first, 1)
	// Reset starts afresh and does not disturb defects already returned.
	d.Reset("base64", strings.NewReader("Zm9vYmFy"))
	got, err := io.ReadAll(d)
	require.NoError(t, err)
	assert.Equal(t, "foobar", string(got))
	assert.Empty(t, d.Defects())
	assert.Len(t, first, 1)
	// Reset in the middle of a body.
	d.Reset("quoted-printable", strings.NewReader("a=3Db=3Dc"))
	p := make([]byte, 2)
	_, err = d.Read(p)
	require.NoError(t, err)
	d.Reset("base64", strings.NewReader("Zm9v"))
	got, err = io.ReadAll(d)
	require.NoError(t, err)
	assert.Equal(t, "foo", string(got))
	// The zero Decoder, and one without a body, read nothing.
	var zero Decoder
	n, err := zero.Read(p)
	assert.Equal(t, 0, n)
	assert.Equal(t, io.EOF, err)
	for _, cte := range []string{"base64", "quoted-printable", "uue", "7bit"} {
		got, err := io.ReadAll(NewDecoder(cte, nil))
		assert.NoError(t, err, cte)
		if cte == "uue" {
			assert.Empty(t, got)
		}
	}
}

func TestDecoderAllocations(t *testing.T) {
	b64 := []byte(wrapBase64(bytes.Repeat([]byte("some data "), 1000)))
	var qpb bytes.Buffer
	w := NewQuotedPrintableWriter(&qpb, false)
	w.Write(bytes.Repeat([]byte("caf\xc3\xa9 = ok  \n"), 1000))
	w.Close()
	uu := []byte(uuEncodeForTest(bytes.Repeat([]byte("x"), 5000), "\n"))
	buf := make([]byte, 1000)
	src := bytes.NewReader(nil)
	for _, c := range []struct {
		cte string
		in  []byte
	}{{"base64", b64}, {"quoted-printable", qpb.Bytes()}, {"x-uuencode", uu}, {"8bit", b64}} {
		d := NewDecoder(c.cte, src)
		allocs := testing.AllocsPerRun(20, func() {
			src.Reset(c.in)
			d.Reset(c.cte, src)
			for {
				if _, err := d.Read(buf); err != nil {
					break
				}
			}
		})
		assert.Zero(t, allocs, "%s: reused Decoder", c.cte)
		allocs = testing.AllocsPerRun(20, func() {
			src.Reset(c.in)
			d := NewDecoder(c.cte, src)
			for {
				if _, err := d.Read(buf); err != nil {
					break
				}
			}
		})
		assert.Equal(t, 1.0, allocs, "%s: new Decoder", c.cte)
	}
}

func TestNewEncoder(t *testing.T) {
	tests := []struct{ cte, in, want string }{
		{"base64", "foobar", "Zm9vYmFy\r\n"},
		{" Base64 ", "foobar", "Zm9vYmFy\r\n"},
		{"quoted-printable", "a=b \n", "a=3Db=20\r\n"},
		{"7bit", "a\nb", "a\nb"},
		{"8bit", "caf\xc3\xa9", "caf\xc3\xa9"},
		{"BINARY", "\x00\r", "\x00\r"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		w, err := NewEncoder(tt.cte, &out)
		require.NoError(t, err, tt.cte)
		_, err = io.WriteString(w, tt.in)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		assert.Equal(t, tt.want, out.String(), tt.cte)
	}
	for _, cte := range []string{"", "x-uuencode", "x-foo", "base64 x"} {
		w, err := NewEncoder(cte, io.Discard)
		assert.Nil(t, w)
		assert.ErrorIs(t, err, ErrUnsupportedTransferEncoding, "%q", cte)
	}
}

func TestChooseTransferEncoding(t *testing.T) {
	long := strings.Repeat("x", 998)
	tests := []struct {
		name      string
		sample    string
		allow8bit bool
		want      string
	}{
		{"empty", "", false, "7bit"},
		{"ascii", "Hello,\r\nworld.\r\n", false, "7bit"},
		{"LF line breaks", "Hello,\nworld.\n", false, "7bit"},
		{"998-octet line", long + "\r\n" + long, false, "7bit"},
		{"controls are 7bit", "a\x01\x1b\tb", false, "7bit"},
		{"8-bit allowed", "café\r\n", true, "8bit"},
		{"8-bit not allowed", "Grüße aus Köln, and greetings from everybody else here\r\n", false, "quoted-printable"},
		{"8-bit not allowed, dense", "Grüße aus Köln, mit freundlichen Grüßen\r\n", false, "base64"},
		{"999-octet line", long + "x\r\n", false, "quoted-printable"},
		{"999-octet line, 8bit allowed", long + "x", true, "quoted-printable"},
		{"NUL", "a\x00b and more text here", true, "quoted-printable"},
		{"bare CR", "a\rb and more text here", true, "quoted-printable"},
		{"CR at end", "more text here\r", false, "quoted-printable"},
		{"mostly 8-bit", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", false, "base64"},
		{"mostly 8-bit allowed", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", true, "8bit"},
		{"binary", "\x00\x01\x02\xff\xfe", true, "base64"},
		{"one in six", "é....", false, "base64"},
		{"less than one in six", "\xff......", false, "quoted-printable"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ChooseTransferEncoding([]byte(tt.sample), tt.allow8bit), tt.name)
	}
}

// TestBufferBoundaries puts each tricky token of each encoding across the
// end of the decoders' input buffer, where a token is cut in two when the
// source fills the buffer, and checks the result against decoding the
// token on its own.
func TestBufferBoundaries(t *testing.T) {
	tests := []struct {
		cte     string
		filler  string // decodes to itself, one octet each
		suffix  string // appended after the token
		tokens  []string
		prefix  string
		decoded func(n int) string // what n octets of filler decode to
	}{
		{
			cte: "quoted-printable", filler: "x", suffix: "y",
			tokens:  []string{"=41", "=\r\n", "=\n", "= \t\r\n", "  \r\n", " \t x", "=ZZ", "=4", "=", "\r\n", "=\r", "  \r"},
			decoded: func(n int) string { return strings.Repeat("x", n) },
		},
		{
			cte: "base64", filler: "eHh4", suffix: "",
			tokens:  []string{"\r\n", "Zm9v", "Zg==", "Zg=\r\n=", "Zm9vY", "*", "Zm9vYg", "Zg==junk"},
			decoded: func(n int) string { return strings.Repeat("xxx", n/4) },
		},
		{
			cte: "x-uuencode", prefix: "begin 644 x\r\n", filler: "#>'AX\r\n", suffix: "",
			tokens:  []string{"#86)C\r\n", "#86)C\n", "#86)C\r", "end\r\n", "  end \r\n", "\r\n", "#86)Cxyz\r\n", "#86\r\n"},
			decoded: func(n int) string { return strings.Repeat("xxx", n/7) },
		},
	}
	for _, tt := range tests {
		newD := func(r io.Reader) teDefectReader { return NewDecoder(tt.cte, r) }
		for _, tok := range tt.tokens {
			alone, aloneDefects := teDecodeAll(t, newD, []byte(tt.prefix+tok+tt.suffix))
			for pos := transferBufSize - 12; pos <= transferBufSize+4; pos++ {
				units := (pos - len(tt.prefix)) / len(tt.filler)
				in := tt.prefix + strings.Repeat(tt.filler, units) + tok + tt.suffix
				got, defects := teCheckChunking(t, newD, []byte(in))
				require.Equal(t, tt.decoded(units*len(tt.filler))+string(alone), string(got), "%s %q at %d", tt.cte, tok, pos)
				require.Equal(t, teDefectKinds(aloneDefects), teDefectKinds(defects), "%s %q at %d", tt.cte, tok, pos)
			}
		}
	}
}
