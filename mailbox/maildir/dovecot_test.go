package maildir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
}

// TestDovecotMaildir reads a maildir written the way Dovecot writes one.
func TestDovecotMaildir(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	home := filepath.Join(root, "carol")
	for _, d := range []string{"cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp", ".Entw&APw-rfe/cur", ".a.b/cur"} {
		require.NoError(t, os.MkdirAll(filepath.Join(home, d), 0o700))
	}
	writeFile(t, filepath.Join(home, "dovecot-uidlist"),
		"3 V1275660208 N25 G3085f01b7f11094c501100008c4a11c1\n"+
			"7 :1276528487.M364837P9451.kurkku,S=11,W=12\n"+
			"9 G3085f01b7f11094c501100008c4a11c1 W12 :1276528488.M1P2.kurkku,S=11,W=12\n"+
			"12 :1276528489.M1P3.kurkku,S=11\n")
	writeFile(t, filepath.Join(home, "dovecot-keywords"), "0 $Forwarded\n1 Work\n")
	writeFile(t, filepath.Join(home, "cur", "1276528487.M364837P9451.kurkku,S=11,W=12:2,FRSa"), "Subject: 1\n")
	writeFile(t, filepath.Join(home, "cur", "1276528488.M1P2.kurkku,S=11,W=12:2,"), "Subject: 2\n")
	// Listed, but its file is gone: expunged by another program.
	// And one delivered by an MDA that does not number messages.
	writeFile(t, filepath.Join(home, "new", "1276528499.M1P9.mx"), "Subject: 4\n")
	writeFile(t, filepath.Join(home, "subscriptions"), "V\t2\n\nSent\na\tb\n")

	a := openAccount(t, s, "carol")
	boxes, err := a.Mailboxes(ctx)
	require.NoError(t, err)
	names := map[string][]string{}
	for _, b := range boxes {
		names[b.Name] = b.Attrs
	}
	assert.Contains(t, names, "INBOX")
	assert.Contains(t, names, "Sent")
	assert.Contains(t, names, "Entwürfe")
	assert.Contains(t, names, "a/b")
	assert.Equal(t, []string{mailbox.AttrNoSelect}, names["a"])

	subs, err := a.Subscriptions(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Sent", "a/b"}, subs)

	st, err := a.Status(ctx, "INBOX")
	require.NoError(t, err)
	assert.Equal(t, uint32(1275660208), st.UIDValidity)
	assert.Equal(t, uint32(3), st.Messages)
	assert.Equal(t, mailbox.UID(26), st.UIDNext)
	assert.Equal(t, uint32(1), st.Recent)

	m := openBox(t, a, "INBOX", false)
	msgs := fetchAll(t, m)
	require.Len(t, msgs, 3)
	assert.Equal(t, mailbox.UID(7), msgs[0].UID)
	assert.ElementsMatch(t, []string{mailbox.FlagFlagged, mailbox.FlagAnswered, mailbox.FlagSeen, "$Forwarded"}, msgs[0].Flags)
	assert.Equal(t, "Subject: 1\n", msgs[0].Body)
	assert.Equal(t, mailbox.UID(9), msgs[1].UID)
	assert.Empty(t, msgs[1].Flags)
	assert.Equal(t, mailbox.UID(25), msgs[2].UID, "the unnumbered file gets the next UID")

	// The uidlist now numbers the new file, in Dovecot's format.
	ul, err := os.ReadFile(filepath.Join(home, "dovecot-uidlist"))
	require.NoError(t, err)
	assert.Contains(t, string(ul), "\n25 :1276528499.M1P9.mx\n")
	assert.True(t, strings.HasPrefix(string(ul), "3 V1275660208 "))

	// A keyword Dovecot knows keeps its letter; a new one gets the next.
	_, err = m.Store(ctx, mailbox.UIDSetOf(9), mailbox.StoreAdd, []string{"work", "New"}, nil)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(home, "cur", "1276528488.M1P2.kurkku,S=11,W=12:2,bc"))
	assert.NoError(t, err)
	kw, _ := os.ReadFile(filepath.Join(home, "dovecot-keywords"))
	assert.Equal(t, "0 $Forwarded\n1 Work\n2 New\n", string(kw))

	// Status claims new/ as \Recent for this read-write view and moves it to cur/.
	st, err = m.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), st.Recent)
	_, err = os.Stat(filepath.Join(home, "cur", "1276528499.M1P9.mx:2,"))
	assert.NoError(t, err)
}

func TestCourierUidlist(t *testing.T) {
	l, err := parseUidlist([]byte("1 1000 5\n3 123.M1P1.h:2,S\n4 124.M1P1.h\n"))
	require.NoError(t, err)
	assert.Equal(t, uint32(1000), l.uidValidity)
	assert.Equal(t, mailbox.UID(5), l.nextUID)
	require.Len(t, l.recs, 2)
	assert.Equal(t, "123.M1P1.h", l.recs[0].base)
}

