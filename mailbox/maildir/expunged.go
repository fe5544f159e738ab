package maildir

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// Expunges for QRESYNC (RFC 7162 3.2, 5.3) are recorded in the MODSEQ
// log (modseq.go) as lines
//
//	E <modseq> <uid-set>      the messages of uid-set ("3:5,9") were expunged at modseq
//
// written by Expunge, Move and the rename of INBOX. Dovecot, mutt and
// mbsync do not read the log, and an older postkit skips the lines.
// An E line proves that its UIDs were gone at its modseq: ExpungedSince
// leaves out only such UIDs, so an expunge the log does not record
// (one by another program, or one forgotten) is reported to every
// QRESYNC client, which is longer but correct.

// maxTombstoneRanges bounds the UID ranges of the E lines a folder
// keeps, in memory and in the log: 4096 ranges of two UIDs and a
// modseq are 64 KiB. Past the bound the oldest lines are forgotten
// (RFC 7162 5.3).
const maxTombstoneRanges = 4096

// tombstone is an E line.
type tombstone struct {
	modseq uint64
	uids   mailbox.UIDSet
}

// bury records that uids were expunged at modseq and reports whether
// it kept the record. Past maxTombstoneRanges the oldest records are
// forgotten, a quarter of the bound at a time so that reading a long
// log costs little; a record bigger than the bound is not kept.
func (l *modLog) bury(modseq uint64, uids mailbox.UIDSet) bool {
	if len(uids) == 0 || len(uids) > maxTombstoneRanges {
		return false
	}
	l.tombs = append(l.tombs, tombstone{modseq, uids})
	l.tombRanges += len(uids)
	if l.tombRanges > maxTombstoneRanges {
		drop := 0
		for l.tombRanges > maxTombstoneRanges*3/4 {
			l.tombRanges -= len(l.tombs[drop].uids)
			drop++
		}
		l.tombs = slices.Delete(l.tombs, 0, drop)
	}
	return true
}

// appendTomb appends the E line of tb to b.
func appendTomb(b []byte, tb tombstone) []byte {
	b = append(b, "E "...)
	b = strconv.AppendUint(b, tb.modseq, 10)
	b = append(b, ' ')
	b = append(b, tb.uids.String()...)
	return append(b, '\n')
}

// parseUIDSet parses "3:5,9"; ok is false for anything else.
func parseUIDSet(s string) (mailbox.UIDSet, bool) {
	var set mailbox.UIDSet
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, ":")
		lo, err1 := strconv.ParseUint(a, 10, 32)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = strconv.ParseUint(b, 10, 32)
		}
		if err1 != nil || err2 != nil || lo == 0 || hi == 0 {
			return nil, false
		}
		set.AddRange(mailbox.UID(lo), mailbox.UID(hi))
	}
	return set, true
}

// bury records in the log that the messages of uids were expunged by
// this tx.
func (t *tx) bury(uids []mailbox.UID) {
	if len(uids) == 0 {
		return
	}
	var set mailbox.UIDSet
	for _, u := range uids {
		set.Add(u)
	}
	tb := tombstone{t.nextModSeq(), set}
	if t.mod.bury(tb.modseq, tb.uids) {
		t.modLines = appendTomb(t.modLines, tb)
	}
}

var _ mailbox.ExpungeTracker = (*view)(nil)

// ExpungedSince implements mailbox.ExpungeTracker: the UIDs of within
// below UIDNEXT that have no message, less those of the E lines at or
// below modSeq.
func (v *view) ExpungedSince(ctx context.Context, modSeq uint64, within mailbox.UIDSet) (mailbox.UIDSet, error) {
	if err := v.check(false); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone.Load() {
		return nil, mailbox.ErrNoSuchMailbox
	}
	if f.nextUID <= 1 {
		return nil, nil
	}
	within = within.Intersect(mailbox.UIDSet{{Start: 1, Stop: f.nextUID - 1}})
	var live mailbox.UIDSet
	for _, m := range f.msgs {
		live.Add(m.uid) // ascending: no sort
	}
	var known []mailbox.UIDRange
	if f.mod != nil {
		for _, tb := range f.mod.tombs {
			if tb.modseq <= modSeq {
				known = append(known, tb.uids...)
			}
		}
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
