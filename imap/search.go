package imap

import (
	"strings"
	"time"
)

// SearchKey is one search key of a SEARCH program (RFC 9051 6.4.4, RFC
// 3501 6.4.4, RFC 7162 3.1.5 MODSEQ, RFC 5032 OLDER/YOUNGER). Op is the
// key's name in upper case, or one of the pseudo-names SearchSeqSet (a
// bare sequence set) and SearchAnd (a parenthesised list); the other
// fields hold the key's arguments:
//
//	ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN
//	UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN    no argument
//	BCC BODY CC FROM SUBJECT TEXT TO                 Value
//	KEYWORD UNKEYWORD                                Value (a flag keyword)
//	HEADER                                           Field, Value
//	BEFORE ON SINCE SENTBEFORE SENTON SENTSINCE      Date (midnight UTC)
//	SAVEDBEFORE SAVEDON SAVEDSINCE                   Date (RFC 8514)
//	SAVEDATESUPPORTED                                no argument (RFC 8514)
//	EMAILID THREADID                                 Value (RFC 8474)
//	LARGER SMALLER OLDER YOUNGER                     Number
//	MODSEQ                                           Number, ModSeqEntry, ModSeqType
//	UID, SearchSeqSet                                Seq ("$" as Seq.Saved)
//	NOT                                              Keys[0]
//	OR                                               Keys[0], Keys[1]
//	SearchAnd                                        Keys
type SearchKey struct {
	Op          string
	Value       string
	Field       string
	Date        time.Time
	Number      uint64
	Seq         SeqSet
	ModSeqEntry string // MODSEQ entry name, e.g. "/flags/\\Seen"; "" when absent
	ModSeqType  string // "priv", "shared" or "all"
	Keys        []SearchKey
}

// Pseudo-names of SearchKey.Op.
const (
	SearchSeqSet = "SEQSET" // a sequence set of message numbers
	SearchAnd    = "AND"    // a parenthesised list of keys, all of which match
)

type searchArg int

const (
	argNone searchArg = iota
	argAString
	argKeyword
	argHeader
	argDate
	argNumber
	argModSeq
	argSeq
	argNot
	argOr
)

var searchKeys = map[string]searchArg{
	"ALL": argNone, "ANSWERED": argNone, "DELETED": argNone, "DRAFT": argNone,
	"FLAGGED": argNone, "NEW": argNone, "OLD": argNone, "RECENT": argNone,
	"SEEN": argNone, "UNANSWERED": argNone, "UNDELETED": argNone,
	"UNDRAFT": argNone, "UNFLAGGED": argNone, "UNSEEN": argNone,
	"BCC": argAString, "BODY": argAString, "CC": argAString, "FROM": argAString,
	"SUBJECT": argAString, "TEXT": argAString, "TO": argAString,
	"KEYWORD": argKeyword, "UNKEYWORD": argKeyword,
	"HEADER": argHeader,
	"BEFORE": argDate, "ON": argDate, "SINCE": argDate,
	"SENTBEFORE": argDate, "SENTON": argDate, "SENTSINCE": argDate,
	"LARGER": argNumber, "SMALLER": argNumber, "OLDER": argNumber, "YOUNGER": argNumber,
	"SAVEDBEFORE": argDate, "SAVEDON": argDate, "SAVEDSINCE": argDate, "SAVEDATESUPPORTED": argNone, // RFC 8514 4.3
	"EMAILID": argAString, "THREADID": argAString, // RFC 8474 6
	"MODSEQ": argModSeq,
	"UID":    argSeq,
	"NOT":    argNot,
	"OR":     argOr,
}

