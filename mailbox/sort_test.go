package mailbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBaseSubject follows RFC 5256 2.1 step by step.
func TestBaseSubject(t *testing.T) {
	tests := []struct {
		in, want string
		reply    bool
	}{
		{"", "", false},
		{"Hello", "Hello", false},
		{"  Hello\t world  ", "Hello world", false},
		{"Re: Hello", "Hello", true},
		{"RE:Hello", "Hello", true},
		{"re : Hello", "Hello", true},
		{"Fw: Hello", "Hello", true},
		{"FWD: Hello", "Hello", true},
		{"Fwd:Re: Re: Hello", "Hello", true},
		{"Re[2]: Hello", "Hello", true},
		{"Re [2]: Hello", "Hello", true},
		{"[list] Re: Hello", "Hello", true},
		{"[list] Hello", "Hello", false},
		{"[a][b] Hello", "Hello", false},
		{"[list] Re: [other] Re: Hello", "Hello", true},
		{"[only blob]", "[only blob]", false},
		{"[a] [b]", "[b]", false},
		{"Hello (fwd)", "Hello", true},
		{"Hello (FWD) (fwd)  ", "Hello", true},
		{"Hello(fwd)", "Hello", true},
		{"[Fwd: Hello]", "Hello", true},
		{"[fwd: Re: Hello (fwd)]", "Hello", true},
		{"Re: [Fwd: [list] Hello]", "Hello", true},
		{"[Fwd: Hello", "[Fwd: Hello", false},
		{"Re:", "", true},
		{"Reply: Hello", "Reply: Hello", false},
		{"Re2: Hello", "Re2: Hello", false},
		{"Fwd Hello", "Fwd Hello", false},
		{"=?UTF-8?Q?Re=3A_caf=C3=A9?=", "café", true},
		{"=?ISO-8859-1?Q?Fwd:_=E9t=E9?= (fwd)", "été", true},
		{"Re: =?UTF-8?B?w6l0w6k=?=", "été", true},
		{"Re:\r\n Folded\r\n\tline", "Folded line", true},
		{"[PATCH 1/2] Re: fix", "fix", true},
		{"Re: [PATCH 1/2]", "[PATCH 1/2]", true},
	}
	for _, tc := range tests {
		got, reply := BaseSubject(tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		assert.Equal(t, tc.reply, reply, "%q", tc.in)
	}
}

func TestCollationKey(t *testing.T) {
	assert.Equal(t, CollationKey("hello"), CollationKey("HeLLo"))
	assert.Equal(t, CollationKey("été"), CollationKey("ÉTÉ"))
	assert.Equal(t, CollationKey("e\u0301"), CollationKey("é"))
	assert.Less(t, CollationKey("abc"), CollationKey("abd"))
	assert.Less(t, CollationKey(""), CollationKey("a"))
	assert.Equal(t, "\xff", CollationKey("\xff"))
}
