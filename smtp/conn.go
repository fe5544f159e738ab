package smtp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postkit/postkit/internal/dotstuff"
	"github.com/postkit/postkit/sasl"
)

// Conn is one client connection. A Session may call its methods.
type Conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // guards idle and closed against Shutdown
	idle   bool
	closed bool

	tlsState *tls.ConnectionState
	helo     string
	ehlo     bool
	authID   string
	session  Session

	// transaction
	inTx     bool
	utf8     bool
	binary   bool
	rcpts    []string
	bdat     bytes.Buffer
	bdatUsed bool

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

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns the server's address of the connection.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

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
	return c.srv.logger().With("remote", c.nc.RemoteAddr().String())
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
		c.srv.trackConn(c, false)
	}()

	if tc, ok := c.nc.(*tls.Conn); ok {
		// A listener from tls.NewListener: TLS from the first byte.
		ctx, cancel := context.WithTimeout(c.ctx, orDefault(c.srv.ReadTimeout, DefaultReadTimeout))
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return
		}
		st := tc.ConnectionState()
		c.tlsState = &st
	}
	sess, err := c.srv.Handler.NewSession(c)
	if err != nil {
		var se *Error
		if errors.As(err, &se) {
			c.bw.Write(se.Format())
		} else {
			c.log().Error("smtp: new session", "err", err)
			c.reply(421, EnhancedCode{4, 3, 2}, c.srv.hostname()+" Service not available")
		}
		c.flush()
		return
	}
	c.session = sess
	proto := "ESMTP"
	if c.srv.LMTP {
		proto = "LMTP"
	}
	c.reply(220, EnhancedCode{}, c.srv.hostname()+" "+proto+" Service ready")
	maxLine := orDefault(c.srv.MaxLineLength, DefaultMaxCommandLineLength)
	for {
		if c.br.Buffered() == 0 {
			if c.flush() != nil {
				return
			}
		}
		if c.srv.inShutdown.Load() {
			c.reply(421, EnhancedCode{4, 3, 2}, c.srv.hostname()+" Service shutting down")
			c.flush()
			return
		}
		// Idle means blocked waiting for the client: pipelined commands
		// already buffered are served before Shutdown may close.
		if !c.setIdle(c.br.Buffered() == 0) {
			return
		}
		c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.ReadTimeout, DefaultReadTimeout)))
		line, err := c.readLine(max(maxLine, maxAuthLine))
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
	if c.bdat.Cap() > 64<<10 {
		c.bdat = bytes.Buffer{} // an idle connection does not keep a large message's memory
	} else {
		c.bdat.Reset()
	}
	c.bdatUsed = false
}

func (c *Conn) authAllowed() bool {
	if len(c.srv.Auth) == 0 || c.authID != "" {
		return false
	}
	if c.tlsState != nil || c.srv.AllowInsecureAuth {
		return true
	}
	return sasl.AllowPlaintext(c.nc.RemoteAddr().String(), false)
}

