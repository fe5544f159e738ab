package maildir

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBaseSizes(t *testing.T) {
	for _, tc := range []struct {
		base        string
		size, vsize int64
	}{
		{"1700000000.M1P1.host,S=123,W=130", 123, 130},
		{"1700000000.M1P1.host,W=130,S=123", 123, 130},
		{"1700000000.M1P1.host", -1, -1},
		{"1700000000.M1P1.host,S=x,S=7", 7, -1},
		{"1700000000.M1P1.host,S=-1", -1, -1},
		{"S=5.host,W=2", -1, 2},
		{"host,,S=9,", 9, -1},
	} {
		assert.Equal(t, tc.size, baseSize(tc.base), tc.base)
		assert.Equal(t, tc.vsize, baseVSize(tc.base), tc.base)
	}
}
