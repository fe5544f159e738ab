package imap

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/postkit/postkit/sasl"
)

// Capability asks for the server's capabilities (RFC 9051 6.1.1).
func (c *Client) Capability(ctx context.Context) ([]string, error) {
	var caps []string
	_, _, err := c.execute(ctx, &Command{Name: "CAPABILITY"}, func(r Response) bool {
		if d, ok := r.(*CapabilityData); ok {
			caps = d.Caps
			return true
		}
		return false
	})
	return caps, err
}

// Noop sends NOOP (RFC 9051 6.1.2); pending updates reach the
// UnilateralHandler.
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.run(ctx, cmdSpec{cmd: &Command{Name: "NOOP"}})
	return err
}

// Logout sends LOGOUT (RFC 9051 6.1.3) and closes the connection.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	c.state = StateLogout
	c.mu.Unlock()
	_, err := c.run(ctx, cmdSpec{cmd: &Command{Name: "LOGOUT"}})
	c.Close()
	return err
}

// StartTLS upgrades the connection (RFC 9051 6.2.1). Anything the
// server sent after the OK and before the handshake is discarded, as
// an attacker may have injected it (RFC 9051 6.2.1, CVE-2011-0411
// class). cfg nil uses ClientOptions.TLSConfig with the server's
// address as ServerName.
func (c *Client) StartTLS(ctx context.Context, cfg *tls.Config) error {
	if cfg == nil {
		cfg = tlsConfigFor(c.opts.TLSConfig, c.conn.RemoteAddr().String())
	}
	upgrade := func() error {
		// The reader goroutine runs this right after the tagged OK:
		// nothing more is read from the plain stream.
		if n := c.br.Buffered(); n > 0 {
			c.br.Discard(n)
			c.logf("discarded bytes after STARTTLS", "n", n)
		}
		tc := tls.Client(c.conn, cfg)
		if dl, ok := ctx.Deadline(); ok {
			tc.SetDeadline(dl)
		} else {
			tc.SetDeadline(time.Now().Add(DefaultDialTimeout))
		}
		err := tc.HandshakeContext(ctx)
		tc.SetDeadline(time.Time{})
		if err != nil {
			return fmt.Errorf("imap: STARTTLS handshake: %w", err)
		}
		c.mu.Lock()
		c.caps = nil
		c.mu.Unlock()
		c.setConn(tc)
		return nil
	}
	cmd, err := c.start(ctx, cmdSpec{cmd: &Command{Name: "STARTTLS"}, hold: true, afterOK: upgrade})
	if err != nil {
		return err
	}
	defer c.releaseWriter()
	_, err = c.wait(ctx, cmd)
	return err
}

// Login sends LOGIN (RFC 9051 6.2.3).
func (c *Client) Login(ctx context.Context, user, pass string) error {
	st, err := c.run(ctx, cmdSpec{cmd: &Command{Name: "LOGIN", Args: &LoginCommand{Username: user, Password: pass}}})
	if err != nil {
		return err
	}
	c.loggedIn(st)
	return nil
}

func (c *Client) loggedIn(st *StatusResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = StateAuthenticated
	if st.Code != "CAPABILITY" {
		c.caps = nil
	}
}