// handle runs one command; it reports false when the connection must close.
func (c *Conn) handle(line []byte) bool {
	cmd, err := ParseCommand(line)
	if err != nil {
		return c.syntax(err)
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
		"ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "BINARYMIME", "DSN"}
	if c.srv.TLSConfig != nil && c.tlsState == nil {
		lines = append(lines, "STARTTLS")
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

// mail answers MAIL FROM (RFC 5321 4.1.1.2).
func (c *Conn) mail(args string) bool {
	if c.helo == "" {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Send EHLO first")
	}
	if c.inTx {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Nested MAIL command")
	}
	from, params, err := ParseMailFrom(args, false)
	if err != nil && c.ehlo && strings.Contains(strings.ToUpper(args), "SMTPUTF8") {
		from, params, err = ParseMailFrom(args, true)
		if err == nil && !params.Has("SMTPUTF8") {
			err = &SyntaxError{Code: 550, EnhancedCode: EnhancedCode{5, 6, 7}, Msg: "UTF-8 address without SMTPUTF8"}
		}
	}
	if err != nil {
		return c.syntax(err)
	}
	var p MailParams
	p.Params = params
	if len(params) > 0 && !c.ehlo {
		return c.badCommand(555, EnhancedCode{5, 5, 4}, "Parameters need EHLO")
	}
	for _, kv := range params {
		key := strings.ToUpper(kv.Keyword)
		switch key {
		case "SIZE":
			n, err := strconv.ParseInt(kv.Value, 10, 64)
			if err != nil || n < 0 {
				return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad SIZE value")
			}
			if n > c.srv.maxMessageBytes() {
				c.reply(552, EnhancedCode{5, 3, 4}, "Message size exceeds fixed maximum message size")
				return true
			}
			p.Size = n
		case "BODY":
			v := strings.ToUpper(kv.Value)
			if v != "7BIT" && v != "8BITMIME" && v != "BINARYMIME" {
				return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad BODY value")
			}
			p.Body = v
		case "SMTPUTF8":
			if kv.Value != "" {
				return c.badCommand(501, EnhancedCode{5, 5, 4}, "SMTPUTF8 takes no value")
			}
			p.SMTPUTF8 = true
		case "RET":
			v := strings.ToUpper(kv.Value)
			if v != "FULL" && v != "HDRS" {
				return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad RET value")
			}
			p.Ret = v
		case "ENVID", "AUTH":
			v, err := DecodeXtext(kv.Value)
			if err != nil {
				return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad "+key+" value")
			}
			if key == "ENVID" {
				p.EnvID = v
			} else {
				p.Auth = v
			}
		default:
			return c.badCommand(555, EnhancedCode{5, 5, 4}, "Unsupported parameter "+kv.Keyword)
		}
	}
	if err := c.session.Mail(from, p); err != nil {
		c.replyErr(err)
		return true
	}
	c.inTx, c.utf8, c.binary = true, p.SMTPUTF8, p.Body == "BINARYMIME"
	c.reply(250, EnhancedCode{2, 1, 0}, "Originator ok")
	return true
}

// rcpt answers RCPT TO (RFC 5321 4.1.1.3).
func (c *Conn) rcpt(args string) bool {
	if !c.inTx {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Need MAIL before RCPT")
	}
	if c.bdatUsed {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "RCPT after BDAT")
	}
	to, params, err := ParseRcptTo(args, c.utf8)
	if err != nil {
		return c.syntax(err)
	}
	if len(c.rcpts) >= orDefault(c.srv.MaxRecipients, DefaultMaxRecipients) {
		c.reply(452, EnhancedCode{4, 5, 3}, "Too many recipients")
		return true
	}
	p := RcptParams{Params: params}
	for _, kv := range params {
		switch strings.ToUpper(kv.Keyword) {
		case "NOTIFY":
			p.Notify = strings.ToUpper(kv.Value)
			if !validNotifyParam(p.Notify) {
				return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad NOTIFY value")
			}
		case "ORCPT":
			if _, _, err := ParseORCPT(kv.Value); err != nil {
				return c.syntax(err)
			}
			p.ORCPT = kv.Value
		default:
			return c.badCommand(555, EnhancedCode{5, 5, 4}, "Unsupported parameter "+kv.Keyword)
		}
	}
	if err := c.session.Rcpt(to, p); err != nil {
		c.replyErr(err)
		return true
	}
	c.rcpts = append(c.rcpts, to)
	c.reply(250, EnhancedCode{2, 1, 5}, "Recipient ok")
	return true
}

// msgReader remembers the first error other than io.EOF that the message
// reader gave.
type msgReader struct {
	r   io.Reader
	err error
}

func (e *msgReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// data answers DATA (RFC 5321 4.1.1.4) and reads the message.
func (c *Conn) data(args string) bool {
	if args != "" {
		return c.badCommand(501, EnhancedCode{5, 5, 4}, "Syntax: DATA")
	}
	if !c.inTx || len(c.rcpts) == 0 {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Need RCPT before DATA")
	}
	if c.binary || c.bdatUsed {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Use BDAT for this transaction")
	}
	c.reply(354, EnhancedCode{}, "Start mail input; end with <CRLF>.<CRLF>")
	if c.flush() != nil {
		return false
	}
	c.inData = true
	defer func() { c.inData = false }()
	er := &msgReader{r: dotstuff.NewReader(c.br, c.srv.maxMessageBytes())}
	return c.deliver(er, func() error {
		_, err := io.Copy(io.Discard, er)
		return err
	})
}

// deliver hands the message to the session and answers, once or per
// recipient. drain reads what the session left of the message.
func (c *Conn) deliver(er *msgReader, drain func() error) bool {
	var sessErr error
	var statuses map[string]error
	if ls, ok := c.session.(LMTPSession); ok && c.srv.LMTP {
		sc := lmtpStatus{}
		sessErr = ls.LMTPData(er, sc)
		statuses = sc
	} else {
		sessErr = c.session.Data(er)
	}
	if err := drain(); err != nil && err != io.EOF && er.err == nil {
		er.err = err
	}
	var result error
	switch {
	case er.err == nil, errors.Is(er.err, dotstuff.ErrLineTooLong):
		result = sessErr
		if result == nil {
			result = errDelivered
		}
	case errors.Is(er.err, dotstuff.ErrBareLineEnding):
		result = &Error{Code: 550, EnhancedCode: EnhancedCode{5, 6, 0}, Message: "Bare CR or LF in message; lines must end with CRLF"}
		statuses = nil
	case errors.Is(er.err, dotstuff.ErrTooLarge), errors.Is(er.err, errChunkTooLarge):
		result = &Error{Code: 552, EnhancedCode: EnhancedCode{5, 3, 4}, Message: "Message size exceeds fixed maximum message size"}
		statuses = nil
	default:
		// the connection failed mid-message
		c.resetTx()
		return false
	}
	n := 1
	if c.srv.LMTP {
		n = len(c.rcpts)
	}
	for i := 0; i < n; i++ {
		r := result
		if statuses != nil {
			if st, ok := statuses[c.rcpts[i]]; ok {
				r = st
				if r == nil {
					r = errDelivered
				}
			}
		}
		if r == errDelivered {
			c.reply(250, EnhancedCode{2, 0, 0}, "OK: message accepted")
		} else {
			c.replyErr(r)
		}
	}
	c.resetTx()
	return true
}

var errDelivered = errors.New("ok")

var errChunkTooLarge = errors.New("smtp: BDAT chunks exceed size limit")

type lmtpStatus map[string]error

func (m lmtpStatus) SetStatus(rcpt string, err error) { m[rcpt] = err }

// bdatCmd answers BDAT (RFC 3030 2.): it reads the chunk, and the message
// goes to the session after the LAST one.
func (c *Conn) bdatCmd(args string) bool {
	size, last, err := ParseBdat(args)
	if err != nil {
		return c.syntax(err)
	}
	c.inData = true
	defer func() { c.inData = false }()
	if !c.inTx || len(c.rcpts) == 0 {
		// The chunk follows the command anyway: read it to stay in sync.
		if _, err := io.CopyN(io.Discard, c.br, size); err != nil {
			return false
		}
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Need RCPT before BDAT")
	}
	c.bdatUsed = true
	if int64(c.bdat.Len())+size > c.srv.maxMessageBytes() {
		if _, err := io.CopyN(io.Discard, c.br, size); err != nil {
			return false
		}
		c.reply(552, EnhancedCode{5, 3, 4}, "Message size exceeds fixed maximum message size")
		c.resetTx()
		return true
	}
	if _, err := io.CopyN(&c.bdat, c.br, size); err != nil {
		return false
	}
	if !last {
		c.reply(250, EnhancedCode{2, 0, 0}, strconv.FormatInt(size, 10)+" octets received")
		return true
	}
	er := &msgReader{r: bytes.NewReader(c.bdat.Bytes())}
	return c.deliver(er, func() error { return nil })
}

// startTLS answers STARTTLS (RFC 3207 4.).
func (c *Conn) startTLS(args string) bool {
	if c.srv.TLSConfig == nil {
		return c.badCommand(502, EnhancedCode{5, 5, 1}, "STARTTLS not supported")
	}
	if c.tlsState != nil {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "TLS already active")
	}
	if args != "" {
		return c.badCommand(501, EnhancedCode{5, 5, 4}, "Syntax: STARTTLS")
	}
	if c.inTx {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "STARTTLS inside a transaction")
	}
	c.reply(220, EnhancedCode{2, 0, 0}, "Ready to start TLS")
	if c.flush() != nil {
		return false
	}
	// Anything the client sent after STARTTLS in the clear must not be
	// taken as sent under TLS (CVE-2011-0411).
	c.br.Discard(c.br.Buffered())
	tc := tls.Server(c.nc, c.srv.TLSConfig)
	ctx, cancel := context.WithTimeout(c.ctx, orDefault(c.srv.ReadTimeout, DefaultReadTimeout))
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		c.log().Error("smtp: TLS handshake", "err", err)
		return false
	}
	c.mu.Lock()
	c.nc = tc
	c.mu.Unlock()
	st := tc.ConnectionState()
	c.tlsState = &st
	c.br.Reset(dataReader{c})
	c.bw.Reset(tc)
	// RFC 3207 4.2: forget what the client said before.
	c.resetTx()
	c.helo, c.ehlo, c.authID = "", false, ""
	return true
}

