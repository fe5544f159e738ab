package maildir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postkit/postkit/mailbox"
)

const (
	subscriptionsFile = "subscriptions"
	uidValidityFile   = "postkit-uidvalidity"
	specialUseFile    = "postkit-specialuse"
)

// account is one user's directory.
type account struct {
	s      *Store
	dir    string
	closed atomic.Bool

	// wmu guards watches, the watches started through this handle,
	// which Close stops.
	wmu     sync.Mutex
	watches []*mailbox.AccountWatch
}

var _ mailbox.Account = (*account)(nil)

// resolve checks name and returns it normalized with its directory.
func (a *account) resolve(name string) (string, string, error) {
	if a.closed.Load() {
		return "", "", mailbox.ErrClosed
	}
	n, err := normName(name)
	if err != nil {
		return "", "", err
	}
	d, err := dirName(n)
	if err != nil {
		return "", "", err
	}
	return n, filepath.Join(a.dir, d), nil
}

// isDir reports whether path is a directory (not a symbolic link).
func isDir(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && st.IsDir()
}

// folderDirs returns the folder directories of the account by name.
func (a *account) folderDirs() (map[string]string, error) {
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string)
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if n, ok := nameOfDir(e.Name()); ok {
			out[n] = e.Name()
		}
	}
	return out, nil
}

// hasChildren reports whether a folder of the account is below name.
func (a *account) hasChildren(dir string) bool {
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		return false
	}
	prefix := filepath.Base(dir) + "."
	if dir == a.dir {
		prefix = ".INBOX."
	}
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			return true
		}
	}
	return false
}

// Mailboxes lists the mailboxes; parents with no directory of their own
// are \Noselect.
func (a *account) Mailboxes(ctx context.Context) ([]mailbox.MailboxInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if a.closed.Load() {
		return nil, mailbox.ErrClosed
	}
	dirs, err := a.folderDirs()
	if err != nil {
		return nil, err
	}
	out := []mailbox.MailboxInfo{{Name: mailbox.Inbox, SpecialUse: readSpecialUse(a.dir)}}
	seen := map[string]bool{mailbox.Inbox: true}
	for n, d := range dirs {
		info := mailbox.MailboxInfo{Name: n, SpecialUse: readSpecialUse(filepath.Join(a.dir, d))}
		out = append(out, info)
		seen[n] = true
	}
	for n := range dirs {
		for i := strings.LastIndexByte(n, mailbox.Delimiter); i > 0; i = strings.LastIndexByte(n[:i], mailbox.Delimiter) {
			p := n[:i]
			if !seen[p] {
				seen[p] = true
				out = append(out, mailbox.MailboxInfo{Name: p, Attrs: []string{mailbox.AttrNoSelect}})
			}
		}
	}
	return out, nil
}

// specialUse lists the special-use attributes this store keeps.
var specialUse = []string{mailbox.AttrAll, mailbox.AttrArchive, mailbox.AttrDrafts, mailbox.AttrFlagged, mailbox.AttrJunk, mailbox.AttrSent, mailbox.AttrTrash}

func readSpecialUse(dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, specialUseFile))
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Fields(string(b)) {
		if slices.Contains(specialUse, l) {
			out = append(out, l)
		}
	}
	return out
}

// Create makes a folder, and its missing parents.
func (a *account) Create(ctx context.Context, name string, opts *mailbox.CreateOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, dir, err := a.resolve(name)
	if err != nil {
		return err
	}
	if isInbox(n) {
		return mailbox.ErrMailboxExists
	}
	var su []string
	if opts != nil {
		for _, u := range opts.SpecialUse {
			i := slices.IndexFunc(specialUse, func(s string) bool { return strings.EqualFold(s, u) })
			if i < 0 {
				return mailbox.ErrUseAttrUnsupported
			}
			su = append(su, specialUse[i])
		}
	}
	aw, unlock := a.lockNames()
	made, err := a.create(ctx, aw, n, dir, su)
	unlock()
	a.publishNames(made)
	return err
}

// madeFolder is a folder made by create or makeParents.
type madeFolder struct{ name, dir string }

// create makes the folder n in dir and its missing parents, and returns
// those it made, for the caller to publish; aw, if not nil, is the
// account's watch state, whose names lock the caller holds.
func (a *account) create(ctx context.Context, aw *acctWatch, n, dir string, su []string) ([]madeFolder, error) {
	made, err := a.makeParents(ctx, aw, n)
	if err != nil {
		return made, err
	}
	if err := a.makeFolder(ctx, dir, su); err != nil {
		return made, err
	}
	if aw != nil {
		aw.noteFolder(dir, n)
	}
	return append(made, madeFolder{n, dir}), nil
}

