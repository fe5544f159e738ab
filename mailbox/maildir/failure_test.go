package maildir

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// failureFixture is a folder of three messages, the first and the last
// \Deleted, seen by the view that changes it (in) and by another (other),
// with an Archive folder and a view of it.
type failureFixture struct {
	root        string
	in, other   mailbox.Mailbox
	archive     mailbox.Mailbox
	uids        []mailbox.UID
	before      []shown
	bodies      []string
	inDir, aDir string
}

func newFailureFixture(t *testing.T, noSync bool) *failureFixture {
	ctx := context.Background()
	root := t.TempDir()
	s := New(root, &Options{NoSync: noSync, PollInterval: -1})
	a := openAccount(t, s, "alice")
	require.NoError(t, a.Create(ctx, "Archive", nil))
	fx := &failureFixture{root: root}
	fx.in = openBox(t, a, "INBOX", false)
	fx.other = openBox(t, a, "INBOX", false)
	fx.archive = openBox(t, a, "Archive", false)
	fx.bodies = []string{"Subject: one\r\n\r\none\r\n", "Subject: two\r\n\r\ntwo\r\n", "Subject: three\r\n\r\nthree\r\n"}
	fx.uids = []mailbox.UID{
		appendMsg(t, fx.in, fx.bodies[0], mailbox.FlagDeleted),
		appendMsg(t, fx.in, fx.bodies[1], mailbox.FlagSeen),
		appendMsg(t, fx.in, fx.bodies[2], mailbox.FlagDeleted, "$Label1"),
	}
	_, err := fx.other.Poll(ctx)
	require.NoError(t, err)
	fx.before = show(t, fx.in)
	require.Len(t, fx.before, 3)
	fx.inDir, fx.aDir = fx.in.(*view).f.dir, fx.archive.(*view).f.dir
	return fx
}

// without returns fx.before less the messages of uids.
func (fx *failureFixture) without(uids []mailbox.UID) []shown {
	out := []shown{}
	for _, m := range fx.before {
		if !containsUID(uids, m.UID) {
			out = append(out, m)
		}
	}
	return out
}

func containsUID(uids []mailbox.UID, u mailbox.UID) bool {
	for _, x := range uids {
		if x == u {
			return true
		}
	}
	return false
}

// expungedIn returns the UIDs of the expunge updates of ups.
func expungedIn(ups []mailbox.Update) []mailbox.UID {
	var out []mailbox.UID
	for _, u := range ups {
		if u.Kind == mailbox.UpdateExpunged {
			out = append(out, u.UID)
		}
	}
	return out
}

// TestExpungeFailureAfterUnlinks makes each step of Expunge after the
// first unlink fail: the messages unlinked are expunged all the same,
// returned with the error, gone from the view, reported once to another
// view by its Poll (which keeps them until then) and never to the view
// that expunged them, and gone for a fresh Store; a second Expunge
// removes the rest.
func TestExpungeFailureAfterUnlinks(t *testing.T) {
	tests := []struct {
		step string
		gone int // how many of the two \Deleted messages are unlinked
	}{
		{"expunge#2", 1}, // the second unlink
		{"syncMsgDirs#1", 2},
		{"commit#1", 2},
		{"uidlist#1", 2},
	}
	for _, tc := range tests {
		for _, noSync := range []bool{true, false} {
			t.Run(tc.step+"/NoSync="+strconv.FormatBool(noSync), func(t *testing.T) {
				ctx := context.Background()
				fx := newFailureFixture(t, noSync)
				want := []mailbox.UID{fx.uids[0], fx.uids[2]}[:tc.gone]

				stop := failAtSteps(t, tc.step)
				gone, err := fx.in.Expunge(ctx, nil)
				require.True(t, stop(), "step %s not reached", tc.step)
				require.ErrorIs(t, err, errInjected)
				assert.Equal(t, want, gone)

				left := fx.without(want)
				assert.Equal(t, left, show(t, fx.in))
				// The other view keeps them until it polls, which
				// reports each once.
				assert.Equal(t, fx.before, show(t, fx.other))
				ups, err := fx.other.Poll(ctx)
				require.NoError(t, err)
				assert.Equal(t, want, expungedIn(ups))
				assert.Equal(t, left, show(t, fx.other))
				// The expunging view got them from Expunge.
				ups, err = fx.in.Poll(ctx)
				require.NoError(t, err)
				assert.Empty(t, expungedIn(ups))
				assert.Equal(t, left, show(t, fx.in))
				assert.Equal(t, left, freshShow(t, fx.root, "INBOX"))
				assert.Empty(t, tmpFiles(t, fx.inDir))

				// What is left goes at the next Expunge.
				gone, err = fx.in.Expunge(ctx, nil)
				require.NoError(t, err)
				rest := []mailbox.UID{fx.uids[0], fx.uids[2]}[tc.gone:]
				assert.Equal(t, rest, append([]mailbox.UID{}, gone...))
				ups, err = fx.other.Poll(ctx)
				require.NoError(t, err)
				assert.Equal(t, rest, append([]mailbox.UID{}, expungedIn(ups)...))
				only := []shown{fx.before[1]}
				assert.Equal(t, only, show(t, fx.in))
				assert.Equal(t, only, show(t, fx.other))
				assert.Equal(t, only, freshShow(t, fx.root, "INBOX"))
			})
		}
	}
}

