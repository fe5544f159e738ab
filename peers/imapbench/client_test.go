package imapbench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// rawConn is the load generator's IMAP client: it writes a command and
// reads responses until the tagged one, skipping over literals, so it
// costs little next to the server and sends both servers the same bytes.
type rawConn struct {
	nc   net.Conn
	br   *bufio.Reader
	tag  int
	resp []byte // the last response read, literals included
	wbuf []byte
}

// errClosed is what a command gets when the server closes the
// connection (go-imap does after a panic in a command).
var errClosed = errors.New("connection closed by the server")

// dial connects and reads the greeting.
func dial(addr string) (*rawConn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &rawConn{nc: nc, br: bufio.NewReaderSize(nc, 32<<10)}
	r, err := c.read()
	if err != nil || !bytes.HasPrefix(r, []byte("* OK")) {
		nc.Close()
		return nil, fmt.Errorf("greeting %q: %v", r, err)
	}
	return c, nil
}

// dialLogin connects, logs in and enables UTF8=ACCEPT (RFC 6855), which
// both servers support: the corpus has 8-bit header fields.
func dialLogin(addr string) (*rawConn, error) {
	c, err := dial(addr)
	if err != nil {
		return nil, err
	}
	if err := c.do("LOGIN "+benchUser+" "+benchPass, nil); err != nil {
		c.close()
		return nil, err
	}
	if err := c.do("ENABLE UTF8=ACCEPT", nil); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *rawConn) close() { c.nc.Close() }

// read reads one response: a line, and after every literal announced at
// the end of a line ("{n}", "~{n}") the literal and the rest of the
// response. It returns c.resp, valid until the next read.
func (c *rawConn) read() ([]byte, error) {
	c.resp = c.resp[:0]
	for {
		line, err := c.br.ReadSlice('\n')
		c.resp = append(c.resp, line...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) || len(c.resp) == 0 {
				return c.resp, errClosed
			}
			return c.resp, err
		}
		n, ok := literalLen(c.resp)
		if !ok {
			return c.resp, nil
		}
		start := len(c.resp)
		c.resp = append(c.resp, make([]byte, n)...)
		if _, err := ioReadFull(c.br, c.resp[start:]); err != nil {
			return c.resp, err
		}
	}
}

func ioReadFull(r *bufio.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// literalLen reports whether b ends with a literal's announcement
// "{n}\r\n" and returns n.
func literalLen(b []byte) (int64, bool) {
	if !bytes.HasSuffix(b, []byte("}\r\n")) {
		return 0, false
	}
	open := bytes.LastIndexByte(b, '{')
	if open < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[open+1:len(b)-3]), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// nextTag returns a new tag.
func (c *rawConn) nextTag() string {
	c.tag++
	return "a" + strconv.Itoa(c.tag)
}

// do sends one command and reads until its tagged response, which must be
// OK. onUntagged, if not nil, sees each untagged response ("* ...").
func (c *rawConn) do(cmd string, onUntagged func([]byte)) error {
	tag := c.nextTag()
	c.wbuf = append(append(append(append(c.wbuf[:0], tag...), ' '), cmd...), "\r\n"...)
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return err
	}
	return c.waitTagged(tag, cmd, onUntagged)
}

// waitTagged reads until the response tagged tag; it must be OK.
func (c *rawConn) waitTagged(tag, cmd string, onUntagged func([]byte)) error {
	for {
		r, err := c.read()
		if err != nil {
			return fmt.Errorf("%.40s: %w", cmd, err)
		}
		if len(r) > 2 && r[0] == '*' && r[1] == ' ' {
			if onUntagged != nil {
				onUntagged(r)
			}
			continue
		}
		if len(r) > len(tag) && string(r[:len(tag)]) == tag && r[len(tag)] == ' ' {
			if !bytes.HasPrefix(r[len(tag)+1:], []byte("OK")) {
				return fmt.Errorf("%.40s: %q", cmd, bytes.TrimSpace(r))
			}
			return nil
		}
		// a continuation request or a stray line: not expected here
		return fmt.Errorf("%.40s: unexpected %q", cmd, bytes.TrimSpace(r))
	}
}

// appendMsg appends msg to the mailbox with a synchronising literal
// (RFC 9051 4.3: the client waits for "+" before sending it): the same
// for both servers, whichever of LITERAL+ and LITERAL- they offer.
func (c *rawConn) appendMsg(mbox, flags string, msg []byte) error {
	tag := c.nextTag()
	c.wbuf = fmt.Appendf(c.wbuf[:0], "%s APPEND %s %s{%d}\r\n", tag, mbox, flags, len(msg))
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return err
	}
	r, err := c.read()
	if err != nil {
		return fmt.Errorf("APPEND: %w", err)
	}
	if len(r) == 0 || r[0] != '+' {
		if bytes.HasPrefix(r, []byte(tag+" ")) {
			return fmt.Errorf("APPEND: %q", bytes.TrimSpace(r))
		}
		return fmt.Errorf("APPEND: no continuation: %q", bytes.TrimSpace(r))
	}
	c.wbuf = append(append(c.wbuf[:0], msg...), "\r\n"...)
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return err
	}
	return c.waitTagged(tag, "APPEND", nil)
}

// setDeadline bounds the next reads and writes.
func (c *rawConn) setDeadline(d time.Duration) {
	if d == 0 {
		c.nc.SetDeadline(time.Time{})
		return
	}
	c.nc.SetDeadline(time.Now().Add(d))
}
