package maildir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func TestModLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), modseqFile)
	l := parseModLog(nil, 7)
	l.entries[1] = modEntry{3, "S"}
	l.highest = 3
	require.NoError(t, l.write(path, nil, true)) // missing: written whole
	lines := appendEntry(nil, 1, modEntry{4, "FS"})
	lines = append(lines, "X 5\n"...)
	l.entries[1], l.highest = modEntry{4, "FS"}, 5
	require.NoError(t, l.write(path, lines, true))
	// A crashed writer's half line is ignored, and cut by the next write.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	f.WriteString("2 9 ")
	f.Close()
	b, _ := os.ReadFile(path)
	l2 := parseModLog(b, 7)
	assert.Equal(t, uint64(5), l2.highest)
	assert.Equal(t, map[mailbox.UID]modEntry{1: {4, "FS"}}, l2.entries)
	require.NoError(t, l2.write(path, appendEntry(nil, 2, modEntry{6, ""}), true))
	b, _ = os.ReadFile(path)
	assert.Equal(t, "postkit-modseq 1 V7\nX 3\n1 3 S\n1 4 FS\nX 5\n2 6 -\n", string(b))
	// Another UIDVALIDITY: ignored.
	assert.Empty(t, parseModLog(b, 8).entries)
}

func FuzzModLog(f *testing.F) {
	f.Add([]byte("postkit-modseq 1 V7\nX 3\n1 3 S\n1 4 FS\nX 5\n2 6 -\n"))
	f.Add([]byte("postkit-modseq 1 V7\nX 3\n1 3 S\nE 4 1:2,5\nX 6\nE 6 9\n3 6 D\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l := parseModLog(b, 7)
		if l.end > int64(len(b)) {
			t.Fatal("end past input")
		}
		for u, e := range l.entries {
			if e.modseq > l.highest || u == 0 {
				t.Fatalf("entry %d %+v above highest %d", u, e, l.highest)
			}
		}
		l2 := parseModLog(l.format(), 7)
		if l2.highest != l.highest || len(l2.entries) != len(l.entries) {
			t.Fatalf("round trip %+v != %+v", l2, l)
		}
		for u, e := range l.entries {
			if l2.entries[u] != e {
				t.Fatalf("round trip of %d: %+v != %+v", u, l2.entries[u], e)
			}
		}
		if len(l2.tombs) != len(l.tombs) {
			t.Fatalf("round trip of the expunge records: %d != %d", len(l2.tombs), len(l.tombs))
		}
	})
}
