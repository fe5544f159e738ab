package maildirinterop

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/peers/internal/dovecottest"
)

// corpus reads a message of the module's testdata/messages.
func corpus(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "messages", filepath.FromSlash(path)))
	require.NoError(t, err)
	return b
}

// synth returns a small CRLF message unique to n.
func synth(n int) []byte {
	return fmt.Appendf(nil, "From: a@example.org\r\nTo: b@example.org\r\nSubject: message %d\r\n"+
		"Message-ID: <%d@example.org>\r\n\r\nBody of message %d.\r\n", n, n, n)
}

// toCRLF ends every line with CRLF, as Dovecot sends a message stored
// with bare LFs; RFC822.SIZE counts that (the W= of the file name).
func toCRLF(b []byte) []byte {
	var out bytes.Buffer
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out.WriteByte('\r')
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}

// day returns noon UTC of a day of January 2026.
func day(d int) time.Time { return time.Date(2026, time.January, d, 12, 0, 0, 0, time.UTC) }

// openStore returns our backend with the account's directory at md.
func openStore(t *testing.T, ctx context.Context, md string) mailbox.Account {
	t.Helper()
	s := maildir.New("", &maildir.Options{PollInterval: -1, AccountPath: func(string) (string, error) { return md, nil }})
	a, err := s.Account(ctx, testUser)
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	return a
}

// ourMessage is a message as our backend fetches it.
type ourMessage struct {
	uid   mailbox.UID
	flags []string // without \Recent, sorted
	date  time.Time
	size  int64
	body  []byte
}

// ourBox is a mailbox as our backend sees it.
type ourBox struct {
	status *mailbox.Status
	msgs   []ourMessage
}

// readOurs reads a mailbox with our backend: its status and messages.
func readOurs(t *testing.T, ctx context.Context, a mailbox.Account, name string) ourBox {
	t.Helper()
	st, err := a.Status(ctx, name)
	require.NoError(t, err, "Status(%q)", name)
	m, err := a.Open(ctx, name, &mailbox.OpenOptions{ReadOnly: true})
	require.NoError(t, err, "Open(%q)", name)
	defer m.Close()
	box := ourBox{status: st}
	require.NoError(t, m.Fetch(ctx, mailbox.AllUIDs, func(x mailbox.Message) error {
		b, err := x.Open(ctx)
		if err != nil {
			return err
		}
		defer b.Close()
		data := make([]byte, b.Size())
		if _, err := b.ReadAt(data, 0); err != nil && b.Size() > 0 {
			return err
		}
		box.msgs = append(box.msgs, ourMessage{uid: x.UID(), flags: stored(x.Flags()), date: x.InternalDate(), size: x.Size(), body: data})
		return nil
	}))
	return box
}

