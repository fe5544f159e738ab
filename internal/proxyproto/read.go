package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/netip"
	"strings"
)

// Signatures (sections 2.1 and 2.2). The version 2 signature starts with
// CRLF CRLF NUL so that no text protocol, version 1 included, can start with
// it.
const (
	sigV1 = "PROXY "
	sigV2 = "\r\n\r\n\x00\r\nQUIT\n"
)

// ReadHeader reads one PROXY protocol header, version 1 or 2, from the start
// of r and returns it. It consumes exactly the header: the bytes that follow
// stay in r for the relayed protocol.
//
// A stream that does not start with either signature gives ErrNoHeader
// without consuming anything; a header that breaks the protocol gives a
// *FormatError; a stream that ends inside the header gives an error that
// wraps io.ErrUnexpectedEOF, one that ends before the first byte an error
// that wraps io.EOF, and a read error (a deadline, for instance) is wrapped
// as it is. ReadHeader reads byte by byte until it knows the header's size,
// so it never blocks waiting for bytes past the header, and it holds at most
// MaxV2Length bytes.
func ReadHeader(r *bufio.Reader) (*Header, error) {
	b, err := r.Peek(1)
	if err != nil {
		return nil, readErr(err, false)
	}
	switch b[0] {
	case sigV1[0]:
		if err := matchPrefix(r, sigV1); err != nil {
			return nil, err
		}
		return readV1(r)
	case sigV2[0]:
		if err := matchPrefix(r, sigV2); err != nil {
			return nil, err
		}
		return readV2(r)
	}
	return nil, ErrNoHeader
}

// matchPrefix peeks at r one byte at a time and reports ErrNoHeader at the
// first byte that differs from sig, so that a peer that sends something
// else is refused at once rather than after a timeout.
func matchPrefix(r *bufio.Reader, sig string) error {
	for i := 1; i <= len(sig); i++ {
		b, err := r.Peek(i)
		if err != nil {
			return readErr(err, true)
		}
		if b[i-1] != sig[i-1] {
			return ErrNoHeader
		}
	}
	return nil
}

// readErr wraps an error from the underlying reader; io.EOF becomes
// io.ErrUnexpectedEOF once part of a header has been seen.
func readErr(err error, inside bool) error {
	if inside && errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("proxyproto: reading header: %w", err)
}

// readV1 reads a version 1 line (section 2.1). The receiver must not read
// past the CRLF, so the line is read byte by byte, up to MaxV1Length.
func readV1(r *bufio.Reader) (*Header, error) {
	var line [MaxV1Length]byte
	n := 0
	for {
		if n == len(line) {
			return nil, formatErr(1, "no CRLF within %d bytes", MaxV1Length)
		}
		c, err := r.ReadByte()
		if err != nil {
			return nil, readErr(err, true)
		}
		line[n] = c
		n++
		if n >= 2 && line[n-2] == '\r' && c != '\n' {
			return nil, formatErr(1, "CR not followed by LF")
		}
		if c == '\n' {
			if n < 2 || line[n-2] != '\r' {
				return nil, formatErr(1, "line ends with a bare LF")
			}
			return parseV1(string(line[len(sigV1) : n-2]))
		}
	}
}

// parseV1 parses what follows "PROXY " on a version 1 line, CRLF removed:
// "TCP4|TCP6 src dst sport dport" with single spaces, or "UNKNOWN" followed
// by anything.
func parseV1(s string) (*Header, error) {
	proto, rest, hasRest := strings.Cut(s, " ")
	switch proto {
	case "UNKNOWN":
		// Section 2.1: with UNKNOWN the receiver must ignore anything up to
		// the CRLF and use the real connection addresses.
		return &Header{Version: 1, Command: Proxy}, nil
	case "TCP4", "TCP6":
	default:
		return nil, formatErr(1, "unknown protocol %q", proto)
	}
	if !hasRest {
		return nil, formatErr(1, "%s without addresses", proto)
	}
	f := strings.Split(rest, " ")
	if len(f) != 4 {
		return nil, formatErr(1, "%d fields after %s, want 4 separated by single spaces", len(f), proto)
	}
	src, err := parseV1Addr(f[0], proto)
	if err != nil {
		return nil, err
	}
	dst, err := parseV1Addr(f[1], proto)
	if err != nil {
		return nil, err
	}
	sport, err := parseV1Port(f[2])
	if err != nil {
		return nil, err
	}
	dport, err := parseV1Port(f[3])
	if err != nil {
		return nil, err
	}
	return &Header{
		Version:     1,
		Command:     Proxy,
		Source:      net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, sport)),
		Destination: net.TCPAddrFromAddrPort(netip.AddrPortFrom(dst, dport)),
	}, nil
}

// parseV1Addr parses an address of the family proto announced: dotted
// decimal for TCP4, RFC 4291 text without a zone for TCP6 (section 2.1).
func parseV1Addr(s, proto string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return netip.Addr{}, formatErr(1, "bad address %q", s)
	case proto == "TCP4" && !a.Is4():
		return netip.Addr{}, formatErr(1, "%q is not an IPv4 address", s)
	case proto == "TCP6" && (!a.Is6() || a.Zone() != ""):
		return netip.Addr{}, formatErr(1, "%q is not an IPv6 address", s)
	}
	return a, nil
}

// parseV1Port parses a port: decimal 0 to 65535, no sign, no leading zero
// (section 2.1).
func parseV1Port(s string) (uint16, error) {
	if s == "" || len(s) > 5 || (s[0] == '0' && len(s) > 1) {
		return 0, formatErr(1, "bad port %q", s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, formatErr(1, "bad port %q", s)
		}
		n = n*10 + int(s[i]-'0')
	}
	if n > 65535 {
		return 0, formatErr(1, "port %s out of range", s)
	}
	return uint16(n), nil
}

