package imap

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRFC6154Examples plays RFC 6154 5.1 and 5.2 on the memstore, the
// mailboxes made with CREATE ... (USE ...) (RFC 6154 3). The memstore
// does not mark mailboxes (\Marked), and the server always returns
// \HasChildren or \HasNoChildren and the special-use attributes (RFC
// 6154 2 lets it).
func TestRFC6154Examples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE ToDo")
	c.ok("b CREATE Projects/Postkit")
	c.ok(`c CREATE SentMail (USE (\Sent))`)
	c.ok(`d CREATE MyDrafts (USE (\Drafts))`)
	c.ok(`e CREATE Trash (USE (\Trash))`)
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		// RFC 6154 5.1.
		{`t1 LIST "" "%"`, []string{
			`* LIST (\HasNoChildren) "/" INBOX`,
			`* LIST (\Drafts \HasNoChildren) "/" MyDrafts`,
			`* LIST (\HasChildren) "/" Projects`,
			`* LIST (\HasNoChildren \Sent) "/" SentMail`,
			`* LIST (\HasNoChildren) "/" ToDo`,
			`* LIST (\HasNoChildren \Trash) "/" Trash`,
		}},
		// RFC 6154 5.2, the RETURN option.
		{`t2 LIST "" "%" RETURN (SPECIAL-USE)`, []string{
			`* LIST (\HasNoChildren) "/" INBOX`,
			`* LIST (\Drafts \HasNoChildren) "/" MyDrafts`,
			`* LIST (\HasChildren) "/" Projects`,
			`* LIST (\HasNoChildren \Sent) "/" SentMail`,
			`* LIST (\HasNoChildren) "/" ToDo`,
			`* LIST (\HasNoChildren \Trash) "/" Trash`,
		}},
		// RFC 6154 5.2, the selection option.
		{`t3 LIST (SPECIAL-USE) "" "*"`, []string{
			`* LIST (\Drafts \HasNoChildren) "/" MyDrafts`,
			`* LIST (\HasNoChildren \Sent) "/" SentMail`,
			`* LIST (\HasNoChildren \Trash) "/" Trash`,
		}},
		// Both, as clients send them.
		{`t4 LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)`, []string{
			`* LIST (\Drafts \HasNoChildren) "/" MyDrafts`,
			`* LIST (\HasNoChildren \Sent) "/" SentMail`,
			`* LIST (\HasNoChildren \Trash) "/" Trash`,
		}},
	} {
		r := c.ok(tc.cmd)
		assert.ElementsMatch(t, tc.want, normList(r), tc.cmd)
	}
	// RFC 6154 5.2: the capability.
	assert.Contains(t, strings.Fields(c.ok("t1 CAPABILITY")[0]), "SPECIAL-USE")
	// The special use follows the mailbox through RENAME.
	c.ok("f RENAME MyDrafts SavedDrafts")
	assert.Equal(t, []string{`* LIST (\Drafts \HasNoChildren) "/" SavedDrafts`}, normList(c.ok(`g LIST (SPECIAL-USE) "" "Saved*"`)))
}

// TestRFC6154MetadataExample plays RFC 6154 5.4: the special uses as
// the /private/specialuse METADATA entry (RFC 6154 4, a SHOULD for a
// server with METADATA).
func TestRFC6154MetadataExample(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok(`a CREATE SentMail (USE (\Sent))`)
	c.ok(`b CREATE MyDrafts (USE (\Drafts))`)
	c.ok(`c CREATE SavedDrafts`)
	c.ok(`d CREATE Trash (USE (\Trash))`)
	assert.ElementsMatch(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* LIST (\HasNoChildren \Sent) "/" SentMail`,
		`* LIST (\Drafts \HasNoChildren) "/" MyDrafts`,
		`* LIST (\HasNoChildren) "/" SavedDrafts`,
		`* LIST (\HasNoChildren \Trash) "/" Trash`,
	}, normList(c.ok(`t1 LIST "" "%" RETURN (SPECIAL-USE)`)))
	assert.Equal(t, []string{`* METADATA MyDrafts (/private/specialuse "\\Drafts")`, "t2 OK GETMETADATA completed"},
		c.cmd(`t2 GETMETADATA "MyDrafts" /private/specialuse`))
	assert.Equal(t, []string{`* METADATA MyDrafts (/private/specialuse NIL)`, "t3 OK SETMETADATA completed"},
		c.cmd(`t3 SETMETADATA "SavedDrafts" (/private/specialuse "\\Drafts")`))
	c.ok(`t4 SETMETADATA "SentMail" (/private/specialuse NIL)`)
	assert.ElementsMatch(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* LIST (\HasNoChildren) "/" SentMail`,
		`* LIST (\HasNoChildren) "/" MyDrafts`,
		`* LIST (\Drafts \HasNoChildren) "/" SavedDrafts`,
		`* LIST (\HasNoChildren \Trash) "/" Trash`,
	}, normList(c.ok(`t5 LIST "" "%" RETURN (SPECIAL-USE)`)))
}
