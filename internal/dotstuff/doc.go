// Package dotstuff implements the transparency procedure that SMTP DATA
// (RFC 5321 4.5.2) and POP3 multi-line responses (RFC 1939 3.) use to carry
// a body that ends with a line holding a single ".".
//
// A Reader un-stuffs a body from the wire and stops exactly after the
// terminating CRLF "." CRLF, so the session that owns the bufio.Reader stays
// in sync. It is strict where the RFC is: only CRLF ends a line (RFC 5321
// 2.3.8), so a bare CR or bare LF — the raw material of SMTP smuggling
// ("\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n") — never ends the body. The Reader
// reads on to the real terminator, discards what follows the fault, and
// reports ErrBareLineEnding so the caller can reject the message with a 5xx
// reply without losing its place in the stream.
//
// Past the Reader's size limit the body is cut and ErrTooLarge reported at
// the end. A line longer than 1000 octets (RFC 5321 4.5.3.1.6) is delivered
// whole and ErrLineTooLong reported at the end, so a tolerant caller may
// accept it.
//
// A Writer stuffs a body for the wire and normalises every line ending to
// CRLF, so only CRLF ever leaves it.
package dotstuff
