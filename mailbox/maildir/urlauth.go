package maildir

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/postkit/postkit/mailbox"
)

// The URLAUTH access key of a folder (RFC 4467 2.2) is kept in
// urlAuthKeyFile inside the folder's directory, as its raw octets, mode
// 0600, replaced atomically under a dot-lock; it follows a rename and
// goes with a delete.
const urlAuthKeyFile = "postkit-urlauth-key"

var _ mailbox.URLAuthKeyer = (*account)(nil)

// urlAuthKeyPath returns the key file of the mailbox named name.
func (a *account) urlAuthKeyPath(name string) (string, error) {
	_, dir, err := a.resolve(name)
	if err != nil {
		return "", err
	}
	if err := a.selectable(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, urlAuthKeyFile), nil
}

// readURLAuthKey reads a key file; a missing or malformed one is nil.
func readURLAuthKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) != mailbox.URLAuthKeySize {
		return nil, nil
	}
	return b, nil
}

// URLAuthKey returns the URLAUTH access key of a mailbox.
func (a *account) URLAuthKey(ctx context.Context, name string, create bool) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := a.urlAuthKeyPath(name)
	if err != nil {
		return nil, err
	}
	k, err := readURLAuthKey(path)
	if err != nil || k != nil || !create {
		return k, err
	}
	lk, err := a.s.lockFile(ctx, path)
	if err != nil {
		return nil, err
	}
	// Another session may have made it meanwhile.
	if k, err = readURLAuthKey(path); err != nil || k != nil {
		lk.unlock()
		return k, err
	}
	k = mailbox.NewURLAuthKey()
	return k, lk.commit(k)
}

// ResetURLAuthKey replaces the URLAUTH access key of a mailbox, or
// removes those of all mailboxes for name "".
func (a *account) ResetURLAuthKey(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name != "" {
		path, err := a.urlAuthKeyPath(name)
		if err != nil {
			return err
		}
		lk, err := a.s.lockFile(ctx, path)
		if err != nil {
			return err
		}
		return lk.commit(mailbox.NewURLAuthKey())
	}
	list, err := a.Mailboxes(ctx)
	if err != nil {
		return err
	}
	for _, mi := range list {
		path, err := a.urlAuthKeyPath(mi.Name)
		if err != nil {
			continue // \Noselect parents have no key
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
