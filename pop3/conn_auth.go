package pop3

import (
	"crypto/md5"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/sasl"
)

// plaintextMechs are the SASL mechanisms that carry a password or token
// in the clear.
var plaintextMechs = []string{sasl.Plain, sasl.Login, sasl.OAuthBearer, sasl.XOAuth2}

// secure reports whether secrets may travel in the clear: over TLS, from
// loopback, or when the server allows it.
func (c *conn) secure() bool {
	return c.tlsState != nil || c.srv.AllowInsecureAuth || sasl.AllowPlaintext(c.nc.RemoteAddr().String(), false)
}

// userAllowed reports whether USER/PASS is offered.
func (c *conn) userAllowed() bool {
	return c.srv.Authenticate != nil && c.secure()
}

// mechanisms lists the SASL mechanisms offered on this connection.
func (c *conn) mechanisms() []string {
	var mechs []string
	for m, f := range c.srv.Auth {
		m = strings.ToUpper(m)
		if f == nil || (!c.secure() && slices.Contains(plaintextMechs, m)) {
			continue
		}
		mechs = append(mechs, m)
	}
	slices.Sort(mechs)
	return mechs
}

// cmdCapa answers CAPA (RFC 2449 5.). Capabilities of the AUTHORIZATION
// state are announced in both states.
func (c *conn) cmdCapa(args []string) bool {
	if len(args) != 0 {
		return c.badCommand("Syntax: CAPA")
	}
	c.reply(true, "", "Capability list follows")
	lines := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"}
	if c.userAllowed() {
		lines = append(lines, "USER")
	}
	if mechs := c.mechanisms(); len(mechs) > 0 {
		lines = append(lines, "SASL "+strings.Join(mechs, " "))
	}
	if c.srv.TLSConfig != nil && c.tlsState == nil && c.state == stateAuthorization && !c.utf8 {
		lines = append(lines, "STLS")
	}
	if c.srv.Expire != "" {
		lines = append(lines, "EXPIRE "+c.srv.Expire)
	}
	if d := c.srv.LoginDelay; d > 0 {
		lines = append(lines, "LOGIN-DELAY "+strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	}
	// RFC 6856 2.2: USER says UTF-8 user names and passwords are
	// accepted (and prepared with SASLprep).
	lines = append(lines, "UTF8 USER", "LANG")
	switch impl := c.srv.Implementation; impl {
	case "":
		lines = append(lines, "IMPLEMENTATION postkit")
	case "-":
	default:
		lines = append(lines, "IMPLEMENTATION "+impl)
	}
	for _, l := range lines {
		c.bw.WriteString(l)
		c.bw.WriteString("\r\n")
	}
	c.bw.WriteString(".\r\n")
	return true
}

// cmdUTF8 answers UTF8 (RFC 6856 2.1).
func (c *conn) cmdUTF8(args []string) bool {
	if len(args) != 0 {
		return c.badCommand("Syntax: UTF8")
	}
	c.utf8 = true
	c.reply(true, "", "UTF8 enabled")
	return true
}

// cmdLang answers LANG (RFC 6856 3.). The server speaks English only.
func (c *conn) cmdLang(args []string) bool {
	switch {
	case len(args) == 0:
		c.reply(true, "", "Language listing follows")
		c.bw.WriteString("en English\r\n.\r\n")
	case len(args) > 1:
		return c.badCommand("Syntax: LANG [language-range]")
	case args[0] == "*" || strings.EqualFold(args[0], "en"):
		// RFC 6856 3.2: "+OK", the tag selected, and text.
		c.reply(true, "", "en Language is English")
	default:
		c.reply(false, "", "en Unsupported language")
	}
	return true
}

// cmdSTLS answers STLS (RFC 2595 4.).
func (c *conn) cmdSTLS(args []string) bool {
	switch {
	case c.srv.TLSConfig == nil:
		return c.badCommand("STLS not supported")
	case c.tlsState != nil:
		return c.badCommand("TLS already active")
	case c.utf8:
		// RFC 6856 2.1: no STLS after UTF8.
		return c.badCommand("STLS not allowed after UTF8")
	case len(args) != 0:
		return c.badCommand("Syntax: STLS")
	}
	c.reply(true, "", "Begin TLS negotiation")
	if c.flush() != nil {
		return false
	}
	// Anything the client sent after STLS in the clear must not be taken
	// as sent under TLS (the STARTTLS command injection, CVE-2011-0411).
	c.br.Discard(c.br.Buffered())
	tc := tls.Server(c.nc, c.srv.TLSConfig)
	if !c.handshake(tc) {
		return false
	}
	c.mu.Lock()
	c.nc = tc
	c.mu.Unlock()
	c.br.Reset(tc)
	c.bw.Reset(deadlineWriter{c})
	c.user = ""
	return true
}

// prepare applies SASLprep to a user name or password, as RFC 6856 2.2
// asks of a server that announces "UTF8 USER"; it reports false for a
// string that is not UTF-8 or that SASLprep prohibits.
func prepare(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	p, err := sasl.SASLprep(s)
	if err != nil || p == "" {
		return "", false
	}
	return p, true
}

// cmdUser answers USER (RFC 1939 7.).
func (c *conn) cmdUser(args []string) bool {
	if c.srv.Authenticate == nil {
		return c.badCommand("USER not supported")
	}
	if !c.secure() {
		c.reply(false, CodeAuth, "Plaintext authentication disallowed on insecure connections; use STLS")
		return true
	}
	if len(args) != 1 {
		return c.badCommand("Syntax: USER name")
	}
	name, ok := prepare(args[0])
	if !ok {
		c.reply(false, CodeAuth, "Invalid user name")
		return true
	}
	c.user = name
	// The reply says nothing of whether the mailbox exists.
	c.reply(true, "", "Send PASS")
	return true
}

// cmdPass answers PASS (RFC 1939 7.).
func (c *conn) cmdPass(args []string) bool {
	user := c.user
	c.user = ""
	if user == "" || c.srv.Authenticate == nil {
		return c.badCommand("Send USER first")
	}
	if len(args) != 1 {
		return c.badCommand("Syntax: PASS password")
	}
	pass, ok := prepare(args[0])
	if !ok {
		return c.authFailed(sasl.ErrAuthFailed)
	}
	account, err := c.srv.Authenticate(c.ctx, user, pass)
	if err != nil {
		return c.authFailed(err)
	}
	return c.login(account)
}

// cmdAPOP answers APOP (RFC 1939 7.): the digest is the MD5 of the
// greeting's timestamp and the shared secret, in lower-case hex.
func (c *conn) cmdAPOP(args []string) bool {
	if c.srv.APOPSecret == nil || c.timestamp == "" {
		return c.badCommand("APOP not supported")
	}
	if len(args) != 2 {
		return c.badCommand("Syntax: APOP name digest")
	}
	name, ok := prepare(args[0])
	if !ok {
		return c.authFailed(sasl.ErrAuthFailed)
	}
	secret, err := c.srv.APOPSecret(c.ctx, name)
	if err != nil {
		return c.authFailed(err)
	}
	sum := md5.Sum([]byte(c.timestamp + secret))
	want := hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(args[1]))) != 1 {
		return c.authFailed(sasl.ErrAuthFailed)
	}
	return c.login(name)
}

