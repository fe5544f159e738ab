package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

const clientTestMsg = "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: hello\r\nDate: Fri, 2 Jan 2026 03:04:05 +0000\r\nMessage-ID: <m1@example.org>\r\n\r\nHi Alice.\r\n"

func clientCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// unilateralLog collects what reaches the UnilateralHandler.
type unilateralLog struct {
	mu sync.Mutex
	rs []Response
}

func (u *unilateralLog) handle(r Response) {
	u.mu.Lock()
	u.rs = append(u.rs, r)
	u.mu.Unlock()
}

func (u *unilateralLog) all() []Response {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Response(nil), u.rs...)
}

func (ts *testServer) client(t *testing.T, opts *ClientOptions) *Client {
	t.Helper()
	c, err := Dial(clientCtx(t), ts.addr, opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func (ts *testServer) loggedIn(t *testing.T, opts *ClientOptions) *Client {
	t.Helper()
	c := ts.client(t, opts)
	require.NoError(t, c.Login(clientCtx(t), testUser, testPass))
	return c
}

func TestClientLoginSelectFetch(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", clientTestMsg)
	ts.deliver(t, "INBOX", strings.Replace(clientTestMsg, "hello", "second", 1), `\Seen`)
	ctx := clientCtx(t)
	c := ts.client(t, nil)
	assert.Equal(t, StateNotAuthenticated, c.State())
	assert.True(t, c.Has(ctx, "IMAP4rev1"))
	err := c.Login(ctx, testUser, "wrong")
	var ie *Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, StatusNO, ie.Response.Type)
	require.NoError(t, c.Login(ctx, testUser, testPass))
	assert.Equal(t, StateAuthenticated, c.State())

	sd, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), sd.Exists)
	assert.NotZero(t, sd.UIDValidity)
	assert.Equal(t, uint32(3), sd.UIDNext)
	assert.Contains(t, sd.Flags, `\Seen`)
	assert.False(t, sd.ReadOnly)
	assert.Equal(t, StateSelected, c.State())
	assert.Equal(t, "INBOX", c.Mailbox())

	msgs, err := c.Fetch(ctx, SeqSetOf(1, 2), []FetchItem{
		{Name: FetchUID}, {Name: FetchFlags}, {Name: FetchEnvelope}, {Name: FetchBodyStructure},
		{Name: FetchRFC822Size}, {Name: FetchInternalDate},
		{Name: FetchBody, Peek: true, Section: &Section{}},
	}, nil)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	m := msgs[0]
	assert.Equal(t, uint32(1), m.UID)
	assert.Equal(t, "hello", m.Envelope.Subject)
	assert.Equal(t, "bob", m.Envelope.From[0].Mailbox)
	assert.Equal(t, "TEXT", strings.ToUpper(m.BodyStructure.Type))
	assert.Equal(t, int64(len(clientTestMsg)), *m.RFC822Size)
	require.Len(t, m.Sections, 1)
	assert.Equal(t, clientTestMsg, string(m.Sections[0].Data))
	assert.Contains(t, msgs[1].Flags, `\Seen`)
	assert.Equal(t, "second", msgs[1].Envelope.Subject)

	// Streaming: the body arrives as a reader.
	var got bytes.Buffer
	var seen []uint32
	err = c.UIDFetchStream(ctx, SeqSetOf(2), []FetchItem{{Name: FetchUID}, {Name: FetchBody, Peek: true, Section: &Section{Specifier: SectionText}}}, nil, FetchHandler{
		Body: func(seq uint32, item FetchItem, size int64, r io.Reader) error {
			assert.Equal(t, SectionText, item.Section.Specifier)
			n, err := io.Copy(&got, r)
			assert.Equal(t, size, n)
			return err
		},
		Message: func(f *FetchData) error { seen = append(seen, f.UID); return nil },
	})
	require.NoError(t, err)
	assert.Equal(t, "Hi Alice.\r\n", got.String())
	assert.Equal(t, []uint32{2}, seen)

	// A handler's error is returned and the connection stays usable.
	err = c.FetchStream(ctx, SeqSetOf(1, 2), []FetchItem{{Name: FetchBody, Peek: true, Section: &Section{}}}, nil, FetchHandler{
		Body: func(uint32, FetchItem, int64, io.Reader) error { return io.ErrShortWrite },
	})
	assert.ErrorIs(t, err, io.ErrShortWrite)
	require.NoError(t, c.Noop(ctx))

	require.NoError(t, c.Unselect(ctx))
	assert.Equal(t, StateAuthenticated, c.State())
	require.NoError(t, c.Logout(ctx))
	<-c.Done()
}

