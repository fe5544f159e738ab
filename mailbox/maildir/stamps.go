package maildir

import (
	"context"
	"io"
	"os"
	"strings"
	"time"
)

// When a folder is read again. A folder's state is read whole (sync)
// when the stamps of what it reads moved since, or when they cannot
// prove that nothing moved: a change made in the same timestamp tick as
// the last one may leave them as they were. This process's own changes
// move them too, and are not read back (see folder.changed).

// stamp identifies a version of a file or directory.
type stamp struct {
	ok    bool
	ino   uint64
	size  int64
	mtime time.Time
}

func stampOf(path string) stamp {
	st, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{ok: true, ino: inode(st), size: st.Size(), mtime: st.ModTime()}
}

// A directory or file changed less than a window ago may change again
// within the file system's timestamp granularity without its mtime
// moving: a second where mtimes have whole seconds (as Dovecot
// assumes), and a few clock ticks where they have nanoseconds.
const (
	recentWindowCoarse = 2 * time.Second
	recentWindowFine   = 100 * time.Millisecond
)

// window returns the recent window of st's granularity.
func (st stamp) window() time.Duration {
	if st.mtime.Nanosecond() == 0 {
		return recentWindowCoarse
	}
	return recentWindowFine
}

// settledAt reports whether st, taken at t, proves that whatever changes
// the file or directory after t moves its stamp: its mtime was more than
// a window before t.
func (st stamp) settledAt(t time.Time) bool {
	return !st.ok || t.Sub(st.mtime) >= st.window()
}

// ownDoubtMax bounds how long the changes this process makes to a folder
// keep it from reading the folder again to look for changes another
// process made to new/ or cur/ at the same time (see folder.changed).
const ownDoubtMax = 2 * time.Second

// changed reports whether the disk may differ from the state.
//
// Under the lock a strict check is enough: every writer that numbers
// messages changes the uidlist's size or inode, and a file renamed by a
// program that takes no lock is looked for again when its old name is
// gone.
//
// Otherwise, with the stamps as the last full read left them, the folder
// is read again until a read finds them settled (stamp.settledAt): what
// changes in the same tick as the last change may not move a stamp.
// With the stamps as this process's own transactions left them
// (ownSince set), the folder is not read again for those changes, which
// the state already holds; but a change another process made to new/ or
// cur/ during such a transaction, or in the same tick after it, is
// indistinguishable by stamps from this process's own. So the folder is
// looked at again once it has been quiet for a window after the last
// change (the look then settles the stamps), by the folder's poller if
// it has one, or once ownDoubtMax has passed since ownSince during a run
// of changes: another process's change is noticed late, never lost. The
// look is a listing of new/ and cur/ checked against the state (verify),
// and a full read only when they differ. Dovecot defers its rereads of a
// maildir it changed itself the same way (its "delayed refresh").
func (f *folder) changed(strict bool) bool {
	if !f.loaded {
		return true
	}
	cur := f.currentStamps()
	if cur != f.stamps {
		return true
	}
	if strict {
		return false
	}
	now := time.Now()
	if f.ownSince.IsZero() {
		for _, st := range cur {
			if !st.settledAt(f.readAt) {
				return true
			}
		}
		return false
	}
	if now.Sub(f.ownSince) >= ownDoubtMax {
		return true
	}
	// With a poller, the poller looks (verifyQuiet).
	return !f.polling.Load() && f.quiet(now)
}

// quiet reports whether nothing that a sync reads has changed for a
// window: the stamps are then settled.
func (f *folder) quiet(now time.Time) bool {
	for _, st := range f.stamps {
		if !st.settledAt(now) {
			return false
		}
	}
	return true
}

// verify checks, when this process's own changes are all that the
// stamps show since the last full read (ownSince set), that new/ and
// cur/ hold exactly the files of the state, and if so records the
// stamps as a full read would. It reads neither the uidlist nor the
// MODSEQ log: those are written only under the folder's lock, by
// writers that change their size or inode. It is a directory listing,
// much cheaper than a full read in a big folder. Call with f.mu held.
func (f *folder) verify() bool {
	if !f.loaded || f.ownSince.IsZero() {
		return false
	}
	readAt := time.Now()
	stamps := f.currentStamps()
	if stamps != f.stamps {
		return false
	}
	names, err := f.listNames()
	return err == nil && f.confirm(stamps, readAt, names)
}

