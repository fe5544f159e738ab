package imap

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/sasl"
)

// lockedBuffer is a bytes.Buffer safe for a slog handler and a test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// readTracker tells when the server waits in Read.
type readTracker struct {
	net.Conn
	reading atomic.Bool
}

func (r *readTracker) Read(p []byte) (int, error) {
	r.reading.Store(true)
	defer r.reading.Store(false)
	return r.Conn.Read(p)
}

// runSession runs one server connection over a pipe on input, which
// follows a LOGIN and a SELECT, and reports whether the server
// panicked; it fails the test if the session does not end once the
// client has gone.
func runSession(t *testing.T, input []byte) {
	store := memstore.New()
	ctx := context.Background()
	acct, _ := store.Account(ctx, testUser)
	acct.Create(ctx, "Archive", nil)
	m, _ := acct.Open(ctx, "INBOX", nil)
	m.Append(ctx, strings.NewReader(testMsg), &mailbox.AppendOptions{Flags: []string{`\Seen`}})
	m.Append(ctx, strings.NewReader("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b--\r\n"), nil)
	m.Close()
	acct.Close()

	var log lockedBuffer
	srv := &Server{
		Store: store,
		Authenticate: func(ctx context.Context, user, pass string) (string, error) {
			if user == testUser && pass == testPass {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		},
		AuthDelay:    -1,
		LoginTimeout: 2 * time.Second,
		IdleTimeout:  2 * time.Second,
		WriteTimeout: 2 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(&log, nil)),
	}
	cli, sc := net.Pipe()
	rt := &readTracker{Conn: sc}
	c := newConn(srv, rt, false)
	done := make(chan struct{})
	go func() {
		c.serve()
		close(done)
	}()
	go io.Copy(io.Discard, cli)
	full := append([]byte("L LOGIN alice secret\r\nS SELECT INBOX\r\n"), input...)
	cli.SetWriteDeadline(time.Now().Add(2 * time.Second))
	cli.Write(full)
	// Let the server answer what it read: close once it waits for more
	// input (or is stuck elsewhere, as in IDLE, for a while).
	// Blocked in Read five polls in a row: waiting for more input.
	wait := time.After(300 * time.Millisecond)
	idleFor := 0
poll:
	for {
		if rt.reading.Load() {
			idleFor++
		} else {
			idleFor = 0
		}
		if idleFor >= 5 {
			break
		}
		select {
		case <-done:
			break poll
		case <-wait:
			break poll
		case <-time.After(time.Millisecond):
		}
	}
	cli.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("session did not end; input %q", input)
	}
	if strings.Contains(log.String(), "panic") {
		t.Fatalf("panic on input %q:\n%s", input, log.String())
	}
}

// FuzzSession feeds whole sessions of arbitrary bytes to a logged-in
// connection: no panic, no hang.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"a FETCH 1:* (FLAGS BODY[] BODY.PEEK[1.MIME] BODY[HEADER.FIELDS (Subject)]<0.3> ENVELOPE BODYSTRUCTURE)\r\n",
		"a STORE 1 +FLAGS (\\Deleted $x)\r\nb EXPUNGE\r\nc NOOP\r\n",
		"a IDLE\r\nDONE\r\nb CLOSE\r\n",
		"a APPEND INBOX {5+}\r\nhello\r\nb UID MOVE 1:* Archive\r\n",
		"a APPEND INBOX {500000}\r\n",
		"a SEARCH RETURN (SAVE) ALL\r\nb FETCH $ UID\r\nc COPY $ Archive\r\n",
		"a LIST \"\" * RETURN (STATUS (MESSAGES SIZE))\r\nb STATUS INBOX (MESSAGES UIDNEXT)\r\n",
		"a SEARCH RETURN (COUNT UPDATE (UID BODY.PEEK[HEADER])) ALL\r\nb APPEND INBOX {5+}\r\nhello\r\nc NOOP\r\n",
		"a ENABLE IMAP4rev2\r\nb SELECT \"été\"\r\n",
		"a UNSELECT\r\nb ENABLE IMAP4rev2\r\nc SELECT INBOX\r\nd SEARCH UNSEEN\r\n",
		"a AUTHENTICATE PLAIN\r\n*\r\n",
		"a FETCH 1 BODY[9.9.9]\r\nb FETCH 4000000000 FLAGS\r\n",
		"a FETCH 1:* (BINARY[1] BINARY.SIZE[1] BINARY.PEEK[]<0.10>)\r\nb FETCH 2 BINARY[1]\r\n",
		"a ENABLE UTF8=ACCEPT\r\nb APPEND INBOX UTF8 (~{3+}\r\nabc)\r\nc DELETE INBOX\r\nd RENAME INBOX X\r\n",
		"a SELECT INBOX (CONDSTORE)\r\nb STORE 1:* (UNCHANGEDSINCE 3) +FLAGS ($x)\r\nc FETCH 1:* (FLAGS) (CHANGEDSINCE 2)\r\nd SEARCH MODSEQ 2\r\n",
		"a ENABLE QRESYNC\r\nb SELECT INBOX (QRESYNC (1 1 1:10 (1:3 1:3)))\r\nc UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)\r\nd STORE 1 +FLAGS (\\Deleted)\r\ne EXPUNGE\r\n",
		"a IDLE\r\n",
		"a LOGOUT\r\n",
		"a SETMETADATA INBOX (/private/comment {3}\r\nabc /shared/x ~{2}\r\na\x00 /shared/y NIL)\r\nb GETMETADATA (DEPTH infinity MAXSIZE 2) INBOX (/private /shared)\r\nc GETMETADATA \"\" /shared/comment /private/x\r\n",
		"a GETQUOTAROOT INBOX\r\nb GETQUOTA \"\"\r\nc SETQUOTA \"\" (STORAGE 1 MESSAGE 2)\r\nd STATUS INBOX (DELETED DELETED-STORAGE)\r\n",
		"a COMPRESS DEFLATE\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		runSession(t, input)
	})
}
