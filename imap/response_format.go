package imap

import (
	"bytes"
	"fmt"
	"strings"
)

// WriteResponse writes r with its CRLF, for a server; it does not
// flush, so that a server can batch responses. Text that could break
// the line (CR, LF, NUL) is refused with ErrBadString before r is
// written, and nothing of a response that fails is written unless a
// literal came first (a FETCH body section whose Reader fails leaves the
// stream broken: close the connection); strings go as literals when
// they need to, and FETCH body sections stream from their Reader.
func WriteResponse(e *Encoder, r Response) error {
	e.begin()
	if err := checkResponse(r); err != nil {
		return err
	}
	switch r := r.(type) {
	case *StatusResponse:
		e.statusResponse(r)
	case *ContinuationRequest:
		e.Raw("+ ").Raw(r.Text)
	case *CapabilityData:
		e.Raw("* CAPABILITY").atoms(r.Caps)
	case *EnabledData:
		e.Raw("* ENABLED").atoms(r.Caps)
	case *FlagsData:
		e.Raw("* FLAGS ").FlagList(r.Flags)
	case *ListData:
		e.listData(r)
	case *StatusData:
		e.statusData(r)
	case *ExistsData:
		e.Raw("* ").Number(r.Num).Raw(" EXISTS")
	case *RecentData:
		e.Raw("* ").Number(r.Num).Raw(" RECENT")
	case *ExpungeData:
		e.Raw("* ").Number(r.Seq).Raw(" EXPUNGE")
	case *VanishedData:
		e.Raw("* VANISHED ")
		if r.Earlier {
			e.Raw("(EARLIER) ")
		}
		e.SeqSet(r.UIDs)
	case *SearchData:
		e.Raw("* SEARCH")
		for _, n := range r.Nums {
			e.SP().Number(n)
		}
		if r.ModSeq != 0 {
			e.Raw(" (MODSEQ ").Number64(r.ModSeq).Raw(")")
		}
	case *ESearchData:
		e.esearchData(r)
	case *SortData:
		e.Raw("* SORT")
		for _, n := range r.Nums {
			e.SP().Number(n)
		}
		if r.ModSeq != 0 {
			e.Raw(" (MODSEQ ").Number64(r.ModSeq).Raw(")")
		}
	case *ThreadData:
		e.Raw("* THREAD")
		if len(r.Threads) > 0 {
			e.SP()
			for _, t := range r.Threads {
				e.threadList(t, 0)
			}
		}
	case *NamespaceData:
		e.Raw("* NAMESPACE")
		for _, l := range [][]Namespace{r.Personal, r.Other, r.Shared} {
			e.SP()
			if l == nil {
				e.NIL()
				continue
			}
			e.byte1('(')
			for _, ns := range l {
				e.byte1('(').String(ns.Prefix).SP().delim(ns.Delim).byte1(')')
			}
			e.byte1(')')
		}
	case *IDData:
		e.Raw("* ID ").idParams(r.Params)
	case *UnknownData:
		e.Raw("* ").Atom(r.Name)
		if r.Text != "" {
			e.SP().Raw(r.Text)
		}
	case *FetchData:
		e.fetchData(r)
	case *MetadataData:
		e.metadataData(r)
	case *MetadataNamesData:
		e.Raw("* METADATA ").AString(r.Mailbox)
		for _, n := range r.Entries {
			e.SP().AString(n)
		}
	case *QuotaData:
		e.Raw("* QUOTA ").AString(r.Root).SP().List(len(r.Resources), func(i int) {
			q := r.Resources[i]
			e.Atom(q.Name).SP().Number64(q.Usage).SP().Number64(q.Limit)
		})
	case *QuotaRootData:
		e.Raw("* QUOTAROOT ").AString(r.Mailbox)
		for _, root := range r.Roots {
			e.SP().AString(root)
		}
	default:
		return fmt.Errorf("imap: unknown response %T", r)
	}
	if e.CRLF().Err() != nil {
		e.abort()
	}
	return e.err
}

