package imapclientinterop

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// caseTimeout bounds one test.
const caseTimeout = 60 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	return ctx
}

// needDovecot returns the path of dovecot, or skips the test (fails it
// under POSTKIT_REQUIRE_PEERS=1) when it or its IMAP service is missing.
func needDovecot(t testing.TB) string {
	t.Helper()
	missing := func(format string, args ...any) {
		if os.Getenv("POSTKIT_REQUIRE_PEERS") == "1" {
			t.Fatalf(format+" (POSTKIT_REQUIRE_PEERS=1)", args...)
		}
		t.Skipf(format, args...)
	}
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr != nil {
			missing("dovecot not found (install dovecot-imapd): %v", err)
		}
		bin = "/usr/sbin/dovecot"
	}
	if _, err := os.Stat("/usr/lib/dovecot/imap"); err != nil {
		missing("dovecot's imap service is missing (install dovecot-imapd): %v", err)
	}
	return bin
}

// dovecot is a Dovecot IMAP server the test started.
type dovecot struct {
	addr    string
	dir     string // configuration, state and logs
	maildir string // the account's Maildir
	uid     int    // the owner Dovecot needs the mail to have
	gid     int
	chown   bool
}

// newDovecotDir makes the directory of a Dovecot instance, reachable by
// Dovecot's processes, and returns it with the path the Maildir will
// have in it.
func newDovecotDir(t testing.TB) (dir, maildir string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "maildir-dovecot-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir, filepath.Join(dir, "Maildir")
}

// startDovecot starts Dovecot's IMAP server on a free loopback port with
// its own configuration in dir, serving the Maildir++ maildir to
// testUser. It runs as the current user; as root, Dovecot will not open
// mail as root, so mail is served as nobody and own must be called
// after our backend wrote to the maildir.
func startDovecot(t testing.TB, dir, maildir string) *dovecot {
	t.Helper()
	bin := needDovecot(t)
	u, err := user.Current()
	require.NoError(t, err)
	g, err := user.LookupGroupId(u.Gid)
	require.NoError(t, err)
	loginUser, internalUser, internalGroup := u.Username, u.Username, g.Name
	mailUID, mailGID := u.Uid, u.Gid
	d := &dovecot{dir: dir, maildir: maildir}
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
		d.chown = true
	}
	d.uid, _ = strconv.Atoi(mailUID)
	d.gid, _ = strconv.Atoi(mailGID)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	// Maildir++ is the default layout of maildir; the namespace's
	// separator "/" makes Dovecot's names ours ("Archive/2026" is
	// .Archive.2026 on disk for both). mail_save_crlf keeps the CRLF line
	// ends of APPEND, as our backend does, so bodies compare octet for
	// octet (Dovecot's default stores bare LFs).
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[8]s
mail_save_crlf = yes
mail_plugins = $mail_plugins quota
protocol imap {
  mail_plugins = $mail_plugins imap_quota imap_zlib
}
plugin {
  quota = count:User quota
  quota_rule = *:storage=100M
  quota_vsizes = yes
}
mailbox_list_index = yes
mail_attribute_dict = file:%%h/dovecot-attributes
protocol imap {
  imap_metadata = yes
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = create
  }
  mailbox Trash {
    special_use = \Trash
    auto = create
  }
}
default_internal_user = %[5]s
default_internal_group = %[6]s
default_login_user = %[7]s
first_valid_uid = 0
first_valid_gid = 0
passdb {
  driver = static
  args = password=%[9]s
}
userdb {
  driver = static
  args = uid=%[2]s gid=%[3]s home=%[1]s/home
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[4]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
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
`, dir, mailUID, mailGID, port, internalUser, internalGroup, loginUser, maildir, testPass)
	confPath := filepath.Join(dir, "dovecot.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "home"), 0o755))
	if d.chown {
		require.NoError(t, os.Chown(filepath.Join(dir, "home"), d.uid, d.gid))
	}
	d.own(t)

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
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	d.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", d.addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			logs, _ := os.ReadFile(filepath.Join(dir, "stdout.log"))
			dlog, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot exited:\n%s\n%s", logs, dlog)
		default:
		}
		if time.Now().After(deadline) {
			dlog, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not listen on %s: %v\n%s", d.addr, err, dlog)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		if t.Failed() {
			time.Sleep(300 * time.Millisecond) // let the last lines reach the log
			dlog, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Logf("dovecot.log:\n%s", dlog)
		}
	})
	return d
}

// own gives the maildir to the user Dovecot serves mail as, when that is
// not the user the test runs as (root).
func (d *dovecot) own(t testing.TB) {
	t.Helper()
	if !d.chown {
		return
	}
	if _, err := os.Stat(d.maildir); err != nil {
		return
	}
	require.NoError(t, filepath.WalkDir(d.maildir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, d.uid, d.gid)
	}))
}
