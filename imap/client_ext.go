package imap

import (
	"bufio"
	"context"
	"sort"
	"strings"
)

// This file holds the commands of extensions the codec does not know
// (QUOTA, METADATA; SORT and THREAD answers are SortData and ThreadData):
// the client writes their arguments with the
// Encoder's element methods and parses their responses from the text
// of UnknownData.

// textDecoder returns a Decoder over the text of an UnknownData.
func textDecoder(text string) *Decoder {
	d := NewDecoder(bufio.NewReader(strings.NewReader(text + "\r\n")))
	d.Begin()
	d.responses = true
	return d
}

// SortCriterion is one sort criterion of SORT (RFC 5256 3): ARRIVAL,
// CC, DATE, FROM, SIZE, SUBJECT, TO (and DISPLAYFROM, DISPLAYTO of RFC
// 5957), optionally reversed.
type SortCriterion struct {
	Key     string
	Reverse bool
}

// Sort sends SORT (RFC 5256) and returns the message numbers in order.
// charset "" means UTF-8.
func (c *Client) Sort(ctx context.Context, criteria []SortCriterion, charset string, keys []SearchKey) ([]uint32, error) {
	return c.sort(ctx, false, criteria, charset, keys)
}

// UIDSort is Sort returning UIDs.
func (c *Client) UIDSort(ctx context.Context, criteria []SortCriterion, charset string, keys []SearchKey) ([]uint32, error) {
	return c.sort(ctx, true, criteria, charset, keys)
}

func (c *Client) sort(ctx context.Context, uid bool, criteria []SortCriterion, charset string, keys []SearchKey) ([]uint32, error) {
	if charset == "" {
		charset = "UTF-8"
	}
	var nums []uint32
	_, err := c.run(ctx, cmdSpec{
		cmd: &Command{Name: "SORT", UID: uid},
		raw: func(e *Encoder) error {
			e.SP().List(len(criteria), func(i int) {
				if criteria[i].Reverse {
					e.Raw("REVERSE ")
				}
				e.Atom(strings.ToUpper(criteria[i].Key))
			})
			e.SP().AString(charset)
			for _, k := range keys {
				e.SP().SearchKey(k)
			}
			return e.Err()
		},
		collect: func(r Response) bool {
			sd, ok := r.(*SortData)
			if !ok {
				return false
			}
			nums = append(nums, sd.Nums...)
			return true
		},
	})
	return nums, err
}

// Thread is a node of a THREAD answer (RFC 5256 4): a message and the
// threads that follow it. Num is 0 for a thread with no root message
// (a parenthesised list of siblings).
type Thread struct {
	Num      uint32
	Children []*Thread
}

// Thread sends THREAD (RFC 5256) with algorithm ORDEREDSUBJECT or
// REFERENCES and returns the threads. charset "" means UTF-8.
func (c *Client) Thread(ctx context.Context, algorithm, charset string, keys []SearchKey) ([]*Thread, error) {
	return c.thread(ctx, false, algorithm, charset, keys)
}

// UIDThread is Thread with UIDs.
func (c *Client) UIDThread(ctx context.Context, algorithm, charset string, keys []SearchKey) ([]*Thread, error) {
	return c.thread(ctx, true, algorithm, charset, keys)
}

func (c *Client) thread(ctx context.Context, uid bool, algorithm, charset string, keys []SearchKey) ([]*Thread, error) {
	if charset == "" {
		charset = "UTF-8"
	}
	var threads []*Thread
	_, err := c.run(ctx, cmdSpec{
		cmd: &Command{Name: "THREAD", UID: uid},
		raw: func(e *Encoder) error {
			e.SP().Atom(strings.ToUpper(algorithm)).SP().AString(charset)
			for _, k := range keys {
				e.SP().SearchKey(k)
			}
			return e.Err()
		},
		collect: func(r Response) bool {
			td, ok := r.(*ThreadData)
			if !ok {
				return false
			}
			threads = td.Threads
			return true
		},
	})
	return threads, err
}

// parseThreads parses thread-list: "(1 2 (3)(4 5))(6)" (RFC 5256 5).
// A thread "(a b c)" is a chain: b is a child of a, c of b; "(a (b)(c))"
// gives a two children.
func parseThreads(s string) []*Thread {
	var roots []*Thread
	i := 0
	var member func(depth int) *Thread
	// member parses the inside of one "(...)" into a chain and returns
	// its head.
	member = func(depth int) *Thread {
		head := &Thread{}
		cur := head
		first := true
		for i < len(s) {
			switch ch := s[i]; {
			case ch == ' ':
				i++
			case ch == ')':
				i++
				return head
			case ch == '(':
				i++
				if depth > DefaultMaxDepth {
					return head
				}
				sub := member(depth + 1)
				if first {
					// A list with no root message.
					cur.Children = append(cur.Children, sub)
					continue
				}
				cur.Children = append(cur.Children, sub)
			case ch >= '0' && ch <= '9':
				j := i
				var n uint32
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					n = n*10 + uint32(s[j]-'0')
					j++
				}
				i = j
				if first {
					cur.Num = n
					first = false
				} else {
					next := &Thread{Num: n}
					cur.Children = append(cur.Children, next)
					cur = next
				}
			default:
				i++
			}
		}
		return head
	}
	for i < len(s) {
		if s[i] == '(' {
			i++
			roots = append(roots, member(0))
		} else {
			i++
		}
	}
	return roots
}