// checkResponse refuses text that would break the line.
func checkResponse(r Response) error {
	var texts []string
	switch r := r.(type) {
	case *StatusResponse:
		texts = append(texts, r.Text)
		if s, ok := r.CodeArg.(string); ok {
			texts = append(texts, s)
			if strings.IndexByte(s, ']') >= 0 {
				return fmt.Errorf("%w: \"]\" in response code", ErrBadString)
			}
		}
	case *ContinuationRequest:
		texts = append(texts, r.Text)
	case *UnknownData:
		if !checkRawText(r.Text) {
			return fmt.Errorf("%w: bad raw response text", ErrBadString)
		}
	}
	for _, t := range texts {
		if strings.ContainsAny(t, "\r\n\x00") {
			return fmt.Errorf("%w: line break in response text", ErrBadString)
		}
	}
	return nil
}

func (e *Encoder) atoms(l []string) *Encoder {
	for _, a := range l {
		e.SP().Atom(a)
	}
	return e
}

func (e *Encoder) delim(d string) *Encoder {
	if d == "" {
		return e.NIL()
	}
	return e.Quoted(d)
}

func (e *Encoder) statusResponse(r *StatusResponse) {
	switch {
	case r.Tag == "":
		e.Raw("*")
	case isToken(r.Tag, classTag):
		e.Raw(r.Tag)
	default:
		e.fail(fmt.Errorf("%w: bad tag %q", ErrBadString, r.Tag))
	}
	e.SP().Atom(r.Type)
	if r.Code != "" {
		e.Raw(" [").Atom(r.Code)
		e.codeArg(r.Code, r.CodeArg)
		e.Raw("]")
	}
	if r.Text != "" {
		e.SP().Raw(r.Text)
	}
}

func (e *Encoder) codeArg(code string, arg any) {
	switch a := arg.(type) {
	case nil:
	case []string:
		switch code {
		case "CAPABILITY":
			e.atoms(a)
		case "PERMANENTFLAGS":
			e.SP().FlagList(a)
		default:
			if a != nil {
				e.SP().List(len(a), func(i int) { e.AString(a[i]) })
			}
		}
	case uint32:
		e.SP().Number(a)
	case uint64:
		e.SP().Number64(a)
	case *AppendUIDCode:
		e.SP().Number(a.UIDValidity).SP().SeqSet(a.UIDs)
	case *CopyUIDCode:
		e.SP().Number(a.UIDValidity).SP().SeqSet(a.Source).SP().SeqSet(a.Dest)
	case SeqSet:
		e.SP().SeqSet(a)
	case string:
		if a != "" {
			e.SP().Raw(a)
		}
	default:
		e.fail(fmt.Errorf("imap: bad argument %T for response code %s", arg, code))
	}
}

func (e *Encoder) listData(r *ListData) {
	if r.LSUB {
		e.Raw("* LSUB ")
	} else {
		e.Raw("* LIST ")
	}
	e.FlagList(r.Attrs).SP().delim(r.Delim).SP().AString(r.Mailbox)
	if len(r.ChildInfo) > 0 || r.OldName != "" {
		e.Raw(" (")
		if len(r.ChildInfo) > 0 {
			e.Raw("\"CHILDINFO\" ").List(len(r.ChildInfo), func(i int) { e.String(r.ChildInfo[i]) })
			if r.OldName != "" {
				e.SP()
			}
		}
		if r.OldName != "" {
			e.Raw("\"OLDNAME\" (").AString(r.OldName).Raw(")")
		}
		e.Raw(")")
	}
}

