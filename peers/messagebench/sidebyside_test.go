package messagebench

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

// A measurement is one implementation's figures over a set of messages.
type measurement struct {
	name                       string
	accepted, rejected, warned int
	rejects                    []string // "file: error"
	best, median               time.Duration
	bytes                      int64
	msgs                       int
	allocsPerMsg, bytesPerMsg  float64
	accepts                    map[string]bool
}

func (m *measurement) mbps(d time.Duration) float64 {
	return float64(m.bytes) / 1e6 / d.Seconds()
}

// runOnce parses every message and returns how long it took.
func runOnce(im impl, msgs []message) time.Duration {
	start := time.Now()
	for _, m := range msgs {
		im.parse(m.data, discardLeaf)
	}
	return time.Since(start)
}

// measure runs im over msgs: once for acceptance, once between two
// runtime.MemStats readings for allocations, then reps times for the
// clock (best and median reported).
func measure(im impl, msgs []message, reps int) *measurement {
	out := &measurement{name: im.name, bytes: totalBytes(msgs), msgs: len(msgs), accepts: map[string]bool{}}
	for _, m := range msgs {
		res := im.parse(m.data, discardLeaf)
		if res.warn {
			out.warned++
		}
		if res.err != nil {
			out.rejected++
			out.rejects = append(out.rejects, m.name+": "+strconv.QuoteToASCII(clip(res.err.Error(), 100)))
			continue
		}
		out.accepted++
		out.accepts[m.name] = true
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	runOnce(im, msgs)
	runtime.ReadMemStats(&after)
	out.allocsPerMsg = float64(after.Mallocs-before.Mallocs) / float64(len(msgs))
	out.bytesPerMsg = float64(after.TotalAlloc-before.TotalAlloc) / float64(len(msgs))

	times := make([]time.Duration, reps)
	for i := range times {
		runtime.GC()
		times[i] = runOnce(im, msgs)
	}
	slices.Sort(times)
	out.best, out.median = times[0], times[len(times)/2]
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// printTable writes one table; ms[0] is the reference for the ratios.
func printTable(w io.Writer, title string, ms []*measurement) {
	fmt.Fprintf(w, "\n%s: %d messages, %.2f MB\n", title, ms[0].msgs, float64(ms[0].bytes)/1e6)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "implementation\taccepted\trejected\twarned\tMB/s best\tMB/s median\tmsgs/s best\tallocs/msg\tB/msg\tMB/s ÷ go-message\tallocs ÷ go-message\t")
	ref := ms[0]
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.0f\t%.1f\t%.0f\t%.2f\t%.2f\t\n",
			m.name, m.accepted, m.rejected, m.warned,
			m.mbps(m.best), m.mbps(m.median), float64(m.msgs)/m.best.Seconds(),
			m.allocsPerMsg, m.bytesPerMsg,
			m.mbps(m.best)/ref.mbps(ref.best), m.allocsPerMsg/ref.allocsPerMsg)
	}
	tw.Flush()
}

// TestSideBySide prints the comparison table. It runs only with
// PEERS_SIDE_BY_SIDE=1; PEERS_REPS sets the timed repetitions (default 7).
func TestSideBySide(t *testing.T) {
	if os.Getenv("PEERS_SIDE_BY_SIDE") != "1" {
		t.Skip("set PEERS_SIDE_BY_SIDE=1 to run")
	}
	reps := 7
	if v, err := strconv.Atoi(os.Getenv("PEERS_REPS")); err == nil && v > 0 {
		reps = v
	}
	msgs := loadCorpus(t)

	var whole []*measurement
	for _, im := range impls {
		whole = append(whole, measure(im, msgs, reps))
	}
	var subset []message
	for _, m := range msgs {
		if whole[0].accepts[m.name] {
			subset = append(subset, m)
		}
	}
	var fair []*measurement
	for _, im := range impls {
		fair = append(fair, measure(im, subset, reps))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d, %d timed repetitions\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), reps)
	printTable(&b, "Whole corpus", whole)
	printTable(&b, "Messages go-message accepts (the fair comparison)", fair)
	fmt.Fprintln(&b, "\nWhat each does:")
	for _, im := range impls {
		fmt.Fprintf(&b, "  %-14s %s\n", im.name, im.note)
	}
	fmt.Fprintln(&b, "  warned: postkit recorded a Defect; go-message met an unknown transfer encoding; enmime filled Envelope.Errors.")
	fmt.Fprintln(&b, "\nRejected messages (whole corpus):")
	for _, m := range whole {
		fmt.Fprintf(&b, "  %s: %d\n", m.name, m.rejected)
		for _, r := range m.rejects {
			fmt.Fprintf(&b, "    %s\n", r)
		}
	}
	fmt.Print(b.String())
	if path := os.Getenv("PEERS_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}
