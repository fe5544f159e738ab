package maildir

import (
	"context"
	"errors"
	"fmt"
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

// Fetch calls fn for the messages in uids that the view knows: the live
// ones up to what its last Poll reported, and those expunged since by
// others, whose body stays readable when this process expunged them (it
// keeps a link in tmp/ until every view that knew them has polled). It
// reads no message: metadata comes from the state, the body from Open.
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
		if v.closed {
			f.mu.Unlock()
			return mailbox.ErrClosed
		}
		i, _ := slices.BinarySearchFunc(f.msgs, after+1, func(m *msg, u mailbox.UID) int { return cmpUID(m.uid, u) })
		g, _ := slices.BinarySearchFunc(v.ghosts, after+1, func(m *msg, u mailbox.UID) int { return cmpUID(m.uid, u) })
		for len(batch) < fetchBatch {
			// Merge the live messages and the ghosts, by UID.
			var m *msg
			switch {
			case i < len(f.msgs) && f.msgs[i].uid <= v.seen && (g == len(v.ghosts) || f.msgs[i].uid < v.ghosts[g].uid):
				m = f.msgs[i]
				i++
			case g < len(v.ghosts):
				m = v.ghosts[g]
				g++
			}
			if m == nil {
				break
			}
			if !uids.Contains(m.uid) {
				continue
			}
			// The file's path is computed only if the body is read
			// (message.file): most fetches read metadata only.
			batch = append(batch, &message{f: f, m: m, uid: m.uid, flags: v.flags(m), size: m.size, modseq: m.modseq, info: m.info, odd: m.odd, inNew: m.inNew, kept: m.kept()})
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
	// Where its file was (see msg.file), read when it is opened.
	info, odd string
	inNew     bool
	kept      string // where the body of an expunged message is kept
}

// file returns the message's path, relative to the folder, as of the
// snapshot.
func (m *message) file() string { return msgFile(m.m.base, m.info, m.odd, m.inNew) }

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
	st, err := os.Stat(m.f.path(m.file()))
	if err != nil && m.kept != "" {
		st, err = os.Stat(m.kept)
	}
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

var _ mailbox.SaveDater = (*message)(nil)

// SaveDate implements mailbox.SaveDater (RFC 8514 3) with the time the
// message's base name starts with, to the second.
//
// Why the base name: it is given anew whenever a message is saved in a
// folder (Append, Copy, Move, even a move by rename within the account,
// and the rename of INBOX), and never changes while the message stays
// (a flag change renames the file but keeps the base), so the save date
// survives restarts with nothing more stored. Dovecot names the files it
// saves and copies the same way, so its messages get a right save date
// too. Dovecot itself takes the file's ctime when first asked and keeps
// it in its index; a ctime is no use without such an index, since a
// rename (a flag change) moves it. A base name with no time in front
// (another program's) gives no save date: IMAP then says NIL.
func (m *message) SaveDate() time.Time { return baseTime(m.m.base) }

var _ mailbox.ObjectIDer = (*message)(nil)

// ObjectIDs implements mailbox.ObjectIDer with mailbox.ReadObjectIDs,
// read from the file on the first call and remembered.
func (m *message) ObjectIDs(ctx context.Context) (mailbox.ObjectIDs, error) {
	if ids := m.m.ids.Load(); ids != nil {
		return *ids, nil
	}
	b, err := m.Open(ctx)
	if err != nil {
		return mailbox.ObjectIDs{}, err
	}
	defer b.Close()
	ids, err := mailbox.ReadObjectIDs(b)
	if err != nil {
		return ids, err
	}
	m.m.ids.CompareAndSwap(nil, &ids)
	return ids, nil
}

// Open opens the message's file; if its flags changed meanwhile (a new
// name), the file is looked for again.
func (m *message) Open(ctx context.Context) (mailbox.Body, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	file, err := os.Open(m.f.path(m.file()))
	if errors.Is(err, os.ErrNotExist) && m.kept != "" {
		file, err = os.Open(m.kept)
	}
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
// Should a step fail once some files are renamed, those changes stand:
// every view, this one included, learns of them through Poll.
func (v *view) Store(ctx context.Context, uids mailbox.UIDSet, op mailbox.StoreOp, flags []string, opts *mailbox.StoreOptions) (*mailbox.StoreResult, error) {
	if err := v.check(true); err != nil {
		return nil, err
	}
	change, err := cleanFlags(flags)
	if err != nil {
		return nil, err
	}
	if op != mailbox.StoreReplace && op != mailbox.StoreAdd && op != mailbox.StoreRemove {
		return nil, fmt.Errorf("maildir: unknown store operation %d", op)
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
		if !v.knows(m) || !uids.Contains(m.uid) {
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
			m.unclaimed = m.awaitsClaim() && !v.recent[m.uid]
			if m.unclaimed {
				f.pinned.Store(true)
			}
			m.info, m.inNew, m.odd = info, false, ""
			if changed {
				m.modseq = t.nextModSeq()
				t.logModSeq(m)
				updates = append(updates, mailbox.Update{Kind: mailbox.UpdateFlags, UID: m.uid, Flags: infoFlags(info, f.kw), ModSeq: m.modseq})
			}
		}
		res.Updated = append(res.Updated, mailbox.FlagUpdate{UID: m.uid, Flags: v.flags(m), ModSeq: m.modseq})
	}
	// The renames done stand, whatever fails from here on; recording
	// them is best effort (a sync reads the flags from the names).
	err = loopErr
	if renamed {
		if serr := f.syncCur(); err == nil {
			err = serr
		}
	}
	if cerr := t.commit(); err == nil {
		err = cerr
	}
	if len(updates) > 0 {
		v.event(mailbox.EventFlagChange)
	}
	if err != nil {
		// The caller reports no result: every view, this one
		// included, learns of the changes done through Poll.
		f.hub.Publish(nil, updates...)
		return nil, err
	}
	v.hv.Publish(updates...)
	return res, nil
}

// syncCur syncs cur/ after files were renamed or linked into it.
func (f *folder) syncCur() error {
	if err := failAt("syncCur"); err != nil {
		return err
	}
	if f.s.opts.NoSync {
		return nil
	}
	return syncDir(f.path("cur"))
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
	if err := failAt("rename"); err != nil {
		return info, err
	}
	return info, os.Rename(f.path(m.file()), f.path("cur", fileName(m.base, info)))
}

// Expunge unlinks the files of the \Deleted messages the view knows.
// The body of a message another view of this process knows is first
// linked into tmp/, so that view can still read it until it polls.
// Should a step fail once some files are unlinked (another unlink, the
// sync of the directories, the record), those messages are expunged
// all the same: their UIDs are returned with the error, and the other
// views learn of the expunge through Poll.
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
	var removed []*msg
	var loopErr error
	keep := f.msgs[:0:0]
	for _, m := range f.msgs {
		if loopErr == nil && hasLetter(m.info, 'T') && v.knows(m) && (uids == nil || uids.Contains(m.uid)) {
			if err := f.unlink(v, m); err != nil {
				loopErr = err
				keep = append(keep, m)
				continue
			}
			gone = append(gone, m.uid)
			removed = append(removed, m)
			delete(f.byBase, m.base)
			delete(t.mod.entries, m.uid)
			continue
		}
		keep = append(keep, m)
	}
	if len(gone) == 0 {
		return nil, loopErr
	}
	// The files are gone: the expunge stands, whatever fails from here
	// on, and gone is returned with the error (see mailbox.Mailbox), the
	// other views told. Recording it is best effort, as in drop: an
	// expunge the log does not record is one the file's absence says,
	// and ExpungedSince reports it to every QRESYNC client.
	f.msgs = keep
	f.ghost(removed, v)
	err = loopErr
	if serr := v.syncMsgDirs(); err == nil {
		err = serr
	}
	t.expunged(len(gone))
	t.bury(gone)
	if cerr := t.commit(); err == nil {
		err = cerr
	}
	v.event(mailbox.EventMessageExpunge)
	updates := make([]mailbox.Update, len(gone))
	for i, u := range gone {
		updates[i] = mailbox.Update{Kind: mailbox.UpdateExpunged, UID: u, ModSeq: t.modseq}
		delete(v.recent, u)
	}
	v.hv.Publish(updates...)
	return gone, err
}

// unlink removes the file of m, expunged through v, keeping its body in
// tmp/ when another view knows it. Call with f.mu held.
func (f *folder) unlink(v *view, m *msg) error {
	path := f.path(m.file())
	if _, err := os.Lstat(path); err != nil {
		p, ok := f.search(m.base)
		if !ok {
			return nil // removed already by another program
		}
		path = p
	}
	if f.othersKnow(v, m.uid) {
		kept := f.path("tmp", strconv.FormatInt(time.Now().Unix(), 10)+keptInfix+m.base)
		os.Remove(kept)
		if os.Link(path, kept) == nil {
			m.keep(kept, true)
		}
	}
	err := failAt("expunge")
	if err == nil {
		err = os.Remove(path)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		m.dropKept()
		m.x = nil
		return err
	}
	return nil
}

// keptInfix is in the name of a link in tmp/ that keeps the body of an
// expunged message for the views that still know it:
// "<time>.postkit-expunged.<base>". Should the process die before it
// removes the link, the link is removed with the other old files of tmp/
// (see cleanTmp), by Dovecot too.
const keptInfix = ".postkit-expunged."

// source is a message to copy or move.
type source struct {
	m      *msg
	uid    mailbox.UID
	path   string
	base   string
	info   string
	flags  []string
	date   time.Time
	target string // where a move put it
}

// snapshot returns the live messages of uids that v knows.
func (v *view) snapshot(uids mailbox.UIDSet) []source {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []source
	for _, m := range f.msgs {
		if v.knows(m) && uids.Contains(m.uid) {
			out = append(out, source{m: m, uid: m.uid, path: f.path(m.file()), base: m.base, info: m.info, flags: infoFlags(m.info, f.kw)})
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
	if err := a.selectable(ddir); err != nil {
		return nil, err
	}
	srcs := v.snapshot(uids)
	if !move {
		var size int64
		for _, s := range srcs {
			size += max(baseSize(s.base), 0)
		}
		if err := a.quotaCheck(size, int64(len(srcs))); err != nil {
			return nil, err
		}
	}
	var pre [3]stamp
	if move {
		// The files leave this folder in the destination's transaction:
		// the poller of a watch leaves the folder alone until dropMoved
		// has recorded what changed (see acctWatch.noteCommit).
		v.f.busy.Add(1)
		defer v.f.busy.Add(-1)
		v.f.mu.Lock()
		pre = folderStamps(v.f.dir)
		v.f.mu.Unlock()
	}
	df := a.s.folder(a.dir, ddir, dn)
	defer a.s.release(df)
	res, moved, err := df.receive(ctx, srcs, move)
	if res != nil && len(res.Dest) > 0 || len(moved) > 0 {
		a.s.publish(a.dir, v.a, mailbox.MailboxEvent{Name: dn, Kinds: mailbox.EventMessageNew})
	}
	if move && len(moved) > 0 {
		// What moved is expunged here, even if the move fails.
		if derr := v.dropMoved(context.WithoutCancel(ctx), moved, pre, err != nil); err == nil {
			err = derr
		}
		v.event(mailbox.EventMessageExpunge)
	}
	if err != nil {
		return nil, err
	}
	if df == v.f && !v.ro && len(res.Dest) > 0 {
		// Copies into the view's own mailbox are \Recent in it, like
		// its appends; it learns of them through Poll.
		df.mu.Lock()
		for _, u := range res.Dest {
			v.claim(u)
		}
		df.mu.Unlock()
	}
	return res, nil
}

// receive links (or renames, for a move) the source files into f. For a
// move, it returns the sources moved, with their target set.
func (f *folder) receive(ctx context.Context, srcs []source, move bool) (*mailbox.CopyResult, []source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer t.abort()
	res := &mailbox.CopyResult{UIDValidity: f.uidValidity}
	var updates []mailbox.Update
	var moved []source
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
		if err = failAt("transfer"); err != nil {
			loopErr = err
			break
		}
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
			src.target = target
			moved = append(moved, src)
		}
		updates = append(updates, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(info, f.kw), ModSeq: m.modseq})
	}
	undo := func() {
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
	err = loopErr
	if err != nil && !move && len(added) > 0 {
		undo()
	}
	if len(res.Source) > 0 {
		if serr := f.syncCur(); serr != nil && err == nil {
			err = serr
			if !move {
				undo()
			}
		}
	}
	if cerr := t.write(); cerr != nil && err == nil {
		if !move {
			// Not recorded: the copies go again, under the lock
			// still, lest a client told NO find them there.
			for _, m := range added {
				t.unadd(m)
			}
			return nil, nil, cerr
		}
		err = cerr
	}
	// What a move renamed here stays here, recorded or not (a sync
	// numbers the files it finds), and every view learns of it.
	f.hub.Publish(nil, updates...)
	if err != nil {
		// A failed MOVE keeps what moved, and the source expunges it.
		return nil, moved, err
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

// dropMoved removes moved messages from the source's state. The other
// views that know them keep them until they poll, their body where the
// move put it. pre are the folder's stamps before the move. failed: the
// move fails, so it returns no result that would report the expunge to
// this view; the view's next Poll does, as when dropMoved itself fails.
func (v *view) dropMoved(ctx context.Context, moved []source, pre [3]stamp, failed bool) error {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		// The next sync finds the files gone and reports their
		// expunge to every view, this one included.
		return err
	}
	defer t.abort()
	t.before = pre
	for _, src := range moved {
		src.m.keep(src.target, false)
	}
	// The sync under the lock may have found some files gone already:
	// it published their expunge to every view, this one included (see
	// below). The others are removed here.
	var removed, already []*msg
	isMoved := make(map[*msg]bool, len(moved))
	for _, src := range moved {
		m := src.m
		isMoved[m] = true
		delete(v.recent, m.uid)
		if f.byBase[m.base] != m {
			already = append(already, m)
			continue
		}
		removed = append(removed, m)
		delete(f.byBase, m.base)
		delete(t.mod.entries, m.uid)
	}
	if len(removed) > 0 {
		f.msgs = slices.DeleteFunc(f.msgs, func(m *msg) bool { return isMoved[m] && f.byBase[m.base] != m })
	}
	t.expunged(len(moved))
	buried := make([]mailbox.UID, len(removed))
	ups := make([]mailbox.Update, len(removed))
	for i, m := range removed {
		buried[i] = m.uid
	}
	t.bury(buried)
	// The files are gone from here: the expunge stands, recorded or
	// not (a sync finds them gone all the same).
	err = t.commit()
	for i, m := range removed {
		ups[i] = mailbox.Update{Kind: mailbox.UpdateExpunged, UID: m.uid, ModSeq: t.modseq}
	}
	if failed || err != nil {
		// Move returns no result: this view learns of the expunge
		// through Poll, like the others.
		f.ghost(removed, nil)
		f.hub.Publish(nil, ups...)
		return err
	}
	// Move's result reports the expunge to this view, which drops
	// those the sync published from its queue at the next Poll, and
	// does not keep what it moved.
	f.ghost(removed, v)
	for _, m := range already {
		if v.skip == nil {
			v.skip = make(map[mailbox.UID]bool)
		}
		v.skip[m.uid] = true
	}
	kept := v.ghosts[:0]
	for _, m := range v.ghosts {
		if isMoved[m] {
			m.x.holders--
			if m.x.holders == 0 {
				m.dropKept()
			}
			continue
		}
		kept = append(kept, m)
	}
	clear(v.ghosts[len(kept):])
	v.ghosts = kept
	v.hv.Publish(ups...)
	return nil
}

// Updates returns the channel signalled when other views changed the
// folder.
func (v *view) Updates() <-chan struct{} { return v.hv.Updates() }

// NotifyUpdates implements mailbox.Notifier: f runs when Updates would
// be signalled, for changes made in this process or found on disk by the
// folder's poller.
func (v *view) NotifyUpdates(f func()) (stop func() bool) { return v.hv.NotifyUpdates(f) }

var _ mailbox.Notifier = (*view)(nil)

// Poll looks for changes made by other processes, then returns those of
// other views and processes, and the messages added through this view,
// and brings the view up to date: it then knows exactly the folder's
// live messages. A read-write view claims the messages of new/ as
// \Recent; the flags in the updates include \Recent where the message
// is recent in this view. When updates were lost
// (mailbox.ErrUpdatesLost) the view is brought up to date all the same.
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
	ups, perr := v.hv.Poll()
	out := ups[:0]
	for _, u := range ups {
		if u.Kind == mailbox.UpdateExpunged && v.skip[u.UID] {
			delete(v.skip, u.UID)
			continue
		}
		out = append(out, u)
	}
	if len(out) == 0 && perr == nil && len(v.ghosts) == 0 {
		return nil, nil
	}
	v.seen = f.nextUID - 1
	v.letGo()
	// The updates are taken: a failure to claim \Recent (a lock timeout)
	// must not lose them. The messages are claimed at a later Poll.
	_ = v.claimRecent(ctx)
	for i, u := range out {
		if u.Kind != mailbox.UpdateAppended && u.Kind != mailbox.UpdateFlags {
			continue
		}
		// A change reported late must not undo a later one: the update
		// carries the message's flags as they are now.
		if m := f.find(u.UID); m != nil && !m.gone() {
			u.Flags, u.ModSeq = infoFlags(m.info, f.kw), m.modseq
		}
		if v.recent[u.UID] || v.ro && u.Kind == mailbox.UpdateAppended && f.awaitsClaim(u.UID) {
			// The Flags slice is shared with the other views: copy it.
			u.Flags = append(slices.Clip(u.Flags), mailbox.FlagRecent)
		}
		out[i] = u
	}
	if len(out) == 0 {
		out = nil
	}
	return out, perr
}

// awaitsClaim reports whether the message of uid is live and \Recent
// for the next read-write view (see msg.awaitsClaim).
func (f *folder) awaitsClaim(uid mailbox.UID) bool {
	m := f.find(uid)
	return m != nil && m.awaitsClaim()
}

// Close closes the view; the messages recent in it stay claimed.
// Closing twice is not an error.
func (v *view) Close() error {
	f := v.f
	f.mu.Lock()
	if v.closed {
		f.mu.Unlock()
		return nil
	}
	v.closed = true
	v.letGo()
	delete(f.views, v)
	f.mu.Unlock()
	v.hv.Leave()
	f.s.release(f)
	return nil
}

var _ io.ReaderAt = (*body)(nil)