func (e *Encoder) statusData(r *StatusData) {
	e.Raw("* STATUS ").AString(r.Mailbox).Raw(" (")
	first := true
	item := func(name string, v uint64) {
		if !first {
			e.SP()
		}
		first = false
		e.Raw(name).SP().Number64(v)
	}
	for _, it := range []struct {
		name string
		v    *uint32
	}{{"MESSAGES", r.Messages}, {"UIDNEXT", r.UIDNext}, {"UIDVALIDITY", r.UIDValidity},
		{"UNSEEN", r.Unseen}, {"DELETED", r.Deleted}, {"RECENT", r.Recent}} {
		if it.v != nil {
			item(it.name, uint64(*it.v))
		}
	}
	for _, it := range []struct {
		name string
		v    *uint64
	}{{"SIZE", r.Size}, {"HIGHESTMODSEQ", r.HighestModSeq}, {"APPENDLIMIT", r.AppendLimit},
		{"DELETED-STORAGE", r.DeletedStorage}} {
		if it.v != nil {
			item(it.name, *it.v)
		}
	}
	if r.MailboxID != "" {
		if !first {
			e.SP()
		}
		e.Raw("MAILBOXID (").Atom(r.MailboxID).Raw(")")
	}
	e.Raw(")")
}

func (e *Encoder) esearchData(r *ESearchData) {
	e.Raw("* ESEARCH")
	if r.Tag != "" {
		e.Raw(" (TAG ").String(r.Tag).Raw(")")
	}
	if r.UID {
		e.Raw(" UID")
	}
	if r.Min != 0 {
		e.Raw(" MIN ").Number(r.Min)
	}
	if r.Max != 0 {
		e.Raw(" MAX ").Number(r.Max)
	}
	if !r.All.Empty() {
		e.Raw(" ALL ").SeqSet(r.All)
	}
	if r.Count != nil {
		e.Raw(" COUNT ").Number(*r.Count)
	}
	if r.ModSeq != 0 {
		e.Raw(" MODSEQ ").Number64(r.ModSeq)
	}
	if p := r.Partial; p != nil {
		// RFC 5267 5: ret-data-partial
		e.Raw(" PARTIAL (").Number(p.First).Raw(":").Number(p.Last).SP()
		if p.Results.Empty() {
			e.Raw("NIL")
		} else {
			e.SeqSet(p.Results)
		}
		e.Raw(")")
	}
	e.contextUpdates("REMOVEFROM", r.RemoveFrom)
	e.contextUpdates("ADDTO", r.AddTo)
}

// contextUpdates writes ret-data-addto or ret-data-removefrom (RFC 5267
// 5), if ups is not empty.
func (e *Encoder) contextUpdates(name string, ups []ContextUpdate) {
	if len(ups) == 0 {
		return
	}
	e.SP().Raw(name).Raw(" (")
	for i, u := range ups {
		if i > 0 {
			e.SP()
		}
		e.Number(u.Pos).SP().SeqSet(u.Nums)
	}
	e.Raw(")")
}

func (e *Encoder) fetchData(r *FetchData) {
	e.Raw("* ").Number(r.Seq).Raw(" FETCH (")
	first := true
	sep := func(name string) *Encoder {
		if !first {
			e.SP()
		}
		first = false
		return e.Raw(name)
	}
	if r.UID != 0 {
		sep("UID ").Number(r.UID)
	}
	if r.Flags != nil {
		sep("FLAGS ").FlagList(r.Flags)
	}
	if r.ModSeq != 0 {
		sep("MODSEQ (").Number64(r.ModSeq).Raw(")")
	}
	if !r.InternalDate.IsZero() {
		sep("INTERNALDATE ").DateTime(r.InternalDate)
	}
	if r.RFC822Size != nil {
		sep("RFC822.SIZE ").Number64(uint64(*r.RFC822Size))
	}
	switch {
	case r.Envelope != nil:
		sep("ENVELOPE ").Envelope(r.Envelope)
	case r.rawEnvelope != nil:
		sep("ENVELOPE ").rawBytes(r.rawEnvelope)
	}
	switch {
	case r.Body != nil:
		sep("BODY ").BodyStructure(r.Body, false)
	case r.rawBody != nil:
		sep("BODY ").rawBytes(r.rawBody)
	}
	switch {
	case r.BodyStructure != nil:
		sep("BODYSTRUCTURE ").BodyStructure(r.BodyStructure, true)
	case r.rawBodyStructure != nil:
		sep("BODYSTRUCTURE ").rawBytes(r.rawBodyStructure)
	}
	for _, b := range r.BinarySizes {
		sep("BINARY.SIZE[").Raw(Section{Part: b.Part}.String()).Raw("] ").Number(b.Size)
	}
	for _, s := range r.Sections {
		sep("").FetchSection(s)
	}
	if r.SaveDate != nil {
		if sep("SAVEDATE "); r.SaveDate.IsZero() {
			e.NIL()
		} else {
			e.DateTime(*r.SaveDate)
		}
	}
	if r.EmailID != "" {
		sep("EMAILID (").Atom(r.EmailID).Raw(")")
	}
	if r.ThreadID != nil {
		if sep("THREADID "); r.ThreadID.IsNil {
			e.NIL()
		} else {
			e.Raw("(").Atom(r.ThreadID.Value).Raw(")")
		}
	}
	if r.Preview != nil {
		sep("PREVIEW ").NString(r.Preview.Value, r.Preview.IsNil)
	}
	e.Raw(")")
}

