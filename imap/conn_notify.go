package imap

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// NOTIFY (RFC 5465). A session under NOTIFY SET has a deliverer
// goroutine that waits for changes to the account's mailboxes (a
// mailbox.AccountWatch) and, for SELECTED, to the selected mailbox, and
// reports them as they happen while no command is in progress: it
// takes the session's wmu, which the command loop gives up only while
// it waits for the next command (and while IDLE waits for DONE).
// Events are merged per mailbox by the watch, so a session that cannot
// keep up costs one pending event per mailbox at most; past the
// watch's bound it is told NOTIFICATIONOVERFLOW and NOTIFY ends.

// Message events, which SELECTED and SELECTED-DELAYED take and which a
// STATUS response reports for the other mailboxes.
const notifyMessageEvents = mailbox.EventMessageNew | mailbox.EventMessageExpunge | mailbox.EventFlagChange

// notifyEvents maps the event names, upper case, to kinds. The
// metadata events are supported when the account keeps annotations
// (RFC 5465 5.6, 5.7: then they are required); ServerMetadataChange is
// not about mailboxes and has no kind.
var notifyEvents = map[string]mailbox.EventKind{
	"MESSAGENEW":            mailbox.EventMessageNew,
	"MESSAGEEXPUNGE":        mailbox.EventMessageExpunge,
	"FLAGCHANGE":            mailbox.EventFlagChange,
	"MAILBOXNAME":           mailbox.EventMailboxName,
	"SUBSCRIPTIONCHANGE":    mailbox.EventSubscription,
	"MAILBOXMETADATACHANGE": mailbox.EventMetadata,
	"SERVERMETADATACHANGE":  0,
}

// notifyBadEvent returns the argument of BADEVENT: the events supported
// (RFC 5465 3.1).
func (c *conn) notifyBadEvent() string {
	if _, ok := c.acct.(mailbox.Metadataer); ok {
		return "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)"
	}
	return "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)"
}

// notifyState is one NOTIFY SET of a session. Its fields are the
// session's, guarded by the session's wmu.
type notifyState struct {
	// hasSel is set when SELECTED or SELECTED-DELAYED (delayed) was
	// given, with the message events sel and MessageNew's fetch
	// attributes.
	hasSel  bool
	delayed bool
	sel     mailbox.EventKind
	fetch   []FetchItem
	filters []notifyFilter
	// serverMeta is set when ServerMetadataChange was given (RFC 5465
	// 5.7), in any event group but SELECTED's.
	serverMeta bool

	watch *mailbox.AccountWatch
	// kick wakes the deliverer to look at the session again (a new
	// selected mailbox, IDLE).
	kick    chan struct{}
	stopped bool
}

// notifyFilter is one event group for mailboxes other than the
// selected one.
type notifyFilter struct {
	kind   string // INBOXES, PERSONAL, SUBSCRIBED, SUBTREE, MAILBOXES
	names  []string
	events mailbox.EventKind
}

// notifyCaps returns NOTIFY when the account can be watched.
func (c *conn) notifyCaps() []string {
	if _, ok := c.acct.(mailbox.AccountWatcher); ok {
		return []string{"NOTIFY"}
	}
	return nil
}

// cmdNotify answers NOTIFY (RFC 5465 3.1).
func (c *conn) cmdNotify(cmd *Command) bool {
	args := cmd.Args.(*NotifyCommand)
	if args.None {
		c.endNotify()
		return c.done(cmd, true)
	}
	aw, ok := c.acct.(mailbox.AccountWatcher)
	if !ok {
		c.tagged(cmd.Tag, StatusNO, "CANNOT", nil, "NOTIFY not supported for this account")
		return !c.broken
	}
	st, bad, unsupported := c.notifySet(args)
	if bad != "" {
		return c.bad(cmd.Tag, "", bad)
	}
	if unsupported {
		// RFC 5465 3.1: NO, not BAD, listing the supported events.
		c.tagged(cmd.Tag, StatusNO, "BADEVENT", c.notifyBadEvent(), "Unsupported event")
		return !c.broken
	}
	c.endNotify()
	st.watch = aw.WatchAccount()
	st.kick = make(chan struct{}, 1)
	c.ntf = st
	c.notifying.Store(true)
	if args.Status {
		if !c.notifyInitialStatus(st) {
			return false
		}
	}
	go c.notifyLoop(st)
	// RFC 5465 3.1: NOTIFY SET implies a NOOP.
	return c.done(cmd, true)
}

