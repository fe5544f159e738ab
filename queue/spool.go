package queue

import (
	"bufio"
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

// Spool is a Store in one directory. A message is one file, <id>.msg:
// a first line holding its envelope as it was enqueued ("PKSPOOL1 "
// and the JSON of the Envelope), then the body. Once the queue updates
// the envelope, the newest version is in <id>.env (JSON), which takes
// precedence over the first line. One file per message, not two, halves
// the files created per Enqueue, which is what bounds the throughput of
// many concurrent enqueues once their fsyncs are shared.
//
// Every file is written under a temporary name (ending in ".tmp"),
// fsynced, and renamed into place; the directory is then fsynced, so a
// rename is durable before a call returns. A message is present when its
// .msg file is: Create renames it into place as its last step, and Delete
// removes it before the .env. Update replaces the .env by a rename, which
// is atomic. OpenSpool removes what a crash left behind — temporary files,
// and .env files without their .msg, which belong to messages deleted.
//
// A spool written before the envelope moved into the .msg file (the body
// alone in <id>.msg, the envelope in <id>.env) is read as it is.
//
// Group commit: callers write their temporary files and hand them to a
// committer goroutine, which takes every file handed in since its last
// round, makes them all durable at once, renames them, fsyncs the
// directory once, and answers every caller of the round. On Linux 5.8
// and later the round's files are made durable by one syncfs(2) — one
// write-back and one disk cache flush for the round, where fsyncs would
// flush once per file — else by concurrent fsyncs. Throughput thus grows
// with the number of concurrent callers. (syncfs writes back whatever
// else is dirty on the file system too: give the spool a file system
// that does not also take bulk writes.) OpenSpool checks the file
// system's type once (statfs(2)) and fsyncs each file instead where
// syncfs does not make files durable or does not report its failure: FUSE
// (syncfs reaches the server only from Linux 5.15, and only if it
// implements it), overlayfs before Linux 5.15, and the network file
// systems it knows (NFS, SMB/CIFS, Ceph, 9p, AFS, Lustre and others).
//
// A Spool is safe for concurrent use. The directory must not be shared
// by two Spools, in one process or in several.
type Spool struct {
	dir     string
	d       *os.File
	mode    commitMode
	syncfs  bool // syncRound may use syncfs: see syncfsWorks
	commits chan *commitReq
	serial  sync.Mutex // commitSerial: one commit at a time
	// creators bounds the files being created at once: many threads
	// creating files in one directory spin on its lock.
	creators chan struct{}

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// commitMode is how a Spool makes its writes durable. Only benchmarks
// choose another than commitGroup: they are the baselines group commit is
// measured against.
type commitMode int

const (
	// commitGroup: the committer fsyncs and renames for many callers.
	commitGroup commitMode = iota
	// commitSerial: each call makes its own writes durable, one call at
	// a time — every message is fsynced alone.
	commitSerial
	// commitIndependent: each call makes its own writes durable, calls
	// running concurrently (the file system may still join their fsyncs).
	commitIndependent
)

// A commitReq is a caller's writes waiting for the committer.
type commitReq struct {
	files   []*os.File  // temporary files to fsync and close
	renames [][2]string // then to rename, in order
	done    chan error
}

// maxCreators bounds concurrent file creations in a spool.
const maxCreators = 4

// maxSyncers bounds the fsyncs the committer runs at once.
const maxSyncers = 32

// Suffixes of the spool's files.
const (
	spoolMsg = ".msg"
	spoolEnv = ".env"
	spoolTmp = ".tmp"
)

// spoolMagic starts the first line of a .msg file, which holds the
// envelope the message was enqueued with.
const spoolMagic = "PKSPOOL1 "

// maxEnvelopeLine bounds the first line of a .msg file: the envelope of
// a message with some thousands of recipients fits many times over.
const maxEnvelopeLine = 16 << 20

var _ Store = (*Spool)(nil)

// OpenSpool opens the spool in dir, creating the directory if needed, and
// recovers it from a crash: temporary files are removed, and so are the
// .env files of deleted messages. The Spool must be closed with Close.
func OpenSpool(dir string) (*Spool, error) {
	return openSpool(dir, commitGroup)
}

func openSpool(dir string, mode commitMode) (*Spool, error) {
	if err := mkdirDurable(dir); err != nil {
		return nil, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{dir: dir, d: d, mode: mode, syncfs: syncfsWorks(d), commits: make(chan *commitReq, 1024), creators: make(chan struct{}, maxCreators)}
	if err := s.recover(); err != nil {
		d.Close()
		return nil, err
	}
	s.wg.Add(1)
	go s.committer()
	return s, nil
}

// mkdirDurable creates dir and its missing parents, and fsyncs the
// parent of each directory it created, so that the new directory entries
// — the spool's own among them — survive a crash as the files put in
// them do.
func mkdirDurable(dir string) error {
	dir = filepath.Clean(dir)
	var missing []string // from dir up
	for d := dir; ; {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			break // there, or an error MkdirAll reports
		}
		missing = append(missing, d)
		p := filepath.Dir(d)
		if p == d {
			break
		}
		d = p
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := syncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

// syncDir fsyncs directory dir.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// recover removes what a crash can leave: temporary files, and the
// envelopes of messages partly deleted.
func (s *Spool) recover() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	msgs := make(map[string]bool)
	var envs []string
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
			envs = append(envs, strings.TrimSuffix(name, spoolEnv))
		}
	}
	for _, id := range envs {
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

// createTemp creates a temporary file next to final, writes what fill
// writes to it, and returns it open, not yet fsynced.
func (s *Spool) createTemp(final string, fill func(w io.Writer) error) (*os.File, error) {
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := final + "." + hex.EncodeToString(rnd[:]) + spoolTmp
	s.creators <- struct{}{}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	<-s.creators
	if err != nil {
		return nil, err
	}
	if err := fill(f); err != nil {
		discard(f)
		return nil, err
	}
	return f, nil
}

// discard closes and removes a temporary file.
func discard(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

func (s *Spool) createEnv(env *Envelope) (*os.File, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	return s.createTemp(s.path(env.ID, spoolEnv), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// commit makes files durable and renames them as renames says, then
// makes the renames durable: through the committer, or alone.
func (s *Spool) commit(files []*os.File, renames [][2]string) error {
	if s.mode != commitGroup {
		if s.mode == commitSerial {
			s.serial.Lock()
			defer s.serial.Unlock()
		}
		err := syncFiles(files)
		if err == nil {
			err = rename(renames)
		}
		if err == nil {
			err = s.d.Sync()
		}
		return err
	}
	r := &commitReq{files: files, renames: renames, done: make(chan error, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		for _, f := range files {
			discard(f)
		}
		return ErrClosed
	}
	s.commits <- r // under mu, so that Close cannot close commits meanwhile
	s.mu.Unlock()
	return <-r.done
}

// syncFiles fsyncs and closes files; on error it removes them all.
func syncFiles(files []*os.File) error {
	var err error
	for _, f := range files {
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		for _, f := range files {
			os.Remove(f.Name())
		}
	}
	return err
}

func rename(renames [][2]string) error {
	for i, r := range renames {
		if err := os.Rename(r[0], r[1]); err != nil {
			for _, r := range renames[i:] {
				os.Remove(r[0])
			}
			return err
		}
	}
	return nil
}

// syncRound makes the files of a round durable and closes them, and
// returns each request's error. Where the kernel has a syncfs(2) that
// reports write-back errors, and the file system is one where it works
// (s.syncfs), one call writes back the whole round and flushes the disk
// cache once; the files are fsynced one by one only if it fails, to learn
// which. Elsewhere the files are fsynced concurrently, which file systems
// join into few journal commits.
func (s *Spool) syncRound(batch []*commitReq) []error {
	errs := make([]error, len(batch))
	if s.syncfs {
		if err := syncfs(s.d); err == nil {
			for i, r := range batch {
				for _, f := range r.files {
					if cerr := f.Close(); cerr != nil && errs[i] == nil {
						errs[i] = cerr
					}
				}
				if errs[i] != nil {
					for _, f := range r.files {
						os.Remove(f.Name())
					}
				}
			}
			return errs
		}
	}
	sem := make(chan struct{}, maxSyncers)
	var wg sync.WaitGroup
	for i, r := range batch {
		if len(r.files) == 0 {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			errs[i] = syncFiles(r.files)
			<-sem
		})
	}
	wg.Wait()
	return errs
}

// committer serves rounds of commits: every request waiting when a round
// starts is in it. The files of the round are fsynced concurrently, then
// renamed, then the directory is fsynced once for all.
func (s *Spool) committer() {
	defer s.wg.Done()
	var batch []*commitReq
	for first := range s.commits {
		batch = append(batch[:0], first)
	drain:
		for {
			select {
			case r, ok := <-s.commits:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		errs := s.syncRound(batch)
		for i, r := range batch {
			if errs[i] == nil {
				errs[i] = rename(r.renames)
			} else {
				for _, rn := range r.renames {
					os.Remove(rn[0])
				}
			}
		}
		derr := s.d.Sync()
		for i, r := range batch {
			if errs[i] == nil {
				errs[i] = derr
			}
			r.done <- errs[i]
		}
	}
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

// Create implements Store: the envelope line and the body are written
// to a temporary file, which is fsynced and renamed into place, and the
// directory is fsynced, with the group's.
func (s *Spool) Create(ctx context.Context, env *Envelope, body io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.check(env.ID); err != nil {
		return err
	}
	line, err := envelopeLine(env)
	if err != nil {
		return err
	}
	if len(line) > maxEnvelopeLine {
		return fmt.Errorf("queue: envelope of %d bytes, more than a spool holds (%d)", len(line), maxEnvelopeLine)
	}
	// A message created again after a crash replaces the old one: an
	// envelope it was updated with must not override the new one.
	if err := os.Remove(s.path(env.ID, spoolEnv)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	final := s.path(env.ID, spoolMsg)
	f, err := s.createTemp(final, func(w io.Writer) error {
		if _, err := w.Write(line); err != nil {
			return err
		}
		_, err := io.Copy(w, body)
		return err
	})
	if err != nil {
		return err
	}
	return s.commit([]*os.File{f}, [][2]string{{f.Name(), final}})
}

// envelopeLine returns the first line of a .msg file for env.
func envelopeLine(env *Envelope) ([]byte, error) {
	b, err := json.Marshal(env) // JSON escapes every control character: one line
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(spoolMagic)+len(b)+1)
	line = append(line, spoolMagic...)
	line = append(line, b...)
	return append(line, '\n'), nil
}

// errOldLayout is readEnvelopeLine's answer for a .msg file without an
// envelope line: one written before the envelope moved into it, whose
// envelope is in its .env file and whose body starts at offset 0.
var errOldLayout = errors.New("no envelope line")

// readEnvelopeLine reads the first line of the .msg file f and returns
// the envelope JSON in it (if keep) and the offset of the body.
func readEnvelopeLine(f *os.File, keep bool) ([]byte, int64, error) {
	br := bufio.NewReaderSize(io.LimitReader(f, maxEnvelopeLine), 4096)
	magic, err := br.Peek(len(spoolMagic))
	if err != nil && err != io.EOF {
		return nil, 0, err
	}
	if string(magic) != spoolMagic {
		return nil, 0, errOldLayout
	}
	var line []byte
	var n int64
	for {
		chunk, err := br.ReadSlice('\n')
		n += int64(len(chunk))
		if keep {
			line = append(line, chunk...)
		}
		if err == nil {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			err = errors.New("envelope line not ended")
		}
		return nil, 0, err
	}
	if keep {
		line = line[len(spoolMagic) : len(line)-1]
	}
	return line, n, nil
}

// bodyFile is the body of a .msg file: the part after the envelope line.
type bodyFile struct {
	*io.SectionReader
	f *os.File
}

func (b *bodyFile) Close() error { return b.f.Close() }

// Update implements Store: the envelope is written to the message's
// .env file, replaced by a rename.
func (s *Spool) Update(ctx context.Context, env *Envelope) error {
	if err := s.check(env.ID); err != nil {
		return err
	}
	final := s.path(env.ID, spoolEnv)
	if _, err := os.Stat(s.path(env.ID, spoolMsg)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return err
	}
	f, err := s.createEnv(env)
	if err != nil {
		return err
	}
	return s.commit([]*os.File{f}, [][2]string{{f.Name(), final}})
}

// Open implements Store; the body is read from the .msg file, after
// its envelope line.
func (s *Spool) Open(ctx context.Context, id string) (Body, error) {
	if err := s.check(id); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(id, spoolMsg))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	_, off, err := readEnvelopeLine(f, false)
	if errors.Is(err, errOldLayout) {
		off, err = 0, nil
	}
	if err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil {
			return &bodyFile{io.NewSectionReader(f, off, st.Size()-off), f}, nil
		}
	}
	f.Close()
	return nil, fmt.Errorf("queue: spool message %s: %w", id, err)
}

// Delete implements Store: the .msg file goes, the directory is synced,
// and only then the .env file goes, so that no crash can bring the
// message back with its first envelope; a .env left alone is removed at
// the next OpenSpool.
func (s *Spool) Delete(ctx context.Context, id string) error {
	if err := s.check(id); err != nil {
		return err
	}
	if err := os.Remove(s.path(id, spoolMsg)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := s.commit(nil, nil); err != nil {
		return err
	}
	if err := os.Remove(s.path(id, spoolEnv)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Load implements Store: each message's envelope is its .env file if it
// has one, else the first line of its .msg file. A message whose
// envelope cannot be read is reported as an error naming its file, after
// the others.
func (s *Spool) Load(ctx context.Context, fn func(env *Envelope) error) error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	updated := make(map[string]bool)
	for _, e := range ents {
		if name := e.Name(); strings.HasSuffix(name, spoolEnv) {
			updated[strings.TrimSuffix(name, spoolEnv)] = true
		}
	}
	var bad []error
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, spoolMsg) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		id := strings.TrimSuffix(name, spoolMsg)
		var b []byte
		if updated[id] {
			name = id + spoolEnv
			b, err = os.ReadFile(filepath.Join(s.dir, name))
		} else {
			b, err = s.readFirstEnvelope(name)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if errors.Is(err, errOldLayout) {
			// A body without its envelope, from before the envelope
			// moved into the .msg file: a message never acknowledged.
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		var env *Envelope
		if err == nil {
			env = new(Envelope)
			if err = json.Unmarshal(b, env); err == nil && env.ID != id {
				err = fmt.Errorf("names message %q", env.ID)
			}
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("queue: spool envelope %s unreadable: %v", name, err))
			continue
		}
		if err := fn(env); err != nil {
			return err
		}
	}
	return errors.Join(bad...)
}

// readFirstEnvelope returns the envelope JSON of the .msg file name.
func (s *Spool) readFirstEnvelope(name string) ([]byte, error) {
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, _, err := readEnvelopeLine(f, true)
	return b, err
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
	close(s.commits)
	s.mu.Unlock()
	s.wg.Wait()
	return s.d.Close()
}
