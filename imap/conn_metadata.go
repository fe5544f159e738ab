package imap

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/postkit/postkit/mailbox"
)

const (
	// DefaultMaxMetadataSize bounds one annotation's value: RFC 5464
	// 4.1 asks for 1024 octets at least; a note of a few pages fits.
	DefaultMaxMetadataSize = 64 << 10
	// DefaultMaxMetadataEntries bounds the annotations of one mailbox
	// or of the server: RFC 5464 4.1 asks for 10 at least.
	DefaultMaxMetadataEntries = 100
	// MaxMetadataEntryName bounds an entry name, in octets. RFC 5464
	// sets no limit; the names it and its registry define are under 40
	// octets and vendor names a few dozen more, so 1024 leaves ample
	// room while keeping a hostile name (a literal of up to
	// DefaultMaxStringLiteral) out of the store, of every watch's
	// pending events and of every METADATA response that names it.
	// (Dovecot checks no length in IMAP; its SQL dictionary schema
	// keeps names in a VARCHAR(255).) A longer name is BAD, as an
	// invalid one is (RFC 5464 3.2).
	MaxMetadataEntryName = 1024
)

// storeCaps lists the capabilities that depend on the account's
// backend: METADATA and METADATA-SERVER (RFC 5464 1) when it is a
// mailbox.Metadataer, and QUOTA (RFC 9208) when it is a
// mailbox.Quotaer (conn_quota.go).
func (c *conn) storeCaps() []string {
	if c.acct == nil {
		return nil
	}
	var caps []string
	if _, ok := c.acct.(mailbox.Metadataer); ok {
		caps = append(caps, "METADATA", "METADATA-SERVER")
	}
	return append(caps, c.quotaCaps()...)
}

// metadataer returns the account as a mailbox.Metadataer, or answers
// NO when it is not one.
func (c *conn) metadataer(cmd *Command) (mailbox.Metadataer, bool) {
	md, ok := c.acct.(mailbox.Metadataer)
	if !ok {
		c.tagged(cmd.Tag, StatusNO, "CANNOT", nil, "Annotations not supported")
	}
	return md, ok
}

// metadataMailbox decodes the mailbox argument of GETMETADATA and
// SETMETADATA: "" is the server (RFC 5464 4.1).
func (c *conn) metadataMailbox(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	return c.mailboxName(name)
}

// validEntry checks an entry name (RFC 5464 3.2): "/private/..." or
// "/shared/..." with no empty component, no "*" or "%", ASCII without
// controls, and no longer than MaxMetadataEntryName; it returns it in
// lower case (entry names are case-insensitive).
func validEntry(name string) (string, bool) {
	if len(name) > MaxMetadataEntryName {
		return "", false
	}
	n := strings.ToLower(name)
	if !strings.HasPrefix(n, "/private/") && !strings.HasPrefix(n, "/shared/") {
		return "", false
	}
	if strings.HasSuffix(n, "/") || strings.Contains(n, "//") {
		return "", false
	}
	for i := 0; i < len(n); i++ {
		if b := n[i]; b <= 0x19 || b >= 0x7f || b == '*' || b == '%' {
			return "", false
		}
	}
	return n, true
}

