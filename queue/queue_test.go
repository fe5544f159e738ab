package queue

import (
	"context"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeliverGroupsByDomain(t *testing.T) {
	d := &fakeDeliverer{}
	q, _ := testQueue(t, d, nil)
	enqueue(t, q, "alice@example.org", "a@x.test", "b@y.test", "c@X.TEST")
	settle(t, q)
	calls := d.userCalls()
	require.Len(t, calls, 2)
	assert.Equal(t, []string{"a@x.test,c@X.TEST", "b@y.test"}, sortedTo(calls))
	for _, c := range calls {
		assert.True(t, c.seeker, "the body is an io.Seeker")
		assert.Equal(t, testBody, string(c.body))
		assert.Equal(t, "alice@example.org", c.from)
	}
	assert.Equal(t, 0, q.Len(), "a delivered message leaves the queue")
	assert.Empty(t, d.dsns())
}

func TestPartialSuccess(t *testing.T) {
	d := &fakeDeliverer{result: func(rcpt string, n int) error {
		switch {
		case strings.HasPrefix(rcpt, "temp") && n == 1:
			return tempErr("try later")
		case strings.HasPrefix(rcpt, "perm"):
			return permErr("no such user")
		}
		return nil
	}}
	var removed atomic.Int32
	q, clk := testQueue(t, d, func(q *Queue) {
		q.Hooks.Removed = func(env *Envelope, deleted bool) {
			if env.From != "" {
				removed.Add(1)
			}
		}
	})
	id := enqueue(t, q, "alice@example.org", "ok@x.test", "temp@x.test", "perm@x.test")
	settle(t, q)

	info, err := q.Inspect(id)
	require.NoError(t, err)
	rs := info.Recipients
	assert.Equal(t, Delivered, rs[0].State)
	assert.Equal(t, Pending, rs[1].State)
	assert.Equal(t, "4.2.0", rs[1].Status)
	assert.Equal(t, "451 4.2.0 try later", rs[1].Diagnostic)
	assert.Equal(t, Failed, rs[2].State)
	assert.Equal(t, "5.1.1", rs[2].Status)
	assert.Equal(t, "mx.example.net", rs[2].RemoteMTA)
	assert.True(t, rs[2].Reported)
	assert.Equal(t, 1, info.Attempts)
	assert.Equal(t, clk.Now().Add(10*time.Minute), info.NextAttempt)

	dsns := d.dsns()
	require.Len(t, dsns, 1, "one failure notice, for perm@ only")
	assert.Equal(t, []string{"alice@example.org"}, dsns[0].to)
	assert.Contains(t, string(dsns[0].body), "Final-Recipient: rfc822; perm@x.test")
	assert.NotContains(t, string(dsns[0].body), "temp@x.test")

	advance(t, q, clk, 10*time.Minute, time.Minute)
	_, err = q.Inspect(id)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, int32(1), removed.Load())
	// Only the pending recipient was tried again.
	calls := d.userCalls()
	require.Len(t, calls, 2)
	assert.Equal(t, []string{"temp@x.test"}, calls[1].to)
	assert.Len(t, d.dsns(), 1, "no second notice")
}

func TestBackoffSchedule(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return tempErr("busy") }}
	q, clk := testQueue(t, d, func(q *Queue) {
		q.Backoff = func(n int) time.Duration {
			return []time.Duration{0, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute}[min(n, 4)]
		}
		q.DelayWarning = -1
	})
	start := clk.Now()
	enqueue(t, q, "alice@example.org", "a@x.test")
	settle(t, q)
	advance(t, q, clk, 2*time.Hour, time.Minute)
	var got []time.Duration
	for _, c := range d.userCalls() {
		got = append(got, c.at.Sub(start))
	}
	m := time.Minute
	assert.Equal(t, []time.Duration{0, 5 * m, 15 * m, 35 * m, 75 * m, 115 * m}, got)
}

func TestDefaultBackoff(t *testing.T) {
	m := time.Minute
	want := []time.Duration{5 * m, 10 * m, 20 * m, 40 * m, 80 * m, 160 * m, 180 * m, 180 * m, 180 * m}
	for n, base := range want {
		for range 200 {
			d := DefaultBackoff(n + 1)
			assert.GreaterOrEqual(t, d, base*8/10, "attempt %d", n+1)
			assert.LessOrEqual(t, d, base*12/10, "attempt %d", n+1)
		}
	}
	// The jitter spreads: not every draw the same.
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[DefaultBackoff(3)] = true
	}
	assert.Greater(t, len(seen), 10)
}

