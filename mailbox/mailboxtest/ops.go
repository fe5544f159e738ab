package mailboxtest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func testAppendUIDs(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	var uids []mailbox.UID
	for i := range 10 {
		next := e.status("INBOX").UIDNext
		u := add(t, m, synth(i))
		// RFC 9051 2.3.1.1: UIDNEXT predicts the next UID, at least.
		assert.GreaterOrEqual(t, u, next, "UID below the UIDNEXT announced before")
		assert.Greater(t, e.status("INBOX").UIDNext, u, "UIDNEXT after Append")
		uids = append(uids, u)
	}
	assert.True(t, ascending(uids), "UIDs ascend: %v", uids)
	assert.Equal(t, uids, allUIDs(t, m), "the appending view fetches its messages")
	st, err := m.Status(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, uint32(10), st.Messages)

	// Another view opened now sees them all.
	assert.Equal(t, uids, allUIDs(t, e.examine("INBOX")))
}

func testUIDsNotReused(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	var max mailbox.UID
	for i := range 3 {
		max = add(t, m, synth(i), mailbox.FlagDeleted)
	}
	removed, err := m.Expunge(e.ctx, nil)
	require.NoError(t, err)
	require.Len(t, removed, 3)
	nextAfter := e.status("INBOX").UIDNext
	assert.Greater(t, nextAfter, max, "UIDNEXT goes down after Expunge")

	u := add(t, m, synth(4))
	assert.Greater(t, u, max, "RFC 9051 2.3.1.1: an expunged UID is reused")
	require.NoError(t, m.Close())

	// Nor after the mailbox was closed and opened again.
	m = e.open("INBOX")
	add(t, m, synth(5), mailbox.FlagDeleted)
	_, err = m.Expunge(e.ctx, nil)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	m = e.open("INBOX")
	u2 := add(t, m, synth(6))
	assert.Greater(t, u2, u+1, "UID reused after reopening the mailbox")
}

func testBodies(t *testing.T, f Factory) {
	e := newEnv(t, f)
	bodies := corpus(t, bodyCorpus...)
	m := e.open("INBOX")
	var uids []mailbox.UID
	for i, b := range bodies {
		uids = append(uids, addAt(t, m, b, day(i+1)))
	}
	check := func(m mailbox.Mailbox) {
		ms := fetch(t, m, mailbox.AllUIDs)
		require.Len(t, ms, len(bodies))
		for i, x := range ms {
			assert.Equal(t, uids[i], x.UID)
			assert.Equal(t, int64(len(bodies[i])), x.Size, "%s: Size", bodyCorpus[i])
			assert.True(t, bytes.Equal(bodies[i], x.Body), "%s: body differs", bodyCorpus[i])
			assert.Equal(t, day(i+1).Unix(), x.Date.Unix(), "%s: internal date", bodyCorpus[i])
		}
	}
	check(m)
	check(e.examine("INBOX"))

	// Random access: a part of the body without the rest.
	big := len(bodies) - 1
	require.NoError(t, m.Fetch(e.ctx, mailbox.UIDSetOf(uids[big]), func(x mailbox.Message) error {
		b, err := x.Open(e.ctx)
		require.NoError(t, err)
		defer b.Close()
		require.Equal(t, int64(len(bodies[big])), b.Size())
		off := int64(len(bodies[big]) / 2)
		part := make([]byte, 1000)
		n, err := b.ReadAt(part, off)
		require.NoError(t, err)
		assert.Equal(t, bodies[big][off:off+int64(n)], part[:n])
		all, err := io.ReadAll(io.NewSectionReader(b, 0, b.Size()))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(bodies[big], all))
		// Reading past the end gives io.EOF.
		_, err = b.ReadAt(make([]byte, 10), b.Size())
		assert.ErrorIs(t, err, io.EOF)
		return nil
	}))

	// Internal date: the zero time means now.
	u := add(t, m, synth(1))
	x := fetchOne(t, m, u)
	assert.WithinDuration(t, time.Now(), x.Date, 5*time.Minute, "the zero internal date means now")
}

