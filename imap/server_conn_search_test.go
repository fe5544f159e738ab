package imap

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/postkit/postkit/mailbox"
)

func TestSearchBadCharset(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	// RFC 9051 6.4.4: NO [BADCHARSET] listing the charsets supported.
	assert.Equal(t, []string{`b NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset`}, c.cmd("b SEARCH CHARSET KOI8-R ALL"))
	assert.Regexp(t, `^c BAD `, c.cmd("c SEARCH RETURN (FROB) ALL")[0])
}

func TestSearch(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg, `\Seen`)
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg, `\Flagged`)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Equal(t, []string{"* SEARCH 1 2 3"}, c.ok("b SEARCH ALL"))
	assert.Equal(t, []string{"* SEARCH 2 3"}, c.ok("c SEARCH UNSEEN"))
	assert.Equal(t, []string{"* SEARCH 3"}, c.ok("d UID SEARCH FLAGGED"))
	assert.Equal(t, []string{"* SEARCH"}, c.ok("e SEARCH DELETED"))
	assert.Equal(t, []string{"* SEARCH 2 3"}, c.ok("e2 SEARCH CHARSET UTF-8 UNSEEN"))
	// RFC 4731 ESEARCH.
	assert.Equal(t, []string{`* ESEARCH (TAG "f") MIN 2 MAX 3 COUNT 2`}, c.ok("f SEARCH RETURN (MIN MAX COUNT) UNSEEN"))
	assert.Equal(t, []string{`* ESEARCH (TAG "g") UID ALL 1:3`}, c.ok("g UID SEARCH RETURN () ALL"))
	assert.Equal(t, []string{`* ESEARCH (TAG "h") COUNT 0`}, c.ok("h SEARCH RETURN (MIN COUNT) DELETED"))
	// SEARCHRES (RFC 5182): SAVE alone returns nothing; "$" is usable.
	assert.Empty(t, c.ok("i SEARCH RETURN (SAVE) UNSEEN"))
	assert.Equal(t, []string{"* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)"}, c.ok("j FETCH $ UID"))
	assert.Equal(t, []string{`* 2 FETCH (UID 2 FLAGS (\Deleted))`, `* 3 FETCH (UID 3 FLAGS (\Flagged \Deleted))`},
		c.ok(`k UID STORE $ +FLAGS (\Deleted)`))
	// IMAP4rev2: ESEARCH always (RFC 9051 6.4.4).
	c.ok("l UNSELECT")
	c.ok("m ENABLE IMAP4rev2")
	c.ok("n SELECT INBOX")
	assert.Equal(t, []string{`* ESEARCH (TAG "o") ALL 2:3`}, c.ok("o SEARCH DELETED"))
}

func TestSearchResolver(t *testing.T) {
	s := &selected{recent: map[mailbox.UID]bool{9: true}}
	for _, u := range []mailbox.UID{3, 5, 9} {
		s.uids.add(u)
	}
	r := sessionResolver{s}
	u, err := r.SeqUIDs(SeqSetOf(1, 3))
	assert.NoError(t, err)
	assert.Equal(t, mailbox.UIDSetOf(3, 9), u)
	_, err = r.SeqUIDs(SeqSetOf(4))
	assert.ErrorIs(t, err, errBadSeq)
	u, _ = r.UIDs(SeqSet{Ranges: []SeqRange{{4, Star}}})
	assert.Equal(t, mailbox.UIDSetOf(5, 9), u)
	assert.Equal(t, mailbox.UIDSetOf(9), r.Recent())
	s.saved, s.hasSaved = mailbox.UIDSetOf(5, 7), true
	u, _ = r.SeqUIDs(SeqSet{Saved: true})
	assert.Equal(t, mailbox.UIDSetOf(5), u)
}

// TestResolveLarge: resolving "1:*" over many scattered UIDs is not
// quadratic.
func TestResolveLarge(t *testing.T) {
	s := &selected{}
	for i := 0; i < 200000; i++ {
		s.uids.add(mailbox.UID(2*i + 1))
	}
	u, err := s.resolveSeq(SeqSet{Ranges: []SeqRange{{1, Star}}})
	assert.NoError(t, err)
	assert.Len(t, u, 200000)
	u = s.resolveUID(SeqSet{Ranges: []SeqRange{{2, 11}, {Star, 399990}}})
	assert.Equal(t, mailbox.UIDSetOf(3, 5, 7, 9, 11, 399991, 399993, 399995, 399997, 399999), u)
	assert.Equal(t, mailbox.UIDSetOf(1, 2, 3, 7, mailbox.MaxUID), uidSet([]mailbox.UID{7, 3, 2, 1, 3, mailbox.MaxUID, mailbox.MaxUID}))
}
