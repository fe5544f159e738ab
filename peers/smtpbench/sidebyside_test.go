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

// A figure is one implementation's figures over reps runs.
type figure struct {
	name         string
	best, median float64 // msgs/s
	cpu          float64 // CPU µs per message, median over the runs
	allocs, b    float64 // allocations and bytes per message, best run
}

// A sample is what one run measured: the time the messages took and the
// measured process's usage meanwhile.
type sample struct {
	d time.Duration
	u usage
}

// collect runs each of the named measurements reps times, n messages a
// run, rotating the order in each repetition so that no side always runs
// first.
func collect(t *testing.T, names []string, n int, reps int, run func(i int) (sample, error)) []*figure {
	t.Helper()
	figs := make([]*figure, len(names))
	rates := make([][]float64, len(names))
	cpus := make([][]float64, len(names))
	for i, name := range names {
		figs[i] = &figure{name: name}
		if _, err := run(i); err != nil { // warm-up, and a check
			t.Fatalf("%s: %v", name, err)
		}
	}
	for r := range reps {
		for k := range names {
			i := (k + r) % len(names)
			s, err := run(i)
			if err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
			rate := float64(n) / s.d.Seconds()
			if rate > figs[i].best {
				figs[i].best = rate
				figs[i].allocs = float64(s.u.mallocs) / float64(n)
				figs[i].b = float64(s.u.bytes) / float64(n)
			}
			rates[i] = append(rates[i], rate)
			cpus[i] = append(cpus[i], float64(s.u.cpu)/1e3/float64(n))
		}
	}
	for i := range figs {
		figs[i].median = median(rates[i])
		figs[i].cpu = median(cpus[i])
	}
	return figs
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// printFigures writes one table; figs[0] is the reference for the ratios.
// whose says whose allocations and CPU time were counted.
func printFigures(w io.Writer, title, whose string, figs []*figure) {
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	ref := figs[0]
	fmt.Fprintf(tw, "implementation\tmsgs/s best\tmsgs/s median\t%s CPU µs/msg\t%s allocs/msg\t%s B/msg\tbest ÷ %s\tmedian ÷ %s\t%s CPU ÷ this CPU\t\n",
		whose, whose, whose, ref.name, ref.name, ref.name)
	for _, f := range figs {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.1f\t%.1f\t%.0f\t%.2f\t%.2f\t%.2f\t\n",
			f.name, f.best, f.median, f.cpu, f.allocs, f.b, f.best/ref.best, f.median/ref.median, ref.cpu/f.cpu)
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
	fmt.Fprintln(&b, "msgs/s: wall clock, best and median run; CPU: user+system time of the measured process (server child or client), median run")

	serverRun := func(load func(string, int, int) (time.Duration, error), n int) func(int) (sample, error) {
		return func(i int) (sample, error) {
			c := servers[i]
			u0 := c.usage(t)
			d, err := load(c.addr, serverConns, n)
			return sample{d, c.usage(t).sub(u0)}, err
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
			figs := collect(t, clientNames, n, reps, func(i int) (sample, error) {
				r, err := runClients(clientImpls[i], target.addr, conns, n)
				return sample{r.d, r.u}, err
			})
			printFigures(&b, fmt.Sprintf("Client, %d connection(s), reused, into the %s server (%d messages per run)", conns, target.name, n),
				"client", figs)
		}
	}

	nIdle := idleCount()
	fmt.Fprintf(&b, "\nIdle connections: %d per server, after EHLO; growth of the server process's in-use heap and stacks after GC\n", nIdle)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\theap B/conn\tstack B/conn\ttotal B/conn\tgoroutines/conn\ttotal ÷ go-smtp\t")
	var ref float64
	for _, c := range servers {
		f := measureIdle(t, c, nIdle)
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
