package smtpinterop

import (
	"context"
	"slices"
	"testing"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sendCase is one message a foreign client sends to our server.
type sendCase struct {
	name        string
	implicitTLS bool // TLS from the first byte (RFC 8314 3.3)
	startTLS    bool
	auth        string // "", "PLAIN" or "LOGIN"
	noIR        bool   // AUTH without an initial response, where the client can choose
	pass        string // password; testPass if empty
	from        string
	to          []string
	msg         []byte
	utf8        bool   // ask for SMTPUTF8
	body        string // ask for BODY=, where the client lets the caller choose

	authCode int // the AUTH reply code expected when AUTH must fail
}

func (c sendCase) password() string {
	if c.pass != "" {
		return c.pass
	}
	return testPass
}

// accepted returns the recipients the server keeps.
func (c sendCase) accepted() []string {
	return slices.DeleteFunc(slices.Clone(c.to), func(s string) bool { return s == refusedRcpt })
}

// sendResult is what a client saw.
type sendResult struct {
	authCode int            // reply code of a failed AUTH, 0 if it passed
	refused  map[string]int // recipient to reply code, for refused RCPTs
}

// clientQuirks says what a client puts in MAIL by itself.
type clientQuirks struct {
	// body returns the BODY= the server gets for c.
	body func(c sendCase) string
	// utf8 returns whether the server gets SMTPUTF8 for c.
	utf8 func(c sendCase) bool
}

// sendCases are the cases every client runs against our server; a
// driver skips what its client cannot do.
func sendCases() []sendCase {
	one := []string{"b@example.org"}
	return []sendCase{
		{name: "plain", from: "a@example.org", to: one, msg: msgDots},
		{name: "starttls", startTLS: true, from: "a@example.org", to: one, msg: msgDots},
		{name: "auth_plain", auth: "PLAIN", from: "a@example.org", to: one, msg: msgDots},
		{name: "auth_plain_no_ir", auth: "PLAIN", noIR: true, from: "a@example.org", to: one, msg: msgDots},
		{name: "auth_login", auth: "LOGIN", from: "a@example.org", to: one, msg: msgDots},
		{name: "auth_login_no_ir", auth: "LOGIN", noIR: true, from: "a@example.org", to: one, msg: msgDots},
		{name: "starttls_auth_plain", startTLS: true, auth: "PLAIN", from: "a@example.org", to: one, msg: msgDots},
		{name: "starttls_auth_login", startTLS: true, auth: "LOGIN", from: "a@example.org", to: one, msg: msgDots},
		{name: "auth_wrong_password", auth: "PLAIN", pass: "wrong", from: "a@example.org", to: one, msg: msgDots, authCode: 535},
		{name: "1MiB", from: "a@example.org", to: one, msg: msgBig},
		{name: "1MiB_starttls_auth", startTLS: true, auth: "PLAIN", from: "a@example.org", to: one, msg: msgBig},
		{name: "8bitmime", from: "a@example.org", to: one, msg: msg8bit, body: "8BITMIME"},
		{name: "smtputf8", from: utf8From, to: []string{utf8To, "b@example.org"}, msg: msg8bit, utf8: true, body: "8BITMIME"},
		// RFC 5321 4.5.5: the null reverse-path of a bounce.
		{name: "null_sender", from: "", to: one, msg: msgDots},
		{name: "recipients_one_refused", from: "a@example.org",
			to: []string{"b@example.org", refusedRcpt, "c@example.org"}, msg: msgDots},
	}
}

// driver sends c to srv with one foreign client.
type driver func(t *testing.T, ctx context.Context, srv *ourServer, c sendCase) (sendResult, error)

// runSendCases runs every case in its own subtest against a fresh server
// and checks what the server received.
func runSendCases(t *testing.T, drive driver, q clientQuirks) {
	cert := peertest.NewCert(t)
	for _, c := range sendCases() {
		t.Run(c.name, func(t *testing.T) {
			srv := startOurServer(t, cert)
			res, err := drive(t, testCtx(t), srv, c)
			require.NoError(t, err)
			if c.authCode != 0 {
				assert.Equal(t, c.authCode, res.authCode, "AUTH reply code")
				assert.Empty(t, srv.rec.messages(), "nothing delivered after a failed AUTH")
				return
			}
			require.Zero(t, res.authCode, "AUTH failed")
			wantRefused := map[string]int{}
			if slices.Contains(c.to, refusedRcpt) {
				wantRefused[refusedRcpt] = 550
			}
			assert.Equal(t, wantRefused, nonNil(res.refused), "refused recipients")

			msgs := srv.rec.messages()
			require.Len(t, msgs, 1)
			m := msgs[0]
			assert.Equal(t, c.from, m.From)
			assert.Equal(t, c.accepted(), m.To)
			assert.Equal(t, c.startTLS || c.implicitTLS, m.TLS, "TLS")
			assert.Equal(t, q.body(c), m.Body, "BODY=")
			assert.Equal(t, q.utf8(c), m.UTF8, "SMTPUTF8")
			if c.auth != "" {
				assert.Equal(t, testUser, m.Ident)
				assert.Equal(t, []string{c.auth}, srv.rec.mechanisms())
			} else {
				assert.Empty(t, m.Ident)
			}
			// Bytes identical: dot-stuffing undone, CRLF kept.
			require.Equal(t, len(c.msg), len(m.Data), "message length")
			assert.True(t, string(c.msg) == string(m.Data), "message bytes differ")
		})
	}
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// asked is the clientQuirks of a client that sends exactly what it is
// asked for.
var asked = clientQuirks{
	body: func(c sendCase) string { return c.body },
	utf8: func(c sendCase) bool { return c.utf8 },
}
