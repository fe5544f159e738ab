package queue

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Queue's fields.
const (
	// DefaultLifetime is how long a message is retried before it
	// expires and bounces: five days, as Postfix and Sendmail do.
	DefaultLifetime = 5 * 24 * time.Hour
	// DefaultDelayWarning is the age at which a sender is told, once,
	// that a message is still undelivered (RFC 3461 NOTIFY=DELAY).
	DefaultDelayWarning = 4 * time.Hour
	// DefaultMaxConcurrency bounds the deliveries in progress at once.
	DefaultMaxConcurrency = 64
	// DefaultDomainConcurrency bounds the deliveries in progress to one
	// destination domain at once, so that a queue does not open more
	// connections than a receiver tolerates.
	DefaultDomainConcurrency = 4
	// DefaultAttemptTimeout bounds one Deliver call.
	DefaultAttemptTimeout = 30 * time.Minute
	// DefaultDSNFullLimit is the largest message a failure notification
	// returns in full; a larger one is returned as its header only, even
	// with RET=FULL (RFC 3461 6.2).
	DefaultDSNFullLimit = 10 << 20
)

// A Deliverer sends a message to the next hop. *smtp.Transport satisfies
// it.
//
// Deliver sends the message read from msg from the reverse-path from (""
// for the null sender) to the recipients to and returns one result per
// recipient, in order: nil for a recipient the next hop accepted, else an
// error. The queue calls it once per destination domain with the
// recipients of that domain, and gives it a fresh msg, positioned at the
// start, that is also an io.Seeker.
//
// The queue reads each error through optional methods:
// Temporary() bool (a later attempt may succeed; an error without it is
// taken as temporary), and for the notification the sender gets,
// Status() string (enhanced status code, RFC 3463), RemoteMTA() string
// and DiagnosticCode() string (the remote reply, RFC 3464 2.3.6). Without
// them the status is 4.0.0 or 5.0.0 and the diagnostic is Error().
type Deliverer interface {
	Deliver(ctx context.Context, from string, to []string, msg io.Reader) []error
}

// A DSNDeliverer is a Deliverer that also passes the DSN parameters on
// to the next hop, as a relay does (RFC 3461 5.2). The queue calls
// DeliverDSN instead of Deliver when its Deliverer has it;
// *smtp.Transport does. The parameters are plain strings so that a
// deliverer need not import this package: ret is the RET value ("",
// "FULL" or "HDRS"), envID the ENVID, xtext decoded; notify[i] and
// orcpt[i] go with to[i]: notify[i] is "" (no NOTIFY), "NEVER" or a
// comma-separated list of SUCCESS, FAILURE and DELAY, orcpt[i] is "" or
// "addr-type;address" (Recipient.ORcpt).
type DSNDeliverer interface {
	Deliverer
	DeliverDSN(ctx context.Context, from string, to []string, msg io.Reader, ret, envID string, notify, orcpt []string) []error
}

// DelivererFunc adapts a function to a Deliverer.
type DelivererFunc func(ctx context.Context, from string, to []string, msg io.Reader) []error

// Deliver calls f.
func (f DelivererFunc) Deliver(ctx context.Context, from string, to []string, msg io.Reader) []error {
	return f(ctx, from, to, msg)
}

// Hooks are called as messages move through the queue, for metrics and
// logging. Each may be nil. They are called without locks held, from the
// queue's goroutines, and must not block for long.
type Hooks struct {
	// Enqueued is called when a message was accepted (the caller's, a
	// notification, or one loaded at Start).
	Enqueued func(env *Envelope)
	// Attempted is called after each Deliver call.
	Attempted func(a *Attempt)
	// Removed is called when a message leaves the queue: every
	// recipient final, or deleted by an operator (deleted true).
	Removed func(env *Envelope, deleted bool)
	// Notified is called when a delivery status notification for the
	// message with id was queued as the message with dsnID.
	Notified func(id, dsnID string, actions []string)
}

