package mailboxtest

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func testAccount(t *testing.T, f Factory) {
	e := newEnv(t, f)
	names := e.names()
	require.Contains(t, names, mailbox.Inbox, "a new account has an INBOX")
	assert.NotContains(t, names[mailbox.Inbox].Attrs, mailbox.AttrNoSelect)
	st := e.status("inbox")
	assert.Zero(t, st.Messages)
	assert.NotZero(t, st.UIDValidity, "UIDVALIDITY is never 0")
	assert.NotZero(t, st.UIDNext, "UIDNEXT is never 0")

	// Two handles on one account see the same mailboxes.
	other := e.account("alice")
	e.create("Shared")
	assert.Contains(t, listNames(t, e.ctx, other), "Shared")
	// Another user's account is separate.
	bob := e.account("bob")
	assert.NotContains(t, listNames(t, e.ctx, bob), "Shared")
}

func testCreate(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Work", "a/b/c", "Trail/", "inbox/Sub")
	names := e.names()
	for _, n := range []string{"INBOX", "Work", "a", "a/b", "a/b/c", "Trail", "INBOX/Sub"} {
		assert.Contains(t, names, n, "listing after Create")
	}
	assert.NotContains(t, names, "Trail/", "the trailing delimiter is not part of the name")
	assert.NotContains(t, names, "inbox/Sub", "INBOX is listed in upper case")
	assert.NotContains(t, names["a/b/c"].Attrs, mailbox.AttrNoSelect)
	for _, n := range []string{"Work", "a/b/c", "Trail", "INBOX/Sub"} {
		m := e.open(n)
		assert.Equal(t, n, m.Name())
	}

	for _, n := range []string{"Work", "INBOX", "inbox", "InBoX", "a/b", "a/b/c/"} {
		err := e.acct.Create(e.ctx, n, nil)
		assert.ErrorIs(t, err, mailbox.ErrMailboxExists, "Create(%q) again", n)
	}
	// Names are case-sensitive apart from INBOX.
	e.create("work")
	assert.Contains(t, e.names(), "work")
}

func testInvalidNames(t *testing.T, f Factory) {
	e := newEnv(t, f)
	for _, n := range []string{"", "/", "/lead", "a//b", "//", "nul\x00x", "ctl\x01", "tab\tx", "new\nline", "bad\xffutf8"} {
		err := e.acct.Create(e.ctx, n, nil)
		assert.ErrorIs(t, err, mailbox.ErrInvalidName, "Create(%q)", n)
	}
	e.create("Good")
	err := e.acct.Rename(e.ctx, "Good", "a//b")
	assert.ErrorIs(t, err, mailbox.ErrInvalidName, "Rename to an invalid name")
	names := e.names()
	assert.Len(t, names, 2, "only INBOX and Good: %v", names)
}

func testSpecialUse(t *testing.T, f Factory) {
	e := newEnv(t, f)
	err := e.acct.Create(e.ctx, "Sent Items", &mailbox.CreateOptions{SpecialUse: []string{mailbox.AttrSent}})
	if errors.Is(err, mailbox.ErrUseAttrUnsupported) {
		t.Skip("backend stores no special-use attributes")
	}
	require.NoError(t, err)
	require.NoError(t, e.acct.Create(e.ctx, "Bin", &mailbox.CreateOptions{SpecialUse: []string{mailbox.AttrTrash}}))
	e.create("Plain")
	names := e.names()
	assert.Equal(t, []string{mailbox.AttrSent}, names["Sent Items"].SpecialUse)
	assert.Equal(t, []string{mailbox.AttrTrash}, names["Bin"].SpecialUse)
	assert.Empty(t, names["Plain"].SpecialUse)
	assert.Empty(t, names["INBOX"].SpecialUse)

	err = e.acct.Create(e.ctx, "Odd", &mailbox.CreateOptions{SpecialUse: []string{`\Bogus`}})
	assert.ErrorIs(t, err, mailbox.ErrUseAttrUnsupported, "an attribute RFC 6154 does not define")
	assert.NotContains(t, e.names(), "Odd", "a refused Create creates nothing")
}

