package sasl

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// RFC 2195: CRAM-MD5, keyed with HMAC-MD5 (RFC 2104).

type cramMD5Client struct {
	username, secret string
	step             int
}

// NewCRAMMD5Client returns a CRAM-MD5 client (RFC 2195). secret is the
// shared secret, usually the password.
func NewCRAMMD5Client(username, secret string) Client {
	return &cramMD5Client{username: username, secret: secret}
}

func (c *cramMD5Client) Start() (string, []byte, error) {
	if hasCtl(c.username) {
		return "", nil, errors.New("sasl: CRAM-MD5: username contains NUL, CR or LF")
	}
	return CRAMMD5, nil, nil
}

func (c *cramMD5Client) Next(challenge []byte) ([]byte, error) {
	c.step++
	if c.step != 1 {
		return nil, ErrUnexpected
	}
	if err := checkSize(challenge); err != nil {
		return nil, err
	}
	d := cramDigest(c.secret, challenge)
	b := make([]byte, 0, len(c.username)+1+2*md5.Size)
	b = append(b, c.username...)
	b = append(b, ' ')
	b = hex.AppendEncode(b, d)
	return b, nil
}

func cramDigest(secret string, challenge []byte) []byte {
	m := hmac.New(md5.New, []byte(secret))
	m.Write(challenge)
	return m.Sum(nil)
}

// SecretLookup returns the shared secret for username. It returns
// ErrAuthFailed (or an error wrapping it) if there is no such user, any
// other error for a failure to look.
type SecretLookup func(ctx context.Context, username string) (secret string, err error)

// CRAMMD5Server is the server side of CRAM-MD5 (RFC 2195). Set the
// optional fields before the first call to Next.
type CRAMMD5Server struct {
	// Hostname goes in the challenge, "<random.timestamp@hostname>".
	Hostname string
	// Rand is the source of the challenge's random part; nil means
	// crypto/rand.
	Rand io.Reader
	// Now gives the challenge's timestamp; nil means time.Now.
	Now func() time.Time

	lookup    SecretLookup
	challenge []byte
	step      int
	identity  string
}

// NewCRAMMD5Server returns a CRAM-MD5 server that gets the shared secret
// from lookup. The server must know the secret itself, so CRAM-MD5 only
// suits stores that keep passwords recoverable.
func NewCRAMMD5Server(hostname string, lookup SecretLookup) *CRAMMD5Server {
	return &CRAMMD5Server{Hostname: hostname, lookup: lookup}
}

// Identity returns the authenticated username.
func (s *CRAMMD5Server) Identity() string { return s.identity }

// Next implements Server.
func (s *CRAMMD5Server) Next(ctx context.Context, response []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		if response != nil {
			// RFC 2195 2.: the server speaks first. RFC 5034 4. (and
			// RFC 4954 4.): an initial response to such a mechanism,
			// even an empty one ("="), MUST be rejected.
			s.step = 2
			return nil, true, malformed(CRAMMD5, "initial response not allowed")
		}
		c, err := s.makeChallenge()
		if err != nil {
			s.step = 2
			return nil, true, err
		}
		s.challenge = c
		s.step = 1
		return c, false, nil
	case 1:
		s.step = 2
		if err := checkSize(response); err != nil {
			return nil, true, err
		}
		i := bytes.LastIndexByte(response, ' ')
		if i <= 0 {
			return nil, true, malformed(CRAMMD5, "want \"user digest\"")
		}
		user, digest := response[:i], response[i+1:]
		if !utf8.Valid(user) || hasCtl(string(user)) {
			return nil, true, malformed(CRAMMD5, "bad username")
		}
		got := make([]byte, md5.Size)
		if len(digest) != 2*md5.Size {
			return nil, true, malformed(CRAMMD5, "digest is not 32 hex digits")
		}
		if _, err := hex.Decode(got, digest); err != nil {
			return nil, true, malformed(CRAMMD5, "digest is not 32 hex digits")
		}
		secret, err := s.lookup(ctx, string(user))
		if errors.Is(err, ErrAuthFailed) {
			// Spend the same work on an unknown user as on a known one.
			equalConstantTime(got, cramDigest("", s.challenge))
			return nil, true, err
		}
		if err != nil {
			return nil, true, err
		}
		if !equalConstantTime(got, cramDigest(secret, s.challenge)) {
			return nil, true, ErrAuthFailed
		}
		s.identity = string(user)
		return nil, true, nil
	}
	return nil, true, ErrUnexpected
}

// makeChallenge builds "<random.timestamp@hostname>" (RFC 2195 2., in the
// form of RFC 1939's APOP banner).
func (s *CRAMMD5Server) makeChallenge() ([]byte, error) {
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	var buf [8]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return nil, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	host := s.Hostname
	if host == "" || hasCtl(host) {
		host = "localhost"
	}
	b := make([]byte, 0, 48+len(host))
	b = append(b, '<')
	b = strconv.AppendUint(b, binary.BigEndian.Uint64(buf[:]), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, now().Unix(), 10)
	b = append(b, '@')
	b = append(b, host...)
	b = append(b, '>')
	return b, nil
}
