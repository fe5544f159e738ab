package pop3

import (
	"bufio"
	"errors"
	"time"

	"github.com/postkit/postkit/internal/netserver"
	"github.com/postkit/postkit/sasl"
)

// Defaults for the zero values of Server's limits.
const (
	// DefaultMaxLineLength is the command line limit: the 255 octets
	// RFC 2449 4. requires.
	DefaultMaxLineLength = MaxCommandLength
	// DefaultMaxErrors is the number of refused commands after which the
	// connection is closed: a client that makes this many mistakes is
	// not a mail client.
	DefaultMaxErrors = 10
	// DefaultMaxAuthFailures is the number of failed logins after which
	// the connection is closed.
	DefaultMaxAuthFailures = 3
	// DefaultMaxCommands bounds the commands of one connection; a real
	// session of 100,000 messages needs about 300,000 (LIST, UIDL, RETR
	// and DELE of each), so this is far beyond need.
	DefaultMaxCommands = 1 << 20
	// DefaultMaxConnections is the cap on connections served at once.
	DefaultMaxConnections = 1000
	// DefaultMaxConnectionsPerIP is the cap on connections from one IP
	// address.
	DefaultMaxConnectionsPerIP = 50
	// DefaultReadTimeout is how long the server waits for a command: RFC
	// 1939 3. asks for an inactivity autologout timer of at least 10
	// minutes.
	DefaultReadTimeout = 10 * time.Minute
	// DefaultWriteTimeout is how long one write to the client may take.
	DefaultWriteTimeout = 5 * time.Minute
	// DefaultHandshakeTimeout bounds a TLS handshake (implicit TLS and
	// STLS): a handshake is a few round trips, so a peer that takes
	// longer holds a connection slot for nothing.
	DefaultHandshakeTimeout = 30 * time.Second
)

func orDefault[T int | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

// maxAuthLine is the longest line of an AUTH exchange accepted: the
// base64 of sasl.MaxMessageSize and CRLF (RFC 5034 4.: responses may be
// of any length the mechanisms need).
const maxAuthLine = (sasl.MaxMessageSize/3+1)*4 + 2

var errLineTooLong = errors.New("pop3: line too long")

// readLine reads a line ending in LF (CRLF, or a bare LF tolerated) of
// at most max octets; a longer line is read to its end and discarded.
// The line returned may point into br's buffer: it is valid only until
// the next read from br.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	return netserver.ReadLine(br, max, errLineTooLong)
}