// TestStoreFailureAfterRenames makes each step of Store after the first
// rename fail: the flags changed stay changed, and every view, the one
// that stored included (it got no result), learns of them through Poll;
// a fresh Store reads the same flags.
func TestStoreFailureAfterRenames(t *testing.T) {
	tests := []struct {
		step    string
		changed int // how many of the three messages got \Flagged
	}{
		{"rename#2", 1},
		{"syncCur#1", 3},
		{"commit#1", 3},
		{"uidlist#1", 3},
	}
	for _, tc := range tests {
		for _, noSync := range []bool{true, false} {
			t.Run(tc.step+"/NoSync="+strconv.FormatBool(noSync), func(t *testing.T) {
				ctx := context.Background()
				fx := newFailureFixture(t, noSync)
				want := make([]shown, len(fx.before))
				for i, m := range fx.before {
					want[i] = m
					if i < tc.changed {
						want[i].Flags = mailbox.ApplyFlags(m.Flags, mailbox.StoreAdd, []string{mailbox.FlagFlagged})
					}
				}

				stop := failAtSteps(t, tc.step)
				_, err := fx.in.Store(ctx, mailbox.AllUIDs, mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
				require.True(t, stop(), "step %s not reached", tc.step)
				require.ErrorIs(t, err, errInjected)

				for _, m := range []mailbox.Mailbox{fx.in, fx.other} {
					ups, err := m.Poll(ctx)
					require.NoError(t, err)
					var flagged []mailbox.UID
					for _, u := range ups {
						require.Equal(t, mailbox.UpdateFlags, u.Kind, "%v", ups)
						assert.Contains(t, u.Flags, mailbox.FlagFlagged)
						if !containsUID(flagged, u.UID) {
							flagged = append(flagged, u.UID)
						}
					}
					assert.Equal(t, fx.uids[:tc.changed], flagged)
					assert.Equal(t, sortFlags(want), sortFlags(show(t, m)))
				}
				assert.Equal(t, sortFlags(want), sortFlags(freshShow(t, fx.root, "INBOX")))

				// A retry changes the rest.
				_, err = fx.in.Store(ctx, mailbox.AllUIDs, mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
				require.NoError(t, err)
				for _, m := range fx.before {
					assert.Contains(t, freshFlags(t, fx.root, m.UID), mailbox.FlagFlagged)
				}
			})
		}
	}
}

// sortFlags sorts the flags of each message of ms, in place.
func sortFlags(ms []shown) []shown {
	for _, m := range ms {
		slices.Sort(m.Flags)
	}
	return ms
}

// freshFlags returns the flags a fresh Store reads for uid in INBOX.
func freshFlags(t *testing.T, root string, uid mailbox.UID) []string {
	t.Helper()
	for _, m := range freshShow(t, root, "INBOX") {
		if m.UID == uid {
			return m.Flags
		}
	}
	return nil
}

// TestMoveFailurePartway makes each step of Move fail once files have
// moved: what moved is in the destination, gone from the source, and
// every view of the source, the one that moved included (it got no
// result), learns of its expunge through Poll, once; the destination's
// views learn of the new messages; a fresh Store agrees. Nothing is in
// both mailboxes, nothing in neither (RFC 6851 3.3).
func TestMoveFailurePartway(t *testing.T) {
	tests := []struct {
		step  string
		moved int // how many of the three messages moved
	}{
		{"transfer#2", 1},
		{"syncCur#1", 3}, // the destination's sync
		{"commit#1", 3},  // the destination's record
		{"uidlist#1", 3}, // the destination's MODSEQ log written
		{"commit#2", 3},  // the source's record
		{"uidlist#2", 3}, // the source's MODSEQ log written
	}
	for _, tc := range tests {
		for _, noSync := range []bool{true, false} {
			t.Run(tc.step+"/NoSync="+strconv.FormatBool(noSync), func(t *testing.T) {
				ctx := context.Background()
				fx := newFailureFixture(t, noSync)
				moved := fx.uids[:tc.moved]

				stop := failAtSteps(t, tc.step)
				res, err := fx.in.(mailbox.Mover).Move(ctx, mailbox.AllUIDs, "Archive")
				require.True(t, stop(), "step %s not reached", tc.step)
				require.ErrorIs(t, err, errInjected)
				assert.Nil(t, res)

				left := fx.without(moved)
				for _, m := range []mailbox.Mailbox{fx.in, fx.other} {
					ups, err := m.Poll(ctx)
					require.NoError(t, err)
					assert.Equal(t, moved, expungedIn(ups))
					assert.Equal(t, left, show(t, m))
					ups, err = m.Poll(ctx)
					require.NoError(t, err)
					assert.Empty(t, ups)
				}
				assert.Equal(t, left, freshShow(t, fx.root, "INBOX"))

				// Messages whose record was lost are numbered anew:
				// the view may see them come and go, and shows what
				// a fresh Store shows.
				_, err = fx.archive.Poll(ctx)
				require.NoError(t, err)
				got := show(t, fx.archive)
				require.Len(t, got, tc.moved)
				fresh := freshShow(t, fx.root, "Archive")
				require.Len(t, fresh, tc.moved)
				for i := range tc.moved {
					assert.Equal(t, fx.bodies[i], got[i].Body)
					assert.Equal(t, fx.before[i].Flags, got[i].Flags)
					assert.Equal(t, fx.bodies[i], fresh[i].Body)
					assert.Equal(t, fx.before[i].Flags, fresh[i].Flags)
				}
				assert.Equal(t, fresh, got)
				assert.Empty(t, tmpFiles(t, fx.inDir))
				assert.Empty(t, tmpFiles(t, fx.aDir))

				// The rest moves at a retry.
				res, err = fx.in.(mailbox.Mover).Move(ctx, mailbox.AllUIDs, "Archive")
				require.NoError(t, err)
				assert.Equal(t, fx.uids[tc.moved:], append([]mailbox.UID{}, res.Source...))
				assert.Empty(t, freshShow(t, fx.root, "INBOX"))
				assert.Len(t, freshShow(t, fx.root, "Archive"), 3)
			})
		}
	}
}

// TestCopyFailureLeavesDestination: a Copy that fails at any step
// leaves the destination as it was (RFC 9051 6.4.7), in its views and
// on disk, and the source untouched; a retry copies once.
func TestCopyFailureLeavesDestination(t *testing.T) {
	for _, step := range []string{"transfer#2", "syncCur#1", "commit#1", "uidlist#1"} {
		for _, noSync := range []bool{true, false} {
			t.Run(step+"/NoSync="+strconv.FormatBool(noSync), func(t *testing.T) {
				ctx := context.Background()
				fx := newFailureFixture(t, noSync)

				stop := failAtSteps(t, step)
				_, err := fx.in.Copy(ctx, mailbox.AllUIDs, "Archive")
				require.True(t, stop(), "step %s not reached", step)
				require.ErrorIs(t, err, errInjected)

				ups, err := fx.archive.Poll(ctx)
				require.NoError(t, err)
				assert.Empty(t, ups)
				assert.Empty(t, show(t, fx.archive))
				assert.Empty(t, freshShow(t, fx.root, "Archive"))
				for _, m := range []mailbox.Mailbox{fx.in, fx.other} {
					ups, err := m.Poll(ctx)
					require.NoError(t, err)
					assert.Empty(t, ups)
					assert.Equal(t, fx.before, show(t, m))
				}
				assert.Equal(t, fx.before, freshShow(t, fx.root, "INBOX"))

				res, err := fx.in.Copy(ctx, mailbox.AllUIDs, "Archive")
				require.NoError(t, err)
				assert.Len(t, res.Dest, 3)
				got := freshShow(t, fx.root, "Archive")
				require.Len(t, got, 3)
				for i, m := range got {
					assert.Equal(t, fx.bodies[i], m.Body)
				}
			})
		}
	}
}
