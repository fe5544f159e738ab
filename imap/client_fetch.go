package imap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// FetchOptions are the options of FETCH.
type FetchOptions struct {
	// ChangedSince is the CHANGEDSINCE modifier (RFC 7162 3.1.4.1); 0
	// sends none.
	ChangedSince uint64
	// Vanished asks for VANISHED (EARLIER) with UID FETCH (RFC 7162
	// 3.2.6); it needs QRESYNC enabled and ChangedSince.
	Vanished bool
}

// FetchHandler receives the results of FetchStream, in the calling
// goroutine, in the order the server sends them.
type FetchHandler struct {
	// Body is called for each body section (BODY[...], BINARY[...],
	// RFC822...) as it arrives: r yields size bytes straight from the
	// connection, and what Body leaves unread is discarded. Sections
	// that Body consumed have no Data in the FetchData. nil discards
	// the sections.
	Body func(seq uint32, item FetchItem, size int64, r io.Reader) error
	// Message is called for each FETCH response once it is complete.
	Message func(*FetchData) error
}

// fetchEvent is handed from the reader goroutine to the fetching one.
type fetchEvent struct {
	data *FetchData
	seq  uint32
	item FetchItem
	size int64
	r    io.Reader
	done chan struct{} // closed when the body is consumed
	err  error         // set before done is closed: the connection must close
}

// FetchStream fetches items of the messages seq (RFC 9051 6.4.5),
// handing body sections to h.Body as io.Readers, never buffered whole,
// and each FETCH response to h.Message. The first error a handler
// returns ends the handling; FetchStream still waits for the command
// to complete (the rest of the data is discarded) and returns that
// error.
func (c *Client) FetchStream(ctx context.Context, seq SeqSet, items []FetchItem, opts *FetchOptions, h FetchHandler) error {
	return c.fetch(ctx, false, seq, items, opts, h)
}

// UIDFetchStream is FetchStream by UID (RFC 9051 6.4.9).
func (c *Client) UIDFetchStream(ctx context.Context, uids SeqSet, items []FetchItem, opts *FetchOptions, h FetchHandler) error {
	return c.fetch(ctx, true, uids, items, opts, h)
}

// Fetch fetches items of the messages seq and returns the FETCH
// responses with the body sections in memory, each bounded by
// Limits.MaxStringLiteral (ErrLiteralTooBig past it). Use FetchStream
// for large bodies.
func (c *Client) Fetch(ctx context.Context, seq SeqSet, items []FetchItem, opts *FetchOptions) ([]*FetchData, error) {
	return c.fetchAll(ctx, false, seq, items, opts)
}

// UIDFetch is Fetch by UID.
func (c *Client) UIDFetch(ctx context.Context, uids SeqSet, items []FetchItem, opts *FetchOptions) ([]*FetchData, error) {
	return c.fetchAll(ctx, true, uids, items, opts)
}

func (c *Client) fetchAll(ctx context.Context, uid bool, seq SeqSet, items []FetchItem, opts *FetchOptions) ([]*FetchData, error) {
	max := c.opts.Limits.withDefaults().MaxStringLiteral
	var out []*FetchData
	bodies := map[uint32][][]byte{}
	h := FetchHandler{
		Body: func(seq uint32, item FetchItem, size int64, r io.Reader) error {
			if size > max {
				return fmt.Errorf("imap: FETCH %s of %d bytes: %w", item, size, ErrLiteralTooBig)
			}
			var bb bytes.Buffer
			bb.Grow(int(min(size, 64<<10)))
			if _, err := io.Copy(&bb, r); err != nil {
				return err
			}
			bodies[seq] = append(bodies[seq], bb.Bytes())
			return nil
		},
		Message: func(f *FetchData) error {
			q := bodies[f.Seq]
			for i := range f.Sections {
				s := &f.Sections[i]
				if s.Data == nil && !s.IsNil && len(q) > 0 {
					s.Data, q = q[0], q[1:]
				}
			}
			delete(bodies, f.Seq)
			out = append(out, f)
			return nil
		},
	}
	err := c.fetch(ctx, uid, seq, items, opts, h)
	return out, err
}

func (c *Client) fetch(ctx context.Context, uid bool, seq SeqSet, items []FetchItem, opts *FetchOptions, h FetchHandler) error {
	args := &FetchCommand{Seq: seq, Items: items}
	if opts != nil {
		args.ChangedSince, args.Vanished = opts.ChangedSince, opts.Vanished
	}
	events := make(chan *fetchEvent)
	abandon := make(chan struct{})
	var once sync.Once
	quit := func() { once.Do(func() { close(abandon) }) }
	defer quit()
	send := func(ev *fetchEvent) bool {
		select {
		case events <- ev:
			return true
		case <-abandon:
			return false
		case <-c.closed: // Close called from a handler
			return false
		}
	}
	body := func(seq uint32, item FetchItem, info LiteralInfo, r io.Reader) error {
		ev := &fetchEvent{seq: seq, item: item, size: info.Size, r: r, done: make(chan struct{})}
		if !send(ev) {
			return nil
		}
		select {
		case <-ev.done:
			// A section too large to hold cannot be skipped safely:
			// a hostile server may announce any size. Closing the
			// connection also stops the decoder's discarding of it.
			if ev.err != nil {
				c.closeWith(ev.err)
			}
			return ev.err
		case <-abandon:
		}
		return nil
	}
	collect := func(r Response) bool {
		f, ok := r.(*FetchData)
		if !ok {
			return false
		}
		send(&fetchEvent{data: f})
		return true
	}
	cmd, err := c.start(ctx, cmdSpec{cmd: &Command{Name: "FETCH", UID: uid, Args: args}, collect: collect, body: body})
	if err != nil {
		return err
	}
	// The handlers read from the connection: cancellation must reach
	// them too.
	stop := context.AfterFunc(ctx, func() {
		c.closeWith(fmt.Errorf("imap: FETCH: %w", context.Cause(ctx)))
	})
	defer stop()
	var herr error
	for {
		select {
		case ev := <-events:
			if ev.data != nil {
				if herr == nil && h.Message != nil {
					c.inHandler.Add(1)
					herr = h.Message(ev.data)
					c.inHandler.Add(-1)
				}
				continue
			}
			if herr == nil && h.Body != nil {
				c.inHandler.Add(1)
				herr = h.Body(ev.seq, ev.item, ev.size, ev.r)
				c.inHandler.Add(-1)
				if errors.Is(herr, ErrLiteralTooBig) {
					ev.err = herr
				}
			}
			close(ev.done)
		case <-cmd.done:
			quit()
			_, err := c.wait(ctx, cmd)
			if errors.Is(herr, ErrLiteralTooBig) {
				return c.Err() // the connection closed on it
			}
			if herr != nil {
				return herr
			}
			return err
		case <-ctx.Done():
			quit()
			_, err := c.wait(ctx, cmd)
			if err == nil {
				err = ctx.Err()
			}
			return err
		}
	}
}
