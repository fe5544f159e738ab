package imap

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox/maildir"
)

// newMaildirTestServer is newTestServer over a maildir store in a
// temporary directory, which it returns too; the store looks for other
// processes' changes every 10ms.
func newMaildirTestServer(t *testing.T) (*testServer, string) {
	t.Helper()
	root := t.TempDir()
	st := maildir.New(root, &maildir.Options{NoSync: true, PollInterval: 10 * time.Millisecond})
	return newTestServer(t, func(s *Server) { s.Store = st }), root
}

// TestNotifyMaildir: NOTIFY (RFC 5465) over a maildir store reports
// another session's APPEND and a file another program drops into new/
// with a STATUS response (RFC 5465 5.2), and a folder another program
// makes with a LIST response (5.4).
func TestNotifyMaildir(t *testing.T) {
	ts, root := newMaildirTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	assert.Contains(t, c.ok("a CAPABILITY")[0], " NOTIFY")
	c.ok("b CREATE Box")
	assert.Empty(t, c.ok("c NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))"))

	// Another session appends.
	r := other.ok(fmt.Sprintf("x APPEND Box {%d+}\r\n%s", len(testMsg), testMsg))
	assert.Empty(t, r)
	assert.Regexp(t, `^\* STATUS Box \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$`, c.line())

	// A delivery agent drops a file into new/.
	writeMaildirFile(t, filepath.Join(root, testUser, ".Box", "new", "1700000000.M1P1.mx"), testMsg)
	assert.Regexp(t, `^\* STATUS Box \(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \d+ UNSEEN 2\)$`, c.line())

	// And into INBOX, which is the account's directory.
	writeMaildirFile(t, filepath.Join(root, testUser, "new", "1700000001.M1P1.mx"), testMsg)
	assert.Regexp(t, `^\* STATUS INBOX \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$`, c.line())

	// Another program makes a folder (whole, at once).
	made := filepath.Join(root, testUser, "tmp", "made")
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(made, sub), 0o700))
	}
	require.NoError(t, os.Rename(made, filepath.Join(root, testUser, ".Made")))
	assert.Equal(t, `* LIST (\HasNoChildren) "/" Made`, c.line())

	// A session's own changes are not reported to it (RFC 5465 5).
	c.ok(fmt.Sprintf("d APPEND Box {%d+}\r\n%s", len(testMsg), testMsg))
	c.ok("e CREATE Mine")
	notifyQuiet(t, c, "f")
}

// TestSaveDateMaildir: FETCH SAVEDATE and the SAVED search keys (RFC
// 8514) over a maildir store: the save date of an APPEND is when it
// was made; that of a file another program dropped, the time its name
// starts with.
func TestSaveDateMaildir(t *testing.T) {
	ts, root := newMaildirTestServer(t)
	c := ts.login(t)
	c.ok(fmt.Sprintf("a APPEND INBOX (\\Seen) \"02-Jan-2020 03:04:05 +0000\" {%d+}\r\n%s", len(testMsg), testMsg))
	writeMaildirFile(t, filepath.Join(root, testUser, "new", "1700000000.M1P1.mx"), testMsg)
	c.ok("b SELECT INBOX")
	r := c.ok("c FETCH 1:2 (SAVEDATE)")
	require.Len(t, r, 2)
	now := time.Now()
	m := regexpSaveDate.FindStringSubmatch(r[0])
	require.NotNil(t, m, "not NIL: %s", r[0])
	d, err := time.Parse("02-Jan-2006 15:04:05 -0700", m[1])
	require.NoError(t, err)
	assert.WithinDuration(t, now, d, 5*time.Second, "the time of the APPEND, not its internal date")
	m = regexpSaveDate.FindStringSubmatch(r[1])
	require.NotNil(t, m, "not NIL: %s", r[1])
	d, err = time.Parse("02-Jan-2006 15:04:05 -0700", m[1])
	require.NoError(t, err)
	assert.True(t, d.Equal(time.Unix(1700000000, 0)), "%v", d)

	assert.Equal(t, []string{"* SEARCH 1 2"}, c.ok("d SEARCH SAVEDATESUPPORTED"))
	assert.Equal(t, []string{"* SEARCH 2"}, c.ok("e SEARCH SAVEDBEFORE 1-Jan-2025"))
	assert.Equal(t, []string{"* SEARCH 1"}, c.ok("f SEARCH SAVEDSINCE 1-Jan-2025"))
	assert.Equal(t, []string{"* SEARCH 1"}, c.ok("g SEARCH SAVEDON "+now.Format("2-Jan-2006")))

	// A flag change keeps it; a copy gets a new one.
	c.ok("h STORE 2 +FLAGS (\\Flagged)")
	assert.Equal(t, []string{"* SEARCH 2"}, c.ok("i SEARCH SAVEDBEFORE 1-Jan-2025"))
	c.ok("j CREATE Dst")
	c.ok("k COPY 2 Dst")
	c.ok("l SELECT Dst")
	assert.Equal(t, []string{"* SEARCH"}, c.ok("m SEARCH SAVEDBEFORE 1-Jan-2025"))
	assert.Equal(t, []string{"* SEARCH 1"}, c.ok("n SEARCH SAVEDSINCE 1-Jan-2025"))
}

var regexpSaveDate = regexp.MustCompile(`^\* \d+ FETCH \(SAVEDATE "([^"]+)"\)$`)

func writeMaildirFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(filepath.Dir(path)), "tmp", filepath.Base(path))
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}
