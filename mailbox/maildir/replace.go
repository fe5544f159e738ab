package maildir

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/postkit/postkit/mailbox"
)

var _ mailbox.Replacer = (*view)(nil)

// Replace implements mailbox.Replacer. The message is streamed to tmp/
// of dest and synced first, as by Append, and the quota is checked net
// of old (RFC 8508 3.4), without a lock, as Append checks it (see
// quota.go). The new message is then added and recorded in dest, and
// only then old unlinked here and that recorded: within one folder
// under one hold of its lock, into another folder the one after the
// other. Should the expunge fail, old is put back (its file is linked
// into tmp/ first) with its UID and flags, and the new message is
// expunged again: a failed Replace leaves the folders as they were,
// but for a UID used up in dest, and views of another dest may have
// seen the new message come and go. A process that dies between the
// two leaves both messages, never neither, and never the new one
// alone without its record.
func (v *view) Replace(ctx context.Context, old mailbox.UID, dest string, r io.Reader, opts *mailbox.AppendOptions) (*mailbox.ReplaceResult, error) {
	if err := v.check(true); err != nil {
		return nil, err
	}
	var flags []string
	date := time.Now()
	if opts != nil {
		var err error
		if flags, err = cleanFlags(opts.Flags); err != nil {
			return nil, err
		}
		if !opts.InternalDate.IsZero() {
			date = opts.InternalDate
		}
	}
	a := &account{s: v.f.s, dir: v.f.root}
	dn, ddir, err := a.resolve(dest)
	if err != nil {
		return nil, err
	}
	if err := a.selectable(ddir); err != nil {
		return nil, err
	}
	df := a.s.folder(a.dir, ddir, dn)
	defer a.s.release(df)
	tmp, size, vsize, err := df.writeTmp(ctx, r, date)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if err := a.replaceCheck(v.oldSize(old), boolInt(v.live(old) != nil), size); err != nil {
		return nil, err
	}
	n := &newMsg{tmp: tmp, base: filepath.Base(tmp) + ",S=" + strconv.FormatInt(size, 10) + ",W=" + strconv.FormatInt(vsize, 10), size: size, flags: flags, date: date}
	if df == v.f {
		return v.replaceHere(ctx, old, n)
	}
	return v.replaceInto(ctx, df, old, n)
}

// newMsg is the message of a Replace, written to tmp/.
type newMsg struct {
	tmp, base string
	size      int64
	flags     []string
	date      time.Time
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// live returns the live message of uid that v knows, or nil. Call with
// f.mu held, or for a hint only.
func (v *view) live(uid mailbox.UID) *msg {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	return v.liveLocked(uid)
}

func (v *view) liveLocked(uid mailbox.UID) *msg {
	m := v.f.find(uid)
	if m == nil || m.gone() || !v.knows(m) {
		return nil
	}
	return m
}

// oldSize returns the size of the live message of uid that v knows, 0
// when there is none or it cannot be read.
func (v *view) oldSize(uid mailbox.UID) int64 {
	f := v.f
	f.mu.Lock()
	m := v.liveLocked(uid)
	var size int64
	var path string
	if m != nil {
		size, path = m.size, f.path(m.file())
	}
	f.mu.Unlock()
	if m == nil || size >= 0 {
		return max(size, 0)
	}
	if n := baseSize(m.base); n >= 0 {
		return n
	}
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}

// replaceHere replaces old by n in v's own folder, under one hold of
// its lock: the new message is added and recorded first, then old is
// expunged and that recorded. Should the expunge fail, old is put back
// and the new message expunged again; should the process die between
// the two, both stay.
func (v *view) replaceHere(ctx context.Context, old mailbox.UID, n *newMsg) (*mailbox.ReplaceResult, error) {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if v.closed {
		return nil, mailbox.ErrClosed
	}
	t, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.abort()
	m, err := t.addTmp(n.tmp, n.base, n.size, n.flags, n.date, v.noRecent)
	if err != nil {
		return nil, err
	}
	if err := t.checkpoint(); err != nil {
		t.unadd(m)
		return nil, err
	}
	om := v.liveLocked(old)
	var modseq uint64
	if om != nil {
		if err := t.expungeReplaced(v, om); err != nil {
			// old is back; the new message, recorded, is expunged.
			// Should that fail too, both stay, as after a crash.
			t.modseq = 0
			if t.expungeOne(nil, m) != nil {
				v.claim(m.uid)
				f.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(m.info, f.kw), ModSeq: m.modseq})
				v.event(mailbox.EventMessageNew)
				return nil, err
			}
			if v.syncMsgDirs() == nil {
				// Not recorded, the file's absence says the same.
				_ = t.commit()
			}
			return nil, err
		}
		modseq = t.modseq
	}
	t.abort()
	v.claim(m.uid)
	f.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(m.info, f.kw), ModSeq: m.modseq})
	kinds := mailbox.EventMessageNew
	if om != nil {
		v.hv.Publish(mailbox.Update{Kind: mailbox.UpdateExpunged, UID: om.uid, ModSeq: modseq})
		kinds |= mailbox.EventMessageExpunge
	}
	v.event(kinds)
	return &mailbox.ReplaceResult{UIDValidity: f.uidValidity, UID: m.uid, Expunged: om != nil}, nil
}