// An Attempt is one Deliver call, as Hooks.Attempted reports it.
type Attempt struct {
	ID         string
	Domain     string
	Recipients []string
	Results    []error
	Start      time.Time
	Duration   time.Duration
}

// A Queue holds outgoing mail until it is delivered: Enqueue makes a
// message durable in the Store, and the scheduler hands due messages to
// the Deliverer, one call per destination domain, retries temporary
// failures with exponential backoff, expires messages after Lifetime and
// sends delivery status notifications (RFC 3464) back to the sender.
//
// Set the fields, then call Start; do not change them after. Store and
// Deliverer are required; the other fields have defaults.
type Queue struct {
	// Store keeps the messages.
	Store Store
	// Deliverer delivers them.
	Deliverer Deliverer
	// Clock is the scheduler's time; nil means SystemClock.
	Clock Clock
	// Hostname names this system in notifications (Reporting-MTA, the
	// From address MAILER-DAEMON@Hostname); the machine's host name if
	// empty. It should be the fully qualified domain name: a name without
	// a dot, or localhost, is reported with the type x-local-hostname
	// rather than dns (RFC 3461 6.3 b).
	Hostname string
	// Backoff returns the wait before attempt n+1 after n failed rounds
	// (n >= 1); nil means DefaultBackoff.
	Backoff func(n int) time.Duration
	// Lifetime is how long a message is retried; DefaultLifetime if 0.
	Lifetime time.Duration
	// DelayWarning is the age at which a delay notification is sent;
	// DefaultDelayWarning if 0, never if negative.
	DelayWarning time.Duration
	// MaxConcurrency bounds the Deliver calls in progress;
	// DefaultMaxConcurrency if 0.
	MaxConcurrency int
	// DomainConcurrency bounds the Deliver calls in progress per
	// destination domain; DefaultDomainConcurrency if 0.
	DomainConcurrency int
	// DomainRate, if positive, bounds the Deliver calls started per
	// destination domain to that many per second, with bursts of
	// DomainBurst (1 if 0).
	DomainRate  float64
	DomainBurst int
	// AttemptTimeout bounds one Deliver call; DefaultAttemptTimeout if 0.
	AttemptTimeout time.Duration
	// DSNFullLimit is the largest message returned whole in a failure
	// notification; DefaultDSNFullLimit if 0. It applies to an explicit
	// RET=FULL too: a larger message is returned as its header only, as
	// RFC 3461 6.2 allows.
	DSNFullLimit int64
	// Hooks observe the queue.
	Hooks Hooks
	// Logger receives a record per attempt and per error; nil discards.
	Logger *slog.Logger

	mu            sync.Mutex
	items         map[string]*item
	due           dueHeap
	domains       map[string]*domainState
	waiting       []*domainState // domains with jobs waiting for a slot
	rr            int            // where startJobs begins in waiting, for fairness
	active        int            // Deliver calls in progress
	swept         time.Time      // last sweep of q.domains
	started       bool
	stopping      bool
	wakeC         chan struct{}
	stopC         chan struct{}
	loopDone      chan struct{}
	jobs          sync.WaitGroup // delivery and finishing goroutines
	deliverCtx    context.Context
	cancelDeliver context.CancelFunc
	seq           atomic.Uint64
}

// item is a message in the queue's index.
type item struct {
	env   *Envelope // the queue's copy, changed under mu only
	index int       // in due, -1 when not there
	busy  bool      // being delivered or written: not dispatched, ops deferred

	jobs        int  // domain deliveries not yet finished
	interrupted bool // a delivery was cut short by Shutdown
	// Operations asked for while busy, applied when it is no longer.
	wantDelete, wantHold, wantRetry, wantRelease bool
}

// ErrNotStarted is returned by calls that need Start first.
var ErrNotStarted = errors.New("queue: not started")

func (q *Queue) clock() Clock {
	if q.Clock != nil {
		return q.Clock
	}
	return SystemClock{}
}

