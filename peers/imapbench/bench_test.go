package imapbench

import (
	"fmt"
	"testing"
	"time"
)

// benchServers runs fn for each server as a sub-benchmark, with the
// server's child loaded and a connection that has INBOX selected, and
// reports msgs/s (mailboxSize messages per op) and the server's
// allocations, bytes and CPU time per message; the allocs/op of
// -benchmem are the load generator's.
func benchServers(b *testing.B, fn func(b *testing.B, rc *rawConn) error) {
	for _, si := range serverImpls {
		b.Run(si.name, func(b *testing.B) {
			c := serverChild(b, si.name)
			loadChild(b, c)
			rc := selectedConn(b, c)
			defer rc.close()
			u0 := c.usage(b)
			start := time.Now()
			b.ResetTimer()
			for range b.N {
				if err := fn(b, rc); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			d := time.Since(start)
			u := c.usage(b).sub(u0)
			n := float64(b.N) * mailboxSize
			b.ReportMetric(n/d.Seconds(), "msgs/s")
			b.ReportMetric(float64(u.mallocs)/n, "srv-allocs/msg")
			b.ReportMetric(float64(u.bytes)/n, "srv-B/msg")
			b.ReportMetric(float64(u.cpu)/1e3/n, "srv-cpu-µs/msg")
		})
	}
}

// BenchmarkFetch runs FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE
// RFC822.SIZE) on the 10,000-message INBOX.
func BenchmarkFetch(b *testing.B) {
	benchServers(b, func(b *testing.B, rc *rawConn) error { return fetchAll(rc, mailboxSize) })
}

// BenchmarkSearchBody runs SEARCH BODY on the 10,000-message INBOX.
func BenchmarkSearchBody(b *testing.B) {
	benchServers(b, func(b *testing.B, rc *rawConn) error {
		_, err := search(rc, "BODY "+bodyWord)
		return err
	})
}

// BenchmarkSearchHeader runs SEARCH HEADER Subject on the 10,000-message
// INBOX.
func BenchmarkSearchHeader(b *testing.B) {
	benchServers(b, func(b *testing.B, rc *rawConn) error {
		_, err := search(rc, "HEADER Subject "+subjectWord)
		return err
	})
}

// BenchmarkSelect selects the 10,000-message INBOX again and again.
func BenchmarkSelect(b *testing.B) {
	benchServers(b, func(b *testing.B, rc *rawConn) error { return selectInbox(rc, mailboxSize) })
}

// BenchmarkAppend appends corpus messages, one after the other on one
// connection, into a mailbox of its own; msgs/s counts appended
// messages and the srv- metrics are per appended message.
func BenchmarkAppend(b *testing.B) {
	good := probedCorpus(b).good
	for _, si := range serverImpls {
		b.Run(si.name, func(b *testing.B) {
			c := serverChild(b, si.name)
			rc, err := dialLogin(c.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer rc.close()
			rc.do("CREATE Append", nil) // exists after the first round
			var bytes int64
			u0 := c.usage(b)
			start := time.Now()
			b.ResetTimer()
			for i := range b.N {
				m := good[i%len(good)].data
				bytes += int64(len(m))
				if err := rc.appendMsg("Append", "", m); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			d := time.Since(start)
			u := c.usage(b).sub(u0)
			n := float64(b.N)
			b.ReportMetric(n/d.Seconds(), "msgs/s")
			b.ReportMetric(float64(bytes)/1e6/d.Seconds(), "MB/s")
			b.ReportMetric(float64(u.mallocs)/n, "srv-allocs/msg")
			b.ReportMetric(float64(u.bytes)/n, "srv-B/msg")
			b.ReportMetric(float64(u.cpu)/1e3/n, "srv-cpu-µs/msg")
		})
	}
}

// BenchmarkIdle opens idleConns connections in IDLE on an empty mailbox
// of each server and appends one message: B/conn is the server's heap
// and stacks per connection, p99-ms the 99th percentile of the time
// until "* 1 EXISTS", of the last of b.N measures (-benchtime 1x is
// enough).
func BenchmarkIdle(b *testing.B) {
	msg := probedCorpus(b).good[0].data
	n := idleCount()
	for _, si := range serverImpls {
		b.Run(si.name, func(b *testing.B) {
			c := serverChild(b, si.name)
			var f idleFigures
			for i := range b.N {
				rc, err := dialLogin(c.addr)
				if err != nil {
					b.Fatal(err)
				}
				box := fmt.Sprintf("Idle%d-%d", time.Now().UnixNano(), i)
				err = rc.do("CREATE "+box, nil)
				rc.close()
				if err != nil {
					b.Fatal(err)
				}
				f = measureIdle(b, c, n, box, 0, msg)
			}
			b.ReportMetric(f.heap+f.stack, "B/conn")
			b.ReportMetric(float64(f.p50)/1e6, "p50-ms")
			b.ReportMetric(float64(f.p99)/1e6, "p99-ms")
			b.ReportMetric(float64(f.max)/1e6, "max-ms")
		})
	}
}
