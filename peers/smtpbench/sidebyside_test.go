package smtpbench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// A figure is one implementation's throughput over reps runs.
type figure struct {
	name           string
	best, median   float64 // msgs/s
	allocs, bytesM float64 // per message, from the best run's process
}

// timed runs one measurement: it returns the time the messages took and
// the allocations counted per message.
type timed func() (d time.Duration, allocs, bytes float64, err error)

// collect runs each of the named measurements reps times, rotating the
// order in each repetition so that no side always runs first.
func collect(t *testing.T, names []string, n int, reps int, run func(i int) timed) []*figure {
	t.Helper()
	figs := make([]*figure, len(names))
	rates := make([][]float64, len(names))
	for i, name := range names {
		figs[i] = &figure{name: name}
		if _, _, _, err := run(i)(); err != nil { // warm-up, and a check
			t.Fatalf("%s: %v", name, err)
		}
	}
	for r := range reps {
		for k := range names {
			i := (k + r) % len(names)
			d, allocs, bytes, err := run(i)()
			if err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
			rate := float64(n) / d.Seconds()
			if rate > figs[i].best {
				figs[i].best, figs[i].allocs, figs[i].bytesM = rate, allocs, bytes
			}
			rates[i] = append(rates[i], rate)
		}
	}
	for i := range figs {
		slices.Sort(rates[i])
		figs[i].median = rates[i][len(rates[i])/2]
	}
	return figs
}

func printFigures(w io.Writer, title, allocsWhose string, figs []*figure) {
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	ref := figs[0]
	fmt.Fprintf(tw, "implementation\tmsgs/s best\tmsgs/s median\t%s allocs/msg\t%s B/msg\tbest ÷ %s\tmedian ÷ %s\t\n",
		allocsWhose, allocsWhose, ref.name, ref.name)
	for _, f := range figs {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.1f\t%.0f\t%.2f\t%.2f\t\n",
			f.name, f.best, f.median, f.allocs, f.bytesM, f.best/ref.best, f.median/ref.median)
	}
	tw.Flush()
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestSideBySide prints the comparison tables. It runs only with
// PEERS_SIDE_BY_SIDE=1. PEERS_REPS sets the timed repetitions (default
// 5), PEERS_SMTP_MSGS the messages per run (default 20000; a fifth of
// that per connection and for one client), PEERS_OUT a file to write the
// tables to.
func TestSideBySide(t *testing.T) {
	if os.Getenv("PEERS_SIDE_BY_SIDE") != "1" {
		t.Skip("set PEERS_SIDE_BY_SIDE=1 to run")
	}
	reps := envInt("PEERS_REPS", 5)
	msgs := envInt("PEERS_SMTP_MSGS", 20000)

	var servers []*child
	var serverNames []string
	for _, si := range serverImpls {
		servers = append(servers, serverChild(t, si.name))
		serverNames = append(serverNames, si.name)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d, %d timed repetitions; each server in its own process\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), reps)
	fmt.Fprintf(&b, "message: %d octets, 1 recipient; servers discard the data (io.Copy to io.Discard)\n", messageSize)

	serverRun := func(load func(string, int, int) (time.Duration, error), n int) func(int) timed {
		return func(i int) timed {
			return func() (time.Duration, float64, float64, error) {
				c := servers[i]
				m0, b0 := c.mallocs(t)
				d, err := load(c.addr, serverConns, n)
				m1, b1 := c.mallocs(t)
				return d, float64(m1-m0) / float64(n), float64(b1-b0) / float64(n), err
			}
		}
	}
	printFigures(&b, fmt.Sprintf("Server, %d connections, many messages per connection (%d messages per run, raw pipelined load generator)", serverConns, msgs),
		"server", collect(t, serverNames, msgs, reps, serverRun(loadPersistent, msgs)))
	perConn := msgs / 5
	printFigures(&b, fmt.Sprintf("Server, %d concurrent connections, one message per connection: connect, EHLO, message, QUIT (%d messages per run)", serverConns, perConn),
		"server", collect(t, serverNames, perConn, reps, serverRun(loadPerConn, perConn)))

	var clientNames []string
	for _, ci := range clientImpls {
		clientNames = append(clientNames, ci.name)
	}
	for _, target := range servers {
		for _, conns := range []int{1, 20} {
			n := msgs
			if conns == 1 {
				n = msgs / 5
			}
			figs := collect(t, clientNames, n, reps, func(i int) timed {
				return func() (time.Duration, float64, float64, error) {
					r, err := runClients(clientImpls[i], target.addr, conns, n)
					return r.d, float64(r.mallocs) / float64(n), float64(r.bytes) / float64(n), err
				}
			})
			printFigures(&b, fmt.Sprintf("Client, %d connection(s), reused, into the %s server (%d messages per run)", conns, target.name, n),
				"client", figs)
		}
	}

	fmt.Fprintf(&b, "\nIdle connections: %d per server, after EHLO; growth of the server process's in-use heap and stacks after GC\n", idleConns)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\theap B/conn\tstack B/conn\ttotal B/conn\tgoroutines/conn\ttotal ÷ go-smtp\t")
	var ref float64
	for _, c := range servers {
		f := measureIdle(t, c, idleConns)
		total := f.heap + f.stack
		if ref == 0 {
			ref = total
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t\n", c.name, f.heap, f.stack, total, f.goroutinesPerConn, total/ref)
	}
	tw.Flush()

	fmt.Fprintln(&b, "\nClients:")
	for _, ci := range clientImpls {
		fmt.Fprintf(&b, "  %-9s %s\n", ci.name, ci.note)
	}
	fmt.Print(b.String())
	if path := os.Getenv("PEERS_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}
