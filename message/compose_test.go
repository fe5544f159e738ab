package message

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mime"
)

// leafView is what a round-trip test compares of a part read back.
type leafView struct {
	Type, Charset, Filename, Disposition, ContentID string
	Body                                            string
}

type readBack struct {
	Subject string
	From    []Address
	To      []Address
	Types   []string // media type of every entity, depth first
	Leaves  []leafView
}

func readBackMessage(t *testing.T, raw []byte) readBack {
	t.Helper()
	m, err := Read(bytes.NewReader(raw))
	require.NoError(t, err)
	var rb readBack
	rb.Subject = m.Header.Subject()
	rb.From, err = m.Header.From()
	require.NoError(t, err)
	rb.To, err = m.Header.To()
	require.NoError(t, err)
	require.NoError(t, m.Walk(func(p *mime.Part) error {
		rb.Types = append(rb.Types, p.MediaType)
		assert.Empty(t, p.Defects, "defects in %s", p.Path)
		if p.Kind != mime.Leaf {
			return nil
		}
		body, err := io.ReadAll(p.Body())
		require.NoError(t, err)
		cid, _ := ParseMessageID(p.Header.Get("Content-Id"))
		rb.Leaves = append(rb.Leaves, leafView{Type: p.MediaType, Charset: p.Charset(),
			Filename: p.Filename(), Disposition: p.Disposition(), ContentID: cid, Body: string(body)})
		return nil
	}))
	return rb
}

