package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// v2 builds a version 2 header: the signature, the version and command
// byte, the family and transport byte, the length of body, then body.
func v2(verCmd, fam byte, body ...[]byte) []byte {
	b := []byte(sigV2)
	b = append(b, verCmd, fam, 0, 0)
	for _, p := range body {
		b = append(b, p...)
	}
	binary.BigEndian.PutUint16(b[14:16], uint16(len(b)-16))
	return b
}

// tlv encodes one TLV.
func tlv(typ byte, value string) []byte {
	return append([]byte{typ, byte(len(value) >> 8), byte(len(value))}, value...)
}

// withCRC appends a CRC32c TLV to header h and fixes its length and
// checksum (section 2.2.3).
func withCRC(h []byte) []byte {
	h = append(h, TypeCRC32C, 0, 4, 0, 0, 0, 0)
	binary.BigEndian.PutUint16(h[14:16], uint16(len(h)-16))
	sum := crc32.Checksum(h, crc32.MakeTable(crc32.Castagnoli))
	binary.BigEndian.PutUint32(h[len(h)-4:], sum)
	return h
}

func pad(s string, n int) string { return s + strings.Repeat("\x00", n-len(s)) }

var (
	// 192.0.2.1:56324 -> 198.51.100.2:25
	inet4 = []byte{192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0x00, 0x19}
	// [2001:db8::1]:56324 -> [2001:db8::2]:587
	inet6 = []byte{
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0xdc, 0x04, 0x02, 0x4b,
	}
	unixBlock = []byte(pad("/run/client.sock", 108) + pad("/run/postkit/smtp.sock", 108))

	// A header AWS Network Load Balancers send: TCP over IPv4
	// 172.31.7.113:51442 -> 172.31.10.31:80, a CRC32c TLV, an AWS TLV
	// (0xEA) with the VPC endpoint id, and NOOP padding.
	awsNLB = append([]byte{
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
		0x21, 0x11, 0x00, 0x54,
		0xac, 0x1f, 0x07, 0x71, 0xac, 0x1f, 0x0a, 0x1f, 0xc8, 0xf2, 0x00, 0x50,
		0x03, 0x00, 0x04, 0xe8, 0xd6, 0x89, 0x2d,
		0xea, 0x00, 0x17, 0x01, 'v', 'p', 'c', 'e', '-', '0', '8', 'd', '2', 'b', 'f', '1', '5',
		'f', 'a', 'c', '5', '0', '0', '1', 'c', '9',
		0x04, 0x00, 0x24,
	}, make([]byte, 0x24)...)
)

func tcp(s string) *net.TCPAddr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		panic(err)
	}
	return a
}

func udp(s string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp", s)
	if err != nil {
		panic(err)
	}
	return a
}

// addrString renders an address for comparison: net.TCPAddr values from
// different constructors differ in IP slice length but not in meaning.
func addrString(a net.Addr) string {
	if a == nil {
		return "<nil>"
	}
	return a.Network() + " " + a.String()
}

// parse reads a header from in followed by a tail and checks that exactly
// the tail is left.
func parse(t *testing.T, in []byte) (*Header, error) {
	t.Helper()
	const tail = "EHLO x\r\n"
	r := bufio.NewReader(bytes.NewReader(append(bytes.Clone(in), tail...)))
	h, err := ReadHeader(r)
	if err == nil {
		rest, _ := io.ReadAll(r)
		assert.Equal(t, tail, string(rest), "bytes after the header")
	}
	return h, err
}

