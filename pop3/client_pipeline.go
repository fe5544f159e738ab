package pop3

import (
	"context"
	"io"
	"strconv"
)

// pipelineWindow is how many commands the client keeps in flight when
// it pipelines: enough to hide the round trip, few enough that the
// commands never fill the server's receive window (RFC 2449 6.6).
const pipelineWindow = 32

// pipelined reports whether the server announced PIPELINING. It asks
// with CAPA if the capabilities are not known yet.
func (c *Client) pipelined(ctx context.Context) bool {
	caps, err := c.Capabilities(ctx)
	return err == nil && caps.Has("PIPELINING")
}

// pipeline sends name with each argument list and calls handle for each
// answer in order, with the status line read (or the *Error of a -ERR)
// and the connection positioned after it. Without PIPELINING the
// commands go one at a time.
func (c *Client) pipeline(ctx context.Context, name string, args [][]string, handle func(i int, r Response, err error) error) error {
	if err := c.ready(); err != nil {
		return err
	}
	window := 1
	if c.pipelined(ctx) {
		window = pipelineWindow
	}
	if c.err != nil {
		return c.err // CAPA broke the connection
	}
	// Commands in flight: whatever handle calls must not send another.
	c.busy = true
	defer func() { c.busy = false }()
	end := c.watch(ctx)
	defer end()
	sent := 0
	var herr error
	for i := range args {
		for sent < len(args) && sent < i+window {
			if err := c.writeCommand(name, args[sent]...); err != nil {
				// Answers to the commands already sent must still be read.
				// A bad argument: the connection is fine but the
				// answers in flight are not worth reading.
				return c.fail(err)
			}
			sent++
		}
		if err := c.bw.Flush(); err != nil {
			return c.fail(err)
		}
		r, err := c.readResponse()
		if c.fail(err); c.err != nil {
			return c.err
		}
		if e := handle(i, r, err); e != nil && herr == nil {
			herr = e
		}
		if c.err != nil {
			return c.err
		}
	}
	return herr
}

func numbers(nums []int) [][]string {
	args := make([][]string, len(nums))
	for i, n := range nums {
		args[i] = []string{strconv.Itoa(n)}
	}
	return args
}

// ListMessages asks for the size of each message in nums with LIST n,
// pipelined when the server allows it (RFC 2449 6.6). A message the
// server refuses (deleted, no such message) has its *Error in errs.
func (c *Client) ListMessages(ctx context.Context, nums []int) (infos []MessageInfo, errs []error, err error) {
	infos = make([]MessageInfo, len(nums))
	errs = make([]error, len(nums))
	err = c.pipeline(ctx, CmdList, numbers(nums), func(i int, r Response, err error) error {
		if err == nil {
			infos[i], err = parseListLine(r.Text)
		}
		errs[i] = err
		return nil
	})
	return infos, errs, err
}

// UIDLMessages asks for the unique-id of each message in nums with UIDL
// n, pipelined when the server allows it.
func (c *Client) UIDLMessages(ctx context.Context, nums []int) (uids []UIDInfo, errs []error, err error) {
	uids = make([]UIDInfo, len(nums))
	errs = make([]error, len(nums))
	err = c.pipeline(ctx, CmdUIDL, numbers(nums), func(i int, r Response, err error) error {
		if err == nil {
			uids[i], err = parseUIDLine(r.Text)
		}
		errs[i] = err
		return nil
	})
	return uids, errs, err
}

// DeleMessages marks the messages in nums deleted with DELE n,
// pipelined when the server allows it; the server removes them when the
// session ends with Quit. A message the server refuses (already
// deleted, no such message) has its *Error in errs. With RetrMessages
// it fetches and deletes a maildrop in two pipelined passes.
func (c *Client) DeleMessages(ctx context.Context, nums []int) (errs []error, err error) {
	errs = make([]error, len(nums))
	err = c.pipeline(ctx, CmdDele, numbers(nums), func(i int, r Response, err error) error {
		errs[i] = err
		return nil
	})
	return errs, err
}

// RetrMessages retrieves the messages in nums, pipelined when the server
// allows it, and calls fn with each message as a stream, in order; fn
// need not read it all. A message the server refuses is passed to fn
// with a nil reader and its *Error. An error from fn stops the calls to
// fn, and is returned once the answers already asked for are read.
//
// While it runs the connection carries the commands still in flight, so
// fn must not use the Client: its methods return ErrBusy. To delete
// the messages retrieved, note their numbers in fn and call
// DeleMessages after RetrMessages returns.
func (c *Client) RetrMessages(ctx context.Context, nums []int, fn func(n int, r io.Reader, err error) error) error {
	var stopped bool
	return c.pipeline(ctx, CmdRetr, numbers(nums), func(i int, r Response, err error) error {
		if err != nil {
			if stopped {
				return nil
			}
			if e := fn(nums[i], nil, err); e != nil {
				stopped = true
				return e
			}
			return nil
		}
		m := &messageReader{c: c, r: newBodyReader(c), end: func() {}}
		var ferr error
		if !stopped {
			ferr = fn(nums[i], m, nil)
		}
		if err := m.Close(); err != nil {
			return err
		}
		if ferr != nil {
			stopped = true
		}
		return ferr
	})
}
