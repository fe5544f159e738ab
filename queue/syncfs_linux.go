//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package queue

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var syncfsOK = sync.OnceValue(func() bool {
	// Before Linux 5.8 syncfs returned 0 even when write-back failed,
	// which would acknowledge a message that is not on the disk.
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return false
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
		return false
	}
	return maj > 5 || maj == 5 && mnr >= 8
})

func haveSyncfs() bool { return syncfsOK() }

// syncfs writes back the file system that holds f and flushes the disk.
func syncfs(f *os.File) error {
	if _, _, errno := syscall.Syscall(sysSyncfs, f.Fd(), 0, 0); errno != 0 {
		return errno
	}
	return nil
}
