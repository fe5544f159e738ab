package pop3

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
var ErrServerClosed = errors.New("pop3: server closed")

// Server is a POP3 server (RFC 1939) over a mailbox.Store: each user's
// maildrop is the INBOX of their account. Its zero value, with a Store
// and a way to log in (Authenticate, APOPSecret or Auth), is a working
// server; every limit has a default.
type Server struct {
	Addr      string        // TCP address for ListenAndServe; ":110" if empty (":995" for ListenAndServeTLS)
	Hostname  string        // name in the greeting and the APOP timestamp; "localhost" if empty
	Store     mailbox.Store // the accounts; must be set
	TLSConfig *tls.Config   // enables STLS (RFC 2595 4.) and ServeTLS

	// Authenticate checks a USER/PASS login (RFC 1939 7.) and returns the
	// account name to open with Store.Account. It returns an error
	// wrapping sasl.ErrAuthFailed for wrong credentials; any other error
	// is answered as a temporary failure ([SYS/TEMP]). nil disables USER
	// and PASS. The server prepares user and password with SASLprep
	// before the call, as the "UTF8 USER" capability promises (RFC 6856
	// 2.2).
	//
	// The account returned, like the identity of APOP and AUTH, is the
	// key of the maildrop lock ([IN-USE]) and of LoginDelay, compared as
	// it is: return the name as the store spells it (the canonical
	// case), so that "MRose" and "mrose" lock the same maildrop.
	Authenticate func(ctx context.Context, user, pass string) (account string, err error)

	// APOPSecret returns the secret shared with user for APOP (RFC 1939
	// 7.), or an error wrapping sasl.ErrAuthFailed for an unknown user.
	// The account opened is user. nil disables APOP, and the greeting
	// then carries no timestamp.
	APOPSecret func(ctx context.Context, user string) (secret string, err error)

	// Auth maps SASL mechanism names ("PLAIN", "SCRAM-SHA-256") to their
	// server factories for AUTH (RFC 5034). The account opened (and
	// locked) is the mechanism's Identity.
	Auth map[string]sasl.ServerFactory

	// AllowInsecureAuth accepts USER/PASS and the SASL mechanisms that
	// carry a password in the clear (PLAIN, LOGIN, OAUTHBEARER,
	// XOAUTH2) on connections without TLS from addresses other than
	// loopback. Without it they are neither offered nor accepted there
	// (RFC 5034 4., RFC 2595 2.).
	AllowInsecureAuth bool

	// Expire is the argument of the EXPIRE capability (RFC 2449 6.7):
	// "NEVER", or the minimum number of days a message is kept ("0",
	// "30"). Empty announces nothing. The server itself never deletes
	// messages on its own; the policy is the caller's.
	Expire string

	// LoginDelay is the minimum time between two logins of the same
	// account, announced with LOGIN-DELAY and enforced with
	// "-ERR [LOGIN-DELAY]" (RFC 2449 6.5, 8.1.1). 0 imposes none. The
	// time of the last login is kept in this process only.
	LoginDelay time.Duration

	// Implementation is the argument of the IMPLEMENTATION capability
	// (RFC 2449 6.9); "postkit" if empty, none if "-".
	Implementation string

	// CountSizes makes the server read every message of the maildrop at
	// login to count its octets in the CRLF form it sends. Without it
	// the sizes in STAT and LIST are those of Message.Size, which the
	// mailbox seam defines as RFC822.SIZE, the size of the CRLF form,
	// plus the CRLF RETR adds to a message whose last line lacks one
	// (found by reading its last two octets); set it for a backend that
	// stores bare LF and reports the size of its file. It costs one
	// read of the whole maildrop per login.
	CountSizes bool

	MaxLineLength    int           // command line limit, CRLF included; DefaultMaxLineLength if 0
	ReadTimeout      time.Duration // wait for a command; DefaultReadTimeout if 0
	WriteTimeout     time.Duration // wait for each write to the client; DefaultWriteTimeout if 0
	MaxErrors        int           // bad commands before the connection is closed; DefaultMaxErrors if 0
	MaxAuthFailures  int           // failed logins before the connection is closed; DefaultMaxAuthFailures if 0
	MaxCommands      int           // commands per connection; DefaultMaxCommands if 0, no cap if negative
	HandshakeTimeout time.Duration // TLS handshake (implicit TLS, STLS); DefaultHandshakeTimeout if 0

	// AuthDelay is the pause after each failed login, multiplied by the
	// number of failures so far; one second if 0, none if negative.
	AuthDelay time.Duration

	// MaxConnections caps the connections served at once;
	// DefaultMaxConnections if 0, no cap if negative. MaxConnectionsPerIP
	// caps those from one IP address (loopback addresses are exempt);
	// DefaultMaxConnectionsPerIP if 0, no cap if negative. A connection
	// over a cap is answered "-ERR [SYS/TEMP]" and closed.
	MaxConnections      int
	MaxConnectionsPerIP int

	// Logger receives errors from sessions and recovered panics; nil
	// discards them.
	Logger *slog.Logger

	conns     netserver.Tracker
	mu        sync.Mutex
	locks     map[string]*conn     // maildrop locks by account name
	lastLogin map[string]time.Time // for LoginDelay
	// newTimestamp makes the APOP timestamp; tests set it to replay
	// RFC 1939's example session.
	newTimestamp func() string
}

