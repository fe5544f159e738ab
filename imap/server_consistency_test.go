package imap

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
)

// consistencyClient is one client of TestConsistencyUnderLoad with its
// own model of the mailbox, kept only from the responses it gets.
type consistencyClient struct {
	c       *wireClient
	name    string
	qresync bool
	rng     *rand.Rand
	uids    []uint32          // by sequence number - 1; all known
	flags   map[uint32]string // by UID: flags sorted, \Recent left out
	known   map[string]bool   // the FLAGS of the mailbox
	tag     int
	errs    []string
	history []string // the last exchanges, for the first failure
}

var (
	reExists   = regexp.MustCompile(`^\* (\d+) EXISTS$`)
	reExpunge  = regexp.MustCompile(`^\* (\d+) EXPUNGE$`)
	reVanished = regexp.MustCompile(`^\* VANISHED ([0-9:,]+)$`)
	reFetch    = regexp.MustCompile(`^\* (\d+) FETCH \((.*)\)$`)
	reFUID     = regexp.MustCompile(`\bUID (\d+)`)
	reFFlags   = regexp.MustCompile(`\bFLAGS \(([^)]*)\)`)
	reFlagsRsp = regexp.MustCompile(`^\* FLAGS \(([^)]*)\)$`)
	reSearch   = regexp.MustCompile(`^\* SEARCH( [0-9 ]+)?$`)
)

func (m *consistencyClient) fail(format string, args ...any) {
	if len(m.errs) == 0 {
		m.errs = append(m.errs, m.name+": "+fmt.Sprintf(format, args...)+"\nafter:\n"+strings.Join(m.history, "\n"))
		return
	}
	if len(m.errs) < 20 {
		m.errs = append(m.errs, m.name+": "+fmt.Sprintf(format, args...))
	}
}

// run sends a command and checks its responses against the model,
// applying them; it returns the untagged lines. Any tagged answer but
// OK is a protocol error.
func (m *consistencyClient) run(cmd string) []string {
	m.tag++
	tag := "t" + strconv.Itoa(m.tag)
	lines := m.c.cmd(tag + " " + cmd)
	m.history = append(m.history, "C: "+tag+" "+cmd, "S: "+strings.Join(lines, "\nS: "))
	if len(m.history) > 60 {
		m.history = m.history[len(m.history)-60:]
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, tag+" OK") {
		m.fail("%s: %s", cmd, last)
	}
	m.apply(lines[:len(lines)-1], cmd)
	if i := slices.Index(m.uids, 0); i >= 0 {
		// Learn the UIDs of new messages at once (EXISTS adds them at
		// the end, so the unknown ones are a tail); FETCH may not
		// report expunges (RFC 9051 7.4.1), so the numbers stay valid.
		m.run(fmt.Sprintf("FETCH %d:%d (UID FLAGS)", i+1, len(m.uids)))
	}
	return lines[:len(lines)-1]
}

func (m *consistencyClient) index(uid uint32) int { return slices.Index(m.uids, uid) }

// unknownSlot returns the index of an entry of unknown UID where uid
// can be, UIDs ascending with sequence numbers: after every known UID
// below it, before every one above; -1 if there is none.
func (m *consistencyClient) unknownSlot(uid uint32) int {
	start := 0
	for i, u := range m.uids {
		if u != 0 && u < uid {
			start = i + 1
		}
	}
	for i := start; i < len(m.uids); i++ {
		switch {
		case m.uids[i] == 0:
			return i
		case m.uids[i] > uid:
			return -1
		}
	}
	return -1
}

