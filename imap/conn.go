package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/postkit/postkit/internal/netserver"
	"github.com/postkit/postkit/mailbox"
)

// connState is a connection state of RFC 9051 3.
type connState int

const (
	stateNotAuth connState = iota
	stateAuth
	stateSelected
	stateLogout
)

// conn is one client connection and its session.
type conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	dec    *Decoder
	enc    *Encoder
	ctx    context.Context
	cancel context.CancelFunc

	implicitTLS bool
	readTimeout atomic.Int64 // time.Duration of silence allowed

	mu     sync.Mutex // guards idle, closed and nc against Shutdown and Close
	idle   bool
	closed bool

	tlsState *tls.ConnectionState
	state    connState
	identity string
	acct     mailbox.Account
	sel      *selected

	rev2         bool // ENABLE IMAP4rev2 (RFC 9051 6.3.1)
	utf8Accept   bool // ENABLE UTF8=ACCEPT (RFC 6855 3)
	condStore    bool // the client is CONDSTORE-aware (RFC 7162 3.1)
	qresync      bool // ENABLE QRESYNC (RFC 7162 3.2.3)
	errors       int
	authFailures int
	// broken is set when a write failed: the stream is out of step.
	broken bool
	// appendPending is set while the end of an APPEND is unread;
	// appendCancel while the rest of a failed one is discarded.
	appendPending, appendCancel bool

	// idleSt is set, under mu, while the session waits in IDLE without
	// a reader goroutine (conn_idle.go).
	idleSt *idleState
	// first is the byte that ended that wait; hasFirst says it is yet
	// to be read through the decoder.
	first    [1]byte
	hasFirst bool

	// zw is the DEFLATE layer once COMPRESS is on (conn_compress.go).
	zw *compressWriter

	// wmu is held by whoever owns the session's state and its writer:
	// the command loop, but for while it waits for a command (reading
	// is then set) or for the DONE of an IDLE under NOTIFY; the NOTIFY
	// deliverer takes it in between (conn_notify.go).
	wmu     sync.Mutex
	reading bool
	// meta is the unsolicited METADATA of the session after ENABLE
	// METADATA (conn_metadata.go), guarded by wmu.
	meta *metaUnsolicited

	// ctxFetch holds the UPDATE fetch attributes of new messages that
	// NOTIFY's FETCH of them carries too (conn_context_fetch.go).
	ctxFetch map[mailbox.UID][]FetchItem

	// keyGen is the generation of the user's RESETKEYs the session
	// has seen (keyResets, conn_urlauth.go).
	keyGen uint64

	// ownNew holds the messages this session's APPEND, COPY, MOVE or
	// REPLACE put in the selected mailbox until the update that reports
	// them: NOTIFY and UPDATE send no FETCH for them (RFC 5465 5.2).
	ownNew mailbox.UIDSet
	// ntf is the NOTIFY SET in effect, nil before NOTIFY and after
	// NOTIFY NONE; idling is set while IDLE waits under it.
	ntf    *notifyState
	idling bool
	// notifying tells CloseIfIdle, which may not take wmu, whether a
	// NOTIFY deliverer may be writing (set while ntf is).
	notifying atomic.Bool
}

// endAppend reads and drops what is left of an APPEND command that
// was answered before all of it was read (conn_multiappend.go).
func (c *conn) endAppend() {
	if c.appendPending {
		c.discardAppend()
	}
}

