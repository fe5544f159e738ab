package imapcompressbench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testMessages is the size of the test's mailbox, small enough for CI;
// IMAPCOMPRESSBENCH_MESSAGES overrides it.
const testMessages = 2000

// testRuns is how many timed FETCHes the test makes per server and mode;
// it keeps the fastest.
const testRuns = 3

// testTimeout bounds the test once the servers run.
const testTimeout = 2 * time.Minute

// measure is one server's figures in one mode.
type measure struct {
	res  result
	best time.Duration
	cpu  time.Duration // the server's CPU time per timed FETCH; 0 if unknown
	nuls int           // bodies with NUL octets in a FETCH
}

// mbps is the throughput of the plain responses in MB/s (10^6 octets,
// as testing.B reports).
func (m measure) mbps() float64 { return float64(m.res.plain) / m.best.Seconds() / 1e6 }

// cpuMBps is the plain responses' MB per second of the server's CPU
// time; 0 if unknown.
func (m measure) cpuMBps() float64 {
	if m.cpu == 0 {
		return 0
	}
	return float64(m.res.plain) / m.cpu.Seconds() / 1e6
}

// ratio is wire/plain.
func (m measure) ratio() float64 { return float64(m.res.wire) / float64(m.res.plain) }

func TestFetchCompressSideBySide(t *testing.T) {
	n := testMessages
	if v := os.Getenv("IMAPCOMPRESSBENCH_MESSAGES"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, "IMAPCOMPRESSBENCH_MESSAGES")
		require.Positive(t, n, "IMAPCOMPRESSBENCH_MESSAGES")
	}
	fx := newFixture(t, n)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	got := map[string]measure{} // by mode/server
	for _, mode := range []string{"plain", "deflate"} {
		for _, srv := range fx.servers {
			key := mode + "/" + srv.name
			got[key] = fetchAndCheck(t, ctx, fx, srv, n, mode == "deflate")
		}
	}
	if t.Failed() {
		return
	}

	var tab strings.Builder
	fmt.Fprintf(&tab, "FETCH 1:%d (UID FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[]), messages %d octets\n", n, fx.octets)
	fmt.Fprintf(&tab, "%-16s %10s %10s %10s %8s %8s %9s\n", "", "wire", "plain", "wire/plain", "MB/s", "CPU ms", "MB/CPU-s")
	for _, mode := range []string{"plain", "deflate"} {
		for _, srv := range fx.servers {
			key := mode + "/" + srv.name
			m := got[key]
			fmt.Fprintf(&tab, "%-16s %10d %10d %10.3f %8.1f %8.1f %9.1f\n", key, m.res.wire, m.res.plain, m.ratio(), m.mbps(),
				float64(m.cpu)/float64(time.Millisecond), m.cpuMBps())
		}
	}
	for _, mode := range []string{"plain", "deflate"} {
		ours, theirs := got[mode+"/postkit"], got[mode+"/dovecot"]
		fmt.Fprintf(&tab, "%s: postkit/dovecot throughput %.2f, per CPU-second %.2f, wire octets %.3f\n", mode,
			ours.mbps()/theirs.mbps(), ours.cpuMBps()/theirs.cpuMBps(), float64(ours.res.wire)/float64(theirs.res.wire))
	}
	for _, srv := range fx.servers {
		if k := got["plain/"+srv.name].nuls; k > 0 {
			fmt.Fprintf(&tab, "%s sends NUL octets in %d BODY[] literals (CHAR8 is %%x01-ff, RFC 9051 9)\n", srv.name, k)
		}
	}
	t.Log("\n" + tab.String())
}

// fetchAndCheck logs in to srv, turns COMPRESS on when compress is set,
// fetches the mailbox once untimed and testRuns times timed, and checks
// that each fetch carries the bodies fx wrote under their UIDs and,
// under COMPRESS, that each tagged OK came on a sync flush. It returns
// the fastest run.
func fetchAndCheck(t *testing.T, ctx context.Context, fx *fixture, srv server, n int, compress bool) measure {
	t.Helper()
	name := srv.name + " plain"
	if compress {
		name = srv.name + " deflate"
	}
	s, err := dial(ctx, srv.addr)
	require.NoError(t, err, name)
	defer s.Close()
	// The OK of SELECT is checked like that of each FETCH: had the server
	// not flushed its DEFLATE stream, the read would have hit the
	// deadline, since the client sends nothing more.
	require.NoError(t, s.login(ctx, compress), name)

	pid := srv.pid(s)
	var m measure
	cpuKnown := pid != 0
	for run := range testRuns + 1 {
		seen := make([]bool, n)
		bad, nuls := 0, 0
		cpu0, ok := cpuTime(pid)
		cpuKnown = cpuKnown && ok
		start := time.Now()
		res, err := s.fetch(ctx, n, func(uid uint32, body []byte) error {
			if uid == 0 || int(uid) > n {
				return fmt.Errorf("UID %d out of 1:%d", uid, n)
			}
			if seen[uid-1] {
				return fmt.Errorf("UID %d twice", uid)
			}
			seen[uid-1] = true
			if bytes.IndexByte(body, 0) >= 0 {
				nuls++
			}
			if sha256.Sum256(nulFree(body)) != fx.bodies[uid-1] {
				if bad++; bad <= 3 {
					t.Errorf("%s: UID %d: body differs from the message written (%d octets)", name, uid, len(body))
				}
			}
			return nil
		})
		elapsed := time.Since(start)
		cpu1, ok := cpuTime(pid)
		cpuKnown = cpuKnown && ok
		require.NoError(t, err, "%s: FETCH without a tagged OK", name)
		for i, ok := range seen {
			if !ok {
				t.Fatalf("%s: no body for UID %d", name, i+1)
			}
		}
		require.Zero(t, bad, "%s: bodies that differ", name)
		if compress {
			// RFC 4978 4: the server flushes its compressor at the end
			// of each response batch; the last octets read are the
			// sync-flush marker.
			assert.True(t, bytes.Equal(res.tail[:], syncFlushMarker), "%s: the wire data of a FETCH ends in % x, not on a sync flush", name, res.tail)
			assert.Less(t, res.wire, res.plain, "%s: compressed", name)
		} else {
			assert.Equal(t, res.plain, res.wire, "%s: plain", name)
		}
		if run == 0 {
			continue // fills the caches, untimed
		}
		if m.best == 0 || elapsed < m.best {
			m.best = elapsed
		}
		m.res, m.nuls = res, nuls
		m.cpu += cpu1 - cpu0
	}
	m.cpu /= testRuns
	if !cpuKnown {
		m.cpu = 0
		t.Logf("%s: the server's CPU time is unknown", name)
	}
	return m
}
