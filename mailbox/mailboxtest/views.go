package mailboxtest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func testNotifications(t *testing.T, f Factory) {
	e := newEnv(t, f)
	a := e.open("INBOX")
	b := e.open("INBOX")
	u0 := add(t, a, synth(0))
	waitUpdate(t, b)
	require.Len(t, poll(t, b), 1)
	assert.Empty(t, poll(t, a), "Poll reports no change of the view's own")

	// Append: b learns of it by Poll, and fetches it only then.
	u1 := add(t, a, synth(1), mailbox.FlagDraft)
	waitUpdate(t, b)
	assert.Equal(t, []mailbox.UID{u0}, allUIDs(t, b), "a view fetches a message another view appended before Poll reports it")
	ups := poll(t, b)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateAppended, ups[0].Kind)
	assert.Equal(t, u1, ups[0].UID)
	assert.Equal(t, []string{mailbox.FlagDraft}, stored(ups[0].Flags))
	assert.NotZero(t, ups[0].ModSeq)
	assert.Equal(t, []mailbox.UID{u0, u1}, allUIDs(t, b))
	assert.Empty(t, poll(t, b), "Poll clears what it returned")
	assert.Empty(t, poll(t, a))

	// Flags.
	res, err := a.Store(e.ctx, mailbox.UIDSetOf(u0), mailbox.StoreAdd, []string{mailbox.FlagSeen, "$Done"}, nil)
	require.NoError(t, err)
	waitUpdate(t, b)
	ups = poll(t, b)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateFlags, ups[0].Kind)
	assert.Equal(t, u0, ups[0].UID)
	assert.Equal(t, sorted(mailbox.FlagSeen, "$Done"), stored(ups[0].Flags))
	assert.Equal(t, res.Updated[0].ModSeq, ups[0].ModSeq)
	assert.Empty(t, poll(t, a))

	// Expunge, from b this time.
	_, err = b.Store(e.ctx, mailbox.UIDSetOf(u1), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	_, err = b.Expunge(e.ctx, nil)
	require.NoError(t, err)
	waitUpdate(t, a)
	ups = poll(t, a)
	require.Len(t, ups, 2, "flags, then expunge: %v", ups)
	assert.Equal(t, mailbox.UpdateFlags, ups[0].Kind)
	assert.Equal(t, mailbox.UpdateExpunged, ups[1].Kind)
	assert.Equal(t, u1, ups[1].UID)
	assert.Equal(t, []mailbox.UID{u0}, allUIDs(t, a))
	assert.Empty(t, poll(t, b))

	// Several changes come oldest first.
	var want []mailbox.UID
	for i := range 5 {
		want = append(want, add(t, a, synth(10+i)))
	}
	waitUpdate(t, b)
	ups = poll(t, b)
	var got []mailbox.UID
	for _, u := range ups {
		require.Equal(t, mailbox.UpdateAppended, u.Kind)
		got = append(got, u.UID)
	}
	assert.Equal(t, want, got)

	// A closed view hears nothing more, and the others go on.
	require.NoError(t, b.Close())
	c := e.examine("INBOX")
	add(t, a, synth(20))
	waitUpdate(t, c)
	assert.Len(t, poll(t, c), 1)
}

func testExpungedStillFetchable(t *testing.T, f Factory) {
	e := newEnv(t, f)
	a := e.open("INBOX")
	body := corpus(t, "cpython/msg_04.eml")[0]
	u := add(t, a, body, mailbox.FlagSeen)
	keep := add(t, a, synth(1))
	b := e.open("INBOX")
	r := e.examine("INBOX")

	_, err := a.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	_, err = a.Expunge(e.ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{keep}, allUIDs(t, a))

	// Until they poll, the other views still fetch the message, body and
	// all: an IMAP session must not see a message vanish before it has
	// reported the expunge.
	for _, v := range []mailbox.Mailbox{b, r} {
		ms := fetch(t, v, mailbox.AllUIDs)
		require.Len(t, ms, 2)
		assert.Equal(t, u, ms[0].UID)
		assert.Equal(t, body, ms[0].Body)
		assert.Equal(t, int64(len(body)), ms[0].Size)
	}
	// Writes to it do nothing.
	res, err := b.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
	require.NoError(t, err)
	assert.Empty(t, res.Updated, "Store on an expunged message")
	got, err := b.Expunge(e.ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got, "a message expunged twice")

	for _, v := range []mailbox.Mailbox{b, r} {
		ups := poll(t, v)
		require.NotEmpty(t, ups)
		last := ups[len(ups)-1]
		assert.Equal(t, mailbox.UpdateExpunged, last.Kind)
		assert.Equal(t, u, last.UID)
		assert.Equal(t, []mailbox.UID{keep}, allUIDs(t, v))
	}
}

