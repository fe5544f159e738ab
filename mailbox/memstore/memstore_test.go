package memstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/mailboxtest"
	"github.com/postkit/postkit/mailbox/memstore"
)

func TestConformance(t *testing.T) {
	mailboxtest.Run(t, func(t *testing.T) mailbox.Store { return memstore.New() })
}

// TestConformanceReopen runs the suite with a Reopen that hands back
// the same Store: the data outlives every Account and Mailbox handle,
// which is all a memory store can persist, and it exercises the
// persistence subtest for the backends that have a real Reopen.
func TestConformanceReopen(t *testing.T) {
	mailboxtest.RunFactory(t, mailboxtest.Factory{
		New:    func(t *testing.T) mailbox.Store { return memstore.New() },
		Reopen: func(t *testing.T, s mailbox.Store) mailbox.Store { return s },
		NewQuota: func(t *testing.T, l mailbox.QuotaLimits) mailbox.Store {
			s := memstore.New()
			s.Quota = l
			return s
		},
	})
}

func newAccount(t *testing.T, s *memstore.Store) mailbox.Account {
	t.Helper()
	a, err := s.Account(t.Context(), "alice")
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	return a
}

func open(t *testing.T, a mailbox.Account, name string, ro bool) mailbox.Mailbox {
	t.Helper()
	m, err := a.Open(t.Context(), name, &mailbox.OpenOptions{ReadOnly: ro})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

func appendMsg(t *testing.T, m mailbox.Mailbox, body string, flags ...string) mailbox.UID {
	t.Helper()
	u, err := m.Append(t.Context(), strings.NewReader(body), &mailbox.AppendOptions{Flags: flags})
	require.NoError(t, err)
	_, err = m.Poll(t.Context()) // the view learns of its message
	require.NoError(t, err)
	return u
}

func flagsOf(t *testing.T, m mailbox.Mailbox, uid mailbox.UID) []string {
	t.Helper()
	var out []string
	found := false
	require.NoError(t, m.Fetch(t.Context(), mailbox.UIDSetOf(uid), func(x mailbox.Message) error {
		out, found = x.Flags(), true
		return nil
	}))
	require.True(t, found, "UID %d not fetched", uid)
	return out
}

func TestAllowAccount(t *testing.T) {
	s := memstore.New()
	s.AllowAccount = func(u string) bool { return u == "alice" }
	_, err := s.Account(t.Context(), "alice")
	require.NoError(t, err)
	_, err = s.Account(t.Context(), "mallory")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchAccount)
	_, err = memstore.New().Account(t.Context(), "")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchAccount)
}

func TestZeroStore(t *testing.T) {
	var s memstore.Store
	a, err := s.Account(t.Context(), "alice")
	require.NoError(t, err)
	m := open(t, a, "INBOX", false)
	appendMsg(t, m, "Subject: x\r\n\r\nx\r\n")
}

func TestMaxMessageBytes(t *testing.T) {
	s := memstore.New()
	s.MaxMessageBytes = 100
	m := open(t, newAccount(t, s), "INBOX", false)
	_, err := m.Append(t.Context(), bytes.NewReader(make([]byte, 101)), nil)
	assert.ErrorIs(t, err, mailbox.ErrTooLarge)
	_, err = m.Append(t.Context(), bytes.NewReader(make([]byte, 100)), nil)
	assert.NoError(t, err)
	st, err := m.Status(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint32(1), st.Messages)
}

// TestAppendStream appends from readers without a Len, whose messages
// are read in chunks, at sizes around the chunk size.
func TestAppendStream(t *testing.T) {
	s := memstore.New()
	s.MaxMessageBytes = 200 << 10
	m := open(t, newAccount(t, s), "INBOX", false)
	for _, n := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 200 << 10} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte('a' + i%26)
		}
		uid, err := m.Append(t.Context(), iotest.HalfReader(io.MultiReader(bytes.NewReader(msg))), nil)
		require.NoError(t, err, n)
		err = m.Fetch(t.Context(), mailbox.UIDSet{{Start: uid, Stop: uid}}, func(msg2 mailbox.Message) error {
			b, err := msg2.Open(t.Context())
			require.NoError(t, err)
			defer b.Close()
			got, err := io.ReadAll(io.NewSectionReader(b, 0, b.Size()))
			require.NoError(t, err)
			assert.Equal(t, msg, got, n)
			return nil
		})
		require.NoError(t, err)
	}
	_, err := m.Append(t.Context(), iotest.HalfReader(io.MultiReader(bytes.NewReader(make([]byte, 200<<10+1)))), nil)
	assert.ErrorIs(t, err, mailbox.ErrTooLarge)
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func TestAppendReadError(t *testing.T) {
	m := open(t, newAccount(t, memstore.New()), "INBOX", false)
	_, err := m.Append(t.Context(), io.MultiReader(strings.NewReader("Subject: x\r\n"), failReader{}), nil)
	assert.Error(t, err)
	st, err := m.Status(t.Context())
	require.NoError(t, err)
	assert.Zero(t, st.Messages)
	assert.Equal(t, mailbox.UID(1), st.UIDNext, "a failed Append takes no UID")
}

