package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postkit/postkit/sasl"
)

// ErrClientClosed is returned by a Client after Close or Quit, or after
// a failure that left the connection out of sync.
var ErrClientClosed = errors.New("smtp: client closed")

// errBadArg reports a caller-supplied argument that cannot go on the wire.
func errBadArg(what string) error {
	return errors.New("smtp: " + what + " contains CR, LF, NUL or another control character")
}

// Client is an SMTP client connection (RFC 5321), or an LMTP one
// (RFC 2033) when LMTP is set before Hello. A Client is not safe for
// concurrent use.
//
// Every method that talks to the server honours its context: the
// context's deadline becomes the connection's deadline, and cancelling
// the context unblocks the call. A call interrupted so, or one that gets
// a reply the codec cannot parse, leaves the connection out of sync: the
// Client then refuses further commands and should be closed.
type Client struct {
	// LocalName is the name sent with EHLO or HELO when a command needs
	// a greeting first and Hello was not called; "localhost" if empty.
	LocalName string
	// LMTP makes Hello send LHLO and DATA read one reply per accepted
	// recipient (RFC 2033 4.2).
	LMTP bool
	// ChunkSize is the BDAT chunk size Send uses for BINARYMIME
	// messages; 0 means DefaultChunkSize.
	ChunkSize int

	conn    net.Conn
	host    string // server name, for TLS and sasl.AllowPlaintext
	br      *bufio.Reader
	bw      *bufio.Writer
	tls     bool
	err     error // sticky: connection out of sync or closed
	helloD  bool
	ext     map[string]string // EHLO keywords, upper-case, to parameters
	auth    []string          // AUTH mechanisms
	size    int64             // SIZE limit, 0 for none or unknown
	rcptMax int               // LIMITS RCPTMAX (RFC 9422), 0 for none
	inTx    bool              // MAIL accepted and the transaction not ended
	rcpts   int               // recipients accepted in the transaction
}

// Dial connects to the SMTP server at addr ("host:port") and reads its
// greeting.
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	return newClient(ctx, conn, host)
}

// DialTLS connects to addr over implicit TLS (RFC 8314 3.3, the
// submissions port 465) and reads the greeting. A nil cfg uses the
// defaults with ServerName set from addr.
func DialTLS(ctx context.Context, addr string, cfg *tls.Config) (*Client, error) {
	host, _, _ := net.SplitHostPort(addr)
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c, err := newClient(ctx, conn, host)
	if c != nil {
		c.tls = true
	}
	return c, err
}

// NewClient returns a Client on conn, an established connection to host,
// after reading the server's 220 greeting (RFC 5321 3.1). A greeting
// that refuses (554) is returned as an *Error and conn closed. host is
// used as the TLS server name and to decide whether AUTH may send a
// password in the clear (sasl.AllowPlaintext).
func NewClient(conn net.Conn, host string) (*Client, error) {
	return newClient(context.Background(), conn, host)
}