func testNotificationsOtherMailbox(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Other")
	in := e.open("INBOX")
	other := e.open("Other")
	inbox2 := e.open("INBOX")
	bob := openIn(t, e.ctx, e.account("bob"), "INBOX", false)

	add(t, other, synth(1))
	add(t, in, synth(2))
	waitUpdate(t, inbox2)
	assert.Len(t, poll(t, inbox2), 1)
	noUpdate(t, bob)
	assert.Empty(t, poll(t, bob), "another account's INBOX")

	// A Copy into a mailbox is reported to its views.
	u := add(t, in, synth(3))
	res, err := in.Copy(e.ctx, mailbox.UIDSetOf(u), "Other")
	require.NoError(t, err)
	waitUpdate(t, other)
	ups := poll(t, other)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateAppended, ups[0].Kind)
	assert.Equal(t, res.Dest[0], ups[0].UID)
}

func testConcurrentAppends(t *testing.T, f Factory) {
	const workers, each = 20, 50
	e := newEnv(t, f)
	watcher := e.open("INBOX")
	type result struct {
		uid  mailbox.UID
		body []byte
	}
	results := make(chan result, workers*each)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := e.acct.Open(e.ctx, "INBOX", nil)
			if err != nil {
				errs <- err
				return
			}
			defer m.Close()
			for i := range each {
				body := synth(w*each + i)
				uid, err := m.Append(e.ctx, bytes.NewReader(body), &mailbox.AppendOptions{Flags: []string{fmt.Sprintf("$w%d", w)}})
				if err != nil {
					errs <- err
					return
				}
				results <- result{uid, body}
			}
		}()
	}
	// Meanwhile, a reader polls and fetches.
	done := make(chan struct{})
	var polled []mailbox.UID
	var readerErr error
	go func() {
		defer close(done)
		for len(polled) < workers*each {
			select {
			case <-watcher.Updates():
			case <-time.After(30 * time.Second):
				readerErr = fmt.Errorf("no update after %d appends", len(polled))
				return
			}
			ups, err := watcher.Poll(e.ctx)
			if err != nil {
				readerErr = err
				return
			}
			for _, u := range ups {
				if u.Kind == mailbox.UpdateAppended {
					polled = append(polled, u.UID)
				}
			}
			if _, err := fetchErr(e.ctx, watcher, mailbox.AllUIDs); err != nil {
				readerErr = err
				return
			}
		}
	}()
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	want := make(map[mailbox.UID][]byte, workers*each)
	for r := range results {
		_, dup := want[r.uid]
		require.False(t, dup, "UID %d given twice", r.uid)
		want[r.uid] = r.body
	}
	require.Len(t, want, workers*each)
	<-done
	require.NoError(t, readerErr)
	assert.True(t, ascending(polled), "updates come in UID order")
	assert.Len(t, polled, workers*each)

	ms := fetch(t, e.examine("INBOX"), mailbox.AllUIDs)
	require.Len(t, ms, workers*each)
	for _, m := range ms {
		require.Equal(t, want[m.UID], m.Body, "UID %d", m.UID)
	}
	assert.Equal(t, uint32(workers*each), e.status("INBOX").Messages)
	assert.True(t, slices.IsSortedFunc(ms, func(a, b msg) int { return int(a.UID) - int(b.UID) }))
}

