package queue

import (
	"os"
	"testing"
)

// benchRoot holds the spool directories of the benchmarks. They are
// removed only when the test binary ends: on some disks (ext4 with
// online discard, as on the CI machine) file creation runs an order of
// magnitude slower for seconds after a mass deletion, and removing one
// benchmark's spool would slow down the next one measured.
var benchRoot string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchRoot != "" {
		os.RemoveAll(benchRoot)
	}
	os.Exit(code)
}

// benchDir returns a new empty directory under benchRoot.
func benchDir(b *testing.B) string {
	b.Helper()
	if benchRoot == "" {
		d, err := os.MkdirTemp("", "postkit-queue-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchRoot = d
	}
	d, err := os.MkdirTemp(benchRoot, "spool")
	if err != nil {
		b.Fatal(err)
	}
	return d
}