func TestExpiryAndDelayNotice(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return tempErr("mailbox busy") }}
	q, clk := testQueue(t, d, func(q *Queue) {
		q.Lifetime = 5 * time.Hour
		q.DelayWarning = 2 * time.Hour
		q.Backoff = func(int) time.Duration { return 40 * time.Minute }
	})
	start := clk.Now()
	id := enqueue(t, q, "alice@example.org", "a@x.test", "b@x.test")
	settle(t, q)
	advance(t, q, clk, 3*time.Hour, 10*time.Minute)
	dsns := d.dsns()
	require.Len(t, dsns, 1, "one delay notice")
	body := string(dsns[0].body)
	assert.Contains(t, body, "Action: delayed")
	assert.Contains(t, body, "Will-Retry-Until: ")
	assert.Contains(t, body, "Content-Type: text/rfc822-headers", "delay notices return the header only")
	info, err := q.Inspect(id)
	require.NoError(t, err)
	assert.True(t, info.DelayNotified)

	advance(t, q, clk, 3*time.Hour, 10*time.Minute)
	_, err = q.Inspect(id)
	require.ErrorIs(t, err, ErrNotFound, "expired")
	dsns = d.dsns()
	require.Len(t, dsns, 2)
	body = string(dsns[1].body)
	assert.Equal(t, 2, strings.Count(body, "Action: failed"))
	assert.Contains(t, body, "Status: 4.4.7")
	assert.Contains(t, body, "Diagnostic-Code: smtp; 451 4.2.0 mailbox busy")
	// The last attempt is at the expiry time, not after it.
	calls := d.userCalls()
	assert.Equal(t, start.Add(5*time.Hour), calls[len(calls)-1].at)
}

func TestNotifyRules(t *testing.T) {
	d := &fakeDeliverer{result: func(rcpt string, _ int) error {
		if strings.HasPrefix(rcpt, "bad") {
			return permErr("no")
		}
		return nil
	}, resultNull: true}
	q, _ := testQueue(t, d, nil)
	ctx := context.Background()
	env := &Envelope{From: "alice@example.org", Recipients: []Recipient{
		{Addr: "bad1@x.test", Notify: NotifyNever},
		{Addr: "good@x.test", Notify: NotifySuccess | NotifyFailure},
		{Addr: "bad2@x.test", Notify: NotifySuccess},
		{Addr: "good2@x.test"},
	}}
	_, err := q.Enqueue(ctx, env, strings.NewReader(testBody))
	require.NoError(t, err)
	// A bounce, from the null sender, never bounces (RFC 3461 4.).
	_, err = q.Enqueue(ctx, &Envelope{From: "", Recipients: []Recipient{{Addr: "bad3@x.test"}}}, strings.NewReader(testBody))
	require.NoError(t, err)
	settle(t, q)
	var dsns []call
	for _, c := range d.dsns() {
		if c.to[0] == "alice@example.org" {
			dsns = append(dsns, c)
		}
	}
	require.Len(t, dsns, 1)
	body := string(dsns[0].body)
	assert.Contains(t, body, "Final-Recipient: rfc822; good@x.test\r\nAction: relayed\r\nStatus: 2.0.0")
	assert.NotContains(t, body, "bad1@x.test")
	assert.NotContains(t, body, "bad2@x.test")
	assert.NotContains(t, body, "good2@x.test")
	assert.NotContains(t, body, "bad3@x.test")
	assert.Contains(t, body, "Subject: Successful Mail Delivery Report")
	assert.Equal(t, 0, q.Len())
}

func TestOperations(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return tempErr("later") }}
	q, clk := testQueue(t, d, func(q *Queue) { q.DelayWarning = -1 })
	ctx := context.Background()
	id1 := enqueue(t, q, "a@example.org", "r@x.test")
	clk.Advance(time.Second)
	id2 := enqueue(t, q, "a@example.org", "r@y.test")
	settle(t, q)
	list := q.List()
	require.Len(t, list, 2)
	assert.Equal(t, id1, list[0].ID)
	assert.Equal(t, id2, list[1].ID)

	require.NoError(t, q.Hold(ctx, id1))
	info, _ := q.Inspect(id1)
	assert.True(t, info.Held)
	advance(t, q, clk, time.Hour, 5*time.Minute)
	n1 := 0
	for _, c := range d.userCalls() {
		if c.to[0] == "r@x.test" {
			n1++
		}
	}
	assert.Equal(t, 1, n1, "a held message is not tried")

	require.NoError(t, q.RetryNow(ctx, id1))
	settle(t, q)
	info, _ = q.Inspect(id1)
	assert.False(t, info.Held, "RetryNow releases")
	assert.Equal(t, 2, info.Attempts)

	require.NoError(t, q.Hold(ctx, id2))
	require.NoError(t, q.Release(ctx, id2))
	info, _ = q.Inspect(id2)
	assert.False(t, info.Held)

	require.NoError(t, q.Delete(ctx, id2))
	_, err := q.Inspect(id2)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, q.Hold(ctx, "nope"), ErrNotFound)
	assert.Empty(t, d.dsns(), "deleting notifies nobody")

	b, err := q.Open(ctx, id1)
	require.NoError(t, err)
	b.Close()
}

