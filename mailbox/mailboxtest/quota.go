package mailboxtest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// testQuota checks mailbox.Quotaer on a store with limits: usage in
// QuotaRoots, ErrQuota from Append and Copy past a limit, a Move that
// adds nothing, and room again after an expunge.
func testQuota(t *testing.T, f Factory) {
	if f.NewQuota == nil {
		t.Skip("no Factory.NewQuota")
	}
	s := f.NewQuota(t, mailbox.QuotaLimits{Bytes: 4096, Messages: 3})
	e := &env{t: t, ctx: t.Context(), store: s}
	e.acct = e.account("alice")
	q, ok := e.acct.(mailbox.Quotaer)
	require.True(t, ok, "an account with quotas implements mailbox.Quotaer")
	usage := func() (storage, msgs mailbox.QuotaResource) {
		t.Helper()
		roots, err := q.QuotaRoots(e.ctx)
		require.NoError(t, err)
		require.Len(t, roots, 1)
		st, ok := roots[0].Resource(mailbox.QuotaStorage)
		require.True(t, ok)
		ms, ok := roots[0].Resource(mailbox.QuotaMessage)
		require.True(t, ok)
		return st, ms
	}
	st, ms := usage()
	require.Equal(t, mailbox.QuotaResource{Name: mailbox.QuotaStorage, Usage: 0, Limit: 4}, st)
	require.Equal(t, mailbox.QuotaResource{Name: mailbox.QuotaMessage, Usage: 0, Limit: 3}, ms)

	msg := func(n int) []byte {
		return append([]byte("Subject: q\r\n\r\n"), bytes.Repeat([]byte("x"), n-14)...)
	}
	e.create("Other")
	m := e.open("INBOX")
	u1 := add(t, m, msg(1000))
	u2 := add(t, m, msg(1000))
	st, ms = usage()
	require.Equal(t, uint64(2), st.Usage, "2000 octets are 2 units of 1024, rounded up")
	require.Equal(t, uint64(2), ms.Usage)

	_, err := m.Append(e.ctx, bytes.NewReader(msg(3000)), nil)
	require.ErrorIs(t, err, mailbox.ErrQuota, "over STORAGE")
	_, err = m.Copy(e.ctx, mailbox.UIDSetOf(u1, u2), "Other")
	require.ErrorIs(t, err, mailbox.ErrQuota, "over MESSAGE")
	require.Equal(t, uint32(0), e.status("Other").Messages, "a refused copy copies nothing")

	if mv, ok := m.(mailbox.Mover); ok {
		_, err = mv.Move(e.ctx, mailbox.UIDSetOf(u1), "Other")
		require.NoError(t, err, "a move adds nothing to the account")
		poll(t, m)
	}
	add(t, m, msg(1000))
	_, err = m.Append(e.ctx, bytes.NewReader(msg(100)), nil)
	require.ErrorIs(t, err, mailbox.ErrQuota, "over MESSAGE")
	_, ms = usage()
	require.Equal(t, uint64(3), ms.Usage)

	_, err = m.Store(e.ctx, mailbox.UIDSetOf(u2), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	_, err = m.Expunge(e.ctx, nil)
	require.NoError(t, err)
	add(t, m, msg(100))
}
