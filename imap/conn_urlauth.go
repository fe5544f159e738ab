package imap

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mime"
)

// URLAUTH (RFC 4467) with the one mechanism INTERNAL: the token of a
// URL is the HMAC-SHA256 of its rump (RFC 4467 5, 6) keyed with the
// owner's access key of the mailbox, in hexadecimal.
const urlMechInternal = "INTERNAL"

// urlAuthKeyer returns the session's account as a mailbox.URLAuthKeyer.
func (c *conn) urlAuthKeyer() (mailbox.URLAuthKeyer, bool) {
	k, ok := c.acct.(mailbox.URLAuthKeyer)
	return k, ok
}

// urlAuthCaps lists URLAUTH and URLAUTH=BINARY (RFC 5524) when the
// account keeps mailbox access keys.
func (c *conn) urlAuthCaps() []string {
	if _, ok := c.urlAuthKeyer(); !ok {
		return nil
	}
	return []string{"URLAUTH", "URLAUTH=BINARY"}
}

// sendURLMech sends the untagged OK [URLMECH INTERNAL] of SELECT and
// EXAMINE when URLAUTH is available (RFC 4467 BASE.7.1.URLMECH: "in
// response to a RESETKEY, SELECT, or EXAMINE command"); INTERNAL is
// the one mechanism the server has.
func (c *conn) sendURLMech() {
	if _, ok := c.urlAuthKeyer(); ok {
		c.untaggedOK("URLMECH", urlMechInternal, "URL authorization mechanisms")
	}
}

// hostname is the server's name in URLs.
func (c *conn) hostname() string { return cmp.Or(c.srv.Hostname, "localhost") }

// authURL is a URL with a ";URLAUTH=" component, split as RFC 4467 6
// says.
type authURL struct {
	rump   string // the URL without ":mech:token"
	owner  string // the user of the server component
	host   string // without the port
	access string // "anonymous", "authuser", "user+name", "submit+name"
	mech   string // upper case; "" in a rump
	token  string // lower case hexadecimal; "" in a rump
	expire time.Time
	url    *imapURL
}

// isAuthURL reports whether s carries a URLAUTH component.
func isAuthURL(s string) bool {
	return strings.Contains(upperASCII(s), ";URLAUTH=")
}

// parseAuthURL parses a URLAUTH-authorized URL (full) or its rump (RFC
// 4467 9: authimapurlfull, authimapurlrump). The reason is for BAD.
func parseAuthURL(s string, full bool) (*authURL, string) {
	i := strings.LastIndex(upperASCII(s), ";URLAUTH=")
	if i < 0 {
		return nil, "missing access identifier in supplied URL"
	}
	a := &authURL{rump: s}
	tail := s[i+len(";URLAUTH="):]
	if full {
		// RFC 4467 6: only ":mech:token" is cut off; no decoding or
		// case-folding of the rump.
		parts := strings.Split(tail, ":")
		if len(parts) != 3 {
			return nil, "bad URLAUTH component"
		}
		tail, a.mech, a.token = parts[0], strings.ToUpper(parts[1]), strings.ToLower(parts[2])
		a.rump = s[:len(s)-len(parts[1])-len(parts[2])-2]
		if len(a.token) < 32 {
			return nil, "bad URLAUTH token"
		}
		if _, err := hex.DecodeString(a.token); err != nil {
			return nil, "bad URLAUTH token"
		}
	} else if strings.Contains(tail, ":") {
		return nil, "URL is already authorized"
	}
	if !validAccess(tail) {
		return nil, "missing access identifier in supplied URL"
	}
	a.access = tail
	base := s[:i]
	if j := strings.LastIndex(upperASCII(base), ";EXPIRE="); j >= 0 {
		t, err := time.Parse(time.RFC3339, base[j+len(";EXPIRE="):])
		if err != nil {
			return nil, "bad EXPIRE date-time"
		}
		a.expire, base = t, base[:j]
	}
	user, host, path, ok := splitURLServer(base)
	if !ok {
		return nil, "missing owner username in supplied URL"
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	a.owner, a.host = user, host
	if a.url, ok = parseURLPath(path); !ok {
		return nil, "URL does not name a message or a part of one"
	}
	return a, ""
}

// upperASCII upper-cases the ASCII letters of s only, so that indexes
// in the result are indexes in s (strings.ToUpper may change the
// length of non-ASCII and invalid UTF-8).
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// validAccess checks an access identifier (RFC 4467 9: access).
func validAccess(s string) bool {
	l := strings.ToLower(s)
	switch {
	case l == "anonymous", l == "authuser":
		return true
	case strings.HasPrefix(l, "user+"):
		return len(s) > len("user+")
	case strings.HasPrefix(l, "submit+"):
		return len(s) > len("submit+")
	}
	return false
}

// accessUser returns the percent-decoded user of a "user+" or
// "submit+" access identifier.
func accessUser(access, prefix string) string {
	u, err := url.PathUnescape(access[len(prefix):])
	if err != nil {
		return ""
	}
	return u
}

// mayUse reports whether the session may use a URL with the access
// identifier access (RFC 4467 3).
func (c *conn) mayUse(access string) bool {
	l := strings.ToLower(access)
	switch {
	case l == "anonymous":
		return true
	case l == "authuser":
		// Every session that can send URLFETCH is logged in.
		return c.identity != ""
	case strings.HasPrefix(l, "user+"):
		return accessUser(access, "user+") == c.identity
	case strings.HasPrefix(l, "submit+"):
		user := accessUser(access, "submit+")
		if user == "" {
			return false
		}
		if c.srv.SubmitURLAuth != nil {
			return c.srv.SubmitURLAuth(c.identity, user)
		}
		return user == c.identity
	}
	return false
}

// urlToken computes the INTERNAL token of a rump URL.
func urlToken(key []byte, rump string) string {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, rump)
	return hex.EncodeToString(m.Sum(nil))
}

