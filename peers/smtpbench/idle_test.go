package smtpbench

import (
	"sync"
	"syscall"
	"testing"
	"time"
)

// idleConns is how many idle connections the idle-memory figure opens,
// one descriptor each in this process and in the server's; fewer when the
// open-file limit is low (see idleCount).
const idleConns = 2000

// idleCount returns idleConns, or fewer if the open-file limit would not
// allow them.
func idleCount() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return idleConns
	}
	return max(10, min(idleConns, int(rl.Cur)-100))
}

// idleFigures are a server's costs per idle connection.
type idleFigures struct {
	conns             int
	heap, stack       float64 // bytes per connection
	goroutinesPerConn float64
}

// measureIdle opens n connections to the server in c, sends EHLO on each
// and leaves them idle, and divides the growth of the server's in-use heap
// and stacks, after GC, by n.
func measureIdle(tb testing.TB, c *child, n int) idleFigures {
	tb.Helper()
	before := c.stats(tb)
	conns := make([]*rawConn, n)
	defer func() {
		for _, rc := range conns {
			if rc != nil {
				rc.close()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	const workers = 8
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				rc, err := dialRaw(c.addr)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				conns[i] = rc
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatalf("%s: opening idle connections: %v", c.name, err)
	default:
	}
	time.Sleep(200 * time.Millisecond) // let every server goroutine block in its read
	after := c.stats(tb)
	return idleFigures{
		conns:             n,
		heap:              (float64(after.heapInuse) - float64(before.heapInuse)) / float64(n),
		stack:             (float64(after.stackInuse) - float64(before.stackInuse)) / float64(n),
		goroutinesPerConn: (float64(after.goroutines) - float64(before.goroutines)) / float64(n),
	}
}
