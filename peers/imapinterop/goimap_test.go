package imapinterop

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// Messages the go-imap test appends.
var goimapMessages = []string{
	"From: Bob <bob@example.org>\r\nTo: Alice <alice@example.test>\r\nCc: carol@example.org\r\n" +
		"Subject: hello from go-imap\r\nDate: Fri, 2 Jan 2026 03:04:05 +0000\r\nMessage-ID: <one@example.org>\r\n\r\nHello, Alice.\r\n",
	"From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.org>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Schöne Grüße.\r\n",
	"From: Carol <carol@example.org>\r\nSubject: report\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the report.\r\n" +
		"--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@example.org\r\nSubject: inner\r\n\r\ninner body\r\n" +
		"--b1--\r\n",
}

// goimapDial connects the go-imap client to s, with STARTTLS when tls
// is set.
func goimapDial(t *testing.T, s *ourServer, tls bool, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	if opts == nil {
		opts = &imapclient.Options{}
	}
	opts.TLSConfig = s.cert.Client("localhost")
	var c *imapclient.Client
	var err error
	if tls {
		c, err = imapclient.DialStartTLS(s.addr, opts)
	} else {
		c, err = imapclient.DialInsecure(s.addr, opts)
	}
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.WaitGreeting())
	return c
}

// TestGoIMAPClient drives our server with the go-imap v2 client.
func TestGoIMAPClient(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *ourServer) {
		c := goimapDial(t, s, true, nil)
		caps, err := c.Capability().Wait()
		require.NoError(t, err)
		for _, cp := range []imap.Cap{imap.CapIMAP4rev2, imap.CapIdle, imap.CapMove, imap.CapUIDPlus, imap.CapLiteralPlus, "AUTH=PLAIN"} {
			assert.True(t, caps.Has(cp), "capability %s", cp)
		}
		assert.False(t, caps.Has(imap.CapStartTLS), "STARTTLS after STARTTLS")
		require.NoError(t, c.Login(testUser, testPass).Wait())

		require.NoError(t, c.Create("Archive", nil).Wait())
		require.NoError(t, c.Create("Work/Reports", nil).Wait())
		err = c.Create("Archive", nil).Wait()
		require.Error(t, err, "CREATE of an existing mailbox")
		assert.Contains(t, err.Error(), "ALREADYEXISTS")

		// APPEND with flags and date.
		date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for i, m := range goimapMessages {
			opts := &imap.AppendOptions{Time: date.Add(time.Duration(i) * time.Hour)}
			if i == 0 {
				opts.Flags = []imap.Flag{imap.FlagFlagged, "$Important"}
			}
			ac := c.Append(mailbox.Inbox, int64(len(m)), opts)
			_, err := io.WriteString(ac, m)
			require.NoError(t, err)
			require.NoError(t, ac.Close())
			ad, err := ac.Wait()
			require.NoError(t, err)
			assert.Equal(t, imap.UID(i+1), ad.UID)
			assert.NotZero(t, ad.UIDValidity)
		}

		// LIST with STATUS return (LIST-STATUS, RFC 5819).
		list, err := c.List("", "*", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true, UIDNext: true}}).Collect()
		require.NoError(t, err)
		got := map[string]*imap.ListData{}
		for _, l := range list {
			assert.Equal(t, '/', l.Delim)
			got[l.Mailbox] = l
		}
		for _, name := range []string{"INBOX", "Archive", "Work", "Work/Reports"} {
			require.Contains(t, got, name)
		}
		require.NotNil(t, got["INBOX"].Status, "LIST RETURN (STATUS)")
		require.NotNil(t, got["INBOX"].Status.NumMessages)
		assert.Equal(t, uint32(3), *got["INBOX"].Status.NumMessages)
		assert.Equal(t, imap.UID(4), got["INBOX"].Status.UIDNext)
		assert.Contains(t, got["Work"].Attrs, imap.MailboxAttrHasChildren)

		sel, err := c.Select(mailbox.Inbox, nil).Wait()
		require.NoError(t, err)
		assert.Equal(t, uint32(3), sel.NumMessages)
		assert.Equal(t, imap.UID(4), sel.UIDNext)
		assert.Contains(t, sel.PermanentFlags, imap.FlagWildcard)

		// FETCH, body sections streamed.
		fc := c.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{
			UID: true, Flags: true, Envelope: true, InternalDate: true, RFC822Size: true,
			BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
			BodySection:   []*imap.FetchItemBodySection{{Peek: true}},
		})
		n := 0
		for msg := fc.Next(); msg != nil; msg = fc.Next() {
			i := int(msg.SeqNum) - 1
			require.Less(t, i, len(goimapMessages))
			n++
			for item := msg.Next(); item != nil; item = msg.Next() {
				switch item := item.(type) {
				case imapclient.FetchItemDataUID:
					assert.Equal(t, imap.UID(i+1), item.UID)
				case imapclient.FetchItemDataRFC822Size:
					assert.Equal(t, int64(len(goimapMessages[i])), item.Size)
				case imapclient.FetchItemDataInternalDate:
					assert.True(t, item.Time.Equal(date.Add(time.Duration(i)*time.Hour)), "INTERNALDATE %v", item.Time)
				case imapclient.FetchItemDataBodySection:
					b, err := io.ReadAll(item.Literal)
					require.NoError(t, err)
					assert.Equal(t, goimapMessages[i], string(b), "BODY[] of %d", i+1)
				case imapclient.FetchItemDataEnvelope:
					switch i {
					case 0:
						assert.Equal(t, "hello from go-imap", item.Envelope.Subject)
						assert.Equal(t, []imap.Address{{Name: "Bob", Mailbox: "bob", Host: "example.org"}}, item.Envelope.From)
						assert.Equal(t, []imap.Address{{Name: "Alice", Mailbox: "alice", Host: "example.test"}}, item.Envelope.To)
						assert.Equal(t, []imap.Address{{Mailbox: "carol", Host: "example.org"}}, item.Envelope.Cc)
						assert.Equal(t, "one@example.org", item.Envelope.MessageID)
						assert.True(t, item.Envelope.Date.Equal(date), "Date %v", item.Envelope.Date)
					case 1:
						assert.Equal(t, "Grüße", item.Envelope.Subject)
						assert.Equal(t, "Jürgen", item.Envelope.From[0].Name)
					}
				case imapclient.FetchItemDataBodyStructure:
					switch i {
					case 1:
						sp, ok := item.BodyStructure.(*imap.BodyStructureSinglePart)
						require.True(t, ok, "%T", item.BodyStructure)
						assert.Equal(t, "text/plain", sp.MediaType())
						assert.Equal(t, "utf-8", strings.ToLower(sp.Params["charset"]))
						assert.Equal(t, "8bit", strings.ToLower(sp.Encoding))
						require.NotNil(t, sp.Text)
						assert.Equal(t, int64(1), sp.Text.NumLines)
					case 2:
						mp, ok := item.BodyStructure.(*imap.BodyStructureMultiPart)
						require.True(t, ok, "%T", item.BodyStructure)
						assert.Equal(t, "mixed", strings.ToLower(mp.Subtype))
						require.Len(t, mp.Children, 2)
						inner, ok := mp.Children[1].(*imap.BodyStructureSinglePart)
						require.True(t, ok)
						assert.Equal(t, "message/rfc822", inner.MediaType())
						require.NotNil(t, inner.MessageRFC822)
						assert.Equal(t, "inner", inner.MessageRFC822.Envelope.Subject)
						require.NotNil(t, mp.Extended)
						assert.Equal(t, "b1", mp.Extended.Params["boundary"])
					}
				}
			}
		}
		require.NoError(t, fc.Close())
		assert.Equal(t, 3, n)

		// Sections by part, header fields, partial.
		sections := []*imap.FetchItemBodySection{
			{Part: []int{1}, Peek: true},
			{Part: []int{2}, Specifier: imap.PartSpecifierText, Peek: true},
			{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Subject"}, Peek: true},
			{Peek: true, Partial: &imap.SectionPartial{Offset: 6, Size: 5}},
		}
		bufs, err := c.Fetch(imap.SeqSetNum(3), &imap.FetchOptions{BodySection: sections}).Collect()
		require.NoError(t, err)
		require.Len(t, bufs, 1)
		assert.Equal(t, "See the report.", string(bufs[0].FindBodySection(sections[0])))
		// RFC 2046 5.1.1: the CRLF before a boundary belongs to the boundary.
		assert.Equal(t, "inner body", string(bufs[0].FindBodySection(sections[1])))
		assert.Equal(t, "Subject: report\r\n\r\n", string(bufs[0].FindBodySection(sections[2])))
		assert.Equal(t, "Carol", string(bufs[0].FindBodySection(sections[3])))

		// BINARY (RFC 3516, part of IMAP4rev2): the decoded content.
		// (of a leaf only, RFC 9051 6.4.5: part 2 is message/rfc822).
		bin := []*imap.FetchItemBinarySection{{Part: []int{1}, Peek: true}}
		bufs, err = c.Fetch(imap.SeqSetNum(3), &imap.FetchOptions{BinarySection: bin, BinarySectionSize: []*imap.FetchItemBinarySectionSize{{Part: []int{1}}}}).Collect()
		require.NoError(t, err)
		require.Len(t, bufs, 1)
		assert.Equal(t, "See the report.", string(bufs[0].FindBinarySection(bin[0])))
		size, ok := bufs[0].FindBinarySectionSize([]int{1})
		assert.True(t, ok, "BINARY.SIZE[1]")
		assert.Equal(t, uint32(len("See the report.")), size)

		// SEARCH and UID SEARCH.
		search := func(uid bool, crit *imap.SearchCriteria, opts *imap.SearchOptions) []uint32 {
			t.Helper()
			var cmd *imapclient.SearchCommand
			if uid {
				cmd = c.UIDSearch(crit, opts)
			} else {
				cmd = c.Search(crit, opts)
			}
			data, err := cmd.Wait()
			require.NoError(t, err)
			if uid {
				var out []uint32
				for _, u := range data.AllUIDs() {
					out = append(out, uint32(u))
				}
				return out
			}
			return data.AllSeqNums()
		}
		assert.Equal(t, []uint32{1, 2, 3}, search(false, &imap.SearchCriteria{}, nil))
		assert.Equal(t, []uint32{1}, search(false, &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, nil))
		assert.Equal(t, []uint32{2, 3}, search(false, &imap.SearchCriteria{NotFlag: []imap.Flag{"$Important"}}, nil))
		assert.Equal(t, []uint32{3}, search(true, &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "report"}}}, nil))
		assert.Equal(t, []uint32{2}, search(true, &imap.SearchCriteria{Body: []string{"Grüße"}}, nil), "CHARSET UTF-8")
		assert.Equal(t, []uint32{1, 3}, search(true, &imap.SearchCriteria{Or: [][2]imap.SearchCriteria{
			{{Text: []string{"Alice"}}, {Body: []string{"inner"}}}}}, nil))
		var larger []uint32
		for i, m := range goimapMessages {
			if len(m) > len(goimapMessages[1]) {
				larger = append(larger, uint32(i+1))
			}
		}
		assert.Equal(t, larger, search(false, &imap.SearchCriteria{Since: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Larger: int64(len(goimapMessages[1]))}, nil))
		assert.Empty(t, search(false, &imap.SearchCriteria{Before: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, nil))
		data, err := c.UIDSearch(&imap.SearchCriteria{}, &imap.SearchOptions{ReturnMin: true, ReturnMax: true, ReturnCount: true}).Wait()
		require.NoError(t, err)
		assert.Equal(t, [3]uint32{1, 3, 3}, [3]uint32{data.Min, data.Max, data.Count}, "ESEARCH")

		// STORE.
		st, err := c.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen, "$Label1"}}, nil).Collect()
		require.NoError(t, err)
		require.Len(t, st, 1)
		// Appended before SELECT, the messages are \Recent in this
		// IMAP4rev1 session (RFC 3501 2.3.2).
		assert.ElementsMatch(t, []imap.Flag{imap.FlagSeen, "$Label1", "\\Recent"}, st[0].Flags)
		st, err = c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Collect()
		require.NoError(t, err)
		require.Len(t, st, 1)
		assert.ElementsMatch(t, []imap.Flag{"$Important", "\\Recent"}, st[0].Flags)

		// COPY and MOVE.
		cd, err := c.Copy(imap.SeqSetNum(1, 2), "Archive").Wait()
		require.NoError(t, err)
		assert.Equal(t, "1:2", cd.SourceUIDs.String())
		assert.Equal(t, "1:2", cd.DestUIDs.String())
		md, err := c.Move(imap.UIDSetNum(3), "Work/Reports").Wait()
		require.NoError(t, err)
		assert.Equal(t, "3", md.SourceUIDs.String())
		assert.Equal(t, "1", md.DestUIDs.String())
		assert.Equal(t, uint32(2), c.Mailbox().NumMessages)

		// EXPUNGE.
		_, err = c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Collect()
		require.NoError(t, err)
		exp, err := c.Expunge().Collect()
		require.NoError(t, err)
		assert.Equal(t, []uint32{1}, exp)

		// IDLE on a second client (AUTHENTICATE PLAIN, IMAP4rev2), woken by
		// an APPEND from the first.
		exists, expunged := make(chan uint32, 8), make(chan uint32, 8)
		c2 := goimapDial(t, s, false, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
			Expunge: func(seq uint32) { expunged <- seq },
		}})
		require.NoError(t, c2.Authenticate(sasl.NewPlainClient("", testUser, testPass)))
		en, err := c2.Enable(imap.CapIMAP4rev2).Wait()
		require.NoError(t, err)
		assert.True(t, en.Caps.Has(imap.CapIMAP4rev2))
		// Under IMAP4rev2 mailbox names are UTF-8 on the wire.
		require.NoError(t, c2.Create("Entwürfe", nil).Wait())
		l2, err := c2.List("", "Entw*", nil).Collect()
		require.NoError(t, err)
		require.Len(t, l2, 1)
		assert.Equal(t, "Entwürfe", l2[0].Mailbox)
		sel2, err := c2.Select(mailbox.Inbox, nil).Wait()
		require.NoError(t, err)
		assert.Equal(t, uint32(1), sel2.NumMessages)
		idle, err := c2.Idle()
		require.NoError(t, err)
		ac := c.Append(mailbox.Inbox, int64(len(goimapMessages[0])), nil)
		_, err = io.WriteString(ac, goimapMessages[0])
		require.NoError(t, err)
		require.NoError(t, ac.Close())
		_, err = ac.Wait()
		require.NoError(t, err)
		select {
		case n := <-exists:
			assert.Equal(t, uint32(2), n)
		case <-time.After(5 * time.Second):
			t.Fatal("no EXISTS during IDLE")
		}
		// An EXPUNGE by the first client reaches the idling one too.
		_, err = c.Select(mailbox.Inbox, nil).Wait() // learn of the new message
		require.NoError(t, err)
		_, err = c.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Collect()
		require.NoError(t, err)
		exp, err = c.Expunge().Collect()
		require.NoError(t, err)
		assert.Equal(t, []uint32{2}, exp)
		select {
		case n := <-expunged:
			assert.Equal(t, uint32(2), n)
		case <-time.After(5 * time.Second):
			t.Fatal("no EXPUNGE during IDLE")
		}
		require.NoError(t, idle.Close())
		require.NoError(t, idle.Wait())
		assert.Equal(t, uint32(1), c2.Mailbox().NumMessages)
		require.NoError(t, c2.Logout().Wait())

		// NAMESPACE, STATUS, UNSELECT, LOGOUT.
		ns, err := c.Namespace().Wait()
		require.NoError(t, err)
		require.Len(t, ns.Personal, 1)
		assert.Equal(t, imap.NamespaceDescriptor{Prefix: "", Delim: '/'}, ns.Personal[0])
		status, err := c.Status("Archive", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true, Size: true}).Wait()
		require.NoError(t, err)
		require.NotNil(t, status.NumMessages)
		assert.Equal(t, uint32(2), *status.NumMessages)
		assert.Equal(t, imap.UID(3), status.UIDNext)
		assert.NotZero(t, status.UIDValidity)
		require.NotNil(t, status.NumUnseen)
		assert.Equal(t, uint32(1), *status.NumUnseen)
		require.NotNil(t, status.Size)
		assert.Equal(t, int64(len(goimapMessages[0])+len(goimapMessages[1])), *status.Size)
		require.NoError(t, c.Unselect().Wait())
		_, err = c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true}).Collect()
		assert.Error(t, err, "FETCH after UNSELECT")
		require.NoError(t, c.Logout().Wait())

		// The store holds what the sessions left.
		inbox := s.messages(t, mailbox.Inbox)
		require.Len(t, inbox, 1)
		assert.Equal(t, imap.UID(2), imap.UID(inbox[0].UID))
		assert.Equal(t, goimapMessages[1], string(inbox[0].Data))
		assert.ElementsMatch(t, []string{mailbox.FlagSeen, "$Label1"}, inbox[0].Flags)
		archive := s.messages(t, "Archive")
		require.Len(t, archive, 2)
		assert.True(t, bytes.Equal([]byte(goimapMessages[0]), archive[0].Data))
		assert.ElementsMatch(t, []string{"$Important"}, archive[0].Flags)
		reports := s.messages(t, "Work/Reports")
		require.Len(t, reports, 1)
		assert.Equal(t, goimapMessages[2], string(reports[0].Data))
	})
}

// TestGoIMAPNonASCIIMailboxRev1 creates a mailbox with a non-ASCII name
// from a go-imap client that has not sent ENABLE IMAP4rev2. go-imap
// sends the name as UTF-8 as soon as the server advertises IMAP4rev2
// (imapclient/client.go beginCommand: QuotedUTF8 when caps has
// IMAP4rev2); our server takes a valid UTF-8 name with 8-bit bytes as
// UTF-8 even before ENABLE, since it cannot be modified UTF-7.
func TestGoIMAPNonASCIIMailboxRev1(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *ourServer) {
		c := goimapDial(t, s, false, nil)
		require.NoError(t, c.Login(testUser, testPass).Wait())
		require.NoError(t, c.Create("Entwürfe", nil).Wait())
		list, err := c.List("", "Entw*", nil).Collect()
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, "Entwürfe", list[0].Mailbox)
		_, err = c.Select("Entwürfe", nil).Wait()
		require.NoError(t, err)
		assert.Contains(t, s.mailboxNames(t), "Entwürfe")
	})
}
