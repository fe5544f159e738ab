package imap

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecoderElements(t *testing.T) {
	d := newDec(`atom "q\"uo\\ted" {3}` + "\r\nlit NIL 4294967295 9223372036854775807 (a (b c) ()) \\Seen \\* $Junk \"17-Jul-1996 02:44:25 -0700\" \" 7-Jul-1996 02:44:25 +0000\" 1-Feb-1994 \"28-Oct-2006\" rest of line\r\n")
	a, err := d.Atom()
	require.NoError(t, err)
	assert.Equal(t, "atom", a)
	require.NoError(t, d.SP())
	s, err := d.String()
	require.NoError(t, err)
	assert.Equal(t, `q"uo\ted`, s)
	require.NoError(t, d.SP())
	s, err = d.AString()
	require.NoError(t, err)
	assert.Equal(t, "lit", s)
	require.NoError(t, d.SP())
	_, isNil, err := d.NString()
	require.NoError(t, err)
	assert.True(t, isNil)
	require.NoError(t, d.SP())
	n, err := d.Number()
	require.NoError(t, err)
	assert.Equal(t, uint32(4294967295), n)
	require.NoError(t, d.SP())
	n64, err := d.Number64()
	require.NoError(t, err)
	assert.Equal(t, uint64(1<<63-1), n64)
	require.NoError(t, d.SP())
	var items []string
	var item func() error
	item = func() error {
		if b, _ := d.PeekByte(); b == '(' {
			items = append(items, "(")
			return d.List(item)
		}
		a, err := d.Atom()
		items = append(items, a)
		return err
	}
	require.NoError(t, d.List(item))
	assert.Equal(t, []string{"a", "(", "b", "c", "("}, items)
	for _, want := range []string{`\Seen`, `\*`, "$Junk"} {
		require.NoError(t, d.SP())
		f, err := d.Flag()
		require.NoError(t, err)
		assert.Equal(t, want, f)
	}
	require.NoError(t, d.SP())
	dt, err := d.DateTime()
	require.NoError(t, err)
	assert.Equal(t, "1996-07-17T02:44:25-07:00", dt.Format(time.RFC3339))
	require.NoError(t, d.SP())
	dt, err = d.DateTime()
	require.NoError(t, err)
	assert.Equal(t, "1996-07-07T02:44:25Z", dt.Format(time.RFC3339))
	for _, want := range []string{"1994-02-01", "2006-10-28"} {
		require.NoError(t, d.SP())
		dt, err = d.Date()
		require.NoError(t, err)
		assert.Equal(t, want, dt.Format(time.DateOnly))
	}
	require.NoError(t, d.SP())
	s, err = d.Text()
	require.NoError(t, err)
	assert.Equal(t, "rest of line", s)
	require.NoError(t, d.CRLF())
}

// TestDecoderHostile: malformed and hostile input gives a syntax error
// or a limit error, never a panic, never unbounded reads.
func TestDecoderHostile(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		read     func(d *Decoder) error
		want     error
	}{
		{"unterminated quoted", "\"abc\r\n", func(d *Decoder) error { _, err := d.Quoted(); return err }, nil},
		{"quoted EOF", "\"abc", func(d *Decoder) error { _, err := d.Quoted(); return err }, io.ErrUnexpectedEOF},
		{"NUL in quoted", "\"a\x00b\"", func(d *Decoder) error { _, err := d.Quoted(); return err }, nil},
		{"bad UTF-8 in quoted", "\"a\xffb\"", func(d *Decoder) error { _, err := d.Quoted(); return err }, nil},
		{"NUL in literal", "{3}\r\na\x00b", func(d *Decoder) error { _, err := d.String(); return err }, nil},
		{"literal8 not allowed", "~{3}\r\nabc", func(d *Decoder) error { _, err := d.String(); return err }, nil},
		{"8-bit in atom", "ab\xc3\xa9", func(d *Decoder) error { d.Atom(); return d.CRLF() }, nil},
		{"huge number", "99999999999999999999999", func(d *Decoder) error { _, err := d.Number64(); return err }, nil},
		{"number64 over 2^63", "9223372036854775808 ", func(d *Decoder) error { _, err := d.Number64(); return err }, nil},
		{"number over 2^32", "4294967296 ", func(d *Decoder) error { _, err := d.Number(); return err }, nil},
		{"empty atom", " ", func(d *Decoder) error { _, err := d.Atom(); return err }, nil},
		{"deep lists", strings.Repeat("(", 100), func(d *Decoder) error {
			var item func() error
			item = func() error { return d.List(item) }
			return d.List(item)
		}, ErrTooDeep},
		{"long line", strings.Repeat("a", 100000), func(d *Decoder) error { _, err := d.Atom(); return err }, ErrLineTooLong},
		{"literal too big", "{2000000}\r\n", func(d *Decoder) error { _, err := d.String(); return err }, ErrLiteralTooBig},
		{"literal size overflow", "{99999999999999999999}\r\n", func(d *Decoder) error { _, err := d.String(); return err }, nil},
		{"short literal", "{10}\r\nabc", func(d *Decoder) error { _, err := d.String(); return err }, io.ErrUnexpectedEOF},
		{"bad date", "\"31-Feb-2020 00:00:00 +0000\"", func(d *Decoder) error { _, err := d.DateTime(); return err }, nil},
		{"bad zone", "\"01-Feb-2020 00:00:00 0000\"", func(d *Decoder) error { _, err := d.DateTime(); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDec(tc.in)
			err := tc.read(d)
			require.Error(t, err)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			} else {
				var se *SyntaxError
				assert.True(t, errors.As(err, &se), "%v", err)
			}
		})
	}
}

