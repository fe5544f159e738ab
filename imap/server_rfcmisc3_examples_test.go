package imap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/sasl"
)

// This file plays on the wire the examples of RFC 6851 (MOVE), RFC 4315
// (UIDPLUS), RFC 5258 (LIST-EXTENDED), RFC 5819 (LIST-STATUS), RFC 2177
// (IDLE) and the RFC 5530 response codes the server emits.

// fixedListStore is a store whose accounts list fixed mailboxes and
// subscriptions, to play hierarchies the memstore cannot hold (\Marked,
// \Noinferiors, \Noselect, missing levels); statusErr makes STATUS of a
// name fail, openErr makes opening one fail. Everything else goes to
// the memstore under it.
type fixedListStore struct {
	mailbox.Store
	mu        sync.Mutex
	infos     []mailbox.MailboxInfo
	subs      []string
	statusErr map[string]error
	openErr   map[string]error
}

func (s *fixedListStore) set(infos []mailbox.MailboxInfo, subs []string) {
	s.mu.Lock()
	s.infos, s.subs = infos, subs
	s.mu.Unlock()
}

func (s *fixedListStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	a, err := s.Store.Account(ctx, user)
	if err != nil {
		return nil, err
	}
	return fixedListAccount{a, s}, nil
}

type fixedListAccount struct {
	mailbox.Account
	s *fixedListStore
}

func (a fixedListAccount) Mailboxes(ctx context.Context) ([]mailbox.MailboxInfo, error) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if a.s.infos == nil {
		return a.Account.Mailboxes(ctx)
	}
	return a.s.infos, nil
}

func (a fixedListAccount) Subscriptions(ctx context.Context) ([]string, error) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if a.s.infos == nil {
		return a.Account.Subscriptions(ctx)
	}
	return a.s.subs, nil
}

func (a fixedListAccount) Status(ctx context.Context, name string) (*mailbox.Status, error) {
	a.s.mu.Lock()
	err := a.s.statusErr[name]
	a.s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return a.Account.Status(ctx, name)
}

func (a fixedListAccount) Open(ctx context.Context, name string, opts *mailbox.OpenOptions) (mailbox.Mailbox, error) {
	a.s.mu.Lock()
	err := a.s.openErr[name]
	a.s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return a.Account.Open(ctx, name, opts)
}

func newFixedListServer(t *testing.T) (*testServer, *fixedListStore) {
	var fs *fixedListStore
	ts := newTestServer(t, func(s *Server) {
		fs = &fixedListStore{Store: s.Store}
		s.Store = fs
	})
	return ts, fs
}

// normList sorts the attributes of the LIST lines of r, so that
// expectations can keep the RFCs' order.
func normList(r []string) []string {
	out := make([]string, len(r))
	for i, l := range r {
		if strings.HasPrefix(l, "* LIST ") {
			l = normListLine(l)
		}
		out[i] = l
	}
	return out
}

// TestRFC5258ExamplesWire plays the examples of RFC 5258 5 (1 to 11)
// and RFC 6154 5.1 and 5.2 on the wire, over the hierarchies of
// listTests (whose comments say where each RFC example is adapted: the
// server always returns \HasChildren or \HasNoChildren, never \Remote
// mailboxes, writes names as atoms, and follows the SHOULD NOT of RFC
// 5258 3.5 where example 9 returns redundant CHILDINFO).
func TestRFC5258ExamplesWire(t *testing.T) {
	ts, fs := newFixedListServer(t)
	c := ts.login(t)
	n := 0
	for _, tc := range listTests {
		if !strings.HasPrefix(tc.name, "5258 ") && !strings.HasPrefix(tc.name, "6154 ") {
			continue
		}
		n++
		fs.set(tc.infos, tc.subs)
		r := c.cmd(tc.cmd)
		tag, _, _ := strings.Cut(tc.cmd, " ")
		if tc.want == nil {
			assert.True(t, strings.HasPrefix(r[len(r)-1], tag+" BAD "), "%s: %q", tc.name, r)
			continue
		}
		require.True(t, strings.HasPrefix(r[len(r)-1], tag+" OK "), "%s: %q", tc.name, r)
		assert.Equal(t, normList(tc.want), normList(r[:len(r)-1]), tc.name)
	}
	assert.GreaterOrEqual(t, n, 29, "RFC 5258 5 and RFC 6154 5.1, 5.2 cases")
}

