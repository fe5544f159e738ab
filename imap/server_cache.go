package imap

import (
	"bufio"
	"bytes"
	"sync"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mime"
)

// DefaultStructureCacheBytes is the memory a Server's structure cache
// may take when Server.StructureCacheBytes is 0: 64 MiB. A message's
// encoded ENVELOPE and BODYSTRUCTURE take about 1 KiB (850 bytes on
// average over the developer corpus), so that is room for the FETCH
// data of some 60,000 messages; a parsed structure kept for
// BODY[section] costs about 4 KiB more.
const DefaultStructureCacheBytes = 64 << 20

// structureKey names one message's structure across sessions.
type structureKey struct {
	account     string
	mailbox     string
	uidValidity uint32
	uid         mailbox.UID
}

// msgInfo is what the cache holds for one message: its parsed structure
// when a section fetch needed it, and the encoded ENVELOPE, BODYSTRUCTURE
// and BODY items. A msgInfo is never changed once in the cache (a new one
// replaces it), so sessions share it without a lock. Entries are never
// stale: a message's octets never change under its UID, and the key has
// the UIDVALIDITY.
type msgInfo struct {
	entity *mime.Entity
	// preview is the message's PREVIEW (RFC 8970; preview.go); nil when
	// not computed.
	preview *string
	// enc holds the encoded items for an Encoder without UTF8 (0) and
	// with it (1); items that are pure ASCII are the same in both.
	enc [2]encodedItems
}

// encodedItems are the wire forms of ENVELOPE, BODYSTRUCTURE and BODY,
// ready to be copied into a FETCH response; nil when not computed.
type encodedItems struct {
	envelope, bodyStructure, body []byte
}

// cost estimates the memory info takes, key and bookkeeping included.
func (info *msgInfo) cost() int64 {
	n := int64(160)
	if info.preview != nil {
		n += int64(len(*info.preview))
	}
	for i := range info.enc {
		if i == 1 && sameItems(info.enc[0], info.enc[1]) {
			break
		}
		e := &info.enc[i]
		n += int64(len(e.envelope) + len(e.bodyStructure) + len(e.body))
	}
	if info.entity != nil {
		info.entity.Walk(func(e *mime.Entity) error {
			n += 256 + int64(len(e.MediaType)+len(e.Path))
			for _, f := range e.Header.Fields() {
				n += 48 + int64(len(f.Key)+len(f.Value)+len(f.Raw()))
			}
			for k, v := range e.Params {
				n += 48 + int64(len(k)+len(v))
			}
			n += int64(len(e.Body)) + 32*int64(len(e.Defects))
			return nil
		})
	}
	return n
}

