package smtp

import (
	"errors"
	"time"

	"github.com/postkit/postkit/internal/netserver"
)

// Defaults for the zero values of Server's limits.
const (
	DefaultMaxMessageBytes = 25 << 20
	DefaultMaxRecipients   = 100
	DefaultMaxErrors       = 10
	DefaultMaxAuthFailures = 3
	// DefaultMaxConnections is the cap on connections served at once.
	DefaultMaxConnections = 1000
	// DefaultMaxConnectionsPerIP is the cap on connections from one IP
	// address (Postfix's smtpd_client_connection_count_limit is 50).
	DefaultMaxConnectionsPerIP = 50
	DefaultReadTimeout         = 5 * time.Minute // RFC 5321 4.5.3.2.7: 5 minutes
	DefaultDataTimeout         = 3 * time.Minute // RFC 5321 4.5.3.2.5: 3 minutes per data block
	DefaultWriteTimeout        = 5 * time.Minute
)

func (s *Server) maxMessageBytes() int64 {
	if s.MaxMessageBytes > 0 {
		return s.MaxMessageBytes
	}
	return DefaultMaxMessageBytes
}

func orDefault[T int | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

// dataReader reads from the connection; while a message is read, each
// read gets its own deadline, so a large message on a slow link does not
// time out as long as data keeps coming (RFC 5321 4.5.3.2.5).
type dataReader struct{ c *Conn }

func (d dataReader) Read(p []byte) (int, error) {
	if d.c.inData {
		d.c.nc.SetReadDeadline(time.Now().Add(orDefault(d.c.srv.DataTimeout, DefaultDataTimeout)))
	}
	return d.c.nc.Read(p)
}

var errLineTooLong = errors.New("smtp: line too long")

// maxAuthLine is the longest AUTH command line accepted, CRLF included
// (RFC 4954 4.: 12288 octets).
const maxAuthLine = 12288

// readLine reads a line ending in LF (CRLF, or a bare LF tolerated) of at
// most max octets; a longer line is read to its end and discarded. The
// line returned may point into c.br's buffer: it is valid only until the
// next read from c.br.
func (c *Conn) readLine(max int) ([]byte, error) {
	return netserver.ReadLine(c.br, max, errLineTooLong)
}

// badCommand answers a refused command and counts it; it reports false
// when the connection must close.
func (c *Conn) badCommand(code int, enh EnhancedCode, msg string) bool {
	c.errors++
	if c.errors >= orDefault(c.srv.MaxErrors, DefaultMaxErrors) {
		c.reply(421, EnhancedCode{4, 7, 0}, c.srv.hostname()+" Too many errors, closing connection")
		c.flush()
		return false
	}
	c.reply(code, enh, msg)
	return true
}
