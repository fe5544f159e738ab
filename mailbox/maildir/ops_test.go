package maildir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s1 := New(root, &Options{PollInterval: -1})
	a := openAccount(t, s1, "erin")
	require.NoError(t, a.Create(ctx, "Work/Projects", nil))
	m := openBox(t, a, "Work/Projects", false)
	appendMsg(t, m, testMsg)
	appendMsg(t, m, testMsg, mailbox.FlagFlagged, "$Important")
	_, err := m.Store(ctx, mailbox.UIDSetOf(1), mailbox.StoreAdd, []string{"Todo"}, nil)
	require.NoError(t, err)
	st1, err := m.Status(ctx)
	require.NoError(t, err)
	before := fetchAll(t, m)
	require.NoError(t, a.Subscribe(ctx, "Work/Projects", true))
	m.Close()

	s2 := New(root, &Options{PollInterval: -1})
	a2 := openAccount(t, s2, "erin")
	m2 := openBox(t, a2, "Work/Projects", true)
	st2, err := m2.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, st1.UIDValidity, st2.UIDValidity)
	assert.Equal(t, st1.UIDNext, st2.UIDNext)
	assert.Equal(t, st1.HighestModSeq, st2.HighestModSeq)
	after := fetchAll(t, m2)
	require.Equal(t, len(before), len(after))
	for i := range before {
		assert.Equal(t, before[i].UID, after[i].UID)
		assert.ElementsMatch(t, stored(before[i].Flags), after[i].Flags)
		assert.Equal(t, before[i].ModSeq, after[i].ModSeq)
		assert.True(t, before[i].Date.Equal(after[i].Date))
	}
	subs, err := a2.Subscriptions(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Work/Projects"}, subs)

	// A flag changed by another program (mutt renames the file) gets a
	// new MODSEQ at the next sync.
	cur := filepath.Join(root, "erin", ".Work.Projects", "cur")
	ents, _ := os.ReadDir(cur)
	var renamed bool
	for _, e := range ents {
		if base, info := splitName(e.Name()); !strings.Contains(info, "S") {
			require.NoError(t, os.Rename(filepath.Join(cur, e.Name()), filepath.Join(cur, fileName(base, normInfo(info+"S")))))
			renamed = true
			break
		}
	}
	require.True(t, renamed)
	ups, err := m2.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateFlags, ups[0].Kind)
	assert.Contains(t, ups[0].Flags, mailbox.FlagSeen)
	assert.Greater(t, ups[0].ModSeq, st2.HighestModSeq)
}

func TestDeleteRecreateUIDValidity(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := openAccount(t, s, "fay")
	require.NoError(t, a.Create(ctx, "X", nil))
	st1, err := a.Status(ctx, "X")
	require.NoError(t, err)
	require.NoError(t, a.Delete(ctx, "X"))
	_, err = a.Status(ctx, "X")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	require.NoError(t, a.Create(ctx, "X", nil))
	st2, err := a.Status(ctx, "X")
	require.NoError(t, err)
	assert.NotEqual(t, st1.UIDValidity, st2.UIDValidity)
	assert.ErrorIs(t, a.Create(ctx, "x/../X", nil), mailbox.ErrInvalidName)
	assert.ErrorIs(t, a.Create(ctx, "X", nil), mailbox.ErrMailboxExists)
	assert.ErrorIs(t, a.Create(ctx, "inbox", nil), mailbox.ErrMailboxExists)
	assert.ErrorIs(t, a.Delete(ctx, "INBOX"), mailbox.ErrNotAllowed)
	assert.ErrorIs(t, a.Delete(ctx, "nope"), mailbox.ErrNoSuchMailbox)
}

