package smtp

import (
	"bytes"
	"errors"
	"io"
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