// sameItems reports whether a and b share their slices.
func sameItems(a, b encodedItems) bool {
	same := func(x, y []byte) bool {
		return len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	return same(a.envelope, b.envelope) && same(a.bodyStructure, b.bodyStructure) && same(a.body, b.body)
}

// encodeItem returns the wire form of one item written by fn, and
// whether it is the same for both Encoder modes (no 8-bit octet). It
// returns nil if the encoder refused it.
func encodeItem(utf8 bool, fn func(e *Encoder)) (b []byte, ascii bool) {
	var buf bytes.Buffer
	bw := bufio.NewWriterSize(&buf, 512)
	e := NewEncoder(bw)
	e.UTF8 = utf8
	fn(e)
	if e.Flush() != nil {
		return nil, false
	}
	return bytes.Clone(buf.Bytes()), isASCIIBytes(buf.Bytes())
}

func isASCIIBytes(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// keyCache keeps a value per key across sessions, bounded in bytes (V's
// cost) and optionally in entries. The structure cache (a msgInfo per
// message) and the sort key cache (a sortChunk per run of UIDs,
// server_sortcache.go) are two of them, each with its own bound.
//
// It resists scans: once full, a message is admitted only if it has been
// asked for more often (since counts were last halved) than the entry it
// would evict, as TinyLFU does. A FETCH 1:* over a mailbox larger than
// the cache, repeated, keeps the same messages cached instead of evicting
// them all each time. Victims are chosen CLOCK-like: the least used of a
// few entries under a hand that goes round.
type keyCache[K comparable, V costly] struct {
	mu         sync.Mutex
	maxBytes   int64
	maxEntries int // 0: no bound but bytes
	bytes      int64
	m          map[K]*cacheEntry[K, V]
	ring       []*cacheEntry[K, V]
	hand       int
	// ghost counts the requests for messages that were not admitted;
	// it is cleared when it grows past ghostMax.
	ghost map[K]uint8
	ops   int // requests since the counts were last halved
}

// costly is a cached value: it estimates the memory it takes, key and
// bookkeeping included.
type costly interface {
	comparable
	cost() int64
}

// structureCache is the cache of FETCH data.
type structureCache = keyCache[structureKey, *msgInfo]

type cacheEntry[K comparable, V costly] struct {
	key  K
	info V
	cost int64
	freq uint8
	slot int // index in ring
}

const (
	maxFreq       = 15
	victimSamples = 4
	minGhost      = 1024
)

func newStructureCache(maxBytes int64, maxEntries int) *structureCache {
	return newKeyCache[structureKey, *msgInfo](maxBytes, maxEntries)
}

func newKeyCache[K comparable, V costly](maxBytes int64, maxEntries int) *keyCache[K, V] {
	return &keyCache[K, V]{
		maxBytes:   maxBytes,
		maxEntries: maxEntries,
		m:          make(map[K]*cacheEntry[K, V]),
		ghost:      make(map[K]uint8),
	}
}

func (s *Server) structures() *structureCache {
	s.cacheOnce.Do(func() {
		if s.StructureCacheSize >= 0 && s.StructureCacheBytes >= 0 {
			s.cache = newStructureCache(orDefault(s.StructureCacheBytes, DefaultStructureCacheBytes), s.StructureCacheSize)
		}
	})
	return s.cache
}

// get returns what is cached for k, or the zero V, and counts the
// request.
func (c *keyCache[K, V]) get(k K) V {
	if c == nil {
		var zero V
		return zero
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(k)
}

// peek returns what is cached for k, or the zero V, and counts
// nothing.
func (c *keyCache[K, V]) peek(k K) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		return e.info
	}
	var zero V
	return zero
}

// batch calls fn with a get that does what get does, under one lock
// for all of fn's calls.
func (c *keyCache[K, V]) batch(fn func(get func(K) V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(c.getLocked)
}

func (c *keyCache[K, V]) getLocked(k K) V {
	c.tick()
	if e, ok := c.m[k]; ok {
		if e.freq < maxFreq {
			e.freq++
		}
		return e.info
	}
	if g := c.ghost[k]; g < maxFreq {
		if len(c.ghost) >= c.ghostMax() {
			clear(c.ghost)
		}
		c.ghost[k] = g + 1
	}
	var zero V
	return zero
}

// put stores info for k, replacing what was there, if the admission
// policy lets it in.
func (c *keyCache[K, V]) put(k K, info V) {
	if c == nil {
		return
	}
	cost := info.cost()
	c.mu.Lock()
	defer c.mu.Unlock()
	if cost > c.maxBytes/4 {
		return // too big to be worth the room
	}
	if e, ok := c.m[k]; ok {
		// A richer entry for a cached message: it was asked for.
		c.bytes += cost - e.cost
		e.info, e.cost = info, cost
		for c.bytes > c.maxBytes && len(c.ring) > 1 {
			v := c.victim()
			if v == e {
				continue
			}
			c.remove(v)
		}
		return
	}
	freq := c.ghost[k] // requests counted by get, this one included
	for !c.fits(cost) {
		v := c.victim()
		if v == nil {
			return
		}
		if v.freq >= freq {
			return // not asked for more than what it would replace
		}
		c.remove(v)
	}
	delete(c.ghost, k)
	e := &cacheEntry[K, V]{key: k, info: info, cost: cost, freq: max(freq, 1), slot: len(c.ring)}
	c.ring = append(c.ring, e)
	c.m[k] = e
	c.bytes += cost
}

func (c *keyCache[K, V]) fits(cost int64) bool {
	return c.bytes+cost <= c.maxBytes && (c.maxEntries <= 0 || len(c.ring) < c.maxEntries)
}

func (c *keyCache[K, V]) ghostMax() int { return max(minGhost, 2*len(c.ring)) }

// victim returns the least used of the entries under the hand, and moves
// the hand past them.
func (c *keyCache[K, V]) victim() *cacheEntry[K, V] {
	var v *cacheEntry[K, V]
	for i := 0; i < victimSamples && i < len(c.ring); i++ {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		c.hand++
		if v == nil || e.freq < v.freq {
			v = e
		}
	}
	return v
}

func (c *keyCache[K, V]) remove(e *cacheEntry[K, V]) {
	last := c.ring[len(c.ring)-1]
	c.ring[e.slot], last.slot = last, e.slot
	c.ring[len(c.ring)-1] = nil
	c.ring = c.ring[:len(c.ring)-1]
	delete(c.m, e.key)
	c.bytes -= e.cost
}

// tick counts a request and halves every count once there have been
// eight requests per entry since the last time, so that what was used
// long ago gives way to what is used now.
func (c *keyCache[K, V]) tick() {
	c.ops++
	if c.ops < 8*max(len(c.ring), minGhost) {
		return
	}
	c.ops = 0
	for _, e := range c.ring {
		e.freq /= 2
	}
	for k, g := range c.ghost {
		if g /= 2; g == 0 {
			delete(c.ghost, k)
		} else {
			c.ghost[k] = g
		}
	}
}

// fetchItem names one of the items the cache holds encoded.
type fetchItem int

const (
	itemEnvelope fetchItem = iota
	itemBodyStructure
	itemBody
)

func (e *encodedItems) get(k fetchItem) []byte {
	switch k {
	case itemEnvelope:
		return e.envelope
	case itemBodyStructure:
		return e.bodyStructure
	}
	return e.body
}

func (e *encodedItems) set(k fetchItem, b []byte) {
	switch k {
	case itemEnvelope:
		e.envelope = b
	case itemBodyStructure:
		e.bodyStructure = b
	default:
		e.body = b
	}
}

// merge sets in e the items o has.
func (e *encodedItems) merge(o encodedItems) {
	for k := itemEnvelope; k <= itemBody; k++ {
		if b := o.get(k); b != nil {
			e.set(k, b)
		}
	}
}

// fetchCache is one message's use of the structure cache while a FETCH
// response is built: it looks the message up once, parses the message
// at most once, and stores what it computed when the response is done.
type fetchCache struct {
	c    *conn
	m    mailbox.Message
	open func() (mailbox.Body, error)
	// keepEntity is set when a section is read: the parsed structure
	// is worth keeping for the next.
	keepEntity bool

	looked bool
	info   *msgInfo // the cached entry; nil if none
	root   *mime.Entity
	parsed bool // root was read from the message by this fetch
	added  [2]encodedItems
	adds   bool
	// addedPreview is the preview this fetch computed.
	addedPreview *string
}

func (fc *fetchCache) key() structureKey {
	s := fc.c.sel
	return structureKey{account: fc.c.identity, mailbox: s.name, uidValidity: s.uidValidity, uid: fc.m.UID()}
}

func (fc *fetchCache) lookup() *msgInfo {
	if !fc.looked {
		fc.looked = true
		if cache := fc.c.srv.structures(); cache != nil {
			fc.info = cache.get(fc.key())
		}
	}
	return fc.info
}

// structure returns the message's parsed structure.
func (fc *fetchCache) structure() (*mime.Entity, error) {
	if fc.root != nil {
		return fc.root, nil
	}
	if info := fc.lookup(); info != nil && info.entity != nil {
		fc.root = info.entity
		return fc.root, nil
	}
	b, err := fc.open()
	if err != nil {
		return nil, err
	}
	e, err := mailbox.ReadStructure(b)
	if err != nil {
		return nil, err
	}
	fc.root, fc.parsed = e, true
	return e, nil
}

// item sets ENVELOPE, BODYSTRUCTURE or BODY in fd, from the cache when
// it has it.
func (fc *fetchCache) item(fd *FetchData, k fetchItem) error {
	mode := 0
	if fc.c.enc.UTF8 {
		mode = 1
	}
	b := fc.added[mode].get(k)
	if b == nil {
		if info := fc.lookup(); info != nil {
			b = info.enc[mode].get(k)
		}
	}
	if b == nil {
		root, err := fc.structure()
		if err != nil {
			return err
		}
		var ascii bool
		switch k {
		case itemEnvelope:
			env := cleanEnvelope(EnvelopeOf(root.Header))
			if b, ascii = encodeItem(mode == 1, func(e *Encoder) { e.Envelope(env) }); b == nil {
				fd.Envelope = env // refused: written, and refused, as before
				return nil
			}
		default:
			bs := cleanBody(BodyStructureOf(root, k == itemBodyStructure))
			if b, ascii = encodeItem(mode == 1, func(e *Encoder) { e.BodyStructure(bs, k == itemBodyStructure) }); b == nil {
				if k == itemBody {
					fd.Body = bs
				} else {
					fd.BodyStructure = bs
				}
				return nil
			}
		}
		fc.added[mode].set(k, b)
		if ascii {
			fc.added[1-mode].set(k, b)
		}
		fc.adds = true
	}
	switch k {
	case itemEnvelope:
		fd.rawEnvelope = b
	case itemBodyStructure:
		fd.rawBodyStructure = b
	default:
		fd.rawBody = b
	}
	return nil
}

// store puts in the cache what this fetch computed.
func (fc *fetchCache) store() {
	keep := fc.keepEntity && fc.parsed
	if !fc.adds && !keep {
		return
	}
	cache := fc.c.srv.structures()
	if cache == nil {
		return
	}
	n := &msgInfo{}
	if fc.info != nil {
		*n = *fc.info
	}
	for i := range n.enc {
		n.enc[i].merge(fc.added[i])
	}
	if keep {
		n.entity = fc.root
	}
	if fc.addedPreview != nil {
		n.preview = fc.addedPreview
	}
	cache.put(fc.key(), n)
}
