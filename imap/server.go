package imap

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/postkit/postkit/internal/netserver"
	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/sasl"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown
// or Close.
var ErrServerClosed = errors.New("imap: server closed")

// Server is an IMAP server (RFC 3501 IMAP4rev1 and RFC 9051 IMAP4rev2 at
// once; a client gets IMAP4rev2 behaviour after ENABLE IMAP4rev2) over
// a mailbox.Store. Its zero value, with a Store and a way to log in
// (Authenticate or Auth), is a working server; every limit has a
// default (server_limits.go).
//
// Each connection is served in its own goroutine, in the states of
// RFC 9051 3: not authenticated, authenticated, selected, logout.
// Commands a client pipelines are read and answered in order, and the
// answers are written in one batch when no more input is waiting (RFC
// 9051 5.5). Changes made by other sessions and deliveries reach a
// session through its mailbox view (mailbox.Mailbox.Poll) and are
// reported where RFC 9051 7 allows it: after every command but FETCH,
// STORE and SEARCH, which must not see an EXPUNGE (RFC 9051 7.5.1), and
// at once during IDLE (RFC 2177). A session in IDLE on a mailbox that is
// a mailbox.Notifier (memstore's are) waits with its one goroutine and
// without read or write buffers, a few KiB in all.
type Server struct {
	Addr      string        // TCP address for ListenAndServe; ":143" (":993" for ListenAndServeTLS) if empty
	Store     mailbox.Store // the mailboxes; must be set
	TLSConfig *tls.Config   // enables STARTTLS (RFC 9051 6.2.1) and ServeTLS when set

	// Authenticate checks the user name and password of LOGIN (RFC 9051
	// 6.2.3) and returns the identity whose account the session opens
	// with Store.Account. An error wrapping sasl.ErrAuthFailed means
	// wrong credentials (NO [AUTHENTICATIONFAILED]); any other error is a
	// failure to check ([UNAVAILABLE]). nil disables LOGIN
	// (LOGINDISABLED).
	Authenticate func(ctx context.Context, user, pass string) (identity string, err error)

	// Auth maps SASL mechanism names ("PLAIN", "SCRAM-SHA-256") to their
	// server factories for AUTHENTICATE (RFC 9051 6.2.2, with the
	// initial response of RFC 4959); the identity of a successful
	// exchange names the account.
	Auth map[string]sasl.ServerFactory

	// AllowInsecureAuth allows LOGIN and AUTHENTICATE on connections
	// without TLS. Without it they are allowed only over TLS or from a
	// loopback address (RFC 9051 6.2.3: LOGINDISABLED otherwise).
	AllowInsecureAuth bool

	// Hostname is the server's host name in the IMAP URLs of URLAUTH
	// (RFC 4467): GENURLAUTH signs and URLFETCH and CATENATE resolve
	// only URLs naming it, compared without case or port; "localhost"
	// if empty. URLAUTH is offered over accounts that are a
	// mailbox.URLAuthKeyer. URLFETCH opens another user's account only
	// through mailbox.AccountFinder, which never creates one: without
	// it, URLs of other users fetch nothing.
	Hostname string

	// SubmitURLAuth reports whether a session logged in as identity is
	// a message submission entity for user, and so may use the URLs
	// authorized for "submit+user" (RFC 4467 3). nil allows it only when
	// identity is user.
	SubmitURLAuth func(identity, user string) bool

	// AuthDelay is the pause after each failed LOGIN or AUTHENTICATE,
	// multiplied by the number of failures so far; one second if 0, none
	// if negative.
	AuthDelay time.Duration

	// Limits; each takes its default when 0 (server_limits.go).
	MaxLineLength   int           // one line of a command; DefaultMaxLineLength if 0
	MaxCommandBytes int64         // a whole command but APPEND's message; DefaultMaxCommandBytes if 0
	MaxAppendBytes  int64         // one APPEND message (APPENDLIMIT, RFC 7889); DefaultMaxAppendBytes if 0
	MaxErrors       int           // bad commands before BYE; DefaultMaxErrors if 0
	MaxAuthFailures int           // failed logins before BYE; DefaultMaxAuthFailures if 0
	IdleTimeout     time.Duration // inactivity once logged in (RFC 9051 5.4: 30 minutes at least); DefaultIdleTimeout if 0
	LoginTimeout    time.Duration // inactivity before login; DefaultLoginTimeout if 0
	WriteTimeout    time.Duration // wait for a response to be written; DefaultWriteTimeout if 0

	// MaxConnections caps the connections served at once;
	// DefaultMaxConnections if 0, no cap if negative.
	// MaxConnectionsPerIP caps those from one IP address (loopback is
	// exempt); DefaultMaxConnectionsPerIP if 0, no cap if negative. A
	// connection over a cap gets "* BYE" and is closed.
	MaxConnections      int
	MaxConnectionsPerIP int

	// StructureCacheBytes bounds the memory of the cache, shared by all
	// sessions, of what FETCH computes from a message's octets: the
	// encoded ENVELOPE, BODYSTRUCTURE and BODY items, and the parsed
	// structure that BODY[section] and BINARY need. It is an estimate,
	// in bytes; DefaultStructureCacheBytes if 0, no cache if negative.
	// StructureCacheSize, when positive, also bounds the messages in
	// it; a negative StructureCacheSize disables the cache too.
	StructureCacheBytes int64
	StructureCacheSize  int

	// SortCacheBytes bounds the memory of the cache, shared by all
	// sessions, of the keys SORT and THREAD read from a message's
	// header (its sent date, first addresses, base subject and message
	// ids), so that sorting a mailbox again reads no message. It is an
	// estimate, in bytes; DefaultSortCacheBytes if 0, no cache if
	// negative.
	SortCacheBytes int64

	// ProxyProtocol makes every connection begin with a PROXY protocol
	// header (version 1 or 2); its addresses become the connection's.
	// Set it only behind a proxy that always sends one.
	ProxyProtocol bool

	// Logger receives session errors and recovered panics; nil discards
	// them.
	Logger *slog.Logger

	conns         netserver.Tracker
	cacheOnce     sync.Once
	cache         *structureCache
	sortCacheOnce sync.Once
	sortCache     *sortKeyCache
	resets        sync.Map // identity -> *keyResets (conn_urlauth.go)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// shuttingDown returns a channel closed once Shutdown or Close is called.
func (s *Server) shuttingDown() <-chan struct{} { return s.conns.Done() }

// ListenAndServe listens on s.Addr (":143" if empty) and calls Serve.
func (s *Server) ListenAndServe() error {
	return s.listenAndServe(":143", false)
}

// ListenAndServeTLS listens on s.Addr (":993" if empty) and calls
// ServeTLS.
func (s *Server) ListenAndServeTLS() error {
	return s.listenAndServe(":993", true)
}

func (s *Server) listenAndServe(def string, implicitTLS bool) error {
	serve := s.Serve
	if implicitTLS {
		serve = s.ServeTLS
	}
	return serverErr(s.conns.ListenAndServe(cmp.Or(s.Addr, def), serve))
}

// ServeTLS is Serve with TLS from the first byte (implicit TLS, RFC 8314
// 3.3) using s.TLSConfig; the handshake happens in each connection's
// goroutine, after the PROXY header when ProxyProtocol is set.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.TLSConfig == nil {
		l.Close() // as Serve, ServeTLS always closes l
		return errors.New("imap: ServeTLS needs Server.TLSConfig")
	}
	return s.serve(l, true)
}

