package imap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 3516 has no C:/S: examples; these tests play, on the wire, each
// rule of its sections 4 to 6 instead.

// rfc3516Msg has a quoted-printable text part (1), a base64 part whose
// content holds a NUL (2), a part in an unknown encoding (3), an 8-bit
// text part without NUL (4), a base64 text part with bare LF line ends
// (5) and an encoded word in a part header (6).
const rfc3516Msg = "From: bob@example.org\r\n" +
	"Subject: =?utf-8?q?caf=C3=A9?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"caf=C3=A9 au lait=\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AGFiYw==\r\n" +
	"--b\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Transfer-Encoding: x-blurdybloop\r\n" +
	"\r\n" +
	"????\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"na\xc3\xafve\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"b25lCnR3bwo=\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Description: =?utf-8?q?r=C3=A9sum=C3=A9?=\r\n" +
	"\r\n" +
	"plain\r\n" +
	"--b--\r\n"

// TestRFC3516Fetch plays RFC 3516 4.2 and 4.3: BINARY, BINARY.PEEK,
// BINARY.SIZE and partial BINARY, string or literal8, and
// [UNKNOWN-CTE].
func TestRFC3516Fetch(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", rfc3516Msg)
	c := ts.login(t)
	// RFC 3516 4.1: BINARY in CAPABILITY, for IMAP4rev1 clients too
	// (IMAP4rev2 includes it, RFC 9051 6.4.5).
	caps := strings.Fields(c.ok("a CAPABILITY")[0])
	assert.Contains(t, caps, "BINARY")
	assert.Contains(t, caps, "IMAP4rev1")
	c.ok("b SELECT INBOX")

	cases := []struct {
		name, cmd string
		want      []string // the responses, the tagged one last
	}{
		// 4.2 BINARY.PEEK: decoded, \Seen not set.
		{"4.2 BINARY.PEEK quoted-printable", "c FETCH 1 BINARY.PEEK[1]",
			[]string{"* 1 FETCH (BINARY[1] {13}\r\ncaf\xc3\xa9 au lait)", "c OK FETCH completed"}},
		{"4.2 partial on decoded octets", "c FETCH 1 BINARY.PEEK[1]<3.2>",
			[]string{"* 1 FETCH (BINARY[1]<3> {2}\r\n\xc3\xa9)", "c OK FETCH completed"}},
		{"4.2 BINARY.SIZE", "c FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2])",
			[]string{"* 1 FETCH (BINARY.SIZE[1] 13 BINARY.SIZE[2] 4)", "c OK FETCH completed"}},
		{"4.2 no \\Seen yet", "c FETCH 1 FLAGS",
			[]string{"* 1 FETCH (FLAGS ())", "c OK FETCH completed"}},
		// 4.3: a NUL needs a literal8.
		{"4.3 literal8 for NUL", "c FETCH 1 BINARY.PEEK[2]",
			[]string{"* 1 FETCH (BINARY[2] ~{4}\r\n\x00abc)", "c OK FETCH completed"}},
		// 4.3: 8-bit data without NUL SHOULD be a string.
		{"4.3 string for 8bit", "c FETCH 1 BINARY.PEEK[4]",
			[]string{"* 1 FETCH (BINARY[4] {6}\r\nna\xc3\xafve)", "c OK FETCH completed"}},
		// 4.3: MUST fail with UNKNOWN-CTE, for BINARY and BINARY.SIZE.
		{"4.3 UNKNOWN-CTE BINARY", "c FETCH 1 BINARY.PEEK[3]",
			[]string{"c NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding x-blurdybloop"}},
		{"4.3 UNKNOWN-CTE BINARY.SIZE", "c FETCH 1 BINARY.SIZE[3]",
			[]string{"c NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding x-blurdybloop"}},
		// 5: encoded words are not decoded.
		{"5 MIME-MHE untouched", "c FETCH 1 BINARY.PEEK[6]",
			[]string{"* 1 FETCH (BINARY[6] {5}\r\nplain)", "c OK FETCH completed"}},
		{"5 MIME-MHE in BINARY[]", "c FETCH 1 BINARY.SIZE[]",
			[]string{fmt.Sprintf("* 1 FETCH (BINARY.SIZE[] %d)", len(rfc3516Msg)), "c OK FETCH completed"}},
		// 6: text sent with CRLF line ends.
		{"6 CRLF for text", "c FETCH 1 BINARY.PEEK[5]",
			[]string{"* 1 FETCH (BINARY[5] {10}\r\none\r\ntwo\r\n)", "c OK FETCH completed"}},
		// 7: section-binary takes part numbers only; BINARY.SIZE no partial.
		{"7 no specifier", "c FETCH 1 BINARY.PEEK[1.MIME]",
			[]string{"c BAD Syntax error: BINARY section takes part numbers only"}},
		{"7 BINARY.SIZE without partial", "c FETCH 1 BINARY.SIZE[1]<0.2>",
			[]string{"c BAD Syntax error: BINARY.SIZE takes no partial"}},
		// 4.2 BINARY sets \Seen as BODY does.
		{"4.2 BINARY sets \\Seen", "c FETCH 1 BINARY[2]",
			[]string{"* 1 FETCH (FLAGS (\\Seen) BINARY[2] ~{4}\r\n\x00abc)", "c OK FETCH completed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, c.cmd(tc.cmd))
		})
	}
	r := c.ok("d FETCH 1 BINARY.PEEK[]")
	require.Len(t, r, 1)
	assert.Contains(t, r[0], "Subject: =?utf-8?q?caf=C3=A9?=\r\n")
	assert.Contains(t, r[0], "Content-Description: =?utf-8?q?r=C3=A9sum=C3=A9?=\r\n")
}

