package pop3

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Extended response codes (RFC 2449 8., RFC 3206 4., RFC 6856 5.).
const (
	CodeInUse      = "IN-USE"      // the maildrop is locked by another session
	CodeLoginDelay = "LOGIN-DELAY" // logged in too soon after the last login
	CodeSysTemp    = "SYS/TEMP"    // a temporary system failure
	CodeSysPerm    = "SYS/PERM"    // a permanent system failure
	CodeAuth       = "AUTH"        // the credentials are at fault
	CodeUTF8       = "UTF8"        // the message needs UTF-8 mode
)

// Response is a status line: "+OK" or "-ERR", an optional extended
// response code and text.
type Response struct {
	OK   bool
	Code string // extended response code without the brackets ("IN-USE"); "" if none
	Text string
}

// ParseResponse parses a status line without its CRLF (RFC 2449 3.:
// status [SP text], text = resp-code *CHAR when it starts with "[").
// A "[" without a valid code is kept as text.
func ParseResponse(line []byte) (Response, error) {
	var r Response
	switch {
	case bytes.HasPrefix(line, []byte("+OK")):
		r.OK = true
		line = line[3:]
	case bytes.HasPrefix(line, []byte("-ERR")):
		line = line[4:]
	default:
		return r, &ProtocolError{Line: string(line), Msg: "status indicator is neither +OK nor -ERR"}
	}
	if len(line) > 0 && line[0] != ' ' {
		return r, &ProtocolError{Line: string(line), Msg: "no space after status indicator"}
	}
	text := strings.TrimPrefix(string(line), " ")
	if strings.HasPrefix(text, "[") {
		if end := strings.IndexByte(text, ']'); end > 1 && validRespCode(text[1:end]) {
			r.Code = text[1:end]
			text = strings.TrimPrefix(text[end+1:], " ")
		}
	}
	r.Text = text
	return r, nil
}

// validRespCode reports whether s is resp-level *("/" resp-level).
func validRespCode(s string) bool {
	for lvl := range strings.SplitSeq(s, "/") {
		if lvl == "" {
			return false
		}
		for i := 0; i < len(lvl); i++ {
			if c := lvl[i]; c < 0x21 || c > 0x7e || c == ']' {
				return false
			}
		}
	}
	return true
}

// AppendResponse appends a status line, CRLF included, to dst. Code is
// written in brackets when not empty. CR and LF in code or text are
// replaced by spaces, so a response is always one line.
func AppendResponse(dst []byte, ok bool, code, text string) []byte {
	if ok {
		dst = append(dst, "+OK"...)
	} else {
		dst = append(dst, "-ERR"...)
	}
	if code != "" {
		dst = append(dst, " ["...)
		dst = appendOneLine(dst, code)
		dst = append(dst, ']')
	}
	if text != "" {
		dst = append(dst, ' ')
		dst = appendOneLine(dst, text)
	}
	return append(dst, '\r', '\n')
}

func appendOneLine(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' || c == 0 {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// Error is a negative (-ERR) response.
type Error struct {
	Code string // extended response code, "" if none
	Text string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("pop3: -ERR [%s] %s", e.Code, e.Text)
	}
	return "pop3: -ERR " + e.Text
}

// Temporary reports whether trying again later may succeed: the
// response codes IN-USE, LOGIN-DELAY and SYS/TEMP say so (RFC 2449 8.1,
// RFC 3206 4.).
func (e *Error) Temporary() bool {
	top, _, _ := strings.Cut(strings.ToUpper(e.Code), "/")
	switch top {
	case CodeInUse, CodeLoginDelay:
		return true
	case "SYS":
		return strings.EqualFold(e.Code, CodeSysTemp)
	}
	return false
}

// ProtocolError reports a response that breaks the protocol: the peer
// is not speaking POP3, or not correctly.
type ProtocolError struct {
	Line string // the offending line, possibly shortened
	Msg  string
}

// Error implements error.
func (e *ProtocolError) Error() string {
	line := e.Line
	if len(line) > 80 {
		line = line[:80] + "..."
	}
	return fmt.Sprintf("pop3: protocol error: %s: %q", e.Msg, line)
}

// ErrLineTooLong reports a line longer than the reader's limit.
var ErrLineTooLong = errors.New("pop3: line too long")
