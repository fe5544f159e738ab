package imap

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestListAndListStatus(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a CREATE Work/&AOk-t&AOk-")
	r := c.ok(`b LIST "" *`)
	assert.Contains(t, r, `* LIST (\HasNoChildren) "/" INBOX`)
	assert.Contains(t, r, `* LIST (\HasNoChildren) "/" Work/&AOk-t&AOk-`)
	// RFC 5819: STATUS after the LIST of each mailbox.
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* STATUS INBOX (MESSAGES 1 UNSEEN 1)`,
	}, c.ok(`c LIST "" INBOX RETURN (STATUS (MESSAGES UNSEEN))`))
	c.ok("d ENABLE IMAP4rev2")
	assert.Contains(t, c.ok(`e LIST "" *`), `* LIST (\HasNoChildren) "/" "Work/été"`)
}
