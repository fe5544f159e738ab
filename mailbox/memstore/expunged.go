package memstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/postkit/postkit/mailbox"
)

// maxTombstones bounds the expunge record of a mailbox (RFC 7162 5.3):
// a record is a UID range and a mod-sequence, 16 octets, so a mailbox
// holds at most 64 KiB of them. Past the bound the oldest half is
// forgotten; a QRESYNC client then hears of those UIDs again, which is
// longer but correct.
const maxTombstones = 4096

// tombstone says that the messages of uids were expunged at or below
// modSeq (and after the mod-sequence of the tombstone before it).
type tombstone struct {
	uids   mailbox.UIDRange
	modSeq uint64
}

// buryLocked records that uid was expunged at modSeq, which is above
// every mod-sequence recorded before. A UID that follows the range of
// the last record joins it (its mod-sequence becomes modSeq): a
// batch expunge of consecutive UIDs costs one record.
func (b *box) buryLocked(uid mailbox.UID, modSeq uint64) {
	if n := len(b.tombs); n > 0 && b.tombs[n-1].uids.Stop+1 == uid {
		b.tombs[n-1].uids.Stop = uid
		b.tombs[n-1].modSeq = modSeq
		return
	}
	if len(b.tombs) >= maxTombstones {
		b.tombs = append(b.tombs[:0], b.tombs[len(b.tombs)/2:]...)
	}
	b.tombs = append(b.tombs, tombstone{mailbox.UIDRange{Start: uid, Stop: uid}, modSeq})
}

var _ mailbox.ExpungeTracker = (*view)(nil)

// ExpungedSince implements mailbox.ExpungeTracker: the UIDs of within
// below UIDNEXT with no live message, less those of the records at or
// below modSeq.
func (v *view) ExpungedSince(ctx context.Context, modSeq uint64, within mailbox.UIDSet) (mailbox.UIDSet, error) {
	if err := v.lock(ctx, false, false); err != nil {
		return nil, err
	}
	defer v.d.mu.Unlock()
	b := v.b
	if b.uidNext <= 1 {
		return nil, nil
	}
	within = within.Intersect(mailbox.UIDSet{{Start: 1, Stop: b.uidNext - 1}})
	var live mailbox.UIDSet
	for _, m := range b.msgs {
		live.Add(m.uid) // ascending: no sort
	}
	var known []mailbox.UIDRange
	for _, t := range b.tombs {
		if t.modSeq > modSeq {
			break
		}
		known = append(known, t.uids)
	}
	return within.Minus(live).Minus(merge(known)), nil
}

// merge sorts rs and merges the ranges that overlap or touch, in place.
func merge(rs []mailbox.UIDRange) mailbox.UIDSet {
	slices.SortFunc(rs, func(a, b mailbox.UIDRange) int { return cmp.Compare(a.Start, b.Start) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && uint64(r.Start) <= uint64(out[n-1].Stop)+1 {
			out[n-1].Stop = max(out[n-1].Stop, r.Stop)
			continue
		}
		out = append(out, r)
	}
	return mailbox.UIDSet(out)
}