// checkWireForm checks RFC 5322 2.1.1 and 7-bit cleanliness.
func checkWireForm(t *testing.T, raw []byte, allow8bit bool) {
	t.Helper()
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		assert.LessOrEqual(t, len(line), 998, "line %d too long", i)
		assert.NotContains(t, string(line), "\r", "bare CR in line %d", i)
		assert.NotContains(t, string(line), "\n", "bare LF in line %d", i)
		if !allow8bit {
			for _, c := range line {
				if c >= 0x80 || c == 0 {
					t.Fatalf("line %d is not 7-bit clean: %.80q", i, line)
				}
			}
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestBuilderRoundTrip(t *testing.T) {
	png := randomBytes(3000)
	pdf := randomBytes(100000)
	longLine := strings.Repeat("long line without any break ", 60) // > 998 octets
	names := []struct {
		name, subject, fromName, filename string
	}{
		{"ascii", "Quarterly report", "Bob Smith", "report.pdf"},
		{"utf-8", "Grüße aus Köln — 東京 🎉", "Zoë Ångström", "résumé 履歴書.pdf"},
		{"specials", "Re: [list] \"quoted\" =?not-a-word?=", "Smith, Bob (Jr.)", "a;b=c \"d\".pdf"},
	}
	shapes := []struct {
		name  string
		build func(b *Builder)
		types []string
	}{
		{"text", func(b *Builder) { b.Text = "Hello,\nworld.\n" }, []string{"text/plain"}},
		{"html", func(b *Builder) { b.HTML = "<p>Hello</p>" }, []string{"text/html"}},
		{"alternative", func(b *Builder) { b.Text = "Hi ünïcode"; b.HTML = "<p>Hi ünïcode</p>" },
			[]string{"multipart/alternative", "text/plain", "text/html"}},
		{"related", func(b *Builder) {
			b.HTML = `<img src="cid:logo@x">`
			b.Inline = []Attachment{{Filename: "logo.png", ContentID: "logo@x", Body: bytes.NewReader(png)}}
		}, []string{"multipart/related", "text/html", "image/png"}},
		{"mixed", func(b *Builder) {
			b.Text = longLine
			b.Attachments = []Attachment{{Filename: "FILENAME", Body: bytes.NewReader(pdf)}}
		}, []string{"multipart/mixed", "text/plain", "application/pdf"}},
		{"everything", func(b *Builder) {
			b.Text = "plain"
			b.HTML = `<img src="cid:logo@x">`
			b.Inline = []Attachment{{Filename: "logo.png", ContentID: "logo@x", Body: bytes.NewReader(png)}}
			b.Attachments = []Attachment{
				{Filename: "FILENAME", Body: bytes.NewReader(pdf)},
				{Filename: "notes.txt", ContentType: "text/plain; charset=utf-8", Body: strings.NewReader("naïve notes\r\n")},
			}
		}, []string{"multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png", "application/pdf", "text/plain"}},
	}
	for _, nm := range names {
		for _, sh := range shapes {
			for _, allow8 := range []bool{false, true} {
				t.Run(nm.name+"/"+sh.name, func(t *testing.T) {
					var b Builder
					b.Allow8Bit = allow8
					b.Now = func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
					from := []Address{{Name: nm.fromName, Addr: "bob@example.com"}}
					to := []Address{{Name: "Undisclosed", Group: true}}
					b.Header.SetAddressList("From", from)
					b.Header.SetAddressList("To", to)
					b.Header.SetSubject(nm.subject)
					sh.build(&b)
					for i := range b.Attachments {
						if b.Attachments[i].Filename == "FILENAME" {
							b.Attachments[i].Filename = nm.filename
						}
					}
					var out bytes.Buffer
					_, err := b.WriteTo(&out)
					require.NoError(t, err)
					raw := out.Bytes()
					checkWireForm(t, raw, allow8)

					rb := readBackMessage(t, raw)
					assert.Equal(t, nm.subject, rb.Subject)
					assert.Equal(t, from, rb.From)
					assert.Equal(t, to, rb.To)
					assert.Equal(t, sh.types, rb.Types)
					for _, l := range rb.Leaves {
						switch {
						case l.Type == "application/pdf":
							assert.Equal(t, string(pdf), l.Body)
							assert.Equal(t, nm.filename, l.Filename)
							assert.Equal(t, "attachment", l.Disposition)
						case l.Type == "image/png":
							assert.Equal(t, string(png), l.Body)
							assert.Equal(t, "logo@x", l.ContentID)
							assert.Equal(t, "inline", l.Disposition)
						case l.Filename == "notes.txt":
							assert.Equal(t, "naïve notes\r\n", l.Body)
						case l.Type == "text/plain" && sh.name == "mixed":
							assert.Equal(t, longLine, l.Body)
						}
					}
				})
			}
		}
	}
}

func TestBuilderTextEncoding(t *testing.T) {
	tests := []struct {
		text      string
		allow8bit bool
		cte       string
		charset   string
	}{
		{"plain ascii\n", false, "7bit", "us-ascii"},
		{"ünïcode\n", false, "quoted-printable", "utf-8"},
		{"ünïcode\n", true, "8bit", "utf-8"},
		{strings.Repeat("x", 1200), false, "quoted-printable", "us-ascii"},
	}
	for _, tc := range tests {
		var b Builder
		b.Text = tc.text
		b.Allow8Bit = tc.allow8bit
		var out bytes.Buffer
		_, err := b.WriteTo(&out)
		require.NoError(t, err)
		m, err := Read(&out)
		require.NoError(t, err)
		assert.Equal(t, tc.cte, m.Root().TransferEncoding(), tc.text)
		assert.Equal(t, tc.charset, m.Root().Charset())
		body, err := io.ReadAll(m.Root().Body())
		require.NoError(t, err)
		assert.Equal(t, strings.ReplaceAll(tc.text, "\n", "\r\n"), string(body))
		assert.NotEmpty(t, m.Header.MessageID())
		_, err = m.Header.Date()
		assert.NoError(t, err)
	}
}

func TestBuilderNoBody(t *testing.T) {
	var b Builder
	_, err := b.WriteTo(io.Discard)
	assert.ErrorIs(t, err, ErrNoBody)
}

func TestBuilderForwardsMessage(t *testing.T) {
	inner := "Subject: inner\r\nFrom: a@example.org\r\n\r\ninner body\r\n"
	var b Builder
	b.Text = "see attached"
	b.Attachments = []Attachment{{Filename: "fwd.eml", ContentType: "message/rfc822", Body: strings.NewReader(inner)}}
	var out bytes.Buffer
	_, err := b.WriteTo(&out)
	require.NoError(t, err)
	rb := readBackMessage(t, out.Bytes())
	assert.Equal(t, []string{"multipart/mixed", "text/plain", "message/rfc822", "text/plain"}, rb.Types)
	assert.Equal(t, "inner body\r\n", rb.Leaves[1].Body)

	b.Attachments = []Attachment{{ContentType: "message/rfc822", Body: strings.NewReader("Subject: x\n\nbare LF\n")}}
	_, err = b.WriteTo(io.Discard)
	assert.ErrorIs(t, err, ErrInvalidEncapsulated)
}

func TestBuilderEightBitAddress(t *testing.T) {
	var b Builder
	b.Text = "hi"
	b.Header.SetAddressList("To", []Address{{Addr: "jörg@bücher.example"}})
	_, err := b.WriteTo(io.Discard)
	assert.ErrorIs(t, err, ErrEightBitHeader)
	b.Allow8Bit = true
	var out bytes.Buffer
	_, err = b.WriteTo(&out)
	require.NoError(t, err)
	m, err := Read(&out)
	require.NoError(t, err)
	to, err := m.Header.To()
	require.NoError(t, err)
	assert.Equal(t, "jörg@bücher.example", to[0].Addr)
}

// TestBuilderCharsetRoundTrip writes messages for receivers that do not
// read UTF-8 and reads them back: the Subject, the From display name, the
// file name and the text all in one legacy charset.
func TestBuilderCharsetRoundTrip(t *testing.T) {
	pdf := randomBytes(5000)
	tests := []struct {
		charset, subject, fromName, filename, text string
	}{
		{"iso-8859-1", "Grüße aus Köln - la réunion, « à bientôt »", "Zoë Ångström", "résumé café.pdf",
			"Café crème\nÀ bientôt, ñ ß ÿ\n"},
		{"iso-8859-15", "Facture de 10 € pour l'Œuvre", "Šimon Žaneta", "œuvre à 10 €.pdf",
			"Prix : 10 €\nŒuvre, Ÿ\n"},
		{"windows-1252", "“Smart” quotes – €5 … ‰", "Zoë “Z” Smith", "naïve – draft.pdf",
			"“Hello” — it’s €5\n"},
		{"koi8-r", "Привет, мир! Это очень длинная тема письма для проверки переноса строк", "Иван Петров",
			"отчёт за первый квартал, очень длинное имя файла для проверки продолжений.pdf", "Здравствуйте!\nКак дела? Ёлка.\n"},
		{"ISO-2022-JP", "会議のお知らせ：来週の予定について、皆様のご都合をお知らせください", "山田 太郎",
			"長いファイル名の議事録テスト資料（最終版）第二四半期.pdf", "こんにちは。\n来週の会議についてお知らせします。\nASCII line\n"},
		{"shift_jis", "会議のお知らせ：来週の予定について ｶﾀｶﾅ", "山田 太郎", "議事録 ｶﾀｶﾅ.pdf",
			"こんにちは。ｶﾀｶﾅ\n来週の会議についてお知らせします。\n"},
		{"euc-kr", "안녕하세요, 다음 주 회의 일정을 알려드립니다", "김철수", "회의록 최종본.pdf",
			"안녕하세요.\n다음 주 회의에 대해 알려드립니다.\n"},
		{"gb2312", "会议通知：下周安排，请各位准时参加", "王小明", "会议记录（最终版）.pdf", "你好，世界！\n下周见。\n"},
		{"gbk", "会议通知：下周安排 镕", "王小明", "报告 镕.pdf", "你好，世界！镕\n"},
		{"big5", "會議通知：下週安排，請各位準時參加", "陳大文", "會議記錄.pdf", "你好，世界！\n下週見。\n"},
	}
	for _, tt := range tests {
		for _, allow8 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/8bit=%v", tt.charset, allow8), func(t *testing.T) {
				var b Builder
				b.Charset = tt.charset
				b.Allow8Bit = allow8
				b.Now = func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
				from := []Address{{Name: tt.fromName, Addr: "sender@example.com"}}
				require.NoError(t, b.Header.SetSubjectCharset(tt.subject, tt.charset))
				require.NoError(t, b.Header.SetAddressListCharset("From", from, tt.charset))
				b.Header.SetAddressList("To", []Address{{Addr: "rcpt@example.com"}})
				b.Text = tt.text
				b.HTML = "<p>" + tt.text + "</p>"
				b.Attachments = []Attachment{{Filename: tt.filename, Body: bytes.NewReader(pdf)}}
				var out bytes.Buffer
				_, err := b.WriteTo(&out)
				require.NoError(t, err)
				raw := out.Bytes()
				checkWireForm(t, raw, allow8)
				assert.NotContains(t, string(raw), "UTF-8", "everything is in %s", tt.charset)
				assert.NotContains(t, string(raw), "utf-8")

				m, err := Read(bytes.NewReader(raw))
				require.NoError(t, err)
				assert.Contains(t, m.Header.Get("Subject"), "=?"+tt.charset+"?")
				rb := readBackMessage(t, raw)
				assert.Equal(t, tt.subject, rb.Subject)
				assert.Equal(t, from, rb.From)
				assert.Equal(t, []string{"multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"}, rb.Types)
				require.Len(t, rb.Leaves, 3)
				for i, want := range []string{tt.text, "<p>" + tt.text + "</p>"} {
					l := rb.Leaves[i]
					assert.Equal(t, strings.ToLower(tt.charset), l.Charset)
					text, err := mime.DecodeCharset(l.Charset, []byte(l.Body))
					require.NoError(t, err)
					assert.Equal(t, normalizeLineBreaks(want), text)
				}
				assert.Equal(t, tt.filename, rb.Leaves[2].Filename)
				assert.Equal(t, string(pdf), rb.Leaves[2].Body)

				// The body through a charset reader, as a mail reader would.
				require.NoError(t, m.Walk(func(p *mime.Part) error {
					if p.MediaType != "text/plain" {
						return nil
					}
					if strings.EqualFold(tt.charset, "iso-2022-jp") {
						assert.Equal(t, "7bit", p.TransferEncoding(), "ISO-2022-JP is 7-bit")
					}
					r, err := mime.NewCharsetReader(p.Charset(), p.Body())
					require.NoError(t, err)
					text, err := io.ReadAll(r)
					require.NoError(t, err)
					assert.Equal(t, normalizeLineBreaks(tt.text), string(text))
					return nil
				}))
			})
		}
	}
}

