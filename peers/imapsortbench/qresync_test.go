package imapsortbench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	reUIDValidity = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)
	reHighest     = regexp.MustCompile(`\[HIGHESTMODSEQ (\d+)\]`)
	reUIDNext     = regexp.MustCompile(`\[UIDNEXT (\d+)\]`)
)

// size returns the octets of lines as they came, CRLF included.
func size(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 2
	}
	return n
}

// TestQResyncResync measures what a client that was away while 100
// changes were made (50 flag changes, 50 expunges) to the 100,000
// messages gets back: with QRESYNC (SELECT (QRESYNC ...), RFC 7162
// 3.2.5) and without (SELECT, then FETCH 1:* (UID FLAGS), the usual
// full resynchronisation). It works on a copy of INBOX, which the other
// tests keep as it is.
func TestQResyncResync(t *testing.T) {
	if os.Getenv("PEERS_SORT_BENCH") == "" {
		t.Skip("set PEERS_SORT_BENCH=1 to run (fills 100,000 messages)")
	}
	s := start(t)
	a := s.dial(t) // selects INBOX
	for _, cmd := range []string{"CREATE Resync", "UID COPY 1:* Resync", "ENABLE QRESYNC"} {
		if _, err := a.run(cmd); err != nil {
			t.Fatal(err)
		}
	}
	sel, err := a.run("SELECT Resync")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(sel, "\n")
	validity := reUIDValidity.FindStringSubmatch(joined)[1]
	modseq := reHighest.FindStringSubmatch(joined)[1]
	uidnext := reUIDNext.FindStringSubmatch(joined)[1]
	a.nc.Close()

	b := s.dial(t)
	if _, err := b.run("SELECT Resync"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		uid := 1 + rng.IntN(numMessages)
		if i%2 == 0 {
			_, err = b.run(fmt.Sprintf("UID STORE %d +FLAGS.SILENT ($Changed)", uid))
		} else {
			if _, err = b.run(fmt.Sprintf(`UID STORE %d +FLAGS.SILENT (\Deleted)`, uid)); err == nil {
				_, err = b.run(fmt.Sprintf("UID EXPUNGE %d", uid))
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	type result struct {
		name   string
		octets int
		took   time.Duration
	}
	var results []result
	c := s.dial(t)
	if _, err := c.run("ENABLE QRESYNC"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	out, err := c.run(fmt.Sprintf("SELECT Resync (QRESYNC (%s %s 1:%s))", validity, modseq, uidnext))
	if err != nil {
		t.Fatal(err)
	}
	results = append(results, result{"SELECT (QRESYNC (uidvalidity modseq 1:uidnext))", size(out), time.Since(t0)})
	vanished, fetched := 0, 0
	for _, l := range out {
		switch {
		case strings.HasPrefix(l, "* VANISHED (EARLIER) "):
			vanished++
		case strings.Contains(l, " FETCH ("):
			fetched++
		}
	}
	if vanished != 1 || fetched == 0 || fetched > 100 {
		t.Errorf("QRESYNC answer: %d VANISHED lines, %d FETCHes", vanished, fetched)
	}

	d := s.dial(t)
	t0 = time.Now()
	full, err := d.run("SELECT Resync")
	if err == nil {
		var more []string
		more, err = d.run("FETCH 1:* (UID FLAGS)")
		full = append(full, more...)
	}
	if err != nil {
		t.Fatal(err)
	}
	results = append(results, result{"SELECT, then FETCH 1:* (UID FLAGS)", size(full), time.Since(t0)})
	for _, r := range results {
		t.Logf("%-50s %9d octets %8.1f ms", r.name, r.octets, float64(r.took.Microseconds())/1000)
	}
}
