package maildirinterop

import (
	"context"
	"testing"
	"time"

	"github.com/postkit/postkit/peers/internal/dovecottest"
)

// Credentials Dovecot accepts (passdb static).
const (
	testUser = "alice"
	testPass = "s3cret-pass"
)

// caseTimeout bounds one test.
const caseTimeout = 60 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dovecotConfig makes Dovecot read and write the Maildir as our backend
// does. Maildir++ is the default layout of maildir; the namespace's
// separator "/" makes Dovecot's names ours ("Archive/2026" is
// .Archive.2026 on disk for both). mail_save_crlf keeps the CRLF line
// ends of APPEND, as our backend does, so bodies compare octet for octet
// (Dovecot's default stores bare LFs).
const dovecotConfig = `mail_save_crlf = yes
namespace inbox {
  inbox = yes
  separator = /
}
`

// startDovecot starts Dovecot's IMAP server on a free loopback port,
// serving the Maildir++ Maildir of dir (from dovecottest.NewDir) to
// testUser. As root, Own must be called after our backend wrote to the
// Maildir.
func startDovecot(t *testing.T, dir string) *dovecottest.Server {
	t.Helper()
	return dovecottest.Start(t, dovecottest.Options{Dir: dir, Password: testPass, Config: dovecotConfig})
}