// TestRFC5258ExamplesMemstore plays RFC 5258 5 examples 1, 2, 3 and 6
// on the memstore, the hierarchy made with CREATE, SUBSCRIBE and
// DELETE: "Fruit/Peach" is subscribed and then deleted.
func TestRFC5258ExamplesMemstore(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	for _, m := range []string{"Fruit", "Fruit/Apple", "Fruit/Banana", "Fruit/Peach", "Tofu",
		"Vegetable", "Vegetable/Broccoli", "Vegetable/Corn"} {
		c.ok("c CREATE " + m)
	}
	for _, m := range []string{"INBOX", "Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"} {
		c.ok("s SUBSCRIBE " + m)
	}
	c.ok("d DELETE Fruit/Peach")
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		// RFC 5258 5 example 1.
		{`A01 LIST "" "*"`, []string{
			`* LIST (\HasNoChildren) "/" INBOX`,
			`* LIST (\HasChildren) "/" Fruit`,
			`* LIST (\HasNoChildren) "/" Fruit/Apple`,
			`* LIST (\HasNoChildren) "/" Fruit/Banana`,
			`* LIST (\HasNoChildren) "/" Tofu`,
			`* LIST (\HasChildren) "/" Vegetable`,
			`* LIST (\HasNoChildren) "/" Vegetable/Broccoli`,
			`* LIST (\HasNoChildren) "/" Vegetable/Corn`,
		}},
		// RFC 5258 5 example 2.
		{`A02 LIST (SUBSCRIBED) "" "*"`, []string{
			`* LIST (\HasNoChildren \Subscribed) "/" INBOX`,
			`* LIST (\HasNoChildren \Subscribed) "/" Fruit/Banana`,
			`* LIST (\HasNoChildren \NonExistent \Subscribed) "/" Fruit/Peach`,
			`* LIST (\HasChildren \Subscribed) "/" Vegetable`,
			`* LIST (\HasNoChildren \Subscribed) "/" Vegetable/Broccoli`,
		}},
		// RFC 5258 5 example 3.
		{`A03 LIST () "" "%" RETURN (CHILDREN)`, []string{
			`* LIST (\HasNoChildren) "/" INBOX`,
			`* LIST (\HasChildren) "/" Fruit`,
			`* LIST (\HasNoChildren) "/" Tofu`,
			`* LIST (\HasChildren) "/" Vegetable`,
		}},
		// RFC 5258 5 example 6 (no remote mailboxes).
		{`A06 LIST (REMOTE) "" "*" RETURN (SUBSCRIBED)`, []string{
			`* LIST (\HasNoChildren \Subscribed) "/" INBOX`,
			`* LIST (\HasChildren) "/" Fruit`,
			`* LIST (\HasNoChildren) "/" Fruit/Apple`,
			`* LIST (\HasNoChildren \Subscribed) "/" Fruit/Banana`,
			`* LIST (\HasNoChildren) "/" Tofu`,
			`* LIST (\HasChildren \Subscribed) "/" Vegetable`,
			`* LIST (\HasNoChildren \Subscribed) "/" Vegetable/Broccoli`,
			`* LIST (\HasNoChildren) "/" Vegetable/Corn`,
		}},
	} {
		assert.Equal(t, normList(tc.want), normList(c.ok(tc.cmd)), tc.cmd)
	}
}

