package mailbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mime"
)

// layoutMessage is a testMessage whose store keeps its TextLayout.
type layoutMessage struct {
	*testMessage
	layout *TextLayout
	calls  int
}

func (m *layoutMessage) TextLayout(ctx context.Context) (*TextLayout, error) {
	m.calls++
	return m.layout, ctx.Err()
}

// withLayouts returns the messages of mb with their text layouts.
func withLayouts(t testing.TB, mb *testMailbox) []*layoutMessage {
	var out []*layoutMessage
	for _, m := range mb.msgs {
		b, _ := m.Open(context.Background())
		l, err := ReadTextLayout(b)
		require.NoError(t, err, "UID %d", m.uid)
		out = append(out, &layoutMessage{testMessage: m, layout: l})
	}
	return out
}

// layoutMailbox is a testMailbox whose messages are TextLayouters.
type layoutMailbox struct {
	*testMailbox
	msgs []*layoutMessage
}

func (mb *layoutMailbox) Fetch(ctx context.Context, uids UIDSet, fn func(Message) error) error {
	for _, m := range mb.msgs {
		if uids.Contains(m.uid) {
			if err := fn(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadCorpusFiles returns every message of testdata/messages
// (MANIFEST.tsv), in two forms: as stored, and with bare LF made CRLF
// as IMAP stores them.
func loadCorpusFiles(t testing.TB) *testMailbox {
	dir := filepath.Join("..", "testdata", "messages")
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	require.NoError(t, err)
	defer f.Close()
	mb := &testMailbox{}
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		name, _, _ := strings.Cut(sc.Text(), "\t")
		raw, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		crlf := bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		for _, r := range [][]byte{raw, crlf} {
			mb.msgs = append(mb.msgs, &testMessage{uid: UID(len(mb.msgs) + 1), raw: r, modSeq: 1,
				date: searchInternalDate(1)})
		}
	}
	return mb
}

// readerTexts returns what scanBody reads of a message: the
// transfer-decoded body and charset of each searchable leaf, in order.
func readerTexts(t testing.TB, raw []byte) (texts [][]byte, charsets []string) {
	mr := mime.NewReader(bytes.NewReader(raw))
	defer mr.Close()
	for {
		p, err := mr.Next()
		if err == io.EOF || errors.Is(err, mime.ErrLimitExceeded) {
			return texts, charsets
		}
		require.NoError(t, err)
		if !searchable(p) {
			continue
		}
		b, err := io.ReadAll(p.Body())
		require.NoError(t, err)
		texts = append(texts, b)
		charsets = append(charsets, p.Charset())
	}
}

// layoutTexts returns what scanLayout reads of a message.
func layoutTexts(t testing.TB, raw []byte, l *TextLayout) (texts [][]byte, charsets []string) {
	for _, tp := range l.Parts {
		b, err := io.ReadAll(mime.NewDecoder(tp.TransferEncoding, bytes.NewReader(raw[tp.BodyOffset:tp.EndOffset])))
		require.NoError(t, err)
		texts = append(texts, b)
		charsets = append(charsets, tp.Charset)
	}
	return texts, charsets
}

// TestTextLayoutMatchesReader checks, over the whole corpus, that the
// parts of a TextLayout decode to exactly the texts mime.Reader hands
// the search, in the same charsets.
func TestTextLayoutMatchesReader(t *testing.T) {
	mb := loadCorpusFiles(t)
	mb.msgs = append(mb.msgs, loadSearchCorpus(t).msgs...)
	without := 0
	for _, m := range withLayouts(t, mb) {
		if m.layout == nil {
			without++
			continue
		}
		wantT, wantC := readerTexts(t, m.raw)
		gotT, gotC := layoutTexts(t, m.raw, m.layout)
		require.Equal(t, wantC, gotC, "message %d", m.uid)
		require.Equal(t, len(wantT), len(gotT), "message %d", m.uid)
		for i := range wantT {
			require.True(t, bytes.Equal(wantT[i], gotT[i]), "message %d part %d: %q\nvs %q", m.uid, i, wantT[i], gotT[i])
		}
	}
	// Messages without a layout are the rare ones (text inside an
	// encoded message/rfc822, a huge undelimited multipart).
	assert.Less(t, without, len(mb.msgs)/20, "messages without a layout")
}

// utf8Texts returns the texts a BODY search looks in, the slow way: each
// searchable part decoded whole, and converted to UTF-8 by
// mime.NewCharsetReader, but for UTF-8 and US-ASCII, which the search
// reads as they are (each invalid octet is one U+FFFD to foldString).
func utf8Texts(t testing.TB, raw []byte) [][]byte {
	texts, charsets := readerTexts(t, raw)
	for i, text := range texts {
		if slices.Contains([]string{"", "us-ascii", "utf-8", "utf8"}, charsets[i]) {
			continue
		}
		if r, err := mime.NewCharsetReader(charsets[i], bytes.NewReader(text)); err == nil {
			b, err := io.ReadAll(r)
			require.NoError(t, err)
			texts[i] = b
		}
	}
	return texts
}

// bodyOracle reports whether a BODY search for needle should match a
// message whose parts hold folded, the parts' texts folded whole.
func bodyOracle(folded [][]byte, needle string) bool {
	n := foldString(needle)
	return slices.ContainsFunc(folded, func(text []byte) bool { return bytes.Contains(text, n) })
}

// differentialNeedles returns the BODY strings tried on one message:
// fixed ones, and pieces of the message's own decoded text, cut at
// random rune boundaries (so some span encoded line breaks), some with
// their case changed.
func differentialNeedles(t testing.TB, rng *rand.Rand, raw []byte) []string {
	needles := []string{"attached", "ATTACHED", "Content-Type", "the ", "é", "Über", "привет",
		"日本語", "\u212a", "\u017f", "ß", "=20", "\r\n", "", "qwertyuiop"}
	for _, text := range utf8Texts(t, raw) {
		if len(text) == 0 {
			continue
		}
		for range 3 {
			start := rng.IntN(len(text))
			for start > 0 && !utf8.RuneStart(text[start]) {
				start--
			}
			end := min(len(text), start+1+rng.IntN(40))
			for end < len(text) && !utf8.RuneStart(text[end]) {
				end++
			}
			s := strings.ToValidUTF8(string(text[start:end]), "\uFFFD")
			switch rng.IntN(3) {
			case 1:
				s = strings.ToUpper(s)
			case 2:
				s = strings.Map(unicode.SimpleFold, s)
			}
			needles = append(needles, s)
		}
	}
	return needles
}

// TestSearchLayoutDifferential checks, over the whole corpus, that
// Match gives the same answer with a TextLayout as without, for BODY
// strings alone and with other keys.
func TestSearchLayoutDifferential(t *testing.T) {
	mb := loadCorpusFiles(t)
	mb.msgs = append(mb.msgs, loadSearchCorpus(t).msgs...)
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	found, tried := 0, 0
	for i, m := range withLayouts(t, mb) {
		if m.layout == nil || raceEnabled && i%5 != 0 {
			continue
		}
		needles := differentialNeedles(t, rng, m.raw)
		// Each string alone, and a few in combinations.
		var programs []SearchCriteria
		for _, n := range needles {
			programs = append(programs, SearchCriteria{Body: []string{n}})
		}
		for i := len(needles) - 3; i < len(needles); i++ {
			n, other := needles[i], needles[i-1]
			programs = append(programs,
				SearchCriteria{Body: []string{n, other}},
				SearchCriteria{Or: [][2]SearchCriteria{{{Body: []string{other}}, {Body: []string{n}}}}},
				SearchCriteria{Not: []SearchCriteria{{Body: []string{n}}}, Header: []SearchHeader{{"From", ""}}},
				SearchCriteria{Body: []string{n}, Header: []SearchHeader{{"Subject", "e"}}},
			)
		}
		var folded [][]byte
		for _, text := range utf8Texts(t, m.raw) {
			folded = append(folded, foldString(string(text)))
		}
		for i, c := range programs {
			want, err := Match(ctx, m.testMessage, &c)
			require.NoError(t, err)
			got, err := Match(ctx, m, &c)
			require.NoError(t, err)
			require.Equal(t, want, got, "message %d, %+v", m.uid, c)
			if i < len(needles) { // BODY alone
				require.Equal(t, bodyOracle(folded, c.Body[0]), got, "message %d, %q: not as folded whole", m.uid, c.Body[0])
			}
			tried++
			if want {
				found++
			}
		}
		require.Positive(t, m.calls, "message %d: layout not used", m.uid)
	}
	t.Logf("%d programs, %d matched", tried, found)
	assert.Greater(t, found, tried/5)
}

// TestSearchCasesWithLayout runs the search table with messages whose
// store keeps their text layout.
func TestSearchCasesWithLayout(t *testing.T) {
	tm := loadSearchCorpus(t)
	mb := &layoutMailbox{testMailbox: tm, msgs: withLayouts(t, tm)}
	for _, m := range mb.msgs {
		require.NotNil(t, m.layout, "UID %d", m.uid)
	}
	for _, tc := range searchCases() {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := Search(context.Background(), mb, &tc.C)
			require.NoError(t, err)
			assert.Equal(t, tc.Want, got)
		})
	}
}

// TestSearchLayoutReadsOnlyText checks that a BODY search with a layout
// reads the text parts and skips the rest.
func TestSearchLayoutReadsOnlyText(t *testing.T) {
	var b strings.Builder
	b.WriteString("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n")
	b.WriteString("Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nhello wor=\r\nld\r\n--b\r\n")
	b.WriteString("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for range 20000 {
		b.WriteString("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\r\n")
	}
	b.WriteString("--b--\r\n")
	m := &testMessage{uid: 1, raw: []byte(b.String())}
	body, _ := m.Open(context.Background())
	l, err := ReadTextLayout(body)
	require.NoError(t, err)
	require.Len(t, l.Parts, 1)
	assert.Equal(t, "quoted-printable", l.Parts[0].TransferEncoding)
	lm := &layoutMessage{testMessage: m, layout: l}
	for _, tc := range []struct {
		s    string
		want bool
	}{{"HELLO WORLD", true}, {"QUJD", false}, {"x", false}} {
		m.read.Store(0)
		ok, err := Match(context.Background(), lm, &SearchCriteria{Body: []string{tc.s}})
		require.NoError(t, err)
		assert.Equal(t, tc.want, ok, tc.s)
		assert.Less(t, m.read.Load(), int64(200), tc.s)
	}
}

// TestTextLayoutBounded checks that a message with too many text parts
// gets no layout, and is still searched.
func TestTextLayoutBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := range MaxTextLayoutParts + 1 {
		b.WriteString("--b\r\n\r\npart ")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString("\r\n")
	}
	b.WriteString("--b--\r\n")
	m := &testMessage{uid: 1, raw: []byte(b.String())}
	body, _ := m.Open(context.Background())
	l, err := ReadTextLayout(body)
	require.NoError(t, err)
	assert.Nil(t, l)
	lm := &layoutMessage{testMessage: m}
	ok, err := Match(context.Background(), lm, &SearchCriteria{Body: []string{"part " + strings.Repeat("x", MaxTextLayoutParts)}})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, slices.ContainsFunc([]int{lm.calls}, func(n int) bool { return n == 1 }))
}

