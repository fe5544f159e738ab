package imap

import (
	"bufio"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

func newDec(s string) *Decoder { return NewDecoder(bufio.NewReader(strings.NewReader(s))) }

// encode runs f on an Encoder over a buffer and returns what it wrote.
func encode(t testing.TB, f func(e *Encoder) error) (string, error) {
	t.Helper()
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	e := NewEncoder(w)
	err := f(e)
	if ferr := e.Flush(); err == nil {
		err = ferr
	}
	return sb.String(), err
}

func formatCommand(t testing.TB, c *Command) string {
	t.Helper()
	s, err := encode(t, func(e *Encoder) error { return WriteCommand(e, c) })
	require.NoError(t, err)
	return s
}

func formatResponse(t testing.TB, r Response) string {
	t.Helper()
	s, err := encode(t, func(e *Encoder) error { return WriteResponse(e, r) })
	require.NoError(t, err)
	return s
}

// wrapStore is a store whose accounts open their mailboxes through
// wrap: a test plays with it a store that lacks an optional interface
// or fails in a given way. Its accounts, and the mailboxes wrap
// returns, have none of the optional interfaces they do not declare.
type wrapStore struct {
	mailbox.Store
	wrap func(mailbox.Mailbox) mailbox.Mailbox
}

func (s wrapStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	a, err := s.Store.Account(ctx, user)
	if err != nil {
		return nil, err
	}
	return wrapAccount{a, s.wrap}, nil
}

type wrapAccount struct {
	mailbox.Account
	wrap func(mailbox.Mailbox) mailbox.Mailbox
}

func (a wrapAccount) Open(ctx context.Context, name string, opts *mailbox.OpenOptions) (mailbox.Mailbox, error) {
	m, err := a.Account.Open(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	return a.wrap(m), nil
}

// plainStore hides the optional interfaces of its mailboxes, so that
// the server uses its fallbacks (RFC 7162 5.1 for VANISHED, REPLACE by
// APPEND and UID EXPUNGE).
func plainStore(st mailbox.Store) mailbox.Store {
	return wrapStore{st, func(m mailbox.Mailbox) mailbox.Mailbox { return plainMailbox{m} }}
}

type plainMailbox struct{ mailbox.Mailbox }