// QuotaResource is one resource of a quota root (RFC 9208 5.1):
// STORAGE (in KiB), MESSAGE, MAILBOX...
type QuotaResource struct {
	Name         string
	Usage, Limit uint64
}

// Quota is a quota root and its resources.
type Quota struct {
	Root      string
	Resources []QuotaResource
}

// GetQuotaRoot sends GETQUOTAROOT (RFC 9208 4.3) and returns the
// quota roots of mailbox with their quotas.
func (c *Client) GetQuotaRoot(ctx context.Context, mailbox string) ([]Quota, error) {
	return c.quota(ctx, "GETQUOTAROOT", c.wireName(mailbox))
}

// GetQuota sends GETQUOTA (RFC 9208 4.2).
func (c *Client) GetQuota(ctx context.Context, root string) (*Quota, error) {
	qs, err := c.quota(ctx, "GETQUOTA", root)
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		if q.Root == root {
			return &q, nil
		}
	}
	return &Quota{Root: root}, nil
}

func (c *Client) quota(ctx context.Context, name, arg string) ([]Quota, error) {
	var roots []string
	var quotas []Quota
	_, err := c.run(ctx, cmdSpec{
		cmd: &Command{Name: name},
		raw: func(e *Encoder) error { e.SP().AString(arg); return e.Err() },
		collect: func(r Response) bool {
			u, ok := r.(*UnknownData)
			if !ok {
				return false
			}
			d := textDecoder(u.Text)
			switch u.Name {
			case "QUOTAROOT":
				if _, err := d.AString(); err != nil {
					return true
				}
				for {
					if ok, _ := d.Accept(' '); !ok {
						break
					}
					r, err := d.AString()
					if err != nil {
						break
					}
					roots = append(roots, r)
				}
				return true
			case "QUOTA":
				q := Quota{}
				var err error
				if q.Root, err = d.AString(); err != nil {
					return true
				}
				if d.SP() != nil {
					return true
				}
				d.List(func() error {
					var res QuotaResource
					var err error
					if res.Name, err = d.Atom(); err != nil {
						return err
					}
					if err = d.SP(); err != nil {
						return err
					}
					if res.Usage, err = d.Number64(); err != nil {
						return err
					}
					if err = d.SP(); err != nil {
						return err
					}
					res.Limit, err = d.Number64()
					res.Name = strings.ToUpper(res.Name)
					q.Resources = append(q.Resources, res)
					return err
				})
				quotas = append(quotas, q)
				return true
			}
			return false
		},
	})
	for _, r := range roots {
		found := false
		for _, q := range quotas {
			found = found || q.Root == r
		}
		if !found {
			quotas = append(quotas, Quota{Root: r})
		}
	}
	return quotas, err
}

// GetMetadata sends GETMETADATA (RFC 5464 4.2) for entries of mailbox
// ("" for the server annotations) and returns their values; a nil value
// is NIL (no such entry).
func (c *Client) GetMetadata(ctx context.Context, mailbox string, entries ...string) (map[string]*string, error) {
	wire := ""
	if mailbox != "" {
		wire = c.wireName(mailbox)
	}
	out := map[string]*string{}
	_, err := c.run(ctx, cmdSpec{
		cmd: &Command{Name: "GETMETADATA"},
		raw: func(e *Encoder) error {
			e.SP().AString(wire).SP().List(len(entries), func(i int) { e.AString(entries[i]) })
			return e.Err()
		},
		collect: func(r Response) bool {
			u, ok := r.(*UnknownData)
			if !ok || u.Name != "METADATA" {
				return false
			}
			d := textDecoder(u.Text)
			if _, err := d.AString(); err != nil || d.SP() != nil {
				return true
			}
			// RFC 5464 4.4.1: entry-values, "(" entry SP value ... ")".
			var name string
			i := 0
			d.List(func() error {
				i++
				if i%2 == 1 {
					var err error
					name, err = d.AString()
					return err
				}
				b, err := d.PeekByte()
				if err != nil {
					return err
				}
				if b == '~' {
					v, err := d.Literal(true)
					s := string(v)
					out[name] = &s
					return err
				}
				v, isNil, err := d.NString()
				if isNil {
					out[name] = nil
				} else {
					out[name] = &v
				}
				return err
			})
			return true
		},
	})
	return out, err
}

// SetMetadata sends SETMETADATA (RFC 5464 4.3); a nil value removes
// the entry.
func (c *Client) SetMetadata(ctx context.Context, mailbox string, values map[string]*string) error {
	wire := ""
	if mailbox != "" {
		wire = c.wireName(mailbox)
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	_, err := c.run(ctx, cmdSpec{
		cmd: &Command{Name: "SETMETADATA"},
		raw: func(e *Encoder) error {
			e.SP().AString(wire).SP().List(len(names), func(i int) {
				e.AString(names[i]).SP()
				if v := values[names[i]]; v == nil {
					e.NIL()
				} else {
					e.String(*v)
				}
			})
			return e.Err()
		},
	})
	return err
}
