// Package maildirpair serves one Maildir with two IMAP servers at once,
// for the side-by-side benchmarks of the peers module: postkit's
// (imap.Server over mailbox/maildir) in a child process, and Dovecot's
// (peers/internal/dovecottest, mail_location = maildir:<dir>) over its
// own maildir driver. Dovecot reads the dovecot-uidlist the Maildir
// holds, so a message has the same UID on both.
//
// Our server runs in a child process, the test binary started again,
// so that its CPU time is its own, not the client's. A test package
// that calls Start calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { maildirpair.Main(m) }
//
//	dir, md := dovecottest.NewDir(t)
//	// fill md: WriteFolder, or mailbox/maildir with NoSync
//	p := maildirpair.Start(t, maildirpair.Options{Dir: dir, User: "alice", Password: "pw"})
//	// p.Postkit, p.Dovecot.Addr
//
// Dovecot is looked up as dovecottest does; Start skips the test when
// it is missing, unless POSTKIT_REQUIRE_PEERS=1 makes it fail.
package maildirpair

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
	"github.com/postkit/postkit/peers/internal/dovecottest"
	"github.com/postkit/postkit/sasl"
)

// The child process learns what to serve from its environment: the
// account's Maildir and the one user name and password that log in. It
// prints "addr HOST:PORT" and serves until its standard input closes.
const (
	childEnv     = "POSTKIT_MAILDIRPAIR_MAILDIR"
	childUserEnv = "POSTKIT_MAILDIRPAIR_USER"
	childPassEnv = "POSTKIT_MAILDIRPAIR_PASS"
)

// childStopTimeout is how long the child has to exit once its standard
// input is closed.
const childStopTimeout = 10 * time.Second

// Main runs the tests of m and exits; in the child process Start
// starts, it serves the Maildir instead.
func Main(m *testing.M) {
	if md := os.Getenv(childEnv); md != "" {
		if err := runChild(md, os.Getenv(childUserEnv), os.Getenv(childPassEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "maildirpair child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild serves the Maildir md to user with our IMAP server on
// loopback until standard input closes.
func runChild(md, user, pass string) error {
	store := maildir.New("", &maildir.Options{
		PollInterval: -1,
		AccountPath:  func(string) (string, error) { return md, nil },
	})
	srv := &imap.Server{
		Store: store,
		Authenticate: func(ctx context.Context, u, p string) (string, error) {
			if u == user && p == pass {
				return u, nil
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

// Options says what the two servers serve.
type Options struct {
	// Dir is the Dovecot instance's directory, from dovecottest.NewDir;
	// its Maildir is the account both servers serve, filled before
	// Start.
	Dir string
	// User and Password log in to both servers.
	User, Password string
	// DovecotConfig is more of dovecot.conf (dovecottest.Options.Config).
	DovecotConfig string
}

// Pair is the two servers over one Maildir.
type Pair struct {
	// Postkit is the address of our server.
	Postkit string
	// PostkitPID is the process id of our server's child process.
	PostkitPID int
	// Dovecot is the Dovecot instance; Dovecot.Addr is its IMAP
	// listener.
	Dovecot *dovecottest.Server
}

// Start starts Dovecot, then our server, over the Maildir of opts.Dir.
// Dovecot gets the Maildir first: as root, dovecottest gives it to the
// user Dovecot serves mail as. Both stop when the test ends.
func Start(t testing.TB, opts Options) *Pair {
	t.Helper()
	d := dovecottest.Start(t, dovecottest.Options{Dir: opts.Dir, User: opts.User, Password: opts.Password, Config: opts.DovecotConfig})
	addr, pid := startPostkit(t, d.Maildir, opts.User, opts.Password)
	return &Pair{Postkit: addr, PostkitPID: pid, Dovecot: d}
}

// startPostkit starts our server in a child process over the Maildir
// md and returns its address and process id. It stops when the test
// ends.
func startPostkit(t testing.TB, md, user, pass string) (string, int) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+md, childUserEnv+"="+user, childPassEnv+"="+pass)
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
