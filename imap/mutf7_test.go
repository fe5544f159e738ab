package imap

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMUTF7(t *testing.T) {
	for _, tc := range []struct{ utf8, mutf7 string }{
		{"INBOX", "INBOX"},
		{"", ""},
		{"&", "&-"},
		{"a&b&&", "a&-b&-&-"},
		// RFC 3501 5.1.3 example.
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"Gelöschte Elemente", "Gel&APY-schte Elemente"},
		{"😀", "&2D3eAA-"},
		{"ü&ö", "&APw-&-&APY-"},
		{"tab\there", "tab&AAk-here"},
		{"Ω", "&A6k-"},
	} {
		assert.Equal(t, tc.mutf7, EncodeMUTF7(tc.utf8), tc.utf8)
		got, err := DecodeMUTF7(tc.mutf7)
		require.NoError(t, err, tc.mutf7)
		assert.Equal(t, tc.utf8, got)
	}
}

func TestMUTF7Strict(t *testing.T) {
	for _, bad := range []string{
		"&",             // unterminated
		"&U,BTFw",       // unterminated
		"&U,BTFw=-",     // padding
		"&U/BTFw-",      // "/" instead of ","
		"&AGE-",         // "a" encoded
		"&ACY-",         // "&" encoded
		"&APw-&APY-",    // adjacent runs
		"&2D0-",         // lone high surrogate
		"&3gA-",         // lone low surrogate
		"&APx-",         // non-zero leftover bits
		"&AP-",          // too short for a character
		"&APwA-",        // leftover partial character
		"caf\xc3\xa9",   // raw 8-bit
		"a\x00b",        // control
		"a\tb",          // control
		"&2D3eAA2D3eAA", // unterminated
	} {
		_, err := DecodeMUTF7(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestMailboxName(t *testing.T) {
	n, err := DecodeMailboxName("inbox", false)
	require.NoError(t, err)
	assert.Equal(t, "INBOX", n)
	n, err = DecodeMailboxName("Entw&APw-rfe", false)
	require.NoError(t, err)
	assert.Equal(t, "Entwürfe", n)
	n, err = DecodeMailboxName("Entwürfe", true)
	require.NoError(t, err)
	assert.Equal(t, "Entwürfe", n)
	_, err = DecodeMailboxName("Entw\xfcrfe", true)
	assert.Error(t, err)
	assert.Equal(t, "Entw&APw-rfe", EncodeMailboxName("Entwürfe", false))
	assert.Equal(t, "Entwürfe", EncodeMailboxName("Entwürfe", true))
}

func FuzzMUTF7(f *testing.F) {
	for _, s := range []string{"INBOX", "&U,BTFw-/&ZeVnLIqe-", "&-", "Entwürfe", "😀&", "&2D3eAA-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Any valid UTF-8 round-trips through the encoder.
		if utf8.ValidString(s) {
			enc := EncodeMUTF7(s)
			dec, err := DecodeMUTF7(enc)
			if err != nil {
				t.Fatalf("decode(encode(%q)) = %v", s, err)
			}
			if dec != s {
				t.Fatalf("decode(encode(%q)) = %q", s, dec)
			}
		}
		// Whatever decodes is canonical: encoding gives it back.
		if dec, err := DecodeMUTF7(s); err == nil {
			if enc := EncodeMUTF7(dec); enc != s {
				t.Fatalf("encode(decode(%q)) = %q", s, enc)
			}
		}
	})
}