func TestLiteralReader(t *testing.T) {
	d := newDec("{10}\r\n0123456789 next\r\n")
	r, info, err := d.LiteralReader(false)
	require.NoError(t, err)
	assert.Equal(t, LiteralInfo{Size: 10, Sync: true}, info)
	buf := make([]byte, 4)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	assert.Equal(t, "0123", string(buf))
	// The rest is discarded by the next read.
	require.NoError(t, d.SP())
	a, err := d.Atom()
	require.NoError(t, err)
	assert.Equal(t, "next", a)
}

func TestEncoderElements(t *testing.T) {
	s, err := encode(t, func(e *Encoder) error {
		e.Atom("a").SP().Quoted(`q"\`).SP().String("x y").SP().String("").SP().String("a\rb").SP().
			AString("inbox").SP().AString("NIL").SP().AString("a b").SP().NString("", true).SP().
			NStringOrNIL("").SP().Number(7).SP().Number64(1<<63-1).SP().
			FlagList([]string{`\Seen`, "$Junk", `\*`}).SP().SeqSet(SeqSet{Ranges: []SeqRange{{1, Star}}, Saved: true}).SP().
			DateTime(time.Date(1996, 7, 7, 2, 44, 25, 0, time.FixedZone("", -7*3600))).SP().
			Date(time.Date(1994, 2, 1, 0, 0, 0, 0, time.UTC)).SP().
			Literal(strings.NewReader("a\x00b"), 3, true)
		return e.Err()
	})
	require.NoError(t, err)
	assert.Equal(t, `a "q\"\\" "x y" "" {3}`+"\r\na\rb inbox \"NIL\" \"a b\" NIL NIL 7 9223372036854775807 (\\Seen $Junk \\*) 1:*,$ \"07-Jul-1996 02:44:25 -0700\" 1-Feb-1994 ~{3}\r\na\x00b", s)

	for _, f := range []func(e *Encoder){
		func(e *Encoder) { e.Atom("a b") },
		func(e *Encoder) { e.Atom("") },
		func(e *Encoder) { e.Quoted("a\nb") },
		func(e *Encoder) { e.String("a\x00b") },
		func(e *Encoder) { e.Flag(`\a b`) },
		func(e *Encoder) { e.SeqSet(SeqSet{}) },
	} {
		_, err := encode(t, func(e *Encoder) error { f(e); return e.Err() })
		assert.ErrorIs(t, err, ErrBadString)
	}

	// The continuation hook can refuse: nothing of the literal is sent.
	var sb strings.Builder
	e := NewEncoder(bufio.NewWriter(&sb))
	e.OnSyncLiteral = func() error { return errors.New("refused") }
	e.String("a\r\nb")
	assert.EqualError(t, e.Flush(), "refused")
	assert.Equal(t, "{4}\r\n", sb.String())
}

func TestFetchItemString(t *testing.T) {
	for _, s := range []string{"BODY[]", "BODY.PEEK[1.2.MIME]<5.10>", "BINARY[1]", "BODY[HEADER.FIELDS (From \"a b\")]", "RFC822.SIZE"} {
		d := newDec(s + "\r\n")
		f, err := d.FetchItem(false)
		require.NoError(t, err, s)
		assert.Equal(t, s, f.String())
	}
}
