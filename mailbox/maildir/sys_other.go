//go:build !unix

package maildir

import "io/fs"

// inode returns 0: file identity is the size and mtime alone.
func inode(fs.FileInfo) uint64 { return 0 }

// processDead reports false: locks are broken by age alone.
func processDead(int) bool { return false }

// isReadOnlyFS reports false.
func isReadOnlyFS(error) bool { return false }
