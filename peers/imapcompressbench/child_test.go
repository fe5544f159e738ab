package imapcompressbench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/sasl"
)

// Our server runs in a child process, the test binary started again
// with childEnv set to the account's Maildir, so that the CPU time
// counted for it is its own, not the client's (which inflates and
// parses in this process). The child prints "addr HOST:PORT" and serves
// until its standard input closes.
const childEnv = "IMAPCOMPRESSBENCH_CHILD"

// childStopTimeout is how long the child has to exit once its standard
// input is closed.
const childStopTimeout = 5 * time.Second

func TestMain(m *testing.M) {
	if md := os.Getenv(childEnv); md != "" {
		if err := runChild(md); err != nil {
			fmt.Fprintln(os.Stderr, "imapcompressbench child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild serves the Maildir md with our IMAP server on loopback until
// standard input closes.
func runChild(md string) error {
	store := maildir.New("", &maildir.Options{
		PollInterval: -1,
		AccountPath:  func(string) (string, error) { return md, nil },
	})
	srv := &imap.Server{
		Store: store,
		Authenticate: func(ctx context.Context, user, pass string) (string, error) {
			if user == testUser && pass == testPass {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		},
		AuthDelay: -1,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	fmt.Printf("addr %s\n", l.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
	if err := <-done; !errors.Is(err, imap.ErrServerClosed) {
		return err
	}
	return nil
}

// startPostkit starts our server in a child process over the Maildir
// md and returns its address and process id. It stops when the test
// ends.
func startPostkit(t testing.TB, md string) (string, int) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+md)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	t.Cleanup(func() {
		stdin.Close()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("our server's process: %v", err)
			}
		case <-time.After(childStopTimeout):
			cmd.Process.Kill()
			<-exited
			t.Errorf("our server's process did not stop")
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() { exited <- cmd.Wait() }()
	require.NoError(t, err, "our server's process")
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "addr ")
	require.True(t, ok, "our server's process said %q", line)
	return addr, cmd.Process.Pid
}
