package imap

import (
	"cmp"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mime"
)

// sortMsg is what SORT and THREAD know of one message found; its
// header's keys are those sortNeeds asked for (all of them when they
// come from the sort key cache).
type sortMsg struct {
	uid     mailbox.UID
	seq     uint32
	num     uint32 // what the answer names it by: seq, or the UID
	arrival time.Time
	sent    time.Time // RFC 5256 2.2: the Date field, else arrival
	size    int64
	*msgKeys
}

// sortNeeds says which fields of sortMsg to fill: the header is read
// when keys is not empty; thread adds Message-ID and references.
type sortNeeds struct {
	keys   map[string]bool
	thread bool
}

// sortKeys lists the sort keys of SORT (RFC 5256 3) and SORT=DISPLAY
// (RFC 5957 4), and whether they read the header.
var sortKeys = map[string]bool{
	"ARRIVAL": false, "SIZE": false,
	"CC": true, "DATE": true, "FROM": true, "SUBJECT": true, "TO": true,
	"DISPLAYFROM": true, "DISPLAYTO": true,
}

// cmdSort answers SORT and UID SORT (RFC 5256 3) with the ESORT return
// options (RFC 5267 3.1: MIN MAX ALL COUNT, answered in ESEARCH) and
// SAVE (RFC 5182).
func (c *conn) cmdSort(cmd *Command) bool {
	args := cmd.Args.(*SortCommand)
	need := sortNeeds{keys: map[string]bool{}}
	for _, k := range args.Criteria {
		h, ok := sortKeys[k.Key]
		if !ok {
			return c.bad(cmd.Tag, "", "Unknown sort criterion "+k.Key)
		}
		if h {
			need.keys[k.Key] = true
		}
	}
	ro, bad := returnOptions(args.HasReturn, args.Return)
	if bad == "" {
		bad = checkUpdateFetch(args.UpdateFetch)
	}
	if bad != "" {
		return c.bad(cmd.Tag, "", "SORT: "+bad)
	}
	if ro.update && c.sel.context(cmd.Tag) != nil {
		// RFC 5267 4.3: a tag updating already is BAD.
		return c.bad(cmd.Tag, "", "Tag reuse")
	}
	if !c.updateFetchModSeq(args.UpdateFetch) {
		return c.bad(cmd.Tag, "", noModSeqText) // RFC 7162 3.1.2.2
	}
	min, max, all, count, save := ro.min, ro.max, ro.all, ro.count, ro.save
	msgs, crit, highest, ok := c.sortSearch(cmd, args.Charset, args.Keys, need)
	if !ok {
		if save {
			c.sel.saved, c.sel.hasSaved = nil, true
		}
		return !c.broken
	}
	sortMsgs(msgs, args.Criteria)
	if highest != 0 && args.HasReturn && minMaxOnly(ro) {
		// RFC 7162 3.1.10, RFC 4731 3.2: the MODSEQ of what MIN and
		// MAX return, the first and last in sort order.
		var err error
		if highest, err = c.highestModSeq(minMaxUIDs(ro, msgs[0].uid, msgs[len(msgs)-1].uid)); err != nil {
			return c.fail(cmd, err)
		}
	}
	nums := make([]uint32, len(msgs))
	for i, m := range msgs {
		nums[i] = m.num
	}
	if save {
		// RFC 5182 2.4: as SEARCH saves; with MIN or MAX alone, what
		// they return.
		var uids []mailbox.UID
		switch {
		case (min || max) && !all && !count:
			if len(msgs) > 0 {
				if min {
					uids = append(uids, msgs[0].uid)
				}
				if max {
					uids = append(uids, msgs[len(msgs)-1].uid)
				}
			}
		default:
			for _, m := range msgs {
				uids = append(uids, m.uid)
			}
		}
		slices.Sort(uids)
		c.sel.saved, c.sel.hasSaved = uidSet(slices.Compact(uids)), true
	}
	switch {
	case !args.HasReturn:
		c.write(&SortData{Nums: nums, ModSeq: highest})
	case min || max || all || count || ro.partial || ro.update:
		ed := &ESearchData{Tag: cmd.Tag, UID: cmd.UID, ModSeq: highest}
		if ro.partial {
			ed.Partial = partialOf(nums, ro.first, ro.last)
		}
		if len(nums) > 0 {
			// RFC 5267 3.1: the lowest and highest sorted messages.
			if min {
				ed.Min = nums[0]
			}
			if max {
				ed.Max = nums[len(nums)-1]
			}
			if all {
				ed.All = orderedSeqSet(nums)
			}
		}
		if count {
			ed.Count = ptr(uint32(len(nums)))
		}
		c.write(ed)
	}
	if ro.update {
		sc := c.newContext(cmd, crit, args.UpdateFetch, nil)
		sc.sort, sc.need = args.Criteria, need
		for _, m := range msgs {
			sc.result = append(sc.result, m.uid)
		}
		c.addContext(sc)
	}
	return c.done(cmd, cmd.UID)
}

