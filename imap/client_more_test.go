package imap

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/message"
)

const clientAttachMsg = "From: Bob <bob@example.org>\r\n" +
	"Subject: files\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"See attached.\r\n" +
	"--b1\r\n" +
	"Content-Type: application/octet-stream; name=\"=?UTF-8?Q?d=C3=A4ta.bin?=\"\r\n" +
	"Content-Disposition: attachment\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AAECAwQFBgcICQ==\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; name=\"notes.txt\"\r\n" +
	"Content-Disposition: attachment; filename=\"notes.txt\"\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"caf=C3=A9\r\n" +
	"--b1--\r\n"

func TestClientConvenience(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", clientTestMsg)
	ts.deliver(t, "INBOX", clientAttachMsg)
	ctx := clientCtx(t)
	c := ts.loggedIn(t, nil)
	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)

	require.NoError(t, c.FetchMessage(ctx, 1, func(m *message.Message) error {
		assert.Equal(t, "hello", m.Header.Subject())
		return nil
	}))
	assert.Error(t, c.FetchMessage(ctx, 99, func(*message.Message) error { return nil }))

	got := map[string]string{}
	atts, err := c.DownloadAttachments(ctx, 2, func(a Attachment, r io.Reader) error {
		b, err := io.ReadAll(r)
		got[a.Filename] = string(b)
		return err
	})
	require.NoError(t, err)
	require.Len(t, atts, 2)
	assert.Equal(t, []uint32{2}, atts[0].Part)
	assert.Equal(t, "application/octet-stream", atts[0].Type)
	assert.Equal(t, map[string]string{"däta.bin": "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", "notes.txt": "café"}, got)
	// Nothing was marked \Seen.
	msgs, err := c.Fetch(ctx, SeqSetOf(1, 2), []FetchItem{{Name: FetchFlags}}, nil)
	require.NoError(t, err)
	for _, m := range msgs {
		assert.NotContains(t, m.Flags, `\Seen`)
	}

	// Execute runs what has no typed method.
	st, rs, err := c.Execute(ctx, &Command{Name: "CAPABILITY"}, func(r Response) bool {
		_, ok := r.(*CapabilityData)
		return ok
	})
	require.NoError(t, err)
	assert.Equal(t, StatusOK, st.Type)
	require.Len(t, rs, 1)
}

func TestClientUTF8Accept(t *testing.T) {
	ts := newTestServer(t)
	ctx := clientCtx(t)
	c := ts.loggedIn(t, nil)
	require.NoError(t, c.Create(ctx, "Entwürfe"))
	en, err := c.Enable(ctx, "UTF8=ACCEPT")
	require.NoError(t, err)
	require.Contains(t, en, "UTF8=ACCEPT")
	require.NoError(t, c.Create(ctx, "Bücher"))
	list, err := c.List(ctx, "", "*", nil)
	require.NoError(t, err)
	var names []string
	for _, m := range list {
		names = append(names, m.Name)
		if m.Name == "Bücher" {
			assert.Equal(t, "Bücher", m.Mailbox, "UTF-8 on the wire")
		}
	}
	assert.ElementsMatch(t, []string{"INBOX", "Entwürfe", "Bücher"}, names)
	st, err := c.Status(ctx, "Entwürfe", "MESSAGES", "APPENDLIMIT")
	require.NoError(t, err)
	assert.Equal(t, uint32(0), *st.Messages)
	msg := "Subject: Grüße\r\n\r\nÜ\r\n"
	_, err = c.Append(ctx, "Bücher", strings.NewReader(msg), int64(len(msg)), &AppendOptions{UTF8: true})
	require.NoError(t, err)
}

func TestParseThreads(t *testing.T) {
	th := parseThreads("(2)(3 6 (4 23)(44 7 96))((11)(12))")
	require.Len(t, th, 3)
	assert.Equal(t, &Thread{Num: 2}, th[0])
	assert.Equal(t, uint32(3), th[1].Num)
	six := th[1].Children[0]
	assert.Equal(t, uint32(6), six.Num)
	require.Len(t, six.Children, 2)
	assert.Equal(t, &Thread{Num: 4, Children: []*Thread{{Num: 23}}}, six.Children[0])
	assert.Equal(t, uint32(44), six.Children[1].Num)
	assert.Equal(t, uint32(0), th[2].Num)
	assert.Len(t, th[2].Children, 2)
	assert.Empty(t, parseThreads(""))
	assert.NotPanics(t, func() { parseThreads(strings.Repeat("(", 10000)) })
}

func TestFastFetchMatchesDecoder(t *testing.T) {
	lines := []string{
		`* 1 FETCH (UID 7 FLAGS (\Seen $X) RFC822.SIZE 44 INTERNALDATE "02-Jan-2026 03:04:05 +0000")`,
		`* 3 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 28 1 NIL NIL NIL NIL)("application" "pdf" ("name" "r.pdf") NIL NIL "base64" 66 NIL ("attachment" ("filename" "r.pdf")) NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL))`,
	}
	for _, l := range lines {
		f, ok := fastFetch([]byte(l))
		require.True(t, ok, l)
		r, err := parseOne([]byte(l), Limits{})
		require.NoError(t, err)
		assert.Equal(t, r, Response(f))
	}
	for _, l := range []string{
		`* 1 FETCH (BODY[] {5}`, `* 1 FETCH (UID 0)`, `* 1 FETCH (FLAGS (\Seen)UID 1)`, "* 1 FETCH (ENVELOPE (\"\xff\" NIL NIL NIL NIL NIL NIL NIL NIL NIL))",
	} {
		_, ok := fastFetch([]byte(l))
		assert.False(t, ok, l)
	}
}
