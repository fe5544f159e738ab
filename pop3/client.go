package pop3

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/postkit/postkit/internal/dotstuff"
	"github.com/postkit/postkit/sasl"
)

// MaxClientLineLength bounds every line the client reads: status lines,
// capability and listing lines and SASL challenges (RFC 2449 4. allows
// 512 octets; the extra room is for servers that send more, and for
// SASL challenges).
const MaxClientLineLength = 128 << 10

// ErrBusy is returned by a method called while another one is still
// running, as from inside the callback of RetrMessages: the connection
// is in the middle of that exchange and cannot take a command.
var ErrBusy = errors.New("pop3: client busy with another command")

// ErrBodyOpen is returned by a command issued while the reader of an
// earlier RETR or TOP is open and the client could not finish it.
var ErrBodyOpen = errors.New("pop3: previous message body not closed")

// Client is a POP3 client connection. It is not safe for concurrent
// use. Every method that talks to the server takes a context, whose
// deadline and cancellation bound the exchange.
type Client struct {
	conn      net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	greeting  Response
	timestamp string
	caps      Capabilities // nil until Capabilities runs, reset by STLS and login
	isTLS     bool
	host      string         // the host name dialled, for StartTLS; "" after NewClient
	busy      bool           // a pipeline is running: no other command may start
	body      *messageReader // the open RETR or TOP body
	err       error          // a broken connection: every call returns it
}

// Dial connects to the POP3 server at addr ("host:port") and reads its
// greeting.
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newClient(ctx, nc, hostOf(addr))
}

// hostOf returns the host of "host:port", or addr if it has no port.
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// DialTLS connects to the POP3 server at addr with TLS from the first
// byte (port 995, RFC 8314 3.3) and reads its greeting. A nil config
// verifies the server against addr's host name.
func DialTLS(ctx context.Context, addr string, config *tls.Config) (*Client, error) {
	if config == nil {
		config = &tls.Config{ServerName: hostOf(addr)}
	}
	d := tls.Dialer{Config: config}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newClient(ctx, nc, hostOf(addr))
}

// NewClient reads the greeting from an established connection and
// returns a client for it. On failure the connection is closed. The
// client does not know the name of the server it talks to: StartTLS
// then needs a tls.Config with ServerName (or InsecureSkipVerify).
func NewClient(ctx context.Context, conn net.Conn) (*Client, error) {
	return newClient(ctx, conn, "")
}

func newClient(ctx context.Context, conn net.Conn, host string) (*Client, error) {
	c := &Client{conn: conn, host: host}
	c.br = bufio.NewReaderSize(conn, 4096)
	c.bw = bufio.NewWriterSize(conn, 1024)
	_, c.isTLS = conn.(*tls.Conn)
	end := c.watch(ctx)
	r, err := c.readResponse()
	end()
	if err != nil {
		conn.Close()
		return nil, err
	}
	c.greeting = r
	// RFC 1939 7.: the APOP timestamp is the "<...>" in the greeting.
	if i := strings.IndexByte(r.Text, '<'); i >= 0 {
		if j := strings.IndexByte(r.Text[i:], '>'); j > 0 && strings.Contains(r.Text[i:i+j], "@") {
			c.timestamp = r.Text[i : i+j+1]
		}
	}
	return c, nil
}

// Greeting returns the server's greeting.
func (c *Client) Greeting() Response { return c.greeting }

// SupportsAPOP reports whether the greeting carried an APOP timestamp.
func (c *Client) SupportsAPOP() bool { return c.timestamp != "" }

// TLS reports whether the connection is under TLS.
func (c *Client) TLS() bool { return c.isTLS }

// Close closes the connection without QUIT: the server applies no
// deletion (RFC 1939 6.).
func (c *Client) Close() error {
	if c.err == nil {
		c.err = net.ErrClosed
	}
	return c.conn.Close()
}

// watch applies ctx to the connection until the returned function is
// called: its deadline becomes the connection's, and its cancellation
// interrupts any read or write.
func (c *Client) watch(ctx context.Context) (end func()) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Time{}
	}
	c.conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	return func() { stop() }
}