func TestReadHeaderV1(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		src, dst string // "" for nil
	}{
		{"tcp4", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n", "192.0.2.1:56324", "198.51.100.2:25"},
		{"tcp6", "PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n", "[2001:db8::1]:65535", "[2001:db8::2]:0"},
		{"tcp6 v4-mapped", "PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n", "192.0.2.1:1", "[::1]:2"},
		{"tcp6 longest", "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
			"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"},
		{"unknown", "PROXY UNKNOWN\r\n", "", ""},
		{"unknown with junk", "PROXY UNKNOWN what ever\x00\t \r\n", "", ""},
		{"unknown longest (107 bytes)", "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tc.in), MaxV1Length)
			h, err := parse(t, []byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, 1, h.Version)
			assert.Equal(t, Proxy, h.Command)
			assert.Nil(t, h.TLVs)
			if tc.src == "" {
				assert.Nil(t, h.Source)
				assert.Nil(t, h.Destination)
				return
			}
			assert.Equal(t, addrString(tcp(tc.src)), addrString(h.Source))
			assert.Equal(t, addrString(tcp(tc.dst)), addrString(h.Destination))
		})
	}
}

func TestReadHeaderV1Malformed(t *testing.T) {
	long := "PROXY UNKNOWN " + strings.Repeat("x", MaxV1Length-len("PROXY UNKNOWN \r\n")+1) + "\r\n"
	tests := []struct {
		name string
		in   string
		want error // ErrNoHeader, io.ErrUnexpectedEOF, or nil for *FormatError
	}{
		{"double space before family", "PROXY  TCP4 192.0.2.1 198.51.100.2 1 2\r\n", nil},
		{"double space between addresses", "PROXY TCP4 192.0.2.1  198.51.100.2 1 2\r\n", nil},
		{"trailing space", "PROXY TCP4 192.0.2.1 198.51.100.2 1 2 \r\n", nil},
		{"tab separator", "PROXY TCP4 192.0.2.1\t198.51.100.2 1 2\r\n", nil},
		{"five fields", "PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n", nil},
		{"three fields", "PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n", nil},
		{"no addresses", "PROXY TCP4\r\n", nil},
		{"empty", "PROXY \r\n", nil},
		{"unknown protocol", "PROXY TCP5 192.0.2.1 198.51.100.2 1 2\r\n", nil},
		{"lower case protocol", "PROXY tcp4 192.0.2.1 198.51.100.2 1 2\r\n", nil},
		{"UNKNOWN glued", "PROXY UNKNOWNX\r\n", nil},
		{"octet over 255", "PROXY TCP4 192.0.2.256 198.51.100.2 1 2\r\n", nil},
		{"three octets", "PROXY TCP4 192.0.2 198.51.100.2 1 2\r\n", nil},
		{"leading zero octet", "PROXY TCP4 192.0.2.01 198.51.100.2 1 2\r\n", nil},
		{"host name", "PROXY TCP4 mx.example.org 198.51.100.2 1 2\r\n", nil},
		{"TCP4 with IPv6", "PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n", nil},
		{"TCP4 with v4-mapped IPv6", "PROXY TCP4 ::ffff:192.0.2.1 198.51.100.2 1 2\r\n", nil},
		{"TCP6 with IPv4", "PROXY TCP6 2001:db8::1 198.51.100.2 1 2\r\n", nil},
		{"TCP6 with zone", "PROXY TCP6 fe80::1%eth0 2001:db8::2 1 2\r\n", nil},
		{"TCP6 bracketed", "PROXY TCP6 [2001:db8::1] 2001:db8::2 1 2\r\n", nil},
		{"port 65536", "PROXY TCP4 192.0.2.1 198.51.100.2 65536 25\r\n", nil},
		{"port 99999", "PROXY TCP4 192.0.2.1 198.51.100.2 1 99999\r\n", nil},
		{"port six digits", "PROXY TCP4 192.0.2.1 198.51.100.2 1 000025\r\n", nil},
		{"port leading zero", "PROXY TCP4 192.0.2.1 198.51.100.2 1 025\r\n", nil},
		{"port 00", "PROXY TCP4 192.0.2.1 198.51.100.2 00 25\r\n", nil},
		{"port sign", "PROXY TCP4 192.0.2.1 198.51.100.2 +1 25\r\n", nil},
		{"port negative", "PROXY TCP4 192.0.2.1 198.51.100.2 -1 25\r\n", nil},
		{"port hex", "PROXY TCP4 192.0.2.1 198.51.100.2 0x19 25\r\n", nil},
		{"bare LF", "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n", nil},
		{"bare CR", "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\rEHLO x\r\n", nil},
		{"bare CR in UNKNOWN", "PROXY UNKNOWN a\rb\r\n", nil},
		{"LF CR", "PROXY UNKNOWN\n\r", nil},
		{"too long", long, nil},
		{"no CRLF in 107 bytes", "PROXY UNKNOWN " + strings.Repeat("x", 200), nil},
		{"missing CRLF", "PROXY TCP4 192.0.2.1 198.51.100.2 1 2", io.ErrUnexpectedEOF},
		{"truncated", "PROXY TCP4 192.0.2.1", io.ErrUnexpectedEOF},
		{"truncated signature", "PROX", io.ErrUnexpectedEOF},
		{"truncated after CR", "PROXY UNKNOWN\r", io.ErrUnexpectedEOF},
		{"no signature: SMTP", "EHLO x\r\n", ErrNoHeader},
		{"no signature: lower case", "proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n", ErrNoHeader},
		{"no signature: PROXZ", "PROXZ TCP4\r\n", ErrNoHeader},
		{"no signature: no space", "PROXYTCP4\r\n", ErrNoHeader},
		{"no signature: TLS", "\x16\x03\x01\x02\x00\x01", ErrNoHeader},
		{"no signature: CRLF", "\r\nPROXY UNKNOWN\r\n", ErrNoHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// No tail: a truncated header must end at EOF, not in the tail.
			h, err := ReadHeader(bufio.NewReader(strings.NewReader(tc.in)))
			require.Error(t, err)
			assert.Nil(t, h)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				return
			}
			var fe *FormatError
			require.ErrorAs(t, err, &fe, "%v", err)
			assert.Equal(t, 1, fe.Version)
			t.Log(err)
		})
	}
}

