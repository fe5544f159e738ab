package imapinterop

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/peertest"
)

// sortMessages is a small mailbox for SORT and THREAD: two threads by
// References, one reply found only by its subject.
var sortMessages = []string{
	"From: Carol <carol@example.org>\r\nSubject: Lunch\r\nDate: Mon, 2 Feb 2026 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nA\r\n",
	"From: alice@example.org\r\nSubject: Report\r\nDate: Mon, 2 Feb 2026 09:00:00 +0000\r\nMessage-ID: <2@x>\r\n\r\nBB\r\n",
	"From: Bob <bob@example.org>\r\nSubject: Re: Lunch\r\nDate: Mon, 2 Feb 2026 11:00:00 +0000\r\nMessage-ID: <3@x>\r\nReferences: <1@x>\r\n\r\nCCC\r\n",
	"From: dave@example.org\r\nSubject: Re: Report\r\nDate: Mon, 2 Feb 2026 12:00:00 +0000\r\nMessage-ID: <4@x>\r\n\r\nDDDD\r\n",
	"From: Eve <eve@example.org>\r\nSubject: Re: Lunch\r\nDate: Mon, 2 Feb 2026 13:00:00 +0000\r\nMessage-ID: <5@x>\r\nIn-Reply-To: <3@x>\r\n\r\nEEEEE\r\n",
}

// TestGoIMAPSortThread runs go-imap v2's Sort, UIDSort, Thread and
// UIDThread against our server.
func TestGoIMAPSortThread(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *ourServer) {
		s.deliver(t, "INBOX", sortMessages...)
		c := goimapDial(t, s, true, nil)
		require.NoError(t, c.Login(testUser, testPass).Wait())
		caps, err := c.Capability().Wait()
		require.NoError(t, err)
		assert.True(t, caps.Has(imap.CapSort))
		assert.ElementsMatch(t, []imap.ThreadAlgorithm{imap.ThreadOrderedSubject, imap.ThreadReferences}, caps.ThreadAlgorithms())
		_, err = c.Select("INBOX", nil).Wait()
		require.NoError(t, err)

		all := &imap.SearchCriteria{}
		nums, err := c.Sort(&imapclient.SortOptions{SearchCriteria: all, SortCriteria: []imapclient.SortCriterion{{Key: imapclient.SortKeyDate}}}).Wait()
		require.NoError(t, err)
		assert.Equal(t, []uint32{2, 1, 3, 4, 5}, nums)
		nums, err = c.UIDSort(&imapclient.SortOptions{SearchCriteria: all, SortCriteria: []imapclient.SortCriterion{
			{Key: imapclient.SortKeySubject}, {Key: imapclient.SortKeySize, Reverse: true}}}).Wait()
		require.NoError(t, err)
		assert.Equal(t, []uint32{5, 3, 1, 4, 2}, nums)
		nums, err = c.Sort(&imapclient.SortOptions{
			SearchCriteria: &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "lunch"}}},
			SortCriteria:   []imapclient.SortCriterion{{Key: imapclient.SortKeyFrom}}}).Wait()
		require.NoError(t, err)
		assert.Equal(t, []uint32{3, 1, 5}, nums)

		threads, err := c.Thread(&imapclient.ThreadOptions{Algorithm: imap.ThreadReferences, SearchCriteria: all}).Wait()
		require.NoError(t, err)
		assert.Equal(t, []imapclient.ThreadData{
			{Chain: []uint32{2, 4}},
			{Chain: []uint32{1, 3, 5}},
		}, threads)
		threads, err = c.UIDThread(&imapclient.ThreadOptions{Algorithm: imap.ThreadOrderedSubject, SearchCriteria: all}).Wait()
		require.NoError(t, err)
		assert.Equal(t, []imapclient.ThreadData{
			{Chain: []uint32{2, 4}},
			{Chain: []uint32{1}, SubThreads: []imapclient.ThreadData{{Chain: []uint32{3}}, {Chain: []uint32{5}}}},
		}, threads)
	})
}

const imaplibSortScript = `
import imaplib, json, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
M = imaplib.IMAP4(host, port)
M.login(user, pw)
M.select("INBOX")
out = {}
def dec(data):
    return [d.decode() if isinstance(d, bytes) else d for d in data]
typ, data = M.sort("(REVERSE DATE)", "UTF-8", "ALL")
out["sort"] = [typ] + dec(data)
typ, data = M.sort("(SUBJECT DISPLAYFROM)", "US-ASCII", "ALL")
out["sort_display"] = [typ] + dec(data)
typ, data = M.uid("SORT", "(ARRIVAL)", "UTF-8", "SUBJECT", "report")
out["uid_sort"] = [typ] + dec(data)
typ, data = M.thread("REFERENCES", "UTF-8", "ALL")
out["thread"] = [typ] + dec(data)
typ, data = M.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
out["thread_os"] = [typ] + dec(data)
typ, data = M.uid("THREAD", "REFERENCES", "UTF-8", "FROM", "example.org")
out["uid_thread"] = [typ] + dec(data)
typ, data = M.sort("(DATE)", "KOI8-R", "ALL")
out["badcharset"] = [typ] + dec(data)
M.logout()
print(json.dumps(out))
`

// TestImaplibSortThread runs CPython imaplib's sort() and thread()
// against our server.
func TestImaplibSortThread(t *testing.T) {
	py := peertest.Need(t, "python3")
	forEachBackend(t, func(t *testing.T, s *ourServer) {
		s.deliver(t, "INBOX", sortMessages...)
		script := filepath.Join(t.TempDir(), "sort.py")
		require.NoError(t, os.WriteFile(script, []byte(imaplibSortScript), 0o600))
		cmd := exec.CommandContext(testCtx(t), py, script, "127.0.0.1", strconv.Itoa(s.port), testUser, testPass)
		stdout, stderr := new(limitedBuffer), new(limitedBuffer)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		require.NoError(t, cmd.Run(), "imaplib: %s", stderr.String())
		var out map[string]any
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "output: %s", stdout.String())
		assertJSON(t, `["OK", "5 4 3 1 2"]`, out["sort"], "sort")
		assertJSON(t, `["OK", "3 1 5 2 4"]`, out["sort_display"], "sort display")
		assertJSON(t, `["OK", "2 4"]`, out["uid_sort"], "uid sort")
		assertJSON(t, `["OK", "(2 4)(1 3 5)"]`, out["thread"], "thread")
		assertJSON(t, `["OK", "(2 4)(1 (3)(5))"]`, out["thread_os"], "thread orderedsubject")
		assertJSON(t, `["OK", "(2 4)(1 3 5)"]`, out["uid_thread"], "uid thread")
		assertJSON(t, `["NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset"]`, out["badcharset"], "charset")
	})
}
