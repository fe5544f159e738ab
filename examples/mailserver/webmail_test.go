package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newWebClient(t *testing.T, a *app) *webClient {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &webClient{t: t, base: "http://" + a.addrs["http"], c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// do sends a request and decodes the JSON answer into out (if not nil).
func (w *webClient) do(method, path, body string, out any) int {
	w.t.Helper()
	req, err := http.NewRequest(method, w.base+path, strings.NewReader(body))
	require.NoError(w.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost && w.csrf != "" {
		req.Header.Set("X-CSRF-Token", w.csrf)
	}
	res, err := w.c.Do(req)
	require.NoError(w.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(w.t, err)
	if out != nil && res.StatusCode == http.StatusOK {
		require.NoError(w.t, json.Unmarshal(b, out), string(b))
	}
	return res.StatusCode
}

func (w *webClient) login(user, pass string) int {
	w.t.Helper()
	var s struct{ User, CSRF string }
	b, _ := json.Marshal(map[string]string{"user": user, "password": pass})
	code := w.do("POST", "/api/login", string(b), &s)
	if code == http.StatusOK {
		w.csrf = s.CSRF
	}
	return code
}

func TestWebmail(t *testing.T) {
	relay := startSink(t)
	a := startApp(t, t.TempDir(), withUsers("-relay", relay.addr)...)
	_, err := sendMX(t, a, "someone@example.org", []string{alice}, testMessage("apples"))
	require.NoError(t, err)
	mime := "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\r\nTo: alice@example.test\r\nSubject: pears\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 <b>bold</b>\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF\r\n--b--\r\n"
	_, err = sendMX(t, a, "zoe@example.org", []string{alice}, mime)
	require.NoError(t, err)

	w := newWebClient(t, a)
	assert.Equal(t, http.StatusUnauthorized, w.do("GET", "/api/mailboxes", "", nil))
	assert.Equal(t, http.StatusUnauthorized, w.login(alice, "wrong"))
	require.Equal(t, http.StatusOK, w.login("Alice@Example.test", alicePass))

	var mbs []struct {
		Name             string
		Messages, Unseen uint32
	}
	require.Equal(t, http.StatusOK, w.do("GET", "/api/mailboxes", "", &mbs))
	require.NotEmpty(t, mbs)
	assert.Equal(t, "INBOX", mbs[0].Name)
	assert.Equal(t, uint32(2), mbs[0].Messages)
	assert.Equal(t, uint32(2), mbs[0].Unseen)

	var page webList
	require.Equal(t, http.StatusOK, w.do("GET", "/api/messages?mailbox=INBOX", "", &page))
	assert.Equal(t, 2, page.Total)
	list := page.Messages
	require.Len(t, list, 2)
	assert.Equal(t, "pears", list[0].Subject) // newest first
	assert.Equal(t, "Zoë <zoe@example.org>", list[0].From)
	assert.Equal(t, "apples", list[1].Subject)

	require.Equal(t, http.StatusOK, w.do("GET", "/api/messages?q=caf%C3%A9", "", &page))
	list = page.Messages
	require.Len(t, list, 1)
	assert.Equal(t, "pears", list[0].Subject)

	var msg struct {
		webSummary
		Text        string
		Attachments []webAttachment
	}
	require.Equal(t, http.StatusOK, w.do("GET", "/api/message?mailbox=INBOX&uid="+itoa(list[0].UID), "", &msg))
	assert.Equal(t, "Café <b>bold</b>", msg.Text)
	require.Len(t, msg.Attachments, 1)
	assert.Equal(t, "a.pdf", msg.Attachments[0].Filename)
	assert.Contains(t, msg.Flags, `\Seen`)
	assert.Equal(t, http.StatusNotFound, w.do("GET", "/api/message?uid=999", "", nil))
	assert.Equal(t, http.StatusNotFound, w.do("GET", "/api/messages?mailbox=Nope", "", nil))
	assert.Equal(t, http.StatusNotFound, w.do("GET", "/api/messages?mailbox=../../etc", "", nil))

	// Send: CSRF token and JSON required.
	send := `{"to":"bob@example.test, carol@remote.example","subject":"from the web","text":"Hi both."}`
	csrf := w.csrf
	w.csrf = ""
	assert.Equal(t, http.StatusForbidden, w.do("POST", "/api/send", send, nil))
	w.csrf = csrf
	req, _ := http.NewRequest("POST", w.base+"/api/send", strings.NewReader(url.Values{"to": {bob}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", csrf)
	res, err := w.c.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode)
	assert.Equal(t, http.StatusBadRequest, w.do("POST", "/api/send", `{"to":"nobody@example.test"}`, nil))
	require.Equal(t, http.StatusOK, w.do("POST", "/api/send", send, nil))

	msgs := popRetrAll(t, popLogin(t, a, bob, bobPass))
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "Subject: from the web")
	assert.Contains(t, msgs[0], "From: alice@example.test")
	assert.Contains(t, msgs[0], "with HTTP id ")
	require.Eventually(t, func() bool { return len(relay.messages()) == 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, []string{"carol@remote.example"}, relay.messages()[0].to)

	require.Equal(t, http.StatusOK, w.do("GET", "/api/messages?mailbox=Sent", "", &page))
	list = page.Messages
	require.Len(t, list, 1)
	assert.Equal(t, "from the web", list[0].Subject)

	// Logout ends the session.
	require.Equal(t, http.StatusOK, w.do("POST", "/api/logout", "{}", nil))
	assert.Equal(t, http.StatusUnauthorized, w.do("GET", "/api/mailboxes", "", nil))

	// The page and its script are served with a strict CSP.
	res, err = http.Get(w.base + "/")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
}

func TestWebmailLoginRateLimit(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	w := newWebClient(t, a)
	for i := 0; i < webLoginBurst; i++ {
		assert.Equal(t, http.StatusUnauthorized, w.login(alice, "wrong"))
	}
	assert.Equal(t, http.StatusTooManyRequests, w.login(alice, alicePass))
}

func itoa(u uint32) string { return strconv.FormatUint(uint64(u), 10) }

func TestWebmailPlainLoginLoopbackOnly(t *testing.T) {
	a := startApp(t, t.TempDir(), withUsers()...)
	h := a.webmail()
	body := `{"user":"alice@example.test","password":"alice-secret"}`
	for _, tt := range []struct {
		remote string
		code   int
	}{
		{"192.0.2.7:4000", http.StatusForbidden},
		{"[2001:db8::1]:4000", http.StatusForbidden},
		{"127.0.0.1:4000", http.StatusOK},
		{"[::1]:4000", http.StatusOK},
	} {
		req := httptest.NewRequest("POST", "/api/login", strings.NewReader(body))
		req.RemoteAddr = tt.remote
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, tt.code, rec.Code, tt.remote)
	}
}
