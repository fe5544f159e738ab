// Package maildir is a mailbox.Store on disk in Maildir++, in the formats
// Dovecot uses, so that Dovecot, mutt and mbsync can share the mail:
//
//	<root>/<user>/                 INBOX: cur/, new/, tmp/
//	<root>/<user>/.Name.Sub/       the mailbox "Name/Sub" (names in modified UTF-7)
//	<folder>/dovecot-uidlist       UIDVALIDITY, next UID, UID -> file base name
//	<folder>/dovecot-keywords      keyword letters a..z -> keyword names
//	<folder>/postkit-modseq        MODSEQ values (Dovecot keeps them in its index)
//	<folder>/maildirfolder         marks a Maildir++ folder
//	<folder>/postkit-specialuse    special-use attributes given at Create
//	<root>/<user>/subscriptions    subscribed names (Dovecot's version 2 format)
//	<root>/<user>/postkit-uidvalidity  the last UIDVALIDITY given out
//
// Messages are files named "<time>.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<vsize>:2,<flags>"
// with the flags as Maildir info letters. Append writes the file in
// tmp/ and syncs it; then, under the folder's dot-lock, renames it into
// cur/, syncs the directory, and records its UID in dovecot-uidlist and
// its MODSEQ, synced; it returns only then.
//
// Views follow the model of mailbox.Mailbox: a view learns of every new
// message, its own appends and copies included, through Poll, and a
// message expunged through another view of this process stays fetchable,
// body included, until Poll reports the expunge (its file is linked into
// tmp/ until then). A message another process expunged stays listed
// until Poll too, but its body is gone. \Recent is per view: messages
// in new/ (delivered by another program) are \Recent in the first
// read-write view to open the folder or poll after they came, which
// moves them to cur/; a view's own appends and copies are \Recent in it
// and go straight to cur/. A delivery (OpenOptions.NoRecent) goes to
// new/, or, when it carries flags, to cur/ marked in memory as \Recent
// for the next session of this process (the folder's state is kept until
// then; a restart, or another program, sees such a message as not
// \Recent). A read-only view shows those
// messages as \Recent without taking them.
//
// Several processes may share a store: every change to a folder's
// control files is made under dovecot-uidlist.lock, and each process
// notices the others' changes when a view polls (or every PollInterval
// while views are open) by comparing the control files and directories
// with what it last read. Its own changes move those stamps too but are
// not read back: what another process may have changed at the same time
// is looked for later, once the folder is quiet, by listing new/ and
// cur/ (stamps.go). Opening a mailbox reads the uidlist, the MODSEQ log
// and the directory listings, never a message.
//
// Accounts implement mailbox.AccountWatcher for IMAP NOTIFY (watch.go
// tells how other processes' changes are found), and messages
// mailbox.SaveDater: the save date is the time a message's base name
// starts with, which every Append, Copy and Move gives anew.
//
// Mailbox names are mapped so that no name can reach outside the
// account's directory; names containing "." are refused with
// mailbox.ErrInvalidName, since "." separates levels on disk.
package maildir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/postkit/postkit/mailbox"
)

// DefaultPollInterval is how often a folder with open views, and an
// account with watches, looks for changes made by other processes.
const DefaultPollInterval = 2 * time.Second

// MaxUserLength bounds a user name.
const MaxUserLength = 255

// Options are the options of a Store. The zero value is ready to use.
type Options struct {
	// AccountPath returns the directory of user's account. The default
	// is root/user, for user names ValidUser accepts.
	AccountPath func(user string) (string, error)

	// NoAutoCreate makes Account fail with mailbox.ErrNoSuchAccount for
	// an account whose directory does not exist, instead of creating it.
	NoAutoCreate bool

	// NoSync skips fsync. Faster, and not durable: for tests.
	NoSync bool

	// LockTimeout bounds the wait for a dot-lock; DefaultLockTimeout if 0.
	LockTimeout time.Duration
	// LockStale is the age at which a dot-lock is broken; DefaultLockStale if 0.
	LockStale time.Duration

	// PollInterval is how often a folder with open views checks for
	// changes by other processes and signals its views, and how often
	// an account with watches (mailbox.AccountWatcher) checks its
	// folders; DefaultPollInterval if 0, never if negative.
	PollInterval time.Duration

	// MaxMessageSize bounds an appended message; 0 means no limit.
	MaxMessageSize int64

	// Quota, when it has a limit, gives each account one quota root,
	// named "", with these limits (IMAP QUOTA, RFC 9208): accounts then
	// implement mailbox.Quotaer (quota.go tells how usage is counted).
	Quota mailbox.QuotaLimits
}