func testFetch(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	var uids []mailbox.UID
	for i := range 6 {
		uids = append(uids, add(t, m, synth(i), mailbox.FlagDeleted))
	}
	// Leave holes: 2 and 4 go.
	_, err := m.Expunge(e.ctx, &mailbox.UIDSet{rng(uids[1], uids[1]), rng(uids[3], uids[3])})
	require.NoError(t, err)
	live := []mailbox.UID{uids[0], uids[2], uids[4], uids[5]}

	tests := []struct {
		name string
		set  mailbox.UIDSet
		want []mailbox.UID
	}{
		{"all", mailbox.AllUIDs, live},
		{"one", mailbox.UIDSetOf(uids[2]), []mailbox.UID{uids[2]}},
		{"expunged", mailbox.UIDSetOf(uids[1]), nil},
		{"range over holes", mailbox.UIDSet{rng(uids[1], uids[4])}, []mailbox.UID{uids[2], uids[4]}},
		{"reversed range", mailbox.UIDSet{rng(uids[4], uids[1])}, []mailbox.UID{uids[2], uids[4]}},
		{"unsorted ranges", mailbox.UIDSet{rng(uids[5], uids[5]), rng(uids[0], uids[0])}, []mailbox.UID{uids[0], uids[5]}},
		{"beyond", mailbox.UIDSet{rng(uids[5]+1, mailbox.MaxUID)}, nil},
		{"star", mailbox.UIDSet{rng(uids[4], mailbox.MaxUID)}, []mailbox.UID{uids[4], uids[5]}},
		{"empty", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := uidsOf(fetch(t, m, tc.set))
			if len(tc.want) == 0 {
				assert.Empty(t, got)
			} else {
				assert.Equal(t, tc.want, got)
			}
		})
	}

	// An error from fn stops the iteration and comes back.
	stop := errors.New("stop")
	calls := 0
	err = m.Fetch(e.ctx, mailbox.AllUIDs, func(mailbox.Message) error {
		calls++
		return stop
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, calls)

	// fn may use the view (Fetch holds no lock across it).
	seen := 0
	require.NoError(t, m.Fetch(e.ctx, mailbox.AllUIDs, func(x mailbox.Message) error {
		_, err := m.Store(e.ctx, mailbox.UIDSetOf(x.UID()), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
		seen++
		return err
	}))
	assert.Equal(t, len(live), seen)
}

func testFlags(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	u := add(t, m, synth(1), mailbox.FlagSeen, `\draft`)
	assert.Equal(t, sorted(mailbox.FlagDraft, mailbox.FlagSeen), stored(fetchOne(t, m, u).Flags), "Append flags, canonical case")

	tests := []struct {
		name  string
		op    mailbox.StoreOp
		flags []string
		want  []string
	}{
		{"add", mailbox.StoreAdd, []string{mailbox.FlagFlagged, "$Label1"}, sorted(mailbox.FlagDraft, mailbox.FlagSeen, mailbox.FlagFlagged, "$Label1")},
		{"add present", mailbox.StoreAdd, []string{mailbox.FlagSeen}, sorted(mailbox.FlagDraft, mailbox.FlagSeen, mailbox.FlagFlagged, "$Label1")},
		{"remove", mailbox.StoreRemove, []string{mailbox.FlagSeen, mailbox.FlagDraft}, sorted(mailbox.FlagFlagged, "$Label1")},
		{"remove absent", mailbox.StoreRemove, []string{mailbox.FlagAnswered}, sorted(mailbox.FlagFlagged, "$Label1")},
		{"replace", mailbox.StoreReplace, []string{mailbox.FlagAnswered, "$Forwarded"}, sorted(mailbox.FlagAnswered, "$Forwarded")},
		{"case of system flags", mailbox.StoreAdd, []string{`\SEEN`, `\deleted`}, sorted(mailbox.FlagAnswered, "$Forwarded", mailbox.FlagSeen, mailbox.FlagDeleted)},
		{"remove any case", mailbox.StoreRemove, []string{`\sEeN`, "$FORWARDED"}, sorted(mailbox.FlagAnswered, mailbox.FlagDeleted)},
		{"duplicates", mailbox.StoreReplace, []string{mailbox.FlagSeen, `\Seen`, `\seen`}, sorted(mailbox.FlagSeen)},
		{"replace with nothing", mailbox.StoreReplace, nil, sorted()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := m.Store(e.ctx, mailbox.UIDSetOf(u), tc.op, tc.flags, nil)
			require.NoError(t, err)
			require.Len(t, res.Updated, 1, "Store lists the message it set")
			assert.Equal(t, u, res.Updated[0].UID)
			assert.Equal(t, tc.want, stored(res.Updated[0].Flags), "StoreResult flags")
			assert.Empty(t, res.Modified)
			x := fetchOne(t, m, u)
			assert.Equal(t, tc.want, stored(x.Flags), "Fetch flags")
			assert.Equal(t, res.Updated[0].ModSeq, x.ModSeq)
		})
	}

	// Store on several messages answers for each, ascending; UIDs with no
	// message are skipped.
	u2 := add(t, m, synth(2))
	u3 := add(t, m, synth(3))
	res, err := m.Store(e.ctx, mailbox.UIDSet{rng(u, u3+10)}, mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
	require.NoError(t, err)
	require.Len(t, res.Updated, 3)
	assert.Equal(t, []mailbox.UID{u, u2, u3}, []mailbox.UID{res.Updated[0].UID, res.Updated[1].UID, res.Updated[2].UID})

	// Flags persist across views.
	assert.Equal(t, sorted(mailbox.FlagFlagged), stored(fetchOne(t, e.examine("INBOX"), u).Flags))
}

func testKeywords(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	u := add(t, m, synth(1), "$Work", mailbox.KeywordJunk)
	u2 := add(t, m, synth(2))
	assert.Equal(t, sorted("$Work", mailbox.KeywordJunk), stored(fetchOne(t, m, u).Flags))

	// RFC 9051 2.3.2: keywords are case-insensitive; the first spelling
	// stays.
	_, err := m.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{"$WORK", "$work", "Private"}, nil)
	require.NoError(t, err)
	assert.Equal(t, sorted("$Work", mailbox.KeywordJunk, "Private"), stored(fetchOne(t, m, u).Flags))

	_, err = m.Store(e.ctx, mailbox.UIDSetOf(u2), mailbox.StoreAdd, []string{"private"}, nil)
	require.NoError(t, err)
	flags := stored(fetchOne(t, m, u2).Flags)
	require.Len(t, flags, 1)
	assert.True(t, strings.EqualFold(flags[0], "private"))

	_, err = m.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreRemove, []string{"$JUNK", "PRIVATE"}, nil)
	require.NoError(t, err)
	assert.Equal(t, sorted("$Work"), stored(fetchOne(t, m, u).Flags))

	// Keywords are kept with the message: another view sees them.
	assert.Equal(t, sorted("$Work"), stored(fetchOne(t, e.examine("INBOX"), u).Flags))

	st := e.status("INBOX")
	for _, f := range []string{mailbox.FlagSeen, mailbox.FlagAnswered, mailbox.FlagFlagged, mailbox.FlagDeleted, mailbox.FlagDraft} {
		assert.Contains(t, st.PermanentFlags, f, "PermanentFlags")
	}
	assert.NotContains(t, st.PermanentFlags, mailbox.FlagRecent, "PermanentFlags")
}

