package maildir

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

const testMsg = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"

func newTestStore(t *testing.T) (*Store, string) {
	t.Helper()
	root := t.TempDir()
	return New(root, &Options{NoSync: true, PollInterval: -1}), root
}

func openAccount(t *testing.T, s *Store, user string) mailbox.Account {
	t.Helper()
	a, err := s.Account(context.Background(), user)
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	return a
}

func openBox(t *testing.T, a mailbox.Account, name string, ro bool) mailbox.Mailbox {
	t.Helper()
	m, err := a.Open(context.Background(), name, &mailbox.OpenOptions{ReadOnly: ro})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

func appendMsg(t *testing.T, m mailbox.Mailbox, body string, flags ...string) mailbox.UID {
	t.Helper()
	uid, err := m.Append(context.Background(), strings.NewReader(body), &mailbox.AppendOptions{Flags: flags})
	require.NoError(t, err)
	// The appending view learns of its message through Poll, like every
	// view.
	ups, err := m.Poll(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, ups)
	require.Equal(t, mailbox.UpdateAppended, ups[len(ups)-1].Kind)
	require.Equal(t, uid, ups[len(ups)-1].UID)
	return uid
}

// stored drops \Recent, which is per view, from flags.
func stored(flags []string) []string {
	out := []string{}
	for _, f := range flags {
		if f != mailbox.FlagRecent {
			out = append(out, f)
		}
	}
	return out
}

type fetched struct {
	UID    mailbox.UID
	Flags  []string
	Size   int64
	ModSeq uint64
	Body   string
	Date   time.Time
}

func fetchAll(t *testing.T, m mailbox.Mailbox) []fetched {
	t.Helper()
	var out []fetched
	err := m.Fetch(context.Background(), mailbox.AllUIDs, func(msg mailbox.Message) error {
		b, err := msg.Open(context.Background())
		require.NoError(t, err)
		defer b.Close()
		data, err := io.ReadAll(io.NewSectionReader(b, 0, b.Size()))
		require.NoError(t, err)
		out = append(out, fetched{msg.UID(), msg.Flags(), msg.Size(), msg.ModSeq(), string(data), msg.InternalDate()})
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestAppendFetchStoreExpunge(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "alice")
	m := openBox(t, a, "INBOX", false)

	date := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	u1, err := m.Append(ctx, strings.NewReader(testMsg), &mailbox.AppendOptions{InternalDate: date})
	require.NoError(t, err)
	u2 := appendMsg(t, m, "Subject: two\n\nbare LF\n", mailbox.FlagSeen, "$Junk")
	assert.Equal(t, mailbox.UID(1), u1)
	assert.Equal(t, mailbox.UID(2), u2)

	msgs := fetchAll(t, m)
	require.Len(t, msgs, 2)
	assert.Equal(t, testMsg, msgs[0].Body)
	assert.Equal(t, int64(len(testMsg)), msgs[0].Size)
	assert.True(t, msgs[0].Date.Equal(date))
	assert.Equal(t, []string{mailbox.FlagRecent}, msgs[0].Flags, "recent in the appending view")
	assert.ElementsMatch(t, []string{mailbox.FlagSeen, "$Junk", mailbox.FlagRecent}, msgs[1].Flags)
	assert.Greater(t, msgs[1].ModSeq, msgs[0].ModSeq)

	// On disk: nothing in new/ (the appending view claimed \Recent), in
	// cur/ one with ":2," and one with ":2,Sa"; the keyword file.
	news, _ := os.ReadDir(filepath.Join(root, "alice", "new"))
	require.Empty(t, news)
	curs, _ := os.ReadDir(filepath.Join(root, "alice", "cur"))
	require.Len(t, curs, 2)
	if strings.HasSuffix(curs[0].Name(), ":2,") {
		curs[0], curs[1] = curs[1], curs[0]
	}
	assert.True(t, strings.HasSuffix(curs[0].Name(), ":2,Sa"), curs[0].Name())
	assert.True(t, strings.HasSuffix(curs[1].Name(), ",S="+strconv.Itoa(len(testMsg))+",W="+strconv.Itoa(len(testMsg))+":2,"), curs[1].Name())
	kw, _ := os.ReadFile(filepath.Join(root, "alice", "dovecot-keywords"))
	assert.Equal(t, "0 $Junk\n", string(kw))
	// W= counts bare LFs as CRLF.
	assert.Contains(t, curs[0].Name(), ",S=22,W=25:")

	st, err := m.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), st.Messages)
	assert.Equal(t, uint32(1), st.Unseen)
	assert.Equal(t, mailbox.UID(3), st.UIDNext)
	assert.NotZero(t, st.UIDValidity)
	assert.Contains(t, st.PermanentFlags, `\*`)

	before := msgs[1].ModSeq
	res, err := m.Store(ctx, mailbox.UIDSetOf(1, 2), mailbox.StoreAdd, []string{mailbox.FlagDeleted, "Work"}, nil)
	require.NoError(t, err)
	require.Len(t, res.Updated, 2)
	assert.Greater(t, res.Updated[1].ModSeq, before)
	assert.Contains(t, res.Updated[0].Flags, "Work")

	// UNCHANGEDSINCE.
	res, err = m.Store(ctx, mailbox.UIDSetOf(1), mailbox.StoreRemove, []string{"Work"}, &mailbox.StoreOptions{UnchangedSince: 1})
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{1}, res.Modified)

	sub := mailbox.UIDSetOf(2)
	gone, err := m.Expunge(ctx, &sub)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{2}, gone)
	gone, err = m.Expunge(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{1}, gone)
	assert.Empty(t, fetchAll(t, m))
	st, err = m.Status(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Messages)
	assert.Equal(t, mailbox.UID(3), st.UIDNext)
}
