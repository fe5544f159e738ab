package imap

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/sasl"
)

// capabilities lists what the server offers in the connection's state
// (RFC 9051 7.2.2).
func (c *conn) capabilities() []string {
	caps := []string{"IMAP4rev1", "IMAP4rev2"}
	if c.state == stateNotAuth {
		if c.srv.TLSConfig != nil && c.tlsState == nil {
			caps = append(caps, "STARTTLS")
		}
		if c.authAllowed() {
			mechs := make([]string, 0, len(c.srv.Auth))
			for m, f := range c.srv.Auth {
				if f != nil {
					mechs = append(mechs, "AUTH="+strings.ToUpper(m))
				}
			}
			slices.Sort(mechs)
			caps = append(caps, mechs...)
		}
		if c.srv.Authenticate == nil || !c.authAllowed() {
			// RFC 9051 6.2.3: LOGIN is refused.
			caps = append(caps, "LOGINDISABLED")
		}
	}
	caps = append(caps,
		"LITERAL+", "SASL-IR", "ENABLE", "IDLE", "UIDPLUS", "MOVE", "NAMESPACE",
		"ID", "UNSELECT", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS",
		"ESEARCH", "SEARCHRES", "STATUS=SIZE", "UTF8=ACCEPT", "CONDSTORE", "QRESYNC",
		"COMPRESS=DEFLATE",
		"APPENDLIMIT="+strconv.FormatInt(c.srv.maxAppendBytes(), 10))
	caps = append(caps, "SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "ESORT", "WITHIN", "CONTEXT=SEARCH", "CONTEXT=SORT")
	caps = append(caps, "MULTIAPPEND", "REPLACE", "CREATE-SPECIAL-USE", "PREVIEW", "SAVEDATE", "OBJECTID") // smallext: RFC 3502, 8508, 8514, 8474, 8970, 6154
	caps = append(caps, "CATENATE")
	// RFC 3516 4.1: FETCH BINARY[] and BINARY.SIZE, literal8 in APPEND.
	// IMAP4rev2 has them (RFC 9051 6.4.5); IMAP4rev1 clients look for
	// BINARY.
	caps = append(caps, "BINARY")
	caps = append(caps, c.urlAuthCaps()...) // RFC 4467, RFC 5524
	caps = append(caps, c.notifyCaps()...)  // RFC 5465, for accounts that can be watched
	caps = append(caps, c.storeCaps()...)
	return caps
}

// authAllowed reports whether credentials may be sent on this
// connection: over TLS, from loopback, or with AllowInsecureAuth.
func (c *conn) authAllowed() bool {
	if c.tlsState != nil || c.srv.AllowInsecureAuth {
		return true
	}
	return sasl.AllowPlaintext(c.nc.RemoteAddr().String(), false)
}

// cmdID answers ID (RFC 2971 3.1).
func (c *conn) cmdID(cmd *Command) bool {
	c.write(&IDData{Params: []IDParam{{Name: "name", Value: "postkit"}}})
	return c.done(cmd, true)
}

// cmdStartTLS answers STARTTLS (RFC 9051 6.2.1).
func (c *conn) cmdStartTLS(cmd *Command) bool {
	if c.srv.TLSConfig == nil || c.tlsState != nil {
		return c.bad(cmd.Tag, "", "STARTTLS not available")
	}
	c.tagged(cmd.Tag, StatusOK, "", nil, "Begin TLS negotiation now")
	if c.flush() != nil {
		return false
	}
	// Whatever the client sent after STARTTLS in the clear must not be
	// taken as sent under TLS (RFC 9051 6.2.1, CVE-2011-0411).
	c.br.Discard(c.br.Buffered())
	c.mu.Lock()
	tc := tls.Server(c.nc, c.srv.TLSConfig)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, orDefault(c.srv.LoginTimeout, DefaultLoginTimeout))
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		c.log().Info("imap: TLS handshake", "err", err)
		return false
	}
	c.setConn(tc)
	st := tc.ConnectionState()
	c.tlsState = &st
	c.br.Reset(deadlineReader{c})
	return true
}

