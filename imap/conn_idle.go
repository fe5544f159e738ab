package imap

import (
	"errors"
	"net"
	"strings"
)

var errNotDone = errors.New("imap: expected DONE")

// cmdIdle answers IDLE (RFC 2177, RFC 9051 6.3.13): updates are sent as
// they happen until the client sends DONE.
func (c *conn) cmdIdle(cmd *Command) bool {
	if !c.update(true) {
		return false
	}
	c.write(&ContinuationRequest{Text: "idling"})
	if c.flush() != nil {
		return false
	}
	// The decoder is read by this goroutine alone until it reports; the
	// session writes meanwhile.
	done := make(chan error, 1)
	go func() {
		line, err := c.dec.Line()
		if err == nil && !strings.EqualFold(line, "DONE") {
			err = errNotDone
		}
		done <- err
	}()
	var updates <-chan struct{}
	if c.sel != nil {
		updates = c.sel.mbox.Updates()
	}
	shutdown := c.srv.shuttingDown()
	for {
		select {
		case err := <-done:
			if err == nil {
				c.tagged(cmd.Tag, StatusOK, "", nil, "IDLE terminated")
				return true
			}
			if errors.Is(err, errNotDone) {
				return c.bad(cmd.Tag, "", "Expected DONE")
			}
			if !IsFatal(err) {
				return c.bad(cmd.Tag, "", "Expected DONE")
			}
			c.readFailed(err)
			return false
		case <-updates:
			if !c.update(true) {
				return false
			}
			if c.flush() != nil {
				return false
			}
		case <-shutdown:
			c.bye(byeShutdown)
			return false
		}
	}
}

// readFailed says goodbye to a client whose connection failed or timed
// out (RFC 9051 5.4: autologout).
func (c *conn) readFailed(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.bye("* BYE Autologout; idle for too long\r\n")
	}
}
