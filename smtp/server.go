package smtp

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/postkit/postkit/internal/netserver"
	"github.com/postkit/postkit/sasl"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("smtp: server closed")

// Server is an SMTP (RFC 5321) or LMTP (RFC 2033) server. Its zero value,
// with a Handler, is a working server; every limit has a default.
type Server struct {
	Addr      string      // TCP address for ListenAndServe; ":25" (":24" for LMTP) if empty
	Hostname  string      // name in the greeting and EHLO reply; "localhost" if empty
	Handler   Handler     // makes a Session per connection; must be set
	TLSConfig *tls.Config // enables STARTTLS (RFC 3207) when set

	// LMTP switches to LMTP (RFC 2033): LHLO instead of EHLO and HELO,
	// and one reply per recipient after the message.
	LMTP bool

	MaxMessageBytes int64         // SIZE limit (RFC 1870); DefaultMaxMessageBytes if 0
	MaxRecipients   int           // RCPTs per transaction; DefaultMaxRecipients if 0
	MaxLineLength   int           // command line limit, CRLF included; DefaultMaxCommandLineLength if 0
	ReadTimeout     time.Duration // wait for a command; DefaultReadTimeout if 0
	WriteTimeout    time.Duration // wait for a reply to be written; DefaultWriteTimeout if 0
	DataTimeout     time.Duration // wait for each read of message data; DefaultDataTimeout if 0
	MaxErrors       int           // bad commands before 421 and close; DefaultMaxErrors if 0
	MaxAuthFailures int           // failed AUTHs before 421 and close; DefaultMaxAuthFailures if 0

	// MaxConnections caps the connections served at once;
	// DefaultMaxConnections if 0, no cap if negative. MaxConnectionsPerIP
	// caps those from one IP address (loopback addresses are exempt);
	// DefaultMaxConnectionsPerIP if 0, no cap if negative. A connection
	// over a cap is answered 421 and closed.
	MaxConnections      int
	MaxConnectionsPerIP int

	// ProxyProtocol makes every connection begin with a PROXY protocol
	// header, version 1 or 2, as HAProxy and cloud load balancers send
	// it; the addresses it gives become the connection's RemoteAddr and
	// LocalAddr (and the per-IP cap counts them). A connection without a
	// valid header within 10 seconds is closed without a reply. Set it
	// only behind a proxy that sends the header on every connection:
	// anyone who can connect directly can claim any address. For
	// implicit TLS behind such a proxy use ServeTLS, which reads the
	// header before the handshake; a listener from tls.NewListener
	// cannot work with it, and its connections are closed.
	ProxyProtocol bool

	// XCLIENT tells whether the client at addr is a trusted front end (a
	// proxy or a content filter) that may use XCLIENT to give the
	// original client's address, host name and login, as Postfix's
	// XCLIENT extension does. nil trusts nobody.
	XCLIENT func(addr net.Addr) bool

	// AllowInsecureAuth offers AUTH on connections without TLS. Without it
	// AUTH is offered only over TLS or from a loopback address.
	AllowInsecureAuth bool

	// Auth maps SASL mechanism names ("PLAIN", "SCRAM-SHA-256") to their
	// server factories. AUTH (RFC 4954) is offered when it is not empty.
	Auth map[string]sasl.ServerFactory

	// AuthDelay is the pause after each failed AUTH, multiplied by the
	// number of failures so far; one second if 0, none if negative.
	AuthDelay time.Duration

	// Logger receives errors from sessions and recovered panics; nil
	// discards them.
	Logger *slog.Logger

	conns netserver.Tracker
}

