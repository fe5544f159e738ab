package imap

import (
	"io"
	"time"
)

// Command is one client command (RFC 9051 6). Name is upper case and
// without the UID prefix, which sets UID. Args holds the command's
// arguments, by Name:
//
//	CAPABILITY LOGOUT NOOP STARTTLS CHECK CLOSE UNSELECT
//	EXPUNGE NAMESPACE IDLE                     nil (UID EXPUNGE: *SeqCommand)
//	LOGIN                                      *LoginCommand
//	AUTHENTICATE                               *AuthenticateCommand
//	ENABLE                                     *EnableCommand
//	SELECT EXAMINE                             *SelectCommand
//	CREATE                                     *CreateCommand
//	DELETE SUBSCRIBE UNSUBSCRIBE               *MailboxCommand
//	RENAME                                     *RenameCommand
//	LIST LSUB                                  *ListCommand
//	STATUS                                     *StatusCommand
//	APPEND                                     *AppendCommand
//	REPLACE                                    *ReplaceCommand
//	COPY MOVE                                  *CopyCommand
//	FETCH                                      *FetchCommand
//	STORE                                      *StoreCommand
//	SEARCH                                     *SearchCommand
//	SORT                                       *SortCommand
//	THREAD                                     *ThreadCommand
//	ID                                         *IDCommand
//	COMPRESS                                   *CompressCommand
//	GETMETADATA                                *GetMetadataCommand
//	SETMETADATA                                *SetMetadataCommand
//	GETQUOTA                                   *QuotaCommand
//	GETQUOTAROOT                               *MailboxCommand
//	SETQUOTA                                   *QuotaCommand
//	RESETKEY                                   *ResetKeyCommand
//	GENURLAUTH                                 *GenURLAuthCommand
//	URLFETCH                                   *URLFetchCommand
//
// Mailbox names are as on the wire: modified UTF-7, or UTF-8 once
// UTF8=ACCEPT is enabled; see DecodeMailboxName and EncodeMailboxName.
type Command struct {
	Tag  string
	Name string
	UID  bool
	Args any
}

// commandUID lists the commands that take the UID prefix (RFC 9051
// 6.4.9, RFC 6851 MOVE, RFC 4315 UID EXPUNGE).
var commandUID = map[string]bool{
	"COPY": true, "MOVE": true, "FETCH": true, "SEARCH": true, "STORE": true, "EXPUNGE": true,
	"SORT": true, "THREAD": true, // RFC 5256 3
	"REPLACE": true, // RFC 8508 3.3
}

// SortCommand is the argument of SORT (RFC 5256 3) with the RETURN
// options of ESORT (RFC 5267 3).
type SortCommand struct {
	// Return holds the RETURN options, upper case, when HasReturn, as
	// in SearchCommand; the range of PARTIAL (RFC 5267 4.4) is the
	// element after it (see ParsePartialRange).
	HasReturn bool
	Return    []string
	// UpdateFetch are the fetch attributes after UPDATE, as in
	// SearchCommand (RFC 5465 7).
	UpdateFetch []FetchItem
	Criteria    []SortCriterion // Key upper case
	Charset     string
	Keys        []SearchKey
}

// CancelUpdateCommand is the argument of CANCELUPDATE (RFC 5267
// 4.3.5): the tags of the searching commands whose updates end.
type CancelUpdateCommand struct {
	Tags []string
}

// ThreadCommand is the argument of THREAD (RFC 5256 3).
type ThreadCommand struct {
	Algorithm string // upper case: ORDEREDSUBJECT, REFERENCES, ...
	Charset   string
	Keys      []SearchKey
}

// LoginCommand is the argument of LOGIN (RFC 9051 6.2.3).
type LoginCommand struct {
	Username, Password string
}

// AuthenticateCommand is the argument of AUTHENTICATE (RFC 9051 6.2.2)
// with the SASL-IR initial response (RFC 4959). InitialResponse is nil
// when absent and empty, not nil, for "=".
type AuthenticateCommand struct {
	Mechanism       string // upper case
	InitialResponse []byte
}

// EnableCommand is the argument of ENABLE (RFC 5161, RFC 9051 6.3.1).
type EnableCommand struct {
	Caps []string
}

// SelectCommand is the argument of SELECT and EXAMINE (RFC 9051 6.3.2,
// 6.3.3) with the CONDSTORE and QRESYNC parameters (RFC 7162 3.1.8,
// 3.2.5).
type SelectCommand struct {
	Mailbox   string
	CondStore bool
	QResync   *QResyncParams
}

// QResyncParams is the QRESYNC select parameter (RFC 7162 3.2.5).
type QResyncParams struct {
	UIDValidity uint32
	ModSeq      uint64
	KnownUIDs   SeqSet // empty when absent
	// SeqMatch is the known sequence set and the UIDs it maps to;
	// both empty when absent.
	SeqMatchSeqs, SeqMatchUIDs SeqSet
}

// CreateCommand is the argument of CREATE (RFC 9051 6.3.4) with the
// USE parameter of SPECIAL-USE (RFC 6154 3).
type CreateCommand struct {
	Mailbox    string
	SpecialUse []string
}

// MailboxCommand is the argument of DELETE, SUBSCRIBE and UNSUBSCRIBE.
type MailboxCommand struct {
	Mailbox string
}

