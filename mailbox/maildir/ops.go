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

// fetchBatch is how many messages Fetch snapshots at a time, so that fn
// runs without the folder's lock and memory stays bounded.
const fetchBatch = 1024

// Fetch calls fn for the messages in uids that the view sees. It reads
// no message: metadata comes from the state, the body from Open.
func (v *view) Fetch(ctx context.Context, uids mailbox.UIDSet, fn func(mailbox.Message) error) error {
	if err := v.check(false); err != nil {
		return err
	}
	f := v.f
	after := mailbox.UID(0)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var batch []*message
		f.mu.Lock()
		i, _ := slices.BinarySearchFunc(f.msgs, after+1, func(m *msg, u mailbox.UID) int { return cmpUID(m.uid, u) })
		for ; i < len(f.msgs) && len(batch) < fetchBatch; i++ {
			m := f.msgs[i]
			if !uids.Contains(m.uid) || !v.visible(m.uid) {
				continue
			}
			fl := infoFlags(m.info, f.kw)
			if v.recent[m.uid] {
				fl = append(fl, mailbox.FlagRecent)
			}
			batch = append(batch, &message{f: f, m: m, uid: m.uid, flags: fl, size: m.size, modseq: m.modseq, file: m.file()})
		}
		f.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		for _, msg := range batch {
			if err := fn(msg); err != nil {
				return err
			}
		}
		after = batch[len(batch)-1].uid
	}
}