func TestClientMailboxCommands(t *testing.T) {
	ts := newTestServer(t)
	ctx := clientCtx(t)
	c := ts.loggedIn(t, nil)

	caps, err := c.Capability(ctx)
	require.NoError(t, err)
	assert.Contains(t, caps, "IMAP4rev1")

	require.NoError(t, c.Create(ctx, "Work"))
	require.NoError(t, c.Create(ctx, "Ünïcode"))
	require.NoError(t, c.Rename(ctx, "Work", "Job"))
	require.NoError(t, c.Subscribe(ctx, "Job"))
	list, err := c.List(ctx, "", "*", nil)
	require.NoError(t, err)
	var names []string
	for _, m := range list {
		names = append(names, m.Name)
	}
	assert.ElementsMatch(t, []string{"INBOX", "Job", "Ünïcode"}, names)

	subs, err := c.List(ctx, "", "*", &ListOptions{SelectOpts: []string{"SUBSCRIBED"}, ReturnStatus: []string{"MESSAGES", "UIDNEXT"}})
	require.NoError(t, err)
	require.Len(t, subs, 1)
	assert.Equal(t, "Job", subs[0].Name)
	require.NotNil(t, subs[0].Status)
	assert.Equal(t, uint32(0), *subs[0].Status.Messages)

	lsub, err := c.Lsub(ctx, "", "*")
	require.NoError(t, err)
	require.Len(t, lsub, 1)
	require.NoError(t, c.Unsubscribe(ctx, "Job"))

	st, err := c.Status(ctx, "Ünïcode", "MESSAGES", "UIDNEXT", "UIDVALIDITY", "SIZE")
	require.NoError(t, err)
	assert.Equal(t, uint32(0), *st.Messages)
	assert.Equal(t, uint32(1), *st.UIDNext)

	ns, err := c.Namespace(ctx)
	require.NoError(t, err)
	require.Len(t, ns.Personal, 1)

	id, err := c.ID(ctx, []IDParam{{Name: "name", Value: "postkit-test"}})
	require.NoError(t, err)
	assert.NotNil(t, id)

	en, err := c.Enable(ctx, "CONDSTORE")
	require.NoError(t, err)
	assert.Contains(t, en, "CONDSTORE")
	assert.True(t, c.Enabled("condstore"))

	require.NoError(t, c.Delete(ctx, "Job"))
	err = c.Delete(ctx, "Job")
	assert.Error(t, err)
	_, err = c.Select(ctx, "Nope", nil)
	assert.Error(t, err)
	assert.Equal(t, StateAuthenticated, c.State())
}

