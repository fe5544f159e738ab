package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// Shutdown drops the jobs waiting for a slot as interrupted, so that a
// message whose other domain's job delivered still has its results stored.
func TestShutdownStoresMultiDomainResults(t *testing.T) {
	block := make(chan struct{})
	d := &fakeDeliverer{block: block}
	store := &MemoryStore{}
	q, _ := testQueue(t, d, func(q *Queue) { q.Store = store; q.MaxConcurrency = 1 })
	enqueue(t, q, "a@example.org", "r@x.test", "s@y.test")
	require.Eventually(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.all == 1 }, 5*time.Second, time.Millisecond)
	done := make(chan error)
	go func() { done <- q.Shutdown(context.Background()) }()
	require.Eventually(t, func() bool {
		select {
		case <-q.loopDone:
			return true
		default:
			return false
		}
	}, 5*time.Second, time.Millisecond)
	close(block) // the running job succeeds
	require.NoError(t, <-done)
	var env *Envelope
	require.NoError(t, store.Load(context.Background(), func(e *Envelope) error { env = e; return nil }))
	require.NotNil(t, env)
	delivered := 0
	for _, r := range env.Recipients {
		if r.State == Delivered {
			delivered++
		}
	}
	require.Equal(t, 1, delivered, "the recipient delivered before Shutdown returned must be stored as delivered, else it is delivered again after restart: %+v", env.Recipients)
}

// failStore fails Update and Delete once armed.
type failStore struct {
	MemoryStore
	fail atomic.Bool
}

func (s *failStore) Update(ctx context.Context, env *Envelope) error {
	if s.fail.Load() {
		return errors.New("disk full")
	}
	return s.MemoryStore.Update(ctx, env)
}
func (s *failStore) Delete(ctx context.Context, id string) error {
	if s.fail.Load() {
		return errors.New("disk full")
	}
	return s.MemoryStore.Delete(ctx, id)
}

// gateStore blocks Update while gate is set.
type gateStore struct {
	MemoryStore
	mu      sync.Mutex
	gate    chan struct{}
	entered chan struct{}
}

func (s *gateStore) Update(ctx context.Context, env *Envelope) error {
	s.mu.Lock()
	g, e := s.gate, s.entered
	s.gate = nil
	s.mu.Unlock()
	if g != nil {
		close(e)
		<-g
	}
	return s.MemoryStore.Update(ctx, env)
}

// An operation that arrives while another operation's store write is in
// flight is applied once that write ends.
func TestReleaseDuringHoldWriteApplies(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return tempErr("later") }}
	store := &gateStore{}
	q, clk := testQueue(t, d, func(q *Queue) { q.Store = store; q.DelayWarning = -1 })
	id := enqueue(t, q, "a@example.org", "r@x.test")
	settle(t, q)
	gate, entered := make(chan struct{}), make(chan struct{})
	store.mu.Lock()
	store.gate, store.entered = gate, entered
	store.mu.Unlock()
	holdDone := make(chan error)
	go func() { holdDone <- q.Hold(context.Background(), id) }()
	<-entered
	require.NoError(t, q.Release(context.Background(), id)) // returns nil: "takes effect"
	close(gate)
	require.NoError(t, <-holdDone)
	advance(t, q, clk, 2*time.Hour, 5*time.Minute)
	info, err := q.Inspect(id)
	require.NoError(t, err)
	require.False(t, info.Held, "Release acknowledged but the message stays held forever")
}

// A Delete during a round's store write applies when the write ends, not
// at the next due time.
func TestDeleteDuringFinishWriteApplies(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return tempErr("later") }}
	store := &gateStore{}
	gate, entered := make(chan struct{}), make(chan struct{})
	store.gate, store.entered = gate, entered
	q, _ := testQueue(t, d, func(q *Queue) { q.Store = store; q.DelayWarning = -1 })
	id := enqueue(t, q, "a@example.org", "r@x.test")
	<-entered // finish is writing the round's result
	require.NoError(t, q.Delete(context.Background(), id))
	close(gate)
	time.Sleep(100 * time.Millisecond)
	_, err := q.Inspect(id)
	require.ErrorIs(t, err, ErrNotFound, "Delete returned nil after the attempt; message still queued until its next retry (10 min)")
}

