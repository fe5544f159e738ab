package imap

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// ReadCommand reads one command for a server. It returns io.EOF when
// the stream ends cleanly before a command. Otherwise the error is a
// *CommandError for a command that was refused but left the stream in
// step (the server answers BAD with its Tag, or an untagged BAD when
// Tag is ""); IsFatal tells the errors after which the connection must
// be closed (I/O, limits).
//
// For APPEND and REPLACE, ReadCommand returns with the message literal unread:
// the server reads AppendCommand.Message, then calls EndCommand.
func ReadCommand(d *Decoder) (*Command, error) {
	if err := d.Begin(); err != nil {
		return nil, err
	}
	d.responses = false
	if err := d.atEOF(); err != nil {
		return nil, err
	}
	c := &Command{}
	fail := func(err error) (*Command, error) {
		if !IsFatal(err) {
			if serr := d.SkipLine(); serr != nil {
				return nil, serr
			}
		}
		if IsFatal(err) {
			return nil, err
		}
		return nil, &CommandError{Tag: c.Tag, Name: c.Name, Err: err}
	}
	tag, err := d.Tag()
	if err != nil {
		return fail(err)
	}
	if err := d.SP(); err != nil {
		return fail(err)
	}
	c.Tag = tag
	name, err := d.Atom()
	if err != nil {
		return fail(err)
	}
	c.Name = strings.ToUpper(name)
	if c.Name == "UID" {
		if err := d.SP(); err != nil {
			return fail(err)
		}
		if name, err = d.Atom(); err != nil {
			return fail(err)
		}
		c.UID, c.Name = true, strings.ToUpper(name)
		if !commandUID[c.Name] {
			return fail(syntaxf("UID %s", c.Name))
		}
	}
	if c.Args, err = d.commandArgs(c.Name, c.UID); err != nil {
		return fail(err)
	}
	if c.Name == "APPEND" || c.Name == "REPLACE" {
		return c, nil
	}
	if err := d.CRLF(); err != nil {
		return fail(err)
	}
	return c, nil
}

// EndCommand ends a command whose last literal the caller streamed (an
// APPEND): it discards what is left of the literal and reads the CRLF.
// On a syntax error the rest of the line is skipped.
func (d *Decoder) EndCommand() error {
	for d.catenate {
		if _, err := d.NextCatenatePart(); err != nil {
			return err
		}
	}
	if err := d.drain(); err != nil {
		return err
	}
	d.line = 0
	var err error
	if d.closeParen {
		d.closeParen = false
		err = d.Expect(')')
	}
	if err == nil {
		err = d.CRLF()
	}
	if err != nil {
		if !IsFatal(err) {
			if serr := d.SkipLine(); serr != nil {
				return serr
			}
		}
		return err
	}
	return nil
}

// NextAppendMessage ends the message of an APPEND that the caller
// streamed, as EndCommand does, and reads the next message of a
// MULTIAPPEND (RFC 3502): it returns an AppendCommand holding only the
// message (Flags, Date, UTF8, Literal, Message), its literal unread, or
// nil once the command's CRLF is read. On a syntax error the rest of
// the line is skipped.
func (d *Decoder) NextAppendMessage() (*AppendCommand, error) {
	for d.catenate {
		// The rest of a CATENATE the caller did not read is skipped.
		if _, err := d.NextCatenatePart(); err != nil {
			return nil, err
		}
	}
	if err := d.drain(); err != nil {
		return nil, err
	}
	d.line = 0
	var err error
	if d.closeParen {
		d.closeParen = false
		err = d.Expect(')')
	}
	var next *AppendCommand
	if err == nil {
		if ok, aerr := d.Accept(' '); aerr != nil {
			err = aerr
		} else if ok {
			next = &AppendCommand{}
			err = d.appendMessage(next)
		} else {
			err = d.CRLF()
		}
	}
	if err != nil {
		if !IsFatal(err) {
			if serr := d.SkipLine(); serr != nil {
				return nil, serr
			}
		}
		return nil, err
	}
	return next, nil
}

