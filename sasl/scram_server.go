package sasl

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// SCRAMLookup returns the stored credentials for a username (already
// unescaped and SASLprep'd). It returns ErrAuthFailed (or an error wrapping
// it) if there is no such user; the server then runs the exchange against
// made-up credentials, so that a client cannot tell an unknown user from a
// wrong password. Any other error ends the exchange with that error.
type SCRAMLookup func(ctx context.Context, username string) (SCRAMCredentials, error)

// SCRAMAuthorizer decides whether username may act as the authorization
// identity the client asked for, and returns the identity the session acts
// as.
type SCRAMAuthorizer func(ctx context.Context, username, identity string) (string, error)

// SCRAMServer is the server side of SCRAM-SHA-1 or SCRAM-SHA-256
// (RFC 5802, RFC 7677). It does not offer channel binding: a client that
// asks for it ("p=") is refused; "y" is accepted since the server
// advertises no -PLUS mechanism. Set the optional fields before the first
// call to Next.
type SCRAMServer struct {
	// Authorize checks a requested authorization identity. Nil allows only
	// none or the username itself.
	Authorize SCRAMAuthorizer
	// Rand is the source of the server nonce; nil means crypto/rand.
	Rand io.Reader

	h      func() hash.Hash
	mech   string
	lookup SCRAMLookup

	step        int
	gs2Header   string
	clientFirst string // client-first-message-bare
	serverFirst string
	nonce       string // combined nonce
	username    string
	authzid     string
	known       bool
	creds       SCRAMCredentials
	identity    string
	testNonce   string // fixed nonce for the RFC examples
}

// NewSCRAMServer returns a SCRAM server for hash "SHA-1" or "SHA-256" that
// gets stored credentials from lookup.
func NewSCRAMServer(hash string, lookup SCRAMLookup) (*SCRAMServer, error) {
	h, mech, err := scramHash(hash)
	if err != nil {
		return nil, err
	}
	return &SCRAMServer{h: h, mech: mech, lookup: lookup}, nil
}

// Identity returns the authorization identity after success.
func (s *SCRAMServer) Identity() string { return s.identity }

// Next implements Server.
func (s *SCRAMServer) Next(ctx context.Context, response []byte) ([]byte, bool, error) {
	if err := checkSize(response); err != nil {
		s.step = 4
		return nil, true, err
	}
	switch s.step {
	case 0:
		if response == nil {
			// The client speaks first; ask for its first message.
			s.step = 1
			return []byte{}, false, nil
		}
		fallthrough
	case 1:
		s.step = 4
		c, err := s.first(ctx, string(response))
		if err != nil {
			return nil, true, err
		}
		s.step = 2
		return c, false, nil
	case 2:
		s.step = 4
		c, err := s.final(ctx, string(response))
		if err != nil {
			return nil, true, err
		}
		s.step = 3
		return c, false, nil
	case 3:
		// RFC 5802 5.: the server-final-message went as a challenge;
		// the client answers it with an empty response.
		s.step = 4
		if len(response) != 0 {
			return nil, true, malformed(s.mech, "want an empty response after server-final-message")
		}
		return nil, true, nil
	}
	return nil, true, ErrUnexpected
}

// first parses client-first-message and returns server-first-message
// (RFC 5802 7.).
func (s *SCRAMServer) first(ctx context.Context, msg string) ([]byte, error) {
	if !utf8.ValidString(msg) {
		return nil, malformed(s.mech, "invalid UTF-8")
	}
	// gs2-header = gs2-cbind-flag "," [ authzid ] ","
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return nil, malformed(s.mech, "no gs2 header")
	}
	switch {
	case flag == "n", flag == "y":
	case strings.HasPrefix(flag, "p="):
		return nil, malformed(s.mech, "channel binding not supported")
	default:
		return nil, malformed(s.mech, "bad gs2-cbind-flag")
	}
	a, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, malformed(s.mech, "no gs2 header")
	}
	if a != "" {
		v, ok := scramAttr(a, 'a')
		if !ok || v == "" {
			return nil, malformed(s.mech, "bad authzid")
		}
		if v, ok = unescapeSCRAMName(v); !ok {
			return nil, malformed(s.mech, "bad authzid escape")
		}
		s.authzid = v
	}
	s.gs2Header = msg[:len(msg)-len(bare)]
	s.clientFirst = bare

	f := strings.Split(bare, ",")
	if len(f) > 0 && strings.HasPrefix(f[0], "m=") {
		return nil, malformed(s.mech, "mandatory extension not supported")
	}
	if len(f) < 2 {
		return nil, malformed(s.mech, "short client-first-message")
	}
	name, ok1 := scramAttr(f[0], 'n')
	cnonce, ok2 := scramAttr(f[1], 'r')
	if !ok1 || !ok2 || name == "" {
		return nil, malformed(s.mech, "client-first-message wants n=, r=")
	}
	if !validAttrs(f[2:]) {
		return nil, malformed(s.mech, "bad attribute")
	}
	if !validNonce(cnonce) {
		return nil, malformed(s.mech, "bad nonce")
	}
	name, ok = unescapeSCRAMName(name)
	if !ok {
		return nil, malformed(s.mech, "bad username escape")
	}
	name, err := SASLprep(name)
	if err != nil || name == "" {
		return nil, malformed(s.mech, "username refused by SASLprep")
	}
	s.username = name

	creds, err := s.lookup(ctx, name)
	switch {
	case err == nil && creds.Iterations > 0 && len(creds.Salt) > 0 &&
		len(creds.StoredKey) == s.h().Size() && len(creds.ServerKey) == s.h().Size():
		s.creds, s.known = creds, true
	case err == nil:
		return nil, errors.New("sasl: SCRAM lookup returned unusable credentials")
	case errors.Is(err, ErrAuthFailed):
		s.creds = fakeCredentials(s.h, name)
	default:
		return nil, err
	}

	snonce := s.testNonce
	if snonce == "" {
		if snonce, err = makeNonce(s.Rand); err != nil {
			return nil, err
		}
	}
	s.nonce = cnonce + snonce
	var b strings.Builder
	b.WriteString("r=")
	b.WriteString(s.nonce)
	b.WriteString(",s=")
	b.WriteString(base64.StdEncoding.EncodeToString(s.creds.Salt))
	b.WriteString(",i=")
	b.WriteString(strconv.Itoa(s.creds.Iterations))
	s.serverFirst = b.String()
	return []byte(s.serverFirst), nil
}

