// Package dovecottest starts Dovecot for the interop tests of the peers
// module. Each Server has its own configuration, state, logs and Maildir
// in a temporary directory, listens on free loopback ports and stops when
// the test ends; its dovecot.log goes to the test log when the test
// fails.
//
// Dovecot runs as the current user. As root it will neither run its
// login processes as root (they run as dovenull or nobody) nor open mail
// as root: mail is then served as nobody, and a test that writes to the
// Maildir itself calls Own before Dovecot reads it.
//
// Dovecot is looked up in PATH and /usr/sbin; a test skips when it or a
// service it needs is missing, unless POSTKIT_REQUIRE_PEERS=1 (CI) makes
// it fail.
package dovecottest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Timeouts of a Server's life.
const (
	// listenTimeout bounds the wait for Dovecot's first listener.
	listenTimeout = 15 * time.Second
	// stopTimeout is how long Dovecot has to exit after SIGTERM before
	// its process group is killed.
	stopTimeout = 5 * time.Second
)

// Options says what a Server serves.
type Options struct {
	// Protocols are the services Dovecot runs, "imap" or "pop3", each
	// on its own port. Empty means imap.
	Protocols []string
	// Dir is the instance's directory, from NewDir; empty means Start
	// makes one. The Maildir is Dir/Maildir.
	Dir string
	// User, when set, is the only user who can log in (a passwd-file
	// passdb); otherwise any user name logs in (a static passdb).
	User string
	// Password is the password that logs in.
	Password string
	// Home is the user's home directory; empty means Dir/home, which
	// Start makes and gives to the user mail is served as.
	Home string
	// Config is more of dovecot.conf, written after mail_location:
	// mail_save_crlf, plugins, namespaces, pop3_uidl_format.
	Config string
}

// Server is a Dovecot instance a test started.
type Server struct {
	// Addr is the address of the listener of the first protocol.
	Addr string
	// Addrs maps each protocol to its listener's address.
	Addrs map[string]string
	// Dir holds configuration (dovecot.conf), state and logs.
	Dir string
	// Maildir is the account's Maildir, Dir/Maildir.
	Maildir string

	uid, gid int  // the owner Dovecot needs the mail to have
	chown    bool // whether that is not the current user
}

// Need returns the path of dovecot, or skips the test (fails it under
// POSTKIT_REQUIRE_PEERS=1) when it or the service of one of protocols is
// missing. No protocols means imap.
func Need(t testing.TB, protocols ...string) string {
	t.Helper()
	if len(protocols) == 0 {
		protocols = []string{"imap"}
	}
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("POSTKIT_REQUIRE_PEERS") == "1" {
			t.Fatalf(format+" (POSTKIT_REQUIRE_PEERS=1)", args...)
		}
		t.Skipf(format, args...)
	}
	pkg := "dovecot-" + protocols[0] + "d"
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr != nil {
			missing("dovecot not found (install %s): %v", pkg, err)
		}
		bin = "/usr/sbin/dovecot"
	}
	for _, p := range protocols {
		if _, err := os.Stat("/usr/lib/dovecot/" + p); err != nil {
			missing("dovecot's %s service is missing (install dovecot-%sd): %v", p, p, err)
		}
	}
	return bin
}

// NewDir makes the directory of a Dovecot instance, reachable by
// Dovecot's processes and removed when the test ends, and returns it
// with the path its Maildir will have. A test that fills the Maildir
// before Dovecot starts passes dir to Start in Options.Dir.
func NewDir(t testing.TB) (dir, maildir string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "dovecottest-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir, filepath.Join(dir, "Maildir")
}