func TestHierarchy(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "gus")
	require.NoError(t, a.Create(ctx, "A/B/C", nil))
	for _, d := range []string{".A", ".A.B", ".A.B.C"} {
		_, err := os.Stat(filepath.Join(root, "gus", d, "maildirfolder"))
		assert.NoError(t, err, d)
	}
	m := openBox(t, a, "A/B", false)
	appendMsg(t, m, testMsg, mailbox.FlagSeen)
	m.Close()

	// Delete keeps a \Noselect parent; deleting that fails.
	require.NoError(t, a.Delete(ctx, "A"))
	infos, err := a.Mailboxes(ctx)
	require.NoError(t, err)
	attrs := map[string][]string{}
	for _, i := range infos {
		attrs[i.Name] = i.Attrs
	}
	assert.Equal(t, []string{mailbox.AttrNoSelect}, attrs["A"])
	assert.ErrorIs(t, a.Delete(ctx, "A"), mailbox.ErrHasChildren)
	_, err = a.Open(ctx, "A", nil)
	assert.ErrorIs(t, err, mailbox.ErrNotSelectable)

	// Rename moves the children.
	require.NoError(t, a.Rename(ctx, "A", "Z"))
	infos, err = a.Mailboxes(ctx)
	require.NoError(t, err)
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	assert.ElementsMatch(t, []string{"INBOX", "Z", "Z/B", "Z/B/C"}, names)
	st, err := a.Status(ctx, "Z/B")
	require.NoError(t, err)
	assert.Equal(t, uint32(1), st.Messages)
	assert.ErrorIs(t, a.Rename(ctx, "Z/B", "Z/B/C/D"), mailbox.ErrNotAllowed)
	assert.ErrorIs(t, a.Rename(ctx, "Z/B", "Z/B/C"), mailbox.ErrMailboxExists)
	assert.ErrorIs(t, a.Rename(ctx, "nope", "other"), mailbox.ErrNoSuchMailbox)

	// Renaming INBOX moves its messages; INBOX stays, empty.
	in := openBox(t, a, "INBOX", false)
	appendMsg(t, in, testMsg, "Kw")
	appendMsg(t, in, testMsg)
	require.NoError(t, a.Rename(ctx, "INBOX", "Old"))
	ups, err := in.Poll(ctx)
	require.NoError(t, err)
	assert.Len(t, ups, 2)
	assert.Empty(t, fetchAll(t, in))
	old := openBox(t, a, "Old", false)
	msgs := fetchAll(t, old)
	require.Len(t, msgs, 2)
	assert.Contains(t, msgs[0].Flags, "Kw")
}

func TestCopyMove(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := openAccount(t, s, "hal")
	require.NoError(t, a.Create(ctx, "Dst", nil))
	src := openBox(t, a, "INBOX", false)
	dst := openBox(t, a, "Dst", false)
	appendMsg(t, dst, testMsg, "Other") // "a" in Dst is "Other"
	appendMsg(t, src, "Subject: one\r\n\r\n1\r\n", mailbox.FlagSeen, "Mine")
	appendMsg(t, src, "Subject: two\r\n\r\n2\r\n")

	res, err := src.Copy(ctx, mailbox.UIDSetOf(1, 2), "Dst")
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{1, 2}, res.Source)
	assert.Equal(t, []mailbox.UID{2, 3}, res.Dest)
	_, err = src.Copy(ctx, mailbox.UIDSetOf(1), "Nope")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)

	ups, err := dst.Poll(ctx)
	require.NoError(t, err)
	assert.Len(t, ups, 2)
	msgs := fetchAll(t, dst)
	require.Len(t, msgs, 3)
	assert.ElementsMatch(t, []string{mailbox.FlagSeen, "Mine"}, msgs[1].Flags)
	assert.Equal(t, "Subject: one\r\n\r\n1\r\n", msgs[1].Body)

	res, err = mailbox.Move(ctx, src, mailbox.UIDSetOf(2), "Dst")
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{2}, res.Source)
	assert.Equal(t, []mailbox.UID{4}, res.Dest)
	ups, err = src.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, ups, "the moving view reports the expunge itself")
	left := fetchAll(t, src)
	require.Len(t, left, 1)
	assert.Equal(t, mailbox.UID(1), left[0].UID)
}

