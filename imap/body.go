package imap

import (
	"fmt"
	"strings"
)

// Envelope is the ENVELOPE fetch item (RFC 9051 7.5.2): the message's
// header fields, parsed by the server. Empty strings are sent as NIL.
type Envelope struct {
	Date      string // the Date field as it is in the message
	Subject   string
	From      []Address
	Sender    []Address
	ReplyTo   []Address
	To        []Address
	Cc        []Address
	Bcc       []Address
	InReplyTo string
	MessageID string
}

// Address is one address of an Envelope (RFC 9051 9: address). Empty
// strings are sent as NIL. A group (RFC 5322 3.4) is a group start,
// an address with only Mailbox set to the group's name, then the
// members, then a group end, the zero Address (RFC 9051 7.5.2).
type Address struct {
	Name    string // display name as in the header: quotes removed, RFC 2047 words not decoded
	ADL     string // source route, obsolete
	Mailbox string // local part, or the group name
	Host    string // domain; "" for group starts and ends
}

// IsGroupStart reports whether a starts a group.
func (a Address) IsGroupStart() bool { return a.Host == "" && a.Mailbox != "" }

// IsGroupEnd reports whether a ends a group.
func (a Address) IsGroupEnd() bool { return a == Address{} }

// Param is a MIME parameter: a name and its value.
type Param struct {
	Name, Value string
}

// BodyStructure is the BODY and BODYSTRUCTURE fetch items (RFC 9051
// 7.5.2): a tree of MIME parts, filled by the server. A multipart has
// Parts and Subtype (Type is "MULTIPART" when parsed); any other part
// has Type, Subtype and the body fields. Empty strings are sent as NIL.
type BodyStructure struct {
	Type, Subtype string
	Params        []Param // Content-Type parameters (multipart: extension data)

	// Single parts.
	ID          string // Content-ID
	Description string // Content-Description
	Encoding    string // Content-Transfer-Encoding; "7BIT" when empty
	Size        uint32 // size in octets, encoded
	Lines       uint64 // TEXT and MESSAGE/RFC822 or GLOBAL: lines, encoded
	// MESSAGE/RFC822 and MESSAGE/GLOBAL: the enclosed message.
	Envelope *Envelope
	Body     *BodyStructure

	// Multiparts.
	Parts []*BodyStructure

	// Extended is set on every node of a tree read from BODYSTRUCTURE,
	// whose extension data (the fields below) the encoder writes; BODY
	// has none. The encoder looks at the item, not at this field.
	Extended          bool
	MD5               string // single parts only
	Disposition       string // Content-Disposition type, "" for NIL
	DispositionParams []Param
	Language          []string
	Location          string
}

// IsMultipart reports whether b is a multipart.
func (b *BodyStructure) IsMultipart() bool { return len(b.Parts) > 0 }

func (b *BodyStructure) isMessage() bool {
	return strings.EqualFold(b.Type, "MESSAGE") &&
		(strings.EqualFold(b.Subtype, "RFC822") || strings.EqualFold(b.Subtype, "GLOBAL"))
}

// Envelope writes env (RFC 9051 9: envelope).
func (e *Encoder) Envelope(env *Envelope) *Encoder {
	if env == nil {
		env = &Envelope{}
	}
	e.byte1('(').NStringOrNIL(env.Date).SP().NStringOrNIL(env.Subject)
	for _, l := range [][]Address{env.From, env.Sender, env.ReplyTo, env.To, env.Cc, env.Bcc} {
		e.SP()
		if len(l) == 0 {
			e.NIL()
			continue
		}
		e.byte1('(')
		for _, a := range l {
			e.byte1('(').NStringOrNIL(a.Name).SP().NStringOrNIL(a.ADL).SP().
				NStringOrNIL(a.Mailbox).SP().NStringOrNIL(a.Host).byte1(')')
		}
		e.byte1(')')
	}
	return e.SP().NStringOrNIL(env.InReplyTo).SP().NStringOrNIL(env.MessageID).byte1(')')
}

// Envelope reads an envelope.
func (d *Decoder) Envelope() (*Envelope, error) {
	env := &Envelope{}
	i := 0
	err := d.List(func() error {
		var err error
		switch i++; i {
		case 1:
			env.Date, _, err = d.NString()
		case 2:
			env.Subject, _, err = d.NString()
		case 3, 4, 5, 6, 7, 8:
			var l []Address
			l, err = d.addressList()
			*[]*[]Address{&env.From, &env.Sender, &env.ReplyTo, &env.To, &env.Cc, &env.Bcc}[i-3] = l
		case 9:
			env.InReplyTo, _, err = d.NString()
		case 10:
			env.MessageID, _, err = d.NString()
		default:
			err = syntaxf("envelope too long")
		}
		return err
	})
	if err == nil && i != 10 {
		err = syntaxf("envelope too short")
	}
	return env, err
}

