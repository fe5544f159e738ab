package smtp

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/postkit/postkit/sasl"
)

func (c *Conn) authAllowed() bool {
	if len(c.srv.Auth) == 0 || c.authID != "" {
		return false
	}
	if c.tlsState != nil || c.srv.AllowInsecureAuth {
		return true
	}
	return sasl.AllowPlaintext(c.RemoteAddr().String(), false)
}

// startTLS answers STARTTLS (RFC 3207 4.).
func (c *Conn) startTLS(args string) bool {
	if c.srv.TLSConfig == nil {
		return c.badCommand(502, EnhancedCode{5, 5, 1}, "STARTTLS not supported")
	}
	if c.tlsState != nil {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "TLS already active")
	}
	if args != "" {
		return c.badCommand(501, EnhancedCode{5, 5, 4}, "Syntax: STARTTLS")
	}
	if c.inTx {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "STARTTLS inside a transaction")
	}
	c.reply(220, EnhancedCode{2, 0, 0}, "Ready to start TLS")
	if c.flush() != nil {
		return false
	}
	// Anything the client sent after STARTTLS in the clear must not be
	// taken as sent under TLS (CVE-2011-0411).
	c.br.Discard(c.br.Buffered())
	tc := tls.Server(c.nc, c.srv.TLSConfig)
	ctx, cancel := context.WithTimeout(c.ctx, orDefault(c.srv.ReadTimeout, DefaultReadTimeout))
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		c.log().Error("smtp: TLS handshake", "err", err)
		return false
	}
	c.mu.Lock()
	c.nc = tc
	c.mu.Unlock()
	st := tc.ConnectionState()
	c.tlsState = &st
	c.br.Reset(dataReader{c})
	c.bw.Reset(tc)
	// RFC 3207 4.2: forget what the client said before.
	c.resetTx()
	c.helo, c.ehlo, c.authID = "", false, ""
	return true
}

// auth answers AUTH (RFC 4954 4.).
func (c *Conn) auth(args string) bool {
	if !c.ehlo {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Send EHLO first")
	}
	if c.authID != "" {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "Already authenticated")
	}
	if c.inTx {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "AUTH not permitted during a transaction")
	}
	if !c.authAllowed() {
		return c.badCommand(502, EnhancedCode{5, 5, 1}, "AUTH not available")
	}
	mech, ir, hasIR := strings.Cut(args, " ")
	mech = strings.ToUpper(mech)
	factory, ok := c.srv.Auth[mech]
	if !ok || factory == nil {
		return c.badCommand(504, EnhancedCode{5, 5, 4}, "Unrecognized authentication type")
	}
	srv := factory()
	var resp []byte
	if hasIR {
		ir = strings.TrimSpace(ir)
		if ir != "=" {
			b, err := decodeSASLResponse(ir)
			if err != nil {
				return c.badCommand(501, EnhancedCode{5, 5, 2}, "Invalid base64")
			}
			resp = b
		} else {
			resp = []byte{}
		}
	}
	maxLine := (sasl.MaxMessageSize/3+1)*4 + 2
	for {
		challenge, done, err := srv.Next(c.ctx, resp)
		if err != nil {
			return c.authFailed(err)
		}
		if done {
			c.authID = srv.Identity()
			c.reply(235, EnhancedCode{2, 7, 0}, "Authentication successful")
			return true
		}
		// RFC 4954 4.: "334", a space and the base64 challenge, the
		// space there even when the challenge is empty.
		c.bw.WriteString("334 " + encodeSASLChallenge(challenge) + "\r\n")
		if c.flush() != nil {
			return false
		}
		c.nc.SetReadDeadline(time.Now().Add(orDefault(c.srv.ReadTimeout, DefaultReadTimeout)))
		line, err := c.readLine(maxLine)
		if errors.Is(err, errLineTooLong) {
			return c.badCommand(500, EnhancedCode{5, 5, 6}, "Authentication exchange line is too long")
		}
		if err != nil {
			return false
		}
		if string(line) == "*" {
			return c.badCommand(501, EnhancedCode{5, 0, 0}, "Authentication cancelled")
		}
		resp, err = decodeSASLResponse(string(line))
		if err != nil {
			return c.badCommand(501, EnhancedCode{5, 5, 2}, "Invalid base64")
		}
		if resp == nil {
			resp = []byte{}
		}
	}
}

func (c *Conn) authFailed(err error) bool {
	if !errors.Is(err, sasl.ErrAuthFailed) && !errors.Is(err, sasl.ErrMalformed) &&
		!errors.Is(err, sasl.ErrTooLarge) && !errors.Is(err, sasl.ErrUnexpected) {
		c.log().Error("smtp: authentication", "err", err)
		c.reply(454, EnhancedCode{4, 7, 0}, "Temporary authentication failure")
		return true
	}
	c.authFailures++
	if c.authFailures >= orDefault(c.srv.MaxAuthFailures, DefaultMaxAuthFailures) {
		c.reply(421, EnhancedCode{4, 7, 0}, c.srv.hostname()+" Too many authentication failures")
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
		c.reply(535, EnhancedCode{5, 7, 8}, "Authentication credentials invalid")
	} else {
		c.reply(501, EnhancedCode{5, 5, 2}, fmt.Sprint("Authentication exchange failed: ", err))
	}
	return true
}

// decodeSASLResponse decodes a SASL response (RFC 4954 4.: base64 of RFC 4648 4.).
func decodeSASLResponse(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(s)
}

// encodeSASLChallenge encodes a SASL challenge.
func encodeSASLChallenge(b []byte) string {
	return base64.StdEncoding.EncodeToString(b)
}
