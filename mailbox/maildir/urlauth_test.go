package maildir

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/postkit/postkit/mailbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestURLAuthKey(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	acct := openAccount(t, s, "joe")
	k := acct.(mailbox.URLAuthKeyer)
	require.NoError(t, acct.Create(ctx, "Sent", nil))

	got, err := k.URLAuthKey(ctx, "INBOX", false)
	require.NoError(t, err)
	assert.Nil(t, got)
	key, err := k.URLAuthKey(ctx, "INBOX", true)
	require.NoError(t, err)
	assert.Len(t, key, mailbox.URLAuthKeySize)
	sent, err := k.URLAuthKey(ctx, "Sent", true)
	require.NoError(t, err)
	assert.NotEqual(t, key, sent)

	// The key persists, in a file of mode 0600 per folder.
	got, err = k.URLAuthKey(ctx, "INBOX", true)
	require.NoError(t, err)
	assert.Equal(t, key, got)
	var files []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Name() == urlAuthKeyFile {
			files = append(files, p)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
		}
		return nil
	})
	assert.Len(t, files, 2)
	again := openAccount(t, New(root, &Options{NoSync: true, PollInterval: -1}), "joe")
	got, err = again.(mailbox.URLAuthKeyer).URLAuthKey(ctx, "Sent", false)
	require.NoError(t, err)
	assert.Equal(t, sent, got)

	// The key follows a rename.
	require.NoError(t, acct.Rename(ctx, "Sent", "Archive"))
	got, err = k.URLAuthKey(ctx, "Archive", false)
	require.NoError(t, err)
	assert.Equal(t, sent, got)

	require.NoError(t, k.ResetURLAuthKey(ctx, "INBOX"))
	got, err = k.URLAuthKey(ctx, "INBOX", false)
	require.NoError(t, err)
	assert.Len(t, got, mailbox.URLAuthKeySize)
	assert.NotEqual(t, key, got)

	require.NoError(t, k.ResetURLAuthKey(ctx, ""))
	for _, name := range []string{"INBOX", "Archive"} {
		got, err = k.URLAuthKey(ctx, name, false)
		require.NoError(t, err)
		assert.Nil(t, got, name)
	}
	_, err = k.URLAuthKey(ctx, "Nonexistent", true)
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	assert.ErrorIs(t, k.ResetURLAuthKey(ctx, "Nonexistent"), mailbox.ErrNoSuchMailbox)
}