// A notification that cannot be built with the original's header (one
// larger than mime.DefaultMaxHeaderBytes) is sent without it, and the
// message leaves the queue.
func TestUnbuildableDSNDoesNotKeepMessage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		origType string
	}{
		{"empty", "", "text/rfc822-headers"},
		{"header too large", strings.Repeat("X-Long: "+strings.Repeat("a", 1000)+"\r\n", 1100) + "\r\nbody\r\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakeDeliverer{result: func(string, int) error { return tempErr("later") }}
			q, clk := testQueue(t, d, func(q *Queue) { q.Lifetime = time.Hour; q.DelayWarning = -1 })
			_, err := q.Enqueue(context.Background(), &Envelope{From: "a@example.org", Ret: RetHeaders, Recipients: []Recipient{{Addr: "r@x.test"}}}, strings.NewReader(tc.body))
			require.NoError(t, err)
			advance(t, q, clk, 3*time.Hour, 5*time.Minute)
			require.Equal(t, 0, q.Len(), "the expired message must leave the queue")
			require.Len(t, d.dsns(), 1)
			p := parseDSN(t, d.dsns()[0].body)
			require.Equal(t, tc.origType, p.origType)
			require.Len(t, p.perRcpt, 1)
			require.Equal(t, "failed", p.perRcpt[0].Get("Action"))
		})
	}
}

// With Update and Delete failing, a permanently failed recipient is bounced
// once, and the store write is retried after a pause, not back to back.
func TestStoreFailureDoesNotRepeatBounces(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return permErr("no such user") }}
	store := &failStore{}
	store.fail.Store(true)
	var rounds atomic.Int64
	q, clk := testQueue(t, d, func(q *Queue) {
		q.Store = store
		q.Hooks.Notified = func(id, dsnID string, actions []string) { rounds.Add(1) }
	})
	_, err := q.Enqueue(context.Background(), &Envelope{From: "a@example.org", Recipients: []Recipient{{Addr: "r@x.test"}}}, strings.NewReader(testBody))
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // the fake clock does not move
	require.Equal(t, int64(1), rounds.Load(), "bounces queued for one failure")
	require.Len(t, d.userCalls(), 1)
	require.Equal(t, 2, q.Len(), "the message and its bounce, both waiting to be written")

	// The store recovers: after Backoff(1) the writes are retried, and
	// both leave the queue without another bounce or delivery.
	store.fail.Store(false)
	advance(t, q, clk, 15*time.Minute, 5*time.Minute)
	require.Equal(t, 0, q.Len())
	require.Equal(t, 0, store.Len())
	require.Equal(t, int64(1), rounds.Load())
	require.Len(t, d.userCalls(), 1)
	require.Len(t, d.dsns(), 1)
}

// Jobs that never started when Shutdown came end as interrupted: their
// message is stored with its recipients pending and no attempt counted,
// and is not left busy.
func TestShutdownDropsWaitingJobs(t *testing.T) {
	block := make(chan struct{})
	d := &fakeDeliverer{block: block}
	store := &MemoryStore{}
	q, _ := testQueue(t, d, func(q *Queue) { q.Store = store; q.MaxConcurrency = 1 })
	id1 := enqueue(t, q, "a@example.org", "r@x.test")
	require.Eventually(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.all == 1 }, 5*time.Second, time.Millisecond)
	id2 := enqueue(t, q, "a@example.org", "s@y.test")
	require.Eventually(t, func() bool { i, err := q.Inspect(id2); return err == nil && i.Delivering }, 5*time.Second, time.Millisecond)
	done := make(chan error)
	go func() { done <- q.Shutdown(context.Background()) }()
	<-q.loopDone
	close(block)
	require.NoError(t, <-done)
	_, err := q.Inspect(id1)
	require.ErrorIs(t, err, ErrNotFound, "delivered")
	info, err := q.Inspect(id2)
	require.NoError(t, err)
	require.False(t, info.Delivering)
	require.Equal(t, 0, info.Attempts)
	require.Equal(t, Pending, info.Recipients[0].State)
	require.Equal(t, 1, store.Len())
	require.Len(t, d.userCalls(), 1)
}

