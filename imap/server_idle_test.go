package imap

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestIdleAutologout: a session silent in IDLE for longer than
// IdleTimeout is logged out (RFC 9051 5.4).
func TestIdleAutologout(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.IdleTimeout = 200 * time.Millisecond })
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	c.send("b IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	assert.Equal(t, "* BYE Autologout; idle for too long", c.line())
	c.expectClosed()
}

// TestIdleSplitDone: updates still arrive once the client has begun
// DONE, and DONE may come in pieces.
func TestIdleSplitDone(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	c.send("b IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 1 EXISTS", c.line())
	c.send("DO")
	time.Sleep(50 * time.Millisecond)
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 2 EXISTS", c.line())
	c.send("NE\r\n")
	assert.Equal(t, []string{"b OK IDLE terminated"}, c.until("b"))
	assert.Equal(t, []string{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)"}, c.ok("c FETCH 1:* UID"))
}

// TestIdleMany: many sessions in IDLE all hear of a new message, more
// than once, and are whole afterwards.
func TestIdleMany(t *testing.T) {
	ts := newTestServer(t)
	var cs []*wireClient
	for i := range 30 {
		c := ts.login(t)
		c.ok(fmt.Sprintf("s%d SELECT INBOX", i))
		cs = append(cs, c)
	}
	for round := 1; round <= 3; round++ {
		for _, c := range cs {
			c.send("i IDLE\r\n")
			assert.Equal(t, "+ idling", c.line())
		}
		for k := 1; k <= 2; k++ {
			ts.deliver(t, "INBOX", testMsg)
			for _, c := range cs {
				assert.Equal(t, fmt.Sprintf("* %d EXISTS", 2*(round-1)+k), c.line())
			}
		}
		for _, c := range cs {
			c.send("DONE\r\n")
			assert.Equal(t, []string{"i OK IDLE terminated"}, c.until("i"))
			c.ok("n NOOP")
		}
	}
}

// TestIdlePipelinedDone: DONE sent with IDLE is read at once.
func TestIdlePipelinedDone(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	c.send("b IDLE\r\nDONE\r\nc NOOP\r\n")
	assert.Equal(t, "+ idling", c.line())
	assert.Equal(t, []string{"b OK IDLE terminated"}, c.until("b"))
	assert.Equal(t, []string{"c OK NOOP completed"}, c.until("c"))
}
