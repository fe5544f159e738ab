package imap

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mime"
)

// previewMsg is a text/plain message from from with body text.
func previewMsg(from, text string) string {
	return "From: " + from + "\r\nSubject: s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text
}

// bigText is text of more than lazyPreviewBytes after line, which is
// what its preview shows.
func bigText(line string) string {
	return line + "\r\n\r\n" + strings.Repeat("-- \r\n", lazyPreviewBytes/5+1)
}

const lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n" +
	"Curabitur aliquam turpis et ante dictum, et pulvinar dui congue.\r\n" +
	"Maecenas hendrerit, lorem non imperdiet pellentesque, nulla\r\n" +
	"ligula nullam elit, vitae fermentum augue nunc in nisi. Donec\r\n"

func TestPreviewRFC8970Examples(t *testing.T) {
	ts := newTestServer(t)
	// Example 1: a message of 5647 octets.
	m := previewMsg("Fred <fred@example.org>", lorem)
	m += strings.Repeat("x", 5647-len(m)-2) + "\r\n"
	require.Len(t, m, 5647)
	ts.deliver(t, "INBOX", m)
	c := ts.login(t)
	assert.Contains(t, strings.Fields(c.ok("A1 CAPABILITY")[0]), "PREVIEW")
	c.ok("s SELECT INBOX")
	want := "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " +
		"Curabitur aliquam turpis et ante dictum, et pulvinar dui congue. " +
		"Maecenas hendrerit, lorem non imperdiet pellentesque, nulla " +
		"ligula nullam elit"
	require.Len(t, want, 200)
	assert.Equal(t, []string{`* 1 FETCH (RFC822.SIZE 5647 PREVIEW "` + want + `")`}, c.ok("A2 FETCH 1 (RFC822.SIZE PREVIEW)"))

	// Example 2, in a mailbox of its own: message 2 has no text, 3
	// and 4 are too large for LAZY.
	c.ok("b CREATE Two")
	ts.deliver(t, "Two", previewMsg("a@example.org", "Preview text for message 1.\r\n"))
	ts.deliver(t, "Two", "From: a@example.org\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n")
	ts.deliver(t, "Two", previewMsg("a@example.org", bigText("Message data from message 3.")))
	ts.deliver(t, "Two", previewMsg("a@example.org", bigText("Message 4 preview")))
	c.ok("c SELECT Two")
	r := c.ok("B1 FETCH 1:4 (ENVELOPE PREVIEW (LAZY))")
	require.Len(t, r, 4)
	for i, p := range []string{`"Preview text for message 1."`, `""`, `NIL`, `NIL`} {
		assert.True(t, strings.HasPrefix(r[i], fmt.Sprintf("* %d FETCH (ENVELOPE (", i+1)), r[i])
		assert.True(t, strings.HasSuffix(r[i], " PREVIEW "+p+")"), r[i])
	}
	assert.Equal(t, []string{
		`* 3 FETCH (PREVIEW "Message data from message 3.")`,
		`* 4 FETCH (PREVIEW "Message 4 preview")`,
	}, c.ok("B2 FETCH 3:4 (PREVIEW)"))
	// Now cached, LAZY has them too.
	assert.Equal(t, []string{`* 4 FETCH (PREVIEW "Message 4 preview")`}, c.ok("B3 FETCH 4 (PREVIEW (LAZY))"))

	// Example 3: UIDs 13 and 23 at 5 and 9, with SEARCHRES.
	c.ok("d CREATE Three")
	for uid := 1; uid <= 23; uid++ {
		switch uid {
		case 13:
			ts.deliver(t, "Three", previewMsg("FOO <foo@example.org>", "Preview!"))
		case 23:
			ts.deliver(t, "Three", previewMsg("FOO <foo@example.org>", bigText("Another preview!")))
		default:
			ts.deliver(t, "Three", previewMsg("bar@example.org", "Other"))
		}
	}
	c.ok("e SELECT Three")
	c.ok(`f UID STORE 5:12,14:19 +FLAGS.SILENT (\Deleted)`)
	c.ok("g EXPUNGE")
	c.send("C2 SEARCH RETURN (SAVE) FROM \"FOO\"\r\nC3 FETCH $ (UID PREVIEW (LAZY))\r\n")
	assert.Equal(t, []string{
		"C2 OK SEARCH completed",
		`* 5 FETCH (UID 13 PREVIEW "Preview!")`,
		`* 9 FETCH (UID 23 PREVIEW NIL)`,
		"C3 OK FETCH completed",
	}, c.until("C3"))
	assert.Equal(t, []string{`* 9 FETCH (UID 23 PREVIEW "Another preview!")`}, c.ok("C4 UID FETCH 23 (PREVIEW)"))
}