func testInvalidFlags(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	u := add(t, m, synth(1), mailbox.FlagSeen)
	for _, bad := range []string{"has space", `\Bogus`, "par(en", `back\slash`, ""} {
		_, err := m.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{bad}, nil)
		assert.Error(t, err, "Store of %q", bad)
		_, err = m.Append(e.ctx, bytes.NewReader(synth(2)), &mailbox.AppendOptions{Flags: []string{bad}})
		assert.Error(t, err, "Append with %q", bad)
	}
	assert.Equal(t, []string{mailbox.FlagSeen}, stored(fetchOne(t, m, u).Flags), "a refused Store changes nothing")
	assert.Equal(t, []mailbox.UID{u}, allUIDs(t, m), "a refused Append adds nothing")
}

func testRecent(t *testing.T, f Factory) {
	e := newEnv(t, f)
	w := e.open("INBOX")
	u1 := add(t, w, synth(1))
	u2 := add(t, w, synth(2))
	recentIn := func(m mailbox.Mailbox) int {
		n := 0
		for _, x := range fetch(t, m, mailbox.AllUIDs) {
			if mailbox.HasFlag(x.Flags, mailbox.FlagRecent) {
				n++
			}
		}
		st, err := m.Status(e.ctx)
		require.NoError(t, err)
		assert.Equal(t, uint32(n), st.Recent, "Status.Recent and the \\Recent flags of Fetch")
		return n
	}

	// \Recent is not stored: a Store of it is ignored or refused.
	for _, op := range []mailbox.StoreOp{mailbox.StoreAdd, mailbox.StoreReplace} {
		res, err := w.Store(e.ctx, mailbox.UIDSetOf(u1), op, []string{mailbox.FlagRecent, mailbox.FlagSeen}, nil)
		if err == nil {
			require.Len(t, res.Updated, 1)
		}
	}
	inW := recentIn(w)
	require.NoError(t, w.Close())

	x := e.open("INBOX")
	inX := recentIn(x)
	assert.LessOrEqual(t, inW+inX, 2, "a message is \\Recent in at most one view")
	y := e.open("INBOX")
	assert.Zero(t, recentIn(y), "messages already seen by a read-write view are not recent in a later one")
	for _, m := range fetch(t, y, mailbox.AllUIDs) {
		assert.NotContains(t, m.Flags, mailbox.FlagRecent)
	}
	assert.ElementsMatch(t, []mailbox.UID{u1, u2}, allUIDs(t, y))

	// A read-only view does not take \Recent from a later read-write view.
	r := e.examine("INBOX")
	u3 := add(t, y, synth(3))
	_ = poll(t, r)
	_ = recentIn(r)
	require.NoError(t, r.Close())
	require.NoError(t, y.Close())
	require.NoError(t, x.Close())
	z := e.open("INBOX")
	inZ := recentIn(z)
	assert.LessOrEqual(t, inZ, 1)
	if inZ == 1 {
		assert.Contains(t, fetchOne(t, z, u3).Flags, mailbox.FlagRecent)
	}
}

