package imap

import (
	"github.com/postkit/postkit/mailbox"
)

// CONDSTORE (RFC 7162 3.1): mod-sequences come from the mailbox
// (mailbox.Message.ModSeq, Status.HighestModSeq); the session tracks
// whether the client is CONDSTORE-aware, after which every untagged
// FETCH carries MODSEQ.

// enableCondStore marks the client CONDSTORE-aware (RFC 7162 3.1: a
// "CONDSTORE enabling command"). The first time, with a mailbox
// selected, it reports the mailbox's HIGHESTMODSEQ, unless the command
// is the SELECT that will.
func (c *conn) enableCondStore(selecting bool) {
	if c.condStore {
		return
	}
	c.condStore = true
	if c.sel != nil && !selecting {
		if st, err := c.sel.mbox.Status(c.ctx); err == nil {
			c.sendHighestModSeq(st)
		}
	}
}

// sendHighestModSeq sends OK [HIGHESTMODSEQ], or OK [NOMODSEQ] for a
// mailbox without mod-sequences (RFC 7162 3.1.2).
func (c *conn) sendHighestModSeq(st *mailbox.Status) {
	if st.HighestModSeq == 0 {
		c.untaggedOK("NOMODSEQ", nil, "No mod-sequences")
		return
	}
	c.untaggedOK("HIGHESTMODSEQ", st.HighestModSeq, "Highest mod-sequence")
}

// noModSeq reports whether the selected mailbox has no mod-sequences
// (it answered NOMODSEQ): RFC 7162 3.1.2.2 says that FETCH with
// CHANGEDSINCE, FETCH or SEARCH with MODSEQ and STORE with
// UNCHANGEDSINCE MUST then be rejected with BAD (noModSeqText).
func (c *conn) noModSeq() bool { return c.sel != nil && c.sel.noModSeq }

// noModSeqText is the text of the BAD that noModSeq calls for.
const noModSeqText = "The mailbox has no mod-sequences (NOMODSEQ)"

// hasModSeqKey reports whether a search program uses MODSEQ, which
// makes SEARCH a CONDSTORE enabling command (RFC 7162 3.1.5).
func hasModSeqKey(keys []SearchKey) bool {
	for _, k := range keys {
		if k.Op == "MODSEQ" || hasModSeqKey(k.Keys) {
			return true
		}
	}
	return false
}

// highestModSeq returns the highest mod-sequence of the messages in
// uids, for the MODSEQ of SEARCH responses (RFC 7162 3.1.6).
func (c *conn) highestModSeq(uids []mailbox.UID) (uint64, error) {
	var max uint64
	if len(uids) == 0 {
		return 0, nil
	}
	err := c.sel.mbox.Fetch(c.ctx, uidSet(uids), func(m mailbox.Message) error {
		max = maxU64(max, m.ModSeq())
		return nil
	})
	return max, err
}

func maxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
