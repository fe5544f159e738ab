package sasl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RFC 7628: OAUTHBEARER; and XOAUTH2, Google's earlier form of it.

// OAuthError is the JSON failure response of RFC 7628 3.2.2 (XOAUTH2
// servers send the same shape). A server's token check returns one to have
// it sent to the client; a client's Next returns one when it receives it.
type OAuthError struct {
	Status              string `json:"status"`
	Schemes             string `json:"schemes,omitempty"`
	Scope               string `json:"scope,omitempty"`
	OpenIDConfiguration string `json:"openid-configuration,omitempty"`
}

// Error returns the status the server gave.
func (e *OAuthError) Error() string {
	return "sasl: oauth: " + e.Status
}

// Is makes errors.Is(err, ErrAuthFailed) hold for an *OAuthError.
func (e *OAuthError) Is(target error) bool { return target == ErrAuthFailed }

// OAuthRequest is what an OAUTHBEARER or XOAUTH2 client sent.
type OAuthRequest struct {
	// Username is the authorization identity (OAUTHBEARER's gs2 "a=",
	// XOAUTH2's "user="); it may be empty for OAUTHBEARER.
	Username string
	// Token is the bearer token. It is empty when an OAUTHBEARER client
	// sent an empty auth to learn the scope it needs (RFC 7628 4.3): the
	// verifier should answer with an *OAuthError saying it. The server
	// never lets an empty token succeed.
	Token string
	// Host and Port are OAUTHBEARER's optional "host" and "port".
	Host string
	Port int
}

// OAuthVerifier checks a bearer token and returns the identity the session
// acts as. To have the RFC 7628 3.2.2 failure response sent, it returns an
// *OAuthError; ErrAuthFailed or other errors end the exchange at once.
type OAuthVerifier func(ctx context.Context, req OAuthRequest) (identity string, err error)

// kvsep separates OAUTHBEARER's key/value pairs (RFC 7628 3.1).
const kvsep = '\x01'

type oauthBearerClient struct {
	username, token, host string
	port                  int
	step                  int
}

// NewOAuthBearerClient returns an OAUTHBEARER client (RFC 7628). host and
// port say which server the token is for; an empty host or a zero port is
// left out. The token is sent in the clear: see AllowPlaintext.
func NewOAuthBearerClient(username, token, host string, port int) Client {
	return &oauthBearerClient{username: username, token: token, host: host, port: port}
}

func (c *oauthBearerClient) Start() (string, []byte, error) {
	if hasBadValue(c.username) || hasBadValue(c.host) || hasBadValue(c.token) || c.token == "" {
		return "", nil, errors.New("sasl: OAUTHBEARER: bad username, host or token")
	}
	var b bytes.Buffer
	b.WriteString("n,")
	if c.username != "" {
		b.WriteString("a=")
		b.WriteString(escapeSCRAMName(c.username))
	}
	b.WriteString(",\x01")
	if c.host != "" {
		b.WriteString("host=")
		b.WriteString(c.host)
		b.WriteByte(kvsep)
	}
	if c.port != 0 {
		b.WriteString("port=")
		b.WriteString(strconv.Itoa(c.port))
		b.WriteByte(kvsep)
	}
	b.WriteString("auth=Bearer ")
	b.WriteString(c.token)
	b.WriteString("\x01\x01")
	return OAuthBearer, b.Bytes(), nil
}

// Next handles the server's failure response: it returns the dummy
// response "\x01" together with the *OAuthError (RFC 7628 3.2.3). The
// protocol may send the response, or cancel the exchange.
func (c *oauthBearerClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	if c.step != 1 {
		return nil, ErrUnexpected
	}
	return []byte{kvsep}, parseOAuthError(OAuthBearer, challenge)
}

func parseOAuthError(mech string, challenge []byte) error {
	if err := checkSize(challenge); err != nil {
		return err
	}
	e := new(OAuthError)
	if err := json.Unmarshal(challenge, e); err != nil || e.Status == "" {
		return malformed(mech, "bad failure response")
	}
	return e
}

// hasBadValue reports whether s may not go into a key/value pair: only
// VCHAR, SP, HTAB are allowed here (RFC 7628 3.1 allows CR and LF too, we
// do not send them).
func hasBadValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7F {
			return true
		}
	}
	return false
}

type xoauth2Client struct {
	username, token string
	step            int
}

// NewXOAUTH2Client returns an XOAUTH2 client: it sends
// "user=" username "\x01auth=Bearer " token "\x01\x01".
func NewXOAUTH2Client(username, token string) Client {
	return &xoauth2Client{username: username, token: token}
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	if hasBadValue(c.username) || hasBadValue(c.token) || c.username == "" || c.token == "" {
		return "", nil, errors.New("sasl: XOAUTH2: bad username or token")
	}
	b := make([]byte, 0, len(c.username)+len(c.token)+22)
	b = append(b, "user="...)
	b = append(b, c.username...)
	b = append(b, "\x01auth=Bearer "...)
	b = append(b, c.token...)
	b = append(b, "\x01\x01"...)
	return XOAuth2, b, nil
}

// Next handles the server's failure response: it returns the empty
// response XOAUTH2 expects together with the *OAuthError.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	c.step++
	if c.step != 1 {
		return nil, ErrUnexpected
	}
	return []byte{}, parseOAuthError(XOAuth2, challenge)
}

// oauthServer serves OAUTHBEARER and XOAUTH2, which differ only in the
// first message's syntax and the dummy response.
type oauthServer struct {
	mech     string
	verify   OAuthVerifier
	step     int
	failure  error
	identity string
}

