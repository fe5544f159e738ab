package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/sasl"
)

// An account is one local user: the full address is the login name and the
// name of the account in the mail store.
type account struct {
	addr string // lower case, "user@domain"
	salt []byte
	hash [sha256.Size]byte
}

// users holds the accounts given on the command line. Passwords are kept only
// as salted SHA-256 hashes in memory; this is a demonstration server, not a
// password database (a real one would use a slow hash such as argon2id).
type users struct {
	domain string
	byAddr map[string]*account
	order  []string // addresses in the order given, for the banner
}

func newUsers(domain string) *users {
	return &users{domain: strings.ToLower(domain), byAddr: make(map[string]*account)}
}

// add registers addr with password. addr must be in the local domain.
func (u *users) add(addr, password string) error {
	addr = strings.ToLower(strings.TrimSpace(addr))
	local, dom, ok := strings.Cut(addr, "@")
	if !ok || local == "" || strings.Contains(dom, "@") {
		return fmt.Errorf("user %q: want a full address, local@%s", addr, u.domain)
	}
	if dom != u.domain {
		return fmt.Errorf("user %q: not in the local domain %s", addr, u.domain)
	}
	if !maildir.ValidUser(addr) || strings.ContainsAny(addr, " \t<>\"") {
		return fmt.Errorf("user %q: invalid address", addr)
	}
	if password == "" {
		return fmt.Errorf("user %q: empty password", addr)
	}
	if _, dup := u.byAddr[addr]; dup {
		return fmt.Errorf("user %q given twice", addr)
	}
	a := &account{addr: addr, salt: make([]byte, 16)}
	if _, err := rand.Read(a.salt); err != nil {
		return err
	}
	a.hash = hashPassword(a.salt, password)
	u.byAddr[addr] = a
	u.order = append(u.order, addr)
	return nil
}

func hashPassword(salt []byte, password string) [sha256.Size]byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(password))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// lookup returns the account of a local address (any case), or nil.
func (u *users) lookup(addr string) *account {
	return u.byAddr[strings.ToLower(addr)]
}

// local reports whether addr is in the local domain.
func (u *users) local(addr string) bool {
	i := strings.LastIndexByte(addr, '@')
	return i >= 0 && strings.EqualFold(addr[i+1:], u.domain)
}

// postmaster returns the account that receives mail for postmaster: the first
// one given (RFC 5321 4.5.1 requires the mailbox).
func (u *users) postmaster() string {
	if len(u.order) == 0 {
		return ""
	}
	return u.order[0]
}

// resolve maps a recipient of the local domain to an account name: "" if
// there is no such user. "Postmaster" (RFC 5321 4.1.1.3) and postmaster@domain
// reach the postmaster.
func (u *users) resolve(rcpt string) string {
	if strings.EqualFold(rcpt, "postmaster") || strings.EqualFold(rcpt, "postmaster@"+u.domain) {
		return u.postmaster()
	}
	if a := u.lookup(rcpt); a != nil {
		return a.addr
	}
	return ""
}

// check verifies a login. It spends the same time on unknown users as on
// wrong passwords, and returns an error wrapping sasl.ErrAuthFailed for both.
func (u *users) check(user, password string) (string, error) {
	a := u.lookup(user)
	salt := []byte("postkit-no-such-user")
	if a != nil {
		salt = a.salt
	}
	sum := hashPassword(salt, password)
	if a == nil {
		return "", fmt.Errorf("unknown user: %w", sasl.ErrAuthFailed)
	}
	if subtle.ConstantTimeCompare(sum[:], a.hash[:]) != 1 {
		return "", fmt.Errorf("wrong password: %w", sasl.ErrAuthFailed)
	}
	return a.addr, nil
}

// authenticate has the shape of the IMAP and POP3 servers' Authenticate.
func (u *users) authenticate(_ context.Context, user, pass string) (string, error) {
	return u.check(user, pass)
}

// plain is the credential check of the PLAIN and LOGIN mechanisms: the
// authorization identity, if given, must be the user itself.
func (u *users) plain(_ context.Context, identity, user, pass string) (string, error) {
	addr, err := u.check(user, pass)
	if err != nil {
		return "", err
	}
	if identity != "" && !strings.EqualFold(identity, addr) {
		return "", fmt.Errorf("%s may not act as %s: %w", addr, identity, sasl.ErrAuthFailed)
	}
	return addr, nil
}

// saslServers returns the mechanisms the three protocols offer.
func (u *users) saslServers() map[string]sasl.ServerFactory {
	return map[string]sasl.ServerFactory{
		"PLAIN": func() sasl.Server { return sasl.NewPlainServer(u.plain) },
		"LOGIN": func() sasl.Server { return sasl.NewLoginServer(u.plain) },
	}
}

// addresses returns the accounts in the order given.
func (u *users) addresses() []string {
	out := append([]string(nil), u.order...)
	if len(out) == 0 {
		for a := range u.byAddr {
			out = append(out, a)
		}
		sort.Strings(out)
	}
	return out
}

// demoPassword returns the demo account's password, kept in dataDir so that a
// restart keeps it, and whether it was made now.
func demoPassword(dataDir string) (string, bool, error) {
	path := filepath.Join(dataDir, "demo-password")
	b, err := os.ReadFile(path)
	if err == nil {
		if p := strings.TrimSpace(string(b)); p != "" {
			return p, false, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		return "", false, err
	}
	p := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(p+"\n"), 0o600); err != nil {
		return "", false, err
	}
	return p, true, nil
}

// parseUserFlag splits "addr:password" at the first colon (addresses have
// none; passwords may).
func parseUserFlag(s string) (addr, password string, err error) {
	addr, password, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("-user %q: want ADDR:PASSWORD", s)
	}
	return addr, password, nil
}
