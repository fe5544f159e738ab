package imap

// The client: a Client owns one connection and a reader goroutine
// (readLoop) that parses every response (fast path for FETCH lines in
// client_fastparse.go, the codec's ReadResponse otherwise, recovery of
// broken responses in client_recover.go) and dispatches it: a tagged
// response completes the command with that tag; "+" goes to the command
// holding the writer; untagged data is offered to the commands in
// flight, oldest first (each collects the kinds the RFC ties to it),
// then to the UnilateralHandler. Commands are written under a writer
// mutex, so several goroutines can pipeline them; commands whose
// untagged data could not be told apart wait for each other (kindOf).
// FETCH body sections are handed, as readers on the connection, to the
// goroutine that issued the FETCH (client_fetch.go).

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client defaults.
const (
	// DefaultClientReadBuffer is the size of the client's read buffer. It
	// bounds the part of a response line the client keeps to recover a
	// response the strict parser refused (see ClientOptions.OnParseError).
	DefaultClientReadBuffer = 64 << 10

	// DefaultDialTimeout bounds connecting and reading the greeting
	// when the context has no deadline.
	DefaultDialTimeout = 30 * time.Second

	// DefaultClientReadTimeout is how long the client waits for the
	// server's next bytes while a command other than IDLE is in
	// progress, when the command's context has no earlier deadline: a
	// server that stops answering does not hold the caller for ever.
	DefaultClientReadTimeout = 5 * time.Minute

	// DefaultIdleRestart is how often IdleWait ends IDLE and starts it
	// again: servers may drop a client idle for 30 minutes (RFC 2177 3).
	DefaultIdleRestart = 29 * time.Minute
)

// ErrClientClosed is returned by commands issued on, or waiting on, a
// client whose connection is closed. The error that closed it wraps it.
var ErrClientClosed = errors.New("imap: client connection closed")

// UnilateralHandler receives the untagged responses no command claimed:
// EXISTS, EXPUNGE, VANISHED, RECENT, FLAGS, FETCH updates, BYE and
// status responses such as "* OK [ALERT] ...". It runs on the client's
// reader goroutine: it must return promptly and must not wait for a
// command of the same client.
type UnilateralHandler func(Response)

// ClientOptions configures a Client. The zero value (or nil) works.
type ClientOptions struct {
	// Unilateral receives untagged data that no command claimed, and
	// also EXISTS, EXPUNGE, VANISHED, RECENT and FLAGS always, since
	// they change the caller's view of the mailbox.
	Unilateral UnilateralHandler

	// OnParseError is told of each response the strict parser refused;
	// the client recovers what it can (the tag and status of a tagged
	// response, the valid items of a FETCH) and goes on. raw holds the
	// beginning of the response line.
	OnParseError func(err error, raw []byte)

	// Limits bounds what the client buffers from the server. Body
	// sections streamed to a FetchHandler are not bounded by it.
	Limits Limits

	// TLSConfig is used by DialTLS, DialStartTLS and StartTLS; nil
	// means a config with the ServerName of the dialed host.
	TLSConfig *tls.Config

	// Dialer dials the connection; nil uses a zero net.Dialer.
	Dialer *net.Dialer

	// Logger receives debug logs; nil is silent.
	Logger *slog.Logger

	// ReadTimeout bounds the wait for the server's next bytes while a
	// command other than IDLE is in progress; the connection is closed
	// when it passes. 0 means DefaultClientReadTimeout, negative none.
	ReadTimeout time.Duration
}

// ConnState is the state of an IMAP connection (RFC 9051 3).
type ConnState int

// Connection states.
const (
	StateNotAuthenticated ConnState = iota
	StateAuthenticated
	StateSelected
	StateLogout
)

