package maildir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

var _ mailbox.SpecialUseSetter = (*account)(nil)

// SetSpecialUse sets the special-use attributes of the mailbox named
// name to use (none when empty), with the checks of Create: an
// attribute this store does not keep fails with
// mailbox.ErrUseAttrUnsupported. A special use marks one mailbox at
// most (RFC 6154 4): each attribute given is taken from the other
// folders that had it, and moved lists those, sorted. It fails with
// mailbox.ErrNoSuchMailbox for no such mailbox, and with
// mailbox.ErrNotSelectable for a \Noselect parent. The special-use
// files of the account change under the dot-lock of INBOX's.
func (a *account) SetSpecialUse(ctx context.Context, name string, use []string) (moved []string, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, dir, err := a.resolve(name)
	if err != nil {
		return nil, err
	}
	var su []string
	for _, u := range use {
		i := slices.IndexFunc(specialUse, func(s string) bool { return strings.EqualFold(s, u) })
		if i < 0 {
			return nil, mailbox.ErrUseAttrUnsupported
		}
		if !slices.Contains(su, specialUse[i]) {
			su = append(su, specialUse[i])
		}
	}
	if !isInbox(n) {
		if err := a.selectable(dir); err != nil {
			return nil, err
		}
	}
	lk, err := a.s.lockFile(ctx, filepath.Join(a.dir, specialUseFile))
	if err != nil {
		return nil, err
	}
	defer lk.unlock()
	dirs, err := a.folderDirs()
	if err != nil {
		return nil, err
	}
	dirs[mailbox.Inbox] = ""
	// The folder takes its special uses first, then the others lose
	// them: a failure between leaves a use on two folders, not on none.
	cur := readSpecialUse(dir)
	changed := len(cur) != len(su) || slices.ContainsFunc(cur, func(u string) bool { return !slices.Contains(su, u) })
	if changed {
		if err := a.writeSpecialUse(dir, su); err != nil {
			return nil, err
		}
		a.s.publish(a.dir, a, mailbox.MailboxEvent{Name: n, Kinds: mailbox.EventMetadata, Entries: []string{mailbox.SpecialUseEntry}})
	}
	for on, od := range dirs {
		if on == n {
			continue
		}
		p := filepath.Join(a.dir, od)
		cur := readSpecialUse(p)
		rest := slices.DeleteFunc(slices.Clone(cur), func(u string) bool { return slices.Contains(su, u) })
		if len(rest) == len(cur) {
			continue
		}
		if err := a.writeSpecialUse(p, rest); err != nil {
			return nil, err
		}
		moved = append(moved, on)
	}
	slices.Sort(moved)
	for _, m := range moved {
		a.s.publish(a.dir, a, mailbox.MailboxEvent{Name: m, Kinds: mailbox.EventMetadata, Entries: []string{mailbox.SpecialUseEntry}})
	}
	return moved, nil
}

// writeSpecialUse replaces the special-use file of the folder in dir,
// or removes it when su is empty.
func (a *account) writeSpecialUse(dir string, su []string) error {
	path := filepath.Join(dir, specialUseFile)
	if len(su) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return writeFileAtomic(path, []byte(strings.Join(su, "\n")+"\n"), a.s.opts.NoSync)
}