func TestPermanentFlags(t *testing.T) {
	a := newAccount(t, memstore.New())
	m := open(t, a, "INBOX", false)
	appendMsg(t, m, "x", "$Work")
	appendMsg(t, m, "y", "$WORK", "$Other")
	st, err := a.Status(t.Context(), "INBOX")
	require.NoError(t, err)
	assert.Equal(t, []string{`\Answered`, `\Flagged`, `\Deleted`, `\Seen`, `\Draft`, "$Work", "$Other", `\*`}, st.PermanentFlags)
	// The first spelling holds for the whole mailbox.
	assert.Equal(t, []string{"$Work", "$Other"}, flagsOf(t, m, 2)[:2])
}

func TestRecent(t *testing.T) {
	a := newAccount(t, memstore.New())
	w := open(t, a, "INBOX", false)
	u1 := appendMsg(t, w, "one")
	assert.Contains(t, flagsOf(t, w, u1), mailbox.FlagRecent, "recent in the view that appended it")

	// A delivery seen first by a read-only view stays unclaimed, and
	// recent there, until a read-write view learns of it.
	r := open(t, a, "INBOX", true)
	x := open(t, a, "INBOX", false)
	other := open(t, a, "INBOX", false)
	u2 := appendMsg(t, other, "two")
	require.NoError(t, other.Close())
	st, err := a.Status(t.Context(), "INBOX")
	require.NoError(t, err)
	assert.Zero(t, st.Recent, "claimed by the appending view")

	// Copies arrive unclaimed.
	require.NoError(t, a.Create(t.Context(), "Box", nil))
	src := open(t, a, "Box", false)
	appendMsg(t, src, "three")
	_, err = src.Copy(t.Context(), mailbox.AllUIDs, "INBOX")
	require.NoError(t, err)
	st, err = a.Status(t.Context(), "INBOX")
	require.NoError(t, err)
	assert.Equal(t, uint32(1), st.Recent)

	ups, err := r.Poll(t.Context())
	require.NoError(t, err)
	require.Len(t, ups, 2)
	assert.NotContains(t, ups[0].Flags, mailbox.FlagRecent, "u2 is claimed")
	assert.Contains(t, ups[1].Flags, mailbox.FlagRecent, "the copy is unclaimed: recent for a read-only view")
	rst, err := r.Status(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint32(1), rst.Recent)

	ups, err = x.Poll(t.Context())
	require.NoError(t, err)
	require.Len(t, ups, 2)
	assert.Equal(t, u2, ups[0].UID)
	assert.Contains(t, ups[1].Flags, mailbox.FlagRecent, "x claims the copy")
	xst, err := x.Status(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint32(1), xst.Recent)
	rst, err = r.Status(t.Context())
	require.NoError(t, err)
	assert.Zero(t, rst.Recent, "claimed by x now")

	// \Recent shows in StoreResult for the view it is recent in.
	res, err := x.Store(t.Context(), mailbox.UIDSetOf(ups[1].UID), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{mailbox.FlagSeen, mailbox.FlagRecent}, res.Updated[0].Flags)
}

func TestNames(t *testing.T) {
	a := newAccount(t, memstore.New())
	for _, n := range []string{"a*b", "a%b", strings.Repeat("x", 1025), "del\x7f", "c1\u0085"} {
		assert.ErrorIs(t, a.Create(t.Context(), n, nil), mailbox.ErrInvalidName, "%q", n)
	}
	for _, n := range []string{"Ünïcödé", "with space", "日本語/子"} {
		assert.NoError(t, a.Create(t.Context(), n, nil), "%q", n)
	}
	require.NoError(t, a.Create(t.Context(), "InBoX/Child", nil))
	infos, err := a.Mailboxes(t.Context())
	require.NoError(t, err)
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	assert.Equal(t, []string{"INBOX", "INBOX/Child", "with space", "Ünïcödé", "日本語", "日本語/子"}, names, "listing sorted by bytes")
	// Renaming a child under INBOX works like any other.
	require.NoError(t, a.Rename(t.Context(), "inbox/Child", "Top"))
	_, err = a.Status(t.Context(), "Top")
	assert.NoError(t, err)
}