// sortMsgs sorts msgs by criteria (RFC
// 5256 3): in the order of the criteria, then by sequence number. The
// keys were computed before.
//
// Each criterion's key becomes a number per message that orders as the
// key does (a string's rank among the values, a time as seconds and
// nanoseconds), and msgs are radix sorted by them, stably, from the
// last criterion to the first: ties keep the sequence order. A time
// out of the range of the packed form makes it compare instead.
func sortMsgs(msgs []*sortMsg, criteria []SortCriterion) {
	if len(msgs) < 2 {
		return
	}
	if !slices.IsSortedFunc(msgs, func(a, b *sortMsg) int { return cmp.Compare(a.seq, b.seq) }) {
		slices.SortFunc(msgs, func(a, b *sortMsg) int { return cmp.Compare(a.seq, b.seq) })
	}
	keys := make([][]uint64, len(criteria))
	for i, k := range criteria {
		var ok bool
		if keys[i], ok = sortNumbers(msgs, k.Key); !ok {
			compareMsgs(msgs, criteria)
			return
		}
		if k.Reverse {
			for j := range keys[i] {
				keys[i][j] = ^keys[i][j]
			}
		}
	}
	items := make([]sortItem, len(msgs))
	for i := range items {
		items[i].i = uint32(i)
	}
	tmp := make([]sortItem, len(msgs))
	for c := len(criteria) - 1; c >= 0; c-- {
		for j := range items {
			items[j].k = keys[c][items[j].i]
		}
		radixSort(items, tmp)
	}
	sorted := make([]*sortMsg, len(msgs))
	for j, it := range items {
		sorted[j] = msgs[it.i]
	}
	copy(msgs, sorted)
}

// sortItem is a message being sorted: its index and one key.
type sortItem struct {
	k uint64
	i uint32
}