// Authenticate authenticates with a SASL mechanism (RFC 9051 6.2.2),
// sending the initial response with the command when the server has
// SASL-IR (RFC 4959).
func (c *Client) Authenticate(ctx context.Context, sc sasl.Client) error {
	mech, ir, err := sc.Start()
	if err != nil {
		return err
	}
	args := &AuthenticateCommand{Mechanism: strings.ToUpper(mech)}
	sendIR := ir != nil && c.Has(ctx, "SASL-IR")
	if sendIR {
		args.InitialResponse = ir
	}
	// The writer stays held for the whole exchange: the answers to the
	// challenges are lines of this command.
	cmd, err := c.start(ctx, cmdSpec{cmd: &Command{Name: "AUTHENTICATE", Args: args}, hold: true})
	if err != nil {
		return err
	}
	var werr error
	first := !sendIR
	for {
		cr, done, err := c.waitContOrDone(ctx, cmd)
		if done {
			break
		}
		if err != nil {
			werr = err
			break
		}
		var resp []byte
		if first && ir != nil {
			resp = ir
		} else {
			chal, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(cr.Text))
			if derr == nil {
				resp, derr = sc.Next(chal)
			}
			if derr != nil {
				// RFC 9051 6.2.2: "*" cancels the exchange.
				werr = fmt.Errorf("imap: AUTHENTICATE: %w", derr)
				if err := c.writeLine("*"); err != nil {
					break
				}
				continue
			}
		}
		first = false
		if err := c.writeLine(base64.StdEncoding.EncodeToString(resp)); err != nil {
			werr = err
			break
		}
	}
	c.releaseWriter()
	if werr != nil && ctx.Err() != nil {
		c.closeWith(werr)
	}
	st, err := c.wait(ctx, cmd)
	if werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	c.loggedIn(st)
	return nil
}

// writeLine writes a continuation line; wmu is held.
func (c *Client) writeLine(s string) error {
	c.bw.WriteString(s)
	c.bw.WriteString("\r\n")
	return c.bw.Flush()
}

// Enable sends ENABLE (RFC 5161) and returns what the server enabled.
func (c *Client) Enable(ctx context.Context, caps ...string) ([]string, error) {
	var got []string
	_, _, err := c.execute(ctx, &Command{Name: "ENABLE", Args: &EnableCommand{Caps: caps}}, func(r Response) bool {
		if d, ok := r.(*EnabledData); ok {
			got = append(got, d.Caps...)
			return true
		}
		return false
	})
	return got, err
}

// ID exchanges identification (RFC 2971); params nil sends NIL.
func (c *Client) ID(ctx context.Context, params []IDParam) ([]IDParam, error) {
	var got []IDParam
	_, _, err := c.execute(ctx, &Command{Name: "ID", Args: &IDCommand{Params: params}}, func(r Response) bool {
		if d, ok := r.(*IDData); ok {
			got = d.Params
			return true
		}
		return false
	})
	return got, err
}

// SelectOptions are the options of Select and Examine.
type SelectOptions struct {
	CondStore bool           // RFC 7162 3.1.8
	QResync   *QResyncParams // RFC 7162 3.2.5; needs ENABLE QRESYNC
}

// SelectData is what SELECT and EXAMINE return (RFC 9051 6.3.2).
type SelectData struct {
	Flags          []string
	PermanentFlags []string // nil when not sent
	Exists         uint32
	Recent         uint32 // IMAP4rev1 only
	UIDValidity    uint32
	UIDNext        uint32
	Unseen         uint32 // first unseen (IMAP4rev1 UNSEEN code)
	HighestModSeq  uint64 // RFC 7162; 0 when NOMODSEQ or absent
	ReadOnly       bool
	// Vanished and Fetch hold the QRESYNC resynchronisation (RFC 7162
	// 3.2.5.2).
	Vanished []SeqSet
	Fetch    []*FetchData
}

// Select opens a mailbox read-write (RFC 9051 6.3.2).
func (c *Client) Select(ctx context.Context, mailbox string, opts *SelectOptions) (*SelectData, error) {
	return c.selectCmd(ctx, "SELECT", mailbox, opts)
}

// Examine opens a mailbox read-only (RFC 9051 6.3.3).
func (c *Client) Examine(ctx context.Context, mailbox string, opts *SelectOptions) (*SelectData, error) {
	return c.selectCmd(ctx, "EXAMINE", mailbox, opts)
}

