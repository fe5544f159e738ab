package mailbox

import (
	"slices"
	"strconv"
	"strings"
)

// UID is a message's unique identifier in its mailbox (RFC 9051 2.3.1.1):
// UIDs are assigned in ascending order and never reused while the
// mailbox's UIDVALIDITY stays the same. 0 is not a UID.
type UID uint32

// MaxUID is the largest UID; a range up to it means "to the last
// message" (IMAP's "*" once the IMAP session has resolved it).
const MaxUID UID = 1<<32 - 1

// UIDRange is the UIDs from Start to Stop, both included.
type UIDRange struct {
	Start, Stop UID
}

// UIDSet is a set of UIDs as ranges. The zero value is the empty set.
// The methods that change a set keep it sorted and merged.
type UIDSet []UIDRange

// AllUIDs is the set of every UID.
var AllUIDs = UIDSet{{1, MaxUID}}

// UIDSetOf returns the set of the given UIDs.
func UIDSetOf(uids ...UID) UIDSet {
	var s UIDSet
	for _, u := range uids {
		s.AddRange(u, u)
	}
	return s
}

// Contains reports whether uid is in s.
func (s UIDSet) Contains(uid UID) bool {
	for _, r := range s {
		lo, hi := min(r.Start, r.Stop), max(r.Start, r.Stop)
		if uid >= lo && uid <= hi {
			return true
		}
	}
	return false
}

// Empty reports whether s holds no UID.
func (s UIDSet) Empty() bool { return len(s) == 0 }

// Add adds one UID.
func (s *UIDSet) Add(uid UID) { s.AddRange(uid, uid) }

// AddRange adds the UIDs from a to b, in either order; 0 is left out.
func (s *UIDSet) AddRange(a, b UID) {
	lo, hi := min(a, b), max(a, b)
	if lo == 0 {
		lo = 1
	}
	if hi == 0 {
		return
	}
	// Fast path for UIDs added in ascending order, the usual case: no
	// sort, so building a set of n scattered UIDs stays linear.
	if n := len(*s); n == 0 || lo > (*s)[n-1].Stop {
		if n > 0 && (*s)[n-1].Stop != MaxUID && lo == (*s)[n-1].Stop+1 {
			(*s)[n-1].Stop = hi
		} else {
			*s = append(*s, UIDRange{lo, hi})
		}
		return
	}
	*s = append(*s, UIDRange{lo, hi})
	s.normalize()
}

// normalize sorts the ranges and merges those that overlap or touch.
func (s *UIDSet) normalize() {
	rs := *s
	for i, r := range rs {
		if r.Start > r.Stop {
			rs[i] = UIDRange{r.Stop, r.Start}
		}
	}
	slices.SortFunc(rs, func(a, b UIDRange) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && (r.Start <= out[n-1].Stop || out[n-1].Stop != MaxUID && r.Start == out[n-1].Stop+1) {
			out[n-1].Stop = max(out[n-1].Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	*s = out
}

// String formats s as an IMAP sequence set ("1:3,7,9:*"), "" when
// empty; MaxUID is written as "*".
func (s UIDSet) String() string {
	var sb strings.Builder
	num := func(u UID) {
		if u == MaxUID {
			sb.WriteByte('*')
		} else {
			sb.WriteString(strconv.FormatUint(uint64(u), 10))
		}
	}
	for i, r := range s {
		if i > 0 {
			sb.WriteByte(',')
		}
		num(r.Start)
		if r.Stop != r.Start {
			sb.WriteByte(':')
			num(r.Stop)
		}
	}
	return sb.String()
}

// Intersect returns the UIDs that are in both s and t, which must be
// sorted and merged (as the methods that change a set keep them), in
// O(len(s)+len(t)).
func (s UIDSet) Intersect(t UIDSet) UIDSet {
	var out UIDSet
	for i, j := 0, 0; i < len(s) && j < len(t); {
		lo, hi := max(s[i].Start, t[j].Start), min(s[i].Stop, t[j].Stop)
		if lo <= hi {
			out = append(out, UIDRange{lo, hi})
		}
		if s[i].Stop < t[j].Stop {
			i++
		} else {
			j++
		}
	}
	return out
}

// Minus returns the UIDs of s that are not in t; both must be sorted
// and merged. It takes O(len(s)+len(t)).
func (s UIDSet) Minus(t UIDSet) UIDSet {
	var out UIDSet
	j := 0
	for _, r := range s {
		lo := r.Start
		for ; j < len(t) && t[j].Stop < lo; j++ {
		}
		k := j
		for ; k < len(t) && t[k].Start <= r.Stop; k++ {
			if t[k].Start > lo {
				out = append(out, UIDRange{lo, t[k].Start - 1})
			}
			if t[k].Stop >= r.Stop {
				lo = 0
				break
			}
			lo = t[k].Stop + 1
		}
		if lo != 0 {
			out = append(out, UIDRange{lo, r.Stop})
		}
	}
	return out
}