func TestDomainConcurrency(t *testing.T) {
	block := make(chan struct{})
	d := &fakeDeliverer{block: block}
	q, _ := testQueue(t, d, func(q *Queue) {
		q.DomainConcurrency = 2
		q.MaxConcurrency = 3
	})
	for range 6 {
		enqueue(t, q, "a@example.org", "r@x.test")
		enqueue(t, q, "a@example.org", "r@y.test")
	}
	require.Eventually(t, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.all == 3
	}, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	close(block)
	settle(t, q)
	assert.Equal(t, 0, q.Len())
	assert.Equal(t, 3, d.maxAll)
	assert.LessOrEqual(t, d.maxIn["x.test"], 2)
	assert.LessOrEqual(t, d.maxIn["y.test"], 2)
}

func TestDomainRate(t *testing.T) {
	d := &fakeDeliverer{}
	q, clk := testQueue(t, d, func(q *Queue) {
		q.DomainRate = 1.0 / 60 // one a minute
		q.DomainBurst = 2
	})
	start := clk.Now()
	for range 5 {
		enqueue(t, q, "a@example.org", "r@x.test")
	}
	enqueue(t, q, "a@example.org", "r@y.test")
	settle(t, q)
	advance(t, q, clk, 5*time.Minute, 10*time.Second)
	var xs []time.Duration
	for _, c := range d.userCalls() {
		if c.to[0] == "r@x.test" {
			xs = append(xs, c.at.Sub(start))
		}
	}
	m := time.Minute
	assert.Equal(t, []time.Duration{0, 0, m, 2 * m, 3 * m}, xs)
	assert.Equal(t, 0, q.Len())
}

func TestShutdownWaitsOrReturns(t *testing.T) {
	t.Run("graceful", func(t *testing.T) {
		block := make(chan struct{})
		d := &fakeDeliverer{block: block}
		q, _ := testQueue(t, d, nil)
		enqueue(t, q, "a@example.org", "r@x.test")
		require.Eventually(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.all == 1 }, 5*time.Second, time.Millisecond)
		done := make(chan error)
		go func() { done <- q.Shutdown(context.Background()) }()
		time.Sleep(10 * time.Millisecond)
		_, err := q.Enqueue(context.Background(), &Envelope{From: "a@b", Recipients: []Recipient{{Addr: "c@d"}}}, strings.NewReader("x"))
		assert.ErrorIs(t, err, ErrClosed)
		close(block)
		require.NoError(t, <-done)
		assert.Equal(t, 0, q.Len())
	})
	t.Run("cancelled", func(t *testing.T) {
		d := &fakeDeliverer{block: make(chan struct{})}
		store := &MemoryStore{}
		q, clk := testQueue(t, d, func(q *Queue) { q.Store = store })
		id := enqueue(t, q, "a@example.org", "r@x.test")
		require.Eventually(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.all == 1 }, 5*time.Second, time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, q.Shutdown(ctx), context.DeadlineExceeded)
		// The message is back in the store, due at once, the attempt not
		// counted.
		var envs []*Envelope
		require.NoError(t, store.Load(context.Background(), func(e *Envelope) error { envs = append(envs, e); return nil }))
		require.Len(t, envs, 1)
		assert.Equal(t, id, envs[0].ID)
		assert.Equal(t, 0, envs[0].Attempts)
		assert.Equal(t, Pending, envs[0].Recipients[0].State)
		assert.False(t, envs[0].NextAttempt.After(clk.Now()))
	})
}

func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir)
	require.NoError(t, err)
	d := &fakeDeliverer{result: func(rcpt string, _ int) error {
		if rcpt == "later@x.test" {
			return tempErr("later")
		}
		return nil
	}}
	q, _ := testQueue(t, d, func(q *Queue) { q.Store = s })
	id := enqueue(t, q, "a@example.org", "now@x.test", "later@x.test")
	settle(t, q)
	require.NoError(t, q.Shutdown(context.Background()))
	require.NoError(t, s.Close())

	s2, err := OpenSpool(dir)
	require.NoError(t, err)
	defer s2.Close()
	d2 := &fakeDeliverer{}
	q2, clk := testQueue(t, d2, func(q *Queue) { q.Store = s2 })
	info, err := q2.Inspect(id)
	require.NoError(t, err)
	assert.Equal(t, Delivered, info.Recipients[0].State)
	assert.Equal(t, Pending, info.Recipients[1].State)
	advance(t, q2, clk, 10*time.Minute, time.Minute)
	require.Len(t, d2.userCalls(), 1)
	assert.Equal(t, []string{"later@x.test"}, d2.userCalls()[0].to, "only the pending recipient again")
	assert.Equal(t, 0, q2.Len())
}

