package imap

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"
)

// scriptConn is a net.Conn that plays a server's bytes: the first line
// (the greeting) at once, the rest once the client has written a
// command, then EOF. Writes are discarded.
type scriptConn struct {
	mu      sync.Mutex
	cond    *sync.Cond
	greet   *bytes.Reader
	rest    *bytes.Reader
	written bool
	closed  bool
}

func newScriptConn(data []byte) *scriptConn {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		i = len(data) - 1
	}
	c := &scriptConn{greet: bytes.NewReader(data[:i+1]), rest: bytes.NewReader(data[i+1:])}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *scriptConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.greet.Len() > 0 {
		return c.greet.Read(p)
	}
	if !c.written && !c.closed {
		// Wait for the command, but not for ever: a greeting that
		// runs into the rest must be able to complete.
		t := time.AfterFunc(10*time.Millisecond, func() {
			c.mu.Lock()
			c.written = true
			c.cond.Broadcast()
			c.mu.Unlock()
		})
		for !c.written && !c.closed {
			c.cond.Wait()
		}
		t.Stop()
	}
	if c.closed {
		return 0, net.ErrClosed
	}
	return c.rest.Read(p)
}

func (c *scriptConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	c.written = true
	c.cond.Broadcast()
	return len(p), nil
}

func (c *scriptConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	return nil
}

func (c *scriptConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(t time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(t time.Time) error { return nil }

// FuzzClientResponses feeds arbitrary server bytes to a Client that is
// fetching: it must neither panic nor hang, and the command must end.
func FuzzClientResponses(f *testing.F) {
	seeds := []string{
		"* OK hi\r\n* 1 FETCH (UID 1 BODY[] {5}\r\nhello FLAGS (\\Seen))\r\nT1 OK done\r\n",
		"* OK hi\r\n* 1 FETCH (ENVELOPE (NIL \"s\" ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1))\r\nT1 OK\r\n",
		"* OK hi\r\n* 2 FETCH (UID 2 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL NIL 10)(\"a\" NIL) \"mixed\"))\r\nT1 OK\r\n",
		"* OK hi\r\n* 1 FETCH (UID 1 FLAGS (\\Seen)ENVELOPE (\"d\" \"Gr\xfc\xdfe\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\nT1 OK [garbage\r\n",
		"* PREAUTH [CAPABILITY IMAP4rev2 LITERAL+] x\r\n* 3 EXISTS\r\n* 1 EXPUNGE\r\n* VANISHED (EARLIER) 1:3\r\n+ go\r\n* BYE\r\n",
		"* OK hi\r\n* 1 FETCH (BINARY[1] ~{3}\r\n\x00\x01\x02 RFC822.SIZE 3)\r\n* LIST () \"/\" {3}\r\nabc\r\nT1 NO [ALERT] x\r\n",
		"* OK hi\r\n* ESEARCH (TAG \"T1\") UID ALL 1:3\r\n* STATUS x (MESSAGES 1)\r\n* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nT1 OK\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn := newScriptConn(data)
		c, err := New(ctx, conn, &ClientOptions{
			Unilateral:   func(Response) {},
			OnParseError: func(error, []byte) {},
			Limits:       Limits{MaxStringLiteral: 1 << 12, MaxLineLength: 1 << 12},
		})
		if err != nil {
			return
		}
		defer c.Close()
		err = c.FetchStream(ctx, SeqSetOf(1), []FetchItem{{Name: FetchUID}, {Name: FetchBody, Section: &Section{}}}, nil, FetchHandler{
			Body: func(seq uint32, item FetchItem, size int64, r io.Reader) error {
				_, err := io.Copy(io.Discard, io.LimitReader(r, 1<<16))
				return err
			},
		})
		if ctx.Err() != nil {
			t.Fatalf("the command did not end: %v", err)
		}
		// Everything after the data is EOF: the client must close.
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			if c.State() != StateLogout {
				// Still open only if the data ended cleanly after a
				// complete response; the reader then sees EOF.
				t.Fatal("client did not notice the end of the stream")
			}
		}
	})
}

// FuzzClientFastFetch checks the client's fast FETCH parser against
// the Decoder: whatever the fast parser accepts, the Decoder reads the
// same way.
func FuzzClientFastFetch(f *testing.F) {
	for _, s := range []string{
		`* 1 FETCH (UID 7 FLAGS (\Seen $X \*) RFC822.SIZE 44 MODSEQ (12) INTERNALDATE " 2-Jan-2026 03:04:05 +0000")`,
		`* 2 FETCH (ENVELOPE ("Fri, 2 Jan 2026" "a \"b\" \\ c" (("Bob" NIL "bob" "example.org")("x" NIL "y" "z")) NIL NIL ((NIL NIL "g" NIL)(NIL NIL NIL NIL)) NIL NIL NIL "<id@x>"))`,
		`* 3 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 28 1 NIL NIL NIL NIL)("application" "pdf" ("name" "r.pdf") NIL NIL "base64" 66 NIL ("attachment" ("filename" "r.pdf")) NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL))`,
		`* 4 FETCH (BODY ("message" "rfc822" NIL NIL NIL "7bit" 10 (NIL "s" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" NIL NIL NIL "7bit" 2 1) 3))`,
		`* 5 FETCH (BODYSTRUCTURE ("text" "html" NIL NIL NIL "8bit" 10 2 "md5" ("inline" NIL) ("en" "fr") "loc" 1 ("x" (2))))`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ok := fastFetch(line)
		if !ok {
			return
		}
		d := NewDecoder(bufio.NewReader(bytes.NewReader(append(append([]byte(nil), line...), '\r', '\n'))))
		r, err := ReadResponse(d, nil)
		if err != nil {
			t.Fatalf("fast parser accepted what the Decoder refuses (%v): %q", err, line)
		}
		if !reflect.DeepEqual(r, fast) {
			t.Fatalf("fast %#v\nslow %#v\nline %q", fast, r, line)
		}
	})
}
