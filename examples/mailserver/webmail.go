package main

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// The webmail: a JSON API over the same store and queue, with a one-page
// client in webmail.html, webmail.js and webmail.css.
//
//	POST /api/login      {"user","password"} -> {"user","csrf"}; sets the session cookie
//	POST /api/logout
//	GET  /api/session    -> {"user","csrf"} of the current session
//	GET  /api/mailboxes  -> [{"name","messages","unseen","special_use"}]
//	GET  /api/messages?mailbox=INBOX[&q=words][&offset=0][&limit=50]
//	                     -> {"total","offset","limit","messages"}: newest first, limit at most webListLimit
//	GET  /api/message?mailbox=INBOX&uid=N[&remote=1]
//	                     -> header, "text", "html" (a sanitised document for a sandboxed
//	                        iframe; https images only with remote=1), "remote_blocked",
//	                        "attachments"; sets \Seen
//	GET  /api/attachment?mailbox=INBOX&uid=N&part=1.2  -> the part, decoded, as a download
//	                     (part empty: the whole message); also what cid: images load
//	POST /api/flag       {"mailbox","uids","flag","set"}: \Seen or \Flagged on or off
//	POST /api/move       {"mailbox","uids","to"}
//	POST /api/delete     {"mailbox","uids"} -> {"moved_to"} (Trash) or {"expunged"}
//	POST /api/send       {"to","cc","bcc","subject","text","in_reply_to","references",
//	                      "attachments":[{"filename","type","data" (base64)}]} -> {"id"}
//
// Sessions live in memory (a restart logs everyone out) in an HttpOnly,
// SameSite=Strict cookie; every POST but login needs the session's token in
// X-CSRF-Token, and every POST a JSON body, which a cross-site form cannot
// send (so attachments travel base64 in the JSON, never as a form upload).
// Logins are rate-limited per client address, and accepted without TLS only
// from loopback, like the other protocols.
//
// HTML mail is never put into the page itself: it goes through sanitizeHTML
// and is shown in an iframe sandboxed without allow-scripts whose document
// carries its own CSP (htmlDocument), so that a sanitiser bug runs no script
// and loads nothing remote unless the user asked for it.

const (
	webSessionLifetime = 12 * time.Hour
	webCookie          = "postkit_session"
	webListLimit       = 200 // messages listed at most per page
	webPageSize        = 50  // messages listed when the client names no limit
	// webMaxSend bounds a composed message's JSON request, attachments
	// included: base64 makes 25 MiB of JSON about 18 MiB of files. The
	// request is held in memory while the message is written to the spool.
	webMaxSend        = 25 << 20
	webMaxAttachments = 50
	// webMaxSending bounds the sends read at once, and so the memory they
	// hold (about twice webMaxSend each, JSON and decoded files).
	webMaxSending = 4
	webMaxText    = 256 << 10 // text shown of one message
	webMaxHTML    = 1 << 20   // HTML read of one message, before sanitising
	webMaxUIDs    = 1000      // messages one flag, move or delete names
	// Login attempts: a burst of webLoginBurst per client address, then
	// one per webLoginEvery.
	webLoginBurst = 5
	webLoginEvery = 12 * time.Second
	webMaxClients = 10000 // rate-limit entries kept
)

// webPageCSP is the page's Content-Security-Policy: scripts and style
// sheets from the page's own files only. The sandboxed iframe that shows
// HTML mail (srcdoc) inherits this policy on top of its own, so the page
// allows what such a message may show, which its own document's CSP narrows
// (htmlDocument): inline style, images from the server and data: URLs, and
// https images for a message whose remote content the user asked to see.
// The page's script never puts mail into the page as markup.
const webPageCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: https:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

//go:embed webmail.html
var webmailHTML []byte

//go:embed webmail.js
var webmailJS []byte

//go:embed webmail.css
var webmailCSS []byte

type webSession struct {
	user    string
	csrf    string
	expires time.Time
}

type loginBucket struct {
	tokens float64
	last   time.Time
}

// webmailState is the webmail's part of app.
type webmailState struct {
	webMu    sync.Mutex
	sessions map[string]*webSession
	logins   map[string]*loginBucket
	sending  chan struct{} // a slot per send being read, webMaxSending
}

