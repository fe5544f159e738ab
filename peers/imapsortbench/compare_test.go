package imapsortbench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postkit/postkit/mailbox/mailboxtest"
)

// maxDiffs bounds the differences reported per command.
const maxDiffs = 5

// compareAnswers checks that our answer to cmd (one untagged line) is
// Dovecot's, and describes the messages where they differ.
func compareAnswers(t *testing.T, cmd string, ours, theirs []string) {
	t.Helper()
	if len(ours) != 1 || len(theirs) != 1 {
		return // checkShape said
	}
	switch {
	case strings.Contains(cmd, "RETURN ("):
		a, b := esearchItems(ours[0]), esearchItems(theirs[0])
		if a != b {
			t.Errorf("%s: postkit %q, dovecot %q", cmd, a, b)
		}
	case strings.HasPrefix(cmd, "SORT"):
		a, b := strings.Fields(ours[0])[2:], strings.Fields(theirs[0])[2:]
		diffs := 0
		for i := range min(len(a), len(b)) {
			if a[i] == b[i] {
				continue
			}
			if diffs++; diffs > maxDiffs {
				break
			}
			t.Errorf("%s: position %d: postkit %s, dovecot %s\n  %s\n  %s", cmd, i+1, a[i], b[i], describe(a[i]), describe(b[i]))
		}
		if len(a) != len(b) {
			t.Errorf("%s: postkit %d numbers, dovecot %d", cmd, len(a), len(b))
		}
	case strings.HasPrefix(cmd, "THREAD"):
		a, errA := parseThreads(ours[0])
		b, errB := parseThreads(theirs[0])
		if errA != nil || errB != nil {
			return // checkShape said
		}
		diffs := 0
		for i := range min(len(a), len(b)) {
			ca, cb := canonical(a[i]), canonical(b[i])
			if ca == cb {
				continue
			}
			if diffs++; diffs > maxDiffs {
				break
			}
			t.Errorf("%s: thread %d: postkit %s, dovecot %s\n%s", cmd, i+1, ca, cb, describeTree(a[i], b[i]))
		}
		if len(a) != len(b) {
			t.Errorf("%s: postkit %d threads, dovecot %d", cmd, len(a), len(b))
		}
	}
}

// esearchItems returns the items of an ESEARCH response without its
// TAG correlator, sorted.
func esearchItems(line string) string {
	f := strings.Fields(line)
	var items []string
	for i := 2; i < len(f); i++ {
		switch {
		case f[i] == "(TAG":
			i++ // the tag string
		case f[i] == "UID":
		case i+1 < len(f):
			items = append(items, f[i]+"="+f[i+1])
			i++
		}
	}
	slices.Sort(items)
	return strings.Join(items, " ")
}

// describe returns the sort keys of the message with sequence number
// (and UID) num.
func describe(num string) string {
	i, err := strconv.Atoi(num)
	if err != nil || i < 1 {
		return num
	}
	msg, at := mailboxtest.ThreadedMessage(i - 1)
	var keys []string
	for _, l := range strings.Split(msg, "\r\n") {
		if l == "" {
			break
		}
		for _, h := range []string{"From:", "Subject:", "Date:"} {
			if strings.HasPrefix(l, h) {
				keys = append(keys, l)
			}
		}
	}
	return fmt.Sprintf("%d: %s | internal %s | %d octets", i, strings.Join(keys, " | "), at.Format(time.RFC3339), len(msg))
}

