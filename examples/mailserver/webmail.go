package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/message"
	pkmime "github.com/postkit/postkit/mime"
	"github.com/postkit/postkit/queue"
	"github.com/postkit/postkit/smtp"
)

// The webmail: a JSON API over the same store and queue, with a one-page
// client in webmail.html, webmail.js and webmail.css.
//
//	POST /api/login      {"user","password"} -> {"user","csrf"}; sets the session cookie
//	POST /api/logout
//	GET  /api/session    -> {"user","csrf"} of the current session
//	GET  /api/mailboxes  -> [{"name","messages","unseen"}]
//	GET  /api/messages?mailbox=INBOX[&q=words]   -> newest first, at most webListLimit
//	GET  /api/message?mailbox=INBOX&uid=N        -> header, text, attachments; sets \Seen
//	POST /api/send       {"to","cc","bcc","subject","text"} -> {"id"}
//
// Sessions live in memory (a restart logs everyone out) in an HttpOnly,
// SameSite=Strict cookie; every POST but login needs the session's token in
// X-CSRF-Token, and every POST a JSON body, which a cross-site form cannot
// send. Logins are rate-limited per client address, and accepted without TLS
// only from loopback, like the other protocols.

const (
	webSessionLifetime = 12 * time.Hour
	webCookie          = "postkit_session"
	webListLimit       = 200
	webMaxSend         = 1 << 20   // a composed message, JSON included
	webMaxText         = 256 << 10 // text shown of one message
	// Login attempts: a burst of webLoginBurst per client address, then
	// one per webLoginEvery.
	webLoginBurst = 5
	webLoginEvery = 12 * time.Second
	webMaxClients = 10000 // rate-limit entries kept
)

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
}

func (a *app) initWebmail() {
	a.sessions = make(map[string]*webSession)
	a.logins = make(map[string]*loginBucket)
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
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
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

// webOpen opens the mailbox named by the "mailbox" parameter (INBOX if none).
func (a *app) webOpen(w http.ResponseWriter, r *http.Request, s *webSession, readOnly bool) (mailbox.Account, mailbox.Mailbox, bool) {
	acct, ok := a.webAccount(w, r, s)
	if !ok {
		return nil, nil, false
	}
	name := r.URL.Query().Get("mailbox")
	if name == "" {
		name = mailbox.Inbox
	}
	mb, err := acct.Open(r.Context(), name, &mailbox.OpenOptions{ReadOnly: readOnly})
	if err != nil {
		acct.Close()
		if errors.Is(err, mailbox.ErrNoSuchMailbox) || errors.Is(err, mailbox.ErrInvalidName) || errors.Is(err, mailbox.ErrNotSelectable) {
			webError(w, http.StatusNotFound, "no such mailbox")
		} else {
			webError(w, http.StatusInternalServerError, "cannot open mailbox")
		}
		return nil, nil, false
	}
	return acct, mb, true
}

type webSummary struct {
	UID     uint32    `json:"uid"`
	From    string    `json:"from"`
	To      string    `json:"to,omitempty"`
	Subject string    `json:"subject"`
	Date    time.Time `json:"date"`
	Flags   []string  `json:"flags"`
	Size    int64     `json:"size"`
}

// readHeader reads the header of a stored message.
func readHeader(ctx context.Context, m mailbox.Message) (*message.Message, mailbox.Body, error) {
	body, err := m.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	msg, err := message.Read(io.NewSectionReader(body, 0, body.Size()))
	if err != nil {
		body.Close()
		return nil, nil, err
	}
	return msg, body, nil
}

func summarize(m mailbox.Message, msg *message.Message) webSummary {
	sum := webSummary{UID: uint32(m.UID()), Flags: m.Flags(), Size: m.Size(), Date: m.InternalDate()}
	if sum.Flags == nil {
		sum.Flags = []string{}
	}
	if msg != nil {
		if from, _ := msg.Header.From(); len(from) > 0 {
			sum.From = message.FormatAddressListUTF8(from)
		} else {
			sum.From = msg.Header.Get("From")
		}
		if to, _ := msg.Header.To(); len(to) > 0 {
			sum.To = message.FormatAddressListUTF8(to)
		}
		sum.Subject = msg.Header.Subject()
		if d, err := msg.Header.Date(); err == nil {
			sum.Date = d
		}
	}
	return sum
}

func (a *app) webMessages(w http.ResponseWriter, r *http.Request, s *webSession) {
	acct, mb, ok := a.webOpen(w, r, s, true)
	if !ok {
		return
	}
	defer acct.Close()
	defer mb.Close()
	ctx := r.Context()
	var crit *mailbox.SearchCriteria
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		crit = &mailbox.SearchCriteria{}
		for _, word := range strings.Fields(q) {
			crit.Text = append(crit.Text, word)
		}
	}
	uids, err := mailbox.Search(ctx, mb, crit)
	if err != nil {
		webError(w, http.StatusBadRequest, "search failed")
		return
	}
	if len(uids) > webListLimit {
		uids = uids[len(uids)-webListLimit:]
	}
	out := make([]webSummary, 0, len(uids))
	if len(uids) > 0 {
		err = mb.Fetch(ctx, mailbox.UIDSetOf(uids...), func(m mailbox.Message) error {
			msg, body, err := readHeader(ctx, m)
			if err == nil {
				defer body.Close()
			}
			out = append(out, summarize(m, msg))
			return nil
		})
		if err != nil {
			webError(w, http.StatusInternalServerError, "cannot read messages")
			return
		}
	}
	slices.Reverse(out)
	writeJSON(w, http.StatusOK, out)
}

