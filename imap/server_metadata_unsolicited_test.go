package imap

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// longEntryNames returns n entry names of size octets each, sorted,
// and a SETMETADATA list that sets them, each name in a LITERAL+.
func longEntryNames(n, size int) ([]string, string) {
	var names []string
	var sb strings.Builder
	for i := range n {
		s := fmt.Sprintf("/private/e%03d/", i)
		s += strings.Repeat("x", size-len(s))
		names = append(names, s)
		fmt.Fprintf(&sb, "%s \"v\" ", fmtLiteralPlus(s))
	}
	slices.Sort(names)
	return names, "(" + strings.TrimSuffix(sb.String(), " ") + ")"
}

// readMetadataNames reads unsolicited METADATA responses of mbox (as
// on the wire) until want names came, and checks that each line stays
// within a few KiB (RFC 5464 4.4 lets a server split them).
func readMetadataNames(t *testing.T, c *wireClient, mbox string, want int) []string {
	t.Helper()
	var got []string
	lines := 0
	for len(got) < want {
		l := c.line()
		lines++
		assert.LessOrEqual(t, len(l), metadataNamesChunk+len(mbox)+16, "line of %d octets", len(l))
		rest, ok := strings.CutPrefix(l, "* METADATA "+mbox+" ")
		require.True(t, ok, "%.80q", l)
		got = append(got, strings.Fields(rest)...)
	}
	assert.Greater(t, lines, 1, "split into several responses")
	slices.Sort(got)
	return got
}

// TestNotifyMetadataNamesSplit: the names of many changed entries, more
// than a line our client takes, come in several METADATA responses of
// a few KiB each (RFC 5465 5.6, 5.7; RFC 5464 4.4).
func TestNotifyMetadataNamesSplit(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))")
	names, list := longEntryNames(DefaultMaxMetadataEntries, 1000)
	require.Greater(t, len(list), DefaultMaxLineLength)
	other.ok("o1 SETMETADATA INBOX " + list)
	assert.Equal(t, names, readMetadataNames(t, c, "INBOX", len(names)))
	other.ok(`o2 SETMETADATA "" ` + list)
	assert.Equal(t, names, readMetadataNames(t, c, `""`, len(names)))
	notifyQuiet(t, c, "b")
}

// metadataQuiet checks that a NOOP brings nothing.
func metadataQuiet(t *testing.T, c *wireClient, tag string) {
	t.Helper()
	assert.Equal(t, []string{tag + " OK NOOP completed"}, c.cmd(tag+" NOOP"))
}

// TestMetadataEnable: ENABLE METADATA and METADATA-SERVER (RFC 5464 3,
// RFC 5161) are enabled once each, and only when the account keeps
// annotations.
func TestMetadataEnable(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	assert.Equal(t, []string{"* ENABLED METADATA", "a OK ENABLE completed"}, c.cmd("a ENABLE metadata"))
	assert.Equal(t, []string{"* ENABLED", "b OK ENABLE completed"}, c.cmd("b ENABLE METADATA"))
	assert.Equal(t, []string{"* ENABLED METADATA-SERVER", "c OK ENABLE completed"}, c.cmd("c ENABLE METADATA-SERVER METADATA"))

	plain := newTestServer(t, func(s *Server) { s.Store = plainStore(s.Store) })
	p := plain.login(t)
	assert.NotContains(t, strings.Fields(p.ok("d CAPABILITY")[0]), "METADATA")
	assert.Equal(t, []string{"* ENABLED", "e OK ENABLE completed"}, p.cmd("e ENABLE METADATA METADATA-SERVER"))
}

// TestMetadataUnsolicited: after ENABLE METADATA, RFC 5464 4.4.2: the
// names of the server's entries and of the selected mailbox's that
// another session changed, at the end of a command (NOOP, as in the
// RFC's examples) and in IDLE; nothing before ENABLE, nothing for the
// session's own changes or for other mailboxes.
func TestMetadataUnsolicited(t *testing.T) {
	t.Run("memstore", func(t *testing.T) { testMetadataUnsolicited(t, newTestServer(t)) })
	t.Run("maildir", func(t *testing.T) {
		ts, _ := newMaildirTestServer(t)
		testMetadataUnsolicited(t, ts)
	})
}