func (q *Queue) logger() *slog.Logger {
	if q.Logger != nil {
		return q.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func orDuration(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func (q *Queue) hostname() string {
	if q.Hostname != "" {
		return q.Hostname
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// Start loads the messages of the Store, schedules each again with its
// recipients' state, and starts delivering. A message that was being
// delivered when the process stopped is due at once. If the Store's Load
// fails (an unreadable envelope, say), the messages it did give are
// scheduled, the queue runs, and Start returns the error: the caller
// decides whether to go on or to Shutdown.
func (q *Queue) Start(ctx context.Context) error {
	if q.Store == nil || q.Deliverer == nil {
		return errors.New("queue: Store and Deliverer are required")
	}
	q.mu.Lock()
	if q.started {
		q.mu.Unlock()
		return errors.New("queue: already started")
	}
	q.started = true
	q.items = make(map[string]*item)
	q.domains = make(map[string]*domainState)
	q.wakeC = make(chan struct{}, 1)
	q.stopC = make(chan struct{})
	q.loopDone = make(chan struct{})
	q.deliverCtx, q.cancelDeliver = context.WithCancel(context.Background())
	q.mu.Unlock()
	var loaded []*Envelope
	err := q.Store.Load(ctx, func(env *Envelope) error {
		q.mu.Lock()
		it := &item{env: env, index: -1}
		q.items[env.ID] = it
		if !env.Held {
			heap.Push(&q.due, it)
		}
		q.mu.Unlock()
		if q.Hooks.Enqueued != nil {
			loaded = append(loaded, env.Clone())
		}
		return nil
	})
	if err != nil {
		q.logger().Error("queue: loading the store", "err", err)
	}
	for _, e := range loaded {
		q.Hooks.Enqueued(e)
	}
	go q.loop()
	return err
}

// newID returns a message id: the time in microseconds, a sequence
// number and random bits, in hex, so ids sort by arrival.
func (q *Queue) newID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMicro()))
	binary.BigEndian.PutUint16(b[8:10], uint16(q.seq.Add(1)))
	rand.Read(b[10:])
	return hex.EncodeToString(b[:])
}

// Enqueue adds a message to the queue and returns its id once the Store
// has made it durable: body is read to its end, env is copied (its ID,
// Created, NextAttempt and delivery state are set by the queue; Held is
// kept, so a message enqueued held waits for Release). An
// error means the message may or may not be in the queue; the caller
// must not acknowledge it (an SMTP server answers 451) and may send it
// again.
func (q *Queue) Enqueue(ctx context.Context, env *Envelope, body io.Reader) (string, error) {
	return q.enqueue(ctx, env, body, false)
}

// enqueue is Enqueue; internal (a notification) goes in while the queue
// shuts down, so that a delivery that ends then can still report.
func (q *Queue) enqueue(ctx context.Context, env *Envelope, body io.Reader, internal bool) (string, error) {
	if err := env.validate(); err != nil {
		return "", err
	}
	q.mu.Lock()
	switch {
	case !q.started:
		q.mu.Unlock()
		return "", ErrNotStarted
	case q.stopping && !internal:
		q.mu.Unlock()
		return "", ErrClosed
	}
	q.mu.Unlock()
	e := env.Clone()
	now := q.clock().Now()
	e.ID = q.newID(now)
	e.Created = now
	e.NextAttempt = now
	e.Attempts = 0
	e.DelayNotified = false
	for i := range e.Recipients {
		r := &e.Recipients[i]
		*r = Recipient{Addr: r.Addr, Notify: r.Notify, ORcpt: r.ORcpt}
	}
	if err := q.Store.Create(ctx, e, body); err != nil {
		return "", err
	}
	q.mu.Lock()
	it := &item{env: e, index: -1}
	q.items[e.ID] = it
	if !e.Held {
		heap.Push(&q.due, it)
	}
	q.mu.Unlock()
	q.wake()
	if q.Hooks.Enqueued != nil {
		q.Hooks.Enqueued(e.Clone())
	}
	return e.ID, nil
}

// Info is a message as List and Inspect show it.
type Info struct {
	Envelope
	// Delivering reports that a delivery is in progress.
	Delivering bool
}

// List returns every message in the queue, oldest first.
func (q *Queue) List() []Info {
	q.mu.Lock()
	out := make([]Info, 0, len(q.items))
	for _, it := range q.items {
		out = append(out, Info{Envelope: *it.env.Clone(), Delivering: it.busy})
	}
	q.mu.Unlock()
	slices.SortFunc(out, func(a, b Info) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// Len returns the number of messages in the queue.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Inspect returns message id's envelope and state.
func (q *Queue) Inspect(id string) (Info, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	it, ok := q.items[id]
	if !ok {
		return Info{}, ErrNotFound
	}
	return Info{Envelope: *it.env.Clone(), Delivering: it.busy}, nil
}

// Open returns the body of message id. The caller closes it.
func (q *Queue) Open(ctx context.Context, id string) (Body, error) {
	q.mu.Lock()
	_, ok := q.items[id]
	q.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	return q.Store.Open(ctx, id)
}

// Hold stops delivery of message id until Release. On a message not
// being delivered it is durable when it returns; on one being delivered,
// or whose envelope is being written for another operation, it takes
// effect, durably, when the attempt or the write ends (should the store
// then fail, the error is logged, the queue applies the operation anyway
// and the store gets it with the message's next write). So do Release,
// RetryNow and Delete.
func (q *Queue) Hold(ctx context.Context, id string) error {
	return q.operate(ctx, id, func(it *item) { it.wantHold, it.wantRelease = true, false })
}

// Release lets a held message be delivered again, when it is due.
func (q *Queue) Release(ctx context.Context, id string) error {
	return q.operate(ctx, id, func(it *item) { it.wantRelease, it.wantHold = true, false })
}

// RetryNow makes message id due now, held or not (it releases it).
func (q *Queue) RetryNow(ctx context.Context, id string) error {
	return q.operate(ctx, id, func(it *item) {
		it.wantRetry, it.wantRelease, it.wantHold = true, true, false
	})
}

// Delete removes message id without notifying anyone. A delivery in
// progress finishes first, and the message is then removed.
func (q *Queue) Delete(ctx context.Context, id string) error {
	return q.operate(ctx, id, func(it *item) { it.wantDelete = true })
}

// operate records an operation on message id and, unless a delivery is
// in progress (which applies it when it ends), applies it now.
func (q *Queue) operate(ctx context.Context, id string, set func(*item)) error {
	q.mu.Lock()
	switch {
	case !q.started:
		q.mu.Unlock()
		return ErrNotStarted
	case q.stopping:
		q.mu.Unlock()
		return ErrClosed
	}
	it, ok := q.items[id]
	if !ok {
		q.mu.Unlock()
		return ErrNotFound
	}
	set(it)
	if it.busy {
		q.mu.Unlock()
		return nil
	}
	it.busy = true
	if it.index >= 0 {
		heap.Remove(&q.due, it.index)
	}
	env, deleted := q.applyOps(it)
	q.mu.Unlock()
	return q.commit(ctx, it, env, deleted, false)
}

// applyOps applies the operations recorded on it to a copy of its
// envelope, which it returns with whether the message is to be deleted.
// Called with mu held.
func (q *Queue) applyOps(it *item) (*Envelope, bool) {
	env := it.env.Clone()
	if it.wantDelete {
		return env, true
	}
	if it.wantHold {
		env.Held = true
	}
	if it.wantRelease {
		env.Held = false
	}
	if it.wantRetry {
		env.NextAttempt = q.clock().Now()
	}
	it.wantHold, it.wantRelease, it.wantRetry = false, false, false
	return env, false
}

// pendingOps reports whether operations are recorded on it. Called with
// mu held.
func (it *item) pendingOps() bool {
	return it.wantDelete || it.wantHold || it.wantRelease || it.wantRetry
}

// commit writes env (or deletes the message) and puts the item back in
// the schedule. Operations asked for during the write (recorded on it,
// their callers already answered) are applied and written in turn before
// the item stops being busy, so that none is lost or waits for the next
// round. Called without mu, on a busy item; it returns the error of the
// first write.
//
// kept is set when env must stand even if the store fails: the result
// of a delivery round (its recipients reported, its attempt counted),
// which must not be acted on again, or operations whose callers were
// told they would apply. On a store error the queue then keeps env, the
// store keeps the old state until a later write, and the message is due
// again after Backoff(1) rather than at once, so that a failing store is
// not hammered nor a failure bounced round after round. Otherwise (an
// operation whose caller gets the error) the queue keeps the old state.
func (q *Queue) commit(ctx context.Context, it *item, env *Envelope, remove, kept bool) error {
	var first error
	for n := 0; ; n++ {
		var err error
		if remove {
			err = q.Store.Delete(ctx, env.ID)
		} else {
			err = q.Store.Update(ctx, env)
		}
		if n == 0 {
			first = err
		}
		q.mu.Lock()
		if err != nil {
			q.logger().Error("queue: store", "id", env.ID, "err", err)
			if kept {
				if retry := q.clock().Now().Add(q.backoff(1)); env.NextAttempt.Before(retry) {
					env.NextAttempt = retry
				}
				it.env = env
			}
			// Operations recorded meanwhile apply in the queue; the
			// store gets them with the next write. A Delete stays
			// recorded, for the next round or operation.
			if it.pendingOps() && !it.wantDelete {
				it.env, _ = q.applyOps(it)
			}
			break
		}
		if remove {
			deleted := it.wantDelete
			it.busy = false
			delete(q.items, env.ID)
			q.mu.Unlock()
			q.wake()
			if q.Hooks.Removed != nil {
				q.Hooks.Removed(env, deleted)
			}
			return first
		}
		it.env = env
		if !it.pendingOps() {
			break
		}
		env, remove = q.applyOps(it)
		kept = true
		q.mu.Unlock()
	}
	it.busy = false
	if !it.env.Held {
		heap.Push(&q.due, it)
	}
	q.mu.Unlock()
	q.wake()
	return first
}

// backoff is q.Backoff, or DefaultBackoff.
func (q *Queue) backoff(n int) time.Duration {
	if q.Backoff != nil {
		return q.Backoff(n)
	}
	return DefaultBackoff(n)
}

// Shutdown stops the queue: no message is enqueued or dispatched any
// more, deliveries waiting for a slot do not start (their recipients stay
// pending, due at the next Start), and deliveries in progress finish; a
// message's results are stored once its deliveries in progress have
// ended. If ctx ends first, they are
// cancelled; their recipients not yet delivered stay in the queue, due at
// the next Start, without the attempt counting. Shutdown returns when
// every delivery has ended and its result is stored, with ctx's error if
// it ended first. It does not close the Store.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if !q.started {
		q.mu.Unlock()
		return ErrNotStarted
	}
	if q.stopping {
		q.mu.Unlock()
		<-q.loopDone
		q.jobs.Wait()
		return nil
	}
	q.stopping = true
	close(q.stopC)
	q.mu.Unlock()
	<-q.loopDone
	done := make(chan struct{})
	go func() {
		q.jobs.Wait()
		close(done)
	}()
	select {
	case <-done:
		q.cancelDeliver()
		return nil
	case <-ctx.Done():
		q.cancelDeliver()
		<-done
		return ctx.Err()
	}
}

func (q *Queue) wake() {
	select {
	case q.wakeC <- struct{}{}:
	default:
	}
}

// dueHeap orders items by NextAttempt.
type dueHeap []*item

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	return h[i].env.NextAttempt.Before(h[j].env.NextAttempt)
}
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *dueHeap) Push(x any) {
	it := x.(*item)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	it.index = -1
	return it
}