func TestReadHeaderEmpty(t *testing.T) {
	_, err := ReadHeader(bufio.NewReader(strings.NewReader("")))
	assert.ErrorIs(t, err, io.EOF)
	assert.NotErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestReadHeaderNoHeaderConsumesNothing(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("PROXIMA\r\n"))
	_, err := ReadHeader(r)
	require.ErrorIs(t, err, ErrNoHeader)
	rest, _ := io.ReadAll(r)
	assert.Equal(t, "PROXIMA\r\n", string(rest))
}

func TestReadHeaderV2(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		cmd      Command
		src, dst string // addrString form, "<nil>" for nil
		tlvs     []TLV
	}{
		{
			name: "tcp4",
			in:   v2(0x21, 0x11, inet4),
			cmd:  Proxy, src: "tcp 192.0.2.1:56324", dst: "tcp 198.51.100.2:25",
		},
		{
			name: "tcp4 with TLVs",
			in: v2(0x21, 0x11, inet4, tlv(TypeAuthority, "mx.example.org"), tlv(TypeALPN, "smtp"),
				tlv(TypeNoop, ""), tlv(0xE0, strings.Repeat("c", 300))),
			cmd: Proxy, src: "tcp 192.0.2.1:56324", dst: "tcp 198.51.100.2:25",
			tlvs: []TLV{
				{TypeAuthority, []byte("mx.example.org")}, {TypeALPN, []byte("smtp")},
				{TypeNoop, []byte{}}, {0xE0, []byte(strings.Repeat("c", 300))},
			},
		},
		{
			name: "udp4",
			in:   v2(0x21, 0x12, inet4),
			cmd:  Proxy, src: addrString(udp("192.0.2.1:56324")), dst: addrString(udp("198.51.100.2:25")),
		},
		{
			name: "tcp6",
			in:   v2(0x21, 0x21, inet6, tlv(TypeUniqueID, "id-42")),
			cmd:  Proxy, src: "tcp [2001:db8::1]:56324", dst: "tcp [2001:db8::2]:587",
			tlvs: []TLV{{TypeUniqueID, []byte("id-42")}},
		},
		{
			name: "udp6",
			in:   v2(0x21, 0x22, inet6),
			cmd:  Proxy, src: "udp [2001:db8::1]:56324", dst: "udp [2001:db8::2]:587",
		},
		{
			name: "unix stream",
			in:   v2(0x21, 0x31, unixBlock, tlv(TypeNetNS, "blue")),
			cmd:  Proxy, src: "unix /run/client.sock", dst: "unix /run/postkit/smtp.sock",
			tlvs: []TLV{{TypeNetNS, []byte("blue")}},
		},
		{
			name: "unix dgram, abstract and empty",
			in:   v2(0x21, 0x32, []byte(pad("\x00abstract", 108)+pad("", 108))),
			cmd:  Proxy, src: "unixgram @abstract", dst: "unixgram ",
		},
		{
			name: "local",
			in:   v2(0x20, 0x00),
			cmd:  Local, src: "<nil>", dst: "<nil>",
		},
		{
			name: "local ignores family and block",
			in:   v2(0x20, 0xff, []byte("whatever the proxy sends")),
			cmd:  Local, src: "<nil>", dst: "<nil>",
		},
		{
			name: "local with an address block",
			in:   v2(0x20, 0x11, inet4),
			cmd:  Local, src: "<nil>", dst: "<nil>",
		},
		{
			name: "proxy unspec",
			in:   v2(0x21, 0x00, []byte{1, 2, 3}),
			cmd:  Proxy, src: "<nil>", dst: "<nil>",
		},
		{
			name: "crc32c",
			in:   withCRC(v2(0x21, 0x11, inet4, tlv(TypeAuthority, "mx.example.org"))),
			cmd:  Proxy, src: "tcp 192.0.2.1:56324", dst: "tcp 198.51.100.2:25",
			tlvs: []TLV{{TypeAuthority, []byte("mx.example.org")}, {TypeCRC32C, nil}},
		},
		{
			name: "AWS NLB",
			in:   awsNLB,
			cmd:  Proxy, src: "tcp 172.31.7.113:51442", dst: "tcp 172.31.10.31:80",
			tlvs: []TLV{
				{TypeCRC32C, []byte{0xe8, 0xd6, 0x89, 0x2d}},
				{0xEA, []byte("\x01vpce-08d2bf15fac5001c9")},
				{TypeNoop, make([]byte, 36)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parse(t, tc.in)
			require.NoError(t, err)
			assert.Equal(t, 2, h.Version)
			assert.Equal(t, tc.cmd, h.Command)
			assert.Equal(t, tc.src, addrString(h.Source))
			assert.Equal(t, tc.dst, addrString(h.Destination))
			require.Len(t, h.TLVs, len(tc.tlvs))
			for i, want := range tc.tlvs {
				assert.Equal(t, want.Type, h.TLVs[i].Type)
				if want.Type != TypeCRC32C || want.Value != nil {
					assert.Equal(t, want.Value, h.TLVs[i].Value)
				}
			}
		})
	}
}