func (c *Client) selectCmd(ctx context.Context, name, mbox string, opts *SelectOptions) (*SelectData, error) {
	args := &SelectCommand{Mailbox: c.wireName(mbox)}
	if opts != nil {
		args.CondStore, args.QResync = opts.CondStore, opts.QResync
	}
	sd := &SelectData{}
	var mu sync.Mutex
	collect := func(r Response) bool {
		mu.Lock()
		defer mu.Unlock()
		switch r := r.(type) {
		case *FlagsData:
			sd.Flags = r.Flags
		case *ExistsData:
			sd.Exists = r.Num
		case *RecentData:
			sd.Recent = r.Num
		case *VanishedData:
			sd.Vanished = append(sd.Vanished, r.UIDs)
			return true
		case *FetchData:
			sd.Fetch = append(sd.Fetch, r)
			return true
		case *StatusResponse:
			switch r.Code {
			case "PERMANENTFLAGS":
				sd.PermanentFlags, _ = r.CodeArg.([]string)
			case "UIDVALIDITY":
				sd.UIDValidity, _ = r.CodeArg.(uint32)
			case "UIDNEXT":
				sd.UIDNext, _ = r.CodeArg.(uint32)
			case "UNSEEN":
				// Not parsed by the codec: the argument is the raw text.
				if s, ok := r.CodeArg.(string); ok {
					fmt.Sscan(s, &sd.Unseen)
				}
			case "HIGHESTMODSEQ":
				sd.HighestModSeq, _ = r.CodeArg.(uint64)
			default:
				return false
			}
			return true
		}
		return false
	}
	c.mu.Lock()
	c.state = StateAuthenticated // a failed SELECT leaves no mailbox selected
	c.mailbox = ""
	c.mu.Unlock()
	st, err := c.run(ctx, cmdSpec{cmd: &Command{Name: name, Args: args}, collect: collect})
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	sd.ReadOnly = st.Code == "READ-ONLY" || name == "EXAMINE" && st.Code != "READ-WRITE"
	c.mu.Lock()
	c.state = StateSelected
	c.mailbox = mbox
	c.mu.Unlock()
	return sd, nil
}

// wireName converts a mailbox name to its wire form: modified UTF-7,
// or UTF-8 once IMAP4rev2 or UTF8=ACCEPT is enabled (RFC 6855 3).
func (c *Client) wireName(name string) string {
	c.mu.Lock()
	utf := c.enabled["IMAP4REV2"] || c.enabled["UTF8=ACCEPT"]
	c.mu.Unlock()
	return EncodeMailboxName(name, utf)
}

// mailboxName converts a mailbox name from its wire form.
func (c *Client) mailboxName(name string) string {
	c.mu.Lock()
	utf := c.enabled["IMAP4REV2"] || c.enabled["UTF8=ACCEPT"]
	c.mu.Unlock()
	if n, err := DecodeMailboxName(name, utf); err == nil {
		return n
	}
	return name
}

// Create creates a mailbox (RFC 9051 6.3.4); specialUse are the
// SPECIAL-USE attributes (RFC 6154 3), such as `\Sent`.
func (c *Client) Create(ctx context.Context, mailbox string, specialUse ...string) error {
	_, err := c.run(ctx, cmdSpec{cmd: &Command{Name: "CREATE", Args: &CreateCommand{Mailbox: c.wireName(mailbox), SpecialUse: specialUse}}})
	return err
}

// Delete deletes a mailbox (RFC 9051 6.3.5).
func (c *Client) Delete(ctx context.Context, mailbox string) error {
	return c.mailboxCmd(ctx, "DELETE", mailbox)
}

// Subscribe adds a mailbox to the subscriptions (RFC 9051 6.3.7).
func (c *Client) Subscribe(ctx context.Context, mailbox string) error {
	return c.mailboxCmd(ctx, "SUBSCRIBE", mailbox)
}

// Unsubscribe removes a mailbox from the subscriptions (RFC 9051 6.3.8).
func (c *Client) Unsubscribe(ctx context.Context, mailbox string) error {
	return c.mailboxCmd(ctx, "UNSUBSCRIBE", mailbox)
}