// Client is an IMAP client connection (RFC 3501, RFC 9051). Its methods
// may be called from several goroutines at once: commands are
// pipelined, each waits for its own tagged response. Every command
// takes a context; when it ends before the response, the connection is
// closed (IDLE ends with DONE instead), since the protocol has no way
// to abandon a command.
type Client struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	enc  *Encoder
	dec  *Decoder
	opts ClientOptions

	wmu sync.Mutex // serialises writing commands
	cw  *countWriter

	mu       sync.Mutex
	cmds     []*clientCmd // commands in the order they were sent
	tagNum   uint64
	caps     map[string]bool
	enabled  map[string]bool
	state    ConnState
	mailbox  string
	closeErr error
	greeting *StatusResponse
	reading  bool // reading the greeting, before the reader goroutine

	watchers map[uint64]func(Response)
	watchID  uint64

	// busy holds, per kind of untagged data that cannot be told apart
	// (see kindOf), the command in flight that collects it.
	busy map[string]*clientCmd

	// contWait is the command waiting for a continuation request (it
	// holds wmu while it waits, so there is at most one).
	contWait *clientCmd

	inHandler  atomic.Int32 // handlers running (UnilateralHandler, FetchHandler)
	readerDone chan struct{}
	closed     chan struct{}
	closeOnce  sync.Once
}

// clientCmd is a command waiting for its tagged response.
type clientCmd struct {
	tag  string
	name string
	kind string // see kindOf
	// collect is offered untagged data in the reader goroutine; it
	// returns true when the data belongs to the command.
	collect func(Response) bool
	// body streams FETCH body sections; nil discards them.
	body    BodyHandler
	afterOK func() error
	cont    chan *ContinuationRequest
	done    chan struct{}
	resp    *StatusResponse
	err     error
}

// Dial connects to addr (host:port) without TLS and reads the greeting.
func Dial(ctx context.Context, addr string, opts *ClientOptions) (*Client, error) {
	o := clientOpts(opts)
	conn, err := o.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return New(ctx, conn, opts)
}

// DialTLS connects to addr with implicit TLS (RFC 8314, port 993) and
// reads the greeting.
func DialTLS(ctx context.Context, addr string, opts *ClientOptions) (*Client, error) {
	o := clientOpts(opts)
	td := &tls.Dialer{NetDialer: o.Dialer, Config: tlsConfigFor(o.TLSConfig, addr)}
	conn, err := td.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return New(ctx, conn, opts)
}

// DialStartTLS connects to addr, reads the greeting and upgrades the
// connection with STARTTLS (RFC 9051 6.2.1).
func DialStartTLS(ctx context.Context, addr string, opts *ClientOptions) (*Client, error) {
	c, err := Dial(ctx, addr, opts)
	if err != nil {
		return nil, err
	}
	if err := c.StartTLS(ctx, tlsConfigFor(c.opts.TLSConfig, addr)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func clientOpts(opts *ClientOptions) ClientOptions {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	return o
}

func tlsConfigFor(cfg *tls.Config, addr string) *tls.Config {
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
	}
	return cfg
}

// New starts a client on conn: it reads the greeting (within ctx, or
// DefaultDialTimeout) and starts the reader goroutine. On error conn is
// closed.
func New(ctx context.Context, conn net.Conn, opts *ClientOptions) (*Client, error) {
	c := &Client{
		conn:       conn,
		opts:       clientOpts(opts),
		readerDone: make(chan struct{}),
		closed:     make(chan struct{}),
		enabled:    map[string]bool{},
	}
	c.setConn(conn)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultDialTimeout)
	}
	c.reading = true // New sets the deadline for the greeting
	conn.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	g, err := c.readGreeting()
	stop()
	c.reading = false
	conn.SetReadDeadline(time.Time{})
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("imap: greeting: %w", err)
	}
	c.greeting = g
	go c.readLoop()
	return c, nil
}

func (c *Client) setConn(conn net.Conn) {
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	c.setIO(&timeoutReader{c: c, conn: conn}, conn)
}