func TestHeaderTLV(t *testing.T) {
	h, err := parse(t, v2(0x21, 0x11, inet4, tlv(TypeAuthority, "a.example"), tlv(TypeAuthority, "b.example")))
	require.NoError(t, err)
	v, ok := h.TLV(TypeAuthority)
	assert.True(t, ok)
	assert.Equal(t, "a.example", string(v))
	_, ok = h.TLV(TypeALPN)
	assert.False(t, ok)
}

func TestReadHeaderV2Malformed(t *testing.T) {
	badCRC := bytes.Clone(awsNLB)
	badCRC[17] ^= 1 // the source address changes, the checksum does not
	tests := []struct {
		name string
		in   []byte
		want error // io.ErrUnexpectedEOF, ErrNoHeader, or nil for *FormatError
	}{
		{"version 1", v2(0x11, 0x11, inet4), nil},
		{"version 0", v2(0x01, 0x11, inet4), nil},
		{"version 3", v2(0x31, 0x11, inet4), nil},
		{"command 2", v2(0x22, 0x11, inet4), nil},
		{"command 15", v2(0x2f, 0x11, inet4), nil},
		{"family 4", v2(0x21, 0x41, inet4), nil},
		{"transport 3", v2(0x21, 0x13, inet4), nil},
		{"unspec family with stream", v2(0x21, 0x01, inet4), nil},
		{"inet with unspec transport", v2(0x21, 0x10, inet4), nil},
		{"inet length short", v2(0x21, 0x11, inet4[:11]), nil},
		{"inet6 length short", v2(0x21, 0x21, inet4), nil},
		{"unix length short", v2(0x21, 0x31, inet6), nil},
		{"TLV header cut", v2(0x21, 0x11, inet4, []byte{TypeNoop, 0}), nil},
		{"TLV overruns", v2(0x21, 0x11, inet4, []byte{TypeAuthority, 0, 5, 'a', 'b'}), nil},
		{"second TLV overruns", v2(0x21, 0x11, inet4, tlv(TypeNoop, "x"), []byte{TypeAuthority, 1, 0}), nil},
		{"CRC32c of 3 bytes", v2(0x21, 0x11, inet4, tlv(TypeCRC32C, "abc")), nil},
		{"CRC32c mismatch", badCRC, nil},
		{"CRC32c zero", v2(0x21, 0x11, inet4, tlv(TypeCRC32C, "\x00\x00\x00\x00")), nil},
		{"truncated signature", []byte(sigV2[:7]), io.ErrUnexpectedEOF},
		{"truncated fixed part", v2(0x21, 0x11, inet4)[:14], io.ErrUnexpectedEOF},
		{"truncated block", v2(0x21, 0x11, inet4)[:20], io.ErrUnexpectedEOF},
		{"truncated TLV", v2(0x21, 0x11, inet4, tlv(TypeAuthority, "mx.example.org"))[:35], io.ErrUnexpectedEOF},
		{"signature off by one", append([]byte("\r\n\r\n\x00\r\nQUIT\r"), v2(0x21, 0x11, inet4)[12:]...), ErrNoHeader},
		{"signature without NUL", []byte("\r\n\r\nQUIT\n"), ErrNoHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ReadHeader(bufio.NewReader(bytes.NewReader(tc.in)))
			require.Error(t, err)
			assert.Nil(t, h)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				return
			}
			var fe *FormatError
			require.ErrorAs(t, err, &fe, "%v", err)
			assert.Equal(t, 2, fe.Version)
			t.Log(err)
		})
	}
}