func TestUidlistParse(t *testing.T) {
	in := "3 V42 N3 Gabc X1\n1 :a,S=1\n2 W5 :b\n7 :c\n5 :out-of-order\nbad\n9 :partial"
	l, err := parseUidlist([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, uint32(42), l.uidValidity)
	assert.Equal(t, mailbox.UID(8), l.nextUID, "at least the last UID plus one")
	require.Len(t, l.recs, 3)
	assert.Equal(t, "W5", l.recs[1].ext)
	assert.Equal(t, len(in)-len("9 :partial"), l.end)
	assert.Equal(t, "3 V42 N8 Gabc X1\n1 :a,S=1\n2 W5 :b\n7 :c\n", string(l.format()))

	for _, bad := range []string{"", "3 V42 N1", "2 V1 N1\n", "3 V0 N1\n", "3 Vx N1\n", "1 x y\n"} {
		_, err := parseUidlist([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func FuzzUidlist(f *testing.F) {
	f.Add([]byte("3 V1275660208 N25 G3085f01b7f11094c501100008c4a11c1\n7 :1276528487.M364837P9451.kurkku,S=11,W=12\n"))
	f.Add([]byte("1 1000 5\n3 123.M1P1.h:2,S\n"))
	f.Add([]byte("3 V1 N1\n1 G:x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseUidlist(b)
		if err != nil {
			return
		}
		if l.end > len(b) {
			t.Fatal("end past input")
		}
		for i, r := range l.recs {
			if r.uid == 0 || r.uid >= l.nextUID || i > 0 && r.uid <= l.recs[i-1].uid {
				t.Fatalf("bad record %+v", r)
			}
			if strings.ContainsAny(r.base, "/\x00\n") || r.base == "" || r.base == "." || r.base == ".." {
				t.Fatalf("bad base %q", r.base)
			}
		}
		// What we write, we read back the same.
		l2, err := parseUidlist(l.format())
		if err != nil {
			t.Fatalf("reparse: %v\n%q", err, l.format())
		}
		if len(l2.recs) != len(l.recs) || l2.uidValidity != l.uidValidity || l2.nextUID != l.nextUID {
			t.Fatalf("round trip: %+v != %+v", l2, l)
		}
	})
}

func TestStaleLock(t *testing.T) {
	s, root := newTestStore(t)
	s.opts.LockStale = 50 * time.Millisecond
	a := openAccount(t, s, "dan")
	m := openBox(t, a, "INBOX", false)
	// A lock nobody holds any more (another host, so no pid check).
	writeFile(t, filepath.Join(root, "dan", "dovecot-uidlist.lock"), "1:otherhost\n")
	old := time.Now().Add(-time.Minute)
	require.NoError(t, os.Chtimes(filepath.Join(root, "dan", "dovecot-uidlist.lock"), old, old))
	appendMsg(t, m, testMsg)

	// A live lock makes the wait time out.
	s.opts.LockStale, s.opts.LockTimeout = time.Hour, 50*time.Millisecond
	writeFile(t, filepath.Join(root, "dan", "dovecot-uidlist.lock"), "1:otherhost\n")
	_, err := m.Append(context.Background(), strings.NewReader(testMsg), nil)
	assert.ErrorIs(t, err, ErrLockTimeout)
}

// TestOddFileNames reads files in cur/ named by other programs: no info,
// letters out of order, an unknown letter (kept).
func TestOddFileNames(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	home := filepath.Join(root, "pat")
	writeFile(t, filepath.Join(home, "cur", "100.M1P1.h"), "Subject: bare\n")
	writeFile(t, filepath.Join(home, "cur", "101.M1P1.h:2,SRX"), "Subject: unordered\n")
	require.NoError(t, os.MkdirAll(filepath.Join(home, "new"), 0o700))
	a := openAccount(t, s, "pat")
	m := openBox(t, a, "INBOX", false)
	msgs := fetchAll(t, m)
	require.Len(t, msgs, 2)
	assert.Equal(t, "Subject: bare\n", msgs[0].Body)
	assert.Equal(t, int64(len("Subject: bare\n")), msgs[0].Size, "no S=: stat")
	assert.ElementsMatch(t, []string{mailbox.FlagAnswered, mailbox.FlagSeen}, msgs[1].Flags)
	_, err := m.Store(ctx, mailbox.UIDSetOf(1, 2), mailbox.StoreAdd, []string{mailbox.FlagFlagged}, nil)
	require.NoError(t, err)
	for _, n := range []string{"100.M1P1.h:2,F", "101.M1P1.h:2,FRSX"} {
		_, err := os.Stat(filepath.Join(home, "cur", n))
		assert.NoError(t, err, n)
	}
	msgs = fetchAll(t, m)
	require.Len(t, msgs, 2)
	assert.Equal(t, "Subject: unordered\n", msgs[1].Body)
}

// TestForeignKeywordLetters keeps the letters of keywords this package
// cannot name, and does not reuse their index.
func TestForeignKeywordLetters(t *testing.T) {
	ctx := context.Background()
	s, root := newTestStore(t)
	home := filepath.Join(root, "rob")
	writeFile(t, filepath.Join(home, "dovecot-keywords"), "0 Work\n1 bad(kw\n")
	writeFile(t, filepath.Join(home, "cur", "100.M1P1.h:2,Sab"), "Subject: x\n")
	require.NoError(t, os.MkdirAll(filepath.Join(home, "new"), 0o700))
	a := openAccount(t, s, "rob")
	m := openBox(t, a, "INBOX", false)
	msgs := fetchAll(t, m)
	require.Len(t, msgs, 1)
	assert.ElementsMatch(t, []string{mailbox.FlagSeen, "Work"}, msgs[0].Flags)
	_, err := m.Store(ctx, mailbox.UIDSetOf(1), mailbox.StoreReplace, []string{"New"}, nil)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(home, "cur", "100.M1P1.h:2,bc"))
	assert.NoError(t, err)
	kw, _ := os.ReadFile(filepath.Join(home, "dovecot-keywords"))
	assert.Equal(t, "0 Work\n1 bad(kw\n2 New\n", string(kw))
}