func newClient(ctx context.Context, conn net.Conn, host string) (*Client, error) {
	c := &Client{conn: conn, host: host}
	c.br = bufio.NewReader(conn)
	c.bw = bufio.NewWriter(conn)
	if _, ok := conn.(*tls.Conn); ok {
		c.tls = true
	}
	end := c.watch(ctx)
	r, err := c.readReply()
	err = end(err)
	if err == nil && r.Code != 220 {
		err = r.Err()
		if err == nil {
			err = &ProtocolError{"greeting code " + strconv.Itoa(r.Code)}
		}
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// watch arms ctx on the connection: its deadline becomes the
// connection's, and its cancellation makes blocked I/O fail at once. The
// returned function disarms it and maps an I/O error caused by ctx to
// ctx.Err(), marking the connection out of sync.
func (c *Client) watch(ctx context.Context) func(error) error {
	if d, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(d)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.conn.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func(err error) error {
		if !stop() {
			<-fired
			c.conn.SetDeadline(time.Time{})
		} else if _, ok := ctx.Deadline(); ok {
			c.conn.SetDeadline(time.Time{})
		}
		if err == nil {
			return nil
		}
		if _, isSMTP := err.(*Error); !isSMTP {
			if ctx.Err() != nil {
				err = ctx.Err()
			} else if d, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
				// The connection's deadline, which is ctx's, fired
				// before ctx's own timer.
				err = context.DeadlineExceeded
			}
		}
		var se *Error
		if !errors.As(err, &se) && c.err == nil {
			c.err = err
		}
		return err
	}
}

func (c *Client) readReply() (*Reply, error) {
	r, err := ParseReply(c.br)
	if err != nil {
		if c.err == nil {
			c.err = err
		}
		return nil, err
	}
	return r, nil
}

// writeLine buffers one command line; flush sends it.
func (c *Client) writeLine(parts ...string) {
	for _, p := range parts {
		c.bw.WriteString(p)
	}
	c.bw.WriteString("\r\n")
}

// cmd sends one command line and reads its reply. A 4xx or 5xx reply is
// returned as an *Error along with the reply.
func (c *Client) cmd(ctx context.Context, parts ...string) (*Reply, error) {
	if c.err != nil {
		return nil, c.err
	}
	end := c.watch(ctx)
	c.writeLine(parts...)
	err := c.bw.Flush()
	var r *Reply
	if err == nil {
		r, err = c.readReply()
	}
	if err = end(err); err != nil {
		return nil, err
	}
	return r, r.Err()
}

// safe reports whether s may go into a command line: no control
// characters (RFC 5321 2.3.8 forbids bare CR and LF; NUL and the rest
// have no business in a command).
func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// Hello sends EHLO (RFC 5321 4.1.1.1), or LHLO in LMTP mode, and records
// the extensions the server offers. If the server does not know EHLO
// (500 or 502), it falls back to HELO and no extensions. An empty
// localName means c.LocalName, then "localhost".
func (c *Client) Hello(ctx context.Context, localName string) error {
	if localName == "" {
		localName = c.LocalName
	}
	if localName == "" {
		localName = "localhost"
	}
	if !safe(localName) || strings.ContainsRune(localName, ' ') {
		return errBadArg("local name")
	}
	c.LocalName = localName
	verb := "EHLO "
	if c.LMTP {
		verb = "LHLO "
	}
	r, err := c.cmd(ctx, verb, localName)
	var se *Error
	if err != nil && !c.LMTP && errors.As(err, &se) && (se.Code == 500 || se.Code == 502) {
		r, err = c.cmd(ctx, "HELO ", localName)
		if err == nil {
			c.ext, c.auth, c.size = nil, nil, 0
			c.helloD = true
		}
		return err
	}
	if err != nil {
		return err
	}
	if r.Code != 250 {
		return c.unexpected(r)
	}
	c.parseExtensions(r.Lines)
	c.helloD = true
	return nil
}

func (c *Client) unexpected(r *Reply) error {
	err := &ProtocolError{"unexpected reply code " + strconv.Itoa(r.Code)}
	if c.err == nil {
		c.err = err
	}
	return err
}

// parseExtensions reads the EHLO keywords (RFC 5321 4.1.1.1: ehlo-line
// after the greeting line), SIZE (RFC 1870) and AUTH (RFC 4954).
func (c *Client) parseExtensions(lines []string) {
	c.ext = make(map[string]string, len(lines))
	c.auth, c.size, c.rcptMax = nil, 0, 0
	for _, l := range lines[1:] {
		kw, params, _ := strings.Cut(strings.TrimSpace(l), " ")
		if kw == "" {
			continue
		}
		kw = strings.ToUpper(kw)
		params = strings.TrimSpace(params)
		if strings.HasPrefix(kw, "AUTH=") {
			// The pre-standard form some servers still send.
			kw, params = "AUTH", kw[5:]+" "+params
			if _, ok := c.ext[kw]; ok {
				continue
			}
		}
		c.ext[kw] = params
		switch kw {
		case "LIMITS":
			// RFC 9422 4.: limit *(SP limit), limit = name "=" value.
			for _, f := range strings.Fields(params) {
				name, v, _ := strings.Cut(f, "=")
				if n, err := strconv.Atoi(v); err == nil && n > 0 && strings.EqualFold(name, "RCPTMAX") {
					c.rcptMax = n
				}
			}
		case "SIZE":
			if n, err := strconv.ParseInt(params, 10, 64); err == nil && n > 0 {
				c.size = n
			}
		case "AUTH":
			for _, m := range strings.Fields(params) {
				c.auth = append(c.auth, strings.ToUpper(m))
			}
		}
	}
}

// Extension reports whether the server offered the EHLO keyword name
// (case-insensitive) and its parameters. It calls for Hello first.
func (c *Client) Extension(name string) (bool, string) {
	p, ok := c.ext[strings.ToUpper(name)]
	return ok, p
}

// MaxMessageSize returns the SIZE the server declared (RFC 1870), or 0
// when it declared none.
func (c *Client) MaxMessageSize() int64 { return c.size }

// AuthMechanisms returns the SASL mechanisms the server offered
// (RFC 4954 3.), upper-case.
func (c *Client) AuthMechanisms() []string { return c.auth }

// MaxRecipients returns the recipients per transaction the server
// declared with LIMITS RCPTMAX (RFC 9422), or 0 when it declared none.
// Send keeps to it.
func (c *Client) MaxRecipients() int { return c.rcptMax }

// TLS reports whether the connection is encrypted.
func (c *Client) TLS() bool { return c.tls }

func (c *Client) hello(ctx context.Context) error {
	if c.helloD {
		return nil
	}
	return c.Hello(ctx, "")
}

// StartTLS sends STARTTLS (RFC 3207 4.), does the TLS handshake and
// sends EHLO again, as the server forgets what it said before (RFC 3207
// 4.2). A nil cfg uses ServerName set to the host given to NewClient.
func (c *Client) StartTLS(ctx context.Context, cfg *tls.Config) error {
	if err := c.hello(ctx); err != nil {
		return err
	}
	if c.tls {
		return errors.New("smtp: STARTTLS on an encrypted connection")
	}
	if !c.has("STARTTLS") {
		return errors.New("smtp: server does not offer STARTTLS")
	}
	if _, err := c.cmd(ctx, "STARTTLS"); err != nil {
		return err
	}
	if c.br.Buffered() > 0 {
		// RFC 3207 5.: data after the 220 was sent in the clear and
		// could have been injected (CVE-2011-0411).
		c.err = &ProtocolError{"data after STARTTLS reply"}
		return c.err
	}
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.host
	}
	tc := tls.Client(c.conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.err = err
		return err
	}
	c.conn = tc
	c.br.Reset(tc)
	c.bw.Reset(tc)
	c.tls = true
	c.helloD = false
	c.ext, c.auth, c.size = nil, nil, 0
	return c.Hello(ctx, c.LocalName)
}

