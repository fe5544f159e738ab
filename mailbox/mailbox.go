package mailbox

import (
	"context"
	"io"
	"time"
)

// Delimiter separates the levels of a mailbox name ("Archive/2026").
const Delimiter = '/'

// Inbox is the name of the mailbox every account has (RFC 3501 5.1:
// case-insensitive).
const Inbox = "INBOX"

// Store gives the accounts of a mail system. Authentication is not its
// business: the protocol servers check credentials (package sasl) and
// then ask the Store for the account of the user they authenticated.
type Store interface {
	// Account returns the account of user, creating it (with an INBOX)
	// on first use if the store does that, or ErrNoSuchAccount.
	Account(ctx context.Context, user string) (Account, error)
}

// Account is one user's set of mailboxes. It is safe for concurrent use
// by several sessions of the same user.
type Account interface {
	// Mailboxes lists every mailbox of the account, INBOX included, in no
	// particular order. Parents that exist only because a child does are
	// listed with AttrNoSelect.
	Mailboxes(ctx context.Context) ([]MailboxInfo, error)

	// Create makes a mailbox, and any missing parent (RFC 3501 6.3.3). A
	// trailing Delimiter is ignored. It fails with ErrMailboxExists if
	// the name exists, ErrInvalidName if the backend cannot hold it.
	Create(ctx context.Context, name string, opts *CreateOptions) error

	// Delete removes a mailbox and its messages (RFC 9051 6.3.4). A
	// mailbox with children is removed but kept as a \Noselect parent;
	// deleting one that is already \Noselect and has children fails with
	// ErrHasChildren. INBOX cannot be deleted (ErrNotAllowed). A mailbox
	// created later under the same name gets a new UIDVALIDITY.
	Delete(ctx context.Context, name string) error

	// Rename renames a mailbox and all its children (RFC 9051 6.3.6).
	// Renaming INBOX moves its messages to a new mailbox and leaves INBOX
	// empty. It fails with ErrNoSuchMailbox, ErrMailboxExists, or
	// ErrNotAllowed for a rename into the mailbox's own child.
	Rename(ctx context.Context, from, to string) error

	// Subscribe adds name to the subscriptions, or removes it when
	// subscribed is false. A name may be subscribed whether or not the
	// mailbox exists (RFC 9051 6.3.7).
	Subscribe(ctx context.Context, name string, subscribed bool) error

	// Subscriptions lists the subscribed names, existing or not.
	Subscriptions(ctx context.Context) ([]string, error)

	// Status reports on a mailbox without opening it (IMAP STATUS).
	Status(ctx context.Context, name string) (*Status, error)

	// Open opens a view of a mailbox. Each session opens its own; close
	// it when done. It fails with ErrNoSuchMailbox, or ErrNotSelectable
	// for a \Noselect parent.
	Open(ctx context.Context, name string, opts *OpenOptions) (Mailbox, error)

	// Close releases this handle of the account (others, and open
	// mailboxes, stay usable); using it afterwards gives ErrClosed.
	Close() error
}

// CreateOptions are the options of Account.Create.
type CreateOptions struct {
	// SpecialUse gives the new mailbox special-use attributes (RFC 6154:
	// AttrSent, AttrDrafts, ...). A backend that cannot store them fails
	// with ErrUseAttrUnsupported.
	SpecialUse []string
}

// OpenOptions are the options of Account.Open.
type OpenOptions struct {
	// ReadOnly opens the mailbox for reading (IMAP EXAMINE): Store,
	// Expunge and Append through this view fail with ErrReadOnly, and the
	// view claims no \Recent messages.
	ReadOnly bool
	// NoRecent opens a read-write view that claims no \Recent message,
	// not even those it appends: the view of a delivery agent, so that
	// the next IMAP session sees the delivered messages as recent
	// (RFC 3501 2.3.2).
	NoRecent bool
}

// MailboxInfo describes a mailbox in a listing.
type MailboxInfo struct {
	Name       string   // full name, Delimiter-separated
	Attrs      []string // AttrNoSelect, AttrNoInferiors, AttrMarked, AttrUnmarked
	SpecialUse []string // RFC 6154 attributes: AttrSent, AttrDrafts, ...
}

// Mailbox attributes (RFC 9051 7.3.1, RFC 6154 2.).
const (
	AttrNoSelect    = `\Noselect`
	AttrNoInferiors = `\Noinferiors`
	AttrMarked      = `\Marked`
	AttrUnmarked    = `\Unmarked`

	AttrAll     = `\All`
	AttrArchive = `\Archive`
	AttrDrafts  = `\Drafts`
	AttrFlagged = `\Flagged`
	AttrJunk    = `\Junk`
	AttrSent    = `\Sent`
	AttrTrash   = `\Trash`
)