// stored drops \Recent, which each side computes per session, and sorts.
func stored(flags []string) []string {
	out := []string{}
	for _, f := range flags {
		if f != mailbox.FlagRecent {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// checkSame checks that Dovecot shows a mailbox as our backend does.
func checkSame(t *testing.T, name string, ours ourBox, sel selected, theirs []imapMessage) {
	t.Helper()
	assert.Equal(t, ours.status.UIDValidity, sel.uidValidity, "%s: UIDVALIDITY", name)
	assert.Equal(t, uint32(ours.status.UIDNext), sel.uidNext, "%s: UIDNEXT", name)
	assert.Equal(t, len(ours.msgs), sel.exists, "%s: EXISTS", name)
	require.Len(t, theirs, len(ours.msgs), "%s: messages", name)
	for i, o := range ours.msgs {
		d := theirs[i]
		assert.Equal(t, uint32(o.uid), d.uid, "%s: UID of message %d", name, i+1)
		assert.Equal(t, o.flags, stored(d.flags), "%s: flags of UID %d", name, o.uid)
		assert.Equal(t, o.date.Unix(), d.date.Unix(), "%s: internal date of UID %d", name, o.uid)
		want := toCRLF(o.body)
		assert.Equal(t, int64(len(want)), d.size, "%s: RFC822.SIZE of UID %d", name, o.uid)
		assert.True(t, bytes.Equal(want, d.body), "%s: body of UID %d differs (%d octets, Dovecot %d)", name, o.uid, len(want), len(d.body))
	}
}

// ourFolders are the folders TestOursReadByDovecot makes, with their
// names on the wire (modified UTF-7, RFC 3501 5.1.3).
var ourFolders = []struct{ name, wire string }{
	{"Sent", "Sent"},
	{"Archive/2026", "Archive/2026"},
	{"Entwürfe", "Entw&APw-rfe"},
	{"台北/日本語", "&U,BTFw-/&ZeVnLIqe-"},
	{"Work/Projects/Q1", "Work/Projects/Q1"},
	{"Tom & Jerry", "Tom &- Jerry"},
}

// wireNames maps our names, parents included, to the wire's.
var wireNames = map[string]string{
	"INBOX": "INBOX", "Archive": "Archive", "台北": "&U,BTFw-", "Work": "Work", "Work/Projects": "Work/Projects",
}

func init() {
	for _, f := range ourFolders {
		wireNames[f.name] = f.wire
	}
}

// TestOursReadByDovecot writes a maildir with our backend and reads it
// with Dovecot: the same folders and subscriptions, and in every folder
// the same UIDVALIDITY, UIDNEXT, UIDs, flags and keywords, internal
// dates and bodies.
func TestOursReadByDovecot(t *testing.T) {
	dovecottest.Need(t)
	ctx := testCtx(t)
	dir, md := dovecottest.NewDir(t)
	a := openStore(t, ctx, md)
	for _, f := range ourFolders {
		require.NoError(t, a.Create(ctx, f.name, nil), f.name)
	}
	for _, n := range []string{"Sent", "台北/日本語", "Tom & Jerry"} {
		require.NoError(t, a.Subscribe(ctx, n, true))
	}

	add := func(m mailbox.Mailbox, body []byte, date time.Time, flags ...string) mailbox.UID {
		t.Helper()
		uid, err := m.Append(ctx, bytes.NewReader(body), &mailbox.AppendOptions{Flags: flags, InternalDate: date})
		require.NoError(t, err)
		return uid
	}
	in, err := a.Open(ctx, "INBOX", nil)
	require.NoError(t, err)
	u1 := add(in, synth(1), day(1), mailbox.FlagSeen, mailbox.KeywordForwarded)
	add(in, corpus(t, "cpython/msg_01.eml"), day(2))                                                                  // LF only
	u3 := add(in, corpus(t, "synthetic/8bit-headers.eml"), day(3), mailbox.FlagAnswered, mailbox.FlagFlagged, "Work") // 8-bit
	add(in, synth(4), day(4), mailbox.FlagDeleted)
	add(in, corpus(t, "synthetic/mixed-line-endings.eml"), day(5), mailbox.FlagDraft, mailbox.KeywordJunk)
	add(in, corpus(t, "mailcore2/2977-chinese.eml"), time.Time{}, mailbox.FlagSeen) // 570 KiB, now
	_, err = in.Poll(ctx)
	require.NoError(t, err)
	gone, err := in.Expunge(ctx, nil) // a gap in the UIDs
	require.NoError(t, err)
	require.Len(t, gone, 1)
	_, err = in.Copy(ctx, mailbox.UIDSetOf(u1, u3), "Sent") // hard links
	require.NoError(t, err)
	require.NoError(t, in.Close())

	for i, f := range ourFolders[1:] {
		m, err := a.Open(ctx, f.name, nil)
		require.NoError(t, err)
		add(m, synth(10+i), day(10+i), "$Label"+fmt.Sprint(i))
		add(m, synth(20+i), day(20+i), mailbox.FlagSeen, "Folder"+fmt.Sprint(i), mailbox.KeywordForwarded)
		require.NoError(t, m.Close())
	}

	infos, err := a.Mailboxes(ctx)
	require.NoError(t, err)
	ours := map[string]ourBox{}
	noSelect := map[string]bool{}
	for _, info := range infos {
		if slices.Contains(info.Attrs, mailbox.AttrNoSelect) {
			noSelect[info.Name] = true
			continue
		}
		ours[info.Name] = readOurs(t, ctx, a, info.Name)
	}
	require.Len(t, ours, 1+len(ourFolders)+4, "INBOX, the folders and the parents Create made")
	subs, err := a.Subscriptions(ctx)
	require.NoError(t, err)

	d := startDovecot(t, dir)
	c := dialIMAP(t, d.Addr)
	c.login()
	listed := c.list("LIST")
	assert.Len(t, listed, len(ours)+len(noSelect), "LIST: %v", listed)
	for name := range ours {
		info, ok := listed[wireNames[name]]
		if assert.True(t, ok, "Dovecot does not list %q (%q)", name, wireNames[name]) {
			assert.NotContains(t, info.attrs, `\Noselect`, name)
		}
	}
	lsub := c.list("LSUB")
	var theirSubs []string
	for n := range lsub {
		theirSubs = append(theirSubs, n)
	}
	var wantSubs []string
	for _, n := range subs {
		wantSubs = append(wantSubs, wireNames[n])
	}
	assert.ElementsMatch(t, wantSubs, theirSubs, "LSUB")

	for name, box := range ours {
		sel := c.selectBox(wireNames[name])
		checkSame(t, name, box, sel, c.fetchAll())
	}
	c.logout()
}

// TestDovecotReadByOurs has Dovecot create folders, append messages,
// change flags and keywords and expunge, in a maildir our backend
// wrote, and reads the result with our backend; then both go on adding
// to the same folder with no UID given twice.
func TestDovecotReadByOurs(t *testing.T) {
	dovecottest.Need(t)
	ctx := testCtx(t)
	dir, md := dovecottest.NewDir(t)
	a := openStore(t, ctx, md)
	in, err := a.Open(ctx, "INBOX", nil)
	require.NoError(t, err)
	var uids []mailbox.UID
	for i := range 4 {
		uid, err := in.Append(ctx, bytes.NewReader(synth(i)), &mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen, "Ours"}, InternalDate: day(i + 1)})
		require.NoError(t, err)
		uids = append(uids, uid)
	}
	require.NoError(t, in.Close())
	before := readOurs(t, ctx, a, "INBOX")
	require.NoError(t, a.Close())

	d := startDovecot(t, dir)
	c := dialIMAP(t, d.Addr)
	c.login()
	c.ok(`CREATE "Neu/Ordner"`)
	c.ok(`CREATE "&ANw-n&AO8-code"`) // Ünïcode
	c.ok(`SUBSCRIBE "Neu/Ordner"`)
	body1 := corpus(t, "synthetic/8bit-headers.eml")
	body2 := synth(100)
	body3 := corpus(t, "mailcore2/2977-chinese.eml")
	v1, n1 := c.appendMsg("Neu/Ordner", []string{`\Seen`, "$Label1"}, day(7), body1)
	_, n2 := c.appendMsg("INBOX", nil, day(8), body2)
	v3, n3 := c.appendMsg("&ANw-n&AO8-code", []string{`\Flagged`, `\Answered`, "Theirs"}, day(9), body3)
	sel := c.selectBox("INBOX")
	assert.Equal(t, before.status.UIDValidity, sel.uidValidity, "Dovecot keeps our UIDVALIDITY")
	assert.Equal(t, uint32(uids[3])+1, n2, "Dovecot numbers after our UIDs")
	c.ok("UID STORE %d +FLAGS (\\Flagged DovecotKw)", uids[0])
	c.ok("UID STORE %d -FLAGS (\\Seen Ours)", uids[1])
	c.ok("UID STORE %d FLAGS (\\Deleted)", uids[2])
	c.ok("EXPUNGE")
	c.logout()

	// Our backend, as a new process would, reads what Dovecot did.
	a = openStore(t, ctx, md)
	infos, err := a.Mailboxes(ctx)
	require.NoError(t, err)
	attrs := map[string][]string{}
	for _, i := range infos {
		attrs[i.Name] = i.Attrs
	}
	assert.Len(t, attrs, 4, "%v", attrs)
	assert.Contains(t, attrs, "INBOX")
	assert.Contains(t, attrs, "Neu/Ordner")
	assert.Contains(t, attrs, "Ünïcode")
	assert.Equal(t, []string{mailbox.AttrNoSelect}, attrs["Neu"], "Dovecot makes no directory for the parent")
	subs, err := a.Subscriptions(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Neu/Ordner"}, subs)

	inbox := readOurs(t, ctx, a, "INBOX")
	assert.Equal(t, before.status.UIDValidity, inbox.status.UIDValidity)
	want := []ourMessage{
		{uid: uids[0], flags: stored([]string{mailbox.FlagSeen, "Ours", mailbox.FlagFlagged, "DovecotKw"}), date: day(1), body: synth(0)},
		{uid: uids[1], flags: []string{}, date: day(2), body: synth(1)},
		{uid: uids[3], flags: stored([]string{mailbox.FlagSeen, "Ours"}), date: day(4), body: synth(3)},
		{uid: mailbox.UID(n2), flags: []string{}, date: day(8), body: body2},
	}
	checkOurs(t, "INBOX", want, inbox)

	ordner := readOurs(t, ctx, a, "Neu/Ordner")
	assert.Equal(t, v1, ordner.status.UIDValidity, "UIDVALIDITY of APPENDUID")
	checkOurs(t, "Neu/Ordner", []ourMessage{{uid: mailbox.UID(n1), flags: stored([]string{mailbox.FlagSeen, "$Label1"}), date: day(7), body: body1}}, ordner)
	uni := readOurs(t, ctx, a, "Ünïcode")
	assert.Equal(t, v3, uni.status.UIDValidity, "UIDVALIDITY of APPENDUID")
	checkOurs(t, "Ünïcode", []ourMessage{{uid: mailbox.UID(n3), flags: stored([]string{mailbox.FlagFlagged, mailbox.FlagAnswered, "Theirs"}), date: day(9), body: body3}}, uni)

	// Both go on: our append after Dovecot's gets the next UID, and
	// Dovecot reads it.
	m, err := a.Open(ctx, "Neu/Ordner", nil)
	require.NoError(t, err)
	body4 := synth(200)
	u4, err := m.Append(ctx, bytes.NewReader(body4), &mailbox.AppendOptions{Flags: []string{"$Label1", "Again"}, InternalDate: day(11)})
	require.NoError(t, err)
	assert.Equal(t, mailbox.UID(n1)+1, u4)
	require.NoError(t, m.Close())
	ordner = readOurs(t, ctx, a, "Neu/Ordner")
	d.Own(t)
	c = dialIMAP(t, d.Addr)
	c.login()
	sel = c.selectBox("Neu/Ordner")
	checkSame(t, "Neu/Ordner", ordner, sel, c.fetchAll())
	_, n5 := c.appendMsg("Neu/Ordner", nil, time.Time{}, synth(300))
	assert.Equal(t, uint32(u4)+1, n5, "Dovecot numbers after our UID")
	c.logout()
}

// checkOurs compares what our backend read with what was written.
func checkOurs(t *testing.T, name string, want []ourMessage, got ourBox) {
	t.Helper()
	require.Len(t, got.msgs, len(want), "%s: messages", name)
	for i, w := range want {
		g := got.msgs[i]
		assert.Equal(t, w.uid, g.uid, "%s: UID of message %d", name, i+1)
		assert.Equal(t, w.flags, g.flags, "%s: flags of UID %d", name, w.uid)
		assert.Equal(t, w.date.Unix(), g.date.Unix(), "%s: internal date of UID %d", name, w.uid)
		assert.Equal(t, int64(len(w.body)), g.size, "%s: size of UID %d", name, w.uid)
		assert.True(t, bytes.Equal(w.body, g.body), "%s: body of UID %d differs", name, w.uid)
	}
}
