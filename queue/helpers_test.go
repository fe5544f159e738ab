package queue

import (
	"bytes"
	"context"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a Clock whose time moves only with Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	clk *fakeClock
	at  time.Time
	c   chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.c <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	c := t.clk
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// fakeErr is a delivery result with the optional methods the queue reads.
type fakeErr struct {
	temp   bool
	status string
	mta    string
	diag   string
}

func (e *fakeErr) Error() string          { return "fake: " + e.diag }
func (e *fakeErr) Temporary() bool        { return e.temp }
func (e *fakeErr) Status() string         { return e.status }
func (e *fakeErr) RemoteMTA() string      { return e.mta }
func (e *fakeErr) DiagnosticCode() string { return e.diag }

func tempErr(diag string) error {
	return &fakeErr{temp: true, status: "4.2.0", mta: "mx.example.net", diag: "451 4.2.0 " + diag}
}

func permErr(diag string) error {
	return &fakeErr{status: "5.1.1", mta: "mx.example.net", diag: "550 5.1.1 " + diag}
}

// call is one Deliver call the fake deliverer saw.
type call struct {
	at     time.Time
	from   string
	to     []string
	body   []byte
	seeker bool
}

// fakeDeliverer answers from a function of the recipient, records every
// call, and keeps the notifications (mail from the null sender).
type fakeDeliverer struct {
	clk    Clock
	result func(rcpt string, attempt int) error
	block  chan struct{} // if set, Deliver waits for it or ctx
	// resultNull applies result to mail from the null sender too;
	// otherwise notifications are always delivered.
	resultNull bool

	mu       sync.Mutex
	calls    []call
	attempts map[string]int
	inFlight map[string]int // by domain
	maxIn    map[string]int
	maxAll   int
	all      int
}

func (f *fakeDeliverer) Deliver(ctx context.Context, from string, to []string, msg io.Reader) []error {
	_, seeker := msg.(io.Seeker)
	body, _ := io.ReadAll(msg)
	dom := domainOf(to[0])
	f.mu.Lock()
	if f.attempts == nil {
		f.attempts, f.inFlight, f.maxIn = map[string]int{}, map[string]int{}, map[string]int{}
	}
	f.inFlight[dom]++
	f.all++
	f.maxIn[dom] = max(f.maxIn[dom], f.inFlight[dom])
	f.maxAll = max(f.maxAll, f.all)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight[dom]--
		f.all--
		f.mu.Unlock()
	}()
	res := make([]error, len(to))
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			for i := range res {
				res[i] = &fakeErr{temp: true, status: "4.0.0", diag: ctx.Err().Error()}
			}
			return res
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Time{}
	if f.clk != nil {
		now = f.clk.Now()
	}
	f.calls = append(f.calls, call{at: now, from: from, to: append([]string(nil), to...), body: body, seeker: seeker})
	for i, rcpt := range to {
		f.attempts[rcpt]++
		if f.result != nil && (from != "" || f.resultNull) {
			res[i] = f.result(rcpt, f.attempts[rcpt])
		}
	}
	return res
}

// dsns returns the bodies of the notifications delivered so far.
func (f *fakeDeliverer) dsns() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.from == "" {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeDeliverer) userCalls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.from != "" {
			out = append(out, c)
		}
	}
	return out
}

// testQueue starts a queue on a memory store with a fake clock.
func testQueue(t *testing.T, d *fakeDeliverer, set func(q *Queue)) (*Queue, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	d.clk = clk
	q := &Queue{
		Store:     &MemoryStore{},
		Deliverer: d,
		Clock:     clk,
		Hostname:  "mta.example.org",
		Backoff:   func(n int) time.Duration { return time.Duration(n) * 10 * time.Minute },
	}
	if set != nil {
		set(q)
	}
	require.NoError(t, q.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Shutdown(ctx)
	})
	return q, clk
}

// settle waits until the queue has nothing to do at the clock's time.
func settle(t *testing.T, q *Queue) {
	t.Helper()
	clk := q.clock()
	require.Eventually(t, func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.active > 0 {
			return false
		}
		queued := map[*item]bool{}
		for _, ds := range q.waiting {
			// Jobs may wait only for a rate limit's next token.
			if !q.take(&domainState{tat: ds.tat}, clk.Now()).After(clk.Now()) {
				return false
			}
			for _, j := range ds.queue {
				queued[j.it] = true
			}
		}
		for _, it := range q.items {
			if it.busy && !queued[it] {
				return false
			}
		}
		return q.due.Len() == 0 || q.due[0].env.NextAttempt.After(clk.Now())
	}, 10*time.Second, time.Millisecond)
}

// advance moves the clock by d in steps, settling after each.
func advance(t *testing.T, q *Queue, clk *fakeClock, d, step time.Duration) {
	t.Helper()
	for d > 0 {
		s := min(step, d)
		clk.Advance(s)
		q.wake()
		settle(t, q)
		d -= s
	}
}

const testBody = "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Hello\r\nMessage-Id: <m1@example.org>\r\n\r\nHi Bob.\r\n"

func enqueue(t *testing.T, q *Queue, from string, rcpts ...string) string {
	t.Helper()
	env := &Envelope{From: from}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, Recipient{Addr: r})
	}
	id, err := q.Enqueue(context.Background(), env, strings.NewReader(testBody))
	require.NoError(t, err)
	return id
}

func sortedTo(calls []call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, strings.Join(c.to, ","))
	}
	sort.Strings(out)
	return out
}

var _ = bytes.NewReader
