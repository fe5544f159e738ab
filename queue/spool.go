package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Spool is a Store in one directory: for each message <id>.msg (the body)
// and <id>.env (the envelope, JSON).
//
// Every file is written under a temporary name (ending in ".tmp"),
// fsynced, and renamed into place; the directory is then fsynced, so a
// rename is durable before a call returns. A message is present when both
// of its files are: Create renames the body before the envelope, and
// Delete removes the envelope before the body. Update replaces the
// envelope by a rename, which is atomic. OpenSpool removes what a crash
// left behind — temporary files and lone .msg or .env files, which belong
// to messages never acknowledged or already deleted.
//
// Group commit: the directory fsync that makes renames durable is shared.
// Callers write and fsync their own files concurrently (the file system
// joins concurrent fsyncs into one journal commit) and then wait for a
// committer goroutine, which fsyncs the directory once for every rename
// made since its last fsync. Throughput thus grows with the number of
// concurrent writers.
//
// A Spool is safe for concurrent use. The directory must not be shared
// by two Spools, in one process or in several.
type Spool struct {
	dir   string
	d     *os.File
	each  bool // fsync the directory for each call (no group commit)
	syncs chan chan error

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// SpoolOptions configure OpenSpool.
type SpoolOptions struct {
	// NoGroupCommit makes every call fsync the directory itself instead
	// of sharing the fsync with concurrent calls. It exists for
	// benchmarks (the baseline group commit is measured against).
	NoGroupCommit bool
}

// Suffixes of the spool's files.
const (
	spoolMsg = ".msg"
	spoolEnv = ".env"
	spoolTmp = ".tmp"
)

var _ Store = (*Spool)(nil)

// OpenSpool opens the spool in dir, creating the directory if needed, and
// recovers it from a crash: temporary files are removed, and so are
// bodies without an envelope and envelopes without a body. The Spool
// must be closed with Close.
func OpenSpool(dir string, opts *SpoolOptions) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{dir: dir, d: d, syncs: make(chan chan error, 1024)}
	if opts != nil {
		s.each = opts.NoGroupCommit
	}
	if err := s.recover(); err != nil {
		d.Close()
		return nil, err
	}
	s.wg.Add(1)
	go s.committer()
	return s, nil
}

// recover removes what a crash can leave: temporary files, and the lone
// halves of messages never acknowledged or partly deleted.
func (s *Spool) recover() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	msgs := make(map[string]bool)
	envs := make(map[string]bool)
	removed := false
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, spoolTmp):
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			removed = true
		case strings.HasSuffix(name, spoolMsg):
			msgs[strings.TrimSuffix(name, spoolMsg)] = true
		case strings.HasSuffix(name, spoolEnv):
			envs[strings.TrimSuffix(name, spoolEnv)] = true
		}
	}
	for id := range msgs {
		if !envs[id] {
			if err := os.Remove(s.path(id, spoolMsg)); err != nil {
				return err
			}
			removed = true
		}
	}
	for id := range envs {
		if !msgs[id] {
			if err := os.Remove(s.path(id, spoolEnv)); err != nil {
				return err
			}
			removed = true
		}
	}
	if removed {
		return s.d.Sync()
	}
	return nil
}

// Dir returns the spool's directory.
func (s *Spool) Dir() string { return s.dir }

func (s *Spool) path(id, suffix string) string { return filepath.Join(s.dir, id+suffix) }

// validID reports whether id can name files: letters, digits, '-' and
// '_', so that no id escapes the directory.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ErrClosed is returned by a closed Spool or Queue.
var ErrClosed = errors.New("queue: closed")

