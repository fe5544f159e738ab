package imap

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// Fetch item names (RFC 9051 6.4.5, RFC 3501 6.4.5, RFC 3516 BINARY,
// RFC 7162 MODSEQ).
const (
	FetchEnvelope      = "ENVELOPE"
	FetchFlags         = "FLAGS"
	FetchInternalDate  = "INTERNALDATE"
	FetchRFC822Size    = "RFC822.SIZE"
	FetchRFC822        = "RFC822"
	FetchRFC822Header  = "RFC822.HEADER"
	FetchRFC822Text    = "RFC822.TEXT"
	FetchBody          = "BODY"
	FetchBodyStructure = "BODYSTRUCTURE"
	FetchUID           = "UID"
	FetchModSeq        = "MODSEQ"
	FetchBinary        = "BINARY"
	FetchBinarySize    = "BINARY.SIZE"
	FetchPreview       = "PREVIEW"  // RFC 8970
	FetchSaveDate      = "SAVEDATE" // RFC 8514
	FetchEmailID       = "EMAILID"  // RFC 8474
	FetchThreadID      = "THREADID" // RFC 8474
)

var fetchNames = map[string]bool{
	FetchEnvelope: true, FetchFlags: true, FetchInternalDate: true, FetchRFC822Size: true,
	FetchRFC822: true, FetchRFC822Header: true, FetchRFC822Text: true, FetchBody: true,
	FetchBodyStructure: true, FetchUID: true, FetchModSeq: true, FetchBinary: true,
	FetchBinarySize: true, FetchPreview: true, FetchSaveDate: true, FetchEmailID: true,
	FetchThreadID: true,
}

// Fetch macros (RFC 9051 6.4.5) and what they stand for.
var fetchMacros = map[string][]FetchItem{
	"ALL":  {{Name: FetchFlags}, {Name: FetchInternalDate}, {Name: FetchRFC822Size}, {Name: FetchEnvelope}},
	"FAST": {{Name: FetchFlags}, {Name: FetchInternalDate}, {Name: FetchRFC822Size}},
	"FULL": {{Name: FetchFlags}, {Name: FetchInternalDate}, {Name: FetchRFC822Size}, {Name: FetchEnvelope}, {Name: FetchBody}},
}

// Section specifiers (RFC 9051 6.4.5).
const (
	SectionHeader       = "HEADER"
	SectionHeaderFields = "HEADER.FIELDS"
	SectionHeaderNot    = "HEADER.FIELDS.NOT"
	SectionText         = "TEXT"
	SectionMIME         = "MIME"
)

// Section is a body section, what is between the brackets of BODY[...]
// and BINARY[...] (RFC 9051 9: section-spec, section-binary). The
// empty Section is the whole message.
type Section struct {
	Part      []uint32 // part numbers, "1.2.3"
	Specifier string   // "", or one of the Section* constants
	Fields    []string // header field names for HEADER.FIELDS[.NOT]
}

// String formats s as it appears between the brackets.
func (s Section) String() string {
	var sb strings.Builder
	for i, p := range s.Part {
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(strconv.FormatUint(uint64(p), 10))
	}
	if s.Specifier != "" {
		if len(s.Part) > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(s.Specifier)
	}
	return sb.String()
}

// Partial is a byte range of a section: in a command "<offset.count>";
// in a response only the origin "<offset>" is given, with Count 0.
type Partial struct {
	Offset uint64
	Count  uint64
}

// FetchItem is one fetch attribute (RFC 9051 9: fetch-att). Section is
// nil unless the item has brackets: BODY is the non-extensible
// BODYSTRUCTURE while BODY[] (Section set and empty) is the message.
type FetchItem struct {
	Name    string // one of the Fetch* constants
	Peek    bool   // BODY.PEEK, BINARY.PEEK
	Section *Section
	Partial *Partial
	// Lazy is the LAZY modifier of PREVIEW (RFC 8970 4.1).
	Lazy bool
}

// String formats the item as in a command, "BODY.PEEK[1.HEADER]<0.100>".
func (f FetchItem) String() string {
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	NewEncoder(w).FetchItem(f, false).Flush()
	return sb.String()
}

