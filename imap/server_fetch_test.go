package imap

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/postkit/postkit/mailbox"
	"github.com/stretchr/testify/require"
)

func TestFetchItems(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	hdrLen := strings.Index(testMsg, "\r\n\r\n") + 4
	hdr, text := testMsg[:hdrLen], testMsg[hdrLen:]

	tests := []struct {
		cmd  string
		want string
	}{
		{"FETCH 1 (UID FLAGS)", `* 1 FETCH (UID 1 FLAGS ())`},
		{"FETCH 1 FAST", fmt.Sprintf(`* 1 FETCH (FLAGS () INTERNALDATE "02-Jan-2026 03:04:05 +0000" RFC822.SIZE %d)`, len(testMsg))},
		{"UID FETCH 1 RFC822.SIZE", fmt.Sprintf(`* 1 FETCH (UID 1 RFC822.SIZE %d)`, len(testMsg))},
		{"FETCH 1 BODY.PEEK[HEADER]", "* 1 FETCH (BODY[HEADER] " + fmtLiteral(hdr) + ")"},
		{"FETCH 1 RFC822.HEADER", "* 1 FETCH (RFC822.HEADER " + fmtLiteral(hdr) + ")"},
		{"FETCH 1 BODY.PEEK[TEXT]<0.5>", "* 1 FETCH (BODY[TEXT]<0> " + fmtLiteral(text[:5]) + ")"},
		{"FETCH 1 BODY.PEEK[TEXT]<7.100>", "* 1 FETCH (BODY[TEXT]<7> " + fmtLiteral(text[7:]) + ")"},
		{"FETCH 1 BODY.PEEK[TEXT]<1000.10>", "* 1 FETCH (BODY[TEXT]<1000> {0}\r\n)"},
		{"FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]", "* 1 FETCH (BODY[HEADER.FIELDS (Subject)] " + fmtLiteral("Subject: hello\r\n\r\n") + ")"},
		{"FETCH 1 BODY.PEEK[1]", "* 1 FETCH (BODY[1] " + fmtLiteral(text) + ")"},
		// A part the message does not have: empty, as Dovecot does.
		{"FETCH 1 BODY.PEEK[3]", "* 1 FETCH (BODY[3] {0}\r\n)"},
		{"FETCH 1 FLAGS", `* 1 FETCH (FLAGS ())`},
		// BODY[] sets \Seen and reports the flags (RFC 9051 6.4.5).
		{"FETCH 1 BODY[]", "* 1 FETCH (FLAGS (\\Seen) BODY[] " + fmtLiteral(testMsg) + ")"},
		{"FETCH 1 RFC822", "* 1 FETCH (RFC822 " + fmtLiteral(testMsg) + ")"},
		{"FETCH 1 RFC822.TEXT", "* 1 FETCH (RFC822.TEXT " + fmtLiteral(text) + ")"},
	}
	for i, tt := range tests {
		tag := fmt.Sprintf("f%d", i)
		r := c.cmd(tag + " " + tt.cmd)
		if assert.Len(t, r, 2, tt.cmd) {
			assert.Equal(t, tt.want, r[0], tt.cmd)
			assert.Equal(t, tag+" OK FETCH completed", r[1], tt.cmd)
		}
	}
	assert.Regexp(t, `^b2 BAD `, c.cmd("b2 FETCH 1 BODY[MIME]")[0])
	assert.Regexp(t, `^b3 BAD `, c.cmd("b3 UID FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)")[0])
}

func TestFetchEnvelopeAndStructure(t *testing.T) {
	// ENVELOPE and BODYSTRUCTURE come from server_bodydata.go; here the
	// session's side: the items are there, and the structure is cached.
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	r := c.ok("b FETCH 1 (ENVELOPE BODY BODYSTRUCTURE)")
	if assert.Len(t, r, 1) {
		assert.Regexp(t, `^\* 1 FETCH \(ENVELOPE \(.*\) BODY \(.*\) BODYSTRUCTURE \(.*\)\)$`, r[0])
	}
	assert.Len(t, ts.srv.structures().ring, 1)
	r = c.ok("c FETCH 1 ALL")
	assert.Len(t, r, 1)
	r = c.ok("d FETCH 1 FULL")
	assert.Len(t, r, 1)
}

