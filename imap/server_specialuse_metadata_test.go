package imap

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSpecialUseMetadata: /private/specialuse (RFC 6154 4) on the
// memstore and on maildir: GETMETADATA shows the special uses as LIST
// does, SETMETADATA changes them with CREATE's checks, moves a special
// use from the mailbox that had it, and fails as a whole.
func TestSpecialUseMetadata(t *testing.T) {
	for _, store := range []string{"memstore", "maildir"} {
		t.Run(store, func(t *testing.T) {
			var ts *testServer
			if store == "maildir" {
				ts, _ = newMaildirTestServer(t)
			} else {
				ts = newTestServer(t)
			}
			c := ts.login(t)
			other := ts.login(t)
			c.ok(`a CREATE Sent (USE (\Sent \Archive))`)
			c.ok(`b CREATE Drafts`)
			get := func(box string) string {
				r := c.ok(`g GETMETADATA ` + box + ` /private/specialuse`)
				if len(r) != 1 {
					return strings.Join(r, "|")
				}
				return r[0]
			}
			assert.Equal(t, `* METADATA Sent (/private/specialuse "\\Sent \\Archive")`, get("Sent"))
			assert.Equal(t, `* METADATA Drafts (/private/specialuse NIL)`, get("Drafts"))
			assert.Equal(t, `* METADATA INBOX (/private/specialuse NIL)`, get("inbox"))
			// DEPTH finds it as any other entry.
			assert.Equal(t, []string{`* METADATA Sent (/private/comment NIL /private/specialuse "\\Sent \\Archive")`},
				c.ok(`h GETMETADATA Sent (DEPTH 1) /private/comment /private/specialuse`))

			// CREATE's checks: NO [USEATTR], and nothing changes, the
			// other entries of the command included (RFC 5464 4.3).
			assert.Equal(t, []string{"d NO [USEATTR] Special-use attribute not supported"},
				c.cmd(`d SETMETADATA Drafts (/private/comment "x" /private/specialuse "\\Drafts \\Bogus")`))
			assert.Equal(t, []string{"d NO [USEATTR] Special-use attribute not supported"},
				c.cmd(`d SETMETADATA Drafts (/private/specialuse "Drafts")`))
			assert.Equal(t, []string{`* METADATA Drafts (/private/comment NIL /private/specialuse NIL)`, "e OK GETMETADATA completed"},
				c.cmd(`e GETMETADATA Drafts (/private/comment /private/specialuse)`))
			assert.Equal(t, []string{"f NO [NONEXISTENT] No such mailbox"},
				c.cmd(`f SETMETADATA Nope (/private/specialuse "\\Drafts")`))

			// Set, with another entry; case and duplicates do not
			// matter. The session is not told of its own change.
			c.ok(`i SETMETADATA Drafts (/private/comment "mine" /private/specialuse "\\drafts \\DRAFTS")`)
			assert.Equal(t, []string{`* METADATA Drafts (/private/comment "mine" /private/specialuse "\\Drafts")`},
				c.ok(`j GETMETADATA Drafts (/private/comment /private/specialuse)`))
			assert.Equal(t, []string{`* LIST (\Drafts \HasNoChildren) "/" Drafts`}, normList(c.ok(`k LIST "" Drafts`)))

			// Moving \Archive to INBOX takes it from Sent, which is
			// reported with its new value (RFC 6154 5.4), and tells
			// another session that enabled METADATA or NOTIFY.
			other.ok(`o1 NOTIFY SET (personal (MailboxMetadataChange))`)
			assert.Equal(t, []string{`* METADATA Sent (/private/specialuse "\\Sent")`, "l OK SETMETADATA completed"},
				c.cmd(`l SETMETADATA INBOX (/private/specialuse "\\Archive")`))
			got := []string{other.line(), other.line()}
			assert.ElementsMatch(t, []string{`* METADATA INBOX /private/specialuse`, `* METADATA Sent /private/specialuse`}, got)
			assert.Equal(t, `* METADATA INBOX (/private/specialuse "\\Archive")`, get("INBOX"))
			assert.Equal(t, []string{`* LIST (\Archive \HasNoChildren) "/" INBOX`}, normList(c.ok(`m LIST "" INBOX`)))

			// NIL and "" remove them; setting the same again is no
			// change.
			c.ok(`n SETMETADATA Sent (/private/specialuse NIL)`)
			c.ok(`n SETMETADATA INBOX (/private/specialuse "")`)
			c.ok(`n SETMETADATA Drafts (/private/specialuse "\\Drafts")`)
			assert.Equal(t, `* METADATA Sent /private/specialuse`, other.line())
			assert.Equal(t, `* METADATA INBOX /private/specialuse`, other.line())
			notifyQuiet(t, other, "o2")
			assert.Equal(t, `* METADATA Sent (/private/specialuse NIL)`, get("Sent"))
			assert.Equal(t, []string{`* LIST (\Drafts \HasNoChildren) "/" Drafts`}, normList(c.ok(`p LIST (SPECIAL-USE) "" "*"`)))

			// The server's entry of that name is an ordinary one.
			c.ok(`q SETMETADATA "" (/private/specialuse "anything")`)
			assert.Equal(t, []string{`* METADATA "" (/private/specialuse "anything")`}, c.ok(`r GETMETADATA "" /private/specialuse`))
		})
	}
}