// cmdGetMetadata answers GETMETADATA (RFC 5464 4.2) with one METADATA
// response: each entry asked for, NIL when it has no value, and with
// DEPTH those below it (4.2.2); values over MAXSIZE are left out and
// the largest of them is reported in [METADATA LONGENTRIES] (4.2.1).
func (c *conn) cmdGetMetadata(cmd *Command) bool {
	args := cmd.Args.(*GetMetadataCommand)
	md, ok := c.metadataer(cmd)
	if !ok {
		return true
	}
	entries := make([]string, len(args.Entries))
	for i, e := range args.Entries {
		n, ok := validEntry(e)
		if !ok {
			// RFC 5464 3.2: an invalid entry name is BAD.
			return c.bad(cmd.Tag, "", "Invalid entry name")
		}
		entries[i] = n
	}
	name, err := c.metadataMailbox(args.Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	all, err := md.Metadata(c.ctx, name)
	if err != nil {
		return c.fail(cmd, err)
	}
	if name != "" && slices.ContainsFunc(entries, func(e string) bool {
		return e == mailbox.SpecialUseEntry || args.Depth != 0 && strings.HasPrefix(mailbox.SpecialUseEntry, e+"/")
	}) {
		// RFC 6154 4: the special uses, as LIST shows them.
		use, err := c.specialUseOf(name)
		if err != nil {
			return c.fail(cmd, err)
		}
		delete(all, mailbox.SpecialUseEntry)
		if len(use) > 0 {
			if all == nil {
				all = make(map[string]string, 1)
			}
			all[mailbox.SpecialUseEntry] = strings.Join(use, " ")
		}
	}
	var out []MetadataEntry
	seen := make(map[string]bool)
	var long int
	add := func(k string, v string, isNil bool) {
		if seen[k] {
			return
		}
		seen[k] = true
		if args.HasMaxSize && !isNil && len(v) > int(args.MaxSize) {
			long = max(long, len(v))
			return
		}
		out = append(out, MetadataEntry{Name: k, Value: v, IsNil: isNil})
	}
	for _, e := range entries {
		var keys []string
		if args.Depth != 0 {
			for k := range all {
				rest, ok := strings.CutPrefix(k, e+"/")
				if ok && (args.Depth < 0 || !strings.Contains(rest, "/")) {
					keys = append(keys, k)
				}
			}
		}
		// The entry itself, NIL when it has no value, unless entries
		// below it within DEPTH stand for it: with DEPTH 1 an entry
		// with grandchildren only is still NIL, so that the command
		// has its METADATA response (RFC 5464 4.2).
		if v, ok := all[e]; ok || len(keys) == 0 {
			add(e, v, !ok)
		}
		slices.Sort(keys)
		for _, k := range keys {
			add(k, all[k], false)
		}
	}
	if len(out) > 0 {
		c.write(&MetadataData{Mailbox: c.metadataWireName(name), Entries: out})
	}
	if long > 0 {
		if !c.update(true) {
			return false
		}
		c.tagged(cmd.Tag, StatusOK, "METADATA", "LONGENTRIES "+strconv.Itoa(long), "GETMETADATA completed")
		return true
	}
	return c.done(cmd, true)
}

// metadataNamesChunk bounds the octets of entry names one unsolicited
// METADATA response carries: a few KiB, far below the line length
// clients accept (DefaultMaxLineLength for ours).
const metadataNamesChunk = 4 << 10

// writeMetadataNames sends the names of changed entries of a mailbox
// (wire name; "" for the server) as METADATA responses without values
// (RFC 5464 4.4.2), as many as it takes to keep each line short: RFC
// 5464 4.4 lets a server send several responses for a group of
// entries. A name longer than the bound goes alone.
func (c *conn) writeMetadataNames(mbox string, names []string) {
	for len(names) > 0 {
		n, size := 0, 0
		for n < len(names) {
			// The name, a space, and quotes if it needs them.
			l := len(names[n]) + 3
			if n > 0 && size+l > metadataNamesChunk {
				break
			}
			size += l
			n++
		}
		c.write(&MetadataNamesData{Mailbox: mbox, Entries: names[:n]})
		names = names[n:]
	}
}

// metadataWireName is the mailbox of a METADATA response.
func (c *conn) metadataWireName(name string) string {
	if name == "" {
		return ""
	}
	return c.wireName(name)
}

// cmdSetMetadata answers SETMETADATA (RFC 5464 4.3): all the entries
// are set, or none, with NO [METADATA MAXSIZE n] for a value too large
// and NO [METADATA TOOMANY] when the mailbox has all the entries it may
// have.
func (c *conn) cmdSetMetadata(cmd *Command) bool {
	args := cmd.Args.(*SetMetadataCommand)
	md, ok := c.metadataer(cmd)
	if !ok {
		return true
	}
	set := make(map[string]*string, len(args.Entries))
	for _, e := range args.Entries {
		n, ok := validEntry(e.Name)
		if !ok {
			return c.bad(cmd.Tag, "", "Invalid entry name")
		}
		if e.IsNil {
			set[n] = nil
			continue
		}
		if len(e.Value) > DefaultMaxMetadataSize {
			c.tagged(cmd.Tag, StatusNO, "METADATA", "MAXSIZE "+strconv.Itoa(DefaultMaxMetadataSize), "Value too large")
			return true
		}
		v := e.Value
		set[n] = &v
	}
	name, err := c.metadataMailbox(args.Mailbox)
	if err != nil {
		return c.fail(cmd, err)
	}
	if _, admin := set["/shared/admin"]; admin && name == "" {
		// RFC 5464 3.2.1.1: the server entry /shared/admin is always
		// read-only to clients (the store's owner may set it).
		c.tagged(cmd.Tag, StatusNO, "NOPERM", nil, "/shared/admin is read-only")
		return true
	}
	if use, ok := set[mailbox.SpecialUseEntry]; ok && name != "" {
		delete(set, mailbox.SpecialUseEntry)
		return c.setSpecialUse(cmd, md, name, use, set)
	}
	err = md.SetMetadata(c.ctx, name, set, DefaultMaxMetadataEntries)
	if c.setMetadataFailed(cmd, err) {
		return true
	}
	return c.done(cmd, true)
}

// setMetadataFailed answers a failed SetMetadata, and reports whether
// it did.
func (c *conn) setMetadataFailed(cmd *Command, err error) bool {
	switch {
	case errors.Is(err, mailbox.ErrMetadataTooMany):
		c.tagged(cmd.Tag, StatusNO, "METADATA", "TOOMANY", "Too many annotations")
	case errors.Is(err, mailbox.ErrMetadataNoPrivate):
		c.tagged(cmd.Tag, StatusNO, "METADATA", "NOPRIVATE", "No private annotations here")
	case err != nil:
		c.fail(cmd, err)
	default:
		return false
	}
	return true
}

// specialUseOf returns the special-use attributes of the mailbox named
// name, as LIST shows them, or mailbox.ErrNoSuchMailbox.
func (c *conn) specialUseOf(name string) ([]string, error) {
	uses, err := c.specialUses([]string{name})
	if err != nil {
		return nil, err
	}
	use, ok := uses[canonInbox(name)]
	if !ok {
		return nil, mailbox.ErrNoSuchMailbox
	}
	return use, nil
}

// specialUses returns the special-use attributes of the mailboxes
// named, by name (INBOX in capitals), those that exist only.
func (c *conn) specialUses(names []string) (map[string][]string, error) {
	infos, err := c.acct.Mailboxes(c.ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(names))
	for _, in := range infos {
		n := canonInbox(in.Name)
		if slices.ContainsFunc(names, func(m string) bool { return canonInbox(m) == n }) {
			out[n] = in.SpecialUse
		}
	}
	return out, nil
}

// setSpecialUse answers a SETMETADATA that sets /private/specialuse of
// a mailbox (RFC 6154 4), to use (nil: none), and the other entries
// in set. The special uses are checked as CREATE checks them: NO
// [USEATTR] for one the store does not keep. The other entries are set
// first, and set back if the special uses cannot be, so that nothing
// changes when the command fails (RFC 5464 4.3). The mailboxes that
// lost a special use to this one are reported with their new value, as
// in the example of RFC 6154 5.4.
func (c *conn) setSpecialUse(cmd *Command, md mailbox.Metadataer, name string, use *string, set map[string]*string) bool {
	su, ok := c.acct.(mailbox.SpecialUseSetter)
	if !ok {
		c.tagged(cmd.Tag, StatusNO, "NOPERM", nil, "Special uses cannot be changed here")
		return true
	}
	var attrs []string
	if use != nil {
		attrs = strings.Fields(*use)
	}
	var undo map[string]*string
	if len(set) > 0 {
		old, err := md.Metadata(c.ctx, name)
		if err != nil {
			return c.fail(cmd, err)
		}
		undo = make(map[string]*string, len(set))
		for k := range set {
			if v, ok := old[k]; ok {
				undo[k] = &v
			} else {
				undo[k] = nil
			}
		}
		if c.setMetadataFailed(cmd, md.SetMetadata(c.ctx, name, set, DefaultMaxMetadataEntries)) {
			return true
		}
	}
	moved, err := su.SetSpecialUse(c.ctx, name, attrs)
	if err != nil {
		if undo != nil {
			if uerr := md.SetMetadata(c.ctx, name, undo, 0); uerr != nil {
				c.log().Error("imap: SETMETADATA: undoing the entries", "err", uerr)
			}
		}
		return c.fail(cmd, err)
	}
	if len(moved) > 0 {
		uses, err := c.specialUses(moved)
		if err == nil {
			for _, m := range moved {
				use, ok := uses[canonInbox(m)]
				if !ok {
					continue // gone meanwhile
				}
				e := MetadataEntry{Name: mailbox.SpecialUseEntry, IsNil: len(use) == 0, Value: strings.Join(use, " ")}
				c.write(&MetadataData{Mailbox: c.wireName(m), Entries: []MetadataEntry{e}})
			}
		}
	}
	return c.done(cmd, true)
}

// Unsolicited METADATA (RFC 5464 4.4): after ENABLE METADATA the session
// reports the entries of the server and of the selected mailbox that
// other sessions set or remove, by name (4.4.2); after ENABLE
// METADATA-SERVER alone, those of the server. They go out where
// untagged responses may: at the end of a command (c.update), NOOP
// included, and in IDLE. A NOTIFY SET that asks for metadata events
// rules instead (RFC 5465 5.6, 5.7: those events need no ENABLE), so
// that nothing is told twice.

// metaUnsolicited is the unsolicited METADATA of a session.
type metaUnsolicited struct {
	watch *mailbox.AccountWatch
	// server and mailboxes say what was enabled: METADATA-SERVER, and
	// METADATA (which reports the server's entries too).
	server, mailboxes bool
	stop              chan struct{}
	// wake tells an IDLE that polls (conn_idle.go) that events wait
	// while the session holds its writer.
	wake chan struct{}
	// pending is set by metadataIdleWaker when the watch has events,
	// and cleared before each Poll.
	pending atomic.Bool
}

// enableMetadata enables unsolicited METADATA for cp, METADATA or
// METADATA-SERVER (RFC 5464 3), and reports whether ENABLED lists it:
// only when the account keeps annotations and can be watched, and
// once.
func (c *conn) enableMetadata(cp string) bool {
	if _, ok := c.acct.(mailbox.Metadataer); !ok {
		return false
	}
	aw, ok := c.acct.(mailbox.AccountWatcher)
	if !ok {
		return false
	}
	mu := c.meta
	if mu == nil {
		mu = &metaUnsolicited{watch: aw.WatchAccount(), stop: make(chan struct{}), wake: make(chan struct{}, 1)}
		c.meta = mu
		go c.metadataIdleWaker(mu)
	}
	p := &mu.server
	if cp == "METADATA" {
		p = &mu.mailboxes
	}
	if *p {
		return false
	}
	*p = true
	return true
}

// stopMetadataUnsolicited ends the unsolicited METADATA of the
// session, as it ends.
func (c *conn) stopMetadataUnsolicited() {
	if mu := c.meta; mu != nil {
		c.meta = nil
		mu.watch.Stop()
		close(mu.stop)
	}
}

// metadataIdleWaker reports the annotations that change while the
// session waits in IDLE, rather than when IDLE ends: through the
// wake-up of an IDLE that waits for its mailbox's updates (idleWait),
// or itself under NOTIFY's IDLE (the session's writer is then free).
// Changes that come while the session waits for a command wait for
// it. Until IDLE waits, and while a command runs, it looks again,
// backing off from 10ms to 1s.
func (c *conn) metadataIdleWaker(mu *metaUnsolicited) {
	const first, last = 10 * time.Millisecond, time.Second
	t := time.NewTimer(first)
	t.Stop()
	backoff := first
	for {
		select {
		case <-mu.watch.Events():
			mu.pending.Store(true)
			backoff = first
		case <-t.C:
		case <-mu.stop:
			t.Stop()
			return
		case <-c.ctx.Done():
			t.Stop()
			return
		}
		if !mu.pending.Load() {
			continue
		}
		c.mu.Lock()
		st := c.idleSt
		c.mu.Unlock()
		if st != nil {
			c.idleWake(st, false)
			continue
		}
		if c.wmu.TryLock() {
			switch {
			case c.reading:
				// The next command reports them.
				c.wmu.Unlock()
				continue
			case c.idling && !c.broken:
				c.metadataUpdates()
				ok := c.flush() == nil
				c.wmu.Unlock()
				if !ok {
					c.mu.Lock()
					c.nc.Close()
					c.mu.Unlock()
				}
				continue
			}
			c.wmu.Unlock()
		}
		// A command runs, or an IDLE that polls: it hears of them.
		select {
		case mu.wake <- struct{}{}:
		default:
		}
		t.Reset(backoff)
		backoff = min(2*backoff, last)
	}
}

// notifyHasMetadata reports whether a NOTIFY SET with metadata events
// is in effect.
func (c *conn) notifyHasMetadata() bool {
	st := c.ntf
	if st == nil {
		return false
	}
	return st.serverMeta || slices.ContainsFunc(st.filters, func(f notifyFilter) bool { return f.events&mailbox.EventMetadata != 0 })
}

// metadataUpdates reports the annotations other sessions changed since
// the last time, when unsolicited METADATA is on (RFC 5464 4.4.2). When
// the watch lost events, it names every entry of the server and of the
// selected mailbox (RFC 5465 5.6 lets a server name them all); the
// entries removed meanwhile cannot be told.
func (c *conn) metadataUpdates() {
	mu := c.meta
	if mu == nil {
		return
	}
	mu.pending.Store(false)
	evs, err := mu.watch.Poll()
	if c.notifyHasMetadata() {
		return // NOTIFY reports them
	}
	var sel string
	if c.sel != nil && mu.mailboxes {
		sel = c.sel.name
	}
	if errors.Is(err, mailbox.ErrUpdatesLost) {
		md := c.acct.(mailbox.Metadataer)
		names := []string{""}
		if sel != "" {
			names = append(names, sel)
		}
		for _, n := range names {
			m, err := md.Metadata(c.ctx, n)
			if err != nil || len(m) == 0 {
				continue
			}
			keys := slices.Sorted(maps.Keys(m))
			c.writeMetadataNames(c.metadataWireName(n), keys)
		}
		return
	}
	for _, ev := range evs {
		if ev.Kinds&mailbox.EventMetadata == 0 || len(ev.Entries) == 0 {
			continue
		}
		if ev.Name == "" || sel != "" && ev.Name == sel {
			c.writeMetadataNames(c.metadataWireName(ev.Name), ev.Entries)
		}
	}
}