// timeoutReader sets the read deadline before each read from the
// connection: ReadTimeout ahead while a command other than IDLE waits.
type timeoutReader struct {
	c    *Client
	conn net.Conn
}

func (r *timeoutReader) Read(p []byte) (int, error) {
	r.c.armReadDeadline(r.conn)
	return r.conn.Read(p)
}

// armReadDeadline sets conn's read deadline for the commands in
// flight.
func (c *Client) armReadDeadline(conn net.Conn) {
	t := c.opts.ReadTimeout
	if c.reading {
		return // New sets the deadline for the greeting
	}
	if t == 0 {
		t = DefaultClientReadTimeout
	}
	if t < 0 {
		return
	}
	c.mu.Lock()
	busy := false
	for _, cmd := range c.cmds {
		busy = busy || cmd.name != "IDLE"
	}
	c.mu.Unlock()
	if busy {
		conn.SetReadDeadline(time.Now().Add(t))
	} else {
		conn.SetReadDeadline(time.Time{})
	}
}

// setIO makes the client read from r and write to w (the connection,
// or a compression layer over it).
func (c *Client) setIO(r io.Reader, w io.Writer) {
	c.br = bufio.NewReaderSize(r, DefaultClientReadBuffer)
	c.cw = &countWriter{w: w}
	c.bw = bufio.NewWriter(c.cw)
	c.dec = NewDecoder(c.br)
	c.dec.Limits = c.opts.Limits
	c.enc = NewEncoder(c.bw)
}

// readGreeting reads the server greeting (RFC 9051 7.1.1, 7.1.4, 7.1.5).
func (c *Client) readGreeting() (*StatusResponse, error) {
	r, err := c.readResponse()
	if err != nil {
		return nil, err
	}
	s, ok := r.(*StatusResponse)
	if !ok || s.Tag != "" || s.Type == StatusNO || s.Type == StatusBAD {
		return nil, fmt.Errorf("imap: bad greeting %T", r)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noteCode(s)
	switch s.Type {
	case StatusPREAUTH:
		c.state = StateAuthenticated
	case StatusBYE:
		return nil, s.Err()
	}
	return s, nil
}

// Greeting returns the server's greeting.
func (c *Client) Greeting() *StatusResponse { return c.greeting }

// State returns the connection state as the client last saw it.
func (c *Client) State() ConnState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Mailbox returns the name of the selected mailbox, "" when none.
func (c *Client) Mailbox() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mailbox
}

// Close closes the connection without LOGOUT. Waiting commands fail
// with ErrClientClosed.
//
// Called while a UnilateralHandler or FetchHandler runs it returns at
// once; otherwise it waits until the reader goroutine has stopped, so
// that no handler runs after it returns.
func (c *Client) Close() error {
	c.closeWith(ErrClientClosed)
	if c.inHandler.Load() == 0 {
		<-c.readerDone
	}
	return nil
}

// Done is closed when the connection is closed.
func (c *Client) Done() <-chan struct{} { return c.closed }

// Err returns why the connection closed, nil while it is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

func (c *Client) closeWith(err error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		if !errors.Is(err, ErrClientClosed) {
			err = fmt.Errorf("%w: %w", ErrClientClosed, err)
		}
		c.closeErr = err
		cmds := c.cmds
		c.cmds = nil
		c.busy = nil
		c.state = StateLogout
		conn := c.conn
		c.mu.Unlock()
		conn.Close()
		close(c.closed)
		for _, cmd := range cmds {
			cmd.finish(nil, err)
		}
	})
}

func (cmd *clientCmd) finish(resp *StatusResponse, err error) {
	cmd.resp, cmd.err = resp, err
	close(cmd.done)
}

