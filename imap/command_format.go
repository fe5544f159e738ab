package imap

import (
	"encoding/base64"
	"fmt"
)

// WriteCommand writes c and flushes, for a client. A synchronising
// literal waits through the Encoder's OnSyncLiteral hook. Arguments that
// cannot be sent safely (CR or LF where only an atom fits, NUL) make it
// fail before anything of c is written, unless a literal came first; an
// error does not stick to the Encoder past the next WriteCommand.
func WriteCommand(e *Encoder, c *Command) error {
	e.begin()
	if !isToken(c.Tag, classTag) {
		return fmt.Errorf("%w: bad tag %q", ErrBadString, c.Tag)
	}
	e.Raw(c.Tag).SP()
	if c.UID {
		e.Raw("UID ")
	}
	e.Atom(c.Name)
	if err := e.commandArgs(c); err != nil {
		e.abort()
		return err
	}
	return e.CRLF().Flush()
}

func (e *Encoder) commandArgs(c *Command) error {
	switch a := c.Args.(type) {
	case nil:
	case *SeqCommand:
		e.SP().SeqSet(a.Seq)
	case *LoginCommand:
		e.SP().AString(a.Username).SP().AString(a.Password)
	case *AuthenticateCommand:
		e.SP().Atom(a.Mechanism)
		if a.InitialResponse != nil {
			if len(a.InitialResponse) == 0 {
				e.Raw(" =")
			} else {
				e.SP().Raw(base64.StdEncoding.EncodeToString(a.InitialResponse))
			}
		}
	case *NotifyCommand:
		e.notifyArgs(a)
	case *EnableCommand:
		for _, cap := range a.Caps {
			e.SP().Atom(cap)
		}
	case *SelectCommand:
		e.SP().AString(a.Mailbox)
		e.selectParams(a)
	case *CreateCommand:
		e.SP().AString(a.Mailbox)
		if len(a.SpecialUse) > 0 {
			e.Raw(" (USE ").FlagList(a.SpecialUse).Raw(")")
		}
	case *MailboxCommand:
		e.SP().AString(a.Mailbox)
	case *RenameCommand:
		e.SP().AString(a.From).SP().AString(a.To)
	case *ListCommand:
		e.listArgs(c.Name, a)
	case *StatusCommand:
		e.SP().AString(a.Mailbox).SP().List(len(a.Items), func(i int) { e.Atom(a.Items[i]) })
	case *AppendCommand:
		e.SP().AString(a.Mailbox)
		if a.Flags != nil {
			e.SP().FlagList(a.Flags)
		}
		if !a.Date.IsZero() {
			e.SP().DateTime(a.Date)
		}
		e.SP()
		if a.UTF8 {
			e.Raw("UTF8 (")
		}
		if a.Message == nil {
			e.fail(fmt.Errorf("%w: APPEND without a message", ErrBadString))
		}
		e.Literal(a.Message, a.Literal.Size, a.Literal.Binary || a.UTF8)
		if a.UTF8 {
			e.Raw(")")
		}
	case *CopyCommand:
		e.SP().SeqSet(a.Seq).SP().AString(a.Mailbox)
	case *FetchCommand:
		e.fetchCommand(a)
	case *StoreCommand:
		e.SP().SeqSet(a.Seq).SP()
		if a.HasUnchangedSince {
			e.Raw("(UNCHANGEDSINCE ").Number64(a.UnchangedSince).Raw(") ")
		}
		switch a.Op {
		case StoreAdd:
			e.Raw("+")
		case StoreRemove:
			e.Raw("-")
		}
		e.Raw("FLAGS")
		if a.Silent {
			e.Raw(".SILENT")
		}
		e.SP().FlagList(a.Flags)
	case *SearchCommand:
		e.searchCommand(a)
	case *CancelUpdateCommand:
		for _, t := range a.Tags {
			e.SP().Quoted(t)
		}
	case *SortCommand:
		if a.HasReturn || len(a.Return) > 0 {
			e.returnList(a.Return, a.UpdateFetch)
		}
		e.SP().List(len(a.Criteria), func(i int) {
			if a.Criteria[i].Reverse {
				e.Raw("REVERSE ")
			}
			e.Atom(a.Criteria[i].Key)
		})
		e.sortCriteria(a.Charset, a.Keys)
	case *ThreadCommand:
		e.SP().Atom(a.Algorithm)
		e.sortCriteria(a.Charset, a.Keys)
	case *IDCommand:
		e.SP().idParams(a.Params)
	case *ResetKeyCommand, *GenURLAuthCommand, *URLFetchCommand:
		e.urlAuthArgs(a)
	default:
		e.fail(fmt.Errorf("imap: unknown command arguments %T", c.Args))
	}
	return e.err
}