// radixSort sorts items by k, stably, with tmp as room; it skips the
// bytes that all keys share.
func radixSort(items, tmp []sortItem) {
	var or, and uint64 = 0, ^uint64(0)
	for _, it := range items {
		or |= it.k
		and &= it.k
	}
	diff := or ^ and
	src, dst := items, tmp[:len(items)]
	for shift := uint(0); shift < 64; shift += 8 {
		if (diff>>shift)&0xff == 0 {
			continue
		}
		var count [256]int
		for _, it := range src {
			count[(it.k>>shift)&0xff]++
		}
		pos := 0
		for b := range count {
			count[b], pos = pos, pos+count[b]
		}
		for _, it := range src {
			b := (it.k >> shift) & 0xff
			dst[count[b]] = it
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &items[0] {
		copy(items, src)
	}
}

// packedSecs bounds the times sortNumbers packs: seconds since the
// epoch below 2^34 (the year 2514), with 30 bits of nanoseconds.
const packedSecs = 1 << 34

// sortNumbers returns a number per message of msgs that orders as the
// sort key does, and false when it cannot (a time out of packedSecs).
func sortNumbers(msgs []*sortMsg, key string) ([]uint64, bool) {
	out := make([]uint64, len(msgs))
	packTime := func(t func(*sortMsg) time.Time) bool {
		for i, m := range msgs {
			at := t(m)
			sec := at.Unix()
			if sec < 0 || sec >= packedSecs {
				return false
			}
			out[i] = uint64(sec)<<30 | uint64(at.Nanosecond())
		}
		return true
	}
	var str func(*sortMsg) string
	switch key {
	case "ARRIVAL":
		return out, packTime(func(m *sortMsg) time.Time { return m.arrival })
	case "DATE":
		return out, packTime(func(m *sortMsg) time.Time { return m.sent })
	case "SIZE":
		for i, m := range msgs {
			out[i] = uint64(m.size) ^ 1<<63
		}
		return out, true
	case "SUBJECT":
		str = (*sortMsg).subject
	case "FROM":
		str = (*sortMsg).from
	case "TO":
		str = (*sortMsg).to
	case "CC":
		str = (*sortMsg).cc
	case "DISPLAYFROM":
		str = (*sortMsg).dispFrom
	case "DISPLAYTO":
		str = (*sortMsg).dispTo
	default:
		return out, true
	}
	// The rank of each message's string among the distinct values.
	ids := make(map[string]uint32, len(msgs)/4)
	var values []string
	for i, m := range msgs {
		v := str(m)
		id, ok := ids[v]
		if !ok {
			id = uint32(len(values))
			ids[v] = id
			values = append(values, v)
		}
		out[i] = uint64(id)
	}
	order := make([]uint32, len(values))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(values[a], values[b]) })
	rank := make([]uint64, len(values))
	for r, id := range order {
		rank[id] = uint64(r)
	}
	for i := range out {
		out[i] = rank[out[i]]
	}
	return out, true
}

// compareMsgs sorts msgs by criteria, then sequence number, comparing.
func compareMsgs(msgs []*sortMsg, criteria []SortCriterion) {
	cmps := make([]func(a, b *sortMsg) int, 0, len(criteria))
	for _, k := range criteria {
		f := sortKeyCompare(k.Key)
		if f == nil {
			continue
		}
		if k.Reverse {
			cmps = append(cmps, func(a, b *sortMsg) int { return f(b, a) })
		} else {
			cmps = append(cmps, f)
		}
	}
	slices.SortFunc(msgs, func(a, b *sortMsg) int {
		for _, f := range cmps {
			if r := f(a, b); r != 0 {
				return r
			}
		}
		return cmp.Compare(a.seq, b.seq)
	})
}

// orderedSeqSet returns nums, in their order, as a sequence set whose
// ranges only join ascending runs (RFC 5267 3.2: 10:12, never 12:10).
func orderedSeqSet(nums []uint32) SeqSet {
	var s SeqSet
	for _, n := range nums {
		if k := len(s.Ranges); k > 0 && s.Ranges[k-1].Stop+1 == n && s.Ranges[k-1].Stop != Star {
			s.Ranges[k-1].Stop = n
			continue
		}
		s.Ranges = append(s.Ranges, SeqRange{n, n})
	}
	return s
}

// cmdThread answers THREAD and UID THREAD (RFC 5256 3).
func (c *conn) cmdThread(cmd *Command) bool {
	args := cmd.Args.(*ThreadCommand)
	switch args.Algorithm {
	case "ORDEREDSUBJECT", "REFERENCES":
	default:
		return c.bad(cmd.Tag, "", "Unknown threading algorithm "+args.Algorithm)
	}
	need := sortNeeds{keys: map[string]bool{"SUBJECT": true, "DATE": true}, thread: args.Algorithm == "REFERENCES"}
	msgs, _, _, ok := c.sortSearch(cmd, args.Charset, args.Keys, need)
	if !ok {
		return !c.broken
	}
	var threads []*Thread
	if args.Algorithm == "REFERENCES" {
		threads = threadReferences(msgs)
	} else {
		threads = threadOrderedSubject(msgs)
	}
	c.write(&ThreadData{Threads: threads})
	return c.done(cmd, cmd.UID)
}