// describeTree describes the messages of two versions of a thread.
func describeTree(a, b *node) string {
	var nums []uint32
	var walk func(*node)
	walk = func(n *node) {
		if n.num != 0 && !slices.Contains(nums, n.num) {
			nums = append(nums, n.num)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(a)
	walk(b)
	slices.Sort(nums)
	var s strings.Builder
	for _, n := range nums {
		fmt.Fprintf(&s, "  %s\n", describe(strconv.Itoa(int(n))))
	}
	return s.String()
}

// node is a message of a THREAD answer; num 0 is a dummy parent.
type node struct {
	num  uint32
	kids []*node
}

// parseThreads parses the line "* THREAD ..." (RFC 5256 5) into its
// threads.
func parseThreads(line string) ([]*node, error) {
	rest, ok := strings.CutPrefix(line, "* THREAD")
	if !ok {
		return nil, fmt.Errorf("not a THREAD response: %.40q", line)
	}
	p := &threadParser{s: strings.TrimLeft(rest, " ")}
	var roots []*node
	for p.s != "" {
		n, err := p.list()
		if err != nil {
			return nil, err
		}
		roots = append(roots, n)
	}
	return roots, nil
}

type threadParser struct{ s string }

// list parses thread-list: "(" thread-members / thread-nested ")".
func (p *threadParser) list() (*node, error) {
	if !strings.HasPrefix(p.s, "(") {
		return nil, fmt.Errorf("thread-list expected at %.20q", p.s)
	}
	p.s = p.s[1:]
	var head, cur *node
	for {
		p.s = strings.TrimLeft(p.s, " ")
		switch {
		case p.s == "":
			return nil, fmt.Errorf("unterminated thread-list")
		case p.s[0] == ')':
			p.s = p.s[1:]
			if head == nil {
				return nil, fmt.Errorf("empty thread-list")
			}
			return head, nil
		case p.s[0] == '(':
			if head == nil {
				head = &node{}
				cur = head
			}
			for strings.HasPrefix(p.s, "(") {
				k, err := p.list()
				if err != nil {
					return nil, err
				}
				cur.kids = append(cur.kids, k)
				p.s = strings.TrimLeft(p.s, " ")
			}
		default:
			end := strings.IndexAny(p.s, " ()")
			if end < 0 {
				end = len(p.s)
			}
			v, err := strconv.ParseUint(p.s[:end], 10, 32)
			if err != nil || v == 0 {
				return nil, fmt.Errorf("bad number %q", p.s[:end])
			}
			p.s = p.s[end:]
			n := &node{num: uint32(v)}
			if head == nil {
				head = n
			} else {
				if len(cur.kids) > 0 {
					return nil, fmt.Errorf("number after nested threads")
				}
				cur.kids = append(cur.kids, n)
			}
			cur = n
		}
	}
}

// canonical spells a thread one way: a chain of single children as
// numbers, two or more children as nested lists.
func canonical(n *node) string {
	var b strings.Builder
	b.WriteByte('(')
	writeNode(&b, n)
	b.WriteByte(')')
	return b.String()
}

func writeNode(b *strings.Builder, n *node) {
	if n.num != 0 {
		b.WriteString(strconv.FormatUint(uint64(n.num), 10))
	}
	switch len(n.kids) {
	case 0:
	case 1:
		if n.num != 0 {
			b.WriteByte(' ')
		}
		writeNode(b, n.kids[0])
	default:
		if n.num != 0 {
			b.WriteByte(' ')
		}
		for _, k := range n.kids {
			b.WriteByte('(')
			writeNode(b, k)
			b.WriteByte(')')
		}
	}
}

func TestParseThreads(t *testing.T) {
	// RFC 5256 5, the example of the THREAD response, and others.
	for _, tc := range []struct{ in, want string }{
		{"* THREAD (2)(3 6 (4 23)(44 7 96))", "(2)|(3 6 (4 23)(44 7 96))"},
		{"* THREAD ((3)(5))", "((3)(5))"},
		{"* THREAD (1 (2 3))", "(1 2 3)"},
		{"* THREAD", ""},
	} {
		roots, err := parseThreads(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		var got []string
		for _, r := range roots {
			got = append(got, canonical(r))
		}
		if s := strings.Join(got, "|"); s != tc.want {
			t.Errorf("%s: %s, want %s", tc.in, s, tc.want)
		}
	}
}