func (c *Client) mailboxCmd(ctx context.Context, name, mbox string) error {
	_, err := c.run(ctx, cmdSpec{cmd: &Command{Name: name, Args: &MailboxCommand{Mailbox: c.wireName(mbox)}}})
	return err
}

// Rename renames a mailbox (RFC 9051 6.3.6).
func (c *Client) Rename(ctx context.Context, from, to string) error {
	_, err := c.run(ctx, cmdSpec{cmd: &Command{Name: "RENAME", Args: &RenameCommand{From: c.wireName(from), To: c.wireName(to)}}})
	return err
}

// ListOptions are the LIST-EXTENDED options (RFC 5258, RFC 5819, RFC
// 6154). Their names are upper case.
type ListOptions struct {
	SelectOpts   []string // SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE
	ReturnOpts   []string // SUBSCRIBED, CHILDREN, SPECIAL-USE
	ReturnStatus []string // STATUS items (LIST-STATUS, RFC 5819)
	// Patterns are more patterns, after the one given to List.
	Patterns []string
}

// ListMailbox is one mailbox of a LIST or LSUB answer; Name is
// decoded, Status is the LIST-STATUS data, if any.
type ListMailbox struct {
	*ListData
	Name   string
	Status *StatusData
}

// List lists mailboxes (RFC 9051 6.3.9); opts may be nil. The reference
// and pattern are taken as they are: pass patterns in the wire form if
// they hold non-ASCII characters.
func (c *Client) List(ctx context.Context, ref, pattern string, opts *ListOptions) ([]*ListMailbox, error) {
	args := &ListCommand{Reference: ref, Patterns: []string{pattern}}
	if opts != nil {
		args.SelectOpts = opts.SelectOpts
		args.ReturnOpts = opts.ReturnOpts
		args.ReturnStatus = opts.ReturnStatus
		args.Patterns = append(args.Patterns, opts.Patterns...)
	}
	return c.list(ctx, "LIST", args)
}

// Lsub lists subscribed mailboxes (RFC 3501 6.3.9).
func (c *Client) Lsub(ctx context.Context, ref, pattern string) ([]*ListMailbox, error) {
	return c.list(ctx, "LSUB", &ListCommand{Reference: ref, Patterns: []string{pattern}})
}

func (c *Client) list(ctx context.Context, name string, args *ListCommand) ([]*ListMailbox, error) {
	var out []*ListMailbox
	byName := map[string]*ListMailbox{}
	var statuses []*StatusData
	_, _, err := c.execute(ctx, &Command{Name: name, Args: args}, func(r Response) bool {
		switch r := r.(type) {
		case *ListData:
			m := &ListMailbox{ListData: r, Name: c.mailboxName(r.Mailbox)}
			out = append(out, m)
			byName[r.Mailbox] = m
			return true
		case *StatusData:
			if len(args.ReturnStatus) > 0 {
				statuses = append(statuses, r)
				return true
			}
		}
		return false
	})
	for _, s := range statuses {
		if m := byName[s.Mailbox]; m != nil {
			m.Status = s
		}
	}
	return out, err
}

// Namespace asks for the namespaces (RFC 9051 6.3.10, RFC 2342).
func (c *Client) Namespace(ctx context.Context) (*NamespaceData, error) {
	var ns *NamespaceData
	_, _, err := c.execute(ctx, &Command{Name: "NAMESPACE"}, func(r Response) bool {
		if d, ok := r.(*NamespaceData); ok {
			ns = d
			return true
		}
		return false
	})
	if err == nil && ns == nil {
		err = errors.New("imap: NAMESPACE: no NAMESPACE response")
	}
	return ns, err
}