func (e *Encoder) selectParams(a *SelectCommand) {
	if !a.CondStore && a.QResync == nil {
		return
	}
	e.Raw(" (")
	if a.CondStore {
		e.Raw("CONDSTORE")
		if a.QResync != nil {
			e.SP()
		}
	}
	if q := a.QResync; q != nil {
		e.Raw("QRESYNC (").Number(q.UIDValidity).SP().Number64(q.ModSeq)
		if !q.KnownUIDs.Empty() {
			e.SP().SeqSet(q.KnownUIDs)
		}
		if !q.SeqMatchSeqs.Empty() {
			e.Raw(" (").SeqSet(q.SeqMatchSeqs).SP().SeqSet(q.SeqMatchUIDs).Raw(")")
		}
		e.Raw(")")
	}
	e.Raw(")")
}

func (e *Encoder) listArgs(name string, a *ListCommand) {
	e.SP()
	if a.SelectOpts != nil {
		e.List(len(a.SelectOpts), func(i int) { e.Atom(a.SelectOpts[i]) }).SP()
	}
	e.AString(a.Reference).SP()
	switch {
	case len(a.Patterns) == 1:
		e.listMailbox(a.Patterns[0])
	case len(a.Patterns) > 1 && name == "LIST":
		e.List(len(a.Patterns), func(i int) { e.listMailbox(a.Patterns[i]) })
	default:
		e.fail(fmt.Errorf("%w: %s needs one pattern", ErrBadString, name))
	}
	if a.HasReturn || len(a.ReturnOpts) > 0 || len(a.ReturnStatus) > 0 {
		e.Raw(" RETURN (")
		for i, o := range a.ReturnOpts {
			if i > 0 {
				e.SP()
			}
			e.Atom(o)
		}
		if len(a.ReturnStatus) > 0 {
			if len(a.ReturnOpts) > 0 {
				e.SP()
			}
			e.Raw("STATUS ").List(len(a.ReturnStatus), func(i int) { e.Atom(a.ReturnStatus[i]) })
		}
		e.Raw(")")
	}
}

// listMailbox writes a list-mailbox: an atom with wildcards when it can
// be one, a string otherwise.
func (e *Encoder) listMailbox(s string) {
	if isToken(s, classList) {
		e.Raw(s)
	} else {
		e.String(s)
	}
}

func (e *Encoder) idParams(params []IDParam) *Encoder {
	if params == nil {
		return e.NIL()
	}
	return e.List(len(params), func(i int) {
		e.String(params[i].Name).SP().NString(params[i].Value, params[i].IsNil)
	})
}

// sortCriteria writes SP charset 1*(SP search-key) (RFC 5256 5); an
// empty charset is written as UTF-8.
func (e *Encoder) sortCriteria(charset string, keys []SearchKey) {
	if charset == "" {
		charset = "UTF-8"
	}
	e.SP().AString(charset)
	if len(keys) == 0 {
		e.fail(syntaxf("no search key"))
	}
	for _, k := range keys {
		e.SP().SearchKey(k)
	}
}