// listNames returns the names in new/ and cur/, without the hidden ones.
func (f *folder) listNames() ([2][]string, error) {
	var out [2][]string
	for i, sub := range []string{"new", "cur"} {
		d, err := os.Open(f.path(sub))
		if err != nil {
			return out, err
		}
		for {
			names, err := d.Readdirnames(4096)
			for _, n := range names {
				if n != "" && n[0] != '.' {
					out[i] = append(out[i], n)
				}
			}
			if err == io.EOF || len(names) == 0 {
				break
			}
			if err != nil {
				d.Close()
				return out, err
			}
		}
		d.Close()
	}
	return out, nil
}

// confirm records stamps, taken at readAt before names were listed, as
// a full read would, if the names are exactly the files of the state and
// the stamps still those recorded. Call with f.mu held.
func (f *folder) confirm(stamps [5]stamp, readAt time.Time, names [2][]string) bool {
	if !f.loaded || f.ownSince.IsZero() || stamps != f.stamps || len(names[0])+len(names[1]) != len(f.msgs) {
		return false
	}
	for i, sub := range names {
		for _, n := range sub {
			base, _ := splitName(n)
			if m := f.byBase[base]; m == nil || !m.named(i == 0, n) {
				return false
			}
		}
	}
	f.readAt, f.ownSince = readAt, time.Time{}
	for _, st := range stamps {
		if !st.settledAt(readAt) {
			// What changes in this tick after the listing may not
			// move the stamps: look again later.
			f.ownSince = readAt
			break
		}
	}
	return true
}

// verifyQuiet is verify for the folder's poller, which lists the
// directories without holding f.mu, so that the views are not held up;
// it looks once the folder is quiet, and leaves it to a later tick
// when the folder is busy.
func (f *folder) verifyQuiet(ctx context.Context) {
	if !f.mu.TryLock() {
		return
	}
	due := f.loaded && !f.ownSince.IsZero() && f.quiet(time.Now())
	prev := f.stamps
	f.mu.Unlock()
	if !due {
		return
	}
	readAt := time.Now()
	stamps := f.currentStamps()
	if stamps != prev {
		return // the sync that follows reads the folder
	}
	for _, st := range stamps {
		if !st.settledAt(readAt) {
			return
		}
	}
	names, err := f.listNames()
	if err != nil || ctx.Err() != nil || !f.mu.TryLock() {
		return
	}
	defer f.mu.Unlock()
	if stamps != f.stamps || f.ownSince.IsZero() {
		return
	}
	if !f.confirm(stamps, readAt, names) {
		f.sync(ctx, true, nil)
	}
}

// named reports whether name, in new/ if inNew and in cur/ otherwise, is
// the file of m.
func (m *msg) named(inNew bool, name string) bool {
	switch {
	case inNew != m.inNew:
		return false
	case inNew:
		return name == m.base
	case m.odd != "":
		return name == m.odd
	}
	rest, ok := strings.CutPrefix(name, m.base)
	if !ok {
		return false
	}
	info, ok := strings.CutPrefix(rest, ":2,")
	return ok && info == m.info
}

// noteOwn records the stamps a transaction that began at began leaves,
// with the lock still held. The control files are written only under
// the lock, so their new stamps are this process's doing; new/ and cur/
// take no lock, so when their stamps moved, another process may have
// changed them meanwhile, which changed looks for later (ownSince).
func (f *folder) noteOwn(began time.Time) {
	cur := f.currentStamps()
	if f.ownSince.IsZero() && (cur[1] != f.stamps[1] || cur[2] != f.stamps[2]) {
		// A read whose stamps were not yet settled may hide a change
		// made after it.
		f.ownSince = began
		for _, st := range f.stamps {
			if !st.settledAt(f.readAt) {
				f.ownSince = f.readAt
				break
			}
		}
	}
	f.stamps = cur
}