func TestViewsAndUpdates(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := openAccount(t, s, "ivy")
	v1 := openBox(t, a, "INBOX", false)
	v2 := openBox(t, a, "INBOX", false)
	ro := openBox(t, a, "INBOX", true)

	uid := appendMsg(t, v1, testMsg)
	assert.Len(t, fetchAll(t, v1), 1)
	assert.Empty(t, fetchAll(t, v2), "not before Poll")
	select {
	case <-v2.Updates():
	default:
		t.Fatal("no signal")
	}
	ups, err := v2.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.Update{Kind: mailbox.UpdateAppended, UID: uid, Flags: nil, ModSeq: ups[0].ModSeq}, ups[0])
	got := fetchAll(t, v2)
	require.Len(t, got, 1)
	assert.NotContains(t, got[0].Flags, mailbox.FlagRecent, "recent in v1, which appended it")
	assert.Equal(t, []string{mailbox.FlagRecent}, fetchAll(t, v1)[0].Flags)
	ups, err = v1.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, ups)

	_, err = ro.Append(ctx, strings.NewReader(testMsg), nil)
	assert.ErrorIs(t, err, mailbox.ErrReadOnly)
	_, err = ro.Store(ctx, mailbox.AllUIDs, mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	assert.ErrorIs(t, err, mailbox.ErrReadOnly)

	_, err = v1.Store(ctx, mailbox.UIDSetOf(uid), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	_, err = v1.Expunge(ctx, nil)
	require.NoError(t, err)
	ups, err = v2.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 2)
	assert.Equal(t, mailbox.UpdateFlags, ups[0].Kind)
	assert.Equal(t, mailbox.UpdateExpunged, ups[1].Kind)

	require.NoError(t, v1.Close())
	err = v1.Fetch(ctx, mailbox.AllUIDs, func(mailbox.Message) error { return nil })
	assert.ErrorIs(t, err, mailbox.ErrClosed)
}

// TestTwoStores runs two Stores on one directory, as two processes would:
// concurrent appends lose no message and reuse no UID, and each sees the
// other's changes.
func TestTwoStores(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	stores := []*Store{New(root, &Options{NoSync: true, PollInterval: -1}), New(root, &Options{NoSync: true, PollInterval: -1})}
	const per = 40
	var wg sync.WaitGroup
	uids := make([][]mailbox.UID, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := stores[w%2].Account(ctx, "joe")
			if !assert.NoError(t, err) {
				return
			}
			m, err := a.Open(ctx, "INBOX", nil)
			if !assert.NoError(t, err) {
				return
			}
			defer m.Close()
			for i := range per {
				uid, err := m.Append(ctx, strings.NewReader(fmt.Sprintf("Subject: %d-%d\r\n\r\nx\r\n", w, i)), &mailbox.AppendOptions{Flags: []string{fmt.Sprintf("kw%d", w)}})
				if !assert.NoError(t, err) {
					return
				}
				uids[w] = append(uids[w], uid)
			}
		}()
	}
	wg.Wait()
	seen := map[mailbox.UID]bool{}
	for _, us := range uids {
		for _, u := range us {
			assert.False(t, seen[u], "UID %d twice", u)
			seen[u] = true
		}
	}
	assert.Len(t, seen, 4*per)

	a := openAccount(t, New(root, &Options{PollInterval: -1}), "joe")
	m := openBox(t, a, "INBOX", true)
	msgs := fetchAll(t, m)
	require.Len(t, msgs, 4*per)
	for _, msg := range msgs {
		assert.True(t, seen[msg.UID])
		var w, i int
		_, err := fmt.Sscanf(msg.Body, "Subject: %d-%d", &w, &i)
		require.NoError(t, err)
		assert.Equal(t, []string{fmt.Sprintf("kw%d", w)}, msg.Flags)
	}

	// Store 0 sees a flag change made through store 1 at its next Poll.
	a0 := openAccount(t, stores[0], "joe")
	a1 := openAccount(t, stores[1], "joe")
	m0 := openBox(t, a0, "INBOX", false)
	m1 := openBox(t, a1, "INBOX", false)
	_, err := m1.Store(ctx, mailbox.UIDSetOf(msgs[0].UID), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	ups, err := m0.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateFlags, ups[0].Kind)
	appendMsg(t, m1, testMsg)
	ups, err = m0.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateAppended, ups[0].Kind)
}