// sortSearch runs the search of SORT and THREAD and reads what need
// says of each message found, in sequence order. It answers the command
// itself when it fails (ok false), and returns the highest MODSEQ of
// the messages found when the program has a MODSEQ key (RFC 7162
// 3.1.5).
func (c *conn) sortSearch(cmd *Command, charset string, keys []SearchKey, need sortNeeds) (msgs []*sortMsg, crit *mailbox.SearchCriteria, highest uint64, ok bool) {
	s := c.sel
	// RFC 5256 3: US-ASCII and UTF-8 are required; BADCHARSET lists
	// what we take (RFC 9051 7.1).
	if !strings.EqualFold(charset, "UTF-8") && !strings.EqualFold(charset, "US-ASCII") {
		c.tagged(cmd.Tag, StatusNO, "BADCHARSET", []string{"UTF-8", "US-ASCII"}, "Unsupported charset")
		return nil, nil, 0, false
	}
	modSeq := hasModSeqKey(keys)
	if modSeq && c.noModSeq() {
		// RFC 7162 3.1.2.2, for the search of SORT and THREAD too.
		c.bad(cmd.Tag, "", noModSeqText)
		return nil, nil, 0, false
	}
	if modSeq {
		c.enableCondStore(false)
	}
	crit, err := searchCriteria(keys, sessionResolver{s})
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) || errors.Is(err, errBadSeq) {
			c.fail(cmd, err)
		} else {
			c.bad(cmd.Tag, "", "Invalid search: "+err.Error())
		}
		return nil, nil, 0, false
	}
	var uids []mailbox.UID
	if matchesAll(crit) {
		// SORT ... ALL: every message the client knows, without a
		// search that would fetch each one to say yes.
		uids = s.uids.all()
	} else if uids, err = c.searchKnown(crit); err != nil {
		c.fail(cmd, err)
		return nil, nil, 0, false
	}
	if modSeq {
		if highest, err = c.highestModSeq(uids); err != nil {
			c.fail(cmd, err)
			return nil, nil, 0, false
		}
	}
	if msgs, err = c.sortFetch(uids, cmd.UID, need); err != nil {
		c.fail(cmd, err)
		return nil, nil, 0, false
	}
	return msgs, crit, highest, true
}

// matchesAll reports whether crit has no key: it matches every message.
func matchesAll(crit *mailbox.SearchCriteria) bool {
	return crit == nil || reflect.ValueOf(*crit).IsZero()
}

// all returns the UIDs of the messages, ascending.
func (m *seqMap) all() []mailbox.UID {
	out := make([]mailbox.UID, 0, m.n)
	for _, r := range m.runs {
		for i := range r.n {
			out = append(out, r.first+mailbox.UID(i))
		}
	}
	return out
}

// searchKnown runs crit over the selected mailbox and returns, in UID
// order, the messages found that the client knows of (a backend
// searching natively may see newer ones).
func (c *conn) searchKnown(crit *mailbox.SearchCriteria) ([]mailbox.UID, error) {
	s := c.sel
	found, err := mailbox.Search(c.ctx, s.mbox, crit)
	if err != nil {
		return nil, err
	}
	uids := found[:0:0]
	for _, u := range found {
		if s.seqOf(u) != 0 {
			uids = append(uids, u)
		}
	}
	return uids, nil
}

