package maildir_test

import (
	"sync"
	"testing"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/mailboxtest"
	"github.com/postkit/postkit/mailbox/maildir"
)

// TestConformance runs the backend conformance suite, reopening the
// store from disk for the persistence checks.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	roots := map[mailbox.Store]string{}
	mailboxtest.RunFactory(t, mailboxtest.Factory{
		New: func(t *testing.T) mailbox.Store {
			dir := t.TempDir()
			s := maildir.New(dir, nil)
			mu.Lock()
			roots[s] = dir
			mu.Unlock()
			return s
		},
		Reopen: func(t *testing.T, s mailbox.Store) mailbox.Store {
			mu.Lock()
			defer mu.Unlock()
			return maildir.New(roots[s], nil)
		},
		NewQuota: func(t *testing.T, l mailbox.QuotaLimits) mailbox.Store {
			return maildir.New(t.TempDir(), &maildir.Options{Quota: l})
		},
	})
}
