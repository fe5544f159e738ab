package imap

import (
	"context"
	"regexp"

	"github.com/postkit/postkit/mailbox"
)

// validObjectID matches an RFC 8474 objectid; a store's ids that do not
// match are not sent.
var validObjectID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// objectIDs returns the object identifiers of m (RFC 8474 5): the
// store's (mailbox.ObjectIDer) or, for a store without them, computed
// from the message's octets (mailbox.ReadObjectIDs).
func objectIDs(ctx context.Context, m mailbox.Message, open func() (mailbox.Body, error)) (mailbox.ObjectIDs, error) {
	if o, ok := m.(mailbox.ObjectIDer); ok {
		return o.ObjectIDs(ctx)
	}
	b, err := open()
	if err != nil {
		return mailbox.ObjectIDs{}, err
	}
	return mailbox.ReadObjectIDs(b)
}

// fetchObjectIDs sets EMAILID or THREADID (item) in fd (RFC 8474 5.3);
// a THREADID the store does not give is NIL.
func (c *conn) fetchObjectIDs(fd *FetchData, item string, m mailbox.Message, open func() (mailbox.Body, error)) error {
	ids, err := objectIDs(c.ctx, m, open)
	if err != nil {
		return err
	}
	if item == FetchEmailID {
		if !validObjectID.MatchString(ids.EmailID) {
			c.log().Error("imap: store gave an invalid EMAILID", "uid", m.UID(), "id", ids.EmailID)
			return &cmdError{typ: StatusNO, code: "SERVERBUG", text: "No EMAILID"}
		}
		fd.EmailID = ids.EmailID
		return nil
	}
	if !validObjectID.MatchString(ids.ThreadID) {
		fd.ThreadID = &NString{IsNil: true}
		return nil
	}
	fd.ThreadID = &NString{Value: ids.ThreadID}
	return nil
}

// createDone completes a CREATE with the new mailbox's MAILBOXID
// (RFC 8474 4.1) when the store gives one.
func (c *conn) createDone(cmd *Command, name string) bool {
	st, err := c.acct.Status(c.ctx, name)
	if err != nil || !validObjectID.MatchString(st.MailboxID) {
		return c.done(cmd, true)
	}
	if !c.update(true) {
		return false
	}
	c.tagged(cmd.Tag, StatusOK, "MAILBOXID", "("+st.MailboxID+")", "CREATE completed")
	return true
}

// addObjectIDKey ANDs an EMAILID or THREADID search key into c (RFC
// 8474 6) as the set of the messages whose id is exactly k.Value
// (case-sensitive). THREADID matches nothing in a store without thread
// ids.
func addObjectIDKey(c *mailbox.SearchCriteria, k *SearchKey, r searchResolver) error {
	ar, ok := r.(attrResolver)
	if !ok {
		return searchInvalid("%s not supported here", k.Op)
	}
	set, err := ar.MatchUIDs(func(ctx context.Context, m mailbox.Message) (bool, error) {
		ids, err := objectIDs(ctx, m, func() (mailbox.Body, error) { return m.Open(ctx) })
		if err != nil {
			return false, err
		}
		if k.Op == "EMAILID" {
			return ids.EmailID == k.Value, nil
		}
		return ids.ThreadID != "" && ids.ThreadID == k.Value, nil
	})
	if err != nil {
		return err
	}
	c.UID = append(c.UID, set)
	return nil
}
