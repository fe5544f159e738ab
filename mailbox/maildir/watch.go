package maildir

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// Accounts implement mailbox.AccountWatcher (IMAP NOTIFY, RFC 5465).
// The watches of an account share one mailbox.AccountHub per Store,
// found by the account's directory, which lives while a watch does.
// Changes made through a handle of the Store are published as they are
// made, with the handle as origin (RFC 5465 5: a client is not told of
// what it did). Changes made by other processes (a delivery agent
// writing into new/, Dovecot, another Store) are found by a poller,
// one per watched account, every Options.PollInterval: it stats the
// account's directory, and each folder's new/, cur/ and dovecot-uidlist,
// and reads a directory only when its stamp moved. Its events carry no
// origin.
//
// So that the poller does not report again what a handle of this Store
// did, every transaction that finds a folder as the poller last saw it
// (under the folder's lock) records the stamps it leaves; one that finds
// it changed leaves the change for the poller to report. A move changes
// its source in the destination's transaction: the source is marked
// busy, for the poller to skip, until its own transaction records it.
// Creating, deleting and renaming folders record the folder list the
// same way, under acctWatch.names. What another process changes while
// such a transaction runs (a delivery into new/ in those milliseconds)
// is taken for the transaction's doing: the watches of the other handles
// hear of the folder, that of the handle that made the transaction does
// not. On a file system with coarse timestamps, a change made within
// the granularity of the last one may go unnoticed until the folder
// changes again.

var _ mailbox.AccountWatcher = (*account)(nil)

// acctWatch is the state of the watches of one account of a Store.
type acctWatch struct {
	s    *Store
	dir  string // the account's directory
	hub  mailbox.AccountHub
	stop chan struct{} // closed to stop the poller; nil when there is none
	done chan struct{} // closed when the poller has returned

	// names serializes the scans of the account's directory with the
	// Create, Delete and Rename of this Store's handles.
	names sync.Mutex
	// mu guards the fields below.
	mu      sync.Mutex
	root    stamp                  // of the account's directory, at the last scan
	folders map[string]*folderSnap // by directory, INBOX's included
}

// folderSnap is what the poller last saw of a folder.
type folderSnap struct {
	name   string
	stamps [3]stamp
}

// folderStamps returns the stamps the poller compares: the uidlist,
// which every numbering changes, and new/ and cur/, which a delivery, an
// expunge and a flag change (a rename) change.
func folderStamps(dir string) [3]stamp {
	return [3]stamp{stampOf(filepath.Join(dir, uidlistFile)), stampOf(filepath.Join(dir, "new")), stampOf(filepath.Join(dir, "cur"))}
}

// WatchAccount implements mailbox.AccountWatcher: the watch sees the
// changes made through the other handles of the account in this Store,
// at once, and those of other processes within a PollInterval. Closing
// the handle stops its watches.
func (a *account) WatchAccount() *mailbox.AccountWatch {
	s := a.s
	s.wmu.Lock()
	aw := s.watched[a.dir]
	if aw == nil {
		aw = &acctWatch{s: s, dir: a.dir}
		aw.hub.OnIdle = func() { s.unwatch(aw) }
		aw.names.Lock()
		aw.scanNames(false)
		aw.names.Unlock()
		if s.watched == nil {
			s.watched = make(map[string]*acctWatch)
		}
		s.watched[a.dir] = aw
		aw.startPolling()
	}
	w := aw.hub.Watch(a)
	s.wmu.Unlock()
	a.wmu.Lock()
	closed := a.closed.Load()
	if !closed {
		a.watches = append(a.watches, w)
	}
	a.wmu.Unlock()
	if closed {
		w.Stop() // a watch of a closed handle gets nothing
	}
	return w
}

// stopWatches stops the watches of a handle being closed.
func (a *account) stopWatches() {
	a.wmu.Lock()
	ws := a.watches
	a.watches = nil
	a.wmu.Unlock()
	for _, w := range ws {
		w.Stop()
	}
}

// unwatch forgets aw and stops its poller once it has no watch left.
func (s *Store) unwatch(aw *acctWatch) {
	s.wmu.Lock()
	if aw.hub.Len() > 0 || s.watched[aw.dir] != aw {
		s.wmu.Unlock()
		return
	}
	delete(s.watched, aw.dir)
	stop, done := aw.stop, aw.done
	aw.stop = nil
	s.wmu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// watching returns the watch state of the account in dir, or nil when
// it has no watch.
func (s *Store) watching(dir string) *acctWatch {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.watched[dir]
}

// publish reports a change to the watches of the account in dir, if
// any; origin is the handle that made it.
func (s *Store) publish(dir string, origin *account, ev mailbox.MailboxEvent) {
	if aw := s.watching(dir); aw != nil {
		var o any
		if origin != nil {
			o = origin
		}
		aw.hub.Publish(o, ev)
	}
}

// startPolling starts the poller unless Options.PollInterval is
// negative. Called under s.wmu.
func (aw *acctWatch) startPolling() {
	iv := aw.s.opts.PollInterval
	if iv == 0 {
		iv = DefaultPollInterval
	}
	if iv < 0 {
		return
	}
	aw.stop, aw.done = make(chan struct{}), make(chan struct{})
	go aw.poll(iv, aw.stop, aw.done)
}

func (aw *acctWatch) poll(iv time.Duration, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			aw.names.Lock()
			aw.scanNames(true)
			aw.names.Unlock()
			aw.scanFolders(stop)
		}
	}
}

