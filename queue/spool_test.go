package queue

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadAll(t *testing.T, s Store) map[string]*Envelope {
	t.Helper()
	out := map[string]*Envelope{}
	require.NoError(t, s.Load(context.Background(), func(e *Envelope) error {
		out[e.ID] = e
		return nil
	}))
	return out
}

func readBody(t *testing.T, s Store, id string) string {
	t.Helper()
	b, err := s.Open(context.Background(), id)
	require.NoError(t, err)
	defer b.Close()
	data, err := io.ReadAll(b)
	require.NoError(t, err)
	return string(data)
}

func TestStores(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) Store{
		"memory": func(t *testing.T) Store { return &MemoryStore{} },
		"spool": func(t *testing.T) Store {
			s, err := OpenSpool(t.TempDir())
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			env := &Envelope{ID: "m1", From: "a@b", Recipients: []Recipient{{Addr: "c@d", Notify: NotifySuccess, ORcpt: "rfc822;c@d"}}, Meta: map[string]string{"k": "v"}, Created: time.Unix(1e9, 0).UTC()}
			require.NoError(t, s.Create(ctx, env, strings.NewReader("body\r\n")))
			env.Meta["k"] = "changed by the caller"
			got := loadAll(t, s)
			require.Len(t, got, 1)
			assert.Equal(t, "v", got["m1"].Meta["k"], "the store keeps its own copy")
			assert.Equal(t, NotifySuccess, got["m1"].Recipients[0].Notify)
			assert.True(t, got["m1"].Created.Equal(env.Created))
			assert.Equal(t, "body\r\n", readBody(t, s, "m1"))

			env.Recipients[0].State = Delivered
			require.NoError(t, s.Update(ctx, env))
			assert.Equal(t, Delivered, loadAll(t, s)["m1"].Recipients[0].State)

			b, err := s.Open(ctx, "m1")
			require.NoError(t, err)
			_, err = b.Seek(2, io.SeekStart)
			require.NoError(t, err)
			rest, _ := io.ReadAll(b)
			assert.Equal(t, "dy\r\n", string(rest))
			b.Close()

			require.NoError(t, s.Delete(ctx, "m1"))
			require.NoError(t, s.Delete(ctx, "m1"), "deleting twice is fine")
			assert.Empty(t, loadAll(t, s))
			_, err = s.Open(ctx, "m1")
			assert.ErrorIs(t, err, ErrNotFound)
			assert.ErrorIs(t, s.Update(ctx, env), ErrNotFound)
		})
	}
}

func TestSpoolRecovery(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Create(ctx, &Envelope{ID: "good", Recipients: []Recipient{{Addr: "a@b"}}}, strings.NewReader("x")))
	require.NoError(t, s.Close())
	assert.ErrorIs(t, s.Create(ctx, &Envelope{ID: "late"}, strings.NewReader("x")), ErrClosed)

	// What a crash leaves: temporary files (a message or an envelope
	// never renamed into place), the envelope of a message whose .msg
	// was already deleted, a body without envelope from the older
	// two-file layout (removed by Load); and an unreadable .env, which
	// Load reports.
	for name, data := range map[string]string{
		"half.msg.abc.tmp": "partial",
		"good.env.def.tmp": "{",
		"deleted.env":      `{"id":"deleted"}`,
		"unrelated.txt":    "left alone",
		"headless.msg":     "no envelope line",
		"corrupt.msg":      spoolMagic + `{"id":"corrupt"}` + "\nx",
		"corrupt.env":      "{not json",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600))
	}
	s, err = OpenSpool(dir)
	require.NoError(t, err)
	defer s.Close()
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	assert.Equal(t, []string{"corrupt.env", "corrupt.msg", "good.msg", "headless.msg", "unrelated.txt"}, names)
	got := map[string]*Envelope{}
	err = s.Load(ctx, func(e *Envelope) error { got[e.ID] = e; return nil })
	assert.ErrorContains(t, err, "corrupt.env", "an unreadable envelope is reported")
	assert.NotContains(t, err.Error(), "headless")
	assert.NoFileExists(t, filepath.Join(dir, "headless.msg"))
	assert.Len(t, got, 1)
	assert.Contains(t, got, "good")
	body, err := s.Open(ctx, "good")
	require.NoError(t, err)
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	assert.Equal(t, "x", string(b))
	_, err = s.Open(ctx, "headless")
	assert.ErrorIs(t, err, ErrNotFound)
}