// ownerAccount returns the account of user: the session's own, or an
// existing one opened for the caller to release. Another user's account
// is opened only through mailbox.AccountFinder, so that URLs naming
// made-up users cannot make the store create accounts.
func (c *conn) ownerAccount(user string) (mailbox.Account, func(), bool) {
	if user == c.identity {
		return c.acct, func() {}, true
	}
	finder, ok := c.srv.Store.(mailbox.AccountFinder)
	if !ok {
		return nil, nil, false
	}
	acct, err := finder.FindAccount(c.ctx, user)
	if err != nil {
		return nil, nil, false
	}
	return acct, func() { acct.Close() }, true
}

// authorizeURL validates a URLAUTH-authorized URL for this session
// (RFC 4467 6) and returns what it names with the owner's account, to
// be released by the caller.
func (c *conn) authorizeURL(raw string) (*imapURL, mailbox.Account, func(), bool) {
	a, _ := parseAuthURL(raw, true)
	if a == nil || a.mech != urlMechInternal || !strings.EqualFold(a.host, c.hostname()) {
		return nil, nil, nil, false
	}
	// RFC 4467 3: past EXPIRE the URL MUST be rejected.
	if !a.expire.IsZero() && !time.Now().Before(a.expire) {
		return nil, nil, nil, false
	}
	if !c.mayUse(a.access) {
		return nil, nil, nil, false
	}
	var key []byte
	acct, release, ok := c.ownerAccount(a.owner)
	if ok {
		if k, isKeyer := acct.(mailbox.URLAuthKeyer); isKeyer {
			key, _ = k.URLAuthKey(c.ctx, a.url.mailbox, false)
		}
	}
	valid := key != nil
	if !valid {
		// RFC 4467 6: a token is computed all the same, so that the
		// time taken does not tell which mailboxes exist.
		key = mailbox.NewURLAuthKey()
	}
	want := urlToken(key, a.rump)
	if !hmac.Equal([]byte(want), []byte(a.token)) || !valid {
		if ok {
			release()
		}
		return nil, nil, nil, false
	}
	return a.url, acct, release, true
}

// cmdResetKey answers RESETKEY (RFC 4467 7).
func (c *conn) cmdResetKey(cmd *Command) bool {
	args := cmd.Args.(*ResetKeyCommand)
	k, ok := c.urlAuthKeyer()
	if !ok {
		return c.bad(cmd.Tag, "", "URLAUTH not supported")
	}
	for _, m := range args.Mechanisms {
		if m != urlMechInternal {
			return c.bad(cmd.Tag, "", "Unknown URL authorization mechanism")
		}
	}
	if !args.Named {
		if err := k.ResetURLAuthKey(c.ctx, ""); err != nil {
			return c.fail(cmd, err)
		}
		c.noteKeyReset("")
		c.tagged(cmd.Tag, StatusOK, "", nil, "All keys removed")
		return true
	}
	name, err := c.mailboxName(args.Mailbox)
	if err == nil {
		err = k.ResetURLAuthKey(c.ctx, name)
	}
	if err != nil {
		return c.fail(cmd, err)
	}
	c.noteKeyReset(name)
	c.tagged(cmd.Tag, StatusOK, "URLMECH", urlMechInternal, "RESETKEY completed")
	return true
}

