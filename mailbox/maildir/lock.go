package maildir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Files shared between processes are guarded by dot-locks, as Dovecot
// guards them: "<file>.lock", made by linking a temporary file that
// holds "<pid>:<host>" to that name, so the lock never exists without
// its holder. A writer that replaces the file writes a temporary file,
// syncs it and renames it over the file before removing the lock. A lock
// older than the stale timeout, or one a dead process on this host holds,
// is broken.

const (
	// DefaultLockTimeout bounds the wait for a lock.
	DefaultLockTimeout = 30 * time.Second
	// DefaultLockStale is when a lock nobody refreshes is broken: the
	// two minutes Dovecot uses for dovecot-uidlist.lock.
	DefaultLockStale = 2 * time.Minute
)

// ErrLockTimeout is returned when a lock could not be taken in time.
var ErrLockTimeout = errors.New("maildir: timed out waiting for a lock")

// dotLock is a held lock.
type dotLock struct {
	path   string // the locked file
	held   bool
	noSync bool
}

// lockFile takes the dot-lock of path.
func (s *Store) lockFile(ctx context.Context, path string) (*dotLock, error) {
	lp := path + ".lock"
	timeout := s.opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		ok, err := linkLock(lp)
		if err != nil {
			return nil, err
		}
		if ok {
			return &dotLock{path: path, held: true, noSync: s.opts.NoSync}, nil
		}
		s.breakStale(lp)
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s", ErrLockTimeout, lp)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// linkLock makes the lock file lp, reporting false if it exists.
func linkLock(lp string) (bool, error) {
	tmp := fmt.Sprintf("%s.%s.%d.%s", lp, hostName, os.Getpid(), newGUID()[:8])
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%d:%s\n", os.Getpid(), hostName), 0o600); err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	err := os.Link(tmp, lp)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return err == nil, err
}

// breakStale removes the lock file lp if it is stale.
func (s *Store) breakStale(lp string) {
	stale := s.opts.LockStale
	if stale <= 0 {
		stale = DefaultLockStale
	}
	st, err := os.Stat(lp)
	if err != nil {
		return
	}
	dead := false
	if b, err := os.ReadFile(lp); err == nil {
		var pid int
		var host string
		if n, _ := fmt.Sscanf(string(b), "%d:%s", &pid, &host); n == 2 && host == hostName && pid > 0 && pid != os.Getpid() {
			dead = processDead(pid)
		}
	}
	if !dead && time.Since(st.ModTime()) < stale {
		return
	}
	// Remove only the lock judged stale, not one taken since.
	if st2, err := os.Stat(lp); err == nil && os.SameFile(st, st2) {
		os.Remove(lp)
	}
}

// unlock releases the lock without changing the file.
func (l *dotLock) unlock() error {
	if !l.held {
		return nil
	}
	l.held = false
	return os.Remove(l.path + ".lock")
}

// commit replaces the file with content, durably, and releases the
// lock.
func (l *dotLock) commit(content []byte) error {
	err := writeFileAtomic(l.path, content, l.noSync)
	if uerr := l.unlock(); err == nil {
		err = uerr
	}
	return err
}

// writeFileAtomic writes content to path by way of a temporary file in
// the same directory, synced and renamed, and syncs the directory.
func writeFileAtomic(path string, content []byte, noSync bool) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".postkit-tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if err == nil && !noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	if noSync {
		return nil
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a directory, making renames in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	return err
}
