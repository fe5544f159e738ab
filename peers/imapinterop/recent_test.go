package imapinterop

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRecentAfterAppendElsewhere: a message APPENDed by a session that
// does not have the mailbox selected is \Recent for the next session to
// SELECT it (RFC 3501 2.3.2: \Recent is for "the first session to have
// been notified about this message"; an APPEND to another mailbox
// notifies nobody). IMAP4rev1 clients (imaplib's recent(), old MUAs)
// use RECENT to spot new mail.
func TestRecentAfterAppendElsewhere(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *ourServer) {
		a := s.dial(t)
		a.ok("LOGIN %s %s", quoteIMAP(testUser), quoteIMAP(testPass))
		a.appendMsg("INBOX", []byte("Subject: new\r\n\r\nnew mail\r\n"))
		a.ok("LOGOUT")
		b := s.dial(t)
		b.ok("LOGIN %s %s", quoteIMAP(testUser), quoteIMAP(testPass))
		sel := b.ok("SELECT INBOX")
		assert.Contains(t, sel, "* 1 RECENT", fmt.Sprint(sel))
		assert.Contains(t, b.ok("FETCH 1 FLAGS"), `* 1 FETCH (FLAGS (\Recent))`)
	})
}