func (d *Decoder) addressList() ([]Address, error) {
	if isNil, err := d.NIL(); isNil || err != nil {
		return nil, err
	}
	var l []Address
	err := d.listTight(func() error {
		var a Address
		i := 0
		err := d.List(func() error {
			var err error
			switch i++; i {
			case 1:
				a.Name, _, err = d.NString()
			case 2:
				a.ADL, _, err = d.NString()
			case 3:
				a.Mailbox, _, err = d.NString()
			case 4:
				a.Host, _, err = d.NString()
			default:
				err = syntaxf("address too long")
			}
			return err
		})
		if err == nil && i != 4 {
			err = syntaxf("address too short")
		}
		l = append(l, a)
		return err
	})
	return l, err
}

func (e *Encoder) params(ps []Param) *Encoder {
	if len(ps) == 0 {
		return e.NIL()
	}
	return e.List(len(ps), func(i int) { e.String(ps[i].Name).SP().String(ps[i].Value) })
}

func (d *Decoder) params() ([]Param, error) {
	if isNil, err := d.NIL(); isNil || err != nil {
		return nil, err
	}
	var ps []Param
	err := d.List(func() error {
		var p Param
		var err error
		if p.Name, err = d.String(); err != nil {
			return err
		}
		if err = d.SP(); err != nil {
			return err
		}
		p.Value, err = d.String()
		ps = append(ps, p)
		return err
	})
	return ps, err
}

// BodyStructure writes b (RFC 9051 9: body) with the extension data
// when extended, as for BODYSTRUCTURE, without it for BODY; b.Extended
// is not looked at.
func (e *Encoder) BodyStructure(b *BodyStructure, extended bool) *Encoder {
	return e.bodyStructure(b, extended, 0)
}

func (e *Encoder) bodyStructure(b *BodyStructure, ext bool, depth int) *Encoder {
	if depth > DefaultMaxDepth {
		e.fail(ErrTooDeep)
		return e
	}
	if b == nil {
		e.fail(fmt.Errorf("%w: nil body structure", ErrBadString))
		return e
	}
	e.byte1('(')
	if b.IsMultipart() {
		for _, p := range b.Parts {
			e.bodyStructure(p, ext, depth+1)
		}
		e.SP().String(b.Subtype)
		if ext {
			e.SP().params(b.Params).SP()
			e.extension(b)
		}
		return e.byte1(')')
	}
	enc := b.Encoding
	if enc == "" {
		enc = "7BIT"
	}
	e.String(b.Type).SP().String(b.Subtype).SP().params(b.Params).SP().
		NStringOrNIL(b.ID).SP().NStringOrNIL(b.Description).SP().String(enc).SP().Number(b.Size)
	switch {
	case b.isMessage():
		body := b.Body
		if body == nil {
			body = &BodyStructure{Type: "TEXT", Subtype: "PLAIN"}
		}
		e.SP().Envelope(b.Envelope).SP().bodyStructure(body, ext, depth+1).SP().Number64(b.Lines)
	case strings.EqualFold(b.Type, "TEXT"):
		e.SP().Number64(b.Lines)
	}
	if ext {
		e.SP().NStringOrNIL(b.MD5).SP()
		e.extension(b)
	}
	return e.byte1(')')
}

// extension writes body-fld-dsp SP body-fld-lang SP body-fld-loc.
func (e *Encoder) extension(b *BodyStructure) {
	if b.Disposition == "" {
		e.NIL()
	} else {
		e.byte1('(').String(b.Disposition).SP().params(b.DispositionParams).byte1(')')
	}
	e.SP()
	switch len(b.Language) {
	case 0:
		e.NIL()
	case 1:
		e.String(b.Language[0])
	default:
		e.List(len(b.Language), func(i int) { e.String(b.Language[i]) })
	}
	e.SP().NStringOrNIL(b.Location)
}

