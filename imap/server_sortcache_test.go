package imap

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/mailboxtest"
)

// TestSortMsgs checks that the radix sort by numbers that stand for the
// keys gives the order of the plain comparison, over keys with many
// ties, reversed or not, times to the nanosecond, and times the
// numbers cannot hold (which compare instead).
func TestSortMsgs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	msgs := make([]*sortMsg, 500)
	for i := range msgs {
		var f keyFields
		f.strs[keySubject] = fmt.Sprint("S", rng.IntN(7))
		f.strs[keyFrom] = fmt.Sprint("F", rng.IntN(5))
		f.strs[keyDispFrom] = fmt.Sprint("D", rng.IntN(3))
		f.strs[keyTo] = fmt.Sprint("T", rng.IntN(4))
		f.strs[keyCc] = strings.Repeat("C", rng.IntN(3))
		f.strs[keyDispTo] = fmt.Sprint("E", rng.IntN(6))
		k := f.pack()
		msgs[i] = &sortMsg{uid: mailbox.UID(i + 1), seq: uint32(i + 1), num: uint32(i + 1),
			// sub-second differences: the first key is to the second
			arrival: base.Add(time.Duration(rng.IntN(4000)) * time.Millisecond),
			sent:    base.Add(time.Duration(rng.IntN(3000)) * time.Millisecond),
			size:    int64(rng.IntN(10)), msgKeys: k}
	}
	old := slices.Clone(msgs)
	for i := range old {
		m := *old[i]
		if i%50 == 7 {
			m.sent = time.Date(1901, 1, 1, 0, 0, 0, 0, time.UTC) // no packed form
		}
		old[i] = &m
	}
	keys := []string{"ARRIVAL", "DATE", "SIZE", "SUBJECT", "FROM", "TO", "CC", "DISPLAYFROM", "DISPLAYTO"}
	for n := range 400 {
		if n == 200 {
			msgs = old
		}
		var crit []SortCriterion
		for range 1 + rng.IntN(3) {
			crit = append(crit, SortCriterion{Key: keys[rng.IntN(len(keys))], Reverse: rng.IntN(2) == 0})
		}
		want := slices.Clone(msgs)
		slices.SortFunc(want, func(a, b *sortMsg) int {
			for _, k := range crit {
				r := sortKeyCompare(k.Key)(a, b)
				if k.Reverse {
					r = -r
				}
				if r != 0 {
					return r
				}
			}
			return cmp.Compare(a.seq, b.seq)
		})
		got := slices.Clone(msgs)
		rng.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		sortMsgs(got, crit)
		require.Equal(t, want, got, "%v", crit)
	}
}

// TestSortKeyCache checks that SORT and THREAD give the same answers
// from the sort key cache as without it, and that the cache holds
// every message then.
func TestSortKeyCache(t *testing.T) {
	cmds := []string{
		"SORT (ARRIVAL) UTF-8 ALL",
		"SORT (DATE) UTF-8 ALL",
		"SORT (REVERSE SIZE) UTF-8 ALL",
		"SORT (REVERSE SUBJECT DATE) UTF-8 ALL",
		"SORT (FROM) UTF-8 ALL",
		"SORT (DISPLAYFROM REVERSE ARRIVAL) UTF-8 ALL",
		"SORT (TO CC SIZE) UTF-8 ALL",
		"SORT (DISPLAYTO) UTF-8 ALL",
		"SORT (DATE) UTF-8 UNSEEN",
		"UID SORT (SUBJECT) UTF-8 1:30",
		"THREAD ORDEREDSUBJECT UTF-8 ALL",
		"THREAD REFERENCES UTF-8 ALL",
	}
	deliver := func(ts *testServer, from, to int) {
		for i := from; i < to; i++ {
			msg, _ := mailboxtest.ThreadedMessage(i)
			if i%7 == 3 {
				msg = strings.Replace(msg, "Date:", "X-Date:", 1)
			}
			if i%5 == 1 {
				ts.deliver(t, "INBOX", msg, mailbox.FlagSeen)
			} else {
				ts.deliver(t, "INBOX", msg)
			}
		}
	}
	answers := func(opt func(*Server)) []string {
		ts := newTestServer(t, opt)
		deliver(ts, 0, 60)
		c := ts.login(t)
		c.ok("s SELECT INBOX")
		var out []string
		for k := range 3 {
			if k == 2 {
				// Some cached, some not.
				deliver(ts, 60, 75)
				c.ok("n NOOP")
			}
			for i, cmd := range cmds {
				r := c.cmd(fmt.Sprintf("a%d%d %s", k, i, cmd))
				require.Len(t, r, 2, cmd)
				out = append(out, r[0])
			}
		}
		if cache := ts.srv.sortKeyCache(); cache != nil {
			n := 0
			for _, e := range cache.m {
				for _, k := range e.info.keys {
					n++
					assert.True(t, k.headerRead)
				}
			}
			assert.Equal(t, 75, n)
		}
		return out
	}
	with := answers(func(*Server) {})
	without := answers(func(s *Server) { s.SortCacheBytes = -1 })
	assert.Equal(t, without, with)
	assert.Equal(t, with[:len(cmds)], with[len(cmds):2*len(cmds)])
	assert.NotEqual(t, with[:len(cmds)], with[2*len(cmds):])
}