// readSearchKeys reads search-key *(SP search-key) up to the end of the
// line; first, when not "", is the name of the first key, already read.
func (d *Decoder) readSearchKeys(first string) ([]SearchKey, error) {
	var keys []SearchKey
	for {
		var k SearchKey
		var err error
		if first != "" {
			k, err = d.searchKeyNamed(first)
			first = ""
		} else {
			k, err = d.SearchKey()
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
		if d.AtCRLF() {
			return keys, nil
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
}

// SearchKey reads one search key (RFC 9051 9: search-key).
func (d *Decoder) SearchKey() (SearchKey, error) {
	var k SearchKey
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > d.lim.MaxDepth {
		return k, ErrTooDeep
	}
	b, err := d.peek()
	if err != nil {
		return k, err
	}
	switch {
	case b == '(':
		k.Op = SearchAnd
		err := d.List(func() error {
			sub, err := d.SearchKey()
			k.Keys = append(k.Keys, sub)
			return err
		})
		if err == nil && len(k.Keys) == 0 {
			err = syntaxf("empty search key list")
		}
		return k, err
	case b == '*' || b == '$' || b >= '0' && b <= '9':
		k.Op = SearchSeqSet
		k.Seq, err = d.SeqSet()
		return k, err
	}
	name, err := d.Atom()
	if err != nil {
		return k, err
	}
	return d.searchKeyNamed(name)
}

func (d *Decoder) searchKeyNamed(name string) (SearchKey, error) {
	var err error
	k := SearchKey{Op: strings.ToUpper(name)}
	arg, ok := searchKeys[k.Op]
	if !ok {
		return k, syntaxf("unknown search key %q", name)
	}
	if arg == argNone {
		return k, nil
	}
	if err := d.SP(); err != nil {
		return k, err
	}
	switch arg {
	case argAString:
		k.Value, err = d.AString()
	case argKeyword:
		k.Value, err = d.Atom()
	case argHeader:
		if k.Field, err = d.AString(); err == nil {
			if err = d.SP(); err == nil {
				k.Value, err = d.AString()
			}
		}
	case argDate:
		k.Date, err = d.Date()
	case argNumber:
		k.Number, err = d.Number64()
	case argSeq:
		k.Seq, err = d.SeqSet()
	case argNot:
		var sub SearchKey
		sub, err = d.SearchKey()
		k.Keys = []SearchKey{sub}
	case argOr:
		var a, b SearchKey
		if a, err = d.SearchKey(); err == nil {
			if err = d.SP(); err == nil {
				b, err = d.SearchKey()
			}
		}
		k.Keys = []SearchKey{a, b}
	case argModSeq:
		// RFC 7162 3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
		if b, _ := d.peek(); b == '"' {
			if k.ModSeqEntry, err = d.Quoted(); err != nil {
				return k, err
			}
			// RFC 7162 3.1.5: entry-flag-name = DQUOTE "/flags/" attr-flag DQUOTE
			if !strings.HasPrefix(strings.ToLower(k.ModSeqEntry), "/flags/") || !isASCII(k.ModSeqEntry) {
				return k, syntaxf("bad MODSEQ entry name %q", k.ModSeqEntry)
			}
			if err = d.SP(); err != nil {
				return k, err
			}
			var t string
			if t, err = d.Atom(); err != nil {
				return k, err
			}
			k.ModSeqType = strings.ToLower(t)
			if k.ModSeqType != "priv" && k.ModSeqType != "shared" && k.ModSeqType != "all" {
				return k, syntaxf("bad MODSEQ entry type %q", t)
			}
			if err = d.SP(); err != nil {
				return k, err
			}
		}
		k.Number, err = d.Number64()
	}
	return k, err
}

// SearchKey writes k.
func (e *Encoder) SearchKey(k SearchKey) *Encoder {
	switch k.Op {
	case SearchAnd:
		return e.List(len(k.Keys), func(i int) { e.SearchKey(k.Keys[i]) })
	case SearchSeqSet:
		return e.SeqSet(k.Seq)
	}
	arg, ok := searchKeys[k.Op]
	if !ok {
		e.fail(syntaxf("unknown search key %q", k.Op))
		return e
	}
	e.Raw(k.Op)
	if arg == argNone {
		return e
	}
	e.SP()
	switch arg {
	case argAString:
		e.AString(k.Value)
	case argKeyword:
		e.Atom(k.Value)
	case argHeader:
		e.AString(k.Field).SP().AString(k.Value)
	case argDate:
		e.Date(k.Date)
	case argNumber:
		e.Number64(k.Number)
	case argSeq:
		e.SeqSet(k.Seq)
	case argNot, argOr:
		n := 1
		if arg == argOr {
			n = 2
		}
		if len(k.Keys) != n {
			e.fail(syntaxf("%s needs %d keys", k.Op, n))
			return e
		}
		e.SearchKey(k.Keys[0])
		if n == 2 {
			e.SP().SearchKey(k.Keys[1])
		}
	case argModSeq:
		if k.ModSeqEntry != "" {
			e.Quoted(k.ModSeqEntry).SP().Atom(k.ModSeqType).SP()
		}
		e.Number64(k.Number)
	}
	return e
}

// Search RETURN options (RFC 4731, RFC 9051 6.4.4, RFC 5182).
const (
	SearchReturnMin   = "MIN"
	SearchReturnMax   = "MAX"
	SearchReturnAll   = "ALL"
	SearchReturnCount = "COUNT"
	SearchReturnSave  = "SAVE"
)

// SearchCommand is the argument of SEARCH and UID SEARCH (RFC 9051
// 6.4.4).
type SearchCommand struct {
	// Return holds the RETURN options, upper case, when HasReturn;
	// "RETURN ()" has HasReturn and no options, which means ALL (RFC 4731).
	HasReturn bool
	Return    []string
	// UpdateFetch are the fetch attributes given after UPDATE (RFC 5465
	// 7): sent in a FETCH for each new message added to the result.
	UpdateFetch []FetchItem
	// Charset is the CHARSET argument, "" when absent.
	Charset string
	// Keys are the program's keys; a message must match all of them.
	Keys []SearchKey
}

func (d *Decoder) searchCommand() (*SearchCommand, error) {
	c := &SearchCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	for {
		b, err := d.peek()
		if err != nil {
			return nil, err
		}
		if !isAtomChar(b) || b == '$' || b >= '0' && b <= '9' {
			break
		}
		// RETURN, CHARSET or the name of the first key.
		name, err := d.Atom()
		if err != nil {
			return nil, err
		}
		switch w := strings.ToUpper(name); {
		case w == "RETURN" && !c.HasReturn && c.Charset == "":
			if err := d.SP(); err != nil {
				return nil, err
			}
			c.HasReturn = true
			if c.Return, c.UpdateFetch, err = d.returnList(); err != nil {
				return nil, err
			}
		case w == "CHARSET" && c.Charset == "":
			if err := d.SP(); err != nil {
				return nil, err
			}
			if c.Charset, err = d.AString(); err != nil {
				return nil, err
			}
		default:
			c.Keys, err = d.readSearchKeys(name)
			return c, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
	keys, err := d.readSearchKeys("")
	c.Keys = keys
	return c, err
}

func (e *Encoder) searchCommand(c *SearchCommand) {
	if c.HasReturn || len(c.Return) > 0 {
		e.returnList(c.Return, c.UpdateFetch)
	}
	if c.Charset != "" {
		e.Raw(" CHARSET ").AString(c.Charset)
	}
	if len(c.Keys) == 0 {
		e.fail(syntaxf("SEARCH with no key"))
	}
	for _, k := range c.Keys {
		e.SP().SearchKey(k)
	}
}

// returnList reads the RETURN options of SEARCH or SORT: a list of
// atoms, upper-cased, where UPDATE may be followed by the fetch
// attributes of RFC 5465 7, "UPDATE (UID BODY[HEADER])".
func (d *Decoder) returnList() (opts []string, fetch []FetchItem, err error) {
	opts = []string{}
	if err := d.Expect('('); err != nil {
		return nil, nil, err
	}
	if ok, err := d.Accept(')'); ok || err != nil {
		return opts, nil, err
	}
	for {
		o, err := d.Atom()
		if err != nil {
			return nil, nil, err
		}
		o = strings.ToUpper(o)
		opts = append(opts, o)
		sp, err := d.Accept(' ')
		if err != nil {
			return nil, nil, err
		}
		if o == "UPDATE" {
			// RFC 5465 8: modifier-update = "UPDATE" ["(" fetch-att
			// *(SP fetch-att) ")"], with no SP before "(", though
			// the example of RFC 5465 7 has one: take both.
			b, err := d.peek()
			if err != nil {
				return nil, nil, err
			}
			if b == '(' {
				if fetch != nil {
					return nil, nil, syntaxf("more than one fetch attribute list after UPDATE")
				}
				if fetch, err = d.updateFetch(); err != nil {
					return nil, nil, err
				}
				if sp, err = d.Accept(' '); err != nil {
					return nil, nil, err
				}
			}
		}
		if !sp {
			if err := d.Expect(')'); err != nil {
				return nil, nil, err
			}
			return opts, fetch, nil
		}
	}
}

// updateFetch reads the fetch attributes of UPDATE (RFC 5465 8), a
// list of one or more.
func (d *Decoder) updateFetch() ([]FetchItem, error) {
	fetch := []FetchItem{}
	if err := d.List(func() error {
		f, err := d.FetchItem(false)
		fetch = append(fetch, f)
		return err
	}); err != nil {
		return nil, err
	}
	if len(fetch) == 0 {
		return nil, syntaxf("empty fetch attribute list after UPDATE")
	}
	return fetch, nil
}

// returnList writes " RETURN (...)", with the fetch attributes of
// UPDATE, when there are any, after the first UPDATE (RFC 5465 7), in
// any case, the one place the parser takes them.
func (e *Encoder) returnList(opts []string, fetch []FetchItem) {
	written := len(fetch) == 0
	e.Raw(" RETURN ").List(len(opts), func(i int) {
		e.Atom(opts[i])
		if !written && strings.EqualFold(opts[i], "UPDATE") {
			// With a SP, as in the example of RFC 5465 7.
			e.SP().List(len(fetch), func(j int) { e.FetchItem(fetch[j], false) })
			written = true
		}
	})
	if !written {
		e.fail(syntaxf("fetch attributes of UPDATE without UPDATE"))
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