func testModSeq(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	st0 := e.status("INBOX")
	u1 := add(t, m, synth(1))
	u2 := add(t, m, synth(2))
	x1, x2 := fetchOne(t, m, u1), fetchOne(t, m, u2)
	require.NotZero(t, x1.ModSeq, "MODSEQ of a message")
	assert.Greater(t, x2.ModSeq, x1.ModSeq, "later Append, higher MODSEQ")
	st := e.status("INBOX")
	assert.Greater(t, st.HighestModSeq, st0.HighestModSeq, "Append raises HIGHESTMODSEQ")
	assert.GreaterOrEqual(t, st.HighestModSeq, x2.ModSeq)

	high := st.HighestModSeq
	for i, u := range []mailbox.UID{u1, u2, u1} {
		res, err := m.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{"$k" + string(rune('a'+i))}, nil)
		require.NoError(t, err)
		require.Len(t, res.Updated, 1)
		ms := res.Updated[0].ModSeq
		assert.Greater(t, ms, high, "RFC 7162 3.1: a change gives a MODSEQ above all before")
		assert.Equal(t, ms, fetchOne(t, m, u).ModSeq)
		st := e.status("INBOX")
		assert.Equal(t, ms, st.HighestModSeq, "HIGHESTMODSEQ is the last change's")
		high = ms
	}

	_, err := m.Store(e.ctx, mailbox.UIDSetOf(u2), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)
	high = e.status("INBOX").HighestModSeq
	_, err = m.Expunge(e.ctx, nil)
	require.NoError(t, err)
	assert.Greater(t, e.status("INBOX").HighestModSeq, high, "Expunge raises HIGHESTMODSEQ (RFC 7162 3.2.10)")
}