// FetchItem writes a fetch attribute; in a response (resp) there is no
// .PEEK, and a partial is the origin only.
func (e *Encoder) FetchItem(f FetchItem, resp bool) *Encoder {
	if !fetchNames[f.Name] {
		e.fail(fmt.Errorf("%w: unknown fetch item %q", ErrBadString, f.Name))
		return e
	}
	e.Raw(f.Name)
	if f.Peek && !resp {
		e.Raw(".PEEK")
	}
	if f.Lazy && !resp {
		e.Raw(" (LAZY)")
	}
	if f.Section == nil {
		return e
	}
	e.byte1('[').Raw(f.Section.String())
	if len(f.Section.Fields) > 0 {
		e.SP().List(len(f.Section.Fields), func(i int) { e.AString(f.Section.Fields[i]) })
	}
	e.byte1(']')
	if f.Partial != nil {
		e.byte1('<').Number64(f.Partial.Offset)
		if !resp {
			e.byte1('.').Number64(f.Partial.Count)
		}
		e.byte1('>')
	}
	return e
}

// FetchCommand is the argument of FETCH and UID FETCH (RFC 9051 6.4.5)
// with the CHANGEDSINCE and VANISHED modifiers (RFC 7162 3.1.4.1, 3.2.6).
type FetchCommand struct {
	Seq   SeqSet
	Macro string // "ALL", "FAST" or "FULL" when the items came from one
	Items []FetchItem
	// ChangedSince is the CHANGEDSINCE modifier; 0 when absent.
	ChangedSince uint64
	Vanished     bool
}

// FetchItem reads one fetch attribute of a command; resp reads it as
// in a FETCH response instead (no .PEEK, origin-only partial).
func (d *Decoder) FetchItem(resp bool) (FetchItem, error) {
	name, err := d.fetchName()
	if err != nil {
		return FetchItem{}, err
	}
	return d.fetchItemNamed(name, resp)
}

func (d *Decoder) fetchName() (string, error) {
	var sb strings.Builder
	for {
		b, err := d.peek()
		if err != nil {
			return "", err
		}
		if !isAtomChar(b) || b == '[' || b == '<' {
			break
		}
		d.readByte()
		sb.WriteByte(b)
		if sb.Len() > 20 {
			return "", syntaxf("unknown fetch item")
		}
	}
	if sb.Len() == 0 {
		return "", syntaxf("expected fetch item")
	}
	return sb.String(), nil
}

func (d *Decoder) fetchItemNamed(orig string, resp bool) (FetchItem, error) {
	var f FetchItem
	name := strings.ToUpper(orig)
	if !resp {
		if n, ok := strings.CutSuffix(name, ".PEEK"); ok && (n == FetchBody || n == FetchBinary) {
			name, f.Peek = n, true
		}
	}
	if !fetchNames[name] {
		return f, syntaxf("unknown fetch item %q", orig)
	}
	f.Name = name
	if name == FetchPreview && !resp {
		return f, d.previewModifiers(&f)
	}
	if ok, err := d.Accept('['); err != nil || !ok {
		if err == nil && (f.Peek || name == FetchBinary || name == FetchBinarySize) {
			err = syntaxf("%s needs a section", orig)
		}
		return f, err
	}
	if name != FetchBody && name != FetchBinary && name != FetchBinarySize {
		return f, syntaxf("%s takes no section", name)
	}
	sec, err := d.section(name != FetchBody)
	if err != nil {
		return f, err
	}
	f.Section = &sec
	if ok, err := d.Accept('<'); err != nil || !ok {
		return f, err
	}
	if name == FetchBinarySize {
		return f, syntaxf("BINARY.SIZE takes no partial")
	}
	p := &Partial{}
	if p.Offset, err = d.Number64(); err != nil {
		return f, err
	}
	if !resp {
		if err := d.Expect('.'); err != nil {
			return f, err
		}
		if p.Count, err = d.Number64(); err != nil {
			return f, err
		}
		if p.Count == 0 {
			return f, syntaxf("partial count of zero")
		}
	}
	f.Partial = p
	return f, d.Expect('>')
}

// previewModifiers reads the modifiers of PREVIEW, if any (RFC 8970 6:
// "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"]). After a lone
// PREVIEW, " (" may also open FETCH's modifiers: only " (LAZY" is taken
// as PREVIEW's. Six octets always follow a valid " (", so the peek
// cannot wait for more input.
func (d *Decoder) previewModifiers(f *FetchItem) error {
	if b, err := d.peek(); err != nil || b != ' ' {
		return err
	}
	b, err := d.r.Peek(6)
	if err != nil || b[1] != '(' || !strings.EqualFold(string(b[2:]), "LAZY") {
		return nil
	}
	if err := d.SP(); err != nil {
		return err
	}
	return d.List(func() error {
		m, err := d.Atom()
		if err == nil && !strings.EqualFold(m, "LAZY") {
			err = syntaxf("unknown PREVIEW modifier %q", m)
		}
		f.Lazy = true
		return err
	})
}

