package imap

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetadataRFCExamples runs the examples of RFC 5464 4.2 to 4.4.1
// (the server writes INBOX as an atom where the RFC quotes it).
func TestMetadataRFCExamples(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	caps := strings.Fields(c.ok("c CAPABILITY")[0])
	assert.Contains(t, caps, "METADATA")
	assert.Contains(t, caps, "METADATA-SERVER")

	// Set up what the GETMETADATA examples find.
	c.ok(`s1 SETMETADATA "" (/shared/comment "Shared comment")`)
	c.ok(`s2 SETMETADATA INBOX (/private/comment "My own comment" /shared/comment "Shared comment")`)

	// RFC 5464 4.2.
	assert.Equal(t, []string{`* METADATA "" (/shared/comment "Shared comment")`, "a OK GETMETADATA completed"},
		c.cmd(`a GETMETADATA "" /shared/comment`))
	assert.Equal(t, []string{`* METADATA INBOX (/private/comment "My own comment")`, "a OK GETMETADATA completed"},
		c.cmd(`a GETMETADATA "INBOX" /private/comment`))
	assert.Equal(t, []string{`* METADATA INBOX (/shared/comment "Shared comment" /private/comment "My own comment")`, "a OK GETMETADATA completed"},
		c.cmd(`a GETMETADATA "INBOX" (/shared/comment /private/comment)`))

	// RFC 5464 4.2.1: MAXSIZE, after the mailbox as in the example and
	// before it as in the grammar.
	c.ok(`s3 SETMETADATA INBOX (/shared/comment ` + fmtLiteral(strings.Repeat("x", 2199)) + `)`)
	for _, cmd := range []string{
		`a GETMETADATA "INBOX" (MAXSIZE 1024) (/shared/comment /private/comment)`,
		`a GETMETADATA (MAXSIZE 1024) "INBOX" (/shared/comment /private/comment)`,
	} {
		assert.Equal(t, []string{`* METADATA INBOX (/private/comment "My own comment")`, "a OK [METADATA LONGENTRIES 2199] GETMETADATA completed"},
			c.cmd(cmd))
	}

	// RFC 5464 4.2.2: DEPTH.
	c.ok(`s4 SETMETADATA INBOX (/private/filters/values/small "SMALLER 5000" /private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/boss/x "deeper")`)
	assert.Equal(t, []string{`* METADATA INBOX (/private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/small "SMALLER 5000")`, "a OK GETMETADATA completed"},
		c.cmd(`a GETMETADATA "INBOX" (DEPTH 1) (/private/filters/values)`))
	assert.Equal(t, []string{`* METADATA INBOX (/private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/boss/x "deeper" /private/filters/values/small "SMALLER 5000")`, "a OK GETMETADATA completed"},
		c.cmd(`a GETMETADATA "INBOX" (DEPTH infinity) (/private/filters/values)`))
	assert.Equal(t, []string{`* METADATA INBOX (/private/filters/values NIL)`, "a OK GETMETADATA completed"},
		c.cmd(`a GETMETADATA "INBOX" (DEPTH 0) (/private/filters/values)`))

	// RFC 5464 4.3: a multi-line value in a synchronising literal.
	c.send("a SETMETADATA INBOX (/private/comment {33}\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send("My new comment across\r\ntwo lines.)\r\n")
	assert.Equal(t, []string{"a OK SETMETADATA completed"}, c.until("a"))
	assert.Equal(t, []string{"* METADATA INBOX (/private/comment {33}\r\nMy new comment across\r\ntwo lines.)", "b OK GETMETADATA completed"},
		c.cmd("b GETMETADATA INBOX /private/comment"))
	assert.Equal(t, []string{"a OK SETMETADATA completed"}, c.cmd("a SETMETADATA INBOX (/private/comment NIL)"))
	assert.Equal(t, []string{"* METADATA INBOX (/private/comment NIL)", "b OK GETMETADATA completed"},
		c.cmd("b GETMETADATA INBOX /private/comment"))
	assert.Equal(t, []string{"a OK SETMETADATA completed"},
		c.cmd(`a SETMETADATA INBOX (/private/comment "My new comment" /shared/comment "This one is for you!")`))

	// RFC 5464 4.4.1: several entries without parentheses, one
	// response.
	assert.Equal(t, []string{`* METADATA INBOX (/private/comment "My new comment" /shared/comment "This one is for you!")`, "a OK GETMETADATA completed"},
		c.cmd(`a GETMETADATA "INBOX" /private/comment /shared/comment`))

	// RFC 5464 4.3: TOOMANY, and nothing changes.
	c.ok("x SETMETADATA INBOX (/private/comment NIL)")
	var sb strings.Builder
	for i := range DefaultMaxMetadataEntries - 4 { // 4 entries already
		fmt.Fprintf(&sb, " /private/n%d \"%d\"", i, i)
	}
	c.ok("y SETMETADATA INBOX (" + sb.String()[1:] + ")")
	assert.Equal(t, []string{"a NO [METADATA TOOMANY] Too many annotations"},
		c.cmd(`a SETMETADATA INBOX (/private/comment "My new comment")`))
	assert.Equal(t, []string{"* METADATA INBOX (/private/comment NIL)", "b OK GETMETADATA completed"},
		c.cmd("b GETMETADATA INBOX /private/comment"))
}

