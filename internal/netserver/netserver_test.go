package netserver

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeConn is a Conn that records how it was closed. When idle,
// CloseIfIdle removes it from its Tracker, as a server's connection
// goroutine does once its connection is closed: a Tracker that called it
// under its lock would deadlock.
type fakeConn struct {
	t      *Tracker
	idle   atomic.Bool
	byIdle atomic.Bool
	closed atomic.Bool
}

func (c *fakeConn) CloseIfIdle() {
	if c.idle.Load() && !c.byIdle.Swap(true) {
		c.t.Remove(c)
	}
}

func (c *fakeConn) Close() { c.closed.Store(true) }

func tcp(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 1000} }

func TestLimit(t *testing.T) {
	for _, tt := range []struct{ v, def, want int }{
		{0, 1000, 1000}, {5, 1000, 5}, {-1, 1000, -1}, {-7, 50, -1},
	} {
		assert.Equal(t, tt.want, Limit(tt.v, tt.def), "Limit(%d, %d)", tt.v, tt.def)
	}
}

func TestConnIP(t *testing.T) {
	for _, tt := range []struct {
		addr net.Addr
		want string
	}{
		{tcp("192.0.2.1"), "192.0.2.1"},
		{tcp("2001:db8::1"), "2001:db8::1"},
		{tcp("::ffff:192.0.2.1"), "192.0.2.1"},
		{tcp("127.0.0.1"), ""},
		{tcp("127.9.9.9"), ""},
		{tcp("::1"), ""},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, ""},
		{nil, ""},
	} {
		assert.Equal(t, tt.want, ConnIP(tt.addr), "%v", tt.addr)
	}
}

func TestAddCap(t *testing.T) {
	var tr Tracker
	a, b, c := &fakeConn{}, &fakeConn{}, &fakeConn{}
	for i, tt := range []struct {
		c        Conn
		ok, full bool
	}{{a, true, false}, {b, true, false}, {c, true, true}} {
		ok, full := tr.Add(tt.c, 2)
		assert.Equal(t, tt.ok, ok, "conn %d", i)
		assert.Equal(t, tt.full, full, "conn %d", i)
	}
	assert.Equal(t, 2, tr.Len())
	tr.Remove(c) // never added: nothing happens
	assert.Equal(t, 2, tr.Len())
	tr.Remove(a)
	ok, full := tr.Add(c, 2)
	assert.True(t, ok)
	assert.False(t, full, "a slot was freed")

	var unlimited Tracker
	for range 100 {
		ok, full := unlimited.Add(&fakeConn{}, -1)
		require.True(t, ok)
		require.False(t, full)
	}
	ok, full = unlimited.Add(&fakeConn{}, 0)
	assert.True(t, ok)
	assert.True(t, full, "a cap of 0 admits nobody")
}

func TestClaimIP(t *testing.T) {
	var tr Tracker
	add := func() *fakeConn {
		c := &fakeConn{}
		ok, full := tr.Add(c, -1)
		require.True(t, ok)
		require.False(t, full)
		return c
	}
	var conns []*fakeConn
	for i, tt := range []struct {
		addr net.Addr
		ok   bool
	}{
		{tcp("192.0.2.1"), true}, {tcp("192.0.2.1"), true}, {tcp("192.0.2.1"), false},
		{tcp("2001:db8::1"), true}, {tcp("2001:db8::1"), true},
		// Loopback and non-IP addresses are exempt.
		{tcp("127.0.0.1"), true}, {tcp("127.0.0.1"), true}, {tcp("127.0.0.1"), true},
		{&net.UnixAddr{Name: "@x", Net: "unix"}, true}, {&net.UnixAddr{Name: "@x", Net: "unix"}, true},
		{&net.UnixAddr{Name: "@x", Net: "unix"}, true},
	} {
		c := add()
		assert.Equal(t, tt.ok, tr.ClaimIP(c, tt.addr, 2), "connection %d from %v", i, tt.addr)
		conns = append(conns, c)
	}
	assert.Equal(t, map[string]int{"192.0.2.1": 2, "2001:db8::1": 2}, tr.PerIP())

	// A second claim by the same connection counts nothing more.
	assert.True(t, tr.ClaimIP(conns[3], tcp("2001:db8::1"), 2))
	assert.Equal(t, 2, tr.PerIP()["2001:db8::1"])

	// A connection not added is not counted: nothing would give the
	// claim back.
	assert.True(t, tr.ClaimIP(&fakeConn{}, tcp("198.51.100.1"), 2))
	assert.NotContains(t, tr.PerIP(), "198.51.100.1")

	// Remove gives the claim back; the refused connection had none.
	tr.Remove(conns[2])
	assert.Equal(t, 2, tr.PerIP()["192.0.2.1"])
	tr.Remove(conns[0])
	assert.Equal(t, 1, tr.PerIP()["192.0.2.1"])
	c := add()
	assert.True(t, tr.ClaimIP(c, tcp("192.0.2.1"), 2), "a slot was freed")
	for _, c := range append(conns, c) {
		tr.Remove(c)
	}
	assert.Empty(t, tr.PerIP())
	assert.Zero(t, tr.Len())

	// No cap.
	for range 10 {
		assert.True(t, tr.ClaimIP(add(), tcp("192.0.2.1"), -1))
	}
}