func testConcurrentAccounts(t *testing.T, f Factory) {
	e := newEnv(t, f)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("user%d", i%4)
			a, err := e.store.Account(e.ctx, user)
			if err != nil {
				errs <- err
				return
			}
			defer a.Close()
			if err := a.Create(e.ctx, fmt.Sprintf("Box%d", i), nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for u := range 4 {
		names := listNames(t, e.ctx, e.account(fmt.Sprintf("user%d", u)))
		assert.Len(t, names, 11, "INBOX and ten boxes")
	}
}

func testContext(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	u := add(t, m, synth(1))
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()

	_, err := e.store.Account(ctx, "alice")
	assert.ErrorIs(t, err, context.Canceled, "Store.Account")
	_, err = e.acct.Mailboxes(ctx)
	assert.ErrorIs(t, err, context.Canceled, "Mailboxes")
	_, err = e.acct.Open(ctx, "INBOX", nil)
	assert.ErrorIs(t, err, context.Canceled, "Open")
	_, err = m.Append(ctx, bytes.NewReader(synth(2)), nil)
	assert.ErrorIs(t, err, context.Canceled, "Append")
	err = m.Fetch(ctx, mailbox.AllUIDs, func(mailbox.Message) error { return nil })
	assert.ErrorIs(t, err, context.Canceled, "Fetch")
	assert.Equal(t, []mailbox.UID{u}, allUIDs(t, m), "a cancelled Append adds nothing")
}

func testClosed(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	u := add(t, m, synth(1))
	require.NoError(t, m.Close())
	err := m.Fetch(e.ctx, mailbox.AllUIDs, func(mailbox.Message) error { return nil })
	assert.ErrorIs(t, err, mailbox.ErrClosed, "Fetch on a closed view")
	_, err = m.Append(e.ctx, bytes.NewReader(synth(2)), nil)
	assert.ErrorIs(t, err, mailbox.ErrClosed, "Append on a closed view")

	// Views stay usable after their account handle is closed.
	a, err := e.store.Account(e.ctx, "alice")
	require.NoError(t, err)
	m2, err := a.Open(e.ctx, "INBOX", nil)
	require.NoError(t, err)
	defer m2.Close()
	require.NoError(t, a.Close())
	assert.Equal(t, []mailbox.UID{u}, allUIDs(t, m2))
}

func testPersistence(t *testing.T, f Factory) {
	if f.Reopen == nil {
		t.Skip("no Factory.Reopen: the store does not persist")
	}
	s := f.New(t)
	ctx := t.Context()
	a, err := s.Account(ctx, "alice")
	require.NoError(t, err)
	require.NoError(t, a.Create(ctx, "Work/Sub", nil))
	require.NoError(t, a.Subscribe(ctx, "Work", true))
	require.NoError(t, a.Subscribe(ctx, "Gone", true))
	m, err := a.Open(ctx, "Work/Sub", nil)
	require.NoError(t, err)
	bodies := corpus(t, bodyCorpus...)
	var uids []mailbox.UID
	for i, b := range bodies {
		uids = append(uids, addAt(t, m, b, day(i+1), mailbox.FlagSeen, "$Kept"))
	}
	_, err = m.Store(ctx, mailbox.UIDSetOf(uids[0]), mailbox.StoreReplace, []string{mailbox.FlagDeleted, "$Other"}, nil)
	require.NoError(t, err)
	expunged, err := m.Expunge(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, []mailbox.UID{uids[0]}, expunged)
	_, err = m.Store(ctx, mailbox.UIDSetOf(uids[1]), mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
	require.NoError(t, err)
	before := fetch(t, m, mailbox.AllUIDs)
	stBefore, err := a.Status(ctx, "Work/Sub")
	require.NoError(t, err)
	namesBefore := listNames(t, ctx, a)
	require.NoError(t, m.Close())
	require.NoError(t, a.Close())

	s2 := f.Reopen(t, s)
	a2, err := s2.Account(ctx, "alice")
	require.NoError(t, err)
	t.Cleanup(func() { a2.Close() })
	assert.Equal(t, namesBefore, listNames(t, ctx, a2))
	subs, err := a2.Subscriptions(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"Work", "Gone"}, subs)

	st, err := a2.Status(ctx, "Work/Sub")
	require.NoError(t, err)
	assert.Equal(t, stBefore.UIDValidity, st.UIDValidity, "UIDVALIDITY persists")
	assert.Equal(t, stBefore.UIDNext, st.UIDNext, "UIDNEXT persists")
	assert.Equal(t, stBefore.Messages, st.Messages)
	assert.Equal(t, stBefore.Size, st.Size)
	assert.GreaterOrEqual(t, st.HighestModSeq, stBefore.HighestModSeq, "HIGHESTMODSEQ goes down")

	m2 := openIn(t, ctx, a2, "Work/Sub", false)
	after := fetch(t, m2, mailbox.AllUIDs)
	require.Len(t, after, len(before))
	for i := range before {
		assert.Equal(t, before[i].UID, after[i].UID, "UIDs persist")
		assert.Equal(t, stored(before[i].Flags), stored(after[i].Flags), "flags persist")
		assert.Equal(t, before[i].Date.Unix(), after[i].Date.Unix(), "internal dates persist")
		assert.True(t, bytes.Equal(before[i].Body, after[i].Body), "bodies persist")
		assert.GreaterOrEqual(t, after[i].ModSeq, before[i].ModSeq, "MODSEQ goes down")
	}
	u := add(t, m2, synth(1))
	assert.GreaterOrEqual(t, u, stBefore.UIDNext, "a UID is reused after reopening")

	// A mailbox deleted and created again after the reopen is a new
	// incarnation.
	require.NoError(t, a2.Delete(ctx, "Work"))
	require.NoError(t, a2.Create(ctx, "Work", nil))
	st2, err := a2.Status(ctx, "Work")
	require.NoError(t, err)
	assert.Zero(t, st2.Messages)
}