// notifySet checks a NOTIFY SET; bad is the text of a BAD answer, and
// unsupported says that an event is not supported (NO [BADEVENT]).
func (c *conn) notifySet(args *NotifyCommand) (st *notifyState, bad string, unsupported bool) {
	st = &notifyState{}
	_, hasMeta := c.acct.(mailbox.Metadataer)
	for _, g := range args.Groups {
		var kinds mailbox.EventKind
		var names []string
		for _, ev := range g.Events {
			up := strings.ToUpper(ev.Name)
			names = append(names, up)
			k, ok := notifyEvents[up]
			if !ok || !hasMeta && (up == "MAILBOXMETADATACHANGE" || up == "SERVERMETADATACHANGE") {
				unsupported = true
			}
			kinds |= k
			if len(ev.Fetch) > 0 {
				// RFC 5465 8: the fetch attributes only for SELECTED.
				if g.Filter != "SELECTED" && g.Filter != "SELECTED-DELAYED" {
					return nil, "MessageNew fetch attributes need SELECTED", false
				}
				for _, it := range ev.Fetch {
					if it.Section != nil {
						if err := checkSection(it.Section); err != nil {
							return nil, err.Error(), false
						}
					}
				}
				st.fetch = ev.Fetch
			}
		}
		// RFC 5465 5: MessageNew and MessageExpunge together, and with
		// FlagChange and AnnotationChange.
		hasNew, hasExp := slices.Contains(names, "MESSAGENEW"), slices.Contains(names, "MESSAGEEXPUNGE")
		if hasNew != hasExp {
			return nil, "MessageNew and MessageExpunge must be given together", false
		}
		if (slices.Contains(names, "FLAGCHANGE") || slices.Contains(names, "ANNOTATIONCHANGE")) && !hasNew {
			return nil, "FlagChange and AnnotationChange need MessageNew and MessageExpunge", false
		}
		switch g.Filter {
		case "SELECTED", "SELECTED-DELAYED":
			// RFC 5465 6.1: one of them, with message events only.
			if st.hasSel {
				return nil, "Only one of SELECTED and SELECTED-DELAYED", false
			}
			for _, n := range names {
				switch n {
				case "MESSAGENEW", "MESSAGEEXPUNGE", "FLAGCHANGE", "ANNOTATIONCHANGE":
				default:
					return nil, "Only message events for " + g.Filter, false
				}
			}
			st.hasSel, st.delayed, st.sel = true, g.Filter == "SELECTED-DELAYED", kinds
		default:
			if slices.Contains(names, "SERVERMETADATACHANGE") {
				st.serverMeta = true
			}
			f := notifyFilter{kind: g.Filter, events: kinds}
			for _, m := range g.Mailboxes {
				name, err := c.mailboxName(m)
				if err != nil {
					return nil, "Bad mailbox name", false
				}
				f.names = append(f.names, canonInbox(name))
			}
			st.filters = append(st.filters, f)
		}
	}
	return st, "", unsupported
}

// canonInbox spells INBOX, which is case-insensitive, in capitals.
func canonInbox(name string) string {
	if strings.EqualFold(name, mailbox.Inbox) {
		return mailbox.Inbox
	}
	if len(name) > len(mailbox.Inbox) && name[len(mailbox.Inbox)] == mailbox.Delimiter && strings.EqualFold(name[:len(mailbox.Inbox)], mailbox.Inbox) {
		return mailbox.Inbox + name[len(mailbox.Inbox):]
	}
	return name
}

// endNotify ends the NOTIFY in effect, if any (RFC 5465 3.1: NOTIFY
// NONE, a new NOTIFY SET; 5.8: overflow). The deliverer sees stopped
// when it next takes wmu, and leaves.
func (c *conn) endNotify() {
	st := c.ntf
	if st == nil {
		return
	}
	c.ntf = nil
	c.notifying.Store(false)
	st.stopped = true
	st.watch.Stop()
	select {
	case st.kick <- struct{}{}:
	default:
	}
}

// pokeNotify wakes the deliverer, before the session waits for a
// command, to watch what the command may have changed (the selected
// mailbox).
func (c *conn) pokeNotify() {
	if st := c.ntf; st != nil {
		select {
		case st.kick <- struct{}{}:
		default:
		}
	}
}

// notifyLoop is the deliverer of st.
func (c *conn) notifyLoop(st *notifyState) {
	for {
		c.wmu.Lock()
		if st.stopped {
			c.wmu.Unlock()
			return
		}
		var sel <-chan struct{}
		if c.sel != nil && c.notifySelectedNow(st) {
			sel = c.sel.mbox.Updates()
		}
		c.wmu.Unlock()
		select {
		case <-st.kick:
		case <-st.watch.Events():
		case <-sel:
		case <-c.ctx.Done():
			return
		}
		c.wmu.Lock()
		if st.stopped {
			c.wmu.Unlock()
			return
		}
		if c.broken {
			c.wmu.Unlock()
			return
		}
		ok := c.notifyDeliver(st)
		if ok {
			ok = c.flush() == nil
		}
		c.wmu.Unlock()
		if !ok {
			// The command loop is reading: closing ends it.
			c.mu.Lock()
			c.nc.Close()
			c.mu.Unlock()
			return
		}
	}
}

