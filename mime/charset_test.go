package mime

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeCharsetBasics(t *testing.T) {
	s, err := DecodeCharset("ISO-8859-1", []byte{'c', 0xe9})
	require.NoError(t, err)
	assert.Equal(t, "cé", s)

	s, err = DecodeCharset("x-no-such", []byte("abc"))
	assert.ErrorIs(t, err, ErrUnknownCharset)
	assert.Equal(t, "abc", s)
}
