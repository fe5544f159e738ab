package textutil

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"caf\xe9", "caf\uFFFD"},
		{"\xe2\x82", "\uFFFD"}, // truncated sequence: one replacement
		{"\xe2\x82x\xff", "\uFFFDx\uFFFD"},
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // surrogate: no valid prefix past the lead
		{"ok \xf0\x9f\x98\x80", "ok 😀"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ValidUTF8(tc.in), "%q", tc.in)
		var sb strings.Builder
		AppendValidUTF8(&sb, tc.in)
		assert.Equal(t, tc.want, sb.String())
	}
}

func TestSkipComment(t *testing.T) {
	tests := []struct {
		in     string
		end    int
		closed bool
	}{
		{"(a) x", 3, true},
		{"(a (nested) b) x", 14, true},
		{`(a \) b) x`, 8, true},
		{"(open", 5, false},
		{`(ends in \`, 10, false},
	}
	for _, tc := range tests {
		end, closed := SkipComment(tc.in, 0)
		assert.Equal(t, tc.end, end, tc.in)
		assert.Equal(t, tc.closed, closed, tc.in)
	}
}

func FuzzValidUTF8(f *testing.F) {
	f.Add("caf\xe9 \xe2\x82")
	f.Fuzz(func(t *testing.T, s string) {
		out := ValidUTF8(s)
		if !strings.Contains(s, "\uFFFD") && strings.ReplaceAll(out, "\uFFFD", "") == s && out != s {
			t.Fatalf("%q: replaced valid text", s)
		}
		if strings.ToValidUTF8(out, "") != out {
			t.Fatalf("%q gave invalid %q", s, out)
		}
	})
}

func TestEqualFoldASCII(t *testing.T) {
	assert.True(t, EqualFoldASCII("Subject", "SUBJECT"))
	assert.False(t, EqualFoldASCII("Subject", "Subjects"))
	assert.False(t, EqualFoldASCII("K", "\u212a"), "the Kelvin sign is not ASCII K")
	assert.True(t, EqualFoldASCII("ä-x", "ä-X"))
}
