package imap

import (
	"errors"
	"fmt"
)

// SyntaxError reports input that breaks the grammar of RFC 9051 9. The
// decoder has skipped the rest of the offending line, so the stream is
// still in step: a server answers BAD and reads the next command.
type SyntaxError struct {
	Msg string
}

func (e *SyntaxError) Error() string { return "imap: syntax error: " + e.Msg }

// CommandError is a command the server could not accept. Tag is the
// command's tag, or "" when no tag could be read, in which case the
// server answers with an untagged BAD (RFC 9051 7.1.3). Err is a
// *SyntaxError, a *LiteralRefusedError or ErrUnknownCommand.
type CommandError struct {
	Tag  string
	Name string // the command name when it was read, upper case
	Err  error
}

func (e *CommandError) Error() string {
	if e.Tag == "" {
		return fmt.Sprintf("imap: untagged: %v", e.Err)
	}
	return fmt.Sprintf("imap: command %s %s: %v", e.Tag, e.Name, e.Err)
}

func (e *CommandError) Unwrap() error { return e.Err }

// LiteralRefusedError is returned when a Decoder's OnLiteral hook refused a
// literal. For a synchronising literal nothing of the literal was read
// and the line is over: the peer waits for a continuation request that
// never comes (RFC 9051 7.5). For a non-synchronising literal (RFC 7888)
// the decoder discarded it when it was no larger than
// Limits.MaxDiscard; otherwise the stream is out of step and Fatal is
// true: the server should send BYE and close.
type LiteralRefusedError struct {
	Literal LiteralInfo
	Fatal   bool
	Err     error // what the hook returned
}

func (e *LiteralRefusedError) Error() string {
	return fmt.Sprintf("imap: literal of %d bytes refused: %v", e.Literal.Size, e.Err)
}

func (e *LiteralRefusedError) Unwrap() error { return e.Err }

// Errors for limits a peer went past. They are fatal: the decoder cannot
// find the start of the next command, so the connection must be closed.
var (
	ErrLineTooLong    = errors.New("imap: line too long")
	ErrCommandTooLong = errors.New("imap: command or response too long")
	ErrTooDeep        = errors.New("imap: lists nested too deep")
	ErrLiteralTooBig  = errors.New("imap: literal too big")
)

// ErrUnknownCommand is the error of a CommandError for a command name
// the codec does not know.
var ErrUnknownCommand = errors.New("imap: unknown command")

// IsFatal reports whether err leaves the stream out of step, so that the
// connection has to be closed: I/O errors, exceeded limits and refused
// non-synchronising literals that could not be discarded. Syntax errors
// and refused synchronising literals are not fatal.
func IsFatal(err error) bool {
	if err == nil {
		return false
	}
	var le *LiteralRefusedError
	if errors.As(err, &le) {
		return le.Fatal
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return false
	}
	return !errors.Is(err, ErrUnknownCommand)
}
