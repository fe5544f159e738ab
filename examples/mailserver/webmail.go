package main

import (
	"fmt"
	"html"
	"net/http"
)

// webmailState is the webmail's part of app.
type webmailState struct{}

func (a *app) initWebmail() {}

// webmail serves a placeholder page: the webmail is not written yet.
func (a *app) webmail() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		fmt.Fprintf(w, "<!doctype html><title>postkit mailserver</title><h1>postkit mailserver for @%s</h1>"+
			"<p>The webmail is not written yet. Use IMAP on %s, POP3 on %s and submission on %s.</p>",
			html.EscapeString(a.cfg.domain), html.EscapeString(a.addrs["imap"]),
			html.EscapeString(a.addrs["pop3"]), html.EscapeString(a.addrs["submission"]))
	})
	return mux
}
