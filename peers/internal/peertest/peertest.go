// Package peertest holds what the interop tests in peers/ share to find
// the other implementations they run.
package peertest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Need returns the path of the first of names that exists: a name with a
// slash is a path, any other is looked up in PATH. When none does, the
// test is skipped, or failed under POSTKIT_REQUIRE_PEERS=1 (as CI runs),
// so that a missing peer cannot pass unnoticed there.
func Need(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if strings.Contains(n, "/") {
			if _, err := os.Stat(n); err == nil {
				return n
			}
		} else if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("POSTKIT_REQUIRE_PEERS") == "1" {
		t.Fatalf("none of %v found and POSTKIT_REQUIRE_PEERS=1", names)
	}
	t.Skipf("none of %v found", names)
	return ""
}
