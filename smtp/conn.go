package smtp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postkit/postkit/internal/netserver"
)

// Conn is one client connection. A Session may call its methods.
type Conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	ctx    context.Context
	cancel context.CancelFunc

	implicitTLS bool // TLS from the first byte (ServeTLS)

	mu     sync.Mutex // guards idle and closed against Shutdown
	idle   bool
	closed bool

	// What a PROXY header or XCLIENT said of the original client; nil
	// and "" when nothing did.
	remoteAddr, localAddr net.Addr
	remoteName            string
	xclientTrusted        bool   // the client may use XCLIENT
	xclientLogin          string // the LOGIN the last XCLIENT gave

	tlsState *tls.ConnectionState
	helo     string
	ehlo     bool
	authID   string
	session  Session

	// transaction
	inTx    bool
	utf8    bool
	binary  bool
	rcpts   []string
	pending *pendingCommand // read during BDAT, not yet run
	// bdatFailed: a BDAT failed before its LAST chunk; the chunks the
	// client pipelined after it are answered 503 without counting as
	// errors, until another command comes.
	bdatFailed bool

	errors       int
	authFailures int
	inData       bool // reading message data: each read gets DataTimeout
}

func newConn(s *Server, nc net.Conn) *Conn {
	c := &Conn{srv: s, nc: nc}
	c.br = bufio.NewReaderSize(dataReader{c}, 4096)
	c.bw = bufio.NewWriterSize(nc, 1024) // replies are short; a small buffer keeps idle connections small
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// setConn replaces the connection under c (PROXY, TLS).
func (c *Conn) setConn(nc net.Conn) {
	c.mu.Lock()
	c.nc = nc
	c.mu.Unlock()
	c.bw.Reset(nc)
}

// RemoteAddr returns the client's address: the original client's when a
// PROXY header (Server.ProxyProtocol) or a trusted XCLIENT gave it.
func (c *Conn) RemoteAddr() net.Addr {
	if c.remoteAddr != nil {
		return c.remoteAddr
	}
	return c.nc.RemoteAddr()
}

// LocalAddr returns the server's address of the connection, or the one
// the original client connected to when a PROXY header or XCLIENT gave
// it.
func (c *Conn) LocalAddr() net.Addr {
	if c.localAddr != nil {
		return c.localAddr
	}
	return c.nc.LocalAddr()
}

// RemoteHostname returns the client's host name as a trusted front end
// gave it with XCLIENT NAME, or "" (the server does no DNS lookups).
func (c *Conn) RemoteHostname() string { return c.remoteName }

// Server returns the server the connection belongs to.
func (c *Conn) Server() *Server { return c.srv }

// ConnectionState returns the TLS state and true once TLS is on.
func (c *Conn) ConnectionState() (tls.ConnectionState, bool) {
	if c.tlsState == nil {
		return tls.ConnectionState{}, false
	}
	return *c.tlsState, true
}

// Hostname returns the name the client gave in EHLO, HELO or LHLO.
func (c *Conn) Hostname() string { return c.helo }

// AuthIdentity returns the identity the client authenticated as with
// AUTH, or "".
func (c *Conn) AuthIdentity() string { return c.authID }

// Context returns a context cancelled when the connection ends.
func (c *Conn) Context() context.Context { return c.ctx }

func (c *Conn) log() *slog.Logger {
	return c.srv.logger().With("remote", c.RemoteAddr().String())
}

// closeIfIdle answers 421 and closes the connection if it waits for a
// command. Called by Shutdown.
func (c *Conn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.idle || c.closed {
		return
	}
	c.closed = true
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.nc.Write(FormatReply(421, EnhancedCode{4, 3, 2}, c.srv.hostname()+" Service shutting down"))
	c.nc.Close()
}

// setIdle marks the connection as waiting for a command; it reports false
// if Shutdown closed it.
func (c *Conn) setIdle(idle bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = idle
	return !c.closed
}

func (c *Conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			c.log().Error("smtp: panic serving connection", "panic", r, "stack", string(debug.Stack()))
		}
		if c.session != nil {
			if err := c.session.Logout(); err != nil {
				c.log().Error("smtp: logout", "err", err)
			}
		}
		c.cancel()
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.nc.Close()
		c.srv.conns.Remove(trackedConn{c})
	}()

	if c.srv.ProxyProtocol {
		pc, ok := netserver.ReadProxyHeader(c.nc, c.log(), "smtp")
		if !ok {
			return
		}
		c.setConn(pc)
	}
	if !c.srv.claimIP(c) {
		netserver.Refuse(c.nc, c.srv.refusal(c.implicitTLS))
		return
	}
	if c.implicitTLS {
		c.setConn(tls.Server(c.nc, c.srv.TLSConfig))
	}
	if tc, ok := c.nc.(*tls.Conn); ok {
		// ServeTLS, or a listener from tls.NewListener: TLS from the
		// first byte.
		ctx, cancel := context.WithTimeout(c.ctx, orDefault(c.srv.ReadTimeout, DefaultReadTimeout))
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return
		}
		st := tc.ConnectionState()
		c.tlsState = &st
	}
	c.xclientTrusted = c.srv.XCLIENT != nil && c.srv.XCLIENT(c.RemoteAddr())
	if !c.greet() {
		c.flush()
		return
	}
	maxLine := orDefault(c.srv.MaxLineLength, DefaultMaxCommandLineLength)
	for {
		if c.br.Buffered() == 0 {
			if c.flush() != nil {
				return
			}
		}
		if c.srv.conns.ShuttingDown() {
			c.reply(421, EnhancedCode{4, 3, 2}, c.srv.hostname()+" Service shutting down")
			c.flush()
			return
		}
		// Idle means blocked waiting for the client: pipelined commands
		// already buffered are served before Shutdown may close.
		if !c.setIdle(c.br.Buffered() == 0 && c.pending == nil) {
			return
		}
		line, err := c.readCommand()
		if !c.setIdle(false) {
			return
		}
		if err == nil && len(line)+2 > maxLine {
			// Only AUTH may be longer (RFC 4954 4.).
			if verb, args, ok := bytes.Cut(line, []byte(" ")); ok && string(bytes.ToUpper(verb)) == "AUTH" {
				if !c.auth(string(bytes.Trim(args, " "))) {
					c.flush()
					return
				}
				continue
			}
			err = errLineTooLong
		}
		if errors.Is(err, errLineTooLong) {
			if !c.badCommand(500, EnhancedCode{5, 5, 2}, "Line too long") {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		if !c.handle(line) {
			c.flush()
			return
		}
	}
}

// greet starts the session and sends the greeting (RFC 5321 4.3.1); it
// reports false, after answering, if the Handler refused the session.
func (c *Conn) greet() bool {
	sess, err := c.srv.Handler.NewSession(c)
	if err != nil {
		var se *Error
		if errors.As(err, &se) {
			c.bw.Write(se.Format())
		} else {
			c.log().Error("smtp: new session", "err", err)
			c.reply(421, EnhancedCode{4, 3, 2}, c.srv.hostname()+" Service not available")
		}
		return false
	}
	c.session = sess
	proto := "ESMTP"
	if c.srv.LMTP {
		proto = "LMTP"
	}
	c.reply(220, EnhancedCode{}, c.srv.hostname()+" "+proto+" Service ready")
	return true
}

// pendingCommand is a command line read while a BDAT transaction waited
// for its next chunk, given back to the command loop.
type pendingCommand struct {
	line []byte
	err  error
}

// readCommand reads the next command line, at most the AUTH limit long
// (the caller checks the ordinary limit), or returns the pending one.
func (c *Conn) readCommand() ([]byte, error) {
	if p := c.pending; p != nil {
		c.pending = nil
		return p.line, p.err
	}
	c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.ReadTimeout, DefaultReadTimeout)))
	return c.readLine(max(orDefault(c.srv.MaxLineLength, DefaultMaxCommandLineLength), maxAuthLine))
}

