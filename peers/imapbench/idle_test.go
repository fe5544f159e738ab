package imapbench

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// idleConns is how many connections the IDLE measure opens, one
// descriptor each in this process and in the server's; fewer when the
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

// idleFigures are a server's costs per IDLE connection and how fast the
// IDLE connections learnt of a new message.
type idleFigures struct {
	conns             int
	heap, stack       float64 // bytes per connection
	goroutinesPerConn float64
	notified          int           // connections that saw the EXISTS
	p50, p99, max     time.Duration // from the APPEND's message sent to "* n EXISTS"
	appendDone        time.Duration // from the same moment to the APPEND's OK
}

// idleConn is one connection in IDLE.
type idleConn struct {
	rc      *rawConn
	tag     string
	arrived time.Time
	err     error
}

// measureIdle opens n connections to the server in c, each logged in,
// with box selected (holding have messages) and in IDLE (RFC 2177),
// and divides the growth of the server's in-use heap and stacks, after
// GC, by n. Then another connection appends one message to box, and each
// IDLE connection notes when "* have+1 EXISTS" arrives.
func measureIdle(tb testing.TB, c *child, n int, box string, have int, msg []byte) idleFigures {
	tb.Helper()
	before := c.stats(tb)
	conns := make([]*idleConn, n)
	defer func() {
		for _, ic := range conns {
			if ic != nil {
				ic.rc.close()
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
				ic, err := startIdle(c.addr, box, have)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				conns[i] = ic
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatalf("%s: opening IDLE connections: %v", c.name, err)
	default:
	}
	time.Sleep(300 * time.Millisecond) // let every server goroutine block
	after := c.stats(tb)
	if os.Getenv(childHeapProfileEnv) != "" {
		c.query(tb, "heap "+box, 1)
	}
	f := idleFigures{
		conns:             n,
		heap:              (float64(after.heapInuse) - float64(before.heapInuse)) / float64(n),
		stack:             (float64(after.stackInuse) - float64(before.stackInuse)) / float64(n),
		goroutinesPerConn: (float64(after.goroutines) - float64(before.goroutines)) / float64(n),
	}

	want := fmt.Appendf(nil, "* %d EXISTS", have+1)
	for _, ic := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ic.rc.setDeadline(30 * time.Second)
			for {
				r, err := ic.rc.read()
				if err != nil {
					ic.err = err
					return
				}
				if bytes.HasPrefix(r, want) {
					ic.arrived = time.Now()
					return
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the readers block
	ac, err := dialLogin(c.addr)
	if err != nil {
		tb.Fatalf("%s: %v", c.name, err)
	}
	defer ac.close()
	tag := ac.nextTag()
	fmt.Fprintf(ac.nc, "%s APPEND %s {%d}\r\n", tag, box, len(msg))
	if r, err := ac.read(); err != nil || len(r) == 0 || r[0] != '+' {
		tb.Fatalf("%s: APPEND: %q %v", c.name, r, err)
	}
	t0 := time.Now()
	ac.nc.Write(append(slices.Clip(msg), "\r\n"...))
	if err := ac.waitTagged(tag, "APPEND", nil); err != nil {
		tb.Fatalf("%s: %v", c.name, err)
	}
	f.appendDone = time.Since(t0)
	wg.Wait()
	var lat []time.Duration
	for _, ic := range conns {
		if ic.err == nil {
			lat = append(lat, ic.arrived.Sub(t0))
		}
	}
	f.notified = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		f.p50 = lat[len(lat)/2]
		f.p99 = lat[(len(lat)*99+99)/100-1]
		f.max = lat[len(lat)-1]
	}
	// End IDLE on every connection: DONE, then the tagged OK.
	for _, ic := range conns {
		if ic.err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ic.rc.setDeadline(30 * time.Second)
			if _, err := ic.rc.nc.Write([]byte("DONE\r\n")); err == nil {
				ic.err = ic.rc.waitTagged(ic.tag, "IDLE", nil)
			}
		}()
	}
	wg.Wait()
	for _, ic := range conns {
		if ic.err != nil {
			tb.Errorf("%s: an IDLE connection: %v", c.name, ic.err)
			break
		}
	}
	return f
}

// startIdle opens a connection, logs in, selects box and starts IDLE.
func startIdle(addr, box string, have int) (*idleConn, error) {
	rc, err := dialLogin(addr)
	if err != nil {
		return nil, err
	}
	exists := -1
	err = rc.do("SELECT "+box, func(r []byte) {
		var k int
		if n, err := fmt.Sscanf(string(r), "* %d EXISTS", &k); n == 1 && err == nil {
			exists = k
		}
	})
	if err == nil && exists != have {
		err = fmt.Errorf("SELECT %s: %d EXISTS, want %d", box, exists, have)
	}
	if err != nil {
		rc.close()
		return nil, err
	}
	tag := rc.nextTag()
	if _, err := fmt.Fprintf(rc.nc, "%s IDLE\r\n", tag); err != nil {
		rc.close()
		return nil, err
	}
	r, err := rc.read()
	if err != nil || len(r) == 0 || r[0] != '+' {
		rc.close()
		return nil, fmt.Errorf("IDLE: %q %v", r, err)
	}
	return &idleConn{rc: rc, tag: tag}, nil
}