func TestSortCacheBounds(t *testing.T) {
	assert.Nil(t, (&Server{SortCacheBytes: -1}).sortKeyCache())
	assert.Equal(t, int64(DefaultSortCacheBytes), (&Server{}).sortKeyCache().maxBytes)
	assert.Equal(t, int64(1000), (&Server{SortCacheBytes: 1000}).sortKeyCache().maxBytes)
	// An entry is small: tens of bytes and its strings.
	f := keyFields{strs: [numKeyStrings]string{"HELLO", "ALICE", "BOB", "", "ALICE", "BOB", "a@b"}, refs: []string{"x@y", "", strings.Repeat("z", 300)}}
	k := f.pack()
	assert.Less(t, k.mem(), int64(len(k.data)+120))
	assert.Equal(t, []string{"HELLO", "ALICE", "BOB", "", "ALICE", "BOB", "a@b"},
		[]string{k.subject(), k.from(), k.to(), k.cc(), k.dispFrom(), k.dispTo(), k.msgID()})
	assert.Equal(t, f.refs, slices.Collect(k.refs()))
	assert.Empty(t, slices.Collect(noKeys.refs()))
	when := time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC)
	k = (&keyFields{sent: when, hasSent: true, reply: true}).pack()
	assert.True(t, k.hasSent && k.reply)
	assert.True(t, when.Equal(k.date()))
}

func TestSortChunks(t *testing.T) {
	c := (&Server{}).sortKeyCache()
	box := c.box(mailboxKey{account: "a", mailbox: "INBOX", uidValidity: 1})
	assert.Equal(t, box, c.box(mailboxKey{account: "a", mailbox: "INBOX", uidValidity: 1}))
	assert.NotEqual(t, box, c.box(mailboxKey{account: "a", mailbox: "INBOX", uidValidity: 2}))
	keysOf := func(uid mailbox.UID) *msgKeys {
		f := keyFields{}
		f.strs[keySubject] = fmt.Sprint("S", uid)
		return f.pack()
	}
	all := func() map[mailbox.UID]string {
		uids := make([]mailbox.UID, 300)
		for i := range uids {
			uids[i] = mailbox.UID(i + 1)
		}
		got := map[mailbox.UID]string{}
		for i, k := range c.getMany(box, uids) {
			if k != nil {
				got[uids[i]] = k.subject()
			}
		}
		return got
	}
	f := &chunkFill{c: c, box: box}
	for _, u := range []mailbox.UID{1, 2, 63, 64, 65, 200} {
		f.add(u, keysOf(u))
	}
	big := keyFields{refs: []string{strings.Repeat("r", maxKeysBytes)}}
	f.add(201, big.pack())
	f.flush()
	assert.Equal(t, map[mailbox.UID]string{1: "S1", 2: "S2", 63: "S63", 64: "S64", 65: "S65", 200: "S200"}, all())
	// A chunk gets more keys: those it had stay.
	f.add(3, keysOf(3))
	f.flush()
	assert.Equal(t, map[mailbox.UID]string{1: "S1", 2: "S2", 3: "S3", 63: "S63", 64: "S64", 65: "S65", 200: "S200"}, all())
	assert.Len(t, c.m, 3)
	var bytes int64
	for _, e := range c.ring {
		bytes += e.cost
	}
	assert.Equal(t, c.bytes, bytes)
}

