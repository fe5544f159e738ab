package proxyproto

import (
	"bufio"
	"bytes"
	"net"
	"sync"
	"time"
)

// readBufferSize is the bufio buffer the header is read through. A header
// arrives in one segment and a version 1 line is at most 107 bytes; a long
// version 2 TLV block is read straight into its own buffer, so a small
// buffer costs nothing. Bytes it holds past the header are kept, copied, in
// the Conn; the buffer itself is dropped.
const readBufferSize = 512

// A Conn is a connection whose PROXY protocol header has been, or will be on
// first use, read. Its Read serves the bytes that arrived with the header
// first, then reads the underlying connection; its RemoteAddr and LocalAddr
// are the header's Source and Destination when it has them.
//
// Run a TLS handshake (implicit TLS or STARTTLS) over the Conn itself, not
// over NetConn: bytes of the handshake may already be buffered in the Conn.
type Conn struct {
	conn         net.Conn
	timeout      time.Duration
	closeOnError bool

	once sync.Once
	hdr  *Header
	err  error

	mu   sync.Mutex
	rest []byte // bytes read past the header, served before conn
}

// Wrap reads the PROXY protocol header from the start of conn and returns a
// *Conn for the rest of the connection together with the header. It sets a
// read deadline of timeout (DefaultTimeout if timeout is zero or negative)
// for the header and clears it afterwards.
//
// A missing header (ErrNoHeader), a malformed one (*FormatError), a read
// error or the deadline give an error; the caller must then close conn,
// which Wrap leaves open. Call Wrap from the connection's own goroutine,
// not from the accept loop: it blocks until the header arrives.
func Wrap(conn net.Conn, timeout time.Duration) (net.Conn, *Header, error) {
	c := &Conn{conn: conn, timeout: timeout}
	c.once.Do(c.readHeader)
	if c.err != nil {
		return nil, nil, c.err
	}
	return c, c.hdr, nil
}

// readHeader reads the header under the deadline; it runs once per Conn.
func (c *Conn) readHeader() {
	timeout := c.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	err := c.conn.SetReadDeadline(time.Now().Add(timeout))
	if err == nil {
		br := bufio.NewReaderSize(c.conn, readBufferSize)
		c.hdr, err = ReadHeader(br)
		if err == nil {
			// This fails only on a connection that is already closed (or,
			// for net.Pipe, whose peer closed after sending the header);
			// its next Read or Write reports that, so the header stands.
			_ = c.conn.SetReadDeadline(time.Time{})
		}
		if n := br.Buffered(); err == nil && n > 0 {
			b, _ := br.Peek(n)
			c.rest = bytes.Clone(b)
		}
	}
	if err != nil {
		c.hdr, c.err = nil, err
		if c.closeOnError {
			c.conn.Close()
		}
	}
}

// Header returns the connection's header, reading it first if a Listener
// accepted the connection and nothing has used it yet.
func (c *Conn) Header() (*Header, error) {
	c.once.Do(c.readHeader)
	return c.hdr, c.err
}

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.conn }

// Read reads data from the connection: first the bytes that arrived with
// the header, then from the underlying connection. It returns the header's
// error if the header could not be read.
func (c *Conn) Read(p []byte) (int, error) {
	c.once.Do(c.readHeader)
	if c.err != nil {
		return 0, c.err
	}
	c.mu.Lock()
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		if len(c.rest) == 0 {
			c.rest = nil
		}
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.conn.Read(p)
}

// Write writes data to the connection once the header has been read. It
// returns the header's error if the header could not be read, so nothing
// reaches a peer that did not send a valid header.
func (c *Conn) Write(p []byte) (int, error) {
	c.once.Do(c.readHeader)
	if c.err != nil {
		return 0, c.err
	}
	return c.conn.Write(p)
}

// Close closes the underlying connection. It does not wait for the header;
// a header read in progress fails.
func (c *Conn) Close() error { return c.conn.Close() }

// RemoteAddr returns the header's Source, or the underlying connection's
// remote address when the header has none or could not be read.
func (c *Conn) RemoteAddr() net.Addr {
	c.once.Do(c.readHeader)
	if c.hdr != nil && c.hdr.Source != nil {
		return c.hdr.Source
	}
	return c.conn.RemoteAddr()
}

// LocalAddr returns the header's Destination, or the underlying
// connection's local address when the header has none or could not be read.
func (c *Conn) LocalAddr() net.Addr {
	c.once.Do(c.readHeader)
	if c.hdr != nil && c.hdr.Destination != nil {
		return c.hdr.Destination
	}
	return c.conn.LocalAddr()
}

// SetDeadline sets the read and write deadlines of the underlying
// connection, after the header has been read.
func (c *Conn) SetDeadline(t time.Time) error {
	c.once.Do(c.readHeader)
	return c.conn.SetDeadline(t)
}

// SetReadDeadline sets the read deadline of the underlying connection,
// after the header has been read (the header has its own deadline).
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.once.Do(c.readHeader)
	return c.conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline of the underlying connection,
// after the header has been read.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.once.Do(c.readHeader)
	return c.conn.SetWriteDeadline(t)
}

// A Listener wraps a net.Listener whose every connection starts with a PROXY
// protocol header. Accept returns at once a *Conn that reads the header on
// its first use (any method but Close and NetConn), in the goroutine that
// uses it, so a slow or silent peer never stalls the accept loop. If the
// header is missing or malformed, the Conn closes the connection, its Read
// and Write return the error and its addresses are the real ones; Header
// returns the error too.
type Listener struct {
	net.Listener

	// Timeout bounds the wait for each connection's header;
	// DefaultTimeout if zero or negative.
	Timeout time.Duration
}

// NewListener returns a Listener that reads the header of every connection l
// accepts, waiting at most timeout for it.
func NewListener(l net.Listener, timeout time.Duration) *Listener {
	return &Listener{Listener: l, Timeout: timeout}
}

// Accept waits for the next connection and returns it as a *Conn whose
// header has not been read yet.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &Conn{conn: c, timeout: l.Timeout, closeOnError: true}, nil
}
