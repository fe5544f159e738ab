package imapsortbench

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	reUIDValidity = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)
	reHighest     = regexp.MustCompile(`\[HIGHESTMODSEQ (\d+)\]`)
	reUIDNext     = regexp.MustCompile(`\[UIDNEXT (\d+)\]`)
	reFetchUID    = regexp.MustCompile(`[( ]UID (\d+)`)
	reFetchFlags  = regexp.MustCompile(`FLAGS \(([^)]*)\)`)
)

// size returns the octets of lines as they came, CRLF included.
func size(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 2
	}
	return n
}

// resync is what one server answered to a resynchronisation.
type resync struct {
	octets   int
	ms       float64
	vanished []uint32          // the UIDs of VANISHED (EARLIER)
	flags    map[uint32]string // the FLAGS of each FETCH by UID, \Recent left out
}

// parseResync reads the VANISHED and FETCH responses of out.
func parseResync(t *testing.T, name string, out []string) resync {
	t.Helper()
	r := resync{octets: size(out), flags: map[uint32]string{}}
	for _, l := range out {
		if set, ok := strings.CutPrefix(l, "* VANISHED (EARLIER) "); ok {
			uids, err := expandSet(set)
			require.NoError(t, err, "%s: %s", name, l)
			r.vanished = append(r.vanished, uids...)
			continue
		}
		if !strings.Contains(l, " FETCH (") {
			continue
		}
		u := reFetchUID.FindStringSubmatch(l)
		f := reFetchFlags.FindStringSubmatch(l)
		if u == nil || f == nil {
			t.Errorf("%s: FETCH without UID or FLAGS: %s", name, l)
			continue
		}
		uid, _ := strconv.ParseUint(u[1], 10, 32)
		var flags []string
		for _, fl := range strings.Fields(f[1]) {
			if !strings.EqualFold(fl, `\Recent`) {
				flags = append(flags, fl)
			}
		}
		slices.Sort(flags)
		r.flags[uint32(uid)] = strings.Join(flags, " ")
	}
	slices.Sort(r.vanished)
	return r
}

// expandSet returns the UIDs of a sequence-set without "*".
func expandSet(set string) ([]uint32, error) {
	var out []uint32
	for _, part := range strings.Split(set, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil {
				return nil, err
			}
		}
		for u := min(a, b); u <= max(a, b); u++ {
			out = append(out, uint32(u))
		}
	}
	return out, nil
}

// figures are one server's in TestQResyncResync.
type figures struct {
	selectMS     float64    // the first SELECT, which indexes
	changeMS     [3]float64 // the 100 changes: flag STOREs, \Deleted STOREs, EXPUNGEs
	qresync, all resync
}

// change runs cmd on c and adds its time to changeMS[k].
func (f *figures) change(c *conn, k int, cmd string) error {
	_, ms, err := c.timed(cmd)
	f.changeMS[k] += ms
	return err
}