type webAttachment struct {
	Part     string `json:"part"`
	Type     string `json:"type"`
	Filename string `json:"filename,omitempty"`
	Size     int64  `json:"size"`
}

func (a *app) webMessage(w http.ResponseWriter, r *http.Request, s *webSession) {
	uid, err := strconv.ParseUint(r.URL.Query().Get("uid"), 10, 32)
	if err != nil || uid == 0 {
		webError(w, http.StatusBadRequest, "bad uid")
		return
	}
	acct, mb, ok := a.webOpen(w, r, s, false)
	if !ok {
		return
	}
	defer acct.Close()
	defer mb.Close()
	ctx := r.Context()
	var out struct {
		webSummary
		Cc          string          `json:"cc,omitempty"`
		Text        string          `json:"text"`
		HTML        bool            `json:"html"` // the text is the HTML part, shown as source
		Truncated   bool            `json:"truncated,omitempty"`
		Attachments []webAttachment `json:"attachments"`
	}
	found := false
	err = mb.Fetch(ctx, mailbox.UIDSetOf(mailbox.UID(uid)), func(m mailbox.Message) error {
		found = true
		msg, body, err := readHeader(ctx, m)
		if err != nil {
			return err
		}
		defer body.Close()
		out.webSummary = summarize(m, msg)
		if cc, _ := msg.Header.Cc(); len(cc) > 0 {
			out.Cc = message.FormatAddressListUTF8(cc)
		}
		out.Attachments = []webAttachment{}
		var htmlText string
		haveText := false
		err = msg.Walk(func(p *pkmime.Part) error {
			switch p.Kind {
			case pkmime.Multipart:
				return nil
			case pkmime.Encapsulated:
				// An attached message: listed, not shown.
				out.Attachments = append(out.Attachments, webAttachment{Part: p.Path, Type: p.MediaType, Filename: p.Filename()})
				return pkmime.SkipPart
			}
			attached := p.Disposition() == "attachment" || p.Filename() != ""
			switch {
			case !attached && p.MediaType == "text/plain" && !haveText:
				out.Text, out.Truncated = readText(p)
				haveText = true
			case !attached && p.MediaType == "text/html" && htmlText == "":
				htmlText, out.Truncated = readText(p)
			default:
				n, _ := io.Copy(io.Discard, p.Body())
				out.Attachments = append(out.Attachments, webAttachment{Part: p.Path, Type: p.MediaType, Filename: p.Filename(), Size: n})
			}
			return nil
		})
		if !haveText && htmlText != "" {
			out.Text, out.HTML = htmlText, true
		}
		return err
	})
	if err != nil {
		webError(w, http.StatusInternalServerError, "cannot read message")
		return
	}
	if !found {
		webError(w, http.StatusNotFound, "no such message")
		return
	}
	if !mailbox.HasFlag(out.Flags, mailbox.FlagSeen) {
		if _, err := mb.Store(ctx, mailbox.UIDSetOf(mailbox.UID(uid)), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil); err == nil {
			out.Flags = append(out.Flags, mailbox.FlagSeen)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// readText returns a text part in UTF-8, at most webMaxText octets of it.
func readText(p *pkmime.Part) (string, bool) {
	var r io.Reader = p.Body()
	if cs := p.Charset(); cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		if cr, err := pkmime.NewCharsetReader(cs, r); err == nil {
			r = cr
		}
	}
	b, _ := io.ReadAll(io.LimitReader(r, webMaxText+1))
	truncated := len(b) > webMaxText
	if truncated {
		b = b[:webMaxText]
	}
	return strings.ToValidUTF8(string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))), "\uFFFD"), truncated
}