// section reads a section spec and its closing "]"; binary allows only
// part numbers (RFC 9051 9: section-binary).
func (d *Decoder) section(binary bool) (Section, error) {
	var s Section
	for {
		b, err := d.peek()
		if err != nil {
			return s, err
		}
		if b < '0' || b > '9' {
			break
		}
		n, err := d.NZNumber()
		if err != nil {
			return s, err
		}
		s.Part = append(s.Part, n)
		if len(s.Part) > d.lim.MaxDepth {
			return s, ErrTooDeep
		}
		if ok, err := d.Accept('.'); err != nil {
			return s, err
		} else if !ok {
			break
		}
		if b, _ := d.peek(); b < '0' || b > '9' {
			goto spec
		}
	}
	if ok, err := d.Accept(']'); ok || err != nil {
		return s, err
	}
	if len(s.Part) > 0 {
		return s, syntaxf("bad section")
	}
spec:
	if binary {
		return s, syntaxf("BINARY section takes part numbers only")
	}
	spec, err := d.token(classAtom, "section")
	if err != nil {
		return s, err
	}
	s.Specifier = strings.ToUpper(spec)
	switch s.Specifier {
	case SectionHeader, SectionText:
	case SectionMIME:
		if len(s.Part) == 0 {
			return s, syntaxf("MIME needs a part number")
		}
	case SectionHeaderFields, SectionHeaderNot:
		if err := d.SP(); err != nil {
			return s, err
		}
		err := d.List(func() error {
			h, err := d.AString()
			s.Fields = append(s.Fields, h)
			return err
		})
		if err == nil && len(s.Fields) == 0 {
			err = syntaxf("empty header list")
		}
		if err != nil {
			return s, err
		}
	default:
		return s, syntaxf("bad section %q", spec)
	}
	return s, d.Expect(']')
}

func (d *Decoder) fetchCommand() (*FetchCommand, error) {
	c := &FetchCommand{}
	var err error
	if err = d.SP(); err != nil {
		return nil, err
	}
	if c.Seq, err = d.SeqSet(); err != nil {
		return nil, err
	}
	if err = d.SP(); err != nil {
		return nil, err
	}
	b, err := d.peek()
	if err != nil {
		return nil, err
	}
	if b == '(' {
		err = d.List(func() error {
			f, err := d.FetchItem(false)
			c.Items = append(c.Items, f)
			return err
		})
		if err == nil && len(c.Items) == 0 {
			err = syntaxf("empty fetch item list")
		}
	} else {
		var word string
		if word, err = d.fetchName(); err == nil {
			if m, ok := fetchMacros[strings.ToUpper(word)]; ok {
				c.Macro = strings.ToUpper(word)
				c.Items = append([]FetchItem(nil), m...)
			} else {
				var f FetchItem
				f, err = d.fetchItemNamed(word, false)
				c.Items = []FetchItem{f}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if d.AtCRLF() {
		return c, nil
	}
	// RFC 7162 3.1.4.1, 3.2.6: fetch-modifiers
	if err := d.SP(); err != nil {
		return nil, err
	}
	err = d.List(func() error {
		m, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(m) {
		case "CHANGEDSINCE":
			if err := d.SP(); err != nil {
				return err
			}
			c.ChangedSince, err = d.Number64()
			if err == nil && c.ChangedSince == 0 {
				err = syntaxf("CHANGEDSINCE 0")
			}
			return err
		case "VANISHED":
			c.Vanished = true
			return nil
		}
		return syntaxf("unknown FETCH modifier %q", m)
	})
	return c, err
}

func (e *Encoder) fetchCommand(c *FetchCommand) {
	e.SP().SeqSet(c.Seq).SP()
	if c.Macro != "" {
		e.Atom(c.Macro)
	} else {
		e.List(len(c.Items), func(i int) { e.FetchItem(c.Items[i], false) })
	}
	if c.ChangedSince > 0 || c.Vanished {
		e.Raw(" (")
		if c.ChangedSince > 0 {
			e.Raw("CHANGEDSINCE ").Number64(c.ChangedSince)
			if c.Vanished {
				e.SP()
			}
		}
		if c.Vanished {
			e.Raw("VANISHED")
		}
		e.Raw(")")
	}
}
