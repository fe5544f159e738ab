package pop3

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// panicStore wraps a fakeStore with a backend that panics: in Account
// on its first call, or in the Close of the INBOX and of the account.
type panicStore struct {
	*fakeStore
	accountPanics atomic.Int32 // Account calls left that panic
	closePanics   bool
}

func (p *panicStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	if p.accountPanics.Add(-1) >= 0 {
		panic("backend bug in Account")
	}
	a, err := p.fakeStore.Account(ctx, user)
	if err != nil || !p.closePanics {
		return a, err
	}
	return panicAccount{a}, nil
}

type panicAccount struct{ mailbox.Account }

func (a panicAccount) Open(ctx context.Context, name string, opts *mailbox.OpenOptions) (mailbox.Mailbox, error) {
	m, err := a.Account.Open(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	return panicMailbox{m}, nil
}

func (a panicAccount) Close() error { panic("backend bug in Account.Close") }

type panicMailbox struct{ mailbox.Mailbox }

func (panicMailbox) Close() error { panic("backend bug in Mailbox.Close") }

// TestBackendPanicReleasesMaildropLock: a panic in the backend between
// taking the maildrop lock and opening the maildrop, or in closing it,
// closes that connection only; the lock is given back and the server
// goes on serving.
func TestBackendPanicReleasesMaildropLock(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*panicStore)
		quit  bool // the first session logs in and quits
	}{
		{"panic in Account at login", func(p *panicStore) { p.accountPanics.Store(1) }, false},
		{"panic in Close at QUIT", func(p *panicStore) { p.closePanics = true }, true},
		{"panic in Close at drop", func(p *panicStore) { p.closePanics = true }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := &panicStore{}
			ts := newTestServer(t, func(s *Server) {
				ps.fakeStore = newFakeStore()
				s.Store = ps
			})
			ts.store = ps.fakeStore
			tc.setup(ps)
			ts.start(t, false)
			ts.store.put(testUser, msg120)

			w := dialWire(t, ts.addr)
			switch {
			case tc.quit:
				w.login()
				w.cmd("QUIT", "+OK dewey POP3 server signing off (1 messages left)")
			case ps.accountPanics.Load() > 0:
				w.expectPrefix("+OK")
				w.cmd("USER "+testUser, "+OK Send PASS")
				w.send("PASS " + testPass + "\r\n")
			default:
				w.login()
				w.conn.(*net.TCPConn).CloseWrite()
			}
			w.expectClosed()
			// The lock is free: a new session logs in (retry while the
			// first connection's cleanup runs).
			require.Eventually(t, func() bool {
				w2 := dialWire(t, ts.addr)
				w2.expectPrefix("+OK")
				w2.cmd("USER "+testUser, "+OK Send PASS")
				w2.send("PASS " + testPass + "\r\n")
				l := w2.line()
				w2.conn.Close()
				return strings.HasPrefix(l, "+OK mrose's maildrop has 1 messages")
			}, 2*time.Second, 10*time.Millisecond)
		})
	}
}

// TestAuthCRAMMD5RejectsEmptyInitialResponse: "AUTH CRAM-MD5 =" sends
// an empty initial response to a server-first mechanism, which RFC 5034
// 4. says the server MUST reject.
func TestAuthCRAMMD5RejectsEmptyInitialResponse(t *testing.T) {
	ts := startServer(t, nil)
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("AUTH CRAM-MD5 =", "-ERR [AUTH] Authentication failed")
	w.send("AUTH CRAM-MD5\r\n")
	w.expectPrefix("+ ")
}

