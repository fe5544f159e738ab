package sasl

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Client is the client side of one SASL exchange. A Client is used for one
// exchange only and is not safe for concurrent use.
type Client interface {
	// Start returns the mechanism name and the initial response. A nil
	// initial response means the mechanism has none (the protocol waits
	// for the first challenge); an empty, non-nil one is an empty initial
	// response (RFC 4422 3.3; "=" in SMTP and IMAP SASL-IR).
	Start() (mech string, initialResponse []byte, err error)
	// Next returns the response to a server challenge. A non-nil error
	// ends the exchange; the protocol cancels it (RFC 4422 3.5), unless
	// the error is an *OAuthError, whose response may be sent instead.
	Next(challenge []byte) (response []byte, err error)
}

// Server is the server side of one SASL exchange. A Server is used for one
// exchange only and is not safe for concurrent use.
//
// The first call to Next gets the client's initial response, or nil if the
// client sent none. Each call returns either a challenge to send (done
// false), success (done true, err nil) or failure (err non-nil; done is
// then true as well). Servers never send additional data with success: a
// mechanism that has a last word (SCRAM's server signature) sends it as a
// challenge and succeeds on the client's empty response.
type Server interface {
	// Next takes the client's response and returns the next challenge,
	// or the verdict.
	Next(ctx context.Context, response []byte) (challenge []byte, done bool, err error)
	// Identity returns the authorization identity the client was
	// authenticated as. It is valid only after Next reported success.
	Identity() string
}

// ServerFactory returns a new Server for one exchange. A protocol server
// keeps one per mechanism it offers, keyed by mechanism name, and the
// factory closes over the caller's credential check.
type ServerFactory func() Server

// Mechanism names as they appear on the wire.
const (
	Plain       = "PLAIN"
	Login       = "LOGIN"
	CRAMMD5     = "CRAM-MD5"
	SCRAMSHA1   = "SCRAM-SHA-1"
	SCRAMSHA256 = "SCRAM-SHA-256"
	OAuthBearer = "OAUTHBEARER"
	XOAuth2     = "XOAUTH2"
)

// MaxMessageSize is the largest client response or server challenge a
// mechanism accepts, in bytes. The longest legitimate messages (OAuth
// tokens) are a few kilobytes; 64 KiB leaves room without letting a peer
// make us hold more.
const MaxMessageSize = 64 << 10

var (
	// ErrAuthFailed reports that the credentials were wrong: unknown user,
	// wrong password, bad proof, or an authorization identity the user may
	// not assume.
	ErrAuthFailed = errors.New("sasl: authentication failed")
	// ErrMalformed reports a message that breaks the mechanism's syntax.
	// Errors returned for it wrap ErrMalformed and say what was wrong.
	ErrMalformed = errors.New("sasl: malformed message")
	// ErrTooLarge reports a message longer than MaxMessageSize.
	ErrTooLarge = errors.New("sasl: message too large")
	// ErrUnexpected reports a call after the exchange ended, or a message
	// where the mechanism expects none.
	ErrUnexpected = errors.New("sasl: unexpected message")
	// ErrServerProof reports that a SCRAM server did not prove it knows
	// the password: the client must not trust the connection.
	ErrServerProof = errors.New("sasl: server signature does not verify")
)

func malformed(mech, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, mech, fmt.Sprintf(format, args...))
}

func checkSize(msg []byte) error {
	if len(msg) > MaxMessageSize {
		return ErrTooLarge
	}
	return nil
}

// AllowPlaintext reports whether a client may send a mechanism that
// carries the password or token in the clear (PLAIN, LOGIN, XOAUTH2,
// OAUTHBEARER) to host: only over TLS, or to the local machine. host may
// carry a port.
func AllowPlaintext(host string, tls bool) bool {
	if tls {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// equalConstantTime reports whether a and b are equal, in time that depends
// only on their lengths.
func equalConstantTime(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// hasCtl reports whether s contains NUL, CR or LF, which no credential may
// carry onto the wire.
func hasCtl(s string) bool {
	return strings.ContainsAny(s, "\x00\r\n")
}