// TestReadHeaderV2Largest reads a header of the largest declared length
// through the smallest bufio.Reader.
func TestReadHeaderV2Largest(t *testing.T) {
	in := v2(0x21, 0x11, inet4, tlv(0xE1, strings.Repeat("z", 65535-12-3)))
	require.Len(t, in, MaxV2Length)
	const tail = "tail"
	r := bufio.NewReaderSize(bytes.NewReader(append(in, tail...)), 16)
	h, err := ReadHeader(r)
	require.NoError(t, err)
	require.Len(t, h.TLVs, 1)
	assert.Len(t, h.TLVs[0].Value, 65535-15)
	rest, _ := io.ReadAll(r)
	assert.Equal(t, tail, string(rest))
}

// TestReadHeaderDoesNotReadAhead checks that a header whose peer then waits
// (SMTP clients wait for the greeting) is returned without more input.
func TestReadHeaderDoesNotReadAhead(t *testing.T) {
	for _, in := range [][]byte{
		[]byte("PROXY UNKNOWN\r\n"),
		[]byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n"),
		v2(0x20, 0x00),
		v2(0x21, 0x11, inet4),
	} {
		_, err := ReadHeader(bufio.NewReader(&stingyReader{data: in}))
		assert.NoError(t, err, "%q", in)
	}
}

// stingyReader returns data one byte per Read and fails a Read past it, as a
// peer that sends the header and then waits would block.
type stingyReader struct{ data []byte }

func (r *stingyReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errors.New("read past the header")
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

func TestCommandString(t *testing.T) {
	assert.Equal(t, "LOCAL", Local.String())
	assert.Equal(t, "PROXY", Proxy.String())
	assert.Equal(t, "Command(7)", Command(7).String())
}
