package mailbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUIDSetAdd(t *testing.T) {
	tests := []struct {
		add  [][2]UID
		want string
	}{
		{[][2]UID{{1, 1}, {2, 2}, {3, 3}}, "1:3"},
		{[][2]UID{{1, 1}, {3, 3}, {5, 9}}, "1,3,5:9"},
		{[][2]UID{{5, 9}, {1, 1}, {3, 3}}, "1,3,5:9"},
		{[][2]UID{{5, 9}, {6, 12}, {13, 13}}, "5:13"},
		{[][2]UID{{9, 5}, {0, 0}, {4, 4}}, "4:9"},
		{[][2]UID{{1, MaxUID}, {3, 3}}, "1:*"},
		{[][2]UID{{MaxUID, MaxUID}, {7, 7}}, "7,*"},
	}
	for _, tt := range tests {
		var s UIDSet
		for _, r := range tt.add {
			s.AddRange(r[0], r[1])
		}
		assert.Equal(t, tt.want, s.String(), "%v", tt.add)
	}
}

func BenchmarkUIDSetOfScattered(b *testing.B) {
	uids := make([]UID, 100000)
	for i := range uids {
		uids[i] = UID(2*i + 1)
	}
	for b.Loop() {
		UIDSetOf(uids...)
	}
}

func TestUIDSetIntersectMinus(t *testing.T) {
	r := func(a, b UID) UIDRange { return UIDRange{a, b} }
	for _, tc := range []struct {
		s, t, and, minus UIDSet
	}{
		{nil, UIDSet{r(1, 5)}, nil, nil},
		{UIDSet{r(1, 5)}, nil, nil, UIDSet{r(1, 5)}},
		{UIDSet{r(1, 10)}, UIDSet{r(3, 4), r(6, 6)}, UIDSet{r(3, 4), r(6, 6)}, UIDSet{r(1, 2), r(5, 5), r(7, 10)}},
		{UIDSet{r(1, 3), r(8, 12)}, UIDSet{r(2, 9)}, UIDSet{r(2, 3), r(8, 9)}, UIDSet{r(1, 1), r(10, 12)}},
		{UIDSet{r(5, 6)}, UIDSet{r(1, 10)}, UIDSet{r(5, 6)}, nil},
		{UIDSet{r(1, MaxUID)}, UIDSet{r(MaxUID, MaxUID)}, UIDSet{r(MaxUID, MaxUID)}, UIDSet{r(1, MaxUID-1)}},
		{UIDSet{r(1, 4), r(6, 9)}, UIDSet{r(4, 6)}, UIDSet{r(4, 4), r(6, 6)}, UIDSet{r(1, 3), r(7, 9)}},
	} {
		assert.Equal(t, tc.and, tc.s.Intersect(tc.t), "%v & %v", tc.s, tc.t)
		assert.Equal(t, tc.minus, tc.s.Minus(tc.t), "%v - %v", tc.s, tc.t)
	}
}
