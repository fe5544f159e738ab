// Package memstore is a mailbox.Store that keeps everything in memory:
// for tests, and for programs that embed a small server and do not need
// the mail to outlive the process.
//
// A Store creates an account, with an INBOX, the first time a user asks
// for it (Store.AllowAccount can refuse users). All the mailboxes of an
// account share one lock, so every operation is atomic, and a Store is
// safe for concurrent use.
//
// # Views
//
// Each Account.Open returns a view that keeps its own list of the
// messages it knows, the way an IMAP session needs it (and the way
// Dovecot does it): the messages there when it was opened, those it
// appended, copied or moved into its own mailbox itself, and those
// reported by Poll. Fetch, Store, Expunge, Copy and Move act on the
// known messages only. A message another view appended is not fetched
// until Poll has reported it; a message another view expunged stays
// fetchable, with its last flags and its body, until Poll has reported
// the expunge, so a session never sees a message vanish before it has
// told its client. Store and Expunge skip such messages, Copy and Move
// leave them out of the mapping. Status reports the mailbox as it is
// now, with Recent counted for the view. The views that polled at the
// same point share one list, so an open view costs little more than
// its hub membership, and Poll costs in proportion to the changes.
//
// Changes made through a view are published to every other view of the
// mailbox (mailbox.Hub): Updates is signalled and Poll returns them. A
// Copy into another mailbox, a rename of INBOX and a Delete are
// published to every view of the mailbox they change.
//
// # Expunges
//
// A mailbox remembers the UIDs it expunged, with their mod-sequence,
// as a bounded list of UID ranges (mailbox.ExpungeTracker, for IMAP
// QRESYNC): consecutive UIDs expunged one after another share a record,
// and past maxTombstones records the oldest half is forgotten, whose
// UIDs are then reported as expunged for any mod-sequence.
//
// # Recent
//
// A message is \Recent (RFC 3501 2.3.2) in at most one read-write view:
// the first that learns of it, by opening the mailbox, by Poll, or by
// appending or copying it itself. Read-only views never claim messages
// and show as \Recent those no view has claimed (RFC 3501 6.3.2:
// EXAMINE leaves \Recent alone). Fetch, StoreResult and Poll list
// \Recent in the flags of the messages that are recent in the view;
// Account.Status counts the messages no view has claimed yet.
//
// # Memory
//
// A message costs its octets and a small record (UID, flags, date). The
// first BODY search of a message reads the layout of its text parts
// (mailbox.TextLayout: where each text part's body is, and its transfer
// encoding and charset) and keeps it with the message, shared by its
// copies, so that later searches decode those parts straight away: 24
// octets plus about 48 per text part, at most
// mailbox.MaxTextLayoutParts parts; about 110 octets per message over
// the developer corpus. Messages never searched for a body string keep
// none.
//
// # Names
//
// Names are UTF-8, "/"-separated; no level may be empty, and control
// characters, "*" and "%" (LIST wildcards) are refused. "INBOX" is
// case-insensitive as the first level and stored in upper case.
// Creating a name creates its missing parents as ordinary mailboxes;
// deleting a mailbox that has children leaves a \Noselect parent, which
// goes away with its last child.
package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// DefaultMaxMessageBytes is the largest message Append takes when
// Store.MaxMessageBytes is 0. Every message sits in memory whole, so the
// bound is what one careless client can make the process hold per
// message; 64 MiB is above what mail systems accept (25–50 MiB).
const DefaultMaxMessageBytes = 64 << 20

// maxNameBytes bounds a mailbox name; IMAP servers commonly cap names
// well below this.
const maxNameBytes = 1024

// Store is an in-memory mailbox.Store. Create it with New; set the
// fields before the first call to Account.
type Store struct {
	// MaxMessageBytes bounds the size of an appended message; Append
	// fails with mailbox.ErrTooLarge above it. 0 means
	// DefaultMaxMessageBytes, a negative value no bound.
	MaxMessageBytes int64

	// AllowAccount, when not nil, says which users have an account;
	// Account fails with mailbox.ErrNoSuchAccount for the others. When
	// nil, every non-empty user name gets one.
	AllowAccount func(user string) bool

	// Now, when not nil, gives the current time, for the internal date
	// of an Append without one and for save dates (mailbox.SaveDater);
	// time.Now when nil. Tests set it.
	Now func() time.Time
	// Quota, when it has a limit, gives each account one quota root,
	// named "", with these limits (IMAP QUOTA, RFC 9208); its accounts
	// then implement mailbox.Quotaer and mailbox.QuotaSetter.
	Quota mailbox.QuotaLimits

	mu       sync.Mutex
	accounts map[string]*accountData
	validity uint32 // last UIDVALIDITY given out
}

// New returns an empty Store.
func New() *Store {
	return &Store{accounts: make(map[string]*accountData)}
}

var _ mailbox.Store = (*Store)(nil)

// Account returns the account of user, creating it with an empty INBOX
// on first use.
func (s *Store) Account(ctx context.Context, user string) (mailbox.Account, error) {
	return s.account(ctx, user, true)
}

// FindAccount implements mailbox.AccountFinder: an account no call to
// Account made yet does not exist.
func (s *Store) FindAccount(ctx context.Context, user string) (mailbox.Account, error) {
	return s.account(ctx, user, false)
}

var _ mailbox.AccountFinder = (*Store)(nil)

func (s *Store) account(ctx context.Context, user string, create bool) (mailbox.Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if user == "" || s.AllowAccount != nil && !s.AllowAccount(user) {
		return nil, mailbox.ErrNoSuchAccount
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accounts == nil {
		s.accounts = make(map[string]*accountData)
	}
	d := s.accounts[user]
	if d == nil && !create {
		return nil, mailbox.ErrNoSuchAccount
	}
	if d == nil {
		d = &accountData{
			store: s,
			boxes: make(map[string]*box),
			subs:  make(map[string]struct{}),
		}
		d.boxes[mailbox.Inbox] = newBox(mailbox.Inbox, s.nextValidityLocked(), nil)
		d.quota, d.hasQuota = s.Quota, s.Quota != (mailbox.QuotaLimits{})
		s.accounts[user] = d
	}
	if d.hasQuota {
		return &quotaAccount{account{d: d}}, nil
	}
	return &account{d: d}, nil
}

// nextValidityLocked returns a UIDVALIDITY no mailbox of the store
// had: a counter seeded from the clock (RFC 9051 2.3.1.1 suggests
// either), so a mailbox deleted or renamed and created again gets a new
// one. The caller holds s.mu.
func (s *Store) nextValidityLocked() uint32 {
	if s.validity == 0 {
		s.validity = uint32(time.Now().Unix())
	}
	s.validity++
	if s.validity == 0 {
		s.validity = 1
	}
	return s.validity
}

func (s *Store) nextValidity() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextValidityLocked()
}

// now returns the time of an append, copy or move.
func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().Round(0)
}

func (s *Store) maxMessageBytes() int64 {
	if s.MaxMessageBytes == 0 {
		return DefaultMaxMessageBytes
	}
	return s.MaxMessageBytes
}
