package maildir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// testPoll is the PollInterval of the watch tests.
const testPoll = 10 * time.Millisecond

func newPollingStore(t *testing.T, root string) *Store {
	t.Helper()
	return New(root, &Options{NoSync: true, PollInterval: testPoll})
}

// testWatch is a watch with the events polled but not yet waited for.
type testWatch struct {
	*mailbox.AccountWatch
	pending []mailbox.MailboxEvent
}

func watch(t *testing.T, a mailbox.Account) *testWatch {
	t.Helper()
	w := a.(mailbox.AccountWatcher).WatchAccount()
	t.Cleanup(w.Stop)
	return &testWatch{AccountWatch: w}
}

// waitEvent waits for an event for name with kinds among its kinds,
// and returns it.
func waitEvent(t *testing.T, w *testWatch, name string, kinds mailbox.EventKind) mailbox.MailboxEvent {
	t.Helper()
	deadline := time.After(200 * testPoll)
	for {
		for i, ev := range w.pending {
			if ev.Name == name && ev.Kinds&kinds == kinds {
				w.pending = append(w.pending[:i:i], w.pending[i+1:]...)
				return ev
			}
		}
		select {
		case <-w.Events():
		case <-deadline:
			t.Fatalf("no event %v for %q; have %v", kinds, name, w.pending)
		}
		evs, err := w.Poll()
		require.NoError(t, err)
		w.pending = append(w.pending, evs...)
	}
}

// quiet checks that w gets no event for a few poll intervals.
func quiet(t *testing.T, w *testWatch) {
	t.Helper()
	time.Sleep(10 * testPoll)
	evs, err := w.Poll()
	require.NoError(t, err)
	assert.Empty(t, append(w.pending, evs...))
	w.pending = nil
}

const messageKinds = mailbox.EventMessageNew | mailbox.EventMessageExpunge | mailbox.EventFlagChange

// A delivery agent writes into new/, Dovecot renames a file in cur/ for
// its flags and removes one: a watch hears of each within a few poll
// intervals, in INBOX and in a folder.
func TestWatchExternalChanges(t *testing.T) {
	root := t.TempDir()
	s := newPollingStore(t, root)
	a := openAccount(t, s, "alice")
	require.NoError(t, a.Create(context.Background(), "Box", nil))
	w := watch(t, a)
	quiet(t, w)

	for _, box := range []struct{ name, dir string }{{mailbox.Inbox, "alice"}, {"Box", "alice/.Box"}} {
		dir := filepath.Join(root, box.dir)
		base := strings.Repeat("1", 10) + ".M1P1.mx-" + strings.ToLower(box.name)
		writeFile(t, filepath.Join(dir, "new", base), testMsg)
		ev := waitEvent(t, w, box.name, 0)
		assert.Equal(t, messageKinds, ev.Kinds, "the kinds are hints: all three")

		// Numbered by a session; then renamed in cur/ and removed by
		// another program.
		m := openBox(t, a, box.name, false)
		require.Len(t, fetchAll(t, m), 1)
		quiet(t, w) // numbered, and claimed, by this Store
		require.NoError(t, os.Rename(filepath.Join(dir, "cur", base+":2,"), filepath.Join(dir, "cur", base+":2,S")))
		waitEvent(t, w, box.name, 0)
		require.NoError(t, os.Remove(filepath.Join(dir, "cur", base+":2,S")))
		waitEvent(t, w, box.name, 0)
		require.NoError(t, m.Close())
	}
}