// readResponse reads one response, recovering what it can of one the
// strict parser refuses.
func (c *Client) readResponse() (Response, error) {
	if r, ok := c.fastResponse(); ok {
		return r, nil
	}
	raw := c.peekLine()
	r, err := ReadResponse(c.dec, c.onBody)
	if err == nil || IsFatal(err) {
		return r, err
	}
	if c.opts.OnParseError != nil {
		c.opts.OnParseError(err, raw)
	}
	if rec := recoverResponse(raw, c.dec.Limits); rec != nil {
		return rec, nil
	}
	return nil, err
}

// peekLine returns a copy of the next line as far as it is buffered
// (up to the end of the line or of the read buffer), without reading
// it: what the recovery works from if the strict parser fails.
func (c *Client) peekLine() []byte {
	if _, err := c.br.Peek(1); err != nil {
		return nil
	}
	for {
		n := c.br.Buffered()
		buf, _ := c.br.Peek(n)
		if i := indexByte(buf, '\n'); i >= 0 {
			return append([]byte(nil), buf[:i+1]...)
		}
		if n >= c.br.Size() {
			return append([]byte(nil), buf...)
		}
		if _, err := c.br.Peek(n + 1); err != nil {
			buf, _ = c.br.Peek(c.br.Buffered())
			return append([]byte(nil), buf...)
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (c *Client) readLoop() {
	defer close(c.readerDone)
	for {
		r, err := c.readResponse()
		if err != nil {
			if IsFatal(err) {
				c.mu.Lock()
				bye := c.state == StateLogout
				c.mu.Unlock()
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					if bye {
						err = ErrClientClosed
					} else {
						err = fmt.Errorf("imap: server closed the connection: %w", err)
					}
				}
				c.closeWith(err)
				return
			}
			continue
		}
		c.dispatch(r)
	}
}

// onBody routes a FETCH body section to the first command that streams
// bodies; with none, the decoder discards it.
func (c *Client) onBody(seq uint32, item FetchItem, info LiteralInfo, r io.Reader) error {
	c.mu.Lock()
	var h BodyHandler
	for _, cmd := range c.cmds {
		if cmd.body != nil {
			h = cmd.body
			break
		}
	}
	c.mu.Unlock()
	if h == nil {
		return nil
	}
	return h(seq, item, info, r)
}

func (c *Client) dispatch(r Response) {
	switch r := r.(type) {
	case *ContinuationRequest:
		c.mu.Lock()
		w := c.contWait
		c.mu.Unlock()
		if w != nil {
			select {
			case w.cont <- r:
			default:
			}
		}
		return
	case *StatusResponse:
		if r.Tag != "" {
			c.complete(r)
			return
		}
		c.mu.Lock()
		c.noteCode(r)
		if r.Type == StatusBYE {
			c.state = StateLogout
		}
		c.mu.Unlock()
	case *CapabilityData:
		c.mu.Lock()
		c.setCaps(r.Caps)
		c.mu.Unlock()
	case *EnabledData:
		c.mu.Lock()
		for _, cp := range r.Caps {
			c.enabled[strings.ToUpper(cp)] = true
		}
		c.mu.Unlock()
	}
	always := false
	switch r.(type) {
	case *ExistsData, *ExpungeData, *VanishedData, *RecentData, *FlagsData:
		always = true
	}
	c.mu.Lock()
	cmds := append([]*clientCmd(nil), c.cmds...)
	var watchers []func(Response)
	for _, w := range c.watchers {
		watchers = append(watchers, w)
	}
	c.mu.Unlock()
	for _, w := range watchers {
		w(r)
	}
	claimed := false
	for _, cmd := range cmds {
		if cmd.collect != nil && cmd.collect(r) {
			claimed = true
			break
		}
	}
	if (!claimed || always) && c.opts.Unilateral != nil {
		c.inHandler.Add(1)
		c.opts.Unilateral(r)
		c.inHandler.Add(-1)
	}
}

// complete ends the command r answers.
func (c *Client) complete(r *StatusResponse) {
	c.mu.Lock()
	var cmd *clientCmd
	for i, x := range c.cmds {
		if x.tag == r.Tag {
			cmd = x
			c.cmds = append(c.cmds[:i:i], c.cmds[i+1:]...)
			c.unbusy(x)
			break
		}
	}
	c.noteCode(r)
	c.mu.Unlock()
	if cmd == nil {
		c.logf("response to unknown tag", "tag", r.Tag)
		return
	}
	if cmd.afterOK != nil && r.Type == StatusOK {
		if err := cmd.afterOK(); err != nil {
			cmd.finish(r, err)
			c.closeWith(err)
			return
		}
	}
	cmd.finish(r, nil)
}

func (c *Client) logf(msg string, args ...any) {
	if c.opts.Logger != nil {
		c.opts.Logger.Debug("imap client: "+msg, args...)
	}
}

// noteCode keeps what a response code says about the connection; c.mu
// is held.
func (c *Client) noteCode(r *StatusResponse) {
	if r.Code == "CAPABILITY" {
		if caps, ok := r.CodeArg.([]string); ok {
			c.setCaps(caps)
		}
	}
}

// setCaps replaces the capabilities; c.mu is held.
func (c *Client) setCaps(caps []string) {
	c.caps = make(map[string]bool, len(caps))
	for _, cp := range caps {
		c.caps[strings.ToUpper(cp)] = true
	}
}

// prepareEncoder sets the literal form and UTF-8 quoting from the
// capabilities and ENABLE (RFC 7888, RFC 6855 3); wmu is held.
func (c *Client) prepareEncoder() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.caps["LITERAL+"]:
		c.enc.Literals = LiteralPlus
	case c.caps["LITERAL-"]:
		c.enc.Literals = LiteralMinus
	default:
		c.enc.Literals = LiteralSync
	}
	c.enc.UTF8 = c.enabled["IMAP4REV2"] || c.enabled["UTF8=ACCEPT"]
}

