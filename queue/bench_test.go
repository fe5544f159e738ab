package queue

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var benchBody = bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 64) // 4 KiB

// enqueueN enqueues n messages from p producers into a queue on a spool
// in dir and returns the time taken.
func enqueueN(b *testing.B, dir string, mode commitMode, p, n int) time.Duration {
	s, err := openSpool(dir, mode)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	q := &Queue{Store: s, Deliverer: DelivererFunc(func(ctx context.Context, from string, to []string, msg io.Reader) []error {
		return make([]error, len(to))
	})}
	if err := q.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer q.Shutdown(context.Background())
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range p {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				env := &Envelope{From: "a@example.org", Held: true, Recipients: []Recipient{{Addr: "b@example.net"}}}
				if _, err := q.Enqueue(context.Background(), env, bytes.NewReader(benchBody)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

var commitModes = []struct {
	name string
	mode commitMode
}{{"group", commitGroup}, {"serial", commitSerial}, {"independent", commitIndependent}}

// BenchmarkEnqueueDurable measures durable enqueues into a spool with
// 1, 8 and 64 producers: with group commit; with the baseline that
// fsyncs each message alone (serial); and with each message fsynced by
// its own producer, concurrently (independent: only the file system
// joins fsyncs).
func BenchmarkEnqueueDurable(b *testing.B) {
	for _, m := range commitModes {
		for _, p := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/producers=%d", m.name, p), func(b *testing.B) {
				d := enqueueN(b, benchDir(b), m.mode, p, b.N)
				b.ReportMetric(float64(b.N)/d.Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkGroupCommitRatio runs both modes in the same run on the same
// disk and reports how many times faster group commit is (target: >= 5
// at 64 producers).
func BenchmarkGroupCommitRatio(b *testing.B) {
	for _, p := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("producers=%d", p), func(b *testing.B) {
			n := max(400, 20*p)
			var group, serial, indep time.Duration
			for range b.N {
				// Interleaved, so that a disk busy at one moment does
				// not favour a mode.
				serial += enqueueN(b, benchDir(b), commitSerial, p, n)
				group += enqueueN(b, benchDir(b), commitGroup, p, n)
				indep += enqueueN(b, benchDir(b), commitIndependent, p, n)
			}
			b.ReportMetric(float64(n*b.N)/group.Seconds(), "group-msgs/s")
			b.ReportMetric(float64(n*b.N)/serial.Seconds(), "serial-msgs/s")
			b.ReportMetric(float64(n*b.N)/indep.Seconds(), "indep-msgs/s")
			b.ReportMetric(serial.Seconds()/group.Seconds(), "ratio-vs-serial")
			b.ReportMetric(indep.Seconds()/group.Seconds(), "ratio-vs-indep")
		})
	}
}

// BenchmarkScheduler100k measures the scheduler with 100,000 queued
// messages in memory: the cost per message of dispatching, delivering
// (to a deliverer that accepts at once) and removing them, and the
// memory the queued messages take.
func BenchmarkScheduler100k(b *testing.B) {
	const n = 100_000
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		store := &MemoryStore{}
		var delivered atomic.Int64
		done := make(chan struct{})
		q := &Queue{Store: store, Hostname: "h", Deliverer: DelivererFunc(func(ctx context.Context, from string, to []string, msg io.Reader) []error {
			if delivered.Add(int64(len(to))) == n {
				close(done)
			}
			return make([]error, len(to))
		}), MaxConcurrency: 64, DomainConcurrency: 64}
		// Fill the store first, as after a restart, with messages for
		// 100 domains.
		body := []byte("Subject: x\r\n\r\nhello\r\n")
		for i := range n {
			env := &Envelope{ID: fmt.Sprintf("m%06d", i), From: "a@example.org", Created: time.Now(), NextAttempt: time.Now(),
				Recipients: []Recipient{{Addr: fmt.Sprintf("u%d@d%d.test", i, i%100)}}, Held: true}
			store.Create(context.Background(), env, bytes.NewReader(body))
		}
		runtime.GC()
		var filled runtime.MemStats
		runtime.ReadMemStats(&filled)
		if err := q.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		// The store's copy (envelope and body) and the queue's index.
		b.ReportMetric(float64(filled.HeapAlloc-before.HeapAlloc)/n, "store-B/msg")
		b.ReportMetric(float64(after.HeapAlloc-filled.HeapAlloc)/n, "queue-B/msg")
		for _, info := range q.List() {
			q.mu.Lock()
			it := q.items[info.ID]
			it.env.Held = false
			q.mu.Unlock()
		}
		q.mu.Lock()
		for _, it := range q.items {
			q.due = append(q.due, it)
			it.index = len(q.due) - 1
		}
		q.mu.Unlock()
		b.StartTimer()
		start := time.Now()
		q.wake()
		<-done
		for q.Len() > 0 {
			time.Sleep(time.Millisecond)
		}
		el := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(el.Nanoseconds())/n, "ns/msg")
		q.Shutdown(context.Background())
	}
}
