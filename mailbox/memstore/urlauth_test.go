package memstore

import (
	"context"
	"testing"

	"github.com/postkit/postkit/mailbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestURLAuthKey(t *testing.T) {
	ctx := context.Background()
	acct, err := New().Account(ctx, "joe")
	require.NoError(t, err)
	k := acct.(mailbox.URLAuthKeyer)
	require.NoError(t, acct.Create(ctx, "Sent", nil))

	got, err := k.URLAuthKey(ctx, "INBOX", false)
	require.NoError(t, err)
	assert.Nil(t, got)
	key, err := k.URLAuthKey(ctx, "inbox", true)
	require.NoError(t, err)
	assert.Len(t, key, mailbox.URLAuthKeySize)
	got, err = k.URLAuthKey(ctx, "INBOX", false)
	require.NoError(t, err)
	assert.Equal(t, key, got)
	sent, err := k.URLAuthKey(ctx, "Sent", true)
	require.NoError(t, err)
	assert.NotEqual(t, key, sent)

	require.NoError(t, k.ResetURLAuthKey(ctx, "INBOX"))
	got, err = k.URLAuthKey(ctx, "INBOX", false)
	require.NoError(t, err)
	assert.Len(t, got, mailbox.URLAuthKeySize)
	assert.NotEqual(t, key, got)

	require.NoError(t, k.ResetURLAuthKey(ctx, ""))
	for _, name := range []string{"INBOX", "Sent"} {
		got, err = k.URLAuthKey(ctx, name, false)
		require.NoError(t, err)
		assert.Nil(t, got, name)
	}
	_, err = k.URLAuthKey(ctx, "Nonexistent", true)
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	assert.ErrorIs(t, k.ResetURLAuthKey(ctx, "Nonexistent"), mailbox.ErrNoSuchMailbox)
}