func TestFetchExamineDoesNotSetSeen(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a EXAMINE INBOX")
	assert.Equal(t, []string{"* 1 FETCH (RFC822.TEXT " + fmtLiteral(testMsg[strings.Index(testMsg, "\r\n\r\n")+4:]) + ")"}, c.ok("b FETCH 1 RFC822.TEXT"))
	assert.Equal(t, []string{"* 1 FETCH (FLAGS ())"}, c.ok("c FETCH 1 FLAGS"))
}

func TestFetchSavedResult(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	// RFC 9051 6.4.4.1: "$" is empty before any SEARCH (SAVE).
	assert.Empty(t, c.ok("b FETCH $ UID"))
}

const multipartMsg = "From: bob@example.org\r\n" +
	"Subject: parts\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=xyz\r\n" +
	"\r\n" +
	"--xyz\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"bGluZSAxCmxpbmUgMgo=\r\n" +
	"--xyz\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AAEC\r\n" +
	"--xyz\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Transfer-Encoding: x-frob\r\n" +
	"\r\n" +
	"abc\r\n" +
	"--xyz--\r\n"

// TestFetchBinary: BINARY and BINARY.SIZE (RFC 9051 6.4.5, from RFC
// 3516) decode the transfer encoding.
func TestFetchBinary(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", multipartMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	// Text: decoded, with CRLF line ends.
	assert.Equal(t, []string{"* 1 FETCH (BINARY.SIZE[1] 16)"}, c.ok("b FETCH 1 BINARY.SIZE[1]"))
	assert.Equal(t, []string{"* 1 FETCH (BINARY[1] {16}\r\nline 1\r\nline 2\r\n)"}, c.ok("c FETCH 1 BINARY.PEEK[1]"))
	assert.Equal(t, []string{"* 1 FETCH (BINARY[1]<5> {3}\r\n1\r\n)"}, c.ok("d FETCH 1 BINARY.PEEK[1]<5.3>"))
	// NUL: literal8.
	assert.Equal(t, []string{"* 1 FETCH (BINARY[2] ~{3}\r\n\x00\x01\x02)"}, c.ok("e FETCH 1 BINARY.PEEK[2]"))
	assert.Equal(t, []string{"f NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding x-frob"}, c.cmd("f FETCH 1 BINARY.PEEK[3]"))
	assert.Equal(t, []string{"* 1 FETCH (BINARY[9] {0}\r\n)"}, c.ok("g FETCH 1 BINARY.PEEK[9]"))
	assert.Equal(t, []string{"* 1 FETCH (FLAGS (\\Seen) BINARY[] " + fmtLiteral(multipartMsg) + ")"}, c.ok("h FETCH 1 BINARY[]"))
}

func cacheKey(uid uint32) structureKey {
	return structureKey{account: "a", mailbox: "INBOX", uidValidity: 1, uid: mailbox.UID(uid)}
}

// cacheInfo is an entry of about n bytes.
func cacheInfo(n int) *msgInfo {
	return &msgInfo{enc: [2]encodedItems{{envelope: make([]byte, n-160)}}}
}

// cached asks c for uid as a FETCH does: get, and put when missed.
func cached(c *structureCache, uid uint32, n int) bool {
	if c.get(cacheKey(uid)) != nil {
		return true
	}
	c.put(cacheKey(uid), cacheInfo(n))
	return false
}

func TestStructureCacheBounds(t *testing.T) {
	assert.Nil(t, (&Server{StructureCacheSize: -1}).structures())
	assert.Nil(t, (&Server{StructureCacheBytes: -1}).structures())
	assert.Equal(t, int64(DefaultStructureCacheBytes), (&Server{}).structures().maxBytes)

	// Bytes: ten entries of 1000 fit in 10,000.
	c := newStructureCache(10000, 0)
	for uid := range uint32(20) {
		cached(c, uid+1, 1000)
	}
	assert.Len(t, c.ring, 10)
	assert.Equal(t, int64(10000), c.bytes)
	assert.Len(t, c.m, 10)
	// An entry over a quarter of the budget is not kept.
	c.get(cacheKey(100))
	c.put(cacheKey(100), cacheInfo(3000))
	assert.Nil(t, c.get(cacheKey(100)))

	// Entries.
	c = newStructureCache(1<<20, 3)
	for uid := range uint32(5) {
		cached(c, uid+1, 200)
	}
	assert.Len(t, c.ring, 3)
	// A richer entry replaces the one there.
	k := c.ring[0].key
	info := cacheInfo(500)
	c.put(k, info)
	assert.Same(t, info, c.get(k))
	assert.Equal(t, int64(2*200+500), c.bytes)
}

