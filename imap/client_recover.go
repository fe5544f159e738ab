package imap

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file makes the client tolerant of what real servers send (RFC
// 9051 leaves clients free to be liberal in what they accept): when the
// strict parser refuses a response, the client works on a copy of its
// line, repairs the common breakages and parses again; a FETCH response
// is then parsed item by item so that one bad item (a broken
// BODYSTRUCTURE, say) costs only that item. The responses recovered
// are reported through ClientOptions.OnParseError all the same.

// maxRecoverLine bounds the lines recovery works on.
const maxRecoverLine = DefaultClientReadBuffer

// recoverResponse returns what can be made of a response line the
// strict parser refused, or nil. raw is the line as far as it was
// buffered; a line that announces a literal is only recovered as a
// tagged status response, since its literals are gone.
func recoverResponse(raw []byte, lim Limits) Response {
	if len(raw) == 0 || len(raw) > maxRecoverLine {
		return nil
	}
	line := bytes.TrimRight(raw, "\r\n")
	whole := bytes.HasSuffix(raw, []byte("\n")) && !bytes.HasSuffix(line, []byte("}"))
	fixed := repairLine(line)
	if whole {
		if r, err := parseOne(fixed, lim); err == nil {
			return r
		}
	}
	tag, rest, _ := bytes.Cut(fixed, []byte(" "))
	switch string(tag) {
	case "+":
		return &ContinuationRequest{Text: string(rest)}
	case "*":
		if !whole {
			return nil
		}
		return recoverUntagged(rest, lim)
	}
	// A tagged response: its command must complete, whatever the text.
	word, text, _ := bytes.Cut(rest, []byte(" "))
	st := &StatusResponse{Tag: string(tag), Type: strings.ToUpper(string(word)), Text: string(text)}
	switch st.Type {
	case StatusOK, StatusNO, StatusBAD:
		if c, t, ok := strings.Cut(strings.TrimPrefix(st.Text, "["), "]"); ok && strings.HasPrefix(st.Text, "[") {
			code, _, _ := strings.Cut(c, " ")
			st.Code, st.Text = strings.ToUpper(code), strings.TrimSpace(t)
		}
	default:
		st.Type, st.Text = StatusBAD, string(rest)
	}
	st.Text = strings.ToValidUTF8(st.Text, "\uFFFD")
	return st
}

// parseOne parses one response from line (without CRLF).
func parseOne(line []byte, lim Limits) (Response, error) {
	buf := make([]byte, 0, len(line)+2)
	buf = append(append(buf, line...), '\r', '\n')
	d := NewDecoder(bufio.NewReader(bytes.NewReader(buf)))
	d.Limits = lim
	return ReadResponse(d, nil)
}

// repairLine fixes what servers are known to get wrong, outside
// literals: invalid UTF-8 and bad escapes in quoted strings (read as
// Latin-1), and missing spaces after ")" and after quoted strings.
func repairLine(line []byte) []byte {
	out := make([]byte, 0, len(line)+16)
	inQuote := false
	for i := 0; i < len(line); i++ {
		b := line[i]
		if inQuote {
			switch {
			case b == '\\' && i+1 < len(line):
				i++
				if n := line[i]; n == '"' || n == '\\' {
					out = append(out, '\\', n)
				} else {
					i-- // a stray backslash: keep it as a character
					out = append(out, '\\', '\\')
				}
			case b == '"':
				inQuote = false
				out = append(out, b)
				if i+1 < len(line) && needsSpace(line[i+1]) {
					out = append(out, ' ')
				}
			case b >= 0x80:
				r, size := utf8.DecodeRune(line[i:])
				if r == utf8.RuneError && size <= 1 {
					out = utf8.AppendRune(out, rune(b)) // Latin-1
				} else {
					out = append(out, line[i:i+size]...)
					i += size - 1
				}
			case b == 0:
			default:
				out = append(out, b)
			}
			continue
		}
		out = append(out, b)
		switch b {
		case '"':
			inQuote = true
		case ')':
			if i+1 < len(line) && (needsSpace(line[i+1]) && line[i+1] != '(') {
				out = append(out, ' ')
			}
		}
	}
	return out
}

// needsSpace reports whether c cannot follow a closing ")" or quote
// directly.
func needsSpace(c byte) bool {
	return c == '"' || c == '(' || c == '{' || c == '\\' || isAtomChar(c) && c != '<'
}

// recoverUntagged recovers a FETCH response item by item; other
// untagged responses are dropped.
func recoverUntagged(rest []byte, lim Limits) Response {
	num, rest, _ := bytes.Cut(rest, []byte(" "))
	seq, err := strconv.ParseUint(string(num), 10, 32)
	if err != nil {
		return nil
	}
	name, rest, _ := bytes.Cut(rest, []byte(" "))
	if !strings.EqualFold(string(name), "FETCH") || len(rest) < 2 || rest[0] != '(' {
		return nil
	}
	f := &FetchData{Seq: uint32(seq)}
	items := splitItems(rest[1:])
	got := 0
	for _, it := range items {
		one := []byte("* " + string(num) + " FETCH (" + string(it.name) + " " + string(it.value) + ")")
		r, err := parseOne(one, lim)
		if err == nil {
			if fd, ok := r.(*FetchData); ok {
				mergeFetch(f, fd)
				got++
			}
			continue
		}
		got++
		// A last resort for the structures providers get wrong.
		switch strings.ToUpper(string(it.name)) {
		case FetchBodyStructure, FetchBody:
			if n, ok := parseSexp(it.value); ok && n.list != nil {
				b := looseBody(n, 0)
				if strings.EqualFold(string(it.name), FetchBody) {
					f.Body = b
				} else {
					f.BodyStructure = b
				}
			}
		case FetchEnvelope:
			if n, ok := parseSexp(it.value); ok && n.list != nil {
				f.Envelope = looseEnvelope(n)
			}
		default:
			got--
		}
	}
	if got == 0 {
		return nil
	}
	return f
}

func mergeFetch(f, g *FetchData) {
	if g.UID != 0 {
		f.UID = g.UID
	}
	if g.Flags != nil {
		f.Flags = g.Flags
	}
	if g.ModSeq != 0 {
		f.ModSeq = g.ModSeq
	}
	if !g.InternalDate.IsZero() {
		f.InternalDate = g.InternalDate
	}
	if g.RFC822Size != nil {
		f.RFC822Size = g.RFC822Size
	}
	if g.Envelope != nil {
		f.Envelope = g.Envelope
	}
	if g.Body != nil {
		f.Body = g.Body
	}
	if g.BodyStructure != nil {
		f.BodyStructure = g.BodyStructure
	}
	f.BinarySizes = append(f.BinarySizes, g.BinarySizes...)
	f.Sections = append(f.Sections, g.Sections...)
}

type fetchItemRaw struct{ name, value []byte }

// splitItems splits the inside of a FETCH list into name-value pairs,
// minding quotes and nesting; the closing ")" ends it.
func splitItems(b []byte) []fetchItemRaw {
	var items []fetchItemRaw
	i := 0
	for i < len(b) {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i >= len(b) || b[i] == ')' {
			break
		}
		start := i
		// The name, with its section and partial: up to a space
		// outside brackets.
		depth := 0
		for i < len(b) && (depth > 0 || b[i] != ' ') && !(depth == 0 && b[i] == ')') {
			switch b[i] {
			case '[':
				depth++
			case ']':
				depth--
			}
			i++
		}
		name := b[start:i]
		if i < len(b) && b[i] == ' ' {
			i++
		}
		vstart := i
		i = skipValue(b, i)
		items = append(items, fetchItemRaw{name: name, value: b[vstart:i]})
	}
	return items
}

// skipValue returns the end of the value starting at i: a list, a
// quoted string or an atom.
func skipValue(b []byte, i int) int {
	depth := 0
	inQuote := false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
				if depth == 0 {
					return i + 1
				}
			}
		case c == '"':
			inQuote = true
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case c == ' ' && depth == 0:
			return i
		}
	}
	return i
}

