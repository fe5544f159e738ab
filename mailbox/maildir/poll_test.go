package maildir

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// reads returns how many times the folder of m was read whole.
func reads(m mailbox.Mailbox) int {
	f := m.(*view).f
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// hide changes dir with change, then sets its mtime back to what it
// was, as a change within the same timestamp tick leaves it.
func hide(t *testing.T, dir string, change func()) {
	t.Helper()
	before := stampOf(dir)
	change()
	require.NoError(t, os.Chtimes(dir, time.Time{}, before.mtime))
	require.Equal(t, before, stampOf(dir), "the change moved more than the mtime")
}

// pollFor polls m until an update satisfies ok, failing after a while.
func pollFor(t *testing.T, m mailbox.Mailbox, ok func(mailbox.Update) bool) {
	t.Helper()
	deadline := time.Now().Add(3 * ownDoubtMax)
	for time.Now().Before(deadline) {
		ups, err := m.Poll(context.Background())
		require.NoError(t, err)
		if slices.ContainsFunc(ups, ok) {
			return
		}
		time.Sleep(recentWindowFine / 4)
	}
	t.Fatal("the change was never noticed")
}

// TestOwnChangesNotReread: the changes a view makes are not read back
// from the disk by the polls that follow, of that view or another; a
// change another process makes meanwhile in the same directory, which
// the stamps cannot tell apart from them, is still noticed once the
// folder is quiet.
func TestOwnChangesNotReread(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "ned")
	m := openBox(t, a, "INBOX", false)
	w := openBox(t, a, "INBOX", false)
	for range 3 {
		appendMsg(t, m, testMsg)
	}
	time.Sleep(2 * recentWindowFine)
	_, err := w.Poll(ctx)
	require.NoError(t, err)
	_, err = m.Poll(ctx)
	require.NoError(t, err)
	n := reads(m)

	_, err = m.Store(ctx, mailbox.UIDSetOf(1), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	ups, err := w.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateFlags, ups[0].Kind)
	_, err = m.Poll(ctx)
	require.NoError(t, err)
	uid := appendMsg(t, m, testMsg)
	ups, err = w.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, uid, ups[0].UID)
	gone, err := m.Expunge(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{1}, gone)
	ups, err = w.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateExpunged, ups[0].Kind)
	assert.Equal(t, n, reads(m), "own changes read back")
	// Once the folder is quiet, a poll checks the directories against
	// the state, which is no full read.
	time.Sleep(2 * recentWindowFine)
	ups, err = w.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, ups)
	assert.Equal(t, n, reads(m), "the listing did not match")
	assert.True(t, m.(*view).f.ownSince.IsZero())

	// Another program flags message 2 just after this view's change,
	// within the same tick.
	_, err = m.Store(ctx, mailbox.UIDSetOf(3), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	cur := filepath.Join(root, "ned", "cur")
	// Message 2's file (names do not sort as UIDs do).
	f := m.(*view).f
	f.mu.Lock()
	base2 := f.find(2).base
	f.mu.Unlock()
	hide(t, cur, func() {
		ents, err := os.ReadDir(cur)
		require.NoError(t, err)
		for _, e := range ents {
			if base, info := splitName(e.Name()); base == base2 {
				require.Empty(t, info, "message 2 has no flags")
				require.NoError(t, os.Rename(filepath.Join(cur, e.Name()), filepath.Join(cur, fileName(base, "F"))))
				return
			}
		}
		t.Fatal("no file for message 2")
	})
	pollFor(t, w, func(u mailbox.Update) bool {
		return u.Kind == mailbox.UpdateFlags && u.UID == 2 && slices.Contains(u.Flags, mailbox.FlagFlagged)
	})
}

