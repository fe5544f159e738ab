package imapbench

import (
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// A sample is what one command measured: its time and the server's usage
// meanwhile.
type sample struct {
	d       time.Duration
	u       usage
	matches int // SEARCH: messages found
}

// A figure is one server's figures for one command over several runs.
type figure struct {
	name         string
	best, median time.Duration
	cpu          time.Duration // server CPU per command, median run
	allocs, b    float64       // server allocations and bytes per message, best run
	matches      int
	runs         int
}

// collect runs each server's command reps times, rotating the order in
// each repetition so that no server always runs first, after one
// warm-up run each.
func collect(t *testing.T, names []string, reps int, run func(i int) (sample, error)) []*figure {
	t.Helper()
	figs := make([]*figure, len(names))
	ds := make([][]time.Duration, len(names))
	cpus := make([][]time.Duration, len(names))
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
			addSample(figs[i], s)
			ds[i] = append(ds[i], s.d)
			cpus[i] = append(cpus[i], s.u.cpu)
		}
	}
	for i := range figs {
		figs[i].median = median(ds[i])
		figs[i].cpu = median(cpus[i])
	}
	return figs
}

func addSample(f *figure, s sample) {
	if f.runs == 0 || s.d < f.best {
		f.best = s.d
		f.allocs = float64(s.u.mallocs) / mailboxSize
		f.b = float64(s.u.bytes) / mailboxSize
	}
	f.matches = s.matches
	f.runs++
}

