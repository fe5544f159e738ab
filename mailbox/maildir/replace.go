package maildir

import (
	"context"
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
// quota.go). Within one folder, the new file is renamed into cur/ and
// the old one unlinked under the folder's lock, in one transaction of
// its dovecot-uidlist. Into another folder, the message is added there
// first, then old is expunged here; if the expunge fails, the new
// message is removed again. A process that dies between the two leaves
// both messages, never neither.
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

// replaceHere replaces old by n in v's own folder, in one transaction.
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
	om := v.liveLocked(old)
	if om != nil {
		if err := t.expungeOne(v, om); err != nil {
			// The new message goes again; its UID is skipped.
			os.Remove(f.path(m.file()))
			f.msgs = f.msgs[:len(f.msgs)-1]
			delete(f.byBase, m.base)
			delete(t.mod.entries, m.uid)
			t.expunged(1)
			_ = t.commit()
			return nil, err
		}
		if err := v.syncMsgDirs(); err != nil {
			return nil, err
		}
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	v.claim(m.uid)
	f.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(m.info, f.kw), ModSeq: m.modseq})
	kinds := mailbox.EventMessageNew
	if om != nil {
		v.hv.Publish(mailbox.Update{Kind: mailbox.UpdateExpunged, UID: om.uid, ModSeq: t.modseq})
		kinds |= mailbox.EventMessageExpunge
	}
	v.event(kinds)
	return &mailbox.ReplaceResult{UIDValidity: f.uidValidity, UID: m.uid, Expunged: om != nil}, nil
}

// replaceInto adds n to df, another folder, then expunges old from v's;
// if it cannot, n is removed again.
func (v *view) replaceInto(ctx context.Context, df *folder, old mailbox.UID, n *newMsg) (*mailbox.ReplaceResult, error) {
	m, validity, err := df.addNew(ctx, n)
	if err != nil {
		return nil, err
	}
	v.f.s.publish(df.root, v.a, mailbox.MailboxEvent{Name: df.name, Kinds: mailbox.EventMessageNew})
	expunged, err := v.expungeOld(ctx, old)
	if err != nil {
		if !expunged {
			df.drop(context.WithoutCancel(ctx), m)
		}
		// When the expunge is done but not recorded, both messages
		// stay rather than neither.
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
	if err := t.commit(); err != nil {
		return nil, 0, err
	}
	f.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(m.info, f.kw), ModSeq: m.modseq})
	return m, f.uidValidity, nil
}

// expungeOld expunges old, if v knows it live, and reports whether it
// did; true with an error means that the file is gone but the change
// is not recorded.
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
	if err := t.expungeOne(v, om); err != nil {
		return false, err
	}
	err = v.syncMsgDirs()
	if err == nil {
		err = t.commit()
	}
	v.event(mailbox.EventMessageExpunge)
	if err != nil {
		return true, err
	}
	v.hv.Publish(mailbox.Update{Kind: mailbox.UpdateExpunged, UID: om.uid, ModSeq: t.modseq})
	return true, nil
}

// drop removes m, added by a Replace whose expunge failed, if it is
// still there. Should that fail too, m stays.
func (f *folder) drop(ctx context.Context, m *msg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		return
	}
	defer t.abort()
	if f.byBase[m.base] != m || m.gone() {
		return
	}
	if t.expungeOne(nil, m) != nil {
		return
	}
	if t.commit() == nil {
		f.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: m.uid, ModSeq: t.modseq})
	}
}

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