func (c *Conn) flush() error {
	c.nc.SetWriteDeadline(time.Now().Add(orDefault(c.srv.WriteTimeout, DefaultWriteTimeout)))
	return c.bw.Flush()
}

func (c *Conn) reply(code int, enh EnhancedCode, lines ...string) {
	// Formatted in the writer's free space: no allocation when it fits.
	c.bw.Write(AppendReply(c.bw.AvailableBuffer(), code, enh, lines...))
}

// replyErr answers for an error from a Session.
func (c *Conn) replyErr(err error) {
	var se *Error
	if errors.As(err, &se) {
		c.bw.Write(se.Format())
		return
	}
	var syn *SyntaxError
	if errors.As(err, &syn) {
		c.bw.Write(syn.SMTPError().Format())
		return
	}
	c.log().Error("smtp: session error", "err", err)
	c.reply(451, EnhancedCode{4, 0, 0}, "Requested action aborted: local error in processing")
}

func (c *Conn) syntax(err error) bool {
	var syn *SyntaxError
	if errors.As(err, &syn) {
		return c.badCommand(syn.Code, syn.EnhancedCode, syn.Msg)
	}
	return c.badCommand(501, EnhancedCode{5, 5, 4}, err.Error())
}

// resetTx ends the transaction and tells the session.
func (c *Conn) resetTx() {
	if c.inTx {
		c.session.Reset()
	}
	c.inTx, c.utf8, c.binary = false, false, false
	c.rcpts = nil
}

