package mime

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/transform"
)

func decodeUTF7(t testing.TB, s string) string {
	out, _, err := transform.String(utf7Encoding{}.NewDecoder(), s)
	require.NoError(t, err)
	return out
}

func encodeUTF7(t testing.TB, s string) string {
	out, _, err := transform.String(utf7Encoding{}.NewEncoder(), s)
	require.NoError(t, err)
	return out
}

func TestUTF7Decode(t *testing.T) {
	tests := []struct{ in, want string }{
		// RFC 2152 examples.
		{"A+ImIDkQ.", "A\u2262\u0391."},
		{"Hi Mom -+Jjo--!", "Hi Mom -\u263a-!"},
		{"+ZeVnLIqe-", "日本語"},
		{"Item 3 is +AKM-1.", "Item 3 is £1."},
		{"+-", "+"},
		{"1 +- 1 = 2", "1 + 1 = 2"},
		{"", ""},
		{"plain text", "plain text"},
		{"+2D3eAA-", "😀"},        // surrogate pair
		{"+2D3eAAAg-", "😀 "},     // pair then a unit
		{"+2D0-x", "\uFFFDx"},    // lone high surrogate
		{"+3gA-", "\uFFFD"},      // lone low surrogate
		{"+2D0AIA-", "\uFFFD "},  // high surrogate then a non-surrogate
		{"+AKM", "£"},            // unterminated run
		{"+AKM+AKM-", "£\u3e00"}, // "+" inside a run is base64
		{"+AKM.", "£."},          // run ended by a direct character
		{"+AKM-A", "£A"},
		{"+AKMA", "£"}, // leftover bits are dropped
		{"+", "+"},     // lone "+" at the end
		{"a+ b", "a+ b"},
		{"caf\xe9", "caf\uFFFD"}, // 8-bit bytes are not UTF-7
		{"~\\", "~\\"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, decodeUTF7(t, tt.in), "%q", tt.in)

		// The same, one byte at a time.
		r := transform.NewReader(iotest.OneByteReader(strings.NewReader(tt.in)), utf7Encoding{}.NewDecoder())
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b), "streamed %q", tt.in)
	}
}

func TestUTF7Encode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Hi Mom", "Hi Mom"},
		{"Hi Mom -☺-!", "Hi Mom -+Jjo--+ACE-"},
		{"日本語", "+ZeVnLIqe-"},
		{"A≢Α.", "A+ImIDkQ-."},
		{"1+1", "1+-1"},
		{"£", "+AKM-"},
		{"😀", "+2D3eAA-"},
		{"a\r\n\tb", "a\r\n\tb"},
		{"a\xffb", "a+//0-b"}, // invalid UTF-8 is U+FFFD
	}
	for _, tt := range tests {
		got := encodeUTF7(t, tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
		assert.Equal(t, strings.ToValidUTF8(tt.in, "\uFFFD"), decodeUTF7(t, got), "%q", tt.in)
	}
}

func TestUTF7EncodeSmallBuffers(t *testing.T) {
	in := strings.Repeat("Grüße 😀 + 日本語 plain; ", 50)
	r := transform.NewReader(iotest.OneByteReader(strings.NewReader(in)), utf7Encoding{}.NewEncoder())
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, encodeUTF7(t, in), string(b))
	assert.Equal(t, in, decodeUTF7(t, string(b)))
}

func FuzzUTF7(f *testing.F) {
	for _, s := range []string{"A+ImIDkQ.", "Hi Mom -+Jjo--!", "+ZeVnLIqe-", "+", "+2D0-", "£😀+", "a\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dec, _, err := transform.String(utf7Encoding{}.NewDecoder(), s)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(dec) {
			t.Fatalf("decoded %q to invalid UTF-8 %q", s, dec)
		}
		enc, _, err := transform.String(utf7Encoding{}.NewEncoder(), s)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(enc); i++ {
			if enc[i] >= 0x80 {
				t.Fatalf("encoded %q to 8-bit %q", s, enc)
			}
		}
		back, _, err := transform.String(utf7Encoding{}.NewDecoder(), enc)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); utf8.ValidString(s) && back != want {
			t.Fatalf("%q encoded to %q decoded to %q", s, enc, back)
		}
		r := transform.NewReader(iotest.OneByteReader(bytes.NewReader([]byte(s))), utf7Encoding{}.NewDecoder())
		b, err := io.ReadAll(r)
		if err != nil || string(b) != dec {
			t.Fatalf("streamed decoding of %q gave %q, %v; want %q", s, b, err, dec)
		}
	})
}
