package sasl

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// RFC 5802: SCRAM; RFC 7677: SCRAM-SHA-256. This file holds what both
// sides share; scram_client.go and scram_server.go the two state machines.

// SCRAM iteration counts.
const (
	// DefaultSCRAMIterations is the iteration count DeriveSCRAMCredentials
	// callers should use at least, and the least a SCRAMClient accepts by
	// default: RFC 7677 4. says the count SHOULD be at least 4096.
	DefaultSCRAMIterations = 4096
	// MaxSCRAMIterations is the most a SCRAMClient accepts by default, so
	// that a hostile server cannot make it spin: one million rounds of
	// PBKDF2 take about a second.
	MaxSCRAMIterations = 1 << 20
)

// scramHash returns the hash function of a SCRAM mechanism: "SHA-1" or
// "SHA-256" (the mechanism name's suffix; case does not matter).
func scramHash(name string) (func() hash.Hash, string, error) {
	switch strings.TrimPrefix(strings.ToUpper(name), "SCRAM-") {
	case "SHA-1":
		return sha1.New, SCRAMSHA1, nil
	case "SHA-256":
		return sha256.New, SCRAMSHA256, nil
	}
	return nil, "", fmt.Errorf("sasl: unknown SCRAM hash %q", name)
}

// SCRAMCredentials is what a SCRAM server stores for a user instead of the
// password (RFC 5802 3.): the salt, the iteration count, StoredKey and
// ServerKey.
type SCRAMCredentials struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// DeriveSCRAMCredentials computes the stored credentials for password with
// the given hash ("SHA-1" or "SHA-256"), salt and iteration count. Use a
// random salt of 16 bytes or more per user (NewSCRAMCredentials does) and
// at least DefaultSCRAMIterations.
func DeriveSCRAMCredentials(hashName, password string, salt []byte, iterations int) (SCRAMCredentials, error) {
	h, _, err := scramHash(hashName)
	if err != nil {
		return SCRAMCredentials{}, err
	}
	if iterations < 1 {
		return SCRAMCredentials{}, errors.New("sasl: SCRAM iteration count must be positive")
	}
	sp, err := saltedPassword(h, password, salt, iterations)
	if err != nil {
		return SCRAMCredentials{}, err
	}
	ck := hmacSum(h, sp, "Client Key")
	return SCRAMCredentials{
		Salt:       append([]byte(nil), salt...),
		Iterations: iterations,
		StoredKey:  hashSum(h, ck),
		ServerKey:  hmacSum(h, sp, "Server Key"),
	}, nil
}

// NewSCRAMCredentials is DeriveSCRAMCredentials with a fresh 16-byte random
// salt and DefaultSCRAMIterations.
func NewSCRAMCredentials(hashName, password string) (SCRAMCredentials, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return SCRAMCredentials{}, err
	}
	return DeriveSCRAMCredentials(hashName, password, salt, DefaultSCRAMIterations)
}

// saltedPassword is SaltedPassword := Hi(Normalize(password), salt, i)
// (RFC 5802 3.). Hi is PBKDF2 with HMAC and one block. A password that
// SASLprep refuses is used as it is, as other implementations do.
func saltedPassword(h func() hash.Hash, password string, salt []byte, iterations int) ([]byte, error) {
	if p, err := SASLprep(password); err == nil {
		password = p
	}
	return pbkdf2.Key(h, password, salt, iterations, h().Size())
}

func hmacSum(h func() hash.Hash, key []byte, msg string) []byte {
	m := hmac.New(h, key)
	io.WriteString(m, msg)
	return m.Sum(nil)
}

func hashSum(h func() hash.Hash, b []byte) []byte {
	d := h()
	d.Write(b)
	return d.Sum(nil)
}

// escapeSCRAMName escapes "=" and "," in a saslname (RFC 5802 5.1).
func escapeSCRAMName(s string) string {
	if !strings.ContainsAny(s, "=,") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '=':
			b.WriteString("=3D")
		case ',':
			b.WriteString("=2C")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// unescapeSCRAMName reverses escapeSCRAMName; any other "=" is an error
// (RFC 5802 5.1).
func unescapeSCRAMName(s string) (string, bool) {
	if !strings.Contains(s, "=") {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		default:
			return "", false
		}
		i += 2
	}
	return b.String(), true
}

// validNonce reports whether s is a SCRAM nonce: printable ASCII except
// "," (RFC 5802 7.).
func validNonce(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7E || c == ',' {
			return false
		}
	}
	return true
}

// scramAttr splits "k=value" and checks the key.
func scramAttr(field string, key byte) (string, bool) {
	if len(field) < 2 || field[0] != key || field[1] != '=' {
		return "", false
	}
	return field[2:], true
}

// parseIterations reads a positive iteration count.
func parseIterations(s string) (int, bool) {
	if s == "" || len(s) > 10 || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// makeNonce returns 24 random bytes in base64: 32 printable characters.
func makeNonce(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [24]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

func xorBytes(dst, a, b []byte) {
	for i := range dst {
		dst[i] = a[i] ^ b[i]
	}
}