// Status is the state of a mailbox (IMAP STATUS, RFC 9051 6.3.11, and
// SELECT's untagged data).
type Status struct {
	Messages      uint32 // number of messages
	Unseen        uint32 // messages without \Seen
	Recent        uint32 // messages with \Recent (IMAP4rev1 only)
	Deleted       uint32 // messages with \Deleted (RFC 9051 STATUS DELETED)
	UIDNext       UID    // the UID the next message will get, at least
	UIDValidity   uint32 // changes when UIDs are no longer valid; never 0
	Size          int64  // total size of the messages in octets (RFC 8438)
	HighestModSeq uint64 // RFC 7162; 0 only when the mailbox never changed
	// MailboxID is the mailbox's object identifier (RFC 8474 4): the
	// same while the mailbox keeps its name and UIDVALIDITY and across
	// renames, never that of another mailbox; "" when the store gives
	// none.
	MailboxID string
	// Flags lists the flags and keywords defined in the mailbox: the
	// system flags and every keyword a message has or had (IMAP FLAGS
	// response, RFC 9051 7.3.5).
	Flags []string
	// PermanentFlags lists the flags that stay after the session ends;
	// `\*` in it means any keyword can be created.
	PermanentFlags []string
}

// Mailbox is one session's view of a mailbox. Its methods may be called
// from one goroutine at a time; Updates may be read from another.
//
// A view knows the messages that were there when it was opened and
// those Poll has reported since, and no others: a message appended
// through any view, this one included, is fetched only after Poll has
// reported it, so a view learns of new messages in ascending UID order
// (as IMAP's sequence numbers need). A message expunged through another
// view stays fetchable, with its last flags and its body, until Poll
// reports the expunge (RFC 9051 7.5.1: no EXPUNGE while the session
// cannot be told); Store, Expunge, Copy and Move skip it. Flags reported
// by a view (Message.Flags, FlagUpdate, Update) include \Recent where the
// message is recent in that view. Status describes the mailbox as it is
// now, not as the view knows it. After Close, or once the mailbox was
// deleted, methods fail with ErrClosed or ErrNoSuchMailbox.
type Mailbox interface {
	// Name returns the mailbox's full name.
	Name() string

	// Status reports the mailbox's current state.
	Status(ctx context.Context) (*Status, error)

	// Append adds a message read from r, which must be a whole RFC 5322
	// message, stored octet for octet, and returns its UID. Every view,
	// this one included, learns of it through Poll; it is \Recent in
	// this view. Bad flags give ErrInvalidFlag.
	Append(ctx context.Context, r io.Reader, opts *AppendOptions) (UID, error)

	// Fetch calls fn for each message whose UID is in uids, in ascending
	// UID order; UIDs with no message are skipped. The Message is valid
	// only during the call. An error from fn stops the iteration and is
	// returned.
	Fetch(ctx context.Context, uids UIDSet, fn func(Message) error) error

	// Store changes the flags of the messages in uids and returns their
	// new flags and MODSEQ values, in ascending UID order. Messages that
	// changed after opts.UnchangedSince are left alone and listed in
	// StoreResult.Modified (RFC 7162 3.1.3). When Store fails after
	// changing some flags, the changes it made are reported by the next
	// Poll of this view too.
	Store(ctx context.Context, uids UIDSet, op StoreOp, flags []string, opts *StoreOptions) (*StoreResult, error)

	// Expunge removes the messages flagged \Deleted, only those in uids
	// when uids is not nil (UID EXPUNGE, RFC 4315 2.1), and returns the
	// UIDs removed in ascending order. On error, the UIDs returned, if
	// any, were expunged all the same (the step that failed came after
	// their removal): the caller must report them as it would on
	// success, since Poll will not.
	Expunge(ctx context.Context, uids *UIDSet) ([]UID, error)

	// Copy copies the messages in uids, with their flags and internal
	// dates, to the mailbox named dest (ErrNoSuchMailbox when it does not
	// exist: IMAP says [TRYCREATE]; ErrNotSelectable for a \Noselect
	// one), and returns the UID mapping (RFC 4315 COPYUID). Copies into
	// this view's own mailbox reach it through Poll, like an Append.
	Copy(ctx context.Context, uids UIDSet, dest string) (*CopyResult, error)

	// Updates returns a channel that receives a value whenever another
	// view of this mailbox changed it; Poll then says what changed.
	Updates() <-chan struct{}

	// Poll returns the changes since the last Poll, oldest first, and
	// makes them part of this view: a Fetch after it sees them. It
	// returns the messages added through any view (this one included)
	// and the flag changes and expunges made through other views; this
	// view's own Store and Expunge results were returned to it already
	// (but see Store, and Mover.Move, when they fail).
	Poll(ctx context.Context) ([]Update, error)

	// Close closes the view.
	Close() error
}

// Message is a message as Fetch gives it.
type Message interface {
	UID() UID
	// Flags returns the message's flags and keywords, system flags in
	// their canonical case (FlagSeen, ...).
	Flags() []string
	// InternalDate is when the message arrived (RFC 9051 2.3.3).
	InternalDate() time.Time
	// Size is the message's size in octets as stored. Messages that
	// arrive through SMTP or IMAP APPEND end their lines with CRLF, and
	// then Size is RFC822.SIZE, which POP3's LIST and STAT also report.
	Size() int64
	// ModSeq is the message's modification sequence (RFC 7162).
	ModSeq() uint64
	// Open returns the message's octets. It reads from the store, so it
	// may be called for only the messages whose body is needed; the
	// reader supports ReadAt, so a part of the message can be read
	// without the rest (see Sections).
	Open(ctx context.Context) (Body, error)
}

