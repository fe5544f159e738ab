package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/postkit/postkit/message"
	pkmime "github.com/postkit/postkit/mime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// get fetches path with the session and returns the response, body read.
func (w *webClient) get(path string) (*http.Response, []byte) {
	w.t.Helper()
	res, err := w.c.Get(w.base + path)
	require.NoError(w.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(w.t, err)
	return res, b
}

func (w *webClient) post(path string, v any, out any) int {
	w.t.Helper()
	b, err := json.Marshal(v)
	require.NoError(w.t, err)
	return w.do("POST", path, string(b), out)
}

func loggedInClient(t *testing.T, a *app) *webClient {
	w := newWebClient(t, a)
	require.Equal(t, http.StatusOK, w.login(alice, alicePass))
	return w
}

func TestWebmailPaging(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	for i := 1; i <= 7; i++ {
		_, err := sendMX(t, a, "someone@example.org", []string{alice}, testMessage(fmt.Sprintf("m%d", i)))
		require.NoError(t, err)
	}
	w := loggedInClient(t, a)
	subjects := func(p webList) []string {
		var out []string
		for _, m := range p.Messages {
			out = append(out, m.Subject)
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"limit=3", []string{"m7", "m6", "m5"}},
		{"limit=3&offset=3", []string{"m4", "m3", "m2"}},
		{"limit=3&offset=6", []string{"m1"}},
		{"limit=3&offset=9", nil},
		{"limit=100000", []string{"m7", "m6", "m5", "m4", "m3", "m2", "m1"}},
	}
	for _, tt := range tests {
		var p webList
		require.Equal(t, http.StatusOK, w.do("GET", "/api/messages?mailbox=INBOX&"+tt.query, "", &p), tt.query)
		assert.Equal(t, 7, p.Total, tt.query)
		assert.Equal(t, tt.want, subjects(p), tt.query)
	}
	var p webList
	require.Equal(t, http.StatusOK, w.do("GET", "/api/messages", "", &p))
	assert.Equal(t, webPageSize, p.Limit)
	assert.Len(t, p.Messages, 7)
	for _, q := range []string{"offset=-1", "offset=x", "limit=0", "limit=-5"} {
		assert.Equal(t, http.StatusBadRequest, w.do("GET", "/api/messages?"+q, "", nil), q)
	}
}

const htmlMessage = "From: news@example.org\r\nTo: alice@example.test\r\nSubject: offers\r\nMessage-ID: <offers@example.org>\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r\r\n\r\n" +
	"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
	"<html><head><style>h1{color:red}</style></head><body onload=\"alert(1)\"><h1>Offers</h1>" +
	"<script>alert(2)</script><img src=\"cid:logo@example.org\" alt=logo>" +
	"<img src=\"https://tracker.example/pixel.gif\"><a href=\"javascript:alert(3)\">x</a></body></html>\r\n" +
	"--r\r\nContent-Type: image/png\r\nContent-ID: <logo@example.org>\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n" +
	"--r--\r\n"

func TestWebmailHTMLMessage(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	_, err := sendMX(t, a, "news@example.org", []string{alice}, htmlMessage)
	require.NoError(t, err)
	w := loggedInClient(t, a)

	var m webMessageView
	require.Equal(t, http.StatusOK, w.do("GET", "/api/message?mailbox=INBOX&uid=1", "", &m))
	assert.Empty(t, m.Text)
	assert.Equal(t, 1, m.RemoteBlocked)
	assert.Equal(t, "offers@example.org", m.MessageID)
	doc := m.HTML
	assert.Contains(t, doc, `<h1>Offers</h1>`)
	assert.Contains(t, doc, `<style>h1{color:red}</style>`)
	assert.NotContains(t, doc, "alert")
	assert.NotContains(t, doc, "tracker.example")
	assert.NotContains(t, doc, "https:;")
	cidURL := "/api/attachment?mailbox=INBOX&amp;uid=1&amp;part=2"
	assert.Contains(t, doc, `<img src="`+cidURL+`" alt="logo">`)
	// The frame's own CSP: images from the attachment URL and data: only.
	assert.Contains(t, doc, `content="default-src 'none'; img-src `+w.base+`/api/attachment data:; style-src 'unsafe-inline'`)
	require.Len(t, m.Attachments, 1)
	assert.Equal(t, "logo@example.org", m.Attachments[0].CID)

	// The cid image is served from the message's part, decoded.
	res, body := w.get(strings.ReplaceAll(cidURL, "&amp;", "&"))
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "image/png", res.Header.Get("Content-Type"))
	want, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	assert.Equal(t, want, body)

	// Remote content only when asked for.
	m = webMessageView{}
	require.Equal(t, http.StatusOK, w.do("GET", "/api/message?mailbox=INBOX&uid=1&remote=1", "", &m))
	assert.Zero(t, m.RemoteBlocked)
	assert.Contains(t, m.HTML, `<img src="https://tracker.example/pixel.gif">`)
	assert.Contains(t, m.HTML, "data: https:;")
	assert.NotContains(t, m.HTML, "alert")
}

