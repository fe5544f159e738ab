package imapinterop

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/mailbox/memstore"
)

// TestGoIMAPCondStoreQuota drives our server's CONDSTORE (RFC 7162) and
// QUOTA (RFC 9208) with the go-imap v2 client: SELECT (CONDSTORE),
// FETCH (CHANGEDSINCE), STORE (UNCHANGEDSINCE) with its MODIFIED
// answer, GETQUOTA, GETQUOTAROOT and an APPEND refused over quota.
func TestGoIMAPCondStoreQuota(t *testing.T) {
	limits := mailbox.QuotaLimits{Messages: 3, Bytes: 1 << 20}
	stores := []backend{
		{"memstore", func(t *testing.T) mailbox.Store { s := memstore.New(); s.Quota = limits; return s }},
		{"maildir", func(t *testing.T) mailbox.Store { return maildir.New(t.TempDir(), &maildir.Options{Quota: limits}) }},
	}
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b.new(t))
			c := goimapDial(t, s, true, nil)
			require.NoError(t, c.Login(testUser, testPass).Wait())
			caps, err := c.Capability().Wait()
			require.NoError(t, err)
			for _, cp := range []imap.Cap{imap.CapCondStore, "QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE"} {
				assert.True(t, caps.Has(cp), "capability %s", cp)
			}
			for i := range 2 {
				msg := "Subject: q" + strings.Repeat("x", i) + "\r\n\r\nbody\r\n"
				ac := c.Append(mailbox.Inbox, int64(len(msg)), nil)
				_, err := ac.Write([]byte(msg))
				require.NoError(t, err)
				require.NoError(t, ac.Close())
				_, err = ac.Wait()
				require.NoError(t, err)
			}

			sel, err := c.Select(mailbox.Inbox, &imap.SelectOptions{CondStore: true}).Wait()
			require.NoError(t, err)
			require.NotZero(t, sel.HighestModSeq)
			st, err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{"$A"}}, nil).Collect()
			require.NoError(t, err)
			require.Len(t, st, 1)
			changed := st[0].ModSeq
			assert.Greater(t, changed, sel.HighestModSeq)

			// Only message 1 changed since the SELECT.
			msgs, err := c.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{UID: true, Flags: true, ModSeq: true, ChangedSince: sel.HighestModSeq}).Collect()
			require.NoError(t, err)
			require.Len(t, msgs, 1)
			assert.Equal(t, uint32(1), msgs[0].SeqNum)
			assert.Equal(t, changed, msgs[0].ModSeq)

			// UNCHANGEDSINCE below message 1's MODSEQ: it is not stored
			// (OK [MODIFIED 1], which go-imap does not report), message 2
			// is.
			_, err = c.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{"$B"}, Silent: true},
				&imap.StoreOptions{UnchangedSince: sel.HighestModSeq}).Collect()
			require.NoError(t, err)
			msgs, err = c.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{Flags: true}).Collect()
			require.NoError(t, err)
			require.Len(t, msgs, 2)
			assert.NotContains(t, msgs[0].Flags, imap.Flag("$B"))
			assert.Contains(t, msgs[1].Flags, imap.Flag("$B"))

			// QUOTA: one root, two messages of at most three.
			roots, err := c.GetQuotaRoot(mailbox.Inbox).Wait()
			require.NoError(t, err)
			require.Len(t, roots, 1)
			q, err := c.GetQuota(roots[0].Root).Wait()
			require.NoError(t, err)
			res := q.Resources[imap.QuotaResourceMessage]
			assert.Equal(t, int64(2), res.Usage)
			assert.Equal(t, int64(3), res.Limit)
			assert.Equal(t, int64(1024), q.Resources[imap.QuotaResourceStorage].Limit, "in KiB")

			for i, wantErr := range []bool{false, true} {
				msg := "Subject: over " + strings.Repeat("y", i) + "\r\n\r\nbody\r\n"
				ac := c.Append(mailbox.Inbox, int64(len(msg)), nil)
				_, err := ac.Write([]byte(msg))
				require.NoError(t, err)
				require.NoError(t, ac.Close())
				_, err = ac.Wait()
				if wantErr {
					require.Error(t, err, "the fourth message is over quota")
					assert.Contains(t, err.Error(), "OVERQUOTA")
				} else {
					require.NoError(t, err)
				}
			}
		})
	}
}