// auth answers AUTH (RFC 4954 4.).
func (c *Conn) auth(args string) bool {
	if !c.ehlo {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Send EHLO first")
	}
	if c.authID != "" {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Already authenticated")
	}
	if c.inTx {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "AUTH not permitted during a transaction")
	}
	if !c.authAllowed() {
		return c.badCommand(502, EnhancedCode{5, 5, 1}, "AUTH not available")
	}
	mech, ir, hasIR := strings.Cut(args, " ")
	mech = strings.ToUpper(mech)
	factory, ok := c.srv.Auth[mech]
	if !ok || factory == nil {
		return c.badCommand(504, EnhancedCode{5, 5, 4}, "Unrecognized authentication type")
	}
	srv := factory()
	var resp []byte
	if hasIR {
		ir = strings.TrimSpace(ir)
		if ir != "=" {
			b, err := decodeSASLResponse(ir)
			if err != nil {
				return c.badCommand(501, EnhancedCode{5, 5, 2}, "Invalid base64")
			}
			resp = b
		} else {
			resp = []byte{}
		}
	}
	maxLine := (sasl.MaxMessageSize/3+1)*4 + 2
	for {
		challenge, done, err := srv.Next(c.ctx, resp)
		if err != nil {
			return c.authFailed(err)
		}
		if done {
			c.authID = srv.Identity()
			c.reply(235, EnhancedCode{2, 7, 0}, "Authentication successful")
			return true
		}
		c.reply(334, EnhancedCode{}, encodeSASLChallenge(challenge))
		if c.flush() != nil {
			return false
		}
		c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.ReadTimeout, DefaultReadTimeout)))
		line, err := c.readLine(maxLine)
		if errors.Is(err, errLineTooLong) {
			return c.badCommand(500, EnhancedCode{5, 5, 6}, "Authentication exchange line is too long")
		}
		if err != nil {
			return false
		}
		if string(line) == "*" {
			return c.badCommand(501, EnhancedCode{5, 0, 0}, "Authentication cancelled")
		}
		resp, err = decodeSASLResponse(string(line))
		if err != nil {
			return c.badCommand(501, EnhancedCode{5, 5, 2}, "Invalid base64")
		}
		if resp == nil {
			resp = []byte{}
		}
	}
}