// TestSortParallelHeaders checks that the headers read in parallel, in
// part (their first octets) or in full (a header longer than that),
// give the answers of headers read one at a time.
func TestSortParallelHeaders(t *testing.T) {
	cmds := []string{
		"SORT (DATE) UTF-8 ALL",
		"SORT (SUBJECT REVERSE DATE) UTF-8 ALL",
		"SORT (DISPLAYFROM TO) UTF-8 ALL",
		"SORT (CC) UTF-8 ALL",
		"THREAD REFERENCES UTF-8 ALL",
	}
	answers := func(opt func(*Server)) []string {
		ts := newTestServer(t, opt)
		for i := range 400 {
			msg, _ := mailboxtest.ThreadedMessage(i)
			switch i % 50 {
			case 5: // a header longer than what is read first
				msg = "X-Long: " + strings.Repeat("x ", int(maxHeaderPrefix)) + "\r\n" + msg
			case 7: // no body, no empty line
				msg = fmt.Sprintf("Subject: only %d\r\nFrom: h%d@example.org\r\nDate: Mon, 2 Feb 2026 10:00:%02d +0000\r\n", i, i, i%60)
			case 9: // LF line ends
				msg = strings.ReplaceAll(msg, "\r\n", "\n")
			}
			ts.deliver(t, "INBOX", msg)
		}
		c := ts.login(t)
		c.ok("s SELECT INBOX")
		var out []string
		for k := range 2 {
			for i, cmd := range cmds {
				r := c.cmd(fmt.Sprintf("a%d%d %s", k, i, cmd))
				require.Len(t, r, 2, cmd)
				out = append(out, r[0])
			}
		}
		return out
	}
	parallel := answers(func(*Server) {})
	uncached := answers(func(s *Server) { s.SortCacheBytes = -1 })
	// One at a time, each header read by the streaming reader.
	oldMin, oldPrefix := minParallelHeaders, maxHeaderPrefix
	minParallelHeaders, maxHeaderPrefix = 1<<30, 0
	defer func() { minParallelHeaders, maxHeaderPrefix = oldMin, oldPrefix }()
	serial := answers(func(s *Server) { s.SortCacheBytes = -1 })
	assert.Equal(t, serial, uncached)
	assert.Equal(t, serial, parallel)
}

// panicFetchStore's mailboxes panic in Fetch after 300 messages of
// the second Fetch of all 400 (SELECT makes the first), as a store with
// a bug might.
func panicFetchStore(st mailbox.Store) mailbox.Store {
	return wrapStore{st, func(m mailbox.Mailbox) mailbox.Mailbox { return panicFetchMailbox{m} }}
}

var panicFetchCalls atomic.Int32

type panicFetchMailbox struct{ mailbox.Mailbox }

func (m panicFetchMailbox) Fetch(ctx context.Context, uids mailbox.UIDSet, fn func(mailbox.Message) error) error {
	n := 0
	second := uids.Contains(400) && panicFetchCalls.Add(1) == 2
	return m.Mailbox.Fetch(ctx, uids, func(msg mailbox.Message) error {
		if n++; n == 300 && second {
			panic("test: store bug")
		}
		return fn(msg)
	})
}

// TestSortWorkersEndOnPanic: the header-parsing workers of a SORT end
// when the session's goroutine panics in the store's Fetch (the session
// recovers and closes the connection).
func TestSortWorkersEndOnPanic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	panicFetchCalls.Store(0)
	ts := newTestServer(t, func(s *Server) { s.Store = panicFetchStore(s.Store) })
	for i := range 400 {
		msg, _ := mailboxtest.ThreadedMessage(i)
		ts.deliver(t, "INBOX", msg)
	}
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	c.send("a SORT (SUBJECT) UTF-8 ALL\r\n")
	c.expectClosed()
	workers := func() bool {
		buf := make([]byte, 1<<20)
		return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "sortFetch.func")
	}
	assert.Eventually(t, func() bool { return !workers() }, 5*time.Second, 10*time.Millisecond, "sort workers still running")
}

// TestSortKeysOfHugeReferences: keys too big to cache (a huge
// References) are parsed for what the command needs only, so that the
// cache costs no memory for a hostile header.
func TestSortKeysOfHugeReferences(t *testing.T) {
	var refs strings.Builder
	refs.WriteString("Subject: x\r\nReferences:")
	for i := range 2000 {
		fmt.Fprintf(&refs, " <m%d@example.org>", i)
	}
	refs.WriteString("\r\n\r\n")
	h := parseHeaderBytes([]byte(refs.String()))
	subject := sortNeeds{keys: map[string]bool{"SUBJECT": true}}
	keys := sortKeysOf(h, true, subject)
	assert.Less(t, keys.mem(), int64(1024), "keys of SORT (SUBJECT)")
	assert.False(t, keys.headerRead, "not for the cache")
	assert.NotEmpty(t, keys.subject())
	keys = sortKeysOf(h, true, sortNeeds{keys: map[string]bool{}, thread: true})
	assert.Greater(t, keys.mem(), int64(maxKeysBytes), "THREAD REFERENCES needs them")
}
