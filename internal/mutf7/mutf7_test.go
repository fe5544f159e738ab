package mutf7

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMUTF7(t *testing.T) {
	for _, tc := range []struct{ utf8, mutf7 string }{
		{"", ""},
		{"INBOX", "INBOX"},
		{"&", "&-"},
		{"a&b", "a&-b"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"台北", "&U,BTFw-"},    // RFC 3501 5.1.3
		{"日本語", "&ZeVnLIqe-"}, // RFC 3501 5.1.3
		{"~peter", "~peter"},
		{"😀", "&2D3eAA-"},
		{"Ä&Ö", "&AMQ-&-&ANY-"},
	} {
		assert.Equal(t, tc.mutf7, Encode(tc.utf8), tc.utf8)
		got, err := Decode(tc.mutf7)
		require.NoError(t, err, tc.mutf7)
		assert.Equal(t, tc.utf8, got)
	}
	for _, bad := range []string{
		"&",           // unterminated
		"&U,BTFw",     // unterminated
		"&AGE-",       // shifted ASCII "a"
		"&AMQ-&ANY-",  // two adjacent shifts
		"&2D0-",       // lone high surrogate
		"\x80",        // 8-bit
		"a\x00b",      // NUL
		"&U/BTFw-",    // "/" is not in the alphabet
		"&U,BTFx-",    // stray bits
		"caf\xc3\xa9", // raw UTF-8
		"tab\there",   // control
		"&ZeVnLIqe=-", // padding
	} {
		_, err := Decode(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func FuzzMUTF7(f *testing.F) {
	f.Add("&U,BTFw-")
	f.Add("Entw&APw-rfe")
	f.Add("&-")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Decode(s)
		if err != nil {
			return
		}
		if Encode(d) != s {
			t.Fatalf("%q decodes to %q, which encodes back differently", s, d)
		}
	})
}
