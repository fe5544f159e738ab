package imap

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// searchResolver gives what only the IMAP session knows to the search
// conversion: message sequence numbers, "$" and \Recent.
type searchResolver interface {
	// SeqUIDs returns the UIDs of the messages whose sequence numbers are
	// in s ("*" is the last message; "$" the saved result).
	SeqUIDs(s SeqSet) (mailbox.UIDSet, error)
	// UIDs returns the UIDs in s ("*" is the largest UID; "$" the saved
	// result), as a set over existing messages.
	UIDs(s SeqSet) (mailbox.UIDSet, error)
	// Recent returns the UIDs of the messages \Recent in the session.
	Recent() mailbox.UIDSet
}

// searchFlags maps the flag keys of SEARCH to their flag and whether
// the message must have it (RFC 9051 6.4.4).
var searchFlags = map[string]struct {
	flag string
	has  bool
}{
	"ANSWERED": {`\Answered`, true}, "UNANSWERED": {`\Answered`, false},
	"DELETED": {`\Deleted`, true}, "UNDELETED": {`\Deleted`, false},
	"DRAFT": {`\Draft`, true}, "UNDRAFT": {`\Draft`, false},
	"FLAGGED": {`\Flagged`, true}, "UNFLAGGED": {`\Flagged`, false},
	"SEEN": {`\Seen`, true}, "UNSEEN": {`\Seen`, false},
}

// searchHeaders maps the header keys of SEARCH to their field.
var searchHeaders = map[string]string{
	"BCC": "Bcc", "CC": "Cc", "FROM": "From", "SUBJECT": "Subject", "TO": "To",
}

