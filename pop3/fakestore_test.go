package pop3

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// fakeStore is a minimal mailbox.Store for the tests: every account has
// an INBOX and nothing else. It keeps what the POP3 server needs (UIDs,
// sizes, flags, bodies) and records calls so tests can assert on them.
// The lead may switch the tests to mailbox/memstore: only newFakeStore
// and put would change.
type fakeStore struct {
	mu    sync.Mutex
	boxes map[string]*fakeBox
}

type fakeBox struct {
	mu       sync.Mutex
	validity uint32
	next     mailbox.UID
	msgs     []*fakeMsg // ascending UID
	expunges int        // Expunge calls
	failOpen error      // returned by Message.Open when set
}

type fakeMsg struct {
	uid   mailbox.UID
	data  []byte
	flags []string
}

func newFakeStore() *fakeStore { return &fakeStore{boxes: map[string]*fakeBox{}} }

// box returns user's INBOX, creating it.
func (s *fakeStore) box(user string) *fakeBox {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.boxes[user]
	if b == nil {
		b = &fakeBox{validity: 1234567, next: 1}
		s.boxes[user] = b
	}
	return b
}

// put adds messages to user's INBOX and returns their UIDs.
func (s *fakeStore) put(user string, msgs ...[]byte) []mailbox.UID {
	b := s.box(user)
	b.mu.Lock()
	defer b.mu.Unlock()
	var uids []mailbox.UID
	for _, m := range msgs {
		b.msgs = append(b.msgs, &fakeMsg{uid: b.next, data: m})
		uids = append(uids, b.next)
		b.next++
	}
	return uids
}

// uids lists the UIDs in user's INBOX.
func (s *fakeStore) uids(user string) []mailbox.UID {
	b := s.box(user)
	b.mu.Lock()
	defer b.mu.Unlock()
	var u []mailbox.UID
	for _, m := range b.msgs {
		u = append(u, m.uid)
	}
	return u
}

// flags returns the flags of a message.
func (s *fakeStore) flags(user string, uid mailbox.UID) []string {
	b := s.box(user)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.msgs {
		if m.uid == uid {
			return slices.Clone(m.flags)
		}
	}
	return nil
}

func (s *fakeStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	if user == "nobody" {
		return nil, mailbox.ErrNoSuchAccount
	}
	return &fakeAccount{box: s.box(user)}, nil
}

type fakeAccount struct{ box *fakeBox }

func (a *fakeAccount) Mailboxes(ctx context.Context) ([]mailbox.MailboxInfo, error) {
	return []mailbox.MailboxInfo{{Name: mailbox.Inbox}}, nil
}
func (a *fakeAccount) Create(ctx context.Context, name string, opts *mailbox.CreateOptions) error {
	return mailbox.ErrNotAllowed
}
func (a *fakeAccount) Delete(ctx context.Context, name string) error { return mailbox.ErrNotAllowed }
func (a *fakeAccount) Rename(ctx context.Context, from, to string) error {
	return mailbox.ErrNotAllowed
}
func (a *fakeAccount) Subscribe(ctx context.Context, name string, subscribed bool) error {
	return mailbox.ErrNotAllowed
}
func (a *fakeAccount) Subscriptions(ctx context.Context) ([]string, error) { return nil, nil }
func (a *fakeAccount) Status(ctx context.Context, name string) (*mailbox.Status, error) {
	return (&fakeView{box: a.box}).Status(ctx)
}
func (a *fakeAccount) Open(ctx context.Context, name string, opts *mailbox.OpenOptions) (mailbox.Mailbox, error) {
	if name != mailbox.Inbox {
		return nil, mailbox.ErrNoSuchMailbox
	}
	return &fakeView{box: a.box}, nil
}
func (a *fakeAccount) Close() error { return nil }

type fakeView struct{ box *fakeBox }

func (v *fakeView) Name() string { return mailbox.Inbox }
func (v *fakeView) Status(ctx context.Context) (*mailbox.Status, error) {
	b := v.box
	b.mu.Lock()
	defer b.mu.Unlock()
	st := &mailbox.Status{Messages: uint32(len(b.msgs)), UIDNext: b.next, UIDValidity: b.validity}
	for _, m := range b.msgs {
		st.Size += int64(len(m.data))
	}
	return st, nil
}
func (v *fakeView) Append(ctx context.Context, r io.Reader, opts *mailbox.AppendOptions) (mailbox.UID, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	return v.box.put(data), nil
}

func (b *fakeBox) put(data []byte) mailbox.UID {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, &fakeMsg{uid: b.next, data: data})
	b.next++
	return b.next - 1
}

func (v *fakeView) Fetch(ctx context.Context, uids mailbox.UIDSet, fn func(mailbox.Message) error) error {
	b := v.box
	b.mu.Lock()
	var sel []fakeMessage
	for _, m := range b.msgs {
		if uids.Contains(m.uid) {
			sel = append(sel, fakeMessage{m: m, failOpen: b.failOpen})
		}
	}
	b.mu.Unlock()
	for _, m := range sel {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}
func (v *fakeView) Store(ctx context.Context, uids mailbox.UIDSet, op mailbox.StoreOp, flags []string, opts *mailbox.StoreOptions) (*mailbox.StoreResult, error) {
	b := v.box
	b.mu.Lock()
	defer b.mu.Unlock()
	res := &mailbox.StoreResult{}
	for _, m := range b.msgs {
		if uids.Contains(m.uid) {
			m.flags = mailbox.ApplyFlags(m.flags, op, flags)
			res.Updated = append(res.Updated, mailbox.FlagUpdate{UID: m.uid, Flags: slices.Clone(m.flags)})
		}
	}
	return res, nil
}
func (v *fakeView) Expunge(ctx context.Context, uids *mailbox.UIDSet) ([]mailbox.UID, error) {
	b := v.box
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expunges++
	var gone []mailbox.UID
	keep := b.msgs[:0]
	for _, m := range b.msgs {
		if mailbox.HasFlag(m.flags, mailbox.FlagDeleted) && (uids == nil || uids.Contains(m.uid)) {
			gone = append(gone, m.uid)
			continue
		}
		keep = append(keep, m)
	}
	b.msgs = keep
	return gone, nil
}
func (v *fakeView) Copy(ctx context.Context, uids mailbox.UIDSet, dest string) (*mailbox.CopyResult, error) {
	return nil, mailbox.ErrNotAllowed
}
func (v *fakeView) Updates() <-chan struct{}                           { return nil }
func (v *fakeView) Poll(ctx context.Context) ([]mailbox.Update, error) { return nil, nil }
func (v *fakeView) Close() error                                       { return nil }

type fakeMessage struct {
	m        *fakeMsg
	failOpen error
}

func (m fakeMessage) UID() mailbox.UID        { return m.m.uid }
func (m fakeMessage) Flags() []string         { return m.m.flags }
func (m fakeMessage) InternalDate() time.Time { return time.Time{} }
func (m fakeMessage) Size() int64             { return int64(len(m.m.data)) }
func (m fakeMessage) ModSeq() uint64          { return 1 }
func (m fakeMessage) Open(ctx context.Context) (mailbox.Body, error) {
	if m.failOpen != nil {
		return nil, m.failOpen
	}
	return fakeBody{bytes.NewReader(m.m.data)}, nil
}

type fakeBody struct{ *bytes.Reader }

func (fakeBody) Close() error { return nil }