// A folder another program makes or removes is a MailboxName event.
func TestWatchExternalFolders(t *testing.T) {
	root := t.TempDir()
	s := newPollingStore(t, root)
	a := openAccount(t, s, "alice")
	w := watch(t, a)
	// Made whole, then renamed into place, as Dovecot does.
	dir := filepath.Join(root, "alice", ".Ext&APw-")
	made := filepath.Join(root, "alice", "tmp", "made")
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(made, sub), 0o700))
	}
	require.NoError(t, os.Rename(made, dir))
	waitEvent(t, w, "Extü", mailbox.EventMailboxName)
	writeFile(t, filepath.Join(dir, "new", "1700000000.M1P1.mx"), testMsg)
	waitEvent(t, w, "Extü", mailbox.EventMessageNew)
	require.NoError(t, os.Rename(dir, made))
	waitEvent(t, w, "Extü", mailbox.EventMailboxName)
	quiet(t, w)
}

// Another Store over the same directory is another process.
func TestWatchOtherStore(t *testing.T) {
	root := t.TempDir()
	s1, s2 := newPollingStore(t, root), newPollingStore(t, root)
	a1 := openAccount(t, s1, "alice")
	a2 := openAccount(t, s2, "alice")
	w := watch(t, a1)
	ctx := context.Background()
	require.NoError(t, a2.Create(ctx, "Box", nil))
	waitEvent(t, w, "Box", mailbox.EventMailboxName)
	m := openBox(t, a2, "Box", false)
	u := appendMsg(t, m, testMsg)
	waitEvent(t, w, "Box", mailbox.EventMessageNew)
	_, err := m.Store(ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	waitEvent(t, w, "Box", mailbox.EventFlagChange)
	_, err = m.Expunge(ctx, nil)
	require.NoError(t, err)
	waitEvent(t, w, "Box", mailbox.EventMessageExpunge)
	require.NoError(t, a2.Rename(ctx, "Box", "Other"))
	waitEvent(t, w, "Box", mailbox.EventMailboxName)
	waitEvent(t, w, "Other", mailbox.EventMailboxName)
}

// The poller does not report again what this Store's handles did: the
// watch of the handle that did it hears nothing, that of another handle
// just the events published as the changes were made.
func TestWatchNoEcho(t *testing.T) {
	root := t.TempDir()
	s := newPollingStore(t, root)
	a := openAccount(t, s, "alice")
	b := openAccount(t, s, "alice")
	wa, wb := watch(t, a), watch(t, b)
	ctx := context.Background()
	require.NoError(t, a.Create(ctx, "P/Box", nil))
	require.NoError(t, a.Subscribe(ctx, "P/Box", true))
	in := openBox(t, a, "INBOX", false)
	u1 := appendMsg(t, in, testMsg)
	u2 := appendMsg(t, in, testMsg)
	_, err := in.Store(ctx, mailbox.UIDSetOf(u1), mailbox.StoreAdd, []string{mailbox.FlagSeen, "$Kw"}, nil)
	require.NoError(t, err)
	_, err = in.Copy(ctx, mailbox.UIDSetOf(u1), "P/Box")
	require.NoError(t, err)
	_, err = mailbox.Move(ctx, in, mailbox.UIDSetOf(u2), "P/Box")
	require.NoError(t, err)
	d, err := a.Open(ctx, "P/Box", &mailbox.OpenOptions{NoRecent: true})
	require.NoError(t, err)
	appendMsg(t, d, testMsg)
	require.NoError(t, d.Close())
	box := openBox(t, a, "P/Box", false) // claims the delivery: cur/ changes
	require.Len(t, fetchAll(t, box), 3)
	require.NoError(t, a.Rename(ctx, "P", "Q"))
	require.NoError(t, a.Rename(ctx, "INBOX", "Old"))
	require.NoError(t, a.Delete(ctx, "Q/Box"))
	require.NoError(t, a.(mailbox.Metadataer).SetMetadata(ctx, "Old", map[string]*string{"/private/x": new(string)}, 0))

	quiet(t, wa)
	time.Sleep(10 * testPoll)
	evs, err := wb.Poll()
	require.NoError(t, err)
	got := map[string]mailbox.EventKind{}
	for _, ev := range evs {
		got[ev.Name] |= ev.Kinds
	}
	assert.Equal(t, map[string]mailbox.EventKind{
		"P":     mailbox.EventMailboxName,
		"P/Box": mailbox.EventMailboxName | mailbox.EventSubscription | mailbox.EventMessageNew,
		"INBOX": mailbox.EventMessageNew | mailbox.EventFlagChange | mailbox.EventMessageExpunge,
		"Q":     mailbox.EventMailboxName,
		"Old":   mailbox.EventMailboxName | mailbox.EventMetadata,
		"Q/Box": mailbox.EventMailboxName,
	}, got)
}

// The poller runs while the account has a watch, and stops with the
// last one, or when the handles that started the watches close.
func TestWatchPollerLifetime(t *testing.T) {
	s := newPollingStore(t, t.TempDir())
	a := openAccount(t, s, "alice")
	poller := func() *acctWatch {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		return s.watched[a.(*account).dir]
	}
	assert.Nil(t, poller())
	w1, w2 := a.(mailbox.AccountWatcher).WatchAccount(), a.(mailbox.AccountWatcher).WatchAccount()
	aw := poller()
	require.NotNil(t, aw)
	done := aw.done
	w1.Stop()
	assert.Same(t, aw, poller())
	w2.Stop()
	assert.Nil(t, poller())
	select {
	case <-done:
	default:
		t.Fatal("the poller runs on")
	}

	b, err := s.Account(context.Background(), "alice")
	require.NoError(t, err)
	b.(mailbox.AccountWatcher).WatchAccount()
	b.(mailbox.AccountWatcher).WatchAccount()
	require.NotNil(t, poller())
	done = poller().done
	require.NoError(t, b.Close())
	assert.Nil(t, poller(), "Close stops the handle's watches")
	<-done
	w := b.(mailbox.AccountWatcher).WatchAccount()
	assert.Nil(t, poller(), "a closed handle's watch is stopped")
	evs, err := w.Poll()
	require.NoError(t, err)
	assert.Empty(t, evs)

	// No poller at all with a negative PollInterval; the handles' own
	// changes are still reported.
	s = New(t.TempDir(), &Options{NoSync: true, PollInterval: -1})
	a = openAccount(t, s, "alice")
	b = openAccount(t, s, "alice")
	tw := watch(t, a)
	assert.Nil(t, poller().stop, "no poller")
	require.NoError(t, b.Create(context.Background(), "Box", nil))
	waitEvent(t, tw, "Box", mailbox.EventMailboxName)
}

// The save date survives a restart and a flag change by another
// program, which renames the file.
func TestSaveDateReopen(t *testing.T) {
	root := t.TempDir()
	s := New(root, &Options{NoSync: true, PollInterval: -1})
	a := openAccount(t, s, "alice")
	m := openBox(t, a, "INBOX", false)
	u := appendMsg(t, m, testMsg)
	date := func(m mailbox.Mailbox) time.Time {
		var d time.Time
		require.NoError(t, m.Fetch(context.Background(), mailbox.UIDSetOf(u), func(msg mailbox.Message) error {
			d = msg.(mailbox.SaveDater).SaveDate()
			return nil
		}))
		return d
	}
	saved := date(m)
	require.False(t, saved.IsZero())
	assert.WithinDuration(t, time.Now(), saved, 2*time.Second)
	require.NoError(t, m.Close())
	require.NoError(t, a.Close())

	cur := filepath.Join(root, "alice", "cur")
	ents, err := os.ReadDir(cur)
	require.NoError(t, err)
	require.Len(t, ents, 1)
	require.NoError(t, os.Rename(filepath.Join(cur, ents[0].Name()), filepath.Join(cur, strings.TrimSuffix(ents[0].Name(), ",")+",FS")))

	s2 := New(root, &Options{NoSync: true, PollInterval: -1})
	m2 := openBox(t, openAccount(t, s2, "alice"), "INBOX", false)
	assert.Equal(t, saved, date(m2))
}