// publishNames reports the folders made to the account's watches.
func (a *account) publishNames(made []madeFolder) {
	for _, m := range made {
		a.s.publish(a.dir, a, mailbox.MailboxEvent{Name: m.name, Kinds: mailbox.EventMailboxName})
	}
}

// makeFolder creates a folder directory with its uidlist.
func (a *account) makeFolder(ctx context.Context, dir string, su []string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return mailbox.ErrMailboxExists
		}
		return err
	}
	if err := makeMaildir(dir, true); err != nil {
		return err
	}
	if len(su) > 0 {
		if err := writeFileAtomic(filepath.Join(dir, specialUseFile), []byte(strings.Join(su, "\n")+"\n"), a.s.opts.NoSync); err != nil {
			return err
		}
	}
	v, err := a.s.newUIDValidity(ctx, a.dir)
	if err != nil {
		return err
	}
	ul := &uidList{uidValidity: v, nextUID: 1, hdrExt: []string{"G" + newGUID()}}
	if err := writeFileAtomic(filepath.Join(dir, uidlistFile), ul.format(), a.s.opts.NoSync); err != nil {
		return err
	}
	if a.s.opts.NoSync {
		return nil
	}
	return syncDir(a.dir)
}

// newUIDValidity returns a UIDVALIDITY for a folder of the account in
// root: the current time, or one more than the last one given, so that a
// folder created again gets a new value (RFC 9051 2.3.1.1).
func (s *Store) newUIDValidity(ctx context.Context, root string) (uint32, error) {
	path := filepath.Join(root, uidValidityFile)
	lk, err := s.lockFile(ctx, path)
	if err != nil {
		return 0, err
	}
	last := uint64(0)
	if b, err := os.ReadFile(path); err == nil {
		last, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	}
	v := uint32(time.Now().Unix())
	if uint64(v) <= last {
		v = uint32(last) + 1
	}
	if v == 0 {
		v = 1
	}
	if err := lk.commit([]byte(strconv.FormatUint(uint64(v), 10) + "\n")); err != nil {
		return 0, err
	}
	return v, nil
}

// Delete removes a folder: it is renamed into the account's tmp/ (so it
// disappears at once) and removed from there. Symbolic links are removed,
// never followed.
func (a *account) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, dir, err := a.resolve(name)
	if err != nil {
		return err
	}
	if isInbox(n) {
		return mailbox.ErrNotAllowed
	}
	if !isDir(dir) {
		if a.hasChildren(dir) {
			return mailbox.ErrHasChildren
		}
		return mailbox.ErrNoSuchMailbox
	}
	trash := filepath.Join(a.dir, "tmp", "postkit-deleted-"+newGUID())
	aw, unlock := a.lockNames()
	err = os.Rename(dir, trash)
	if err == nil && aw != nil {
		aw.noteFolder(dir, "")
	}
	unlock()
	if err != nil {
		return err
	}
	a.s.forget(dir, false)
	a.s.publish(a.dir, a, mailbox.MailboxEvent{Name: n, Kinds: mailbox.EventMailboxName})
	return os.RemoveAll(trash)
}

// Rename renames a folder and its children.
func (a *account) Rename(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fn, fdir, err := a.resolve(from)
	if err != nil {
		return err
	}
	tn, tdir, err := a.resolve(to)
	if err != nil {
		return err
	}
	if isInbox(tn) || isDir(tdir) {
		return mailbox.ErrMailboxExists
	}
	aw, unlock := a.lockNames()
	var made []madeFolder
	if isInbox(fn) {
		made, err = a.renameInbox(ctx, aw, tn, tdir)
	} else {
		made, err = a.rename(ctx, aw, fn, fdir, tn, tdir)
	}
	unlock()
	if err != nil {
		a.publishNames(made)
		return err
	}
	// RFC 5465 5.4: one event for the renamed mailbox, none for its
	// children (renamed with it), nor for a new INBOX.
	if isInbox(fn) {
		a.s.publish(a.dir, a, mailbox.MailboxEvent{Name: fn, Kinds: mailbox.EventMessageExpunge})
	}
	a.publishNames(made[:len(made)-1])
	a.s.publish(a.dir, a, mailbox.MailboxEvent{Name: tn, Kinds: mailbox.EventMailboxName, OldName: fn})
	return nil
}

