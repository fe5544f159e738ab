// Package mailserverproc runs the examples/mailserver program for the
// tests of the peers module. The program is a main package, so it has no
// exported hook to import: a test package builds the binary once, in its
// TestMain with Main, and runs it with its command-line contract
// (DESIGN.md) with Start, every listener on a free loopback port.
//
//	func TestMain(m *testing.M) { mailserverproc.Main(m) }
//
//	s := mailserverproc.Start(t, t.TempDir(), "-user", "alice@example.test:pw")
//	c, err := smtp.Dial(s.Addrs["smtp"])
package mailserverproc

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Listeners are the program's listener flags, without their dash.
var Listeners = []string{"smtp", "submission", "imap", "pop3", "http"}

// Timeouts of a Server's life.
const (
	// bannerTimeout bounds the wait for the program's banner.
	bannerTimeout = 30 * time.Second
	// stopTimeout is how long the program has to exit after SIGTERM
	// before it is killed.
	stopTimeout = 20 * time.Second
)

// binary is the program Main built.
var binary string

// Main builds examples/mailserver into a temporary directory, runs the
// tests and exits with their status. A test package that starts the
// program calls it from its TestMain.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "mailserverproc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mailserver")
	out, err := exec.Command("go", "build", "-o", binary, "github.com/postkit/postkit/examples/mailserver").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "building examples/mailserver: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Server is one run of the program.
type Server struct {
	// Addrs maps each listener that is on to its address: the one
	// given in Start's args, or a free loopback port.
	Addrs map[string]string

	t      testing.TB
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    strings.Builder // stdout and stderr
	exited chan struct{}   // closed when the program has exited
	err    error           // Wait's result, once exited is closed
}

// Start runs the program with -data dir and args, and waits for its
// banner. A listener of Listeners that args does not set (as two words,
// "-smtp", "127.0.0.1:2525"; an empty address turns it off) gets a free
// loopback port. When the test ends, the program, if still running, is
// stopped with SIGTERM, and its output goes to the test log if the test
// failed.
func Start(t testing.TB, dir string, args ...string) *Server {
	t.Helper()
	if binary == "" {
		t.Fatal("mailserverproc: Start needs Main in the package's TestMain")
	}
	s := &Server{t: t, Addrs: map[string]string{}, exited: make(chan struct{})}
	free := freeAddrs(t, len(Listeners))
	full := []string{"-data", dir}
	for i, n := range Listeners {
		set := false
		for j := 0; j+1 < len(args); j++ {
			if args[j] == "-"+n {
				set = true
				if args[j+1] != "" {
					s.Addrs[n] = args[j+1]
				}
			}
		}
		if !set {
			full = append(full, "-"+n, free[i])
			s.Addrs[n] = free[i]
		}
	}
	full = append(full, args...)

	s.cmd = exec.Command(binary, full...)
	stdout, err := s.cmd.StdoutPipe()
	require.NoError(t, err)
	s.cmd.Stderr = s.cmd.Stdout
	require.NoError(t, s.cmd.Start())
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		var once sync.Once
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if strings.HasPrefix(sc.Text(), "Accounts") {
				once.Do(func() { close(ready) })
			}
		}
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Signal(syscall.SIGTERM)
			s.wait()
		}
		if t.Failed() {
			t.Logf("mailserver output:\n%s", s.Output())
		}
	})
	select {
	case <-ready:
	case <-s.exited:
		t.Fatalf("mailserver exited before its banner: %v", s.err) // the output goes with the cleanup
	case <-time.After(bannerTimeout):
		s.cmd.Process.Kill()
		t.Fatalf("no banner after %v", bannerTimeout)
	}
	return s
}

// freeAddrs returns n loopback addresses with free ports, all different.
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var ls []net.Listener
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// Output returns what the program has written so far to stdout and
// stderr.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// Stop sends SIGTERM and waits for the program to exit, and returns how
// it exited (exec.Cmd.Wait's error), or the error of sending the signal
// when the program had already exited. It kills the program and fails
// the test when it has not exited after stopTimeout.
func (s *Server) Stop() error {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM: %w", err)
	}
	if !s.wait() {
		s.t.Fatalf("no exit %v after SIGTERM", stopTimeout)
	}
	return s.err
}

// wait waits for the program to exit; after stopTimeout it kills the
// program, waits, and reports false.
func (s *Server) wait() bool {
	select {
	case <-s.exited:
		return true
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
		return false
	}
}
