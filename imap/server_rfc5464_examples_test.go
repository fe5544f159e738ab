package imap

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRFC5464Examples plays the examples of RFC 5464 4.2 to 4.4.1 in
// the forms TestMetadataRFCExamples (server_metadata_test.go) does not,
// and the rules of 3.2 and 4.1 around them. The unsolicited METADATA of
// 4.4.2 needs ENABLE METADATA and a server that watches annotations,
// which this one does not do yet.
func TestRFC5464Examples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok(`s1 SETMETADATA "" (/shared/comment "My comment")`)
	c.ok(`s2 SETMETADATA INBOX (/private/comment "My comment" /shared/comment "Its sunny outside!")`)
	c.ok(`s3 SETMETADATA INBOX (/private/filters/values/small "SMALLER 5000" /shared/filters/big ` +
		fmtLiteral(strings.Repeat("b", 2199)) + ` /private/filters/values/huge ` + fmtLiteral(strings.Repeat("h", 3000)) + `)`)

	cases := []struct {
		name, cmd string
		want      []string
	}{
		// 4.4.1, first example.
		{"4.4.1 server entry", `a GETMETADATA "" /shared/comment`,
			[]string{`* METADATA "" (/shared/comment "My comment")`, "a OK GETMETADATA completed"}},
		// 4.4.1, second and third examples: the server gives both
		// entries in one response (the third shows two, its choice).
		{"4.4.1 two entries", `a GETMETADATA "INBOX" (/private/comment /shared/comment)`,
			[]string{`* METADATA INBOX (/private/comment "My comment" /shared/comment "Its sunny outside!")`, "a OK GETMETADATA completed"}},
		// 4.2.1: LONGENTRIES gives the biggest value left out; a value
		// of MAXSIZE octets is returned.
		{"4.2.1 biggest of two", `a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX (/private/filters /shared/filters)`,
			[]string{`* METADATA INBOX (/private/filters/values/small "SMALLER 5000")`, "a OK [METADATA LONGENTRIES 3000] GETMETADATA completed"}},
		{"4.2.1 equal to MAXSIZE", `a GETMETADATA (MAXSIZE 12) INBOX /private/filters/values/small`,
			[]string{`* METADATA INBOX (/private/filters/values/small "SMALLER 5000")`, "a OK GETMETADATA completed"}},
		{"4.2.1 nothing small enough", `a GETMETADATA (MAXSIZE 11) INBOX /private/filters/values/small`,
			[]string{"a OK [METADATA LONGENTRIES 12] GETMETADATA completed"}},
		// 4.2.2: DEPTH 1 stops at the children.
		{"4.2.2 DEPTH 1", `a GETMETADATA "INBOX" (DEPTH 1) (/private/filters)`,
			[]string{`* METADATA INBOX (/private/filters NIL)`, "a OK GETMETADATA completed"}},
		// 3.2: fewer than two components, "*" or "%": BAD.
		{"3.2 one component", `a GETMETADATA INBOX /private`, []string{"a BAD Invalid entry name"}},
		{"3.2 wildcard", `a GETMETADATA INBOX "/private/*"`, []string{"a BAD Invalid entry name"}},
		// 3.2: names are case-insensitive.
		{"3.2 case", `a GETMETADATA INBOX /PRIVATE/Comment`,
			[]string{`* METADATA INBOX (/private/comment "My comment")`, "a OK GETMETADATA completed"}},
		// 3.2.1.1: /shared/admin is read-only.
		{"3.2.1.1 /shared/admin", `a SETMETADATA "" (/shared/admin "mailto:postmaster@example.org")`,
			[]string{"a NO [NOPERM] /shared/admin is read-only"}},
		{"3.2.1.1 /shared/admin NIL", `a SETMETADATA "" (/shared/comment NIL /shared/admin NIL)`,
			[]string{"a NO [NOPERM] /shared/admin is read-only"}},
		{"3.2.1.1 nothing set", `a GETMETADATA "" (/shared/admin /shared/comment)`,
			[]string{`* METADATA "" (/shared/admin NIL /shared/comment "My comment")`, "a OK GETMETADATA completed"}},
		// 4.1: values of 1024 octets are accepted.
		{"4.1 1024 octets", `a SETMETADATA INBOX (/private/kb ` + fmtLiteral(strings.Repeat("k", 1024)) + `)`,
			[]string{"+ Ready for literal data", "a OK SETMETADATA completed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, c.cmd(tc.cmd))
		})
	}
}

// TestRFC5464Mailboxes plays RFC 5464 4.1 on the wire: annotations
// follow a renamed mailbox, stay on INBOX when it is renamed (and are
// copied to the new mailbox), go with a deleted mailbox, and can be set
// on a \Noselect mailbox.
func TestRFC5464Mailboxes(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a CREATE box")
	c.ok(`b SETMETADATA box (/private/comment "p" /shared/comment "s")`)
	c.ok(`c SETMETADATA INBOX (/private/comment "inbox")`)
	steps := []struct {
		name, cmd string
		want      []string
	}{
		{"rename", "d RENAME box box2", []string{"d OK RENAME completed"}},
		{"followed", "e GETMETADATA box2 (/private/comment /shared/comment)",
			[]string{`* METADATA box2 (/private/comment "p" /shared/comment "s")`, "e OK GETMETADATA completed"}},
		{"old name", "f GETMETADATA box /private/comment", []string{"f NO [NONEXISTENT] No such mailbox"}},
		{"rename INBOX", "g RENAME INBOX old", []string{"g OK RENAME completed"}},
		{"kept on INBOX", "h GETMETADATA INBOX /private/comment",
			[]string{`* METADATA INBOX (/private/comment "inbox")`, "h OK GETMETADATA completed"}},
		{"copied", "i GETMETADATA old /private/comment",
			[]string{`* METADATA old (/private/comment "inbox")`, "i OK GETMETADATA completed"}},
		{"delete", "j DELETE box2", []string{"j OK DELETE completed"}},
		{"recreate", "k CREATE box2", nil},
		{"not inherited", "l GETMETADATA box2 (/private/comment /shared/comment)",
			[]string{`* METADATA box2 (/private/comment NIL /shared/comment NIL)`, "l OK GETMETADATA completed"}},
		{"noselect", "m CREATE a/b", nil},
		{"noselect delete", "n DELETE a", []string{"n OK DELETE completed"}},
		{"noselect set", `o SETMETADATA a (/private/comment "noselect")`, []string{"o OK SETMETADATA completed"}},
		{"noselect get", "p GETMETADATA a /private/comment",
			[]string{`* METADATA a (/private/comment "noselect")`, "p OK GETMETADATA completed"}},
	}
	for _, st := range steps {
		if st.want == nil {
			c.ok(st.cmd)
			continue
		}
		assert.Equal(t, st.want, c.cmd(st.cmd), st.name)
	}
}