// cmdAuth answers AUTH (RFC 5034 4.). Without a mechanism it lists the
// mechanisms, as RFC 1734 servers did and clients still ask.
func (c *conn) cmdAuth(args []string) bool {
	mechs := c.mechanisms()
	if len(args) == 0 {
		c.reply(true, "", "Mechanisms follow")
		for _, m := range mechs {
			c.bw.WriteString(m + "\r\n")
		}
		c.bw.WriteString(".\r\n")
		return true
	}
	if len(args) > 2 {
		return c.badCommand("Syntax: AUTH mechanism [initial-response]")
	}
	mech := strings.ToUpper(args[0])
	factory := c.srv.factory(mech)
	if factory == nil {
		return c.badCommand("Unsupported authentication mechanism")
	}
	if !slices.Contains(mechs, mech) {
		c.reply(false, CodeAuth, "Plaintext authentication disallowed on insecure connections; use STLS")
		return true
	}
	srv := factory()
	var resp []byte
	if len(args) == 2 {
		if args[1] == "=" {
			resp = []byte{}
		} else {
			b, err := base64.StdEncoding.DecodeString(args[1])
			if err != nil {
				return c.badCommand("Invalid base64")
			}
			resp = b
		}
	}
	for {
		challenge, done, err := srv.Next(c.ctx, resp)
		if err != nil {
			return c.authFailed(err)
		}
		if done {
			return c.login(srv.Identity())
		}
		// RFC 5034 4.: "+", a space and the base64 challenge, the space
		// there even when the challenge is empty.
		c.bw.WriteString("+ " + base64.StdEncoding.EncodeToString(challenge) + "\r\n")
		if c.flush() != nil {
			return false
		}
		// Waiting for the client's response is as idle as waiting for a
		// command: Shutdown may answer and close.
		if !c.setIdle(c.idleWhileWaiting()) {
			return false
		}
		c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.ReadTimeout, DefaultReadTimeout)))
		line, err := readLine(c.br, maxAuthLine)
		if !c.setIdle(busy) {
			return false
		}
		if errors.Is(err, errLineTooLong) {
			return c.badCommand("Authentication line too long")
		}
		if err != nil {
			return false
		}
		if string(line) == "*" {
			c.reply(false, "", "Authentication cancelled")
			return true
		}
		resp, err = base64.StdEncoding.DecodeString(string(line))
		if err != nil {
			return c.badCommand("Invalid base64")
		}
	}
}

