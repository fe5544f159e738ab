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

func TestMUTF7(t *testing.T) {
	for _, tc := range []struct{ utf8, mutf7 string }{
		{"", ""},
		{"INBOX", "INBOX"},
		{"&", "&-"},
		{"a&b", "a&-b"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"台北", "&U,BTFw-"},    // RFC 3501 5.1.3
		{"日本語", "&ZeVnLIqe-"}, // RFC 3501 5.1.3
		{"~peter", "~peter"},
		{"😀", "&2D3eAA-"},
		{"Ä&Ö", "&AMQ-&-&ANY-"},
	} {
		assert.Equal(t, tc.mutf7, encodeMUTF7(tc.utf8), tc.utf8)
		got, err := decodeMUTF7(tc.mutf7)
		require.NoError(t, err, tc.mutf7)
		assert.Equal(t, tc.utf8, got)
	}
	for _, bad := range []string{
		"&",           // unterminated
		"&U,BTFw",     // unterminated
		"&AGE-",       // shifted ASCII "a"
		"&AMQ-&ANY-",  // two adjacent shifts
		"&2D0-",       // lone high surrogate
		"\x80",        // 8-bit
		"a\x00b",      // NUL
		"&U/BTFw-",    // "/" is not in the alphabet
		"&U,BTFx-",    // stray bits
		"caf\xc3\xa9", // raw UTF-8
		"tab\there",   // control
		"&ZeVnLIqe=-", // padding
	} {
		_, err := decodeMUTF7(bad)
		assert.Error(t, err, "%q", bad)
	}
}

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

func FuzzMUTF7(f *testing.F) {
	f.Add("&U,BTFw-")
	f.Add("Entw&APw-rfe")
	f.Add("&-")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := decodeMUTF7(s)
		if err != nil {
			return
		}
		if encodeMUTF7(d) != s {
			t.Fatalf("%q decodes to %q, which encodes back differently", s, d)
		}
		if n, ok := nameOfDir("." + s); ok {
			checkInside(t, "/srv/mail/alice", n)
		}
	})
}
