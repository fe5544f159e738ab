package sasl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func FuzzPlainServer(f *testing.F) {
	for _, s := range []string{
		"\x00tim\x00tanstaaftanstaaf", "tim\x00tim\x00tanstaaftanstaaf", "Ursel\x00Kurt\x00xipj3plmq",
		"", "\x00", "\x00\x00", "a\x00b\x00c\x00d", "\x00t\xffm\x00pw",
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, msg []byte, initial bool) {
		s := NewPlainServer(plainAuth(map[string]string{"tim": "tanstaaftanstaaf"}))
		ctx := context.Background()
		if !initial {
			ch, done, err := s.Next(ctx, nil)
			if err != nil || done || len(ch) != 0 {
				t.Fatalf("no initial response: %q %v %v", ch, done, err)
			}
		}
		ch, done, err := s.Next(ctx, msg)
		if !done || ch != nil {
			t.Fatalf("PLAIN must end after one message: %q %v", ch, done)
		}
		if err == nil {
			m := string(msg)
			if m != "\x00tim\x00tanstaaftanstaaf" && m != "tim\x00tim\x00tanstaaftanstaaf" {
				t.Fatalf("accepted %q", msg)
			}
			if s.Identity() != "tim" {
				t.Fatalf("identity %q", s.Identity())
			}
		}
	})
}

// FuzzSCRAMServer feeds the server a client-first and a client-final
// message. The server must not panic, and must succeed only when the
// final message carries the proof computed from the password.
func FuzzSCRAMServer(f *testing.F) {
	// Fast credentials: one iteration keeps the fuzzer busy with parsing.
	creds, err := DeriveSCRAMCredentials("SHA-256", "pencil", []byte("salt"), 1)
	if err != nil {
		f.Fatal(err)
	}
	// A complete, valid exchange as a seed.
	c, _ := NewSCRAMClient("SHA-256", "user", "pencil")
	c.testNonce, c.MinIterations = "abc", 1
	_, first, _ := c.Start()
	srvFirst := "r=abcSRV,s=" + base64.StdEncoding.EncodeToString(creds.Salt) + ",i=1"
	final, err := c.Next([]byte(srvFirst))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(first, final)
	f.Add([]byte("n,a=user,n=user,r=abc"), final)
	f.Add([]byte("y,,n=user,r=abc,x=ext"), final)
	f.Add([]byte("p=tls-unique,,n=user,r=abc"), final)
	f.Add([]byte("n,,m=x,n=user,r=abc"), []byte("c=biws,r=abcSRV,p=AAAA"))
	f.Add([]byte("n,,n=us=3Der=2C,r=abc"), []byte("c=biws,r=abcSRV,e=x,p="))
	f.Add([]byte(""), []byte(""))

	f.Fuzz(func(t *testing.T, first, final []byte) {
		s, _ := NewSCRAMServer("SHA-256", func(ctx context.Context, u string) (SCRAMCredentials, error) {
			if u != "user" {
				return SCRAMCredentials{}, ErrAuthFailed
			}
			return creds, nil
		})
		s.testNonce = "SRV"
		ctx := context.Background()
		ch, done, err := s.Next(ctx, first)
		if err != nil || done {
			if !done || err == nil {
				t.Fatalf("first: done=%v err=%v", done, err)
			}
			return
		}
		if !strings.HasPrefix(string(ch), "r=") {
			t.Fatalf("server-first %q", ch)
		}
		ch, done, err = s.Next(ctx, final)
		if err != nil || done {
			if !done || err == nil {
				t.Fatalf("final: done=%v err=%v", done, err)
			}
			return
		}
		// Success so far: the proof must be the real one.
		msg := string(final)
		i := strings.LastIndex(msg, ",p=")
		proof, _ := base64.StdEncoding.DecodeString(msg[i+3:])
		sp, _ := saltedPassword(sha256.New, "pencil", creds.Salt, 1)
		clientKey := hmacSum(sha256.New, sp, "Client Key")
		bare := string(first)[strings.Index(string(first), "n="):]
		authMsg := bare + "," + "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(creds.Salt) + ",i=1," + msg[:i]
		want := hmacSum(sha256.New, hashSum(sha256.New, clientKey), authMsg)
		xorBytes(want, want, clientKey)
		if !bytes.Equal(proof, want) {
			t.Fatalf("accepted a wrong proof: first %q final %q", first, final)
		}
		if !strings.HasPrefix(string(ch), "v=") {
			t.Fatalf("server-final %q", ch)
		}
		_, done, err = s.Next(ctx, nil)
		if !done || err != nil || s.Identity() != "user" {
			t.Fatalf("end: %v %v %q", done, err, s.Identity())
		}
	})
}

// FuzzOAuthBearerServer checks that a hostile first message never panics
// and that the verifier sees only what the message holds.
func FuzzOAuthBearerServer(f *testing.F) {
	f.Add([]byte("n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer tok\x01\x01"), true)
	f.Add([]byte("n,,\x01auth=\x01\x01"), true)
	f.Add([]byte("user=u\x01auth=Bearer tok\x01\x01"), false)
	f.Fuzz(func(t *testing.T, msg []byte, bearer bool) {
		verify := func(ctx context.Context, r OAuthRequest) (string, error) {
			if r.Token != "tok" {
				return "", &OAuthError{Status: "invalid_token"}
			}
			return r.Username, nil
		}
		s := NewXOAUTH2Server(verify)
		if bearer {
			s = NewOAuthBearerServer(verify)
		}
		ch, done, err := s.Next(context.Background(), msg)
		if done {
			if err == nil && !bytes.Contains(msg, []byte(" tok\x01")) {
				t.Fatalf("accepted %q", msg)
			}
			return
		}
		if err != nil || !bytes.HasPrefix(ch, []byte(`{"status":`)) {
			t.Fatalf("challenge %q %v", ch, err)
		}
		if _, done, err = s.Next(context.Background(), []byte{1}); !done || err == nil {
			t.Fatalf("failure response did not fail")
		}
	})
}

// FuzzSCRAMClient feeds the client hostile server messages: it must not
// panic, must keep to its iteration bounds, and must not accept a
// server-final-message that does not carry the right signature.
func FuzzSCRAMClient(f *testing.F) {
	f.Add([]byte("r=abcSRV,s=c2FsdA==,i=4"), []byte("v=AAAA"))
	f.Add([]byte("r=abcSRV,s=c2FsdA==,i=4,x=ext"), []byte("e=invalid-proof"))
	f.Add([]byte("m=x,r=abcSRV,s=c2FsdA==,i=4"), []byte(""))
	f.Add([]byte("r=abc,s=,i=99999999999"), []byte("v="))
	f.Fuzz(func(t *testing.T, first, final []byte) {
		c, _ := NewSCRAMClient("SHA-256", "user", "pencil")
		c.testNonce, c.MinIterations, c.MaxIterations = "abc", 1, 16
		if _, _, err := c.Start(); err != nil {
			t.Fatal(err)
		}
		resp, err := c.Next(first)
		if err != nil {
			return
		}
		if !strings.HasPrefix(string(resp), "c=biws,r=abc") {
			t.Fatalf("client-final %q", resp)
		}
		if _, err := c.Next(final); err == nil {
			v := strings.TrimPrefix(string(final), "v=")
			if i := strings.IndexByte(v, ','); i >= 0 {
				v = v[:i]
			}
			if v != base64.StdEncoding.EncodeToString(c.serverSig) {
				t.Fatalf("accepted server-final %q", final)
			}
		}
	})
}
