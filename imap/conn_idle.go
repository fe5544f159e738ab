package imap

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"sync"

	"github.com/postkit/postkit/mailbox"
)

var errNotDone = errors.New("imap: expected DONE")

// cmdIdle answers IDLE (RFC 2177, RFC 9051 6.3.13): updates are sent as
// they happen until the client sends DONE.
//
// A session in IDLE mostly waits, often for hours, and a server may
// hold thousands of them, so while the client is silent the session
// costs as little as it can: when the mailbox is a mailbox.Notifier,
// the session's goroutine blocks reading one byte with its read and
// write buffers given back (parkBuffers), and each batch of updates is
// reported by a short-lived goroutine (idleWake). Once the client
// speaks, the session reads the rest of the line with a reader
// goroutine, so that updates still go out while the line is
// incomplete.
func (c *conn) cmdIdle(cmd *Command) bool {
	if !c.update(true) {
		return false
	}
	c.write(&ContinuationRequest{Text: "idling"})
	if c.flush() != nil {
		return false
	}
	if c.ntf != nil {
		return c.idleNotify5465(cmd)
	}
	// A compressed session keeps its buffers: they hold DEFLATE state.
	if nf, ok := c.idleNotifier(); ok && c.br.Buffered() == 0 && c.zw == nil {
		if done, ok := c.idleWait(nf); done {
			return ok
		}
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
	var updates, meta <-chan struct{}
	if c.sel != nil {
		updates = c.sel.mbox.Updates()
	}
	if c.meta != nil {
		// Annotations others changed (RFC 5464 4.4.2): the waker of
		// conn_metadata.go says so here, the session being busy.
		meta = c.meta.wake
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
		case <-meta:
		case <-shutdown:
			c.bye(byeShutdown)
			return false
		}
		if !c.update(true) {
			return false
		}
		if c.flush() != nil {
			return false
		}
	}
}

// idleNotify5465 waits for DONE under NOTIFY: the NOTIFY deliverer
// reports what happens meanwhile, exactly the events NOTIFY asks for
// (RFC 5465 4), the expunges of SELECTED-DELAYED included.
func (c *conn) idleNotify5465(cmd *Command) bool {
	c.idling = true
	c.pokeNotify()
	c.wmu.Unlock()
	c.setIdle(true) // Shutdown may end the wait
	line, err := c.dec.Line()
	c.setIdle(false)
	c.wmu.Lock()
	c.idling = false
	switch {
	case err == nil && strings.EqualFold(line, "DONE"):
		c.tagged(cmd.Tag, StatusOK, "", nil, "IDLE terminated")
		return true
	case err == nil || !IsFatal(err):
		return c.bad(cmd.Tag, "", "Expected DONE")
	}
	c.readFailed(err)
	return false
}

// idleNotifier returns the selected mailbox as a mailbox.Notifier, if
// there is one and it is.
func (c *conn) idleNotifier() (mailbox.Notifier, bool) {
	if c.sel == nil {
		return nil, false
	}
	nf, ok := c.sel.mbox.(mailbox.Notifier)
	return nf, ok
}

// idleState is what a session in IDLE shares with its wake-ups.
type idleState struct {
	// mu serialises the wake-ups with each other and with the end of
	// the wait: whoever holds it owns the session's state and its
	// writer.
	mu sync.Mutex
	nf mailbox.Notifier
	// stop cancels the armed notification.
	stop func() bool
	// ended is set by a wake-up that ended the session (shutdown, a
	// failed write or poll); it closed the connection.
	ended bool
}

// idleWait waits, without a second goroutine, for the first byte from
// the client while reporting updates through idleWake. done is false
// when the byte came: it is then the first of the decoder's input and
// cmdIdle goes on reading the line. When done is true, IDLE is over and
// ok is what cmdIdle returns.
func (c *conn) idleWait(nf mailbox.Notifier) (done, ok bool) {
	st := &idleState{nf: nf}
	c.parkBuffers()
	// The wake-ups find st before it is armed, and wait for it to be.
	st.mu.Lock()
	c.mu.Lock()
	c.idleSt = st
	closed := c.closed
	c.mu.Unlock()
	st.stop = nf.NotifyUpdates(c.idleNotify)
	st.mu.Unlock()
	if closed || c.srv.conns.ShuttingDown() {
		go c.idleWake(st, true)
	}

	n, err := deadlineReader{c}.Read(c.first[:])

	c.mu.Lock()
	c.idleSt = nil
	c.mu.Unlock()
	st.mu.Lock() // waits for a wake-up under way
	st.stop()
	ended := st.ended
	st.mu.Unlock()
	c.unparkBuffers()
	switch {
	case ended:
		return true, false
	case n == 1:
		c.hasFirst = true
		return false, false
	case err == nil:
		// A Read of nothing: let the decoder try again.
		return false, false
	}
	c.readFailed(err)
	return true, false
}

// idleNotify is the function a session in IDLE arms with
// mailbox.Notifier.NotifyUpdates.
func (c *conn) idleNotify() {
	c.mu.Lock()
	st := c.idleSt
	c.mu.Unlock()
	if st != nil {
		c.idleWake(st, false)
	}
}

// idleWake reports the pending updates of a session waiting in
// idleWait, or says goodbye for a shutdown, and arms the next
// notification. If the session must end it closes the connection,
// which ends the wait.
func (c *conn) idleWake(st *idleState, shutdown bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	c.mu.Lock()
	waiting := c.idleSt == st
	c.mu.Unlock()
	if !waiting || st.ended {
		return
	}
	c.unparkWriter()
	if !shutdown && c.update(true) && c.flush() == nil {
		c.parkWriter()
		st.stop = st.nf.NotifyUpdates(c.idleNotify)
		return
	}
	if shutdown {
		c.bye(byeShutdown)
	}
	st.ended = true
	c.mu.Lock()
	c.nc.Close()
	c.mu.Unlock()
}

// Buffers given back while a session waits in IDLE. Each holds a
// bufio.Reader or bufio.Writer whose buffer is free to take: parking
// moves a session's buffer into one, unparking moves one back.
var (
	idleReaders sync.Pool
	idleWriters sync.Pool
)

// parkBuffers gives back the session's read buffer, which must be
// empty, and its write buffer, which must be flushed.
func (c *conn) parkBuffers() {
	r := new(bufio.Reader)
	*r = *c.br
	idleReaders.Put(r)
	*c.br = bufio.Reader{}
	c.parkWriter()
}

// unparkBuffers undoes parkBuffers.
func (c *conn) unparkBuffers() {
	if r, ok := idleReaders.Get().(*bufio.Reader); ok {
		*c.br = *r
	}
	// Reset on the zero Reader makes a buffer of the default size.
	c.br.Reset(deadlineReader{c})
	c.unparkWriter()
}

func (c *conn) parkWriter() {
	if c.bw.Size() == 0 || c.bw.Buffered() != 0 {
		return // parked already, or a write failed and the connection is broken
	}
	w := new(bufio.Writer)
	*w = *c.bw
	idleWriters.Put(w)
	*c.bw = bufio.Writer{}
}

func (c *conn) unparkWriter() {
	if c.bw.Size() != 0 {
		return
	}
	if w, ok := idleWriters.Get().(*bufio.Writer); ok {
		*c.bw = *w
	}
	c.bw.Reset(deadlineWriter{c})
}

// readFailed says goodbye to a client whose connection failed or timed
// out (RFC 9051 5.4: autologout).
func (c *conn) readFailed(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.bye("* BYE Autologout; idle for too long\r\n")
	}
}
