package imap

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// The client reads most of its input as FETCH responses, and most of
// those hold no literal: a whole response sits in the read buffer. This
// file parses such a line straight from the buffer, which is several
// times faster than the byte-at-a-time Decoder. It gives up (and the
// Decoder takes the line) at anything it does not handle: literals,
// body sections, unusual items, any deviation from the grammar. What it
// accepts it reads exactly as the Decoder would.

// fastParser reads from b; fail is set at the first thing it does
// not handle.
type fastParser struct {
	b     []byte
	i     int
	depth int
	fail  bool
}

func (p *fastParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	p.fail = true
	return 0
}

func (p *fastParser) expect(c byte) {
	if p.peek() != c {
		p.fail = true
		return
	}
	p.i++
}

func (p *fastParser) accept(c byte) bool {
	if !p.fail && p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *fastParser) atom() string {
	start := p.i
	for p.i < len(p.b) && isAtomChar(p.b[p.i]) {
		p.i++
	}
	if p.i == start {
		p.fail = true
	}
	return string(p.b[start:p.i])
}

func (p *fastParser) number64(max uint64) uint64 {
	start := p.i
	var n uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		if p.i-start == 19 {
			p.fail = true
			return 0
		}
		n = n*10 + uint64(p.b[p.i]-'0')
		p.i++
	}
	if p.i == start || n > max {
		p.fail = true
	}
	return n
}

func (p *fastParser) number() uint32 { return uint32(p.number64(1<<32 - 1)) }

// isNIL reads NIL if it comes next.
func (p *fastParser) isNIL() bool {
	if p.i+3 <= len(p.b) && (p.b[p.i]|0x20) == 'n' && (p.b[p.i+1]|0x20) == 'i' && (p.b[p.i+2]|0x20) == 'l' &&
		(p.i+3 == len(p.b) || !isAtomChar(p.b[p.i+3])) {
		p.i += 3
		return true
	}
	return false
}

// quoted reads a quoted string, refusing what Decoder.Quoted refuses.
func (p *fastParser) quoted() string {
	p.expect('"')
	if p.fail {
		return ""
	}
	start := p.i
	esc, utf := false, false
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if utf && !utf8.Valid(s) {
				p.fail = true
				return ""
			}
			if !esc {
				return string(s)
			}
			var sb strings.Builder
			sb.Grow(len(s))
			for j := 0; j < len(s); j++ {
				if s[j] == '\\' {
					j++
				}
				sb.WriteByte(s[j])
			}
			return sb.String()
		case c == '\\':
			if p.i+1 >= len(p.b) || (p.b[p.i+1] != '"' && p.b[p.i+1] != '\\') {
				p.fail = true
				return ""
			}
			esc = true
			p.i += 2
			continue
		case c == '\r' || c == '\n' || c == 0:
			p.fail = true
			return ""
		case c >= 0x80:
			utf = true
		}
		p.i++
	}
	p.fail = true
	return ""
}

func (p *fastParser) nstring() string {
	if p.isNIL() {
		return ""
	}
	return p.quoted()
}

// list reads "(" item *(SP item) ")", or "()".
func (p *fastParser) list(item func()) {
	p.expect('(')
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > DefaultMaxDepth {
		p.fail = true
	}
	if p.fail || p.accept(')') {
		return
	}
	for !p.fail {
		item()
		if p.fail {
			return
		}
		if p.accept(')') {
			return
		}
		p.expect(' ')
	}
}