// TestShutdownClosesIdleWaits: a connection waiting for the client at
// an AUTH continuation prompt, in a TLS handshake or in the pause after
// a failed login is as idle as one waiting for a command: Shutdown
// closes it at once instead of waiting for its ctx.
func TestShutdownClosesIdleWaits(t *testing.T) {
	for _, tc := range []struct {
		name      string
		implicit  bool
		configure func(*Server)
		park      func(w *wire)
		goodbye   bool // the client gets "-ERR [SYS/TEMP]" before the close
	}{
		{"AUTH prompt", false, nil, func(w *wire) {
			w.expectPrefix("+OK")
			w.send("AUTH PLAIN\r\n")
			w.expect("+ ")
		}, true},
		{"auth failure pause", false, func(s *Server) { s.AuthDelay = time.Minute }, func(w *wire) {
			w.expectPrefix("+OK")
			w.cmd("USER "+testUser, "+OK Send PASS")
			w.send("PASS wrong\r\n")
			time.Sleep(50 * time.Millisecond) // let the server enter the pause
		}, true},
		{"implicit TLS handshake", true, nil, func(w *wire) {
			time.Sleep(50 * time.Millisecond) // no ClientHello
		}, false},
		{"STLS handshake", false, nil, func(w *wire) {
			w.expectPrefix("+OK")
			w.cmd("STLS", "+OK Begin TLS negotiation")
			time.Sleep(50 * time.Millisecond) // no ClientHello
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, tc.configure).start(t, tc.implicit)
			w := dialWire(t, ts.addr)
			tc.park(w)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			require.NoError(t, ts.srv.Shutdown(ctx))
			assert.Less(t, time.Since(start), time.Second)
			if tc.goodbye {
				w.expect("-ERR [SYS/TEMP] Server shutting down")
			}
			w.expectClosed()
		})
	}
}

// TestCloseCancelsBackendCalls: Close cancels the context of each
// session, so a backend call in progress returns.
func TestCloseCancelsBackendCalls(t *testing.T) {
	entered, returned := make(chan struct{}), make(chan error, 1)
	ts := startServer(t, func(s *Server) {
		s.Authenticate = func(ctx context.Context, user, pass string) (string, error) {
			close(entered)
			<-ctx.Done()
			returned <- ctx.Err()
			return "", ctx.Err()
		}
	})
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.send("PASS " + testPass + "\r\n")
	<-entered
	require.NoError(t, ts.srv.Close())
	select {
	case err := <-returned:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(2 * time.Second):
		t.Fatal("Authenticate still running after Close")
	}
}

// TestServeClosesListenerAfterClose: Serve on a closed server returns
// ErrServerClosed and closes the listener it was given.
func TestServeClosesListenerAfterClose(t *testing.T) {
	s := &Server{Store: newFakeStore(), Authenticate: checkPass}
	require.NoError(t, s.Close())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.ErrorIs(t, s.Serve(l), ErrServerClosed)
	_, err = l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)
}

// unstuff removes the dot-stuffing of a multi-line body (RFC 1939 3.).
func unstuff(body string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(body, "\r\n") {
		b.WriteString(strings.TrimPrefix(l, "."))
	}
	return b.String()
}