// scanNames brings the folder list up to date when the account's
// directory changed, reporting the folders that appeared and went if
// report is set. Call with aw.names held.
func (aw *acctWatch) scanNames(report bool) {
	st := stampOf(aw.dir)
	aw.mu.Lock()
	same := aw.folders != nil && st == aw.root
	aw.mu.Unlock()
	if same {
		return
	}
	ents, err := os.ReadDir(aw.dir)
	if err != nil {
		return
	}
	now := map[string]string{aw.dir: mailbox.Inbox}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if n, ok := nameOfDir(e.Name()); ok {
			now[filepath.Join(aw.dir, e.Name())] = n
		}
	}
	aw.mu.Lock()
	if aw.folders == nil {
		aw.folders = make(map[string]*folderSnap, len(now))
	}
	var changed []string
	for dir, fs := range aw.folders {
		if n, ok := now[dir]; !ok || n != fs.name {
			delete(aw.folders, dir)
			changed = append(changed, fs.name)
		}
	}
	for dir, n := range now {
		if aw.folders[dir] == nil {
			aw.folders[dir] = &folderSnap{name: n, stamps: folderStamps(dir)}
			changed = append(changed, n)
		}
	}
	aw.root = st
	aw.mu.Unlock()
	if !report {
		return
	}
	slices.Sort(changed)
	for _, n := range slices.Compact(changed) {
		aw.hub.Publish(nil, mailbox.MailboxEvent{Name: n, Kinds: mailbox.EventMailboxName})
	}
}

// scanFolders reports the folders whose stamps moved since the poller or
// a transaction of this Store last saw them. A folder that a handle of
// this Store is changing now (its lock is held) is looked at next time.
func (aw *acctWatch) scanFolders(stop chan struct{}) {
	aw.mu.Lock()
	dirs := make([]string, 0, len(aw.folders))
	for d := range aw.folders {
		dirs = append(dirs, d)
	}
	aw.mu.Unlock()
	slices.Sort(dirs)
	for _, dir := range dirs {
		select {
		case <-stop:
			return
		default:
		}
		cur := folderStamps(dir)
		aw.mu.Lock()
		fs := aw.folders[dir]
		same := fs == nil || fs.stamps == cur
		aw.mu.Unlock()
		if same {
			continue
		}
		aw.s.mu.Lock()
		f := aw.s.folders[dir]
		aw.s.mu.Unlock()
		if f != nil {
			if f.busy.Load() > 0 || !f.mu.TryLock() {
				continue
			}
			cur = folderStamps(dir)
		}
		aw.mu.Lock()
		name := ""
		if fs := aw.folders[dir]; fs != nil && fs.stamps != cur {
			fs.stamps, name = cur, fs.name
		}
		aw.mu.Unlock()
		if f != nil {
			f.mu.Unlock()
		}
		if name != "" {
			// The kinds are hints: the watcher reads the status anew.
			aw.hub.Publish(nil, mailbox.MailboxEvent{Name: name, Kinds: mailbox.EventMessageNew | mailbox.EventMessageExpunge | mailbox.EventFlagChange})
		}
	}
}

// noteCommit records the stamps a transaction on the folder in dir
// leaves, if the poller had seen those it began with: what changed
// since is then this Store's own doing, already reported. Call with the
// folder's lock held.
func (aw *acctWatch) noteCommit(dir string, before, after [3]stamp) {
	aw.mu.Lock()
	defer aw.mu.Unlock()
	if fs := aw.folders[dir]; fs != nil && fs.stamps == before {
		fs.stamps = after
	}
}

// noteFolder records that this Store made (name != "") or removed the
// folder in dir. Call with aw.names held.
func (aw *acctWatch) noteFolder(dir, name string) {
	aw.mu.Lock()
	defer aw.mu.Unlock()
	if name == "" {
		delete(aw.folders, dir)
		return
	}
	aw.folders[dir] = &folderSnap{name: name, stamps: folderStamps(dir)}
}

// noteRename records that this Store renamed the folders in moves (old
// directory -> new). Call with aw.names held.
func (aw *acctWatch) noteRename(moves map[string]string) {
	aw.mu.Lock()
	defer aw.mu.Unlock()
	snaps := make(map[string]*folderSnap, len(moves))
	for old := range moves {
		snaps[old] = aw.folders[old]
		delete(aw.folders, old)
	}
	for old, nw := range moves {
		n, ok := nameOfDir(filepath.Base(nw))
		if !ok {
			continue
		}
		fs := snaps[old]
		if fs == nil {
			fs = &folderSnap{stamps: folderStamps(nw)}
		}
		fs.name = n
		aw.folders[nw] = fs
	}
}

// lockNames takes the folder-list lock of the account's watches, if it
// has any, for a Create, Delete or Rename; the returned function
// releases it.
func (a *account) lockNames() (*acctWatch, func()) {
	aw := a.s.watching(a.dir)
	if aw == nil {
		return nil, func() {}
	}
	aw.names.Lock()
	return aw, aw.names.Unlock
}