// Status asks for a mailbox's status (RFC 9051 6.3.11); items are
// MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, DELETED, SIZE, RECENT,
// HIGHESTMODSEQ, APPENDLIMIT.
func (c *Client) Status(ctx context.Context, mailbox string, items ...string) (*StatusData, error) {
	var sd *StatusData
	wire := c.wireName(mailbox)
	_, _, err := c.execute(ctx, &Command{Name: "STATUS", Args: &StatusCommand{Mailbox: wire, Items: items}}, func(r Response) bool {
		if d, ok := r.(*StatusData); ok && sd == nil && (d.Mailbox == wire || strings.EqualFold(wire, "INBOX") && strings.EqualFold(d.Mailbox, "INBOX")) {
			sd = d
			return true
		}
		return false
	})
	if err == nil && sd == nil {
		err = errors.New("imap: STATUS: no STATUS response")
	}
	return sd, err
}

// AppendOptions are the options of Append.
type AppendOptions struct {
	Flags []string
	Date  time.Time // zero: the server's time
	// Binary sends the message as literal8 (RFC 3516), for content
	// with NUL or raw 8-bit; UTF8 uses "UTF8 (~{n})" (RFC 6855 4).
	Binary bool
	UTF8   bool
}

// Append appends a message of size bytes read from r to a mailbox
// (RFC 9051 6.3.12). It returns the APPENDUID code (RFC 4315) when the
// server sent one, nil otherwise.
func (c *Client) Append(ctx context.Context, mailbox string, r io.Reader, size int64, opts *AppendOptions) (*AppendUIDCode, error) {
	args := &AppendCommand{Mailbox: c.wireName(mailbox), Message: r, Literal: LiteralInfo{Size: size}}
	if opts != nil {
		args.Flags = opts.Flags
		args.Date = opts.Date
		args.Literal.Binary = opts.Binary
		args.UTF8 = opts.UTF8
	}
	st, err := c.run(ctx, cmdSpec{cmd: &Command{Name: "APPEND", Args: args}})
	if err != nil {
		return nil, err
	}
	au, _ := st.CodeArg.(*AppendUIDCode)
	return au, nil
}

// Check sends CHECK (RFC 3501 6.4.1).
func (c *Client) Check(ctx context.Context) error {
	_, err := c.run(ctx, cmdSpec{cmd: &Command{Name: "CHECK"}})
	return err
}

// CloseMailbox sends CLOSE (RFC 9051 6.4.1): deleted messages are
// expunged silently and the mailbox is closed.
func (c *Client) CloseMailbox(ctx context.Context) error {
	return c.unselect(ctx, "CLOSE")
}

// Unselect sends UNSELECT (RFC 3691, RFC 9051 6.4.2).
func (c *Client) Unselect(ctx context.Context) error {
	return c.unselect(ctx, "UNSELECT")
}

func (c *Client) unselect(ctx context.Context, name string) error {
	_, err := c.run(ctx, cmdSpec{cmd: &Command{Name: name}})
	if err == nil {
		c.mu.Lock()
		c.state = StateAuthenticated
		c.mailbox = ""
		c.mu.Unlock()
	}
	return err
}

// ExpungeResult is what EXPUNGE and UID EXPUNGE report: sequence
// numbers (each as the server sent it, so later ones already account
// for earlier removals) or, under QRESYNC, VANISHED UIDs.
type ExpungeResult struct {
	Seqs     []uint32
	Vanished []SeqSet
}

// Expunge sends EXPUNGE (RFC 9051 6.4.3). The expunges also reach the
// UnilateralHandler.
func (c *Client) Expunge(ctx context.Context) (*ExpungeResult, error) {
	return c.expunge(ctx, &Command{Name: "EXPUNGE"})
}

// UIDExpunge sends UID EXPUNGE (RFC 4315 2.1, RFC 9051 6.4.9).
func (c *Client) UIDExpunge(ctx context.Context, uids SeqSet) (*ExpungeResult, error) {
	return c.expunge(ctx, &Command{Name: "EXPUNGE", UID: true, Args: &SeqCommand{Seq: uids}})
}