// cmdLogin answers LOGIN (RFC 9051 6.2.3).
func (c *conn) cmdLogin(cmd *Command) bool {
	args := cmd.Args.(*LoginCommand)
	if c.srv.Authenticate == nil {
		c.tagged(cmd.Tag, StatusNO, "CANNOT", nil, "LOGIN is disabled")
		return true
	}
	if !c.authAllowed() {
		c.tagged(cmd.Tag, StatusNO, "PRIVACYREQUIRED", nil, "LOGIN needs TLS")
		return true
	}
	id, err := c.srv.Authenticate(c.ctx, args.Username, args.Password)
	if err != nil {
		return c.authFailed(cmd, err)
	}
	return c.loggedIn(cmd, id)
}

// cmdAuthenticate answers AUTHENTICATE (RFC 9051 6.2.2) with the
// initial response of SASL-IR (RFC 4959).
func (c *conn) cmdAuthenticate(cmd *Command) bool {
	args := cmd.Args.(*AuthenticateCommand)
	factory := c.srv.Auth[args.Mechanism]
	if factory == nil {
		for m, f := range c.srv.Auth {
			if strings.EqualFold(m, args.Mechanism) {
				factory = f
			}
		}
	}
	if factory == nil {
		c.tagged(cmd.Tag, StatusNO, "CANNOT", nil, "Unsupported authentication mechanism")
		return true
	}
	if !c.authAllowed() {
		c.tagged(cmd.Tag, StatusNO, "PRIVACYREQUIRED", nil, "AUTHENTICATE needs TLS")
		return true
	}
	srv := factory()
	resp := args.InitialResponse
	for {
		challenge, done, err := srv.Next(c.ctx, resp)
		if err != nil {
			return c.authFailed(cmd, err)
		}
		if done {
			return c.loggedIn(cmd, srv.Identity())
		}
		// RFC 9051 7.6: the challenge in base64, "+ " even when empty.
		c.write(&ContinuationRequest{Text: base64.StdEncoding.EncodeToString(challenge)})
		if c.flush() != nil {
			return false
		}
		line, err := c.dec.Line()
		if err != nil {
			if IsFatal(err) {
				return false
			}
			return c.bad(cmd.Tag, "", "Invalid authentication response")
		}
		if line == "*" {
			// RFC 9051 6.2.2: the client cancelled.
			return c.bad(cmd.Tag, "", "Authentication cancelled")
		}
		resp, err = base64.StdEncoding.DecodeString(line)
		if err != nil {
			return c.bad(cmd.Tag, "", "Invalid base64")
		}
		if resp == nil {
			resp = []byte{}
		}
	}
}

// authFailed answers a failed login, with a delay growing with the
// failures; it reports false when there were too many.
func (c *conn) authFailed(cmd *Command, err error) bool {
	if !errors.Is(err, sasl.ErrAuthFailed) && !errors.Is(err, sasl.ErrMalformed) &&
		!errors.Is(err, sasl.ErrTooLarge) && !errors.Is(err, sasl.ErrUnexpected) {
		c.log().Error("imap: authentication", "err", err)
		c.tagged(cmd.Tag, StatusNO, "UNAVAILABLE", nil, "Authentication temporarily unavailable")
		return true
	}
	c.authFailures++
	if c.authFailures >= orDefault(c.srv.MaxAuthFailures, DefaultMaxAuthFailures) {
		c.tagged(cmd.Tag, StatusNO, "AUTHENTICATIONFAILED", nil, "Authentication failed")
		c.bye("* BYE Too many authentication failures\r\n")
		return false
	}
	d := c.srv.AuthDelay
	if d == 0 {
		d = time.Second
	}
	if d > 0 {
		select {
		case <-time.After(time.Duration(c.authFailures) * d):
		case <-c.ctx.Done():
		}
	}
	if errors.Is(err, sasl.ErrAuthFailed) {
		c.tagged(cmd.Tag, StatusNO, "AUTHENTICATIONFAILED", nil, "Authentication failed")
	} else {
		c.tagged(cmd.Tag, StatusBAD, "", nil, "Authentication exchange failed")
	}
	return true
}

