package pop3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/sasl"
)

// TestRFC1939ExampleSession replays the example session of RFC 1939 10.
// byte for byte, with the example's timestamp, host and digest.
func TestRFC1939ExampleSession(t *testing.T) {
	ts := newTestServer(t, func(s *Server) {
		s.newTimestamp = func() string { return "<1896.697170952@dbc.mtview.ca.us>" }
	})
	ts.store.put(testUser, msg120, msg200)
	ts.start(t, false)
	w := dialWire(t, ts.addr)
	w.expect("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>")
	w.cmd("APOP mrose c4c9334bac560ecc979e58001b3e22fb", "+OK mrose's maildrop has 2 messages (320 octets)")
	w.cmd("STAT", "+OK 2 320")
	w.cmd("LIST", "+OK 2 messages (320 octets)")
	w.expect("1 120", "2 200", ".")
	w.cmd("RETR 1", "+OK 120 octets")
	assert.Equal(t, string(msg120), w.multi())
	w.cmd("DELE 1", "+OK message 1 deleted")
	w.cmd("RETR 2", "+OK 200 octets")
	assert.Equal(t, strings.Replace(string(msg200), "\r\n.starts", "\r\n..starts", 1), w.multi(), "dot-stuffed")
	w.cmd("DELE 2", "+OK message 2 deleted")
	w.cmd("QUIT", "+OK dewey POP3 server signing off (maildrop empty)")
	w.expectClosed()
	assert.Empty(t, ts.store.uids(testUser))
}