// TestQResyncResync measures what a client that was away while 100
// changes were made (50 flag changes, 50 expunges) gets back from each
// server: with QRESYNC (SELECT (QRESYNC ...), RFC 7162 3.2.5) and
// without (SELECT, then FETCH 1:* (UID FLAGS), the usual full
// resynchronisation). Each server works on a copy of the mailbox of its
// own, written with the messages, and both must tell the same.
func TestQResyncResync(t *testing.T) {
	n := numMessages()
	servers := startServers(t, n, benchMessage, "Resync-postkit", "Resync-dovecot")
	var got [2]figures
	for si, s := range servers {
		box := "Resync-" + s.name
		a := s.dial(t)
		_, err := a.run("ENABLE QRESYNC")
		require.NoError(t, err, s.name)
		sel, ms, err := a.timed("SELECT " + box)
		require.NoError(t, err, s.name)
		got[si].selectMS = ms
		joined := strings.Join(sel, "\n")
		var m [3][]string
		for i, re := range []*regexp.Regexp{reUIDValidity, reHighest, reUIDNext} {
			m[i] = re.FindStringSubmatch(joined)
			require.NotNil(t, m[i], "%s: SELECT without %v: %s", s.name, re, joined)
		}
		validity, modseq, uidnext := m[0][1], m[1][1], m[2][1]

		b := s.dial(t)
		_, err = b.run("SELECT " + box)
		require.NoError(t, err, s.name)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 100 {
			uid := 1 + rng.IntN(n)
			if i%2 == 0 {
				err = got[si].change(b, 0, fmt.Sprintf("UID STORE %d +FLAGS.SILENT ($Changed)", uid))
			} else if err = got[si].change(b, 1, fmt.Sprintf(`UID STORE %d +FLAGS.SILENT (\Deleted)`, uid)); err == nil {
				err = got[si].change(b, 2, fmt.Sprintf("UID EXPUNGE %d", uid))
			}
			require.NoError(t, err, s.name)
		}
		_, err = b.run("LOGOUT")
		require.NoError(t, err, s.name)

		c := s.dial(t)
		_, err = c.run("ENABLE QRESYNC")
		require.NoError(t, err, s.name)
		out, ms, err := c.timed(fmt.Sprintf("SELECT %s (QRESYNC (%s %s 1:%s))", box, validity, modseq, uidnext))
		require.NoError(t, err, s.name)
		got[si].qresync = parseResync(t, s.name, out)
		got[si].qresync.ms = ms
		vanishedLines := 0
		for _, l := range out {
			if strings.HasPrefix(l, "* VANISHED (EARLIER) ") {
				vanishedLines++
			}
		}
		r := got[si].qresync
		if len(r.vanished) == 0 || len(r.flags) == 0 || len(r.flags) > 100 {
			t.Errorf("%s: QRESYNC answer: %d VANISHED lines (%d UIDs), %d FETCHes", s.name, vanishedLines, len(r.vanished), len(r.flags))
		}

		d := s.dial(t)
		full, ms1, err := d.timed("SELECT " + box)
		require.NoError(t, err, s.name)
		more, ms2, err := d.timed("FETCH 1:* (UID FLAGS)")
		require.NoError(t, err, s.name)
		got[si].all = parseResync(t, s.name, append(full, more...))
		got[si].all.ms = ms1 + ms2
	}

	pk, dc := got[0], got[1]
	assert.Equal(t, pk.qresync.vanished, dc.qresync.vanished, "VANISHED (EARLIER): postkit, dovecot")
	assert.Equal(t, pk.qresync.flags, dc.qresync.flags, "QRESYNC FETCH flags by UID: postkit, dovecot")
	if !maps.Equal(pk.all.flags, dc.all.flags) {
		diffs := 0
		for uid, f := range pk.all.flags {
			if g, ok := dc.all.flags[uid]; !ok || g != f {
				if diffs++; diffs <= maxDiffs {
					t.Errorf("FETCH 1:* UID %d: postkit %q, dovecot %q (present %v)", uid, f, g, ok)
				}
			}
		}
		t.Errorf("FETCH 1:* (UID FLAGS): %d UIDs on postkit, %d on dovecot, %d differ", len(pk.all.flags), len(dc.all.flags), diffs)
	}

	var tab strings.Builder
	fmt.Fprintf(&tab, "%d messages, 100 changes (%d expunged, %d flag changes); ratio = postkit/dovecot\n",
		n, len(pk.qresync.vanished), len(pk.qresync.flags))
	fmt.Fprintf(&tab, "%-44s %10s %10s %7s %9s %9s %7s\n", "", "pk octets", "dc octets", "ratio", "pk ms", "dc ms", "ratio")
	fmt.Fprintf(&tab, "%-44s %10s %10s %7s %9.1f %9.1f %7s\n", "first SELECT (indexing)", "", "", "", pk.selectMS, dc.selectMS, ratio(pk.selectMS, dc.selectMS))
	for k, name := range []string{"50 UID STORE +FLAGS.SILENT ($Changed)", `50 UID STORE +FLAGS.SILENT (\Deleted)`, "50 UID EXPUNGE <uid>"} {
		fmt.Fprintf(&tab, "%-44s %10s %10s %7s %9.1f %9.1f %7s\n", name, "", "", "", pk.changeMS[k], dc.changeMS[k], ratio(pk.changeMS[k], dc.changeMS[k]))
	}
	for _, row := range []struct {
		name   string
		pk, dc resync
	}{
		{"SELECT (QRESYNC (uidvalidity modseq 1:uidnext))", pk.qresync, dc.qresync},
		{"SELECT, then FETCH 1:* (UID FLAGS)", pk.all, dc.all},
	} {
		fmt.Fprintf(&tab, "%-44s %10d %10d %7s %9.1f %9.1f %7s\n", row.name, row.pk.octets, row.dc.octets,
			ratio(float64(row.pk.octets), float64(row.dc.octets)), row.pk.ms, row.dc.ms, ratio(row.pk.ms, row.dc.ms))
	}
	t.Log("\n" + tab.String())
}
