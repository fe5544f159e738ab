package imap

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// IdleCommand is a running IDLE (RFC 2177, RFC 9051 6.3.13). While it
// runs no other command can be sent: they wait until it is done.
// Updates reach the UnilateralHandler.
type IdleCommand struct {
	c    *Client
	cmd  *clientCmd
	mu   sync.Mutex
	stop func() bool
	once sync.Once
	err  error
}

// Idle starts IDLE and returns once the server has accepted it. When
// ctx ends, DONE is sent: the connection stays usable.
func (c *Client) Idle(ctx context.Context) (*IdleCommand, error) {
	cmd, err := c.start(ctx, cmdSpec{cmd: &Command{Name: "IDLE"}, hold: true})
	if err != nil {
		return nil, err
	}
	if _, err := c.waitContinue(ctx, cmd); err != nil {
		c.releaseWriter()
		if ctx.Err() != nil {
			// Not yet idling: the server may still send "+", so the
			// stream is in doubt.
			c.closeWith(fmt.Errorf("imap: IDLE: %w", err))
		}
		return nil, err
	}
	ic := &IdleCommand{c: c, cmd: cmd}
	ic.mu.Lock()
	ic.stop = context.AfterFunc(ctx, func() { ic.Done() })
	ic.mu.Unlock()
	return ic, nil
}

// Done ends IDLE with DONE and waits for the server's answer (within
// DefaultDialTimeout). It may be called more than once.
func (ic *IdleCommand) Done() error {
	ic.once.Do(func() {
		ic.mu.Lock()
		stop := ic.stop
		ic.mu.Unlock()
		if stop != nil {
			stop()
		}
		c := ic.c
		select {
		case <-ic.cmd.done: // the server ended it
		default:
			if err := c.writeLine("DONE"); err != nil {
				c.closeWith(fmt.Errorf("imap: writing DONE: %w", err))
			}
		}
		c.releaseWriter()
		ctx, cancel := context.WithTimeout(context.Background(), DefaultDialTimeout)
		defer cancel()
		_, ic.err = c.wait(ctx, ic.cmd)
	})
	return ic.err
}

// Wait waits until the server ends the IDLE on its own (with a tagged
// response or by closing the connection), which most servers do only
// after Done.
func (ic *IdleCommand) Wait() error {
	<-ic.cmd.done
	return ic.Done()
}

// watch registers f to see every untagged response the reader
// goroutine dispatches, until the returned function is called.
func (c *Client) watch(f func(Response)) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watchID++
	id := c.watchID
	if c.watchers == nil {
		c.watchers = map[uint64]func(Response){}
	}
	c.watchers[id] = f
	return func() {
		c.mu.Lock()
		delete(c.watchers, id)
		c.mu.Unlock()
	}
}

// IdleWaitOptions are the options of IdleWait.
type IdleWaitOptions struct {
	// Restart is how often IDLE is ended and started again; 0 means
	// DefaultIdleRestart (29 minutes, below the 30 of RFC 2177 3).
	Restart time.Duration
	// PollInterval is how often NOOP is sent when the server lacks
	// IDLE; 0 means one minute.
	PollInterval time.Duration
}

// IdleWait waits in the selected mailbox until new mail arrives (an
// EXISTS above the count when it started) and returns the new count.
// It idles, ending and restarting IDLE every opts.Restart, or polls
// with NOOP when the server lacks IDLE. known is the message count the
// caller knows (from SelectData.Exists).
func (c *Client) IdleWait(ctx context.Context, known uint32, opts *IdleWaitOptions) (uint32, error) {
	var o IdleWaitOptions
	if opts != nil {
		o = *opts
	}
	if o.Restart <= 0 {
		o.Restart = DefaultIdleRestart
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Minute
	}
	newMail := make(chan uint32, 1)
	var mu sync.Mutex
	count := known
	unwatch := c.watch(func(r Response) {
		mu.Lock()
		defer mu.Unlock()
		switch r := r.(type) {
		case *ExistsData:
			if r.Num > count {
				select {
				case newMail <- r.Num:
				default:
				}
			}
			count = r.Num
		case *ExpungeData:
			if count > 0 {
				count--
			}
		}
	})
	defer unwatch()
	useIdle := c.Has(ctx, "IDLE")
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if !useIdle {
			if err := c.Noop(ctx); err != nil {
				return 0, err
			}
			select {
			case n := <-newMail:
				return n, nil
			case <-time.After(o.PollInterval):
				continue
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		ic, err := c.Idle(ctx)
		if err != nil {
			return 0, err
		}
		timer := time.NewTimer(o.Restart)
		var got uint32
		var stopped bool
		select {
		case got = <-newMail:
		case <-timer.C:
		case <-ctx.Done():
			stopped = true
		case <-ic.cmd.done:
		}
		timer.Stop()
		err = ic.Done()
		if got > 0 {
			return got, err
		}
		if stopped {
			return 0, ctx.Err()
		}
		if err != nil {
			return 0, err
		}
	}
}
