package mailboxtest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// replacer returns m as a mailbox.Replacer, skipping the test when it
// is not one.
func replacer(t *testing.T, m mailbox.Mailbox) mailbox.Replacer {
	t.Helper()
	rp, ok := m.(mailbox.Replacer)
	if !ok {
		t.Skip("not a mailbox.Replacer")
	}
	return rp
}

// kinds returns the UIDs of the updates of each kind.
func kinds(ups []mailbox.Update) (appended, expunged []mailbox.UID) {
	for _, u := range ups {
		switch u.Kind {
		case mailbox.UpdateAppended:
			appended = append(appended, u.UID)
		case mailbox.UpdateExpunged:
			expunged = append(expunged, u.UID)
		}
	}
	return appended, expunged
}

// errReader fails after its data.
type errReader struct{ data []byte }

var errRead = errors.New("mailboxtest: read failed")

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errRead
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// testReplace checks mailbox.Replacer (IMAP REPLACE, RFC 8508 3.4):
// the new message with its flags and date, the old one expunged and
// reported so to the other views but not to the replacing one, into
// the same mailbox or another, an old message gone already, failures
// that change nothing, and the quota counted net of the old message.
func testReplace(t *testing.T, f Factory) {
	t.Run("same mailbox", func(t *testing.T) {
		e := newEnv(t, f)
		m := e.open("INBOX")
		rp := replacer(t, m)
		other := e.open("INBOX")
		u1 := addAt(t, m, synth(1), day(1), mailbox.FlagDraft)
		u2 := add(t, m, synth(2))
		_ = poll(t, other)

		res, err := rp.Replace(e.ctx, u1, "INBOX", bytes.NewReader(synth(3)),
			&mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen, "$Label"}, InternalDate: day(5)})
		require.NoError(t, err)
		assert.True(t, res.Expunged)
		assert.Greater(t, res.UID, u2)
		assert.Equal(t, e.status("INBOX").UIDValidity, res.UIDValidity)
		assert.Equal(t, uint32(2), e.status("INBOX").Messages)

		// The replacing view learns of the new message through Poll and
		// not of its own expunge.
		app, exp := kinds(poll(t, m))
		assert.Equal(t, []mailbox.UID{res.UID}, app)
		assert.Empty(t, exp)
		assert.Equal(t, []mailbox.UID{u2, res.UID}, allUIDs(t, m))
		got := fetchOne(t, m, res.UID)
		assert.Equal(t, synth(3), got.Body)
		assert.Equal(t, sorted(mailbox.FlagSeen, "$Label"), stored(got.Flags), "no flag of the old message is inherited (RFC 8508 1)")
		assert.Contains(t, got.Flags, mailbox.FlagRecent, "recent in the view that replaced it, as after Append")
		assert.Equal(t, day(5).Unix(), got.Date.Unix())

		// RFC 8508 3.4: the other views see the expunge and the append.
		waitUpdate(t, other)
		app, exp = kinds(poll(t, other))
		assert.Equal(t, []mailbox.UID{u1}, exp)
		assert.Equal(t, []mailbox.UID{res.UID}, app)
		assert.Equal(t, []mailbox.UID{u2, res.UID}, allUIDs(t, other))
	})

	t.Run("other mailbox", func(t *testing.T) {
		e := newEnv(t, f)
		e.create("Sent")
		m := e.open("INBOX")
		rp := replacer(t, m)
		other := e.open("INBOX")
		u1 := add(t, m, synth(1), mailbox.FlagDraft)
		u2 := add(t, m, synth(2))
		_ = poll(t, other)

		// RFC 8508 3.4: the named mailbox need not be the selected one.
		res, err := rp.Replace(e.ctx, u1, "Sent", bytes.NewReader(synth(3)),
			&mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen}, InternalDate: day(7)})
		require.NoError(t, err)
		assert.True(t, res.Expunged)
		st := e.status("Sent")
		assert.Equal(t, st.UIDValidity, res.UIDValidity)
		assert.Equal(t, uint32(1), st.Messages)
		assert.Equal(t, uint32(1), st.Recent, "recent for the next session, as a delivery")
		assert.Equal(t, uint32(1), e.status("INBOX").Messages)

		app, exp := kinds(poll(t, m))
		assert.Empty(t, app)
		assert.Empty(t, exp)
		assert.Equal(t, []mailbox.UID{u2}, allUIDs(t, m))
		waitUpdate(t, other)
		app, exp = kinds(poll(t, other))
		assert.Empty(t, app)
		assert.Equal(t, []mailbox.UID{u1}, exp)

		sent := e.examine("Sent")
		got := fetchOne(t, sent, res.UID)
		assert.Equal(t, synth(3), got.Body)
		assert.Equal(t, []string{mailbox.FlagSeen}, stored(got.Flags))
		assert.Equal(t, day(7).Unix(), got.Date.Unix())

		_, err = rp.Replace(e.ctx, u2, "Nope", bytes.NewReader(synth(4)), nil)
		assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
		assert.Equal(t, []mailbox.UID{u2}, allUIDs(t, m), "a failed Replace expunges nothing")
	})

	t.Run("failures change nothing", func(t *testing.T) {
		e := newEnv(t, f)
		m := e.open("INBOX")
		rp := replacer(t, m)
		u1 := add(t, m, synth(1))
		_, err := rp.Replace(e.ctx, u1, "INBOX", &errReader{synth(2)}, nil)
		assert.ErrorIs(t, err, errRead)
		_, err = rp.Replace(e.ctx, u1, "INBOX", bytes.NewReader(synth(2)), &mailbox.AppendOptions{Flags: []string{"bad flag"}})
		assert.ErrorIs(t, err, mailbox.ErrInvalidFlag)
		app, exp := kinds(poll(t, m))
		assert.Empty(t, app)
		assert.Empty(t, exp)
		assert.Equal(t, []mailbox.UID{u1}, allUIDs(t, m))
		assert.Equal(t, uint32(1), e.status("INBOX").Messages)
		ro := e.examine("INBOX")
		_, err = replacer(t, ro).Replace(e.ctx, u1, "INBOX", bytes.NewReader(synth(2)), nil)
		assert.ErrorIs(t, err, mailbox.ErrReadOnly)
	})

	t.Run("old message gone", func(t *testing.T) {
		e := newEnv(t, f)
		m := e.open("INBOX")
		rp := replacer(t, m)
		other := e.open("INBOX")
		u1 := add(t, m, synth(1))
		_ = poll(t, other)
		_, err := other.Store(e.ctx, mailbox.UIDSetOf(u1), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
		require.NoError(t, err)
		_, err = other.Expunge(e.ctx, nil)
		require.NoError(t, err)

		res, err := rp.Replace(e.ctx, u1, "INBOX", bytes.NewReader(synth(2)), nil)
		require.NoError(t, err)
		assert.False(t, res.Expunged, "expunged by another view already")
		app, exp := kinds(poll(t, m))
		assert.Equal(t, []mailbox.UID{res.UID}, app)
		assert.Equal(t, []mailbox.UID{u1}, exp, "the other view's expunge")
	})

	t.Run("net quota", func(t *testing.T) {
		if f.NewQuota == nil {
			t.Skip("no Factory.NewQuota")
		}
		s := f.NewQuota(t, mailbox.QuotaLimits{Bytes: 4096, Messages: 2})
		e := &env{t: t, ctx: t.Context(), store: s}
		e.acct = e.account("alice")
		e.create("Drafts")
		m := e.open("INBOX")
		rp := replacer(t, m)
		msg := func(n int) []byte {
			return append([]byte("Subject: q\r\n\r\n"), bytes.Repeat([]byte("x"), n-14)...)
		}
		u1 := add(t, m, msg(1000))
		u2 := add(t, m, msg(1000))
		_, err := m.Append(e.ctx, bytes.NewReader(msg(1000)), nil)
		require.ErrorIs(t, err, mailbox.ErrQuota, "at the MESSAGE limit")

		// RFC 8508 3.4: only the net quota consumption is considered.
		res, err := rp.Replace(e.ctx, u1, "INBOX", bytes.NewReader(msg(1000)), nil)
		require.NoError(t, err, "a replacement fits at the limit")
		assert.True(t, res.Expunged)
		u3 := res.UID
		res, err = rp.Replace(e.ctx, u2, "Drafts", bytes.NewReader(msg(2000)), nil)
		require.NoError(t, err, "into another mailbox of the quota root: 3000 of 4096 octets")
		assert.True(t, res.Expunged)
		_ = poll(t, m)
		assert.Equal(t, []mailbox.UID{u3}, allUIDs(t, m))

		_, err = rp.Replace(e.ctx, u3, "INBOX", bytes.NewReader(msg(2200)), nil)
		require.ErrorIs(t, err, mailbox.ErrQuota, "2000 + 2200 octets are over STORAGE")
		assert.Equal(t, []mailbox.UID{u3}, allUIDs(t, m), "a refused Replace expunges nothing")
		assert.Equal(t, uint32(1), e.status("INBOX").Messages)
		assert.Equal(t, uint32(1), e.status("Drafts").Messages)
	})
}

var _ io.Reader = (*errReader)(nil)
