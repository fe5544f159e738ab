package imapcompressbench

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// commandTimeout bounds one command when the context has no deadline.
const commandTimeout = 2 * time.Minute

// syncFlushMarker ends a DEFLATE sync flush: an empty stored block
// (RFC 1951 3.2.4).
var syncFlushMarker = []byte{0x00, 0x00, 0xff, 0xff}

// wireConn counts the octets read from the socket and keeps the last
// four of them. One goroutine reads.
type wireConn struct {
	net.Conn
	n    int64
	tail [4]byte
}

func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n += int64(n)
	if n >= len(c.tail) {
		copy(c.tail[:], p[n-len(c.tail):n])
	} else if n > 0 {
		copy(c.tail[:], c.tail[n:])
		copy(c.tail[len(c.tail)-n:], p[:n])
	}
	return n, err
}

// flateWriter is the client's half of a compressed session: each
// command is sync-flushed, so that the server can read all of it.
type flateWriter struct {
	fw *flate.Writer
}

func (w flateWriter) Write(p []byte) (int, error) {
	n, err := w.fw.Write(p)
	if err != nil {
		return n, err
	}
	return n, w.fw.Flush()
}

// session is a raw IMAP client connection.
type session struct {
	nc         net.Conn
	wc         *wireConn
	r          *bufio.Reader // the responses, inflated under COMPRESS
	w          io.Writer
	line       []byte // the current response line
	body       []byte // the BODY[] literal of the current FETCH response
	compressed bool   // COMPRESS is on
}

// result is what one command read.
type result struct {
	wire  int64   // octets read from the socket
	plain int64   // octets of the responses, inflated
	tail  [4]byte // the last octets read from the socket
}

// dial connects to addr and reads the greeting.
func dial(ctx context.Context, addr string) (*session, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	wc := &wireConn{Conn: nc}
	s := &session{nc: nc, wc: wc, r: bufio.NewReaderSize(wc, 64<<10), w: nc}
	s.deadline(ctx)
	if _, err := s.readLine(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	return s, nil
}

// Close closes the connection.
func (s *session) Close() error { return s.nc.Close() }

// deadline sets the connection's deadline from ctx.
func (s *session) deadline(ctx context.Context) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(commandTimeout)
	}
	s.nc.SetDeadline(dl)
}

// login logs in, optionally turns COMPRESS on, and selects INBOX.
func (s *session) login(ctx context.Context, compress bool) error {
	if _, err := s.command(ctx, "a", "LOGIN "+testUser+" "+testPass, nil); err != nil {
		return err
	}
	if compress {
		if err := s.compress(ctx); err != nil {
			return err
		}
	}
	_, err := s.command(ctx, "s", "SELECT INBOX", nil)
	return err
}

// compress sends COMPRESS DEFLATE (RFC 4978 3) and, after the tagged OK,
// deflates what it sends and inflates what it reads.
func (s *session) compress(ctx context.Context) error {
	if _, err := s.command(ctx, "z", "COMPRESS DEFLATE", nil); err != nil {
		return err
	}
	// RFC 4978 3: the server's DEFLATE stream starts right after the
	// CRLF of its OK; whatever s.r has read past it is compressed.
	pending, _ := s.r.Peek(s.r.Buffered())
	raw := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(pending)), s.wc), 64<<10)
	s.r = bufio.NewReaderSize(flate.NewReader(raw), 64<<10)
	fw, err := flate.NewWriter(s.nc, flate.BestSpeed)
	if err != nil {
		return err
	}
	s.w = flateWriter{fw}
	return nil
}

// fetch sends FETCH 1:n of UID, FLAGS, ENVELOPE, BODYSTRUCTURE and
// BODY.PEEK[], calling fn, when not nil, with each message's UID and
// body (valid during the call only).
func (s *session) fetch(ctx context.Context, n int, fn func(uid uint32, body []byte) error) (result, error) {
	return s.command(ctx, "f", fmt.Sprintf("FETCH 1:%d (UID FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[])", n), fn)
}

