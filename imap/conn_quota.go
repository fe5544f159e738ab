package imap

import (
	"errors"
	"slices"

	"github.com/postkit/postkit/mailbox"
)

// quotaCaps lists the QUOTA capabilities (RFC 9208 1, 5): QUOTA with
// the STORAGE and MESSAGE resources when the account is a
// mailbox.Quotaer, QUOTASET when it is a mailbox.QuotaSetter too.
func (c *conn) quotaCaps() []string {
	if _, ok := c.acct.(mailbox.Quotaer); !ok {
		return nil
	}
	caps := []string{"QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE"}
	if _, ok := c.acct.(mailbox.QuotaSetter); ok {
		caps = append(caps, "QUOTASET")
	}
	return caps
}

// cmdQuota answers GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208 4.1).
// Every mailbox of the account, existing or not (4.1.2), is under all
// of the account's quota roots.
func (c *conn) cmdQuota(cmd *Command) bool {
	q, ok := c.acct.(mailbox.Quotaer)
	if !ok {
		c.tagged(cmd.Tag, StatusNO, "CANNOT", nil, "Quotas not supported")
		return true
	}
	if cmd.Name == "SETQUOTA" {
		return c.setQuota(cmd, q)
	}
	roots, err := q.QuotaRoots(c.ctx)
	if err != nil {
		return c.fail(cmd, err)
	}
	switch cmd.Name {
	case "GETQUOTA":
		args := cmd.Args.(*QuotaCommand)
		i := slices.IndexFunc(roots, func(r mailbox.QuotaRoot) bool { return r.Name == args.Root })
		if i < 0 {
			// RFC 9208 4.1.1: NO for no such quota root.
			c.tagged(cmd.Tag, StatusNO, "NONEXISTENT", nil, "No such quota root")
			return true
		}
		c.write(quotaData(roots[i]))
	case "GETQUOTAROOT":
		args := cmd.Args.(*MailboxCommand)
		name, err := c.mailboxName(args.Mailbox)
		if err != nil {
			return c.fail(cmd, err)
		}
		qr := &QuotaRootData{Mailbox: c.wireName(name), Roots: []string{}}
		for _, r := range roots {
			qr.Roots = append(qr.Roots, r.Name)
		}
		c.write(qr)
		for _, r := range roots {
			c.write(quotaData(r))
		}
	}
	return c.done(cmd, true)
}

// setQuota answers SETQUOTA (RFC 9208 4.1.3): the new limits replace
// all the old ones, and the QUOTA response shows them.
func (c *conn) setQuota(cmd *Command, q mailbox.Quotaer) bool {
	args := cmd.Args.(*QuotaCommand)
	qs, ok := q.(mailbox.QuotaSetter)
	if !ok {
		c.tagged(cmd.Tag, StatusNO, "CANNOT", nil, "Quota limits cannot be changed")
		return true
	}
	limits := make(map[string]uint64, len(args.Limits))
	for _, l := range args.Limits {
		limits[l.Name] = l.Limit
	}
	err := qs.SetQuota(c.ctx, args.Root, limits)
	switch {
	case errors.Is(err, mailbox.ErrInvalidName):
		c.tagged(cmd.Tag, StatusNO, "NONEXISTENT", nil, "No such quota root")
		return true
	case errors.Is(err, mailbox.ErrNotAllowed):
		c.tagged(cmd.Tag, StatusNO, "CANNOT", nil, "Cannot set these limits")
		return true
	case err != nil:
		return c.fail(cmd, err)
	}
	roots, err := q.QuotaRoots(c.ctx)
	if err != nil {
		return c.fail(cmd, err)
	}
	for _, r := range roots {
		if r.Name == args.Root {
			c.write(quotaData(r))
		}
	}
	return c.done(cmd, true)
}

func quotaData(r mailbox.QuotaRoot) *QuotaData {
	qd := &QuotaData{Root: r.Name, Resources: []QuotaResource{}}
	for _, res := range r.Resources {
		qd.Resources = append(qd.Resources, QuotaResource{Name: res.Name, Usage: res.Usage, Limit: res.Limit})
	}
	return qd
}

// deletedStorage is STATUS DELETED-STORAGE (RFC 9208 4.1.4): the sum
// of the sizes of the messages with \Deleted, which RFC 9208 allows in
// place of the exact space an EXPUNGE would free.
func (c *conn) deletedStorage(name string) (uint64, error) {
	m, err := c.acct.Open(c.ctx, name, &mailbox.OpenOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer m.Close()
	st, err := m.Status(c.ctx)
	if err != nil || st.Deleted == 0 {
		return 0, err
	}
	var all mailbox.UIDSet
	all.AddRange(1, st.UIDNext)
	var n uint64
	err = m.Fetch(c.ctx, all, func(msg mailbox.Message) error {
		if slices.Contains(msg.Flags(), mailbox.FlagDeleted) {
			n += uint64(msg.Size())
		}
		return nil
	})
	return n, err
}

// warnSoftQuota follows a command that added messages to the account
// (APPEND, COPY, MOVE, REPLACE): when the store let them in although
// the account is now over one of its limits (a soft quota; a maildir
// store checks usage without a lock, so appends that race can take it
// over), the client is told with an untagged NO [OVERQUOTA] before the
// command's OK (RFC 9208 4.3.1, examples 2 and 3).
func (c *conn) warnSoftQuota() {
	q, ok := c.acct.(mailbox.Quotaer)
	if !ok {
		return
	}
	roots, err := q.QuotaRoots(c.ctx)
	if err != nil {
		return
	}
	for _, r := range roots {
		for _, res := range r.Resources {
			if res.Usage > res.Limit {
				c.write(&StatusResponse{Type: StatusNO, Code: "OVERQUOTA", Text: "Soft quota has been exceeded"})
				return
			}
		}
	}
}
