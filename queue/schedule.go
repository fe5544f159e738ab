package queue

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultBackoff is the retry schedule of the big MTAs: 5 minutes after
// the first failed round, doubling (10, 20, 40, 80 minutes), then every 3
// hours, each wait varied by up to ±20% so that messages deferred
// together do not come back together.
func DefaultBackoff(n int) time.Duration {
	d := 5 * time.Minute
	for i := 1; i < n && d < 3*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 3*time.Hour)
	return Jitter(d, 0.2)
}

// Jitter returns d varied at random by up to ±frac of itself.
func Jitter(d time.Duration, frac float64) time.Duration {
	return time.Duration(float64(d) * (1 + frac*(2*rand.Float64()-1)))
}

// domainState is the scheduler's view of one destination domain.
type domainState struct {
	name   string
	active int
	queue  []*job    // waiting for a slot, oldest first
	listed bool      // in Queue.waiting
	tat    time.Time // rate limit: see take
}

// job is the delivery of one message to the recipients of one domain.
type job struct {
	it     *item
	domain string
	rcpts  []int // indexes into it.env.Recipients
}

// loop dispatches due messages until Shutdown.
func (q *Queue) loop() {
	defer close(q.loopDone)
	clk := q.clock()
	for {
		q.mu.Lock()
		next := q.dispatch(clk.Now())
		q.mu.Unlock()
		var timerC <-chan time.Time
		var t Timer
		if !next.IsZero() {
			t = clk.NewTimer(max(next.Sub(clk.Now()), 0))
			timerC = t.C()
		}
		select {
		case <-q.stopC:
			if t != nil {
				t.Stop()
			}
			q.mu.Lock()
			q.dropWaiting()
			q.mu.Unlock()
			return
		case <-q.wakeC:
		case <-timerC:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// dropWaiting ends, as interrupted, the jobs still waiting for a slot
// when the queue stops: no one will start them, and a message's round
// ends (finish stores its results) only when all its jobs have. Their
// recipients stay pending, due at the next Start. Called with mu held,
// by the loop as it exits, so before Shutdown waits on q.jobs.
func (q *Queue) dropWaiting() {
	for _, ds := range q.waiting {
		for _, j := range ds.queue {
			j.it.interrupted = true
			j.it.jobs--
			if j.it.jobs == 0 {
				q.jobs.Add(1)
				go q.finish(j.it)
			}
		}
		clear(ds.queue)
		ds.queue = nil
		ds.listed = false
	}
	clear(q.waiting)
	q.waiting = nil
}

// dispatch turns due messages into jobs, starts the jobs that have a
// slot, and returns when it needs to run again (zero: when woken).
// Called with mu held.
func (q *Queue) dispatch(now time.Time) time.Time {
	for q.due.Len() > 0 && !q.due[0].env.NextAttempt.After(now) {
		it := heap.Pop(&q.due).(*item)
		q.schedule(it)
	}
	wakeAt := q.startJobs(now)
	q.sweep(now)
	if q.due.Len() > 0 {
		if t := q.due[0].env.NextAttempt; wakeAt.IsZero() || t.Before(wakeAt) {
			wakeAt = t
		}
	}
	return wakeAt
}

// schedule makes the jobs of a due message: one per domain of its
// pending recipients, in order of first appearance.
func (q *Queue) schedule(it *item) {
	it.busy = true
	it.interrupted = false
	var jobs []*job
	index := make(map[string]*job)
	for i, r := range it.env.Recipients {
		if r.State != Pending {
			continue
		}
		d := domainOf(r.Addr)
		j, ok := index[d]
		if !ok {
			j = &job{it: it, domain: d}
			index[d] = j
			jobs = append(jobs, j)
		}
		j.rcpts = append(j.rcpts, i)
	}
	if len(jobs) == 0 {
		// Nothing to deliver (a notification that could not be queued
		// last time): straight to the end of the round.
		q.jobs.Add(1)
		go q.finish(it)
		return
	}
	it.jobs = len(jobs)
	for _, j := range jobs {
		ds := q.domains[j.domain]
		if ds == nil {
			ds = &domainState{name: j.domain}
			q.domains[j.domain] = ds
		}
		ds.queue = append(ds.queue, j)
		if !ds.listed {
			ds.listed = true
			q.waiting = append(q.waiting, ds)
		}
	}
}

// startJobs starts waiting jobs while there are slots, and returns when
// a rate limit lets the next one start (zero if none waits for that).
func (q *Queue) startJobs(now time.Time) time.Time {
	maxAll := orInt(q.MaxConcurrency, DefaultMaxConcurrency)
	maxDomain := orInt(q.DomainConcurrency, DefaultDomainConcurrency)
	var wakeAt time.Time
	// Domains take turns to be first, so that when the global bound is
	// what holds jobs back, no domain waits behind the same others.
	n := len(q.waiting)
	if n == 0 {
		return wakeAt
	}
	q.rr = (q.rr + 1) % n
	order := append(q.waiting[q.rr:n:n], q.waiting[:q.rr]...)
	kept := q.waiting[:0]
	for _, ds := range order {
		for len(ds.queue) > 0 && q.active < maxAll && ds.active < maxDomain {
			if at := q.take(ds, now); !at.IsZero() {
				if wakeAt.IsZero() || at.Before(wakeAt) {
					wakeAt = at
				}
				break
			}
			j := ds.queue[0]
			ds.queue[0] = nil
			ds.queue = ds.queue[1:]
			ds.active++
			q.active++
			q.jobs.Add(1)
			go q.run(j, now)
		}
		if len(ds.queue) > 0 {
			kept = append(kept, ds)
		} else {
			ds.listed = false
			ds.queue = nil
			q.forget(ds, now)
		}
	}
	clear(q.waiting[len(kept):])
	q.waiting = kept
	return wakeAt
}

// forget drops the state of ds once it holds nothing worth keeping: no
// job, and a full rate bucket.
func (q *Queue) forget(ds *domainState, now time.Time) {
	if ds.active > 0 || ds.listed {
		return
	}
	if q.DomainRate > 0 && ds.tat.After(now) {
		return
	}
	delete(q.domains, ds.name)
}

// sweep forgets the domains whose rate bucket has filled up since they
// were last used.
func (q *Queue) sweep(now time.Time) {
	if q.DomainRate <= 0 || now.Sub(q.swept) < time.Minute {
		return
	}
	q.swept = now
	for _, ds := range q.domains {
		q.forget(ds, now)
	}
}

// take spends a token of ds's rate limit, or returns when one will be
// there. The bucket is kept as a theoretical arrival time (GCRA): each
// start moves ds.tat one interval on, and a start is allowed while
// ds.tat is at most burst-1 intervals ahead of now.
func (q *Queue) take(ds *domainState, now time.Time) time.Time {
	if q.DomainRate <= 0 {
		return time.Time{}
	}
	interval := time.Duration(float64(time.Second) / q.DomainRate)
	ahead := time.Duration(orInt(q.DomainBurst, 1)-1) * interval
	tat := ds.tat
	if tat.Before(now) {
		tat = now
	}
	if at := tat.Add(-ahead); at.After(now) {
		return at
	}
	ds.tat = tat.Add(interval)
	return time.Time{}
}

// deliver hands the message to the Deliverer, with the DSN parameters
// of the recipients rcpts (indices into env.Recipients) when it takes
// them.
func (q *Queue) deliver(ctx context.Context, env *Envelope, rcpts []int, to []string, body io.Reader) []error {
	d, ok := q.Deliverer.(DSNDeliverer)
	if !ok {
		return q.Deliverer.Deliver(ctx, env.From, to, body)
	}
	var notify, orcpt []string
	for k, i := range rcpts {
		r := &env.Recipients[i]
		if r.Notify != NotifyDefault {
			if notify == nil {
				notify = make([]string, len(rcpts))
			}
			notify[k] = r.Notify.String()
		}
		if r.ORcpt != "" {
			if orcpt == nil {
				orcpt = make([]string, len(rcpts))
			}
			orcpt[k] = r.ORcpt
		}
	}
	return d.DeliverDSN(ctx, env.From, to, body, string(env.Ret), env.EnvID, notify, orcpt)
}

// run delivers one job and records its results.
func (q *Queue) run(j *job, start time.Time) {
	defer q.jobs.Done()
	env := j.it.env // read-only here: only finish replaces fields, after every job
	to := make([]string, len(j.rcpts))
	for k, i := range j.rcpts {
		to[k] = env.Recipients[i].Addr
	}
	// A message deleted or held while this job waited for its slot is
	// not delivered; the round ends as if interrupted.
	q.mu.Lock()
	skip := j.it.wantDelete || j.it.wantHold
	q.mu.Unlock()
	ctx, cancel := context.WithTimeout(q.deliverCtx, orDuration(q.AttemptTimeout, DefaultAttemptTimeout))
	var res []error
	body, err := q.Store.Open(ctx, env.ID)
	if skip {
		if err == nil {
			body.Close()
		}
	} else if err != nil {
		res = fill(len(to), fmt.Errorf("queue: opening the message: %w", err))
	} else {
		res = q.deliver(ctx, env, j.rcpts, to, body)
		body.Close()
		if len(res) != len(to) {
			res = fill(len(to), fmt.Errorf("queue: the deliverer returned %d results for %d recipients", len(res), len(to)))
		}
	}
	cancel()
	interrupted := skip || q.deliverCtx.Err() != nil
	clk := q.clock()
	now := clk.Now()
	if !skip {
		a := &Attempt{ID: env.ID, Domain: j.domain, Recipients: to, Results: res, Start: start, Duration: now.Sub(start)}
		q.logAttempt(a)
		if q.Hooks.Attempted != nil {
			q.Hooks.Attempted(a)
		}
	}

	q.mu.Lock()
	for k, i := range j.rcpts {
		if skip {
			break
		}
		r := &env.Recipients[i]
		r.Attempts++
		r.LastAttempt = now
		applyResult(r, res[k], interrupted)
	}
	if interrupted {
		j.it.interrupted = true
	}
	ds := q.domains[j.domain]
	ds.active--
	q.forget(ds, now)
	q.active--
	j.it.jobs--
	last := j.it.jobs == 0
	if last {
		q.jobs.Add(1)
	}
	q.mu.Unlock()
	q.wake()
	if last {
		q.finish(j.it)
	}
}

func fill(n int, err error) []error {
	res := make([]error, n)
	for i := range res {
		res[i] = err
	}
	return res
}

func (q *Queue) logAttempt(a *Attempt) {
	log := q.logger()
	for i, err := range a.Results {
		if err == nil {
			log.Info("queue: delivered", "id", a.ID, "rcpt", a.Recipients[i], "duration", a.Duration)
		} else {
			log.Info("queue: not delivered", "id", a.ID, "rcpt", a.Recipients[i], "temporary", isTemporary(err), "err", err)
		}
	}
}

// isTemporary reads an error's Temporary method; an error without one is
// temporary, so that a message is never failed for a reason not known to
// be permanent.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		return t.Temporary()
	}
	return true
}

// applyResult records one recipient's result. Called with mu held.
func applyResult(r *Recipient, err error, interrupted bool) {
	if err == nil {
		r.State = Delivered
		r.Status = "2.0.0"
		r.Diagnostic, r.DiagnosticSMTP, r.RemoteMTA = "", false, ""
		return
	}
	temp := isTemporary(err) || interrupted
	if !temp {
		r.State = Failed
	}
	r.Status = ""
	var st interface{ Status() string }
	if errors.As(err, &st) {
		r.Status = st.Status()
	}
	// The class of the status must agree with the outcome (RFC 3463 3.1).
	if !validStatus(r.Status) || (temp && r.Status[0] != '4') || (!temp && r.Status[0] != '5') {
		r.Status = "5.0.0"
		if temp {
			r.Status = "4.0.0"
		}
	}
	r.RemoteMTA = ""
	var mta interface{ RemoteMTA() string }
	if errors.As(err, &mta) {
		r.RemoteMTA = mta.RemoteMTA()
	}
	r.Diagnostic, r.DiagnosticSMTP = "", false
	var dc interface{ DiagnosticCode() string }
	if errors.As(err, &dc) {
		if d := dc.DiagnosticCode(); d != "" {
			r.Diagnostic, r.DiagnosticSMTP = d, true
		}
	}
	if r.Diagnostic == "" {
		r.Diagnostic = err.Error()
	}
	r.Diagnostic = oneLine(r.Diagnostic)
}

// validStatus reports whether s is an enhanced status code (RFC 3463 2.).
func validStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

// oneLine makes s fit a header field: control characters become spaces,
// and it is cut at 900 octets, at the start of a character so that none
// is split.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxLine {
		n := maxLine
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return strings.TrimSpace(s)
}