// plaintextMech reports whether mech sends a secret in the clear.
func plaintextMech(mech string) bool {
	switch strings.ToUpper(mech) {
	case sasl.Plain, sasl.Login, sasl.XOAuth2, sasl.OAuthBearer:
		return true
	}
	return false
}

// Auth authenticates with a (RFC 4954). Mechanisms that send the
// password or token in the clear are refused on an unencrypted
// connection unless the server is on the local machine
// (sasl.AllowPlaintext). The initial response goes with the AUTH command
// ("=" when empty) unless the line would pass 512 octets. A refusal is an
// *Error (535 for bad credentials, RFC 4954 6.).
func (c *Client) Auth(ctx context.Context, a sasl.Client) error {
	if err := c.hello(ctx); err != nil {
		return err
	}
	mech, ir, err := a.Start()
	if err != nil {
		return err
	}
	if !safe(mech) || strings.ContainsRune(mech, ' ') || mech == "" {
		return errBadArg("SASL mechanism")
	}
	if plaintextMech(mech) && !sasl.AllowPlaintext(c.host, c.tls) {
		return errors.New("smtp: refusing " + mech + " without TLS to " + c.host)
	}
	if !slices.Contains(c.auth, strings.ToUpper(mech)) {
		return errors.New("smtp: the server does not offer AUTH " + mech)
	}
	parts := []string{"AUTH ", mech}
	if ir != nil {
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		// RFC 4954 4.: a line past 512 octets waits for the challenge.
		if len(enc)+len(mech)+8 <= MaxCommandLineLength {
			parts = append(parts, " ", enc)
			ir = nil
		}
	}
	r, err := c.cmd(ctx, parts...)
	for err == nil && r.Code == 334 {
		var resp []byte
		var chal []byte
		text := strings.Join(r.Lines, "")
		if chal, err = base64.StdEncoding.DecodeString(text); err != nil {
			// RFC 4954 4.: cancel with "*".
			c.cmd(ctx, "*")
			return &ProtocolError{"malformed AUTH challenge"}
		}
		if ir != nil {
			resp, ir = ir, nil
		} else if resp, err = a.Next(chal); err != nil {
			var oe *sasl.OAuthError
			if errors.As(err, &oe) && resp != nil {
				c.cmd(ctx, base64.StdEncoding.EncodeToString(resp))
			} else {
				c.cmd(ctx, "*")
			}
			return err
		}
		r, err = c.cmd(ctx, base64.StdEncoding.EncodeToString(resp))
	}
	if err != nil {
		return err
	}
	if r.Code != 235 {
		return c.unexpected(r)
	}
	return nil
}

// Reset sends RSET (RFC 5321 4.1.1.5), ending any mail transaction.
func (c *Client) Reset(ctx context.Context) error {
	if err := c.hello(ctx); err != nil {
		return err
	}
	_, err := c.cmd(ctx, "RSET")
	if err == nil {
		c.inTx, c.rcpts = false, 0
	}
	return err
}

// Noop sends NOOP (RFC 5321 4.1.1.9).
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, "NOOP")
	return err
}

// Verify sends VRFY (RFC 5321 4.1.1.6) and returns the server's text.
// Many servers answer 252 (cannot verify, will try) or refuse.
func (c *Client) Verify(ctx context.Context, addr string) (string, error) {
	if !safe(addr) {
		return "", errBadArg("address")
	}
	if err := c.hello(ctx); err != nil {
		return "", err
	}
	r, err := c.cmd(ctx, "VRFY ", addr)
	if err != nil {
		return "", err
	}
	return r.Message(), nil
}

// Quit sends QUIT (RFC 5321 4.1.1.10), reads the reply and closes the
// connection.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.cmd(ctx, "QUIT")
	cerr := c.Close()
	if err == nil && cerr != nil && !errors.Is(cerr, ErrClientClosed) {
		err = cerr
	}
	return err
}

// Close closes the connection without QUIT.
func (c *Client) Close() error {
	if errors.Is(c.err, ErrClientClosed) {
		return nil
	}
	c.err = ErrClientClosed
	return c.conn.Close()
}