func TestEnqueueInvalid(t *testing.T) {
	q, _ := testQueue(t, &fakeDeliverer{}, nil)
	for _, env := range []*Envelope{
		{From: "a@b"},
		{From: "a@b\r\nRCPT TO:<x>", Recipients: []Recipient{{Addr: "c@d"}}},
		{From: "a@b", Recipients: []Recipient{{Addr: ""}}},
		{From: "a@b", Ret: "ALL", Recipients: []Recipient{{Addr: "c@d"}}},
	} {
		_, err := q.Enqueue(context.Background(), env, strings.NewReader("x"))
		assert.ErrorIs(t, err, ErrInvalidEnvelope)
	}
}

func TestParseNotify(t *testing.T) {
	for in, want := range map[string]Notify{
		"":                      NotifyDefault,
		"NEVER":                 NotifyNever,
		"success,Failure":       NotifySuccess | NotifyFailure,
		"SUCCESS,FAILURE,DELAY": NotifySuccess | NotifyFailure | NotifyDelay,
	} {
		got, err := ParseNotify(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		back, err := ParseNotify(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
	for _, bad := range []string{"NEVER,SUCCESS", "SOMETIMES", ","} {
		_, err := ParseNotify(bad)
		assert.Error(t, err, bad)
	}
}

func TestDeleteWhileWaitingForSlot(t *testing.T) {
	block := make(chan struct{})
	d := &fakeDeliverer{block: block}
	q, _ := testQueue(t, d, func(q *Queue) { q.DomainConcurrency = 1 })
	ctx := context.Background()
	enqueue(t, q, "a@example.org", "r1@x.test")
	require.Eventually(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.all == 1 }, 5*time.Second, time.Millisecond)
	waiting := enqueue(t, q, "a@example.org", "r2@x.test")
	held := enqueue(t, q, "a@example.org", "r3@x.test")
	require.NoError(t, q.Delete(ctx, waiting))
	require.NoError(t, q.Hold(ctx, held))
	close(block)
	settle(t, q)
	calls := d.userCalls()
	require.Len(t, calls, 1, "neither the deleted nor the held message was delivered")
	assert.Equal(t, []string{"r1@x.test"}, calls[0].to)
	_, err := q.Inspect(waiting)
	assert.ErrorIs(t, err, ErrNotFound)
	info, err := q.Inspect(held)
	require.NoError(t, err)
	assert.True(t, info.Held)
	assert.Equal(t, 0, info.Attempts)
	assert.Equal(t, 0, info.Recipients[0].Attempts)
}

// dsnDeliverer records the DSN parameters DeliverDSN was given.
type dsnDeliverer struct {
	*fakeDeliverer
	mu     sync.Mutex
	params [][4]string // ret, envid, notify list, orcpt list per call
}

func (d *dsnDeliverer) DeliverDSN(ctx context.Context, from string, to []string, msg io.Reader, ret, envID string, notify, orcpt []string) []error {
	d.mu.Lock()
	if from != "" { // not a notification
		d.params = append(d.params, [4]string{ret, envID, strings.Join(notify, "|"), strings.Join(orcpt, "|")})
	}
	d.mu.Unlock()
	return d.Deliver(ctx, from, to, msg)
}

// TestDSNParamsPassedOn: a Deliverer with DeliverDSN gets RET, ENVID
// and each recipient's NOTIFY and ORCPT, per destination domain, in the
// order of its recipients (RFC 3461 5.2).
func TestDSNParamsPassedOn(t *testing.T) {
	d := &dsnDeliverer{fakeDeliverer: &fakeDeliverer{}}
	q, _ := testQueue(t, d.fakeDeliverer, func(q *Queue) { q.Deliverer = d })
	env := &Envelope{From: "alice@example.org", Ret: RetHeaders, EnvID: "env 1", Recipients: []Recipient{
		{Addr: "a@x.test", Notify: NotifySuccess | NotifyFailure, ORcpt: "rfc822;A@x.test"},
		{Addr: "b@y.test"},
		{Addr: "c@x.test", Notify: NotifyNever},
	}}
	_, err := q.Enqueue(context.Background(), env, strings.NewReader(testBody))
	require.NoError(t, err)
	settle(t, q)
	d.mu.Lock()
	got := append([][4]string(nil), d.params...)
	d.mu.Unlock()
	assert.ElementsMatch(t, [][4]string{
		{"HDRS", "env 1", "SUCCESS,FAILURE|NEVER", "rfc822;A@x.test|"},
		{"HDRS", "env 1", "", ""},
	}, got)
	assert.Len(t, d.dsns(), 1, "the success notification a@x.test asked for")
	assert.Equal(t, 0, q.Len())
}
