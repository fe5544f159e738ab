package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// view is one session's view of a folder.
type view struct {
	f    *folder
	name string
	ro   bool
	hv   *mailbox.HubView

	// The view sees the messages up to seen, and those in extra (its own
	// appends); later ones only after Poll reports them.
	seen   mailbox.UID
	extra  map[mailbox.UID]bool
	recent map[mailbox.UID]bool // messages \Recent in this view
	skip   map[mailbox.UID]bool // moved away by this view: not reported by Poll

	closed bool
}

var (
	_ mailbox.Mailbox = (*view)(nil)
	_ mailbox.Mover   = (*view)(nil)
)

func (v *view) visible(uid mailbox.UID) bool { return uid <= v.seen || v.extra[uid] }

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

// status computes a folder's status, over the messages v sees when v is
// not nil. Call with f.mu held.
func (f *folder) status(v *view) *mailbox.Status {
	st := &mailbox.Status{UIDNext: f.nextUID, UIDValidity: f.uidValidity, HighestModSeq: f.modHighest()}
	for _, m := range f.msgs {
		if v != nil && !v.visible(m.uid) {
			continue
		}
		st.Messages++
		if !hasLetter(m.info, 'S') {
			st.Unseen++
		}
		if hasLetter(m.info, 'T') {
			st.Deleted++
		}
		if v == nil && m.inNew || v != nil && v.recent[m.uid] {
			st.Recent++
		}
		if m.size > 0 {
			st.Size += m.size
		}
	}
	st.PermanentFlags = []string{mailbox.FlagAnswered, mailbox.FlagFlagged, mailbox.FlagDeleted, mailbox.FlagSeen, mailbox.FlagDraft}
	if f.kw != nil {
		st.PermanentFlags = append(st.PermanentFlags, f.kw.list()...)
	}
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

// Status reports the folder as this view sees it. A read-write view
// claims the messages in new/ as \Recent first.
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

// claimRecent moves the messages of new/ that v sees to cur/ and makes
// them \Recent in v (RFC 3501 2.3.2: one session sees a message as
// recent). Call with f.mu held.
func (v *view) claimRecent(ctx context.Context) error {
	if v.ro {
		return nil
	}
	f := v.f
	any := false
	for _, m := range f.msgs {
		if m.inNew && v.visible(m.uid) {
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
		if !m.inNew || !v.visible(m.uid) {
			continue
		}
		err := os.Rename(f.path("new", m.base), f.path("cur", fileName(m.base, m.info)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err == nil {
			m.inNew = false
			if v.recent == nil {
				v.recent = make(map[mailbox.UID]bool)
			}
			v.recent[m.uid] = true
		}
	}
	return t.commit()
}

// Append writes the message to tmp/, syncs it, moves it to new/ (cur/
// with its flags) under the folder's lock, syncs the directory and
// records its UID, then returns.
func (v *view) Append(ctx context.Context, r io.Reader, opts *mailbox.AppendOptions) (mailbox.UID, error) {
	if err := v.check(true); err != nil {
		return 0, err
	}
	var flags []string
	date := time.Now()
	if opts != nil {
		for _, fl := range opts.Flags {
			if mailbox.CanonicalFlag(fl) == mailbox.FlagRecent {
				continue
			}
			if !mailbox.ValidFlag(fl) {
				return 0, fmt.Errorf("maildir: invalid flag %q", fl)
			}
			flags = append(flags, fl)
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
	base := filepath.Base(tmp) + ",S=" + strconv.FormatInt(size, 10) + ",W=" + strconv.FormatInt(vsize, 10)

	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer t.abort()
	info, err := flagsInfo(mailbox.ApplyFlags(nil, mailbox.StoreReplace, flags), f.kw, "")
	if err != nil {
		return 0, err
	}
	m := &msg{base: base, info: info, size: size, inNew: len(flags) == 0}
	if err := os.Rename(tmp, f.path(m.file())); err != nil {
		return 0, err
	}
	if !f.s.opts.NoSync {
		if err := syncDir(filepath.Dir(f.path(m.file()))); err != nil {
			return 0, err
		}
	}
	t.add(m)
	if err := t.commit(); err != nil {
		return 0, err
	}
	if m.uid > v.seen {
		if v.extra == nil {
			v.extra = make(map[mailbox.UID]bool)
		}
		v.extra[m.uid] = true
	}
	v.hv.Publish(mailbox.Update{Kind: mailbox.UpdateAppended, UID: m.uid, Flags: infoFlags(m.info, f.kw), ModSeq: m.modseq})
	return m.uid, nil
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