func newConn(s *Server, nc net.Conn, implicitTLS bool) *conn {
	c := &conn{srv: s, nc: nc, implicitTLS: implicitTLS}
	c.readTimeout.Store(int64(orDefault(s.LoginTimeout, DefaultLoginTimeout)))
	c.br = bufio.NewReaderSize(deadlineReader{c}, 4096)
	c.bw = bufio.NewWriterSize(deadlineWriter{c}, 4096)
	c.dec = NewDecoder(c.br)
	c.dec.Limits = Limits{
		MaxLineLength:   s.MaxLineLength,
		MaxCommandBytes: s.MaxCommandBytes,
	}
	c.dec.OnLiteral = c.onLiteral
	c.enc = NewEncoder(c.bw)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// deadlineReader reads from the connection with a fresh read deadline
// for each read: a client may take as long as it likes in all, as long
// as it is never silent for longer than the timeout of its state.
type deadlineReader struct{ c *conn }

func (d deadlineReader) Read(p []byte) (int, error) {
	if d.c.hasFirst && len(p) > 0 {
		d.c.hasFirst = false
		p[0] = d.c.first[0]
		return 1, nil
	}
	d.c.mu.Lock()
	nc := d.c.nc
	d.c.mu.Unlock()
	nc.SetReadDeadline(time.Now().Add(time.Duration(d.c.readTimeout.Load())))
	return nc.Read(p)
}

// deadlineWriter writes to the connection with a fresh write deadline
// for each write: a large FETCH takes as long as it takes, as long as
// the client keeps reading.
type deadlineWriter struct{ c *conn }

func (d deadlineWriter) Write(p []byte) (int, error) {
	d.c.mu.Lock()
	nc := d.c.nc
	d.c.mu.Unlock()
	nc.SetWriteDeadline(time.Now().Add(orDefault(d.c.srv.WriteTimeout, DefaultWriteTimeout)))
	return nc.Write(p)
}

func (c *conn) log() *slog.Logger {
	return c.srv.logger().With("remote", c.nc.RemoteAddr().String())
}

// setConn replaces the connection under c (PROXY, TLS).
func (c *conn) setConn(nc net.Conn) {
	c.mu.Lock()
	c.nc = nc
	c.mu.Unlock()
}

// CloseIfIdle sends BYE and closes the connection if it waits for a
// command. Called by Shutdown; a session in IDLE watches the server's
// shutdown channel instead, or, waiting without a reader goroutine, is
// woken here to say goodbye.
func (c *conn) CloseIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.idleSt; st != nil && !c.closed {
		go c.idleWake(st, true)
		return
	}
	if !c.idle || c.closed {
		return
	}
	c.closed = true
	// Under NOTIFY the writer is the deliverer's while it holds wmu: the
	// BYE goes out only if wmu is free, never interleaved with (or,
	// under COMPRESS, racing in the compressor with) a batch of updates.
	// A deliverer mid-batch waits for mu, so waiting for wmu here would
	// deadlock; the connection then closes without the BYE. Without
	// NOTIFY nobody writes while the session waits for a command.
	notifying := c.notifying.Load()
	if !notifying || c.wmu.TryLock() {
		c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		if c.zw != nil {
			// The compressor writes through deadlineWriter, which takes mu.
			c.mu.Unlock()
			c.zw.writeLine(byeShutdown)
			c.mu.Lock()
		} else {
			io.WriteString(c.nc, byeShutdown)
		}
		if notifying {
			c.wmu.Unlock()
		}
	}
	c.nc.Close()
}

// Close closes the connection without a word, busy or not, and cancels
// the session's mailbox operations. Called by Server.Close.
func (c *conn) Close() {
	c.mu.Lock()
	c.closed = true
	c.nc.Close()
	c.mu.Unlock()
	c.cancel()
}

const byeShutdown = "* BYE [UNAVAILABLE] Server shutting down\r\n"

// setIdle marks the connection as waiting for a command; it reports
// false if Shutdown closed it.
func (c *conn) setIdle(idle bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = idle
	return !c.closed
}

func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			c.log().Error("imap: panic serving connection", "panic", r, "stack", string(debug.Stack()))
		}
		c.wmu.Lock() // the NOTIFY deliverer may hold it
		c.endNotify()
		c.stopMetadataUnsolicited()
		c.closeSelected()
		c.wmu.Unlock()
		if c.acct != nil {
			c.acct.Close()
		}
		c.cancel()
		c.mu.Lock()
		c.closed = true
		c.nc.Close()
		c.mu.Unlock()
		c.srv.conns.Remove(c)
	}()

	if c.srv.ProxyProtocol {
		pc, ok := netserver.ReadProxyHeader(c.nc, c.log(), "imap")
		if !ok {
			return
		}
		c.setConn(pc)
	}
	// RFC 9051 7.1.5: a connection over a cap gets BYE instead of the
	// greeting.
	if !c.srv.conns.ClaimIP(c, c.nc.RemoteAddr(), netserver.Limit(c.srv.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP)) {
		netserver.Refuse(c.nc, refusal(c.implicitTLS))
		return
	}
	if c.implicitTLS {
		c.setConn(tls.Server(c.nc, c.srv.TLSConfig))
	}
	if tc, ok := c.nc.(*tls.Conn); ok {
		ctx, cancel := context.WithTimeout(c.ctx, orDefault(c.srv.LoginTimeout, DefaultLoginTimeout))
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return
		}
		st := tc.ConnectionState()
		c.tlsState = &st
	}
	// RFC 9051 7.1.1: the greeting, with the capabilities.
	c.write(&StatusResponse{Type: StatusOK, Code: "CAPABILITY", CodeArg: c.capabilities(), Text: "IMAP4rev2 server ready"})
	c.loop()
}