// TestSizesAreOctetsSent: LIST, STAT and RETR's "+OK n octets" agree
// with the octets RETR sends (RFC 1939 5.: the "exact size"), for a
// message whose last line lacks CRLF by default, and for bare LF line
// ends too with CountSizes.
func TestSizesAreOctetsSent(t *testing.T) {
	m1 := []byte("Subject: a\r\n\r\n.dot\r\n..two\r\n.\r\nlast") // 34 octets, no final CRLF
	m2 := []byte("Subject: b\n\nx\ny\n")                         // 16 octets, bare LF
	const sent1 = "Subject: a\r\n\r\n.dot\r\n..two\r\n.\r\nlast\r\n"
	const sent2 = "Subject: b\r\n\r\nx\r\ny\r\n"

	t.Run("default", func(t *testing.T) {
		ts := startServer(t, nil)
		ts.store.put(testUser, m1, msg120)
		w := dialWire(t, ts.addr)
		w.login()
		w.cmd("LIST", "+OK 2 messages (156 octets)")
		assert.Equal(t, "1 36\r\n2 120\r\n", w.multi())
		w.cmd("STAT", "+OK 2 156")
		w.cmd("RETR 1", "+OK 36 octets")
		assert.Equal(t, sent1, unstuff(w.multi()))
		w.cmd("RETR 2", "+OK 120 octets")
		assert.Equal(t, string(msg120), unstuff(w.multi()))
	})

	t.Run("CountSizes", func(t *testing.T) {
		ts := startServer(t, func(s *Server) { s.CountSizes = true })
		ts.store.put(testUser, m1, m2)
		w := dialWire(t, ts.addr)
		w.login()
		w.cmd("LIST", "+OK 2 messages (56 octets)")
		assert.Equal(t, "1 36\r\n2 20\r\n", w.multi())
		w.cmd("RETR 1", "+OK 36 octets")
		raw1 := w.multi()
		assert.Equal(t, "Subject: a\r\n\r\n..dot\r\n...two\r\n..\r\nlast\r\n", raw1, "dot-stuffed")
		assert.Equal(t, sent1, unstuff(raw1))
		w.cmd("RETR 2", "+OK 20 octets")
		assert.Equal(t, sent2, unstuff(w.multi()))
		w.cmd("TOP 1 100", "+OK Top of message follows")
		assert.Equal(t, raw1, w.multi())
		w.cmd("TOP 2 1", "+OK Top of message follows")
		assert.Equal(t, "Subject: b\r\n\r\nx\r\n", w.multi())
		w.cmd("TOP 2 0", "+OK Top of message follows")
		assert.Equal(t, "Subject: b\r\n\r\n", w.multi())
		w.cmd("LIST 0", "-ERR Invalid message number")
		w.send("DELE 1\r\nRETR 1\r\nLIST 1\r\nSTAT\r\nRSET\r\nSTAT\r\nUIDL\r\n")
		w.expect(
			"+OK message 1 deleted",
			"-ERR Message 1 already deleted",
			"-ERR Message 1 already deleted",
			"+OK 1 20",
			"+OK maildrop has 2 messages (56 octets)",
			"+OK 2 56",
			"+OK Unique-ID listing follows",
		)
		assert.Equal(t, "1 0012d68700000001\r\n2 0012d68700000002\r\n", w.multi())
	})
}

// TestMaildropSizeOfLastLine checks the size taken at login without
// CountSizes against the octets counted with it, for messages whose
// only line ends that are not CRLF are at their end.
func TestMaildropSizeOfLastLine(t *testing.T) {
	for _, body := range []string{"", "\r\n", "a", "a\r\n", "a\n", "a\r", "a\r\nb", "a\r\n\r\n", "\n", "\r"} {
		store := newFakeStore()
		store.put(testUser, []byte(body))
		acct, err := store.Account(context.Background(), testUser)
		require.NoError(t, err)
		mbox, err := acct.Open(context.Background(), mailbox.Inbox, nil)
		require.NoError(t, err)
		fast, err := loadMaildrop(context.Background(), mbox, false)
		require.NoError(t, err)
		counted, err := loadMaildrop(context.Background(), mbox, true)
		require.NoError(t, err)
		assert.Equal(t, counted.msgs[0].size, fast.msgs[0].size, "%q", body)
		assert.Equal(t, counted.size, fast.size, "%q", body)
	}
}

// TestEmptyAccountNameRefused: an Authenticate that succeeds without an
// account name gets a temporary failure, and takes no lock.
func TestEmptyAccountNameRefused(t *testing.T) {
	ts := startServer(t, func(s *Server) {
		s.Authenticate = func(ctx context.Context, user, pass string) (string, error) { return "", nil }
	})
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.cmd("PASS "+testPass, "-ERR [SYS/TEMP] Unable to open maildrop")
	ts.srv.mu.Lock()
	defer ts.srv.mu.Unlock()
	assert.Empty(t, ts.srv.locks)
}