func (c *Client) expunge(ctx context.Context, cmd *Command) (*ExpungeResult, error) {
	res := &ExpungeResult{}
	_, _, err := c.execute(ctx, cmd, func(r Response) bool {
		switch r := r.(type) {
		case *ExpungeData:
			res.Seqs = append(res.Seqs, r.Seq)
			return true
		case *VanishedData:
			if !r.Earlier {
				res.Vanished = append(res.Vanished, r.UIDs)
				return true
			}
		}
		return false
	})
	return res, err
}

// SearchOptions are the options of Search.
type SearchOptions struct {
	// Return are the ESEARCH RETURN options (RFC 4731, RFC 9051
	// 6.4.4): MIN, MAX, ALL, COUNT, SAVE (RFC 5182). Set ESearch for
	// RETURN () with no options.
	Return  []string
	ESearch bool
	Charset string
}

// maxSearchExpand bounds the numbers an ESEARCH ALL is expanded into
// for SearchResult.Nums; past it only All is set.
const maxSearchExpand = 1 << 20

// SearchResult is the answer to SEARCH: Nums from a SEARCH response,
// or the ESEARCH fields.
type SearchResult struct {
	UID    bool
	Nums   []uint32 // SEARCH, or ESEARCH ALL expanded (up to 2^20 numbers)
	All    SeqSet   // ESEARCH ALL
	Min    uint32
	Max    uint32
	Count  *uint32
	ModSeq uint64
}

// Search searches the selected mailbox (RFC 9051 6.4.4); all keys must
// match.
func (c *Client) Search(ctx context.Context, keys []SearchKey, opts *SearchOptions) (*SearchResult, error) {
	return c.search(ctx, false, keys, opts)
}

// UIDSearch is Search returning UIDs (RFC 9051 6.4.9).
func (c *Client) UIDSearch(ctx context.Context, keys []SearchKey, opts *SearchOptions) (*SearchResult, error) {
	return c.search(ctx, true, keys, opts)
}

func (c *Client) search(ctx context.Context, uid bool, keys []SearchKey, opts *SearchOptions) (*SearchResult, error) {
	args := &SearchCommand{Keys: keys}
	if opts != nil {
		args.Return, args.HasReturn, args.Charset = opts.Return, opts.ESearch || len(opts.Return) > 0, opts.Charset
	}
	res := &SearchResult{UID: uid}
	var mu sync.Mutex
	var tag string
	collect := func(r Response) bool {
		mu.Lock()
		defer mu.Unlock()
		switch r := r.(type) {
		case *SearchData:
			res.Nums = append(res.Nums, r.Nums...)
			res.ModSeq = max(res.ModSeq, r.ModSeq)
			return true
		case *ESearchData:
			if r.Tag != "" && r.Tag != tag {
				return false
			}
			res.Min, res.Max, res.Count, res.ModSeq = r.Min, r.Max, r.Count, r.ModSeq
			res.All = r.All
			// Expand ALL into Nums, within bounds: a hostile server
			// could send "1:4294967295".
			total := 0
			for _, rg := range r.All.Ranges {
				lo, hi := min(rg.Start, rg.Stop), max(rg.Start, rg.Stop)
				if lo != Star {
					total += int(hi-lo) + 1
				}
			}
			if total > maxSearchExpand {
				return true
			}
			for _, rg := range r.All.Ranges {
				lo, hi := min(rg.Start, rg.Stop), max(rg.Start, rg.Stop)
				for n := lo; n <= hi && n != 0; n++ {
					res.Nums = append(res.Nums, n)
				}
			}
			return true
		}
		return false
	}
	cmd, err := c.start(ctx, cmdSpec{cmd: &Command{Name: "SEARCH", UID: uid, Args: args}, collect: collect,
		onTag: func(t string) {
			mu.Lock()
			tag = t
			mu.Unlock()
		}})
	if err != nil {
		return nil, err
	}
	if _, err := c.wait(ctx, cmd); err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	return res, nil
}