// TestRFC3516Append plays RFC 3516 4.4: APPEND with a literal8. Binary
// content without NUL is stored as it is; content with a NUL octet is
// refused with NO [UNKNOWN-CTE] (the answer of 4.4 for a mailbox that
// cannot store binary content), since BODY[] could not carry it in a
// literal (RFC 3516 6, RFC 9051 4.3), and nothing is stored.
func TestRFC3516Append(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	hdr := "Subject: bin\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
	eightBit := hdr + "\xff\xfe\x01\r\n"
	withNUL := hdr + "a\x00b\r\n"

	cases := []struct {
		name, send string
		cont       bool // a continuation request comes first
		want       string
	}{
		{"literal8 without NUL", fmt.Sprintf("A1 APPEND INBOX ~{%d+}\r\n%s\r\n", len(eightBit), eightBit), false,
			"A1 OK [APPENDUID V 1] APPEND completed"},
		{"literal8 with NUL", fmt.Sprintf("A2 APPEND INBOX ~{%d+}\r\n%s\r\n", len(withNUL), withNUL), false,
			"A2 NO [UNKNOWN-CTE] Binary content with NUL octets cannot be stored"},
		{"synchronising literal8 with NUL", fmt.Sprintf("A3 APPEND INBOX (\\Seen) ~{%d}\r\n", len(withNUL)), true,
			"A3 NO [UNKNOWN-CTE] Binary content with NUL octets cannot be stored"},
		{"MULTIAPPEND, NUL in the second", fmt.Sprintf("A4 APPEND INBOX ~{%d+}\r\n%s ~{%d+}\r\n%s\r\n", len(eightBit), eightBit, len(withNUL), withNUL), false,
			"A4 NO [UNKNOWN-CTE] Binary content with NUL octets cannot be stored"},
		{"CATENATE TEXT literal8 with NUL", fmt.Sprintf("A5 APPEND INBOX CATENATE (TEXT ~{%d+}\r\n%s)\r\n", len(withNUL), withNUL), false,
			"A5 NO [UNKNOWN-CTE] Binary content with NUL octets cannot be stored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tag, _, _ := strings.Cut(tc.send, " ")
			c.send(tc.send)
			if tc.cont {
				assert.Equal(t, "+ Ready for literal data", c.line())
				c.send(withNUL + "\r\n")
			}
			assert.Equal(t, []string{tc.want}, norm(c.until(tag)))
		})
	}
	// Only the first message is there, as it was sent.
	assert.Equal(t, []string{`* STATUS INBOX (MESSAGES 1)`}, c.ok("s STATUS INBOX (MESSAGES)"))
	c.ok("b SELECT INBOX")
	assert.Equal(t, []string{
		`* 1 FETCH (BODYSTRUCTURE ("application" "octet-stream" NIL NIL NIL "BINARY" 5 NIL NIL NIL NIL) BINARY[1] {5}` + "\r\n\xff\xfe\x01\r\n)",
	}, c.ok("c FETCH 1 (BODYSTRUCTURE BINARY.PEEK[1])"))
}

// TestRFC3516BodyWithNUL: a stored message that holds NUL octets (a
// delivery may store one) is sent by BODY, RFC822 and their parts with
// each NUL turned into 0x80, as a literal cannot carry NUL (RFC 9051
// 4.3) and RFC 3516 6 wants BODY in a form the base protocol can send;
// BINARY gives the octets as they are, in a literal8 (RFC 3516 4.3).
func TestRFC3516BodyWithNUL(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", "Subject: n\x00ul\r\n\r\na\x00b\r\n")
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	cases := []struct{ item, want string }{
		{"BODY.PEEK[]", "BODY[] {22}\r\nSubject: n\x80ul\r\n\r\na\x80b\r\n"},
		{"BODY.PEEK[1]", "BODY[1] {5}\r\na\x80b\r\n"},
		{"BODY.PEEK[TEXT]<1.2>", "BODY[TEXT]<1> {2}\r\n\x80b"},
		{"BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "BODY[HEADER.FIELDS (SUBJECT)] {17}\r\nSubject: n\x80ul\r\n\r\n"},
		{"RFC822.HEADER", "RFC822.HEADER {17}\r\nSubject: n\x80ul\r\n\r\n"},
		{"RFC822.SIZE", "RFC822.SIZE 22"},
		{"BINARY.PEEK[]", "BINARY[] ~{22}\r\nSubject: n\x00ul\r\n\r\na\x00b\r\n"},
		{"BINARY.PEEK[1]", "BINARY[1] ~{5}\r\na\x00b\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.item, func(t *testing.T) {
			assert.Equal(t, []string{"* 1 FETCH (" + tc.want + ")"}, c.ok("b FETCH 1 "+tc.item))
		})
	}
}
