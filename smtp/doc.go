// Package smtp implements SMTP (RFC 5321) and LMTP (RFC 2033): a wire
// codec, a server and a client.
//
// The server (server.go, conn.go) is shaped like net/http's: a Server whose
// zero value works with documented defaults, Serve, ListenAndServe,
// Shutdown and Close; a Handler gives a Session per connection, which gets
// the envelope and the message. It answers as RFC 5321 says (503 for bad
// sequences, 501 for syntax, 500 for unknown commands, 552 for size), ends
// DATA only at CRLF.CRLF and rejects bare CR or LF after reading to the
// real end (no SMTP smuggling), discards what a client pipelined before a
// STARTTLS handshake (CVE-2011-0411), offers AUTH (package sasl) only over
// TLS or loopback unless told otherwise, and bounds line length, message
// size, recipients, errors, failed authentications, connections (in all
// and per IP address) and idle time. BDAT chunks reach the session as
// they arrive; no message is held in memory by the server. Extensions:
// PIPELINING, 8BITMIME, SIZE, STARTTLS, AUTH, ENHANCEDSTATUSCODES,
// SMTPUTF8, DSN (parameters parsed and passed on), CHUNKING, BINARYMIME,
// REQUIRETLS (RFC 8689), LIMITS (RFC 9422), and Postfix's XCLIENT for
// trusted front ends; LMTP with one reply per recipient. Conn.Received
// builds the Received trace field (RFC 5321 4.4) a server prepends, with
// the protocol name of RFC 3848 (received.go).
//
// The client (client.go, client_send.go) dials or wraps a connection, says
// EHLO (HELO as fallback), STARTTLS, AUTH, and sends with MAIL/RCPT/DATA or
// BDAT; Send pipelines when the server offers PIPELINING and returns one
// result per recipient, keeping to the server's LIMITS RCPTMAX. Every call
// takes a context; no argument with CR or LF is ever sent, and no bare CR
// or LF goes out inside DATA.
//
// The MX transport (transport.go, transport_host.go) delivers to the
// recipients' mail exchangers (RFC 5321 5.): MX lookup through an
// injectable resolver, null MX (RFC 7505) and the implicit MX, hosts in
// preference order with fallback while nothing of the message has been
// sent, opportunistic or required STARTTLS, REQUIRETLS, and one
// DeliveryError per refused recipient carrying the remote host and reply.
// Its Deliver method uses only standard-library types, so a delivery
// queue calls it without importing this package.
//
// The wire codec is usable on its own for conformance tests:
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
