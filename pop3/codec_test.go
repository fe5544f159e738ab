package pop3

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/internal/dotstuff"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line string
		want Command
		err  bool
	}{
		{line: "STAT", want: Command{Name: "STAT"}},
		{line: "list 1", want: Command{Name: "LIST", Args: []string{"1"}}},
		{line: "TOP 1  10 ", want: Command{Name: "TOP", Args: []string{"1", "10"}}},
		{line: "APOP mrose c4c9334bac560ecc979e58001b3e22fb", want: Command{Name: "APOP", Args: []string{"mrose", "c4c9334bac560ecc979e58001b3e22fb"}}},
		{line: "PASS  two  spaces ", want: Command{Name: "PASS", Args: []string{" two  spaces "}}},
		{line: "PASS", want: Command{Name: "PASS"}},
		{line: "USER j\xc3\xbcrgen", want: Command{Name: "USER", Args: []string{"j\xc3\xbcrgen"}}},
		{line: "", err: true},
		{line: "AB", err: true},
		{line: "ABCDE", err: true},
		{line: " STAT", err: true},
		{line: "STAT\x00", err: true},
		{line: "USER a\tb", err: true},
		{line: "US\xc3\xa9", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := ParseCommand([]byte(tt.line))
			if tt.err {
				require.ErrorIs(t, err, ErrSyntax)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAppendCommand(t *testing.T) {
	b, err := AppendCommand(nil, "TOP", "1", "10")
	require.NoError(t, err)
	assert.Equal(t, "TOP 1 10\r\n", string(b))
	b, err = AppendCommand(nil, "PASS", "with space")
	require.NoError(t, err)
	assert.Equal(t, "PASS with space\r\n", string(b))
	for _, args := range [][]string{{"a b"}, {"a\r\n"}, {""}, {"a\x00"}} {
		_, err := AppendCommand(nil, "USER", args...)
		assert.Error(t, err, "%q", args)
	}
	_, err = AppendCommand(nil, "TOOLONG")
	assert.Error(t, err)
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		line string
		want Response
		err  bool
	}{
		{line: "+OK", want: Response{OK: true}},
		{line: "+OK 2 320", want: Response{OK: true, Text: "2 320"}},
		{line: "-ERR [IN-USE] Do you have another POP session running?", want: Response{Code: "IN-USE", Text: "Do you have another POP session running?"}},
		{line: "-ERR [SYS/TEMP] later", want: Response{Code: "SYS/TEMP", Text: "later"}},
		{line: "-ERR [not a code", want: Response{Text: "[not a code"}},
		{line: "-ERR []", want: Response{Text: "[]"}},
		{line: "-ERR [A//B] x", want: Response{Text: "[A//B] x"}},
		{line: "+OKAY", err: true},
		{line: "220 hello", err: true},
		{line: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := ParseResponse([]byte(tt.line))
			if tt.err {
				var pe *ProtocolError
				require.ErrorAs(t, err, &pe)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, "-ERR [IN-USE] a  b\r\n", string(AppendResponse(nil, false, CodeInUse, "a\r\nb")))
	assert.Equal(t, "+OK\r\n", string(AppendResponse(nil, true, "", "")))
}

// unstuffed returns what a client receives for body: stuffed by
// dotstuff.Writer, un-stuffed by dotstuff.Reader.
func unstuffed(t testing.TB, body []byte) []byte {
	var wire bytes.Buffer
	w := dotstuff.NewWriter(&wire)
	w.Write(body)
	require.NoError(t, w.Close())
	got, err := io.ReadAll(dotstuff.NewReader(bufio.NewReader(&wire), 0))
	if err == dotstuff.ErrLineTooLong {
		err = nil
	}
	require.NoError(t, err)
	return got
}

func TestCRLFCounter(t *testing.T) {
	for _, body := range []string{
		"", "a", "a\r\n", "a\n", "a\r", "a\r\r\n", "\n\n", "\r\r", ".\r\n..\n", "x\ry\nz\r\nw",
		"Subject: x\r\n\r\nbody", "\r\n", "\r",
	} {
		var c crlfCounter
		// Written a byte at a time and at once: the same count.
		for i := 0; i < len(body); i++ {
			c.Write([]byte{body[i]})
		}
		var d crlfCounter
		d.Write([]byte(body))
		want := int64(len(unstuffed(t, []byte(body))))
		assert.Equal(t, want, c.total(), "%q", body)
		assert.Equal(t, want, d.total(), "%q", body)
	}
}

func TestTopWriter(t *testing.T) {
	msg := "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\nb3\rb4\r\n"
	tests := []struct {
		msg   string
		lines int
		want  string
	}{
		{msg, 0, "H: 1\r\nH: 2\r\n\r\n"},
		{msg, 1, "H: 1\r\nH: 2\r\n\r\nb1\r\n"},
		{msg, 2, "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\n"},
		{msg, 3, "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\nb3\r"},
		{msg, 4, msg},
		{msg, 100, msg},
		{"H: 1\n\nbody\n", 0, "H: 1\n\n"},
		{"H: 1\r\rbody\r", 0, "H: 1\r\r"},
		{"H: only header", 5, "H: only header"},
		{"\r\nbody\r\n", 0, "\r\n"},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 3, 1000} {
			var out bytes.Buffer
			tw := newTopWriter(&out, tt.lines)
			var err error
			for i := 0; i < len(tt.msg) && err == nil; i += chunk {
				_, err = tw.Write([]byte(tt.msg[i:min(i+chunk, len(tt.msg))]))
			}
			if err != nil {
				require.ErrorIs(t, err, errTopDone)
			}
			assert.Equal(t, tt.want, out.String(), "%q lines=%d chunk=%d", tt.msg, tt.lines, chunk)
		}
	}
}

func TestAppendUIDL(t *testing.T) {
	assert.Equal(t, "0012d68700000001", string(appendUIDL(nil, 1234567, 1)))
	assert.Equal(t, "ffffffffffffffff", string(appendUIDL(nil, 1<<32-1, 1<<32-1)))
}