// fail marks the connection broken by err, which it returns. *Error
// (a -ERR answer) leaves the connection usable.
func (c *Client) fail(err error) error {
	var pe *Error
	if err != nil && !errors.As(err, &pe) && c.err == nil {
		c.err = err
		c.conn.Close()
	}
	return err
}

// ready finishes any open message body and reports whether a new
// command may be sent.
func (c *Client) ready() error {
	if c.err != nil {
		return c.err
	}
	if c.busy {
		return ErrBusy
	}
	if c.body != nil {
		if err := c.body.Close(); err != nil {
			return err
		}
	}
	return c.err
}

// readLine reads a line of at most MaxClientLineLength octets, without
// its CRLF.
func (c *Client) readLine() ([]byte, error) {
	line, err := readLine(c.br, MaxClientLineLength)
	if errors.Is(err, errLineTooLong) {
		return nil, ErrLineTooLong
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return line, err
}

// readResponse reads a status line; a -ERR answer is returned as an
// *Error along with the Response.
func (c *Client) readResponse() (Response, error) {
	line, err := c.readLine()
	if err != nil {
		return Response{}, err
	}
	r, err := ParseResponse(line)
	if err != nil {
		return r, err
	}
	if !r.OK {
		return r, &Error{Code: r.Code, Text: r.Text}
	}
	return r, nil
}

// writeCommand buffers a command.
func (c *Client) writeCommand(name string, args ...string) error {
	b, err := AppendCommand(c.bw.AvailableBuffer(), name, args...)
	if err != nil {
		return err
	}
	_, err = c.bw.Write(b)
	return err
}

// cmd sends a command and reads its status line.
func (c *Client) cmd(ctx context.Context, name string, args ...string) (Response, error) {
	if err := c.ready(); err != nil {
		return Response{}, err
	}
	end := c.watch(ctx)
	defer end()
	if err := c.writeCommand(name, args...); err != nil {
		return Response{}, err
	}
	if err := c.bw.Flush(); err != nil {
		return Response{}, c.fail(err)
	}
	r, err := c.readResponse()
	return r, c.fail(err)
}

// readMultiLine reads the lines of a multi-line response up to the
// terminating ".", un-stuffed (RFC 1939 3.), calling fn for each.
func (c *Client) readMultiLine(fn func(line []byte) error) error {
	var ferr error
	for {
		line, err := c.readLine()
		if err != nil {
			return c.fail(err)
		}
		if len(line) > 0 && line[0] == '.' {
			if len(line) == 1 {
				return ferr
			}
			line = line[1:]
		}
		if ferr == nil {
			ferr = fn(line)
		}
	}
}

// Capabilities is the answer to CAPA (RFC 2449 5.): capability tags in
// upper case and their parameters.
type Capabilities map[string][]string

// Has reports whether the capability tag is present.
func (c Capabilities) Has(tag string) bool {
	_, ok := c[strings.ToUpper(tag)]
	return ok
}

// parseCapabilities parses CAPA lines.
func parseCapabilities(lines []string) Capabilities {
	caps := Capabilities{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		caps[strings.ToUpper(f[0])] = f[1:]
	}
	return caps
}

// Capabilities asks the server for its capabilities with CAPA. The
// answer is cached until STLS or a login, after which they may differ.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	if c.caps != nil {
		return c.caps, nil
	}
	if _, err := c.cmd(ctx, CmdCapa); err != nil {
		return nil, err
	}
	end := c.watch(ctx)
	defer end()
	var lines []string
	if err := c.readMultiLine(func(l []byte) error {
		lines = append(lines, string(l))
		return nil
	}); err != nil {
		return nil, err
	}
	c.caps = parseCapabilities(lines)
	return c.caps, nil
}

