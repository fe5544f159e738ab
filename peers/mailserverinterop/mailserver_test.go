package mailserverinterop

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
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

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	alice, alicePass = "alice@example.test", "alice-pw"
	bob, bobPass     = "bob@example.test", "bob-pw"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mailserverinterop")
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

func needPeer(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("POSTKIT_REQUIRE_PEERS") == "1" {
			t.Fatalf("%s not found and POSTKIT_REQUIRE_PEERS=1: %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}

// server is one run of the mailserver binary.
type server struct {
	t     *testing.T
	cmd   *exec.Cmd
	addrs map[string]string // flag name -> address
	mu    sync.Mutex
	out   strings.Builder
	done  chan error
}

// freeAddrs returns n loopback addresses with free ports.
func freeAddrs(t *testing.T, n int) []string {
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

// start runs the binary on dir with free ports for the listeners not set in
// extra, and waits for its banner.
func start(t *testing.T, dir string, extra ...string) *server {
	t.Helper()
	names := []string{"smtp", "submission", "imap", "pop3", "http"}
	free := freeAddrs(t, len(names))
	s := &server{t: t, addrs: map[string]string{}, done: make(chan error, 1)}
	args := []string{"-data", dir}
	for i, n := range names {
		set := false
		for j := 0; j+1 < len(extra); j++ {
			if extra[j] == "-"+n {
				set = true
				if extra[j+1] != "" {
					s.addrs[n] = extra[j+1]
				}
			}
		}
		if !set {
			args = append(args, "-"+n, free[i])
			s.addrs[n] = free[i]
		}
	}
	args = append(args, extra...)
	s.cmd = exec.Command(binary, args...)
	stdout, err := s.cmd.StdoutPipe()
	require.NoError(t, err)
	s.cmd.Stderr = s.cmd.Stdout
	require.NoError(t, s.cmd.Start())
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := sync.Once{}
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
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop() {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		require.NoError(s.t, err, s.output())
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		s.t.Fatalf("no exit after SIGTERM:\n%s", s.output())
	}
	assert.Contains(s.t, s.output(), "msg=stopped")
}

func users() []string {
	return []string{"-user", alice + ":" + alicePass, "-user", bob + ":" + bobPass}
}

var insecureTLS = &tls.Config{InsecureSkipVerify: true} // the server's certificate is self-signed

// TestGoSMTPClient sends with emersion's go-smtp: to the MX port, and through
// submission after STARTTLS and AUTH PLAIN.
func TestGoSMTPClient(t *testing.T) {
	s := start(t, t.TempDir(), users()...)

	c, err := gosmtp.Dial(s.addrs["smtp"])
	require.NoError(t, err)
	require.NoError(t, c.SendMail("someone@example.org", []string{alice},
		strings.NewReader("Subject: via mx\r\n\r\nhello\r\n")))
	// Never an open relay.
	require.NoError(t, c.Mail("someone@example.org", nil))
	err = c.Rcpt("victim@example.net", nil)
	var se *gosmtp.SMTPError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 550, se.Code)
	assert.Equal(t, gosmtp.EnhancedCode{5, 7, 1}, se.EnhancedCode)
	require.NoError(t, c.Quit())

	c, err = gosmtp.DialStartTLS(s.addrs["submission"], insecureTLS)
	require.NoError(t, err)
	require.NoError(t, c.Auth(sasl.NewPlainClient("", alice, alicePass)))
	require.NoError(t, c.SendMail(alice, []string{bob}, strings.NewReader("Subject: via submission\r\n\r\nhi bob\r\n")))
	// Spoofing is refused.
	err = c.Mail(bob, nil)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 553, se.Code)
	require.NoError(t, c.Quit())

	got := pythonFetch(t, s, bob, bobPass)
	require.Len(t, got.IMAP, 1)
	assert.Contains(t, got.IMAP[0], "Subject: via submission")
	assert.Contains(t, got.IMAP[0], "with ESMTPSA id")
	got = pythonFetch(t, s, alice, alicePass)
	require.Len(t, got.IMAP, 1)
	assert.Contains(t, got.IMAP[0], "Subject: via mx")
	s.stop()
}

// pythonResult is what pythonScript prints.
type pythonResult struct {
	IMAP []string `json:"imap"`
	POP3 []string `json:"pop3"`
}

// pythonScript reads a mailbox with imaplib (STARTTLS) and poplib (STLS).
const pythonScript = `
import imaplib, poplib, json, ssl, sys
imap_addr, pop_addr, user, pw = sys.argv[1:5]
ctx = ssl._create_unverified_context()
h, p = imap_addr.rsplit(":", 1)
m = imaplib.IMAP4(h, int(p)); m.starttls(ctx); m.login(user, pw); m.select("INBOX")
typ, data = m.fetch("1:*", "(BODY.PEEK[])")
imap = [d[1].decode() for d in data if isinstance(d, tuple)]
m.logout()
h, p = pop_addr.rsplit(":", 1)
c = poplib.POP3(h, int(p)); c.stls(ctx); c.user(user); c.pass_(pw)
n, _ = c.stat()
pop = [b"\r\n".join(c.retr(i + 1)[1]).decode() for i in range(n)]
c.quit()
print(json.dumps({"imap": imap, "pop3": pop}))
`

func pythonFetch(t *testing.T, s *server, user, pass string) pythonResult {
	t.Helper()
	python := needPeer(t, "python3")
	out, err := exec.Command(python, "-c", pythonScript, s.addrs["imap"], s.addrs["pop3"], user, pass).CombinedOutput()
	require.NoError(t, err, string(out))
	var r pythonResult
	require.NoError(t, json.Unmarshal(out, &r), string(out))
	return r
}

// TestPythonClientsAndRestart submits with smtplib, reads with imaplib and
// poplib, sets a flag, restarts the program with SIGTERM and finds mail and
// flag again.
func TestPythonClientsAndRestart(t *testing.T) {
	python := needPeer(t, "python3")
	dir := t.TempDir()
	s := start(t, dir, users()...)
	send := `
import smtplib, ssl, sys
h, p = sys.argv[1].rsplit(":", 1)
s = smtplib.SMTP(h, int(p)); s.starttls(context=ssl._create_unverified_context())
s.login(sys.argv[2], sys.argv[3])
s.sendmail(sys.argv[2], [sys.argv[4]], b"Subject: keep me\r\n\r\nbody\r\n")
s.quit()
`
	out, err := exec.Command(python, "-c", send, s.addrs["submission"], alice, alicePass, bob).CombinedOutput()
	require.NoError(t, err, string(out))
	got := pythonFetch(t, s, bob, bobPass)
	require.Len(t, got.IMAP, 1)
	require.Len(t, got.POP3, 1)
	assert.Contains(t, got.POP3[0], "Subject: keep me")

	flag := `
import imaplib, ssl, sys
h, p = sys.argv[1].rsplit(":", 1)
m = imaplib.IMAP4(h, int(p)); m.starttls(ssl._create_unverified_context()); m.login(sys.argv[2], sys.argv[3])
m.select("INBOX"); m.store("1", "+FLAGS", "(\\Flagged)")
print(m.fetch("1", "(FLAGS)")[1][0].decode()); m.logout()
`
	out, err = exec.Command(python, "-c", flag, s.addrs["imap"], bob, bobPass).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), `\Flagged`)
	s.stop()

	s = start(t, dir, users()...)
	out, err = exec.Command(python, "-c", flag, s.addrs["imap"], bob, bobPass).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), `\Flagged`)
	got = pythonFetch(t, s, bob, bobPass)
	require.Len(t, got.IMAP, 1)
	assert.Contains(t, got.IMAP[0], "Subject: keep me")
	s.stop()
}