// replaceInto adds n to df, another folder, then expunges old from v's;
// if it cannot, n is expunged again. A process that dies between the
// two leaves both.
func (v *view) replaceInto(ctx context.Context, df *folder, old mailbox.UID, n *newMsg) (*mailbox.ReplaceResult, error) {
	m, validity, err := df.addNew(ctx, n)
	if err != nil {
		return nil, err
	}
	v.f.s.publish(df.root, v.a, mailbox.MailboxEvent{Name: df.name, Kinds: mailbox.EventMessageNew})
	expunged, err := v.expungeOld(ctx, old)
	if err != nil {
		df.drop(context.WithoutCancel(ctx), m)
		return nil, err
	}
	return &mailbox.ReplaceResult{UIDValidity: validity, UID: m.uid, Expunged: expunged}, nil
}

// addNew adds n to f as a delivery (it stays \Recent for the next
// session) and returns it with f's UIDVALIDITY.
func (f *folder) addNew(ctx context.Context, n *newMsg) (*msg, uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer t.abort()
	m, err := t.addTmp(n.tmp, n.base, n.size, n.flags, n.date, true)
	if err != nil {
		return nil, 0, err
	}
	if err := t.write(); err != nil {
		t.unadd(m)
		return nil, 0, err
	}
	t.abort()
	f.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(m.info, f.kw), ModSeq: m.modseq})
	return m, f.uidValidity, nil
}

// expungeOld expunges old, if v knows it live, and reports whether it
// did; when it fails, old is as it was.
func (v *view) expungeOld(ctx context.Context, old mailbox.UID) (bool, error) {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if v.closed {
		return false, mailbox.ErrClosed
	}
	t, err := f.begin(ctx)
	if err != nil {
		return false, err
	}
	defer t.abort()
	om := v.liveLocked(old)
	if om == nil {
		return false, nil
	}
	if err := t.expungeReplaced(v, om); err != nil {
		return false, err
	}
	v.event(mailbox.EventMessageExpunge)
	v.hv.Publish(mailbox.Update{Kind: mailbox.UpdateExpunged, UID: om.uid, ModSeq: t.modseq})
	return true, nil
}

// drop expunges m, added by a Replace whose expunge failed, if it is
// still there. Without the lock, its file is removed all the same (the
// next read of the folder finds it gone); should that fail too, m
// stays.
func (f *folder) drop(ctx context.Context, m *msg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		if f.byBase[m.base] == m && !m.gone() {
			os.Remove(f.path(m.file()))
		}
		return
	}
	defer t.abort()
	if f.byBase[m.base] != m || m.gone() {
		return
	}
	if t.expungeOne(nil, m) != nil {
		return
	}
	if !f.s.opts.NoSync {
		syncDir(f.path(filepath.Dir(m.file())))
	}
	// Recorded or not (the file's absence says the same), m is gone.
	_ = t.commit()
	f.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: m.uid, ModSeq: t.modseq})
}

