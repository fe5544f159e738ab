package maildir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

var errInjected = errors.New("injected failure")

// failAtSteps makes steps fail (failPoint) until the returned stop is
// called, which reports whether they all did. A step is "name#n": the
// n-th time the step named is reached.
func failAtSteps(t *testing.T, steps ...string) (stop func() bool) {
	var mu sync.Mutex
	count := make(map[string]int)
	failed := 0
	fn := func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		count[s]++
		if slices.Contains(steps, s+"#"+strconv.Itoa(count[s])) {
			failed++
			return errInjected
		}
		return nil
	}
	failPoint.Store(&fn)
	t.Cleanup(func() { failPoint.Store(nil) })
	return func() bool {
		failPoint.Store(nil)
		mu.Lock()
		defer mu.Unlock()
		return failed == len(steps)
	}
}

const replacement = "From: b@example.com\r\nSubject: new\r\n\r\nthe replacement\r\n"

// shown is what a view or a fresh Store shows of a folder: UID, flags
// (without \Recent) and body of each message.
type shown struct {
	UID   mailbox.UID
	Flags []string
	Body  string
}

func show(t *testing.T, m mailbox.Mailbox) []shown {
	t.Helper()
	out := []shown{}
	for _, f := range fetchAll(t, m) {
		out = append(out, shown{f.UID, stored(f.Flags), f.Body})
	}
	return out
}

// freshShow opens a new Store on root and shows the folder name.
func freshShow(t *testing.T, root, name string) []shown {
	t.Helper()
	s := New(root, &Options{NoSync: true, PollInterval: -1})
	a := openAccount(t, s, "alice")
	m := openBox(t, a, name, true)
	return show(t, m)
}

// tmpFiles lists what tmp/ of the folder in dir holds.
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestReplaceFailureLeavesFolders makes each step of Replace fail in
// turn (within a folder and into another): a Replace that returns an
// error must leave the old message live with its UID, flags and body,
// and no new message, in the replacing view, in another view, and on
// disk as a fresh Store reads it; a retry then replaces it once. A step
// past the point where the expunge is recorded does not fail Replace.
func TestReplaceFailureLeavesFolders(t *testing.T) {
	tests := []struct {
		dest  string
		steps []string
		ok    bool // Replace succeeds all the same
	}{
		{"INBOX", []string{"addTmp#1"}, false},
		{"INBOX", []string{"commit#1"}, false},  // the new message's record
		{"INBOX", []string{"uidlist#1"}, false}, // its MODSEQ logged, not its UID
		{"INBOX", []string{"expunge#1"}, false}, // the unlink of the old file
		{"INBOX", []string{"syncMsgDirs#1"}, false},
		{"INBOX", []string{"commit#2"}, false}, // the expunge's record
		{"INBOX", []string{"uidlist#2"}, true}, // the expunge is logged: it stands
		// The new message's removal is not recorded: its file's
		// absence says the same.
		{"INBOX", []string{"commit#2", "commit#3"}, false},
		{"INBOX", []string{"commit#2", "syncMsgDirs#2"}, false},
		{"Sent", []string{"addTmp#1"}, false},
		{"Sent", []string{"commit#1"}, false},
		{"Sent", []string{"uidlist#1"}, false},
		{"Sent", []string{"expunge#1"}, false},
		{"Sent", []string{"syncMsgDirs#1"}, false},
		{"Sent", []string{"commit#2"}, false},
		{"Sent", []string{"uidlist#2"}, true},
		{"Sent", []string{"commit#2", "commit#3"}, false},
	}
	for _, tc := range tests {
		for _, noSync := range []bool{true, false} {
			t.Run(tc.dest+"/"+strings.Join(tc.steps, "+")+"/NoSync="+strconv.FormatBool(noSync), func(t *testing.T) {
				testReplaceFailure(t, tc.dest, tc.steps, tc.ok, noSync)
			})
		}
	}
}

