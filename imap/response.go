package imap

import (
	"io"
	"time"
)

// Response is one server response (RFC 9051 7): a *StatusResponse, a
// *ContinuationRequest or one of the untagged data types of this file.
type Response interface {
	response()
}

// Status response types (RFC 9051 7.1).
const (
	StatusOK      = "OK"
	StatusNO      = "NO"
	StatusBAD     = "BAD"
	StatusPREAUTH = "PREAUTH"
	StatusBYE     = "BYE"
)

// StatusResponse is a status response (RFC 9051 7.1), tagged or, when
// Tag is "", untagged. Code is the response code in upper case, "" for
// none; CodeArg holds its argument, by Code:
//
//	BADCHARSET CAPABILITY PERMANENTFLAGS   []string (BADCHARSET: nil when bare)
//	UIDNEXT UIDVALIDITY                    uint32
//	HIGHESTMODSEQ                          uint64 (RFC 7162 3.1.2.1)
//	APPENDUID                              *AppendUIDCode (RFC 4315 3)
//	COPYUID                                *CopyUIDCode (RFC 4315 3)
//	MODIFIED                               SeqSet (RFC 7162 3.1.3)
//	codes this package does not know       string, the raw text ("" when bare)
//	all others                             nil
type StatusResponse struct {
	Tag     string
	Type    string
	Code    string
	CodeArg any
	Text    string
}

// AppendUIDCode is the argument of the APPENDUID response code; UIDs
// holds one UID, or several after MULTIAPPEND.
type AppendUIDCode struct {
	UIDValidity uint32
	UIDs        SeqSet
}

// CopyUIDCode is the argument of the COPYUID response code.
type CopyUIDCode struct {
	UIDValidity uint32
	Source      SeqSet
	Dest        SeqSet
}

// Err returns the response as an error when it is NO, BAD or BYE,
// and nil otherwise.
func (r *StatusResponse) Err() error {
	switch r.Type {
	case StatusNO, StatusBAD, StatusBYE:
		return &Error{Response: r}
	}
	return nil
}

// Error is a NO, BAD or BYE response as a Go error.
type Error struct {
	Response *StatusResponse
}

func (e *Error) Error() string {
	s := "imap: " + e.Response.Type
	if e.Response.Code != "" {
		s += " [" + e.Response.Code + "]"
	}
	return s + " " + e.Response.Text
}

// ContinuationRequest is "+" (RFC 9051 7.5). Text is the resp-text or
// the base64 challenge of AUTHENTICATE, as the server wrote it.
type ContinuationRequest struct {
	Text string
}

// CapabilityData is the CAPABILITY response (RFC 9051 7.2.2).
type CapabilityData struct {
	Caps []string
}

// EnabledData is the ENABLED response (RFC 5161 3.2).
type EnabledData struct {
	Caps []string
}

// FlagsData is the FLAGS response (RFC 9051 7.3.5).
type FlagsData struct {
	Flags []string
}

// ListData is a LIST or LSUB response (RFC 9051 7.3.1, RFC 3501
// 7.2.3) with the extended items of RFC 5258 (CHILDINFO) and RFC 9051
// (OLDNAME).
type ListData struct {
	LSUB      bool
	Attrs     []string
	Delim     string // hierarchy delimiter; "" for NIL
	Mailbox   string // as on the wire
	ChildInfo []string
	OldName   string
}

// StatusData is the STATUS response (RFC 9051 7.3.2, RFC 7162 HIGHESTMODSEQ,
// RFC 7889 APPENDLIMIT). A nil field was not returned.
type StatusData struct {
	Mailbox       string
	Messages      *uint32
	UIDNext       *uint32
	UIDValidity   *uint32
	Unseen        *uint32
	Deleted       *uint32
	Recent        *uint32
	Size          *uint64
	HighestModSeq *uint64
	AppendLimit   *uint64
	MailboxID     string // RFC 8474 4.3; "" when absent
	// DeletedStorage is DELETED-STORAGE (RFC 9208 4.1.4).
	DeletedStorage *uint64
}

// ExistsData is "n EXISTS" (RFC 9051 7.4.1).
type ExistsData struct{ Num uint32 }

// RecentData is "n RECENT" (RFC 3501 7.3.2).
type RecentData struct{ Num uint32 }

// ExpungeData is "n EXPUNGE" (RFC 9051 7.5.1).
type ExpungeData struct{ Seq uint32 }

// VanishedData is VANISHED (RFC 7162 3.2.10).
type VanishedData struct {
	Earlier bool
	UIDs    SeqSet
}

// SearchData is the SEARCH response (RFC 3501 7.2.5) with the MODSEQ
// of RFC 7162 3.1.5 (0 when absent).
type SearchData struct {
	Nums   []uint32
	ModSeq uint64
}

// ESearchData is the ESEARCH response (RFC 9051 7.3.4, RFC 4731). A
// zero Min or Max, an empty All and a nil Count were not returned.
type ESearchData struct {
	Tag    string // the search correlator, "" when absent
	UID    bool
	Min    uint32
	Max    uint32
	All    SeqSet
	Count  *uint32
	ModSeq uint64
	// Partial is the PARTIAL result (RFC 5267 4.4), nil when absent.
	Partial *PartialResult
	// AddTo and RemoveFrom are the ADDTO and REMOVEFROM updates of a
	// context (RFC 5267 4.3.3, 4.3.4), in order; RemoveFrom is sent
	// first.
	AddTo      []ContextUpdate
	RemoveFrom []ContextUpdate
}

// PartialResult is the PARTIAL return data (RFC 5267 4.4): the range
// asked for, as asked, and the results in it (empty for NIL).
type PartialResult struct {
	First, Last uint32
	Results     SeqSet
}