// Caps returns the server's capabilities, upper case, asking with
// CAPABILITY when they are not known.
func (c *Client) Caps(ctx context.Context) (map[string]bool, error) {
	c.mu.Lock()
	caps := c.caps
	c.mu.Unlock()
	if caps != nil {
		return caps, nil
	}
	if _, err := c.Capability(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.caps, nil
}

// Has reports whether the server announced capability cp (such as
// "IDLE" or "AUTH=PLAIN"), asking with CAPABILITY when the
// capabilities are not known.
func (c *Client) Has(ctx context.Context, cp string) bool {
	caps, err := c.Caps(ctx)
	return err == nil && caps[strings.ToUpper(cp)]
}

// Enabled reports whether cp was enabled with ENABLE.
func (c *Client) Enabled(cp string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enabled[strings.ToUpper(cp)]
}

// invalidateCaps forgets the capabilities (after STARTTLS and login,
// RFC 9051 6.2.1, 6.2.3).
func (c *Client) invalidateCaps() {
	c.mu.Lock()
	c.caps = nil
	c.mu.Unlock()
}

// cmdSpec describes a command to run.
type cmdSpec struct {
	cmd     *Command
	collect func(Response) bool
	body    BodyHandler
	// raw, when set, writes the command's arguments (after the name)
	// for commands the codec does not know.
	raw func(e *Encoder) error
	// hold keeps the writer locked when start returns, for commands
	// whose exchange goes on (AUTHENTICATE, IDLE, STARTTLS): the caller
	// unlocks wmu.
	hold bool
	// onTag is told the command's tag before the command is sent.
	onTag func(tag string)
	// afterOK runs in the reader goroutine when the command completes
	// with OK, before anything more is read (the STARTTLS handshake).
	afterOK func() error
}

// start sends a command and returns it, pending. The caller waits with
// wait.
func (c *Client) start(ctx context.Context, s cmdSpec) (*clientCmd, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kind := ""
	if s.collect != nil {
		kind = kindOf(s.cmd.Name)
	}
	for {
		if kind != "" {
			// RFC 9051 5.5: the untagged data of two such commands in
			// flight could not be told apart; wait for the other one.
			c.mu.Lock()
			other := c.busy[kind]
			c.mu.Unlock()
			if other != nil {
				select {
				case <-other.done:
				case <-ctx.Done():
					return nil, context.Cause(ctx)
				}
				continue
			}
		}
		c.wmu.Lock()
		c.mu.Lock()
		if kind != "" && c.busy[kind] != nil {
			c.mu.Unlock()
			c.wmu.Unlock()
			continue
		}
		break
	}
	held := false
	defer func() {
		if !held {
			c.releaseWriter()
		}
	}()
	if c.closeErr != nil {
		err := c.closeErr
		c.mu.Unlock()
		return nil, err
	}
	c.tagNum++
	cmd := &clientCmd{
		tag:     "T" + strconv.FormatUint(c.tagNum, 10),
		name:    s.cmd.Name,
		kind:    kind,
		collect: s.collect,
		body:    s.body,
		afterOK: s.afterOK,
		cont:    make(chan *ContinuationRequest, 1),
		done:    make(chan struct{}),
	}
	c.cmds = append(c.cmds, cmd)
	if kind != "" {
		if c.busy == nil {
			c.busy = map[string]*clientCmd{}
		}
		c.busy[kind] = cmd
	}
	// A continuation request goes to the command holding the writer.
	c.contWait = cmd
	conn := c.conn
	c.mu.Unlock()
	if s.cmd.Name != "IDLE" {
		// The reader may be waiting with no deadline.
		c.armReadDeadline(conn)
	}
	c.prepareEncoder()
	s.cmd.Tag = cmd.tag
	if s.onTag != nil {
		s.onTag(cmd.tag)
	}
	enc := c.enc
	enc.OnSyncLiteral = func() error {
		_, err := c.waitContinue(ctx, cmd)
		return err
	}
	stop := context.AfterFunc(ctx, func() {
		c.closeWith(fmt.Errorf("imap: %s: %w", cmd.name, context.Cause(ctx)))
	})
	cw, bw := c.cw, c.bw
	written := func() int64 { return cw.n + int64(bw.Buffered()) }
	before := written()
	var err error
	if s.raw != nil {
		err = c.writeRaw(s.cmd, s.raw)
	} else {
		err = WriteCommand(c.enc, s.cmd)
	}
	stop()
	enc.OnSyncLiteral = nil
	if err != nil {
		c.forget(cmd)
		var ie *Error
		switch {
		case written() == before:
			// Nothing of the command left the client.
		case errors.As(err, &ie):
			// The server refused the command at a synchronising
			// literal: the stream is in step.
		default:
			c.closeWith(fmt.Errorf("imap: writing %s: %w", cmd.name, err))
		}
		return nil, err
	}
	held = s.hold
	return cmd, nil
}

// kindOf groups the commands whose untagged data cannot be told apart
// when two are in flight: FETCH responses (FETCH, STORE, SELECT under
// QRESYNC), SEARCH results, LIST responses, expunges, COPYUID. STATUS
// data names its mailbox and needs no group.
func kindOf(name string) string {
	switch name {
	case "FETCH", "STORE", "SELECT", "EXAMINE":
		return "FETCH"
	case "SEARCH", "SORT", "THREAD":
		return "SEARCH"
	case "LIST", "LSUB":
		return "LIST"
	case "COPY", "MOVE":
		return "MOVE"
	case "STATUS":
		return ""
	}
	return name
}

// unbusy ends cmd's hold on its kind; c.mu is held.
func (c *Client) unbusy(cmd *clientCmd) {
	if cmd.kind != "" && c.busy[cmd.kind] == cmd {
		delete(c.busy, cmd.kind)
	}
}

// releaseWriter unlocks the writer; continuation requests then go
// nowhere.
func (c *Client) releaseWriter() {
	c.mu.Lock()
	c.contWait = nil
	c.mu.Unlock()
	c.wmu.Unlock()
}

// writeRaw writes "tag NAME" then what raw writes, then CRLF.
func (c *Client) writeRaw(cmd *Command, raw func(e *Encoder) error) error {
	e := c.enc
	e.begin()
	e.Raw(cmd.Tag).SP()
	if cmd.UID {
		e.Raw("UID ")
	}
	e.Atom(cmd.Name)
	if err := raw(e); err != nil {
		e.abort()
		return err
	}
	if err := e.Err(); err != nil {
		e.abort()
		return err
	}
	return e.CRLF().Flush()
}

// forget removes a command that was not (completely) sent.
func (c *Client) forget(cmd *clientCmd) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unbusy(cmd)
	for i, x := range c.cmds {
		if x == cmd {
			c.cmds = append(c.cmds[:i:i], c.cmds[i+1:]...)
			return
		}
	}
}