// StartTLS upgrades the connection with STLS (RFC 2595 4.). The server
// is verified against config.ServerName or, if config is nil or has
// none, against the host name given to Dial or DialTLS (never the
// peer's IP address, which the name may not match). A client made by
// NewClient knows no host name: give it a config with ServerName.
func (c *Client) StartTLS(ctx context.Context, config *tls.Config) error {
	if c.isTLS {
		return errors.New("pop3: TLS already active")
	}
	if config == nil || (config.ServerName == "" && !config.InsecureSkipVerify) {
		if c.host == "" {
			return errors.New("pop3: StartTLS needs a tls.Config with ServerName: the client does not know the server's name")
		}
		if config == nil {
			config = &tls.Config{}
		} else {
			config = config.Clone()
		}
		config.ServerName = c.host
	}
	if _, err := c.cmd(ctx, CmdSTLS); err != nil {
		return err
	}
	if c.br.Buffered() > 0 {
		// Data after "+OK" and before the handshake: an injection.
		return c.fail(&ProtocolError{Msg: "data after STLS response before TLS"})
	}
	tc := tls.Client(c.conn, config)
	end := c.watch(ctx)
	err := tc.HandshakeContext(ctx)
	end()
	if err != nil {
		return c.fail(err)
	}
	c.conn = tc
	c.br.Reset(tc)
	c.bw.Reset(tc)
	c.isTLS = true
	c.caps = nil // RFC 2595 4.: discard what was learnt before
	return nil
}

// User sends USER and Pass sends PASS (RFC 1939 7.). The password goes
// in the clear: send it over TLS (see sasl.AllowPlaintext).
func (c *Client) User(ctx context.Context, name string) error {
	_, err := c.cmd(ctx, CmdUser, name)
	return err
}

// Pass sends PASS after User; on success the session is in the
// TRANSACTION state.
func (c *Client) Pass(ctx context.Context, password string) error {
	if password == "" {
		return errors.New("pop3: empty password")
	}
	_, err := c.cmd(ctx, CmdPass, password)
	if err == nil {
		c.caps = nil
	}
	return err
}

// Login sends USER and PASS.
func (c *Client) Login(ctx context.Context, name, password string) error {
	if err := c.User(ctx, name); err != nil {
		return err
	}
	return c.Pass(ctx, password)
}

// APOP logs in with APOP (RFC 1939 7.): the MD5 digest of the
// greeting's timestamp and the shared secret.
func (c *Client) APOP(ctx context.Context, name, secret string) error {
	if c.timestamp == "" {
		return errors.New("pop3: server greeting has no APOP timestamp")
	}
	sum := md5.Sum([]byte(c.timestamp + secret))
	_, err := c.cmd(ctx, CmdAPOP, name, hex.EncodeToString(sum[:]))
	if err == nil {
		c.caps = nil
	}
	return err
}

// Auth logs in with a SASL mechanism (RFC 5034 4.). The initial
// response goes with the command when the line stays within 255 octets.
func (c *Client) Auth(ctx context.Context, a sasl.Client) error {
	if err := c.ready(); err != nil {
		return err
	}
	mech, ir, err := a.Start()
	if err != nil {
		return err
	}
	end := c.watch(ctx)
	defer end()
	args := []string{mech}
	if ir != nil {
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		if len(CmdAuth)+len(mech)+len(enc)+4 <= MaxCommandLength {
			args = append(args, enc)
			ir = nil
		}
	}
	if err := c.writeCommand(CmdAuth, args...); err != nil {
		return err
	}
	for {
		if err := c.bw.Flush(); err != nil {
			return c.fail(err)
		}
		line, err := c.readLine()
		if err != nil {
			return c.fail(err)
		}
		if len(line) >= 1 && line[0] == '+' && (len(line) == 1 || line[1] == ' ') {
			var resp []byte
			if ir != nil {
				resp, ir = ir, nil
			} else {
				ch, derr := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(line[1:]), " "))
				if derr == nil {
					resp, derr = a.Next(ch)
				}
				if derr != nil {
					// RFC 5034 4.: cancel with "*".
					c.bw.WriteString("*\r\n")
					if err := c.bw.Flush(); err != nil {
						return c.fail(err)
					}
					if _, err := c.readResponse(); err != nil {
						var pe *Error
						if !errors.As(err, &pe) {
							return c.fail(err)
						}
					}
					return derr
				}
			}
			c.bw.WriteString(base64.StdEncoding.EncodeToString(resp) + "\r\n")
			continue
		}
		r, err := ParseResponse(line)
		if err != nil {
			return c.fail(err)
		}
		if !r.OK {
			return &Error{Code: r.Code, Text: r.Text}
		}
		c.caps = nil
		return nil
	}
}

