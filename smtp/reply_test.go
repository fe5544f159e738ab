package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var replyTests = []struct {
	wire  string
	reply *Reply
	err   bool
}{
	// RFC 5321 Appendix D.1.
	{"220 foo.com Simple Mail Transfer Service Ready\r\n",
		&Reply{220, []string{"foo.com Simple Mail Transfer Service Ready"}}, false},
	{"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
		&Reply{250, []string{"foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"}}, false},
	{"354 Start mail input; end with <CRLF>.<CRLF>\r\n",
		&Reply{354, []string{"Start mail input; end with <CRLF>.<CRLF>"}}, false},
	{"550 No such user here\r\n", &Reply{550, []string{"No such user here"}}, false},
	{"250\r\n", &Reply{250, []string{""}}, false},
	{"250 \r\n", &Reply{250, []string{""}}, false},
	{"250-\r\n250 ok\n", &Reply{250, []string{"", "ok"}}, false},
	{"550 5.1.1 User unknown\r\n", &Reply{550, []string{"5.1.1 User unknown"}}, false},
	{"250-a\r\n251 b\r\n", nil, true},
	{"2500 x\r\n", nil, true},
	{"abc\r\n", nil, true},
	{"150 x\r\n", nil, true},
	{"25\r\n", nil, true},
	{"250-a\r\n", nil, true},
	{"250 " + strings.Repeat("x", 2000) + "\r\n", nil, true},
	{strings.Repeat("250-x\r\n", DefaultMaxReplyLines+1) + "250 x\r\n", nil, true},
}

func TestParseReply(t *testing.T) {
	for _, tt := range replyTests {
		r, err := ParseReply(bufio.NewReaderSize(strings.NewReader(tt.wire), 16))
		if tt.err {
			assert.Error(t, err, "%q", tt.wire)
			continue
		}
		require.NoError(t, err, "%q", tt.wire)
		assert.Equal(t, tt.reply, r)
	}
}

func TestParseReplyEOF(t *testing.T) {
	_, err := ParseReply(bufio.NewReader(strings.NewReader("")))
	assert.Equal(t, io.EOF, err)
	_, err = ParseReply(bufio.NewReader(strings.NewReader("250-a\r\n")))
	assert.Equal(t, io.ErrUnexpectedEOF, err)
	_, err = ParseReply(bufio.NewReader(strings.NewReader("250 a")))
	assert.Equal(t, io.ErrUnexpectedEOF, err)
	var pe *ProtocolError
	_, err = ParseReply(bufio.NewReader(strings.NewReader("hello\r\n")))
	assert.ErrorAs(t, err, &pe)
}

func TestReplyErr(t *testing.T) {
	r := &Reply{550, []string{"5.1.1 User unknown", "5.1.1 try again"}}
	err := r.Err()
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 550, e.Code)
	assert.Equal(t, EnhancedCode{5, 1, 1}, e.EnhancedCode)
	assert.Equal(t, "User unknown\ntry again", e.Message)
	assert.False(t, e.Temporary())
	assert.Equal(t, "smtp: 550 5.1.1 User unknown\ntry again", e.Error())
	assert.Equal(t, "550-5.1.1 User unknown\r\n550 5.1.1 try again\r\n", string(e.Format()))

	r = &Reply{451, []string{"4.7.1 greylisted"}}
	require.ErrorAs(t, r.Err(), &e)
	assert.True(t, e.Temporary())

	// A class that does not match the reply code is text.
	r = &Reply{451, []string{"5.1.1 odd"}}
	require.ErrorAs(t, r.Err(), &e)
	assert.True(t, e.EnhancedCode.IsZero())
	assert.Equal(t, "5.1.1 odd", e.Message)

	assert.NoError(t, (&Reply{250, []string{"ok"}}).Err())
	assert.NoError(t, (&Reply{354, nil}).Err())
	assert.True(t, (&Reply{}).EnhancedCode().IsZero())
}

func TestEnhancedCode(t *testing.T) {
	for _, s := range []string{"2.0.0", "4.7.1", "5.1.10", "5.999.999"} {
		c, err := ParseEnhancedCode(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, c.String())
	}
	for _, s := range []string{"", "3.0.0", "5.1", "5.1.1.1", "5.1000.1", "5.-1.1", "5.+1.1", "5..1", "x.1.1"} {
		_, err := ParseEnhancedCode(s)
		assert.Error(t, err, s)
	}
	assert.Equal(t, "", EnhancedCode{}.String())
}

