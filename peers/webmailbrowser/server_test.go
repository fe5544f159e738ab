package webmailbrowser

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

// The program under test is a main package, so it has no exported hook to
// import: like peers/mailserverinterop, the test builds the binary once and
// runs it with its command-line contract (DESIGN.md).

const (
	alice, alicePass = "alice@example.test", "alice-pw"
	bob, bobPass     = "bob@example.test", "bob-pw"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "webmailbrowser")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mailserver")
	out, err := exec.Command("go", "build", "-o", binary, "github.com/postkit/postkit/examples/mailserver").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building examples/mailserver: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needPeer returns the path of the first of names found in PATH. It skips
// the test when none is, or fails it under POSTKIT_REQUIRE_PEERS=1.
func needPeer(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("POSTKIT_REQUIRE_PEERS") == "1" {
		t.Fatalf("none of %v found and POSTKIT_REQUIRE_PEERS=1", names)
	}
	t.Skipf("none of %v found", names)
	return ""
}

// server is one run of the mailserver binary with the accounts alice and
// bob, every listener on a free loopback port.
type server struct {
	t     *testing.T
	cmd   *exec.Cmd
	addrs map[string]string // listener name -> address
	mu    sync.Mutex
	out   strings.Builder
	done  chan error
}

func startServer(t *testing.T) *server {
	t.Helper()
	names := []string{"smtp", "submission", "imap", "pop3", "http"}
	var ls []net.Listener
	s := &server{t: t, addrs: map[string]string{}, done: make(chan error, 1)}
	args := []string{"-data", t.TempDir(), "-user", alice + ":" + alicePass, "-user", bob + ":" + bobPass}
	for _, n := range names {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		s.addrs[n] = l.Addr().String()
		args = append(args, "-"+n, s.addrs[n])
	}
	for _, l := range ls {
		l.Close()
	}
	s.cmd = exec.Command(binary, args...)
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
		s.done <- s.cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-s.done:
		t.Fatalf("mailserver exited: %v\n%s", err, s.output())
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		t.Fatalf("no banner:\n%s", s.output())
	}
	t.Cleanup(func() {
		// SIGTERM for a graceful stop; the log goes with a failure.
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("mailserver output:\n%s", s.output())
		}
	})
	return s
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}