func testDelete(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Work")
	m := e.open("Work")
	add(t, m, synth(1))
	require.NoError(t, m.Close())

	require.NoError(t, e.acct.Delete(e.ctx, "Work"))
	assert.NotContains(t, e.names(), "Work")
	_, err := e.acct.Open(e.ctx, "Work", nil)
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	_, err = e.acct.Status(e.ctx, "Work")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	assert.ErrorIs(t, e.acct.Delete(e.ctx, "Work"), mailbox.ErrNoSuchMailbox, "Delete twice")
	assert.ErrorIs(t, e.acct.Delete(e.ctx, "Never"), mailbox.ErrNoSuchMailbox)

	for _, n := range []string{"INBOX", "inbox"} {
		assert.ErrorIs(t, e.acct.Delete(e.ctx, n), mailbox.ErrNotAllowed, "Delete(%q)", n)
	}
	assert.Contains(t, e.names(), "INBOX")

	// The messages went with it.
	e.create("Work")
	assert.Zero(t, e.status("Work").Messages, "a recreated mailbox is empty")
}

func testDeleteWithChildren(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("a/b", "a/c")
	m := e.open("a")
	add(t, m, synth(1))
	require.NoError(t, m.Close())

	// RFC 9051 6.3.5: the parent is removed but stays as \Noselect.
	require.NoError(t, e.acct.Delete(e.ctx, "a"))
	names := e.names()
	require.Contains(t, names, "a")
	assert.Contains(t, names["a"].Attrs, mailbox.AttrNoSelect)
	assert.Contains(t, names, "a/b")
	assert.Contains(t, names, "a/c")
	_, err := e.acct.Open(e.ctx, "a", nil)
	assert.ErrorIs(t, err, mailbox.ErrNotSelectable)
	assert.ErrorIs(t, e.acct.Delete(e.ctx, "a"), mailbox.ErrHasChildren)

	require.NoError(t, e.acct.Delete(e.ctx, "a/b"))
	require.NoError(t, e.acct.Delete(e.ctx, "a/c"))
	// The childless \Noselect parent may go by itself or stay until
	// deleted.
	if _, ok := e.names()["a"]; ok {
		require.NoError(t, e.acct.Delete(e.ctx, "a"))
	}
	assert.NotContains(t, e.names(), "a")

	// Creating the name of a \Noselect parent makes it a mailbox again,
	// or fails because it exists; either way it ends up selectable or
	// reported.
	e.create("p/q")
	require.NoError(t, e.acct.Delete(e.ctx, "p"))
	err = e.acct.Create(e.ctx, "p", nil)
	if err == nil {
		assert.NotContains(t, e.names()["p"].Attrs, mailbox.AttrNoSelect)
		assert.Zero(t, e.status("p").Messages)
	} else {
		assert.ErrorIs(t, err, mailbox.ErrMailboxExists)
	}
}

func testRename(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("a/b/c", "other")
	bodies := corpus(t, "cpython/msg_01.eml", "cpython/msg_04.eml")
	m := e.open("a/b")
	u1 := addAt(t, m, bodies[0], day(1), mailbox.FlagSeen)
	u2 := addAt(t, m, bodies[1], day(2))
	require.NoError(t, m.Close())
	old := e.status("a")

	require.NoError(t, e.acct.Rename(e.ctx, "a", "z"))
	names := e.names()
	for _, n := range []string{"z", "z/b", "z/b/c", "other"} {
		assert.Contains(t, names, n)
	}
	for _, n := range []string{"a", "a/b", "a/b/c"} {
		assert.NotContains(t, names, n, "renamed with its parent")
	}
	m = e.open("z/b")
	ms := fetch(t, m, mailbox.AllUIDs)
	require.Len(t, ms, 2)
	assert.Equal(t, []mailbox.UID{u1, u2}, uidsOf(ms), "messages keep their UIDs")
	assert.Equal(t, bodies[0], ms[0].Body)
	assert.Equal(t, bodies[1], ms[1].Body)
	assert.Equal(t, []string{mailbox.FlagSeen}, stored(ms[0].Flags))

	// A new mailbox under the old name is a new incarnation (RFC 9051
	// 6.3.6).
	e.create("a")
	st := e.status("a")
	assert.True(t, st.UIDValidity != old.UIDValidity || st.UIDNext >= old.UIDNext,
		"a mailbox created under a renamed one's name reuses its UIDs with the same UIDVALIDITY")

	assert.ErrorIs(t, e.acct.Rename(e.ctx, "z", "other"), mailbox.ErrMailboxExists)
	assert.ErrorIs(t, e.acct.Rename(e.ctx, "z", "INBOX"), mailbox.ErrMailboxExists)
	assert.ErrorIs(t, e.acct.Rename(e.ctx, "nope", "new"), mailbox.ErrNoSuchMailbox)
	assert.Error(t, e.acct.Rename(e.ctx, "z", "z/b/c/d"), "rename under itself")

	// RFC 9051 6.3.6: missing parents of the new name are created.
	require.NoError(t, e.acct.Rename(e.ctx, "other", "x/y/other"))
	names = e.names()
	for _, n := range []string{"x", "x/y", "x/y/other"} {
		assert.Contains(t, names, n)
	}
	assert.NotContains(t, names, "other")
}

