package imap

import (
	"errors"
	"reflect"
	"slices"

	"github.com/postkit/postkit/mailbox"
)

// RFC 5465 7: with NOTIFY, the UPDATE return option of SEARCH and SORT
// may carry fetch attributes, "UPDATE (UID BODY[HEADER])": each new
// message the context's result gains is then sent in a FETCH response
// with them, after its EXISTS and before the ESEARCH ADDTO. A message
// that joins the result because its flags changed is not fetched.

// checkUpdateFetch checks the fetch attributes of UPDATE; it returns
// the text of a BAD answer when they are not valid.
func checkUpdateFetch(items []FetchItem) string {
	for _, it := range items {
		if it.Section != nil {
			if err := checkSection(it.Section); err != nil {
				return err.Error()
			}
		}
	}
	return ""
}

// newContext returns the context of a searching command with UPDATE,
// holding result and the fetch attributes of UPDATE, if any.
func (c *conn) newContext(cmd *Command, crit *mailbox.SearchCriteria, fetch []FetchItem, result []mailbox.UID) *searchContext {
	return &searchContext{tag: cmd.Tag, uid: cmd.UID, crit: crit, result: result, fetch: fetch, known: c.sel.maxUID()}
}

// contextFetch sends the FETCH responses of RFC 5465 7 for the messages
// of add newer than the context has seen, and notes that it has seen
// every message the session knows.
func (c *conn) contextFetch(sc *searchContext, add []mailbox.UID) {
	known := sc.known
	sc.known = max(sc.known, c.sel.maxUID())
	if len(sc.fetch) == 0 {
		return
	}
	var uids []mailbox.UID
	for _, u := range add {
		// RFC 5465 5.2: none for the session's own new messages.
		if u > known && !c.ownNew.Contains(u) {
			uids = append(uids, u)
		}
	}
	if len(uids) == 0 {
		return
	}
	if c.notifyFetches() {
		// RFC 5465 5.2: NOTIFY's FETCH of the same new messages
		// carries these attributes too, one FETCH a message, after
		// the ADDTO (notifyNewMessages).
		if c.ctxFetch == nil {
			c.ctxFetch = make(map[mailbox.UID][]FetchItem)
		}
		for _, u := range uids {
			c.ctxFetch[u] = addFetchItems(c.ctxFetch[u], sc.fetch)
		}
		return
	}
	c.fetchUnsolicited(uids, sc.fetch)
}

// addFetchItems returns items with those of more it lacks.
func addFetchItems(items, more []FetchItem) []FetchItem {
	for _, m := range more {
		if !slices.ContainsFunc(items, func(it FetchItem) bool { return sameFetchItem(it, m) }) {
			items = append(items, m)
		}
	}
	return items
}

// sameFetchItem reports whether a and b ask for the same data.
func sameFetchItem(a, b FetchItem) bool {
	return reflect.DeepEqual(a, b)
}

// fetchUnsolicited sends FETCH responses with items for the messages
// uids, as NOTIFY (RFC 5465 5.2) and UPDATE (RFC 5465 7) ask for new
// messages. No command asked for them, so a message that cannot be
// fetched (an unknown transfer encoding for BINARY, say) is left out
// and the others still go; only a broken connection stops it.
func (c *conn) fetchUnsolicited(uids []mailbox.UID, items []FetchItem) {
	cmd := &Command{Name: "FETCH", UID: true, Args: &FetchCommand{Items: items}}
	err := c.sel.mbox.Fetch(c.ctx, uidSet(uids), func(m mailbox.Message) error {
		err := c.fetchOne(cmd, items, m, false)
		if err != nil && !errors.Is(err, errStop) {
			c.log().Debug("imap: unsolicited FETCH left out", "uid", m.UID(), "err", err)
			return nil
		}
		return err
	})
	if err != nil && !c.broken {
		c.log().Error("imap: unsolicited FETCH", "err", err)
	}
}