// BodyStructure reads a body (RFC 9051 9), with or without extension
// data.
func (d *Decoder) BodyStructure() (*BodyStructure, error) {
	if err := d.Expect('('); err != nil {
		return nil, err
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > d.lim.MaxDepth {
		return nil, ErrTooDeep
	}
	b := &BodyStructure{}
	c, err := d.peek()
	if err != nil {
		return nil, err
	}
	if c == '(' {
		return b, d.multipart(b)
	}
	var err2 error
	if b.Type, err = d.String(); err != nil {
		return nil, err
	}
	steps := []func() error{
		func() error { b.Subtype, err2 = d.String(); return err2 },
		func() error { b.Params, err2 = d.params(); return err2 },
		func() error { b.ID, _, err2 = d.NString(); return err2 },
		func() error { b.Description, _, err2 = d.NString(); return err2 },
		func() error { b.Encoding, err2 = d.String(); return err2 },
		func() error { b.Size, err2 = d.Number(); return err2 },
	}
	for _, step := range steps {
		if err := d.SP(); err != nil {
			return nil, err
		}
		if err := step(); err != nil {
			return nil, err
		}
	}
	switch {
	case b.isMessage():
		if err := d.SP(); err != nil {
			return nil, err
		}
		if b.Envelope, err = d.Envelope(); err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		if b.Body, err = d.BodyStructure(); err != nil {
			return nil, err
		}
		fallthrough
	case strings.EqualFold(b.Type, "TEXT"):
		if err := d.SP(); err != nil {
			return nil, err
		}
		if b.Lines, err = d.Number64(); err != nil {
			return nil, err
		}
	}
	if ok, err := d.Accept(')'); ok || err != nil {
		return b, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	b.Extended = true
	if b.MD5, _, err = d.NString(); err != nil {
		return nil, err
	}
	return b, d.extensionData(b)
}

func (d *Decoder) multipart(b *BodyStructure) error {
	b.Type = "MULTIPART"
	for {
		c, err := d.peek()
		if err != nil {
			return err
		}
		if c != '(' {
			break
		}
		p, err := d.BodyStructure()
		if err != nil {
			return err
		}
		b.Parts = append(b.Parts, p)
	}
	var err error
	if err = d.SP(); err != nil {
		return err
	}
	if b.Subtype, err = d.String(); err != nil {
		return err
	}
	if ok, err := d.Accept(')'); ok || err != nil {
		return err
	}
	if err = d.SP(); err != nil {
		return err
	}
	b.Extended = true
	if b.Params, err = d.params(); err != nil {
		return err
	}
	return d.extensionData(b)
}

// extensionData reads [SP dsp [SP lang [SP loc *(SP body-extension)]]] ")".
func (d *Decoder) extensionData(b *BodyStructure) error {
	for i := 0; ; i++ {
		if ok, err := d.Accept(')'); ok || err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		var err error
		switch i {
		case 0:
			if isNil, err := d.NIL(); err != nil || isNil {
				if err != nil {
					return err
				}
				continue
			}
			err = d.List(func() error {
				if b.Disposition != "" {
					return syntaxf("bad disposition")
				}
				var err error
				if b.Disposition, err = d.String(); err != nil {
					return err
				}
				if err = d.SP(); err != nil {
					return err
				}
				b.DispositionParams, err = d.params()
				return err
			})
		case 1:
			if c, _ := d.peek(); c == '(' {
				err = d.List(func() error {
					s, err := d.String()
					b.Language = append(b.Language, s)
					return err
				})
			} else {
				var s string
				var isNil bool
				if s, isNil, err = d.NString(); !isNil {
					b.Language = []string{s}
				}
			}
		case 2:
			b.Location, _, err = d.NString()
		default:
			err = d.bodyExtension()
		}
		if err != nil {
			return err
		}
	}
}

// bodyExtension reads and drops one body-extension.
func (d *Decoder) bodyExtension() error {
	c, err := d.peek()
	if err != nil {
		return err
	}
	switch {
	case c == '(':
		return d.List(d.bodyExtension)
	case c >= '0' && c <= '9':
		_, err = d.Number64()
	default:
		_, _, err = d.NString()
	}
	return err
}

// normalize makes a parsed tree what the encoder writes back: every
// node Extended as the item it came in (BODYSTRUCTURE or BODY, whose
// extension data is dropped), a missing encoding as 7BIT, and no
// disposition parameters without a disposition.
func (b *BodyStructure) normalize(extended bool) {
	b.Extended = extended
	if !extended {
		b.MD5, b.Disposition, b.DispositionParams, b.Language, b.Location = "", "", nil, nil, ""
		if b.IsMultipart() {
			b.Params = nil
		}
	}
	if b.Disposition == "" {
		b.DispositionParams = nil
	}
	if !b.IsMultipart() && b.Encoding == "" {
		b.Encoding = "7BIT"
	}
	for _, p := range b.Parts {
		p.normalize(extended)
	}
	if b.Body != nil {
		b.Body.normalize(extended)
	}
}
