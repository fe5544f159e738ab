package imap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"iter"
	"sync"
	"time"
	"unsafe"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

// DefaultSortCacheBytes is the memory a Server's sort key cache may take
// when Server.SortCacheBytes is 0: 64 MiB. A message's keys take some
// 115 bytes plus their text (collation keys of the subject and first
// addresses, message ids: 118 bytes for a short reply with two
// references; 233 bytes in all, as measured), so that is room for the
// SORT and THREAD keys of about 250,000 messages.
const DefaultSortCacheBytes = 64 << 20

// msgKeys are the keys SORT and THREAD read from one message's header
// (RFC 5256 2.1, 2.2, 3; RFC 5957 3), parsed once: collation keys
// (mailbox.CollationKey) that compare as bytes, the sent date, and the
// message ids of THREAD=REFERENCES. The strings are packed in one:
// a message's keys are two small allocations.
//
// A msgKeys is never changed once made, so sessions share it without a
// lock; like the structure cache, the sort key cache needs no
// invalidation: a message's octets never change under its UID, and the
// key has the UIDVALIDITY.
type msgKeys struct {
	// data holds subject, from, to, cc, dispFrom, dispTo and msgID, one
	// after the other, ends[i] the end of each; then the references,
	// each a uvarint length and the id.
	data string
	ends [numKeyStrings]uint32
	// dateSec and dateNsec are the Date field in UTC; hasSent is false
	// when the field is missing or unreadable, and the internal date
	// stands for it (RFC 5256 2.2).
	dateSec  int64
	dateNsec int32
	hasSent  bool
	// headerRead: the keys were read from the header; an entry without
	// them has only arrival and size, for ARRIVAL and SIZE.
	headerRead bool
	// arrival (the internal date) and size are the message's, for SORT
	// to take them from the cache as well; 0 when not cached.
	arrivalNsec int32
	arrivalSec  int64
	size        int64
	// reply: the base subject extraction removed a reply or forward
	// marker (RFC 5256 3, REFERENCES 5.B.i).
	reply bool
}

// The strings of msgKeys, in order.
const (
	keySubject = iota
	keyFrom
	keyTo
	keyCc
	keyDispFrom
	keyDispTo
	keyMsgID
	numKeyStrings
)

// keyFields are the fields of a msgKeys, unpacked.
type keyFields struct {
	sent           time.Time
	hasSent, reply bool
	// strs are indexed by keySubject and the others.
	strs [numKeyStrings]string
	// refs are the References field, else the first id of In-Reply-To.
	refs []string
}

