package webmailbrowser

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/mailserverproc"
	"github.com/postkit/postkit/peers/internal/peertest"
)

// browserTimeout bounds one run of the browser test, browser start included.
const browserTimeout = 90 * time.Second

// artifactDir is where screenshots go: $POSTKIT_ARTIFACTS/webmailbrowser,
// which CI may keep, or a directory removed after the test.
func artifactDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("POSTKIT_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, "webmailbrowser")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// pageLog records what the page did: its network requests and uncaught
// exceptions. Chromium reports them over the DevTools protocol.
type pageLog struct {
	mu         sync.Mutex
	requests   []string // "METHOD URL"
	exceptions []string
}

func (l *pageLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, ev.Request.Method+" "+ev.Request.URL)
	case *runtime.EventExceptionThrown:
		l.exceptions = append(l.exceptions, ev.ExceptionDetails.Text)
	}
}

func (l *pageLog) snapshot() (requests, exceptions []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.requests...), append([]string(nil), l.exceptions...)
}

// newBrowser starts headless Chromium for the test. The flags suit CI: no
// sandbox (it needs user namespaces, and refuses root), no GPU, and shared
// memory files in /tmp rather than a small /dev/shm.
func newBrowser(t *testing.T, execPath string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(bcancel)
	return bctx
}

// sendMX delivers a message to the server's MX port.
func sendMX(t *testing.T, s *mailserverproc.Server, from, to, msg string) {
	t.Helper()
	c, err := gosmtp.Dial(s.Addrs["smtp"])
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SendMail(from, []string{to}, strings.NewReader(strings.ReplaceAll(msg, "\n", "\r\n"))))
	require.NoError(t, c.Quit())
}

// fetchInbox reads every message of user's INBOX over IMAP with STARTTLS.
func fetchInbox(t *testing.T, s *mailserverproc.Server, user, pass string) []string {
	t.Helper()
	c, err := imapclient.DialStartTLS(s.Addrs["imap"], &imapclient.Options{
		TLSConfig: &tls.Config{InsecureSkipVerify: true}, // the server's certificate is self-signed
	})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(user, pass).Wait())
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	require.NoError(t, err)
	if sel.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	var set imap.SeqSet
	set.AddRange(1, sel.NumMessages)
	bufs, err := c.Fetch(set, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	require.NoError(t, err)
	var out []string
	for _, b := range bufs {
		out = append(out, string(b.FindBodySection(section)))
	}
	require.NoError(t, c.Logout().Wait())
	return out
}

