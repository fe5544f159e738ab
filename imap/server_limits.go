package imap

import "time"

// Defaults for the zero values of Server's limits.
const (
	// DefaultMaxAppendBytes is the largest message APPEND takes, and the
	// APPENDLIMIT advertised (RFC 7889); mail systems accept 25 to 50
	// MiB.
	DefaultMaxAppendBytes = 50 << 20

	// DefaultMaxErrors is the number of bad commands (BAD responses)
	// after which a connection gets BYE and is closed.
	DefaultMaxErrors = 20

	// DefaultMaxAuthFailures is the number of failed logins after which
	// a connection gets BYE and is closed.
	DefaultMaxAuthFailures = 3

	// DefaultIdleTimeout is how long an authenticated session may stay
	// silent, IDLE included. RFC 9051 5.4: an autologout timer "MUST be
	// at least 30 minutes".
	DefaultIdleTimeout = 30 * time.Minute

	// DefaultLoginTimeout is how long a connection may stay silent before
	// it has logged in (RFC 9051 5.4 allows a shorter timer there).
	DefaultLoginTimeout = time.Minute

	// DefaultWriteTimeout bounds the writing of a batch of responses to
	// a client that does not read.
	DefaultWriteTimeout = 5 * time.Minute

	// DefaultMaxConnections is the cap on connections served at once.
	DefaultMaxConnections = 1000

	// DefaultMaxConnectionsPerIP is the cap on connections from one IP
	// address (Dovecot's mail_max_userip_connections is 10 per user and
	// IP; clients open a few each).
	DefaultMaxConnectionsPerIP = 50

	// maxUnauthLiteral is the largest literal read before login: enough
	// for a user name or password, too little to make the server read
	// much from a stranger.
	maxUnauthLiteral = 4096
)

func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

func (s *Server) maxAppendBytes() int64 {
	return orDefault(s.MaxAppendBytes, DefaultMaxAppendBytes)
}