func (p *fastParser) flagList() []string {
	flags := []string{}
	p.list(func() {
		if p.accept('\\') {
			if p.accept('*') {
				flags = append(flags, `\*`)
				return
			}
			flags = append(flags, `\`+p.atom())
			return
		}
		flags = append(flags, p.atom())
	})
	return flags
}

func (p *fastParser) envelope() *Envelope {
	env := &Envelope{}
	p.expect('(')
	env.Date = p.nstring()
	p.expect(' ')
	env.Subject = p.nstring()
	for _, l := range []*[]Address{&env.From, &env.Sender, &env.ReplyTo, &env.To, &env.Cc, &env.Bcc} {
		p.expect(' ')
		*l = p.addressList()
	}
	p.expect(' ')
	env.InReplyTo = p.nstring()
	p.expect(' ')
	env.MessageID = p.nstring()
	p.expect(')')
	return env
}

func (p *fastParser) addressList() []Address {
	if p.isNIL() {
		return nil
	}
	var l []Address
	p.expect('(')
	for !p.fail {
		var a Address
		p.expect('(')
		a.Name = p.nstring()
		p.expect(' ')
		a.ADL = p.nstring()
		p.expect(' ')
		a.Mailbox = p.nstring()
		p.expect(' ')
		a.Host = p.nstring()
		p.expect(')')
		l = append(l, a)
		if p.accept(')') {
			break
		}
		p.accept(' ')
	}
	return l
}

func (p *fastParser) params() []Param {
	if p.isNIL() {
		return nil
	}
	var ps []Param
	p.list(func() {
		var pr Param
		pr.Name = p.quoted()
		p.expect(' ')
		pr.Value = p.quoted()
		ps = append(ps, pr)
	})
	return ps
}

func (p *fastParser) body() *BodyStructure {
	p.expect('(')
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > DefaultMaxDepth {
		p.fail = true
	}
	if p.fail {
		return nil
	}
	b := &BodyStructure{}
	if p.peek() == '(' {
		b.Type = "MULTIPART"
		for !p.fail && p.peek() == '(' {
			b.Parts = append(b.Parts, p.body())
		}
		p.expect(' ')
		b.Subtype = p.quoted()
		if p.accept(')') {
			return b
		}
		p.expect(' ')
		b.Extended = true
		b.Params = p.params()
		p.extension(b)
		return b
	}
	b.Type = p.quoted()
	p.expect(' ')
	b.Subtype = p.quoted()
	p.expect(' ')
	b.Params = p.params()
	p.expect(' ')
	b.ID = p.nstring()
	p.expect(' ')
	b.Description = p.nstring()
	p.expect(' ')
	b.Encoding = p.quoted()
	p.expect(' ')
	b.Size = p.number()
	if b.isMessage() {
		p.expect(' ')
		b.Envelope = p.envelope()
		p.expect(' ')
		b.Body = p.body()
	}
	if b.isMessage() || strings.EqualFold(b.Type, "TEXT") {
		p.expect(' ')
		b.Lines = p.number64(1<<63 - 1)
	}
	if p.fail || p.accept(')') {
		return b
	}
	p.expect(' ')
	b.Extended = true
	b.MD5 = p.nstring()
	p.extension(b)
	return b
}

// extension reads [SP dsp [SP lang [SP loc *(SP ext)]]] ")".
func (p *fastParser) extension(b *BodyStructure) {
	for i := 0; !p.fail; i++ {
		if p.accept(')') {
			return
		}
		p.expect(' ')
		switch i {
		case 0:
			if p.isNIL() {
				continue
			}
			p.expect('(')
			b.Disposition = p.quoted()
			p.expect(' ')
			b.DispositionParams = p.params()
			p.expect(')')
		case 1:
			if p.peek() == '(' {
				p.list(func() { b.Language = append(b.Language, p.quoted()) })
			} else if !p.isNIL() {
				b.Language = []string{p.quoted()}
			}
		case 2:
			b.Location = p.nstring()
		default:
			p.bodyExt()
		}
	}
}

func (p *fastParser) bodyExt() {
	switch c := p.peek(); {
	case c == '(':
		p.list(p.bodyExt)
	case c >= '0' && c <= '9':
		p.number64(1<<63 - 1)
	default:
		p.nstring()
	}
}

// fastFetch parses "* n FETCH (...)" without its CRLF, or fails.
func fastFetch(line []byte) (*FetchData, bool) {
	p := &fastParser{b: line}
	p.expect('*')
	p.expect(' ')
	seq := p.number()
	if p.fail || !bytes.HasPrefix(line[p.i:], []byte(" FETCH (")) {
		return nil, false
	}
	p.i += len(" FETCH ")
	f := &FetchData{Seq: seq}
	p.list(func() {
		start := p.i
		for p.i < len(p.b) && isAtomChar(p.b[p.i]) && p.b[p.i] != '[' {
			p.i++
		}
		name := p.b[start:p.i]
		p.expect(' ')
		if p.fail {
			return
		}
		switch {
		case bytes.EqualFold(name, []byte(FetchUID)):
			f.UID = p.number()
			if f.UID == 0 {
				p.fail = true
			}
		case bytes.EqualFold(name, []byte(FetchFlags)):
			f.Flags = p.flagList()
		case bytes.EqualFold(name, []byte(FetchEnvelope)):
			f.Envelope = p.envelope()
		case bytes.EqualFold(name, []byte(FetchBodyStructure)):
			if f.BodyStructure = p.body(); !p.fail {
				f.BodyStructure.normalize(true)
			}
		case bytes.EqualFold(name, []byte(FetchBody)):
			if f.Body = p.body(); !p.fail {
				f.Body.normalize(false)
			}
		case bytes.EqualFold(name, []byte(FetchRFC822Size)):
			n := int64(p.number64(1<<63 - 1))
			f.RFC822Size = &n
		case bytes.EqualFold(name, []byte(FetchModSeq)):
			p.expect('(')
			f.ModSeq = p.number64(1<<63 - 1)
			p.expect(')')
		case bytes.EqualFold(name, []byte(FetchInternalDate)):
			s := p.quoted()
			if !p.fail {
				t, err := parseDateTime(s)
				if err != nil {
					p.fail = true
				}
				f.InternalDate = t
			}
		default:
			p.fail = true
		}
	})
	if p.fail || p.i != len(line) {
		return nil, false
	}
	return f, true
}

// fastResponse parses the next response from the read buffer when it is
// a FETCH response whose whole line is there; ok is false otherwise
// and nothing was read.
func (c *Client) fastResponse() (Response, bool) {
	n := c.br.Buffered()
	if n < 16 {
		return nil, false
	}
	buf, _ := c.br.Peek(n)
	if buf[0] != '*' || buf[2] < '0' || buf[2] > '9' {
		return nil, false
	}
	end := bytes.IndexByte(buf, '\n')
	for end < 0 && n < c.br.Size() && n < c.dec.Limits.withDefaults().MaxLineLength {
		// The line has begun and the rest is on its way.
		if _, err := c.br.Peek(n + 1); err != nil {
			return nil, false
		}
		n = c.br.Buffered()
		buf, _ = c.br.Peek(n)
		end = bytes.IndexByte(buf, '\n')
	}
	if end < 1 || buf[end-1] != '\r' || end > c.dec.Limits.withDefaults().MaxLineLength {
		return nil, false
	}
	f, ok := fastFetch(buf[:end-1])
	if !ok {
		return nil, false
	}
	c.br.Discard(end + 1)
	return f, true
}