// loop reads and answers commands until the connection ends.
func (c *conn) loop() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for {
		if c.broken {
			return
		}
		// Pipelining (RFC 9051 5.5): answers are written when no more
		// input is waiting, so a batch of commands gets one batch of
		// answers.
		if c.br.Buffered() == 0 {
			if c.flush() != nil {
				return
			}
		}
		if c.srv.conns.ShuttingDown() {
			c.bye(byeShutdown)
			return
		}
		if !c.setIdle(c.br.Buffered() == 0) {
			return
		}
		c.pokeNotify()
		c.reading = true
		c.wmu.Unlock()
		cmd, err := ReadCommand(c.dec)
		c.wmu.Lock()
		c.reading = false
		if !c.setIdle(false) {
			return
		}
		if err != nil {
			if !c.readError(err) {
				c.flush()
				return
			}
			continue
		}
		if !c.handle(cmd) {
			c.flush()
			return
		}
	}
}

// readError answers a command ReadCommand refused; it reports false
// when the connection must close.
func (c *conn) readError(err error) bool {
	var ce *CommandError
	if !errors.As(err, &ce) {
		// Fatal: I/O, or a limit that leaves the stream out of step.
		switch {
		case errors.Is(err, ErrLineTooLong), errors.Is(err, ErrCommandTooLong):
			c.bye("* BYE [TOOBIG] Command too long\r\n")
		case errors.Is(err, ErrTooDeep):
			c.bye("* BYE Command nested too deep\r\n")
		default:
			var le *LiteralRefusedError
			if errors.As(err, &le) {
				c.bye("* BYE [TOOBIG] Literal too big\r\n")
			} else {
				c.readFailed(err)
			}
		}
		return false
	}
	var le *LiteralRefusedError
	if errors.As(ce.Err, &le) {
		if (ce.Name == "APPEND" || ce.Name == "REPLACE") && errors.Is(le.Err, errAppendSize) {
			// RFC 7889 4: NO [TOOBIG] for a message over APPENDLIMIT.
			c.tagged(ce.Tag, StatusNO, "TOOBIG", nil, "Message too big")
			return true
		}
		return c.bad(ce.Tag, "TOOBIG", "Literal too big")
	}
	if errors.Is(ce.Err, ErrUnknownCommand) {
		return c.bad(ce.Tag, "", "Unknown command")
	}
	var se *SyntaxError
	if errors.As(ce.Err, &se) {
		return c.bad(ce.Tag, "", "Syntax error: "+se.Msg)
	}
	return c.bad(ce.Tag, "", "Invalid command")
}

var (
	errLoginFirst = errors.New("imap: literal too big before login")
	errAppendSize = errors.New("imap: literal over APPENDLIMIT")
)

// onLiteral checks a literal's size before any of it is read and sends
// the continuation request for a synchronising one (RFC 9051 7.5).
// Before login only small literals are taken, so that a stranger cannot
// make the server read much.
func (c *conn) onLiteral(l LiteralInfo) error {
	if c.state == stateNotAuth && l.Size > maxUnauthLiteral {
		return errLoginFirst
	}
	if l.Size > c.srv.maxAppendBytes() {
		return errAppendSize
	}
	if c.appendCancel && l.Sync {
		return errAppendCancelled
	}
	if l.Sync {
		if c.reading {
			// Between commands the NOTIFY deliverer may be writing.
			c.wmu.Lock()
			defer c.wmu.Unlock()
		}
		c.write(&ContinuationRequest{Text: "Ready for literal data"})
		return c.flush()
	}
	return nil
}

