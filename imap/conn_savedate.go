package imap

import (
	"context"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// saveDate returns the save date of m (RFC 8514 3), or the zero time
// (NIL) when its store records none (mailbox.SaveDater).
func saveDate(m mailbox.Message) time.Time {
	if sd, ok := m.(mailbox.SaveDater); ok {
		return sd.SaveDate()
	}
	return time.Time{}
}

// attrResolver is implemented by a searchResolver that can pick the
// session's messages by what mailbox.SearchCriteria cannot express (the
// save date, object ids): MatchUIDs returns the UIDs of the messages
// for which match is true, as a set the criteria AND in.
type attrResolver interface {
	MatchUIDs(match func(context.Context, mailbox.Message) (bool, error)) (mailbox.UIDSet, error)
}

// sessionContext is the session's searchResolver with the context of
// its command, which MatchUIDs needs to read the mailbox.
type sessionContext struct {
	sessionResolver
	ctx context.Context
}

// MatchUIDs implements attrResolver over the session's view: one pass
// over the messages' metadata.
func (r sessionContext) MatchUIDs(match func(context.Context, mailbox.Message) (bool, error)) (mailbox.UIDSet, error) {
	var out []mailbox.UID
	err := r.s.mbox.Fetch(r.ctx, mailbox.AllUIDs, func(m mailbox.Message) error {
		if r.s.seqOf(m.UID()) == 0 {
			return nil
		}
		ok, err := match(r.ctx, m)
		if ok {
			out = append(out, m.UID())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return uidSet(out), nil
}

// addSaveDateKey ANDs a SAVEDATE search key into c (RFC 8514 4.3) as
// the set of the messages it matches. SAVEDBEFORE, SAVEDON and
// SAVEDSINCE compare the calendar day of the save date, in its own
// time zone, or of the internal date for messages whose store records
// no save date; SAVEDATESUPPORTED matches the messages that have one.
func addSaveDateKey(c *mailbox.SearchCriteria, k *SearchKey, r searchResolver) error {
	ar, ok := r.(attrResolver)
	if !ok {
		return searchInvalid("%s not supported here", k.Op)
	}
	if k.Op != "SAVEDATESUPPORTED" && k.Date.IsZero() {
		return searchInvalid("%s without a date", k.Op)
	}
	want := time.Date(k.Date.Year(), k.Date.Month(), k.Date.Day(), 0, 0, 0, 0, time.UTC)
	set, err := ar.MatchUIDs(func(_ context.Context, m mailbox.Message) (bool, error) {
		d := saveDate(m)
		if k.Op == "SAVEDATESUPPORTED" {
			return !d.IsZero(), nil
		}
		if d.IsZero() {
			// RFC 8514 4.3: the internal date when there is no save date.
			d = m.InternalDate()
		}
		day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		switch k.Op {
		case "SAVEDBEFORE":
			return day.Before(want), nil
		case "SAVEDON":
			return day.Equal(want), nil
		}
		return !day.Before(want), nil // SAVEDSINCE
	})
	if err != nil {
		return err
	}
	c.UID = append(c.UID, set)
	return nil
}