// Handler makes the Session of each new connection.
type Handler interface {
	// NewSession is called once the connection is accepted. Returning an
	// *Error refuses the connection with that reply; any other error
	// refuses it with 421.
	NewSession(c *Conn) (Session, error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(c *Conn) (Session, error)

// NewSession calls f(c).
func (f HandlerFunc) NewSession(c *Conn) (Session, error) { return f(c) }

// Session is one connection's mail transactions. Its methods are called
// from the connection's goroutine only. An *Error return chooses the
// reply; any other error gives 451 4.0.0 and is logged.
type Session interface {
	// Mail starts a transaction with the reverse-path ("" for the null
	// path <>) (RFC 5321 4.1.1.2).
	Mail(from string, p MailParams) error
	// Rcpt adds a forward-path (RFC 5321 4.1.1.3).
	Rcpt(to string, p RcptParams) error
	// Data reads the message. It must return an error if reading r fails:
	// the server then answers for the failure (bare line endings, size)
	// whatever Data returns.
	Data(r io.Reader) error
	// Reset aborts the transaction (RSET, a new EHLO, STARTTLS, a failed
	// DATA).
	Reset()
	// Logout is called once when the connection ends.
	Logout() error
}

// LMTPSession is implemented by a Session that delivers an LMTP message
// with one result per recipient (RFC 2033 4.2). LMTPData reads the
// message and reports each recipient's result to status; recipients left
// without a status get the result LMTPData returns.
type LMTPSession interface {
	LMTPData(r io.Reader, status StatusCollector) error
}

// StatusCollector records the delivery result of one recipient in LMTP.
type StatusCollector interface {
	// SetStatus sets the result for rcpt, as given to Rcpt; nil is success.
	SetStatus(rcpt string, err error)
}

// MailParams are the parameters of MAIL FROM.
type MailParams struct {
	Size       int64  // SIZE (RFC 1870); 0 if absent
	Body       string // BODY: "7BIT", "8BITMIME" (RFC 6152) or "BINARYMIME" (RFC 3030); "" if absent
	SMTPUTF8   bool   // SMTPUTF8 (RFC 6531)
	RequireTLS bool   // REQUIRETLS (RFC 8689): relay the message only over verified TLS
	Ret        string // RET (RFC 3461): "FULL" or "HDRS"
	EnvID      string // ENVID (RFC 3461), xtext-decoded
	Auth       string // AUTH (RFC 4954 5.), xtext-decoded
	Params     Params // all parameters as given
}

// RcptParams are the parameters of RCPT TO.
type RcptParams struct {
	Notify string // NOTIFY (RFC 3461 4.1)
	ORCPT  string // ORCPT (RFC 3461 4.2), as given
	Params Params // all parameters as given
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

// ListenAndServe listens on s.Addr and calls Serve.
func (s *Server) ListenAndServe() error {
	def := ":25"
	if s.LMTP {
		def = ":24"
	}
	return s.listenAndServe(def, false)
}

// ListenAndServeTLS listens on s.Addr (":465" if empty) and calls
// ServeTLS.
func (s *Server) ListenAndServeTLS() error {
	return s.listenAndServe(":465", true)
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
		return errors.New("smtp: ServeTLS needs Server.TLSConfig")
	}
	return s.serve(l, true)
}

// Serve accepts connections on l and serves each in its own goroutine. It
// returns ErrServerClosed after Shutdown or Close, or the error of Accept,
// and always closes l.
// A listener made by tls.NewListener gives implicit TLS too.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, false)
}

func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	defer l.Close() // as net/http: Serve always closes l
	if s.Handler == nil {
		return errors.New("smtp: Server.Handler is nil")
	}
	err := s.conns.Serve(l, netserver.Limit(s.MaxConnections, DefaultMaxConnections), s.refusal(implicitTLS),
		func(nc net.Conn) (netserver.Conn, func()) {
			c := newConn(s, nc)
			c.implicitTLS = implicitTLS
			return trackedConn{c}, c.serve
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

// trackedConn is a Conn as the connection tracker sees it.
type trackedConn struct{ c *Conn }

func (t trackedConn) CloseIfIdle() { t.c.closeIfIdle() }

func (t trackedConn) Close() {
	t.c.mu.Lock()
	t.c.closed = true
	t.c.nc.Close()
	t.c.mu.Unlock()
}

// claimIP counts c against MaxConnectionsPerIP under its remote address
// (after any PROXY header); it reports false when that IP is at the cap.
func (s *Server) claimIP(c *Conn) bool {
	return s.conns.ClaimIP(trackedConn{c}, c.nc.RemoteAddr(),
		netserver.Limit(s.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP))
}

// refusal is the answer to a connection over a cap (RFC 5321 3.1: 421
// instead of the greeting); none with implicit TLS, where plain text
// would be garbage to the client.
func (s *Server) refusal(implicitTLS bool) []byte {
	if implicitTLS {
		return nil
	}
	return FormatReply(421, EnhancedCode{4, 7, 0}, s.hostname()+" Too many connections, try again later")
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error { return s.conns.Close() }

// Shutdown stops accepting connections, answers 421 to idle connections
// and closes them, and waits for busy ones to finish their command and
// close likewise, until ctx is done; then it closes what remains and
// returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.conns.Shutdown(ctx) }