// Stat returns the number of messages and their total size (STAT, RFC
// 1939 5.).
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	r, err := c.cmd(ctx, CmdStat)
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(r.Text)
	if len(f) < 2 {
		return 0, 0, &ProtocolError{Line: r.Text, Msg: "bad STAT answer"}
	}
	count, err1 := strconv.Atoi(f[0])
	size, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || count < 0 || size < 0 {
		return 0, 0, &ProtocolError{Line: r.Text, Msg: "bad STAT answer"}
	}
	return count, size, nil
}

// MessageInfo is a line of LIST: a message number and its size.
type MessageInfo struct {
	Number int
	Size   int64
}

// UIDInfo is a line of UIDL: a message number and its unique-id.
type UIDInfo struct {
	Number int
	UID    string
}

// parseScanLine parses "n value".
func parseScanLine(s string) (int, string, bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0, "", false
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return n, f[1], true
}

func parseListLine(s string) (MessageInfo, error) {
	n, v, ok := parseScanLine(s)
	size, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil || size < 0 {
		return MessageInfo{}, &ProtocolError{Line: s, Msg: "bad LIST line"}
	}
	return MessageInfo{Number: n, Size: size}, nil
}

func parseUIDLine(s string) (UIDInfo, error) {
	n, v, ok := parseScanLine(s)
	if !ok {
		return UIDInfo{}, &ProtocolError{Line: s, Msg: "bad UIDL line"}
	}
	return UIDInfo{Number: n, UID: v}, nil
}

// List lists every message not marked deleted (LIST, RFC 1939 5.).
func (c *Client) List(ctx context.Context) ([]MessageInfo, error) {
	var out []MessageInfo
	err := c.listing(ctx, CmdList, func(s string) error {
		mi, err := parseListLine(s)
		out = append(out, mi)
		return err
	})
	return out, err
}

// ListOne returns the size of message n (LIST n).
func (c *Client) ListOne(ctx context.Context, n int) (MessageInfo, error) {
	r, err := c.cmd(ctx, CmdList, strconv.Itoa(n))
	if err != nil {
		return MessageInfo{}, err
	}
	return parseListLine(r.Text)
}

// UIDL lists the unique-ids of every message not marked deleted (UIDL,
// RFC 1939 7.).
func (c *Client) UIDL(ctx context.Context) ([]UIDInfo, error) {
	var out []UIDInfo
	err := c.listing(ctx, CmdUIDL, func(s string) error {
		ui, err := parseUIDLine(s)
		out = append(out, ui)
		return err
	})
	return out, err
}

// UIDLOne returns the unique-id of message n (UIDL n).
func (c *Client) UIDLOne(ctx context.Context, n int) (UIDInfo, error) {
	r, err := c.cmd(ctx, CmdUIDL, strconv.Itoa(n))
	if err != nil {
		return UIDInfo{}, err
	}
	return parseUIDLine(r.Text)
}

func (c *Client) listing(ctx context.Context, name string, fn func(string) error) error {
	if _, err := c.cmd(ctx, name); err != nil {
		return err
	}
	end := c.watch(ctx)
	defer end()
	return c.readMultiLine(func(l []byte) error { return fn(string(l)) })
}

// Retr retrieves message n (RETR, RFC 1939 5.). The message is read
// from the connection as the returned reader is read, dot-unstuffed,
// with CRLF line ends; ctx bounds the reading too. Close the reader (or
// read it to io.EOF) before the next command; the next command closes
// it otherwise, reading the rest of the message.
func (c *Client) Retr(ctx context.Context, n int) (io.ReadCloser, error) {
	return c.message(ctx, CmdRetr, strconv.Itoa(n))
}