func TestFormatReply(t *testing.T) {
	tests := []struct {
		code  int
		enh   EnhancedCode
		lines []string
		wire  string
	}{
		{250, EnhancedCode{}, nil, "250\r\n"},
		{250, EnhancedCode{2, 0, 0}, []string{"OK"}, "250 2.0.0 OK\r\n"},
		{250, EnhancedCode{}, []string{"foo.com greets bar.com", "8BITMIME", "HELP"},
			"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250 HELP\r\n"},
		{550, EnhancedCode{5, 1, 1}, []string{"a", "b"}, "550-5.1.1 a\r\n550 5.1.1 b\r\n"},
		{550, EnhancedCode{5, 1, 1}, []string{""}, "550 5.1.1\r\n"},
		{550, EnhancedCode{}, []string{"one\r\ntwo\nthree"}, "550-one\r\n550-two\r\n550 three\r\n"},
		{550, EnhancedCode{}, []string{"evil\r\n250 ok"}, "550-evil\r\n550 250 ok\r\n"},
		{550, EnhancedCode{}, []string{"cr\rnul\x00tab\t"}, "550 cr nul tab\t\r\n"},
		{550, EnhancedCode{2, 0, 0}, []string{"class mismatch dropped"}, "550 class mismatch dropped\r\n"},
		{99, EnhancedCode{}, []string{"bad code"}, "451 bad code\r\n"},
	}
	for _, tt := range tests {
		got := string(FormatReply(tt.code, tt.enh, tt.lines...))
		assert.Equal(t, tt.wire, got)
		r, err := ParseReply(bufio.NewReader(strings.NewReader(got)))
		require.NoError(t, err)
		assert.Equal(t, tt.wire, string(FormatReply(r.Code, EnhancedCode{}, r.Lines...)))
	}
}

func TestSyntaxError(t *testing.T) {
	_, _, err := ParseMailFrom("FROM:<a b>", false)
	var se *SyntaxError
	require.True(t, errors.As(err, &se))
	e := se.SMTPError()
	assert.Equal(t, 501, e.Code)
	assert.Equal(t, EnhancedCode{5, 1, 7}, e.EnhancedCode)
	assert.Contains(t, se.Error(), "syntax error")
	assert.Contains(t, (&ProtocolError{"x"}).Error(), "protocol error")
}

func hasControl(lines []string) bool {
	for _, l := range lines {
		for i := 0; i < len(l); i++ {
			if c := l[i]; c < 32 && c != '\t' || c == 127 {
				return true
			}
		}
	}
	return false
}

func FuzzParseReply(f *testing.F) {
	for _, tt := range replyTests {
		f.Add([]byte(tt.wire))
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		r, err := ParseReply(bufio.NewReaderSize(bytes.NewReader(wire), 64))
		if err != nil {
			return
		}
		require.GreaterOrEqual(t, r.Code, 200)
		require.LessOrEqual(t, r.Code, 559)
		require.NotEmpty(t, r.Lines)
		out := FormatReply(r.Code, EnhancedCode{}, r.Lines...)
		r2, err := ParseReply(bufio.NewReader(bytes.NewReader(out)))
		require.NoError(t, err, "%q", out)
		require.Equal(t, r.Code, r2.Code)
		if !hasControl(r.Lines) {
			require.Equal(t, r.Lines, r2.Lines)
		}
		require.Equal(t, string(out), string(FormatReply(r2.Code, EnhancedCode{}, r2.Lines...)))
		if e := r.Err(); e != nil {
			var se *Error
			require.ErrorAs(t, e, &se)
			// Formatting the error and reading it back keeps code and enhanced code.
			r3, err := ParseReply(bufio.NewReader(bytes.NewReader(se.Format())))
			require.NoError(t, err)
			require.Equal(t, se.Code, r3.Code)
			if !se.EnhancedCode.IsZero() {
				require.Equal(t, se.EnhancedCode, r3.EnhancedCode())
			}
		}
	})
}

func BenchmarkParseReply(b *testing.B) {
	wire := []byte("250-mail.example.org Hello client.example.com\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n" +
		"250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 DSN\r\n")
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	rd := bytes.NewReader(wire)
	br := bufio.NewReader(rd)
	for b.Loop() {
		rd.Reset(wire)
		br.Reset(rd)
		if _, err := ParseReply(br); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormatReply(b *testing.B) {
	buf := make([]byte, 0, 256)
	enh := EnhancedCode{2, 1, 5}
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendReply(buf[:0], 250, enh, "Recipient <someone@example.org> OK")
	}
}
