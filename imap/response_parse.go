package imap

import (
	"io"
	"strings"
	"time"
)

// BodyHandler consumes the content of a FETCH body section as it is
// read, instead of ReadResponse holding it in memory: r yields
// info.Size bytes (what the handler leaves is discarded).
type BodyHandler func(seq uint32, item FetchItem, info LiteralInfo, r io.Reader) error

// ReadResponse reads one server response, for a client. Body sections
// of FETCH responses go to onBody when it is not nil and are read into
// FetchSection.Data (within Limits.MaxStringLiteral) otherwise. A
// *SyntaxError leaves the stream at the next response; io.EOF means the
// stream ended cleanly before a response.
func ReadResponse(d *Decoder, onBody BodyHandler) (Response, error) {
	if err := d.Begin(); err != nil {
		return nil, err
	}
	d.responses = true
	if err := d.atEOF(); err != nil {
		return nil, err
	}
	r, err := d.response(onBody)
	if err == nil {
		err = d.CRLF()
	}
	if err != nil {
		if !IsFatal(err) {
			if serr := d.SkipLine(); serr != nil {
				return nil, serr
			}
		}
		return nil, err
	}
	return r, nil
}

func (d *Decoder) response(onBody BodyHandler) (Response, error) {
	b, err := d.peek()
	if err != nil {
		return nil, err
	}
	if b == '+' {
		d.readByte()
		// RFC 9051 7.5: "+" SP text; some servers send "+" alone.
		if ok, err := d.Accept(' '); err != nil || !ok {
			return &ContinuationRequest{}, err
		}
		text, err := d.Text()
		return &ContinuationRequest{Text: text}, err
	}
	tag := ""
	if b == '*' {
		d.readByte()
	} else if tag, err = d.Tag(); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if tag == "" {
		if b, err := d.peek(); err != nil {
			return nil, err
		} else if b >= '0' && b <= '9' {
			return d.messageData(onBody)
		}
	}
	name, err := d.Atom()
	if err != nil {
		return nil, err
	}
	name = strings.ToUpper(name)
	switch name {
	case StatusOK, StatusNO, StatusBAD:
	case StatusPREAUTH, StatusBYE:
		if tag != "" {
			return nil, syntaxf("tagged %s", name)
		}
	default:
		if tag != "" {
			return nil, syntaxf("bad tagged response %q", name)
		}
		return d.untaggedData(name)
	}
	r := &StatusResponse{Tag: tag, Type: name}
	return r, d.respText(r)
}

// respText reads [SP ["[" resp-text-code "]" [SP]] text].
func (d *Decoder) respText(r *StatusResponse) error {
	if ok, err := d.Accept(' '); err != nil || !ok {
		return err
	}
	if ok, err := d.Accept('['); err != nil {
		return err
	} else if ok {
		if err := d.respCode(r); err != nil {
			return err
		}
		if err := d.Expect(']'); err != nil {
			return err
		}
		if ok, err := d.Accept(' '); err != nil || !ok {
			return err
		}
	}
	var err error
	r.Text, err = d.Text()
	return err
}

