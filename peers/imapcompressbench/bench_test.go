package imapcompressbench

import (
	"context"
	"testing"
	"time"
)

// benchMessages is the size of the benchmark's mailbox, the issue's
// 10,000 messages.
const benchMessages = 10000

// BenchmarkFetchCompress fetches the whole mailbox of benchMessages
// messages from each server, plain and under COMPRESS=DEFLATE; the
// sub-benchmarks are named mode/server so that the two servers' figures
// of a mode sit side by side. It reports the octets read from the socket
// (wire-bytes/op), the octets of the responses inflated
// (plain-bytes/op), their ratio (wire/plain), MB/s of the plain
// responses and, where /proc tells, the CPU time of the process serving
// the session (server-cpu-ms/op).
func BenchmarkFetchCompress(b *testing.B) {
	fx := newFixture(b, benchMessages)
	ctx := context.Background()
	for _, mode := range []string{"plain", "deflate"} {
		for _, srv := range fx.servers {
			b.Run(mode+"/"+srv.name, func(b *testing.B) {
				s, err := dial(ctx, srv.addr)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				if err := s.login(ctx, mode == "deflate"); err != nil {
					b.Fatal(err)
				}
				// Untimed: fills Dovecot's index cache and our
				// structure cache.
				if _, err := s.fetch(ctx, benchMessages, nil); err != nil {
					b.Fatal(err)
				}
				pid := srv.pid(s)
				cpu0, cpuKnown := cpuTime(pid)
				var res result
				for b.Loop() {
					res, err = s.fetch(ctx, benchMessages, nil)
					if err != nil {
						b.Fatal(err)
					}
					b.SetBytes(res.plain)
				}
				if cpu1, ok := cpuTime(pid); cpuKnown && ok && pid != 0 {
					b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond)/float64(b.N), "server-cpu-ms/op")
				}
				b.ReportMetric(float64(res.wire), "wire-bytes/op")
				b.ReportMetric(float64(res.plain), "plain-bytes/op")
				b.ReportMetric(float64(res.wire)/float64(res.plain), "ratio")
			})
		}
	}
}
