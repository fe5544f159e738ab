package imapinterop

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/peers/internal/peertest"
)

// Messages the curl tests start with; the second has a body of two
// parts for SECTION=.
var curlMessages = []string{
	"From: Bob <bob@example.org>\r\nTo: alice@example.test\r\nSubject: hello\r\n\r\nHello, Alice.\r\n",
	"From: Carol <carol@example.org>\r\nSubject: parts\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n" +
		"--x\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--x\r\nContent-Type: text/plain\r\n\r\nsecond part\r\n--x--\r\n",
}

// curl runs curl with args against s and returns its output; it fails
// the test when curl fails.
func curl(t *testing.T, s *ourServer, args ...string) string {
	t.Helper()
	bin := peertest.Need(t, "curl")
	base := []string{"--silent", "--show-error", "--max-time", "20", "--user", testUser + ":" + testPass}
	cmd := exec.CommandContext(testCtx(t), bin, append(base, args...)...)
	stdout, stderr := new(limitedBuffer), new(limitedBuffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Run(), "curl %s: %s", strings.Join(args, " "), stderr.String())
	return stdout.String()
}

// TestCurl drives our server with curl's imap:// URLs.
func TestCurl(t *testing.T) {
	peertest.Need(t, "curl")
	forEachBackend(t, func(t *testing.T, s *ourServer) {
		s.deliver(t, mailbox.Inbox, curlMessages...)
		url := "imap://127.0.0.1:" + strconv.Itoa(s.port)

		t.Run("list", func(t *testing.T) {
			out := curl(t, s, url+"/")
			assert.Equal(t, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n", out)
		})
		t.Run("fetch", func(t *testing.T) {
			for i, m := range curlMessages {
				out := curl(t, s, url+"/INBOX;UID="+strconv.Itoa(i+1))
				assert.Equal(t, m, out, "UID %d", i+1)
			}
		})
		t.Run("section", func(t *testing.T) {
			assert.Equal(t, "second part", curl(t, s, url+"/INBOX;UID=2;SECTION=2"))
			assert.Equal(t, "Subject: parts\r\n\r\n", curl(t, s, url+"/INBOX;UID=2;SECTION=HEADER.FIELDS%20(SUBJECT)"))
		})
		t.Run("custom", func(t *testing.T) {
			assert.Equal(t, "* SEARCH 1 2\r\n", curl(t, s, "-X", "SEARCH ALL", url+"/INBOX"))
			assert.Equal(t, "* SEARCH 2\r\n", curl(t, s, url+"/INBOX?SUBJECT%20parts"))
			out := curl(t, s, "-X", "EXAMINE INBOX", url+"/")
			assert.Contains(t, out, "* 2 EXISTS\r\n")
		})
		t.Run("starttls", func(t *testing.T) {
			out := curl(t, s, "--ssl-reqd", "--cacert", s.cert.PEMPath,
				"imap://localhost:"+strconv.Itoa(s.port)+"/INBOX;UID=1")
			assert.Equal(t, curlMessages[0], out)
		})
		t.Run("auth-plain", func(t *testing.T) {
			out := curl(t, s, "--login-options", "AUTH=PLAIN", url+"/INBOX;UID=1")
			assert.Equal(t, curlMessages[0], out)
		})
		t.Run("upload", func(t *testing.T) {
			msg := "From: curl <curl@example.org>\r\nTo: alice@example.test\r\nSubject: uploaded\r\n\r\nUploaded by curl.\r\n"
			file := filepath.Join(t.TempDir(), "up.eml")
			require.NoError(t, os.WriteFile(file, []byte(msg), 0o600))
			curl(t, s, "-T", file, url+"/INBOX")
			inbox := s.messages(t, mailbox.Inbox)
			require.Len(t, inbox, 3)
			assert.Equal(t, msg, string(inbox[2].Data))
			assert.Equal(t, msg, curl(t, s, url+"/INBOX;UID="+strconv.FormatUint(uint64(inbox[2].UID), 10)))
		})
	})
}