func cmpUID(a, b mailbox.UID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// message is a snapshot of a message for Fetch.
type message struct {
	f      *folder
	m      *msg
	uid    mailbox.UID
	flags  []string
	size   int64
	modseq uint64
	file   string
}

func (m *message) UID() mailbox.UID { return m.uid }
func (m *message) Flags() []string  { return m.flags }
func (m *message) Size() int64      { return m.size }
func (m *message) ModSeq() uint64   { return m.modseq }

// InternalDate is the file's mtime, as Dovecot keeps it; it is read on
// first use and remembered.
func (m *message) InternalDate() time.Time {
	if d := m.m.date.Load(); d != 0 {
		return time.Unix(0, d)
	}
	st, err := os.Stat(m.f.path(m.file))
	if err != nil {
		if p, ok := m.f.locate(m.m); ok {
			st, err = os.Stat(p)
		}
	}
	if err != nil {
		return baseTime(m.m.base)
	}
	m.m.date.Store(st.ModTime().UnixNano())
	return st.ModTime()
}

// Open opens the message's file; if its flags changed meanwhile (a new
// name), the file is looked for again.
func (m *message) Open(ctx context.Context) (mailbox.Body, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	file, err := os.Open(m.f.path(m.file))
	if errors.Is(err, os.ErrNotExist) {
		p, ok := m.f.locate(m.m)
		if !ok {
			return nil, err
		}
		file, err = os.Open(p)
	}
	if err != nil {
		return nil, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	return &body{File: file, size: st.Size()}, nil
}

// locate finds the current file of m, scanning cur/ if need be.
func (f *folder) locate(m *msg) (string, bool) {
	f.mu.Lock()
	p := f.path(m.file())
	f.mu.Unlock()
	if _, err := os.Stat(p); err == nil {
		return p, true
	}
	return f.search(m.base)
}

// search looks for the file of base in new/ and cur/.
func (f *folder) search(base string) (string, bool) {
	if _, err := os.Stat(f.path("new", base)); err == nil {
		return f.path("new", base), true
	}
	d, err := os.Open(f.path("cur"))
	if err != nil {
		return "", false
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(4096)
		for _, n := range names {
			if b, _ := splitName(n); b == base {
				return f.path("cur", n), true
			}
		}
		if err != nil || len(names) == 0 {
			return "", false
		}
	}
}

// body is an open message file.
type body struct {
	*os.File
	size int64
}

func (b *body) Size() int64 { return b.size }

// Store changes flags by renaming files in cur/, under the folder's lock.
func (v *view) Store(ctx context.Context, uids mailbox.UIDSet, op mailbox.StoreOp, flags []string, opts *mailbox.StoreOptions) (*mailbox.StoreResult, error) {
	if err := v.check(true); err != nil {
		return nil, err
	}
	var change []string
	for _, fl := range flags {
		if mailbox.CanonicalFlag(fl) == mailbox.FlagRecent {
			continue
		}
		if !mailbox.ValidFlag(fl) {
			return nil, errors.New("maildir: invalid flag " + strconv.Quote(fl))
		}
		change = append(change, fl)
	}
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.abort()
	res := &mailbox.StoreResult{}
	var updates []mailbox.Update
	var loopErr error
	renamed := false
	for _, m := range f.msgs {
		if !uids.Contains(m.uid) || !v.visible(m.uid) {
			continue
		}
		if opts != nil && opts.UnchangedSince != 0 && m.modseq > opts.UnchangedSince {
			res.Modified = append(res.Modified, m.uid)
			continue
		}
		info, err := f.apply(m, op, change)
		if errors.Is(err, os.ErrNotExist) {
			// Renamed by a program that takes no lock: find it and
			// apply the change to its flags as they are now.
			p, ok := f.search(m.base)
			if !ok {
				continue // expunged: the next sync reports it
			}
			_, pinfo := splitName(filepath.Base(p))
			m.inNew, m.info, m.odd = filepath.Base(filepath.Dir(p)) == "new", normInfo(pinfo), ""
			if m.inNew {
				m.info = ""
			} else if filepath.Base(p) != fileName(m.base, m.info) {
				m.odd = filepath.Base(p)
			}
			info, err = f.apply(m, op, change)
		}
		if err != nil {
			loopErr = err // what was done is still recorded
			break
		}
		if info != m.info || m.inNew || m.odd != "" {
			renamed = true
			changed := info != m.info
			m.info, m.inNew, m.odd = info, false, ""
			if changed {
				m.modseq = t.nextModSeq()
				t.logModSeq(m)
				updates = append(updates, mailbox.Update{Kind: mailbox.UpdateFlags, UID: m.uid, Flags: infoFlags(info, f.kw), ModSeq: m.modseq})
			}
		}
		fl := infoFlags(m.info, f.kw)
		if v.recent[m.uid] {
			fl = append(fl, mailbox.FlagRecent)
		}
		res.Updated = append(res.Updated, mailbox.FlagUpdate{UID: m.uid, Flags: fl, ModSeq: m.modseq})
	}
	if renamed && !f.s.opts.NoSync {
		if err := syncDir(f.path("cur")); err != nil {
			return nil, err
		}
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	v.hv.Publish(updates...)
	if loopErr != nil {
		return nil, loopErr
	}
	return res, nil
}

// apply renames the file of m for its flags changed by op, and returns
// its new info letters; the error is os.ErrNotExist when the file is
// not where m says.
func (f *folder) apply(m *msg, op mailbox.StoreOp, change []string) (string, error) {
	nf := mailbox.ApplyFlags(infoFlags(m.info, f.kw), op, change)
	info, err := flagsInfo(nf, f.kw, m.info)
	if err != nil || info == m.info && !m.inNew && m.odd == "" {
		return info, err
	}
	return info, os.Rename(f.path(m.file()), f.path("cur", fileName(m.base, info)))
}

// Expunge unlinks the files of the \Deleted messages.
func (v *view) Expunge(ctx context.Context, uids *mailbox.UIDSet) ([]mailbox.UID, error) {
	if err := v.check(true); err != nil {
		return nil, err
	}
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.abort()
	var gone []mailbox.UID
	var loopErr error
	keep := f.msgs[:0:0]
	for _, m := range f.msgs {
		if hasLetter(m.info, 'T') && v.visible(m.uid) && (uids == nil || uids.Contains(m.uid)) {
			err := os.Remove(f.path(m.file()))
			if errors.Is(err, os.ErrNotExist) {
				if p, ok := f.search(m.base); ok {
					err = os.Remove(p)
				}
			}
			if err != nil && !errors.Is(err, os.ErrNotExist) && loopErr == nil {
				loopErr = err
			}
			if loopErr != nil {
				keep = append(keep, m)
				continue
			}
			gone = append(gone, m.uid)
			delete(f.byBase, m.base)
			delete(t.mod.entries, m.uid)
			continue
		}
		keep = append(keep, m)
	}
	if len(gone) == 0 {
		return nil, loopErr
	}
	f.msgs = keep
	if !f.s.opts.NoSync {
		for _, d := range []string{"cur", "new"} {
			if err := syncDir(f.path(d)); err != nil {
				return nil, err
			}
		}
	}
	t.expunged(len(gone))
	if err := t.commit(); err != nil {
		return gone, err
	}
	updates := make([]mailbox.Update, len(gone))
	for i, u := range gone {
		updates[i] = mailbox.Update{Kind: mailbox.UpdateExpunged, UID: u, ModSeq: t.modseq}
		delete(v.recent, u)
	}
	v.hv.Publish(updates...)
	return gone, loopErr
}

// source is a message to copy or move.
type source struct {
	uid   mailbox.UID
	path  string
	base  string
	info  string
	flags []string
	date  time.Time
}

// snapshot returns the messages of uids that v sees.
func (v *view) snapshot(uids mailbox.UIDSet) []source {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []source
	for _, m := range f.msgs {
		if uids.Contains(m.uid) && v.visible(m.uid) {
			out = append(out, source{uid: m.uid, path: f.path(m.file()), base: m.base, info: m.info, flags: infoFlags(m.info, f.kw)})
		}
	}
	return out
}

// Copy hard-links the files into the destination (copying them when it
// cannot) under new names, and numbers them there.
func (v *view) Copy(ctx context.Context, uids mailbox.UIDSet, dest string) (*mailbox.CopyResult, error) {
	return v.transfer(ctx, uids, dest, false)
}

// Move renames the files into the destination and expunges them here
// (RFC 6851); a file that cannot be renamed (another file system) is
// copied.
func (v *view) Move(ctx context.Context, uids mailbox.UIDSet, dest string) (*mailbox.CopyResult, error) {
	if err := v.check(true); err != nil {
		return nil, err
	}
	return v.transfer(ctx, uids, dest, true)
}

func (v *view) transfer(ctx context.Context, uids mailbox.UIDSet, dest string, move bool) (*mailbox.CopyResult, error) {
	if err := v.check(false); err != nil {
		return nil, err
	}
	a := &account{s: v.f.s, dir: v.f.root}
	dn, ddir, err := a.resolve(dest)
	if err != nil {
		return nil, err
	}
	if !isDir(ddir) {
		return nil, mailbox.ErrNoSuchMailbox
	}
	srcs := v.snapshot(uids)
	df := a.s.folder(a.dir, ddir, dn)
	defer a.s.release(df)
	res, moved, err := df.receive(ctx, srcs, move)
	if move && len(moved) > 0 {
		if derr := v.dropMoved(ctx, moved); err == nil {
			err = derr
		}
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// receive links (or renames, for a move) the source files into f.
func (f *folder) receive(ctx context.Context, srcs []source, move bool) (*mailbox.CopyResult, []mailbox.UID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer t.abort()
	res := &mailbox.CopyResult{UIDValidity: f.uidValidity}
	var updates []mailbox.Update
	var moved []mailbox.UID
	var added []*msg
	var loopErr error
	for _, src := range srcs {
		if loopErr = ctx.Err(); loopErr != nil {
			break
		}
		info, err := flagsInfo(src.flags, f.kw, src.info)
		if err != nil {
			loopErr = err
			break
		}
		size, vsize := baseSize(src.base), baseVSize(src.base)
		if size < 0 || vsize < 0 {
			st, err := os.Stat(src.path)
			if err != nil {
				continue
			}
			size, vsize = st.Size(), st.Size()
		}
		m := &msg{base: newBase(time.Now(), size, vsize), info: info, size: size}
		target := f.path(m.file())
		if move {
			err = os.Rename(src.path, target)
		} else {
			err = os.Link(src.path, target)
		}
		if errors.Is(err, os.ErrNotExist) {
			continue // expunged meanwhile
		}
		if err != nil {
			err = f.copyFile(ctx, src.path, target)
			if err == nil && move {
				err = os.Remove(src.path)
			}
		}
		if err != nil {
			loopErr = err
			break
		}
		t.add(m)
		added = append(added, m)
		res.Source = append(res.Source, src.uid)
		res.Dest = append(res.Dest, m.uid)
		if move {
			moved = append(moved, src.uid)
		}
		updates = append(updates, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(info, f.kw), ModSeq: m.modseq})
	}
	if loopErr != nil && !move && len(added) > 0 {
		// RFC 9051 6.4.7: a failed COPY leaves the destination as it
		// was. The UIDs given are skipped.
		for _, m := range added {
			os.Remove(f.path(m.file()))
			delete(f.byBase, m.base)
		}
		f.msgs = f.msgs[:len(f.msgs)-len(added)]
		t.expunged(len(added))
		updates = nil
	}
	if len(res.Source) > 0 && !f.s.opts.NoSync {
		if err := syncDir(f.path("cur")); err != nil {
			return nil, nil, err
		}
	}
	if err := t.commit(); err != nil {
		return nil, nil, err
	}
	f.hub.Publish(nil, updates...)
	if loopErr != nil {
		// A failed MOVE keeps what moved, and the source expunges it.
		return nil, moved, loopErr
	}
	return res, moved, nil
}

// copyFile copies src to target by way of tmp/, keeping the mtime.
func (f *folder) copyFile(ctx context.Context, src, target string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	tmp, _, _, err := f.writeTmp(ctx, in, st.ModTime())
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// dropMoved removes moved messages from the source's state.
func (v *view) dropMoved(ctx context.Context, uids []mailbox.UID) error {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		return err
	}
	defer t.abort()
	// The sync under the lock found the files gone and published their
	// expunge to every view; this view reports them itself (Move's
	// result), so it drops those from its queue at the next Poll.
	if v.skip == nil {
		v.skip = make(map[mailbox.UID]bool)
	}
	for _, u := range uids {
		v.skip[u] = true
		delete(v.recent, u)
	}
	t.expunged(len(uids))
	return t.commit()
}

// Updates returns the channel signalled when other views changed the
// folder.
func (v *view) Updates() <-chan struct{} { return v.hv.Updates() }

// Poll looks for changes made by other processes, then returns those of
// other views and processes; a read-write view claims new messages as
// \Recent.
func (v *view) Poll(ctx context.Context) ([]mailbox.Update, error) {
	if err := v.check(false); err != nil {
		return nil, err
	}
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.sync(ctx, false, nil); err != nil {
		return nil, err
	}
	ups, err := v.hv.Poll()
	if err != nil {
		return nil, err
	}
	out := ups[:0]
	for _, u := range ups {
		if u.Kind == mailbox.UpdateExpunged && v.skip[u.UID] {
			delete(v.skip, u.UID)
			continue
		}
		if u.Kind == mailbox.UpdateAppended && u.UID > v.seen {
			v.seen = u.UID
		}
		out = append(out, u)
	}
	for u := range v.extra {
		if u <= v.seen {
			delete(v.extra, u)
		}
	}
	// The updates are taken: a failure to claim \Recent (a lock timeout)
	// must not lose them. The messages are claimed at a later Poll.
	_ = v.claimRecent(ctx)
	return out, nil
}

// Close closes the view.
func (v *view) Close() error {
	if v.closed {
		return nil
	}
	v.closed = true
	v.hv.Leave()
	v.f.s.release(v.f)
	return nil
}

var _ io.ReaderAt = (*body)(nil)
var _ = filepath.Join
