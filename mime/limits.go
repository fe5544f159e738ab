package mime

import (
	"errors"
	"fmt"
)

// Default bounds for reading. Each is far above what legitimate mail needs and
// low enough that a hostile peer cannot make a reader hold unbounded memory.
const (
	// DefaultMaxHeaderBytes bounds one header block (all fields, folded).
	// Real header blocks are a few KiB; mailing lists with long Received
	// chains reach tens of KiB.
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxHeaderFields bounds the number of fields in one header block.
	DefaultMaxHeaderFields = 10000
	// DefaultMaxDepth bounds the nesting of multipart and message/rfc822
	// entities. Real mail rarely nests deeper than 5.
	DefaultMaxDepth = 50
	// DefaultMaxParts bounds the number of entities in one message.
	DefaultMaxParts = 10000
)

// ErrLimitExceeded is matched (with errors.Is) by every *LimitError.
var ErrLimitExceeded = errors.New("mime: limit exceeded")

// A LimitError reports that input exceeded one of the reader's bounds.
type LimitError struct {
	Limit string // "header bytes", "header fields", "depth" or "parts"
	Max   int    // the bound in force
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("mime: %s exceed the limit of %d", e.Limit, e.Max)
}

// Is reports whether target is ErrLimitExceeded.
func (e *LimitError) Is(target error) bool { return target == ErrLimitExceeded }

// Limits bounds what a reader accepts. The zero value of a field means its
// default.
type Limits struct {
	MaxHeaderBytes  int // bytes of one header block; default DefaultMaxHeaderBytes
	MaxHeaderFields int // fields in one header block; default DefaultMaxHeaderFields
	MaxDepth        int // nesting of multipart and message entities; default DefaultMaxDepth
	MaxParts        int // entities in one message; default DefaultMaxParts
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func (l *Limits) maxHeaderBytes() int  { return orDefault(l.MaxHeaderBytes, DefaultMaxHeaderBytes) }
func (l *Limits) maxHeaderFields() int { return orDefault(l.MaxHeaderFields, DefaultMaxHeaderFields) }
func (l *Limits) maxDepth() int        { return orDefault(l.MaxDepth, DefaultMaxDepth) }
func (l *Limits) maxParts() int        { return orDefault(l.MaxParts, DefaultMaxParts) }