func (a *app) webSend(w http.ResponseWriter, r *http.Request, s *webSession) {
	var req struct {
		To, Cc, Bcc, Subject, Text string
	}
	if !readJSON(w, r, webMaxSend, &req) {
		return
	}
	var b message.Builder
	from := []message.Address{{Addr: s.user}}
	_ = b.Header.SetAddressList("From", from)
	var rcpts []string
	for _, f := range []struct{ name, value string }{{"To", req.To}, {"Cc", req.Cc}, {"Bcc", req.Bcc}} {
		if strings.TrimSpace(f.value) == "" {
			continue
		}
		list, err := message.ParseAddressList(f.value)
		if err != nil {
			webError(w, http.StatusBadRequest, "bad "+f.name+" address list")
			return
		}
		for _, m := range message.Mailboxes(list) {
			rcpts = append(rcpts, m.Addr)
		}
		if f.name != "Bcc" {
			if err := b.Header.SetAddressList(f.name, list); err != nil {
				webError(w, http.StatusBadRequest, "bad "+f.name+" address list")
				return
			}
		}
	}
	if len(rcpts) == 0 {
		webError(w, http.StatusBadRequest, "no recipients")
		return
	}
	if len(rcpts) > 100 {
		webError(w, http.StatusBadRequest, "too many recipients")
		return
	}
	b.Header.SetSubject(req.Subject)
	b.Header.SetDate(time.Now())
	_ = b.Header.SetMessageID(message.GenerateMessageID(a.hostname))
	b.Text = req.Text
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		webError(w, http.StatusBadRequest, "cannot compose: "+err.Error())
		return
	}

	var local []string
	var remote []queue.Recipient
	for _, rc := range rcpts {
		if !a.users.local(rc) {
			if slices.IndexFunc(remote, func(x queue.Recipient) bool { return strings.EqualFold(x.Addr, rc) }) < 0 {
				remote = append(remote, queue.Recipient{Addr: rc})
			}
			continue
		}
		acct := a.users.resolve(rc)
		if acct == "" {
			webError(w, http.StatusBadRequest, "no such local user: "+rc)
			return
		}
		if !slices.Contains(local, acct) {
			local = append(local, acct)
		}
	}
	msgID := newID()
	log := a.log.With("proto", "http", "remote", r.RemoteAddr, "user", s.user)
	trace := (&smtp.Received{From: "webmail", FromIP: remoteIP(r.RemoteAddr), By: a.hostname, With: "HTTP", ID: msgID, Time: time.Now()}).String()
	sf, err := spoolMessage(a.tmpDir, trace, bytes.NewReader(buf.Bytes()))
	if err != nil {
		webError(w, http.StatusInternalServerError, "cannot store message")
		return
	}
	defer sf.Close()
	if err := a.dispatch(r.Context(), log, msgID, s.user, "", "", local, remote, sf); err != nil {
		webError(w, http.StatusServiceUnavailable, "cannot send now, try again")
		return
	}
	a.saveSent(r.Context(), log, s.user, sf)
	writeJSON(w, http.StatusOK, map[string]string{"id": msgID})
}

// saveSent keeps a copy in the user's Sent mailbox (RFC 6154 \Sent), made
// on first use. A failure is logged: the message went out.
func (a *app) saveSent(ctx context.Context, log *slog.Logger, user string, sf *spoolFile) {
	acct, err := a.store.Account(ctx, user)
	if err != nil {
		return
	}
	defer acct.Close()
	err = acct.Create(ctx, "Sent", &mailbox.CreateOptions{SpecialUse: []string{mailbox.AttrSent}})
	if err != nil && !errors.Is(err, mailbox.ErrMailboxExists) {
		log.Error("create Sent", "err", err)
		return
	}
	mb, err := acct.Open(ctx, "Sent", nil)
	if err != nil {
		log.Error("open Sent", "err", err)
		return
	}
	defer mb.Close()
	body, err := sf.reader()
	if err == nil {
		_, err = mb.Append(ctx, body, &mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen}})
	}
	if err != nil {
		log.Error("save to Sent", "err", err)
	}
}

// remoteIP returns the IP address of an http.Request's RemoteAddr, or nil.
func remoteIP(hostport string) net.IP {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return net.ParseIP(host)
}
