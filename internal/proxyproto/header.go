package proxyproto

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Limits and defaults.
const (
	// MaxV1Length is the longest version 1 header, CRLF included: the
	// worst case "PROXY TCP6" line with two full IPv6 addresses and two
	// five-digit ports (section 2.1).
	MaxV1Length = 107

	// MaxV2Length is the longest version 2 header: 16 fixed bytes and a
	// 16-bit length of addresses and TLVs (section 2.2). It is also the most
	// memory a peer can make ReadHeader allocate.
	MaxV2Length = 16 + 65535

	// DefaultTimeout is how long Wrap and Listener wait for the header when
	// given no timeout. A proxy sends the header at once, as soon as the
	// connection is up, so ten seconds only bounds a peer that sends
	// nothing.
	DefaultTimeout = 10 * time.Second
)

// Command is what a header asks of the receiver (section 2.2, the low
// nibble of the 13th byte of a version 2 header).
type Command byte

const (
	// Local marks a connection the proxy opened on its own behalf, a health
	// check for instance: the receiver keeps the real connection addresses.
	// Only version 2 has it.
	Local Command = 0x0

	// Proxy marks a connection relayed for a client; the header carries
	// the client's addresses (or says it does not know them). Every
	// version 1 header has this command.
	Proxy Command = 0x1
)

// String returns "LOCAL" or "PROXY".
func (c Command) String() string {
	switch c {
	case Local:
		return "LOCAL"
	case Proxy:
		return "PROXY"
	}
	return fmt.Sprintf("Command(%d)", byte(c))
}

// TLV types registered in section 2.2.
const (
	TypeALPN      = 0x01 // application protocol the client negotiated (ALPN)
	TypeAuthority = 0x02 // host name the client asked for (TLS SNI), UTF-8
	TypeCRC32C    = 0x03 // CRC32c of the whole header; ReadHeader checks it
	TypeNoop      = 0x04 // padding, to be ignored
	TypeUniqueID  = 0x05 // opaque connection id of up to 128 bytes
	TypeSSL       = 0x20 // TLS facts of the client connection, with sub-TLVs
	TypeNetNS     = 0x30 // network namespace name, US-ASCII
)

// A TLV is one type-length-value vector of a version 2 header (section
// 2.2). Types 0xE0 to 0xEF are for custom use, 0xF0 to 0xF7 experimental,
// 0xF8 to 0xFF future use; ReadHeader keeps every TLV, known or not.
type TLV struct {
	Type  byte
	Value []byte
}

// A Header is one parsed PROXY protocol header.
type Header struct {
	// Version is 1 or 2.
	Version int

	// Command is Local or Proxy; always Proxy for version 1.
	Command Command

	// Source is the client's address and Destination the address the client
	// connected to. They are *net.TCPAddr for TCP over IPv4 or IPv6,
	// *net.UDPAddr for UDP and *net.UnixAddr for Unix sockets (version 2
	// only). Both are nil when the receiver must use the real connection
	// addresses: version 1 UNKNOWN, version 2 LOCAL, version 2 UNSPEC.
	Source, Destination net.Addr

	// TLVs holds the version 2 TLVs in wire order, for a PROXY command with
	// an IPv4, IPv6 or Unix address block. The values share one buffer and
	// must not be appended to.
	TLVs []TLV
}

// TLV returns the value of the first TLV of type typ and whether there was
// one.
func (h *Header) TLV(typ byte) ([]byte, bool) {
	for _, t := range h.TLVs {
		if t.Type == typ {
			return t.Value, true
		}
	}
	return nil, false
}

// ErrNoHeader reports a connection that does not start with a PROXY protocol
// signature. A listener that expects the header must close such a
// connection (section 2).
var ErrNoHeader = errors.New("proxyproto: connection does not start with a PROXY protocol header")

// A FormatError reports a header that starts with a PROXY protocol signature
// but breaks the protocol. The connection must be closed.
type FormatError struct {
	Version int    // 1 or 2
	Reason  string // what is wrong, for logs
}

// Error implements the error interface.
func (e *FormatError) Error() string {
	return fmt.Sprintf("proxyproto: malformed v%d header: %s", e.Version, e.Reason)
}

func formatErr(version int, format string, args ...any) error {
	return &FormatError{Version: version, Reason: fmt.Sprintf(format, args...)}
}