// testReplaceFailure runs a case of TestReplaceFailureLeavesFolders.
func testReplaceFailure(t *testing.T, dest string, steps []string, ok, noSync bool) {
	ctx := context.Background()
	root := t.TempDir()
	s := New(root, &Options{NoSync: noSync, PollInterval: -1})
	a := openAccount(t, s, "alice")
	require.NoError(t, a.Create(ctx, "Sent", nil))
	in := openBox(t, a, "INBOX", false)
	other := openBox(t, a, "INBOX", false)
	sent := openBox(t, a, "Sent", false)
	u1 := appendMsg(t, in, testMsg, mailbox.FlagFlagged, "$Label1")
	appendMsg(t, in, "Subject: two\r\n\r\ntwo\r\n", mailbox.FlagSeen)
	_, err := other.Poll(ctx)
	require.NoError(t, err)
	before := show(t, in)
	require.Len(t, before, 2)
	inDir := in.(*view).f.dir

	stop := failAtSteps(t, steps...)
	res, err := in.(mailbox.Replacer).Replace(ctx, u1, dest, strings.NewReader(replacement), &mailbox.AppendOptions{Flags: []string{mailbox.FlagDraft}})
	require.True(t, stop(), "steps %v not all reached", steps)

	if ok {
		require.NoError(t, err)
		assert.True(t, res.Expunged)
		checkReplaced(t, root, dest, before[1], res.UID, other)
		return
	}
	require.ErrorIs(t, err, errInjected)

	// The replacing view, before and after Poll, and another.
	assert.Equal(t, before, show(t, in))
	assert.Equal(t, before, show(t, other))
	for _, m := range []mailbox.Mailbox{in, other} {
		ups, err := m.Poll(ctx)
		require.NoError(t, err)
		assert.Empty(t, ups)
		assert.Equal(t, before, show(t, m))
	}
	// The destination, another folder, may have shown the new
	// message and its expunge; it has none now.
	if dest == "Sent" {
		_, err := sent.Poll(ctx)
		require.NoError(t, err)
		assert.Empty(t, show(t, sent))
	}
	assert.Equal(t, before, freshShow(t, root, "INBOX"))
	assert.Empty(t, freshShow(t, root, "Sent"))
	assert.Empty(t, tmpFiles(t, inDir), "tmp/ of INBOX")

	// A retry replaces the message once.
	res, err = in.(mailbox.Replacer).Replace(ctx, u1, dest, strings.NewReader(replacement), &mailbox.AppendOptions{Flags: []string{mailbox.FlagDraft}})
	require.NoError(t, err)
	require.True(t, res.Expunged)
	checkReplaced(t, root, dest, before[1], res.UID, other)
}

// checkReplaced checks that the first message of INBOX was replaced by
// one message, of UID uid in dest, and that other learns of the expunge.
func checkReplaced(t *testing.T, root, dest string, kept shown, uid mailbox.UID, other mailbox.Mailbox) {
	t.Helper()
	inbox := freshShow(t, root, "INBOX")
	require.NotEmpty(t, inbox)
	assert.Equal(t, kept, inbox[0])
	got := freshShow(t, root, dest)
	if dest == "INBOX" {
		require.Len(t, got, 2)
	} else {
		assert.Len(t, inbox, 1)
		require.Len(t, got, 1)
	}
	assert.Equal(t, shown{uid, []string{mailbox.FlagDraft}, replacement}, got[len(got)-1])
	ups, err := other.Poll(context.Background())
	require.NoError(t, err)
	expunged := false
	for _, u := range ups {
		expunged = expunged || u.Kind == mailbox.UpdateExpunged && u.UID < kept.UID
	}
	assert.True(t, expunged, "other view told of the expunge: %v", ups)
}