func TestDeletePrunesParents(t *testing.T) {
	a := newAccount(t, memstore.New())
	require.NoError(t, a.Create(t.Context(), "a/b/c", nil))
	require.NoError(t, a.Delete(t.Context(), "a"))
	require.NoError(t, a.Delete(t.Context(), "a/b"))
	require.NoError(t, a.Delete(t.Context(), "a/b/c"))
	infos, err := a.Mailboxes(t.Context())
	require.NoError(t, err)
	assert.Len(t, infos, 1, "the \\Noselect parents went with their last child: %v", infos)
}

func TestDeleteWakesViews(t *testing.T) {
	a := newAccount(t, memstore.New())
	require.NoError(t, a.Create(t.Context(), "Box", nil))
	m := open(t, a, "Box", false)
	u := appendMsg(t, m, "x")
	v := open(t, a, "Box", true)
	require.NoError(t, a.Delete(t.Context(), "Box"))
	<-v.Updates()
	ups, err := v.Poll(t.Context())
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateExpunged, ups[0].Kind)
	assert.Equal(t, u, ups[0].UID)
	_, err = m.Status(t.Context())
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	_, err = m.Append(t.Context(), strings.NewReader("y"), nil)
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	// A new mailbox of that name is not the old one.
	require.NoError(t, a.Create(t.Context(), "Box", nil))
	_, err = m.Status(t.Context())
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
}

func TestRenameKeepsViews(t *testing.T) {
	a := newAccount(t, memstore.New())
	require.NoError(t, a.Create(t.Context(), "Old/Sub", nil))
	m := open(t, a, "Old/Sub", false)
	before, err := m.Status(t.Context())
	require.NoError(t, err)
	require.NoError(t, a.Rename(t.Context(), "Old", "New"))
	assert.Equal(t, "New/Sub", m.Name())
	after, err := m.Status(t.Context())
	require.NoError(t, err)
	assert.Equal(t, before.UIDValidity, after.UIDValidity, "a renamed mailbox keeps its UIDVALIDITY")
	appendMsg(t, m, "x")
}

func TestRenameInboxViews(t *testing.T) {
	a := newAccount(t, memstore.New())
	in := open(t, a, "INBOX", false)
	u := appendMsg(t, in, "x")
	other := open(t, a, "INBOX", false)
	require.NoError(t, a.Rename(t.Context(), "INBOX", "Old"))
	<-in.Updates()
	ups, err := in.Poll(t.Context())
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateExpunged, ups[0].Kind)
	assert.Equal(t, u, ups[0].UID)
	// Unpolled, the other view still has it.
	var n int
	require.NoError(t, other.Fetch(t.Context(), mailbox.AllUIDs, func(mailbox.Message) error { n++; return nil }))
	assert.Equal(t, 1, n)
}

func TestUpdatesLost(t *testing.T) {
	a := newAccount(t, memstore.New())
	w := open(t, a, "INBOX", false)
	r := open(t, a, "INBOX", true)
	// Fill r's queue past the Hub's bound by flag changes.
	u := appendMsg(t, w, "x")
	_, err := r.Poll(t.Context())
	require.NoError(t, err)
	ops := []mailbox.StoreOp{mailbox.StoreAdd, mailbox.StoreRemove}
	for i := 0; i <= mailbox.DefaultMaxPendingUpdates; i++ {
		_, err := w.Store(t.Context(), mailbox.UIDSetOf(u), ops[i%2], []string{mailbox.FlagSeen}, nil)
		require.NoError(t, err)
	}
	_, err = r.Poll(t.Context())
	assert.ErrorIs(t, err, mailbox.ErrUpdatesLost)
	ups, err := r.Poll(t.Context())
	require.NoError(t, err)
	assert.Empty(t, ups)
}