func (m *consistencyClient) apply(lines []string, cmd string) {
	for _, l := range lines {
		if strings.HasPrefix(l, "* OK") || strings.HasPrefix(l, "* ENABLED") || strings.HasSuffix(l, " RECENT") {
			continue
		}
		if x := reExists.FindStringSubmatch(l); x != nil {
			n := atoi(x[1])
			if n < len(m.uids) {
				m.fail("EXISTS %d below the %d known", n, len(m.uids))
			}
			for len(m.uids) < n {
				m.uids = append(m.uids, 0)
			}
			continue
		}
		if x := reExpunge.FindStringSubmatch(l); x != nil {
			if m.qresync {
				m.fail("EXPUNGE under QRESYNC: %s", l)
			}
			if isNoExpungeCommand(cmd) {
				m.fail("EXPUNGE during %s", cmd)
			}
			n := atoi(x[1])
			if n < 1 || n > len(m.uids) {
				m.fail("EXPUNGE %d of %d", n, len(m.uids))
				continue
			}
			delete(m.flags, m.uids[n-1])
			m.uids = slices.Delete(m.uids, n-1, n)
			continue
		}
		if x := reVanished.FindStringSubmatch(l); x != nil {
			if !m.qresync {
				m.fail("VANISHED without QRESYNC: %s", l)
			}
			if isNoExpungeCommand(cmd) {
				m.fail("VANISHED during %s", cmd)
			}
			set, err := ParseSeqSet(x[1])
			if err != nil {
				m.fail("VANISHED set %q: %v", x[1], err)
				continue
			}
			for _, r := range set.Ranges {
				for u := r.Start; u <= r.Stop; u++ {
					i := m.index(u)
					if i < 0 {
						// A message announced by EXISTS whose UID this
						// client has not learnt yet: one of the unknown
						// tail, all of whose UIDs are above the known
						// ones (RFC 7162 3.2.10).
						i = m.unknownSlot(u)
						if i < 0 {
							m.fail("VANISHED names UID %d, never announced", u)
							continue
						}
					}
					delete(m.flags, u)
					m.uids = slices.Delete(m.uids, i, i+1)
				}
			}
			continue
		}
		if x := reFlagsRsp.FindStringSubmatch(l); x != nil {
			m.known = map[string]bool{}
			for _, f := range strings.Fields(x[1]) {
				m.known[f] = true
			}
			continue
		}
		if x := reFetch.FindStringSubmatch(l); x != nil {
			n := atoi(x[1])
			if n < 1 || n > len(m.uids) {
				m.fail("FETCH %d of %d: %s", n, len(m.uids), l)
				continue
			}
			if u := reFUID.FindStringSubmatch(x[2]); u != nil {
				uid := uint32(atoi(u[1]))
				if m.uids[n-1] != 0 && m.uids[n-1] != uid {
					m.fail("FETCH %d says UID %d, the model %d", n, uid, m.uids[n-1])
				}
				m.uids[n-1] = uid
			}
			if f := reFFlags.FindStringSubmatch(x[2]); f != nil && m.uids[n-1] != 0 {
				for _, fl := range strings.Fields(f[1]) {
					if !strings.HasPrefix(fl, `\`) && !m.known[fl] {
						m.fail("keyword %s in FETCH before it was in FLAGS, in the response to %s: %q", fl, cmd, lines)
					}
				}
				m.flags[m.uids[n-1]] = normFlags(f[1])
			}
			continue
		}
		if x := reSearch.FindStringSubmatch(l); x != nil {
			for _, s := range strings.Fields(x[1]) {
				if n := atoi(s); n < 1 || n > len(m.uids) {
					m.fail("SEARCH result %d of %d", n, len(m.uids))
				}
			}
			continue
		}
		m.fail("unexpected response to %s: %s", cmd, l)
	}
}

// isNoExpungeCommand reports whether cmd is one during which a server
// must not report expunges (RFC 9051 7.4.1; RFC 7162 3.2.10). The UID
// forms are other commands, during which it may.
func isNoExpungeCommand(cmd string) bool {
	return strings.HasPrefix(cmd, "FETCH") || strings.HasPrefix(cmd, "STORE") || strings.HasPrefix(cmd, "SEARCH")
}

func normFlags(s string) string {
	f := slices.DeleteFunc(strings.Fields(s), func(x string) bool { return x == `\Recent` })
	slices.Sort(f)
	return strings.Join(f, " ")
}

// step does one random operation.
func (m *consistencyClient) step(i int) {
	kw := func() string { return "k" + strconv.Itoa(m.rng.IntN(8)) }
	seq := func() int { return 1 + m.rng.IntN(len(m.uids)) }
	op := m.rng.IntN(10)
	if op < 3 && len(m.uids) > 300 {
		op = 5 // keep the mailbox small enough that FETCH ranges stay quick
	}
	switch {
	case op < 3 || len(m.uids) == 0:
		flags := ""
		if m.rng.IntN(2) == 0 {
			flags = "(" + kw() + ") "
		}
		msg := fmt.Sprintf("From: %s@example.org\r\nSubject: %s %d\r\n\r\nbody %d\r\n", m.name, m.name, i, i)
		m.run(fmt.Sprintf("APPEND INBOX %s{%d+}\r\n%s", flags, len(msg), msg))
	case op < 5:
		sign := "+"
		if m.rng.IntN(3) == 0 {
			sign = "-"
		}
		f := kw()
		if m.rng.IntN(3) == 0 {
			f = `\Seen`
		}
		m.run(fmt.Sprintf("STORE %d %sFLAGS (%s)", seq(), sign, f))
	case op < 6:
		uid := m.uids[seq()-1]
		m.run(fmt.Sprintf(`UID STORE %d +FLAGS.SILENT (\Deleted)`, uid))
		if m.rng.IntN(2) == 0 {
			m.run(fmt.Sprintf("UID EXPUNGE %d", uid))
		} else {
			m.run("EXPUNGE")
		}
	case op < 8:
		a, b := seq(), seq()
		m.run(fmt.Sprintf("FETCH %d:%d (UID FLAGS)", min(a, b), max(a, b)))
	case op < 9:
		m.run("SEARCH KEYWORD " + kw())
	default:
		m.run("NOOP")
	}
}

// TestConsistencyUnderLoad: 10 clients (half with QRESYNC) do random
// APPEND, STORE, EXPUNGE, FETCH and SEARCH on one mailbox, each keeping
// its own model of it from the responses (EXISTS, EXPUNGE or VANISHED,
// FETCH FLAGS, new keywords in FLAGS) and checking every response
// against it; at the end, with everyone quiet, each model must equal
// the mailbox. It runs on memstore and on maildir;
// POSTKIT_IMAP_CONSISTENCY sets how long each runs (CI: 60s).
func TestConsistencyUnderLoad(t *testing.T) {
	t.Run("memstore", func(t *testing.T) { consistencyUnderLoad(t, newTestServer(t)) })
	t.Run("maildir", func(t *testing.T) {
		// The folder pollers, which look for other processes' changes,
		// run too: a short interval makes them run often.
		st := maildir.New(t.TempDir(), &maildir.Options{NoSync: true, PollInterval: 20 * time.Millisecond})
		consistencyUnderLoad(t, newTestServer(t, func(s *Server) { s.Store = st }))
	})
}

func consistencyUnderLoad(t *testing.T, ts *testServer) {
	d := 2 * time.Second
	if testing.Short() {
		d = 300 * time.Millisecond
	}
	if v := os.Getenv("POSTKIT_IMAP_CONSISTENCY"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("POSTKIT_IMAP_CONSISTENCY=%q: %v", v, err)
		}
	}
	for range 5 {
		ts.deliver(t, "INBOX", testMsg, mailbox.FlagSeen)
	}
	clients := make([]*consistencyClient, 10)
	for i := range clients {
		m := &consistencyClient{c: ts.login(t), name: "c" + strconv.Itoa(i), qresync: i%2 == 1,
			rng: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))), flags: map[uint32]string{}, known: map[string]bool{}}
		if m.qresync {
			m.run("ENABLE QRESYNC")
		}
		m.run("SELECT INBOX")
		m.run("FETCH 1:* (UID FLAGS)")
		clients[i] = m
	}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	ops := make([]int, len(clients))
	for k, m := range clients {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline) && len(m.errs) == 0; i++ {
				m.step(i)
				ops[k]++
			}
		})
	}
	wg.Wait()
	total := 0
	for k, m := range clients {
		total += ops[k]
		if len(m.errs) > 0 {
			continue
		}
		// Everyone is quiet: after a NOOP the model is the mailbox.
		m.run("NOOP")
		m.tag++
		tag := "t" + strconv.Itoa(m.tag)
		lines := m.c.cmd(tag + " FETCH 1:* (UID FLAGS)")
		var uids []uint32
		for _, l := range lines[:len(lines)-1] {
			x := reFetch.FindStringSubmatch(l)
			if x == nil {
				m.fail("final FETCH: %s", l)
				continue
			}
			uid := uint32(atoi(reFUID.FindStringSubmatch(x[2])[1]))
			uids = append(uids, uid)
			if got := normFlags(reFFlags.FindStringSubmatch(x[2])[1]); got != m.flags[uid] {
				m.fail("UID %d: flags %q, the model %q", uid, got, m.flags[uid])
			}
		}
		if !slices.Equal(uids, m.uids) {
			m.fail("the mailbox has UIDs %v, the model %v", uids, m.uids)
		}
	}
	for _, m := range clients {
		for _, e := range m.errs {
			t.Error(e)
		}
	}
	t.Logf("%d clients, %v, %d commands, %d messages at the end", len(clients), d, total, len(clients[0].uids))
}
