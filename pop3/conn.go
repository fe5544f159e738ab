package pop3

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/postkit/postkit/internal/netserver"
	"github.com/postkit/postkit/mailbox"
)

// state is a POP3 session state (RFC 1939 3.).
type state uint8

const (
	stateAuthorization state = iota
	stateTransaction
	stateUpdate
)

// conn is one client connection and its session.
type conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	ctx    context.Context
	cancel context.CancelFunc

	implicitTLS bool // TLS from the first byte (ServeTLS)

	mu     sync.Mutex // guards nc, idle and closed against Shutdown and Close
	idle   idleKind
	closed bool

	tlsState  *tls.ConnectionState
	state     state
	user      string // the name of a USER waiting for its PASS
	timestamp string // the APOP timestamp of the greeting, "" without APOP
	utf8      bool   // UTF8 was given (RFC 6856 2.1)

	errors       int
	authFailures int
	commands     int

	// TRANSACTION state
	account string // the account whose maildrop lock this session holds
	acct    mailbox.Account
	mbox    mailbox.Mailbox
	drop    *maildrop
	copyBuf []byte // for message bodies, allocated on first use
}

// writeBufferSize is the size of the connection's write buffer; it is
// the size dotstuff.NewWriter asks for, so message bodies are stuffed
// straight into it.
const writeBufferSize = 4096

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{srv: s, nc: nc}
	c.br = bufio.NewReaderSize(nc, 1024)
	c.bw = bufio.NewWriterSize(deadlineWriter{c}, writeBufferSize)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// deadlineWriter writes to the connection, each write with its own
// deadline, so a large message to a slow client does not time out while
// it keeps reading.
type deadlineWriter struct{ c *conn }

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.c.nc.SetWriteDeadline(time.Now().Add(orDefault(w.c.srv.WriteTimeout, DefaultWriteTimeout)))
	return w.c.nc.Write(p)
}

func (c *conn) log() *slog.Logger {
	return c.srv.logger().With("remote", c.nc.RemoteAddr().String())
}

// idleKind says whether a connection may be closed by Shutdown, and
// how.
type idleKind uint8

const (
	busy       idleKind = iota // in the middle of a command: Shutdown waits
	idleReply                  // waiting for the client at a line: answered, then closed
	idleSilent                 // in a TLS handshake: closed without a word
)

// CloseIfIdle answers and closes the connection if it waits for the
// client. Called by Shutdown; the goodbye is written outside c.mu, and
// the session's goroutine, seeing closed, writes nothing more.
func (c *conn) CloseIfIdle() {
	c.mu.Lock()
	if c.idle == busy || c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	nc, kind := c.nc, c.idle
	c.mu.Unlock()
	if kind == idleReply {
		// Before cancel: a session woken by it would close the
		// connection under the goodbye.
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write(AppendResponse(nil, false, CodeSysTemp, "Server shutting down"))
	}
	c.cancel()
	nc.Close()
}

// Close closes the connection and cancels its context, busy or not.
// Called by Server.Close.
func (c *conn) Close() {
	c.mu.Lock()
	c.closed = true
	nc := c.nc
	c.mu.Unlock()
	c.cancel()
	nc.Close()
}

// setIdle marks the connection as waiting for the client (or not); it
// reports false if Shutdown or Close closed it, when the session must
// end without writing anything more.
func (c *conn) setIdle(kind idleKind) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = kind
	return !c.closed
}

// idleWhileWaiting is the idle kind of a wait for a line: idle when
// nothing the client sent is buffered, so pipelined commands already
// received are served before Shutdown may close.
func (c *conn) idleWhileWaiting() idleKind {
	if c.br.Buffered() == 0 {
		return idleReply
	}
	return busy
}

// handshakeTimeout bounds a TLS handshake.
func (c *conn) handshakeTimeout() time.Duration {
	return orDefault(c.srv.HandshakeTimeout, DefaultHandshakeTimeout)
}

// handshake runs the server side of a TLS handshake on tc, idle for
// Shutdown meanwhile; it reports false if it failed or the connection
// was closed.
func (c *conn) handshake(tc *tls.Conn) bool {
	if !c.setIdle(idleSilent) {
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.handshakeTimeout())
	err := tc.HandshakeContext(ctx)
	cancel()
	if !c.setIdle(busy) {
		return false
	}
	if err != nil {
		c.log().Info("pop3: TLS handshake", "err", err)
		return false
	}
	st := tc.ConnectionState()
	c.tlsState = &st
	return true
}

