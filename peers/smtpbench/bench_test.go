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
// srv-allocs/msg and srv-B/msg are the server process's allocations; the
// allocs/op of -benchmem are the load generator's.
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
					m0, t0 := c.mallocs(b)
					b.ResetTimer()
					d, err := m.load(c.addr, serverConns, b.N)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					m1, t1 := c.mallocs(b)
					b.ReportMetric(float64(b.N)/d.Seconds(), "msgs/s")
					b.ReportMetric(float64(m1-m0)/float64(b.N), "srv-allocs/msg")
					b.ReportMetric(float64(t1-t0)/float64(b.N), "srv-B/msg")
				})
			}
		})
	}
}

// BenchmarkClient sends 4 KiB messages with each client, on reused
// connections, into postkit's discarding server running in a child
// process. allocs/msg and B/msg are the client's (this process's) while
// the messages are sent, without the dialling.
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
					b.ReportMetric(float64(r.mallocs)/float64(b.N), "allocs/msg")
					b.ReportMetric(float64(r.bytes)/float64(b.N), "B/msg")
				})
			}
		})
	}
}