// sexp is a parsed value: a list, a string, an atom or NIL.
type sexp struct {
	list  []sexp
	isNil bool
	s     string
}

func (n sexp) str() string {
	if n.list != nil || n.isNil {
		return ""
	}
	return n.s
}

func (n sexp) num() uint64 {
	v, _ := strconv.ParseUint(strings.TrimSpace(n.str()), 10, 63)
	return v
}

func (n sexp) at(i int) sexp {
	if i < len(n.list) {
		return n.list[i]
	}
	return sexp{isNil: true}
}

// parseSexp parses a value leniently: spaces optional, atoms of any
// printable bytes, quoted strings with any escapes.
func parseSexp(b []byte) (sexp, bool) {
	var stack [][]sexp
	var cur []sexp
	var top []sexp
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == ' ':
		case c == '(':
			if len(stack) >= DefaultMaxDepth {
				return sexp{}, false
			}
			stack = append(stack, cur)
			cur = []sexp{}
		case c == ')':
			if len(stack) == 0 {
				return sexp{}, false
			}
			n := sexp{list: cur}
			cur = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cur = append(cur, n)
		case c == '"':
			var sb strings.Builder
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' && i+1 < len(b) {
					i++
				}
				sb.WriteByte(b[i])
			}
			cur = append(cur, sexp{s: strings.ToValidUTF8(sb.String(), "\uFFFD")})
		default:
			j := i
			for j < len(b) && b[j] != ' ' && b[j] != '(' && b[j] != ')' && b[j] != '"' {
				j++
			}
			a := string(b[i:j])
			cur = append(cur, sexp{s: a, isNil: strings.EqualFold(a, "NIL")})
			i = j - 1
		}
	}
	for len(stack) > 0 { // unclosed lists: close them
		n := sexp{list: cur}
		cur = append(stack[len(stack)-1], n)
		stack = stack[:len(stack)-1]
	}
	top = cur
	if len(top) == 0 {
		return sexp{}, false
	}
	if top[0].list == nil && len(top) == 1 {
		return top[0], true
	}
	return top[0], true
}

