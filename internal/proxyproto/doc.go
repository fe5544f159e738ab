// Package proxyproto reads the PROXY protocol header, versions 1 and 2, that
// a TCP proxy or load balancer (HAProxy, nginx, Envoy, AWS NLB, ...) sends at
// the start of each connection it forwards, so that a mail server behind it
// learns the client's real address instead of the proxy's. The protocol is
// HAProxy's "The PROXY protocol, Versions 1 & 2"
// (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt); section
// numbers in comments refer to that text.
//
// # The protocol
//
// The proxy opens a connection to the server and, before relaying a single
// byte from the client, writes one header:
//
//   - Version 1 (section 2.1) is one human-readable line of at most 107
//     bytes, for example "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n":
//     the protocol, the client's address, the address the client connected
//     to, then the two ports. "PROXY UNKNOWN\r\n" says the proxy does not
//     know the addresses.
//   - Version 2 (section 2.2) is binary: a 12-byte signature that no text
//     protocol can start with, a version and command byte, a family and
//     transport byte, a 16-bit length, the addresses, then optional
//     type-length-value vectors (TLVs) carrying extras such as the TLS SNI
//     the proxy saw (section 2.2.1). The LOCAL command marks a connection the
//     proxy made on its own behalf, a health check for instance: the
//     receiver keeps the real connection addresses.
//
// Everything after the header belongs to the relayed protocol (SMTP, IMAP,
// POP3, or a TLS handshake for implicit TLS), so a reader must consume the
// header and not one byte more. ReadHeader parses a header from a
// bufio.Reader and leaves the following bytes buffered; Wrap reads the header
// from a net.Conn under a deadline and returns a net.Conn that serves those
// bytes first and reports the header's addresses as RemoteAddr and
// LocalAddr; a Listener does the same for every connection it accepts,
// deferring the read to the connection's own goroutine.
//
// # Trust
//
// The header is a claim made by whoever opened the connection. Enable PROXY
// protocol on a listener only when every connection to it comes from a proxy
// you trust (bind it to a private address or filter it), otherwise any client
// can pick the address that your logs, rate limits, SPF checks and
// "loopback only" rules see. Conversely, a listener with PROXY protocol
// enabled must refuse a connection that does not start with a valid header
// (section 2: the receiver must not try to guess whether the header is
// present): every function here returns an error for a missing or malformed
// header, and the server must then close the connection.
//
// # Strictness and limits
//
// Version 1 is parsed strictly: single spaces, CRLF only, addresses of the
// announced family, decimal ports from 0 to 65535 without leading zeros.
// Version 2 rejects an unknown version, command or (for PROXY) address family,
// an address block longer than the declared length, a TLV that overruns it
// and a header whose CRC32c TLV (section 2.2.3) does not match. A header is
// at most 107 bytes (version 1) or 16+65535 bytes (version 2), so the memory
// a peer can make the reader hold is bounded.
package proxyproto
