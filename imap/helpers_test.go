package imap

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func newDec(s string) *Decoder { return NewDecoder(bufio.NewReader(strings.NewReader(s))) }

// encode runs f on an Encoder over a buffer and returns what it wrote.
func encode(t testing.TB, f func(e *Encoder) error) (string, error) {
	t.Helper()
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	e := NewEncoder(w)
	err := f(e)
	if ferr := e.Flush(); err == nil {
		err = ferr
	}
	return sb.String(), err
}

func formatCommand(t testing.TB, c *Command) string {
	t.Helper()
	s, err := encode(t, func(e *Encoder) error { return WriteCommand(e, c) })
	require.NoError(t, err)
	return s
}

func formatResponse(t testing.TB, r Response) string {
	t.Helper()
	s, err := encode(t, func(e *Encoder) error { return WriteResponse(e, r) })
	require.NoError(t, err)
	return s
}