// TestReplaceBothStayWhenNewCannotGo: when the expunge fails and the
// new message, recorded, cannot be removed either, both stay, as after
// a crash between the two, never neither; every view learns of the new
// message.
func TestReplaceBothStayWhenNewCannotGo(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "alice")
	in := openBox(t, a, "INBOX", false)
	u1 := appendMsg(t, in, testMsg, mailbox.FlagFlagged)
	before := show(t, in)

	stop := failAtSteps(t, "commit#2", "expunge#2")
	_, err := in.(mailbox.Replacer).Replace(ctx, u1, "INBOX", strings.NewReader(replacement), nil)
	require.True(t, stop())
	require.ErrorIs(t, err, errInjected)

	ups, err := in.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, ups, 1)
	assert.Equal(t, mailbox.UpdateAppended, ups[0].Kind)
	got := show(t, in)
	require.Len(t, got, 2)
	assert.Equal(t, before[0], got[0])
	assert.Equal(t, replacement, got[1].Body)
	assert.Equal(t, got, freshShow(t, root, "INBOX"))
}

// TestReplaceModSeqLogUnwritable: a Replace whose MODSEQ log cannot be
// written (here a directory stands in its place) fails and leaves the
// folder as it was, in the view and on disk; once the log can be
// written again, a retry replaces the message once. (Before, the new
// message was in cur/ and the old one gone, while the client was told
// NO, and a retry stored the new message twice.)
func TestReplaceModSeqLogUnwritable(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	a := openAccount(t, s, "alice")
	in := openBox(t, a, "INBOX", false)
	u1 := appendMsg(t, in, testMsg, mailbox.FlagSeen)
	appendMsg(t, in, testMsg)
	before := show(t, in)
	log := filepath.Join(in.(*view).f.dir, modseqFile)
	require.NoError(t, os.Remove(log))
	require.NoError(t, os.Mkdir(log, 0o700))

	_, err := in.(mailbox.Replacer).Replace(ctx, u1, "INBOX", strings.NewReader(replacement), nil)
	require.Error(t, err)
	assert.Equal(t, before, show(t, in))
	require.NoError(t, os.Remove(log))
	assert.Equal(t, before, freshShow(t, root, "INBOX"))

	res, err := in.(mailbox.Replacer).Replace(ctx, u1, "INBOX", strings.NewReader(replacement), nil)
	require.NoError(t, err)
	assert.True(t, res.Expunged)
	got := freshShow(t, root, "INBOX")
	require.Len(t, got, 2)
	assert.Equal(t, before[1], got[0])
	assert.Equal(t, shown{res.UID, []string{}, replacement}, got[1])
	_, err = in.Poll(ctx)
	require.NoError(t, err)
	assert.Equal(t, got, show(t, in))
}

// TestAppendUnrecordedGoesAgain: an Append whose message cannot be
// recorded fails and leaves nothing, in the views and on disk; a retry
// appends it once.
func TestAppendUnrecordedGoesAgain(t *testing.T) {
	for _, step := range []string{"addTmp#1", "commit#1", "uidlist#1"} {
		t.Run(step, func(t *testing.T) {
			ctx := context.Background()
			s, root := newTestStore(t)
			a := openAccount(t, s, "alice")
			in := openBox(t, a, "INBOX", false)
			other := openBox(t, a, "INBOX", false)
			appendMsg(t, in, testMsg, mailbox.FlagSeen)
			_, err := other.Poll(ctx)
			require.NoError(t, err)
			before := show(t, in)

			stop := failAtSteps(t, step)
			_, err = in.Append(ctx, strings.NewReader(replacement), nil)
			require.True(t, stop())
			require.ErrorIs(t, err, errInjected)
			for _, m := range []mailbox.Mailbox{in, other} {
				ups, err := m.Poll(ctx)
				require.NoError(t, err)
				assert.Empty(t, ups)
				assert.Equal(t, before, show(t, m))
			}
			assert.Equal(t, before, freshShow(t, root, "INBOX"))
			assert.Empty(t, tmpFiles(t, in.(*view).f.dir))

			u := appendMsg(t, in, replacement)
			got := freshShow(t, root, "INBOX")
			require.Len(t, got, 2)
			assert.Equal(t, shown{u, []string{}, replacement}, got[1])
		})
	}
}
