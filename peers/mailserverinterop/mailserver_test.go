package mailserverinterop

import (
	"crypto/tls"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/mailserverproc"
	"github.com/postkit/postkit/peers/internal/peertest"
)

const (
	alice, alicePass = "alice@example.test", "alice-pw"
	bob, bobPass     = "bob@example.test", "bob-pw"
)

// TestMain builds the mailserver binary the tests run.
func TestMain(m *testing.M) { mailserverproc.Main(m) }

// stop sends SIGTERM and expects a clean exit.
func stop(t *testing.T, s *mailserverproc.Server) {
	t.Helper()
	require.NoError(t, s.Stop(), s.Output())
	assert.Contains(t, s.Output(), "msg=stopped")
}

func users() []string {
	return []string{"-user", alice + ":" + alicePass, "-user", bob + ":" + bobPass}
}

var insecureTLS = &tls.Config{InsecureSkipVerify: true} // the server's certificate is self-signed

// TestGoSMTPClient sends with emersion's go-smtp: to the MX port, and through
// submission after STARTTLS and AUTH PLAIN.
func TestGoSMTPClient(t *testing.T) {
	s := mailserverproc.Start(t, t.TempDir(), users()...)

	c, err := gosmtp.Dial(s.Addrs["smtp"])
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

	c, err = gosmtp.DialStartTLS(s.Addrs["submission"], insecureTLS)
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
	stop(t, s)
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

func pythonFetch(t *testing.T, s *mailserverproc.Server, user, pass string) pythonResult {
	t.Helper()
	python := peertest.Need(t, "python3")
	out, err := exec.Command(python, "-c", pythonScript, s.Addrs["imap"], s.Addrs["pop3"], user, pass).CombinedOutput()
	require.NoError(t, err, string(out))
	var r pythonResult
	require.NoError(t, json.Unmarshal(out, &r), string(out))
	return r
}

// TestPythonClientsAndRestart submits with smtplib, reads with imaplib and
// poplib, sets a flag, restarts the program with SIGTERM and finds mail and
// flag again.
func TestPythonClientsAndRestart(t *testing.T) {
	python := peertest.Need(t, "python3")
	dir := t.TempDir()
	s := mailserverproc.Start(t, dir, users()...)
	send := `
import smtplib, ssl, sys
h, p = sys.argv[1].rsplit(":", 1)
s = smtplib.SMTP(h, int(p)); s.starttls(context=ssl._create_unverified_context())
s.login(sys.argv[2], sys.argv[3])
s.sendmail(sys.argv[2], [sys.argv[4]], b"Subject: keep me\r\n\r\nbody\r\n")
s.quit()
`
	out, err := exec.Command(python, "-c", send, s.Addrs["submission"], alice, alicePass, bob).CombinedOutput()
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
	out, err = exec.Command(python, "-c", flag, s.Addrs["imap"], bob, bobPass).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), `\Flagged`)
	stop(t, s)

	s = mailserverproc.Start(t, dir, users()...)
	out, err = exec.Command(python, "-c", flag, s.Addrs["imap"], bob, bobPass).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), `\Flagged`)
	got = pythonFetch(t, s, bob, bobPass)
	require.Len(t, got.IMAP, 1)
	assert.Contains(t, got.IMAP[0], "Subject: keep me")
	stop(t, s)
}

// TestRelayAndBounce runs two instances: A (example.test) relays through B
// (remote.example) given as -relay; mail to B's user arrives there, mail to
// an unknown user of B comes back to A's sender as a DSN.
func TestRelayAndBounce(t *testing.T) {
	b := mailserverproc.Start(t, t.TempDir(), "-domain", "remote.example", "-user", "carol@remote.example:carol-pw",
		"-submission", "", "-http", "")
	a := mailserverproc.Start(t, t.TempDir(), append(users(), "-relay", b.Addrs["smtp"])...)

	c, err := gosmtp.DialStartTLS(a.Addrs["submission"], insecureTLS)
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
	stop(t, a)
	stop(t, b)
}

// TestCurl reads mail with curl's imap:// and pop3:// and logs in to the
// webmail; an empty -http turns the webmail off.
func TestCurl(t *testing.T) {
	curl := peertest.Need(t, "curl")
	s := mailserverproc.Start(t, t.TempDir(), users()...)
	c, err := gosmtp.Dial(s.Addrs["smtp"])
	require.NoError(t, err)
	require.NoError(t, c.SendMail("someone@example.org", []string{alice}, strings.NewReader("Subject: for curl\r\n\r\ncurl body\r\n")))
	require.NoError(t, c.Quit())

	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sS", "--max-time", "10"}, args...)...).CombinedOutput()
		require.NoError(t, err, string(out))
		return string(out)
	}
	assert.Contains(t, run("--ssl-reqd", "-k", "-u", alice+":"+alicePass, "imap://"+s.Addrs["imap"]+"/INBOX;UID=1"), "curl body")
	assert.Contains(t, run("--ssl-reqd", "-k", "-u", alice+":"+alicePass, "pop3://"+s.Addrs["pop3"]+"/1"), "Subject: for curl")

	jar := filepath.Join(t.TempDir(), "jar")
	login := run("-c", jar, "-H", "Content-Type: application/json",
		"-d", `{"user":"`+alice+`","password":"`+alicePass+`"}`, "http://"+s.Addrs["http"]+"/api/login")
	var sess struct{ CSRF string }
	require.NoError(t, json.Unmarshal([]byte(login), &sess), login)
	require.NotEmpty(t, sess.CSRF)
	assert.Contains(t, run("-b", jar, "http://"+s.Addrs["http"]+"/api/messages?mailbox=INBOX"), `"subject":"for curl"`)
	stop(t, s)

	s = mailserverproc.Start(t, t.TempDir(), append(users(), "-http", "", "-pop3", "")...)
	assert.Regexp(t, `(?m)^\s+http\s+off`, s.Output())
	assert.Regexp(t, `(?m)^\s+pop3\s+off`, s.Output())
	stop(t, s)
}