// waitContinue waits for the continuation request for cmd, which holds
// wmu. If the server answers the command instead, its error is
// returned.
func (c *Client) waitContinue(ctx context.Context, cmd *clientCmd) (*ContinuationRequest, error) {
	r, done, err := c.waitContOrDone(ctx, cmd)
	if err != nil || !done {
		return r, err
	}
	if cmd.err != nil {
		return nil, cmd.err
	}
	if err := cmd.resp.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("imap: %s: server completed the command without a continuation request", cmd.name)
}

// waitContOrDone waits for a continuation request for cmd or its
// completion (done).
func (c *Client) waitContOrDone(ctx context.Context, cmd *clientCmd) (*ContinuationRequest, bool, error) {
	select {
	case r := <-cmd.cont:
		return r, false, nil
	case <-cmd.done:
		return nil, true, nil
	case <-ctx.Done():
		return nil, false, context.Cause(ctx)
	}
}

// wait waits for cmd's tagged response. If ctx ends first, the
// connection is closed: the command cannot be abandoned otherwise.
func (c *Client) wait(ctx context.Context, cmd *clientCmd) (*StatusResponse, error) {
	select {
	case <-cmd.done:
	case <-ctx.Done():
		c.closeWith(fmt.Errorf("imap: %s: %w", cmd.name, context.Cause(ctx)))
		<-cmd.done
		return nil, fmt.Errorf("imap: %s: %w", cmd.name, context.Cause(ctx))
	}
	if cmd.err != nil {
		return nil, cmd.err
	}
	return cmd.resp, cmd.resp.Err()
}