// Reporting-MTA is of type dns only for a fully qualified name (RFC 3461
// 6.3 b).
func TestReportingMTAType(t *testing.T) {
	for _, tc := range []struct{ host, want string }{
		{"mta.example.org", "dns; mta.example.org"},
		{"mta.example.org.", "dns; mta.example.org"},
		{"MX1.Example.ORG", "dns; MX1.Example.ORG"},
		{"mailhost", "x-local-hostname; mailhost"},
		{"localhost", "x-local-hostname; localhost"},
		{"localhost.localdomain", "x-local-hostname; localhost.localdomain"},
		{"box.localhost", "x-local-hostname; box.localhost"},
	} {
		require.Equal(t, tc.want, mtaName(tc.host), tc.host)
	}

	d := &fakeDeliverer{result: func(string, int) error { return permErr("no") }}
	q, _ := testQueue(t, d, func(q *Queue) { q.Hostname = "mailhost" })
	enqueue(t, q, "alice@example.org", "a@x.test")
	settle(t, q)
	require.Len(t, d.dsns(), 1)
	p := parseDSN(t, d.dsns()[0].body)
	require.Equal(t, "x-local-hostname; mailhost", p.perMessage.Get("Reporting-MTA"))
}

// oneLine cuts long text at a character boundary, never inside a UTF-8
// sequence.
func TestOneLineKeepsUTF8(t *testing.T) {
	for _, pre := range []int{0, 1, 2, 3} {
		s := strings.Repeat("a", pre) + strings.Repeat("é€😀", 200)
		got := oneLine(s)
		require.True(t, utf8.ValidString(got), "prefix %d", pre)
		require.LessOrEqual(t, len(got), 900)
		require.Greater(t, len(got), 896)
		require.True(t, strings.HasPrefix(s, got))
	}
	require.Equal(t, "x y", oneLine(" x\ty\r\n"))
}

// A RetryNow that arrives while a Hold's write is failing still applies in
// the queue at once, not at the message's next due time.
func TestRetryNowDuringFailingHoldWrite(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return tempErr("later") }}
	store := &gateFailStore{}
	q, _ := testQueue(t, d, func(q *Queue) { q.Store = store; q.DelayWarning = -1 })
	id := enqueue(t, q, "a@example.org", "r@x.test")
	settle(t, q)
	require.Len(t, d.userCalls(), 1)
	gate, entered := make(chan struct{}), make(chan struct{})
	store.mu.Lock()
	store.gate, store.entered = gate, entered
	store.mu.Unlock()
	holdDone := make(chan error)
	go func() { holdDone <- q.Hold(context.Background(), id) }()
	<-entered
	require.NoError(t, q.RetryNow(context.Background(), id))
	close(gate)
	require.Error(t, <-holdDone)
	settle(t, q) // the fake clock does not move
	info, err := q.Inspect(id)
	require.NoError(t, err)
	require.False(t, info.Held)
	require.Len(t, d.userCalls(), 2, "RetryNow acknowledged: delivered again now")
}

// gateFailStore blocks the Update made while gate is set, and fails it.
type gateFailStore struct {
	gateStore
}

func (s *gateFailStore) Update(ctx context.Context, env *Envelope) error {
	s.mu.Lock()
	g, e := s.gate, s.entered
	s.gate = nil
	s.mu.Unlock()
	if g != nil {
		close(e)
		<-g
		return errors.New("disk full")
	}
	return s.MemoryStore.Update(ctx, env)
}