// TestConvReader checks the evaluator's charset conversion against
// mime.NewCharsetReader, whatever the sizes of the reads under it.
func TestConvReader(t *testing.T) {
	ja := mustEncode(t, "shift_jis", strings.Repeat("日本語のテキスト、", 700)+"end")
	for _, tc := range []struct {
		charset string
		in      []byte
	}{
		{"shift_jis", ja},
		{"shift_jis", append(slices.Clone(ja), 0x93)}, // a truncated character
		{"utf-16le", []byte("h\x00i\x00\x3d\xd8")},
		{"iso-2022-jp", mustEncode(t, "iso-2022-jp", "こんにちは world")},
	} {
		r, err := mime.NewCharsetReader(tc.charset, bytes.NewReader(tc.in))
		require.NoError(t, err)
		want, err := io.ReadAll(r)
		require.NoError(t, err)
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r }, iotest.OneByteReader, iotest.HalfReader, iotest.DataErrReader,
		} {
			d, err := mime.NewCharsetDecoder(tc.charset)
			require.NoError(t, err)
			var c convReader
			c.reset(d, wrap(bytes.NewReader(tc.in)))
			var got []byte
			buf := make([]byte, 100)
			for {
				n, err := c.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
			}
			assert.Equal(t, string(want), string(got), tc.charset)
		}
	}
}
