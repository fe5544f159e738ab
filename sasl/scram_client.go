package sasl

import (
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// SCRAMClient is the client side of SCRAM-SHA-1 or SCRAM-SHA-256
// (RFC 5802, RFC 7677) without channel binding: it sends the gs2 header
// "n,," (or "n,a=identity,"). Set the optional fields before Start.
type SCRAMClient struct {
	// Identity is the authorization identity to ask for; empty means act
	// as the username.
	Identity string
	// Rand is the source of the client nonce; nil means crypto/rand.
	Rand io.Reader
	// MinIterations is the least iteration count accepted from the server;
	// zero means DefaultSCRAMIterations.
	MinIterations int
	// MaxIterations is the most accepted; zero means MaxSCRAMIterations.
	MaxIterations int

	h                  func() hash.Hash
	mech               string
	username, password string

	step        int
	gs2Header   string
	clientFirst string // client-first-message-bare
	nonce       string // client nonce
	serverSig   []byte
	testNonce   string // fixed nonce for the RFC examples
}

// NewSCRAMClient returns a SCRAM client. hash is "SHA-1" or "SHA-256";
// the username is prepared with SASLprep, which may refuse it.
func NewSCRAMClient(hash, username, password string) (*SCRAMClient, error) {
	h, mech, err := scramHash(hash)
	if err != nil {
		return nil, err
	}
	u, err := SASLprep(username)
	if err != nil {
		return nil, fmt.Errorf("sasl: SCRAM username: %w", err)
	}
	if u == "" {
		return nil, errors.New("sasl: SCRAM: empty username")
	}
	return &SCRAMClient{h: h, mech: mech, username: u, password: password}, nil
}

// Start implements Client: it returns the client-first-message
// (RFC 5802 5.1).
func (c *SCRAMClient) Start() (string, []byte, error) {
	if c.step != 0 {
		return "", nil, ErrUnexpected
	}
	nonce := c.testNonce
	if nonce == "" {
		var err error
		if nonce, err = makeNonce(c.Rand); err != nil {
			return "", nil, err
		}
	}
	var b strings.Builder
	b.WriteString("n,")
	if c.Identity != "" {
		id, err := SASLprep(c.Identity)
		if err != nil {
			return "", nil, fmt.Errorf("sasl: SCRAM identity: %w", err)
		}
		b.WriteString("a=")
		b.WriteString(escapeSCRAMName(id))
	}
	b.WriteString(",")
	c.gs2Header = b.String()
	c.nonce = nonce
	c.clientFirst = "n=" + escapeSCRAMName(c.username) + ",r=" + nonce
	c.step = 1
	return c.mech, []byte(c.gs2Header + c.clientFirst), nil
}

// Next implements Client. Given the server-first-message it returns the
// client-final-message; given the server-final-message it checks the
// server's signature and returns an empty response, or ErrServerProof.
func (c *SCRAMClient) Next(challenge []byte) ([]byte, error) {
	if err := checkSize(challenge); err != nil {
		c.step = 3
		return nil, err
	}
	switch c.step {
	case 1:
		c.step = 3
		resp, err := c.final(string(challenge))
		if err != nil {
			return nil, err
		}
		c.step = 2
		return resp, nil
	case 2:
		c.step = 3
		msg := string(challenge)
		if e, ok := scramAttr(msg, 'e'); ok {
			return nil, fmt.Errorf("%w: server says %q", ErrAuthFailed, e)
		}
		v, ok := scramAttr(msg, 'v')
		if i := strings.IndexByte(v, ','); i >= 0 {
			v = v[:i] // server-final extensions
		}
		sig, err := base64.StdEncoding.DecodeString(v)
		if !ok || err != nil {
			return nil, malformed(c.mech, "bad server-final-message")
		}
		if !equalConstantTime(sig, c.serverSig) {
			return nil, ErrServerProof
		}
		return []byte{}, nil
	}
	return nil, ErrUnexpected
}

// final parses server-first-message and builds client-final-message
// (RFC 5802 5.1, 7.).
func (c *SCRAMClient) final(serverFirst string) ([]byte, error) {
	if e, ok := scramAttr(serverFirst, 'e'); ok {
		return nil, fmt.Errorf("%w: server says %q", ErrAuthFailed, e)
	}
	f := strings.Split(serverFirst, ",")
	if len(f) > 0 && strings.HasPrefix(f[0], "m=") {
		return nil, malformed(c.mech, "mandatory extension not supported")
	}
	if len(f) < 3 {
		return nil, malformed(c.mech, "short server-first-message")
	}
	nonce, ok1 := scramAttr(f[0], 'r')
	salt64, ok2 := scramAttr(f[1], 's')
	iter, ok3 := scramAttr(f[2], 'i')
	if !ok1 || !ok2 || !ok3 {
		return nil, malformed(c.mech, "server-first-message wants r=, s=, i=")
	}
	if !validNonce(nonce) || len(nonce) <= len(c.nonce) || !strings.HasPrefix(nonce, c.nonce) {
		return nil, malformed(c.mech, "server nonce does not extend the client's")
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil || len(salt) == 0 {
		return nil, malformed(c.mech, "bad salt")
	}
	n, ok := parseIterations(iter)
	if !ok {
		return nil, malformed(c.mech, "bad iteration count")
	}
	lo, hi := c.MinIterations, c.MaxIterations
	if lo == 0 {
		lo = DefaultSCRAMIterations
	}
	if hi == 0 {
		hi = MaxSCRAMIterations
	}
	if n < lo || n > hi {
		return nil, fmt.Errorf("sasl: %s: iteration count %d outside [%d, %d]", c.mech, n, lo, hi)
	}

	sp, err := saltedPassword(c.h, c.password, salt, n)
	if err != nil {
		return nil, err
	}
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte(c.gs2Header)) + ",r=" + nonce
	authMsg := c.clientFirst + "," + serverFirst + "," + withoutProof
	clientKey := hmacSum(c.h, sp, "Client Key")
	storedKey := hashSum(c.h, clientKey)
	proof := hmacSum(c.h, storedKey, authMsg)
	xorBytes(proof, proof, clientKey)
	c.serverSig = hmacSum(c.h, hmacSum(c.h, sp, "Server Key"), authMsg)

	out := make([]byte, 0, len(withoutProof)+3+base64.StdEncoding.EncodedLen(len(proof)))
	out = append(out, withoutProof...)
	out = append(out, ",p="...)
	out = base64.StdEncoding.AppendEncode(out, proof)
	return out, nil
}