// Serve accepts connections on l and serves each in its own goroutine.
// It returns ErrServerClosed after Shutdown or Close, or the error of
// Accept, and always closes l.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, false)
}

func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	if s.Store == nil {
		l.Close()
		return errors.New("imap: Server.Store is nil")
	}
	// Serve owns l from here: it is closed whatever ends the loop.
	err := s.conns.Serve(l, netserver.Limit(s.MaxConnections, DefaultMaxConnections), refusal(implicitTLS),
		func(nc net.Conn) (netserver.Conn, func()) {
			c := newConn(s, nc, implicitTLS)
			return c, c.serve
		})
	return serverErr(err)
}

// serverErr is err with netserver.ErrClosed given as ErrServerClosed.
func serverErr(err error) error {
	if err == netserver.ErrClosed {
		return ErrServerClosed
	}
	return err
}

// refusal is the answer to a connection over a cap (RFC 9051 7.1.5: BYE
// instead of the greeting); none with implicit TLS, where plain text
// would be garbage to the client.
func refusal(implicitTLS bool) []byte {
	if implicitTLS {
		return nil
	}
	return []byte(byeTooMany)
}

const byeTooMany = "* BYE [UNAVAILABLE] Too many connections, try again later\r\n"

// Close closes the listeners and every connection at once, without BYE,
// and cancels the sessions' mailbox operations.
func (s *Server) Close() error { return s.conns.Close() }

// Shutdown stops accepting connections, sends "* BYE" to the sessions
// waiting for a command or in IDLE and closes them, and lets busy ones
// finish their command and do likewise, until ctx is done; then it
// closes what remains and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.conns.Shutdown(ctx) }
