package imap

import (
	"bufio"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"time"
)

// AppendMessage is one message of AppendMulti.
type AppendMessage struct {
	Reader io.Reader
	Size   int64
	Flags  []string
	Date   time.Time // zero: the server's time
}

// AppendMulti appends several messages to a mailbox in one command
// (MULTIAPPEND, RFC 3502): all are stored or none. It returns the
// APPENDUID code (RFC 4315) when the server sent one.
func (c *Client) AppendMulti(ctx context.Context, mailbox string, msgs []AppendMessage) (*AppendUIDCode, error) {
	if len(msgs) == 0 {
		return nil, fmt.Errorf("imap: MULTIAPPEND without messages")
	}
	wire := c.wireName(mailbox)
	st, err := c.run(ctx, cmdSpec{
		cmd: &Command{Name: "APPEND"},
		raw: func(e *Encoder) error {
			e.SP().AString(wire)
			for _, m := range msgs {
				if m.Flags != nil {
					e.SP().FlagList(m.Flags)
				}
				if !m.Date.IsZero() {
					e.SP().DateTime(m.Date)
				}
				e.SP().Literal(m.Reader, m.Size, false)
			}
			return e.Err()
		},
	})
	if err != nil {
		return nil, err
	}
	au, _ := st.CodeArg.(*AppendUIDCode)
	return au, nil
}

// Compress turns on COMPRESS=DEFLATE (RFC 4978): from the server's OK
// on, both directions are raw DEFLATE streams.
func (c *Client) Compress(ctx context.Context) error {
	start := func() error {
		// Runs in the reader goroutine right after the OK, while the
		// writer is held: what is buffered already is compressed.
		fr := flate.NewReader(c.br)
		out := bufio.NewWriterSize(c.cw.w, 4096)
		fw, err := flate.NewWriter(out, flate.DefaultCompression)
		if err != nil {
			return err
		}
		c.setIO(fr, &flushWriter{fw, out})
		return nil
	}
	cmd, err := c.start(ctx, cmdSpec{cmd: &Command{Name: "COMPRESS"}, raw: func(e *Encoder) error {
		e.Raw(" DEFLATE")
		return nil
	}, hold: true, afterOK: start})
	if err != nil {
		return err
	}
	defer c.releaseWriter()
	_, err = c.wait(ctx, cmd)
	return err
}

// flushWriter sync-flushes the DEFLATE stream after each write, so that
// a command reaches the server when the client flushes it, in one write
// to the connection: written piecemeal, a LOGOUT could be answered, and
// the connection closed, before its last bytes went out.
type flushWriter struct {
	fw  *flate.Writer
	out *bufio.Writer
}

func (w *flushWriter) Write(p []byte) (int, error) {
	n, err := w.fw.Write(p)
	if err == nil {
		err = w.fw.Flush()
	}
	if err == nil {
		err = w.out.Flush()
	}
	return n, err
}