// sortFetch reads what need says of the messages uids, in sequence
// order; num is the UID when uid is set, else the sequence number.
//
// What the sort key cache has (the keys, the internal date and the
// size: none of them changes under a UID) is taken from it, with no
// call to the store; the rest is fetched, and cached: the internal date
// and size, and the keys when the header was read for them.
func (c *conn) sortFetch(uids []mailbox.UID, uid bool, need sortNeeds) ([]*sortMsg, error) {
	s := c.sel
	if len(uids) == 0 {
		return nil, nil
	}
	all := make([]sortMsg, 0, len(uids))
	add := func(u mailbox.UID, seq uint32, arrival time.Time, size int64, keys *msgKeys) {
		sm := sortMsg{uid: u, seq: seq, num: seq, arrival: arrival, sent: arrival, size: size, msgKeys: keys}
		if uid {
			sm.num = uint32(u)
		}
		if keys.hasSent {
			sm.sent = keys.date()
		}
		all = append(all, sm)
	}
	cache := c.srv.sortKeyCache()
	var box uint32
	missing := uids
	if cache != nil {
		box = cache.box(mailboxKey{account: c.identity, mailbox: s.name, uidValidity: s.uidValidity})
		found := cache.getMany(box, uids)
		missing = nil
		for i, u := range uids {
			k := found[i]
			if k == nil || len(need.keys) > 0 && !k.headerRead {
				missing = append(missing, u)
				continue
			}
			if seq := s.seqOf(u); seq != 0 {
				add(u, seq, k.arrival(), k.size, k)
			}
		}
	}
	if len(missing) == 0 {
		return sortMsgPtrs(all), nil
	}
	cached := len(all)
	var fill *chunkFill
	if cache != nil {
		fill = &chunkFill{c: cache, box: box}
	}
	// The messages fetched; their headers are parsed by workers while
	// the next are read, when there are enough of them.
	pending := make([]pendingMsg, 0, len(missing))
	var (
		work     chan int
		wg       sync.WaitGroup
		panicked atomic.Pointer[any]
	)
	if n := min(runtime.GOMAXPROCS(0), maxSortWorkers); n > 1 && len(need.keys) > 0 && len(missing) >= minParallelHeaders {
		work = make(chan int, 64)
		// pending never grows past its capacity: the workers see the
		// elements the callback appends through slots.
		slots := pending[:cap(pending)]
		for range n {
			wg.Go(func() {
				defer func() {
					// Panic in the session's goroutine, which recovers.
					if r := recover(); r != nil {
						panicked.CompareAndSwap(nil, &r)
						for range work {
						}
					}
				}()
				for i := range work {
					slots[i].parse(cache != nil, need)
				}
			})
		}
		// The workers end even when the session's goroutine panics
		// in Fetch (it recovers, the connection closes).
		defer func() {
			if work != nil {
				close(work)
				wg.Wait()
			}
		}()
	}
	err := s.mbox.Fetch(c.ctx, uidSet(missing), func(m mailbox.Message) error {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		seq := s.seqOf(m.UID())
		if seq == 0 {
			return nil
		}
		p := pendingMsg{uid: m.UID(), seq: seq, arrival: m.InternalDate(), size: m.Size(), keys: noKeys}
		switch {
		case len(need.keys) > 0:
			raw, h, err := c.sortHeaderBytes(m)
			if err != nil {
				return err
			}
			if raw == nil {
				p.keys = sortKeysOf(h, cache != nil, need)
			} else {
				p.keys, p.raw = nil, raw
			}
		case cache != nil:
			// ARRIVAL, SIZE: what the next SORT needs of it.
			p.keys = new(keyFields).pack()
		}
		pending = append(pending, p)
		if p.keys == nil {
			if work != nil {
				work <- len(pending) - 1
			} else {
				pending[len(pending)-1].parse(cache != nil, need)
			}
		}
		return nil
	})
	if work != nil {
		close(work)
		wg.Wait()
		work = nil
		if r := panicked.Load(); r != nil {
			panic(*r)
		}
	}
	for i := range pending {
		p := &pending[i]
		if cache != nil {
			p.keys.arrivalSec, p.keys.arrivalNsec, p.keys.size = p.arrival.Unix(), int32(p.arrival.Nanosecond()), p.size
			fill.add(p.uid, p.keys)
		}
		add(p.uid, p.seq, p.arrival, p.size, p.keys)
	}
	if fill != nil {
		fill.flush()
	}
	if cached > 0 {
		// Fetch gives UID order, which is sequence order; the cached
		// and the fetched are merged.
		slices.SortFunc(all, func(a, b sortMsg) int { return cmp.Compare(a.seq, b.seq) })
	}
	return sortMsgPtrs(all), err
}