// pack returns f as a msgKeys.
func (f *keyFields) pack() *msgKeys {
	n := 0
	for _, s := range f.strs {
		n += len(s)
	}
	for _, r := range f.refs {
		n += binary.MaxVarintLen64 + len(r)
	}
	b := make([]byte, 0, n)
	k := &msgKeys{hasSent: f.hasSent, reply: f.reply}
	for i, s := range f.strs {
		b = append(b, s...)
		k.ends[i] = uint32(len(b))
	}
	for _, r := range f.refs {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	k.data = string(b)
	if f.hasSent {
		k.dateSec, k.dateNsec = f.sent.Unix(), int32(f.sent.Nanosecond())
	}
	return k
}

func (k *msgKeys) str(i int) string {
	start := uint32(0)
	if i > 0 {
		start = k.ends[i-1]
	}
	return k.data[start:k.ends[i]]
}

func (k *msgKeys) subject() string  { return k.str(keySubject) }
func (k *msgKeys) from() string     { return k.str(keyFrom) }
func (k *msgKeys) to() string       { return k.str(keyTo) }
func (k *msgKeys) cc() string       { return k.str(keyCc) }
func (k *msgKeys) dispFrom() string { return k.str(keyDispFrom) }
func (k *msgKeys) dispTo() string   { return k.str(keyDispTo) }
func (k *msgKeys) msgID() string    { return k.str(keyMsgID) }

// date returns the sent date; hasSent says whether there is one.
func (k *msgKeys) date() time.Time { return time.Unix(k.dateSec, int64(k.dateNsec)).UTC() }

// arrival returns the internal date.
func (k *msgKeys) arrival() time.Time { return time.Unix(k.arrivalSec, int64(k.arrivalNsec)) }

// refs yields the message ids the message refers to, in order.
func (k *msgKeys) refs() iter.Seq[string] {
	return func(yield func(string) bool) {
		rest := k.data[k.ends[numKeyStrings-1]:]
		for len(rest) > 0 {
			n, w := uvarintString(rest)
			if w <= 0 || uint64(len(rest)-w) < n {
				return
			}
			if !yield(rest[w : w+int(n)]) {
				return
			}
			rest = rest[w+int(n):]
		}
	}
}

// uvarintString is binary.Uvarint over a string.
func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// noKeys stands for the header of a message when no key needs it.
var noKeys = new(keyFields).pack()

// allSortNeeds asks for every key: what the cache keeps.
var allSortNeeds = sortNeeds{keys: map[string]bool{
	"DATE": true, "SUBJECT": true, "FROM": true, "TO": true, "CC": true,
	"DISPLAYFROM": true, "DISPLAYTO": true,
}, thread: true}

// mem estimates the memory k takes: itself and its text.
func (k *msgKeys) mem() int64 {
	return 16 + int64(unsafe.Sizeof(*k)) + int64(len(k.data))
}

// maxKeysBytes bounds what one message's keys may take in the cache:
// the keys of a message with a huge References field are not kept.
const maxKeysBytes = 16 << 10

// sortKeyCache is the cache of msgKeys. It keeps them by runs of
// chunkSize UIDs of one mailbox (a sortChunk): a SORT looks up every
// message, in UID order, and so looks up one entry for chunkSize of
// them, whose keys lie together. A mailbox is named by a number the
// cache gives it (account, name, UIDVALIDITY), so that a lookup hashes
// eight bytes, not two strings. Admission and eviction (keyCache) are
// by chunk; a chunk holds the keys of the messages of its run that
// were sorted, nil for the others.
type sortKeyCache struct {
	*keyCache[chunkKey, *sortChunk]

	mu    sync.Mutex
	boxes map[mailboxKey]uint32
	next  uint32 // the number the next mailbox gets
}

// chunkBits sets chunkSize, the UIDs of a sortChunk.
const (
	chunkBits = 6
	chunkSize = 1 << chunkBits
)

// chunkKey names a sortChunk: the mailbox's number and the UIDs'
// bits above chunkBits.
type chunkKey struct {
	box uint32 // from sortKeyCache.boxes
	hi  uint32
}

func chunkOf(box uint32, uid mailbox.UID) (chunkKey, int) {
	return chunkKey{box: box, hi: uint32(uid) >> chunkBits}, int(uid & (chunkSize - 1))
}

// sortChunk holds the keys of a run of chunkSize UIDs: those it has,
// in one slice, their text in one string, so that the collector sees
// three objects, not two a message. Like a msgKeys, it is never changed
// once in the cache: adding keys makes a new one.
type sortChunk struct {
	at    [chunkSize]uint8 // 1 + the index in keys of a UID's keys; 0: none
	keys  []msgKeys
	bytes int64
}

// get returns the keys of the UID at i in the chunk, or nil.
func (ch *sortChunk) get(i int) *msgKeys {
	if n := ch.at[i]; n != 0 {
		return &ch.keys[n-1]
	}
	return nil
}

// cost estimates the memory ch takes in the cache, key, bookkeeping
// and keys included.
func (ch *sortChunk) cost() int64 { return ch.bytes }

// mailboxKey names a mailbox across sessions.
type mailboxKey struct {
	account     string
	mailbox     string
	uidValidity uint32
}

// maxSortBoxes bounds the mailbox numbers sortKeyCache remembers; past
// it, they are forgotten and mailboxes get new numbers: the entries
// under the old ones are never asked for again and give way to others.
const maxSortBoxes = 1 << 12

// box returns the number of the mailbox k.
func (c *sortKeyCache) box(k mailboxKey) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.boxes[k]; ok {
		return n
	}
	if len(c.boxes) >= maxSortBoxes {
		clear(c.boxes)
	}
	c.next++ // 2^32 mailboxes later a number comes back: its entries are long gone
	c.boxes[k] = c.next
	return c.next
}

