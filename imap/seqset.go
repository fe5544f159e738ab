package imap

import (
	"bufio"
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// Star is the value of "*" in a SeqRange: the largest number in use
// (RFC 9051 9: seq-number).
const Star uint32 = 0

// maxSeqRanges bounds the ranges of one parsed set; a line limit of
// 64 KiB allows about 16 000 "n," elements.
const maxSeqRanges = 1 << 16

// SeqRange is a range of message sequence numbers or UIDs, both ends
// included, in either order; Star stands for "*".
type SeqRange struct {
	Start, Stop uint32
}

// SeqSet is an IMAP sequence set (RFC 9051 9: sequence-set): ranges,
// and Saved for "$", the result saved by SEARCH RETURN (SAVE) (RFC 5182).
// The zero value is the empty set, which is not valid on the wire.
type SeqSet struct {
	Ranges []SeqRange
	Saved  bool
}

// ParseSeqSet parses a sequence set such as "1:3,7,9:*" or "$".
func ParseSeqSet(s string) (SeqSet, error) {
	d := NewDecoder(bufio.NewReader(strings.NewReader(s + "\r\n")))
	set, err := d.SeqSet()
	if err == nil && !d.AtCRLF() {
		err = syntaxf("bad sequence set %q", s)
	}
	return set, err
}

// SeqSetOf returns the set of the given numbers, each its own range.
func SeqSetOf(nums ...uint32) SeqSet {
	var s SeqSet
	for _, n := range nums {
		s.Ranges = append(s.Ranges, SeqRange{n, n})
	}
	return s
}

// Empty reports whether s has no range and no "$".
func (s SeqSet) Empty() bool { return len(s.Ranges) == 0 && !s.Saved }

// Dynamic reports whether s holds "*" or "$", whose meaning depends on
// the mailbox's state.
func (s SeqSet) Dynamic() bool {
	if s.Saved {
		return true
	}
	for _, r := range s.Ranges {
		if r.Start == Star || r.Stop == Star {
			return true
		}
	}
	return false
}

// String formats s in IMAP syntax; "$" comes last.
func (s SeqSet) String() string {
	var sb strings.Builder
	s.appendTo(&sb)
	return sb.String()
}

func (s SeqSet) appendTo(sb *strings.Builder) {
	num := func(n uint32) {
		if n == Star {
			sb.WriteByte('*')
		} else {
			sb.WriteString(strconv.FormatUint(uint64(n), 10))
		}
	}
	for i, r := range s.Ranges {
		if i > 0 {
			sb.WriteByte(',')
		}
		num(r.Start)
		if r.Stop != r.Start {
			sb.WriteByte(':')
			num(r.Stop)
		}
	}
	if s.Saved {
		if len(s.Ranges) > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('$')
	}
}

// bounds returns r's ends in ascending order with "*" replaced by
// largest; a range "n:*" with n above largest is "largest:n"
// (RFC 9051 6.4.8).
func (r SeqRange) bounds(largest uint32) (lo, hi uint32) {
	a, b := r.Start, r.Stop
	if a == Star {
		a = largest
	}
	if b == Star {
		b = largest
	}
	return min(a, b), max(a, b)
}

// Contains reports whether s holds n, with "*" standing for largest. "$"
// is not resolved here: the session replaces it first.
func (s SeqSet) Contains(n, largest uint32) bool {
	for _, r := range s.Ranges {
		lo, hi := r.bounds(largest)
		if n >= lo && n <= hi {
			return true
		}
	}
	return false
}

// Resolve returns the ranges of s as concrete, sorted, merged ranges,
// with "*" standing for largest. Numbers above largest are kept: the
// session decides whether they are an error (message numbers) or
// simply match nothing (UIDs). When largest is 0 (an empty mailbox),
// "*" stands for nothing and a range reaching it shrinks to its other
// end. "$" is ignored: the session replaces it first.
func (s SeqSet) Resolve(largest uint32) []SeqRange {
	out := make([]SeqRange, 0, len(s.Ranges))
	for _, r := range s.Ranges {
		lo, hi := r.bounds(largest)
		if lo == 0 {
			lo = hi
		}
		if hi == 0 {
			continue
		}
		out = append(out, SeqRange{lo, hi})
	}
	// Sort once and merge: a set can hold tens of thousands of ranges.
	slices.SortFunc(out, func(a, b SeqRange) int { return cmp.Compare(a.Start, b.Start) })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && uint64(r.Start) <= uint64(merged[n-1].Stop)+1 {
			merged[n-1].Stop = max(merged[n-1].Stop, r.Stop)
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// UIDSet resolves s as UIDs (see Resolve) into a mailbox.UIDSet; largest
// is the largest UID in the mailbox.
func (s SeqSet) UIDSet(largest mailbox.UID) mailbox.UIDSet {
	rs := s.Resolve(uint32(largest))
	u := make(mailbox.UIDSet, len(rs))
	for i, r := range rs {
		u[i] = mailbox.UIDRange{Start: mailbox.UID(r.Start), Stop: mailbox.UID(r.Stop)}
	}
	return u
}

// SeqSetFromUIDs returns u as a sequence set; mailbox.MaxUID becomes
// "*", as in mailbox.UIDSet.String.
func SeqSetFromUIDs(u mailbox.UIDSet) SeqSet {
	var s SeqSet
	for _, r := range u {
		a, b := uint32(r.Start), uint32(r.Stop)
		if r.Start == mailbox.MaxUID {
			a = Star
		}
		if r.Stop == mailbox.MaxUID {
			b = Star
		}
		s.Ranges = append(s.Ranges, SeqRange{a, b})
	}
	return s
}
