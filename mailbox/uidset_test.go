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