// TestTransactionCommands runs every TRANSACTION command and its
// errors on the wire (RFC 1939 5. and 7.).
func TestTransactionCommands(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.MaxErrors = 100 })
	uids := ts.store.put(testUser, msg120, msg200, []byte("Subject: three\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"))
	ts.start(t, false)
	w := dialWire(t, ts.addr)
	w.login()
	uidl := func(u mailbox.UID) string { return fmt.Sprintf("%08x%08x", 1234567, u) }
	steps := []struct {
		cmd   string
		want  []string // first line, then the lines of a multi-line answer
		multi bool
	}{
		{cmd: "STAT", want: []string{"+OK 3 362"}},
		{cmd: "LIST", want: []string{"+OK 3 messages (362 octets)", "1 120", "2 200", "3 42"}, multi: true},
		{cmd: "LIST 2", want: []string{"+OK 2 200"}},
		{cmd: "list 3", want: []string{"+OK 3 42"}},
		{cmd: "LIST 4", want: []string{"-ERR No such message"}},
		{cmd: "LIST 0", want: []string{"-ERR Invalid message number"}},
		{cmd: "LIST x", want: []string{"-ERR Invalid message number"}},
		{cmd: "LIST 1 2", want: []string{"-ERR Syntax: LIST [msg]"}},
		{cmd: "UIDL", want: []string{"+OK Unique-ID listing follows", "1 " + uidl(uids[0]), "2 " + uidl(uids[1]), "3 " + uidl(uids[2])}, multi: true},
		{cmd: "UIDL 3", want: []string{"+OK 3 " + uidl(uids[2])}},
		{cmd: "TOP 3 0", want: []string{"+OK Top of message follows", "Subject: three", ""}, multi: true},
		{cmd: "TOP 3 2", want: []string{"+OK Top of message follows", "Subject: three", "", "line 1", "line 2"}, multi: true},
		{cmd: "TOP 3 10", want: []string{"+OK Top of message follows", "Subject: three", "", "line 1", "line 2", "line 3"}, multi: true},
		{cmd: "TOP 3", want: []string{"-ERR Syntax: TOP msg n"}},
		{cmd: "TOP 3 -1", want: []string{"-ERR Invalid number of lines"}},
		{cmd: "RETR 3", want: []string{"+OK 42 octets", "Subject: three", "", "line 1", "line 2", "line 3"}, multi: true},
		{cmd: "DELE 1", want: []string{"+OK message 1 deleted"}},
		{cmd: "DELE 1", want: []string{"-ERR Message 1 already deleted"}},
		{cmd: "RETR 1", want: []string{"-ERR Message 1 already deleted"}},
		{cmd: "TOP 1 0", want: []string{"-ERR Message 1 already deleted"}},
		{cmd: "LIST 1", want: []string{"-ERR Message 1 already deleted"}},
		{cmd: "UIDL 1", want: []string{"-ERR Message 1 already deleted"}},
		{cmd: "STAT", want: []string{"+OK 2 242"}},
		{cmd: "LIST", want: []string{"+OK 2 messages (242 octets)", "2 200", "3 42"}, multi: true},
		{cmd: "UIDL", want: []string{"+OK Unique-ID listing follows", "2 " + uidl(uids[1]), "3 " + uidl(uids[2])}, multi: true},
		{cmd: "NOOP", want: []string{"+OK"}},
		{cmd: "NOOP x", want: []string{"-ERR Syntax: NOOP"}},
		{cmd: "RSET", want: []string{"+OK maildrop has 3 messages (362 octets)"}},
		{cmd: "STAT", want: []string{"+OK 3 362"}},
		{cmd: "DELE 3", want: []string{"+OK message 3 deleted"}},
		{cmd: "USER mrose", want: []string{"-ERR Already authenticated"}},
		{cmd: "PASS x", want: []string{"-ERR Already authenticated"}},
		{cmd: "APOP mrose x", want: []string{"-ERR Already authenticated"}},
		{cmd: "AUTH PLAIN", want: []string{"-ERR Already authenticated"}},
		{cmd: "STLS", want: []string{"-ERR Already authenticated"}},
		{cmd: "UTF8", want: []string{"-ERR Already authenticated"}},
		{cmd: "XYZZ", want: []string{"-ERR Unknown command"}},
	}
	for _, s := range steps {
		w.send(s.cmd + "\r\n")
		w.expect(s.want[0])
		if s.multi {
			w.expect(s.want[1:]...)
			w.expect(".")
		}
	}
	w.cmd("TOP 1 1", "+OK Top of message follows")
	w.multi()
	w.cmd("RETR 2", "+OK 200 octets")
	w.multi()
	w.cmd("QUIT", "+OK dewey POP3 server signing off (2 messages left)")
	w.expectClosed()
	assert.Equal(t, uids[:2], ts.store.uids(testUser), "only message 3 was removed")
	assert.Empty(t, ts.store.flags(testUser, uids[0]), "TOP does not mark \\Seen")
	assert.Equal(t, []string{mailbox.FlagSeen}, ts.store.flags(testUser, uids[1]), "retrieved messages are \\Seen")
}

// TestAuthorizationState checks what the AUTHORIZATION state refuses and
// the rules of USER and PASS (RFC 1939 4. and 7.).
func TestAuthorizationState(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MaxErrors = 100; s.MaxAuthFailures = 100 })
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK POP3 server ready <")
	for _, c := range []string{"STAT", "LIST", "UIDL", "TOP 1 1", "RETR 1", "DELE 1", "RSET", "NOOP"} {
		w.cmd(c, "-ERR Not authenticated")
	}
	w.cmd("PASS "+testPass, "-ERR Send USER first")
	w.cmd("USER", "-ERR Syntax: USER name")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.cmd("NOOP", "-ERR Not authenticated")
	w.cmd("PASS "+testPass, "-ERR Send USER first") // PASS must follow USER at once
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.cmd("PASS wrong", "-ERR [AUTH] Authentication failed")
	w.cmd("PASS "+testPass, "-ERR Send USER first") // a failed PASS ends the pair
	w.cmd("APOP mrose 00000000000000000000000000000000", "-ERR [AUTH] Authentication failed")
	w.cmd("APOP mrose", "-ERR Syntax: APOP name digest")
	w.cmd("AUTH NOPE", "-ERR Unsupported authentication mechanism")
	w.cmd("AB", "-ERR Syntax error")
	w.cmd("QUIT", "+OK dewey POP3 server signing off")
	w.expectClosed()
}

