package webmailbrowser

import (
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

// startServer runs the mailserver binary with the accounts alice and bob,
// every listener on a free loopback port.
func startServer(t *testing.T) *mailserverproc.Server {
	t.Helper()
	return mailserverproc.Start(t, t.TempDir(), "-user", alice+":"+alicePass, "-user", bob+":"+bobPass)
}