// handle runs one command; it reports false when the connection must close.
func (c *Conn) handle(line []byte) bool {
	cmd, err := ParseCommand(line)
	if err != nil {
		return c.syntax(err)
	}
	if cmd.Verb != "BDAT" {
		c.bdatFailed = false
	}
	switch cmd.Verb {
	case "EHLO", "HELO":
		if c.srv.LMTP {
			return c.badCommand(500, EnhancedCode{5, 5, 1}, "This is LMTP; use LHLO")
		}
		return c.hello(cmd)
	case "LHLO":
		if !c.srv.LMTP {
			return c.badCommand(500, EnhancedCode{5, 5, 1}, "Command unrecognized")
		}
		return c.hello(cmd)
	case "MAIL":
		return c.mail(cmd.Args)
	case "RCPT":
		return c.rcpt(cmd.Args)
	case "DATA":
		return c.data(cmd.Args)
	case "BDAT":
		return c.bdatCmd(cmd.Args)
	case "RSET":
		if cmd.Args != "" {
			return c.badCommand(501, EnhancedCode{5, 5, 4}, "Syntax: RSET")
		}
		c.resetTx()
		c.reply(250, EnhancedCode{2, 0, 0}, "OK")
	case "NOOP":
		c.reply(250, EnhancedCode{2, 0, 0}, "OK")
	case "QUIT":
		c.reply(221, EnhancedCode{2, 0, 0}, c.srv.hostname()+" Service closing transmission channel")
		return false
	case "VRFY":
		if cmd.Args == "" {
			return c.badCommand(501, EnhancedCode{5, 5, 4}, "Syntax: VRFY <address>")
		}
		c.reply(252, EnhancedCode{2, 5, 0}, "Cannot VRFY user, but will accept message and attempt delivery")
	case "EXPN":
		c.reply(502, EnhancedCode{5, 5, 1}, "Command not implemented")
	case "HELP":
		c.reply(214, EnhancedCode{2, 0, 0}, "See RFC 5321")
	case "STARTTLS":
		return c.startTLS(cmd.Args)
	case "AUTH":
		return c.auth(cmd.Args)
	case "XCLIENT":
		return c.xclient(cmd.Args)
	default:
		return c.badCommand(500, EnhancedCode{5, 5, 2}, "Syntax error, command unrecognized")
	}
	return true
}

// hello answers EHLO, HELO and LHLO (RFC 5321 4.1.1.1, RFC 2033 4.1).
func (c *Conn) hello(cmd Command) bool {
	name, err := ParseHello(cmd.Args, true)
	if err != nil {
		return c.syntax(err)
	}
	c.resetTx()
	c.helo = name
	c.ehlo = cmd.Verb != "HELO"
	host := c.srv.hostname()
	if !c.ehlo {
		c.reply(250, EnhancedCode{}, host+" Hello "+name)
		return true
	}
	lines := []string{host + " Hello " + name,
		"PIPELINING", "8BITMIME", "SIZE " + strconv.FormatInt(c.srv.maxMessageBytes(), 10),
		"ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "BINARYMIME", "DSN",
		// RFC 9422 4.: the limits this server enforces.
		"LIMITS RCPTMAX=" + strconv.Itoa(orDefault(c.srv.MaxRecipients, DefaultMaxRecipients))}
	if c.srv.TLSConfig != nil && c.tlsState == nil {
		lines = append(lines, "STARTTLS")
	}
	if c.tlsState != nil {
		// RFC 8689 2.: meaningful only once the session is under TLS.
		lines = append(lines, "REQUIRETLS")
	}
	if c.xclientTrusted {
		lines = append(lines, "XCLIENT "+xclientAttrs)
	}
	if c.authAllowed() {
		mechs := make([]string, 0, len(c.srv.Auth))
		for m := range c.srv.Auth {
			mechs = append(mechs, m)
		}
		sort.Strings(mechs)
		lines = append(lines, "AUTH "+strings.Join(mechs, " "))
	}
	c.reply(250, EnhancedCode{}, lines...)
	return true
}
