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

	capIP       string // the IP address the per-IP cap counts this connection under
	implicitTLS bool   // TLS from the first byte (ServeTLS)

	mu     sync.Mutex // guards idle and closed against Shutdown
	idle   bool
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

// closeIfIdle answers and closes the connection if it waits for a
// command. Called by Shutdown.
func (c *conn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.idle || c.closed {
		return
	}
	c.closed = true
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.nc.Write(AppendResponse(nil, false, CodeSysTemp, "Server shutting down"))
	c.nc.Close()
}

// setIdle marks the connection as waiting for a command; it reports
// false if Shutdown closed it.
func (c *conn) setIdle(idle bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = idle
	return !c.closed
}

func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			c.log().Error("pop3: panic serving connection", "panic", r, "stack", string(debug.Stack()))
		}
		// A session that did not QUIT applies nothing (RFC 1939 6.).
		c.closeMaildrop()
		c.cancel()
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.nc.Close()
		c.srv.trackConn(c, false)
	}()

	if tc, ok := c.nc.(*tls.Conn); ok || c.implicitTLS {
		if !ok {
			tc = tls.Server(c.nc, c.srv.TLSConfig)
			c.mu.Lock()
			c.nc = tc
			c.mu.Unlock()
			c.br.Reset(tc)
		}
		ctx, cancel := context.WithTimeout(c.ctx, orDefault(c.srv.ReadTimeout, DefaultReadTimeout))
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return
		}
		st := tc.ConnectionState()
		c.tlsState = &st
	}
	c.greet()
	maxLine := orDefault(c.srv.MaxLineLength, DefaultMaxLineLength)
	for {
		if c.br.Buffered() == 0 {
			if c.flush() != nil {
				return
			}
		}
		if c.srv.inShutdown.Load() {
			c.reply(false, CodeSysTemp, "Server shutting down")
			c.flush()
			return
		}
		// Idle means blocked waiting for the client: pipelined commands
		// already buffered are served before Shutdown may close.
		if !c.setIdle(c.br.Buffered() == 0) {
			return
		}
		c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.ReadTimeout, DefaultReadTimeout)))
		line, err := readLine(c.br, maxLine)
		if !c.setIdle(false) {
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