func (s *Server) hostname() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	return "localhost"
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ListenAndServe listens on s.Addr (":110" if empty) and calls Serve.
func (s *Server) ListenAndServe() error {
	return s.listenAndServe(":110", false)
}

// ListenAndServeTLS listens on s.Addr (":995" if empty) and calls
// ServeTLS.
func (s *Server) ListenAndServeTLS() error {
	return s.listenAndServe(":995", true)
}

func (s *Server) listenAndServe(def string, implicitTLS bool) error {
	serve := s.Serve
	if implicitTLS {
		serve = s.ServeTLS
	}
	return serverErr(s.conns.ListenAndServe(cmp.Or(s.Addr, def), serve))
}

// ServeTLS is Serve with TLS from the first byte (implicit TLS, RFC 8314
// 3.3, port 995) using s.TLSConfig; the handshake happens in each
// connection's goroutine.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.TLSConfig == nil {
		l.Close() // as Serve, ServeTLS always closes l
		return errors.New("pop3: ServeTLS needs Server.TLSConfig")
	}
	return s.serve(l, true)
}

// Serve accepts connections on l and serves each in its own goroutine.
// It returns ErrServerClosed after Shutdown or Close, or the error of
// Accept, and always closes l. A listener made by tls.NewListener gives
// implicit TLS too.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, false)
}

func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	if s.Store == nil {
		l.Close()
		return errors.New("pop3: Server.Store is nil")
	}
	// Serve owns l from here: it is closed whatever ends the loop.
	err := s.conns.Serve(l, netserver.Limit(s.MaxConnections, DefaultMaxConnections), refusal(implicitTLS),
		func(nc net.Conn) (netserver.Conn, func()) {
			c := newConn(s, nc)
			c.implicitTLS = implicitTLS
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

// refusal is the answer to a connection over a cap, a negative
// greeting; none with implicit TLS, where plain text would be garbage to
// the client.
func refusal(implicitTLS bool) []byte {
	if implicitTLS {
		return nil
	}
	return AppendResponse(nil, false, CodeSysTemp, "Too many connections, try again later")
}

// lock takes the maildrop lock of account for c; it reports false when
// another session holds it (RFC 1939 8.: exclusive access).
func (s *Server) lock(account string, c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, held := s.locks[account]; held {
		return false
	}
	if s.locks == nil {
		s.locks = make(map[string]*conn)
	}
	s.locks[account] = c
	return true
}

func (s *Server) unlock(account string, c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks[account] == c {
		delete(s.locks, account)
	}
}

// tooSoon reports whether account logged in less than LoginDelay ago
// (RFC 2449 8.1.1).
func (s *Server) tooSoon(account string, now time.Time) bool {
	if s.LoginDelay <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok := s.lastLogin[account]
	return ok && now.Sub(last) < s.LoginDelay
}

// recordLogin notes a login of account for LoginDelay.
func (s *Server) recordLogin(account string, now time.Time) {
	if s.LoginDelay <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastLogin == nil {
		s.lastLogin = make(map[string]time.Time)
	}
	// Forget the logins that no longer matter, so the map stays small.
	if len(s.lastLogin) >= 1024 {
		for a, t := range s.lastLogin {
			if now.Sub(t) >= s.LoginDelay {
				delete(s.lastLogin, a)
			}
		}
	}
	s.lastLogin[account] = now
}

// Close closes the listeners and every connection at once, and
// cancels the context of each session, stopping the backend calls and
// authentication delays in progress. Sessions that were not in the
// UPDATE state apply no deletions.
func (s *Server) Close() error { return s.conns.Close() }

// Shutdown stops accepting connections, answers "-ERR [SYS/TEMP]" to
// idle connections and closes them, and waits for busy ones to finish
// their command and close likewise, until ctx is done; then it closes
// what remains as Close does and returns ctx's error. A connection is
// idle when it waits for a command, for the next line of an AUTH
// exchange, for a TLS handshake or in the pause after a failed login.
// Sessions closed this way apply no deletions (RFC 1939 6.: only QUIT
// enters the UPDATE state).
func (s *Server) Shutdown(ctx context.Context) error { return s.conns.Shutdown(ctx) }