// TestWebmailInBrowser logs in to the webmail with Chromium, reads a
// message, checks that an HTML message's script and remote image stay
// inert, and replies through the compose form.
func TestWebmailInBrowser(t *testing.T) {
	chromium := peertest.Need(t, "chromium", "chromium-browser", "google-chrome", "headless_shell")
	began := time.Now()

	// The "remote" host of the HTML message's image: any request to it is
	// a leak (a tracking pixel that fired).
	var remoteHits atomic.Int32
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remoteHits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer remote.Close()

	s := startServer(t)
	sendMX(t, s, bob, alice, `From: Bob <bob@example.test>
To: Alice <alice@example.test>
Subject: Lunch on Friday
Date: Mon, 2 Mar 2026 10:00:00 +0000
Message-ID: <lunch@example.test>

Shall we meet at noon by the fountain?
`)
	sendMX(t, s, "news@example.org", alice, `From: News <news@example.org>
To: alice@example.test
Subject: Newsletter
Date: Mon, 2 Mar 2026 11:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/related; boundary=rel

--rel
Content-Type: text/html; charset=utf-8

<html><head><style>h1 { color: rgb(200, 0, 0) }</style></head><body><h1>Offers</h1>
<script>document.title = "pwned"; window.pwned = true; parent.pwned = true;</script>
<img src="`+remote.URL+`/pixel.gif" onerror="parent.pwned = true">
<img src="cid:logo@example.org" alt="logo">
<p>Click <a href="javascript:parent.pwned=true">here</a></p></body></html>
--rel
Content-Type: image/png
Content-ID: <logo@example.org>
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==
--rel--
`)

	ctx := newBrowser(t, chromium)
	var log pageLog
	require.NoError(t, chromedp.Listen(ctx, log.listen))
	base := "http://" + s.Addrs["http"]
	dir := artifactDir(t)
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, png, 0o644))
		t.Logf("screenshot %s (%d octets)", p, len(png))
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		require.NoError(t, err, sel)
		return v
	}

	// Log in.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("user"), alice),
		chromedp.SendKeys(chromedp.ID("password"), alicePass),
		chromedp.Click(chromedp.CSS("#login button")),
		chromedp.WaitVisible(chromedp.ID("app")),
		chromedp.WaitVisible(chromedp.CSS(`#messages tr[data-uid="2"]`)),
	))
	assert.Equal(t, alice, text("#who"))
	list := text("#messages")
	assert.Contains(t, list, "Lunch on Friday")
	assert.Contains(t, list, "Newsletter")
	assert.Contains(t, text("#mailboxes"), "INBOX (2)")

	// Open the plain message.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#messages tr[data-uid="1"]`)),
		chromedp.WaitVisible(chromedp.ID("message-text")),
	))
	assert.Equal(t, "Lunch on Friday", text("#message h3"))
	assert.Contains(t, text("#message-text"), "Shall we meet at noon by the fountain?")
	assert.Contains(t, text("#message"), "From: Bob <bob@example.test>")

	// Open the HTML message: rendered sanitised in a sandboxed frame; its
	// script is gone, its remote image not loaded, its cid: image shown.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#messages tr[data-uid="2"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("#message h3")?.textContent === "Newsletter"`,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Poll[chromedp.Void](`(() => { const d = document.getElementById("message-html")?.contentDocument;
			const img = d?.querySelector('img[alt="logo"]'); return img && img.complete && img.naturalWidth === 1; })()`,
			chromedp.WithPollingTimeout(10*time.Second)),
	))
	sandbox, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("message-html").getAttribute("sandbox")`))
	require.NoError(t, err)
	assert.NotContains(t, sandbox, "allow-scripts")
	frame, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => { const d = document.getElementById("message-html").contentDocument;
		return { h1: d.querySelector("h1")?.textContent, color: getComputedStyle(d.querySelector("h1")).color,
			scripts: d.querySelectorAll("script").length, srcs: [...d.querySelectorAll("img")].map(i => i.getAttribute("src") || ""),
			href: d.querySelector("a").getAttribute("href") }; })()`))
	require.NoError(t, err)
	assert.Equal(t, "Offers", frame["h1"])
	assert.Equal(t, "rgb(200, 0, 0)", frame["color"], "the message's style sheet applies")
	assert.Equal(t, float64(0), frame["scripts"])
	assert.Equal(t, []any{"", "/api/attachment?mailbox=INBOX&uid=2&part=2"}, frame["srcs"])
	assert.Nil(t, frame["href"])
	assert.Contains(t, text("#message"), "1 remote image(s) not loaded.")
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#message script, #message img, #message h1").length`))
	require.NoError(t, err)
	assert.Zero(t, n, "markup of the message became elements of the page")
	screenshot("html-message.png")

	// Reply to the plain message through the compose form.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#messages tr[data-uid="1"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("#message h3")?.textContent === "Lunch on Friday"`,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(chromedp.ID("reply"), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.ID("compose")),
	))
	to, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("to")))
	require.NoError(t, err)
	assert.Equal(t, "Bob <bob@example.test>", to)
	subject, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("subject")))
	require.NoError(t, err)
	assert.Equal(t, "Re: Lunch on Friday", subject)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("text"), "Noon works. See you there!"),
		chromedp.Click(chromedp.CSS(`#compose button:not([type])`)),
		chromedp.Poll[chromedp.Void](`document.getElementById("send-status").textContent !== ""`,
			chromedp.WithPollingTimeout(10*time.Second)),
	))
	assert.Equal(t, "Sent.", text("#send-status"))
	screenshot("sent.png")

	// Nothing of the HTML message ran, and its image was never asked for
	// (checked last, to give a request time to show).
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	assert.Equal(t, "postkit webmail", title)
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned !== undefined`))
	require.NoError(t, err)
	assert.False(t, pwned, "a script of the message ran")
	requests, exceptions := log.snapshot()
	assert.Zero(t, remoteHits.Load(), "the remote image host got a request")
	for _, r := range requests {
		assert.NotContains(t, r, remote.URL, "the page asked for the remote image")
	}
	assert.Empty(t, exceptions, "uncaught exceptions in the page")
	// The page sent through its JSON API.
	assert.Contains(t, requests, "POST "+base+"/api/send")

	// The reply arrived in bob's INBOX, composed by the webmail.
	msgs := fetchInbox(t, s, bob, bobPass)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "Subject: Re: Lunch on Friday")
	assert.Contains(t, msgs[0], "From: alice@example.test")
	assert.Contains(t, msgs[0], "Noon works. See you there!")
	assert.Regexp(t, `Received: from webmail \(\[127\.0\.0\.1\]\)\r\n\tby \S+ with HTTP id `, msgs[0])
	t.Logf("browser test took %v (requests by the page: %d)", time.Since(began).Round(time.Millisecond), len(requests))
}
