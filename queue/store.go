package queue

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
)

// ErrNotFound is returned for a message the queue or the store does not
// hold.
var ErrNotFound = errors.New("queue: no such message")

// A Body is a message body being read. Delivery rewinds it with Seek.
type Body interface {
	io.ReadSeekCloser
}

// A Store keeps the queue's messages: a body that never changes and an
// envelope that the queue replaces as delivery goes on. The queue calls
// it from many goroutines at once, but never twice at once for the same
// message. Put the queue on another engine (a SQL database, a replicated
// log) by implementing it; MemoryStore and Spool are the built-in ones.
//
// What a store must guarantee:
//
//   - Durability on return: when Create, Update or Delete returns nil,
//     the change survives a crash of the process and of the machine (for
//     an engine: it is committed). Enqueue acknowledges a message on the
//     strength of Create alone.
//   - Atomicity: after a crash, Load sees every message either as it was
//     after one of its successful calls or not at all — never a body
//     without its envelope, a truncated body, or an envelope half
//     replaced. A Create that did not return nil may leave the message
//     absent or present; a Delete that did not return nil may leave it
//     present.
//   - Integrity: Open gives back the exact bytes that Create read.
//   - Independence: the store keeps no reference to the Envelope passed
//     to it (it copies or serializes), and Load's envelopes are the
//     caller's.
//
// Create may also be called for a message whose ID the store already
// holds only after a crash in which the first Create did not return;
// it then replaces it.
type Store interface {
	// Create stores a new message: it reads body to its end, and
	// stores it together with env under env.ID.
	Create(ctx context.Context, env *Envelope, body io.Reader) error
	// Update replaces the envelope of message env.ID.
	Update(ctx context.Context, env *Envelope) error
	// Open returns the body of message id, or an error matching
	// ErrNotFound.
	Open(ctx context.Context, id string) (Body, error)
	// Delete removes message id. Deleting a message that is not there
	// is not an error.
	Delete(ctx context.Context, id string) error
	// Load calls fn with the envelope of every message, in no
	// particular order. The queue calls it once, at Start.
	Load(ctx context.Context, fn func(env *Envelope) error) error
}

// MemoryStore is a Store in memory: durable only as long as the process
// lives. It suits tests and mail that may be lost. The zero value is
// ready to use.
type MemoryStore struct {
	mu   sync.Mutex
	msgs map[string]*memMessage
}

type memMessage struct {
	env  *Envelope
	body []byte
}

var _ Store = (*MemoryStore)(nil)

// Create implements Store.
func (s *MemoryStore) Create(ctx context.Context, env *Envelope, body io.Reader) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.msgs == nil {
		s.msgs = make(map[string]*memMessage)
	}
	s.msgs[env.ID] = &memMessage{env: env.Clone(), body: b}
	return nil
}

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, env *Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[env.ID]
	if !ok {
		return ErrNotFound
	}
	m.env = env.Clone()
	return nil
}

// Open implements Store.
func (s *MemoryStore) Open(ctx context.Context, id string) (Body, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return nil, ErrNotFound
	}
	return nopCloser{bytes.NewReader(m.body)}, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.msgs, id)
	return nil
}

// Load implements Store.
func (s *MemoryStore) Load(ctx context.Context, fn func(env *Envelope) error) error {
	s.mu.Lock()
	envs := make([]*Envelope, 0, len(s.msgs))
	for _, m := range s.msgs {
		envs = append(envs, m.env.Clone())
	}
	s.mu.Unlock()
	for _, e := range envs {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of messages held.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
