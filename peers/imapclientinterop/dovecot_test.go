package imapclientinterop

import (
	"context"
	"testing"
	"time"

	"github.com/postkit/postkit/peers/internal/dovecottest"
)

// caseTimeout bounds one test.
const caseTimeout = 60 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dovecotConfig is the part of Dovecot's configuration the suite needs.
// Maildir++ is the default layout of maildir; the namespace's separator
// "/" makes Dovecot's names ours ("Archive/2026" is .Archive.2026 on
// disk for both). mail_save_crlf keeps the CRLF line ends of APPEND, as
// our backend does, so bodies compare octet for octet (Dovecot's default
// stores bare LFs). The quota, zlib (COMPRESS) and metadata plugins and
// the special-use mailboxes give the suite's extensions something to
// answer.
const dovecotConfig = `mail_save_crlf = yes
mail_plugins = $mail_plugins quota
protocol imap {
  mail_plugins = $mail_plugins imap_quota imap_zlib
}
plugin {
  quota = count:User quota
  quota_rule = *:storage=100M
  quota_vsizes = yes
}
mailbox_list_index = yes
mail_attribute_dict = file:%h/dovecot-attributes
protocol imap {
  imap_metadata = yes
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = create
  }
  mailbox Trash {
    special_use = \Trash
    auto = create
  }
}
`

// startDovecot starts Dovecot's IMAP server on a free loopback port,
// serving the Maildir++ Maildir of dir (from dovecottest.NewDir) to any
// user name with testPass.
func startDovecot(t testing.TB, dir string) *dovecottest.Server {
	t.Helper()
	return dovecottest.Start(t, dovecottest.Options{Dir: dir, Password: testPass, Config: dovecotConfig})
}
