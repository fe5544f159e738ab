package pop3interop

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/dovecottest"
	"github.com/postkit/postkit/pop3"
	"github.com/postkit/postkit/sasl"
)

// Messages as a Maildir keeps them: LF line ends, which Dovecot sends
// as CRLF (and counts so in LIST).
var dovecotMessages = []string{
	"From: a@example.test\nSubject: one\n\nHello.\n",
	"From: b@example.test\nSubject: dots\n\n.leading dot\n..two dots\n.\nend\n",
	"From: c@example.test\nSubject: three\n\nline 1\nline 2\nline 3\n",
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// startDovecot starts Dovecot's POP3 server (Debian's dovecot-pop3d) on
// a free loopback port, with its own configuration, state and Maildir in
// a temporary directory, and puts dovecotMessages in the Maildir. Only
// testUser logs in, with testPass; a UIDL is the message's UID and the
// folder's UIDVALIDITY in hex.
func startDovecot(t *testing.T) *dovecottest.Server {
	t.Helper()
	dovecottest.Need(t, "pop3")
	dir, maildir := dovecottest.NewDir(t)
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(maildir, sub), 0o700))
	}
	for i, m := range dovecotMessages {
		name := fmt.Sprintf("%d.M%dP%d.test", 1700000000+i, i, os.Getpid())
		require.NoError(t, os.WriteFile(filepath.Join(maildir, "new", name), []byte(m), 0o600))
	}
	return dovecottest.Start(t, dovecottest.Options{
		Protocols: []string{"pop3"},
		Dir:       dir,
		User:      testUser,
		Password:  testPass,
		Home:      dir,
		Config:    "pop3_uidl_format = %08Xu%08Xv\n",
	})
}

// maildirFiles lists the messages in the Maildir of d.
func maildirFiles(t *testing.T, d *dovecottest.Server) []string {
	var names []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(d.Maildir, sub))
		require.NoError(t, err)
		for _, e := range ents {
			names = append(names, e.Name())
		}
	}
	return names
}

func readAll(t *testing.T, r io.ReadCloser) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	return b
}

// TestOurClientToDovecot runs our client against Dovecot's POP3 server:
// CAPA, USER/PASS and AUTH PLAIN, STAT, LIST, UIDL, TOP, RETR (the bytes
// compared, dot-unstuffed), the pipelined forms, NOOP, RSET, a session
// dropped after DELE (nothing deleted) and DELE with QUIT (the file is
// gone).
func TestOurClientToDovecot(t *testing.T) {
	d := startDovecot(t)
	ctx := testCtx(t)
	c, err := pop3.Dial(ctx, d.Addr)
	require.NoError(t, err)
	defer c.Close()
	caps, err := c.Capabilities(ctx)
	require.NoError(t, err)
	for _, tag := range []string{"TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES", "SASL"} {
		assert.True(t, caps.Has(tag), "CAPA %s: %v", tag, caps)
	}
	assert.Contains(t, caps["SASL"], "PLAIN")
	require.NoError(t, c.Login(ctx, testUser, testPass))

	n, size, err := c.Stat(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	var total int64
	var want []pop3.MessageInfo
	for i, m := range dovecotMessages {
		total += int64(len(crlf(m)))
		want = append(want, pop3.MessageInfo{Number: i + 1, Size: int64(len(crlf(m)))})
	}
	assert.Equal(t, total, size)
	list, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, list)
	uidl, err := c.UIDL(ctx)
	require.NoError(t, err)
	require.Len(t, uidl, 3)
	one, err := c.UIDLOne(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, uidl[1], one)

	r, err := c.Top(ctx, 3, 1)
	require.NoError(t, err)
	assert.Equal(t, "From: c@example.test\r\nSubject: three\r\n\r\nline 1\r\n", string(readAll(t, r)))
	for i, m := range dovecotMessages {
		r, err := c.Retr(ctx, i+1)
		require.NoError(t, err)
		assert.Equal(t, crlf(m), readAll(t, r), "message %d", i+1)
	}

	infos, errs, err := c.ListMessages(ctx, []int{3, 1, 9})
	require.NoError(t, err)
	assert.Equal(t, []pop3.MessageInfo{want[2], want[0], {}}, infos)
	assert.Error(t, errs[2])
	uids, _, err := c.UIDLMessages(ctx, []int{1, 2, 3})
	require.NoError(t, err)
	assert.Equal(t, uidl, uids)
	var got [][]byte
	require.NoError(t, c.RetrMessages(ctx, []int{1, 2, 3}, func(n int, r io.Reader, err error) error {
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		got = append(got, b)
		return err
	}))
	for i, m := range dovecotMessages {
		assert.Equal(t, crlf(m), got[i])
	}
	require.NoError(t, c.Noop(ctx))
	require.NoError(t, c.Dele(ctx, 1))
	require.NoError(t, c.Rset(ctx))
	// Dropped after DELE: Dovecot deletes nothing either.
	require.NoError(t, c.Dele(ctx, 2))
	c.Close()
	time.Sleep(200 * time.Millisecond)
	require.Len(t, maildirFiles(t, d), 3)

	// AUTH PLAIN, DELE and QUIT: the file is gone.
	c, err = pop3.Dial(ctx, d.Addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient("", testUser, testPass)))
	require.NoError(t, c.Dele(ctx, 2))
	require.NoError(t, c.Quit(ctx))
	files := maildirFiles(t, d)
	require.Len(t, files, 2)
	for _, f := range files {
		assert.False(t, strings.HasPrefix(f, "1700000001."), "message 2 was deleted: %v", files)
	}

	// A wrong password is an *pop3.Error.
	c, err = pop3.Dial(ctx, d.Addr)
	require.NoError(t, err)
	defer c.Close()
	err = c.Login(ctx, testUser, "wrong")
	var pe *pop3.Error
	require.ErrorAs(t, err, &pe)
}
