// Package netserver is the connection machinery the SMTP, POP3 and IMAP
// servers share: the listeners being served, the connections being served
// with their caps (in all and per IP address), the Accept loop, Close and
// a graceful Shutdown. What is said on the wire stays with each protocol:
// a Tracker is given the bytes of a refusal and calls the connections'
// own CloseIfIdle and Close.
//
// A Tracker's zero value is ready to use; it must not be copied after
// first use.
package netserver

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postkit/postkit/internal/proxyproto"
)

// ErrClosed is returned by Tracker.Serve once Close or Shutdown was
// called; each server returns its own ErrServerClosed in its place.
var ErrClosed = errors.New("netserver: closed")

// PollInterval is how often Shutdown looks for connections that became
// idle.
const PollInterval = 10 * time.Millisecond

// Conn is a connection as a Tracker sees it. Its methods are called
// without the Tracker's lock held, so they may block a while (a goodbye
// to a client that does not read) and may call back into the Tracker.
type Conn interface {
	// CloseIfIdle says goodbye and closes the connection if it waits for
	// the client; a busy connection is left alone. Shutdown calls it
	// repeatedly.
	CloseIfIdle()
	// Close closes the connection, busy or not, without a word.
	Close()
}

// Tracker keeps the listeners and connections of one server.
type Tracker struct {
	mu        sync.Mutex
	shutdown  atomic.Bool
	done      chan struct{}              // closed when shutdown begins; made on demand
	listeners map[*net.Listener]struct{} // pointers: a Listener need not be comparable
	conns     map[Conn]string            // the IP address each is counted under, "" if none
	perIP     map[string]int
}

// Limit is the cap an option sets: v if positive, def if zero, and -1
// (no cap) if negative, as the servers' MaxConnections options read.
func Limit(v, def int) int {
	switch {
	case v > 0:
		return v
	case v == 0:
		return def
	}
	return -1
}

// ShuttingDown reports whether Close or Shutdown was called.
func (t *Tracker) ShuttingDown() bool { return t.shutdown.Load() }

// Done returns a channel closed once Close or Shutdown is called.
func (t *Tracker) Done() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		t.done = make(chan struct{})
		if t.shutdown.Load() {
			close(t.done)
		}
	}
	return t.done
}

// Add counts c among the connections served. It reports ok false once
// the Tracker is shutting down, and full when max connections (no cap if
// negative) are served already; c is added only when ok and not full.
func (t *Tracker) Add(c Conn, max int) (ok, full bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shutdown.Load() {
		return false, false
	}
	if max >= 0 && len(t.conns) >= max {
		return true, true
	}
	if t.conns == nil {
		t.conns = make(map[Conn]string)
	}
	t.conns[c] = ""
	return true, false
}

// ClaimIP counts c, added before, against the cap of max connections
// (no cap if negative) from its remote IP address; it reports false
// when that address is at the cap. Loopback and non-IP addresses are
// not counted (ConnIP), nor is a connection that is not added or has
// claimed already. Servers call it once any PROXY header has given the
// client's real address. Remove gives the claim back.
func (t *Tracker) ClaimIP(c Conn, remote net.Addr, max int) bool {
	ip := ConnIP(remote)
	if ip == "" {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.conns[c]; !ok || prev != "" {
		return true
	}
	if max >= 0 && t.perIP[ip] >= max {
		return false
	}
	if t.perIP == nil {
		t.perIP = make(map[string]int)
	}
	t.perIP[ip]++
	t.conns[c] = ip
	return true
}

// Remove forgets c and gives back its per-IP claim; removing a
// connection not added does nothing.
func (t *Tracker) Remove(c Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ip, ok := t.conns[c]
	if !ok {
		return
	}
	delete(t.conns, c)
	if ip != "" {
		if t.perIP[ip]--; t.perIP[ip] <= 0 {
			delete(t.perIP, ip)
		}
	}
}

// Len returns the number of connections served.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// PerIP returns a copy of the per-IP counts, for tests.
func (t *Tracker) PerIP() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := make(map[string]int, len(t.perIP))
	for ip, n := range t.perIP {
		m[ip] = n
	}
	return m
}

// ConnIP is the IP address a per-IP cap counts a connection from remote
// under: "" for loopback and non-IP addresses, which are not capped.
func ConnIP(remote net.Addr) string {
	ta, ok := remote.(*net.TCPAddr)
	if !ok || ta.IP.IsLoopback() {
		return ""
	}
	return ta.IP.String()
}