// fakeListener hands out what its channel gives; after Close, Accept
// returns net.ErrClosed.
type fakeListener struct {
	accepts  chan acceptResult
	calls    atomic.Int32
	onAccept func() // called at the start of each Accept, if set
	once     sync.Once
	closed   chan struct{}
}

type acceptResult struct {
	nc  net.Conn
	err error
}

func newFakeListener() *fakeListener {
	return &fakeListener{accepts: make(chan acceptResult, 16), closed: make(chan struct{})}
}

func (l *fakeListener) Accept() (net.Conn, error) {
	l.calls.Add(1)
	if l.onAccept != nil {
		l.onAccept()
	}
	select {
	case r := <-l.accepts:
		return r.nc, r.err
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *fakeListener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() { close(l.closed); err = nil })
	return err
}

func (l *fakeListener) Addr() net.Addr { return tcp("192.0.2.100") }

func (l *fakeListener) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

// timeoutError is a temporary Accept error (too many open files shows
// up as one).
type timeoutError struct{}

func (timeoutError) Error() string   { return "accept: too many open files" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestServeBacksOffTemporaryErrors(t *testing.T) {
	var tr Tracker
	l := newFakeListener()
	for range 3 {
		l.accepts <- acceptResult{err: timeoutError{}}
	}
	server, client := net.Pipe()
	defer client.Close()
	l.accepts <- acceptResult{nc: server}
	permanent := errors.New("accept: broken")
	l.accepts <- acceptResult{err: permanent}

	served := make(chan struct{})
	var c *fakeConn
	start := time.Now()
	err := tr.Serve(l, -1, nil, func(nc net.Conn) (Conn, func()) {
		assert.Equal(t, server, nc)
		c = &fakeConn{t: &tr}
		return c, func() { close(served) }
	})
	elapsed := time.Since(start)
	assert.ErrorIs(t, err, permanent, "a permanent error ends Serve")
	assert.EqualValues(t, 5, l.calls.Load())
	// The pauses double from 5ms: 5 + 10 + 20.
	assert.GreaterOrEqual(t, elapsed, 35*time.Millisecond)
	assert.Less(t, elapsed, time.Second)
	assert.True(t, l.isClosed(), "Serve closes its listener")
	<-served
	assert.Equal(t, 1, tr.Len(), "the connection stays tracked until it removes itself")
	tr.Remove(c)
}

func TestServeBackoffResets(t *testing.T) {
	// After a success the pause starts again at 5ms.
	var tr Tracker
	l := newFakeListener()
	var mu sync.Mutex
	var calls []time.Time
	l.onAccept = func() {
		mu.Lock()
		calls = append(calls, time.Now())
		mu.Unlock()
	}
	server, client := net.Pipe()
	defer client.Close()
	for range 5 { // pauses of 5, 10, 20, 40, 80ms
		l.accepts <- acceptResult{err: timeoutError{}}
	}
	l.accepts <- acceptResult{nc: server}
	l.accepts <- acceptResult{err: timeoutError{}} // 5ms, not 160
	l.accepts <- acceptResult{err: io.ErrUnexpectedEOF}
	err := tr.Serve(l, -1, nil, func(nc net.Conn) (Conn, func()) { return &fakeConn{}, func() {} })
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Len(t, calls, 8)
	assert.GreaterOrEqual(t, calls[5].Sub(calls[4]), 80*time.Millisecond, "the pause doubled")
	assert.Less(t, calls[7].Sub(calls[6]), 100*time.Millisecond, "the pause starts again")
}

func TestServeRefusesOverCap(t *testing.T) {
	for _, tt := range []struct {
		name    string
		refusal []byte
	}{
		{"reply", []byte("421 Too many connections\r\n")},
		{"silent", nil}, // implicit TLS: plain text would be garbage
	} {
		t.Run(tt.name, func(t *testing.T) {
			var tr Tracker
			l := newFakeListener()
			s1, c1 := net.Pipe()
			s2, c2 := net.Pipe()
			defer c1.Close()
			l.accepts <- acceptResult{nc: s1}
			l.accepts <- acceptResult{nc: s2}
			done := make(chan error, 1)
			go func() {
				done <- tr.Serve(l, 1, tt.refusal, func(nc net.Conn) (Conn, func()) {
					return &fakeConn{t: &tr}, func() {}
				})
			}()
			got, err := io.ReadAll(c2) // until Refuse closes it
			require.NoError(t, err)
			assert.Equal(t, string(tt.refusal), string(got))
			assert.Equal(t, 1, tr.Len(), "the refused connection is not tracked")
			require.NoError(t, tr.Close())
			assert.ErrorIs(t, <-done, ErrClosed)
		})
	}
}

func TestRefuseDoesNotWaitForever(t *testing.T) {
	server, client := net.Pipe() // nobody reads client
	defer client.Close()
	start := time.Now()
	Refuse(server, []byte("-ERR [SYS/TEMP] Too many connections\r\n"))
	assert.Less(t, time.Since(start), 3*time.Second)
	_, err := server.Write([]byte("x"))
	assert.ErrorIs(t, err, io.ErrClosedPipe, "closed")
}

func TestServeAfterClose(t *testing.T) {
	var tr Tracker
	require.NoError(t, tr.Close())
	l := newFakeListener()
	err := tr.Serve(l, -1, nil, func(net.Conn) (Conn, func()) {
		t.Fatal("no connection is accepted")
		return nil, nil
	})
	assert.ErrorIs(t, err, ErrClosed)
	assert.True(t, l.isClosed(), "Serve closes its listener")
	assert.ErrorIs(t, tr.ListenAndServe("127.0.0.1:0", func(net.Listener) error {
		t.Fatal("nothing is served after Close")
		return nil
	}), ErrClosed)
	ok, _ := tr.Add(&fakeConn{}, -1)
	assert.False(t, ok, "no connection is added after Close")
}

func TestListenAndServe(t *testing.T) {
	var tr Tracker
	served := errors.New("served")
	err := tr.ListenAndServe("127.0.0.1:0", func(l net.Listener) error {
		assert.Equal(t, "127.0.0.1", l.Addr().(*net.TCPAddr).IP.String())
		l.Close()
		return served
	})
	assert.ErrorIs(t, err, served)
	assert.Error(t, tr.ListenAndServe("127.0.0.1:-1", nil), "a bad address")
}

func TestDone(t *testing.T) {
	var early, late Tracker
	ch := early.Done()
	select {
	case <-ch:
		t.Fatal("closed before shutdown")
	default:
	}
	require.NoError(t, early.Shutdown(context.Background()))
	<-ch
	assert.True(t, early.ShuttingDown())
	// Asked for after shutdown: already closed.
	late.Close()
	<-late.Done()
	require.NoError(t, late.Close(), "Close twice")
}

// serving starts tr.Serve on l and adds an idle and a busy connection;
// Serve's result comes on done.
func serving(t *testing.T, tr *Tracker, l net.Listener, calls *atomic.Int32) (idle, busy *fakeConn, done <-chan error) {
	ch := make(chan error, 1)
	go func() { ch <- tr.Serve(l, -1, nil, nil) }()
	require.Eventually(t, func() bool { return calls.Load() > 0 }, 5*time.Second, time.Millisecond, "Serve accepts")
	idle, busy = &fakeConn{t: tr}, &fakeConn{t: tr}
	idle.idle.Store(true)
	tr.Add(idle, -1)
	tr.Add(busy, -1)
	return idle, busy, ch
}

func TestClose(t *testing.T) {
	var tr Tracker
	l := newFakeListener()
	idle, busy, done := serving(t, &tr, l, &l.calls)
	require.NoError(t, tr.Close())
	assert.ErrorIs(t, <-done, ErrClosed)
	assert.True(t, l.isClosed())
	assert.True(t, idle.closed.Load())
	assert.True(t, busy.closed.Load())
	assert.False(t, idle.byIdle.Load(), "Close says no goodbye")
}

func TestShutdown(t *testing.T) {
	var tr Tracker
	l := newFakeListener()
	idle, busy, done := serving(t, &tr, l, &l.calls)

	shut := make(chan error, 1)
	go func() { shut <- tr.Shutdown(context.Background()) }()
	// First the listeners close and Serve ends; the idle connection gets
	// its goodbye (without the Tracker's lock: it removes itself).
	assert.ErrorIs(t, <-done, ErrClosed)
	assert.True(t, l.isClosed())
	require.Eventually(t, idle.byIdle.Load, 5*time.Second, time.Millisecond)
	assert.Equal(t, 1, tr.Len())
	// The busy one is waited for, and gets its goodbye once idle.
	time.Sleep(3 * PollInterval)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a busy connection", err)
	default:
	}
	ok, _ := tr.Add(&fakeConn{}, -1)
	assert.False(t, ok, "no connection is added during Shutdown")
	busy.idle.Store(true)
	assert.NoError(t, <-shut)
	assert.True(t, busy.byIdle.Load())
	assert.False(t, idle.closed.Load() || busy.closed.Load(), "nothing was closed by force")
}

