package imap

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRFC8970Examples plays RFC 8970 3.2 (TestPreviewRFC8970Examples
// has the examples of 5) and the rules of 3.2 and 3.3 on the wire.
func TestRFC8970Examples(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", previewMsg("a@example.org", "Preview text!\r\n"))
	// 3.2: no meaningful text: a zero-length string, also without LAZY.
	ts.deliver(t, "INBOX", "From: a@example.org\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggFhMIIBXQIBADBFMDgxCzAJ\r\n")
	// 3.3: formatting markup removed, transfer encoding undone.
	ts.deliver(t, "INBOX", "From: a@example.org\r\nContent-Type: text/html; charset=us-ascii\r\n"+
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Hello <b>=\r\nthere</b></p>\r\n")
	// 3.3: at most 256 preview characters (we give 200).
	ts.deliver(t, "INBOX", previewMsg("a@example.org", strings.Repeat("abcdefghij", 60)))
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	assert.Equal(t, []string{`* 1 FETCH (PREVIEW "Preview text!")`}, c.ok("A1 FETCH 1 (PREVIEW)"))
	assert.Equal(t, []string{`* 2 FETCH (PREVIEW "")`}, c.ok("A2 FETCH 2 (PREVIEW)"))
	assert.Equal(t, []string{`* 3 FETCH (PREVIEW "Hello there")`}, c.ok("A3 FETCH 3 (PREVIEW)"))
	r := c.ok("A4 FETCH 4 (PREVIEW)")
	require.Len(t, r, 1)
	p := strings.TrimSuffix(strings.TrimPrefix(r[0], `* 4 FETCH (PREVIEW "`), `")`)
	assert.LessOrEqual(t, utf8.RuneCountInString(p), 256)
	assert.Equal(t, strings.Repeat("abcdefghij", 20), p)
	// 4.1: LAZY with a small message gives the text at once; UID FETCH
	// too.
	assert.Equal(t, []string{`* 1 FETCH (UID 1 PREVIEW "Preview text!")`}, c.ok("A5 UID FETCH 1 (PREVIEW (LAZY))"))
}

// TestRFC8970UTF8Preview: RFC 8970 3.3 says the preview is UTF-8; RFC
// 6855 3 forbids UTF-8 in quoted strings unless the client enabled
// UTF8=ACCEPT, so until then a preview with non-ASCII characters is a
// literal.
func TestRFC8970UTF8Preview(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", "From: a@example.org\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"+
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me\r\n")
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	want := "Café crème"
	assert.Equal(t, []string{fmt.Sprintf("* 1 FETCH (PREVIEW {%d}\r\n%s)", len(want), want)}, c.ok("A1 FETCH 1 (PREVIEW)"))
	c.ok("u UNSELECT")
	c.ok("e ENABLE UTF8=ACCEPT")
	c.ok("s SELECT INBOX")
	assert.Equal(t, []string{`* 1 FETCH (PREVIEW "` + want + `")`}, c.ok("A2 FETCH 1 (PREVIEW)"))
}
