//go:build unix

package maildir

import (
	"errors"
	"io/fs"
	"syscall"
)

// inode returns the inode number of a file, or 0.
func inode(st fs.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Ino)
	}
	return 0
}

// processDead reports whether no process of this host has the id pid.
func processDead(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// isReadOnlyFS reports whether err says the file system is read-only.
func isReadOnlyFS(err error) bool { return errors.Is(err, syscall.EROFS) }