func (c *conn) flush() error {
	err := c.enc.Flush()
	if err == nil && c.zw != nil {
		err = c.zw.Flush()
	}
	if err != nil {
		c.broken = true
	}
	return err
}

// write writes one response. A response the encoder refuses is logged
// and dropped, unless part of it may have gone out, which breaks the
// connection.
func (c *conn) write(r Response) {
	if c.broken {
		return
	}
	if err := WriteResponse(c.enc, r); err != nil {
		if errors.Is(err, ErrBadString) {
			c.log().Error("imap: response not sent", "err", err)
			if _, ok := r.(*FetchData); !ok {
				return
			}
		}
		c.broken = true
	}
}

// bye writes an untagged BYE line and flushes.
func (c *conn) bye(line string) {
	c.enc.Flush()
	c.bw.WriteString(line)
	c.flush()
}

// tagged writes the tagged result of a command.
func (c *conn) tagged(tag, typ, code string, arg any, text string) {
	c.write(&StatusResponse{Tag: tag, Type: typ, Code: code, CodeArg: arg, Text: text})
}

// untaggedOK writes an untagged OK with a response code.
func (c *conn) untaggedOK(code string, arg any, text string) {
	c.write(&StatusResponse{Type: StatusOK, Code: code, CodeArg: arg, Text: text})
}

// bad answers BAD and counts the error; it reports false when there
// were too many and the connection must close. An empty tag gives an
// untagged BAD (RFC 9051 7.1.3).
func (c *conn) bad(tag, code, text string) bool {
	c.errors++
	if tag == "" {
		c.write(&StatusResponse{Type: StatusBAD, Code: code, Text: text})
	} else {
		c.tagged(tag, StatusBAD, code, nil, text)
	}
	if c.errors >= orDefault(c.srv.MaxErrors, DefaultMaxErrors) {
		c.bye("* BYE Too many invalid commands\r\n")
		return false
	}
	return true
}

// commandStates says in which states each command is valid (RFC 9051
// 6): a bit per state.
var commandStates = map[string]uint8{
	"CAPABILITY": anyState, "NOOP": anyState, "LOGOUT": anyState, "ID": anyState,
	"STARTTLS": 1 << stateNotAuth, "AUTHENTICATE": 1 << stateNotAuth, "LOGIN": 1 << stateNotAuth,
	// RFC 5161 3.1: clients send ENABLE before SELECT, but a server
	// need not check; Dovecot does not, and clients rely on it.
	"ENABLE": authStates,
	"SELECT": authStates, "EXAMINE": authStates, "CREATE": authStates, "DELETE": authStates,
	"RENAME": authStates, "SUBSCRIBE": authStates, "UNSUBSCRIBE": authStates, "LIST": authStates,
	"LSUB": authStates, "NAMESPACE": authStates, "STATUS": authStates, "APPEND": authStates,
	"IDLE":  authStates,
	"CHECK": 1 << stateSelected, "CLOSE": 1 << stateSelected, "UNSELECT": 1 << stateSelected,
	"EXPUNGE": 1 << stateSelected, "SEARCH": 1 << stateSelected, "FETCH": 1 << stateSelected,
	"STORE": 1 << stateSelected, "COPY": 1 << stateSelected, "MOVE": 1 << stateSelected,
	"SORT": 1 << stateSelected, "THREAD": 1 << stateSelected, // RFC 5256 3
	"CANCELUPDATE": 1 << stateSelected, // RFC 5267 5: command-select
	"REPLACE":      1 << stateSelected, // RFC 8508 3.5
	"COMPRESS":     authStates, "GETMETADATA": authStates, "SETMETADATA": authStates,
	"GETQUOTA": authStates, "GETQUOTAROOT": authStates, "SETQUOTA": authStates,
	"RESETKEY": authStates, "GENURLAUTH": authStates, "URLFETCH": authStates, // RFC 4467 9
	"NOTIFY": authStates, // RFC 5465 8: command-auth
}

