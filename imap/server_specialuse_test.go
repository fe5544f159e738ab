package imap

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/postkit/postkit/mailbox"
)

// noAllStore is a store whose accounts refuse the \All special use,
// as the server of RFC 6154 5.3 does.
type noAllStore struct{ mailbox.Store }

func (s noAllStore) Account(ctx context.Context, user string) (mailbox.Account, error) {
	a, err := s.Store.Account(ctx, user)
	if err != nil {
		return nil, err
	}
	return noAllAccount{a}, nil
}

type noAllAccount struct{ mailbox.Account }

func (a noAllAccount) Create(ctx context.Context, name string, opts *mailbox.CreateOptions) error {
	if opts != nil && mailbox.HasFlag(opts.SpecialUse, mailbox.AttrAll) {
		return mailbox.ErrUseAttrUnsupported
	}
	return a.Account.Create(ctx, name, opts)
}

func TestCreateSpecialUseRFC6154Example(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.Store = noAllStore{s.Store} })
	c := ts.login(t)
	// RFC 6154 3: both capabilities.
	caps := strings.Fields(c.ok("t1 CAPABILITY")[0])
	assert.Contains(t, caps, "CREATE-SPECIAL-USE")
	assert.Contains(t, caps, "SPECIAL-USE")
	// RFC 6154 5.3.
	c.ok(`t2 CREATE MySpecial (USE (\Drafts \Sent))`)
	assert.Equal(t, []string{`t3 NO [USEATTR] Special-use attribute not supported`}, c.cmd(`t3 CREATE Everything (USE (\All))`))
	assert.Equal(t, []string{`* LIST (\HasNoChildren \Drafts \Sent) "/" MySpecial`}, c.ok(`t4 LIST (SPECIAL-USE) "" "*"`))
	// RFC 6154 3: no mailbox is created when the use is refused.
	assert.Equal(t, []string{`t5 NO [NONEXISTENT] No such mailbox`}, c.cmd(`t5 STATUS Everything (MESSAGES)`))
	assert.Equal(t, []string{`t6 NO [USEATTR] Special-use attribute not supported`}, c.cmd(`t6 CREATE Odd (USE (\Bogus))`))
	// An empty list is no special use.
	c.ok(`t7 CREATE Plain (USE ())`)
	assert.Equal(t, []string{`* LIST (\HasNoChildren) "/" Plain`}, c.ok(`t8 LIST "" Plain`))
}