func testUnchangedSince(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	u1 := add(t, m, synth(1))
	u2 := add(t, m, synth(2))
	ms1 := fetchOne(t, m, u1).ModSeq
	res, err := m.Store(e.ctx, mailbox.UIDSetOf(u2), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	require.NoError(t, err)
	ms2 := res.Updated[0].ModSeq
	require.Greater(t, ms2, ms1)

	// RFC 7162 3.1.3: u2 changed after ms1, so it is left alone.
	res, err = m.Store(e.ctx, mailbox.UIDSet{rng(u1, u2)}, mailbox.StoreAdd, []string{mailbox.FlagFlagged}, &mailbox.StoreOptions{UnchangedSince: ms1})
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{u2}, res.Modified)
	require.Len(t, res.Updated, 1)
	assert.Equal(t, u1, res.Updated[0].UID)
	assert.Equal(t, []string{mailbox.FlagFlagged}, stored(fetchOne(t, m, u1).Flags))
	assert.Equal(t, []string{mailbox.FlagSeen}, stored(fetchOne(t, m, u2).Flags))

	// Equal to the message's MODSEQ is unchanged.
	cur := fetchOne(t, m, u2).ModSeq
	res, err = m.Store(e.ctx, mailbox.UIDSetOf(u2), mailbox.StoreAdd, []string{mailbox.FlagFlagged}, &mailbox.StoreOptions{UnchangedSince: cur})
	require.NoError(t, err)
	assert.Empty(t, res.Modified)
	assert.Equal(t, sorted(mailbox.FlagSeen, mailbox.FlagFlagged), stored(fetchOne(t, m, u2).Flags))
}

func testExpunge(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	var u [5]mailbox.UID
	for i := range u {
		u[i] = add(t, m, synth(i))
	}
	_, err := m.Store(e.ctx, mailbox.UIDSetOf(u[0], u[2], u[4]), mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil)
	require.NoError(t, err)

	// UID EXPUNGE (RFC 4315 2.1): only the \Deleted ones in the set.
	set := mailbox.UIDSetOf(u[1], u[2])
	got, err := m.Expunge(e.ctx, &set)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{u[2]}, got)
	assert.Equal(t, []mailbox.UID{u[0], u[1], u[3], u[4]}, allUIDs(t, m))

	empty := mailbox.UIDSet{}
	got, err = m.Expunge(e.ctx, &empty)
	require.NoError(t, err)
	assert.Empty(t, got, "UID EXPUNGE of an empty set")

	got, err = m.Expunge(e.ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{u[0], u[4]}, got)
	assert.Equal(t, []mailbox.UID{u[1], u[3]}, allUIDs(t, m))

	got, err = m.Expunge(e.ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	st := e.status("INBOX")
	assert.Equal(t, uint32(2), st.Messages)
	assert.Zero(t, st.Deleted)
	assert.Equal(t, []mailbox.UID{u[1], u[3]}, allUIDs(t, e.examine("INBOX")))
}

func testCopy(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Dst")
	bodies := corpus(t, "cpython/msg_01.eml", "cpython/msg_04.eml", "cpython/msg_10.eml")
	src := e.open("INBOX")
	var u []mailbox.UID
	for i, b := range bodies {
		u = append(u, addAt(t, src, b, day(i+3), mailbox.FlagSeen, "$Kw"+string(rune('A'+i))))
	}
	dst := e.open("Dst")
	pre := add(t, dst, synth(9))

	res, err := src.Copy(e.ctx, mailbox.UIDSet{rng(u[2], u[2]), rng(u[0], u[0]), rng(u[2]+100, u[2]+200)}, "Dst")
	require.NoError(t, err)
	assert.Equal(t, e.status("Dst").UIDValidity, res.UIDValidity, "COPYUID names the destination's UIDVALIDITY")
	assert.Equal(t, []mailbox.UID{u[0], u[2]}, res.Source)
	require.Len(t, res.Dest, 2)
	assert.True(t, ascending(append([]mailbox.UID{pre}, res.Dest...)), "copies get new, ascending UIDs: %v", res.Dest)

	// The source is unchanged.
	assert.Equal(t, u, allUIDs(t, src))

	// The copies keep flags, internal date and octets.
	_ = poll(t, dst)
	got := fetch(t, dst, mailbox.UIDSetOf(res.Dest...))
	require.Len(t, got, 2)
	for i, si := range []int{0, 2} {
		assert.Equal(t, res.Dest[i], got[i].UID)
		assert.Equal(t, sorted(mailbox.FlagSeen, "$Kw"+string(rune('A'+si))), stored(got[i].Flags))
		assert.Equal(t, day(si+3).Unix(), got[i].Date.Unix())
		assert.Equal(t, bodies[si], got[i].Body)
	}

	// [TRYCREATE]: the destination does not exist.
	_, err = src.Copy(e.ctx, mailbox.UIDSetOf(u[0]), "Nope")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)

	// Nothing to copy is not an error.
	res, err = src.Copy(e.ctx, mailbox.UIDSetOf(u[2]+50), "Dst")
	require.NoError(t, err)
	assert.Empty(t, res.Source)
	assert.Empty(t, res.Dest)

	// A copy is a message of its own.
	_, err = src.Store(e.ctx, mailbox.UIDSetOf(u[0]), mailbox.StoreReplace, nil, nil)
	require.NoError(t, err)
	first := fetch(t, dst, mailbox.AllUIDs)[1]
	assert.Contains(t, first.Flags, mailbox.FlagSeen, "a Store on the original changes the copy")
}

