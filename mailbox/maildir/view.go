package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// view is one session's view of a folder.
type view struct {
	f    *folder
	a    *account // the handle that opened it: the origin of its events
	name string
	ro   bool
	// noRecent: the view claims no \Recent (OpenOptions.NoRecent).
	noRecent bool
	hv       *mailbox.HubView

	// The view knows the live messages up to seen, and the messages in
	// ghosts (ascending UID): those it knew that were expunged through
	// another view or by another process since its last Poll. Messages
	// added later, through this view too, it learns of through Poll
	// (see mailbox.Mailbox). seen and ghosts change under f.mu, since
	// other views add ghosts.
	seen   mailbox.UID
	ghosts []*msg
	recent map[mailbox.UID]bool // messages \Recent in this view
	skip   map[mailbox.UID]bool // moved away by this view: not reported by Poll

	closed bool
}

var (
	_ mailbox.Mailbox = (*view)(nil)
	_ mailbox.Mover   = (*view)(nil)
)

// knows reports whether v knows the live message m. Call with f.mu held.
func (v *view) knows(m *msg) bool { return m.uid <= v.seen }

// isRecent reports whether m is \Recent in v: claimed by v, or, in a
// read-only view, still in new/ (RFC 3501 6.3.2: EXAMINE shows \Recent
// without taking it).
func (v *view) isRecent(m *msg) bool { return v.recent[m.uid] || v.ro && m.awaitsClaim() && !m.gone() }

// flags returns the flags of m as v sees them: with \Recent when m is
// recent in v. Call with f.mu held.
func (v *view) flags(m *msg) []string {
	fl := infoFlags(m.info, v.f.kw)
	if v.isRecent(m) {
		fl = append(fl, mailbox.FlagRecent)
	}
	return fl
}

func (v *view) Name() string { return v.name }

func (v *view) check(write bool) error {
	if v.closed {
		return mailbox.ErrClosed
	}
	if write && v.ro {
		return mailbox.ErrReadOnly
	}
	return nil
}

// status computes a folder's status as it is now; Recent counts the
// messages recent in v, or those in new/ when v is nil. Call with f.mu
// held.
func (f *folder) status(v *view) *mailbox.Status {
	st := &mailbox.Status{UIDNext: f.nextUID, UIDValidity: f.uidValidity, HighestModSeq: f.modHighest()}
	// RFC 8474 4: the folder's GUID in dovecot-uidlist, as Dovecot
	// reports it; kept across renames.
	for _, h := range f.uidlistHdr {
		if g, ok := strings.CutPrefix(h, "G"); ok && g != "" {
			st.MailboxID = g
			break
		}
	}
	for _, m := range f.msgs {
		st.Messages++
		if !hasLetter(m.info, 'S') {
			st.Unseen++
		}
		if hasLetter(m.info, 'T') {
			st.Deleted++
		}
		if v == nil && m.awaitsClaim() || v != nil && v.isRecent(m) {
			st.Recent++
		}
		if m.size > 0 {
			st.Size += m.size
		}
	}
	st.Flags = []string{mailbox.FlagAnswered, mailbox.FlagFlagged, mailbox.FlagDeleted, mailbox.FlagSeen, mailbox.FlagDraft}
	if f.kw != nil {
		st.Flags = append(st.Flags, f.kw.list()...)
	}
	st.PermanentFlags = slices.Clone(st.Flags)
	if f.kw == nil || !f.kw.full() {
		st.PermanentFlags = append(st.PermanentFlags, `\*`)
	}
	return st
}

func hasLetter(info string, c byte) bool {
	for i := 0; i < len(info); i++ {
		if info[i] == c {
			return true
		}
	}
	return false
}

// Status reports the folder as it is now, not as the view knows it;
// Recent counts the messages recent in this view. A read-write view
// claims the messages of new/ it knows as \Recent first.
func (v *view) Status(ctx context.Context) (*mailbox.Status, error) {
	if err := v.check(false); err != nil {
		return nil, err
	}
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := v.claimRecent(ctx); err != nil {
		return nil, err
	}
	return f.status(v), nil
}

