package imap

// Default limits. A Decoder whose Limits field is zero uses these; each
// bounds what a hostile peer can make the decoder hold in memory.
const (
	// DefaultMaxLineLength bounds one line of a command or response,
	// between literals. RFC 9051 4 asks servers to take at least 8192
	// octets; 64 KiB also covers long UID sets and FETCH responses.
	DefaultMaxLineLength = 64 << 10

	// DefaultMaxStringLiteral bounds a literal read into memory (a
	// string argument, a body section the client buffers). Larger
	// literals are refused before they are read; APPEND message bodies
	// are streamed and bounded by the OnLiteral hook instead.
	DefaultMaxStringLiteral = 1 << 20

	// DefaultMaxCommandBytes bounds all that one command or response
	// makes the decoder buffer: its lines and in-memory literals.
	DefaultMaxCommandBytes = 8 << 20

	// DefaultMaxDepth bounds the nesting of parenthesised lists (search
	// programs, BODYSTRUCTURE, extension data).
	DefaultMaxDepth = 64

	// DefaultMaxDiscard is the largest refused non-synchronising literal
	// the decoder reads and throws away to stay in step; larger ones
	// leave the connection to be closed (RFC 7888 4).
	DefaultMaxDiscard = 64 << 10

	// LiteralMinusMax is the largest non-synchronising literal allowed
	// under LITERAL- (RFC 7888 5).
	LiteralMinusMax = 4096
)

// Limits bounds a Decoder. A zero field takes its default.
type Limits struct {
	MaxLineLength    int   // default DefaultMaxLineLength
	MaxStringLiteral int64 // default DefaultMaxStringLiteral
	MaxCommandBytes  int64 // default DefaultMaxCommandBytes
	MaxDepth         int   // default DefaultMaxDepth
	MaxDiscard       int64 // default DefaultMaxDiscard
}

func (l Limits) withDefaults() Limits {
	if l.MaxLineLength <= 0 {
		l.MaxLineLength = DefaultMaxLineLength
	}
	if l.MaxStringLiteral <= 0 {
		l.MaxStringLiteral = DefaultMaxStringLiteral
	}
	if l.MaxCommandBytes <= 0 {
		l.MaxCommandBytes = DefaultMaxCommandBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxDiscard <= 0 {
		l.MaxDiscard = DefaultMaxDiscard
	}
	return l
}