// ContextUpdate is one pair of ADDTO or REMOVEFROM (RFC 5267 4.3.2): a
// context position (0: wherever mailbox order puts them) and the
// results, in the requested order.
type ContextUpdate struct {
	Pos  uint32
	Nums SeqSet
}

// SortData is the SORT response (RFC 5256 4): the message numbers or
// UIDs in sort order, with the MODSEQ of RFC 7162 3.1.5 (0 when absent).
type SortData struct {
	Nums   []uint32
	ModSeq uint64
}

// ThreadData is the THREAD response (RFC 5256 4): the threads in
// order. See Thread for the shape of a thread.
type ThreadData struct {
	Threads []*Thread
}

// NamespaceData is the NAMESPACE response (RFC 9051 7.3.3, RFC 2342).
// Each list is nil for NIL.
type NamespaceData struct {
	Personal, Other, Shared []Namespace
}

// Namespace is one namespace: a prefix and its hierarchy delimiter (""
// for NIL). Extensions are not kept.
type Namespace struct {
	Prefix string
	Delim  string
}

// IDData is the ID response (RFC 2971 3.2); Params is nil for NIL.
type IDData struct {
	Params []IDParam
}

// UnknownData is an untagged response this package does not know: its
// first word and the rest of the line as it is on the wire, literals
// included ("{3}\r\nabc"). WriteResponse writes Text as it is, once it
// has checked that CR LF only end literal announcements.
type UnknownData struct {
	Name string
	Text string
}

// FetchData is the FETCH response (RFC 9051 7.5.2). A field left at its
// zero value was not returned: nil Flags, 0 UID and ModSeq, the zero
// InternalDate, nil RFC822Size, Envelope, Body and BodyStructure.
type FetchData struct {
	Seq           uint32
	UID           uint32
	Flags         []string
	ModSeq        uint64
	InternalDate  time.Time
	RFC822Size    *int64
	Envelope      *Envelope
	Body          *BodyStructure // BODY: no extension data
	BodyStructure *BodyStructure // BODYSTRUCTURE
	BinarySizes   []BinarySize
	Sections      []FetchSection
	// Preview is the PREVIEW item (RFC 8970 3.2); nil when absent.
	Preview *NString
	// SaveDate is the SAVEDATE item (RFC 8514 4.2), the zero time for
	// NIL; nil when absent.
	SaveDate *time.Time
	// EmailID is the EMAILID item (RFC 8474 5.3); "" when absent.
	// ThreadID is the THREADID item, nil when absent.
	EmailID  string
	ThreadID *NString

	// The wire forms of ENVELOPE, BODY and BODYSTRUCTURE, from the
	// server's structure cache, written in place of the fields above
	// when those are nil.
	rawEnvelope, rawBody, rawBodyStructure []byte
}

// NString is an IMAP nstring (RFC 9051 9): a string, or NIL.
type NString struct {
	Value string
	IsNil bool
}

// BinarySize is a BINARY.SIZE item (RFC 3516 4.2).
type BinarySize struct {
	Part []uint32
	Size uint32
}

// FetchSection is a body section of a FETCH response: BODY[...]<origin>,
// BINARY[...], RFC822, RFC822.HEADER or RFC822.TEXT. Item.Partial
// holds the origin only.
//
// When writing, the content comes from Reader (Size bytes, streamed) or
// else Data; IsNil writes NIL. Data holding NUL is refused except for
// BINARY, which is then sent as literal8 (RFC 3516); a Reader's bytes
// are not checked, and a Reader for BINARY is always sent as literal8. When reading, Data holds it, unless a
// body handler was given to ReadResponse, which then consumed it.
type FetchSection struct {
	Item   FetchItem
	IsNil  bool
	Size   int64
	Reader io.Reader
	Data   []byte
}

func (*StatusResponse) response()      {}
func (*ContinuationRequest) response() {}
func (*CapabilityData) response()      {}
func (*EnabledData) response()         {}
func (*FlagsData) response()           {}
func (*ListData) response()            {}
func (*StatusData) response()          {}
func (*ExistsData) response()          {}
func (*RecentData) response()          {}
func (*ExpungeData) response()         {}
func (*VanishedData) response()        {}
func (*SearchData) response()          {}
func (*ESearchData) response()         {}
func (*SortData) response()            {}
func (*ThreadData) response()          {}
func (*NamespaceData) response()       {}
func (*IDData) response()              {}
func (*UnknownData) response()         {}
func (*FetchData) response()           {}

// MetadataData is the METADATA response with values (RFC 5464 4.4.1);
// Mailbox is "" for the server's entries. A value with a NUL goes as a
// literal8.
type MetadataData struct {
	Mailbox string
	Entries []MetadataEntry
}

func (*MetadataData) response() {}

// MetadataNamesData is the METADATA response without values (RFC 5464
// 4.4.2): the names of the entries of Mailbox ("" for the server) that
// changed, sent unsolicited, as NOTIFY's MailboxMetadataChange and
// ServerMetadataChange events do (RFC 5465 5.6, 5.7). The server sends
// many names in several responses of a few KiB each (RFC 5464 4.4).
type MetadataNamesData struct {
	Mailbox string
	Entries []string
}

func (*MetadataNamesData) response() {}

// QuotaData is the QUOTA response (RFC 9208 4.2.1): a quota root and
// the usage and limit of each resource it limits.
type QuotaData struct {
	Root      string
	Resources []QuotaResource
}

// QuotaRootData is the QUOTAROOT response (RFC 9208 4.2.2): the quota
// roots of a mailbox.
type QuotaRootData struct {
	Mailbox string
	Roots   []string
}

func (*QuotaData) response()     {}
func (*QuotaRootData) response() {}