// loggedIn opens the account of identity and enters the authenticated
// state (RFC 9051 6.2.2: OK with the new capabilities).
func (c *conn) loggedIn(cmd *Command, identity string) bool {
	acct, err := c.srv.Store.Account(c.ctx, identity)
	if err != nil {
		if errors.Is(err, mailbox.ErrNoSuchAccount) {
			return c.authFailed(cmd, sasl.ErrAuthFailed)
		}
		c.log().Error("imap: opening account", "identity", identity, "err", err)
		c.tagged(cmd.Tag, StatusNO, "UNAVAILABLE", nil, "Account unavailable")
		return true
	}
	c.identity, c.acct = identity, acct
	c.seeKeyResets()
	c.setState(stateAuth)
	c.tagged(cmd.Tag, StatusOK, "CAPABILITY", c.capabilities(), cmd.Name+" completed")
	return true
}

// cmdEnable answers ENABLE (RFC 5161, RFC 9051 6.3.1): IMAP4rev2,
// CONDSTORE (RFC 7162 3.1), QRESYNC (RFC 7162 3.2.3, which enables
// CONDSTORE too), UTF8=ACCEPT (RFC 6855 3), and METADATA and
// METADATA-SERVER (RFC 5464 3, unsolicited METADATA) when the account
// keeps annotations can be enabled; others are ignored.
func (c *conn) cmdEnable(cmd *Command) bool {
	args := cmd.Args.(*EnableCommand)
	if c.sel != nil {
		// RFC 6855 3, RFC 9051 6.3.1: only in the authenticated state.
		// They change how mailbox names go on the wire, which the
		// selected mailbox's name went in already; the other
		// extensions are taken in the selected state too (RFC 5161
		// 3.1 lets a server not check).
		for _, cp := range args.Caps {
			if strings.EqualFold(cp, "UTF8=ACCEPT") && !c.utf8Accept || strings.EqualFold(cp, "IMAP4rev2") && !c.rev2 {
				return c.bad(cmd.Tag, "", "ENABLE "+strings.ToUpper(cp)+" only before SELECT")
			}
		}
	}
	var enabled []string
	condStore := c.condStore
	if c.sel != nil && !c.condStore {
		for _, cp := range args.Caps {
			if strings.EqualFold(cp, "CONDSTORE") || strings.EqualFold(cp, "QRESYNC") {
				// RFC 7162 3.2: report what changed before the
				// HIGHESTMODSEQ that covers it, so that a client cut
				// off after it loses nothing.
				if !c.update(true) {
					return false
				}
				break
			}
		}
	}
	for _, cp := range args.Caps {
		if strings.EqualFold(cp, "QRESYNC") && !c.qresync {
			c.qresync = true
			c.enableCondStore(false)
			enabled = append(enabled, "QRESYNC")
		}
		if strings.EqualFold(cp, "IMAP4rev2") && !c.rev2 {
			c.rev2 = true
			c.enc.UTF8 = true
			enabled = append(enabled, "IMAP4rev2")
		}
		if strings.EqualFold(cp, "CONDSTORE") && !condStore {
			condStore = true
			c.enableCondStore(false)
			enabled = append(enabled, "CONDSTORE")
		}
		if strings.EqualFold(cp, "METADATA") || strings.EqualFold(cp, "METADATA-SERVER") {
			// RFC 5464 3: unsolicited METADATA (conn_metadata.go).
			if up := strings.ToUpper(cp); c.enableMetadata(up) {
				enabled = append(enabled, up)
			}
		}
		if strings.EqualFold(cp, "UTF8=ACCEPT") && !c.utf8Accept {
			c.utf8Accept = true
			c.enc.UTF8 = true
			enabled = append(enabled, "UTF8=ACCEPT")
		}
	}
	c.write(&EnabledData{Caps: enabled})
	return c.done(cmd, true)
}
