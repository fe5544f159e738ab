package imap

import (
	"container/list"
	"sync"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mime"
)

// Defaults for the zero values of Server's limits.
const (
	// DefaultMaxAppendBytes is the largest message APPEND takes, and the
	// APPENDLIMIT advertised (RFC 7889); mail systems accept 25 to 50
	// MiB.
	DefaultMaxAppendBytes = 50 << 20

	// DefaultMaxErrors is the number of bad commands (BAD responses)
	// after which a connection gets BYE and is closed.
	DefaultMaxErrors = 20

	// DefaultMaxAuthFailures is the number of failed logins after which
	// a connection gets BYE and is closed.
	DefaultMaxAuthFailures = 3

	// DefaultIdleTimeout is how long an authenticated session may stay
	// silent, IDLE included. RFC 9051 5.4: an autologout timer "MUST be
	// at least 30 minutes".
	DefaultIdleTimeout = 30 * time.Minute

	// DefaultLoginTimeout is how long a connection may stay silent before
	// it has logged in (RFC 9051 5.4 allows a shorter timer there).
	DefaultLoginTimeout = time.Minute

	// DefaultWriteTimeout bounds the writing of a batch of responses to
	// a client that does not read.
	DefaultWriteTimeout = 5 * time.Minute

	// DefaultMaxConnections is the cap on connections served at once.
	DefaultMaxConnections = 1000

	// DefaultMaxConnectionsPerIP is the cap on connections from one IP
	// address (Dovecot's mail_max_userip_connections is 10 per user and
	// IP; clients open a few each).
	DefaultMaxConnectionsPerIP = 50

	// DefaultStructureCacheSize is how many parsed message structures a
	// Server keeps, so that a client fetching ENVELOPE, then
	// BODYSTRUCTURE, then parts of a message parses it once.
	DefaultStructureCacheSize = 1000

	// maxUnauthLiteral is the largest literal read before login: enough
	// for a user name or password, too little to make the server read
	// much from a stranger.
	maxUnauthLiteral = 4096
)

func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

func (s *Server) maxAppendBytes() int64 {
	return orDefault(s.MaxAppendBytes, DefaultMaxAppendBytes)
}

// structureKey names one message's structure across sessions.
type structureKey struct {
	account     string
	mailbox     string
	uidValidity uint32
	uid         mailbox.UID
}

// structureCache is an LRU cache of message structures (what
// mailbox.ReadStructure returns), bounded in entries. Entries are never
// stale: a message's octets never change under its UID, and the key has
// the UIDVALIDITY.
type structureCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List
	m   map[structureKey]*list.Element
}

type structureEntry struct {
	key structureKey
	e   *mime.Entity
}

func (s *Server) structures() *structureCache {
	s.cacheOnce.Do(func() {
		if s.StructureCacheSize >= 0 {
			s.cache = &structureCache{
				max: orDefault(s.StructureCacheSize, DefaultStructureCacheSize),
				ll:  list.New(),
				m:   make(map[structureKey]*list.Element),
			}
		}
	})
	return s.cache
}

func (c *structureCache) get(k structureKey) *mime.Entity {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*structureEntry).e
	}
	return nil
}

func (c *structureCache) put(k structureKey, e *mime.Entity) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		c.ll.MoveToFront(el)
		el.Value.(*structureEntry).e = e
		return
	}
	c.m[k] = c.ll.PushFront(&structureEntry{key: k, e: e})
	for c.ll.Len() > c.max {
		el := c.ll.Back()
		c.ll.Remove(el)
		delete(c.m, el.Value.(*structureEntry).key)
	}
}
