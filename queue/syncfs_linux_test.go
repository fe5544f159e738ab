//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package queue

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// The spool uses syncfs on the local disk file systems, and fsyncs each
// file on FUSE and network file systems (checked by magic number).
func TestSyncfsWorksByFileSystem(t *testing.T) {
	d, err := os.Open(t.TempDir())
	require.NoError(t, err)
	defer d.Close()
	var st syscall.Statfs_t
	require.NoError(t, syscall.Fstatfs(int(d.Fd()), &st))
	magic := int64(st.Type) & 0xffffffff
	local := map[int64]bool{0xef53: true, 0x58465342: true, 0x9123683e: true, 0x01021994: true} // ext4, XFS, Btrfs, tmpfs
	if !local[magic] {
		t.Skipf("file system %#x: not one this test knows", magic)
	}
	require.Equal(t, haveSyncfs(), syncfsWorks(d))
	require.True(t, networkMagics[0x6969], "NFS")
}
