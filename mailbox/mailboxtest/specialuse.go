package mailboxtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// testSetSpecialUse checks what mailbox.SpecialUseSetter promises (RFC
// 6154 4): special uses set after Create show in Mailboxes, move from
// the mailbox that had them, are checked as Create checks them, and are
// told to the account's watches as changes of mailbox.SpecialUseEntry.
func testSetSpecialUse(t *testing.T, f Factory) {
	e := newEnv(t, f)
	su, ok := e.acct.(mailbox.SpecialUseSetter)
	if !ok {
		t.Skip("the account does not implement mailbox.SpecialUseSetter")
	}
	e.create("Old", "New", "Parent/Child")
	// Deleting a mailbox with children leaves it \Noselect (RFC 9051
	// 6.3.5).
	require.NoError(t, e.acct.Delete(e.ctx, "Parent"))
	require.Contains(t, e.names()["Parent"].Attrs, mailbox.AttrNoSelect)
	require.NoError(t, e.acct.Create(e.ctx, "Bin", &mailbox.CreateOptions{SpecialUse: []string{mailbox.AttrTrash}}))
	var w *mailbox.AccountWatch
	if aw, ok := e.account("alice").(mailbox.AccountWatcher); ok {
		w = aw.WatchAccount()
		t.Cleanup(w.Stop)
	}
	uses := func() map[string][]string {
		t.Helper()
		infos, err := e.acct.Mailboxes(e.ctx)
		require.NoError(t, err)
		m := map[string][]string{}
		for _, in := range infos {
			if len(in.SpecialUse) > 0 {
				m[in.Name] = in.SpecialUse
			}
		}
		return m
	}

	moved, err := su.SetSpecialUse(e.ctx, "New", []string{mailbox.AttrTrash, mailbox.AttrSent})
	require.NoError(t, err)
	assert.Equal(t, []string{"Bin"}, moved, "the \\Trash of Bin moves")
	got := uses()
	assert.ElementsMatch(t, []string{mailbox.AttrTrash, mailbox.AttrSent}, got["New"])
	assert.NotContains(t, got, "Bin")
	if w != nil {
		evs, err := w.Poll()
		require.NoError(t, err)
		assert.ElementsMatch(t, []mailbox.MailboxEvent{
			{Name: "New", Kinds: mailbox.EventMetadata, Entries: []string{mailbox.SpecialUseEntry}},
			{Name: "Bin", Kinds: mailbox.EventMetadata, Entries: []string{mailbox.SpecialUseEntry}},
		}, evs)
	}

	// Setting the same again changes nothing and moves nothing.
	moved, err = su.SetSpecialUse(e.ctx, "New", []string{mailbox.AttrSent, mailbox.AttrTrash})
	require.NoError(t, err)
	assert.Empty(t, moved)
	if w != nil {
		evs, err := w.Poll()
		require.NoError(t, err)
		assert.Empty(t, evs)
	}

	// None: the mailbox loses its special uses.
	_, err = su.SetSpecialUse(e.ctx, "New", nil)
	require.NoError(t, err)
	assert.NotContains(t, uses(), "New")

	for _, tc := range []struct {
		name string
		use  []string
		err  error
	}{
		{"Old", []string{`\Bogus`}, mailbox.ErrUseAttrUnsupported},
		{"Missing", []string{mailbox.AttrSent}, mailbox.ErrNoSuchMailbox},
		{"Parent", []string{mailbox.AttrSent}, mailbox.ErrNotSelectable},
	} {
		_, err := su.SetSpecialUse(e.ctx, tc.name, tc.use)
		assert.ErrorIs(t, err, tc.err, "%s %v", tc.name, tc.use)
	}
	assert.Empty(t, uses(), "failures change nothing")

	// Another mailbox takes a special use nobody has.
	_, err = su.SetSpecialUse(e.ctx, "Old", []string{mailbox.AttrArchive})
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"Old": {mailbox.AttrArchive}}, uses())
}
