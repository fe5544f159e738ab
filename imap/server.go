package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

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
// at once during IDLE (RFC 2177).
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

	// StructureCacheSize bounds the cache of parsed message structures
	// (for ENVELOPE, BODYSTRUCTURE and BODY[section]), in messages;
	// DefaultStructureCacheSize if 0, no cache if negative.
	StructureCacheSize int

	// ProxyProtocol makes every connection begin with a PROXY protocol
	// header (version 1 or 2); its addresses become the connection's.
	// Set it only behind a proxy that always sends one.
	ProxyProtocol bool

	// Logger receives session errors and recovered panics; nil discards
	// them.
	Logger *slog.Logger

	mu         sync.Mutex
	listeners  map[*net.Listener]struct{}
	conns      map[*conn]struct{}
	perIP      map[string]int
	inShutdown atomic.Bool
	shutdownCh chan struct{}
	cacheOnce  sync.Once
	cache      *structureCache
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// shuttingDown returns a channel closed once Shutdown or Close is called.
func (s *Server) shuttingDown() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdownCh == nil {
		s.shutdownCh = make(chan struct{})
		if s.inShutdown.Load() {
			close(s.shutdownCh)
		}
	}
	return s.shutdownCh
}

func (s *Server) startShutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inShutdown.Swap(true) {
		return
	}
	if s.shutdownCh == nil {
		s.shutdownCh = make(chan struct{})
	}
	close(s.shutdownCh)
}

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
	if s.inShutdown.Load() {
		return ErrServerClosed
	}
	addr := s.Addr
	if addr == "" {
		addr = def
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if implicitTLS {
		return s.ServeTLS(l)
	}
	return s.Serve(l)
}

// ServeTLS is Serve with TLS from the first byte (implicit TLS, RFC 8314
// 3.3) using s.TLSConfig; the handshake happens in each connection's
// goroutine, after the PROXY header when ProxyProtocol is set.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.TLSConfig == nil {
		return errors.New("imap: ServeTLS needs Server.TLSConfig")
	}
	return s.serve(l, true)
}

// Serve accepts connections on l and serves each in its own goroutine.
// It returns ErrServerClosed after Shutdown or Close, or the error of
// Accept.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, false)
}

func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	if s.Store == nil {
		return errors.New("imap: Server.Store is nil")
	}
	// Serve owns l from here: it is closed whatever ends the loop.
	defer l.Close()
	if !s.trackListener(&l, true) {
		return ErrServerClosed
	}
	defer s.trackListener(&l, false)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := newConn(s, nc, implicitTLS)
		ok, full := s.trackConn(c, true)
		if !ok {
			nc.Close()
			return ErrServerClosed
		}
		if full {
			if implicitTLS {
				nc.Close()
			} else {
				go refuseConn(nc)
			}
			continue
		}
		go c.serve()
	}
}

func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.listeners, l)
		return true
	}
	if s.inShutdown.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = make(map[*net.Listener]struct{})
	}
	s.listeners[l] = struct{}{}
	return true
}

// trackConn adds or removes c. Adding reports false once the server is
// shutting down, and full when it is at MaxConnections.
func (s *Server) trackConn(c *conn, add bool) (ok, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		if _, ok := s.conns[c]; ok {
			delete(s.conns, c)
			if ip := c.capIP; ip != "" {
				if s.perIP[ip]--; s.perIP[ip] <= 0 {
					delete(s.perIP, ip)
				}
				c.capIP = ""
			}
		}
		return true, false
	}
	if s.inShutdown.Load() {
		return false, false
	}
	if m := orDefault(s.MaxConnections, DefaultMaxConnections); s.MaxConnections >= 0 && len(s.conns) >= m {
		return true, true
	}
	if s.conns == nil {
		s.conns = make(map[*conn]struct{})
	}
	s.conns[c] = struct{}{}
	return true, false
}

// claimIP counts c against MaxConnectionsPerIP; false when its IP is at
// the cap.
func (s *Server) claimIP(c *conn) bool {
	ta, ok := c.nc.RemoteAddr().(*net.TCPAddr)
	if !ok || ta.IP.IsLoopback() {
		return true
	}
	ip := ta.IP.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := orDefault(s.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP); s.MaxConnectionsPerIP >= 0 && s.perIP[ip] >= m {
		return false
	}
	if s.perIP == nil {
		s.perIP = make(map[string]int)
	}
	s.perIP[ip]++
	c.capIP = ip
	return true
}

const byeTooMany = "* BYE [UNAVAILABLE] Too many connections, try again later\r\n"

// refuseConn answers a connection over a cap (RFC 9051 7.1.5: BYE
// instead of the greeting) and closes it.
func refuseConn(nc net.Conn) {
	nc.SetWriteDeadline(time.Now().Add(time.Second))
	nc.Write([]byte(byeTooMany))
	nc.Close()
}

func (s *Server) closeListenersLocked() error {
	var err error
	for l := range s.listeners {
		if e := (*l).Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// Close closes the listeners and every connection at once, without BYE,
// and cancels the sessions' mailbox operations.
func (s *Server) Close() error {
	s.startShutdown()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.closeListenersLocked()
	for c := range s.conns {
		c.mu.Lock()
		c.closed = true
		c.nc.Close()
		c.mu.Unlock()
		c.cancel()
	}
	return err
}

// Shutdown stops accepting connections, sends "* BYE" to the sessions
// waiting for a command or in IDLE and closes them, and lets busy ones
// finish their command and do likewise, until ctx is done; then it
// closes what remains and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.startShutdown()
	s.mu.Lock()
	err := s.closeListenersLocked()
	s.mu.Unlock()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		conns := make([]*conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		if len(conns) == 0 {
			return err
		}
		// Outside s.mu: each BYE may wait up to a second on a client
		// that does not read.
		for _, c := range conns {
			c.closeIfIdle()
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
}