// searchCriteria converts a SEARCH program (the keys are ANDed) to the
// mailbox criteria the shared evaluator runs.
//
// Sequence sets, UID sets and "$" become UID sets through r, as do
// RECENT, NEW (RECENT UNSEEN) and OLD (NOT RECENT). ON d is SINCE d
// and BEFORE the next day; SENTON likewise. SMALLER 0, which no
// message matches, is an empty UID set, and LARGER 0 is NOT SMALLER 1,
// since 0 leaves those fields unset. Parenthesised lists and the keys
// of the program are merged into one criteria as far as they can be
// (two SINCE keep the later date, two LARGER the larger size, ...), so
// that only NOT and OR add levels; NOT NOT k is k, NOT of a flag key is
// the opposite key, and OR of two sets is their union.
//
// OLDER n and YOUNGER n (RFC 5032 WITHIN) become Older and Younger, the
// current time less n seconds. Errors of the conversion itself match mailbox.ErrInvalidSearch
// (BAD); r's errors are returned as they are.
func searchCriteria(keys []SearchKey, r searchResolver) (*mailbox.SearchCriteria, error) {
	c := &mailbox.SearchCriteria{}
	for i := range keys {
		if err := addSearchKey(c, &keys[i], r, 0); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// addSearchKey ANDs k into c; depth is the nesting of k in the program.
func addSearchKey(c *mailbox.SearchCriteria, k *SearchKey, r searchResolver, depth int) error {
	if depth > mailbox.MaxSearchDepth {
		return searchInvalid("search keys nested deeper than %d", mailbox.MaxSearchDepth)
	}
	if f, ok := searchFlags[k.Op]; ok {
		addFlag(c, f.flag, f.has)
		return nil
	}
	if field, ok := searchHeaders[k.Op]; ok {
		c.Header = append(c.Header, mailbox.SearchHeader{Field: field, Value: k.Value})
		return nil
	}
	switch k.Op {
	case "ALL":
	case "KEYWORD", "UNKEYWORD":
		if k.Value == "" {
			return searchInvalid("empty keyword")
		}
		addFlag(c, k.Value, k.Op == "KEYWORD")
	case "RECENT":
		c.UID = append(c.UID, r.Recent())
	case "NEW": // RFC 3501 6.4.4: RECENT UNSEEN
		c.UID = append(c.UID, r.Recent())
		addFlag(c, `\Seen`, false)
	case "OLD": // RFC 3501 6.4.4: NOT RECENT
		c.Not = append(c.Not, mailbox.SearchCriteria{UID: []mailbox.UIDSet{r.Recent()}})
	case "HEADER":
		c.Header = append(c.Header, mailbox.SearchHeader{Field: k.Field, Value: k.Value})
	case "BODY":
		c.Body = append(c.Body, k.Value)
	case "TEXT":
		c.Text = append(c.Text, k.Value)
	case "SINCE", "BEFORE", "ON", "SENTSINCE", "SENTBEFORE", "SENTON":
		if k.Date.IsZero() {
			return searchInvalid("%s without a date", k.Op)
		}
		since, before := &c.Since, &c.Before
		if strings.HasPrefix(k.Op, "SENT") {
			since, before = &c.SentSince, &c.SentBefore
		}
		switch k.Op {
		case "SINCE", "SENTSINCE":
			andSince(since, k.Date)
		case "BEFORE", "SENTBEFORE":
			andBefore(before, k.Date)
		default: // RFC 9051 6.4.4: ON is the day itself
			andSince(since, k.Date)
			andBefore(before, k.Date.AddDate(0, 0, 1))
		}
	case "LARGER":
		if k.Number == 0 { // any message with a byte
			c.Not = append(c.Not, mailbox.SearchCriteria{Smaller: 1})
			break
		}
		c.Larger = max(c.Larger, clampSize(k.Number))
	case "SMALLER":
		if k.Number == 0 { // no message
			c.UID = append(c.UID, mailbox.UIDSet{})
			break
		}
		c.Smaller = minSet(c.Smaller, clampSize(k.Number))
	case "SAVEDBEFORE", "SAVEDON", "SAVEDSINCE", "SAVEDATESUPPORTED":
		return addSaveDateKey(c, k, r)
	case "EMAILID", "THREADID":
		return addObjectIDKey(c, k, r)
	case "MODSEQ": // RFC 7162 3.1.5
		m := &mailbox.SearchModSeq{ModSeq: k.Number, MetadataName: k.ModSeqEntry, MetadataType: k.ModSeqType}
		andModSeq(c, m)
	case "UID":
		u, err := r.UIDs(k.Seq)
		if err != nil {
			return err
		}
		c.UID = append(c.UID, u)
	case SearchSeqSet:
		u, err := r.SeqUIDs(k.Seq)
		if err != nil {
			return err
		}
		c.UID = append(c.UID, u)
	case SearchAnd:
		// Flattened: the keys of the list are ANDed into c itself.
		for i := range k.Keys {
			if err := addSearchKey(c, &k.Keys[i], r, depth+1); err != nil {
				return err
			}
		}
	case "NOT":
		if len(k.Keys) != 1 {
			return searchInvalid("NOT needs one key")
		}
		var sub mailbox.SearchCriteria
		if err := addSearchKey(&sub, &k.Keys[0], r, depth+1); err != nil {
			return err
		}
		addNot(c, sub)
	case "OR":
		if len(k.Keys) != 2 {
			return searchInvalid("OR needs two keys")
		}
		var pair [2]mailbox.SearchCriteria
		for i := range pair {
			if err := addSearchKey(&pair[i], &k.Keys[i], r, depth+1); err != nil {
				return err
			}
		}
		addOr(c, pair)
	case "OLDER", "YOUNGER":
		// RFC 5032 2: the target is now less the interval, in seconds;
		// OLDER matches up to it, YOUNGER from it, both included.
		if k.Number == 0 {
			return searchInvalid("%s needs a positive interval", k.Op)
		}
		target := time.Unix(time.Now().Unix()-int64(min(k.Number, maxWithin)), 0)
		if k.Op == "OLDER" {
			if c.Older.IsZero() || target.Before(c.Older) {
				c.Older = target
			}
		} else if target.After(c.Younger) {
			c.Younger = target
		}
	default:
		return searchInvalid("unknown search key %q", k.Op)
	}
	return nil
}

// maxWithin caps the interval of OLDER and YOUNGER at about 35,000
// years, before the time arithmetic could overflow.
const maxWithin = 1 << 40

func searchInvalid(format string, args ...any) error {
	return fmt.Errorf("imap: %w: "+format, append([]any{mailbox.ErrInvalidSearch}, args...)...)
}

// addFlag adds a flag the message must have (has) or not have.
func addFlag(c *mailbox.SearchCriteria, flag string, has bool) {
	if has {
		c.Flag = append(c.Flag, flag)
	} else {
		c.NotFlag = append(c.NotFlag, flag)
	}
}

// andSince keeps the later of *t and d; andBefore the earlier.
func andSince(t *time.Time, d time.Time) {
	if t.IsZero() || d.After(*t) {
		*t = d
	}
}

func andBefore(t *time.Time, d time.Time) {
	if t.IsZero() || d.Before(*t) {
		*t = d
	}
}

// minSet returns the smaller of a and b, where 0 is unset.
func minSet(a, b int64) int64 {
	if a == 0 || b != 0 && b < a {
		return b
	}
	return a
}

// clampSize returns n as a size; sizes beyond int64 behave the same as
// its largest value.
func clampSize(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

// andModSeq ANDs a MODSEQ key into c. Two keys on the same entry keep
// the larger value; a second key on another entry is nested (as NOT
// NOT), since the criteria hold one.
func andModSeq(c *mailbox.SearchCriteria, m *mailbox.SearchModSeq) {
	switch o := c.ModSeq; {
	case o == nil:
		c.ModSeq = m
	case o.MetadataName == m.MetadataName && o.MetadataType == m.MetadataType:
		c.ModSeq = &mailbox.SearchModSeq{ModSeq: max(o.ModSeq, m.ModSeq), MetadataName: o.MetadataName, MetadataType: o.MetadataType}
	default:
		c.Not = append(c.Not, mailbox.SearchCriteria{Not: []mailbox.SearchCriteria{{ModSeq: m}}})
	}
}

// addNot ANDs NOT sub into c, simplifying where that keeps the meaning:
// the negation of one flag key is the opposite key, and NOT NOT k is k.
func addNot(c *mailbox.SearchCriteria, sub mailbox.SearchCriteria) {
	switch {
	case isOnly(&sub, len(sub.Flag) == 1):
		c.NotFlag = append(c.NotFlag, sub.Flag[0])
	case isOnly(&sub, len(sub.NotFlag) == 1):
		c.Flag = append(c.Flag, sub.NotFlag[0])
	case isOnly(&sub, len(sub.Not) == 1):
		andCriteria(c, sub.Not[0])
	default:
		c.Not = append(c.Not, sub)
	}
}

// addOr ANDs OR pair[0] pair[1] into c; two UID sets are merged into
// their union.
func addOr(c *mailbox.SearchCriteria, pair [2]mailbox.SearchCriteria) {
	if isOnly(&pair[0], len(pair[0].UID) == 1) && isOnly(&pair[1], len(pair[1].UID) == 1) {
		c.UID = append(c.UID, unionUIDs(pair[0].UID[0], pair[1].UID[0]))
		return
	}
	c.Or = append(c.Or, pair)
}

// isOnly reports whether c sets exactly one kind of field and cond
// holds. The count of kinds is what it checks; cond names the one.
func isOnly(c *mailbox.SearchCriteria, cond bool) bool {
	if !cond {
		return false
	}
	kinds := 0
	for _, set := range []bool{
		len(c.UID) > 0, len(c.Flag) > 0, len(c.NotFlag) > 0,
		!c.Since.IsZero(), !c.Before.IsZero(), !c.SentSince.IsZero(), !c.SentBefore.IsZero(),
		len(c.Header) > 0, len(c.Body) > 0, len(c.Text) > 0,
		c.Larger != 0, c.Smaller != 0, c.ModSeq != nil, len(c.Not) > 0, len(c.Or) > 0,
	} {
		if set {
			kinds++
		}
	}
	return kinds == 1
}

// andCriteria ANDs s into c.
func andCriteria(c *mailbox.SearchCriteria, s mailbox.SearchCriteria) {
	c.UID = append(c.UID, s.UID...)
	c.Flag = append(c.Flag, s.Flag...)
	c.NotFlag = append(c.NotFlag, s.NotFlag...)
	for _, p := range []struct{ dst, src *time.Time }{{&c.Since, &s.Since}, {&c.SentSince, &s.SentSince}} {
		if !p.src.IsZero() {
			andSince(p.dst, *p.src)
		}
	}
	for _, p := range []struct{ dst, src *time.Time }{{&c.Before, &s.Before}, {&c.SentBefore, &s.SentBefore}} {
		if !p.src.IsZero() {
			andBefore(p.dst, *p.src)
		}
	}
	c.Header = append(c.Header, s.Header...)
	c.Body = append(c.Body, s.Body...)
	c.Text = append(c.Text, s.Text...)
	c.Larger = max(c.Larger, s.Larger)
	c.Smaller = minSet(c.Smaller, s.Smaller)
	if s.ModSeq != nil {
		andModSeq(c, s.ModSeq)
	}
	c.Not = append(c.Not, s.Not...)
	c.Or = append(c.Or, s.Or...)
}

// unionUIDs returns the UIDs in a or b as a sorted, merged set, empty
// but not nil when there is none. It sorts once: sets can hold tens of
// thousands of ranges.
func unionUIDs(a, b mailbox.UIDSet) mailbox.UIDSet {
	all := make(mailbox.UIDSet, 0, len(a)+len(b))
	for _, r := range slices.Concat(a, b) {
		lo, hi := min(r.Start, r.Stop), max(r.Start, r.Stop)
		if hi == 0 {
			continue
		}
		all = append(all, mailbox.UIDRange{Start: max(lo, 1), Stop: hi})
	}
	slices.SortFunc(all, func(x, y mailbox.UIDRange) int { return cmp.Compare(x.Start, y.Start) })
	out := all[:0]
	for _, r := range all {
		if n := len(out); n > 0 && uint64(r.Start) <= uint64(out[n-1].Stop)+1 {
			out[n-1].Stop = max(out[n-1].Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	return out
}