// Body is the content of a message: random access to its octets.
type Body interface {
	io.ReaderAt
	io.Closer
	// Size is the number of octets.
	Size() int64
}

// AppendOptions are the options of Mailbox.Append.
type AppendOptions struct {
	Flags        []string  // flags and keywords of the new message
	InternalDate time.Time // the zero time means now
}

// StoreOp says how Store changes flags.
type StoreOp int

// Store operations (IMAP STORE FLAGS, +FLAGS and -FLAGS).
const (
	StoreReplace StoreOp = iota
	StoreAdd
	StoreRemove
)

// StoreOptions are the options of Mailbox.Store.
type StoreOptions struct {
	// UnchangedSince, when not 0, is the CONDSTORE UNCHANGEDSINCE value
	// (RFC 7162 3.1.3).
	UnchangedSince uint64
}

// StoreResult is what Store did.
type StoreResult struct {
	// Updated lists every message whose flags Store set (changed or
	// not, as IMAP answers FETCH for each), in ascending UID order.
	Updated []FlagUpdate
	// Modified lists the messages left alone because of UnchangedSince.
	Modified []UID
}

// FlagUpdate is the flags of one message after a change.
type FlagUpdate struct {
	UID    UID
	Flags  []string
	ModSeq uint64
}

// CopyResult maps the UIDs of copied messages (RFC 4315 COPYUID).
type CopyResult struct {
	UIDValidity uint32 // of the destination
	Source      []UID  // UIDs in the source, ascending
	Dest        []UID  // Dest[i] is the copy of Source[i]
}

// UpdateKind says what an Update reports.
type UpdateKind int

// Kinds of Update.
const (
	// UpdateAppended: a message was added (IMAP EXISTS).
	UpdateAppended UpdateKind = iota + 1
	// UpdateExpunged: a message was removed (IMAP EXPUNGE / VANISHED).
	UpdateExpunged
	// UpdateFlags: a message's flags changed (IMAP FETCH FLAGS).
	UpdateFlags
)

// Update is a change another view made to the mailbox.
type Update struct {
	Kind   UpdateKind
	UID    UID
	Flags  []string // for UpdateFlags and UpdateAppended
	ModSeq uint64
}

// Mover is implemented by a Mailbox that moves messages natively
// (RFC 6851); see Move.
type Mover interface {
	// Move moves the messages in uids to the mailbox named dest and
	// returns the UID mapping; the moved UIDs are expunged here. When
	// Move fails after moving some messages, those stay moved and
	// expunged here, and the next Poll of this view reports their
	// expunge.
	Move(ctx context.Context, uids UIDSet, dest string) (*CopyResult, error)
}

// Searcher is implemented by a Mailbox that searches natively; see
// Search.
type Searcher interface {
	// Search returns the UIDs of the messages that match c, ascending.
	Search(ctx context.Context, c *SearchCriteria) ([]UID, error)
}

// ExpungeTracker is implemented by a Mailbox that remembers at which
// mod-sequence its messages were expunged (RFC 7162 3.2, 5.3), so that
// an IMAP server can tell a QRESYNC client only what vanished since
// its last visit. Without it the IMAP server reports every UID of the
// client's set that has no message, which is correct but longer
// (RFC 7162 5.1).
type ExpungeTracker interface {
	// ExpungedSince returns the UIDs of within, below UIDNEXT, that
	// have no message in the mailbox as it is now (as for Status:
	// expunges Poll has yet to report are in), less those the backend
	// knows were expunged at or below modSeq. A backend keeps a bounded
	// record of expunges: UIDs it has forgotten are returned whatever
	// modSeq says, as RFC 7162 3.2.6 asks of a server whose record does
	// not go back far enough, and so are UIDs that were never used.
	// within must be sorted and merged, as the UIDSet methods keep it.
	ExpungedSince(ctx context.Context, modSeq uint64, within UIDSet) (UIDSet, error)
}

// TextLayouter is implemented by a Message whose store keeps the layout
// of the message's text parts (ReadTextLayout), so that a BODY search
// decodes just those parts instead of reading the message's structure
// each time; see Search.
type TextLayouter interface {
	// TextLayout returns the layout of the message as ReadTextLayout
	// reads it, typically computed on first call and kept. A nil layout
	// (and nil error) means the store has none for this message: it is
	// then searched by reading it whole.
	TextLayout(ctx context.Context) (*TextLayout, error)
}

// An AccountFinder is a Store that can open an account only if it
// exists already, where Store.Account may create one on first use. A
// server opening an account named by a peer (an IMAP URLFETCH of
// another user's URL) uses it, so that no peer can make the store
// create accounts; a Store without it is not asked for other accounts.
type AccountFinder interface {
	// FindAccount is Store.Account for an existing account only; it
	// returns an error matching ErrNoSuchAccount for any other.
	FindAccount(ctx context.Context, user string) (Account, error)
}
