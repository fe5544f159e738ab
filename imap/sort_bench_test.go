package imap

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/mailboxtest"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/sasl"
)

// sortBenchClient is a raw client for the SORT benchmark.
type sortBenchClient struct {
	nc  net.Conn
	br  *bufio.Reader
	tag int
}

func (c *sortBenchClient) run(tb testing.TB, cmd string) int {
	c.tag++
	tag := "b" + strconv.Itoa(c.tag)
	c.nc.SetDeadline(time.Now().Add(5 * time.Minute))
	if _, err := fmt.Fprintf(c.nc, "%s %s\r\n", tag, cmd); err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			tb.Fatal(err)
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				tb.Fatalf("%s: %s", cmd, l)
			}
			return n
		}
		n += len(l)
	}
}

// startSortBench serves a mailbox of n messages from store and returns
// a client that selected it.
func startSortBench(b *testing.B, store mailbox.Store, n int, opts ...func(*Server)) *sortBenchClient {
	ctx := context.Background()
	acct, err := store.Account(ctx, testUser)
	if err != nil {
		b.Fatal(err)
	}
	m, err := acct.Open(ctx, "INBOX", nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		msg, at := mailboxtest.ThreadedMessage(i)
		if _, err := m.Append(ctx, strings.NewReader(msg), &mailbox.AppendOptions{InternalDate: at}); err != nil {
			b.Fatal(err)
		}
	}
	m.Close()
	acct.Close()
	srv := &Server{
		Store: store,
		Authenticate: func(ctx context.Context, user, pass string) (string, error) {
			if user == testUser && pass == testPass {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		},
		AuthDelay: -1,
	}
	for _, o := range opts {
		o(srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nc.Close() })
	c := &sortBenchClient{nc: nc, br: bufio.NewReaderSize(nc, 1<<20)}
	if _, err := c.br.ReadString('\n'); err != nil {
		b.Fatal(err)
	}
	c.run(b, "LOGIN alice secret")
	c.run(b, "SELECT INBOX")
	return c
}

var sortBenchCommands = []struct{ name, cmd string }{
	{"arrival", "SORT (ARRIVAL) UTF-8 ALL"},
	{"date", "SORT (DATE) UTF-8 ALL"},
	{"date-count", "SORT RETURN (COUNT) (DATE) UTF-8 ALL"},
	{"subject-date", "SORT (SUBJECT DATE) UTF-8 ALL"},
	{"reverse-from", "SORT (REVERSE FROM) UTF-8 ALL"},
	{"displayfrom", "SORT (DISPLAYFROM) UTF-8 ALL"},
	{"orderedsubject", "THREAD ORDEREDSUBJECT UTF-8 ALL"},
	{"references", "THREAD REFERENCES UTF-8 ALL"},
}

// BenchmarkSortThread runs SORT and THREAD over a mailbox of
// POSTKIT_SORT_BENCH_N messages (10,000 if unset), on memstore and on
// maildir, with the sort key cache (warm: every command ran once
// before) and without it.
func BenchmarkSortThread(b *testing.B) {
	n := 10_000
	if v := os.Getenv("POSTKIT_SORT_BENCH_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	stores := []struct {
		name string
		new  func(b *testing.B) mailbox.Store
	}{
		{"memstore", func(b *testing.B) mailbox.Store { return memstore.New() }},
		{"maildir", func(b *testing.B) mailbox.Store { return maildir.New(b.TempDir(), &maildir.Options{NoSync: true}) }},
	}
	caches := []struct {
		name string
		opt  func(*Server)
	}{
		{"cache", func(*Server) {}},
		{"nocache", func(s *Server) { s.SortCacheBytes = -1 }},
	}
	for _, st := range stores {
		for _, ca := range caches {
			b.Run(st.name+"/"+ca.name, func(b *testing.B) {
				c := startSortBench(b, st.new(b), n, ca.opt)
				for _, sc := range sortBenchCommands {
					c.run(b, sc.cmd)
					b.Run(sc.name, func(b *testing.B) {
						for b.Loop() {
							c.run(b, sc.cmd)
						}
					})
				}
			})
		}
	}
}