// RenameCommand is the argument of RENAME (RFC 9051 6.3.6).
type RenameCommand struct {
	From, To string
}

// ListCommand is the argument of LIST (RFC 9051 6.3.9, RFC 5258
// LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE) and LSUB
// (RFC 3501 6.3.9, one pattern).
type ListCommand struct {
	// SelectOpts are the selection options, upper case: SUBSCRIBED,
	// REMOTE, RECURSIVEMATCH, SPECIAL-USE. nil when absent.
	SelectOpts []string
	Reference  string
	// Patterns holds one pattern, or more from "(p1 p2)".
	Patterns []string
	// ReturnOpts are the RETURN options other than STATUS, upper case:
	// SUBSCRIBED, CHILDREN, SPECIAL-USE. HasReturn is set for RETURN ().
	HasReturn  bool
	ReturnOpts []string
	// ReturnStatus holds the items of RETURN (STATUS (...)) (RFC 5819).
	ReturnStatus []string
}

// StatusCommand is the argument of STATUS (RFC 9051 6.3.11); Items are
// upper case (MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, DELETED, SIZE,
// RECENT, HIGHESTMODSEQ, APPENDLIMIT).
type StatusCommand struct {
	Mailbox string
	Items   []string
}

// AppendCommand is the argument of APPEND (RFC 9051 6.3.12). When read,
// Message streams the literal (of Literal.Size bytes, literal8 when
// Literal.Binary, RFC 3516): the server reads it, then calls
// Decoder.EndCommand. When written, Message supplies Literal.Size bytes.
type AppendCommand struct {
	Mailbox string
	Flags   []string  // nil when absent
	Date    time.Time // zero when absent
	// UTF8 is the "UTF8 (~{n})" form of RFC 6855 4.
	UTF8 bool
	// Catenate is the CATENATE form of RFC 4469: the message is the
	// concatenation of parts that the server reads, when it reads the
	// command, with Decoder.NextCatenatePart; Literal and Message are
	// then unset. Only the server reads it.
	Catenate bool
	Literal  LiteralInfo
	Message  io.Reader
}

// CatenatePart is one part of APPEND CATENATE (RFC 4469 5): a TEXT
// literal, streamed by Text (Literal.Size bytes), or the IMAP URL of a
// message or section to copy.
type CatenatePart struct {
	URL     string
	Literal LiteralInfo
	Text    io.Reader
	// UTF8 is set for the "UTF8 (~{n})" form of RFC 6855 4 in place of
	// TEXT: Text may then have UTF-8 header fields.
	UTF8 bool
}

// ReplaceCommand is the argument of REPLACE and UID REPLACE (RFC 8508
// 3.2, 3.3): the message to replace, by sequence number or UID (one
// number, or "*"), and the message that replaces it, read as APPEND's.
type ReplaceCommand struct {
	Seq SeqSet
	AppendCommand
}

// CopyCommand is the argument of COPY and MOVE (RFC 9051 6.4.7, 6.4.8).
type CopyCommand struct {
	Seq     SeqSet
	Mailbox string
}

// SeqCommand is the argument of UID EXPUNGE (RFC 4315 2.1).
type SeqCommand struct {
	Seq SeqSet
}

// StoreCommand is the argument of STORE (RFC 9051 6.4.6) with the
// UNCHANGEDSINCE modifier (RFC 7162 3.1.3).
type StoreCommand struct {
	Seq    SeqSet
	Op     StoreOp
	Silent bool
	Flags  []string
	// UnchangedSince is set when HasUnchangedSince (it may be 0).
	HasUnchangedSince bool
	UnchangedSince    uint64
}

// StoreOp is the operation of STORE.
type StoreOp int

// Store operations: FLAGS, +FLAGS, -FLAGS.
const (
	StoreReplace StoreOp = iota
	StoreAdd
	StoreRemove
)

// IDCommand is the argument of ID (RFC 2971); Params is nil for "ID NIL".
type IDCommand struct {
	Params []IDParam
}

// IDParam is one field of ID (RFC 2971 3.3); a NIL value has IsNil.
type IDParam struct {
	Name  string
	Value string
	IsNil bool
}

// CompressCommand is the argument of COMPRESS (RFC 4978 3); Mechanism
// is upper case.
type CompressCommand struct {
	Mechanism string
}

// GetMetadataCommand is the argument of GETMETADATA (RFC 5464 4.2).
// Entries are as sent; Depth is 0, 1 or -1 for "infinity".
type GetMetadataCommand struct {
	Mailbox    string // "" for the server's entries
	HasMaxSize bool
	MaxSize    uint32
	Depth      int
	Entries    []string
}

// SetMetadataCommand is the argument of SETMETADATA (RFC 5464 4.3).
type SetMetadataCommand struct {
	Mailbox string // "" for the server's entries
	Entries []MetadataEntry
}

// MetadataEntry is an entry and its value (RFC 5464 5, entry-value);
// IsNil is set for NIL (no value).
type MetadataEntry struct {
	Name  string
	Value string
	IsNil bool
}

// QuotaCommand is the argument of GETQUOTA and SETQUOTA (RFC 9208
// 4.1.1, 4.1.3): a quota root and, for SETQUOTA, the limits (Usage is
// unused; names upper case).
type QuotaCommand struct {
	Root   string
	Limits []QuotaResource
}
