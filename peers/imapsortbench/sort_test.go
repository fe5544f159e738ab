package imapsortbench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox/mailboxtest"
	"github.com/postkit/postkit/peers/internal/dovecottest"
	"github.com/postkit/postkit/peers/internal/maildirpair"
)

func TestMain(m *testing.M) { maildirpair.Main(m) }

const (
	// benchMessages is the mailbox of the table, PEERS_SORT_BENCH=1.
	benchMessages = 100_000
	// ciMessages is the mailbox of the default run, which checks that
	// the answers agree.
	ciMessages = 5_000
	user, pass = "alice", "secret"
	// uidValidity is that of the first folder written; the next get
	// the following numbers.
	uidValidity = 1_700_000_000
	// setupTimeout bounds writing the Maildir.
	setupTimeout = 5 * time.Minute
	// commandTimeout bounds one command.
	commandTimeout = 5 * time.Minute
)

// numMessages is the size of the mailbox: benchMessages under
// PEERS_SORT_BENCH=1, else ciMessages.
func numMessages() int {
	if os.Getenv("PEERS_SORT_BENCH") != "" {
		return benchMessages
	}
	return ciMessages
}

// server is one of the two servers under test.
type server struct {
	name string // "postkit" or "dovecot"
	addr string
}

// benchMessage is message as WriteFolder wants it.
func benchMessage(i int) ([]byte, time.Time) {
	m, at := mailboxtest.ThreadedMessage(i)
	return []byte(m), at
}

// startServers writes n messages msg(0) to msg(n-1) into each of
// folders ("" is INBOX) of a fresh Maildir and starts our server and
// Dovecot over it; both stop when the test ends.
func startServers(t testing.TB, n int, msg func(int) ([]byte, time.Time), folders ...string) []server {
	t.Helper()
	dovecottest.Need(t)
	dir, md := dovecottest.NewDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	t0 := time.Now()
	for k, f := range folders {
		err := maildirpair.WriteFolder(ctx, md, f, uidValidity+uint32(k), n, msg)
		require.NoError(t, err)
	}
	t1 := time.Now()
	p := maildirpair.Start(t, maildirpair.Options{Dir: dir, User: user, Password: pass})
	t.Logf("wrote %d folders of %d messages in %v; servers up in %v", len(folders), n,
		t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	return []server{{"postkit", p.Postkit}, {"dovecot", p.Dovecot.Addr}}
}

// conn is a raw IMAP client.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	tag int
}

// dial connects to s and logs in; it closes when the test ends.
func (s server) dial(tb testing.TB) *conn {
	tb.Helper()
	nc, err := net.Dial("tcp", s.addr)
	require.NoError(tb, err, s.name)
	tb.Cleanup(func() { nc.Close() })
	c := &conn{nc: nc, br: bufio.NewReaderSize(nc, 1<<20)}
	nc.SetDeadline(time.Now().Add(commandTimeout))
	_, err = c.br.ReadString('\n')
	require.NoError(tb, err, s.name)
	_, err = c.run("LOGIN " + user + " " + pass)
	require.NoError(tb, err, s.name)
	return c
}

// run sends cmd and returns the untagged lines; an answer other than OK
// is an error. A literal in an answer is read as part of its line.
func (c *conn) run(cmd string) ([]string, error) {
	c.tag++
	tag := fmt.Sprintf("T%d", c.tag)
	c.nc.SetDeadline(time.Now().Add(commandTimeout))
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

// timed runs cmd and returns its answer and how long it took, in
// milliseconds.
func (c *conn) timed(cmd string) ([]string, float64, error) {
	t0 := time.Now()
	out, err := c.run(cmd)
	return out, float64(time.Since(t0).Microseconds()) / 1000, err
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

// ratio returns ours/theirs as text.
func ratio(ours, theirs float64) string {
	if theirs <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ours/theirs)
}

// TestSortThreadTable runs each command on both servers, first and
// again, checks that they answer the same and, under PEERS_SORT_BENCH=1,
// prints the times side by side.
func TestSortThreadTable(t *testing.T) {
	n := numMessages()
	servers := startServers(t, n, benchMessage, "")
	conns := make([]*conn, len(servers))
	var tab strings.Builder
	fmt.Fprintf(&tab, "%d messages in INBOX; ms; ratio = postkit/dovecot\n", n)
	fmt.Fprintf(&tab, "%-57s %9s %9s %9s %9s %7s %7s\n", "command", "pk first", "pk again", "dc first", "dc again", "r first", "r again")
	row := func(cmd string, ms [2][2]float64) {
		fmt.Fprintf(&tab, "%-57s %9.1f %9.1f %9.1f %9.1f %7s %7s\n", cmd, ms[0][0], ms[0][1], ms[1][0], ms[1][1],
			ratio(ms[0][0], ms[1][0]), ratio(ms[0][1], ms[1][1]))
	}
	var selMS [2][2]float64
	for i, s := range servers {
		conns[i] = s.dial(t)
		for k := range 2 {
			_, ms, err := conns[i].timed("SELECT INBOX")
			require.NoError(t, err, s.name)
			selMS[i][k] = ms
		}
	}
	row("SELECT INBOX", selMS)
	for _, cmd := range commands {
		var ms [2][2]float64
		var out [2][]string
		for i, s := range servers {
			for k := range 2 {
				var err error
				out[i], ms[i][k], err = conns[i].timed(cmd)
				require.NoError(t, err, s.name)
			}
			checkShape(t, s.name, cmd, out[i], n)
		}
		row(cmd, ms)
		compareAnswers(t, cmd, out[0], out[1])
	}
	if os.Getenv("PEERS_SORT_BENCH") != "" || testing.Verbose() {
		t.Log("\n" + tab.String())
	}
}

// checkShape checks the answer of one server to cmd on n messages.
func checkShape(t *testing.T, name, cmd string, out []string, n int) {
	t.Helper()
	if len(out) != 1 {
		t.Errorf("%s: %s: %d untagged lines", name, cmd, len(out))
		return
	}
	switch {
	case strings.HasPrefix(cmd, "SORT"):
		if k := len(strings.Fields(out[0])) - 2; k != n {
			t.Errorf("%s: %s: %d numbers", name, cmd, k)
		}
	case strings.HasPrefix(cmd, "THREAD"):
		roots, err := parseThreads(out[0])
		if err != nil {
			t.Errorf("%s: %s: %v", name, cmd, err)
		} else if len(roots) != n/mailboxtest.ThreadSize {
			t.Errorf("%s: %s: %d threads, want %d", name, cmd, len(roots), n/mailboxtest.ThreadSize)
		}
	}
}

func benchCommand(b *testing.B, cmd string) {
	n := numMessages()
	servers := startServers(b, n, benchMessage, "")
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			c := s.dial(b)
			if _, err := c.run("SELECT INBOX"); err != nil {
				b.Fatal(err)
			}
			if _, err := c.run(cmd); err != nil { // Dovecot's index
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := c.run(cmd); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
		})
	}
}

func BenchmarkSortArrival(b *testing.B)       { benchCommand(b, commands[0]) }
func BenchmarkSortSubjectDate(b *testing.B)   { benchCommand(b, commands[3]) }
func BenchmarkSortDisplayFrom(b *testing.B)   { benchCommand(b, commands[5]) }
func BenchmarkThreadOrderedSubj(b *testing.B) { benchCommand(b, commands[7]) }
func BenchmarkThreadReferences(b *testing.B)  { benchCommand(b, commands[8]) }