func TestWebmailAttachmentDownload(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	bin := make([]byte, 70000)
	for i := range bin {
		bin[i] = byte(i * 7 % 251)
	}
	enc := base64.StdEncoding.EncodeToString(bin)
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	msg := "From: zoe@example.org\r\nTo: alice@example.test\r\nSubject: files\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
		"--b\r\nContent-Type: application/x-thing\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20%22final%22.bin\r\n\r\n" +
		strings.Join(lines, "\r\n") + "\r\n" +
		"--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=page.html\r\n\r\n<script>alert(1)</script>\r\n" +
		"--b--\r\n"
	_, err := sendMX(t, a, "zoe@example.org", []string{alice}, msg)
	require.NoError(t, err)
	w := loggedInClient(t, a)

	var m webMessageView
	require.Equal(t, http.StatusOK, w.do("GET", "/api/message?uid=1", "", &m))
	require.Len(t, m.Attachments, 2)
	assert.Equal(t, webAttachment{Part: "2", Type: "application/x-thing", Filename: `résumé "final".bin`, Size: int64(len(bin))}, m.Attachments[0])

	res, body := w.get("/api/attachment?mailbox=INBOX&uid=1&part=2")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.True(t, bytes.Equal(bin, body), "downloaded attachment differs")
	assert.Equal(t, "application/octet-stream", res.Header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="r__sum__ _final_.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.bin`, res.Header.Get("Content-Disposition"))
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))

	// An HTML attachment is a download too, never a page.
	res, body = w.get("/api/attachment?mailbox=INBOX&uid=1&part=3")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "application/octet-stream", res.Header.Get("Content-Type"))
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "sandbox")
	assert.Equal(t, "<script>alert(1)</script>", string(body))

	// The whole message, as stored.
	res, body = w.get("/api/attachment?mailbox=INBOX&uid=1&part=")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.True(t, strings.HasSuffix(string(body), msg))
	assert.Contains(t, res.Header.Get("Content-Disposition"), `filename="message-1.eml"`)

	for _, tt := range []struct {
		query string
		code  int
	}{
		{"uid=1&part=4", http.StatusNotFound},
		{"uid=1&part=2.5", http.StatusNotFound},
		{"uid=2&part=1", http.StatusNotFound},
		{"uid=1&part=0", http.StatusBadRequest},
		{"uid=1&part=01", http.StatusBadRequest},
		{"uid=1&part=1..2", http.StatusBadRequest},
		{"uid=x&part=1", http.StatusBadRequest},
		{"uid=1&part=1&mailbox=Nope", http.StatusNotFound},
	} {
		res, _ := w.get("/api/attachment?" + tt.query)
		assert.Equal(t, tt.code, res.StatusCode, tt.query)
	}
	anon := newWebClient(t, a)
	res, _ = anon.get("/api/attachment?uid=1&part=2")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
}

func TestContentDisposition(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a.pdf", `attachment; filename="a.pdf"; filename*=UTF-8''a.pdf`},
		{"../../etc/passwd", `attachment; filename=".._.._etc_passwd"; filename*=UTF-8''.._.._etc_passwd`},
		{"a\r\nb\"c%", `attachment; filename="a__b_c_"; filename*=UTF-8''a__b%22c%25`},
		{"日本.txt", `attachment; filename="______.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`},
	} {
		assert.Equal(t, tt.want, contentDisposition(tt.in), tt.in)
	}
}