// TestPollAcrossStores waits on Updates for a change made by another
// Store (another process): the folder's poller notices it.
func TestPollAcrossStores(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a1 := openAccount(t, New(root, &Options{NoSync: true, PollInterval: 10 * time.Millisecond}), "kim")
	a2 := openAccount(t, New(root, &Options{NoSync: true, PollInterval: -1}), "kim")
	m1 := openBox(t, a1, "INBOX", false)
	m2 := openBox(t, a2, "INBOX", false)
	uid := appendMsg(t, m2, testMsg)
	select {
	case <-m1.Updates():
	case <-time.After(5 * time.Second):
		t.Fatal("no update from the other store")
	}
	ups, err := m1.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, uid, ups[0].UID)
}

// TestStoreAfterForeignRename changes the flags of a message that
// another program renamed since this store last looked.
func TestStoreAfterForeignRename(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "lee")
	m := openBox(t, a, "INBOX", false)
	appendMsg(t, m, testMsg, mailbox.FlagDraft)
	cur := filepath.Join(root, "lee", "cur")
	ents, err := os.ReadDir(cur)
	require.NoError(t, err)
	require.Len(t, ents, 1)
	base, _ := splitName(ents[0].Name())
	require.NoError(t, os.Rename(filepath.Join(cur, ents[0].Name()), filepath.Join(cur, fileName(base, "DS"))))
	res, err := m.Store(ctx, mailbox.UIDSetOf(1), mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
	require.NoError(t, err)
	require.Len(t, res.Updated, 1)
	assert.ElementsMatch(t, []string{mailbox.FlagDraft, mailbox.FlagFlagged, mailbox.FlagSeen, mailbox.FlagRecent}, res.Updated[0].Flags)
	_, err = os.Stat(filepath.Join(cur, fileName(base, "DFS")))
	assert.NoError(t, err)
}

func TestSpecialUse(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := openAccount(t, s, "max")
	require.NoError(t, a.Create(ctx, "Sent Items", &mailbox.CreateOptions{SpecialUse: []string{`\sent`}}))
	assert.ErrorIs(t, a.Create(ctx, "X", &mailbox.CreateOptions{SpecialUse: []string{`\Bogus`}}), mailbox.ErrUseAttrUnsupported)
	infos, err := a.Mailboxes(ctx)
	require.NoError(t, err)
	for _, i := range infos {
		if i.Name == "Sent Items" {
			assert.Equal(t, []string{mailbox.AttrSent}, i.SpecialUse)
		}
	}
}

func TestModSeqAndLimits(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := New(root, &Options{NoSync: true, PollInterval: -1, MaxMessageSize: 100})
	a := openAccount(t, s, "ned")
	m := openBox(t, a, "INBOX", false)
	st0, err := m.Status(ctx)
	require.NoError(t, err)
	assert.Zero(t, st0.HighestModSeq, "never changed")

	appendMsg(t, m, testMsg, mailbox.FlagDeleted)
	st1, err := m.Status(ctx)
	require.NoError(t, err)
	assert.Positive(t, st1.HighestModSeq)
	_, err = m.Expunge(ctx, nil)
	require.NoError(t, err)
	st2, err := m.Status(ctx)
	require.NoError(t, err)
	assert.Greater(t, st2.HighestModSeq, st1.HighestModSeq, "an expunge raises HIGHESTMODSEQ")

	// It stays up after reopening.
	a2 := openAccount(t, New(root, &Options{NoSync: true, PollInterval: -1}), "ned")
	st3, err := a2.Status(ctx, "INBOX")
	require.NoError(t, err)
	assert.Equal(t, st2.HighestModSeq, st3.HighestModSeq)

	_, err = m.Append(ctx, strings.NewReader(strings.Repeat("x", 101)), nil)
	assert.ErrorIs(t, err, mailbox.ErrTooLarge)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = m.Append(cctx, strings.NewReader(testMsg), nil)
	assert.ErrorIs(t, err, context.Canceled)
	for _, d := range []string{"tmp", "new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(root, "ned", d))
		require.NoError(t, err)
		assert.Empty(t, ents, d)
	}
	_, err = m.Store(ctx, mailbox.AllUIDs, mailbox.StoreAdd, []string{"bad(flag"}, nil)
	assert.Error(t, err)
}