// TestRelayAndBounce runs two instances: A (example.test) relays through B
// (remote.example) given as -relay; mail to B's user arrives there, mail to
// an unknown user of B comes back to A's sender as a DSN.
func TestRelayAndBounce(t *testing.T) {
	b := start(t, t.TempDir(), "-domain", "remote.example", "-user", "carol@remote.example:carol-pw",
		"-submission", "", "-http", "")
	a := start(t, t.TempDir(), append(users(), "-relay", b.addrs["smtp"])...)

	c, err := gosmtp.DialStartTLS(a.addrs["submission"], insecureTLS)
	require.NoError(t, err)
	require.NoError(t, c.Auth(sasl.NewPlainClient("", alice, alicePass)))
	require.NoError(t, c.SendMail(alice, []string{"carol@remote.example", "nobody@remote.example"},
		strings.NewReader("Subject: across\r\n\r\nhi carol\r\n")))
	require.NoError(t, c.Quit())

	var carol, aliceBox pythonResult
	require.Eventually(t, func() bool {
		carol = pythonFetch(t, b, "carol@remote.example", "carol-pw")
		aliceBox = pythonFetch(t, a, alice, alicePass)
		return len(carol.IMAP) == 1 && len(aliceBox.IMAP) == 1
	}, 20*time.Second, 200*time.Millisecond)
	assert.Contains(t, carol.IMAP[0], "Subject: across")
	assert.Contains(t, aliceBox.IMAP[0], "multipart/report")
	assert.Contains(t, aliceBox.IMAP[0], "Final-Recipient: rfc822; nobody@remote.example")
	assert.Contains(t, aliceBox.IMAP[0], "Status: 5.1.1")
	assert.NotContains(t, aliceBox.IMAP[0], "carol@remote.example\r\nAction: failed")
	a.stop()
	b.stop()
}

// TestCurl reads mail with curl's imap:// and pop3:// and logs in to the
// webmail; an empty -http turns the webmail off.
func TestCurl(t *testing.T) {
	curl := needPeer(t, "curl")
	s := start(t, t.TempDir(), users()...)
	c, err := gosmtp.Dial(s.addrs["smtp"])
	require.NoError(t, err)
	require.NoError(t, c.SendMail("someone@example.org", []string{alice}, strings.NewReader("Subject: for curl\r\n\r\ncurl body\r\n")))
	require.NoError(t, c.Quit())

	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sS", "--max-time", "10"}, args...)...).CombinedOutput()
		require.NoError(t, err, string(out))
		return string(out)
	}
	assert.Contains(t, run("--ssl-reqd", "-k", "-u", alice+":"+alicePass, "imap://"+s.addrs["imap"]+"/INBOX;UID=1"), "curl body")
	assert.Contains(t, run("--ssl-reqd", "-k", "-u", alice+":"+alicePass, "pop3://"+s.addrs["pop3"]+"/1"), "Subject: for curl")

	jar := filepath.Join(t.TempDir(), "jar")
	login := run("-c", jar, "-H", "Content-Type: application/json",
		"-d", `{"user":"`+alice+`","password":"`+alicePass+`"}`, "http://"+s.addrs["http"]+"/api/login")
	var sess struct{ CSRF string }
	require.NoError(t, json.Unmarshal([]byte(login), &sess), login)
	require.NotEmpty(t, sess.CSRF)
	assert.Contains(t, run("-b", jar, "http://"+s.addrs["http"]+"/api/messages?mailbox=INBOX"), `"subject":"for curl"`)
	s.stop()

	s = start(t, t.TempDir(), append(users(), "-http", "", "-pop3", "")...)
	assert.Regexp(t, `(?m)^\s+http\s+off`, s.output())
	assert.Regexp(t, `(?m)^\s+pop3\s+off`, s.output())
	s.stop()
}