func TestWebmailFlagMoveDelete(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	for i := 1; i <= 4; i++ {
		_, err := sendMX(t, a, "someone@example.org", []string{alice}, testMessage(fmt.Sprintf("m%d", i)))
		require.NoError(t, err)
	}
	w := loggedInClient(t, a)
	imap := dialIMAP(t, a)
	imap.cmd(`LOGIN %s %s`, alice, alicePass)
	imap.cmd(`CREATE Archive`)
	flags := func(mb string, uid int) string {
		t.Helper()
		imap.cmd(`EXAMINE %s`, mb)
		lines := imap.cmd(`UID FETCH %d FLAGS`, uid)
		require.NotEmpty(t, lines)
		return joined(lines)
	}
	uids := func(mb string) string {
		t.Helper()
		imap.cmd(`EXAMINE %s`, mb)
		return joined(imap.cmd(`UID SEARCH ALL`))
	}

	require.Equal(t, http.StatusOK, w.post("/api/flag", map[string]any{"mailbox": "INBOX", "uids": []int{1, 2}, "flag": `\flagged`, "set": true}, nil))
	assert.Contains(t, flags("INBOX", 1), `\Flagged`)
	assert.Contains(t, flags("INBOX", 2), `\Flagged`)
	require.Equal(t, http.StatusOK, w.post("/api/flag", map[string]any{"uids": []int{1}, "flag": `\Seen`, "set": true}, nil))
	require.Equal(t, http.StatusOK, w.post("/api/flag", map[string]any{"uids": []int{1}, "flag": `\Flagged`, "set": false}, nil))
	f := flags("INBOX", 1)
	assert.Contains(t, f, `\Seen`)
	assert.NotContains(t, f, `\Flagged`)
	assert.Equal(t, http.StatusBadRequest, w.post("/api/flag", map[string]any{"uids": []int{1}, "flag": `\Deleted`, "set": true}, nil))
	assert.Equal(t, http.StatusBadRequest, w.post("/api/flag", map[string]any{"uids": []int{}, "flag": `\Seen`, "set": true}, nil))
	assert.Equal(t, http.StatusBadRequest, w.post("/api/flag", map[string]any{"uids": []int{0}, "flag": `\Seen`, "set": true}, nil))

	// Move.
	require.Equal(t, http.StatusOK, w.post("/api/move", map[string]any{"mailbox": "INBOX", "uids": []int{2}, "to": "Archive"}, nil))
	assert.Equal(t, "* SEARCH 1 3 4", uids("INBOX"))
	assert.Equal(t, "* SEARCH 1", uids("Archive"))
	assert.Contains(t, flags("Archive", 1), `\Flagged`)
	assert.Equal(t, http.StatusNotFound, w.post("/api/move", map[string]any{"uids": []int{1}, "to": "Nope"}, nil))
	assert.Equal(t, http.StatusBadRequest, w.post("/api/move", map[string]any{"uids": []int{1}, "to": "INBOX"}, nil))

	// Delete without a Trash: gone for good, only the message named.
	imap.cmd(`SELECT INBOX`)
	imap.cmd(`UID STORE 4 +FLAGS (\Deleted)`)
	var del map[string]any
	require.Equal(t, http.StatusOK, w.post("/api/delete", map[string]any{"uids": []int{3}}, &del))
	assert.Equal(t, map[string]any{"expunged": float64(1)}, del)
	assert.Equal(t, "* SEARCH 1 4", uids("INBOX"))

	// With a Trash: moved there; deleted in the Trash: gone.
	imap.cmd(`CREATE Trash`)
	require.Equal(t, http.StatusOK, w.post("/api/delete", map[string]any{"uids": []int{1}}, &del))
	assert.Equal(t, "Trash", del["moved_to"])
	assert.Equal(t, "* SEARCH 4", uids("INBOX"))
	assert.Equal(t, "* SEARCH 1", uids("Trash"))
	require.Equal(t, http.StatusOK, w.post("/api/delete", map[string]any{"mailbox": "Trash", "uids": []int{1}}, &del))
	assert.Equal(t, float64(1), del["expunged"])
	assert.Equal(t, "* SEARCH", uids("Trash"))
}

