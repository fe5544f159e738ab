package maildir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func TestNameMapping(t *testing.T) {
	for _, tc := range []struct{ name, dir string }{
		{"INBOX", ""},
		{"inbox", ""},
		{"Inbox/", ""},
		{"Sent", ".Sent"},
		{"Archive/2026", ".Archive.2026"},
		{"Archive/2026/", ".Archive.2026"},
		{"inbox/Child", ".INBOX.Child"},
		{"Entwürfe", ".Entw&APw-rfe"},
		{"A&B", ".A&-B"},
		{"x y", ".x y"},
		{"~peter/mail/台北/日本語", ".~peter.mail.&U,BTFw-.&ZeVnLIqe-"},
	} {
		d, err := dirName(tc.name)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.dir, d, tc.name)
		if d != "" {
			n, ok := nameOfDir(d)
			require.True(t, ok, d)
			want, _ := normName(tc.name)
			assert.Equal(t, want, n)
		}
	}
}

// hostileNames are names that must never reach outside the account.
var hostileNames = []string{
	"", "/", "//", "..", ".", "../x", "x/..", "x/../..", "a/./b", "../../etc/passwd",
	"/etc/passwd", "a//b", ".hidden", "a.b", "dir.", "\x00", "a\x00b", "a\nb", "a\rb",
	"a\x7fb", "\xff", "a\xc0\xafb", "\xed\xa0\x80", "x/\x00/y", strings.Repeat("a", 300),
	strings.Repeat("ä/", 200), strings.Repeat("日", 100), "\u0085", "a/\u0080",
}

func TestHostileNames(t *testing.T) {
	root := t.TempDir()
	for _, n := range hostileNames {
		_, err := dirName(n)
		assert.ErrorIs(t, err, mailbox.ErrInvalidName, "%q", n)
		checkInside(t, root, n)
	}
	outer := t.TempDir()
	s := New(filepath.Join(outer, "root"), &Options{NoSync: true, PollInterval: -1})
	a := openAccount(t, s, "bob")
	require.NoError(t, a.Create(t.Context(), "Ok", nil))
	m := openBox(t, a, "INBOX", false)
	appendMsg(t, m, testMsg)
	ctx := t.Context()
	for _, n := range hostileNames {
		assert.ErrorIs(t, a.Create(ctx, n, nil), mailbox.ErrInvalidName, "%q", n)
		_, err := a.Open(ctx, n, nil)
		assert.ErrorIs(t, err, mailbox.ErrInvalidName, "%q", n)
		_, err = a.Status(ctx, n)
		assert.ErrorIs(t, err, mailbox.ErrInvalidName, "%q", n)
		assert.ErrorIs(t, a.Delete(ctx, n), mailbox.ErrInvalidName, "%q", n)
		assert.ErrorIs(t, a.Rename(ctx, "Ok", n), mailbox.ErrInvalidName, "%q", n)
		assert.ErrorIs(t, a.Rename(ctx, n, "New"), mailbox.ErrInvalidName, "%q", n)
		assert.ErrorIs(t, a.Subscribe(ctx, n, true), mailbox.ErrInvalidName, "%q", n)
		_, err = m.Copy(ctx, mailbox.AllUIDs, n)
		assert.ErrorIs(t, err, mailbox.ErrInvalidName, "%q", n)
	}
	// Nothing was made outside the account.
	ents, err := os.ReadDir(outer)
	require.NoError(t, err)
	require.Len(t, ents, 1)
	ents, err = os.ReadDir(filepath.Join(outer, "root"))
	require.NoError(t, err)
	require.Len(t, ents, 1)
	boxes, err := a.Mailboxes(ctx)
	require.NoError(t, err)
	assert.Len(t, boxes, 2)
}