// Header parsing in parallel: up to maxSortWorkers goroutines, for a
// SORT or THREAD that reads minParallelHeaders headers or more.
const maxSortWorkers = 4

var minParallelHeaders = 256 // a variable for the tests

// pendingMsg is a message sortFetch fetched: what the store said of it
// and its keys, or the header to parse for them.
type pendingMsg struct {
	uid     mailbox.UID
	seq     uint32
	arrival time.Time
	size    int64
	keys    *msgKeys
	raw     []byte
}

// parse sets p.keys from p.raw (see sortKeysOf).
func (p *pendingMsg) parse(cached bool, need sortNeeds) {
	p.keys = sortKeysOf(parseHeaderBytes(p.raw), cached, need)
	p.raw = nil
}

// sortMsgPtrs returns pointers to the elements of all.
func sortMsgPtrs(all []sortMsg) []*sortMsg {
	msgs := make([]*sortMsg, len(all))
	for i := range all {
		msgs[i] = &all[i]
	}
	return msgs
}

// firstAddress returns the first address of the field key as ENVELOPE
// gives it, or the zero Address.
func firstAddress(h mime.Header, key string) Address {
	if list := addressesOf(h, key); len(list) > 0 {
		return list[0]
	}
	return Address{}
}

// displayOf returns the DISPLAY sort value of an address (RFC 5957 3):
// the decoded display name when not empty, else mailbox@host, else the
// mailbox.
func displayOf(a Address) string {
	if a.Name != "" {
		name := a.Name
		if strings.Contains(name, "=?") {
			if d, err := mime.DecodeHeader(name); err == nil || d != "" {
				name = d
			}
		}
		if name != "" {
			return name
		}
	}
	if a.Mailbox != "" && a.Host != "" {
		return a.Mailbox + "@" + a.Host
	}
	return a.Mailbox
}

// sortKeyCompare returns the comparison of one sort key (RFC 5256 3,
// RFC 5957 4), ascending; nil for an unknown key.
func sortKeyCompare(key string) func(a, b *sortMsg) int {
	switch key {
	case "ARRIVAL":
		return func(a, b *sortMsg) int { return a.arrival.Compare(b.arrival) }
	case "DATE":
		return func(a, b *sortMsg) int { return a.sent.Compare(b.sent) }
	case "SIZE":
		return func(a, b *sortMsg) int { return cmp.Compare(a.size, b.size) }
	case "SUBJECT":
		return func(a, b *sortMsg) int { return strings.Compare(a.subject(), b.subject()) }
	case "FROM":
		return func(a, b *sortMsg) int { return strings.Compare(a.from(), b.from()) }
	case "TO":
		return func(a, b *sortMsg) int { return strings.Compare(a.to(), b.to()) }
	case "CC":
		return func(a, b *sortMsg) int { return strings.Compare(a.cc(), b.cc()) }
	case "DISPLAYFROM":
		return func(a, b *sortMsg) int { return strings.Compare(a.dispFrom(), b.dispFrom()) }
	case "DISPLAYTO":
		return func(a, b *sortMsg) int { return strings.Compare(a.dispTo(), b.dispTo()) }
	}
	return nil
}