func testRenameInbox(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("INBOX/keep")
	bodies := corpus(t, "cpython/msg_01.eml", "cpython/msg_10.eml", "synthetic/ew-european.eml")
	in := e.open("INBOX")
	var last mailbox.UID
	for i, b := range bodies {
		last = addAt(t, in, b, day(i+1), mailbox.FlagFlagged)
	}
	require.NoError(t, in.Close())
	before := e.status("INBOX")

	// RFC 9051 6.3.6: the messages move to the new mailbox, INBOX stays,
	// empty, and its children are not renamed.
	require.NoError(t, e.acct.Rename(e.ctx, "inbox", "Old Mail"))
	names := e.names()
	assert.Contains(t, names, "INBOX")
	assert.Contains(t, names, "INBOX/keep")
	assert.Contains(t, names, "Old Mail")
	assert.NotContains(t, names, "Old Mail/keep")
	assert.Zero(t, e.status("INBOX").Messages, "INBOX is empty after its rename")

	old := e.open("Old Mail")
	ms := fetch(t, old, mailbox.AllUIDs)
	require.Len(t, ms, len(bodies))
	for i, m := range ms {
		assert.Equal(t, bodies[i], m.Body, "message %d", i)
		assert.Equal(t, []string{mailbox.FlagFlagged}, stored(m.Flags))
		assert.Equal(t, day(i+1).Unix(), m.Date.Unix(), "internal date")
	}

	in = e.open("INBOX")
	u := add(t, in, synth(9))
	if st := e.status("INBOX"); st.UIDValidity == before.UIDValidity {
		assert.Greater(t, u, last, "INBOX reuses a UID under the same UIDVALIDITY")
	}
}

func testSubscriptions(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Work")
	subs := func() []string {
		s, err := e.acct.Subscriptions(e.ctx)
		require.NoError(t, err)
		slices.Sort(s)
		return s
	}
	assert.Empty(t, subs())
	for _, n := range []string{"Work", "Work", "Not/There", "INBOX"} {
		require.NoError(t, e.acct.Subscribe(e.ctx, n, true), "Subscribe(%q)", n)
	}
	assert.Equal(t, []string{"INBOX", "Not/There", "Work"}, subs(), "RFC 9051 6.3.7: any name, once")

	require.NoError(t, e.acct.Subscribe(e.ctx, "Not/There", false))
	require.NoError(t, e.acct.Subscribe(e.ctx, "Never", false), "unsubscribing a name not subscribed")
	assert.Equal(t, []string{"INBOX", "Work"}, subs())

	// RFC 9051 6.3.7: deleting a mailbox does not unsubscribe it.
	require.NoError(t, e.acct.Delete(e.ctx, "Work"))
	assert.Equal(t, []string{"INBOX", "Work"}, subs())
	// Subscriptions belong to the account.
	other := e.account("alice")
	s, err := other.Subscriptions(e.ctx)
	require.NoError(t, err)
	assert.Len(t, s, 2)
	bob := e.account("bob")
	s, err = bob.Subscriptions(e.ctx)
	require.NoError(t, err)
	assert.Empty(t, s)
}

func testUIDValidity(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Box", "Other")
	m := e.open("Box")
	add(t, m, synth(1))
	add(t, m, synth(2))
	require.NoError(t, m.Close())
	first := e.status("Box")
	require.NotZero(t, first.UIDValidity)
	assert.NotEqual(t, first.UIDValidity, e.status("Other").UIDValidity, "two mailboxes, one UIDVALIDITY")

	// RFC 9051 2.3.1.1 (3), 6.3.5: a new incarnation gets a new
	// UIDVALIDITY or UIDs above the old ones.
	for i := range 3 {
		require.NoError(t, e.acct.Delete(e.ctx, "Box"))
		e.create("Box")
		st := e.status("Box")
		require.NotZero(t, st.UIDValidity)
		if st.UIDValidity == first.UIDValidity {
			assert.GreaterOrEqual(t, st.UIDNext, first.UIDNext, "incarnation %d reuses UIDs", i+2)
		}
		assert.Zero(t, st.Messages)
		first = st
	}
}
