//go:build unix

package maildir

import (
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