// rename renames the folder fn and its children to tn, and returns the
// parents it made, then tn; aw is as for create.
func (a *account) rename(ctx context.Context, aw *acctWatch, fn, fdir, tn, tdir string) ([]madeFolder, error) {
	if strings.HasPrefix(tn, fn+string(mailbox.Delimiter)) {
		return nil, mailbox.ErrNotAllowed // into itself
	}
	moves := map[string]string{}
	if isDir(fdir) {
		moves[fdir] = tdir
	}
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		return nil, err
	}
	fb, tb := filepath.Base(fdir), filepath.Base(tdir)
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), fb+".") {
			nd := tb + strings.TrimPrefix(e.Name(), fb)
			if len(nd) > maxDirName {
				return nil, mailbox.ErrInvalidName
			}
			if isDir(filepath.Join(a.dir, nd)) {
				return nil, mailbox.ErrMailboxExists
			}
			moves[filepath.Join(a.dir, e.Name())] = filepath.Join(a.dir, nd)
		}
	}
	if len(moves) == 0 {
		return nil, mailbox.ErrNoSuchMailbox
	}
	done := make(map[string]string, len(moves))
	for old, nw := range moves {
		if err = os.Rename(old, nw); err != nil {
			break
		}
		done[old] = nw
	}
	if aw != nil {
		aw.noteRename(done)
	}
	if err != nil {
		return nil, err
	}
	a.s.forget(fdir, true)
	made, err := a.makeParents(ctx, aw, tn)
	if err != nil {
		return made, err
	}
	made = append(made, madeFolder{tn, tdir})
	if a.s.opts.NoSync {
		return made, nil
	}
	return made, syncDir(a.dir)
}

// makeParents creates the missing parents of a name as folders (RFC 9051
// 6.3.3, 6.3.6), and returns those it made; aw is as for create.
func (a *account) makeParents(ctx context.Context, aw *acctWatch, n string) ([]madeFolder, error) {
	var made []madeFolder
	levels := strings.Split(n, string(mailbox.Delimiter))
	for i := 1; i < len(levels); i++ {
		p := strings.Join(levels[:i], string(mailbox.Delimiter))
		if isInbox(p) {
			continue
		}
		_, pdir, err := a.resolve(p)
		if err != nil {
			return made, err
		}
		err = a.makeFolder(ctx, pdir, nil)
		if errors.Is(err, mailbox.ErrMailboxExists) {
			continue
		}
		if err != nil {
			return made, err
		}
		if aw != nil {
			aw.noteFolder(pdir, p)
		}
		made = append(made, madeFolder{p, pdir})
	}
	return made, nil
}

// renameInbox moves INBOX's messages to a new folder; INBOX stays, empty
// (RFC 9051 6.3.6). Its children are not moved. It returns the folders
// made, tn last; aw is as for create.
//
// The messages get new base names, hence new save dates (see
// message.SaveDate): RFC 8514 3 counts a message moved to another
// mailbox as saved there anew.
func (a *account) renameInbox(ctx context.Context, aw *acctWatch, tn, tdir string) ([]madeFolder, error) {
	made, err := a.create(ctx, aw, tn, tdir, nil)
	if err != nil {
		return made, err
	}
	f := a.s.folder(a.dir, a.dir, mailbox.Inbox)
	defer a.s.release(f)
	// The new folder is held too while its files come, so that a
	// watch's poller does not report them as another process's doing.
	tf := a.s.folder(a.dir, tdir, tn)
	defer a.s.release(tf)
	f.mu.Lock()
	defer f.mu.Unlock()
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if aw != nil {
		defer aw.noteFolder(tdir, tn)
	}
	t, err := f.begin(ctx)
	if err != nil {
		return made, err
	}
	defer t.abort()
	if b, err := os.ReadFile(f.path(keywordsFile)); err == nil {
		if err := writeFileAtomic(filepath.Join(tdir, keywordsFile), b, a.s.opts.NoSync); err != nil {
			return made, err
		}
	}
	var gone []mailbox.Update
	var buried []mailbox.UID
	now := time.Now()
	for _, m := range f.msgs {
		size, vsize := baseSize(m.base), baseVSize(m.base)
		if size < 0 || vsize < 0 {
			size, vsize = max(m.size, 0), max(m.size, 0)
		}
		base := newBase(now, size, vsize)
		target := filepath.Join(tdir, "cur", fileName(base, m.info))
		if m.inNew {
			target = filepath.Join(tdir, "new", base)
		}
		if err := os.Rename(f.path(m.file()), target); err != nil && !errors.Is(err, os.ErrNotExist) {
			return made, err
		}
		m.keep(target, false)
		gone = append(gone, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: m.uid, ModSeq: t.nextModSeq()})
		buried = append(buried, m.uid)
	}
	f.ghost(f.msgs, nil)
	f.msgs, f.byBase = nil, map[string]*msg{}
	t.expunged(len(gone))
	t.bury(buried)
	if err := t.commit(); err != nil {
		return made, err
	}
	f.hub.Publish(nil, gone...)
	return made, nil
}

