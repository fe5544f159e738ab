package imapbench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Each server runs in a child process, the test binary started again with
// childEnv set to the server's name, so that the allocations, heap, stacks
// and CPU time counted are the server's alone, not the load generator's.
// The child prints "addr HOST:PORT", then answers each line of its
// standard input:
//
//	stats   after two GCs: "stats MALLOCS TOTALALLOC HEAPINUSE STACKINUSE GOROUTINES"
//	usage   without a GC: "usage MALLOCS TOTALALLOC CPUNANOS" (CPU: user+system)
//	heap    with childHeapProfileEnv set, writes a heap profile there: "heap 0"
//
// and exits when its standard input closes. With childProfileEnv set to a
// path containing %s, the child writes a CPU profile of its whole life to
// that path with %s replaced by the server's name; with childMemProfileEnv,
// likewise an allocation profile of every allocation. With
// childHeapProfileEnv, the IDLE measure has the child write a heap
// profile (sampled every 4 KiB) with all its IDLE connections open, to
// that path with %s replaced by the server's name and the mailbox.
const (
	childHeapProfileEnv = "IMAPBENCH_CHILD_HEAPPROFILE"
	childEnv            = "IMAPBENCH_CHILD"
	childProfileEnv     = "IMAPBENCH_CHILD_CPUPROFILE"
	childMemProfileEnv  = "IMAPBENCH_CHILD_MEMPROFILE"
)

func TestMain(m *testing.M) {
	raiseFileLimit()
	if name := os.Getenv(childEnv); name != "" {
		if err := runChild(name); err != nil {
			fmt.Fprintln(os.Stderr, "imapbench child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	stopChildren()
	os.Exit(code)
}

// raiseFileLimit raises the soft limit on open files to the hard limit:
// the IDLE measure holds idleConns connections, one descriptor each in
// this process and in the server's.
func raiseFileLimit() {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

func findImpl(name string) *serverImpl {
	for i := range serverImpls {
		if serverImpls[i].name == name {
			return &serverImpls[i]
		}
	}
	return nil
}

func runChild(name string) error {
	impl := findImpl(strings.TrimPrefix(name, probePrefix))
	if impl == nil {
		return fmt.Errorf("unknown server %q", name)
	}
	if p := os.Getenv(childProfileEnv); p != "" && !strings.HasPrefix(name, probePrefix) {
		f, err := os.Create(strings.ReplaceAll(p, "%s", name))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if p := os.Getenv(childMemProfileEnv); p != "" && !strings.HasPrefix(name, probePrefix) {
		runtime.MemProfileRate = 1
		defer func() {
			f, err := os.Create(strings.ReplaceAll(p, "%s", name))
			if err != nil {
				fmt.Fprintln(os.Stderr, "imapbench child:", err)
				return
			}
			defer f.Close()
			pprof.Lookup("allocs").WriteTo(f, 0)
		}()
	}
	heapProfile := os.Getenv(childHeapProfileEnv)
	if heapProfile != "" {
		runtime.MemProfileRate = 4096
	}
	srv, err := impl.start()
	if err != nil {
		return err
	}
	defer srv.stop()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "addr %s\n", srv.addr)
	out.Flush()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var ms runtime.MemStats
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "heap":
			if heapProfile != "" {
				runtime.GC()
				if f, err := os.Create(strings.ReplaceAll(heapProfile, "%s", name+"-"+arg)); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
			fmt.Fprintf(out, "heap 0\n")
		case "stats":
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(out, "stats %d %d %d %d %d\n", ms.Mallocs, ms.TotalAlloc, ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine())
		case "usage":
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(out, "usage %d %d %d\n", ms.Mallocs, ms.TotalAlloc, cpuTime())
		default:
			fmt.Fprintf(out, "error unknown command\n")
		}
		out.Flush()
	}
	return in.Err()
}

// A child is a server running in a child process.
type child struct {
	name string
	addr string
	cmd  *exec.Cmd
	mu   sync.Mutex
	in   io.WriteCloser // the child's stdin
	out  *bufio.Reader

	// loaded is set once the benchmark mailbox is in the server (see
	// loadChild); appendFig is what loading it measured.
	loaded    bool
	appendFig appendFigures
}

var (
	childrenMu sync.Mutex
	children   = map[string]*child{}
)

// serverChild returns the child process running the named server,
// starting it the first time.
func serverChild(tb testing.TB, name string) *child {
	tb.Helper()
	childrenMu.Lock()
	defer childrenMu.Unlock()
	if c := children[name]; c != nil {
		return c
	}
	c, err := startChild(name)
	if err != nil {
		tb.Fatalf("starting %s server: %v", name, err)
	}
	children[name] = c
	return c
}

func startChild(name string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{name: name, cmd: cmd, in: stdin, out: bufio.NewReader(stdout)}
	f, err := c.line("addr", 1)
	if err != nil {
		c.close()
		return nil, err
	}
	c.addr = f[0]
	return c, nil
}

// line reads one reply line starting with kind and returns its n fields
// after kind.
func (c *child) line(kind string, n int) ([]string, error) {
	l, err := c.out.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("%s server child: %w", c.name, err)
	}
	f := strings.Fields(l)
	if len(f) != n+1 || f[0] != kind {
		return nil, fmt.Errorf("%s server child: unexpected %q", c.name, l)
	}
	return f[1:], nil
}

func (c *child) query(tb testing.TB, cmd string, n int) []uint64 {
	tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		tb.Fatal(err)
	}
	kind, _, _ := strings.Cut(cmd, " ")
	f, err := c.line(kind, n)
	if err != nil {
		tb.Fatal(err)
	}
	v := make([]uint64, n)
	for i, s := range f {
		if v[i], err = strconv.ParseUint(s, 10, 64); err != nil {
			tb.Fatal(err)
		}
	}
	return v
}

// memStats are a child's figures after GC.
type memStats struct {
	mallocs, totalAlloc, heapInuse, stackInuse, goroutines uint64
}

func (c *child) stats(tb testing.TB) memStats {
	v := c.query(tb, "stats", 5)
	return memStats{v[0], v[1], v[2], v[3], v[4]}
}

// A usage is a process's allocations and CPU time so far.
type usage struct {
	mallocs, bytes uint64
	cpu            time.Duration
}

// sub returns u - v.
func (u usage) sub(v usage) usage {
	return usage{u.mallocs - v.mallocs, u.bytes - v.bytes, u.cpu - v.cpu}
}

// usage returns the child's allocations and CPU time, without a GC.
func (c *child) usage(tb testing.TB) usage {
	v := c.query(tb, "usage", 3)
	return usage{v[0], v[1], time.Duration(v[2])}
}

// cpuTime returns the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *child) close() {
	c.in.Close()
	c.cmd.Wait()
}

// stopChild stops the named child if it runs.
func stopChild(name string) {
	childrenMu.Lock()
	defer childrenMu.Unlock()
	if c := children[name]; c != nil {
		c.close()
		delete(children, name)
	}
}

func stopChildren() {
	childrenMu.Lock()
	defer childrenMu.Unlock()
	for name, c := range children {
		c.close()
		delete(children, name)
	}
}