func (c *Conn) authFailed(err error) bool {
	if !errors.Is(err, sasl.ErrAuthFailed) && !errors.Is(err, sasl.ErrMalformed) &&
		!errors.Is(err, sasl.ErrTooLarge) && !errors.Is(err, sasl.ErrUnexpected) {
		c.log().Error("smtp: authentication", "err", err)
		c.reply(454, EnhancedCode{4, 7, 0}, "Temporary authentication failure")
		return true
	}
	c.authFailures++
	if c.authFailures >= orDefault(c.srv.MaxAuthFailures, DefaultMaxAuthFailures) {
		c.reply(421, EnhancedCode{4, 7, 0}, c.srv.hostname()+" Too many authentication failures")
		return false
	}
	d := c.srv.AuthDelay
	if d == 0 {
		d = time.Second
	}
	if d > 0 {
		select {
		case <-time.After(time.Duration(c.authFailures) * d):
		case <-c.ctx.Done():
		}
	}
	if errors.Is(err, sasl.ErrAuthFailed) {
		c.reply(535, EnhancedCode{5, 7, 8}, "Authentication credentials invalid")
	} else {
		c.reply(501, EnhancedCode{5, 5, 2}, fmt.Sprint("Authentication exchange failed: ", err))
	}
	return true
}

// decodeSASLResponse decodes a SASL response (RFC 4954 4.: base64 of RFC 4648 4.).
func decodeSASLResponse(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(s)
}

// encodeSASLChallenge encodes a SASL challenge.
func encodeSASLChallenge(b []byte) string {
	return base64.StdEncoding.EncodeToString(b)
}

// validNotifyParam reports whether v is "NEVER" or a list of SUCCESS, FAILURE
// and DELAY (RFC 3461 4.1).
func validNotifyParam(v string) bool {
	if v == "NEVER" {
		return true
	}
	for _, k := range strings.Split(v, ",") {
		if k != "SUCCESS" && k != "FAILURE" && k != "DELAY" {
			return false
		}
	}
	return true
}
