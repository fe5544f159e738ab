package smtpbench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator for the server benchmarks talks raw SMTP over a
// socket: it writes a whole transaction (MAIL, RCPT, DATA, the body and
// the terminating dot) in one write and then reads the four replies, so
// it costs little next to the server and sends both servers the same
// bytes. Sending the body before the 354 reply goes further than RFC 2920
// 3.1 allows a client; both servers accept every message here, so the
// bytes the server reads are those of a client that waited.
var (
	txn     = buildTxn(false)
	txnQuit = buildTxn(true)
)

func buildTxn(quit bool) []byte {
	b := []byte("MAIL FROM:<" + mailFrom + ">\r\nRCPT TO:<" + rcptTo + ">\r\nDATA\r\n")
	b = append(b, testMessage...)
	b = append(b, ".\r\n"...)
	if quit {
		b = append(b, "QUIT\r\n"...)
	}
	return b
}

var txnCodes = []int{250, 250, 354, 250}

// rawConn is one load-generator connection.
type rawConn struct {
	nc net.Conn
	br *bufio.Reader
}

// dialRaw connects, reads the greeting and sends EHLO.
func dialRaw(addr string) (*rawConn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &rawConn{nc: nc, br: bufio.NewReaderSize(nc, 1024)}
	if err := c.expect(220); err != nil {
		nc.Close()
		return nil, err
	}
	if _, err := io.WriteString(nc, "EHLO loadgen.test\r\n"); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.expect(250); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// expect reads one reply, all its lines, and checks its code.
func (c *rawConn) expect(code int) error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 {
			return fmt.Errorf("short reply line %q", line)
		}
		got := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		if got != code {
			return fmt.Errorf("got %q, want %d", line, code)
		}
		if line[3] == ' ' {
			return nil
		}
	}
}

// send runs one transaction.
func (c *rawConn) send() error {
	if _, err := c.nc.Write(txn); err != nil {
		return err
	}
	for _, code := range txnCodes {
		if err := c.expect(code); err != nil {
			return err
		}
	}
	return nil
}

// sendQuit runs one transaction and QUIT, and waits for the server to
// close the connection.
func (c *rawConn) sendQuit() error {
	if _, err := c.nc.Write(txnQuit); err != nil {
		return err
	}
	for _, code := range txnCodes {
		if err := c.expect(code); err != nil {
			return err
		}
	}
	if err := c.expect(221); err != nil {
		return err
	}
	if _, err := c.br.ReadByte(); err != io.EOF {
		return errors.New("connection not closed after QUIT")
	}
	return nil
}

func (c *rawConn) close() { c.nc.Close() }

// loadPersistent sends total messages over conns connections, many
// messages per connection. The connections are opened before the clock
// starts; it returns the time the messages took.
func loadPersistent(addr string, conns, total int) (time.Duration, error) {
	cs := make([]*rawConn, conns)
	defer func() {
		for _, c := range cs {
			if c != nil {
				c.close()
			}
		}
	}()
	for i := range cs {
		c, err := dialRaw(addr)
		if err != nil {
			return 0, err
		}
		cs[i] = c
	}
	var wg sync.WaitGroup
	errs := make([]error, conns)
	start := time.Now()
	for i, c := range cs {
		n := total / conns
		if i < total%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := c.send(); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// loadPerConn sends total messages from conns goroutines, each message on
// a new connection: connect, greeting, EHLO, the transaction, QUIT.
func loadPerConn(addr string, conns, total int) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, conns)
	start := time.Now()
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				c, err := dialRaw(addr)
				if err == nil {
					err = c.sendQuit()
					c.close()
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}