// maxLine bounds the text of one notification field (RFC 5322 2.1.1:
// lines of at most 998 octets).
const maxLine = 900

// finish ends a delivery round of it: expiry, notifications, the next
// attempt, and the store.
func (q *Queue) finish(it *item) {
	defer q.jobs.Done()
	ctx := context.Background()
	q.mu.Lock()
	now := q.clock().Now()
	if it.wantDelete {
		env := it.env.Clone()
		q.mu.Unlock()
		q.commit(ctx, it, env, true, true)
		return
	}
	env := it.env.Clone()
	interrupted := it.interrupted
	lifetime := orDuration(q.Lifetime, DefaultLifetime)
	expiry := env.Created.Add(lifetime)
	if !interrupted && !now.Before(expiry) {
		for i := range env.Recipients {
			r := &env.Recipients[i]
			if r.State == Pending {
				// RFC 3463 3.5: 4.4.7, delivery time expired.
				r.State = Failed
				r.Status = "4.4.7"
			}
		}
	}
	q.mu.Unlock()

	// Notifications (RFC 3461 4., RFC 3464); never for the null sender.
	var report []int
	delay := false
	if env.From != "" {
		for i, r := range env.Recipients {
			switch {
			case r.Reported || r.Notify == NotifyNever:
			case r.State == Failed && r.Notify.wantsFailure():
				report = append(report, i)
			case r.State == Delivered && r.Notify.wantsSuccess():
				report = append(report, i)
			}
		}
		warn := orDuration(q.DelayWarning, DefaultDelayWarning)
		if !env.DelayNotified && warn > 0 && !now.Before(env.Created.Add(warn)) {
			for i, r := range env.Recipients {
				if r.State == Pending && r.Notify.wantsDelay() {
					report = append(report, i)
					delay = true
				}
			}
		}
	}
	dsnOK := true
	if len(report) > 0 {
		if err := q.notify(ctx, env, report, expiry, now); err != nil {
			dsnOK = false
			q.logger().Error("queue: queueing a notification", "id", env.ID, "err", err)
		} else {
			for _, i := range report {
				if env.Recipients[i].State != Pending {
					env.Recipients[i].Reported = true
				}
			}
			if delay {
				env.DelayNotified = true
			}
		}
	}

	if !interrupted {
		env.Attempts++
	}
	remove := env.Done() && dsnOK
	if !remove {
		next := now
		if !interrupted {
			next = now.Add(q.backoff(env.Attempts))
			if env.Done() {
				next = now.Add(q.backoff(1)) // only a notification to retry
			} else if next.After(expiry) {
				next = expiry // one last attempt when the message expires
			}
		}
		env.NextAttempt = next
	}
	q.mu.Lock()
	if !remove {
		it.env = env // the ops below apply to the new state
		var del bool
		env, del = q.applyOps(it)
		remove = del
	}
	q.mu.Unlock()
	q.commit(ctx, it, env, remove, true)
}
