// Package mailboxtest is a conformance suite for mailbox.Store
// backends. A backend's tests call Run (or RunFactory, to test
// persistence too):
//
//	func TestConformance(t *testing.T) {
//		mailboxtest.Run(t, func(t *testing.T) mailbox.Store { return memstore.New() })
//	}
//
// Each subtest gets a fresh store from the factory and uses the account
// "alice" (and "bob" where two accounts matter). The suite checks what
// the interfaces in package mailbox promise, and these requirements
// that they imply for IMAP:
//
//   - A view knows a fixed set of messages between its own actions and
//     its Polls: a message another view appends is not fetched before
//     Poll has reported it, and a message another view expunges is
//     still fetched, body included, until Poll has reported the expunge.
//   - Poll does not report a view's own changes; a Store that does not
//     change a message's flags need not change its MODSEQ, one that does
//     makes it greater than every MODSEQ before, and Expunge raises
//     HIGHESTMODSEQ.
//   - Bodies come back byte for byte as appended (line endings, 8-bit
//     bytes), and Size is their length.
//   - \Recent, which a backend computes per view, is never stored, is
//     set in at most one read-write view, and a read-write view opened
//     after another has seen the messages finds none recent.
//   - Names: INBOX is case-insensitive and listed as "INBOX"; empty
//     names, empty levels ("a//b", "/a") and control characters are
//     refused with mailbox.ErrInvalidName.
//
// An Account that implements mailbox.Metadataer is checked (subtest
// Metadata), and so is a quota (subtest Quota), and one that implements
// mailbox.AccountWatcher (subtest Watch). A Mailbox that implements
// mailbox.ExpungeTracker is checked against
// what that interface promises (subtest ExpungedSince), and so is one
// whose Messages implement mailbox.SaveDater (subtest SaveDate) or
// mailbox.ObjectIDer (subtest ObjectIDs), or whose Status has a
// MailboxID (subtest MailboxID).
//
// The search subtest runs the IMAP SEARCH keys on a fixed set of
// messages from testdata/messages, through mailbox.Search and, when
// the Mailbox implements mailbox.Searcher, through that too. The suite finds
// testdata/messages from its own source file, so it runs from any
// package of this module.
package mailboxtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// Factory makes the stores the suite tests.
type Factory struct {
	// New returns a new, empty store. It may use t.TempDir and
	// t.Cleanup.
	New func(t *testing.T) mailbox.Store

	// Reopen, when not nil, returns a store over the same data as s, as
	// a new process would find it; the suite has closed every account
	// and mailbox of s before. The persistence subtests are skipped when
	// Reopen is nil (as for an in-memory store).
	Reopen func(t *testing.T, s mailbox.Store) mailbox.Store

	// NewQuota, when not nil, returns a new, empty store whose accounts
	// have one quota root with the limits l (mailbox.Quotaer); the
	// quota subtest is skipped when it is nil.
	NewQuota func(t *testing.T, l mailbox.QuotaLimits) mailbox.Store
}

// Run runs the suite on the stores newStore makes, without the
// persistence subtests.
func Run(t *testing.T, newStore func(t *testing.T) mailbox.Store) {
	RunFactory(t, Factory{New: newStore})
}