func testMetadataUnsolicited(t *testing.T, ts *testServer) {
	c := ts.login(t)
	other := ts.login(t)
	other.ok("o0 CREATE Lists")
	other.ok(`o1 SETMETADATA "" (/shared/comment "before")`)
	metadataQuiet(t, c, "a")

	c.ok("b ENABLE METADATA")
	other.ok(`o2 SETMETADATA "" (/shared/comment "Shared comment")`)
	// RFC 5464 4.4.2, the first example.
	assert.Equal(t, []string{`* METADATA "" /shared/comment`, "c OK NOOP completed"}, c.cmd("c NOOP"))
	c.ok("d SELECT INBOX")
	other.ok(`o3 SETMETADATA INBOX (/shared/comment "sunny" /private/comment "mine")`)
	other.ok(`o4 SETMETADATA Lists (/shared/comment "elsewhere")`)
	// The second example (names sorted).
	assert.Equal(t, []string{`* METADATA INBOX /private/comment /shared/comment`, "f OK NOOP completed"}, c.cmd("f NOOP"))
	c.ok(`e SETMETADATA INBOX (/shared/x "own")`)
	metadataQuiet(t, c, "e2")
	// At the end of other commands too; removals are named.
	other.ok(`o5 SETMETADATA INBOX (/private/comment NIL)`)
	assert.Equal(t, []string{`* METADATA INBOX /private/comment`, "g OK GETMETADATA completed"},
		c.cmd(`g GETMETADATA "" /shared/none`)[1:])
	metadataQuiet(t, c, "h")

	// In IDLE, as it happens.
	c.send("i IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	other.ok(`o6 SETMETADATA "" (/shared/comment NIL)`)
	assert.Equal(t, `* METADATA "" /shared/comment`, c.line())
	other.ok(`o7 SETMETADATA INBOX (/shared/comment "rain")`)
	assert.Equal(t, `* METADATA INBOX /shared/comment`, c.line())
	c.send("DONE\r\n")
	assert.Equal(t, []string{"i OK IDLE terminated"}, c.until("i"))

	// Many names: several responses of bounded size.
	names, list := longEntryNames(DefaultMaxMetadataEntries, 1000)
	other.ok(`o8 SETMETADATA "" ` + list)
	c.send("j NOOP\r\n")
	assert.Equal(t, names, readMetadataNames(t, c, `""`, len(names)))
	assert.Equal(t, []string{"j OK NOOP completed"}, c.until("j"))
}

// TestMetadataUnsolicitedServerOnly: ENABLE METADATA-SERVER alone
// reports the server's entries, not the mailbox's.
func TestMetadataUnsolicitedServerOnly(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a ENABLE METADATA-SERVER")
	c.ok("b SELECT INBOX")
	other.ok(`o1 SETMETADATA INBOX (/shared/comment "x")`)
	other.ok(`o2 SETMETADATA "" (/shared/comment "y")`)
	assert.Equal(t, []string{`* METADATA "" /shared/comment`, "c OK NOOP completed"}, c.cmd("c NOOP"))
}

// TestMetadataUnsolicitedUnderNotify: while a NOTIFY SET with metadata
// events is in effect, NOTIFY alone reports annotations (RFC 5465 5.6,
// 5.7), once; ENABLE METADATA's reports come back after NOTIFY NONE,
// and go on under a NOTIFY without metadata events.
func TestMetadataUnsolicitedUnderNotify(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a ENABLE METADATA")
	c.ok("b NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))")
	other.ok(`o1 SETMETADATA "" (/shared/comment "x")`)
	assert.Equal(t, `* METADATA "" /shared/comment`, c.line())
	notifyQuiet(t, c, "c")
	c.ok("d NOTIFY NONE")
	c.ok("e SELECT INBOX")
	other.ok(`o2 SETMETADATA INBOX (/shared/comment "y")`)
	assert.Equal(t, []string{`* METADATA INBOX /shared/comment`, "f OK NOOP completed"}, c.cmd("f NOOP"))
	c.ok("g NOTIFY SET (personal (MailboxName))")
	other.ok(`o3 SETMETADATA "" (/shared/comment "z")`)
	assert.Equal(t, []string{`* METADATA "" /shared/comment`, "h OK NOOP completed"}, c.cmd("h NOOP"))
	// And in IDLE under that NOTIFY, as they happen.
	c.send("i IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	other.ok(`o4 SETMETADATA INBOX (/shared/comment NIL)`)
	assert.Equal(t, `* METADATA INBOX /shared/comment`, c.line())
	c.send("DONE\r\n")
	assert.Equal(t, []string{"i OK IDLE terminated"}, c.until("i"))
}

// TestMetadataUnsolicitedEndsWithSession: the watch of ENABLE METADATA
// goes with the session.
func TestMetadataUnsolicitedEndsWithSession(t *testing.T) {
	hub := &mailbox.AccountHub{}
	ts := newTestServer(t, func(s *Server) { s.Store = hubStore{s.Store, hub} })
	c := ts.login(t)
	assert.Equal(t, []string{"* ENABLED METADATA"}, c.ok("a ENABLE METADATA"))
	assert.Equal(t, 1, hub.Len())
	c.cmd("b LOGOUT")
	require.Eventually(t, func() bool { return hub.Len() == 0 }, 5*time.Second, 5*time.Millisecond)
}

// hubStore gives accounts whose watches come from one hub, which a
// test can count.
type hubStore struct {
	mailbox.Store
	hub *mailbox.AccountHub
}

func (s hubStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	a, err := s.Store.Account(ctx, user)
	if err != nil {
		return nil, err
	}
	return hubAccount{a.(fullAccount), s.hub}, nil
}

// fullAccount is an account that keeps annotations and can be watched.
type fullAccount interface {
	mailbox.Account
	mailbox.Metadataer
	mailbox.AccountWatcher
}

type hubAccount struct {
	fullAccount
	hub *mailbox.AccountHub
}

func (a hubAccount) WatchAccount() *mailbox.AccountWatch { return a.hub.Watch(a) }

// TestMetadataUnsolicitedPollingIdle: an IDLE that cannot park (no
// mailbox selected; under COMPRESS) hears of annotations others change
// as they change, not when it ends.
func TestMetadataUnsolicitedPollingIdle(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a ENABLE METADATA")
	c.send("i IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	other.ok(`o1 SETMETADATA "" (/shared/comment "x")`)
	assert.Equal(t, `* METADATA "" /shared/comment`, c.line())
	c.send("DONE\r\n")
	assert.Equal(t, []string{"i OK IDLE terminated"}, c.until("i"))
}