// noMover hides a Mailbox's Move so that mailbox.Move takes the
// generic path.
type noMover struct{ mailbox.Mailbox }

func testMove(t *testing.T, f Factory) {
	for _, native := range []bool{true, false} {
		name := "generic"
		if native {
			name = "native"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, f)
			e.create("Dst")
			var src mailbox.Mailbox = e.open("INBOX")
			if !native {
				src = noMover{src}
			} else if _, ok := src.(mailbox.Mover); !ok {
				t.Skip("not a mailbox.Mover")
			}
			other := e.open("INBOX")
			var u []mailbox.UID
			for i := range 4 {
				u = append(u, addAt(t, src, synth(i), day(i+1), mailbox.FlagAnswered))
			}
			_ = poll(t, other)

			res, err := mailbox.Move(e.ctx, src, mailbox.UIDSetOf(u[1], u[3]), "Dst")
			require.NoError(t, err)
			assert.Equal(t, []mailbox.UID{u[1], u[3]}, res.Source)
			require.Len(t, res.Dest, 2)
			assert.True(t, ascending(res.Dest))
			assert.Equal(t, e.status("Dst").UIDValidity, res.UIDValidity)

			// RFC 6851: gone from the source, for this view and the others.
			assert.Equal(t, []mailbox.UID{u[0], u[2]}, allUIDs(t, src))
			assert.Equal(t, uint32(2), e.status("INBOX").Messages)
			waitUpdate(t, other)
			var expunged []mailbox.UID
			for _, up := range poll(t, other) {
				if up.Kind == mailbox.UpdateExpunged {
					expunged = append(expunged, up.UID)
				}
			}
			assert.Equal(t, []mailbox.UID{u[1], u[3]}, expunged)

			dst := e.examine("Dst")
			got := fetch(t, dst, mailbox.AllUIDs)
			require.Len(t, got, 2)
			for i, x := range got {
				assert.Equal(t, res.Dest[i], x.UID)
				assert.Equal(t, synth([]int{1, 3}[i]), x.Body)
				assert.Equal(t, []string{mailbox.FlagAnswered}, stored(x.Flags), "flags move with the message")
				assert.Equal(t, day([]int{2, 4}[i]).Unix(), x.Date.Unix())
			}

			_, err = mailbox.Move(e.ctx, src, mailbox.UIDSetOf(u[0]), "Nope")
			assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
			assert.Equal(t, []mailbox.UID{u[0], u[2]}, allUIDs(t, src), "a failed Move moves nothing")
		})
	}
}

func testStatus(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Box")
	m := e.open("Box")
	bodies := corpus(t, "cpython/msg_01.eml", "cpython/msg_04.eml", "cpython/msg_10.eml", "cpython/msg_20.eml")
	flags := [][]string{{mailbox.FlagSeen}, {mailbox.FlagSeen, mailbox.FlagDeleted}, nil, {mailbox.FlagDeleted, "$x"}}
	var size int64
	var last mailbox.UID
	for i, b := range bodies {
		last = add(t, m, b, flags[i]...)
		size += int64(len(b))
	}
	for _, get := range []func() *mailbox.Status{
		func() *mailbox.Status { return e.status("Box") },
		func() *mailbox.Status {
			st, err := m.Status(e.ctx)
			require.NoError(t, err)
			return st
		},
	} {
		st := get()
		assert.Equal(t, uint32(4), st.Messages)
		assert.Equal(t, uint32(2), st.Unseen)
		assert.Equal(t, uint32(2), st.Deleted)
		assert.Equal(t, size, st.Size, "RFC 8438 STATUS SIZE")
		assert.Greater(t, st.UIDNext, last)
		assert.NotZero(t, st.UIDValidity)
		assert.NotZero(t, st.HighestModSeq)
		assert.LessOrEqual(t, st.Recent, uint32(4))
	}

	// Status of an empty mailbox and of one that does not exist.
	st := e.status("INBOX")
	assert.Zero(t, st.Messages)
	assert.Zero(t, st.Size)
	_, err := e.acct.Status(e.ctx, "Nope")
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
}