// looseBody maps a parsed body to a BodyStructure, taking what is
// there: missing fields stay empty, NIL stands for "".
func looseBody(n sexp, depth int) *BodyStructure {
	b := &BodyStructure{}
	if depth > DefaultMaxDepth {
		return b
	}
	if len(n.list) > 0 && n.list[0].list != nil {
		b.Type = "MULTIPART"
		i := 0
		for ; i < len(n.list) && n.list[i].list != nil; i++ {
			b.Parts = append(b.Parts, looseBody(n.list[i], depth+1))
		}
		b.Subtype = strings.ToUpper(n.at(i).str())
		b.Params = looseParams(n.at(i + 1))
		return b
	}
	b.Type = strings.ToUpper(n.at(0).str())
	b.Subtype = strings.ToUpper(n.at(1).str())
	if b.Type == "" {
		b.Type = "TEXT"
		if b.Subtype == "" {
			b.Subtype = "PLAIN"
		}
	}
	b.Params = looseParams(n.at(2))
	b.ID = n.at(3).str()
	b.Description = n.at(4).str()
	b.Encoding = strings.ToUpper(n.at(5).str())
	b.Size = uint32(min(n.at(6).num(), 1<<32-1))
	next := 7
	if b.isMessage() && n.at(7).list != nil {
		b.Envelope = looseEnvelope(n.at(7))
		b.Body = looseBody(n.at(8), depth+1)
		next = 9
	}
	if b.Type == "TEXT" || b.isMessage() {
		b.Lines = n.at(next).num()
		next++
	}
	if d := n.at(next + 1); d.list != nil {
		b.Disposition = strings.ToUpper(d.at(0).str())
		b.DispositionParams = looseParams(d.at(1))
	}
	return b
}

func looseParams(n sexp) []Param {
	var ps []Param
	for i := 0; i+1 < len(n.list); i += 2 {
		ps = append(ps, Param{Name: strings.ToUpper(n.list[i].str()), Value: n.list[i+1].str()})
	}
	return ps
}

func looseEnvelope(n sexp) *Envelope {
	addrs := func(a sexp) []Address {
		var out []Address
		for _, x := range a.list {
			out = append(out, Address{Name: x.at(0).str(), ADL: x.at(1).str(), Mailbox: x.at(2).str(), Host: x.at(3).str()})
		}
		return out
	}
	return &Envelope{
		Date: n.at(0).str(), Subject: n.at(1).str(),
		From: addrs(n.at(2)), Sender: addrs(n.at(3)), ReplyTo: addrs(n.at(4)),
		To: addrs(n.at(5)), Cc: addrs(n.at(6)), Bcc: addrs(n.at(7)),
		InReplyTo: n.at(8).str(), MessageID: n.at(9).str(),
	}
}