// cmdGenURLAuth answers GENURLAUTH (RFC 4467 7): each URL must name
// the session's user, this server, a mailbox of the account and a
// valid access identifier, or the command fails with BAD.
func (c *conn) cmdGenURLAuth(cmd *Command) bool {
	args := cmd.Args.(*GenURLAuthCommand)
	k, ok := c.urlAuthKeyer()
	if !ok {
		return c.bad(cmd.Tag, "", "URLAUTH not supported")
	}
	out := make([]string, 0, len(args.URLs))
	for _, g := range args.URLs {
		if g.Mechanism != urlMechInternal {
			return c.bad(cmd.Tag, "", "Unknown URL authorization mechanism")
		}
		a, why := parseAuthURL(g.URL, false)
		if a == nil {
			return c.bad(cmd.Tag, "", why)
		}
		if a.owner != c.identity {
			return c.bad(cmd.Tag, "", "URL names another user")
		}
		if !strings.EqualFold(a.host, c.hostname()) {
			return c.bad(cmd.Tag, "", "URL names another server")
		}
		key, err := k.URLAuthKey(c.ctx, a.url.mailbox, true)
		if err != nil || key == nil {
			return c.bad(cmd.Tag, "", "URL names no mailbox of this user")
		}
		out = append(out, a.rump+":internal:"+urlToken(key, a.rump))
	}
	e := c.enc
	e.begin()
	e.Raw("* GENURLAUTH")
	for _, u := range out {
		e.SP().String(u)
	}
	if e.CRLF().Err() != nil {
		c.broken = true
		return false
	}
	c.tagged(cmd.Tag, StatusOK, "", nil, "GENURLAUTH completed")
	return true
}

// cmdURLFetch answers URLFETCH (RFC 4467 7) with the metadata of RFC
// 5524 3: one untagged URLFETCH, NIL for each URL that is not valid
// for the session, whatever the reason.
func (c *conn) cmdURLFetch(cmd *Command) bool {
	args := cmd.Args.(*URLFetchCommand)
	if _, ok := c.urlAuthKeyer(); !ok {
		return c.bad(cmd.Tag, "", "URLAUTH not supported")
	}
	for _, a := range args.URLs {
		var binary, body bool
		for i, p := range a.Params {
			if slices.Contains(a.Params[:i], p) {
				// RFC 5524 3.1: each item at most once per URL.
				return c.bad(cmd.Tag, "", "URLFETCH parameter "+p+" given twice")
			}
			switch p {
			case "BODYPARTSTRUCTURE":
			case "BINARY":
				binary = true
			case "BODY":
				body = true
			default:
				return c.bad(cmd.Tag, "", "Unknown URLFETCH parameter "+p)
			}
		}
		if binary && body {
			// RFC 5524 3: BINARY and BODY exclude each other.
			return c.bad(cmd.Tag, "", "BINARY and BODY together")
		}
	}
	e := c.enc
	e.begin()
	e.Raw("* URLFETCH")
	for _, a := range args.URLs {
		e.SP().String(a.URL)
		c.urlFetchOne(a)
		if e.Err() != nil {
			break
		}
	}
	if e.CRLF().Err() != nil {
		c.broken = true
		return false
	}
	c.tagged(cmd.Tag, StatusOK, "", nil, "URLFETCH completed")
	return true
}

// urlFetchOne writes what follows one URL in the URLFETCH response.
func (c *conn) urlFetchOne(a URLFetchArg) {
	e := c.enc
	if !isAuthURL(a.URL) {
		e.SP().NIL()
		return
	}
	u, acct, release, ok := c.authorizeURL(a.URL)
	if !ok {
		e.SP().NIL()
		return
	}
	defer release()
	body, closer, ok := c.urlMessage(acct, u)
	if !ok {
		e.SP().NIL()
		return
	}
	defer closer()
	if len(a.Params) == 0 {
		r, size, ok := urlSection(body, u)
		if !ok {
			e.SP().NIL()
			return
		}
		e.SP().Literal(nulTo80{r}, size, false) // no NUL in a literal: see nulTo80
		return
	}
	// RFC 5524 3: the metadata of the part, each in parentheses.
	spec, ok := urlSpec(u)
	if !ok {
		e.SP().NIL()
		return
	}
	root, err := mailbox.ReadStructure(body)
	if err != nil {
		e.SP().NIL()
		return
	}
	for _, p := range a.Params {
		e.SP().Raw("(").Raw(p).SP()
		switch p {
		case "BODYPARTSTRUCTURE":
			ent := urlEntity(root, spec)
			if ent == nil {
				e.NIL()
			} else {
				e.BodyStructure(BodyStructureOf(ent, true), true)
			}
		case "BODY":
			if r, size, ok := urlSection(body, u); ok {
				e.Literal(nulTo80{r}, size, false)
			} else {
				e.NIL()
			}
		case "BINARY":
			c.urlBinary(body, root, spec, u)
		}
		e.Raw(")")
	}
}