// Address block lengths of version 2 (section 2.2).
const (
	lenInet  = 4 + 4 + 2 + 2
	lenInet6 = 16 + 16 + 2 + 2
	lenUnix  = 108 + 108
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// readV2 reads a version 2 header (section 2.2) once the signature has
// been matched. The 16 fixed bytes give the length of the rest, so exactly
// that much is read.
func readV2(r *bufio.Reader) (*Header, error) {
	var fixed [16]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return nil, readErr(err, true)
	}
	if v := fixed[12] >> 4; v != 2 {
		return nil, formatErr(2, "version %d", v)
	}
	cmd := Command(fixed[12] & 0x0f)
	if cmd != Local && cmd != Proxy {
		return nil, formatErr(2, "unknown command 0x%x", byte(cmd))
	}
	fam := fixed[13]
	if cmd == Proxy {
		// Section 2.2: other values of the family and transport byte must
		// be rejected. LOCAL ignores the byte altogether.
		switch fam {
		case 0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32:
		default:
			return nil, formatErr(2, "unknown address family and transport 0x%02x", fam)
		}
	}
	n := int(binary.BigEndian.Uint16(fixed[14:16]))
	buf := make([]byte, 16+n)
	copy(buf, fixed[:])
	if _, err := io.ReadFull(r, buf[16:]); err != nil {
		return nil, readErr(err, true)
	}
	h := &Header{Version: 2, Command: cmd}
	if cmd == Local {
		// Section 2.2: the receiver must use the real connection endpoints
		// and discard the protocol block, family included.
		return h, nil
	}
	body := buf[16:]
	var alen int
	switch fam >> 4 {
	case 0x0:
		// AF_UNSPEC: the receiver may accept the connection and use the
		// real endpoints; the block has no defined layout, so it is skipped.
		return h, nil
	case 0x1:
		alen = lenInet
	case 0x2:
		alen = lenInet6
	case 0x3:
		alen = lenUnix
	}
	if n < alen {
		return nil, formatErr(2, "length %d is shorter than the %d-byte address block", n, alen)
	}
	h.Source, h.Destination = v2Addrs(fam, body[:alen])
	if err := parseTLVs(h, buf, 16+alen); err != nil {
		return nil, err
	}
	return h, nil
}

// v2Addrs decodes the address block of a known family (section 2.2).
func v2Addrs(fam byte, b []byte) (src, dst net.Addr) {
	stream := fam&0x0f == 0x1
	ip := func(a netip.Addr, port []byte) net.Addr {
		ap := netip.AddrPortFrom(a, binary.BigEndian.Uint16(port))
		if stream {
			return net.TCPAddrFromAddrPort(ap)
		}
		return net.UDPAddrFromAddrPort(ap)
	}
	switch fam >> 4 {
	case 0x1:
		return ip(netip.AddrFrom4([4]byte(b[0:4])), b[8:10]), ip(netip.AddrFrom4([4]byte(b[4:8])), b[10:12])
	case 0x2:
		return ip(netip.AddrFrom16([16]byte(b[0:16])), b[32:34]), ip(netip.AddrFrom16([16]byte(b[16:32])), b[34:36])
	}
	network := "unixgram"
	if stream {
		network = "unix"
	}
	return &net.UnixAddr{Name: unixPath(b[:108]), Net: network}, &net.UnixAddr{Name: unixPath(b[108:216]), Net: network}
}

// unixPath decodes a 108-byte sun_path: a NUL-terminated path, or a Linux
// abstract name (a leading NUL), which Go writes with a leading '@'.
func unixPath(b []byte) string {
	if b[0] == 0 {
		name := bytes.TrimRight(b[1:], "\x00")
		if len(name) == 0 {
			return ""
		}
		return "@" + string(name)
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// parseTLVs parses the TLVs of header buf from offset off to its end
// (section 2.2.1) into h.TLVs, and checks a CRC32c TLV (section 2.2.3).
func parseTLVs(h *Header, buf []byte, off int) error {
	for off < len(buf) {
		if len(buf)-off < 3 {
			return formatErr(2, "%d trailing bytes are too short for a TLV", len(buf)-off)
		}
		typ := buf[off]
		l := int(binary.BigEndian.Uint16(buf[off+1 : off+3]))
		v := off + 3
		if len(buf)-v < l {
			return formatErr(2, "TLV 0x%02x of %d bytes overruns the header", typ, l)
		}
		value := buf[v : v+l : v+l]
		if typ == TypeCRC32C {
			if err := checkCRC32C(buf, v, value); err != nil {
				return err
			}
		}
		h.TLVs = append(h.TLVs, TLV{Type: typ, Value: value})
		off = v + l
	}
	return nil
}

// checkCRC32C checks a CRC32c TLV whose value starts at buf[v]: the
// checksum of the whole header with the value taken as zero (section
// 2.2.3). A mismatch makes the connection invalid.
func checkCRC32C(buf []byte, v int, value []byte) error {
	if len(value) != 4 {
		return formatErr(2, "CRC32c TLV of %d bytes, want 4", len(value))
	}
	var zero [4]byte
	sum := crc32.Update(0, crc32c, buf[:v])
	sum = crc32.Update(sum, crc32c, zero[:])
	sum = crc32.Update(sum, crc32c, buf[v+4:])
	if got := binary.BigEndian.Uint32(value); got != sum {
		return formatErr(2, "CRC32c 0x%08x does not match the header's 0x%08x", got, sum)
	}
	return nil
}