func TestBuilderCharsetErrors(t *testing.T) {
	build := func(charset, text, filename string) (*bytes.Buffer, error) {
		var b Builder
		b.Charset = charset
		b.Text = text
		if filename != "" {
			b.Attachments = []Attachment{{Filename: filename, Body: strings.NewReader("x")}}
			b.Inline = []Attachment{{Filename: filename, Body: strings.NewReader("x")}}
		}
		var out bytes.Buffer
		_, err := b.WriteTo(&out)
		return &out, err
	}
	for _, tc := range []struct {
		charset, text, filename string
		want                    error
	}{
		{"iso-8859-1", "日本", "", mime.ErrUnrepresentable},
		{"iso-8859-1", "café", "東京.pdf", mime.ErrUnrepresentable},
		{"iso-2022-jp", "ｶﾀｶﾅ", "", mime.ErrUnrepresentable},
		{"utf-16", "hi", "", mime.ErrCharsetNotWritable},
		{"x-no-such", "hi", "", mime.ErrUnknownCharset},
	} {
		out, err := build(tc.charset, tc.text, tc.filename)
		assert.ErrorIs(t, err, tc.want, "%s %q %q", tc.charset, tc.text, tc.filename)
		assert.Zero(t, out.Len(), "nothing is written on error")
	}

	// An explicit UTF-8 labels the text so even when it is ASCII.
	out, err := build("utf-8", "plain", "")
	require.NoError(t, err)
	m, err := Read(out)
	require.NoError(t, err)
	assert.Equal(t, "utf-8", m.Root().Charset())
	// 8-bit charsets go as 8bit with Allow8Bit, else quoted-printable.
	for _, allow8 := range []bool{false, true} {
		var b Builder
		b.Charset, b.Text, b.Allow8Bit = "koi8-r", "Привет\n", allow8
		var out bytes.Buffer
		_, err := b.WriteTo(&out)
		require.NoError(t, err)
		m, err := Read(&out)
		require.NoError(t, err)
		want := map[bool]string{false: "base64", true: "8bit"}[allow8]
		assert.Equal(t, want, m.Root().TransferEncoding())
	}
}

