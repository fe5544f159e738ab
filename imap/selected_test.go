package imap

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// TestSeqMap checks seqMap against a sorted slice of UIDs, through
// random adds (mostly ascending, some in gaps) and removes.
func TestSeqMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var m seqMap
	var ref []mailbox.UID
	next := mailbox.UID(1)
	check := func() {
		t.Helper()
		require.Equal(t, uint32(len(ref)), m.len())
		if len(ref) > 0 {
			require.Equal(t, ref[len(ref)-1], m.maxUID())
		} else {
			require.Zero(t, m.maxUID())
		}
		for i, u := range ref {
			require.Equal(t, uint32(i+1), m.seqOf(u), "uid %d", u)
		}
		// Every range of message numbers maps to the right UIDs.
		for range 5 {
			if len(ref) == 0 {
				break
			}
			lo := rng.IntN(len(ref))
			hi := lo + rng.IntN(len(ref)-lo)
			got := m.appendSeqs(nil, uint32(lo+1), uint32(hi+1))
			assert.Equal(t, uidSet(ref[lo:hi+1]), mergeRanges(got))
		}
	}
	for step := range 3000 {
		switch op := rng.IntN(10); {
		case op < 5: // a new message
			next += mailbox.UID(1 + rng.IntN(2)*rng.IntN(5))
			assert.True(t, m.add(next))
			ref = append(ref, next)
		case op < 6: // a UID in a gap, or one already there
			u := mailbox.UID(1 + rng.IntN(int(next)))
			i, found := slices.BinarySearch(ref, u)
			assert.Equal(t, !found, m.add(u))
			if !found {
				ref = slices.Insert(ref, i, u)
			}
		default: // an expunge, or a UID that is not there
			u := mailbox.UID(1 + rng.IntN(int(next)))
			i, found := slices.BinarySearch(ref, u)
			want := uint32(0)
			if found {
				want = uint32(i + 1)
				ref = slices.Delete(ref, i, i+1)
			}
			assert.Equal(t, want, m.remove(u))
		}
		if step%50 == 0 {
			check()
		}
	}
	check()
	// The seqs are found again after a batch of expunges.
	for len(ref) > 0 {
		u := ref[len(ref)/2]
		ref = slices.Delete(ref, len(ref)/2, len(ref)/2+1)
		m.remove(u)
	}
	check()
}

// TestSeqMapRuns: a mailbox without gaps is one run.
func TestSeqMapRuns(t *testing.T) {
	var m seqMap
	for u := mailbox.UID(1); u <= 10000; u++ {
		m.add(u)
	}
	assert.Len(t, m.runs, 1)
	assert.Equal(t, uint32(5000), m.remove(5000))
	assert.Len(t, m.runs, 2)
	assert.Equal(t, uint32(5000), m.seqOf(5001))
	assert.Equal(t, mailbox.UIDSet{{Start: 4999, Stop: 4999}, {Start: 5001, Stop: 5001}}, mergeRanges(m.appendSeqs(nil, 4999, 5000)))
	assert.True(t, m.add(5000))
	assert.Len(t, m.runs, 1)
	assert.Equal(t, uint32(10000), m.seqOf(10000))
	var w []mailbox.UIDRange
	assert.Equal(t, []mailbox.UIDRange{{Start: 9990, Stop: 10000}}, m.appendWithin(w, 9990, mailbox.MaxUID))
}