func TestClientMessageCommands(t *testing.T) {
	ts := newTestServer(t)
	ctx := clientCtx(t)
	var ul unilateralLog
	c := ts.loggedIn(t, &ClientOptions{Unilateral: ul.handle})
	require.NoError(t, c.Create(ctx, "Archive"))

	date := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	au, err := c.Append(ctx, "INBOX", strings.NewReader(clientTestMsg), int64(len(clientTestMsg)), &AppendOptions{Flags: []string{`\Flagged`}, Date: date})
	require.NoError(t, err)
	require.NotNil(t, au)
	assert.Equal(t, "1", au.UIDs.String())
	for i := 0; i < 3; i++ {
		_, err := c.Append(ctx, "INBOX", strings.NewReader(clientTestMsg), int64(len(clientTestMsg)), nil)
		require.NoError(t, err)
	}
	_, err = c.Append(ctx, "Nope", strings.NewReader(clientTestMsg), int64(len(clientTestMsg)), nil)
	assert.Error(t, err)

	_, err = c.Select(ctx, "INBOX", &SelectOptions{CondStore: true})
	require.NoError(t, err)

	sr, err := c.Search(ctx, []SearchKey{{Op: "FLAGGED"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, sr.Nums)
	sr, err = c.UIDSearch(ctx, []SearchKey{{Op: "SUBJECT", Value: "hello"}}, &SearchOptions{Return: []string{"MIN", "MAX", "COUNT", "ALL"}})
	require.NoError(t, err)
	assert.Equal(t, uint32(1), sr.Min)
	assert.Equal(t, uint32(4), sr.Max)
	assert.Equal(t, uint32(4), *sr.Count)
	assert.Equal(t, []uint32{1, 2, 3, 4}, sr.Nums)

	res, err := c.Store(ctx, SeqSetOf(2), StoreAdd, []string{`\Seen`, "$Label"}, nil)
	require.NoError(t, err)
	require.Len(t, res.Fetch, 1)
	assert.Contains(t, res.Fetch[0].Flags, "$Label")
	res, err = c.UIDStore(ctx, SeqSetOf(3), StoreAdd, []string{`\Deleted`}, &StoreOptions{Silent: true})
	require.NoError(t, err)
	assert.Empty(t, res.Fetch)

	cu, err := c.Copy(ctx, SeqSetOf(1), "Archive")
	require.NoError(t, err)
	require.NotNil(t, cu)
	assert.Equal(t, "1", cu.Dest.String())
	cu, err = c.UIDMove(ctx, SeqSetOf(4), "Archive")
	require.NoError(t, err)
	require.NotNil(t, cu)
	assert.Equal(t, "4", cu.Source.String())
	assert.Equal(t, "2", cu.Dest.String())

	ex, err := c.Expunge(ctx)
	require.NoError(t, err)
	assert.Equal(t, []uint32{3}, ex.Seqs)
	var expunges int
	for _, r := range ul.all() {
		if _, ok := r.(*ExpungeData); ok {
			expunges++
		}
	}
	assert.Equal(t, 2, expunges, "MOVE and EXPUNGE expunges reach the handler")

	_, err = c.UIDStore(ctx, SeqSetOf(1), StoreAdd, []string{`\Deleted`}, nil)
	require.NoError(t, err)
	ex, err = c.UIDExpunge(ctx, SeqSetOf(1))
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, ex.Seqs)

	require.NoError(t, c.Check(ctx))
	require.NoError(t, c.CloseMailbox(ctx))
	sd, err := c.Examine(ctx, "Archive", nil)
	require.NoError(t, err)
	assert.True(t, sd.ReadOnly)
	assert.Equal(t, uint32(2), sd.Exists)
}

func TestClientPipelining(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 20; i++ {
		ts.deliver(t, "INBOX", strings.Replace(clientTestMsg, "hello", fmt.Sprintf("msg %d", i+1), 1))
	}
	ctx := clientCtx(t)
	c := ts.loggedIn(t, nil)
	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				n := uint32((g*10+i)%20 + 1)
				switch i % 4 {
				case 0:
					msgs, err := c.Fetch(ctx, SeqSetOf(n), []FetchItem{{Name: FetchEnvelope}, {Name: FetchBody, Peek: true, Section: &Section{}}}, nil)
					if err == nil && (len(msgs) != 1 || msgs[0].Envelope.Subject != fmt.Sprintf("msg %d", n) || len(msgs[0].Sections[0].Data) == 0) {
						err = fmt.Errorf("fetch %d: got %+v", n, msgs)
					}
					errs <- err
				case 1:
					sr, err := c.Search(ctx, []SearchKey{{Op: "SUBJECT", Value: fmt.Sprintf("msg %d", n)}}, nil)
					if err == nil && !containsNum(sr.Nums, n) {
						err = fmt.Errorf("search %d: %v", n, sr.Nums)
					}
					errs <- err
				case 2:
					_, err := c.Status(ctx, "INBOX", "MESSAGES")
					errs <- err
				case 3:
					errs <- c.Noop(ctx)
				}
			}
		}()
	}
	go func() { wg.Wait(); close(errs) }()
	for err := range errs {
		assert.NoError(t, err)
	}
}

func containsNum(ns []uint32, n uint32) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

