package pop3interop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/postkit/postkit/pop3"
	"github.com/postkit/postkit/sasl"
)

// Credentials every server in these tests accepts; the APOP secret is
// the password.
const (
	testUser = "user@example.test"
	testPass = "s3cret-pass"
)

// caseTimeout bounds one interop case.
const caseTimeout = 20 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	return ctx
}

// Messages every maildrop starts with: the second is dot-stuffed on the
// wire, the third has a long body for TOP.
var testMessages = [][]byte{
	[]byte("From: a@example.test\r\nSubject: one\r\n\r\nHello.\r\n"),
	[]byte("From: b@example.test\r\nSubject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n"),
	[]byte("From: c@example.test\r\nSubject: three\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"),
}

// ourServer is our pop3.Server on a loopback port over a memStore.
type ourServer struct {
	srv   *pop3.Server
	store *memStore
	host  string
	port  int
	addr  string
	cert  *peertest.Cert
}

func startOurServer(t *testing.T, configure ...func(*pop3.Server)) *ourServer {
	t.Helper()
	s := &ourServer{store: &memStore{}, cert: peertest.NewCert(t)}
	s.store.put(testMessages...)
	s.srv = &pop3.Server{
		Hostname:  "localhost",
		Store:     s.store,
		TLSConfig: s.cert.Server,
		Authenticate: func(ctx context.Context, user, pass string) (string, error) {
			if user == testUser && pass == testPass {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		},
		APOPSecret: func(ctx context.Context, user string) (string, error) {
			if user == testUser {
				return testPass, nil
			}
			return "", sasl.ErrAuthFailed
		},
		Auth: map[string]sasl.ServerFactory{
			sasl.Plain: func() sasl.Server {
				return sasl.NewPlainServer(func(ctx context.Context, identity, user, pass string) (string, error) {
					if user == testUser && pass == testPass && (identity == "" || identity == user) {
						return user, nil
					}
					return "", sasl.ErrAuthFailed
				})
			},
		},
		AuthDelay: -1,
	}
	for _, f := range configure {
		f(s.srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.addr = l.Addr().String()
	s.host = "127.0.0.1"
	s.port = l.Addr().(*net.TCPAddr).Port
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(l) }()
	t.Cleanup(func() {
		s.srv.Close()
		if err := <-done; !errors.Is(err, pop3.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// memStore is a minimal mailbox.Store with one INBOX shared by every
// user: enough for the POP3 server. (mailbox/memstore can replace it.)
type memStore struct {
	mu   sync.Mutex
	msgs []*memMsg
	next mailbox.UID
}

type memMsg struct {
	uid   mailbox.UID
	data  []byte
	flags []string
}

func (s *memStore) put(msgs ...[]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		s.next++
		s.msgs = append(s.msgs, &memMsg{uid: s.next, data: m})
	}
}

// bodies returns the messages left.
func (s *memStore) bodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	for _, m := range s.msgs {
		out = append(out, m.data)
	}
	return out
}

func (s *memStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	return memAccount{s}, nil
}

type memAccount struct{ s *memStore }

func (a memAccount) Mailboxes(context.Context) ([]mailbox.MailboxInfo, error) {
	return []mailbox.MailboxInfo{{Name: mailbox.Inbox}}, nil
}
func (a memAccount) Create(context.Context, string, *mailbox.CreateOptions) error {
	return mailbox.ErrNotAllowed
}
func (a memAccount) Delete(context.Context, string) error            { return mailbox.ErrNotAllowed }
func (a memAccount) Rename(context.Context, string, string) error    { return mailbox.ErrNotAllowed }
func (a memAccount) Subscribe(context.Context, string, bool) error   { return mailbox.ErrNotAllowed }
func (a memAccount) Subscriptions(context.Context) ([]string, error) { return nil, nil }
func (a memAccount) Status(ctx context.Context, name string) (*mailbox.Status, error) {
	return memView{a.s}.Status(ctx)
}
func (a memAccount) Open(ctx context.Context, name string, _ *mailbox.OpenOptions) (mailbox.Mailbox, error) {
	if name != mailbox.Inbox {
		return nil, mailbox.ErrNoSuchMailbox
	}
	return memView{a.s}, nil
}
func (a memAccount) Close() error { return nil }

type memView struct{ s *memStore }

func (v memView) Name() string { return mailbox.Inbox }
func (v memView) Status(context.Context) (*mailbox.Status, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return &mailbox.Status{Messages: uint32(len(v.s.msgs)), UIDNext: v.s.next + 1, UIDValidity: 42}, nil
}
func (v memView) Append(_ context.Context, r io.Reader, _ *mailbox.AppendOptions) (mailbox.UID, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	v.s.put(b)
	return v.s.next, nil
}
func (v memView) Fetch(_ context.Context, uids mailbox.UIDSet, fn func(mailbox.Message) error) error {
	v.s.mu.Lock()
	var sel []memMessage
	for _, m := range v.s.msgs {
		if uids.Contains(m.uid) {
			sel = append(sel, memMessage{m})
		}
	}
	v.s.mu.Unlock()
	for _, m := range sel {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}
func (v memView) Store(_ context.Context, uids mailbox.UIDSet, op mailbox.StoreOp, flags []string, _ *mailbox.StoreOptions) (*mailbox.StoreResult, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	for _, m := range v.s.msgs {
		if uids.Contains(m.uid) {
			m.flags = mailbox.ApplyFlags(m.flags, op, flags)
		}
	}
	return &mailbox.StoreResult{}, nil
}
func (v memView) Expunge(_ context.Context, uids *mailbox.UIDSet) ([]mailbox.UID, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var gone []mailbox.UID
	v.s.msgs = slices.DeleteFunc(v.s.msgs, func(m *memMsg) bool {
		del := mailbox.HasFlag(m.flags, mailbox.FlagDeleted) && (uids == nil || uids.Contains(m.uid))
		if del {
			gone = append(gone, m.uid)
		}
		return del
	})
	return gone, nil
}
func (v memView) Copy(context.Context, mailbox.UIDSet, string) (*mailbox.CopyResult, error) {
	return nil, mailbox.ErrNotAllowed
}
func (v memView) Updates() <-chan struct{}                       { return nil }
func (v memView) Poll(context.Context) ([]mailbox.Update, error) { return nil, nil }
func (v memView) Close() error                                   { return nil }

type memMessage struct{ m *memMsg }

func (m memMessage) UID() mailbox.UID        { return m.m.uid }
func (m memMessage) Flags() []string         { return m.m.flags }
func (m memMessage) InternalDate() time.Time { return time.Time{} }
func (m memMessage) Size() int64             { return int64(len(m.m.data)) }
func (m memMessage) ModSeq() uint64          { return 1 }
func (m memMessage) Open(context.Context) (mailbox.Body, error) {
	return memBody{bytes.NewReader(m.m.data)}, nil
}

type memBody struct{ *bytes.Reader }

func (memBody) Close() error { return nil }

// uidlOf is the unique-id our server gives the message with uid.
func uidlOf(uid int) string {
	s := strconv.FormatUint(uint64(42)<<32|uint64(uid), 16)
	for len(s) < 16 {
		s = "0" + s
	}
	return s
}