// claimRecent moves the messages of new/ that v knows to cur/ and makes
// them \Recent in v (RFC 3501 2.3.2: one session sees a message as
// recent). Call with f.mu held.
func (v *view) claimRecent(ctx context.Context) error {
	if v.ro || v.noRecent {
		return nil
	}
	f := v.f
	any := false
	for _, m := range f.msgs {
		if m.awaitsClaim() && v.knows(m) {
			any = true
			break
		}
	}
	if !any {
		return nil
	}
	t, err := f.begin(ctx)
	if err != nil {
		return err
	}
	defer t.abort()
	for _, m := range f.msgs {
		if !m.awaitsClaim() || !v.knows(m) {
			continue
		}
		if !m.inNew {
			m.unclaimed = false
			v.claim(m.uid)
			continue
		}
		err := os.Rename(f.path("new", m.base), f.path("cur", fileName(m.base, m.info)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err == nil {
			m.inNew = false
			v.claim(m.uid)
		}
	}
	f.pinned.Store(slices.ContainsFunc(f.msgs, func(m *msg) bool { return m.unclaimed }))
	return t.commit()
}

// Append writes the message to tmp/ and syncs it; then, under the
// folder's lock, renames it into cur/ (the view claims it as \Recent, so
// it does not go through new/), syncs the directory and records its UID,
// then returns. Like every view, this one learns of the message through
// Poll.
func (v *view) Append(ctx context.Context, r io.Reader, opts *mailbox.AppendOptions) (mailbox.UID, error) {
	if err := v.check(true); err != nil {
		return 0, err
	}
	var flags []string
	date := time.Now()
	if opts != nil {
		var err error
		if flags, err = cleanFlags(opts.Flags); err != nil {
			return 0, err
		}
		if !opts.InternalDate.IsZero() {
			date = opts.InternalDate
		}
	}
	f := v.f
	tmp, size, vsize, err := f.writeTmp(ctx, r, date)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	if err := (&account{s: f.s, dir: f.root}).quotaCheck(size, 1); err != nil {
		return 0, err
	}
	base := filepath.Base(tmp) + ",S=" + strconv.FormatInt(size, 10) + ",W=" + strconv.FormatInt(vsize, 10)

	f.mu.Lock()
	defer f.mu.Unlock()
	if v.closed {
		return 0, mailbox.ErrClosed
	}
	t, err := f.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.abort()
	m, err := t.addTmp(tmp, base, size, flags, date, v.noRecent)
	if err != nil {
		return 0, err
	}
	if err := t.write(); err != nil {
		// Not recorded: the message goes again, under the lock still,
		// lest a client told NO find it there, and append it twice.
		t.unadd(m)
		return 0, err
	}
	t.abort()
	v.claim(m.uid)
	// Every view, this one included, learns of it through Poll, so each
	// learns of new messages in UID order.
	f.hub.Publish(nil, mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(m.info, f.kw), ModSeq: m.modseq})
	v.event(mailbox.EventMessageNew)
	return m.uid, nil
}

// addTmp moves the message written to tmp, of size octets, into the
// folder under the name base, with flags and its internal date, and numbers it. A
// delivery (noRecent) leaves it \Recent for the next session.
func (t *tx) addTmp(tmp, base string, size int64, flags []string, date time.Time, noRecent bool) (*msg, error) {
	f := t.f
	info, err := flagsInfo(mailbox.ApplyFlags(nil, mailbox.StoreReplace, flags), f.kw, "")
	if err != nil {
		return nil, err
	}
	// A view that claims \Recent puts the message straight into cur/;
	// a delivery (NoRecent) leaves it in new/ for the next session,
	// or, when it has flags, which only names in cur/ carry, puts it in
	// cur/ marked as awaiting its claim.
	m := &msg{base: base, info: info, size: size, inNew: noRecent && info == "", unclaimed: noRecent && info != ""}
	if m.unclaimed {
		f.pinned.Store(true)
	}
	m.date.Store(date.UnixNano())
	if err := os.Rename(tmp, f.path(m.file())); err != nil {
		return nil, err
	}
	err = failAt("addTmp")
	if err == nil && !f.s.opts.NoSync {
		err = syncDir(filepath.Dir(f.path(m.file())))
	}
	if err != nil {
		os.Remove(f.path(m.file()))
		return nil, err
	}
	t.add(m)
	return m, nil
}

// unadd takes back m, added by addTmp in t, when t cannot record it:
// its file is removed and it leaves the state, so that the folder is as
// it was. Its UID may be given again when the uidlist did not record
// it (no client saw it). No view knows m yet. Call with f.mu held.
func (t *tx) unadd(m *msg) {
	f := t.f
	p := f.path(m.file())
	if os.Remove(p) == nil && !f.s.opts.NoSync {
		syncDir(filepath.Dir(p)) // a crash may leave it: both, not neither
	}
	f.msgs = slices.DeleteFunc(f.msgs, func(x *msg) bool { return x == m })
	delete(f.byBase, m.base)
	delete(t.mod.entries, m.uid)
	if m.unclaimed {
		f.pinned.Store(slices.ContainsFunc(f.msgs, func(m *msg) bool { return m.unclaimed }))
	}
}

// event reports a change to the view's folder to the account's
// watches, but those of the handle that opened the view.
func (v *view) event(kinds mailbox.EventKind) {
	v.f.s.publish(v.f.root, v.a, mailbox.MailboxEvent{Name: v.name, Kinds: kinds})
}

// cleanFlags checks the flags of Append and Store: each must be a system
// flag or an IMAP atom (mailbox.ErrInvalidFlag otherwise). \Recent, which
// a client cannot set, is dropped.
func cleanFlags(flags []string) ([]string, error) {
	out := make([]string, 0, len(flags))
	for _, fl := range flags {
		if mailbox.CanonicalFlag(fl) == mailbox.FlagRecent {
			continue
		}
		if !mailbox.ValidFlag(fl) {
			return nil, fmt.Errorf("maildir: %w %q", mailbox.ErrInvalidFlag, fl)
		}
		out = append(out, fl)
	}
	return out, nil
}

// claim makes uid \Recent in v, if v is read-write.
func (v *view) claim(uid mailbox.UID) {
	if v.ro || v.noRecent {
		return
	}
	if v.recent == nil {
		v.recent = make(map[mailbox.UID]bool)
	}
	v.recent[uid] = true
}

// add numbers a message whose file is in place and records it.
func (t *tx) add(m *msg) {
	f := t.f
	m.uid = f.nextUID
	f.nextUID++
	t.uidLines = appendRec(t.uidLines, uidRec{uid: m.uid, base: m.base})
	m.modseq = t.nextModSeq()
	t.logModSeq(m)
	f.msgs = append(f.msgs, m)
	f.byBase[m.base] = m
}

// nextModSeq returns the MODSEQ of the changes of this tx.
func (t *tx) nextModSeq() uint64 {
	if t.modseq == 0 {
		t.modseq = t.mod.highest + 1
		t.mod.highest = t.modseq
	}
	return t.modseq
}

// logModSeq records a message's MODSEQ and flags.
func (t *tx) logModSeq(m *msg) {
	e := modEntry{m.modseq, m.info}
	t.mod.entries[m.uid] = e
	t.modLines = appendEntry(t.modLines, m.uid, e)
}

// expunged records that n messages were removed: the highest MODSEQ goes
// up, and the uidlist is rewritten when enough of it is stale.
func (t *tx) expunged(n int) {
	if n == 0 {
		return
	}
	t.modLines = append(t.modLines, "X "+strconv.FormatUint(t.nextModSeq(), 10)+"\n"...)
	t.f.stale += n
	if t.f.stale > 64 && t.f.stale > len(t.f.msgs)/4 || len(t.f.msgs) == 0 {
		t.rewrite = true
	}
}

// writeTmp writes r to a new file in tmp/, synced, with its mtime set to
// date, and returns its path, its size and its size with CRLF line ends.
func (f *folder) writeTmp(ctx context.Context, r io.Reader, date time.Time) (string, int64, int64, error) {
	now := time.Now()
	name := fmt.Sprintf("%d.M%dP%dQ%d.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), uniqCounter.Add(1), hostName)
	path := f.path("tmp", name)
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Lstat(f.dir); serr != nil {
			return "", 0, 0, mailbox.ErrNoSuchMailbox
		}
		if err = makeMaildir(f.dir, false); err == nil {
			file, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		}
	}
	if err != nil {
		return "", 0, 0, err
	}
	size, vsize, err := copyCounting(ctx, file, r, f.s.opts.MaxMessageSize)
	if err == nil && !f.s.opts.NoSync {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(path, date, date)
	}
	if err != nil {
		os.Remove(path)
		return "", 0, 0, err
	}
	return path, size, vsize, nil
}

// copyCounting copies r to w, checking ctx and the size limit, and
// returns the size and the size with every bare LF counted as CRLF.
func copyCounting(ctx context.Context, w io.Writer, r io.Reader, limit int64) (int64, int64, error) {
	buf := make([]byte, 64<<10)
	var size, vsize int64
	prevCR := false
	for {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		n, err := r.Read(buf)
		if n > 0 {
			for _, c := range buf[:n] {
				if c == '\n' && !prevCR {
					vsize++
				}
				prevCR = c == '\r'
			}
			size += int64(n)
			vsize += int64(n)
			if limit > 0 && size > limit {
				return 0, 0, mailbox.ErrTooLarge
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return 0, 0, werr
			}
		}
		if err == io.EOF {
			return size, vsize, nil
		}
		if err != nil {
			return 0, 0, err
		}
	}
}