func TestClientIdle(t *testing.T) {
	ts := newTestServer(t)
	ctx := clientCtx(t)
	var ul unilateralLog
	c := ts.loggedIn(t, &ClientOptions{Unilateral: ul.handle})
	sd, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)

	ic, err := c.Idle(ctx)
	require.NoError(t, err)
	// Commands wait while idling; this one runs after Done.
	noop := make(chan error, 1)
	go func() { noop <- c.Noop(ctx) }()
	ts.deliver(t, "INBOX", clientTestMsg)
	require.Eventually(t, func() bool {
		for _, r := range ul.all() {
			if e, ok := r.(*ExistsData); ok && e.Num == 1 {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
	select {
	case <-noop:
		t.Fatal("NOOP ran during IDLE")
	default:
	}
	require.NoError(t, ic.Done())
	require.NoError(t, ic.Done())
	require.NoError(t, <-noop)

	// IdleWait returns on new mail.
	go func() {
		time.Sleep(100 * time.Millisecond)
		ts.deliver(t, "INBOX", clientTestMsg)
	}()
	n, err := c.IdleWait(ctx, sd.Exists+1, nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), n)

	// Cancelling the context ends IDLE with DONE; the connection stays.
	ictx, cancel := context.WithCancel(ctx)
	_, err = c.Idle(ictx)
	require.NoError(t, err)
	cancel()
	require.NoError(t, c.Noop(ctx))

	// IdleWait restarts IDLE.
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	_, err = c.IdleWait(wctx, 2, &IdleWaitOptions{Restart: 50 * time.Millisecond})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, c.Noop(ctx))
}

func TestClientAuthenticateAndTLS(t *testing.T) {
	cfg, pool := selfSigned(t)
	ts := newTestServer(t, func(s *Server) {
		s.TLSConfig = cfg
		s.Auth = map[string]sasl.ServerFactory{"PLAIN": func() sasl.Server {
			return sasl.NewPlainServer(func(ctx context.Context, identity, user, pass string) (string, error) {
				if user == testUser && pass == testPass {
					return user, nil
				}
				return "", sasl.ErrAuthFailed
			})
		}}
	})
	ctx := clientCtx(t)
	c, err := DialStartTLS(ctx, ts.addr, &ClientOptions{TLSConfig: &tls.Config{RootCAs: pool}})
	require.NoError(t, err)
	defer c.Close()
	assert.False(t, c.Has(ctx, "STARTTLS"))
	require.NoError(t, c.Authenticate(ctx, sasl.NewPlainClient("", testUser, testPass)))
	assert.Equal(t, StateAuthenticated, c.State())
	_, err = c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)

	c2, err := Dial(ctx, ts.addr, nil)
	require.NoError(t, err)
	defer c2.Close()
	err = c2.Authenticate(ctx, sasl.NewPlainClient("", testUser, "bad"))
	assert.Error(t, err)
	require.NoError(t, c2.Noop(ctx))
}

func TestClientContextCancelClosesConnection(t *testing.T) {
	ts := newTestServer(t)
	c := ts.loggedIn(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.Noop(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	// Not sent: the connection is fine.
	require.NoError(t, c.Noop(clientCtx(t)))
}

func TestClientCloseFromHandlers(t *testing.T) {
	ts := newTestServer(t)
	ts.deliver(t, "INBOX", clientTestMsg)
	ts.deliver(t, "INBOX", clientTestMsg)
	ctx := clientCtx(t)

	// From a FETCH handler.
	c := ts.loggedIn(t, nil)
	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	err = c.FetchStream(ctx, SeqSetOf(1, 2), []FetchItem{{Name: FetchUID}}, nil, FetchHandler{
		Message: func(*FetchData) error { return c.Close() },
	})
	assert.ErrorIs(t, err, ErrClientClosed)

	// From the UnilateralHandler.
	var c2 *Client
	c2 = ts.client(t, &ClientOptions{Unilateral: func(r Response) {
		if _, ok := r.(*ExistsData); ok {
			c2.Close()
		}
	}})
	require.NoError(t, c2.Login(ctx, testUser, testPass))
	_, err = c2.Select(ctx, "INBOX", nil)
	assert.Error(t, err)
	<-c2.Done()
}