func TestCopyToSelf(t *testing.T) {
	a := newAccount(t, memstore.New())
	m := open(t, a, "INBOX", false)
	v := open(t, a, "INBOX", false)
	u := appendMsg(t, m, "x", mailbox.FlagSeen)
	res, err := m.Copy(t.Context(), mailbox.UIDSetOf(u), "inbox")
	require.NoError(t, err)
	require.Len(t, res.Dest, 1)
	assert.Greater(t, res.Dest[0], u)
	ups, err := m.Poll(t.Context())
	require.NoError(t, err)
	require.Len(t, ups, 1, "the copying view learns of the copy through Poll, like an Append")
	assert.ElementsMatch(t, []string{mailbox.FlagSeen, mailbox.FlagRecent}, flagsOf(t, m, res.Dest[0]), "the copying view knows the copy, like an Append")
	ups, err = v.Poll(t.Context())
	require.NoError(t, err)
	assert.Len(t, ups, 2)

	// Move to self: new UIDs, originals expunged.
	mres, err := m.(mailbox.Mover).Move(t.Context(), mailbox.AllUIDs, "INBOX")
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{u, res.Dest[0]}, mres.Source)
	_, err = m.Poll(t.Context())
	require.NoError(t, err)
	var uids []mailbox.UID
	require.NoError(t, m.Fetch(t.Context(), mailbox.AllUIDs, func(x mailbox.Message) error {
		uids = append(uids, x.UID())
		return nil
	}))
	assert.Equal(t, mres.Dest, uids)
}

func TestCloseTwice(t *testing.T) {
	a := newAccount(t, memstore.New())
	m := open(t, a, "INBOX", false)
	require.NoError(t, m.Close())
	require.NoError(t, m.Close())
	_, err := m.Poll(t.Context())
	assert.ErrorIs(t, err, mailbox.ErrClosed)
	require.NoError(t, a.Close())
	_, err = a.Mailboxes(t.Context())
	assert.ErrorIs(t, err, mailbox.ErrClosed)
}

func TestFetchLarge(t *testing.T) {
	// More messages than Fetch copies under the lock at once, with an
	// expunge from inside fn.
	a := newAccount(t, memstore.New())
	m := open(t, a, "INBOX", false)
	for i := range 1000 {
		appendMsg(t, m, fmt.Sprint(i), mailbox.FlagDeleted)
	}
	var got []mailbox.UID
	require.NoError(t, m.Fetch(t.Context(), mailbox.UIDSet{rng(1, 700)}, func(x mailbox.Message) error {
		got = append(got, x.UID())
		if x.UID() == 300 {
			set := mailbox.UIDSet{rng(301, 600)}
			_, err := m.Expunge(t.Context(), &set)
			return err
		}
		return nil
	}))
	// Messages of the chunk already copied still come; those after it
	// do not.
	require.True(t, slices.IsSorted(got))
	require.Equal(t, mailbox.UID(700), got[len(got)-1])
	assert.Less(t, len(got), 700)
	assert.Equal(t, mailbox.UID(601), got[len(got)-100], "the expunged ones past the chunk are skipped")
}

func Example() {
	ctx := context.Background()
	store := memstore.New()
	acct, _ := store.Account(ctx, "alice")
	defer acct.Close()

	inbox, _ := acct.Open(ctx, "INBOX", nil)
	defer inbox.Close()
	msg := "From: bob@example.org\r\nSubject: hello\r\n\r\nHi Alice.\r\n"
	uid, _ := inbox.Append(ctx, strings.NewReader(msg), &mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen}})
	inbox.Poll(ctx) // the view learns of the new message

	inbox.Fetch(ctx, mailbox.UIDSetOf(uid), func(m mailbox.Message) error {
		fmt.Println(m.UID(), m.Flags(), m.Size())
		return nil
	})
	st, _ := acct.Status(ctx, "INBOX")
	fmt.Println(st.Messages, st.Unseen)
	// Output:
	// 1 [\Seen \Recent] 52
	// 1 0
}

func BenchmarkAppend(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096/16)
	a, _ := memstore.New().Account(b.Context(), "alice")
	m, _ := a.Open(b.Context(), "INBOX", nil)
	defer m.Close()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Append(b.Context(), bytes.NewReader(body), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFetchAll(b *testing.B) {
	const n = 10000
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096/16)
	a, _ := memstore.New().Account(b.Context(), "alice")
	m, _ := a.Open(b.Context(), "INBOX", nil)
	defer m.Close()
	for range n {
		if _, err := m.Append(b.Context(), bytes.NewReader(body), &mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		err := m.Fetch(b.Context(), mailbox.AllUIDs, func(x mailbox.Message) error {
			count++
			_ = x.Flags()
			return nil
		})
		if err != nil || count != n {
			b.Fatal(err, count)
		}
	}
	b.ReportMetric(n, "msgs/op")
}

func rng(a, b mailbox.UID) mailbox.UIDRange { return mailbox.UIDRange{Start: a, Stop: b} }
