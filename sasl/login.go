package sasl

import (
	"context"
	"errors"
	"unicode/utf8"
)

// LOGIN, draft-murchison-sasl-login: the server prompts "Username:" and
// "Password:", the client answers each with the bare value.

type loginClient struct {
	username, password string
	step               int
}

// NewLoginClient returns a LOGIN client. It answers the first challenge
// with the username and the second with the password, whatever the
// prompts say (servers word them differently). LOGIN sends the password
// in the clear: see AllowPlaintext.
func NewLoginClient(username, password string) Client {
	return &loginClient{username: username, password: password}
}

func (c *loginClient) Start() (string, []byte, error) {
	if hasCtl(c.username) || hasCtl(c.password) {
		return "", nil, errors.New("sasl: LOGIN: credentials contain NUL, CR or LF")
	}
	return Login, nil, nil
}

func (c *loginClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	switch c.step {
	case 1:
		return []byte(c.username), nil
	case 2:
		return []byte(c.password), nil
	}
	return nil, ErrUnexpected
}

type loginServer struct {
	auth     PlainAuthenticator
	step     int
	username string
	identity string
}

// Prompts a LOGIN server sends.
var (
	loginUsername = []byte("Username:")
	loginPassword = []byte("Password:")
)

// NewLoginServer returns a LOGIN server that checks credentials with auth.
// auth always gets an empty identity: LOGIN cannot ask for one. An initial
// response, if the client sends one, is the username.
func NewLoginServer(auth PlainAuthenticator) Server {
	return &loginServer{auth: auth}
}

func (s *loginServer) Identity() string { return s.identity }

func (s *loginServer) Next(ctx context.Context, response []byte) ([]byte, bool, error) {
	if err := checkSize(response); err != nil {
		s.step = 3
		return nil, true, err
	}
	switch s.step {
	case 0:
		if response == nil {
			s.step = 1
			return loginUsername, false, nil
		}
		s.step = 1
		fallthrough
	case 1:
		if len(response) == 0 || !utf8.Valid(response) || hasCtl(string(response)) {
			s.step = 3
			return nil, true, malformed(Login, "bad username")
		}
		s.username = string(response)
		s.step = 2
		return loginPassword, false, nil
	case 2:
		s.step = 3
		if !utf8.Valid(response) || hasCtl(string(response)) {
			return nil, true, malformed(Login, "bad password")
		}
		authzid, err := s.auth(ctx, "", s.username, string(response))
		if err != nil {
			return nil, true, err
		}
		s.identity = authzid
		return nil, true, nil
	}
	return nil, true, ErrUnexpected
}