// expungeReplaced expunges om, the message a Replace replaces, and
// writes t, keeping the lock. When that fails, om is put back as it
// was, on disk and in the state, and t's pending changes are dropped:
// its file is first linked into tmp/ to that end. The expunge stands
// once the MODSEQ log records it (a failure to rewrite the uidlist
// then leaves a stale record, which every reader skips). Call with
// f.mu held.
func (t *tx) expungeReplaced(v *view, om *msg) error {
	f := t.f
	t.logged = false
	path := f.path(om.file())
	if _, err := os.Lstat(path); err != nil {
		p, ok := f.search(om.base)
		if !ok {
			// Removed already by another program: nothing to put back.
			if err := t.expungeOne(v, om); err != nil {
				return err
			}
			t.write()
			return nil
		}
		path = p
	}
	link := f.path("tmp", strconv.FormatInt(time.Now().Unix(), 10)+replacedInfix+om.base)
	os.Remove(link)
	if err := os.Link(path, link); err != nil {
		return err
	}
	defer os.Remove(link)
	// What expungeOne changes, to put back.
	entry, hadEntry := t.mod.entries[om.uid]
	wasRecent := v.recent[om.uid]
	stale := f.stale

	done := false
	err := t.expungeOne(v, om)
	if err == nil {
		done = true
		if err = v.syncMsgDirs(); err == nil {
			err = t.write()
		}
	}
	if err == nil || t.logged {
		return nil
	}
	if _, serr := os.Lstat(path); serr != nil {
		if lerr := os.Link(link, path); lerr != nil && !errors.Is(lerr, os.ErrExist) {
			// The old file cannot come back: the replacement is
			// done on disk, and is reported done.
			t.write()
			return nil
		}
		if !f.s.opts.NoSync {
			// The old message is back before the new one goes.
			syncDir(filepath.Dir(path))
		}
	}
	t.uidLines, t.modLines, t.rewrite = nil, nil, false
	if !done {
		return err
	}
	i, _ := slices.BinarySearchFunc(f.msgs, om.uid, func(m *msg, u mailbox.UID) int { return cmpUID(m.uid, u) })
	f.msgs = slices.Insert(f.msgs, i, om)
	f.byBase[om.base] = om
	if hadEntry {
		t.mod.entries[om.uid] = entry
	}
	if wasRecent {
		v.claim(om.uid)
	}
	if n := len(t.mod.tombs); n > 0 && t.mod.tombs[n-1].modseq == t.modseq && t.mod.tombs[n-1].uids.Contains(om.uid) {
		t.mod.tombRanges -= len(t.mod.tombs[n-1].uids)
		t.mod.tombs = t.mod.tombs[:n-1]
	}
	f.stale = stale
	// The views that got it as expunged let it go.
	for w := range f.views {
		w.ghosts = slices.DeleteFunc(w.ghosts, func(m *msg) bool { return m == om })
	}
	om.dropKept()
	om.x = nil
	return err
}

// replacedInfix is in the name of the link in tmp/ that keeps the file
// of a message a Replace expunges until the expunge is recorded:
// "<time>.postkit-replaced.<base>"; one a dead process left is removed
// with the other old files of tmp/ (see cleanTmp).
const replacedInfix = ".postkit-replaced."

// expungeOne unlinks the file of m, a live message, and removes it from
// the folder's state, as Expunge does through v (nil for none); the
// caller syncs the directories, commits t and publishes the expunge.
// Call with f.mu held.
func (t *tx) expungeOne(v *view, m *msg) error {
	f := t.f
	if err := f.unlink(v, m); err != nil {
		return err
	}
	f.msgs = slices.DeleteFunc(f.msgs, func(x *msg) bool { return x == m })
	delete(f.byBase, m.base)
	delete(t.mod.entries, m.uid)
	f.ghost([]*msg{m}, v)
	if v != nil {
		delete(v.recent, m.uid)
	}
	t.expunged(1)
	t.bury([]mailbox.UID{m.uid})
	return nil
}

// syncMsgDirs syncs cur/ and new/ of v's folder after an unlink.
func (v *view) syncMsgDirs() error {
	if err := failAt("syncMsgDirs"); err != nil {
		return err
	}
	if v.f.s.opts.NoSync {
		return nil
	}
	for _, d := range []string{"cur", "new"} {
		if err := syncDir(v.f.path(d)); err != nil {
			return err
		}
	}
	return nil
}