func TestMetadataErrors(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	assert.NotContains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "METADATA")
	assert.Equal(t, []string{"b BAD GETMETADATA not valid in this state"}, c.cmd(`b GETMETADATA "" /shared/comment`))
	c.ok("L LOGIN alice secret")
	for _, bad := range []string{
		`a GETMETADATA "" /other/comment`,
		`a GETMETADATA "" /shared/`,
		`a GETMETADATA "" /shared//x`,
		`a GETMETADATA "" "/shared/a*"`,
		`a GETMETADATA "" "/shared/%"`,
		`a SETMETADATA "" (/shared "x")`,
		`a SETMETADATA INBOX (/private/x)`,
		`a SETMETADATA INBOX ()`,
		`a GETMETADATA INBOX (DEPTH 2) /private/x`,
		`a GETMETADATA INBOX (MAXSIZE) /private/x`,
	} {
		r := c.cmd(bad)
		assert.True(t, strings.HasPrefix(r[len(r)-1], "a BAD "), "%s: %q", bad, r)
	}
	assert.Equal(t, []string{"a NO [NONEXISTENT] No such mailbox"}, c.cmd(`a GETMETADATA Nope /private/comment`))
	assert.Equal(t, []string{"a NO [NONEXISTENT] No such mailbox"}, c.cmd(`a SETMETADATA Nope (/private/comment "x")`))
	big := strings.Repeat("y", DefaultMaxMetadataSize+1)
	assert.Equal(t, []string{"+ Ready for literal data", fmt.Sprintf("a NO [METADATA MAXSIZE %d] Value too large", DefaultMaxMetadataSize)},
		c.cmd("a SETMETADATA INBOX (/private/ok \"fine\" /private/big "+fmtLiteral(big)+")"))
	assert.Equal(t, []string{"* METADATA INBOX (/private/ok NIL)", "b OK GETMETADATA completed"}, c.cmd("b GETMETADATA INBOX /private/ok"))

	// Binary values: literal8 in, literal8 out; names are
	// case-insensitive.
	c.ok("d SETMETADATA INBOX (/Private/Bin ~{3}\r\na\x00b)")
	assert.Equal(t, []string{"* METADATA INBOX (/private/bin ~{3}\r\na\x00b)", "e OK GETMETADATA completed"}, c.cmd("e GETMETADATA INBOX /PRIVATE/BIN"))
}

// TestMetadataClient: our Client's GetMetadata and SetMetadata against
// our server, through COMPRESS.
func TestMetadataClient(t *testing.T) {
	ts := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := Dial(ctx, ts.addr, nil)
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.Login(ctx, testUser, testPass))
	require.NoError(t, cl.Compress(ctx))
	require.True(t, cl.Has(ctx, "METADATA"))
	// (The Client sends values as strings: no NUL.)
	v, bin := "a note\r\nwith two lines", "8-bit \xe2\x82\xac"
	require.NoError(t, cl.SetMetadata(ctx, "INBOX", map[string]*string{"/private/comment": &v, "/shared/vendor/postkit/x": &bin}))
	require.NoError(t, cl.SetMetadata(ctx, "", map[string]*string{"/shared/comment": &v}))
	got, err := cl.GetMetadata(ctx, "INBOX", "/private/comment", "/shared/missing", "/shared/vendor/postkit/x")
	require.NoError(t, err)
	require.NotNil(t, got["/private/comment"])
	assert.Equal(t, v, *got["/private/comment"])
	assert.Nil(t, got["/shared/missing"])
	if assert.NotNil(t, got["/shared/vendor/postkit/x"]) {
		assert.Equal(t, bin, *got["/shared/vendor/postkit/x"])
	}
	got, err = cl.GetMetadata(ctx, "", "/shared/comment")
	require.NoError(t, err)
	require.NotNil(t, got["/shared/comment"])
	assert.Equal(t, v, *got["/shared/comment"])
}

// TestMetadataEntryNameLimit: an entry name longer than
// MaxMetadataEntryName is BAD (RFC 5464 3.2), up to a literal of the
// decoder's largest size, and nothing is stored.
func TestMetadataEntryNameLimit(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	name := func(n int) string { return "/private/" + strings.Repeat("n", n-len("/private/")) }
	c.ok(`a SETMETADATA INBOX (` + name(MaxMetadataEntryName) + ` "fits")`)
	assert.Equal(t, []string{`* METADATA INBOX (` + name(MaxMetadataEntryName) + ` "fits")`, "b OK GETMETADATA completed"},
		c.cmd("b GETMETADATA INBOX "+name(MaxMetadataEntryName)))
	for _, n := range []int{MaxMetadataEntryName + 1, DefaultMaxStringLiteral} {
		long := name(n)
		r := c.cmd("c SETMETADATA INBOX (" + fmtLiteral(long) + ` "x")`)
		assert.Equal(t, "c BAD Invalid entry name", r[len(r)-1], n)
		r = c.cmd("d GETMETADATA INBOX " + fmtLiteral(long))
		assert.Equal(t, "d BAD Invalid entry name", r[len(r)-1], n)
		r = c.cmd("e SETMETADATA \"\" (" + fmtLiteral(long) + ` NIL)`)
		assert.Equal(t, "e BAD Invalid entry name", r[len(r)-1], n)
	}
	// The session goes on.
	c.ok("f SETMETADATA INBOX (/private/n/x \"below\")")
	assert.Equal(t, []string{`* METADATA INBOX (/private/n/x "below")`, "g OK GETMETADATA completed"},
		c.cmd("g GETMETADATA INBOX (DEPTH infinity) /private/n"))
}