// checkInside fails unless the directory of name is in root.
func checkInside(t testing.TB, root, name string) {
	d, err := dirName(name)
	if err != nil {
		return
	}
	p := filepath.Join(root, d)
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || strings.Contains(d, "/") || len(d) > maxDirName {
		t.Fatalf("name %q maps to %q, outside %s", name, p, root)
	}
	if d != "" && (d == "." || d == ".." || d[0] != '.') {
		t.Fatalf("name %q maps to %q", name, d)
	}
}

func TestUsers(t *testing.T) {
	for _, u := range []string{"alice", "bob@example.com", "Zoë", "a b"} {
		assert.True(t, ValidUser(u), u)
	}
	for _, u := range []string{"", ".", "..", ".x", "a/b", `a\b`, "a\x00", "\xff", strings.Repeat("u", 256)} {
		assert.False(t, ValidUser(u), "%q", u)
	}
	s, _ := newTestStore(t)
	_, err := s.Account(t.Context(), "../x")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchAccount)
}

func FuzzNameMapping(f *testing.F) {
	for _, n := range hostileNames {
		f.Add(n)
	}
	f.Add("Archive/2026")
	f.Add("Entwürfe/&x")
	root := "/srv/mail/alice"
	f.Fuzz(func(t *testing.T, name string) {
		checkInside(t, root, name)
		d, err := dirName(name)
		if err != nil {
			return
		}
		if !utf8.ValidString(name) {
			t.Fatalf("invalid UTF-8 %q accepted", name)
		}
		if d == "" {
			return
		}
		n, ok := nameOfDir(d)
		want, _ := normName(name)
		if !ok || n != want {
			t.Fatalf("%q -> %q -> %q, %v", name, d, n, ok)
		}
	})
}

// TestNameTable says, for each kind of hostile or odd mailbox name,
// whether it is refused (mailbox.ErrInvalidName) or where it goes on
// disk; what is not refused stays one directory level inside the
// account, named "." and a name Dovecot reads the same.
func TestNameTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  string // "" with refused: refused
		why  string
	}{
		{"..", "", "a level that is .. (and any '.')"},
		{"a/..", "", "a level that is .."},
		{"../../etc", "", "climbing out"},
		{".", "", "a level that is ."},
		{".hidden", "", "a leading dot: '.' separates levels on disk"},
		{"a.b", "", "a dot: Maildir++ would read a/b"},
		{"a/b.", "", "a trailing dot"},
		{"...", "", "dots only"},
		{"/", "", "empty: the delimiter only"},
		{"/abs", "", "an empty first level"},
		{"a//b", "", "an empty level"},
		{"a\x00b", "", "NUL"},
		{"\x00", "", "NUL alone"},
		{"a\nb", "", "a control character"},
		{"a\x1bb", "", "ESC"},
		{"a\u0085b", "", "a C1 control"},
		{"a\xffb", "", "invalid UTF-8"},
		{"\xc0\xae\xc0\xae", "", "overlong UTF-8 for '..'"},
		{"\xed\xa0\x80", "", "a UTF-8 surrogate half"},
		{"a\uFFFDb", "", "U+FFFD, which invalid input decodes to"},
		{strings.Repeat("x", MaxNameLength+1), "", "longer than MaxNameLength"},
		{strings.Repeat("x", 255), "", "a directory name over 255 octets"},
		{strings.Repeat("ü", 100), "", "a directory name over 255 octets once encoded"},
		{strings.Repeat("x", 254), "." + strings.Repeat("x", 254), "the longest that fits"},
		{"a/b", ".a.b", "levels"},
		{"a/b/", ".a.b", "a trailing delimiter is dropped"},
		{"inbox", "", "INBOX is the account directory itself"},
		{"Inbox/x", ".INBOX.x", "INBOX's children"},
		{"&", ".&-", "'&' is escaped (RFC 3501 5.1.3)"},
		{"&Jjo", ".&-Jjo", "text that looks like modified UTF-7 is escaped, not decoded"},
		{"&AGE-", ".&-AGE-", "so is an invalid modified UTF-7 shift"},
		{"a\\b", ".a\\b", "a backslash is a plain character on Unix"},
		{"*%", ".*%", "IMAP's wildcards are plain characters here"},
		{" x ", ". x ", "spaces are kept"},
		{"~root", ".~root", "a tilde is a plain character"},
		{"Ü/日本", ".&ANw-.&ZeVnLA-", "non-ASCII levels in modified UTF-7"},
		{"😀", ".&2D3eAA-", "a character outside the BMP: a surrogate pair"},
	} {
		d, err := dirName(tc.name)
		if tc.dir == "" && tc.name != "inbox" {
			assert.ErrorIs(t, err, mailbox.ErrInvalidName, "%q: %s", tc.name, tc.why)
			continue
		}
		require.NoError(t, err, "%q: %s", tc.name, tc.why)
		assert.Equal(t, tc.dir, d, "%q: %s", tc.name, tc.why)
		checkInside(t, "/srv/mail/alice", tc.name)
		if d != "" {
			n, ok := nameOfDir(d)
			want, _ := normName(tc.name)
			assert.True(t, ok, "%q: %s", d, tc.why)
			assert.Equal(t, want, n, "%q reads back", d)
		}
	}
}