func TestBuilderReviewedCases(t *testing.T) {
	write := func(b *Builder) (string, error) {
		var out bytes.Buffer
		_, err := b.WriteTo(&out)
		return out.String(), err
	}
	t.Run("an Addr cannot add recipients", func(t *testing.T) {
		var h Header
		assert.ErrorIs(t, h.SetAddressList("To", []Address{{Name: "V", Addr: "v@x.test>, attacker@evil.test"}}), ErrInvalidAddress)
		assert.ErrorIs(t, h.SetAddressList("Cc", []Address{{Addr: "v@x.test, attacker@evil.test"}}), ErrInvalidAddress)
		assert.False(t, h.Has("To") || h.Has("Cc"))
		assert.NoError(t, h.SetAddressList("To", []Address{{Addr: "john doe@x.test"}}), "a local part that needs quoting is fine")
	})
	t.Run("a header read from a message is written anew with CRLF", func(t *testing.T) {
		m, err := Read(strings.NewReader("From: a@b.test\nSubject: hello\n world\n\nbody\n"))
		require.NoError(t, err)
		out, err := write(&Builder{Header: m.Header, Text: "reply"})
		require.NoError(t, err)
		checkWireForm(t, []byte(out), false)
		assert.Contains(t, out, "Subject: hello world\r\n")
	})
	t.Run("inline files without HTML are sent with the attachments", func(t *testing.T) {
		out, err := write(&Builder{Text: "see picture", Inline: []Attachment{{Filename: "a.png", ContentID: "a@x", Body: strings.NewReader("png")}}})
		require.NoError(t, err)
		rb := readBackMessage(t, []byte(out))
		assert.Equal(t, []string{"multipart/mixed", "text/plain", "image/png"}, rb.Types)
		assert.Equal(t, "inline", rb.Leaves[1].Disposition)
	})
	t.Run("composite attachments are not encoded", func(t *testing.T) {
		out, err := write(&Builder{Text: "t", Attachments: []Attachment{{ContentType: "multipart/mixed; boundary=b", Body: strings.NewReader("--b\r\n\r\nx\r\n--b--\r\n")}}})
		require.NoError(t, err)
		assert.NotContains(t, out, "base64")
		_, err = write(&Builder{Text: "t", Attachments: []Attachment{{ContentType: "message/rfc822", Body: strings.NewReader("Subject: x\r\n\r\nbody\r")}}})
		assert.ErrorIs(t, err, ErrInvalidEncapsulated, "a final bare CR")
	})
	t.Run("a caller's transfer encoding does not reach a multipart", func(t *testing.T) {
		b := &Builder{Text: "x", HTML: "<p>x</p>"}
		b.Header.Set("Content-Transfer-Encoding", "base64")
		out, err := write(b)
		require.NoError(t, err)
		rb := readBackMessage(t, []byte(out)) // fails on defects
		assert.Equal(t, "multipart/alternative", rb.Types[0])
	})
	t.Run("Content-IDs are checked", func(t *testing.T) {
		for _, id := range []string{"ü@x", "a\x00b@x", "c>", "a b@x"} {
			_, err := write(&Builder{HTML: "<p>", Inline: []Attachment{{ContentID: id, Body: strings.NewReader("x")}}})
			assert.ErrorIs(t, err, ErrInvalidMessageID, "%q", id)
		}
		assert.Equal(t, "<a@b>", FormatMessageID("<a@b"))
	})
	t.Run("the message header is the caller's", func(t *testing.T) {
		m, err := Read(strings.NewReader("X-A: 1\r\nSubject: s\r\nX-B: 2\r\n\r\nbody\r\n"))
		require.NoError(t, err)
		m.Header.Del("X-A")
		assert.Equal(t, 3, m.Root().Header.Len())
		_, err = m.Root().Header.WriteTo(io.Discard)
		assert.NoError(t, err)
	})
	t.Run("repeated destination fields are one list", func(t *testing.T) {
		m, err := Read(strings.NewReader("From: a@x.test\r\nFrom: b@x.test\r\nTo: b@x.test\r\nTo: c@x.test\r\n\r\nbody\r\n"))
		require.NoError(t, err)
		to, err := m.Header.To()
		require.NoError(t, err)
		assert.Len(t, to, 2)
		from, err := m.Header.From()
		require.NoError(t, err)
		assert.Len(t, from, 1, "originator fields: the first counts")
	})
}

func TestSetMessageIDChecks(t *testing.T) {
	var h Header
	require.NoError(t, h.SetMessageID("<a@b.example>"))
	assert.Equal(t, "a@b.example", h.MessageID())
	for _, bad := range []string{"", "a@b> <c@d", "a b@c", "a\x00@b"} {
		assert.ErrorIs(t, h.SetMessageID(bad), ErrInvalidMessageID, "%q", bad)
	}
	assert.Equal(t, "a@b.example", h.MessageID(), "unchanged after errors")
	require.NoError(t, h.SetMessageIDList("References", []string{"x@y", "<z@w>"}))
	assert.Equal(t, []string{"x@y", "z@w"}, h.References())
	assert.Error(t, h.SetMessageIDList("References", []string{"x@y", "bad id"}))
}