const (
	anyState   = 1<<stateNotAuth | 1<<stateAuth | 1<<stateSelected
	authStates = 1<<stateAuth | 1<<stateSelected
)

// handle runs one command; it reports false when the connection must
// close.
func (c *conn) handle(cmd *Command) bool {
	if cmd.Name == "APPEND" || cmd.Name == "REPLACE" {
		// The message literal is still to be read, whatever happens.
		c.appendPending = true
		defer c.endAppend()
	}
	if commandStates[cmd.Name]&(1<<c.state) == 0 {
		return c.bad(cmd.Tag, "", cmd.Name+" not valid in this state")
	}
	switch cmd.Name {
	case "CAPABILITY":
		c.write(&CapabilityData{Caps: c.capabilities()})
		return c.done(cmd, true)
	case "NOOP", "CHECK":
		// RFC 9051 6.1.2: NOOP is the way to poll for updates.
		return c.done(cmd, true)
	case "LOGOUT":
		c.write(&StatusResponse{Type: StatusBYE, Text: "Logging out"})
		c.tagged(cmd.Tag, StatusOK, "", nil, "LOGOUT completed")
		c.state = stateLogout
		return false
	case "ID":
		return c.cmdID(cmd)
	case "STARTTLS":
		return c.cmdStartTLS(cmd)
	case "LOGIN":
		return c.cmdLogin(cmd)
	case "AUTHENTICATE":
		return c.cmdAuthenticate(cmd)
	case "ENABLE":
		return c.cmdEnable(cmd)
	case "SELECT", "EXAMINE":
		return c.cmdSelect(cmd)
	case "CREATE":
		return c.cmdCreate(cmd)
	case "DELETE":
		return c.cmdDelete(cmd)
	case "RENAME":
		return c.cmdRename(cmd)
	case "SUBSCRIBE", "UNSUBSCRIBE":
		return c.cmdSubscribe(cmd)
	case "LIST", "LSUB":
		return c.cmdList(cmd)
	case "NAMESPACE":
		return c.cmdNamespace(cmd)
	case "STATUS":
		return c.cmdStatus(cmd)
	case "APPEND":
		return c.cmdAppend(cmd)
	case "IDLE":
		return c.cmdIdle(cmd)
	case "CLOSE", "UNSELECT":
		return c.cmdClose(cmd)
	case "EXPUNGE":
		return c.cmdExpunge(cmd)
	case "SEARCH":
		return c.cmdSearch(cmd)
	case "SORT":
		return c.cmdSort(cmd)
	case "THREAD":
		return c.cmdThread(cmd)
	case "CANCELUPDATE":
		return c.cmdCancelUpdate(cmd)
	case "FETCH":
		return c.cmdFetch(cmd)
	case "STORE":
		return c.cmdStore(cmd)
	case "COPY", "MOVE":
		return c.cmdCopy(cmd)
	case "REPLACE":
		return c.cmdReplace(cmd)
	case "COMPRESS":
		return c.cmdCompress(cmd)
	case "GETMETADATA":
		return c.cmdGetMetadata(cmd)
	case "SETMETADATA":
		return c.cmdSetMetadata(cmd)
	case "GETQUOTA", "GETQUOTAROOT", "SETQUOTA":
		return c.cmdQuota(cmd)
	case "RESETKEY":
		return c.cmdResetKey(cmd)
	case "GENURLAUTH":
		return c.cmdGenURLAuth(cmd)
	case "URLFETCH":
		return c.cmdURLFetch(cmd)
	case "NOTIFY":
		return c.cmdNotify(cmd)
	}
	return c.bad(cmd.Tag, "", "Unknown command")
}

// done reports the pending mailbox updates (all of them when expunges
// is set) and completes cmd with OK.
func (c *conn) done(cmd *Command, expunges bool) bool {
	if !c.update(expunges) {
		return false
	}
	c.tagged(cmd.Tag, StatusOK, "", nil, cmd.Name+" completed")
	return true
}