func TestTooManyKeywords(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := openAccount(t, s, "ola")
	m := openBox(t, a, "INBOX", false)
	uid := appendMsg(t, m, testMsg)
	for i := range maxKeywords {
		_, err := m.Store(ctx, mailbox.UIDSetOf(uid), mailbox.StoreAdd, []string{fmt.Sprintf("k%d", i)}, nil)
		require.NoError(t, err)
	}
	_, err := m.Store(ctx, mailbox.UIDSetOf(uid), mailbox.StoreAdd, []string{"one-too-many"}, nil)
	assert.ErrorIs(t, err, mailbox.ErrNotAllowed)
	st, err := m.Status(ctx)
	require.NoError(t, err)
	assert.NotContains(t, st.PermanentFlags, `\*`)
	msgs := fetchAll(t, m)
	assert.Len(t, stored(msgs[0].Flags), maxKeywords)
}

// TestConcurrentFlags changes flags of the same messages from two Stores
// at once: no change is lost.
func TestConcurrentFlags(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	setup := openAccount(t, New(root, &Options{NoSync: true, PollInterval: -1}), "quin")
	m := openBox(t, setup, "INBOX", false)
	const n = 30
	for range n {
		appendMsg(t, m, testMsg)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := New(root, &Options{NoSync: true, PollInterval: -1}).Account(ctx, "quin")
			if !assert.NoError(t, err) {
				return
			}
			v, err := a.Open(ctx, "INBOX", nil)
			if !assert.NoError(t, err) {
				return
			}
			defer v.Close()
			for i := 1; i <= n; i++ {
				flag := []string{fmt.Sprintf("w%d", w), mailbox.FlagSeen, mailbox.FlagFlagged, mailbox.FlagDraft, mailbox.FlagAnswered}[w%4+(i%2)]
				_, err := v.Store(ctx, mailbox.UIDSetOf(mailbox.UID(i)), mailbox.StoreAdd, []string{flag, fmt.Sprintf("w%d", w)}, nil)
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	final := openBox(t, openAccount(t, New(root, &Options{NoSync: true, PollInterval: -1}), "quin"), "INBOX", true)
	msgs := fetchAll(t, final)
	require.Len(t, msgs, n)
	var prev uint64
	for _, msg := range msgs {
		for w := range 4 {
			assert.Contains(t, msg.Flags, fmt.Sprintf("w%d", w), "UID %d", msg.UID)
		}
		prev = max(prev, msg.ModSeq)
	}
	st, err := final.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, prev, st.HighestModSeq)
}

// TestDotAccountDir uses an account directory whose name starts with
// "." (~/.maildir): folders stay inside it.
func TestDotAccountDir(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	s := New("", &Options{NoSync: true, PollInterval: -1, AccountPath: func(string) (string, error) {
		return filepath.Join(home, ".maildir"), nil
	}})
	a := openAccount(t, s, "any")
	require.NoError(t, a.Create(ctx, "Box", nil))
	m := openBox(t, a, "INBOX", false)
	appendMsg(t, m, testMsg)
	res, err := m.Copy(ctx, mailbox.AllUIDs, "Box")
	require.NoError(t, err)
	assert.Len(t, res.Dest, 1)
	_, err = os.Stat(filepath.Join(home, ".maildir", ".Box", "cur"))
	require.NoError(t, err)
	ents, err := os.ReadDir(home)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "nothing next to the account directory")
}