func median(v []time.Duration) time.Duration {
	slices.Sort(v)
	return v[len(v)/2]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// printFigures writes one table; figs[0] is the reference for the ratios.
func printFigures(w io.Writer, title string, figs []*figure, showMatches bool) {
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	ref := figs[0]
	fmt.Fprintf(tw, "server\tms best\tms median\tmsgs/s best\tmsgs/s median\tsrv CPU ms\tsrv allocs/msg\tsrv B/msg\t")
	if showMatches {
		fmt.Fprintf(tw, "found\t")
	}
	fmt.Fprintf(tw, "speed ÷ %s (best)\t(median)\t%s CPU ÷ this CPU\t\n", ref.name, ref.name)
	for _, f := range figs {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.0f\t%.0f\t%.2f\t%.1f\t%.0f\t",
			f.name, ms(f.best), ms(f.median), mailboxSize/f.best.Seconds(), mailboxSize/f.median.Seconds(),
			ms(f.cpu), f.allocs, f.b)
		if showMatches {
			fmt.Fprintf(tw, "%d\t", f.matches)
		}
		fmt.Fprintf(tw, "%.2f\t%.2f\t%.2f\t\n",
			float64(ref.best)/float64(f.best), float64(ref.median)/float64(f.median), float64(ref.cpu)/float64(f.cpu))
	}
	tw.Flush()
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// A target is one goal of the issue and how postkit's servers fared.
type target struct {
	what string
	figs []string
	met  bool // by every postkit server
}

func (t *target) add(name, fig string, met bool) {
	t.figs = append(t.figs, name+" "+fig)
	t.met = t.met && met
}

// speedTarget checks every server but figs[0] against ratio × figs[0]
// (best runs).
func speedTarget(what string, figs []*figure, ratio float64) target {
	t := target{what: what, met: true}
	for _, f := range figs[1:] {
		r := float64(figs[0].best) / float64(f.best)
		t.add(f.name, fmt.Sprintf("%.2f×", r), r >= ratio)
	}
	return t
}

// selectReps is how many SELECTs one SELECT sample times.
const selectReps = 5

// TestSideBySide prints the comparison tables. It runs only with
// PEERS_SIDE_BY_SIDE=1. PEERS_REPS sets the timed repetitions (default
// 5), PEERS_IDLE_CONNS the IDLE connections (default 2000), PEERS_OUT a
// file to write the tables to.
func TestSideBySide(t *testing.T) {
	if os.Getenv("PEERS_SIDE_BY_SIDE") != "1" {
		t.Skip("set PEERS_SIDE_BY_SIDE=1 to run")
	}
	reps := envInt("PEERS_REPS", 5)
	nIdle := min(envInt("PEERS_IDLE_CONNS", idleConns), idleCount())

	rep := probedCorpus(t)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d, %d timed repetitions; each server in its own process\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), reps)
	var size int64
	for _, m := range mailboxMessages(rep.good, mailboxSize) {
		size += int64(len(m))
	}
	fmt.Fprintf(&b, "INBOX: %d messages, %.1f MB, cycling through %d of the %d corpus messages (CRLF line endings); every other one \\Seen\n",
		mailboxSize, float64(size)/1e6, len(rep.good), rep.total)
	for _, si := range serverImpls {
		for _, reason := range slices.Sorted(maps.Keys(rep.skipped[si.name])) {
			files := rep.skipped[si.name][reason]
			fmt.Fprintf(&b, "  left out, %s %s (%d): %s\n", si.name, reason, len(files), strings.Join(files, " "))
		}
	}
	fmt.Fprintln(&b, "client: raw IMAP over loopback, one connection, LOGIN + ENABLE UTF8=ACCEPT; times are wall clock per command, CPU is the server process's")

	var servers []*child
	var names []string
	for _, si := range serverImpls {
		servers = append(servers, serverChild(t, si.name))
		names = append(names, si.name)
	}

	// APPEND: the loading itself.
	fmt.Fprintf(&b, "\nAPPEND, one connection, synchronising literals, %d messages one after the other\n", mailboxSize)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "server\tmsgs/s\tMB/s\tsrv CPU µs/msg\tsrv allocs/msg\tsrv B/msg\tspeed ÷ %s\t%s CPU ÷ this CPU\t\n", names[0], names[0])
	var refAppend appendFigures
	for i, c := range servers {
		f := loadChild(t, c)
		if i == 0 {
			refAppend = f
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.1f\t%.0f\t%.2f\t%.2f\t\n", c.name,
			float64(f.n)/f.d.Seconds(), float64(f.bytes)/1e6/f.d.Seconds(),
			float64(f.u.cpu)/1e3/float64(f.n), float64(f.u.mallocs)/float64(f.n), float64(f.u.bytes)/float64(f.n),
			float64(refAppend.d)/float64(f.d), float64(refAppend.u.cpu)/float64(f.u.cpu))
	}
	tw.Flush()

	conns := make([]*rawConn, len(servers))
	for i, c := range servers {
		conns[i] = selectedConn(t, c)
		defer conns[i].close()
	}
	timed := func(i int, cmd func(*rawConn) (int, error)) (sample, error) {
		u0 := servers[i].usage(t)
		start := time.Now()
		n, err := cmd(conns[i])
		d := time.Since(start)
		return sample{d: d, u: servers[i].usage(t).sub(u0), matches: n}, err
	}
	fetch := func(rc *rawConn) (int, error) { return mailboxSize, fetchAll(rc, mailboxSize) }

	// The first FETCH after loading: nothing parsed yet.
	first := make([]*figure, len(servers))
	for i := range servers {
		s, err := timed(i, fetch)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		first[i] = &figure{name: names[i]}
		addSample(first[i], s)
		first[i].median, first[i].cpu = s.d, s.u.cpu
	}
	printFigures(&b, "FETCH 1:* "+fetchItems+", the first after loading (one run)", first, false)
	var targets []target
	figs := collect(t, names, reps, func(i int) (sample, error) { return timed(i, fetch) })
	printFigures(&b, "FETCH 1:* "+fetchItems+", repeated", figs, false)
	targets = append(targets, speedTarget("FETCH 1:*, repeated: ≥ 7× go-imap", figs, 7))
	for _, crit := range []string{"BODY " + bodyWord, "HEADER Subject " + subjectWord} {
		figs := collect(t, names, reps, func(i int) (sample, error) {
			return timed(i, func(rc *rawConn) (int, error) { return search(rc, crit) })
		})
		printFigures(&b, "SEARCH "+crit, figs, true)
		targets = append(targets, speedTarget("SEARCH "+crit+": ≥ 3× go-imap", figs, 3))
	}
	printFigures(&b, fmt.Sprintf("SELECT INBOX (%d messages), again on a connection that has it selected; msgs/s is messages in the mailbox per second", mailboxSize),
		collect(t, names, reps, func(i int) (sample, error) {
			s, err := timed(i, func(rc *rawConn) (int, error) {
				for range selectReps {
					if err := selectInbox(rc, mailboxSize); err != nil {
						return 0, err
					}
				}
				return 0, nil
			})
			s.d /= selectReps
			s.u.cpu /= selectReps
			s.u.mallocs /= selectReps
			s.u.bytes /= selectReps
			return s, err
		}), false)

	targets = append(targets, idleTables(t, &b, servers, nIdle, rep.good[0].data)...)

	fmt.Fprintln(&b, "\nTargets (best run for speeds):")
	for _, tg := range targets {
		verdict := "met"
		if !tg.met {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, "  %-55s %s: %s\n", tg.what, verdict, strings.Join(tg.figs, ", "))
	}

	fmt.Fprintln(&b, "\nServers:")
	for _, si := range serverImpls {
		fmt.Fprintf(&b, "  %-13s %s\n", si.name, si.note)
	}
	fmt.Print(b.String())
	if path := os.Getenv("PEERS_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// idleTables measures IDLE on each server, on an empty mailbox and then
// on the INBOX (which then has one more message), writes a table for
// each to b and returns the targets; servers[0] is the reference for
// the ratios. The INBOX must be loaded.
func idleTables(t *testing.T, b *strings.Builder, servers []*child, nIdle int, msg []byte) []target {
	var targets []target
	for _, box := range []struct {
		name string
		have int
	}{{"Idle", 0}, {"INBOX", mailboxSize}} {
		fmt.Fprintf(b, "\n%d connections: LOGIN, ENABLE, SELECT %s (%d messages), IDLE; memory is the growth of the server's in-use heap and stacks after GC;\n"+
			"latency is from the APPEND's message sent (another connection, %d octets) to \"* n EXISTS\" on each IDLE connection\n", nIdle, box.name, box.have, len(msg))
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "server\theap B/conn\tstack B/conn\ttotal B/conn\tgoroutines/conn\ttotal ÷ %s\tnotified\tp50 ms\tp99 ms\tmax ms\tAPPEND OK ms\tp99 ÷ %s\t\n", servers[0].name, servers[0].name)
		var ref idleFigures
		memT := target{what: fmt.Sprintf("IDLE on %s: ≤ 10 KiB per connection", box.name), met: true}
		latT := target{what: fmt.Sprintf("IDLE on %s: all %d notified, p99 ≤ 50 ms", box.name, nIdle), met: true}
		for i, c := range servers {
			if box.have == 0 {
				rc, err := dialLogin(c.addr)
				if err != nil {
					t.Fatal(err)
				}
				err = rc.do("CREATE "+box.name, nil)
				rc.close()
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
			}
			f := measureIdle(t, c, nIdle, box.name, box.have, msg)
			if i == 0 {
				ref = f
			}
			total, refTotal := f.heap+f.stack, ref.heap+ref.stack
			fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", c.name,
				f.heap, f.stack, total, f.goroutinesPerConn, total/refTotal,
				f.notified, ms(f.p50), ms(f.p99), ms(f.max), ms(f.appendDone), float64(f.p99)/float64(ref.p99))
			if c.name != "go-imap" {
				memT.add(c.name, fmt.Sprintf("%.1f KiB", total/1024), total <= 10<<10)
				latT.add(c.name, fmt.Sprintf("%.1f ms", ms(f.p99)), f.notified == nIdle && f.p99 <= 50*time.Millisecond)
			}
		}
		tw.Flush()
		targets = append(targets, memT, latT)
	}

	return targets
}

