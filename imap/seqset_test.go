package imap

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func TestSeqSetParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want SeqSet
	}{
		{"1", SeqSetOf(1)},
		{"1:3,7,9:*", SeqSet{Ranges: []SeqRange{{1, 3}, {7, 7}, {9, Star}}}},
		{"*", SeqSet{Ranges: []SeqRange{{Star, Star}}}},
		{"*:4", SeqSet{Ranges: []SeqRange{{Star, 4}}}},
		{"$", SeqSet{Saved: true}},
		{"1,$", SeqSet{Ranges: []SeqRange{{1, 1}}, Saved: true}},
		{"4294967295", SeqSetOf(4294967295)},
	} {
		got, err := ParseSeqSet(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Equal(t, tc.in, got.String())
	}
	for _, bad := range []string{"", "0", "1:0", "1,", ",1", "1::2", "a", "4294967296", "1 2", "-1", "1:$"} {
		_, err := ParseSeqSet(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestSeqSetResolve(t *testing.T) {
	s, _ := ParseSeqSet("9:*,2,4:3")
	assert.True(t, s.Dynamic())
	assert.Equal(t, []SeqRange{{2, 4}, {9, 12}}, s.Resolve(12))
	// RFC 9051 6.4.8: "n:*" past the largest number includes the largest.
	assert.Equal(t, []SeqRange{{2, 4}, {7, 9}}, s.Resolve(7))
	assert.Equal(t, []SeqRange{{2, 4}, {9, 9}}, s.Resolve(0))
	assert.True(t, s.Contains(10, 12))
	assert.False(t, s.Contains(5, 12))
	assert.True(t, s.Contains(5, 5))

	u := s.UIDSet(100)
	assert.Equal(t, "2:4,9:100", u.String())
	assert.Equal(t, "1:5,*", SeqSetFromUIDs(mailbox.UIDSet{{Start: 1, Stop: 5}, {Start: mailbox.MaxUID, Stop: mailbox.MaxUID}}).String())
	assert.Equal(t, "1:*", SeqSetFromUIDs(mailbox.AllUIDs).String())
}

func FuzzSeqSet(f *testing.F) {
	for _, s := range []string{"1", "1:3,7,9:*", "$", "*:4,$", "4294967295:1"} {
		f.Add(s, uint32(10))
	}
	f.Fuzz(func(t *testing.T, s string, largest uint32) {
		set, err := ParseSeqSet(s)
		if err != nil {
			return
		}
		again, err := ParseSeqSet(set.String())
		if err != nil {
			t.Fatalf("reparse %q: %v", set.String(), err)
		}
		if again.String() != set.String() {
			t.Fatalf("%q then %q", set.String(), again.String())
		}
		largest %= 1 << 20
		rs := set.Resolve(largest)
		for i, r := range rs {
			if r.Start == 0 || r.Start > r.Stop || i > 0 && rs[i-1].Stop+1 >= r.Start {
				t.Fatalf("bad resolved ranges %v", rs)
			}
			if largest > 0 && !set.Contains(r.Start, largest) {
				t.Fatalf("%d resolved but not contained", r.Start)
			}
		}
	})
}

func TestSeqSetResolveLarge(t *testing.T) {
	var s SeqSet
	for i := uint32(40000); i > 0; i -= 2 {
		s.Ranges = append(s.Ranges, SeqRange{i, i})
	}
	s.Ranges = append(s.Ranges, SeqRange{1, Star})
	assert.Equal(t, []SeqRange{{1, 50000}}, s.Resolve(50000))
	assert.Len(t, SeqSet{Ranges: s.Ranges[:20000]}.Resolve(50000), 20000)
}
