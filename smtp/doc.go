// Package smtp implements SMTP (RFC 5321) and LMTP (RFC 2033).
//
// This part of the package is the wire codec, usable on its own for
// conformance tests:
//
//   - ParseCommand splits a command line into its verb and arguments;
//     ParseMailFrom and ParseRcptTo read the paths of MAIL and RCPT
//     (RFC 5321 4.1.2, with SMTPUTF8, RFC 6531) and their ESMTP parameters
//     into Params; DecodeXtext and EncodeXtext handle the xtext of DSN
//     parameters (RFC 3461 4.).
//   - ParseReply reads a possibly multi-line reply (RFC 5321 4.2);
//     FormatReply and AppendReply write one, with the enhanced status code
//     of RFC 2034 on every line.
//   - Error is a reply that says no (4xx or 5xx) on both the client and
//     the server side; EnhancedCode is its RFC 3463 status code.
//     SyntaxError is a command a server cannot parse, with the reply it
//     should answer; ProtocolError is a reply a client cannot parse.
//
// The DATA transparency procedure (RFC 5321 4.5.2) lives in
// internal/dotstuff, which this package shares with pop3.
package smtp