// safely runs a cleanup step that calls the backend: a panic there is
// logged, not allowed to take the server down.
func (c *conn) safely(what string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			c.log().Error("pop3: panic in "+what, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn()
}

func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			c.log().Error("pop3: panic serving connection", "panic", r, "stack", string(debug.Stack()))
		}
		// A session that did not QUIT applies nothing (RFC 1939 6.).
		// Each step runs whatever the one before did, so the maildrop
		// lock and the connection slot are always given back.
		c.safely("closing the maildrop", c.closeMaildrop)
		c.cancel()
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.nc.Close()
		c.srv.conns.Remove(c)
	}()

	if !c.srv.conns.ClaimIP(c, c.nc.RemoteAddr(), netserver.Limit(c.srv.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP)) {
		netserver.Refuse(c.nc, refusal(c.implicitTLS))
		return
	}
	if tc, ok := c.nc.(*tls.Conn); ok || c.implicitTLS {
		if !ok {
			tc = tls.Server(c.nc, c.srv.TLSConfig)
			c.mu.Lock()
			c.nc = tc
			c.mu.Unlock()
			c.br.Reset(tc)
		}
		if !c.handshake(tc) {
			return
		}
	}
	c.greet()
	maxLine := orDefault(c.srv.MaxLineLength, DefaultMaxLineLength)
	for {
		if c.br.Buffered() == 0 {
			if c.flush() != nil {
				return
			}
		}
		if c.srv.conns.ShuttingDown() {
			c.reply(false, CodeSysTemp, "Server shutting down")
			c.flush()
			return
		}
		// Idle means blocked waiting for the client: pipelined commands
		// already buffered are served before Shutdown may close.
		if !c.setIdle(c.idleWhileWaiting()) {
			return
		}
		c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.ReadTimeout, DefaultReadTimeout)))
		line, err := readLine(c.br, maxLine)
		if !c.setIdle(busy) {
			return
		}
		if errors.Is(err, errLineTooLong) {
			if !c.badCommand("Line too long") {
				c.flush()
				return
			}
			continue
		}
		if err != nil {
			return
		}
		c.commands++
		if max := orDefault(c.srv.MaxCommands, DefaultMaxCommands); c.srv.MaxCommands >= 0 && c.commands > max {
			c.reply(false, CodeSysPerm, "Too many commands, closing connection")
			c.flush()
			return
		}
		if !c.handle(line) {
			c.flush()
			return
		}
	}
}

// greet sends the greeting (RFC 1939 4.), with the APOP timestamp when
// APOP is enabled (RFC 1939 7.: a msg-id unique to this greeting).
func (c *conn) greet() {
	text := "POP3 server ready"
	if c.srv.APOPSecret != nil {
		if c.srv.newTimestamp != nil {
			c.timestamp = c.srv.newTimestamp()
		} else {
			var b [12]byte
			rand.Read(b[:])
			c.timestamp = "<" + hex.EncodeToString(b[:]) + "." + strconv.FormatInt(time.Now().Unix(), 10) + "@" + c.srv.hostname() + ">"
		}
		text += " " + c.timestamp
	}
	c.reply(true, "", text)
}

func (c *conn) flush() error {
	return c.bw.Flush()
}

// reply writes a status line.
func (c *conn) reply(ok bool, code, text string) {
	c.bw.Write(AppendResponse(c.bw.AvailableBuffer(), ok, code, text))
}

// badCommand answers a refused command (unknown, out of state, bad
// syntax) and counts it; it reports false when the connection must
// close.
func (c *conn) badCommand(text string) bool {
	c.errors++
	if c.errors >= orDefault(c.srv.MaxErrors, DefaultMaxErrors) {
		c.reply(false, "", "Too many errors, closing connection")
		return false
	}
	c.reply(false, "", text)
	return true
}

// handle runs one command; it reports false when the connection must
// close.
func (c *conn) handle(line []byte) bool {
	cmd, err := ParseCommand(line)
	if err != nil {
		return c.badCommand("Syntax error")
	}
	if cmd.Name != CmdPass {
		// RFC 1939 7.: PASS only immediately after USER.
		c.user = ""
	}
	if c.state == stateAuthorization {
		switch cmd.Name {
		case CmdUser:
			return c.cmdUser(cmd.Args)
		case CmdPass:
			return c.cmdPass(cmd.Args)
		case CmdAPOP:
			return c.cmdAPOP(cmd.Args)
		case CmdAuth:
			return c.cmdAuth(cmd.Args)
		case CmdSTLS:
			return c.cmdSTLS(cmd.Args)
		case CmdUTF8:
			return c.cmdUTF8(cmd.Args)
		case CmdCapa:
			return c.cmdCapa(cmd.Args)
		case CmdLang:
			return c.cmdLang(cmd.Args)
		case CmdQuit:
			// RFC 1939 5.: QUIT in the AUTHORIZATION state.
			c.reply(true, "", c.srv.hostname()+" POP3 server signing off")
			return false
		case CmdStat, CmdList, CmdUIDL, CmdTop, CmdRetr, CmdDele, CmdRset, CmdNoop:
			return c.badCommand("Not authenticated")
		}
		return c.badCommand("Unknown command")
	}
	switch cmd.Name {
	case CmdStat:
		return c.cmdStat(cmd.Args)
	case CmdList:
		return c.cmdList(cmd.Args, false)
	case CmdUIDL:
		return c.cmdList(cmd.Args, true)
	case CmdTop:
		return c.cmdTop(cmd.Args)
	case CmdRetr:
		return c.cmdRetr(cmd.Args)
	case CmdDele:
		return c.cmdDele(cmd.Args)
	case CmdRset:
		return c.cmdRset(cmd.Args)
	case CmdNoop:
		if len(cmd.Args) != 0 {
			return c.badCommand("Syntax: NOOP")
		}
		c.reply(true, "", "")
		return true
	case CmdQuit:
		return c.cmdQuit()
	case CmdCapa:
		return c.cmdCapa(cmd.Args)
	case CmdLang:
		return c.cmdLang(cmd.Args)
	case CmdUser, CmdPass, CmdAPOP, CmdAuth, CmdSTLS, CmdUTF8:
		return c.badCommand("Already authenticated")
	}
	return c.badCommand("Unknown command")
}
