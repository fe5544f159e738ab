package sasl

import (
	"bytes"
	"context"
	"errors"
	"unicode/utf8"
)

// RFC 4616: PLAIN.

type plainClient struct {
	identity, username, password string
}

// NewPlainClient returns a PLAIN client (RFC 4616). identity is the
// authorization identity and is usually empty (act as username). PLAIN
// sends the password in the clear: see AllowPlaintext.
func NewPlainClient(identity, username, password string) Client {
	return &plainClient{identity, username, password}
}

func (c *plainClient) Start() (string, []byte, error) {
	if hasCtl(c.identity) || hasCtl(c.username) || hasCtl(c.password) {
		return "", nil, errors.New("sasl: PLAIN: credentials contain NUL, CR or LF")
	}
	if c.username == "" {
		return "", nil, errors.New("sasl: PLAIN: empty username")
	}
	b := make([]byte, 0, len(c.identity)+len(c.username)+len(c.password)+2)
	b = append(b, c.identity...)
	b = append(b, 0)
	b = append(b, c.username...)
	b = append(b, 0)
	b = append(b, c.password...)
	return Plain, b, nil
}

func (c *plainClient) Next(challenge []byte) ([]byte, error) {
	// RFC 4616 2.: the mechanism is a single message; there are no
	// challenges after the initial response.
	return nil, ErrUnexpected
}

// PlainAuthenticator checks a PLAIN or LOGIN login. identity is the
// requested authorization identity (empty if the client asked for none).
// It returns the identity the session acts as, or an error: ErrAuthFailed
// (or an error wrapping it) for wrong credentials or a forbidden identity,
// anything else for a failure to check.
type PlainAuthenticator func(ctx context.Context, identity, username, password string) (authzid string, err error)

type plainServer struct {
	auth     PlainAuthenticator
	asked    bool
	done     bool
	identity string
}

// NewPlainServer returns a PLAIN server (RFC 4616) that checks credentials
// with auth.
func NewPlainServer(auth PlainAuthenticator) Server {
	return &plainServer{auth: auth}
}

func (s *plainServer) Identity() string { return s.identity }

func (s *plainServer) Next(ctx context.Context, response []byte) ([]byte, bool, error) {
	if s.done {
		return nil, true, ErrUnexpected
	}
	if response == nil && !s.asked {
		// No initial response: ask for it with an empty challenge.
		s.asked = true
		return []byte{}, false, nil
	}
	s.done = true
	if err := checkSize(response); err != nil {
		return nil, true, err
	}
	identity, username, password, err := parsePlain(response)
	if err != nil {
		return nil, true, err
	}
	authzid, err := s.auth(ctx, identity, username, password)
	if err != nil {
		return nil, true, err
	}
	s.identity = authzid
	return nil, true, nil
}

// parsePlain splits message = [authzid] UTF8NUL authcid UTF8NUL passwd
// (RFC 4616 2.).
func parsePlain(b []byte) (identity, username, password string, err error) {
	parts := bytes.Split(b, []byte{0})
	if len(parts) != 3 {
		return "", "", "", malformed(Plain, "want 3 NUL-separated fields, got %d", len(parts))
	}
	if len(parts[1]) == 0 {
		return "", "", "", malformed(Plain, "empty authentication identity")
	}
	if len(parts[2]) == 0 {
		return "", "", "", malformed(Plain, "empty password")
	}
	for _, p := range parts {
		if !utf8.Valid(p) {
			return "", "", "", malformed(Plain, "invalid UTF-8")
		}
	}
	return string(parts[0]), string(parts[1]), string(parts[2]), nil
}
