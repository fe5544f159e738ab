package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReadHeader checks that ReadHeader never panics, consumes exactly the
// header it returns (and at most a header's worth when it fails), parses
// the consumed bytes alike on their own, and that TCP4 and IP version 2
// headers format back to the very bytes read.
func FuzzReadHeader(f *testing.F) {
	for _, s := range []string{
		"PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n",
		"PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 65535 0\r\n",
		"PROXY UNKNOWN\r\n",
		"PROXY UNKNOWN x y\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 56324 025\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n",
		"EHLO x\r\n",
	} {
		f.Add([]byte(s + "EHLO x\r\n"))
	}
	for _, b := range [][]byte{
		v2(0x21, 0x11, inet4, tlv(TypeAuthority, "mx.example.org")),
		v2(0x21, 0x12, inet4),
		v2(0x21, 0x21, inet6, tlv(TypeNoop, ""), tlv(0xE0, "x")),
		v2(0x21, 0x31, unixBlock),
		v2(0x20, 0x00),
		v2(0x21, 0x00, []byte{1}),
		withCRC(v2(0x21, 0x11, inet4, tlv(TypeUniqueID, "id"))),
		awsNLB,
		v2(0x21, 0x11, inet4[:11]),
	} {
		f.Add(append(bytes.Clone(b), "EHLO x\r\n"...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(bufio.NewReaderSize(bytes.NewReader(data), 16))
		// Consumed bytes, measured on a reader that cannot read ahead.
		n, err2 := consumed(data)
		require.Equal(t, err, err2)
		if err != nil {
			require.Nil(t, h)
			if errors.Is(err, ErrNoHeader) {
				require.Zero(t, n)
			}
			if len(data) > 0 && data[0] == 'P' {
				require.LessOrEqual(t, n, MaxV1Length)
			}
			require.LessOrEqual(t, n, MaxV2Length)
			return
		}
		switch h.Version {
		case 1:
			i := bytes.Index(data, []byte("\r\n"))
			require.Equal(t, i+2, n)
			require.LessOrEqual(t, n, MaxV1Length)
		case 2:
			require.Equal(t, 16+int(binary.BigEndian.Uint16(data[14:16])), n)
		default:
			t.Fatalf("version %d", h.Version)
		}

		// The header alone parses alike, and leaves a tail alone.
		again, err := ReadHeader(bufio.NewReader(bytes.NewReader(append(bytes.Clone(data[:n]), "tail"...))))
		require.NoError(t, err)
		require.Equal(t, h, again)

		if want, ok := format(h, data[:n]); ok {
			require.Equal(t, want, data[:n])
		}
	})
}

// consumed returns how many bytes of data ReadHeader consumes when the
// source yields one byte per read, so that nothing is buffered past what
// ReadHeader asked for.
func consumed(data []byte) (int, error) {
	src := &countingReader{data: data}
	br := bufio.NewReaderSize(src, 16)
	_, err := ReadHeader(br)
	return src.n - br.Buffered(), err
}

type countingReader struct {
	data []byte
	n    int
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.n == len(r.data) {
		return 0, io.EOF
	}
	p[0] = r.data[r.n]
	r.n++
	return 1, nil
}

// format writes h back in the form it was read from raw, where that form
// is canonical: version 1 TCP4, and version 2 PROXY over IPv4 or IPv6.
func format(h *Header, raw []byte) ([]byte, bool) {
	switch {
	case h.Version == 1 && strings.HasPrefix(string(raw), "PROXY TCP4 "):
		s, d := h.Source.(*net.TCPAddr), h.Destination.(*net.TCPAddr)
		return fmt.Appendf(nil, "PROXY TCP4 %s %s %d %d\r\n", s.IP, d.IP, s.Port, d.Port), true
	case h.Version == 2 && h.Command == Proxy && (raw[13]>>4 == 1 || raw[13]>>4 == 2):
		b := append([]byte(sigV2), raw[12], raw[13], 0, 0)
		ip, port := addrParts(h.Source)
		dip, dport := addrParts(h.Destination)
		if raw[13]>>4 == 1 {
			b = append(b, ip.To4()...)
			b = append(b, dip.To4()...)
		} else {
			b = append(b, ip.To16()...)
			b = append(b, dip.To16()...)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(port))
		b = binary.BigEndian.AppendUint16(b, uint16(dport))
		for _, t := range h.TLVs {
			b = append(b, t.Type)
			b = binary.BigEndian.AppendUint16(b, uint16(len(t.Value)))
			b = append(b, t.Value...)
		}
		binary.BigEndian.PutUint16(b[14:16], uint16(len(b)-16))
		return b, true
	}
	return nil, false
}

func addrParts(a net.Addr) (net.IP, int) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP, a.Port
	case *net.UDPAddr:
		return a.IP, a.Port
	}
	panic(errors.New("not an IP address"))
}
