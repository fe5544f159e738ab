package smtp

import (
	"strconv"
	"strings"
)

// EnhancedCode is an enhanced mail system status code (RFC 3463 2.):
// class, subject and detail, as in 5.1.1. The zero value means no code.
type EnhancedCode [3]int

// ParseEnhancedCode parses "class.subject.detail" (RFC 3463 2.): the class
// is 2, 4 or 5, subject and detail are 0 to 999 written with at most three
// digits and no sign.
func ParseEnhancedCode(s string) (EnhancedCode, error) {
	var c EnhancedCode
	for i := range 3 {
		part := s
		if i < 2 {
			dot := strings.IndexByte(s, '.')
			if dot < 0 {
				return EnhancedCode{}, &ProtocolError{"malformed enhanced status code: " + strconv.Quote(s)}
			}
			part, s = s[:dot], s[dot+1:]
		}
		n, ok := parseDigits(part, 3)
		if !ok {
			return EnhancedCode{}, &ProtocolError{"malformed enhanced status code"}
		}
		c[i] = n
	}
	if !c.Valid() {
		return EnhancedCode{}, &ProtocolError{"enhanced status code out of range"}
	}
	return c, nil
}

// parseDigits parses 1 to max decimal digits.
func parseDigits(s string, max int) (int, bool) {
	if len(s) == 0 || len(s) > max {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Valid reports whether c is a well-formed code (RFC 3463 2.).
func (c EnhancedCode) Valid() bool {
	return (c[0] == 2 || c[0] == 4 || c[0] == 5) &&
		c[1] >= 0 && c[1] <= 999 && c[2] >= 0 && c[2] <= 999
}

// IsZero reports whether c is the zero value, meaning no code.
func (c EnhancedCode) IsZero() bool { return c == EnhancedCode{} }

// String returns c as "class.subject.detail", or "" for the zero value.
func (c EnhancedCode) String() string {
	if c.IsZero() {
		return ""
	}
	return string(c.append(nil))
}

func (c EnhancedCode) append(b []byte) []byte {
	b = strconv.AppendInt(b, int64(c[0]), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(c[1]), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(c[2]), 10)
}

// Error is a reply that refuses (RFC 5321 4.2: 4yz transient, 5yz
// permanent). A server returns it from a session to choose the reply; a
// client gets it from Reply.Err.
type Error struct {
	Code         int          // reply code, 400 to 599
	EnhancedCode EnhancedCode // RFC 3463 code; zero when absent
	Message      string       // text; lines separated by "\n"
}

// Error implements error.
func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString("smtp: ")
	sb.WriteString(strconv.Itoa(e.Code))
	if !e.EnhancedCode.IsZero() {
		sb.WriteByte(' ')
		sb.WriteString(e.EnhancedCode.String())
	}
	if e.Message != "" {
		sb.WriteByte(' ')
		sb.WriteString(e.Message)
	}
	return sb.String()
}

// Temporary reports whether the failure is transient (a 4yz reply,
// RFC 5321 4.2.1), so the action may succeed if repeated later.
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// Format returns e as a reply on the wire; a Message with several lines
// gives a multi-line reply.
func (e *Error) Format() []byte {
	return FormatReply(e.Code, e.EnhancedCode, strings.Split(e.Message, "\n")...)
}

// SyntaxError is a command line or argument that a server cannot parse.
// Code and EnhancedCode are the reply the server should give: 500 for an
// unrecognisable command line, 501 for bad arguments, 555 for MAIL or RCPT
// parameters it does not know (RFC 5321 4.2.2, 4.2.4; RFC 1869 6).
type SyntaxError struct {
	Code         int
	EnhancedCode EnhancedCode
	Msg          string
}

// Error implements error.
func (e *SyntaxError) Error() string { return "smtp: syntax error: " + e.Msg }

// SMTPError returns the reply a server should send for e.
func (e *SyntaxError) SMTPError() *Error {
	return &Error{Code: e.Code, EnhancedCode: e.EnhancedCode, Message: e.Msg}
}

// ProtocolError reports a reply from the peer that breaks the grammar of
// RFC 5321 4.2; the connection is out of sync and should be closed.
type ProtocolError struct{ Msg string }

// Error implements error.
func (e *ProtocolError) Error() string { return "smtp: protocol error: " + e.Msg }

// Enhanced status codes this package uses for syntax errors (RFC 3463 3.).
var (
	codeSyntax        = EnhancedCode{5, 5, 2} // syntax error
	codeBadArgs       = EnhancedCode{5, 5, 4} // invalid command arguments
	codeBadDest       = EnhancedCode{5, 1, 3} // bad destination mailbox address syntax
	codeBadSender     = EnhancedCode{5, 1, 7} // bad sender's mailbox address syntax
	codeLineTooLong   = EnhancedCode{5, 5, 2}
	codeNoUTF8Allowed = EnhancedCode{5, 6, 7} // RFC 6531 3.7.4.1: non-ASCII address not permitted
)

func syntaxErr(code int, enh EnhancedCode, msg string) *SyntaxError {
	return &SyntaxError{Code: code, EnhancedCode: enh, Msg: msg}
}
