package imap

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"sync"
)

// compressLevel is the DEFLATE level of the server's responses. RFC
// 4978 4 suggests a low level: IMAP responses and mail text compress
// well at any level, and the server pays the CPU for every session.
const compressLevel = 5

// cmdCompress answers COMPRESS (RFC 4978 3): after the tagged OK, both
// directions are raw DEFLATE streams (RFC 1951), under TLS when TLS is
// on (the order of RFC 4978 3: compress, then encrypt).
func (c *conn) cmdCompress(cmd *Command) bool {
	args := cmd.Args.(*CompressCommand)
	if c.zw != nil {
		// RFC 4978 3: NO [COMPRESSIONACTIVE] when compression is on.
		c.tagged(cmd.Tag, StatusNO, "COMPRESSIONACTIVE", nil, "DEFLATE active already")
		return true
	}
	if args.Mechanism != "DEFLATE" {
		return c.bad(cmd.Tag, "", "Unknown compression mechanism")
	}
	c.tagged(cmd.Tag, StatusOK, "", nil, "DEFLATE active")
	// RFC 4978 3: compression starts right after the CRLF of the OK.
	if c.flush() != nil {
		return false
	}
	// What the client sent after COMPRESS is compressed already: it is
	// the start of the DEFLATE stream.
	pending, _ := c.br.Peek(c.br.Buffered())
	raw := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(pending)), deadlineReader{c}), 4096)
	c.br.Reset(flate.NewReader(raw))

	out := bufio.NewWriterSize(deadlineWriter{c}, 4096)
	fw, err := flate.NewWriter(out, compressLevel)
	if err != nil {
		c.log().Error("imap: COMPRESS", "err", err)
		return false
	}
	zw := &compressWriter{fw: fw, out: out}
	c.mu.Lock()
	c.zw = zw
	c.mu.Unlock()
	c.bw.Reset(zw)
	return true
}

// compressWriter is the DEFLATE layer under a compressed session's
// write buffer. Each batch of responses ends with a sync flush (Flush),
// so that the client can decode all of it at once: a session in IDLE
// or answering pipelined commands never leaves a response stuck in the
// compressor. The mutex lets Shutdown say goodbye from another
// goroutine.
type compressWriter struct {
	mu  sync.Mutex
	fw  *flate.Writer
	out *bufio.Writer
}

func (w *compressWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fw.Write(p)
}

// Flush sync-flushes the DEFLATE stream and writes it out.
func (w *compressWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flush()
}

func (w *compressWriter) flush() error {
	if err := w.fw.Flush(); err != nil {
		return err
	}
	return w.out.Flush()
}

// writeLine writes and flushes one line (a BYE from Shutdown).
func (w *compressWriter) writeLine(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := io.WriteString(w.fw, s); err == nil {
		w.flush()
	}
}