// TestRFC5819Examples plays RFC 5819 3 (and RFC 9051 6.3.9.8 example
// 11, the same).
func TestRFC5819Examples(t *testing.T) {
	ts, fs := newFixedListServer(t)
	for range 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	ts.deliver(t, "INBOX", testMsg, `\Seen`)
	c := ts.login(t)
	c.ok("a CREATE foo")
	c.ok("b CREATE bar/x")
	for range 2 {
		ts.deliver(t, "foo", testMsg)
	}
	// "bar" is \Noselect, as on the server of the RFC.
	fs.set(mboxes("INBOX", "foo", `bar \Noselect`, "bar/x"), nil)
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* STATUS INBOX (MESSAGES 4 UNSEEN 3)`,
		`* LIST (\HasChildren \Noselect) "/" bar`,
		`* LIST (\HasNoChildren) "/" foo`,
		`* STATUS foo (MESSAGES 2 UNSEEN 2)`,
	}, normList(c.ok(`A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))`)))

	// "foo" is listed for its subscribed child only: no STATUS, as it
	// does not meet the selection criteria. The RFC writes no space
	// between ")" and the reference, against the ABNF of RFC 5258 6
	// (list-select-opts SP mailbox), which we follow.
	fs.set(mboxes("INBOX", "foo", "foo/x", `bar \Noselect`, "bar/x"), []string{"INBOX", "foo/x"})
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren \Subscribed) "/" INBOX`,
		`* STATUS INBOX (MESSAGES 4)`,
		`* LIST (\HasChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))`,
	}, normList(c.ok(`A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))`)))

	// With SPECIAL-USE as the selection, the same rule.
	c.ok("c CREATE Trash")
	fs.set(mboxes("INBOX", "foo", `foo/x \Sent`, `Trash \Trash`), nil)
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren \Trash) "/" Trash`,
		`* STATUS Trash (MESSAGES 0)`,
		`* LIST (\HasChildren) "/" foo ("CHILDINFO" ("SPECIAL-USE"))`,
	}, normList(c.ok(`A03 LIST (SPECIAL-USE RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))`)))
}

// TestRFC5819StatusNotSelectable: RFC 5819 2, a STATUS that fails
// because the mailbox cannot be selected gives no STATUS response, and
// the LIST response says \Noselect (\NonExistent when the mailbox is
// gone); another failure just drops the STATUS.
func TestRFC5819StatusNotSelectable(t *testing.T) {
	ts, fs := newFixedListServer(t)
	c := ts.login(t)
	c.ok("a CREATE foo")
	c.ok("b CREATE qux")
	c.ok("b CREATE gone")
	fs.mu.Lock()
	fs.statusErr = map[string]error{"foo": mailbox.ErrNotSelectable, "qux": errors.New("disk on fire"),
		"gone": mailbox.ErrNoSuchMailbox}
	fs.mu.Unlock()
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* STATUS INBOX (MESSAGES 0)`,
		`* LIST (\HasNoChildren \Noselect) "/" foo`,
		`* LIST (\HasNoChildren \NonExistent) "/" gone`,
		`* LIST (\HasNoChildren) "/" qux`,
	}, normList(c.ok(`c LIST "" % RETURN (STATUS (MESSAGES))`)))
}

// TestRFC6851Example plays RFC 6851 3.3: UID MOVE of a range, COPYUID
// untagged before the EXPUNGEs (adapted: UIDs 3:6 to 1:4).
func TestRFC6851Example(t *testing.T) {
	ts := newTestServer(t)
	for range 8 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("b CREATE foo")
	c.ok("c SELECT INBOX")
	assert.Equal(t, []string{
		"* OK [COPYUID V 3:6 1:4] Moved",
		"* 3 EXPUNGE", "* 3 EXPUNGE", "* 3 EXPUNGE", "* 3 EXPUNGE",
		"a OK MOVE completed",
	}, norm(c.cmd("a UID MOVE 3:6 foo")))
	assert.Equal(t, []string{"* 4 FETCH (UID 8)"}, c.ok("d FETCH 4 UID"))
	// RFC 6851 3.3: a UID MOVE that matches nothing is OK, as UID COPY.
	assert.Equal(t, []string{"e OK MOVE completed"}, c.cmd("e UID MOVE 3:6 foo"))
	assert.Equal(t, []string{"f NO [TRYCREATE] No such mailbox"}, c.cmd("f UID MOVE 7 nope"))
}

// rfc4315Msg is the message of RFC 4315 3 (297 octets in the RFC,
// which counts a trailing blank line and LF ends).
const rfc4315Msg = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n" +
	"From: Fred Foobar <foobar@example.com>\r\n" +
	"Subject: afternoon meeting\r\n" +
	"To: mooch@example.com\r\n" +
	"Message-Id: <B27397-0100000@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n" +
	"\r\n" +
	"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"