func TestWebmailSendAttachment(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	w := loggedInClient(t, a)
	file := make([]byte, 300000)
	for i := range file {
		file[i] = byte(i % 256)
	}
	req := map[string]any{
		"to": bob, "subject": "the report", "text": "Here it is.",
		"in_reply_to": "<ask@example.test>", "references": []string{"first@example.test"},
		"attachments": []map[string]any{{"filename": "report 2026 é.bin", "type": "application/x-report", "data": file}},
	}
	require.Equal(t, http.StatusOK, w.post("/api/send", req, nil))

	msgs := popRetrAll(t, popLogin(t, a, bob, bobPass))
	require.Len(t, msgs, 1)
	// What POP3 gave, past the trace field, read with package message.
	raw := msgs[0]
	msg, err := message.Read(strings.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, "the report", msg.Header.Subject())
	assert.Equal(t, []string{"ask@example.test"}, msg.Header.InReplyTo())
	assert.Equal(t, []string{"first@example.test", "ask@example.test"}, msg.Header.References())
	var text string
	var got []byte
	var name, ctype string
	require.NoError(t, msg.Walk(func(p *pkmime.Part) error {
		if p.Kind != pkmime.Leaf {
			return nil
		}
		b, err := io.ReadAll(p.Body())
		if err != nil {
			return err
		}
		if p.Filename() != "" {
			got, name, ctype = b, p.Filename(), p.MediaType
		} else {
			text = string(b)
		}
		return nil
	}))
	assert.Equal(t, "Here it is.", text)
	assert.Equal(t, "report 2026 é.bin", name)
	assert.Equal(t, "application/x-report", ctype)
	assert.True(t, bytes.Equal(file, got), "attachment differs")

	// Limits.
	assert.Equal(t, http.StatusBadRequest, w.post("/api/send", map[string]any{"to": bob, "attachments": make([]map[string]any, webMaxAttachments+1)}, nil))
	big := map[string]any{"to": bob, "attachments": []map[string]any{{"filename": "big", "data": make([]byte, webMaxSend)}}}
	assert.Equal(t, http.StatusBadRequest, w.post("/api/send", big, nil))
	var sent webList
	require.Equal(t, http.StatusOK, w.do("GET", "/api/messages?mailbox=Sent", "", &sent))
	assert.Equal(t, 1, sent.Total)
}

// TestWebmailPOSTsNeedCSRF: every POST but login needs the token and a JSON
// body; a cross-site form can send neither.
func TestWebmailPOSTsNeedCSRF(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	_, err := sendMX(t, a, "someone@example.org", []string{alice}, testMessage("keep"))
	require.NoError(t, err)
	w := loggedInClient(t, a)
	bodies := map[string]string{
		"/api/flag":   `{"uids":[1],"flag":"\\Flagged","set":true}`,
		"/api/move":   `{"uids":[1],"to":"Sent"}`,
		"/api/delete": `{"uids":[1]}`,
		"/api/send":   `{"to":"bob@example.test","text":"x","attachments":[{"filename":"a","data":"eA=="}]}`,
	}
	for path, body := range bodies {
		for _, tt := range []struct {
			name, token, ctype string
			code               int
		}{
			{"no token", "", "application/json", http.StatusForbidden},
			{"wrong token", "x" + w.csrf, "application/json", http.StatusForbidden},
			{"form", w.csrf, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
			{"multipart", w.csrf, "multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
			{"text", w.csrf, "text/plain", http.StatusUnsupportedMediaType},
		} {
			req, err := http.NewRequest("POST", w.base+path, strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", tt.ctype)
			if tt.token != "" {
				req.Header.Set("X-CSRF-Token", tt.token)
			}
			res, err := w.c.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, tt.code, res.StatusCode, "%s %s", path, tt.name)
		}
	}
	req, err := http.NewRequest("POST", w.base+"/api/logout", strings.NewReader("{}"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := w.c.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "logout without a token")

	// Nothing happened: the message is there, unflagged, nothing sent.
	var m webMessageView
	require.Equal(t, http.StatusOK, w.do("GET", "/api/message?uid=1", "", &m))
	assert.NotContains(t, m.Flags, `\Flagged`)
	assert.Empty(t, popRetrAll(t, popLogin(t, a, bob, bobPass)))
	require.Equal(t, http.StatusOK, w.do("GET", "/api/mailboxes", "", nil))
}