// StoreOptions are the options of Store.
type StoreOptions struct {
	Silent bool
	// UnchangedSince is the CONDSTORE modifier (RFC 7162 3.1.3); set
	// HasUnchangedSince to send it.
	HasUnchangedSince bool
	UnchangedSince    uint64
}

// StoreResult is the answer to STORE: the FETCH responses with the new
// flags (none when silent) and, with UNCHANGEDSINCE, the messages that
// were not stored (MODIFIED, RFC 7162 3.1.3).
type StoreResult struct {
	Fetch    []*FetchData
	Modified SeqSet
}

// Store changes flags (RFC 9051 6.4.6).
func (c *Client) Store(ctx context.Context, seq SeqSet, op StoreOp, flags []string, opts *StoreOptions) (*StoreResult, error) {
	return c.store(ctx, false, seq, op, flags, opts)
}

// UIDStore is Store by UID (RFC 9051 6.4.9).
func (c *Client) UIDStore(ctx context.Context, uids SeqSet, op StoreOp, flags []string, opts *StoreOptions) (*StoreResult, error) {
	return c.store(ctx, true, uids, op, flags, opts)
}

func (c *Client) store(ctx context.Context, uid bool, seq SeqSet, op StoreOp, flags []string, opts *StoreOptions) (*StoreResult, error) {
	args := &StoreCommand{Seq: seq, Op: op, Flags: flags}
	if flags == nil {
		args.Flags = []string{}
	}
	if opts != nil {
		args.Silent, args.HasUnchangedSince, args.UnchangedSince = opts.Silent, opts.HasUnchangedSince, opts.UnchangedSince
	}
	res := &StoreResult{}
	st, rs, err := c.execute(ctx, &Command{Name: "STORE", UID: uid, Args: args}, func(r Response) bool {
		_, ok := r.(*FetchData)
		return ok
	})
	for _, r := range rs {
		res.Fetch = append(res.Fetch, r.(*FetchData))
	}
	if st != nil && st.Code == "MODIFIED" {
		res.Modified, _ = st.CodeArg.(SeqSet)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Copy copies messages to a mailbox (RFC 9051 6.4.7); it returns the
// COPYUID code (RFC 4315) when the server sent one.
func (c *Client) Copy(ctx context.Context, seq SeqSet, mailbox string) (*CopyUIDCode, error) {
	return c.copyMove(ctx, "COPY", false, seq, mailbox)
}

// UIDCopy is Copy by UID.
func (c *Client) UIDCopy(ctx context.Context, uids SeqSet, mailbox string) (*CopyUIDCode, error) {
	return c.copyMove(ctx, "COPY", true, uids, mailbox)
}

// Move moves messages to a mailbox (RFC 6851, RFC 9051 6.4.8); it
// returns the COPYUID code, which the server sends untagged before the
// expunges. The expunges reach the UnilateralHandler.
func (c *Client) Move(ctx context.Context, seq SeqSet, mailbox string) (*CopyUIDCode, error) {
	return c.copyMove(ctx, "MOVE", false, seq, mailbox)
}

// UIDMove is Move by UID.
func (c *Client) UIDMove(ctx context.Context, uids SeqSet, mailbox string) (*CopyUIDCode, error) {
	return c.copyMove(ctx, "MOVE", true, uids, mailbox)
}

func (c *Client) copyMove(ctx context.Context, name string, uid bool, seq SeqSet, mbox string) (*CopyUIDCode, error) {
	var cu *CopyUIDCode
	st, _, err := c.execute(ctx, &Command{Name: name, UID: uid, Args: &CopyCommand{Seq: seq, Mailbox: c.wireName(mbox)}}, func(r Response) bool {
		if s, ok := r.(*StatusResponse); ok && s.Code == "COPYUID" && cu == nil {
			cu, _ = s.CodeArg.(*CopyUIDCode)
			return true
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	if st.Code == "COPYUID" {
		cu, _ = st.CodeArg.(*CopyUIDCode)
	}
	return cu, nil
}