// sortKeyCache returns the server's sort key cache, nil when disabled.
func (s *Server) sortKeyCache() *sortKeyCache {
	s.sortCacheOnce.Do(func() {
		if s.SortCacheBytes >= 0 {
			s.sortCache = &sortKeyCache{
				keyCache: newKeyCache[chunkKey, *sortChunk](orDefault(s.SortCacheBytes, DefaultSortCacheBytes), 0),
				boxes:    make(map[mailboxKey]uint32),
			}
		}
	})
	return s.sortCache
}

// sortKeysOf returns the keys need asks for, parsed from h; for the
// cache (cached), every key.
func sortKeysOf(h mime.Header, cached bool, need sortNeeds) *msgKeys {
	if !cached {
		return parseSortKeys(h, need)
	}
	keys := parseSortKeys(h, allSortNeeds)
	if keys.mem() > maxKeysBytes {
		// Too big to cache (a huge References): what this command
		// needs only, so that a hostile header costs no more memory
		// than without the cache.
		return parseSortKeys(h, need)
	}
	keys.headerRead = true
	return keys
}

// getMany returns the cached keys of the messages uids (ascending) of
// the mailbox numbered box, nil for those it has not, and counts the
// requests, one a chunk.
func (c *sortKeyCache) getMany(box uint32, uids []mailbox.UID) []*msgKeys {
	out := make([]*msgKeys, len(uids))
	const batch = 4096 // lookups under one lock
	for i := 0; i < len(uids); i += batch {
		c.keyCache.batch(func(get func(chunkKey) *sortChunk) {
			var (
				ck   chunkKey
				ch   *sortChunk
				have bool
			)
			for j := i; j < min(i+batch, len(uids)); j++ {
				k, at := chunkOf(box, uids[j])
				if !have || k != ck {
					ck, ch, have = k, get(k), true
				}
				if ch != nil {
					out[j] = ch.get(at)
				}
			}
		})
	}
	return out
}

// chunkFill gathers the keys a SORT read, in UID order, and puts them
// in the cache a chunk at a time.
type chunkFill struct {
	c    *sortKeyCache
	box  uint32
	ck   chunkKey
	adds [chunkSize]*msgKeys
	n    int
}

// add records the keys of uid; UIDs come in ascending order.
func (f *chunkFill) add(uid mailbox.UID, keys *msgKeys) {
	ck, at := chunkOf(f.box, uid)
	if f.n > 0 && ck != f.ck {
		f.flush()
	}
	if keys.mem() > maxKeysBytes {
		return
	}
	f.ck = ck
	f.adds[at] = keys
	f.n++
}

// flush puts in the cache the chunk with what add recorded.
func (f *chunkFill) flush() {
	if f.n == 0 {
		return
	}
	var all [chunkSize]*msgKeys
	if old := f.c.peek(f.ck); old != nil {
		for i := range all {
			all[i] = old.get(i)
		}
	}
	n, size := 0, 0
	for i, k := range f.adds {
		if k != nil {
			all[i] = k
		}
		if all[i] != nil {
			n++
			size += len(all[i].data)
		}
	}
	ch := &sortChunk{keys: make([]msgKeys, 0, n)}
	data := make([]byte, 0, size)
	for i, k := range all {
		if k != nil {
			data = append(data, k.data...)
			ch.keys = append(ch.keys, *k)
			ch.at[i] = uint8(len(ch.keys))
		}
	}
	text := string(data)
	off := 0
	for i := range ch.keys {
		k := &ch.keys[i]
		k.data, off = text[off:off+len(k.data)], off+len(k.data)
	}
	// An eighth more for the allocator's size classes.
	ch.bytes = 150 + int64(unsafe.Sizeof(*ch)) + (int64(n)*int64(unsafe.Sizeof(msgKeys{}))+int64(size))*9/8
	f.c.put(f.ck, ch)
	f.adds, f.n = [chunkSize]*msgKeys{}, 0
}

// maxHeaderPrefix is what sortHeaderBytes reads of a message: most
// headers end within it. A variable for the tests.
var maxHeaderPrefix int64 = 16 << 10

