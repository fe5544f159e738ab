package smtp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/postkit/postkit/internal/dotstuff"
)

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
		case "REQUIRETLS":
			if kv.Value != "" {
				return c.badCommand(501, EnhancedCode{5, 5, 4}, "REQUIRETLS takes no value")
			}
			// RFC 8689 2.: the option is only valid in a TLS session.
			if c.tlsState == nil {
				return c.badCommand(530, EnhancedCode{5, 7, 10}, "REQUIRETLS needs a TLS session")
			}
			p.RequireTLS = true
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
	if c.binary {
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
	case errors.Is(er.err, dotstuff.ErrTooLarge), errors.Is(er.err, errChunkTooLarge), errors.Is(er.err, errLastChunkTooLarge):
		result = &Error{Code: 552, EnhancedCode: EnhancedCode{5, 3, 4}, Message: "Message size exceeds fixed maximum message size"}
		statuses = nil
	case errors.Is(er.err, errBDATInterrupted):
		// RFC 3030 2.: the message is abandoned; the command that
		// interrupted it (RSET, QUIT, a bad BDAT, ...) is answered next.
		c.resetTx()
		return true
	default:
		// the connection failed mid-message
		c.resetTx()
		return false
	}
	n := 1
	if c.srv.LMTP && !errors.Is(er.err, errChunkTooLarge) {
		// RFC 2033 4.2: a reply per recipient once the data has ended;
		// a refused chunk that was not the LAST is one command, one
		// reply (RFC 3030 2.).
		n = len(c.rcpts)
	}
	if errors.Is(er.err, errChunkTooLarge) {
		c.bdatFailed = true // the client may have pipelined more chunks
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

// errChunkTooLarge and errLastChunkTooLarge: a BDAT chunk, not the LAST
// one or the LAST one, took the message over the size limit.
var (
	errChunkTooLarge     = errors.New("smtp: BDAT chunks exceed size limit")
	errLastChunkTooLarge = errors.New("smtp: BDAT LAST chunk exceeds size limit")
)

type lmtpStatus map[string]error

func (m lmtpStatus) SetStatus(rcpt string, err error) { m[rcpt] = err }

// bdatCmd answers the BDAT that starts a message (RFC 3030 2.). The
// message goes to the session as it arrives: the session's reader
// acknowledges each chunk and reads the next BDAT itself, so no chunk is
// held in memory, and the reply to the LAST chunk is the result.
func (c *Conn) bdatCmd(args string) bool {
	size, last, err := ParseBdat(args)
	if err != nil {
		return c.syntax(err)
	}
	c.inData = true
	defer func() { c.inData = false }()
	if !c.inTx || len(c.rcpts) == 0 {
		// The chunk follows the command anyway: read it to stay in sync.
		// This is also the answer to a BDAT after a failed or LAST one.
		if _, err := io.CopyN(io.Discard, c.br, size); err != nil {
			return false
		}
		if c.bdatFailed {
			// RFC 3030 2.: chunks pipelined after a failed BDAT are
			// accepted and discarded; they are not the client's errors.
			c.reply(503, EnhancedCode{5, 5, 1}, "Need RCPT before BDAT")
			return true
		}
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Need RCPT before BDAT")
	}
	r := &bdatReader{c: c}
	if err := r.chunk(size, last); err != nil {
		if !errors.Is(err, errChunkTooLarge) && !errors.Is(err, errLastChunkTooLarge) {
			return false
		}
		n := 1
		if last && c.srv.LMTP {
			n = len(c.rcpts) // RFC 2033 4.2: the data has ended
		}
		for range n {
			c.reply(552, EnhancedCode{5, 3, 4}, "Message size exceeds fixed maximum message size")
		}
		c.resetTx()
		c.bdatFailed = !last
		return true
	}
	return c.deliver(&msgReader{r: r}, func() error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
}

// errBDATInterrupted ends a BDAT message when a command other than BDAT
// comes before the LAST chunk; the command runs next.
var errBDATInterrupted = errors.New("smtp: BDAT transaction interrupted by another command")

// bdatReader reads the chunks of one BDAT message (RFC 3030 2.) as one
// stream.
type bdatReader struct {
	c         *Conn
	size      int64 // size of the current chunk
	remaining int64 // octets of the current chunk still to read
	last      bool  // the current chunk is the LAST one
	total     int64 // octets of every chunk so far
	err       error // sticky
}

// chunk starts a chunk of size octets. A chunk that would take the
// message over the size limit is read and discarded (RFC 3030 2.: the
// data is accepted and discarded before the error reply).
func (r *bdatReader) chunk(size int64, last bool) error {
	if size > r.c.srv.maxMessageBytes()-r.total {
		if _, err := io.CopyN(io.Discard, r.c.br, size); err != nil {
			return err
		}
		if last {
			return errLastChunkTooLarge
		}
		return errChunkTooLarge
	}
	r.size, r.remaining, r.last = size, size, last
	r.total += size
	return nil
}

func (r *bdatReader) Read(p []byte) (int, error) {
	for r.err == nil && r.remaining == 0 {
		if r.last {
			return 0, io.EOF
		}
		r.err = r.next()
	}
	if r.err != nil {
		return 0, r.err
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n, err := r.c.br.Read(p)
	r.remaining -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

// next acknowledges the chunk just read and reads the command after it:
// the next BDAT, or another command that ends the message unfinished.
func (r *bdatReader) next() error {
	c := r.c
	c.reply(250, EnhancedCode{2, 0, 0}, strconv.FormatInt(r.size, 10)+" octets received")
	if c.br.Buffered() == 0 {
		if err := c.flush(); err != nil {
			return err
		}
	}
	c.inData = false
	// Waiting for the client between chunks is idle: Shutdown may answer
	// 421 and close, as it does between commands.
	if !c.setIdle(c.br.Buffered() == 0) {
		return net.ErrClosed
	}
	line, err := c.readCommand()
	if !c.setIdle(false) {
		return net.ErrClosed
	}
	c.inData = true
	if err != nil && !errors.Is(err, errLineTooLong) {
		return err
	}
	if err == nil {
		if cmd, perr := ParseCommand(line); perr == nil && cmd.Verb == "BDAT" {
			if size, last, perr := ParseBdat(cmd.Args); perr == nil {
				return r.chunk(size, last)
			}
		}
	}
	// The line may point into c.br's buffer: keep a copy.
	c.pending = &pendingCommand{line: bytes.Clone(line), err: err}
	return errBDATInterrupted
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
