package smtp

import "time"

// Defaults for the zero values of Server's limits.
const (
	DefaultMaxMessageBytes = 25 << 20
	DefaultMaxRecipients   = 100
	DefaultMaxErrors       = 10
	DefaultMaxAuthFailures = 3
	DefaultReadTimeout     = 5 * time.Minute // RFC 5321 4.5.3.2.7: 5 minutes
	DefaultDataTimeout     = 3 * time.Minute // RFC 5321 4.5.3.2.5: 3 minutes per data block
	DefaultWriteTimeout    = 5 * time.Minute
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