// TestIdleSideBySide prints only the IDLE tables and targets, for
// working on IDLE. It runs only with PEERS_IDLE=1; PEERS_SERVERS, a
// comma-separated list of server names, picks the servers (default
// all), PEERS_IDLE_CONNS the IDLE connections (default 2000).
func TestIdleSideBySide(t *testing.T) {
	if os.Getenv("PEERS_IDLE") != "1" {
		t.Skip("set PEERS_IDLE=1 to run")
	}
	nIdle := min(envInt("PEERS_IDLE_CONNS", idleConns), idleCount())
	rep := probedCorpus(t)
	var want []string
	if v := os.Getenv("PEERS_SERVERS"); v != "" {
		want = strings.Split(v, ",")
	}
	var servers []*child
	for _, si := range serverImpls {
		if want == nil || slices.Contains(want, si.name) {
			c := serverChild(t, si.name)
			loadChild(t, c)
			servers = append(servers, c)
		}
	}
	if len(servers) == 0 {
		t.Fatal("PEERS_SERVERS names no server")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	targets := idleTables(t, &b, servers, nIdle, rep.good[0].data)
	fmt.Fprintln(&b, "\nTargets:")
	for _, tg := range targets {
		verdict := "met"
		if !tg.met {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, "  %-55s %s: %s\n", tg.what, verdict, strings.Join(tg.figs, ", "))
	}
	fmt.Print(b.String())
}
