package mailboxtest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// testMetadata checks mailbox.Metadataer: server and mailbox entries,
// removal, all-or-nothing limits, values of any octets, and that
// entries follow a rename and go with a delete (RFC 5464 4.1).
func testMetadata(t *testing.T, f Factory) {
	e := newEnv(t, f)
	md, ok := e.acct.(mailbox.Metadataer)
	if !ok {
		t.Skip("the Account does not implement mailbox.Metadataer")
	}
	str := func(s string) *string { return &s }
	get := func(name string) map[string]string {
		t.Helper()
		m, err := md.Metadata(e.ctx, name)
		require.NoError(t, err, "Metadata(%q)", name)
		return m
	}
	e.create("Work")
	require.Empty(t, get(""))
	require.Empty(t, get("INBOX"))

	bin := "two\r\nlines\x00and 8-bit \xff\n"
	require.NoError(t, md.SetMetadata(e.ctx, "", map[string]*string{"/shared/comment": str("server note")}, 0))
	require.NoError(t, md.SetMetadata(e.ctx, "INBOX", map[string]*string{"/private/comment": str(bin), "/shared/comment": str("")}, 0))
	require.Equal(t, map[string]string{"/shared/comment": "server note"}, get(""))
	require.Equal(t, map[string]string{"/private/comment": bin, "/shared/comment": ""}, get("INBOX"))
	require.Empty(t, get("Work"))

	// Limits: all or nothing.
	err := md.SetMetadata(e.ctx, "INBOX", map[string]*string{"/private/a": str("1"), "/shared/comment": nil}, 2)
	require.NoError(t, err, "a change that keeps the count")
	err = md.SetMetadata(e.ctx, "INBOX", map[string]*string{"/private/b": str("2"), "/private/comment": str("x")}, 2)
	require.ErrorIs(t, err, mailbox.ErrMetadataTooMany)
	require.Equal(t, map[string]string{"/private/comment": bin, "/private/a": "1"}, get("INBOX"))

	// Removal of what is not there is no error.
	require.NoError(t, md.SetMetadata(e.ctx, "INBOX", map[string]*string{"/private/a": nil, "/private/none": nil}, 0))
	require.Equal(t, map[string]string{"/private/comment": bin}, get("INBOX"))

	_, err = md.Metadata(e.ctx, "Nope")
	require.ErrorIs(t, err, mailbox.ErrNoSuchMailbox)
	require.ErrorIs(t, md.SetMetadata(e.ctx, "Nope", map[string]*string{"/private/a": str("1")}, 0), mailbox.ErrNoSuchMailbox)

	// Entries follow a rename and go with a delete.
	require.NoError(t, md.SetMetadata(e.ctx, "Work", map[string]*string{"/private/comment": str("work")}, 0))
	require.NoError(t, e.acct.Rename(e.ctx, "Work", "Job"))
	require.Equal(t, map[string]string{"/private/comment": "work"}, get("Job"))
	require.NoError(t, e.acct.Delete(e.ctx, "Job"))
	e.create("Job")
	require.Empty(t, get("Job"))

	if f.Reopen != nil {
		require.NoError(t, e.acct.Close())
		s := f.Reopen(t, e.store)
		a, err := s.Account(e.ctx, "alice")
		require.NoError(t, err)
		defer a.Close()
		md := a.(mailbox.Metadataer)
		m, err := md.Metadata(e.ctx, "INBOX")
		require.NoError(t, err)
		require.Equal(t, map[string]string{"/private/comment": bin}, m)
		m, err = md.Metadata(e.ctx, "")
		require.NoError(t, err)
		require.Equal(t, map[string]string{"/shared/comment": "server note"}, m)
	}
}