// writeTemp writes a new temporary file next to final with what fill
// writes, fsyncs it and returns its name.
func (s *Spool) writeTemp(final string, fill func(w io.Writer) error) (string, error) {
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := final + "." + hex.EncodeToString(rnd[:]) + spoolTmp
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	err = fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

func (s *Spool) writeEnv(env *Envelope) (string, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return "", err
	}
	b = append(b, '\n')
	return s.writeTemp(s.path(env.ID, spoolEnv), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

func (s *Spool) check(id string) error {
	if !validID(id) {
		return fmt.Errorf("queue: invalid message id %q", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// Create implements Store: the body and the envelope are written to
// temporary files and fsynced, renamed (body first), and the directory is
// fsynced with the group's.
func (s *Spool) Create(ctx context.Context, env *Envelope, body io.Reader) error {
	if err := s.check(env.ID); err != nil {
		return err
	}
	msgTmp, err := s.writeTemp(s.path(env.ID, spoolMsg), func(w io.Writer) error {
		_, err := io.Copy(w, body)
		return err
	})
	if err != nil {
		return err
	}
	envTmp, err := s.writeEnv(env)
	if err != nil {
		os.Remove(msgTmp)
		return err
	}
	if err := os.Rename(msgTmp, s.path(env.ID, spoolMsg)); err != nil {
		os.Remove(msgTmp)
		os.Remove(envTmp)
		return err
	}
	if err := os.Rename(envTmp, s.path(env.ID, spoolEnv)); err != nil {
		os.Remove(envTmp)
		return err
	}
	return s.syncDir()
}

// Update implements Store: the envelope is replaced by a rename.
func (s *Spool) Update(ctx context.Context, env *Envelope) error {
	if err := s.check(env.ID); err != nil {
		return err
	}
	final := s.path(env.ID, spoolEnv)
	if _, err := os.Stat(final); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return err
	}
	tmp, err := s.writeEnv(env)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return err
	}
	return s.syncDir()
}

// Open implements Store; the body is an *os.File.
func (s *Spool) Open(ctx context.Context, id string) (Body, error) {
	if err := s.check(id); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(id, spoolMsg))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Delete implements Store: the envelope goes first, then the body.
func (s *Spool) Delete(ctx context.Context, id string) error {
	if err := s.check(id); err != nil {
		return err
	}
	if err := os.Remove(s.path(id, spoolEnv)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Remove(s.path(id, spoolMsg)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return s.syncDir()
}

// Load implements Store. An envelope that cannot be read is reported as
// an error naming its file, after the others.
func (s *Spool) Load(ctx context.Context, fn func(env *Envelope) error) error {
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	var bad []error
	for {
		names, err := d.Readdirnames(1024)
		for _, name := range names {
			if !strings.HasSuffix(name, spoolEnv) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			b, err := os.ReadFile(filepath.Join(s.dir, name))
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return err
			}
			env := new(Envelope)
			if err := json.Unmarshal(b, env); err != nil || env.ID+spoolEnv != name {
				bad = append(bad, fmt.Errorf("queue: spool envelope %s unreadable: %v", name, err))
				continue
			}
			if err := fn(env); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return errors.Join(bad...)
}

// syncDir makes the renames and removals made so far durable: alone with
// NoGroupCommit, else with the committer's next fsync.
func (s *Spool) syncDir() error {
	if s.each {
		return s.d.Sync()
	}
	done := make(chan error, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.syncs <- done // under mu, so that Close cannot close syncs meanwhile
	s.mu.Unlock()
	return <-done
}

// committer fsyncs the directory for every batch of waiting callers: all
// the callers queued when an fsync starts are answered by it.
func (s *Spool) committer() {
	defer s.wg.Done()
	var batch []chan error
	for first := range s.syncs {
		batch = append(batch[:0], first)
	drain:
		for {
			select {
			case c, ok := <-s.syncs:
				if !ok {
					break drain
				}
				batch = append(batch, c)
			default:
				break drain
			}
		}
		err := s.d.Sync()
		for _, c := range batch {
			c <- err
		}
	}
}

// Close stops the committer and closes the directory. Calls in progress
// finish first; later ones return ErrClosed.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.syncs)
	s.mu.Unlock()
	s.wg.Wait()
	return s.d.Close()
}
