package maildir

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// Quotas (Options.Quota) have one root per account, "". Usage is
// counted from the folders themselves each time it is needed: the
// messages in cur/ and new/ of INBOX and of every folder, their sizes
// from the S= of their names (a stat for a name without one). This is
// exact and needs no bookkeeping, at the cost of listing the account's
// directories on each APPEND and COPY; two appends racing may both pass
// the check, so the limits are soft by at most one message per
// concurrent writer.
//
// Dovecot keeps Maildir++ quota in a maildirsize file instead (limits
// on its first line, then deltas). We neither read nor write it: a
// Dovecot sharing the account recomputes its own file when it finds
// the sizes changed, and our usage needs none.

// quotaAccount is the Account of a store with quotas.
type quotaAccount struct{ account }

var _ mailbox.Quotaer = (*quotaAccount)(nil)

// usage returns the octets and messages of the account.
func (a *account) usage() (bytes, msgs int64, err error) {
	dirs := []string{a.dir}
	fds, err := a.folderDirs()
	if err != nil {
		return 0, 0, err
	}
	for _, d := range fds {
		dirs = append(dirs, filepath.Join(a.dir, d))
	}
	for _, d := range dirs {
		for _, sub := range []string{"cur", "new"} {
			ents, err := os.ReadDir(filepath.Join(d, sub))
			if err != nil {
				if os.IsNotExist(err) {
					continue
				}
				return 0, 0, err
			}
			for _, e := range ents {
				name := e.Name()
				if strings.HasPrefix(name, ".") || !e.Type().IsRegular() {
					continue
				}
				base, _, _ := strings.Cut(name, ":")
				n := baseSize(base)
				if n < 0 {
					info, err := e.Info()
					if err != nil {
						continue // gone meanwhile
					}
					n = info.Size()
				}
				bytes += n
				msgs++
			}
		}
	}
	return bytes, msgs, nil
}

// quotaCheck returns mailbox.ErrQuota when adding addMsgs messages of
// addBytes octets would take the account over its limits.
func (a *account) quotaCheck(addBytes, addMsgs int64) error {
	l := a.s.opts.Quota
	if l == (mailbox.QuotaLimits{}) {
		return nil
	}
	bytes, msgs, err := a.usage()
	if err != nil {
		return err
	}
	if l.Over(bytes, msgs, addBytes, addMsgs) {
		return mailbox.ErrQuota
	}
	return nil
}

// QuotaRoots returns the account's quota root, "".
func (a *quotaAccount) QuotaRoots(ctx context.Context) ([]mailbox.QuotaRoot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if a.closed.Load() {
		return nil, mailbox.ErrClosed
	}
	bytes, msgs, err := a.usage()
	if err != nil {
		return nil, err
	}
	return []mailbox.QuotaRoot{a.s.opts.Quota.Root("", bytes, msgs)}, nil
}

// replaceCheck returns mailbox.ErrQuota when replacing a message of
// oldBytes octets (oldMsgs is 0 when it is gone) by one of newBytes
// octets takes the account over its limits: only the net change counts
// (RFC 8508 3.4). Like quotaCheck, it takes no lock.
func (a *account) replaceCheck(oldBytes, oldMsgs, newBytes int64) error {
	l := a.s.opts.Quota
	if l == (mailbox.QuotaLimits{}) {
		return nil
	}
	bytes, msgs, err := a.usage()
	if err != nil {
		return err
	}
	if l.OverReplacing(bytes, msgs, oldBytes, oldMsgs, newBytes) {
		return mailbox.ErrQuota
	}
	return nil
}