// fail answers a command that failed because of err: a mailbox error
// becomes NO with its response code; others are logged and become NO
// [SERVERBUG]. It reports false when the connection must close.
func (c *conn) fail(cmd *Command, err error) bool {
	typ, code, text := c.mapError(cmd, err)
	if typ == StatusBAD {
		return c.bad(cmd.Tag, code, text)
	}
	c.tagged(cmd.Tag, typ, code, nil, text)
	return !c.broken
}

// mapError maps a mailbox error to a response (errors.go of package
// mailbox lists the codes).
func (c *conn) mapError(cmd *Command, err error) (typ, code, text string) {
	switch {
	case errors.Is(err, mailbox.ErrNoSuchMailbox):
		switch cmd.Name {
		case "APPEND", "COPY", "MOVE", "REPLACE":
			// RFC 9051 6.3.12, 6.4.7: the client may CREATE and retry.
			return StatusNO, "TRYCREATE", "No such mailbox"
		}
		return StatusNO, "NONEXISTENT", "No such mailbox"
	case errors.Is(err, mailbox.ErrMailboxExists):
		return StatusNO, "ALREADYEXISTS", "Mailbox already exists"
	case errors.Is(err, mailbox.ErrInvalidName):
		return StatusNO, "CANNOT", "Invalid mailbox name"
	case errors.Is(err, mailbox.ErrNotAllowed):
		return StatusNO, "NOPERM", "Operation not allowed"
	case errors.Is(err, mailbox.ErrHasChildren):
		return StatusNO, "HASCHILDREN", "Mailbox has children"
	case errors.Is(err, mailbox.ErrNotSelectable):
		return StatusNO, "CANNOT", "Mailbox cannot be selected"
	case errors.Is(err, mailbox.ErrReadOnly):
		return StatusNO, "READ-ONLY", "Mailbox is read-only"
	case errors.Is(err, mailbox.ErrUseAttrUnsupported):
		return StatusNO, "USEATTR", "Special-use attribute not supported"
	case errors.Is(err, mailbox.ErrTooLarge):
		return StatusNO, "TOOBIG", "Message too big"
	case errors.Is(err, mailbox.ErrQuota):
		return StatusNO, "OVERQUOTA", "Quota exceeded"
	case errors.Is(err, mailbox.ErrInvalidFlag):
		return StatusBAD, "", "Invalid flag"
	case errors.Is(err, mailbox.ErrClosed):
		return StatusNO, "UNAVAILABLE", "Mailbox closed"
	case errors.Is(err, errBadSeq):
		return StatusBAD, "", "Invalid message sequence number"
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return StatusBAD, "", se.Msg
	}
	var ce *cmdError
	if errors.As(err, &ce) {
		return ce.typ, ce.code, ce.text
	}
	c.log().Error("imap: command failed", "command", cmd.Name, "err", err)
	return StatusNO, "SERVERBUG", "Internal error"
}

// cmdError is a response a command chose for a failure.
type cmdError struct {
	typ, code, text string
}

func (e *cmdError) Error() string { return "imap: " + e.typ + " [" + e.code + "] " + e.text }

// mailboxName decodes a mailbox name from the wire.
func (c *conn) mailboxName(name string) (string, error) {
	// A name with 8-bit bytes cannot be modified UTF-7; valid UTF-8 is
	// taken as what the client meant even before UTF-8 was enabled, as
	// clients that see IMAP4rev2 advertised send it (go-imap v2 does).
	return DecodeMailboxName(name, c.utf8Names() || !isASCII(name) && utf8.ValidString(name))
}

// utf8Names reports whether mailbox names are UTF-8 on the wire
// (IMAP4rev2, RFC 9051 5.1; UTF8=ACCEPT, RFC 6855 3).
func (c *conn) utf8Names() bool { return c.rev2 || c.utf8Accept }

// wireName encodes a mailbox name for the wire.
func (c *conn) wireName(name string) string {
	return EncodeMailboxName(name, c.utf8Names())
}

// setState changes the connection state and the read timeout with it.
func (c *conn) setState(s connState) {
	c.state = s
	if s == stateNotAuth {
		c.readTimeout.Store(int64(orDefault(c.srv.LoginTimeout, DefaultLoginTimeout)))
	} else {
		c.readTimeout.Store(int64(orDefault(c.srv.IdleTimeout, DefaultIdleTimeout)))
	}
}
