package smtpbench

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// serverConns is the number of concurrent load-generator connections.
const serverConns = 20

// BenchmarkServer drives each server with the raw load generator: 20
// connections sending 4 KiB messages, many per connection ("persistent")
// or one per connection ("per-conn": connect, EHLO, message, QUIT).
// srv-allocs/msg, srv-B/msg and srv-cpu-µs/msg (user+system CPU time) are
// the server process's; the allocs/op of -benchmem are the load
// generator's.
func BenchmarkServer(b *testing.B) {
	modes := []struct {
		name string
		load func(addr string, conns, total int) (time.Duration, error)
	}{
		{"persistent", loadPersistent},
		{"per-conn", loadPerConn},
	}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			for _, si := range serverImpls {
				b.Run(si.name, func(b *testing.B) {
					c := serverChild(b, si.name)
					b.SetBytes(messageSize)
					u0 := c.usage(b)
					b.ResetTimer()
					d, err := m.load(c.addr, serverConns, b.N)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					u := c.usage(b).sub(u0)
					b.ReportMetric(float64(b.N)/d.Seconds(), "msgs/s")
					b.ReportMetric(float64(u.mallocs)/float64(b.N), "srv-allocs/msg")
					b.ReportMetric(float64(u.bytes)/float64(b.N), "srv-B/msg")
					b.ReportMetric(float64(u.cpu)/1e3/float64(b.N), "srv-cpu-µs/msg")
				})
			}
		})
	}
}

// BenchmarkClient sends 4 KiB messages with each client, on reused
// connections, into postkit's discarding server running in a child
// process. allocs/msg, B/msg and cpu-µs/msg (user+system CPU time) are
// the client's (this process's) while the messages are sent, without the
// dialling.
func BenchmarkClient(b *testing.B) {
	c := serverChild(b, "postkit")
	for _, conns := range []int{1, 20} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			for _, ci := range clientImpls {
				b.Run(strings.ReplaceAll(ci.name, "/", "-"), func(b *testing.B) {
					b.SetBytes(messageSize)
					b.ResetTimer()
					r, err := runClients(ci, c.addr, conns, b.N)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(b.N)/r.d.Seconds(), "msgs/s")
					b.ReportMetric(float64(r.u.mallocs)/float64(b.N), "allocs/msg")
					b.ReportMetric(float64(r.u.bytes)/float64(b.N), "B/msg")
					b.ReportMetric(float64(r.u.cpu)/1e3/float64(b.N), "cpu-µs/msg")
				})
			}
		})
	}
}
