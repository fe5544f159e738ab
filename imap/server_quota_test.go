package imap

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// rfcQuotaStore gives its accounts the quota roots of the examples of
// RFC 9208 4.1: "#user/alice", whose limits can be set (rounded up to
// 512), and "!partition/sda4", which cannot.
type rfcQuotaStore struct {
	mailbox.Store
	mu    sync.Mutex
	roots []mailbox.QuotaRoot
}

type rfcQuotaAccount struct {
	mailbox.Account
	s *rfcQuotaStore
}

func (s *rfcQuotaStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	a, err := s.Store.Account(ctx, user)
	if err != nil {
		return nil, err
	}
	return &rfcQuotaAccount{a, s}, nil
}

func (s *rfcQuotaStore) set(roots ...mailbox.QuotaRoot) {
	s.mu.Lock()
	s.roots = roots
	s.mu.Unlock()
}

func (a *rfcQuotaAccount) QuotaRoots(ctx context.Context) ([]mailbox.QuotaRoot, error) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return append([]mailbox.QuotaRoot(nil), a.s.roots...), nil
}

func (a *rfcQuotaAccount) SetQuota(ctx context.Context, root string, limits map[string]uint64) error {
	if root != "#user/alice" {
		return mailbox.ErrNotAllowed
	}
	r := mailbox.QuotaRoot{Name: root}
	for k, v := range limits {
		r.Resources = append(r.Resources, mailbox.QuotaResource{Name: k, Usage: 58, Limit: (v + 511) / 512 * 512})
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	for i := range a.s.roots {
		if a.s.roots[i].Name == root {
			a.s.roots[i] = r
		}
	}
	return nil
}

var (
	userAlice = func(res ...mailbox.QuotaResource) mailbox.QuotaRoot {
		return mailbox.QuotaRoot{Name: "#user/alice", Resources: res}
	}
	sda4 = mailbox.QuotaRoot{Name: "!partition/sda4", Resources: []mailbox.QuotaResource{{Name: "STORAGE", Usage: 104, Limit: 10923847}}}
)

// TestQuotaRFCExamples runs the examples of RFC 9208 4.1 and 4.2 (the
// server writes root names that are atoms without quotes).
func TestQuotaRFCExamples(t *testing.T) {
	qs := &rfcQuotaStore{}
	ts := newTestServer(t, func(s *Server) { qs.Store = s.Store; s.Store = qs })
	c := ts.login(t)
	caps := strings.Fields(c.ok("c CAPABILITY")[0])
	for _, cp := range []string{"QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "QUOTASET"} {
		assert.Contains(t, caps, cp)
	}

	// RFC 9208 4.1.1.
	qs.set(userAlice(mailbox.QuotaResource{Name: "MESSAGE", Usage: 42, Limit: 1000}), sda4)
	assert.Equal(t, []string{"* QUOTA !partition/sda4 (STORAGE 104 10923847)", "G0001 OK GETQUOTA completed"},
		c.cmd(`G0001 GETQUOTA "!partition/sda4"`))
	// RFC 9208 4.1.2.
	assert.Equal(t, []string{
		"* QUOTAROOT INBOX #user/alice !partition/sda4",
		"* QUOTA #user/alice (MESSAGE 42 1000)",
		"* QUOTA !partition/sda4 (STORAGE 104 10923847)",
		"G0002 OK GETQUOTAROOT completed"}, c.cmd("G0002 GETQUOTAROOT INBOX"))
	// RFC 9208 4.1.3.
	qs.set(userAlice(mailbox.QuotaResource{Name: "STORAGE", Usage: 54, Limit: 111}, mailbox.QuotaResource{Name: "MESSAGE", Usage: 42, Limit: 1000}), sda4)
	assert.Equal(t, []string{"* QUOTA #user/alice (STORAGE 54 111 MESSAGE 42 1000)", "S0000 OK GETQUOTA completed"},
		c.cmd(`S0000 GETQUOTA "#user/alice"`))
	assert.Equal(t, []string{"* QUOTA #user/alice (STORAGE 58 512)", "S0001 OK SETQUOTA completed"},
		c.cmd(`S0001 SETQUOTA "#user/alice" (STORAGE 510)`))
	assert.Equal(t, []string{"S0002 NO [CANNOT] Cannot set these limits"},
		c.cmd(`S0002 SETQUOTA "!partition/sda4" (STORAGE 99999999)`))

	// RFC 9208 4.1.4: 12 messages, 4 of them \Deleted, of 2 octets.
	for i := range 12 {
		if i < 4 {
			ts.deliver(t, "INBOX", "ab", `\Deleted`)
		} else {
			ts.deliver(t, "INBOX", "abc")
		}
	}
	assert.Equal(t, []string{"* STATUS INBOX (MESSAGES 12 DELETED 4 DELETED-STORAGE 8)", "S0003 OK STATUS completed"},
		c.cmd("S0003 STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)"))

	// Errors.
	assert.Equal(t, []string{"a NO [NONEXISTENT] No such quota root"}, c.cmd(`a GETQUOTA "nope"`))
	for _, bad := range []string{`a SETQUOTA "#user/alice" STORAGE 1`, `a SETQUOTA "#user/alice" (STORAGE)`, `a SETQUOTA "#user/alice" (STORAGE x)`, `a GETQUOTA`} {
		r := c.cmd(bad)
		assert.True(t, strings.HasPrefix(r[len(r)-1], "a BAD "), "%s: %q", bad, r)
	}
}

// TestQuotaMemstore: the quota of a memstore account over the wire, the
// examples of RFC 9208 4.2 and 4.3.1 (example 1), and [OVERQUOTA] for
// APPEND, COPY and MOVE.
func TestQuotaMemstore(t *testing.T) {
	ts := newTestServer(t)
	ts.store.Quota = mailbox.QuotaLimits{Bytes: 512 * 1024, Messages: 4}
	c := ts.login(t)
	assert.Equal(t, []string{`* QUOTA "" (STORAGE 0 512 MESSAGE 0 4)`, "a OK GETQUOTA completed"}, c.cmd(`a GETQUOTA ""`))
	c.ok("b CREATE saved-messages")
	ts.deliver(t, "INBOX", strings.Repeat("x", 5*1024))
	ts.deliver(t, "INBOX", strings.Repeat("y", 5*1024))
	// RFC 9208 4.2.1 and 4.2.2.
	assert.Equal(t, []string{`* QUOTAROOT INBOX ""`, `* QUOTA "" (STORAGE 10 512 MESSAGE 2 4)`, "c OK GETQUOTAROOT completed"},
		c.cmd("c GETQUOTAROOT INBOX"))
	assert.Equal(t, []string{`* QUOTAROOT comp.mail.mime ""`, `* QUOTA "" (STORAGE 10 512 MESSAGE 2 4)`, "c OK GETQUOTAROOT completed"},
		c.cmd("c GETQUOTAROOT comp.mail.mime"), "a mailbox yet to be created (RFC 9208 4.1.2)")

	// SETQUOTA on the memstore: MESSAGE alone is left, STORAGE goes.
	assert.Equal(t, []string{`* QUOTA "" (MESSAGE 2 3)`, "d OK SETQUOTA completed"}, c.cmd(`d SETQUOTA "" (MESSAGE 3)`))
	assert.Equal(t, []string{"d NO [CANNOT] Cannot set these limits"}, c.cmd(`d SETQUOTA "" (MAILBOX 3)`))
	assert.Equal(t, []string{"d NO [NONEXISTENT] No such quota root"}, c.cmd(`d SETQUOTA "x" (STORAGE 3)`))

	c.ok("e SELECT INBOX")
	// COPY of two messages to a third and fourth: over MESSAGE 3.
	assert.Equal(t, []string{"f NO [OVERQUOTA] Quota exceeded"}, c.cmd("f COPY 1:2 saved-messages"))
	// MOVE adds nothing to the account.
	c.ok("g MOVE 2 saved-messages")
	c.ok("h COPY 1 saved-messages")
	// RFC 9208 4.3.1, example 1.
	msg := "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n" +
		"From: Fred Foobar <foobar@Blurdybloop.example>\r\n" +
		"Subject: afternoon meeting\r\n" +
		"To: mooch@owatagu.siam.edu.example\r\n" +
		"Message-Id: <B27397-0100000@Blurdybloop.example>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
		"\r\n" +
		"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
	require.Len(t, msg, 326)
	c.send("A003 APPEND saved-messages (\\Seen) {326}\r\n")
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(msg + "\r\n")
	assert.Equal(t, []string{"A003 NO [OVERQUOTA] Quota exceeded"}, c.until("A003"))
	c.ok("i SELECT saved-messages")
	assert.Equal(t, []string{"j NO [OVERQUOTA] Quota exceeded"}, c.cmd("j COPY 1 INBOX"))
}

// TestQuotaClient: our Client's GetQuotaRoot and GetQuota against our
// server.
func TestQuotaClient(t *testing.T) {
	ts := newTestServer(t)
	ts.store.Quota = mailbox.QuotaLimits{Bytes: 1 << 20}
	ctx := t.Context()
	cl, err := Dial(ctx, ts.addr, nil)
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.Login(ctx, testUser, testPass))
	require.True(t, cl.Has(ctx, "QUOTA"))
	qs, err := cl.GetQuotaRoot(ctx, "INBOX")
	require.NoError(t, err)
	require.Len(t, qs, 1)
	assert.Equal(t, Quota{Root: "", Resources: []QuotaResource{{Name: "STORAGE", Usage: 0, Limit: 1024}}}, qs[0])
	q, err := cl.GetQuota(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, qs[0], *q)
}