// RunFactory runs the whole suite.
func RunFactory(t *testing.T, f Factory) {
	if f.New == nil {
		t.Fatal("mailboxtest: Factory.New is nil")
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, f Factory)
	}{
		{"Account", testAccount},
		{"Create", testCreate},
		{"InvalidNames", testInvalidNames},
		{"SpecialUse", testSpecialUse},
		{"Delete", testDelete},
		{"DeleteWithChildren", testDeleteWithChildren},
		{"Rename", testRename},
		{"RenameInbox", testRenameInbox},
		{"Subscriptions", testSubscriptions},
		{"UIDValidity", testUIDValidity},
		{"AppendUIDs", testAppendUIDs},
		{"UIDsNotReused", testUIDsNotReused},
		{"Bodies", testBodies},
		{"Fetch", testFetch},
		{"Flags", testFlags},
		{"Keywords", testKeywords},
		{"InvalidFlags", testInvalidFlags},
		{"Recent", testRecent},
		{"DeliveryRecent", testDeliveryRecent},
		{"LateFlagUpdate", testLateFlagUpdate},
		{"FindAccount", testFindAccount},
		{"URLAuthKey", testURLAuthKey},
		{"ModSeq", testModSeq},
		{"UnchangedSince", testUnchangedSince},
		{"Expunge", testExpunge},
		{"ExpungedSince", testExpungedSince},
		{"Copy", testCopy},
		{"Move", testMove},
		{"Status", testStatus},
		{"ReadOnly", testReadOnly},
		{"Notifications", testNotifications},
		{"ExpungedStillFetchable", testExpungedStillFetchable},
		{"NotificationsOtherMailbox", testNotificationsOtherMailbox},
		{"ConcurrentAppends", testConcurrentAppends},
		{"ConcurrentAccounts", testConcurrentAccounts},
		{"Context", testContext},
		{"Closed", testClosed},
		{"Persistence", testPersistence},
		{"Search", testSearch},
		{"SaveDate", testSaveDate},
		{"MailboxID", testMailboxID},
		{"ObjectIDs", testObjectIDs},
		{"Metadata", testMetadata},
		{"Quota", testQuota},
		{"Replace", testReplace},
		{"Watch", testWatch},
		{"SetSpecialUse", testSetSpecialUse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, f) })
	}
}

// env is one subtest's store and account.
type env struct {
	t     *testing.T
	ctx   context.Context
	store mailbox.Store
	acct  mailbox.Account
}

func newEnv(t *testing.T, f Factory) *env {
	t.Helper()
	s := f.New(t)
	require.NotNil(t, s, "Factory.New")
	e := &env{t: t, ctx: t.Context(), store: s}
	e.acct = e.account("alice")
	return e
}

// account opens user's account, closed at the end of the test.
func (e *env) account(user string) mailbox.Account {
	e.t.Helper()
	a, err := e.store.Account(e.ctx, user)
	require.NoError(e.t, err, "Account(%q)", user)
	e.t.Cleanup(func() { a.Close() })
	return a
}

// create creates the mailboxes.
func (e *env) create(names ...string) {
	e.t.Helper()
	for _, n := range names {
		require.NoError(e.t, e.acct.Create(e.ctx, n, nil), "Create(%q)", n)
	}
}

// open opens a read-write view, closed at the end of the test.
func (e *env) open(name string) mailbox.Mailbox {
	e.t.Helper()
	return openIn(e.t, e.ctx, e.acct, name, false)
}

// examine opens a read-only view, closed at the end of the test.
func (e *env) examine(name string) mailbox.Mailbox {
	e.t.Helper()
	return openIn(e.t, e.ctx, e.acct, name, true)
}

func openIn(t *testing.T, ctx context.Context, a mailbox.Account, name string, ro bool) mailbox.Mailbox {
	t.Helper()
	m, err := a.Open(ctx, name, &mailbox.OpenOptions{ReadOnly: ro})
	require.NoError(t, err, "Open(%q)", name)
	t.Cleanup(func() { m.Close() })
	return m
}

// status returns the Account.Status of name.
func (e *env) status(name string) *mailbox.Status {
	e.t.Helper()
	st, err := e.acct.Status(e.ctx, name)
	require.NoError(e.t, err, "Status(%q)", name)
	return st
}

// names lists the account's mailboxes by name, with their info.
func (e *env) names() map[string]mailbox.MailboxInfo {
	e.t.Helper()
	return listNames(e.t, e.ctx, e.acct)
}

func listNames(t *testing.T, ctx context.Context, a mailbox.Account) map[string]mailbox.MailboxInfo {
	t.Helper()
	infos, err := a.Mailboxes(ctx)
	require.NoError(t, err, "Mailboxes")
	out := make(map[string]mailbox.MailboxInfo, len(infos))
	for _, i := range infos {
		_, dup := out[i.Name]
		require.False(t, dup, "Mailboxes lists %q twice", i.Name)
		out[i.Name] = i
	}
	return out
}