// TestStructureCacheScan: a FETCH 1:* repeated over a mailbox twice the
// size of the cache keeps hitting the messages cached first, where an
// LRU cache would miss every time.
func TestStructureCacheScan(t *testing.T) {
	c := newStructureCache(100*1000, 0)
	for uid := range uint32(200) {
		cached(c, uid+1, 1000)
	}
	for range 20 {
		hits := 0
		for uid := range uint32(200) {
			if cached(c, uid+1, 1000) {
				hits++
			}
		}
		assert.GreaterOrEqual(t, hits, 90)
	}
	// A new working set takes over once it is used more than the old.
	for range 100 {
		for uid := range uint32(50) {
			cached(c, 1000+uid, 1000)
		}
	}
	hits := 0
	for uid := range uint32(50) {
		if cached(c, 1000+uid, 1000) {
			hits++
		}
	}
	assert.Equal(t, 50, hits)
	assert.LessOrEqual(t, c.bytes, c.maxBytes)
}

// TestFetchCachedItems: ENVELOPE, BODY and BODYSTRUCTURE come out the
// same from the cache, in both encoder modes, 8-bit headers included.
func TestFetchCachedItems(t *testing.T) {
	msg8 := "From: Jörg <j@example.org>\r\nSubject: Grüße\r\n\r\nHallo\r\n"
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", msg8)
	ts.deliver(t, "INBOX", multipartMsg)
	items := []string{"ENVELOPE", "BODY", "BODYSTRUCTURE", "(BODYSTRUCTURE ENVELOPE)", "(BODY[1] BODYSTRUCTURE)"}
	fetch := func(c *wireClient) []string {
		var out []string
		for i, it := range items {
			out = append(out, c.ok(fmt.Sprintf("f%d FETCH 1:3 %s", i, it))...)
		}
		return out
	}
	plain := ts.login(t)
	plain.ok("a EXAMINE INBOX")
	first := fetch(plain)
	require.Len(t, first, 3*len(items))
	assert.Contains(t, first[1], "}\r\nGrüße") // 8-bit sent as a literal
	assert.NotContains(t, first[1], `"Grüße"`)
	assert.Equal(t, first, fetch(plain))

	u := ts.login(t)
	u.ok("a ENABLE UTF8=ACCEPT")
	u.ok("b EXAMINE INBOX")
	got := fetch(u)
	assert.Contains(t, got[1], `"Grüße"`)
	assert.Equal(t, got, fetch(u))
	// The ASCII messages are the same in both modes.
	assert.Equal(t, first[0], got[0])
	assert.Equal(t, first, fetch(plain))

	// Without the cache: the same responses.
	ts2 := newTestServer(t, func(s *Server) { s.StructureCacheBytes = -1 })
	ts2.deliver(t, "INBOX", testMsg)
	ts2.deliver(t, "INBOX", msg8)
	ts2.deliver(t, "INBOX", multipartMsg)
	nc := ts2.login(t)
	nc.ok("a EXAMINE INBOX")
	assert.Equal(t, first, fetch(nc))
}

func TestRecentHiddenIMAP4rev2(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	c.ok("a ENABLE IMAP4rev2")
	c.ok("b SELECT INBOX")
	c.send(fmt.Sprintf("c APPEND INBOX {%d+}\r\n%s\r\n", len(testMsg), testMsg))
	// RFC 9051: no RECENT response, no \Recent flag.
	assert.Equal(t, []string{"* 1 EXISTS", "c OK [APPENDUID V 1] APPEND completed"}, norm(c.until("c")))
	assert.Equal(t, []string{"* 1 FETCH (FLAGS ())"}, c.ok("d FETCH 1 FLAGS"))
}

// TestNulTo80: every NUL of what BODY[] reads becomes 0x80, the other
// octets stay, in one linear pass per Read.
func TestNulTo80(t *testing.T) {
	for _, in := range []string{"", "abc", "\x00", "\x00\x00a\x00", "a\x00b\x00\x00c\x00", strings.Repeat("\x00", 5000)} {
		got, err := io.ReadAll(nulTo80{strings.NewReader(in)})
		require.NoError(t, err)
		assert.Equal(t, strings.ReplaceAll(in, "\x00", "\x80"), string(got), "%q", in)
	}
}
