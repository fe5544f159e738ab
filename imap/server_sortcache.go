package imap

import (
	"io"
	"time"
	"unsafe"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

// DefaultSortCacheBytes is the memory a Server's sort key cache may take
// when Server.SortCacheBytes is 0: 32 MiB. A message's keys take some
// 250 bytes plus its addresses, subject and message ids (about 400 for
// a reply with a few references), so that is room for the SORT and
// THREAD keys of about 100,000 messages.
const DefaultSortCacheBytes = 32 << 20

// msgKeys are the keys SORT and THREAD read from one message's header
// (RFC 5256 2.1, 2.2, 3; RFC 5957 3), parsed once: collation keys
// (mailbox.CollationKey) that compare as bytes, the sent date, and the
// message ids of THREAD=REFERENCES. A msgKeys is never changed once
// made, so sessions share it without a lock; like the structure cache,
// the sort key cache needs no invalidation: a message's octets never
// change under its UID, and the key has the UIDVALIDITY.
type msgKeys struct {
	// date is the Date field in UTC; hasSent is false when the field
	// is missing or unreadable, and the internal date stands for it
	// (RFC 5256 2.2).
	date    time.Time
	hasSent bool
	// reply: the base subject extraction removed a reply or forward
	// marker (RFC 5256 3, REFERENCES 5.B.i).
	reply bool

	subject, from, to, cc, dispFrom, dispTo string

	// THREAD=REFERENCES: the Message-ID, and the References field, else
	// the first id of In-Reply-To.
	msgID string
	refs  []string
}

// noKeys stands for the header of a message when no key needs it.
var noKeys = &msgKeys{}

// allSortNeeds asks for every key: what the cache keeps.
var allSortNeeds = sortNeeds{keys: map[string]bool{
	"DATE": true, "SUBJECT": true, "FROM": true, "TO": true, "CC": true,
	"DISPLAYFROM": true, "DISPLAYTO": true,
}, thread: true}

// cost estimates the memory k takes in the cache, key and bookkeeping
// included.
func (k *msgKeys) cost() int64 {
	n := int64(unsafe.Sizeof(*k)) + 160 // entry, map slot, ring slot, key
	n += int64(len(k.subject) + len(k.from) + len(k.to) + len(k.cc) + len(k.dispFrom) + len(k.dispTo) + len(k.msgID))
	for _, r := range k.refs {
		n += 16 + int64(len(r))
	}
	return n
}

// sortKeyCache is the cache of msgKeys.
type sortKeyCache = keyCache[*msgKeys]

// sortKeyCache returns the server's sort key cache, nil when disabled.
func (s *Server) sortKeyCache() *sortKeyCache {
	s.sortCacheOnce.Do(func() {
		if s.SortCacheBytes >= 0 {
			s.sortCache = newKeyCache[*msgKeys](orDefault(s.SortCacheBytes, DefaultSortCacheBytes), 0)
		}
	})
	return s.sortCache
}

// sortKeysOf returns the keys need asks for of m: from the sort key
// cache, else parsed from the header (every key, then, and put in the
// cache). The header comes from the structure cache when a FETCH put
// the message there, else from the store.
func (c *conn) sortKeysOf(m mailbox.Message, need sortNeeds) (*msgKeys, error) {
	s := c.sel
	k := structureKey{account: c.identity, mailbox: s.name, uidValidity: s.uidValidity, uid: m.UID()}
	cache := c.srv.sortKeyCache()
	if keys := cache.get(k); keys != nil {
		return keys, nil
	}
	h, err := c.sortHeader(k, m)
	if err != nil {
		return nil, err
	}
	if cache == nil {
		return parseSortKeys(h, need), nil
	}
	keys := parseSortKeys(h, allSortNeeds)
	cache.put(k, keys)
	return keys, nil
}

// sortHeader returns the header of m: from the structure cache when a
// FETCH put the message there, else read from the store (only the
// header; one past the reader's bounds is taken as empty).
func (c *conn) sortHeader(k structureKey, m mailbox.Message) (mime.Header, error) {
	if info := c.srv.structures().get(k); info != nil && info.entity != nil {
		return info.entity.Header, nil
	}
	b, err := m.Open(c.ctx)
	if err != nil {
		return mime.Header{}, err
	}
	defer b.Close()
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
	m := &msgKeys{}
	k := need.keys
	// RFC 5256 2.2: the Date field in UTC, else the internal date.
	if k["DATE"] {
		if v := h.Get("Date"); v != "" {
			if t, err := message.ParseDate(v); err == nil {
				m.date, m.hasSent = t.UTC(), true
			}
		}
	}
	if k["SUBJECT"] {
		base, reply := mailbox.BaseSubject(h.Get("Subject"))
		m.subject, m.reply = mailbox.CollationKey(base), reply
	}
	// RFC 5256 3: the addr-mailbox of the first address; RFC 5957 3:
	// the display name, else mailbox@host.
	if k["FROM"] || k["DISPLAYFROM"] {
		from := firstAddress(h, "From")
		m.from, m.dispFrom = mailbox.CollationKey(from.Mailbox), mailbox.CollationKey(displayOf(from))
	}
	if k["TO"] || k["DISPLAYTO"] {
		to := firstAddress(h, "To")
		m.to, m.dispTo = mailbox.CollationKey(to.Mailbox), mailbox.CollationKey(displayOf(to))
	}
	if k["CC"] {
		m.cc = mailbox.CollationKey(firstAddress(h, "Cc").Mailbox)
	}
	if !need.thread {
		return m
	}
	if id, _ := message.ParseMessageID(h.Get("Message-ID")); id != "" {
		m.msgID = id
	}
	// RFC 5256 3 REFERENCES: the References field, else the first id of
	// In-Reply-To.
	m.refs = message.ParseMessageIDList(h.Get("References"))
	if len(m.refs) == 0 {
		if irt := message.ParseMessageIDList(h.Get("In-Reply-To")); len(irt) > 0 {
			m.refs = irt[:1:1]
		}
	}
	return m
}