// Start writes the configuration of opts to Dir/dovecot.conf, gives the
// Maildir (if it exists) to the user mail is served as, starts Dovecot
// and waits until it listens. Dovecot stops when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	protocols := opts.Protocols
	if len(protocols) == 0 {
		protocols = []string{"imap"}
	}
	bin := Need(t, protocols...)
	dir := opts.Dir
	if dir == "" {
		dir, _ = NewDir(t)
	}
	s := &Server{Addrs: map[string]string{}, Dir: dir, Maildir: filepath.Join(dir, "Maildir")}

	u, err := user.Current()
	require.NoError(t, err)
	g, err := user.LookupGroupId(u.Gid)
	require.NoError(t, err)
	loginUser, internalUser, internalGroup := u.Username, u.Username, g.Name
	mailUID, mailGID := u.Uid, u.Gid
	if u.Uid == "0" {
		nobody, err := user.Lookup("nobody")
		require.NoError(t, err)
		mailUID, mailGID = nobody.Uid, nobody.Gid
		loginUser, internalUser, internalGroup = "nobody", "nobody", "nogroup"
		if _, err := user.Lookup("dovenull"); err == nil {
			loginUser = "dovenull"
		}
		if _, err := user.Lookup("dovecot"); err == nil {
			internalUser, internalGroup = "dovecot", "dovecot"
		}
		s.chown = true
	}
	s.uid, _ = strconv.Atoi(mailUID)
	s.gid, _ = strconv.Atoi(mailGID)

	ports := map[string]int{}
	for _, p := range protocols {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports[p] = l.Addr().(*net.TCPAddr).Port
		l.Close()
		s.Addrs[p] = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[p]))
	}
	s.Addr = s.Addrs[protocols[0]]

	home := opts.Home
	if home == "" {
		home = filepath.Join(dir, "home")
		require.NoError(t, os.MkdirAll(home, 0o755))
		if s.chown {
			require.NoError(t, os.Chown(home, s.uid, s.gid))
		}
	}

	var conf strings.Builder
	fmt.Fprintf(&conf, `base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = %[2]s
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[3]s
`, dir, strings.Join(protocols, " "), s.Maildir)
	conf.WriteString(opts.Config)
	fmt.Fprintf(&conf, `default_internal_user = %s
default_internal_group = %s
default_login_user = %s
first_valid_uid = 0
first_valid_gid = 0
`, internalUser, internalGroup, loginUser)
	if opts.User != "" {
		passwd := filepath.Join(dir, "passwd")
		require.NoError(t, os.WriteFile(passwd, []byte(opts.User+":{PLAIN}"+opts.Password+"\n"), 0o644))
		fmt.Fprintf(&conf, `passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %s
}
`, passwd)
	} else {
		fmt.Fprintf(&conf, `passdb {
  driver = static
  args = password=%s
}
`, opts.Password)
	}
	fmt.Fprintf(&conf, `userdb {
  driver = static
  args = uid=%s gid=%s home=%s
}
`, mailUID, mailGID, home)
	for _, p := range protocols {
		fmt.Fprintf(&conf, `service %[1]s-login {
  chroot =
  inet_listener %[1]s {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener %[1]ss {
    port = 0
  }
}
`, p, ports[p])
	}
	conf.WriteString(`service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`)
	confPath := filepath.Join(dir, "dovecot.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf.String()), 0o644))
	s.Own(t)

	cmd := exec.Command(bin, "-F", "-c", confPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	require.NoError(t, err)
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	for _, p := range protocols {
		s.wait(t, s.Addrs[p], exited)
	}
	t.Cleanup(func() {
		if t.Failed() {
			time.Sleep(300 * time.Millisecond) // let the last lines reach the log
			t.Logf("dovecot.log:\n%s", s.log("dovecot.log"))
		}
	})
	return s
}

// wait waits until addr accepts connections, failing the test when
// Dovecot exits or listenTimeout passes first.
func (s *Server) wait(t testing.TB, addr string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(listenTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("dovecot exited:\n%s\n%s", s.log("stdout.log"), s.log("dovecot.log"))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot did not listen on %s: %v\n%s", addr, err, s.log("dovecot.log"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// log returns the contents of the log file name in Dir.
func (s *Server) log(name string) []byte {
	b, _ := os.ReadFile(filepath.Join(s.Dir, name))
	return b
}

// Own gives the Maildir to the user Dovecot serves mail as, when that is
// not the user the test runs as (root). A test calls it after writing to
// the Maildir itself; Start calls it before Dovecot starts.
func (s *Server) Own(t testing.TB) {
	t.Helper()
	if !s.chown {
		return
	}
	if _, err := os.Stat(s.Maildir); err != nil {
		return
	}
	require.NoError(t, filepath.WalkDir(s.Maildir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, s.uid, s.gid)
	}))
}