// ListenAndServe listens on the TCP address addr and calls serve, or
// returns ErrClosed if the Tracker is shutting down.
func (t *Tracker) ListenAndServe(addr string, serve func(net.Listener) error) error {
	if t.shutdown.Load() {
		return ErrClosed
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return serve(l)
}

// Refuse answers nc with msg, if not nil, waiting at most a second for
// the client to take it, and closes nc: the answer to a connection over
// a cap.
func Refuse(nc net.Conn, msg []byte) {
	if msg != nil {
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write(msg)
	}
	nc.Close()
}

// Serve accepts connections on l until Accept fails or the Tracker shuts
// down, and always closes l. It gives each connection to newConn, which
// returns the server's connection and the function that serves it, and
// adds that connection with limit; the function then runs in a goroutine
// of its own, which must Remove the connection when it ends. A
// connection over limit is refused (Refuse with refusal, in a goroutine)
// instead. Serve returns ErrClosed once Close or Shutdown was called,
// or the error of Accept; temporary errors (net.Error Timeout, such as
// running out of file descriptors) are retried after a pause that
// doubles from 5ms to 1s.
func (t *Tracker) Serve(l net.Listener, limit int, refusal []byte, newConn func(net.Conn) (Conn, func())) error {
	defer l.Close()
	if !t.trackListener(&l) {
		return ErrClosed
	}
	defer t.untrackListener(&l)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if t.shutdown.Load() {
				return ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c, serve := newConn(nc)
		ok, full := t.Add(c, limit)
		if !ok {
			nc.Close()
			return ErrClosed
		}
		if full {
			go Refuse(nc, refusal)
			continue
		}
		go serve()
	}
}

func (t *Tracker) trackListener(l *net.Listener) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shutdown.Load() {
		return false
	}
	if t.listeners == nil {
		t.listeners = make(map[*net.Listener]struct{})
	}
	t.listeners[l] = struct{}{}
	return true
}

func (t *Tracker) untrackListener(l *net.Listener) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.listeners, l)
}

// beginShutdown marks the Tracker as shutting down and closes its
// listeners; it returns the first error of closing one.
func (t *Tracker) beginShutdown() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.shutdown.Swap(true) && t.done != nil {
		close(t.done)
	}
	var err error
	for l := range t.listeners {
		if e := (*l).Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// snapshot returns the connections served.
func (t *Tracker) snapshot() []Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	conns := make([]Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	return conns
}

// Close stops accepting connections, closes the listeners and then
// every connection (Conn.Close) at once. It returns the first error of
// closing a listener.
func (t *Tracker) Close() error {
	err := t.beginShutdown()
	for _, c := range t.snapshot() {
		c.Close()
	}
	return err
}

// Shutdown stops accepting connections and closes the listeners, then
// calls CloseIfIdle on every connection each PollInterval until none is
// left, and returns the first error of closing a listener. If ctx is done
// first, it closes what remains as Close does and returns ctx's error.
// The connections are called without the Tracker's lock: a goodbye to a
// slow client holds up no other connection coming or going.
func (t *Tracker) Shutdown(ctx context.Context) error {
	err := t.beginShutdown()
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		conns := t.snapshot()
		if len(conns) == 0 {
			return err
		}
		for _, c := range conns {
			c.CloseIfIdle()
		}
		select {
		case <-ctx.Done():
			t.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// ReadProxyHeader reads the PROXY protocol header (version 1 or 2) nc
// must begin with, waiting at most proxyproto.DefaultTimeout, and returns
// nc wrapped so that its addresses are those the header gives. It
// reports false, after logging why to log with the prefix proto ("smtp"),
// when there is no valid header, or when nc is a *tls.Conn: the header
// comes before the TLS handshake, so a server must be given the plain
// listener (ServeTLS) rather than one from tls.NewListener.
func ReadProxyHeader(nc net.Conn, log *slog.Logger, proto string) (net.Conn, bool) {
	if _, ok := nc.(*tls.Conn); ok {
		log.Error(proto + ": ProxyProtocol with a TLS listener; use ServeTLS")
		return nil, false
	}
	pc, _, err := proxyproto.Wrap(nc, proxyproto.DefaultTimeout)
	if err != nil {
		log.Info(proto+": no valid PROXY header", "err", err)
		return nil, false
	}
	return pc, true
}