func TestMessagePreview(t *testing.T) {
	long := strings.Repeat("word ", 100)
	for _, tc := range []struct{ name, msg, want string }{
		{"no content type", "Subject: x\r\n\r\n  Hello,\r\n\r\n\tworld.  \r\n", "Hello, world."},
		{"quoted-printable latin1", "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me=\r\n br=FBl=E9e\r\n", "Café crème brûlée"},
		{"base64", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + "w6l0w6k=\r\n", "été"},
		{"html only", "Content-Type: text/html\r\n\r\n<html><head><title>T</title><style>p{color:red}</style></head><body><p>Hello&nbsp;<b>there</b> &amp; <!-- hidden -->you</p><script>alert(1)</script>!</body></html>", "Hello there & you !"},
		{"alternative prefers plain", "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>HTML</p>\r\n--b\r\nContent-Type: text/plain\r\n\r\nPlain\r\n--b--\r\n", "Plain"},
		{"attachment skipped", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nAttached\r\n--b\r\nContent-Type: image/png\r\n\r\nxx\r\n--b--\r\n", ""},
		{"image", "Content-Type: image/png\r\n\r\nxx\r\n", ""},
		{"unclosed tag", "Content-Type: text/html\r\n\r\nText <b", "Text"},
		{"unclosed script", "Content-Type: text/html\r\n\r\nA<script>b", "A"},
		{"control characters", "Content-Type: text/plain\r\n\r\na\x01b\x7fc", "a b c"},
		{"signature", "Content-Type: text/plain\r\n\r\nHi\r\n-- \r\nBob\r\n", "Hi"},
		{"signature first", "Content-Type: text/plain\r\n\r\n-- \nBob", ""},
		{"not a signature", "Content-Type: text/plain\r\n\r\nA -- \r\n--  \r\nB", "A -- -- B"},
		{"long", "Content-Type: text/plain\r\n\r\n" + long, strings.TrimSpace(long[:200])},
		{"invalid utf-8", "Content-Type: text/plain; charset=utf-8\r\n\r\na\xffb", "ab"},
		{"unknown charset", "Content-Type: text/plain; charset=x-bogus\r\n\r\nabc", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &stringBody{strings.NewReader(tc.msg)}
			root, err := readStructureForTest(b)
			require.NoError(t, err)
			got := messagePreview(b, root)
			assert.Equal(t, tc.want, got)
			assert.LessOrEqual(t, len([]rune(got)), previewChars)
		})
	}
}

func TestPreviewFetchItem(t *testing.T) {
	for _, tc := range []struct {
		in   string
		lazy bool
		mods bool
	}{
		{"a FETCH 1 PREVIEW\r\n", false, false},
		{"a FETCH 1 (PREVIEW)\r\n", false, false},
		{"a FETCH 1 (PREVIEW (LAZY) UID)\r\n", true, false},
		{"a FETCH 1 (UID PREVIEW (lazy))\r\n", true, false},
		{"a FETCH 1 PREVIEW (LAZY)\r\n", true, false},
		{"a FETCH 1 PREVIEW (CHANGEDSINCE 5)\r\n", false, true},
		{"a FETCH 1 PREVIEW (LAZY) (CHANGEDSINCE 5)\r\n", true, true},
	} {
		cmd, err := ReadCommand(newDec(tc.in))
		require.NoError(t, err, tc.in)
		fc := cmd.Args.(*FetchCommand)
		var p *FetchItem
		for i := range fc.Items {
			if fc.Items[i].Name == FetchPreview {
				p = &fc.Items[i]
			}
		}
		require.NotNil(t, p, tc.in)
		assert.Equal(t, tc.lazy, p.Lazy, tc.in)
		assert.Equal(t, tc.mods, fc.ChangedSince == 5, tc.in)
		// Round trip.
		again, err := ReadCommand(newDec(formatCommand(t, cmd)))
		require.NoError(t, err)
		assert.Equal(t, cmd, again)
	}
	_, err := ReadCommand(newDec("a FETCH 1 (PREVIEW (LAZY FOO))\r\n"))
	assert.Error(t, err)
	r, err := ReadResponse(newDec("* 1 FETCH (PREVIEW NIL UID 4)\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, &NString{IsNil: true}, r.(*FetchData).Preview)
	assert.Equal(t, `* 1 FETCH (PREVIEW "x")`+"\r\n", formatResponse(t, &FetchData{Seq: 1, Preview: &NString{Value: "x"}}))
}

// stringBody is a mailbox.Body over a string.
type stringBody struct{ *strings.Reader }

func (b *stringBody) Close() error { return nil }

func readStructureForTest(b *stringBody) (*mime.Entity, error) { return mailbox.ReadStructure(b) }

// FuzzPreview checks that any message gives a valid preview of at most
// previewChars characters, without panicking.
func FuzzPreview(f *testing.F) {
	f.Add("Content-Type: text/html\r\n\r\n<p>a<!--b--><script>c</script>&amp;</p>")
	f.Add("Content-Type: text/plain\r\n\r\nHi\r\n-- \r\nsig")
	f.Add("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<b\r\n--b--")
	f.Fuzz(func(t *testing.T, msg string) {
		b := &stringBody{strings.NewReader(msg)}
		root, err := readStructureForTest(b)
		if err != nil || root == nil {
			return
		}
		p := messagePreview(b, root)
		if !utf8.ValidString(p) || utf8.RuneCountInString(p) > previewChars || strings.ContainsAny(p, "\r\n\x00") {
			t.Fatalf("bad preview %q", p)
		}
	})
}