// factory returns the SASL server factory of mech, whatever the case of
// the key in Server.Auth, or nil.
func (s *Server) factory(mech string) sasl.ServerFactory {
	if f := s.Auth[mech]; f != nil {
		return f
	}
	for m, f := range s.Auth {
		if strings.EqualFold(m, mech) {
			return f
		}
	}
	return nil
}

// authFailed answers a failed login; it reports false when the
// connection must close.
func (c *conn) authFailed(err error) bool {
	if !errors.Is(err, sasl.ErrAuthFailed) && !errors.Is(err, sasl.ErrMalformed) &&
		!errors.Is(err, sasl.ErrTooLarge) && !errors.Is(err, sasl.ErrUnexpected) {
		c.log().Error("pop3: authentication", "err", err)
		c.reply(false, CodeSysTemp, "Temporary authentication failure")
		return true
	}
	c.authFailures++
	if c.authFailures >= orDefault(c.srv.MaxAuthFailures, DefaultMaxAuthFailures) {
		c.reply(false, CodeAuth, "Too many authentication failures")
		return false
	}
	d := c.srv.AuthDelay
	if d == 0 {
		d = time.Second
	}
	if d > 0 {
		// The pause is idle time: Shutdown need not wait for it. The
		// answers to commands pipelined before go out first.
		if c.flush() != nil || !c.setIdle(idleReply) {
			return false
		}
		t := time.NewTimer(time.Duration(c.authFailures) * d)
		select {
		case <-t.C:
		case <-c.ctx.Done():
		}
		t.Stop()
		if !c.setIdle(busy) {
			return false
		}
	}
	c.reply(false, CodeAuth, "Authentication failed")
	return true
}

// login opens account's maildrop after a successful authentication and
// enters the TRANSACTION state (RFC 1939 4.). account is the identity
// the authentication returned, and the key of the maildrop lock as it
// is.
func (c *conn) login(account string) bool {
	if account == "" {
		// A backend bug: there is no maildrop to lock or open.
		c.log().Error("pop3: authentication succeeded without an account name")
		c.reply(false, CodeSysTemp, "Unable to open maildrop")
		return true
	}
	now := time.Now()
	if c.srv.tooSoon(account, now) {
		c.reply(false, CodeLoginDelay, "Login attempted too soon after the last login")
		return true
	}
	if !c.srv.lock(account, c) {
		// RFC 1939 8., RFC 2449 8.1.2.
		c.reply(false, CodeInUse, "Maildrop is locked by another session")
		return true
	}
	// From here on closeMaildrop releases the lock and whatever is open,
	// even when the backend panics: the connection's deferred cleanup
	// calls it.
	c.account = account
	acct, err := c.srv.Store.Account(c.ctx, account)
	if err != nil {
		c.closeMaildrop()
		if errors.Is(err, mailbox.ErrNoSuchAccount) {
			c.reply(false, CodeSysPerm, "No maildrop for this user")
			return true
		}
		c.log().Error("pop3: open account", "account", account, "err", err)
		c.reply(false, CodeSysTemp, "Unable to open maildrop")
		return true
	}
	c.acct = acct
	c.mbox, err = acct.Open(c.ctx, mailbox.Inbox, nil)
	if err == nil {
		c.drop, err = loadMaildrop(c.ctx, c.mbox, c.srv.CountSizes)
	}
	if err != nil {
		c.closeMaildrop()
		c.log().Error("pop3: open maildrop", "account", account, "err", err)
		c.reply(false, CodeSysTemp, "Unable to open maildrop")
		return true
	}
	c.srv.recordLogin(account, now)
	c.state = stateTransaction
	c.reply(true, "", account+"'s maildrop has "+c.dropStatus())
	return true
}

// closeMaildrop releases the maildrop without changing it: it closes
// what login opened and gives back the lock, which it does even if
// closing panics.
func (c *conn) closeMaildrop() {
	if c.account == "" {
		return
	}
	account, mbox, acct := c.account, c.mbox, c.acct
	c.account, c.mbox, c.acct, c.drop = "", nil, nil, nil
	defer c.srv.unlock(account, c)
	if mbox != nil {
		defer acctClose(acct)
		mbox.Close()
		return
	}
	acctClose(acct)
}

// acctClose closes acct if it is not nil.
func acctClose(acct mailbox.Account) {
	if acct != nil {
		acct.Close()
	}
}