// urlEntity returns the part a section without specifier names, nil
// for one with a specifier (HEADER, TEXT, MIME have no structure of
// their own).
func urlEntity(root *mime.Entity, spec mailbox.SectionSpec) *mime.Entity {
	if spec.Specifier != "" {
		return nil
	}
	if len(spec.Part) == 0 {
		return root
	}
	path := make([]string, len(spec.Part))
	for i, p := range spec.Part {
		path[i] = strconv.Itoa(p)
	}
	want := strings.Join(path, ".")
	var found *mime.Entity
	root.Walk(func(e *mime.Entity) error {
		if found == nil && e.Path == want {
			found = e
		}
		return nil
	})
	return found
}

// urlBinary writes the decoded content of a part (RFC 5524 3, RFC 3516
// BINARY): a literal8 when it holds a NUL, NIL when it cannot be
// decoded.
func (c *conn) urlBinary(body mailbox.Body, root *mime.Entity, spec mailbox.SectionSpec, u *imapURL) {
	e := c.enc
	if spec.Specifier != "" {
		e.NIL()
		return
	}
	sec := &Section{}
	for _, p := range spec.Part {
		sec.Part = append(sec.Part, uint32(p))
	}
	src, err := binarySection(body, root, sec)
	if err != nil || src == nil {
		e.NIL()
		return
	}
	size, nul, err := src.size()
	if err != nil {
		e.NIL()
		return
	}
	r, err := src.open()
	if err != nil {
		e.NIL()
		return
	}
	r, size, ok := urlPartial(r, size, u.partial)
	if !ok {
		e.NIL()
		return
	}
	if nul && u.partial != nil {
		// Whether the range holds a NUL too: one more decoding pass.
		if nr, err := src.open(); err == nil {
			if _, err := io.CopyN(io.Discard, nr, int64(u.partial.Offset)); err == nil {
				nul = hasNUL(io.LimitReader(nr, size))
			}
		}
	}
	e.Literal(r, size, nul)
}

// hasNUL reports whether r holds a NUL octet.
func hasNUL(r io.Reader) bool {
	var buf [4096]byte
	for {
		n, err := r.Read(buf[:])
		if bytes.IndexByte(buf[:n], 0) >= 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// keyResets records the RESETKEYs of one user (RFC 4467 6.3: "any
// current IMAP session logged in as the user that has the mailbox
// selected will receive an untagged OK response with the URLMECH
// status response code"). Each RESETKEY takes the next generation;
// names maps a mailbox to the generation of its last reset, and all
// is that of the last reset of every key. A session remembers the
// generation it has seen and, at its next update, says URLMECH when a
// reset since then concerns its selected mailbox.
type keyResets struct {
	mu    sync.Mutex
	gen   uint64
	all   uint64
	names map[string]uint64
}

// keyResetsOf returns the RESETKEY record of the user identity.
func (s *Server) keyResetsOf(identity string) *keyResets {
	v, _ := s.resets.LoadOrStore(identity, &keyResets{})
	return v.(*keyResets)
}

// noteKeyReset records a RESETKEY of the session's user: of the
// mailbox name, or of every key when name is "". The session itself is
// told in its tagged OK.
func (c *conn) noteKeyReset(name string) {
	// The resets of other sessions before this one are told first: this
	// one marks them seen.
	c.checkKeyResets()
	r := c.srv.keyResetsOf(c.identity)
	r.mu.Lock()
	r.gen++
	if name == "" {
		r.all = r.gen
	} else {
		if r.names == nil {
			r.names = make(map[string]uint64)
		}
		r.names[name] = r.gen
	}
	c.keyGen = r.gen
	r.mu.Unlock()
}

// seeKeyResets notes that the session has seen every RESETKEY so far
// (at login, and at SELECT, which sends URLMECH anyway).
func (c *conn) seeKeyResets() {
	if c.identity == "" {
		return
	}
	// A user who never reset a key has no record (generation 0): only
	// RESETKEY makes one, so that logins do not grow the map.
	v, ok := c.srv.resets.Load(c.identity)
	if !ok {
		c.keyGen = 0
		return
	}
	r := v.(*keyResets)
	r.mu.Lock()
	c.keyGen = r.gen
	r.mu.Unlock()
}

// checkKeyResets sends URLMECH when another session of the user reset
// the key of the selected mailbox, or every key, since this session
// last looked.
func (c *conn) checkKeyResets() {
	if c.sel == nil || c.identity == "" {
		return
	}
	v, ok := c.srv.resets.Load(c.identity)
	if !ok {
		return
	}
	r := v.(*keyResets)
	r.mu.Lock()
	seen := c.keyGen
	c.keyGen = r.gen
	tell := r.gen != seen && (r.all > seen || r.names[c.sel.name] > seen)
	r.mu.Unlock()
	if tell {
		c.sendURLMech()
	}
}