// sortHeaderBytes returns the header of m for SORT: from the structure
// cache when a FETCH put the message there, else the first octets of
// the message, up to maxHeaderPrefix, for parseHeaderBytes, when they
// hold the whole header (an empty line, or the whole message); else it
// reads the header from the store (only the header; one past the
// reader's bounds is taken as empty).
func (c *conn) sortHeaderBytes(m mailbox.Message) ([]byte, mime.Header, error) {
	s := c.sel
	k := structureKey{account: c.identity, mailbox: s.name, uidValidity: s.uidValidity, uid: m.UID()}
	if info := c.srv.structures().get(k); info != nil && info.entity != nil {
		return nil, info.entity.Header, nil
	}
	b, err := m.Open(c.ctx)
	if err != nil {
		return nil, mime.Header{}, err
	}
	defer b.Close()
	buf := make([]byte, min(b.Size(), maxHeaderPrefix))
	n, err := b.ReadAt(buf, 0)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(buf)) {
		return nil, mime.Header{}, err
	}
	if int64(n) == b.Size() || bytes.Contains(buf, []byte("\n\n")) || bytes.Contains(buf, []byte("\n\r\n")) {
		return buf, mime.Header{}, nil
	}
	h, err := c.readHeader(b)
	return nil, h, err
}

// parseHeaderBytes returns the header of the message that starts with
// raw, which holds the whole header.
func parseHeaderBytes(raw []byte) mime.Header {
	mr := mime.NewReader(bytes.NewReader(raw))
	defer mr.Close()
	top, err := mr.Next()
	if err != nil {
		return mime.Header{}
	}
	return top.Header
}

// readHeader reads the header of the message b from the store (only the
// header; one past the reader's bounds is taken as empty).
func (c *conn) readHeader(b mailbox.Body) (mime.Header, error) {
	mr := mime.NewReader(io.NewSectionReader(b, 0, b.Size()))
	defer mr.Close()
	top, err := mr.Next()
	if err != nil {
		if cerr := c.ctx.Err(); cerr != nil {
			return mime.Header{}, cerr
		}
		return mime.Header{}, nil
	}
	return top.Header, nil
}

// parseSortKeys returns the keys need asks for, read from the header h.
func parseSortKeys(h mime.Header, need sortNeeds) *msgKeys {
	var m keyFields
	k := need.keys
	// RFC 5256 2.2: the Date field in UTC, else the internal date.
	if k["DATE"] {
		if v := h.Get("Date"); v != "" {
			if t, err := message.ParseDate(v); err == nil {
				m.sent, m.hasSent = t.UTC(), true
			}
		}
	}
	if k["SUBJECT"] {
		base, reply := mailbox.BaseSubject(h.Get("Subject"))
		m.strs[keySubject], m.reply = mailbox.CollationKey(base), reply
	}
	// RFC 5256 3: the addr-mailbox of the first address; RFC 5957 3:
	// the display name, else mailbox@host.
	if k["FROM"] || k["DISPLAYFROM"] {
		from := firstAddress(h, "From")
		m.strs[keyFrom], m.strs[keyDispFrom] = mailbox.CollationKey(from.Mailbox), mailbox.CollationKey(displayOf(from))
	}
	if k["TO"] || k["DISPLAYTO"] {
		to := firstAddress(h, "To")
		m.strs[keyTo], m.strs[keyDispTo] = mailbox.CollationKey(to.Mailbox), mailbox.CollationKey(displayOf(to))
	}
	if k["CC"] {
		m.strs[keyCc] = mailbox.CollationKey(firstAddress(h, "Cc").Mailbox)
	}
	if need.thread {
		m.strs[keyMsgID], _ = message.ParseMessageID(h.Get("Message-ID"))
		// RFC 5256 3 REFERENCES: the References field, else the first
		// id of In-Reply-To.
		m.refs = message.ParseMessageIDList(h.Get("References"))
		if len(m.refs) == 0 {
			if irt := message.ParseMessageIDList(h.Get("In-Reply-To")); len(irt) > 0 {
				m.refs = irt[:1]
			}
		}
	}
	return m.pack()
}