// notifySelectedNow reports whether the selected mailbox's changes go
// out now, with no command in progress: under SELECTED, and under
// SELECTED-DELAYED during IDLE (RFC 5465 6.1.2: expunges wait for a
// command that allows them; the other events may too).
func (c *conn) notifySelectedNow(st *notifyState) bool {
	return st.hasSel && st.sel != 0 && (!st.delayed || c.idling)
}

// notifyDeliver reports what is pending; it reports false when the
// session must end.
func (c *conn) notifyDeliver(st *notifyState) bool {
	if c.sel != nil && c.notifySelectedNow(st) {
		if !c.update(true) {
			return false
		}
		if c.broken {
			return false
		}
	}
	evs, err := st.watch.Poll()
	if errors.Is(err, mailbox.ErrUpdatesLost) {
		// RFC 5465 5.8: as if NOTIFY NONE.
		c.endNotify()
		c.untaggedOK("NOTIFICATIONOVERFLOW", nil, "Too many changes; NOTIFY is off")
		return !c.broken
	}
	c.notifyEvents(st, evs)
	return !c.broken
}

// notifyEvents reports the events of other mailboxes.
func (c *conn) notifyEvents(st *notifyState, evs []mailbox.MailboxEvent) {
	if len(evs) == 0 {
		return
	}
	var subs map[string]bool
	subscribed := func() map[string]bool {
		if subs == nil {
			subs = map[string]bool{}
			list, _ := c.acct.Subscriptions(c.ctx)
			for _, n := range list {
				subs[canonInbox(n)] = true
			}
		}
		return subs
	}
	for _, ev := range evs {
		if ev.Name == "" {
			// The account's own annotations (RFC 5465 5.7).
			if ev.Kinds&mailbox.EventMetadata != 0 && st.serverMeta {
				c.writeMetadataNames("", ev.Entries)
			}
			continue
		}
		mask := st.match(ev.Name, subscribed)
		msg := ev.Kinds & mask & notifyMessageEvents
		if c.sel != nil && c.sel.name == ev.Name {
			// RFC 5465 3.1: SELECTED rules the selected mailbox.
			msg = 0
		}
		if msg != 0 {
			c.notifyStatus(ev.Name)
		}
		name := ev.Kinds&mask&mailbox.EventMailboxName != 0
		if !name && ev.OldName != "" && ev.Kinds&mailbox.EventMailboxName != 0 {
			name = st.match(ev.OldName, subscribed)&mailbox.EventMailboxName != 0
		}
		sub := ev.Kinds&mask&mailbox.EventSubscription != 0
		if name || sub {
			c.notifyList(ev, subscribed()[ev.Name])
		}
		if ev.Kinds&mask&mailbox.EventMetadata != 0 && len(ev.Entries) > 0 {
			// RFC 5465 5.6: the names of the changed entries, the
			// removed ones included; in responses of bounded size.
			c.writeMetadataNames(c.wireName(ev.Name), ev.Entries)
		}
	}
}

// match returns the events the filters ask about for the mailbox name.
func (st *notifyState) match(name string, subscribed func() map[string]bool) mailbox.EventKind {
	var k mailbox.EventKind
	for _, f := range st.filters {
		if k|f.events == k {
			continue
		}
		ok := false
		switch f.kind {
		case "INBOXES", "PERSONAL":
			// RFC 5465 6.3: inboxes is personal when the server cannot
			// tell; there is one namespace, the personal one.
			ok = true
		case "SUBSCRIBED":
			ok = subscribed()[name]
		case "SUBTREE":
			ok = slices.ContainsFunc(f.names, func(n string) bool {
				return name == n || strings.HasPrefix(name, n+string(mailbox.Delimiter))
			})
		case "MAILBOXES":
			// RFC 5465 6.6: no wildcards.
			ok = slices.Contains(f.names, name)
		}
		if ok {
			k |= f.events
		}
	}
	return k
}

// notifyStatusItems are the STATUS items sent for message events in
// another mailbox (RFC 5465 5.2, 5.3), HIGHESTMODSEQ added once the
// client is CONDSTORE-aware.
var notifyStatusItems = []string{"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"}