// Store is a Maildir++ mail store: one directory per account.
type Store struct {
	root string
	opts Options

	mu      sync.Mutex
	folders map[string]*folder // by directory: in use, or among idle
	idle    []*folder          // released, kept so Status need not reread them

	// wmu guards watched: the watch state of the accounts that have
	// watches, by directory (watch.go).
	wmu     sync.Mutex
	watched map[string]*acctWatch
}

// maxIdleFolders is how many folders without views a Store keeps in
// memory, so that a repeated Status of a big folder rereads only what
// changed on disk.
const maxIdleFolders = 8

var _ mailbox.Store = (*Store)(nil)

// New returns a Store with its accounts under root.
func New(root string, opts *Options) *Store {
	s := &Store{root: root, folders: make(map[string]*folder)}
	if opts != nil {
		s.opts = *opts
	}
	return s
}

// ValidUser reports whether user can name an account directory under the
// default AccountPath: 1 to MaxUserLength octets of UTF-8, no "/", "\",
// NUL or other control characters, not starting with "." (so neither
// "." nor "..").
func ValidUser(user string) bool {
	if user == "" || len(user) > MaxUserLength || !utf8.ValidString(user) || user[0] == '.' {
		return false
	}
	for _, r := range user {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// Account returns the account of user, creating its directory with an
// INBOX unless Options.NoAutoCreate is set.
func (s *Store) Account(ctx context.Context, user string) (mailbox.Account, error) {
	return s.account(ctx, user, !s.opts.NoAutoCreate)
}

// FindAccount implements mailbox.AccountFinder: it opens the account
// only if its directory exists, whatever Options.NoAutoCreate says.
func (s *Store) FindAccount(ctx context.Context, user string) (mailbox.Account, error) {
	return s.account(ctx, user, false)
}

var _ mailbox.AccountFinder = (*Store)(nil)

func (s *Store) account(ctx context.Context, user string, create bool) (mailbox.Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var dir string
	if s.opts.AccountPath != nil {
		d, err := s.opts.AccountPath(user)
		if err != nil {
			return nil, err
		}
		dir = d
	} else {
		if !ValidUser(user) {
			return nil, mailbox.ErrNoSuchAccount
		}
		dir = filepath.Join(s.root, user)
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, fmt.Errorf("maildir: %s is not a directory", dir)
	case errors.Is(err, os.ErrNotExist):
		if !create {
			return nil, mailbox.ErrNoSuchAccount
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	if err := makeMaildir(dir, false); err != nil {
		return nil, err
	}
	if s.opts.Quota != (mailbox.QuotaLimits{}) {
		return &quotaAccount{account{s: s, dir: dir}}, nil
	}
	return &account{s: s, dir: dir}, nil
}

// makeMaildir creates the cur, new and tmp directories of dir, and the
// maildirfolder file of a folder.
func makeMaildir(dir string, isFolder bool) error {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	if isFolder {
		f, err := os.OpenFile(filepath.Join(dir, "maildirfolder"), os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

// folder returns the in-process state of the folder in dir of the
// account in root, holding a reference that release drops.
func (s *Store) folder(root, dir, name string) *folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.folders[dir]
	if f == nil {
		f = &folder{s: s, root: root, dir: dir, name: name}
		s.folders[dir] = f
	}
	if f.refs == 0 {
		if i := slices.Index(s.idle, f); i >= 0 {
			s.idle = slices.Delete(s.idle, i, i+1)
		}
	}
	f.refs++
	return f
}

// release drops a reference taken by folder.
func (s *Store) release(f *folder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.refs--
	if f.refs > 0 {
		return
	}
	if done := f.stopPolling(); done != nil {
		// The view's Close returns once nothing of the Store touches
		// the folder for it any more.
		s.mu.Unlock()
		<-done
		s.mu.Lock()
		if f.refs > 0 || slices.Contains(s.idle, f) {
			return // opened again meanwhile (and maybe released)
		}
	}
	if s.folders[f.dir] != f {
		return // forgotten
	}
	s.idle = append(s.idle, f)
	for len(s.idle) > maxIdleFolders {
		old := s.idle[0]
		s.idle = slices.Delete(s.idle, 0, 1)
		if old.pinned.Load() {
			// Its \Recent marks live only here: it stays known,
			// outside the idle list, until a session claims them.
			continue
		}
		if s.folders[old.dir] == old {
			delete(s.folders, old.dir)
		}
	}
}

// forget drops the in-process state of the folder in dir, and of its
// children too if children is set (a folder deleted or renamed), so that
// a folder created there later starts anew; its views fail from then on.
func (s *Store) forget(dir string, children bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for d, f := range s.folders {
		if d == dir || children && strings.HasPrefix(d, dir+".") {
			delete(s.folders, d)
			f.gone.Store(true)
			if i := slices.Index(s.idle, f); i >= 0 {
				s.idle = slices.Delete(s.idle, i, i+1)
			}
		}
	}
}
