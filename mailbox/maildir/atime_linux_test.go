package maildir

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func atime(tb testing.TB, path string) int64 {
	var st syscall.Stat_t
	require.NoError(tb, syscall.Stat(path, &st))
	return st.Atim.Sec
}

// TestOpenReadsNoMessage opens, stats and fetches the metadata of a big
// INBOX and checks that no message file was read.
func TestOpenReadsNoMessage(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	root := t.TempDir()
	makeBigInbox(t, root, "big", n)
	ctx := context.Background()
	for round := range 2 { // the first open writes the MODSEQ log
		s := New(root, &Options{NoSync: true, PollInterval: -1})
		a := openAccount(t, s, "big")
		m := openBox(t, a, "INBOX", false)
		st, err := m.Status(ctx)
		require.NoError(t, err)
		require.Equal(t, uint32(n), st.Messages, "round %d", round)
		require.Equal(t, uint32(n/2), st.Unseen)
		require.Equal(t, int64(n)*240, st.Size)
		count := 0
		require.NoError(t, m.Fetch(ctx, mailbox.AllUIDs, func(msg mailbox.Message) error {
			count++
			_ = msg.Flags()
			_ = msg.Size()
			_ = msg.InternalDate() // a stat, not a read
			return nil
		}))
		require.Equal(t, n, count)
		m.Close()
	}
	ents, err := os.ReadDir(filepath.Join(root, "big", "cur"))
	require.NoError(t, err)
	for _, e := range ents {
		if a := atime(t, filepath.Join(root, "big", "cur", e.Name())); a != 1600000000 {
			t.Fatalf("%s was read (atime %d)", e.Name(), a)
		}
	}
}