// notifyStatus sends the STATUS of a mailbox, if it is there still.
func (c *conn) notifyStatus(name string) {
	items := notifyStatusItems
	if c.condStore {
		items = append(slices.Clip(items), "HIGHESTMODSEQ")
	}
	sd, err := c.status(name, items)
	if err != nil {
		return // gone meanwhile; a MailboxName event says so
	}
	c.write(sd)
}

// notifyList sends the LIST response of a MailboxName or
// SubscriptionChange event (RFC 5465 5.4, 5.5).
func (c *conn) notifyList(ev mailbox.MailboxEvent, subscribed bool) {
	infos, err := c.acct.Mailboxes(c.ctx)
	if err != nil {
		return
	}
	var ld *ListData
	if slices.ContainsFunc(infos, func(in mailbox.MailboxInfo) bool { return in.Name == ev.Name }) {
		ld = c.selectList(ev.Name)
	} else {
		ld = &ListData{Attrs: []string{`\NonExistent`}, Delim: string(mailbox.Delimiter), Mailbox: c.wireName(ev.Name)}
	}
	if subscribed && !hasAttr(ld.Attrs, `\Subscribed`) {
		ld.Attrs = append(ld.Attrs, `\Subscribed`)
	}
	if ev.OldName != "" {
		ld.OldName = c.wireName(ev.OldName)
	}
	c.write(ld)
}

// notifyInitialStatus sends the STATUS of each mailbox other than the
// selected one that message events are asked for (RFC 5465 3.1).
func (c *conn) notifyInitialStatus(st *notifyState) bool {
	infos, err := c.acct.Mailboxes(c.ctx)
	if err != nil {
		return true
	}
	var subs map[string]bool
	subscribed := func() map[string]bool {
		if subs == nil {
			subs = map[string]bool{}
			list, _ := c.acct.Subscriptions(c.ctx)
			for _, n := range list {
				subs[canonInbox(n)] = true
			}
		}
		return subs
	}
	for _, in := range infos {
		if hasAttr(in.Attrs, mailbox.AttrNoSelect) || c.sel != nil && c.sel.name == in.Name {
			continue
		}
		if st.match(in.Name, subscribed)&notifyMessageEvents != 0 {
			c.notifyStatus(in.Name)
		}
	}
	return !c.broken
}

// noteOwnNew notes the messages uids the session put in the mailbox
// named name, if it is the selected one (see conn.ownNew).
func (c *conn) noteOwnNew(name string, uids []mailbox.UID) {
	if c.sel != nil && c.sel.name == name {
		c.ownNew = uidSet(uids)
	}
}

// notifyNewMessages sends the FETCH responses NOTIFY asks for new
// messages in the selected mailbox (RFC 5465 5.2), after the EXISTS of
// a Poll's updates.
func (c *conn) notifyNewMessages(ups []mailbox.Update) {
	extra := c.ctxFetch
	c.ctxFetch = nil
	if !c.notifyFetches() {
		return
	}
	st := c.ntf
	var uids []mailbox.UID
	for _, u := range ups {
		// RFC 5465 5.2: none for the session's own new messages.
		if u.Kind == mailbox.UpdateAppended && c.sel.seqOf(u.UID) != 0 && !c.ownNew.Contains(u.UID) {
			uids = append(uids, u.UID)
		}
	}
	// The attributes of UPDATE contexts for the same messages go in
	// the same FETCH (RFC 5465 5.2: combined, no data twice). The
	// messages are fetched in order, runs of them with the same
	// attributes at once.
	var run []mailbox.UID
	var runItems []FetchItem
	flush := func() {
		if len(run) > 0 {
			c.fetchUnsolicited(run, runItems)
		}
		run = run[:0]
	}
	for _, u := range uids {
		items := st.fetch
		if more, ok := extra[u]; ok {
			delete(extra, u)
			items = addFetchItems(slices.Clone(st.fetch), more)
		}
		if len(run) > 0 && !slices.EqualFunc(items, runItems, sameFetchItem) {
			flush()
		}
		run, runItems = append(run, u), items
	}
	flush()
	// Those NOTIFY does not fetch get the contexts' own.
	for _, u := range slices.Sorted(maps.Keys(extra)) {
		c.fetchUnsolicited([]mailbox.UID{u}, extra[u])
	}
}

// notifyFetches reports whether NOTIFY fetches the new messages of the
// selected mailbox (MessageNew with fetch attributes, RFC 5465 5.2).
func (c *conn) notifyFetches() bool {
	st := c.ntf
	return st != nil && len(st.fetch) > 0 && st.sel&mailbox.EventMessageNew != 0
}
