package pop3interop

import (
	"fmt"
	"io"
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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/pop3"
	"github.com/postkit/postkit/sasl"
)

// dovecot is a Dovecot POP3 server the test started.
type dovecot struct {
	addr    string
	maildir string
}

// Messages as a Maildir keeps them: LF line ends, which Dovecot sends
// as CRLF (and counts so in LIST).
var dovecotMessages = []string{
	"From: a@example.test\nSubject: one\n\nHello.\n",
	"From: b@example.test\nSubject: dots\n\n.leading dot\n..two dots\n.\nend\n",
	"From: c@example.test\nSubject: three\n\nline 1\nline 2\nline 3\n",
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// startDovecot starts Dovecot's POP3 server (Debian's dovecot-pop3d) on
// a free loopback port, running as the current user with its own
// configuration, state and Maildir in a temporary directory, and puts
// dovecotMessages in the Maildir.
func startDovecot(t *testing.T) *dovecot {
	bin := needPeer(t, "dovecot", "/usr/sbin/dovecot")
	if _, err := os.Stat("/usr/lib/dovecot/pop3"); err != nil {
		if os.Getenv("POSTKIT_REQUIRE_PEERS") == "1" {
			t.Fatalf("dovecot's pop3 service is missing (install dovecot-pop3d): %v", err)
		}
		t.Skipf("dovecot's pop3 service is missing (install dovecot-pop3d): %v", err)
	}
	dir, err := os.MkdirTemp("", "pop3-dovecot-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Dovecot's processes must be able to reach the directory.
	require.NoError(t, os.Chmod(dir, 0o755))
	u, err := user.Current()
	require.NoError(t, err)
	g, err := user.LookupGroupId(u.Gid)
	require.NoError(t, err)

	// Dovecot runs its login processes as an unprivileged user: as root,
	// the users the package made (dovenull, dovecot) or nobody.
	loginUser, internalUser, internalGroup := u.Username, u.Username, g.Name
	mailUID, mailGID := u.Uid, u.Gid
	if u.Uid == "0" {
		// Nor will it open mail as root: the Maildir goes to nobody.
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
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	maildir := filepath.Join(dir, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(maildir, sub), 0o700))
	}
	for i, m := range dovecotMessages {
		name := fmt.Sprintf("%d.M%dP%d.test", 1700000000+i, i, os.Getpid())
		require.NoError(t, os.WriteFile(filepath.Join(maildir, "new", name), []byte(m), 0o600))
	}
	if mailUID != u.Uid {
		uid, _ := strconv.Atoi(mailUID)
		gid, _ := strconv.Atoi(mailGID)
		require.NoError(t, filepath.WalkDir(maildir, func(p string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, uid, gid)
		}))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "passwd"),
		[]byte(testUser+":{PLAIN}"+testPass+"\n"), 0o644))
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[1]s/Maildir
default_internal_user = %[5]s
default_internal_group = %[6]s
default_login_user = %[7]s
first_valid_uid = 0
first_valid_gid = 0
pop3_uidl_format = %%08Xu%%08Xv
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[2]s gid=%[3]s home=%[1]s
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    address = 127.0.0.1
    port = %[4]d
  }
  inet_listener pop3s {
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
`, dir, mailUID, mailGID, port, internalUser, internalGroup, loginUser)
	confPath := filepath.Join(dir, "dovecot.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o644))

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
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
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
			t.Fatalf("dovecot did not listen on %s: %v\n%s", addr, err, dlog)
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
	return &dovecot{addr: addr, maildir: maildir}
}

// files lists the messages in the Maildir.
func (d *dovecot) files(t *testing.T) []string {
	var names []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(d.maildir, sub))
		require.NoError(t, err)
		for _, e := range ents {
			names = append(names, e.Name())
		}
	}
	return names
}

func readAll(t *testing.T, r io.ReadCloser) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	return b
}

// TestOurClientToDovecot runs our client against Dovecot's POP3 server:
// CAPA, USER/PASS and AUTH PLAIN, STAT, LIST, UIDL, TOP, RETR (the bytes
// compared, dot-unstuffed), the pipelined forms, NOOP, RSET, a session
// dropped after DELE (nothing deleted) and DELE with QUIT (the file is
// gone).
func TestOurClientToDovecot(t *testing.T) {
	d := startDovecot(t)
	ctx := testCtx(t)
	c, err := pop3.Dial(ctx, d.addr)
	require.NoError(t, err)
	defer c.Close()
	caps, err := c.Capabilities(ctx)
	require.NoError(t, err)
	for _, tag := range []string{"TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES", "SASL"} {
		assert.True(t, caps.Has(tag), "CAPA %s: %v", tag, caps)
	}
	assert.Contains(t, caps["SASL"], "PLAIN")
	require.NoError(t, c.Login(ctx, testUser, testPass))

	n, size, err := c.Stat(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	var total int64
	var want []pop3.MessageInfo
	for i, m := range dovecotMessages {
		total += int64(len(crlf(m)))
		want = append(want, pop3.MessageInfo{Number: i + 1, Size: int64(len(crlf(m)))})
	}
	assert.Equal(t, total, size)
	list, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, list)
	uidl, err := c.UIDL(ctx)
	require.NoError(t, err)
	require.Len(t, uidl, 3)
	one, err := c.UIDLOne(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, uidl[1], one)

	r, err := c.Top(ctx, 3, 1)
	require.NoError(t, err)
	assert.Equal(t, "From: c@example.test\r\nSubject: three\r\n\r\nline 1\r\n", string(readAll(t, r)))
	for i, m := range dovecotMessages {
		r, err := c.Retr(ctx, i+1)
		require.NoError(t, err)
		assert.Equal(t, crlf(m), readAll(t, r), "message %d", i+1)
	}

	infos, errs, err := c.ListMessages(ctx, []int{3, 1, 9})
	require.NoError(t, err)
	assert.Equal(t, []pop3.MessageInfo{want[2], want[0], {}}, infos)
	assert.Error(t, errs[2])
	uids, _, err := c.UIDLMessages(ctx, []int{1, 2, 3})
	require.NoError(t, err)
	assert.Equal(t, uidl, uids)
	var got [][]byte
	require.NoError(t, c.RetrMessages(ctx, []int{1, 2, 3}, func(n int, r io.Reader, err error) error {
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		got = append(got, b)
		return err
	}))
	for i, m := range dovecotMessages {
		assert.Equal(t, crlf(m), got[i])
	}
	require.NoError(t, c.Noop(ctx))
	require.NoError(t, c.Dele(ctx, 1))
	require.NoError(t, c.Rset(ctx))
	// Dropped after DELE: Dovecot deletes nothing either.
	require.NoError(t, c.Dele(ctx, 2))
	c.Close()
	time.Sleep(200 * time.Millisecond)
	require.Len(t, d.files(t), 3)

	// AUTH PLAIN, DELE and QUIT: the file is gone.
	c, err = pop3.Dial(ctx, d.addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient("", testUser, testPass)))
	require.NoError(t, c.Dele(ctx, 2))
	require.NoError(t, c.Quit(ctx))
	files := d.files(t)
	require.Len(t, files, 2)
	for _, f := range files {
		assert.False(t, strings.HasPrefix(f, "1700000001."), "message 2 was deleted: %v", files)
	}

	// A wrong password is an *pop3.Error.
	c, err = pop3.Dial(ctx, d.addr)
	require.NoError(t, err)
	defer c.Close()
	err = c.Login(ctx, testUser, "wrong")
	var pe *pop3.Error
	require.ErrorAs(t, err, &pe)
}