// FetchSection writes one body section of a FETCH response, its name
// and its value, streaming the value from s.Reader when set.
func (e *Encoder) FetchSection(s FetchSection) *Encoder {
	e.FetchItem(s.Item, true).SP()
	binary := s.Item.Name == FetchBinary
	switch {
	case s.IsNil:
		e.NIL()
	case s.Reader != nil:
		e.Literal(s.Reader, s.Size, binary)
	default:
		nul := bytes.IndexByte(s.Data, 0) >= 0
		if nul && !binary {
			// RFC 9051 4.3.1: NUL only in literal8, which BINARY alone may use.
			e.fail(fmt.Errorf("%w: NUL in %s section", ErrBadString, s.Item.Name))
			return e
		}
		e.Literal(bytes.NewReader(s.Data), int64(len(s.Data)), nul)
	}
	return e
}

// maxThreadDepth bounds the nesting of thread-lists that threadList
// writes, below the depth clients parse (DefaultMaxDepth): deeper
// sub-threads are written flat, each as one chain of its messages in
// depth-first order, so that no message is lost.
const maxThreadDepth = 48

// threadList writes one thread-list (RFC 5256 5): "(" the chain of
// messages from t down to where it splits, then the sub-threads ")".
// A Num of 0 is a thread with no root message: only its sub-threads.
func (e *Encoder) threadList(t *Thread, depth int) {
	e.byte1('(')
	if depth >= maxThreadDepth {
		// Flat: every message of t, depth first.
		stack := []*Thread{t}
		first := true
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if n.Num != 0 {
				if !first {
					e.SP()
				}
				e.Number(n.Num)
				first = false
			}
			for i := len(n.Children) - 1; i >= 0; i-- {
				stack = append(stack, n.Children[i])
			}
		}
		e.byte1(')')
		return
	}
	cur := t
	if cur.Num != 0 {
		e.Number(cur.Num)
		for len(cur.Children) == 1 && cur.Children[0].Num != 0 {
			cur = cur.Children[0]
			e.SP().Number(cur.Num)
		}
		if len(cur.Children) > 0 {
			e.SP()
		}
	}
	for _, c := range cur.Children {
		e.threadList(c, depth+1)
	}
	e.byte1(')')
}

// metadataData writes METADATA with values (RFC 5464 4.4.1).
func (e *Encoder) metadataData(r *MetadataData) {
	e.Raw("* METADATA ").AString(r.Mailbox).SP().List(len(r.Entries), func(i int) {
		m := r.Entries[i]
		e.AString(m.Name).SP()
		switch {
		case m.IsNil:
			e.NIL()
		case strings.IndexByte(m.Value, 0) >= 0:
			e.Literal(strings.NewReader(m.Value), int64(len(m.Value)), true)
		default:
			e.String(m.Value)
		}
	})
}