// TestHostileDirectories puts directories and links in an account that
// this package would never make: they are not listed, and no operation
// reaches through them.
func TestHostileDirectories(t *testing.T) {
	ctx := t.Context()
	outer := t.TempDir()
	outside := filepath.Join(outer, "outside")
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "cur"), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "new"), 0o700))
	writeFile(t, filepath.Join(outside, "cur", "1.M1P1.h:2,S"), "Subject: secret\n")
	s := New(filepath.Join(outer, "root"), &Options{NoSync: true, PollInterval: -1})
	a := openAccount(t, s, "eve")
	home := filepath.Join(outer, "root", "eve")
	for _, d := range []string{
		".&AGE-",       // shifted ASCII: not canonical modified UTF-7
		".&Jjo",        // an unterminated shift
		".caf\xc3\xa9", // raw UTF-8, as modified UTF-7 does not allow
		".a..b",        // an empty level
		".INBOX",       // INBOX itself
		".a\x01b",      // a control character
	} {
		require.NoError(t, os.MkdirAll(filepath.Join(home, d, "cur"), 0o700), "%q", d)
	}
	require.NoError(t, os.Symlink(outside, filepath.Join(home, ".Evil")))
	infos, err := a.Mailboxes(ctx)
	require.NoError(t, err)
	require.Len(t, infos, 1, "only INBOX: %v", infos)
	assert.Equal(t, mailbox.Inbox, infos[0].Name)

	// A folder that is a symbolic link is not one.
	_, err = a.Open(ctx, "Evil", nil)
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	_, err = a.Status(ctx, "Evil")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	assert.ErrorIs(t, a.Delete(ctx, "Evil"), mailbox.ErrNoSuchMailbox)
	assert.Error(t, a.Create(ctx, "Evil", nil))
	assert.ErrorIs(t, a.Rename(ctx, "Evil", "Mine"), mailbox.ErrNoSuchMailbox)
	m := openBox(t, a, "INBOX", false)
	appendMsg(t, m, testMsg)
	_, err = m.Copy(ctx, mailbox.AllUIDs, "Evil")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	ents, err := os.ReadDir(filepath.Join(outside, "cur"))
	require.NoError(t, err)
	assert.Len(t, ents, 1, "nothing written through the link")
	_, err = os.Stat(filepath.Join(outside, "dovecot-uidlist"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// FuzzDirName: any folder directory name maps to a name whose own
// directory stays inside the account.
func FuzzDirName(f *testing.F) {
	f.Add("&U,BTFw-")
	f.Add("Entw&APw-rfe.x")
	f.Add("&-")
	f.Fuzz(func(t *testing.T, s string) {
		if n, ok := nameOfDir("." + s); ok {
			checkInside(t, "/srv/mail/alice", n)
		}
	})
}