// TestRFC4315Examples plays RFC 4315 2.1 and 3.
func TestRFC4315Examples(t *testing.T) {
	ts := newTestServer(t)
	for range 6 {
		ts.deliver(t, "INBOX", testMsg, `\Deleted`)
	}
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("a SELECT INBOX")
	assert.Contains(t, strings.Fields(c.ok("b CAPABILITY")[0]), "UIDPLUS")
	// RFC 4315 2.1: UIDs 3:5 are messages 3 to 5; UID 7 is not
	// \Deleted and stays.
	assert.Equal(t, []string{"* 3 EXPUNGE", "* 3 EXPUNGE", "* 3 EXPUNGE"}, c.ok("A003 UID EXPUNGE 3:5"))
	assert.Equal(t, []string{"* 4 FETCH (UID 7)"}, c.ok("c FETCH 4 UID"))
	assert.Empty(t, c.ok("d UID EXPUNGE 7"))
	assert.Equal(t, []string{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 6)", "* 4 FETCH (UID 7)"}, c.ok("e FETCH 1:* UID"))

	// RFC 4315 3: APPENDUID.
	c.ok("f CREATE saved-messages")
	c.send(fmt.Sprintf("A003 APPEND saved-messages (\\Seen) {%d}\r\n", len(rfc4315Msg)))
	assert.Equal(t, "+ Ready for literal data", c.line())
	c.send(rfc4315Msg + "\r\n")
	assert.Equal(t, []string{"A003 OK [APPENDUID V 1] APPEND completed"}, norm(c.until("A003")))
	// COPYUID with a set of source UIDs that is not one range: messages
	// 2:4 are UIDs 2,6:7.
	c.ok("g CREATE meeting")
	assert.Equal(t, []string{"A004 OK [COPYUID V 2,6:7 1:3] COPY completed"}, norm(c.cmd("A004 COPY 2:4 meeting")))
	// A UID COPY that matches nothing: OK, no COPYUID.
	assert.Equal(t, []string{"A005 OK COPY completed"}, c.cmd("A005 UID COPY 3:5 meeting"))
	// COPY of one message; SELECT of the target. Our UIDs are sticky:
	// no [UIDNOTSTICKY].
	c.ok("h CREATE funny")
	assert.Equal(t, []string{"A006 OK [COPYUID V 2 1] COPY completed"}, norm(c.cmd("A006 COPY 2 funny")))
	r := norm(c.ok("A007 SELECT funny"))
	assert.Contains(t, r, "* 1 EXISTS")
	assert.Contains(t, r, "* 1 RECENT")
	assert.Contains(t, r, "* OK [UIDVALIDITY V] UIDs valid")
	assert.Contains(t, r, "* OK [UIDNEXT 2] Predicted next UID")
	for _, l := range r {
		assert.NotContains(t, l, "UIDNOTSTICKY")
	}
	// The codec reads the response the example shows.
	resp, err := ReadResponse(newDec("* NO [UIDNOTSTICKY] Non-persistent UIDs\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, "UIDNOTSTICKY", resp.(*StatusResponse).Code)
}

// TestRFC2177Example plays RFC 2177 3: two IDLEs, with the changes of
// another session (the deliveries and the EXPUNGEs) reported during
// IDLE, or at its start when they happened before.
func TestRFC2177Example(t *testing.T) {
	ts := newTestServer(t)
	for range 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	other := ts.login(t)
	other.ok("o SELECT INBOX")
	r := c.ok("A001 SELECT INBOX")
	assert.Contains(t, r, "* 3 EXISTS")
	// The RFC's "* FLAGS (Deleted Seen)" lacks the backslashes of
	// system flags (RFC 3501 2.3.2), which we send.
	assert.Contains(t, r, `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`)
	assert.Contains(t, strings.Fields(c.ok("a CAPABILITY")[0]), "IDLE")

	c.send("A002 IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 4 EXISTS", c.line())
	c.send("DONE\r\n")
	assert.Equal(t, []string{"A002 OK IDLE terminated"}, c.until("A002"))
	r = c.ok("A003 FETCH 4 ALL")
	require.Len(t, r, 1)
	assert.Regexp(t, `^\* 4 FETCH \(FLAGS \([^)]*\) INTERNALDATE "[^"]+" RFC822\.SIZE \d+ ENVELOPE \(.*\)\)$`, r[0])

	// Message 2 expunged and one delivered before the IDLE: reported
	// with it.
	other.ok(`o STORE 2 +FLAGS.SILENT (\Deleted)`)
	other.ok("o EXPUNGE")
	c.send("A004 IDLE\r\n")
	var got []string
	for {
		l := c.line()
		if l == "+ idling" {
			break
		}
		got = append(got, l)
	}
	// The flag change may come first, as a FETCH, if the session saw
	// it before the expunge.
	got = slices.DeleteFunc(got, func(l string) bool { return l == `* 2 FETCH (UID 2 FLAGS (\Deleted))` })
	assert.Equal(t, []string{"* 2 EXPUNGE"}, got)
	// During the IDLE: message 3 expunged, then a new message.
	other.ok(`o STORE 3 +FLAGS.SILENT (\Deleted)`)
	other.ok("o EXPUNGE")
	l := c.line()
	if l == `* 3 FETCH (UID 4 FLAGS (\Deleted))` {
		l = c.line()
	}
	assert.Equal(t, "* 3 EXPUNGE", l)
	ts.deliver(t, "INBOX", testMsg)
	assert.Equal(t, "* 3 EXISTS", c.line())
	c.send("DONE\r\n")
	assert.Equal(t, []string{"A004 OK IDLE terminated"}, c.until("A004"))
	r = c.ok("A005 FETCH 3 ALL")
	require.Len(t, r, 1)
	assert.True(t, strings.HasPrefix(r[0], "* 3 FETCH (FLAGS ("), r[0])
	c.send("A006 IDLE\r\n")
	assert.Equal(t, "+ idling", c.line())
	c.send("DONE\r\n")
	assert.Equal(t, []string{"A006 OK IDLE terminated"}, c.until("A006"))
}

// TestRFC5530Examples plays the examples of RFC 5530 3 for the codes
// the server emits: UNAVAILABLE, AUTHENTICATIONFAILED, PRIVACYREQUIRED,
// NOPERM, CANNOT, OVERQUOTA, ALREADYEXISTS, NONEXISTENT and SERVERBUG.
// It does not emit AUTHORIZATIONFAILED, EXPIRED, CONTACTADMIN, INUSE,
// EXPUNGEISSUED, CORRUPTION, CLIENTBUG or LIMIT.
func TestRFC5530Examples(t *testing.T) {
	down := true
	var mu sync.Mutex
	var fs *fixedListStore
	ts := newTestServer(t, func(s *Server) {
		fs = &fixedListStore{Store: s.Store}
		s.Store = fs
		s.Authenticate = func(ctx context.Context, user, pass string) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			if user == "fred" && down {
				return "", errors.New("backend down for maintenance")
			}
			if user == testUser && pass == testPass {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		}
	})
	c := ts.dial(t)
	assert.Equal(t, []string{"a NO [UNAVAILABLE] Authentication temporarily unavailable"}, c.cmd(`a LOGIN "fred" "foo"`))
	mu.Lock()
	down = false
	mu.Unlock()
	assert.Equal(t, []string{"b NO [AUTHENTICATIONFAILED] Authentication failed"}, c.cmd(`b LOGIN "fred" "foo"`))
	c.ok(`L LOGIN alice secret`)

	fs.mu.Lock()
	fs.openErr = map[string]error{
		"archive/projects/experiment-iv": mailbox.ErrNotAllowed,
		"broken":                         errors.New("unexpected"),
	}
	fs.mu.Unlock()
	c.ok(`x CREATE "archive/projects/experiment-iv"`)
	c.ok(`x CREATE broken`)
	assert.Equal(t, []string{"f NO [NOPERM] Operation not allowed"}, c.cmd(`f select "archive/projects/experiment-iv"`))
	assert.Equal(t, []string{"j NO [SERVERBUG] Internal error"}, c.cmd(`j select "broken"`))
	assert.Equal(t, []string{"l NO [CANNOT] Invalid mailbox name"}, c.cmd(`l create "///////"`))
	c.ok("x CREATE this")
	c.ok("x CREATE that")
	assert.Equal(t, []string{"o NO [ALREADYEXISTS] Mailbox already exists"}, c.cmd("o RENAME this that"))
	c.ok("x DELETE this")
	assert.Equal(t, []string{"p NO [NONEXISTENT] No such mailbox"}, c.cmd("p RENAME this that"))

	// OVERQUOTA: a COPY over the memstore's message quota.
	ts3 := newTestServer(t)
	ts3.store.Quota = mailbox.QuotaLimits{Messages: 1}
	ts3.deliver(t, "INBOX", testMsg)
	q := ts3.login(t)
	q.ok("x CREATE oldmail")
	q.ok("x SELECT INBOX")
	assert.Equal(t, []string{"n1 NO [OVERQUOTA] Quota exceeded"}, q.cmd("n1 uid copy 1:* oldmail"))

	// PRIVACYREQUIRED: LOGIN from an address that is not loopback
	// (through the PROXY protocol) without TLS.
	ts2 := newTestServer(t, func(s *Server) { s.ProxyProtocol = true })
	nc, err := net.Dial("tcp", ts2.addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	_, err = nc.Write([]byte("PROXY TCP4 192.0.2.7 192.0.2.1 40000 143\r\n"))
	require.NoError(t, err)
	d := &wireClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	d.line()
	assert.Equal(t, []string{"d NO [PRIVACYREQUIRED] LOGIN needs TLS"}, d.cmd(`d login "fred" "foo"`))
}

// TestRFC6851Extensions plays RFC 6851 4.4: under QRESYNC, UID MOVE
// answers VANISHED, with HIGHESTMODSEQ in an OK, and the moved messages
// get mod-sequences above those of the target mailbox; and 4.1: within
// one account a MOVE at the message quota fits, as a COPY does not (a
// MAY the memstore meets).
func TestRFC6851Extensions(t *testing.T) {
	ts := newTestServer(t)
	for range 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("a CREATE foo")
	ts.deliver(t, "foo", testMsg)
	c.ok("b ENABLE QRESYNC")
	r := c.ok("c SELECT foo")
	m := regexp.MustCompile(`HIGHESTMODSEQ (\d+)`).FindStringSubmatch(strings.Join(r, "\n"))
	require.NotNil(t, m, "%q", r)
	fooHigh, _ := strconv.ParseUint(m[1], 10, 64)
	c.ok("d SELECT INBOX")
	r = norm(c.cmd("e UID MOVE 2:3 foo"))
	require.Len(t, r, 3, "%q", r)
	assert.Equal(t, "* OK [COPYUID V 2:3 2:3] Moved", r[0])
	assert.Equal(t, "* VANISHED 2:3", r[1])
	assert.Regexp(t, `^e OK \[HIGHESTMODSEQ \d+\] `, r[2])
	c.ok("f SELECT foo")
	r = c.ok("g UID FETCH 2:3 MODSEQ")
	require.Len(t, r, 2)
	for _, l := range r {
		m := regexp.MustCompile(`MODSEQ \((\d+)\)`).FindStringSubmatch(l)
		require.NotNil(t, m, l)
		ms, _ := strconv.ParseUint(m[1], 10, 64)
		assert.Greater(t, ms, fooHigh, l)
	}

	ts2 := newTestServer(t)
	ts2.store.Quota = mailbox.QuotaLimits{Messages: 2}
	ts2.deliver(t, "INBOX", testMsg)
	ts2.deliver(t, "INBOX", testMsg)
	q := ts2.login(t)
	q.ok("a CREATE foo")
	q.ok("b SELECT INBOX")
	assert.Equal(t, []string{"c NO [OVERQUOTA] Quota exceeded"}, q.cmd("c COPY 1 foo"))
	r = norm(q.cmd("d MOVE 1 foo"))
	assert.Equal(t, []string{"* OK [COPYUID V 1 1] Moved", "* 1 EXPUNGE", "d OK MOVE completed"}, r)
}
