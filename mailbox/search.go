package mailbox

import "time"

// SearchCriteria is an IMAP SEARCH program (RFC 9051 6.4.4, RFC 3501
// 6.4.4) in UID terms. A message matches when it matches every field
// that is set; the zero value matches every message (ALL).
//
// The IMAP session translates what only it knows before searching:
// message sequence numbers and "$" become UID sets, and RECENT, NEW and
// OLD become UID sets of the messages that are \Recent in its view. All
// strings are UTF-8 (the session decodes the CHARSET it was given).
// String matches are case-insensitive substring matches with Unicode
// simple case folding, on decoded text: RFC 2047 words in header fields,
// and the transfer encoding and charset of body parts.
type SearchCriteria struct {
	// UID: the message's UID is in every set.
	UID []UIDSet

	// Flag: the message has every flag (ANSWERED, DELETED, DRAFT,
	// FLAGGED, SEEN, KEYWORD). NotFlag: it has none of them (UNANSWERED,
	// ..., UNKEYWORD). Case-insensitive.
	Flag, NotFlag []string

	// Since and Before compare the internal date (SINCE, BEFORE, ON);
	// SentSince and SentBefore the Date header field (SENTSINCE,
	// SENTBEFORE, SENTON). Only the calendar day counts, in the date's
	// own time zone (RFC 9051 6.4.4: "disregarding time and timezone"):
	// Since matches that day and later, Before days strictly earlier. ON
	// d is Since d and Before the day after. The zero time is unset.
	Since, Before         time.Time
	SentSince, SentBefore time.Time

	// Older and Younger compare the internal date as an instant, to the
	// second (RFC 5032 WITHIN: OLDER and YOUNGER, which the IMAP session
	// turns into instants from its clock): Older matches an internal
	// date at or before it, Younger one at or after it. The zero time
	// is unset.
	Older, Younger time.Time

	// Header: the message has each field with the value as a substring
	// (BCC, CC, FROM, SUBJECT, TO, HEADER). An empty Value matches any
	// message that has the field (RFC 9051 6.4.4).
	Header []SearchHeader

	// Body: each string is in the body of the message (BODY); Text: in
	// the header or the body (TEXT). Bodies are searched part by part,
	// decoded.
	Body, Text []string

	// Larger and Smaller bound RFC822.SIZE: larger than Larger, smaller
	// than Smaller. 0 is unset, so the session writes SMALLER 0 (no
	// message) as an empty set in UID, and LARGER 0 as Not{Smaller: 1}.
	Larger, Smaller int64

	// ModSeq: the message's MODSEQ is at least ModSeq.ModSeq (RFC 7162
	// 3.1.5). nil is unset.
	ModSeq *SearchModSeq

	// Not: the message matches none of these (NOT).
	Not []SearchCriteria
	// Or: the message matches at least one of each pair (OR).
	Or [][2]SearchCriteria
}

// SearchHeader is a header field search key.
type SearchHeader struct {
	Field string // field name, case-insensitive
	Value string // substring of the decoded, unfolded value
}

// SearchModSeq is the MODSEQ search key (RFC 7162 3.1.5). The entry
// name and type, which name a per-flag MODSEQ, are kept for the IMAP
// server; the evaluator compares the message's MODSEQ.
type SearchModSeq struct {
	ModSeq       uint64
	MetadataName string
	MetadataType string // "priv", "shared" or "all"
}