func (a *app) initWebmail() {
	a.sessions = make(map[string]*webSession)
	a.logins = make(map[string]*loginBucket)
	a.sending = make(chan struct{}, webMaxSending)
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (a *app) webmail() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", webPageCSP)
		w.Write(webmailHTML)
	})
	mux.HandleFunc("GET /webmail.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(webmailJS)
	})
	mux.HandleFunc("GET /webmail.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Write(webmailCSS)
	})
	mux.HandleFunc("POST /api/login", a.webLogin)
	mux.HandleFunc("POST /api/logout", a.withSession(true, a.webLogout))
	mux.HandleFunc("GET /api/session", a.withSession(false, func(w http.ResponseWriter, r *http.Request, s *webSession) {
		writeJSON(w, http.StatusOK, map[string]string{"user": s.user, "csrf": s.csrf})
	}))
	mux.HandleFunc("GET /api/mailboxes", a.withSession(false, a.webMailboxes))
	mux.HandleFunc("GET /api/messages", a.withSession(false, a.webMessages))
	mux.HandleFunc("GET /api/message", a.withSession(false, a.webMessage))
	mux.HandleFunc("GET /api/attachment", a.withSession(false, a.webAttachment))
	mux.HandleFunc("POST /api/flag", a.withSession(true, a.webFlag))
	mux.HandleFunc("POST /api/move", a.withSession(true, a.webMove))
	mux.HandleFunc("POST /api/delete", a.withSession(true, a.webDelete))
	mux.HandleFunc("POST /api/send", a.withSession(true, a.webSend))
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func webError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// readJSON decodes a JSON request body of at most limit octets. Requiring
// the JSON media type keeps cross-site HTML forms out (they cannot send it
// without a CORS preflight, which we never answer).
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		webError(w, http.StatusUnsupportedMediaType, "want application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		webError(w, http.StatusBadRequest, "bad request body")
		return false
	}
	return true
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// allowLogin takes a token from the client's bucket.
func (a *app) allowLogin(ip string, now time.Time) (bool, time.Duration) {
	a.webMu.Lock()
	defer a.webMu.Unlock()
	b := a.logins[ip]
	if b == nil {
		if len(a.logins) >= webMaxClients {
			// Forget the clients whose bucket is full again.
			for k, o := range a.logins {
				if now.Sub(o.last) > webLoginBurst*webLoginEvery {
					delete(a.logins, k)
				}
			}
			if len(a.logins) >= webMaxClients {
				return false, webLoginEvery
			}
		}
		b = &loginBucket{tokens: webLoginBurst, last: now}
		a.logins[ip] = b
	}
	b.tokens = min(webLoginBurst, b.tokens+float64(now.Sub(b.last))/float64(webLoginEvery))
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(webLoginEvery))
	}
	b.tokens--
	return true, 0
}

func (a *app) webLogin(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if r.TLS == nil && !isLoopback(ip) {
		webError(w, http.StatusForbidden, "plain-text logins are accepted from loopback only")
		return
	}
	if ok, wait := a.allowLogin(ip, time.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		webError(w, http.StatusTooManyRequests, "too many login attempts, try again later")
		return
	}
	var req struct{ User, Password string }
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	user, err := a.users.check(req.User, req.Password)
	if err != nil {
		a.log.Info("login failed", "proto", "http", "remote", r.RemoteAddr, "user", req.User)
		webError(w, http.StatusUnauthorized, "wrong user or password")
		return
	}
	s := &webSession{user: user, csrf: randomToken(), expires: time.Now().Add(webSessionLifetime)}
	id := randomToken()
	a.webMu.Lock()
	for k, o := range a.sessions {
		if time.Now().After(o.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[id] = s
	a.webMu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: webCookie, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, Expires: s.expires,
	})
	a.log.Info("login", "proto", "http", "remote", r.RemoteAddr, "user", user)
	writeJSON(w, http.StatusOK, map[string]string{"user": user, "csrf": s.csrf})
}

func (a *app) webLogout(w http.ResponseWriter, r *http.Request, s *webSession) {
	if c, err := r.Cookie(webCookie); err == nil {
		a.webMu.Lock()
		delete(a.sessions, c.Value)
		a.webMu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: webCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]string{})
}

// withSession runs h for a logged-in user; post also checks the CSRF token.
func (a *app) withSession(post bool, h func(http.ResponseWriter, *http.Request, *webSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(webCookie)
		var s *webSession
		if err == nil {
			a.webMu.Lock()
			s = a.sessions[c.Value]
			if s != nil && time.Now().After(s.expires) {
				delete(a.sessions, c.Value)
				s = nil
			}
			a.webMu.Unlock()
		}
		if s == nil {
			webError(w, http.StatusUnauthorized, "not logged in")
			return
		}
		if post && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(s.csrf)) != 1 {
			webError(w, http.StatusForbidden, "missing or wrong CSRF token")
			return
		}
		h(w, r, s)
	}
}

func (a *app) webAccount(w http.ResponseWriter, r *http.Request, s *webSession) (mailbox.Account, bool) {
	acct, err := a.store.Account(r.Context(), s.user)
	if err != nil {
		a.log.Error("webmail account", "user", s.user, "err", err)
		webError(w, http.StatusInternalServerError, "store unavailable")
		return nil, false
	}
	return acct, true
}

func (a *app) webMailboxes(w http.ResponseWriter, r *http.Request, s *webSession) {
	acct, ok := a.webAccount(w, r, s)
	if !ok {
		return
	}
	defer acct.Close()
	list, err := acct.Mailboxes(r.Context())
	if err != nil {
		webError(w, http.StatusInternalServerError, "cannot list mailboxes")
		return
	}
	type mb struct {
		Name       string   `json:"name"`
		Messages   uint32   `json:"messages"`
		Unseen     uint32   `json:"unseen"`
		SpecialUse []string `json:"special_use,omitempty"`
	}
	out := []mb{}
	for _, info := range list {
		if slices.Contains(info.Attrs, mailbox.AttrNoSelect) {
			continue
		}
		st, err := acct.Status(r.Context(), info.Name)
		if err != nil {
			continue
		}
		out = append(out, mb{info.Name, st.Messages, st.Unseen, info.SpecialUse})
	}
	slices.SortFunc(out, func(x, y mb) int {
		if x.Name == mailbox.Inbox || y.Name == mailbox.Inbox {
			return boolCmp(y.Name == mailbox.Inbox, x.Name == mailbox.Inbox)
		}
		return strings.Compare(x.Name, y.Name)
	})
	writeJSON(w, http.StatusOK, out)
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// remoteIP returns the IP address of an http.Request's RemoteAddr, or nil.
func remoteIP(hostport string) net.IP {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return net.ParseIP(host)
}
