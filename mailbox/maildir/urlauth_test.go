package maildir

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// TestURLAuthKeyFiles: what the conformance suite does not see — the keys
// are files of mode 0600, one per folder, read again by a new Store.
func TestURLAuthKeyFiles(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	acct := openAccount(t, s, "joe")
	k := acct.(mailbox.URLAuthKeyer)
	require.NoError(t, acct.Create(ctx, "Sent", nil))
	_, err := k.URLAuthKey(ctx, "INBOX", true)
	require.NoError(t, err)
	sent, err := k.URLAuthKey(ctx, "Sent", true)
	require.NoError(t, err)
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
	got, err := again.(mailbox.URLAuthKeyer).URLAuthKey(ctx, "Sent", false)
	require.NoError(t, err)
	assert.Equal(t, sent, got)
}