// final checks client-final-message and returns server-final-message
// (RFC 5802 7., 3.).
func (s *SCRAMServer) final(ctx context.Context, msg string) ([]byte, error) {
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, malformed(s.mech, "no proof")
	}
	withoutProof, proof64 := msg[:i], msg[i+3:]
	f := strings.Split(withoutProof, ",")
	if len(f) < 2 {
		return nil, malformed(s.mech, "short client-final-message")
	}
	cb, ok1 := scramAttr(f[0], 'c')
	nonce, ok2 := scramAttr(f[1], 'r')
	if !ok1 || !ok2 {
		return nil, malformed(s.mech, "client-final-message wants c=, r=")
	}
	if !validAttrs(f[2:]) {
		return nil, malformed(s.mech, "bad attribute")
	}
	if cb != base64.StdEncoding.EncodeToString([]byte(s.gs2Header)) {
		return nil, malformed(s.mech, "channel binding does not match gs2 header")
	}
	if nonce != s.nonce {
		return nil, malformed(s.mech, "nonce mismatch")
	}
	proof, err := base64.StdEncoding.DecodeString(proof64)
	if err != nil || len(proof) != s.h().Size() {
		return nil, malformed(s.mech, "bad proof")
	}

	authMsg := s.clientFirst + "," + s.serverFirst + "," + withoutProof
	clientKey := hmacSum(s.h, s.creds.StoredKey, authMsg)
	xorBytes(clientKey, clientKey, proof)
	if !equalConstantTime(hashSum(s.h, clientKey), s.creds.StoredKey) || !s.known {
		return nil, ErrAuthFailed
	}

	identity := s.username
	if s.Authorize != nil {
		identity, err = s.Authorize(ctx, s.username, s.authzid)
		if err != nil {
			return nil, err
		}
	} else if s.authzid != "" && s.authzid != s.username {
		return nil, ErrAuthFailed
	}
	s.identity = identity

	sig := hmacSum(s.h, s.creds.ServerKey, authMsg)
	out := make([]byte, 0, 2+base64.StdEncoding.EncodedLen(len(sig)))
	out = append(out, "v="...)
	out = base64.StdEncoding.AppendEncode(out, sig)
	return out, nil
}

var (
	fakeKeyOnce sync.Once
	fakeKey     []byte
)

// fakeCredentials makes credentials for an unknown user that stay the same
// for the life of the process, so that repeated attempts see the same salt
// (RFC 5802 9.: do not reveal whether a user exists).
func fakeCredentials(h func() hash.Hash, username string) SCRAMCredentials {
	fakeKeyOnce.Do(func() {
		fakeKey = make([]byte, 32)
		rand.Read(fakeKey)
	})
	m := hmac.New(sha256.New, fakeKey)
	io.WriteString(m, username)
	sum := m.Sum(nil)
	k := hashSum(h, sum)
	return SCRAMCredentials{
		Salt:       sum[:16],
		Iterations: DefaultSCRAMIterations,
		StoredKey:  k,
		ServerKey:  k,
	}
}

// validAttrs reports whether each of f is an extension attr-val: a letter,
// "=", a value (RFC 5802 7.).
func validAttrs(f []string) bool {
	for _, e := range f {
		if len(e) < 2 || e[1] != '=' || !isAlpha(e[:1]) {
			return false
		}
	}
	return true
}