func (d *Decoder) respCode(r *StatusResponse) error {
	code, err := d.Atom()
	if err != nil {
		return err
	}
	r.Code = strings.ToUpper(code)
	switch r.Code {
	case "CAPABILITY":
		var caps []string
		for {
			if ok, err := d.Accept(' '); err != nil || !ok {
				r.CodeArg = caps
				return err
			}
			a, err := d.Atom()
			if err != nil {
				return err
			}
			caps = append(caps, a)
		}
	case "PERMANENTFLAGS":
		if err := d.SP(); err != nil {
			return err
		}
		r.CodeArg, err = d.FlagList()
	case "BADCHARSET":
		if ok, err := d.Accept(' '); err != nil || !ok {
			return err
		}
		cs := []string{}
		err = d.List(func() error {
			s, err := d.AString()
			cs = append(cs, s)
			return err
		})
		r.CodeArg = cs
	case "UIDNEXT", "UIDVALIDITY":
		if err := d.SP(); err != nil {
			return err
		}
		r.CodeArg, err = d.Number()
	case "HIGHESTMODSEQ":
		if err := d.SP(); err != nil {
			return err
		}
		r.CodeArg, err = d.Number64()
	case "APPENDUID":
		a := &AppendUIDCode{}
		if err := d.SP(); err != nil {
			return err
		}
		if a.UIDValidity, err = d.NZNumber(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		a.UIDs, err = d.SeqSet()
		r.CodeArg = a
	case "COPYUID":
		c := &CopyUIDCode{}
		if err := d.SP(); err != nil {
			return err
		}
		if c.UIDValidity, err = d.NZNumber(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		if c.Source, err = d.SeqSet(); err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		c.Dest, err = d.SeqSet()
		r.CodeArg = c
	case "MODIFIED":
		if err := d.SP(); err != nil {
			return err
		}
		r.CodeArg, err = d.SeqSet()
	default:
		if knownCodes[r.Code] {
			return nil
		}
		if ok, err := d.Accept(' '); err != nil || !ok {
			r.CodeArg = ""
			return err
		}
		r.CodeArg, err = d.textUntil(']')
	}
	return err
}

// knownCodes are the response codes without argument (RFC 9051 7.1,
// RFC 4315, RFC 7162, RFC 4469, RFC 5530).
var knownCodes = map[string]bool{
	"ALERT": true, "PARSE": true, "READ-ONLY": true, "READ-WRITE": true, "TRYCREATE": true,
	"UIDNOTSTICKY": true, "UNAVAILABLE": true, "AUTHENTICATIONFAILED": true,
	"AUTHORIZATIONFAILED": true, "EXPIRED": true, "PRIVACYREQUIRED": true,
	"CONTACTADMIN": true, "NOPERM": true, "INUSE": true, "EXPUNGEISSUED": true,
	"CORRUPTION": true, "SERVERBUG": true, "CLIENTBUG": true, "CANNOT": true,
	"LIMIT": true, "OVERQUOTA": true, "ALREADYEXISTS": true, "NONEXISTENT": true,
	"NOTSAVED": true, "HASCHILDREN": true, "CLOSED": true, "UNKNOWN-CTE": true,
	"NOMODSEQ": true, "TOOBIG": true, "USEATTR": true,
}

func (d *Decoder) messageData(onBody BodyHandler) (Response, error) {
	n, err := d.Number()
	if err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	name, err := d.Atom()
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(name) {
	case "EXISTS":
		return &ExistsData{Num: n}, nil
	case "RECENT":
		return &RecentData{Num: n}, nil
	case "EXPUNGE":
		return &ExpungeData{Seq: n}, nil
	case "FETCH":
		if err := d.SP(); err != nil {
			return nil, err
		}
		return d.fetchData(n, onBody)
	}
	return nil, syntaxf("unknown message data %q", name)
}

func (d *Decoder) spAtoms() ([]string, error) {
	var out []string
	for {
		if ok, err := d.Accept(' '); err != nil || !ok {
			return out, err
		}
		a, err := d.Atom()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
}

func (d *Decoder) untaggedData(name string) (Response, error) {
	switch name {
	case "CAPABILITY":
		caps, err := d.spAtoms()
		return &CapabilityData{Caps: caps}, err
	case "ENABLED":
		caps, err := d.spAtoms()
		return &EnabledData{Caps: caps}, err
	case "FLAGS":
		if err := d.SP(); err != nil {
			return nil, err
		}
		f, err := d.FlagList()
		return &FlagsData{Flags: f}, err
	case "LIST", "LSUB":
		if err := d.SP(); err != nil {
			return nil, err
		}
		return d.listData(name == "LSUB")
	case "STATUS":
		return d.statusData()
	case "SEARCH":
		return d.searchData()
	case "ESEARCH":
		return d.esearchData()
	case "SORT": // RFC 5256 4, with RFC 7162 3.1.5's MODSEQ
		sd, err := d.searchData()
		if err != nil {
			return nil, err
		}
		return &SortData{Nums: sd.Nums, ModSeq: sd.ModSeq}, nil
	case "THREAD": // RFC 5256 4
		t := &ThreadData{}
		if ok, err := d.Accept(' '); err != nil || !ok {
			return t, err
		}
		text, err := d.rawText()
		t.Threads = parseThreads(text)
		return t, err
	case "NAMESPACE":
		return d.namespaceData()
	case "ID":
		if err := d.SP(); err != nil {
			return nil, err
		}
		p, err := d.idParams()
		return &IDData{Params: p}, err
	case "VANISHED":
		v := &VanishedData{}
		if err := d.SP(); err != nil {
			return nil, err
		}
		if b, _ := d.peek(); b == '(' {
			if err := d.List(func() error {
				a, err := d.Atom()
				if err == nil && !strings.EqualFold(a, "EARLIER") {
					err = syntaxf("bad VANISHED tag %q", a)
				}
				v.Earlier = true
				return err
			}); err != nil {
				return nil, err
			}
			if err := d.SP(); err != nil {
				return nil, err
			}
		}
		var err error
		v.UIDs, err = d.SeqSet()
		return v, err
	}
	u := &UnknownData{Name: name}
	if ok, err := d.Accept(' '); err != nil || !ok {
		return u, err
	}
	var err error
	u.Text, err = d.rawText()
	return u, err
}

// rawText reads the rest of a response that this package does not
// know, with the literals it holds, so that the stream stays in step.
func (d *Decoder) rawText() (string, error) {
	var sb strings.Builder
	for {
		t, err := d.Text()
		if err != nil {
			return "", err
		}
		sb.WriteString(t)
		size, _, ok := trailingLiteral(t + "\r")
		if !ok {
			return sb.String(), nil
		}
		if err := d.CRLF(); err != nil {
			return "", err
		}
		info := LiteralInfo{Size: size, Binary: strings.HasSuffix(t[:strings.LastIndexByte(t, '{')], "~")}
		if size > min(d.lim.MaxStringLiteral, d.lim.MaxCommandBytes-d.total) {
			return "", d.refuse(info, ErrLiteralTooBig)
		}
		buf, err := d.literalBody(info)
		if err != nil {
			return "", err
		}
		sb.WriteString("\r\n")
		sb.Write(buf)
	}
}

// checkRawText reports whether s is safe to write as the rest of a
// response line: CR LF only right after a literal announcement, each
// literal as long as announced, NUL only in literal8.
func checkRawText(s string) bool {
	for {
		i := strings.Index(s, "\r\n")
		line := s
		if i >= 0 {
			line = s[:i]
		}
		if strings.ContainsAny(line, "\r\n\x00") {
			return false
		}
		if i < 0 {
			return true
		}
		size, _, ok := trailingLiteral(line + "\r")
		rest := s[i+2:]
		if !ok || size > int64(len(rest)) {
			return false
		}
		binary := strings.HasSuffix(line[:strings.LastIndexByte(line, '{')], "~")
		if !binary && strings.IndexByte(rest[:size], 0) >= 0 {
			return false
		}
		s = rest[size:]
	}
}

func (d *Decoder) delimiter() (string, error) {
	if isNil, err := d.NIL(); isNil || err != nil {
		return "", err
	}
	s, err := d.Quoted()
	if err == nil && (len(s) != 1 || s[0] >= 0x80) {
		err = syntaxf("bad hierarchy delimiter %q", s)
	}
	return s, err
}

func (d *Decoder) listData(lsub bool) (*ListData, error) {
	l := &ListData{LSUB: lsub}
	var err error
	if l.Attrs, err = d.FlagList(); err != nil {
		return nil, err
	}
	if err = d.SP(); err != nil {
		return nil, err
	}
	if l.Delim, err = d.delimiter(); err != nil {
		return nil, err
	}
	if err = d.SP(); err != nil {
		return nil, err
	}
	if l.Mailbox, err = d.AString(); err != nil {
		return nil, err
	}
	if ok, err := d.Accept(' '); err != nil || !ok {
		return l, err
	}
	// RFC 5258 3: mbox-list-extended
	err = d.List(func() error {
		tag, err := d.AString()
		if err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		switch strings.ToUpper(tag) {
		case "CHILDINFO":
			return d.List(func() error {
				s, err := d.AString()
				l.ChildInfo = append(l.ChildInfo, s)
				return err
			})
		case "OLDNAME":
			return d.List(func() error {
				l.OldName, err = d.AString()
				return err
			})
		}
		return d.taggedExtVal()
	})
	return l, err
}

// taggedExtVal reads and drops a tagged-ext-val (RFC 9051 9).
func (d *Decoder) taggedExtVal() error {
	b, err := d.peek()
	if err != nil {
		return err
	}
	if b == '(' {
		return d.List(d.taggedExtVal)
	}
	_, err = d.ListMailbox()
	return err
}

func (d *Decoder) statusData() (*StatusData, error) {
	s := &StatusData{}
	var err error
	if err = d.SP(); err != nil {
		return nil, err
	}
	if s.Mailbox, err = d.AString(); err != nil {
		return nil, err
	}
	if err = d.SP(); err != nil {
		return nil, err
	}
	err = d.List(func() error {
		name, err := d.Atom()
		if err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		name = strings.ToUpper(name)
		var p32 **uint32
		switch name {
		case "MESSAGES":
			p32 = &s.Messages
		case "UIDNEXT":
			p32 = &s.UIDNext
		case "UIDVALIDITY":
			p32 = &s.UIDValidity
		case "UNSEEN":
			p32 = &s.Unseen
		case "DELETED":
			p32 = &s.Deleted
		case "RECENT":
			p32 = &s.Recent
		}
		if p32 != nil {
			n, err := d.Number()
			*p32 = &n
			return err
		}
		var p64 **uint64
		switch name {
		case "SIZE":
			p64 = &s.Size
		case "HIGHESTMODSEQ":
			p64 = &s.HighestModSeq
		case "APPENDLIMIT":
			if isNil, err := d.NIL(); isNil || err != nil {
				return err
			}
			p64 = &s.AppendLimit
		case "MAILBOXID":
			var err error
			s.MailboxID, err = d.objectID()
			return err
		default:
			return d.taggedExtVal()
		}
		n, err := d.Number64()
		*p64 = &n
		return err
	})
	return s, err
}

// objectID reads "(" objectid ")" (RFC 8474 7).
func (d *Decoder) objectID() (string, error) {
	if err := d.Expect('('); err != nil {
		return "", err
	}
	id, err := d.Atom()
	if err != nil {
		return "", err
	}
	return id, d.Expect(')')
}

func (d *Decoder) searchData() (*SearchData, error) {
	s := &SearchData{}
	for {
		if ok, err := d.Accept(' '); err != nil || !ok {
			return s, err
		}
		if b, _ := d.peek(); b == '(' {
			// RFC 7162 3.1.5: search-sort-mod-seq
			err := d.List(func() error {
				a, err := d.Atom()
				if err != nil {
					return err
				}
				if !strings.EqualFold(a, "MODSEQ") {
					return syntaxf("bad SEARCH data %q", a)
				}
				if err := d.SP(); err != nil {
					return err
				}
				s.ModSeq, err = d.Number64()
				return err
			})
			return s, err
		}
		n, err := d.NZNumber()
		if err != nil {
			return nil, err
		}
		s.Nums = append(s.Nums, n)
	}
}

func (d *Decoder) esearchData() (*ESearchData, error) {
	s := &ESearchData{}
	if ok, err := d.Accept(' '); err != nil || !ok {
		return s, err
	}
	if b, _ := d.peek(); b == '(' {
		err := d.List(func() error {
			a, err := d.Atom()
			if err != nil {
				return err
			}
			if !strings.EqualFold(a, "TAG") {
				return syntaxf("bad search correlator %q", a)
			}
			if err := d.SP(); err != nil {
				return err
			}
			s.Tag, err = d.AString()
			return err
		})
		if err != nil {
			return nil, err
		}
		if ok, err := d.Accept(' '); err != nil || !ok {
			return s, err
		}
	}
	for {
		name, err := d.Atom()
		if err != nil {
			return nil, err
		}
		name = strings.ToUpper(name)
		if name == "UID" && !s.UID {
			s.UID = true
		} else {
			if err := d.SP(); err != nil {
				return nil, err
			}
			switch name {
			case "MIN":
				s.Min, err = d.NZNumber()
			case "MAX":
				s.Max, err = d.NZNumber()
			case "ALL":
				s.All, err = d.SeqSet()
			case "COUNT":
				var n uint32
				n, err = d.Number()
				s.Count = &n
			case "MODSEQ":
				s.ModSeq, err = d.Number64()
			case "PARTIAL":
				s.Partial, err = d.partialResult()
			case "ADDTO":
				s.AddTo, err = d.contextUpdates()
			case "REMOVEFROM":
				s.RemoveFrom, err = d.contextUpdates()
			default:
				err = d.taggedExtVal()
			}
			if err != nil {
				return nil, err
			}
		}
		if ok, err := d.Accept(' '); err != nil || !ok {
			return s, err
		}
	}
}

func (d *Decoder) namespaceData() (*NamespaceData, error) {
	n := &NamespaceData{}
	for _, p := range []*[]Namespace{&n.Personal, &n.Other, &n.Shared} {
		if err := d.SP(); err != nil {
			return nil, err
		}
		if isNil, err := d.NIL(); err != nil {
			return nil, err
		} else if isNil {
			continue
		}
		*p = []Namespace{}
		err := d.listTight(func() error {
			var ns Namespace
			i := 0
			err := d.List(func() error {
				var err error
				switch i++; i {
				case 1:
					ns.Prefix, err = d.String()
				case 2:
					ns.Delim, err = d.delimiter()
				default:
					// namespace-response-extension: string SP "(" string *(SP string) ")"
					// arrives here as the string; its list follows.
					if _, err = d.String(); err == nil {
						if err = d.SP(); err == nil {
							err = d.List(func() error { _, err := d.String(); return err })
						}
					}
				}
				return err
			})
			if err == nil && i < 2 {
				err = syntaxf("namespace too short")
			}
			*p = append(*p, ns)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (d *Decoder) fetchData(seq uint32, onBody BodyHandler) (*FetchData, error) {
	f := &FetchData{Seq: seq}
	err := d.List(func() error {
		name, err := d.fetchName()
		if err != nil {
			return err
		}
		item, err := d.fetchItemNamed(name, true)
		if err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		switch item.Name {
		case FetchUID:
			f.UID, err = d.NZNumber()
		case FetchFlags:
			f.Flags, err = d.FlagList()
		case FetchModSeq:
			err = d.List(func() error {
				var err error
				f.ModSeq, err = d.Number64()
				return err
			})
		case FetchInternalDate:
			f.InternalDate, err = d.DateTime()
		case FetchRFC822Size:
			var n uint64
			n, err = d.Number64()
			f.RFC822Size = new(int64(n))
		case FetchEnvelope:
			f.Envelope, err = d.Envelope()
		case FetchBodyStructure:
			if f.BodyStructure, err = d.BodyStructure(); err == nil {
				f.BodyStructure.normalize(true)
			}
		case FetchSaveDate:
			var t time.Time
			var isNil bool
			if isNil, err = d.NIL(); err == nil && !isNil {
				t, err = d.DateTime()
			}
			f.SaveDate = &t
		case FetchEmailID:
			f.EmailID, err = d.objectID()
		case FetchThreadID:
			var ns NString
			if ns.IsNil, err = d.NIL(); err == nil && !ns.IsNil {
				ns.Value, err = d.objectID()
			}
			f.ThreadID = &ns
		case FetchPreview:
			var ns NString
			ns.Value, ns.IsNil, err = d.NString()
			f.Preview = &ns
		case FetchBinarySize:
			var n uint32
			n, err = d.Number()
			f.BinarySizes = append(f.BinarySizes, BinarySize{Part: item.Section.Part, Size: n})
		case FetchBody:
			if item.Section == nil {
				if f.Body, err = d.BodyStructure(); err == nil {
					f.Body.normalize(false)
				}
				break
			}
			fallthrough
		default: // BODY[], BINARY[], RFC822, RFC822.HEADER, RFC822.TEXT
			var s FetchSection
			s, err = d.fetchSection(seq, item, onBody)
			f.Sections = append(f.Sections, s)
		}
		return err
	})
	return f, err
}

func (d *Decoder) fetchSection(seq uint32, item FetchItem, onBody BodyHandler) (FetchSection, error) {
	s := FetchSection{Item: item}
	b, err := d.peek()
	if err != nil {
		return s, err
	}
	binary := item.Name == FetchBinary
	switch {
	case b == '{' || b == '~':
		if onBody != nil {
			r, info, err := d.LiteralReader(binary)
			if err != nil {
				return s, err
			}
			s.Size = info.Size
			err = onBody(seq, item, info, r)
			if derr := d.drain(); err == nil {
				err = derr
			}
			d.line = 0
			return s, err
		}
		s.Data, err = d.Literal(binary)
	case b == 'N' || b == 'n':
		s.IsNil, err = d.NIL()
		if err == nil && !s.IsNil {
			err = syntaxf("bad body section value")
		}
		return s, err
	default:
		var q string
		q, err = d.Quoted()
		s.Data = []byte(q)
	}
	s.Size = int64(len(s.Data))
	return s, err
}

// partialResult reads "(" partial-range SP partial-results ")" (RFC
// 5267 5).
func (d *Decoder) partialResult() (*PartialResult, error) {
	if err := d.Expect('('); err != nil {
		return nil, err
	}
	r, err := d.Atom()
	if err != nil {
		return nil, err
	}
	p := &PartialResult{}
	if p.First, p.Last, err = ParsePartialRange(r); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if b, _ := d.peek(); b == 'N' || b == 'n' {
		if a, err := d.Atom(); err != nil || !strings.EqualFold(a, "NIL") {
			return nil, syntaxf("bad partial results")
		}
	} else if p.Results, err = d.SeqSet(); err != nil {
		return nil, err
	}
	return p, d.Expect(')')
}

// contextUpdates reads "(" context-position SP sequence-set *(SP
// context-position SP sequence-set) ")" (RFC 5267 5).
func (d *Decoder) contextUpdates() ([]ContextUpdate, error) {
	if err := d.Expect('('); err != nil {
		return nil, err
	}
	var out []ContextUpdate
	for {
		pos, err := d.Number()
		if err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		set, err := d.SeqSet()
		if err != nil {
			return nil, err
		}
		out = append(out, ContextUpdate{Pos: pos, Nums: set})
		if ok, err := d.Accept(' '); err != nil {
			return nil, err
		} else if !ok {
			return out, d.Expect(')')
		}
	}
}
