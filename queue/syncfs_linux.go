//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package queue

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// kernelVersion is the running kernel's major and minor version, (0, 0)
// if unknown.
var kernelVersion = sync.OnceValues(func() (int, int) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return 0, 0
	}
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	major, rest, _ := strings.Cut(b.String(), ".")
	minor, _, _ := strings.Cut(rest, ".")
	maj, err1 := strconv.Atoi(major)
	mnr, err2 := strconv.Atoi(strings.TrimRightFunc(minor, func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return 0, 0
	}
	return maj, mnr
})

func kernelAtLeast(major, minor int) bool {
	maj, mnr := kernelVersion()
	return maj > major || maj == major && mnr >= minor
}

// Before Linux 5.8 syncfs returned 0 even when write-back failed, which
// would acknowledge a message that is not on the disk.
func haveSyncfs() bool { return kernelAtLeast(5, 8) }

// File system magic numbers (statfs(2) f_type, linux/magic.h) of the
// file systems on which syncfs does not make files durable, or does not
// report that it failed.
const (
	// FUSE: syncfs reaches the server only from Linux 5.15, and only if
	// it implements FUSE_SYNCFS; fsync always reaches it.
	fuseMagic = 0x65735546
	// overlayfs: syncfs reports write-back errors of the upper file
	// system only from Linux 5.15.
	overlayMagic = 0x794c7630
)

// networkMagics are network and cluster file systems, whose syncfs
// does not commit to the server as fsync does (NFS has no sync_fs at
// all).
var networkMagics = map[int64]bool{
	0x6969:     true, // NFS
	0x517b:     true, // SMB
	0xff534d42: true, // CIFS
	0xfe534d42: true, // SMB2
	0x00c36400: true, // Ceph
	0x01021997: true, // 9p
	0x5346414f: true, // AFS
	0x6b414653: true, // kAFS
	0x73757245: true, // Coda
	0x0bd00bd0: true, // Lustre
	0x47504653: true, // GPFS
	0x013111a8: true, // IBRIX
}

// syncfsWorks reports whether syncfs(2) makes durable, and reports the
// failure of, the files written on the file system that holds dir: not
// for FUSE, for overlayfs before Linux 5.15, nor for network file
// systems, where the spool fsyncs each file instead. It is checked once,
// when the spool opens.
func syncfsWorks(dir *os.File) bool {
	if !haveSyncfs() {
		return false
	}
	var st syscall.Statfs_t
	if err := syscall.Fstatfs(int(dir.Fd()), &st); err != nil {
		return false
	}
	magic := int64(st.Type) & 0xffffffff
	switch {
	case magic == fuseMagic:
		return false
	case magic == overlayMagic:
		return kernelAtLeast(5, 15)
	}
	return !networkMagics[magic]
}

// syncfs writes back the file system that holds f and flushes the disk.
func syncfs(f *os.File) error {
	if _, _, errno := syscall.Syscall(sysSyncfs, f.Fd(), 0, 0); errno != 0 {
		return errno
	}
	return nil
}