func TestShutdownContextDone(t *testing.T) {
	var tr Tracker
	busy := &fakeConn{t: &tr}
	tr.Add(busy, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*PollInterval)
	defer cancel()
	err := tr.Shutdown(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, busy.closed.Load(), "closed by force when ctx is done")
}

// errListener fails to close.
type errListener struct{ *fakeListener }

var errClose = errors.New("close failed")

func (l errListener) Close() error { l.fakeListener.Close(); return errClose }

func TestShutdownReturnsListenerError(t *testing.T) {
	var tr Tracker
	l := errListener{newFakeListener()}
	_, busy, done := serving(t, &tr, l, &l.calls)
	busy.idle.Store(true)
	assert.ErrorIs(t, tr.Shutdown(context.Background()), errClose)
	assert.ErrorIs(t, <-done, ErrClosed)
}

// TestConcurrent exercises the Tracker from many goroutines under -race.
func TestConcurrent(t *testing.T) {
	var tr Tracker
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			c := &fakeConn{t: &tr}
			c.idle.Store(i%2 == 0)
			if ok, full := tr.Add(c, 40); ok && !full {
				tr.ClaimIP(c, tcp("192.0.2.1"), 10)
				if i%3 == 0 {
					tr.Remove(c)
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*PollInterval)
	defer cancel()
	tr.Shutdown(ctx)
	assert.True(t, tr.ShuttingDown())
}

func TestReadProxyHeader(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))

	server, client := net.Pipe()
	defer client.Close()
	go client.Write([]byte("PROXY TCP4 192.0.2.1 198.51.100.2 1000 25\r\nEHLO x\r\n"))
	pc, ok := ReadProxyHeader(server, log, "smtp")
	require.True(t, ok)
	assert.Equal(t, "192.0.2.1:1000", pc.RemoteAddr().String())
	assert.Equal(t, "198.51.100.2:25", pc.LocalAddr().String())
	assert.Equal(t, "192.0.2.1", ConnIP(pc.RemoteAddr()), "the per-IP cap counts the client")
	buf := make([]byte, 8)
	_, err := io.ReadFull(pc, buf)
	require.NoError(t, err)
	assert.Equal(t, "EHLO x\r\n", string(buf), "what follows the header is kept")

	server, client = net.Pipe()
	defer client.Close()
	go client.Write([]byte("EHLO x\r\n"))
	_, ok = ReadProxyHeader(server, log, "smtp")
	assert.False(t, ok)
	assert.Contains(t, logged.String(), "smtp: no valid PROXY header")

	server, client = net.Pipe()
	defer client.Close()
	_, ok = ReadProxyHeader(tls.Server(server, &tls.Config{}), log, "imap")
	assert.False(t, ok)
	assert.Contains(t, logged.String(), "imap: ProxyProtocol with a TLS listener; use ServeTLS")
}
