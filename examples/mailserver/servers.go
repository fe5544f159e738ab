package main

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/pop3"
	"github.com/postkit/postkit/smtp"
)

// The protocol servers. Each one's defaults already refuse plain-text logins
// on connections that are neither TLS nor loopback (RFC 3207, RFC 2595,
// RFC 9051 6.2.3); we leave AllowInsecureAuth off.

func (a *app) newMXServer() *smtp.Server {
	return &smtp.Server{
		Hostname:  a.hostname,
		Handler:   smtp.HandlerFunc(a.newMXSession),
		TLSConfig: a.tls,
		Logger:    a.log.With("proto", "smtp"),
		// No AUTH on the MX port: it takes mail for local users only.
	}
}

func (a *app) newSubmissionServer() *smtp.Server {
	return &smtp.Server{
		Hostname:  a.hostname,
		Handler:   smtp.HandlerFunc(a.newSubmissionSession),
		TLSConfig: a.tls,
		Auth:      a.users.saslServers(),
		AuthDelay: a.authDelay,
		Logger:    a.log.With("proto", "submission"),
	}
}

func (a *app) newIMAPServer() *imap.Server {
	return &imap.Server{
		Store:        a.store,
		TLSConfig:    a.tls,
		Authenticate: a.users.authenticate,
		Auth:         a.users.saslServers(),
		AuthDelay:    a.authDelay,
		Logger:       a.log.With("proto", "imap"),
	}
}

func (a *app) newPOP3Server() *pop3.Server {
	return &pop3.Server{
		Hostname:     a.hostname,
		Store:        a.store,
		TLSConfig:    a.tls,
		Authenticate: a.users.authenticate,
		Auth:         a.users.saslServers(),
		AuthDelay:    a.authDelay,
		Logger:       a.log.With("proto", "pop3"),
	}
}

func (a *app) newHTTPServer() *http.Server {
	return &http.Server{
		Handler:           a.webmail(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// loggingListener logs each connection it accepts with an id, for the
// servers that do not give the caller a hook per connection (IMAP, POP3).
type loggingListener struct {
	net.Listener
	log *slog.Logger
}

func (l loggingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.log.Info("connect", "conn", newID(), "remote", c.RemoteAddr().String())
	}
	return c, err
}