// command sends one command and reads until its tagged response, which
// must be OK. For each untagged FETCH response carrying a UID and
// BODY[], it calls fn (if not nil) with them.
func (s *session) command(ctx context.Context, tag, cmd string, fn func(uid uint32, body []byte) error) (result, error) {
	s.deadline(ctx)
	wire0 := s.wc.n
	if _, err := io.WriteString(s.w, tag+" "+cmd+"\r\n"); err != nil {
		return result{}, err
	}
	var res result
	var uid uint32
	hasBody, first := false, true
	for {
		line, err := s.readLine()
		if err != nil {
			return res, fmt.Errorf("%s %s: %w", tag, cmd, err)
		}
		res.plain += int64(len(line))
		if first {
			uid = fetchUID(line)
		}
		if k, ok := literalAt(line); ok {
			first = false
			// The literal is the body when the line ends "BODY[] {k}".
			if fn != nil && bytes.HasSuffix(line[:bytes.LastIndexByte(line, '{')], []byte("BODY[] ")) {
				if cap(s.body) < k {
					s.body = make([]byte, k)
				}
				s.body = s.body[:k]
				if _, err := io.ReadFull(s.r, s.body); err != nil {
					return res, fmt.Errorf("%s %s: literal: %w", tag, cmd, err)
				}
				hasBody = true
			} else if _, err := s.r.Discard(k); err != nil {
				return res, fmt.Errorf("%s %s: literal: %w", tag, cmd, err)
			}
			res.plain += int64(k)
			continue
		}
		// The line ends a response.
		if bytes.HasPrefix(line, []byte(tag+" ")) {
			res.wire = s.wc.n - wire0
			res.tail = s.wc.tail
			if !bytes.HasPrefix(line, []byte(tag+" OK")) {
				return res, fmt.Errorf("%s %s: %q", tag, cmd, bytes.TrimRight(line, "\r\n"))
			}
			return res, nil
		}
		if hasBody {
			if uid == 0 {
				return res, fmt.Errorf("%s %s: a FETCH response without UID", tag, cmd)
			}
			if err := fn(uid, s.body); err != nil {
				return res, err
			}
		}
		uid, hasBody, first = 0, false, true
	}
}

// maxLine bounds a response line (up to a literal or CRLF).
const maxLine = 1 << 20

// readLine reads up to and including LF into s.line.
func (s *session) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		frag, err := s.r.ReadSlice('\n')
		s.line = append(s.line, frag...)
		switch {
		case err == nil:
			return s.line, nil
		case err != bufio.ErrBufferFull:
			return s.line, err
		case len(s.line) > maxLine:
			return s.line, fmt.Errorf("response line over %d octets", maxLine)
		}
	}
}

// literalAt returns the size of the literal announced at the end of
// line ("{k}\r\n").
func literalAt(line []byte) (int, bool) {
	if !bytes.HasSuffix(line, []byte("}\r\n")) {
		return 0, false
	}
	i := bytes.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	k, err := strconv.Atoi(string(line[i+1 : len(line)-3]))
	if err != nil || k < 0 {
		return 0, false
	}
	return k, true
}

// fetchUID returns the UID of the first line of an untagged FETCH
// response ("* 7 FETCH (UID 7 FLAGS ..."), looked for among the items
// before ENVELOPE, whose strings could hold anything; 0 if none.
func fetchUID(line []byte) uint32 {
	rest, ok := bytes.CutPrefix(line, []byte("* "))
	if !ok {
		return 0
	}
	_, rest, ok = bytes.Cut(rest, []byte(" FETCH ("))
	if !ok {
		return 0
	}
	if i := bytes.Index(rest, []byte("ENVELOPE ")); i >= 0 {
		rest = rest[:i]
	}
	var at int
	switch {
	case bytes.HasPrefix(rest, []byte("UID ")):
		at = len("UID ")
	default:
		i := bytes.Index(rest, []byte(" UID "))
		if i < 0 {
			return 0
		}
		at = i + len(" UID ")
	}
	end := at
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	v, err := strconv.ParseUint(string(rest[at:end]), 10, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}