// TestExpungedKeptUntilPoll expunges through one view a message two
// others know: they read its body until they poll, from a link in tmp/
// that goes when the last of them has polled.
func TestExpungedKeptUntilPoll(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "una")
	w := openBox(t, a, "INBOX", false)
	uid := appendMsg(t, w, testMsg, mailbox.FlagDeleted)
	r1 := openBox(t, a, "INBOX", false)
	r2 := openBox(t, a, "INBOX", true)
	_, err := w.Expunge(ctx, nil)
	require.NoError(t, err)
	tmp := filepath.Join(root, "una", "tmp")
	ents, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Len(t, ents, 1)
	assert.Contains(t, ents[0].Name(), keptInfix)

	for _, v := range []mailbox.Mailbox{r1, r2} {
		msgs := fetchAll(t, v)
		require.Len(t, msgs, 1)
		assert.Equal(t, testMsg, msgs[0].Body)
		assert.Equal(t, uid, msgs[0].UID)
	}
	ups, err := r1.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Empty(t, fetchAll(t, r1))
	ents, _ = os.ReadDir(tmp)
	assert.Len(t, ents, 1, "r2 still knows it")
	require.NoError(t, r2.Close())
	ents, _ = os.ReadDir(tmp)
	assert.Empty(t, ents, "the last holder let go")

	// Expunged by another process: listed until Poll, without a body.
	r3 := openBox(t, a, "INBOX", false)
	u2 := appendMsg(t, w, testMsg, mailbox.FlagDeleted)
	_, err = r3.Poll(ctx)
	require.NoError(t, err)
	other := openBox(t, openAccount(t, New(root, &Options{NoSync: true, PollInterval: -1}), "una"), "INBOX", false)
	_, err = other.Expunge(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, r3.Fetch(ctx, mailbox.AllUIDs, func(m mailbox.Message) error {
		assert.Equal(t, u2, m.UID())
		return nil
	}))
	_, err = w.Store(ctx, mailbox.UIDSetOf(u2), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err) // its sync finds the file gone
	ups, err = r3.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateExpunged, ups[0].Kind)
	assert.Empty(t, fetchAll(t, r3))
}

// TestCleanTmp removes old files from tmp/ when a folder is first loaded.
func TestCleanTmp(t *testing.T) {
	s, root := newTestStore(t)
	tmp := filepath.Join(root, "vic", "tmp")
	old := fmt.Sprint(time.Now().Add(-40*time.Hour).Unix()) + keptInfix + "x"
	fresh := fmt.Sprint(time.Now().Unix()) + ".M1P1.host"
	for _, n := range []string{old, fresh, "other-name"} {
		writeFile(t, filepath.Join(tmp, n), "x")
	}
	a := openAccount(t, s, "vic")
	openBox(t, a, "INBOX", false)
	var names []string
	ents, err := os.ReadDir(tmp)
	require.NoError(t, err)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{fresh, "other-name"}, names)
}

// TestMovedKeptUntilPoll moves a message another view knows: that view
// reads it, from where the move put it, until it polls.
func TestMovedKeptUntilPoll(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := openAccount(t, s, "wes")
	require.NoError(t, a.Create(ctx, "Dst", nil))
	src := openBox(t, a, "INBOX", false)
	uid := appendMsg(t, src, testMsg, mailbox.FlagSeen)
	keep := appendMsg(t, src, "Subject: stays\r\n\r\nx\r\n")
	other := openBox(t, a, "INBOX", false)
	res, err := mailbox.Move(ctx, src, mailbox.UIDSetOf(uid), "Dst")
	require.NoError(t, err)
	require.Len(t, res.Dest, 1)
	assert.Equal(t, []mailbox.UID{keep}, func() (u []mailbox.UID) {
		for _, m := range fetchAll(t, src) {
			u = append(u, m.UID)
		}
		return
	}())
	msgs := fetchAll(t, other)
	require.Len(t, msgs, 2)
	assert.Equal(t, uid, msgs[0].UID)
	assert.Equal(t, testMsg, msgs[0].Body)
	assert.Equal(t, []string{mailbox.FlagSeen}, msgs[0].Flags)
	ups, err := other.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: uid, ModSeq: ups[0].ModSeq}, ups[0])
	assert.Len(t, fetchAll(t, other), 1)
	ups, err = src.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, ups, "the moving view reported the expunge itself")
}
