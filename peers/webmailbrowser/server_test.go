package webmailbrowser

import (
	"os"
	"os/exec"
	"testing"

	"github.com/postkit/postkit/peers/internal/mailserverproc"
)

// The program under test is a main package, so it has no exported hook to
// import: like peers/mailserverinterop, the test builds the binary once and
// runs it with its command-line contract (DESIGN.md), by
// peers/internal/mailserverproc.

const (
	alice, alicePass = "alice@example.test", "alice-pw"
	bob, bobPass     = "bob@example.test", "bob-pw"
)

// TestMain builds the mailserver binary the tests run.
func TestMain(m *testing.M) { mailserverproc.Main(m) }

// needPeer returns the path of the first of names found in PATH. It skips
// the test when none is, or fails it under POSTKIT_REQUIRE_PEERS=1.
func needPeer(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("POSTKIT_REQUIRE_PEERS") == "1" {
		t.Fatalf("none of %v found and POSTKIT_REQUIRE_PEERS=1", names)
	}
	t.Skipf("none of %v found", names)
	return ""
}

// startServer runs the mailserver binary with the accounts alice and bob,
// every listener on a free loopback port.
func startServer(t *testing.T) *mailserverproc.Server {
	t.Helper()
	return mailserverproc.Start(t, t.TempDir(), "-user", alice+":"+alicePass, "-user", bob+":"+bobPass)
}