// TestPassWithSpaces checks that PASS takes the rest of the line (RFC
// 1939 7.).
func TestPassWithSpaces(t *testing.T) {
	ts := startServer(t, func(s *Server) {
		s.Authenticate = func(ctx context.Context, user, pass string) (string, error) {
			if pass == "with two  spaces" {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		}
	})
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("USER u", "+OK Send PASS")
	w.cmd("PASS with two  spaces", "+OK u's maildrop has 0 messages (0 octets)")
}

// TestDropAfterDeleDeletesNothing drops the connection after DELE and
// before QUIT: RFC 1939 6. applies deletions only in the UPDATE state.
func TestDropAfterDeleDeletesNothing(t *testing.T) {
	ts := startServer(t, nil)
	uids := ts.store.put(testUser, msg120, msg200)
	w := dialWire(t, ts.addr)
	w.login()
	w.cmd("DELE 1", "+OK message 1 deleted")
	w.cmd("DELE 2", "+OK message 2 deleted")
	w.cmd("STAT", "+OK 0 0")
	w.conn.Close()

	// The lock is released once the server notices; the next session
	// sees both messages.
	require.Eventually(t, func() bool {
		w2 := dialWire(t, ts.addr)
		defer w2.conn.Close()
		w2.expectPrefix("+OK")
		w2.cmd("USER "+testUser, "+OK Send PASS")
		w2.send("PASS " + testPass + "\r\n")
		l := w2.line()
		if strings.Contains(l, "[IN-USE]") {
			return false
		}
		require.Equal(t, "+OK mrose's maildrop has 2 messages (320 octets)\r\n", l)
		return true
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, uids, ts.store.uids(testUser))
	b := ts.store.box(testUser)
	b.mu.Lock()
	defer b.mu.Unlock()
	assert.Zero(t, b.expunges)
	for _, m := range b.msgs {
		assert.Empty(t, m.flags, "no \\Deleted left behind")
	}
}

// TestShutdownDeletesNothing shuts the server down under a session with
// deletions pending.
func TestShutdownDeletesNothing(t *testing.T) {
	ts := startServer(t, nil)
	uids := ts.store.put(testUser, msg120)
	w := dialWire(t, ts.addr)
	w.login()
	w.cmd("DELE 1", "+OK message 1 deleted")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ts.srv.Shutdown(ctx))
	w.expect("-ERR [SYS/TEMP] Server shutting down")
	w.expectClosed()
	assert.Equal(t, uids, ts.store.uids(testUser))
}

// TestTwoSessionsRace has sessions race for one maildrop: exactly one
// wins, the others get [IN-USE] (RFC 2449 8.1.2) and stay in the
// AUTHORIZATION state; once the winner quits, another may log in.
func TestTwoSessionsRace(t *testing.T) {
	ts := startServer(t, nil)
	ts.store.put(testUser, msg120)
	const n = 8
	wires := make([]*wire, n)
	for i := range wires {
		wires[i] = dialWire(t, ts.addr)
		wires[i].expectPrefix("+OK")
		wires[i].cmd("USER "+testUser, "+OK Send PASS")
	}
	answers := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, w := range wires {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w.conn.Write([]byte("PASS " + testPass + "\r\n"))
			l, _ := w.r.ReadString('\n')
			answers[i] = l
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, a := range answers {
		if strings.HasPrefix(a, "+OK") {
			require.Equal(t, -1, winner, "two sessions got the maildrop: %q", answers)
			winner = i
			continue
		}
		assert.Equal(t, "-ERR [IN-USE] Maildrop is locked by another session\r\n", a)
	}
	require.NotEqual(t, -1, winner, "%q", answers)
	loser := wires[(winner+1)%n]
	loser.cmd("STAT", "-ERR Not authenticated")
	wires[winner].cmd("DELE 1", "+OK message 1 deleted")
	wires[winner].cmd("QUIT", "+OK dewey POP3 server signing off (maildrop empty)")
	wires[winner].expectClosed()
	loser.cmd("USER "+testUser, "+OK Send PASS")
	loser.cmd("PASS "+testPass, "+OK mrose's maildrop has 0 messages (0 octets)")
}

// TestUIDLStable checks that unique-ids survive sessions, deletions of
// other messages and a new server over the same store.
func TestUIDLStable(t *testing.T) {
	ts := startServer(t, nil)
	ts.store.put(testUser, msg120, msg200, msg120)
	uidlOf := func(addr string) string {
		w := dialWire(t, addr)
		w.login()
		w.cmd("UIDL", "+OK Unique-ID listing follows")
		body := w.multi()
		w.cmd("QUIT", "+OK dewey POP3 server signing off (3 messages left)")
		return body
	}
	first := uidlOf(ts.addr)
	assert.Equal(t, first, uidlOf(ts.addr))
	// A new server (a restart) over the same store.
	ts2 := newTestServer(t, nil)
	ts2.store = ts.store
	ts2.srv.Store = ts.store
	ts2.start(t, false)
	assert.Equal(t, first, uidlOf(ts2.addr))
	for _, l := range strings.Split(strings.TrimSpace(first), "\r\n") {
		_, id, _ := strings.Cut(l, " ")
		require.Len(t, id, 16)
		for _, c := range id {
			require.True(t, c >= 0x21 && c <= 0x7e)
		}
	}
}

// TestCapa checks the capability list in both states (RFC 2449 5.).
func TestCapa(t *testing.T) {
	ts := startServer(t, func(s *Server) {
		s.Expire = "NEVER"
		s.LoginDelay = 1500 * time.Millisecond
		s.Implementation = "test-1"
	})
	w := dialWire(t, ts.addr)
	w.expectPrefix("+OK")
	w.cmd("CAPA", "+OK Capability list follows")
	want := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER",
		"SASL CRAM-MD5 LOGIN PLAIN SCRAM-SHA-256", "STLS", "EXPIRE NEVER", "LOGIN-DELAY 2",
		"UTF8 USER", "LANG", "IMPLEMENTATION test-1"}
	assert.Equal(t, strings.Join(want, "\r\n")+"\r\n", w.multi())
	w.cmd("CAPA x", "-ERR Syntax: CAPA")
	w.cmd("USER "+testUser, "+OK Send PASS")
	w.cmd("PASS "+testPass, "+OK mrose's maildrop has 0 messages (0 octets)")
	w.cmd("CAPA", "+OK Capability list follows")
	// STLS is an AUTHORIZATION command: gone after login.
	assert.Equal(t, strings.Join(append(want[:7:7], want[8:]...), "\r\n")+"\r\n", w.multi())
}

// TestAPOP checks the digest over the greeting's own timestamp.
func TestAPOP(t *testing.T) {
	ts := startServer(t, nil)
	w := dialWire(t, ts.addr)
	g := w.expectPrefix("+OK POP3 server ready <")
	stamp := g[strings.IndexByte(g, '<') : strings.IndexByte(g, '>')+1]
	assert.True(t, strings.HasSuffix(stamp, "@dewey>"), stamp)
	sum := md5.Sum([]byte(stamp + testSecret))
	w.cmd("APOP mrose "+strings.ToUpper(hex.EncodeToString(sum[:])), "+OK mrose's maildrop has 0 messages (0 octets)")

	// Without APOPSecret: no timestamp, no APOP.
	ts2 := startServer(t, func(s *Server) { s.APOPSecret = nil })
	w2 := dialWire(t, ts2.addr)
	w2.expect("+OK POP3 server ready")
	w2.cmd("APOP mrose "+hex.EncodeToString(sum[:]), "-ERR APOP not supported")
}
