package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox"
)

// fetchIMAP copies the messages of c.mailbox that are newer than the last
// UID fetched into inbox, one at a time, oldest first, and records each
// one's UID in the state once it is on disk.
//
// The state is only good while the mailbox's UIDVALIDITY stays the same
// (RFC 9051 2.3.1.1); when the server gives another one the UIDs mean
// nothing any more and the whole mailbox is fetched again.
func fetchIMAP(ctx context.Context, c *config, inbox mailbox.Mailbox, st *state) error {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	opts := &imap.ClientOptions{TLSConfig: c.tlsConfig()}
	var cl *imap.Client
	var err error
	switch {
	case c.implicit:
		cl, err = imap.DialTLS(cctx, c.addr, opts)
	case c.startTLS:
		cl, err = imap.DialStartTLS(cctx, c.addr, opts)
	default:
		cl, err = imap.Dial(cctx, c.addr, opts)
	}
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", c.addr, err)
	}
	defer cl.Close()
	if err := cl.Login(cctx, c.user, c.pass); err != nil {
		return fmt.Errorf("login: %w", err)
	}

	// Without -seen, EXAMINE: the session cannot change the mailbox, and
	// BODY.PEEK[] leaves \Seen alone. With -seen, SELECT and BODY[],
	// which sets \Seen (RFC 9051 6.4.5).
	open := cl.Examine
	if c.seen {
		open = cl.Select
	}
	sel, err := open(ctx, c.mailbox, nil)
	if err != nil {
		return fmt.Errorf("opening %s: %w", c.mailbox, err)
	}
	e := st.entry(c.stateKey())
	if e.UIDValidity != sel.UIDValidity {
		if e.UIDValidity != 0 {
			fmt.Fprintf(c.out, "%s: UIDVALIDITY changed from %d to %d: fetching every message again\n",
				c.mailbox, e.UIDValidity, sel.UIDValidity)
		}
		e.UIDValidity, e.LastUID = sel.UIDValidity, 0
	}

	var todo []*imap.FetchData
	if sel.Exists > 0 {
		// "n:*" also matches the last message when its UID is below n
		// (RFC 9051 6.4.9), hence the filter.
		list, err := cl.UIDFetch(ctx, imap.SeqSet{Ranges: []imap.SeqRange{{Start: e.LastUID + 1, Stop: imap.Star}}},
			[]imap.FetchItem{{Name: imap.FetchUID}, {Name: imap.FetchFlags}, {Name: imap.FetchInternalDate}}, nil)
		if err != nil {
			return fmt.Errorf("listing new messages: %w", err)
		}
		for _, m := range list {
			if m.UID > e.LastUID {
				todo = append(todo, m)
			}
		}
		slices.SortFunc(todo, func(a, b *imap.FetchData) int { return cmp.Compare(a.UID, b.UID) })
	}

	body := imap.FetchItem{Name: imap.FetchBody, Peek: !c.seen, Section: &imap.Section{}}
	fetched := 0
	for _, m := range todo {
		got := false
		err := cl.UIDFetchStream(ctx, imap.SeqSetOf(m.UID), []imap.FetchItem{body}, nil, imap.FetchHandler{
			Body: func(_ uint32, _ imap.FetchItem, _ int64, r io.Reader) error {
				if got { // a server that sends the section twice
					return nil
				}
				got = true
				_, err := inbox.Append(ctx, r, &mailbox.AppendOptions{
					Flags:        localFlags(m.Flags, c.seen),
					InternalDate: m.InternalDate,
				})
				return err
			},
		})
		if err != nil {
			return fmt.Errorf("fetching UID %d: %w", m.UID, err)
		}
		// A message expunged since the listing sends no body: it is
		// skipped, and not fetched again.
		e.LastUID = m.UID
		if err := st.save(); err != nil {
			return err
		}
		if got {
			fetched++
		}
	}
	if err := st.save(); err != nil { // a new UIDVALIDITY, even with nothing to fetch
		return err
	}
	fmt.Fprintf(c.out, "%s: %d new message(s) fetched into %s\n", c.mailbox, fetched, c.maildir)
	return cl.Logout(ctx)
}

// localFlags returns the flags the local copy takes from the server's:
// \Seen, \Answered, \Flagged and \Draft. Not \Recent, which nobody may
// set, nor \Deleted, which would have the next mail reader expunge the
// copy, nor keywords, of which a Maildir folder holds only 26. seen adds
// \Seen, which BODY[] has just set on the server.
func localFlags(remote []string, seen bool) []string {
	var out []string
	for _, f := range []string{mailbox.FlagSeen, mailbox.FlagAnswered, mailbox.FlagFlagged, mailbox.FlagDraft} {
		has := slices.ContainsFunc(remote, func(r string) bool { return strings.EqualFold(r, f) })
		if has || (seen && f == mailbox.FlagSeen) {
			out = append(out, f)
		}
	}
	return out
}