// TestSpoolEnvelopeLimit: an envelope too large for the first line of a
// .msg file is refused by Create, never acknowledged and then unreadable.
func TestSpoolEnvelopeLimit(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir)
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	env := &Envelope{ID: "big", From: "a@b", Recipients: []Recipient{{Addr: "c@d"}},
		Meta: map[string]string{"k": strings.Repeat("x", maxEnvelopeLine)}}
	assert.ErrorContains(t, s.Create(ctx, env, strings.NewReader("body")), "envelope of")
	assert.Empty(t, loadAll(t, s))
	env.Meta["k"] = strings.Repeat("x", 1<<20)
	require.NoError(t, s.Create(ctx, env, strings.NewReader("body")))
	assert.Equal(t, "body", readBody(t, s, "big"))
	assert.Len(t, loadAll(t, s)["big"].Meta["k"], 1<<20)
}

// TestSpoolReCreateReplaces: a message created again (after a crash in
// which the first Create did not return) replaces the old one, envelope
// updates included (store.go's contract).
func TestSpoolReCreateReplaces(t *testing.T) {
	s, err := OpenSpool(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	e1 := &Envelope{ID: "m", From: "old@x", Recipients: []Recipient{{Addr: "old@y"}}}
	require.NoError(t, s.Create(ctx, e1, strings.NewReader("old body")))
	e1.Attempts = 1
	require.NoError(t, s.Update(ctx, e1))
	e2 := &Envelope{ID: "m", From: "new@x", Recipients: []Recipient{{Addr: "new@y"}}}
	require.NoError(t, s.Create(ctx, e2, strings.NewReader("new body")))
	assert.Equal(t, "new body", readBody(t, s, "m"))
	assert.Equal(t, "new@x", loadAll(t, s)["m"].From)
}

// TestSpoolOlderLayout: a message queued by a version that kept the body
// alone in <id>.msg and the envelope in <id>.env is loaded, read, updated
// and deleted.
func TestSpoolOlderLayout(t *testing.T) {
	dir := t.TempDir()
	const body = "Subject: hi\r\n\r\nbody\r\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "old1.msg"), []byte(body), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "old1.env"), []byte(`{"id":"old1","from":"a@b","recipients":[{"addr":"c@d"}]}`), 0o600))
	s, err := OpenSpool(dir)
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	got := loadAll(t, s)
	require.Contains(t, got, "old1")
	assert.Equal(t, body, readBody(t, s, "old1"))
	got["old1"].Attempts = 2
	require.NoError(t, s.Update(ctx, got["old1"]))
	assert.Equal(t, 2, loadAll(t, s)["old1"].Attempts)
	assert.Equal(t, body, readBody(t, s, "old1"))
	require.NoError(t, s.Delete(ctx, "old1"))
	assert.Empty(t, loadAll(t, s))
}

func TestSpoolRejectsBadIDs(t *testing.T) {
	s, err := OpenSpool(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	for _, id := range []string{"", "../x", "a/b", "a.b", strings.Repeat("a", 200)} {
		assert.Error(t, s.Create(context.Background(), &Envelope{ID: id}, strings.NewReader("x")), id)
		_, err := s.Open(context.Background(), id)
		assert.Error(t, err, id)
	}
}

// The crash test. The child enqueues into a spool from several
// goroutines as fast as it can, while the queue rewrites envelopes with
// the results of failing deliveries, and prints each id once Enqueue has
// returned; the parent kills it with SIGKILL at a random moment, then
// checks the spool: every printed message is present and intact, no
// message is half present, and the only extra messages are those whose
// Enqueue had not returned (the window in which a client that got no
// answer sends again: a duplicate).

const crashEnv = "POSTKIT_QUEUE_CRASH_DIR"

const crashProducers = 8

func TestCrashRecovery(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	runs := 20
	if testing.Short() {
		runs = 5
	}
	dir := t.TempDir()
	acked := map[string]string{} // id -> sha256
	for run := range runs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		var lines []string
		read := make(chan struct{})
		go func() {
			defer close(read)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
		}()
		time.Sleep(time.Duration(100+rand.IntN(300)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		<-read
		cmd.Wait()
		newAcks := 0
		for _, l := range lines {
			id, sum, ok := strings.Cut(l, " ")
			if !ok || len(sum) != 64 {
				continue // a line cut by the kill: not acknowledged
			}
			acked[id] = sum
			newAcks++
		}

		s, err := OpenSpool(dir)
		require.NoError(t, err)
		present := loadAll(t, s)
		for id, sum := range acked {
			env, ok := present[id]
			if !assert.True(t, ok, "run %d: acknowledged message %s lost", run, id) {
				continue
			}
			assert.Equal(t, sum, env.Meta["sha256"], "run %d: %s", run, id)
			b := readBody(t, s, id)
			h := sha256.Sum256([]byte(b))
			assert.Equal(t, sum, hex.EncodeToString(h[:]), "run %d: body of %s", run, id)
			require.Len(t, env.Recipients, 2)
			assert.Equal(t, "r1@x.test", env.Recipients[0].Addr)
		}
		extra := 0
		for id, env := range present {
			if _, ok := acked[id]; !ok {
				// Enqueue had not returned: present or not, but whole.
				b := readBody(t, s, id)
				h := sha256.Sum256([]byte(b))
				assert.Equal(t, env.Meta["sha256"], hex.EncodeToString(h[:]), "run %d: unacknowledged %s", run, id)
				acked[id] = env.Meta["sha256"] // from now on it must stay
				extra++
			}
		}
		assert.LessOrEqual(t, extra, crashProducers, "run %d: only in-flight Enqueues may be present unacknowledged", run)
		ents, _ := os.ReadDir(dir)
		msgs := 0
		for _, e := range ents {
			name := e.Name()
			assert.False(t, strings.HasSuffix(name, spoolTmp), "run %d: %s left after recovery", run, name)
			if id, ok := strings.CutSuffix(name, spoolEnv); ok {
				assert.Contains(t, present, id, "run %d: %s without its message", run, name)
			}
			if strings.HasSuffix(name, spoolMsg) {
				msgs++
			}
		}
		assert.Equal(t, len(present), msgs, "run %d: one .msg file per message", run)
		require.NoError(t, s.Close())
		t.Logf("run %d: %d acknowledged (total %d), %d present unacknowledged", run, newAcks, len(acked), extra)
		if t.Failed() {
			return
		}
	}
}

// crashChild runs in the child process until it is killed.
func crashChild(dir string) {
	s, err := OpenSpool(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	q := &Queue{
		Store: s,
		Deliverer: DelivererFunc(func(ctx context.Context, from string, to []string, msg io.Reader) []error {
			return fill(len(to), &fakeErr{temp: true, status: "4.4.1", diag: "no answer"})
		}),
		Backoff:      func(int) time.Duration { return time.Millisecond },
		DelayWarning: -1,
	}
	if err := q.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range crashProducers {
		wg.Go(func() {
			for {
				body := make([]byte, 100+rand.IntN(20000))
				for i := range body {
					body[i] = 'a' + byte(rand.IntN(26))
				}
				h := sha256.Sum256(body)
				sum := hex.EncodeToString(h[:])
				env := &Envelope{From: "s@example.org", Meta: map[string]string{"sha256": sum},
					Recipients: []Recipient{{Addr: "r1@x.test"}, {Addr: "r2@y.test"}}}
				id, err := q.Enqueue(context.Background(), env, strings.NewReader(string(body)))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				os.Stdout.WriteString(id + " " + sum + "\n")
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// OpenSpool creates the missing directories of its path.
func TestOpenSpoolCreatesDirectories(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "spool")
	s, err := OpenSpool(dir)
	require.NoError(t, err)
	defer s.Close()
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	require.NoError(t, mkdirDurable(dir), "an existing directory")
}