// Subscribe adds or removes name in the subscriptions file.
func (a *account) Subscribe(ctx context.Context, name string, subscribed bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, _, err := a.resolve(name)
	if err != nil {
		return err
	}
	path := filepath.Join(a.dir, subscriptionsFile)
	lk, err := a.s.lockFile(ctx, path)
	if err != nil {
		return err
	}
	subs := readSubscriptions(path)
	i := slices.Index(subs, n)
	switch {
	case subscribed && i < 0:
		subs = append(subs, n)
	case !subscribed && i >= 0:
		subs = slices.Delete(subs, i, i+1)
	default:
		return lk.unlock()
	}
	if err := lk.commit(formatSubscriptions(subs)); err != nil {
		return err
	}
	a.s.publish(a.dir, a, mailbox.MailboxEvent{Name: n, Kinds: mailbox.EventSubscription})
	return nil
}

// Subscriptions lists the subscribed names.
func (a *account) Subscriptions(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if a.closed.Load() {
		return nil, mailbox.ErrClosed
	}
	return readSubscriptions(filepath.Join(a.dir, subscriptionsFile)), nil
}

// The subscriptions file is in Dovecot's version 2 format: "V\t2\n\n",
// then one name a line with its levels separated by tabs. Version 1
// files (one name a line, levels separated by ".", modified UTF-7) are
// read too.
func readSubscriptions(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	v2 := len(lines) > 0 && lines[0] == "V\t2"
	if v2 {
		lines = lines[1:]
	}
	var out []string
	for _, l := range lines {
		if l == "" {
			continue
		}
		if v2 {
			l = strings.ReplaceAll(l, "\t", string(mailbox.Delimiter))
		} else if n, ok := nameOfDir("." + l); ok {
			l = n
		}
		if n, err := normName(l); err == nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func formatSubscriptions(subs []string) []byte {
	var sb strings.Builder
	sb.WriteString("V\t2\n\n")
	for _, s := range subs {
		sb.WriteString(strings.ReplaceAll(s, string(mailbox.Delimiter), "\t"))
		sb.WriteByte('\n')
	}
	return []byte(sb.String())
}

// Status reports on a folder.
func (a *account) Status(ctx context.Context, name string) (*mailbox.Status, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, dir, err := a.resolve(name)
	if err != nil {
		return nil, err
	}
	if err := a.selectable(dir); err != nil {
		return nil, err
	}
	f := a.s.folder(a.dir, dir, n)
	defer a.s.release(f)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.sync(ctx, false, nil); err != nil {
		return nil, err
	}
	return f.status(nil), nil
}

// selectable checks that dir is a folder.
func (a *account) selectable(dir string) error {
	if isDir(dir) {
		return nil
	}
	if a.hasChildren(dir) {
		return mailbox.ErrNotSelectable
	}
	return mailbox.ErrNoSuchMailbox
}

// Open opens a view of a folder.
func (a *account) Open(ctx context.Context, name string, opts *mailbox.OpenOptions) (mailbox.Mailbox, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, dir, err := a.resolve(name)
	if err != nil {
		return nil, err
	}
	if err := a.selectable(dir); err != nil {
		return nil, err
	}
	f := a.s.folder(a.dir, dir, n)
	f.mu.Lock()
	err = f.sync(ctx, false, nil)
	if err != nil {
		f.mu.Unlock()
		a.s.release(f)
		return nil, err
	}
	v := &view{f: f, a: a, name: n, ro: opts != nil && opts.ReadOnly, noRecent: opts != nil && opts.NoRecent, seen: f.nextUID - 1}
	v.hv = f.hub.Join()
	if f.views == nil {
		f.views = make(map[*view]struct{})
	}
	f.views[v] = struct{}{}
	// A read-write view claims the messages of new/ as \Recent at once,
	// so that Fetch and Status agree; if the lock cannot be had now,
	// they are claimed at a later Status or Poll.
	_ = v.claimRecent(ctx)
	f.mu.Unlock()
	a.s.mu.Lock()
	f.startPolling()
	a.s.mu.Unlock()
	return v, nil
}

// Close releases the account and stops its watches.
func (a *account) Close() error {
	a.wmu.Lock()
	a.closed.Store(true)
	a.wmu.Unlock()
	a.stopWatches()
	return nil
}
