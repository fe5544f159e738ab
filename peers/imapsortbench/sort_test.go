package imapsortbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
)

const (
	numMessages = 100_000
	threadSize  = 5
	user, pass  = "alice", "secret"
)

// message returns message i of the mailbox: thread i/threadSize, the
// k-th message in it replying to the one before.
func message(i int) (string, time.Time) {
	th, k := i/threadSize, i%threadSize
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(th) * 7 * time.Minute)
	date := base.Add(time.Duration(k*37+(i*7919)%60) * time.Minute)
	var b strings.Builder
	fmt.Fprintf(&b, "From: User %d <user%d@example.org>\r\n", (i*31)%997, (i*17)%991)
	fmt.Fprintf(&b, "To: list%d@example.com\r\n", th%50)
	if i%3 == 0 {
		fmt.Fprintf(&b, "Cc: cc%d@example.net\r\n", i%89)
	}
	subject := fmt.Sprintf("Topic %d about things", th)
	if k > 0 {
		subject = strings.Repeat("Re: ", 1+k%2) + subject
	}
	if th%10 == 0 {
		subject = "[list] " + subject
	}
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <m%d@example.org>\r\n", i)
	if k > 0 {
		b.WriteString("References:")
		for j := th * threadSize; j < i; j++ {
			fmt.Fprintf(&b, " <m%d@example.org>", j)
		}
		b.WriteString("\r\n")
		fmt.Fprintf(&b, "In-Reply-To: <m%d@example.org>\r\n", i-1)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "Body of message %d.\r\n%s\r\n", i, strings.Repeat("Some text. ", 1+i%40))
	return b.String(), date.Add(time.Duration(i%13) * time.Second)
}

type server struct {
	addr string
	srv  *imap.Server
}

var (
	setupOnce sync.Once
	shared    *server
	setupErr  error
)

// start fills a memstore and starts the server on 127.0.0.1:0, once
// for the package; the process ends with it.
func start(tb testing.TB) *server {
	tb.Helper()
	setupOnce.Do(func() {
		ctx := context.Background()
		store := memstore.New()
		acct, err := store.Account(ctx, user)
		if err != nil {
			setupErr = err
			return
		}
		box, err := acct.Open(ctx, "INBOX", nil)
		if err != nil {
			setupErr = err
			return
		}
		for i := range numMessages {
			msg, at := message(i)
			if _, err := box.Append(ctx, strings.NewReader(msg), &mailbox.AppendOptions{InternalDate: at}); err != nil {
				setupErr = err
				return
			}
		}
		box.Close()
		acct.Close()
		srv := &imap.Server{
			Store: store,
			Authenticate: func(ctx context.Context, u, p string) (string, error) {
				if u == user && p == pass {
					return u, nil
				}
				return "", fmt.Errorf("bad credentials")
			},
			AuthDelay: -1,
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			setupErr = err
			return
		}
		go srv.Serve(l)
		shared = &server{addr: l.Addr().String(), srv: srv}
	})
	if setupErr != nil {
		tb.Fatal(setupErr)
	}
	return shared
}

// conn is a raw IMAP client.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	tag int
}

func (s *server) dial(tb testing.TB) *conn {
	tb.Helper()
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	c := &conn{nc: nc, br: bufio.NewReaderSize(nc, 1<<20)}
	if _, err := c.br.ReadString('\n'); err != nil {
		tb.Fatal(err)
	}
	for _, cmd := range []string{"LOGIN " + user + " " + pass, "SELECT INBOX"} {
		if _, err := c.run(cmd); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

// run sends cmd and returns the untagged lines; an answer other than OK
// is an error.
func (c *conn) run(cmd string) ([]string, error) {
	c.tag++
	tag := fmt.Sprintf("T%d", c.tag)
	c.nc.SetDeadline(time.Now().Add(5 * time.Minute))
	if _, err := fmt.Fprintf(c.nc, "%s %s\r\n", tag, cmd); err != nil {
		return nil, err
	}
	var out []string
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l = strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				return nil, fmt.Errorf("%s: %s", cmd, l)
			}
			return out, nil
		}
		out = append(out, l)
	}
}

var commands = []string{
	"SORT (ARRIVAL) UTF-8 ALL",
	"SORT (SIZE) UTF-8 ALL",
	"SORT (DATE) UTF-8 ALL",
	"SORT (SUBJECT DATE) UTF-8 ALL",
	"SORT (REVERSE FROM) UTF-8 ALL",
	"SORT (DISPLAYFROM) UTF-8 ALL",
	"UID SORT RETURN (COUNT MIN MAX) (REVERSE DATE) UTF-8 ALL",
	"THREAD ORDEREDSUBJECT UTF-8 ALL",
	"THREAD REFERENCES UTF-8 ALL",
}

// TestSortThreadTable prints the time of each command on the 100,000
// messages, and checks the answers' shape.
func TestSortThreadTable(t *testing.T) {
	if os.Getenv("PEERS_SORT_BENCH") == "" {
		t.Skip("set PEERS_SORT_BENCH=1 to run (fills 100,000 messages)")
	}
	t0 := time.Now()
	s := start(t)
	t.Logf("filled %d messages in %v", numMessages, time.Since(t0).Round(time.Millisecond))
	c := s.dial(t)
	t.Logf("%-58s %10s %10s", "command", "first ms", "again ms")
	for _, cmd := range commands {
		var ms [2]float64
		var out []string
		for i := range ms {
			start := time.Now()
			var err error
			out, err = c.run(cmd)
			if err != nil {
				t.Fatal(err)
			}
			ms[i] = float64(time.Since(start).Microseconds()) / 1000
		}
		t.Logf("%-58s %10.1f %10.1f", cmd, ms[0], ms[1])
		if len(out) != 1 {
			t.Fatalf("%s: %d untagged lines", cmd, len(out))
		}
		switch {
		case strings.HasPrefix(cmd, "SORT"):
			if n := len(strings.Fields(out[0])) - 2; n != numMessages {
				t.Errorf("%s: %d numbers", cmd, n)
			}
		case strings.HasPrefix(cmd, "THREAD"):
			if n := strings.Count(out[0], " (") + strings.Count(out[0], ")(") + 1; cmd == "THREAD REFERENCES UTF-8 ALL" && n < numMessages/threadSize {
				t.Errorf("%s: %d threads", cmd, n)
			}
		}
	}
}

func benchCommand(b *testing.B, cmd string) {
	s := start(b)
	c := s.dial(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.run(cmd); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

func BenchmarkSortArrival(b *testing.B)       { benchCommand(b, commands[0]) }
func BenchmarkSortSubjectDate(b *testing.B)   { benchCommand(b, commands[3]) }
func BenchmarkSortDisplayFrom(b *testing.B)   { benchCommand(b, commands[5]) }
func BenchmarkThreadOrderedSubj(b *testing.B) { benchCommand(b, commands[7]) }
func BenchmarkThreadReferences(b *testing.B)  { benchCommand(b, commands[8]) }
