package maildir

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// msg is a message of a folder. Its fields change only under folder.mu.
type msg struct {
	uid   mailbox.UID
	base  string
	inNew bool // in new/, not yet in cur/
	// unclaimed: in cur/ but \Recent for the next session, like a
	// message in new/; set for a delivery (NoRecent) that carried flags,
	// which only names in cur/ can hold. Kept in memory only.
	unclaimed bool
	odd       string // the name in cur/ when it is not fileName(base, info)
	info      string // flag letters
	size      int64  // -1 until known
	ext       string // the uidlist record's extension fields, kept
	modseq    uint64
	date      atomic.Int64 // internal date in Unix nanoseconds, 0 until read
	// ids are the object identifiers (RFC 8474), computed on first use.
	ids atomic.Pointer[mailbox.ObjectIDs]

	// x is set once the message is expunged (kept apart so that the
	// live messages of a big folder do not pay for it).
	x *expunged
}

// expunged is the state of an expunged message, which stays known to
// the views that knew it until they poll (see view.ghosts).
type expunged struct {
	holders int    // the views that still know it
	kept    string // where its body still is, if anywhere
	// owned: kept is a link in tmp/ that the folder removes when the
	// last holder lets go; otherwise it is where a move or a rename of
	// INBOX put the message.
	owned bool
}

// gone reports whether m was expunged.
func (m *msg) gone() bool { return m.x != nil }

// kept returns where the body of an expunged message is kept, or "".
func (m *msg) kept() string {
	if m.x == nil {
		return ""
	}
	return m.x.kept
}

// keep records where the body of m, being expunged, is kept.
func (m *msg) keep(path string, owned bool) {
	if m.x == nil {
		m.x = &expunged{}
	}
	if m.x.kept == "" {
		m.x.kept, m.x.owned = path, owned
	}
}

// awaitsClaim reports whether m is \Recent for the next read-write view
// that claims it: in new/, or a flagged delivery not yet claimed.
func (m *msg) awaitsClaim() bool { return m.inNew || m.unclaimed }

// file returns the message's path relative to the folder.
func (m *msg) file() string { return msgFile(m.base, m.info, m.odd, m.inNew) }

// msgFile returns the path, relative to the folder, of the file of a
// message of base name base, with the fields of msg.
func msgFile(base, info, odd string, inNew bool) string {
	if inNew {
		return filepath.Join("new", base)
	}
	if odd != "" {
		return filepath.Join("cur", odd)
	}
	return filepath.Join("cur", fileName(base, info))
}

// folder is the in-process state of one folder, shared by its views.
type folder struct {
	s    *Store
	root string // the account's directory
	dir  string
	name string
	hub  mailbox.Hub
	refs int // under s.mu
	gone atomic.Bool

	mu          sync.Mutex
	loaded      bool
	uidValidity uint32
	nextUID     mailbox.UID
	msgs        []*msg // ascending UID
	byBase      map[string]*msg
	kw          *keywords
	mod         *modLog
	uidlistEnd  int64 // length of the whole lines of dovecot-uidlist
	uidlistHdr  []string
	stale       int // uidlist records without a file
	// stamps are those of what a sync reads (currentStamps), as the last
	// full read or this process's last transaction left them; readAt is
	// when the last full read took them.
	stamps [5]stamp
	readAt time.Time
	// ownSince is zero when the stamps of new/ and cur/ are those of the
	// last full read; otherwise this process's transactions have changed
	// those directories since, and ownSince is the time from which a
	// change another process made to them at the same time may hide
	// behind the stamps they left (see changed).
	ownSince time.Time
	reads    int // full reads of the folder, for tests
	// polling is set while the folder has a poller (startPolling).
	polling atomic.Bool
	views   map[*view]struct{} // the open views, under mu
	// pinned: some message is unclaimed (msg.unclaimed), a mark kept
	// only in memory, so the Store does not drop this folder's state
	// when it is idle.
	pinned atomic.Bool
	// busy counts the moves out of the folder in progress, which change
	// it outside its own transactions (watch.go).
	busy atomic.Int32

	pollStop chan struct{}
	pollDone chan struct{} // closed when the poller has returned
}