// run sends a command and waits for its completion.
func (c *Client) run(ctx context.Context, s cmdSpec) (*StatusResponse, error) {
	cmd, err := c.start(ctx, s)
	if err != nil {
		return nil, err
	}
	return c.wait(ctx, cmd)
}

// execute runs a command whose untagged responses of the given types
// are collected and returned.
func (c *Client) execute(ctx context.Context, cmd *Command, want func(Response) bool) (*StatusResponse, []Response, error) {
	var mu sync.Mutex
	var got []Response
	collect := func(r Response) bool {
		if want == nil || !want(r) {
			return false
		}
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		return true
	}
	st, err := c.run(ctx, cmdSpec{cmd: cmd, collect: collect})
	mu.Lock()
	defer mu.Unlock()
	return st, got, err
}

// Execute sends an arbitrary command and returns its tagged response and
// the untagged responses that want accepts (nil accepts none; the
// others go to the UnilateralHandler). A NO or BAD is returned as an
// *Error along with the response.
func (c *Client) Execute(ctx context.Context, cmd *Command, want func(Response) bool) (*StatusResponse, []Response, error) {
	cp := *cmd
	return c.execute(ctx, &cp, want)
}

// countWriter counts what was written to the connection.
type countWriter struct {
	w io.Writer
	n int64
}

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n += int64(n)
	return n, err
}
