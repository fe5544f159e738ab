package imapclientinterop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/sasl"
)

// Credentials every server of these tests accepts.
const (
	testUser = "alice"
	testPass = "s3cret-pass"
)

const plainMsg = "From: Bob <bob@example.org>\r\n" +
	"To: Alice <alice@example.org>\r\n" +
	"Subject: hello %d\r\n" +
	"Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n" +
	"Message-ID: <m%d@example.org>\r\n" +
	"\r\n" +
	"Hi Alice, message %d.\r\n"

const attachMsg = "From: Bob <bob@example.org>\r\n" +
	"To: Alice <alice@example.org>\r\n" +
	"Subject: with attachment\r\n" +
	"Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"See attached.\r\n" +
	"--b1\r\n" +
	"Content-Type: application/octet-stream; name=\"data.bin\"\r\n" +
	"Content-Disposition: attachment; filename=\"data.bin\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AAECAwQFBgcICQ==\r\n" +
	"--b1--\r\n"

// server describes a server under test.
type server struct {
	addr string
	// Features the server lacks, so the suite skips them.
	noSort, noQuota, noCondStore, noAuthPlain bool
}

func dial(t *testing.T, s server, opts *imap.ClientOptions) *imap.Client {
	t.Helper()
	c, err := imap.Dial(testCtx(t), s.addr, opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func appendMsg(t *testing.T, c *imap.Client, box, msg string, flags ...string) {
	t.Helper()
	_, err := c.Append(testCtx(t), box, strings.NewReader(msg), int64(len(msg)), &imap.AppendOptions{Flags: flags})
	require.NoError(t, err)
}

// runSuite drives every command the client has against s.
func runSuite(t *testing.T, s server) {
	t.Run("Session", func(t *testing.T) { testSession(t, s) })
	t.Run("Mailboxes", func(t *testing.T) { testMailboxes(t, s) })
	t.Run("Messages", func(t *testing.T) { testMessages(t, s) })
	t.Run("IdleAndPipelining", func(t *testing.T) { testIdlePipelining(t, s) })
	t.Run("Extensions", func(t *testing.T) { testExtensions(t, s) })
}

// testExtensions covers COMPRESS, MULTIAPPEND and QRESYNC where the
// server has them.
func testExtensions(t *testing.T, s server) {
	ctx := testCtx(t)
	c := login(t, s, nil)
	caps, err := c.Caps(ctx)
	require.NoError(t, err)
	t.Logf("capabilities after login: %v", caps)
	if c.Has(ctx, "COMPRESS=DEFLATE") {
		require.NoError(t, c.Compress(ctx))
	}
	require.NoError(t, c.Create(ctx, "Ext"))
	if c.Has(ctx, "MULTIAPPEND") {
		var msgs []imap.AppendMessage
		for i := 1; i <= 3; i++ {
			m := fmt.Sprintf(plainMsg, i, i, i)
			msgs = append(msgs, imap.AppendMessage{Reader: strings.NewReader(m), Size: int64(len(m)), Flags: []string{`\Seen`}})
		}
		au, err := c.AppendMulti(ctx, "Ext", msgs)
		require.NoError(t, err)
		if c.Has(ctx, "UIDPLUS") {
			require.NotNil(t, au)
			assert.Equal(t, "1:3", au.UIDs.String())
		}
	} else {
		for i := 1; i <= 3; i++ {
			appendMsg(t, c, "Ext", fmt.Sprintf(plainMsg, i, i, i))
		}
	}
	sd, err := c.Select(ctx, "Ext", nil)
	require.NoError(t, err)
	require.Equal(t, uint32(3), sd.Exists)
	ms, err := c.Fetch(ctx, imap.SeqSetOf(1, 2, 3), []imap.FetchItem{{Name: imap.FetchEnvelope}, {Name: imap.FetchBody, Peek: true, Section: &imap.Section{}}}, nil)
	require.NoError(t, err)
	require.Len(t, ms, 3)
	assert.Equal(t, "hello 3", ms[2].Envelope.Subject)

	if c.Has(ctx, "METADATA") {
		v := "a note\r\nwith two lines"
		require.NoError(t, c.SetMetadata(ctx, "Ext", map[string]*string{"/private/comment": &v}))
		got, err := c.GetMetadata(ctx, "Ext", "/private/comment", "/shared/missing")
		require.NoError(t, err)
		require.NotNil(t, got["/private/comment"])
		assert.Equal(t, v, *got["/private/comment"])
		require.NoError(t, c.SetMetadata(ctx, "Ext", map[string]*string{"/private/comment": nil}))
		got, err = c.GetMetadata(ctx, "Ext", "/private/comment")
		require.NoError(t, err)
		assert.Nil(t, got["/private/comment"])
	}
	if c.Has(ctx, "QRESYNC") {
		en, err := c.Enable(ctx, "QRESYNC")
		require.NoError(t, err)
		require.Contains(t, en, "QRESYNC")
		sd, err = c.Select(ctx, "Ext", nil)
		require.NoError(t, err)
		require.NotZero(t, sd.HighestModSeq)
		_, err = c.UIDStore(ctx, imap.SeqSetOf(1), imap.StoreAdd, []string{`\Deleted`}, &imap.StoreOptions{Silent: true})
		require.NoError(t, err)
		_, err = c.Expunge(ctx)
		require.NoError(t, err)
		_, err = c.UIDStore(ctx, imap.SeqSetOf(2), imap.StoreAdd, []string{"$Changed"}, &imap.StoreOptions{Silent: true})
		require.NoError(t, err)
		require.NoError(t, c.Unselect(ctx))
		// Resynchronise from the state of the first SELECT.
		sd2, err := c.Select(ctx, "Ext", &imap.SelectOptions{QResync: &imap.QResyncParams{
			UIDValidity: sd.UIDValidity, ModSeq: sd.HighestModSeq, KnownUIDs: imap.SeqSetOf(1, 2, 3)}})
		require.NoError(t, err)
		require.Len(t, sd2.Vanished, 1)
		assert.Equal(t, "1", sd2.Vanished[0].String())
		require.Len(t, sd2.Fetch, 1)
		assert.Equal(t, uint32(2), sd2.Fetch[0].UID)
		assert.True(t, hasFlag(sd2.Fetch[0].Flags, "$Changed"))
	}
	require.NoError(t, c.Logout(ctx))
}

func testSession(t *testing.T, s server) {
	ctx := testCtx(t)
	c := dial(t, s, nil)
	caps, err := c.Capability(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, caps)
	require.NoError(t, c.Noop(ctx))
	if c.Has(ctx, "ID") {
		_, err := c.ID(ctx, []imap.IDParam{{Name: "name", Value: "postkit"}})
		require.NoError(t, err)
	}
	assert.Error(t, c.Login(ctx, testUser, "wrong"))
	if s.noAuthPlain {
		require.NoError(t, c.Login(ctx, testUser, testPass))
	} else {
		require.NoError(t, c.Authenticate(ctx, sasl.NewPlainClient("", testUser, testPass)))
	}
	assert.Equal(t, imap.StateAuthenticated, c.State())
	if c.Has(ctx, "ENABLE") && c.Has(ctx, "CONDSTORE") {
		en, err := c.Enable(ctx, "CONDSTORE")
		require.NoError(t, err)
		assert.Contains(t, en, "CONDSTORE")
	}
	if c.Has(ctx, "NAMESPACE") {
		ns, err := c.Namespace(ctx)
		require.NoError(t, err)
		assert.NotEmpty(t, ns.Personal)
	}
	require.NoError(t, c.Logout(ctx))
}

func login(t *testing.T, s server, opts *imap.ClientOptions) *imap.Client {
	c := dial(t, s, opts)
	require.NoError(t, c.Login(testCtx(t), testUser, testPass))
	return c
}

func testMailboxes(t *testing.T, s server) {
	ctx := testCtx(t)
	c := login(t, s, nil)
	require.NoError(t, c.Create(ctx, "Projects"))
	require.NoError(t, c.Create(ctx, "Projects/Zürich"))
	require.NoError(t, c.Rename(ctx, "Projects/Zürich", "Projects/Genève"))
	require.NoError(t, c.Subscribe(ctx, "Projects/Genève"))

	list, err := c.List(ctx, "", "*", nil)
	require.NoError(t, err)
	names := map[string]bool{}
	for _, m := range list {
		names[m.Name] = true
	}
	assert.True(t, names["INBOX"])
	assert.True(t, names["Projects/Genève"], "%v", names)
	assert.False(t, names["Projects/Zürich"])

	if c.Has(ctx, "LIST-EXTENDED") {
		subs, err := c.List(ctx, "", "Projects/*", &imap.ListOptions{SelectOpts: []string{"SUBSCRIBED"}})
		require.NoError(t, err)
		require.Len(t, subs, 1)
		assert.Equal(t, "Projects/Genève", subs[0].Name)
	}
	if c.Has(ctx, "LIST-STATUS") {
		ls, err := c.List(ctx, "", "INBOX", &imap.ListOptions{ReturnStatus: []string{"MESSAGES", "UIDNEXT"}})
		require.NoError(t, err)
		require.Len(t, ls, 1)
		require.NotNil(t, ls[0].Status)
		assert.NotNil(t, ls[0].Status.Messages)
	}
	if c.Has(ctx, "SPECIAL-USE") {
		ls, err := c.List(ctx, "", "*", &imap.ListOptions{ReturnOpts: []string{"SPECIAL-USE"}})
		require.NoError(t, err)
		assert.NotEmpty(t, ls)
	}
	lsub, err := c.Lsub(ctx, "", "Projects/*")
	require.NoError(t, err)
	require.Len(t, lsub, 1)
	require.NoError(t, c.Unsubscribe(ctx, "Projects/Genève"))

	items := []string{"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"}
	if c.Has(ctx, "STATUS=SIZE") {
		items = append(items, "SIZE")
	}
	st, err := c.Status(ctx, "Projects/Genève", items...)
	require.NoError(t, err)
	assert.Equal(t, uint32(0), *st.Messages)
	assert.NotZero(t, *st.UIDValidity)

	require.NoError(t, c.Delete(ctx, "Projects/Genève"))
	assert.Error(t, c.Delete(ctx, "Nonexistent"))
	require.NoError(t, c.Logout(ctx))
}

func testMessages(t *testing.T, s server) {
	ctx := testCtx(t)
	var ul sync.Mutex
	var unilateral []imap.Response
	c := login(t, s, &imap.ClientOptions{Unilateral: func(r imap.Response) {
		ul.Lock()
		unilateral = append(unilateral, r)
		ul.Unlock()
	}})
	require.NoError(t, c.Create(ctx, "Msgs"))
	require.NoError(t, c.Create(ctx, "Msgs/Archive"))
	for i := 1; i <= 5; i++ {
		msg := fmt.Sprintf(plainMsg, i, i, i)
		au, err := c.Append(ctx, "Msgs", strings.NewReader(msg), int64(len(msg)), &imap.AppendOptions{Date: time.Date(2026, 1, i, 0, 0, 0, 0, time.UTC)})
		require.NoError(t, err)
		if c.Has(ctx, "UIDPLUS") {
			require.NotNil(t, au)
			assert.Equal(t, fmt.Sprint(i), au.UIDs.String())
		}
	}
	appendMsg(t, c, "Msgs", attachMsg, `\Flagged`)

	sd, err := c.Select(ctx, "Msgs", &imap.SelectOptions{CondStore: c.Has(ctx, "CONDSTORE") && !s.noCondStore})
	require.NoError(t, err)
	assert.Equal(t, uint32(6), sd.Exists)
	assert.Equal(t, uint32(7), sd.UIDNext)
	assert.NotZero(t, sd.UIDValidity)

	msgs, err := c.Fetch(ctx, imap.SeqSetOf(1, 6), []imap.FetchItem{
		{Name: imap.FetchUID}, {Name: imap.FetchFlags}, {Name: imap.FetchEnvelope},
		{Name: imap.FetchBodyStructure}, {Name: imap.FetchRFC822Size}, {Name: imap.FetchInternalDate},
		{Name: imap.FetchBody, Peek: true, Section: &imap.Section{Specifier: imap.SectionHeaderFields, Fields: []string{"Subject"}}},
	}, nil)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	assert.Equal(t, "hello 1", msgs[0].Envelope.Subject)
	assert.Equal(t, "<m1@example.org>", msgs[0].Envelope.MessageID)
	assert.Equal(t, "bob", msgs[0].Envelope.From[0].Mailbox)
	assert.Equal(t, "example.org", msgs[0].Envelope.From[0].Host)
	assert.EqualValues(t, len(fmt.Sprintf(plainMsg, 1, 1, 1)), *msgs[0].RFC822Size)
	assert.Equal(t, 2026, msgs[0].InternalDate.Year())
	require.Len(t, msgs[0].Sections, 1)
	assert.Contains(t, string(msgs[0].Sections[0].Data), "Subject: hello 1")
	bs := msgs[1].BodyStructure
	require.NotNil(t, bs)
	require.Len(t, bs.Parts, 2)
	assert.True(t, strings.EqualFold(bs.Subtype, "mixed"))
	assert.True(t, hasFlag(msgs[1].Flags, `\Flagged`), "%v", msgs[1].Flags)

	// Streaming a body section.
	var body bytes.Buffer
	err = c.UIDFetchStream(ctx, imap.SeqSetOf(2), []imap.FetchItem{{Name: imap.FetchBody, Peek: true, Section: &imap.Section{Specifier: imap.SectionText}}}, nil, imap.FetchHandler{
		Body: func(seq uint32, item imap.FetchItem, size int64, r io.Reader) error {
			_, err := io.Copy(&body, r)
			return err
		},
	})
	require.NoError(t, err)
	assert.Equal(t, "Hi Alice, message 2.\r\n", body.String())

	// The whole message as a message.Message; attachments.
	require.NoError(t, c.FetchMessage(ctx, 3, func(m *message.Message) error {
		assert.Equal(t, "hello 3", m.Header.Subject())
		return nil
	}))
	var att []byte
	atts, err := c.DownloadAttachments(ctx, 6, func(a imap.Attachment, r io.Reader) error {
		assert.Equal(t, "data.bin", a.Filename)
		att, err = io.ReadAll(r)
		return err
	})
	require.NoError(t, err)
	require.Len(t, atts, 1)
	assert.Equal(t, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, att)
	if c.Has(ctx, "BINARY") {
		ms, err := c.UIDFetch(ctx, imap.SeqSetOf(6), []imap.FetchItem{{Name: imap.FetchBinarySize, Section: &imap.Section{Part: []uint32{2}}}}, nil)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		require.Len(t, ms[0].BinarySizes, 1)
		assert.Equal(t, uint32(10), ms[0].BinarySizes[0].Size)
	}

	// SEARCH, UID SEARCH, ESEARCH.
	sr, err := c.Search(ctx, []imap.SearchKey{{Op: "FLAGGED"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{6}, sr.Nums)
	sr, err = c.UIDSearch(ctx, []imap.SearchKey{{Op: "SUBJECT", Value: "hello"}, {Op: "NOT", Keys: []imap.SearchKey{{Op: "SUBJECT", Value: "hello 5"}}}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{1, 2, 3, 4}, sr.Nums)
	if c.Has(ctx, "ESEARCH") || c.Has(ctx, "IMAP4rev2") {
		sr, err = c.UIDSearch(ctx, []imap.SearchKey{{Op: "ALL"}}, &imap.SearchOptions{Return: []string{"MIN", "MAX", "COUNT"}})
		require.NoError(t, err)
		assert.Equal(t, uint32(1), sr.Min)
		assert.Equal(t, uint32(6), sr.Max)
		require.NotNil(t, sr.Count)
		assert.Equal(t, uint32(6), *sr.Count)
	}
	if c.Has(ctx, "SEARCHRES") {
		_, err = c.Search(ctx, []imap.SearchKey{{Op: "SUBJECT", Value: "hello 2"}}, &imap.SearchOptions{Return: []string{"SAVE"}})
		require.NoError(t, err)
		ms, err := c.Fetch(ctx, imap.SeqSet{Saved: true}, []imap.FetchItem{{Name: imap.FetchUID}}, nil)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		assert.Equal(t, uint32(2), ms[0].UID)
	}
	if c.Has(ctx, "SORT") && !s.noSort {
		nums, err := c.Sort(ctx, []imap.SortCriterion{{Key: "DATE", Reverse: true}}, "", []imap.SearchKey{{Op: "SUBJECT", Value: "hello"}})
		require.NoError(t, err)
		assert.Len(t, nums, 5)
		uids, err := c.UIDSort(ctx, []imap.SortCriterion{{Key: "SUBJECT"}}, "", []imap.SearchKey{{Op: "ALL"}})
		require.NoError(t, err)
		assert.Len(t, uids, 6)
	}
	if c.Has(ctx, "THREAD=REFERENCES") && !s.noSort {
		th, err := c.Thread(ctx, "REFERENCES", "", []imap.SearchKey{{Op: "ALL"}})
		require.NoError(t, err)
		assert.Len(t, th, 6)
	}
	if c.Has(ctx, "QUOTA") && !s.noQuota {
		qs, err := c.GetQuotaRoot(ctx, "INBOX")
		require.NoError(t, err)
		require.NotEmpty(t, qs)
		q, err := c.GetQuota(ctx, qs[0].Root)
		require.NoError(t, err)
		assert.NotEmpty(t, q.Resources)
	}

	// STORE, COPY, MOVE, EXPUNGE.
	res, err := c.Store(ctx, imap.SeqSetOf(1), imap.StoreAdd, []string{`\Seen`, "$Work"}, nil)
	require.NoError(t, err)
	require.Len(t, res.Fetch, 1)
	assert.True(t, hasFlag(res.Fetch[0].Flags, "$Work"), "%v", res.Fetch[0].Flags)
	res, err = c.UIDStore(ctx, imap.SeqSetOf(2), imap.StoreReplace, []string{`\Deleted`}, &imap.StoreOptions{Silent: true})
	require.NoError(t, err)
	if c.Has(ctx, "CONDSTORE") && !s.noCondStore {
		res, err = c.UIDStore(ctx, imap.SeqSetOf(3), imap.StoreAdd, []string{"$Cond"}, &imap.StoreOptions{HasUnchangedSince: true, UnchangedSince: 1})
		require.NoError(t, err)
		assert.Equal(t, "3", res.Modified.String())
	}
	cu, err := c.Copy(ctx, imap.SeqSetOf(1), "Msgs/Archive")
	require.NoError(t, err)
	if c.Has(ctx, "UIDPLUS") {
		require.NotNil(t, cu)
		assert.Equal(t, "1", cu.Source.String())
	}
	if c.Has(ctx, "MOVE") {
		cu, err = c.UIDMove(ctx, imap.SeqSetOf(5), "Msgs/Archive")
		require.NoError(t, err)
		if c.Has(ctx, "UIDPLUS") {
			require.NotNil(t, cu)
			assert.Equal(t, "5", cu.Source.String())
			assert.Equal(t, "2", cu.Dest.String())
		}
	}
	ex, err := c.Expunge(ctx)
	require.NoError(t, err)
	assert.Equal(t, []uint32{2}, ex.Seqs)
	if c.Has(ctx, "UIDPLUS") {
		_, err = c.UIDStore(ctx, imap.SeqSetOf(3, 4), imap.StoreAdd, []string{`\Deleted`}, &imap.StoreOptions{Silent: true})
		require.NoError(t, err)
		ex, err = c.UIDExpunge(ctx, imap.SeqSetOf(3))
		require.NoError(t, err)
		assert.Equal(t, []uint32{2}, ex.Seqs)
	}
	require.NoError(t, c.Check(ctx))
	if c.Has(ctx, "UNSELECT") || c.Has(ctx, "IMAP4rev2") {
		require.NoError(t, c.Unselect(ctx))
	}
	sd, err = c.Examine(ctx, "Msgs/Archive", nil)
	require.NoError(t, err)
	assert.True(t, sd.ReadOnly)
	assert.Equal(t, uint32(2), sd.Exists)
	_, err = c.Select(ctx, "Msgs", nil)
	require.NoError(t, err)
	require.NoError(t, c.CloseMailbox(ctx))
	st, err := c.Status(ctx, "Msgs", "MESSAGES")
	require.NoError(t, err)
	assert.Equal(t, uint32(2), *st.Messages, "CLOSE expunged message 4")
	require.NoError(t, c.Logout(ctx))
	ul.Lock()
	defer ul.Unlock()
	var expunges int
	for _, r := range unilateral {
		if _, ok := r.(*imap.ExpungeData); ok {
			expunges++
		}
	}
	assert.NotZero(t, expunges)
}

func testIdlePipelining(t *testing.T, s server) {
	ctx := testCtx(t)
	c := login(t, s, nil)
	require.NoError(t, c.Create(ctx, "Idle"))
	for i := 1; i <= 10; i++ {
		appendMsg(t, c, "Idle", fmt.Sprintf(plainMsg, i, i, i))
	}
	require.NoError(t, c.Create(ctx, "IdleApp"))
	sd, err := c.Select(ctx, "Idle", nil)
	require.NoError(t, err)

	// Commands from several goroutines at once, APPENDs (whose literals
	// may wait for continuation requests) among them.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				n := uint32((g*8+i)%10 + 1)
				switch i % 4 {
				case 3:
					msg := fmt.Sprintf(plainMsg, 100+g*8+i, 100+g*8+i, i)
					_, err := c.Append(ctx, "IdleApp", strings.NewReader(msg), int64(len(msg)), nil)
					errs <- err
				case 0:
					ms, err := c.Fetch(ctx, imap.SeqSetOf(n), []imap.FetchItem{{Name: imap.FetchEnvelope}}, nil)
					if err == nil && (len(ms) != 1 || ms[0].Envelope.Subject != fmt.Sprintf("hello %d", n)) {
						err = fmt.Errorf("fetch %d: %+v", n, ms)
					}
					errs <- err
				case 1:
					sr, err := c.Search(ctx, []imap.SearchKey{{Op: "HEADER", Field: "Message-ID", Value: fmt.Sprintf("<m%d@", n)}}, nil)
					if err == nil && (len(sr.Nums) != 1 || sr.Nums[0] != n) {
						err = fmt.Errorf("search %d: %v", n, sr.Nums)
					}
					errs <- err
				case 2:
					errs <- c.Noop(ctx)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	st, err := c.Status(ctx, "IdleApp", "MESSAGES")
	require.NoError(t, err)
	assert.Equal(t, uint32(8), *st.Messages)

	if !c.Has(ctx, "IDLE") {
		return
	}
	// Mail delivered by another session ends IdleWait.
	other := login(t, s, nil)
	go func() {
		time.Sleep(200 * time.Millisecond)
		msg := fmt.Sprintf(plainMsg, 11, 11, 11)
		other.Append(ctx, "Idle", strings.NewReader(msg), int64(len(msg)), nil)
	}()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	n, err := c.IdleWait(wctx, sd.Exists, nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(11), n)

	ictx, icancel := context.WithCancel(ctx)
	ic, err := c.Idle(ictx)
	require.NoError(t, err)
	icancel()
	require.NoError(t, ic.Done())
	require.NoError(t, c.Noop(ctx))
	require.NoError(t, c.Logout(ctx))
}

// hasFlag reports whether flags holds f, ignoring case as flags do
// (RFC 9051 2.3.2); go-imap's server lowers them.
func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}
