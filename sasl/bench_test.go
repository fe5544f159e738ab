package sasl

import (
	"context"
	"testing"
)

// benchSCRAM runs whole SCRAM exchanges, client and server, at the default
// iteration count: the cost is PBKDF2 on the client.
func benchSCRAM(b *testing.B, h string) {
	creds, err := NewSCRAMCredentials(h, "pencil")
	if err != nil {
		b.Fatal(err)
	}
	lookup := func(ctx context.Context, u string) (SCRAMCredentials, error) { return creds, nil }
	b.ReportAllocs()
	for b.Loop() {
		c, _ := NewSCRAMClient(h, "user", "pencil")
		s, _ := NewSCRAMServer(h, lookup)
		serr, cerr := exchange(b, c, s)
		if serr != nil || cerr != nil {
			b.Fatal(serr, cerr)
		}
	}
}

func BenchmarkSCRAMSHA256Exchange(b *testing.B) { benchSCRAM(b, "SHA-256") }
func BenchmarkSCRAMSHA1Exchange(b *testing.B)   { benchSCRAM(b, "SHA-1") }

// BenchmarkSCRAMServer measures the server's share alone: parsing and one
// HMAC and hash per login, with the client's messages precomputed.
func BenchmarkSCRAMServer(b *testing.B) {
	creds, _ := DeriveSCRAMCredentials("SHA-256", "pencil", []byte("0123456789abcdef"), 4096)
	lookup := func(ctx context.Context, u string) (SCRAMCredentials, error) { return creds, nil }
	c, _ := NewSCRAMClient("SHA-256", "user", "pencil")
	c.testNonce = "clientnonce"
	_, first, _ := c.Start()
	s, _ := NewSCRAMServer("SHA-256", lookup)
	s.testNonce = "SRV"
	ctx := context.Background()
	ch, _, _ := s.Next(ctx, first)
	final, err := c.Next(ch)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(first) + len(final)))
	b.ReportAllocs()
	for b.Loop() {
		s, _ := NewSCRAMServer("SHA-256", lookup)
		s.testNonce = "SRV"
		s.Next(ctx, first)
		if _, _, err := s.Next(ctx, final); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlainServer(b *testing.B) {
	msg := []byte("\x00tim\x00tanstaaftanstaaf")
	auth := plainAuth(users)
	ctx := context.Background()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := NewPlainServer(auth).Next(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
}