func testReadOnly(t *testing.T, f Factory) {
	e := newEnv(t, f)
	e.create("Dst")
	w := e.open("INBOX")
	u := add(t, w, synth(1), mailbox.FlagDeleted)
	r := e.examine("INBOX")

	_, err := r.Append(e.ctx, bytes.NewReader(synth(2)), nil)
	assert.ErrorIs(t, err, mailbox.ErrReadOnly, "Append")
	_, err = r.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil)
	assert.ErrorIs(t, err, mailbox.ErrReadOnly, "Store")
	_, err = r.Expunge(e.ctx, nil)
	assert.ErrorIs(t, err, mailbox.ErrReadOnly, "Expunge")
	if mv, ok := r.(mailbox.Mover); ok {
		_, err = mv.Move(e.ctx, mailbox.UIDSetOf(u), "Dst")
		assert.ErrorIs(t, err, mailbox.ErrReadOnly, "Move")
		assert.Zero(t, e.status("Dst").Messages, "a refused Move copies nothing")
	}
	assert.Equal(t, []mailbox.UID{u}, allUIDs(t, r))
	assert.Equal(t, []string{mailbox.FlagDeleted}, stored(fetchOne(t, r, u).Flags))

	// COPY is allowed from a read-only view (IMAP EXAMINE).
	res, err := r.Copy(e.ctx, mailbox.UIDSetOf(u), "Dst")
	require.NoError(t, err)
	assert.Len(t, res.Dest, 1)
}

// testDeliveryRecent: a view opened with NoRecent (a delivery agent)
// claims nothing, so the next read-write view sees the messages it
// delivered, with flags or without, as \Recent, and a later view does
// not; and Status.Flags lists the system flags and the keywords in use.
func testDeliveryRecent(t *testing.T, f Factory) {
	e := newEnv(t, f)
	a := e.account("alice")
	d, err := a.Open(e.ctx, "INBOX", &mailbox.OpenOptions{NoRecent: true})
	require.NoError(t, err)
	u := add(t, d, synth(1))
	flagged := add(t, d, synth(2), mailbox.FlagFlagged, "$Label1")
	require.NoError(t, d.Close())

	x := openIn(t, e.ctx, a, "INBOX", false)
	got := fetchOne(t, x, u)
	assert.Contains(t, got.Flags, mailbox.FlagRecent, "a delivered message is recent in the next session")
	got = fetchOne(t, x, flagged)
	assert.Contains(t, got.Flags, mailbox.FlagRecent, "a delivered message with flags is recent in the next session")
	assert.Contains(t, got.Flags, mailbox.FlagFlagged)
	st, err := x.Status(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), st.Recent)
	y := openIn(t, e.ctx, a, "INBOX", false)
	assert.NotContains(t, fetchOne(t, y, flagged).Flags, mailbox.FlagRecent, "claimed by the first session")
	st, err = y.Status(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Recent)
	_, err = x.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{"$Work"}, nil)
	require.NoError(t, err)
	st, err = x.Status(e.ctx)
	require.NoError(t, err)
	for _, fl := range []string{mailbox.FlagSeen, mailbox.FlagAnswered, mailbox.FlagFlagged, mailbox.FlagDeleted, mailbox.FlagDraft, "$Work"} {
		assert.True(t, mailbox.HasFlag(st.Flags, fl), "Status.Flags has %s: %v", fl, st.Flags)
	}
	assert.False(t, mailbox.HasFlag(st.Flags, `\*`), "Status.Flags is not PermanentFlags")
}