// Top retrieves the header of message n and the first lines of its
// body (TOP, RFC 1939 7.), as Retr does.
func (c *Client) Top(ctx context.Context, n, lines int) (io.ReadCloser, error) {
	return c.message(ctx, CmdTop, strconv.Itoa(n), strconv.Itoa(lines))
}

func (c *Client) message(ctx context.Context, name string, args ...string) (io.ReadCloser, error) {
	if _, err := c.cmd(ctx, name, args...); err != nil {
		return nil, err
	}
	return c.openBody(ctx), nil
}

// openBody starts reading a multi-line body under ctx.
func (c *Client) openBody(ctx context.Context) *messageReader {
	m := &messageReader{c: c, r: newBodyReader(c), end: c.watch(ctx)}
	c.body = m
	return m
}

// newBodyReader returns an un-stuffing reader of the multi-line body
// that follows on the connection.
func newBodyReader(c *Client) *dotstuff.Reader { return dotstuff.NewReader(c.br, 0) }

// messageReader is a message body being read from the connection.
type messageReader struct {
	c    *Client
	r    *dotstuff.Reader
	end  func()
	err  error
	done bool
}

func (m *messageReader) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.r.Read(p)
	if err != nil {
		m.finish(err)
		return n, m.err
	}
	return n, nil
}

// finish records the end of the body: io.EOF, or the error that broke
// it. Lines longer than SMTP's 1000 octets are no error in POP3; a
// bare CR or LF from the server is reported (and the rest of that
// message is lost) but the connection stays usable.
func (m *messageReader) finish(err error) {
	if m.done {
		return
	}
	m.done = true
	m.end()
	m.c.body = nil
	switch {
	case errors.Is(err, dotstuff.ErrLineTooLong):
		err = io.EOF
	case err == io.EOF, errors.Is(err, dotstuff.ErrBareLineEnding):
	default:
		m.c.fail(err)
	}
	m.err = err
}

// Close reads the rest of the message, so the connection is ready for
// the next command.
func (m *messageReader) Close() error {
	if !m.done {
		_, err := io.Copy(io.Discard, m)
		if err != nil {
			return err
		}
	}
	if m.err == io.EOF || m.err == nil {
		return nil
	}
	if errors.Is(m.err, dotstuff.ErrBareLineEnding) {
		return nil
	}
	return m.err
}

// Dele marks message n deleted (DELE); the server removes it when the
// session ends with Quit.
func (c *Client) Dele(ctx context.Context, n int) error {
	_, err := c.cmd(ctx, CmdDele, strconv.Itoa(n))
	return err
}

// Rset removes every deletion mark (RSET).
func (c *Client) Rset(ctx context.Context) error {
	_, err := c.cmd(ctx, CmdRset)
	return err
}

// Noop does nothing but keep the session alive (NOOP).
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, CmdNoop)
	return err
}

// UTF8 switches the session to UTF-8 mode (RFC 6856 2.1).
func (c *Client) UTF8(ctx context.Context) error {
	_, err := c.cmd(ctx, CmdUTF8)
	return err
}

// Lang selects the language of the server's texts (RFC 6856 3.) and
// returns the language tag the server chose.
func (c *Client) Lang(ctx context.Context, lang string) (string, error) {
	r, err := c.cmd(ctx, CmdLang, lang)
	if err != nil {
		return "", err
	}
	tag, _, _ := strings.Cut(r.Text, " ")
	return tag, nil
}

// Languages lists the languages the server offers (LANG without
// argument): each a tag, optionally followed by a space and a
// description.
func (c *Client) Languages(ctx context.Context) ([]string, error) {
	var out []string
	err := c.listing(ctx, CmdLang, func(s string) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// Quit ends the session (QUIT): in the TRANSACTION state the server
// removes the messages marked deleted (RFC 1939 6.). It closes the
// connection; an *Error reports that the server could not remove them.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.cmd(ctx, CmdQuit)
	if errors.Is(err, ErrBusy) {
		return err
	}
	c.conn.Close()
	if c.err == nil {
		c.err = net.ErrClosed
	}
	return err
}