// NewOAuthBearerServer returns an OAUTHBEARER server (RFC 7628) that
// checks tokens with verify.
func NewOAuthBearerServer(verify OAuthVerifier) Server {
	return &oauthServer{mech: OAuthBearer, verify: verify}
}

// NewXOAUTH2Server returns an XOAUTH2 server that checks tokens with
// verify.
func NewXOAUTH2Server(verify OAuthVerifier) Server {
	return &oauthServer{mech: XOAuth2, verify: verify}
}

func (s *oauthServer) Identity() string { return s.identity }

func (s *oauthServer) Next(ctx context.Context, response []byte) ([]byte, bool, error) {
	if err := checkSize(response); err != nil {
		s.step = 3
		return nil, true, err
	}
	switch s.step {
	case 0:
		if response == nil {
			s.step = 1
			return []byte{}, false, nil
		}
		fallthrough
	case 1:
		s.step = 3
		var req OAuthRequest
		var err error
		if s.mech == OAuthBearer {
			req, err = parseOAuthBearer(response)
		} else {
			req, err = parseXOAUTH2(response)
		}
		if err != nil {
			return nil, true, err
		}
		identity, err := s.verify(ctx, req)
		var oe *OAuthError
		if errors.As(err, &oe) {
			// RFC 7628 3.2.2: send the error as a challenge, then fail
			// on the client's dummy response.
			js, jerr := json.Marshal(oe)
			if jerr != nil {
				return nil, true, jerr
			}
			s.failure = err
			s.step = 2
			return js, false, nil
		}
		if err != nil {
			return nil, true, err
		}
		if req.Token == "" {
			return nil, true, ErrAuthFailed
		}
		s.identity = identity
		return nil, true, nil
	case 2:
		s.step = 3
		// RFC 7628 3.2.3: the client must answer "\x01"; whatever it
		// sent, the exchange has failed.
		return nil, true, s.failure
	}
	return nil, true, ErrUnexpected
}

// parseOAuthBearer reads client-resp = gs2-header kvsep *kvpair kvsep
// (RFC 7628 3.1).
func parseOAuthBearer(b []byte) (OAuthRequest, error) {
	var req OAuthRequest
	msg := string(b)
	if !utf8.ValidString(msg) {
		return req, malformed(OAuthBearer, "invalid UTF-8")
	}
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok || (flag != "n" && flag != "y") {
		return req, malformed(OAuthBearer, "bad gs2 header")
	}
	a, rest, ok := strings.Cut(rest, ",")
	if !ok {
		return req, malformed(OAuthBearer, "bad gs2 header")
	}
	if a != "" {
		v, ok := scramAttr(a, 'a')
		if ok {
			v, ok = unescapeSCRAMName(v)
		}
		if !ok || v == "" {
			return req, malformed(OAuthBearer, "bad authzid")
		}
		req.Username = v
	}
	if len(rest) == 0 || rest[0] != kvsep {
		return req, malformed(OAuthBearer, "no kvsep after gs2 header")
	}
	pairs, err := parseKV(OAuthBearer, rest[1:])
	if err != nil {
		return req, err
	}
	auth, ok := pairs["auth"]
	if !ok {
		return req, malformed(OAuthBearer, "no auth")
	}
	if auth != "" {
		// An empty auth asks for the failure response (RFC 7628 4.3).
		if req.Token, err = bearerToken(OAuthBearer, auth); err != nil {
			return req, err
		}
	}
	req.Host = pairs["host"]
	if p, ok := pairs["port"]; ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return req, malformed(OAuthBearer, "bad port")
		}
		req.Port = n
	}
	return req, nil
}

// parseKV reads *kvpair kvsep: key "=" value kvsep ... kvsep, and nothing
// after the last kvsep.
func parseKV(mech, s string) (map[string]string, error) {
	m := make(map[string]string, 4)
	for {
		i := strings.IndexByte(s, kvsep)
		if i < 0 {
			return nil, malformed(mech, "unterminated key/value pair")
		}
		pair := s[:i]
		s = s[i+1:]
		if pair == "" {
			if s != "" {
				return nil, malformed(mech, "data after final kvsep")
			}
			return m, nil
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" || !isAlpha(k) {
			return nil, malformed(mech, "bad key/value pair")
		}
		if _, dup := m[k]; dup {
			return nil, malformed(mech, "duplicate key %q", k)
		}
		m[k] = v
	}
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// bearerToken takes the token out of "Bearer <token>" (RFC 6750 2.1; the
// scheme is case-insensitive).
func bearerToken(mech, auth string) (string, error) {
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", malformed(mech, "auth is not a Bearer token")
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" {
		return "", malformed(mech, "empty token")
	}
	return tok, nil
}

// parseXOAUTH2 reads "user=" user "\x01auth=Bearer " token "\x01\x01".
func parseXOAUTH2(b []byte) (OAuthRequest, error) {
	var req OAuthRequest
	msg := string(b)
	if !utf8.ValidString(msg) {
		return req, malformed(XOAuth2, "invalid UTF-8")
	}
	pairs, err := parseKV(XOAuth2, msg)
	if err != nil {
		return req, err
	}
	user, ok1 := pairs["user"]
	auth, ok2 := pairs["auth"]
	if !ok1 || !ok2 || user == "" {
		return req, malformed(XOAuth2, "want user= and auth=")
	}
	tok, err := bearerToken(XOAuth2, auth)
	if err != nil {
		return req, err
	}
	req.Username, req.Token = user, tok
	return req, nil
}