// TestOwnChangesBounded: a run of changes that never leaves the folder
// quiet still lets a change another program hid behind them be noticed
// within about ownDoubtMax.
func TestOwnChangesBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ownDoubtMax")
	}
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "ora")
	m := openBox(t, a, "INBOX", false)
	w := openBox(t, a, "INBOX", true)
	appendMsg(t, m, testMsg)
	appendMsg(t, m, testMsg)
	_, err := w.Poll(ctx)
	require.NoError(t, err)
	cur := filepath.Join(root, "ora", "cur")
	_, err = m.Store(ctx, mailbox.UIDSetOf(1), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	hide(t, cur, func() {
		ents, err := os.ReadDir(cur)
		require.NoError(t, err)
		for _, e := range ents {
			if base, info := splitName(e.Name()); info == "" {
				require.NoError(t, os.Rename(filepath.Join(cur, e.Name()), filepath.Join(cur, fileName(base, "F"))))
				return
			}
		}
		t.Fatal("no unflagged message")
	})
	start := time.Now()
	for i := 0; time.Since(start) < 3*ownDoubtMax; i++ {
		op := mailbox.StoreAdd
		if i%2 == 1 {
			op = mailbox.StoreRemove
		}
		_, err := m.Store(ctx, mailbox.UIDSetOf(1), op, []string{mailbox.FlagAnswered}, nil)
		require.NoError(t, err)
		ups, err := w.Poll(ctx)
		require.NoError(t, err)
		if slices.ContainsFunc(ups, func(u mailbox.Update) bool { return u.UID == 2 }) {
			assert.Less(t, time.Since(start), ownDoubtMax+time.Second)
			return
		}
		time.Sleep(recentWindowFine / 10)
	}
	t.Fatal("the change was never noticed")
}

// TestUnsettledRead: a change another program makes in the same tick as
// one a read just saw is noticed by a later poll, however late.
func TestUnsettledRead(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "pat")
	m := openBox(t, a, "INBOX", false)
	appendMsg(t, m, testMsg)
	time.Sleep(2 * recentWindowFine)
	_, err := m.Poll(ctx)
	require.NoError(t, err)
	newDir := filepath.Join(root, "pat", "new")
	require.NoError(t, os.WriteFile(filepath.Join(newDir, "1800000000.a.host"), []byte(testMsg), 0o600))
	ups, err := m.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	hide(t, newDir, func() {
		require.NoError(t, os.WriteFile(filepath.Join(newDir, "1800000000.b.host"), []byte(testMsg), 0o600))
	})
	time.Sleep(2 * recentWindowFine)
	ups, err = m.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateAppended, ups[0].Kind)
}

// TestOwnChangesPoller: with a poller, the look for changes hidden behind
// this process's own is the poller's, and the views' polls stay cheap.
func TestOwnChangesPoller(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := New(root, &Options{NoSync: true, PollInterval: 20 * time.Millisecond})
	a := openAccount(t, s, "quin")
	m := openBox(t, a, "INBOX", false)
	w := openBox(t, a, "INBOX", true)
	appendMsg(t, m, testMsg)
	appendMsg(t, m, testMsg)
	_, err := w.Poll(ctx)
	require.NoError(t, err)
	f := m.(*view).f
	// The poller confirms the folder once quiet, without a full read.
	n := reads(m)
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.ownSince.IsZero()
	}, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, n, reads(m))

	_, err = m.Store(ctx, mailbox.UIDSetOf(1), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	cur := filepath.Join(root, "quin", "cur")
	hide(t, cur, func() {
		ents, err := os.ReadDir(cur)
		require.NoError(t, err)
		for _, e := range ents {
			if base, info := splitName(e.Name()); info == "" {
				require.NoError(t, os.Rename(filepath.Join(cur, e.Name()), filepath.Join(cur, fileName(base, "F"))))
				return
			}
		}
		t.Fatal("no unflagged message")
	})
	pollFor(t, w, func(u mailbox.Update) bool {
		return u.Kind == mailbox.UpdateFlags && u.UID == 2 && slices.Contains(u.Flags, mailbox.FlagFlagged)
	})
}