// testLateFlagUpdate: a flag change another view made before this view's
// own STORE, polled after it, must not undo it: the update carries the
// message's flags as they are when polled (a client told of the older
// state last would believe it).
func testLateFlagUpdate(t *testing.T, f Factory) {
	e := newEnv(t, f)
	a := e.account("alice")
	x := openIn(t, e.ctx, a, "INBOX", false)
	y := openIn(t, e.ctx, a, "INBOX", false)
	u := add(t, x, synth(1), "$Old")
	poll(t, y)
	_, err := y.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreRemove, []string{"$Old"}, nil)
	require.NoError(t, err)
	_, err = x.Store(e.ctx, mailbox.UIDSetOf(u), mailbox.StoreAdd, []string{"$New"}, nil)
	require.NoError(t, err)
	ups := poll(t, x)
	var last *mailbox.Update
	for i := range ups {
		if ups[i].UID == u && ups[i].Kind == mailbox.UpdateFlags {
			last = &ups[i]
		}
	}
	require.NotNil(t, last, "x learns of y's change")
	assert.True(t, mailbox.HasFlag(last.Flags, "$New"), "the update says what the flags are now: %v", last.Flags)
	assert.False(t, mailbox.HasFlag(last.Flags, "$Old"), "%v", last.Flags)
}

// testFindAccount: a Store that is a mailbox.AccountFinder opens only
// accounts that exist, and creates none.
func testFindAccount(t *testing.T, f Factory) {
	e := newEnv(t, f)
	finder, ok := e.store.(mailbox.AccountFinder)
	if !ok {
		t.Skip("not a mailbox.AccountFinder")
	}
	_, err := finder.FindAccount(e.ctx, "nobody-here")
	require.ErrorIs(t, err, mailbox.ErrNoSuchAccount)
	_, err = finder.FindAccount(e.ctx, "nobody-here")
	require.ErrorIs(t, err, mailbox.ErrNoSuchAccount, "the first FindAccount created nothing")
	e.account("alice")
	a, err := finder.FindAccount(e.ctx, "alice")
	require.NoError(t, err)
	require.NoError(t, a.Close())
}

// testURLAuthKey: an Account that is a mailbox.URLAuthKeyer makes a key
// per mailbox on request (the name of INBOX in any case), keeps it, lets
// it follow a rename, and replaces one key or drops them all on reset.
func testURLAuthKey(t *testing.T, f Factory) {
	e := newEnv(t, f)
	k, ok := e.acct.(mailbox.URLAuthKeyer)
	if !ok {
		t.Skip("not a mailbox.URLAuthKeyer")
	}
	require.NoError(t, e.acct.Create(e.ctx, "Sent", nil))
	got, err := k.URLAuthKey(e.ctx, "INBOX", false)
	require.NoError(t, err)
	assert.Nil(t, got, "no key until asked for")
	key, err := k.URLAuthKey(e.ctx, "inbox", true)
	require.NoError(t, err)
	assert.Len(t, key, mailbox.URLAuthKeySize)
	got, err = k.URLAuthKey(e.ctx, "INBOX", true)
	require.NoError(t, err)
	assert.Equal(t, key, got, "kept")
	sent, err := k.URLAuthKey(e.ctx, "Sent", true)
	require.NoError(t, err)
	assert.NotEqual(t, key, sent)

	require.NoError(t, e.acct.Rename(e.ctx, "Sent", "Archive"))
	got, err = k.URLAuthKey(e.ctx, "Archive", false)
	require.NoError(t, err)
	assert.Equal(t, sent, got, "follows a rename")

	require.NoError(t, k.ResetURLAuthKey(e.ctx, "INBOX"))
	got, err = k.URLAuthKey(e.ctx, "INBOX", false)
	require.NoError(t, err)
	assert.Len(t, got, mailbox.URLAuthKeySize)
	assert.NotEqual(t, key, got, "replaced")
	require.NoError(t, k.ResetURLAuthKey(e.ctx, ""))
	for _, name := range []string{"INBOX", "Archive"} {
		got, err = k.URLAuthKey(e.ctx, name, false)
		require.NoError(t, err)
		assert.Nil(t, got, name)
	}
	_, err = k.URLAuthKey(e.ctx, "Nonexistent", true)
	assert.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	assert.ErrorIs(t, k.ResetURLAuthKey(e.ctx, "Nonexistent"), mailbox.ErrNoSuchMailbox)
}