func (f *folder) path(parts ...string) string {
	return filepath.Join(append([]string{f.dir}, parts...)...)
}

// currentStamps returns the stamps of what a sync reads.
func (f *folder) currentStamps() [5]stamp {
	return [5]stamp{
		stampOf(f.path(uidlistFile)), stampOf(f.path("new")), stampOf(f.path("cur")),
		stampOf(f.path(keywordsFile)), stampOf(f.path(modseqFile)),
	}
}

// listing is what a directory scan found: base name -> info, and which
// are in new/.
type listing struct {
	info  map[string]string
	inNew map[string]bool
	odd   map[string]string // names in cur/ that are not in canonical form
}

// list scans new/ then cur/ (a file moved from new/ to cur/ meanwhile is
// then seen in cur/).
func (f *folder) list() (*listing, error) {
	l := &listing{info: make(map[string]string), inNew: make(map[string]bool), odd: make(map[string]string)}
	for _, sub := range []string{"new", "cur"} {
		d, err := os.Open(f.path(sub))
		if errors.Is(err, os.ErrNotExist) {
			if _, err := os.Lstat(f.dir); err != nil {
				return nil, mailbox.ErrNoSuchMailbox
			}
			if err := os.Mkdir(f.path(sub), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		for {
			names, err := d.Readdirnames(4096)
			for _, n := range names {
				if n == "" || n[0] == '.' {
					continue
				}
				base, info := splitName(n)
				info = normInfo(info)
				if sub == "new" {
					l.inNew[base] = true
					info = ""
				} else {
					delete(l.inNew, base)
					if n != fileName(base, info) {
						l.odd[base] = n // no ":2,", letters out of order, ...
					} else {
						delete(l.odd, base)
					}
				}
				l.info[base] = info
			}
			if err == io.EOF || len(names) == 0 {
				break
			}
			if err != nil {
				d.Close()
				return nil, err
			}
		}
		d.Close()
	}
	return l, nil
}

// sync brings the state up to date with the disk, when it may differ or
// when force is set, and publishes what changed to every view. With lk
// nil it takes the lock only when the disk needs writing (new files to
// number, a MODSEQ to record); with lk held it writes what is needed
// into tx. It must be called with f.mu held.
func (f *folder) sync(ctx context.Context, force bool, t *tx) error {
	if f.gone.Load() {
		return mailbox.ErrNoSuchMailbox
	}
	if !force && (t == nil || f.loaded) && !f.changed(t != nil) {
		if t != nil {
			t.mod = f.mod
		}
		return nil
	}
	if !force && t == nil && f.verify() {
		return nil
	}
	readAt := time.Now()
	stamps := f.currentStamps()
	if !stamps[1].ok && !stamps[2].ok {
		if _, err := os.Lstat(f.dir); err != nil {
			return mailbox.ErrNoSuchMailbox
		}
	}
	if !f.loaded {
		f.cleanTmp(time.Now())
	}
	f.reads++
	ls, err := f.list()
	if err != nil {
		return err
	}
	ub, err := os.ReadFile(f.path(uidlistFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	ul, uerr := parseUidlist(ub)
	kb, _ := os.ReadFile(f.path(keywordsFile))
	kw := parseKeywords(kb)
	if f.kw != nil && f.kw.changed {
		// Letters this process gave keywords in a write that failed:
		// file names may carry them already. Kept where the file
		// leaves them free, and written with the next change.
		for i, n := range f.kw.names {
			if n != "" && kw.names[i] == "" && kw.other[i] == "" && kw.find(n) < 0 {
				kw.names[i], kw.changed = n, true
			}
		}
	}
	var mod *modLog
	if ul != nil {
		mb, _ := os.ReadFile(f.path(modseqFile))
		mod = parseModLog(mb, ul.uidValidity)
	}

	// Records whose file is missing may be files renamed during the
	// scan: scan again before calling them gone.
	if ul != nil {
		missing := false
		for _, r := range ul.recs {
			if _, ok := ls.info[r.base]; !ok && f.byBase[r.base] != nil {
				missing = true
				break
			}
		}
		if missing {
			ls2, err := f.list()
			if err != nil {
				return err
			}
			for b, i := range ls2.info {
				ls.info[b] = i
				if ls2.inNew[b] {
					ls.inNew[b] = true
				} else {
					delete(ls.inNew, b)
				}
				if o, ok := ls2.odd[b]; ok {
					ls.odd[b] = o
				} else {
					delete(ls.odd, b)
				}
			}
		}
	}

	needWrite := uerr != nil
	if !needWrite {
		known := make(map[string]bool, len(ul.recs))
		for _, r := range ul.recs {
			known[r.base] = true
			if info, ok := ls.info[r.base]; ok {
				if e, ok := mod.entries[r.uid]; !ok || e.info != info {
					needWrite = true
				}
			}
		}
		for b := range ls.info {
			if !known[b] {
				needWrite = true
				break
			}
		}
	}
	var own *tx // taken here to write what this read found
	if needWrite && t == nil {
		lt, err := f.lock(ctx)
		switch {
		case err == nil && f.currentStamps() == stamps:
			// Nothing changed since the read (a strict check is
			// enough under the lock): go on with it under the lock
			// rather than read the folder again.
			t, own = lt, lt
			defer own.abort()
		case err == nil:
			if err := f.sync(ctx, true, lt); err != nil {
				lt.abort()
				return err
			}
			return lt.commit()
		case uerr != nil || !errors.Is(err, fs.ErrPermission) && !isReadOnlyFS(err):
			// A maildir this process may not write is shown as it
			// is: the messages it has numbered, with the MODSEQ
			// values logged.
			return err
		}
	}

	if uerr != nil {
		// No usable uidlist: start one, with a new UIDVALIDITY.
		v, err := f.s.newUIDValidity(ctx, f.root)
		if err != nil {
			return err
		}
		ul = &uidList{uidValidity: v, nextUID: 1, hdrExt: []string{"G" + newGUID()}}
		mod = parseModLog(nil, v)
		t.rewrite = true
	}
	if !ul.hasGUID() {
		ul.hdrExt = append(ul.hdrExt, "G"+newGUID())
	}

	if f.loaded && ul.uidValidity == f.uidValidity && f.nextUID > ul.nextUID {
		// A UID this process gave is not given again, even if its
		// record was lost (a failed write): RFC 9051 2.3.1.1.
		ul.nextUID = f.nextUID
	}

	// Build the new state.
	old := f.byBase
	if f.uidValidity != ul.uidValidity {
		old = nil
	}
	var updates []mailbox.Update
	msgs := make([]*msg, 0, len(ul.recs))
	byBase := make(map[string]*msg, len(ul.recs))
	stale := 0
	var modLines []byte
	if t != nil {
		mod.highest = max(mod.highest, f.modHighest())
		t.mod = mod
	}
	add := func(uid mailbox.UID, base, ext string) {
		info := ls.info[base]
		m := old[base]
		if m == nil || m.uid != uid {
			m = &msg{uid: uid, base: base, size: baseSize(base)}
		}
		m.inNew, m.info, m.ext, m.odd = ls.inNew[base], info, ext, ls.odd[base]
		e, ok := mod.entries[uid]
		if !ok || e.info != info {
			if t != nil {
				e = modEntry{t.nextModSeq(), info}
				mod.entries[uid] = e
				modLines = appendEntry(modLines, uid, e)
			} else if !ok {
				e.modseq = 1
			}
		}
		changedFlags := m.modseq != 0 && m.modseq != e.modseq
		m.modseq = e.modseq
		if m.size < 0 {
			if st, err := os.Stat(f.path(m.file())); err == nil {
				m.size = st.Size()
			}
		}
		msgs = append(msgs, m)
		byBase[base] = m
		if old != nil {
			if o := old[base]; o == nil || o.uid != uid {
				// New, or numbered anew (its record was lost): the
				// old UID is expunged below.
				updates = append(updates, mailbox.Update{Kind: mailbox.UpdateAppended, UID: uid, Flags: infoFlags(info, kw), ModSeq: m.modseq})
			} else if changedFlags {
				updates = append(updates, mailbox.Update{Kind: mailbox.UpdateFlags, UID: uid, Flags: infoFlags(info, kw), ModSeq: m.modseq})
			}
		}
	}
	for _, r := range ul.recs {
		if _, ok := ls.info[r.base]; !ok {
			stale++
			continue
		}
		if byBase[r.base] != nil {
			stale++ // the same file twice: keep the first UID
			continue
		}
		add(r.uid, r.base, r.ext)
	}
	if t != nil {
		// Number the files the uidlist does not know, oldest first.
		var fresh []string
		for b := range ls.info {
			if byBase[b] == nil {
				fresh = append(fresh, b)
			}
		}
		sort.Slice(fresh, func(i, j int) bool {
			ti, tj := baseTime(fresh[i]), baseTime(fresh[j])
			if !ti.Equal(tj) {
				return ti.Before(tj)
			}
			return fresh[i] < fresh[j]
		})
		for _, b := range fresh {
			r := uidRec{uid: ul.nextUID, base: b}
			ul.nextUID++
			ul.recs = append(ul.recs, r)
			t.uidLines = appendRec(t.uidLines, r)
			add(r.uid, b, "")
		}
		if stale > 64 && stale > len(msgs)/4 {
			t.rewrite = true
		}
		// Forget the MODSEQ of messages that are gone.
		if len(mod.entries) > len(msgs) {
			live := make(map[mailbox.UID]bool, len(msgs))
			for _, m := range msgs {
				live[m.uid] = true
			}
			for u := range mod.entries {
				if !live[u] {
					delete(mod.entries, u)
				}
			}
		}
		t.mod, t.modLines = mod, modLines
	}
	var removed []*msg
	if old != nil {
		for b, m := range old {
			if n := byBase[b]; n == nil || n.uid != m.uid {
				removed = append(removed, m)
				updates = append(updates, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: m.uid, ModSeq: m.modseq})
			}
		}
	}
	slices.SortFunc(updates, func(a, b mailbox.Update) int { return cmpUID(a.UID, b.UID) })
	slices.SortFunc(removed, func(a, b *msg) int { return cmpUID(a.uid, b.uid) })

	f.loaded = true
	f.uidValidity, f.nextUID = ul.uidValidity, ul.nextUID
	f.msgs, f.byBase, f.kw, f.mod = msgs, byBase, kw, mod
	f.uidlistEnd, f.uidlistHdr, f.stale = int64(ul.end), ul.hdrExt, stale
	f.stamps, f.readAt, f.ownSince = stamps, readAt, time.Time{}
	// Removed by another process: the views that knew them keep them
	// until they poll, without a body.
	f.ghost(removed, nil)
	f.hub.Publish(nil, updates...)
	if own != nil {
		return own.commit()
	}
	return nil
}

// othersKnow reports whether a view other than except knows the live
// message of uid. Call with f.mu held.
func (f *folder) othersKnow(except *view, uid mailbox.UID) bool {
	for w := range f.views {
		if w != except && uid <= w.seen {
			return true
		}
	}
	return false
}

// ghost marks ms (ascending UID), just removed from the state, expunged,
// and gives them to the views but except that knew them, which keep them
// until their next Poll. A kept body nobody holds is removed. Call with
// f.mu held.
func (f *folder) ghost(ms []*msg, except *view) {
	if len(ms) == 0 {
		return
	}
	for _, m := range ms {
		if m.x == nil {
			m.x = &expunged{}
		}
	}
	for w := range f.views {
		if w == except {
			continue
		}
		i := len(w.ghosts)
		for _, m := range ms {
			if m.uid <= w.seen {
				m.x.holders++
				w.ghosts = append(w.ghosts, m)
			}
		}
		if i > 0 && len(w.ghosts) > i {
			slices.SortFunc(w.ghosts, func(a, b *msg) int { return cmpUID(a.uid, b.uid) })
		}
	}
	for _, m := range ms {
		if m.x.holders == 0 {
			m.dropKept()
		}
	}
}

// letGo releases the ghosts of v. Call with f.mu held.
func (v *view) letGo() {
	for _, m := range v.ghosts {
		m.x.holders--
		if m.x.holders == 0 {
			m.dropKept()
		}
	}
	v.ghosts = nil
}

// dropKept removes the link that kept an expunged message's body.
func (m *msg) dropKept() {
	if m.x == nil {
		return
	}
	if m.x.owned {
		os.Remove(m.x.kept)
	}
	m.x.kept, m.x.owned = "", false
}

// tmpMaxAge is the age at which a file left in tmp/ is removed, as
// Dovecot does: a delivery or an append that died, or a link that kept
// an expunged message's body for a process that died.
const tmpMaxAge = 36 * time.Hour

// cleanTmp removes the files of tmp/ named after a time more than
// tmpMaxAge before now ("<unix time>.…", the names this package and
// Dovecot give), when the folder is first loaded.
func (f *folder) cleanTmp(now time.Time) {
	d, err := os.Open(f.path("tmp"))
	if err != nil {
		return
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(1024)
		for _, n := range names {
			t := baseTime(n)
			if t.IsZero() || now.Sub(t) < tmpMaxAge {
				continue
			}
			p := f.path("tmp", n)
			if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
				os.Remove(p)
			}
		}
		if err != nil || len(names) == 0 {
			return
		}
	}
}

// modHighest returns the highest MODSEQ of the state.
func (f *folder) modHighest() uint64 {
	if f.mod == nil {
		return 0
	}
	h := f.mod.highest
	return h
}

// find returns the message of uid, or nil.
func (f *folder) find(uid mailbox.UID) *msg {
	i, ok := slices.BinarySearchFunc(f.msgs, uid, func(m *msg, u mailbox.UID) int {
		switch {
		case m.uid < u:
			return -1
		case m.uid > u:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return f.msgs[i]
}

// newGUID returns a mailbox GUID for the uidlist header.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// startPolling starts the poller of a folder that got a view.
func (f *folder) startPolling() {
	iv := f.s.opts.PollInterval
	if iv == 0 {
		iv = DefaultPollInterval
	}
	if iv < 0 || f.pollStop != nil {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	f.pollStop, f.pollDone = stop, done
	f.polling.Store(true)
	go func() {
		defer close(done)
		t := time.NewTicker(iv)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), iv)
				f.verifyQuiet(ctx)
				if f.mu.TryLock() {
					f.sync(ctx, false, nil)
					f.mu.Unlock()
				}
				cancel()
			}
		}
	}()
}

// stopPolling stops the poller; called under s.mu. It returns a
// channel closed once the poller has returned (it may be reading or
// writing the folder), nil when there was none: wait on it without
// s.mu, so that a folder whose last view closed is left alone.
func (f *folder) stopPolling() <-chan struct{} {
	if f.pollStop == nil {
		return nil
	}
	close(f.pollStop)
	done := f.pollDone
	f.pollStop, f.pollDone = nil, nil
	f.polling.Store(false)
	return done
}

// tx is a change to a folder under its lock.
type tx struct {
	f        *folder
	lk       *dotLock
	mod      *modLog
	uidLines []byte // records to append to dovecot-uidlist
	modLines []byte // lines to append to postkit-modseq
	rewrite  bool   // write dovecot-uidlist whole
	kwDirty  bool
	modseq   uint64 // of the changes of this tx, once one is made
	done     bool
	// aw is the watch state of the folder's account, if it has watches,
	// and before the folder's stamps when the tx began (watch.go).
	aw     *acctWatch
	before [3]stamp
	// began is when the tx found the folder's stamps as recorded.
	began time.Time
	// logged: the last write got as far as the MODSEQ log (see write).
	logged bool
}

// failPoint is nil but in tests, which set it to make a step of a change
// fail as a disk error would: failAt(step) returns its error. The steps
// are "addTmp" (the new file is in place, not synced), "expunge" (the
// unlink of a file), "syncMsgDirs" (the sync of new/ and cur/ after an
// unlink), "rename" (Store's rename of a file for its flags),
// "transfer" (Copy's link or Move's rename of a file), "syncCur"
// (the sync of cur/ after Store's renames, or after Copy and Move put
// files there), "commit" (the start of a tx's write: nothing written
// yet) and "uidlist" (the MODSEQ log written, the uidlist not yet).
var failPoint atomic.Pointer[func(step string) error]

// failAt returns the error failPoint gives step, nil without one.
func failAt(step string) error {
	if fp := failPoint.Load(); fp != nil {
		return (*fp)(step)
	}
	return nil
}

// begin takes the folder's lock and syncs under it. Call with f.mu held;
// commit or abort the tx before releasing it.
func (f *folder) begin(ctx context.Context) (*tx, error) { return f.beginSync(ctx, false) }

// beginSync is begin, reading the disk again if force is set.
func (f *folder) beginSync(ctx context.Context, force bool) (*tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(f.dir); err != nil || f.gone.Load() {
		return nil, mailbox.ErrNoSuchMailbox
	}
	t, err := f.lock(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.sync(ctx, force, t); err != nil {
		t.abort()
		return nil, err
	}
	return t, nil
}

// lock takes the folder's lock for a tx, without syncing. Call with f.mu
// held.
func (f *folder) lock(ctx context.Context) (*tx, error) {
	lk, err := f.s.lockFile(ctx, f.path(uidlistFile))
	if err != nil {
		return nil, err
	}
	t := &tx{f: f, lk: lk, began: time.Now()}
	if aw := f.s.watching(f.root); aw != nil {
		t.aw, t.before = aw, folderStamps(f.dir)
	}
	return t, nil
}

// abort releases the lock without writing (what write wrote stays).
func (t *tx) abort() {
	if !t.done {
		t.done = true
		t.lk.unlock()
	}
}

// commit writes the keywords, the MODSEQ log and the uidlist, and
// releases the lock.
func (t *tx) commit() error {
	if t.done {
		return nil
	}
	defer t.abort()
	return t.write()
}

// checkpoint writes the changes of t so far, as commit does, but keeps
// the lock, so that t goes on with more changes, under a new MODSEQ.
func (t *tx) checkpoint() error {
	if err := t.write(); err != nil {
		return err
	}
	t.modseq, t.began = 0, time.Now()
	if t.aw != nil {
		t.before = folderStamps(t.f.dir)
	}
	return nil
}

// write writes the keywords, the MODSEQ log and the uidlist, keeping
// the lock. t.logged tells, when it fails, whether the log holds the
// changes all the same.
func (t *tx) write() error {
	t.logged = false
	if t.done {
		return nil
	}
	if err := failAt("commit"); err != nil {
		return err
	}
	f, noSync := t.f, t.f.s.opts.NoSync
	if t.kwDirty || f.kw.changed {
		klk, err := f.s.lockFile(context.Background(), f.path(keywordsFile))
		if err != nil {
			return err
		}
		if err := klk.commit(f.kw.format()); err != nil {
			return err
		}
		f.kw.changed = false
	}
	if len(t.modLines) > 0 || t.mod.end == 0 {
		if err := t.mod.write(f.path(modseqFile), t.modLines, noSync); err != nil {
			return err
		}
	}
	t.logged = true
	if err := failAt("uidlist"); err != nil {
		return err
	}
	if t.rewrite || f.uidlistEnd == 0 {
		// The records of the messages there are; those of files that
		// are gone are dropped.
		ul := &uidList{uidValidity: f.uidValidity, nextUID: f.nextUID, hdrExt: f.uidlistHdr, recs: make([]uidRec, len(f.msgs))}
		for i, m := range f.msgs {
			ul.recs[i] = uidRec{uid: m.uid, base: m.base, ext: m.ext}
		}
		b := ul.format()
		if err := writeFileAtomic(f.path(uidlistFile), b, noSync); err != nil {
			return err
		}
		f.uidlistEnd, f.stale = int64(len(b)), 0
	} else if len(t.uidLines) > 0 {
		uf, err := os.OpenFile(f.path(uidlistFile), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = uf.WriteAt(t.uidLines, f.uidlistEnd)
		if err == nil {
			err = uf.Truncate(f.uidlistEnd + int64(len(t.uidLines)))
		}
		if err == nil && !noSync {
			err = uf.Sync()
		}
		if cerr := uf.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		f.uidlistEnd += int64(len(t.uidLines))
	}
	t.uidLines, t.modLines, t.rewrite, t.kwDirty = nil, nil, false, false
	f.noteOwn(t.began)
	if t.aw != nil {
		t.aw.noteCommit(f.dir, t.before, folderStamps(f.dir))
	}
	return nil
}