// NextCatenatePart reads the next part of an APPEND CATENATE (RFC 4469
// 5) once the previous one is streamed: a TEXT literal or the UTF8
// literal of RFC 6855 4, left unread, or a URL. It returns nil after the closing ")", and nil when the message
// is not a CATENATE. On a syntax error the rest of the line is skipped.
func (d *Decoder) NextCatenatePart() (*CatenatePart, error) {
	if !d.catenate {
		return nil, nil
	}
	p, err := d.catenatePart()
	if err != nil {
		d.catenate = false
		if !IsFatal(err) {
			if serr := d.SkipLine(); serr != nil {
				return nil, serr
			}
		}
		return nil, err
	}
	if p == nil {
		d.catenate = false
	}
	return p, nil
}

// catenatePart reads one cat-part (RFC 4469 5), or the ")" after the
// last: cat-part = "TEXT" SP literal / "URL" SP astring, and RFC 6855
// 4's cat-part =/ "UTF8" SP "(" literal8 ")".
func (d *Decoder) catenatePart() (*CatenatePart, error) {
	if err := d.drain(); err != nil {
		return nil, err
	}
	d.line = 0
	if d.closeParen {
		// The ")" of the previous part, UTF8 (literal8).
		d.closeParen = false
		if err := d.Expect(')'); err != nil {
			return nil, err
		}
	}
	if d.catParts > 0 {
		ok, err := d.Accept(')')
		if err != nil || ok {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
	a, err := d.Atom()
	if err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	d.catParts++
	p := &CatenatePart{}
	switch strings.ToUpper(a) {
	case "TEXT":
		// RFC 3516 4.4 allows literal8 for the TEXT of CATENATE.
		p.Text, p.Literal, err = d.LiteralReader(true)
	case "URL":
		p.URL, err = d.AString()
	case "UTF8":
		// RFC 6855 4: utf8-literal = "UTF8" SP "(" literal8 ")"; a
		// plain literal is taken too, as in APPEND.
		if err = d.Expect('('); err == nil {
			p.Text, p.Literal, err = d.LiteralReader(true)
			p.UTF8 = true
		}
	default:
		err = syntaxf("expected TEXT, URL or UTF8, got %q", a)
	}
	if err != nil {
		return nil, err
	}
	// The ")" of UTF8 is read after the literal is streamed.
	d.closeParen = p.UTF8
	return p, nil
}

// Line reads a whole line without its CRLF, as the client sends after
// a continuation request: AUTHENTICATE responses and IDLE's DONE.
func (d *Decoder) Line() (string, error) {
	if err := d.Begin(); err != nil {
		return "", err
	}
	s, err := d.Text()
	if err == nil {
		err = d.CRLF()
	}
	if err != nil && !IsFatal(err) {
		if serr := d.SkipLine(); serr != nil {
			return "", serr
		}
	}
	return s, err
}

func (d *Decoder) commandArgs(name string, uid bool) (any, error) {
	switch name {
	case "CAPABILITY", "LOGOUT", "NOOP", "STARTTLS", "CHECK", "CLOSE", "UNSELECT", "NAMESPACE", "IDLE":
		return nil, nil
	case "EXPUNGE":
		if !uid {
			return nil, nil
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		s, err := d.SeqSet()
		return &SeqCommand{Seq: s}, err
	case "LOGIN":
		c := &LoginCommand{}
		return c, d.args(&c.Username, &c.Password)
	case "AUTHENTICATE":
		return d.authenticate()
	case "ENABLE":
		c := &EnableCommand{}
		for !d.AtCRLF() {
			if err := d.SP(); err != nil {
				return nil, err
			}
			a, err := d.Atom()
			if err != nil {
				return nil, err
			}
			c.Caps = append(c.Caps, a)
		}
		if len(c.Caps) == 0 {
			return nil, syntaxf("ENABLE needs a capability")
		}
		return c, nil
	case "SELECT", "EXAMINE":
		return d.selectArgs()
	case "CREATE":
		return d.createArgs()
	case "DELETE", "SUBSCRIBE", "UNSUBSCRIBE":
		c := &MailboxCommand{}
		return c, d.args(&c.Mailbox)
	case "RENAME":
		c := &RenameCommand{}
		return c, d.args(&c.From, &c.To)
	case "LIST":
		return d.listArgs()
	case "LSUB":
		c := &ListCommand{Patterns: []string{""}}
		if err := d.args(&c.Reference); err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		var err error
		c.Patterns[0], err = d.ListMailbox()
		return c, err
	case "STATUS":
		c := &StatusCommand{}
		if err := d.args(&c.Mailbox); err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		var err error
		c.Items, err = d.atomList(false)
		return c, err
	case "APPEND":
		return d.appendArgs()
	case "REPLACE":
		return d.replaceArgs()
	case "COPY", "MOVE":
		c := &CopyCommand{}
		if err := d.SP(); err != nil {
			return nil, err
		}
		var err error
		if c.Seq, err = d.SeqSet(); err != nil {
			return nil, err
		}
		return c, d.args(&c.Mailbox)
	case "FETCH":
		return d.fetchCommand()
	case "STORE":
		return d.storeArgs()
	case "SEARCH":
		return d.searchCommand()
	case "SORT":
		return d.sortCommand()
	case "THREAD":
		return d.threadCommand()
	case "CANCELUPDATE":
		return d.cancelUpdate()
	case "ID":
		if err := d.SP(); err != nil {
			return nil, err
		}
		p, err := d.idParams()
		return &IDCommand{Params: p}, err
	case "COMPRESS":
		if err := d.SP(); err != nil {
			return nil, err
		}
		a, err := d.Atom()
		return &CompressCommand{Mechanism: strings.ToUpper(a)}, err
	case "NOTIFY":
		return d.notifyArgs()
	case "GETMETADATA":
		return d.getMetadataArgs()
	case "SETMETADATA":
		return d.setMetadataArgs()
	case "GETQUOTA":
		c := &QuotaCommand{}
		return c, d.args(&c.Root)
	case "GETQUOTAROOT":
		c := &MailboxCommand{}
		return c, d.args(&c.Mailbox)
	case "SETQUOTA":
		return d.setQuotaArgs()
	case "RESETKEY":
		return d.resetKeyArgs()
	case "GENURLAUTH":
		return d.genURLAuthArgs()
	case "URLFETCH":
		return d.urlFetchArgs()
	}
	return nil, ErrUnknownCommand
}

// args reads SP astring for each destination.
func (d *Decoder) args(dst ...*string) error {
	for _, p := range dst {
		if err := d.SP(); err != nil {
			return err
		}
		s, err := d.AString()
		if err != nil {
			return err
		}
		*p = s
	}
	return nil
}

// atomList reads a parenthesised list of atoms, upper-cased; empty
// reports whether "()" is allowed.
func (d *Decoder) atomList(empty bool) ([]string, error) {
	out := []string{}
	err := d.List(func() error {
		a, err := d.Atom()
		out = append(out, strings.ToUpper(a))
		return err
	})
	if err == nil && !empty && len(out) == 0 {
		err = syntaxf("empty list")
	}
	return out, err
}

func (d *Decoder) authenticate() (*AuthenticateCommand, error) {
	c := &AuthenticateCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	m, err := d.Atom()
	if err != nil {
		return nil, err
	}
	c.Mechanism = strings.ToUpper(m)
	if d.AtCRLF() {
		return c, nil
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	// RFC 4959: initial-resp = base64 / "="
	ir, err := d.Text()
	if err != nil {
		return nil, err
	}
	if ir == "=" {
		c.InitialResponse = []byte{}
		return c, nil
	}
	if c.InitialResponse, err = base64.StdEncoding.Strict().DecodeString(ir); err != nil || ir == "" {
		return nil, syntaxf("bad initial response")
	}
	return c, nil
}

func (d *Decoder) selectArgs() (*SelectCommand, error) {
	c := &SelectCommand{}
	if err := d.args(&c.Mailbox); err != nil {
		return nil, err
	}
	if d.AtCRLF() {
		return c, nil
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	err := d.List(func() error {
		p, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(p) {
		case "CONDSTORE":
			c.CondStore = true
			return nil
		case "QRESYNC":
			if c.QResync != nil {
				return syntaxf("QRESYNC twice")
			}
			if err := d.SP(); err != nil {
				return err
			}
			c.QResync, err = d.qresync()
			return err
		}
		return syntaxf("unknown select parameter %q", p)
	})
	return c, err
}

// qresync reads "(" uidvalidity SP mod-sequence-value [SP known-uids]
// [SP seq-match-data] ")" (RFC 7162 3.2.5).
func (d *Decoder) qresync() (*QResyncParams, error) {
	q := &QResyncParams{}
	i := 0
	err := d.List(func() error {
		var err error
		switch i++; i {
		case 1:
			q.UIDValidity, err = d.NZNumber()
		case 2:
			q.ModSeq, err = d.Number64()
		case 3, 4:
			if b, _ := d.peek(); b == '(' && q.SeqMatchSeqs.Empty() {
				i = 4
				return d.List(func() error {
					if !q.SeqMatchSeqs.Empty() {
						return syntaxf("bad seq-match-data")
					}
					if q.SeqMatchSeqs, err = d.SeqSet(); err != nil {
						return err
					}
					if err := d.SP(); err != nil {
						return err
					}
					q.SeqMatchUIDs, err = d.SeqSet()
					return err
				})
			}
			if i == 4 {
				return syntaxf("bad QRESYNC parameter")
			}
			q.KnownUIDs, err = d.SeqSet()
		default:
			err = syntaxf("too many QRESYNC parameters")
		}
		return err
	})
	if err == nil && i < 2 {
		err = syntaxf("QRESYNC needs UIDVALIDITY and MODSEQ")
	}
	return q, err
}

func (d *Decoder) createArgs() (*CreateCommand, error) {
	c := &CreateCommand{}
	if err := d.args(&c.Mailbox); err != nil {
		return nil, err
	}
	if d.AtCRLF() {
		return c, nil
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	// RFC 6154 3: create-param = "USE" SP "(" [use-attr *(SP use-attr)] ")"
	err := d.List(func() error {
		p, err := d.Atom()
		if err != nil {
			return err
		}
		if !strings.EqualFold(p, "USE") {
			return syntaxf("unknown CREATE parameter %q", p)
		}
		if err := d.SP(); err != nil {
			return err
		}
		return d.List(func() error {
			f, err := d.Flag()
			c.SpecialUse = append(c.SpecialUse, f)
			return err
		})
	})
	if len(c.SpecialUse) == 0 {
		c.SpecialUse = nil
	}
	return c, err
}

func (d *Decoder) listArgs() (*ListCommand, error) {
	c := &ListCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	var err error
	if b, _ := d.peek(); b == '(' {
		// RFC 5258 3: list-select-opts
		if c.SelectOpts, err = d.atomList(true); err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
	if c.Reference, err = d.AString(); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if b, _ := d.peek(); b == '(' {
		err = d.List(func() error {
			p, err := d.ListMailbox()
			c.Patterns = append(c.Patterns, p)
			return err
		})
		if err == nil && len(c.Patterns) == 0 {
			err = syntaxf("empty pattern list")
		}
	} else {
		var p string
		p, err = d.ListMailbox()
		c.Patterns = []string{p}
	}
	if err != nil || d.AtCRLF() {
		return c, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	r, err := d.Atom()
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(r, "RETURN") {
		return nil, syntaxf("expected RETURN, got %q", r)
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	c.HasReturn = true
	err = d.List(func() error {
		o, err := d.Atom()
		if err != nil {
			return err
		}
		o = strings.ToUpper(o)
		if o == "STATUS" && c.ReturnStatus == nil {
			if err := d.SP(); err != nil {
				return err
			}
			c.ReturnStatus, err = d.atomList(false)
			return err
		}
		c.ReturnOpts = append(c.ReturnOpts, o)
		return nil
	})
	return c, err
}

func (d *Decoder) appendArgs() (*AppendCommand, error) {
	c := &AppendCommand{}
	if err := d.args(&c.Mailbox); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	return c, d.appendMessage(c)
}

// appendMessage reads one append-message after its SP (RFC 3502):
// [flag-list SP] [date-time SP] literal, leaving the literal unread.
func (d *Decoder) appendMessage(c *AppendCommand) error {
	var err error
	if b, _ := d.peek(); b == '(' {
		if c.Flags, err = d.FlagList(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
	}
	if b, _ := d.peek(); b == '"' {
		if c.Date, err = d.DateTime(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
	}
	if b, _ := d.peek(); b == 'U' || b == 'u' || b == 'C' || b == 'c' {
		// RFC 6855 4: "UTF8" SP "(" literal8 ")"; RFC 4469 5:
		// "CATENATE" SP "(" cat-part *(SP cat-part) ")".
		a, err := d.Atom()
		if err != nil {
			return err
		}
		cat := strings.EqualFold(a, "CATENATE")
		if !cat && !strings.EqualFold(a, "UTF8") {
			return syntaxf("expected literal, got %q", a)
		}
		if err := d.SP(); err != nil {
			return err
		}
		if err := d.Expect('('); err != nil {
			return err
		}
		if cat {
			c.Catenate = true
			d.catenate, d.catParts = true, 0
			return nil
		}
		c.UTF8 = true
	}
	if c.Message, c.Literal, err = d.LiteralReader(true); err != nil {
		return err
	}
	d.closeParen = c.UTF8
	return nil
}

// replaceArgs reads the arguments of REPLACE (RFC 8508 5): SP
// seq-number SP mailbox append-message.
func (d *Decoder) replaceArgs() (*ReplaceCommand, error) {
	c := &ReplaceCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	var err error
	if c.Seq, err = d.SeqSet(); err != nil {
		return nil, err
	}
	if len(c.Seq.Ranges) != 1 || c.Seq.Saved || c.Seq.Ranges[0].Start != c.Seq.Ranges[0].Stop {
		return nil, syntaxf("REPLACE takes one message")
	}
	if err := d.args(&c.Mailbox); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	return c, d.appendMessage(&c.AppendCommand)
}

func (d *Decoder) storeArgs() (*StoreCommand, error) {
	c := &StoreCommand{}
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
	if b, _ := d.peek(); b == '(' {
		// RFC 7162 3.1.3: store-modifiers
		err = d.List(func() error {
			m, err := d.Atom()
			if err != nil {
				return err
			}
			if !strings.EqualFold(m, "UNCHANGEDSINCE") || c.HasUnchangedSince {
				return syntaxf("unknown STORE modifier %q", m)
			}
			if err := d.SP(); err != nil {
				return err
			}
			c.HasUnchangedSince = true
			c.UnchangedSince, err = d.Number64()
			return err
		})
		if err != nil {
			return nil, err
		}
		if err = d.SP(); err != nil {
			return nil, err
		}
	}
	if ok, _ := d.Accept('+'); ok {
		c.Op = StoreAdd
	} else if ok, _ := d.Accept('-'); ok {
		c.Op = StoreRemove
	}
	item, err := d.Atom()
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(item) {
	case "FLAGS":
	case "FLAGS.SILENT":
		c.Silent = true
	default:
		return nil, syntaxf("bad STORE item %q", item)
	}
	if err = d.SP(); err != nil {
		return nil, err
	}
	if b, _ := d.peek(); b == '(' {
		c.Flags, err = d.FlagList()
		return c, err
	}
	c.Flags = []string{}
	for {
		f, err := d.Flag()
		if err != nil {
			return nil, err
		}
		c.Flags = append(c.Flags, f)
		if d.AtCRLF() {
			return c, nil
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
}

// idParams reads the ID parameter list or NIL (RFC 2971 4).
func (d *Decoder) idParams() ([]IDParam, error) {
	if isNil, err := d.NIL(); isNil || err != nil {
		return nil, err
	}
	params := []IDParam{}
	err := d.List(func() error {
		if len(params) >= 30 {
			// RFC 2971 3.3: at most 30 field-value pairs.
			return syntaxf("too many ID fields")
		}
		var p IDParam
		var err error
		if p.Name, err = d.String(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		p.Value, p.IsNil, err = d.NString()
		params = append(params, p)
		return err
	})
	return params, err
}

// sortCommand reads SP ["RETURN" SP "(" options ")" SP] sort-criteria SP
// charset 1*(SP search-key) (RFC 5256 5, RFC 5267 5).
func (d *Decoder) sortCommand() (*SortCommand, error) {
	c := &SortCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if b, err := d.peek(); err != nil {
		return nil, err
	} else if b != '(' {
		w, err := d.Atom()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(w, "RETURN") {
			return nil, syntaxf("SORT needs sort criteria")
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		c.HasReturn = true
		if c.Return, c.UpdateFetch, err = d.returnList(); err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
	err := d.List(func() error {
		k, err := d.Atom()
		if err != nil {
			return err
		}
		k = strings.ToUpper(k)
		reverse := k == "REVERSE"
		if reverse {
			if err := d.SP(); err != nil {
				return err
			}
			if k, err = d.Atom(); err != nil {
				return err
			}
			if k = strings.ToUpper(k); k == "REVERSE" {
				return syntaxf("REVERSE REVERSE")
			}
		}
		c.Criteria = append(c.Criteria, SortCriterion{Key: k, Reverse: reverse})
		return nil
	})
	if err == nil && len(c.Criteria) == 0 {
		err = syntaxf("bad sort criteria")
	}
	if err != nil {
		return nil, err
	}
	if c.Charset, c.Keys, err = d.searchCriteria(); err != nil {
		return nil, err
	}
	return c, nil
}

// threadCommand reads SP thread-alg SP charset 1*(SP search-key) (RFC
// 5256 5).
func (d *Decoder) threadCommand() (*ThreadCommand, error) {
	c := &ThreadCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	a, err := d.Atom()
	if err != nil {
		return nil, err
	}
	c.Algorithm = strings.ToUpper(a)
	if c.Charset, c.Keys, err = d.searchCriteria(); err != nil {
		return nil, err
	}
	return c, nil
}

// searchCriteria reads SP charset 1*(SP search-key) (RFC 5256 5).
func (d *Decoder) searchCriteria() (string, []SearchKey, error) {
	if err := d.SP(); err != nil {
		return "", nil, err
	}
	cs, err := d.AString()
	if err != nil {
		return "", nil, err
	}
	if err := d.SP(); err != nil {
		return "", nil, err
	}
	keys, err := d.readSearchKeys("")
	return cs, keys, err
}

// getMetadataArgs reads the arguments of GETMETADATA (RFC 5464 5). The
// options come before the mailbox in the grammar and after it in the
// examples of RFC 5464 4.2.1 and 4.2.2; both are taken, and so are
// several entries without parentheses (RFC 5464 4.4.1).
func (d *Decoder) getMetadataArgs() (*GetMetadataCommand, error) {
	c := &GetMetadataCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	opts := false
	if b, err := d.PeekByte(); err == nil && b == '(' {
		l, err := d.astringList()
		if err != nil {
			return nil, err
		}
		if err := c.options(l); err != nil {
			return nil, err
		}
		opts = true
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
	var err error
	if c.Mailbox, err = d.AString(); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	for {
		if b, err := d.PeekByte(); err == nil && b == '(' {
			l, err := d.astringList()
			if err != nil {
				return nil, err
			}
			u := strings.ToUpper(l[0])
			if !opts && len(c.Entries) == 0 && (u == "MAXSIZE" || u == "DEPTH") {
				if err := c.options(l); err != nil {
					return nil, err
				}
				opts = true
				if err := d.SP(); err != nil {
					return nil, err
				}
				continue
			}
			c.Entries = append(c.Entries, l...)
		} else {
			e, err := d.AString()
			if err != nil {
				return nil, err
			}
			c.Entries = append(c.Entries, e)
		}
		if d.AtCRLF() {
			return c, nil
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
}

// astringList reads a non-empty parenthesised list of astrings.
func (d *Decoder) astringList() ([]string, error) {
	var l []string
	err := d.List(func() error {
		s, err := d.AString()
		l = append(l, s)
		return err
	})
	if err == nil && len(l) == 0 {
		err = syntaxf("empty list")
	}
	return l, err
}

// options sets the GETMETADATA options of l (RFC 5464 4.2.1, 4.2.2).
func (c *GetMetadataCommand) options(l []string) error {
	if len(l)%2 != 0 {
		return syntaxf("GETMETADATA option without a value")
	}
	for i := 0; i < len(l); i += 2 {
		v := l[i+1]
		switch strings.ToUpper(l[i]) {
		case "MAXSIZE":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return syntaxf("bad MAXSIZE")
			}
			c.HasMaxSize, c.MaxSize = true, uint32(n)
		case "DEPTH":
			switch strings.ToLower(v) {
			case "0":
				c.Depth = 0
			case "1":
				c.Depth = 1
			case "infinity":
				c.Depth = -1
			default:
				return syntaxf("bad DEPTH")
			}
		default:
			return syntaxf("unknown GETMETADATA option")
		}
	}
	return nil
}

// setMetadataArgs reads the arguments of SETMETADATA (RFC 5464 5):
// values are nstring or literal8.
func (d *Decoder) setMetadataArgs() (*SetMetadataCommand, error) {
	c := &SetMetadataCommand{}
	if err := d.args(&c.Mailbox); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	err := d.List(func() error {
		var e MetadataEntry
		var err error
		if e.Name, err = d.AString(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		if b, err := d.PeekByte(); err == nil && b == '~' {
			v, err := d.Literal(true)
			if err != nil {
				return err
			}
			e.Value = string(v)
		} else if e.Value, e.IsNil, err = d.NString(); err != nil {
			return err
		}
		c.Entries = append(c.Entries, e)
		return nil
	})
	if err == nil && len(c.Entries) == 0 {
		err = syntaxf("SETMETADATA needs an entry")
	}
	return c, err
}

// setQuotaArgs reads the arguments of SETQUOTA (RFC 9208 7):
// quota-root-name SP "(" [resource-name SP resource-limit *(SP ...)] ")".
func (d *Decoder) setQuotaArgs() (*QuotaCommand, error) {
	c := &QuotaCommand{Limits: []QuotaResource{}}
	if err := d.args(&c.Root); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	err := d.List(func() error {
		name, err := d.Atom()
		if err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		n, err := d.Number64()
		c.Limits = append(c.Limits, QuotaResource{Name: strings.ToUpper(name), Limit: n})
		return err
	})
	return c, err
}

// cancelUpdate reads 1*(SP quoted) (RFC 5267 5), taking any string.
func (d *Decoder) cancelUpdate() (*CancelUpdateCommand, error) {
	c := &CancelUpdateCommand{}
	for len(c.Tags) == 0 || !d.AtCRLF() {
		if err := d.SP(); err != nil {
			return nil, err
		}
		t, err := d.String()
		if err != nil {
			return nil, err
		}
		c.Tags = append(c.Tags, t)
	}
	return c, nil
}

// ParsePartialRange reads the partial-range of the PARTIAL return
// option (RFC 5267 4.4, 5: nz-number ":" nz-number, 500:400 being
// 400:500), which SearchCommand.Return and SortCommand.Return hold as
// the option after "PARTIAL". RFC 5267 has no negative ranges (those
// are RFC 9394's).
func ParsePartialRange(s string) (first, last uint32, err error) {
	a, b, ok := strings.Cut(s, ":")
	if ok {
		if first, err = parseNZ(a); err == nil {
			last, err = parseNZ(b)
		}
	}
	if !ok || err != nil {
		return 0, 0, syntaxf("bad partial range %q", s)
	}
	return first, last, nil
}

// parseNZ reads an nz-number (RFC 9051 9).
func parseNZ(s string) (uint32, error) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, syntaxf("bad number %q", s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}
