package netserver

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errTooLong = errors.New("too long")

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", 40) // longer than the 16-octet buffer
	for _, tt := range []struct {
		name, in string
		max      int
		want     []string // the lines read
		err      error
	}{
		{"CRLF", "NOOP\r\nQUIT\r\n", 10, []string{"NOOP", "QUIT"}, io.EOF},
		{"bare LF", "NOOP\nQUIT\n", 10, []string{"NOOP", "QUIT"}, io.EOF},
		{"empty", "\r\n\n", 10, []string{"", ""}, io.EOF},
		{"CR kept inside", "a\rb\r\n", 10, []string{"a\rb"}, io.EOF},
		{"exactly max", "NOOP\r\n", 6, []string{"NOOP"}, io.EOF},
		{"over max", "NOOPX\r\nQUIT\r\n", 6, []string{"QUIT"}, io.EOF},
		{"beyond the buffer", long + "\r\nQUIT\r\n", 64, []string{long, "QUIT"}, io.EOF},
		{"beyond the buffer, over max", long + "\r\nQUIT\r\n", 20, []string{"QUIT"}, io.EOF},
		{"no line end", "NOOP", 10, nil, io.EOF},
		{"no line end, long", long, 64, nil, io.EOF},
	} {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tt.in), 16)
			var got []string
			tooLong := 0
			for {
				line, err := ReadLine(br, tt.max, errTooLong)
				if errors.Is(err, errTooLong) {
					tooLong++
					continue
				}
				if err != nil {
					assert.ErrorIs(t, err, tt.err)
					break
				}
				got = append(got, string(line))
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, strings.HasSuffix(tt.name, "over max"), tooLong == 1, "too long reported once: %d", tooLong)
		})
	}
}

func TestReadLineDiscardsLongLine(t *testing.T) {
	// A 1 MiB line over a 100-octet limit is read through and discarded.
	in := strings.Repeat("a", 1<<20) + "\r\nNEXT\r\n"
	br := bufio.NewReaderSize(strings.NewReader(in), 64)
	_, err := ReadLine(br, 100, errTooLong)
	require.ErrorIs(t, err, errTooLong)
	line, err := ReadLine(br, 100, errTooLong)
	require.NoError(t, err)
	assert.Equal(t, "NEXT", string(line))
}
