package sasl

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exchange runs client against server the way a protocol would and
// returns the server's verdict and the client's last error.
func exchange(t testing.TB, c Client, s Server) (serverErr, clientErr error) {
	t.Helper()
	ctx := context.Background()
	_, resp, err := c.Start()
	if err != nil {
		return nil, err
	}
	for i := 0; i < 10; i++ {
		ch, done, err := s.Next(ctx, resp)
		if done || err != nil {
			if err == nil && ch != nil {
				t.Fatalf("server sent data with success")
			}
			return err, clientErr
		}
		resp, err = c.Next(ch)
		var oe *OAuthError
		if err != nil && !errors.As(err, &oe) {
			return nil, err
		}
		if err != nil {
			clientErr = err
		}
	}
	t.Fatalf("exchange did not end")
	return nil, nil
}

func plainAuth(users map[string]string) PlainAuthenticator {
	return func(ctx context.Context, identity, username, password string) (string, error) {
		p, ok := users[username]
		if !ok || !equalConstantTime([]byte(p), []byte(password)) {
			return "", ErrAuthFailed
		}
		if identity != "" && identity != username {
			return "", ErrAuthFailed
		}
		return username, nil
	}
}

var users = map[string]string{"tim": "tanstaaftanstaaf", "Kurt": "xipj3plmq", "user": "pencil"}

func TestPlainRFC4616(t *testing.T) {
	// RFC 4616 4.: the two examples.
	s := NewPlainServer(plainAuth(users))
	ch, done, err := s.Next(context.Background(), nil)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, []byte{}, ch, `S: + ""`)
	_, done, err = s.Next(context.Background(), []byte("\x00tim\x00tanstaaftanstaaf"))
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, "tim", s.Identity())

	s = NewPlainServer(plainAuth(users))
	_, done, err = s.Next(context.Background(), []byte("Ursel\x00Kurt\x00xipj3plmq"))
	assert.True(t, done)
	assert.ErrorIs(t, err, ErrAuthFailed, "Not authorized to requested authorization identity")

	mech, ir, err := NewPlainClient("", "tim", "tanstaaftanstaaf").Start()
	require.NoError(t, err)
	assert.Equal(t, "PLAIN", mech)
	assert.Equal(t, "\x00tim\x00tanstaaftanstaaf", string(ir))
	assert.Len(t, ir, 21)
}

func TestPlainServerMalformed(t *testing.T) {
	for _, in := range []string{"", "tim", "\x00tim", "\x00\x00pw", "\x00tim\x00", "a\x00b\x00c\x00d", "\x00t\xffm\x00pw"} {
		s := NewPlainServer(plainAuth(users))
		_, done, err := s.Next(context.Background(), []byte(in))
		assert.True(t, done, "%q", in)
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
	s := NewPlainServer(plainAuth(users))
	_, _, err := s.Next(context.Background(), bytes.Repeat([]byte("a"), MaxMessageSize+1))
	assert.ErrorIs(t, err, ErrTooLarge)
	_, _, err = s.Next(context.Background(), []byte("\x00tim\x00tanstaaftanstaaf"))
	assert.ErrorIs(t, err, ErrUnexpected, "no second try on one exchange")
}

func TestPlainClientRefusesCtl(t *testing.T) {
	for _, c := range []Client{
		NewPlainClient("", "a\x00b", "p"), NewPlainClient("", "a", "p\r\n"), NewPlainClient("", "", "p"),
		NewLoginClient("a\nb", "p"), NewCRAMMD5Client("a\r", "s"),
		NewXOAUTH2Client("u\x01", "t"), NewOAuthBearerClient("u", "t\x01", "", 0),
	} {
		_, _, err := c.Start()
		assert.Error(t, err)
	}
}

func TestAllowPlaintext(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:25": true, "127.0.0.1": true, "127.0.0.1:587": true,
		"[::1]:143": true, "::1": true, "LOCALHOST.": true,
		"mail.example.com": false, "mail.example.com:25": false, "10.0.0.1": false, "localhost.evil.com": false,
	} {
		assert.Equal(t, want, AllowPlaintext(host, false), host)
		assert.True(t, AllowPlaintext(host, true), host)
	}
}

func TestRoundTrips(t *testing.T) {
	sha256Creds, err := DeriveSCRAMCredentials("SHA-256", "pencil", []byte("salt-of-16-bytes"), 4096)
	require.NoError(t, err)
	sha1Creds, err := DeriveSCRAMCredentials("SHA-1", "pencil", []byte("salt-of-16-bytes"), 4096)
	require.NoError(t, err)
	lookup := func(creds SCRAMCredentials) SCRAMLookup {
		return func(ctx context.Context, u string) (SCRAMCredentials, error) {
			if u != "user" {
				return SCRAMCredentials{}, ErrAuthFailed
			}
			return creds, nil
		}
	}
	secret := func(ctx context.Context, u string) (string, error) {
		if p, ok := users[u]; ok {
			return p, nil
		}
		return "", ErrAuthFailed
	}
	verify := func(ctx context.Context, r OAuthRequest) (string, error) {
		if r.Token == "good" && r.Username == "user" {
			return r.Username, nil
		}
		return "", &OAuthError{Status: "invalid_token", Scope: "mail"}
	}
	scramC := func(h, u, p, id string) Client {
		c, err := NewSCRAMClient(h, u, p)
		require.NoError(t, err)
		c.Identity = id
		return c
	}
	scramS := func(h string) Server {
		creds := sha256Creds
		if h == "SHA-1" {
			creds = sha1Creds
		}
		s, err := NewSCRAMServer(h, lookup(creds))
		require.NoError(t, err)
		return s
	}
	tests := []struct {
		name   string
		client Client
		server Server
		err    error // server's verdict
		cerr   error // client's error
		id     string
	}{
		{"plain", NewPlainClient("", "user", "pencil"), NewPlainServer(plainAuth(users)), nil, nil, "user"},
		{"plain self authzid", NewPlainClient("user", "user", "pencil"), NewPlainServer(plainAuth(users)), nil, nil, "user"},
		{"plain wrong password", NewPlainClient("", "user", "pen"), NewPlainServer(plainAuth(users)), ErrAuthFailed, nil, ""},
		{"plain wrong authzid", NewPlainClient("tim", "user", "pencil"), NewPlainServer(plainAuth(users)), ErrAuthFailed, nil, ""},
		{"login", NewLoginClient("user", "pencil"), NewLoginServer(plainAuth(users)), nil, nil, "user"},
		{"login wrong password", NewLoginClient("user", "x"), NewLoginServer(plainAuth(users)), ErrAuthFailed, nil, ""},
		{"cram-md5", NewCRAMMD5Client("tim", "tanstaaftanstaaf"), NewCRAMMD5Server("h.example", secret), nil, nil, "tim"},
		{"cram-md5 wrong secret", NewCRAMMD5Client("tim", "x"), NewCRAMMD5Server("h.example", secret), ErrAuthFailed, nil, ""},
		{"cram-md5 unknown user", NewCRAMMD5Client("bob", "x"), NewCRAMMD5Server("h.example", secret), ErrAuthFailed, nil, ""},
		{"scram-sha-256", scramC("SHA-256", "user", "pencil", ""), scramS("SHA-256"), nil, nil, "user"},
		{"scram-sha-1", scramC("SHA-1", "user", "pencil", ""), scramS("SHA-1"), nil, nil, "user"},
		{"scram self authzid", scramC("SHA-256", "user", "pencil", "user"), scramS("SHA-256"), nil, nil, "user"},
		{"scram wrong authzid", scramC("SHA-256", "user", "pencil", "admin"), scramS("SHA-256"), ErrAuthFailed, nil, ""},
		{"scram wrong password", scramC("SHA-256", "user", "pen", ""), scramS("SHA-256"), ErrAuthFailed, nil, ""},
		{"scram unknown user", scramC("SHA-256", "bob", "pencil", ""), scramS("SHA-256"), ErrAuthFailed, nil, ""},
		{"scram hash mismatch", scramC("SHA-1", "user", "pencil", ""), scramS("SHA-256"), ErrMalformed, nil, ""},
		{"oauthbearer", NewOAuthBearerClient("user", "good", "imap.example", 993), NewOAuthBearerServer(verify), nil, nil, "user"},
		{"oauthbearer bad token", NewOAuthBearerClient("user", "bad", "", 0), NewOAuthBearerServer(verify), ErrAuthFailed, ErrAuthFailed, ""},
		{"xoauth2", NewXOAUTH2Client("user", "good"), NewXOAUTH2Server(verify), nil, nil, "user"},
		{"xoauth2 bad token", NewXOAUTH2Client("user", "bad"), NewXOAUTH2Server(verify), ErrAuthFailed, ErrAuthFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serr, cerr := exchange(t, tt.client, tt.server)
			if tt.cerr == nil {
				assert.NoError(t, cerr)
			} else {
				assert.ErrorIs(t, cerr, tt.cerr)
			}
			if tt.err == nil {
				require.NoError(t, serr)
				assert.Equal(t, tt.id, tt.server.Identity())
			} else {
				assert.ErrorIs(t, serr, tt.err)
				assert.Empty(t, tt.server.Identity())
			}
		})
	}
}

func TestLoginWire(t *testing.T) {
	// draft-murchison-sasl-login 2.: prompts and bare answers; an initial
	// response is the username.
	s := NewLoginServer(plainAuth(users))
	ctx := context.Background()
	ch, done, err := s.Next(ctx, []byte("tim"))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "Password:", string(ch))
	_, done, err = s.Next(ctx, []byte("tanstaaftanstaaf"))
	require.NoError(t, err)
	assert.True(t, done)

	s = NewLoginServer(plainAuth(users))
	ch, _, _ = s.Next(ctx, nil)
	assert.Equal(t, "Username:", string(ch))
	_, done, err = s.Next(ctx, []byte{})
	assert.True(t, done)
	assert.ErrorIs(t, err, ErrMalformed)

	c := NewLoginClient("tim", "pw")
	_, ir, _ := c.Start()
	assert.Nil(t, ir)
	r1, _ := c.Next([]byte("Username:"))
	r2, _ := c.Next([]byte("Password:"))
	_, err = c.Next([]byte("?"))
	assert.Equal(t, []string{"tim", "pw"}, []string{string(r1), string(r2)})
	assert.ErrorIs(t, err, ErrUnexpected)
}

func TestCRAMMD5RFC2195(t *testing.T) {
	// RFC 2195 2.: the example exchange.
	const challenge = "<1896.697170952@postoffice.reston.mci.net>"
	c := NewCRAMMD5Client("tim", "tanstaaftanstaaf")
	_, ir, err := c.Start()
	require.NoError(t, err)
	assert.Nil(t, ir)
	resp, err := c.Next([]byte(challenge))
	require.NoError(t, err)
	assert.Equal(t, "tim b913a602c7eda7a495b4e6e7334d3890", string(resp))
	assert.Equal(t, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", base64.StdEncoding.EncodeToString(resp))

	s := NewCRAMMD5Server("postoffice.reston.mci.net", func(ctx context.Context, u string) (string, error) {
		return users[u], nil
	})
	s.Rand = bytes.NewReader([]byte{0, 0, 0, 0, 0, 0, 0x07, 0x68}) // 1896
	s.Now = func() time.Time { return time.Unix(697170952, 0) }
	ch, done, err := s.Next(context.Background(), nil)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, challenge, string(ch))
	_, done, err = s.Next(context.Background(), []byte("tim B913A602C7EDA7A495B4E6E7334D3890"))
	require.NoError(t, err, "upper-case hex is accepted")
	assert.True(t, done)
	assert.Equal(t, "tim", s.Identity())
}

func TestCRAMMD5ServerMalformed(t *testing.T) {
	lookup := func(ctx context.Context, u string) (string, error) { return users[u], nil }
	s := NewCRAMMD5Server("h", lookup)
	_, _, err := s.Next(context.Background(), []byte("tim"))
	assert.ErrorIs(t, err, ErrMalformed, "no initial response")
	for _, in := range []string{"", "tim", " b913a602c7eda7a495b4e6e7334d3890", "tim b913", "tim zz13a602c7eda7a495b4e6e7334d3890", "t\x00m b913a602c7eda7a495b4e6e7334d3890"} {
		s := NewCRAMMD5Server("h", lookup)
		_, _, err := s.Next(context.Background(), nil)
		require.NoError(t, err)
		_, done, err := s.Next(context.Background(), []byte(in))
		assert.True(t, done)
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
}

// RFC 5034 4. (and RFC 4954 4.): CRAM-MD5 is server-first, so any
// initial response, even the empty one a client sends as "=", is
// rejected; only a missing one (nil) gets the challenge.
func TestCRAMMD5RejectsInitialResponse(t *testing.T) {
	lookup := func(ctx context.Context, u string) (string, error) { return users[u], nil }
	for _, tc := range []struct {
		name string
		ir   []byte
	}{
		{"empty", []byte{}},
		{"non-empty", []byte("tim b913a602c7eda7a495b4e6e7334d3890")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewCRAMMD5Server("h", lookup)
			ch, done, err := s.Next(context.Background(), tc.ir)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.True(t, done)
			assert.Nil(t, ch)
			_, _, err = s.Next(context.Background(), []byte("tim b913a602c7eda7a495b4e6e7334d3890"))
			assert.ErrorIs(t, err, ErrUnexpected, "the exchange is over")
		})
	}
	s := NewCRAMMD5Server("h", lookup)
	ch, done, err := s.Next(context.Background(), nil)
	require.NoError(t, err)
	assert.False(t, done)
	assert.NotEmpty(t, ch)
}

func TestSCRAMSHA1RFC5802(t *testing.T) {
	// RFC 5802 5.: user/pencil.
	testSCRAMVector(t, "SHA-1", "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j", "QSXCR+Q6sek8bf92",
		"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")
}

func TestSCRAMSHA256RFC7677(t *testing.T) {
	// RFC 7677 3.: user/pencil.
	testSCRAMVector(t, "SHA-256", "rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "W22ZaJ0SNY7soEsUEjb6gQ==",
		"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
}

func testSCRAMVector(t *testing.T, h, cnonce, snonce, salt64, c1, s1, c2, s2 string) {
	c, err := NewSCRAMClient(h, "user", "pencil")
	require.NoError(t, err)
	c.testNonce = cnonce
	mech, ir, err := c.Start()
	require.NoError(t, err)
	assert.Equal(t, "SCRAM-"+h, mech)
	assert.Equal(t, c1, string(ir))
	resp, err := c.Next([]byte(s1))
	require.NoError(t, err)
	assert.Equal(t, c2, string(resp))
	resp, err = c.Next([]byte(s2))
	require.NoError(t, err)
	assert.Equal(t, []byte{}, resp)

	salt, _ := base64.StdEncoding.DecodeString(salt64)
	creds, err := DeriveSCRAMCredentials(h, "pencil", salt, 4096)
	require.NoError(t, err)
	s, err := NewSCRAMServer(h, func(ctx context.Context, u string) (SCRAMCredentials, error) {
		assert.Equal(t, "user", u)
		return creds, nil
	})
	require.NoError(t, err)
	s.testNonce = snonce
	ctx := context.Background()
	ch, done, err := s.Next(ctx, []byte(c1))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, s1, string(ch))
	ch, done, err = s.Next(ctx, []byte(c2))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, s2, string(ch))
	ch, done, err = s.Next(ctx, []byte{})
	require.NoError(t, err)
	assert.True(t, done)
	assert.Nil(t, ch)
	assert.Equal(t, "user", s.Identity())
}

func TestSCRAMClientChecksServer(t *testing.T) {
	const s1 = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
	tests := []struct {
		name      string
		first     string
		final     string
		minIter   int
		wantFirst error
		wantFinal error
	}{
		{"forged server signature", s1, "v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0, nil, ErrServerProof},
		{"server error", s1, "e=invalid-proof", 0, nil, ErrAuthFailed},
		{"bad final", s1, "x=1", 0, nil, ErrMalformed},
		{"nonce not extended", "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", "", 0, ErrMalformed, nil},
		{"nonce replaced", "r=XXXX+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096", "", 0, ErrMalformed, nil},
		{"mandatory extension", "m=x," + s1, "", 0, ErrMalformed, nil},
		{"bad salt", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=!!,i=4096", "", 0, ErrMalformed, nil},
		{"zero iterations", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=0", "", 0, ErrMalformed, nil},
		{"missing i", "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92", "", 0, ErrMalformed, nil},
		{"first error", "e=unknown-user", "", 0, ErrAuthFailed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewSCRAMClient("SHA-1", "user", "pencil")
			require.NoError(t, err)
			c.testNonce = "fyko+d2lbbFgONRv9qkxdawL"
			c.MinIterations = tt.minIter
			_, _, err = c.Start()
			require.NoError(t, err)
			_, err = c.Next([]byte(tt.first))
			if tt.wantFirst != nil {
				assert.ErrorIs(t, err, tt.wantFirst)
				return
			}
			require.NoError(t, err)
			_, err = c.Next([]byte(tt.final))
			assert.ErrorIs(t, err, tt.wantFinal)
		})
	}

	// Iteration bounds.
	c, _ := NewSCRAMClient("SHA-1", "user", "pencil")
	c.testNonce = "abc"
	c.Start()
	_, err := c.Next([]byte("r=abcd,s=QSXCR+Q6sek8bf92,i=1000"))
	assert.ErrorContains(t, err, "iteration count")
	c, _ = NewSCRAMClient("SHA-1", "user", "pencil")
	c.testNonce, c.MinIterations = "abc", 1000
	c.Start()
	_, err = c.Next([]byte("r=abcd,s=QSXCR+Q6sek8bf92,i=1000"))
	assert.NoError(t, err, "MinIterations lowers the floor")
	c, _ = NewSCRAMClient("SHA-1", "user", "pencil")
	c.testNonce = "abc"
	c.Start()
	_, err = c.Next([]byte("r=abcd,s=QSXCR+Q6sek8bf92,i=2000000000"))
	assert.ErrorContains(t, err, "iteration count")
}

func TestSCRAMServerMalformed(t *testing.T) {
	creds, _ := DeriveSCRAMCredentials("SHA-1", "pencil", []byte("salt"), 4096)
	lookup := func(ctx context.Context, u string) (SCRAMCredentials, error) { return creds, nil }
	firsts := []string{
		"", "n", "n,", "x,,n=user,r=abc", "p=tls-unique,,n=user,r=abc", "n,,m=ext,n=user,r=abc",
		"n,,n=user", "n,,r=abc,n=user", "n,,n=,r=abc", "n,,n=us=er,r=abc", "n,,n=user,r=a,bc",
		"n,,n=user,r=", "n,,n=user,r=a\x7fb", "n,a=,n=user,r=abc", "n,b=x,n=user,r=abc", "n,,n=\x00,r=abc",
		"n,,n=\xff,r=abc",
	}
	for _, in := range firsts {
		s, _ := NewSCRAMServer("SHA-1", lookup)
		_, done, err := s.Next(context.Background(), []byte(in))
		assert.True(t, done, "%q", in)
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
	finals := []string{
		"", "c=biws,r=abcSRV", "c=biws,r=abcSRV,p=", "c=biws,r=abcSRV,p=!!", "c=biws,r=abcSRV,p=AAAA",
		"c=eSws,r=abcSRV,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "c=biws,r=abcXXX,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"r=abcSRV,c=biws,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "c=biws,r=abcSRV,junk,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	}
	for _, in := range finals {
		s, _ := NewSCRAMServer("SHA-1", lookup)
		s.testNonce = "SRV"
		_, _, err := s.Next(context.Background(), []byte("n,,n=user,r=abc"))
		require.NoError(t, err)
		_, done, err := s.Next(context.Background(), []byte(in))
		assert.True(t, done, "%q", in)
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
	// A well-formed but wrong proof is an authentication failure.
	s, _ := NewSCRAMServer("SHA-1", lookup)
	s.testNonce = "SRV"
	s.Next(context.Background(), []byte("y,,n=user,r=abc"))
	_, _, err := s.Next(context.Background(), []byte("c=eSws,r=abcSRV,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="))
	assert.ErrorIs(t, err, ErrAuthFailed)
}

func TestSCRAMUnknownUserLooksKnown(t *testing.T) {
	lookup := func(ctx context.Context, u string) (SCRAMCredentials, error) {
		return SCRAMCredentials{}, ErrAuthFailed
	}
	first := func() string {
		s, _ := NewSCRAMServer("SHA-256", lookup)
		s.testNonce = "SRV"
		ch, done, err := s.Next(context.Background(), []byte("n,,n=nobody,r=abc"))
		require.NoError(t, err)
		assert.False(t, done)
		return string(ch)
	}
	a, b := first(), first()
	assert.Equal(t, a, b, "the same salt each time")
	assert.Contains(t, a, ",i=4096")

	broken := func(ctx context.Context, u string) (SCRAMCredentials, error) {
		return SCRAMCredentials{}, errors.New("db down")
	}
	s, _ := NewSCRAMServer("SHA-256", broken)
	_, _, err := s.Next(context.Background(), []byte("n,,n=user,r=abc"))
	assert.EqualError(t, err, "db down")
}

func TestSCRAMNames(t *testing.T) {
	// RFC 5802 5.1: "=" and "," are escaped; the server hands the lookup
	// the unescaped, prepared name.
	var got []string
	creds, _ := DeriveSCRAMCredentials("SHA-256", "pw", []byte("salt"), 4096)
	lookup := func(ctx context.Context, u string) (SCRAMCredentials, error) {
		got = append(got, u)
		return creds, nil
	}
	for _, name := range []string{"a=b,c", "I\u00ADX", "user\u00A0name", "\uFB01x"} {
		c, err := NewSCRAMClient("SHA-256", name, "pw")
		require.NoError(t, err)
		s, _ := NewSCRAMServer("SHA-256", lookup)
		s.Authorize = func(ctx context.Context, u, id string) (string, error) { return u, nil }
		serr, cerr := exchange(t, c, s)
		require.NoError(t, cerr)
		require.NoError(t, serr)
	}
	assert.Equal(t, []string{"a=b,c", "IX", "user name", "fix"}, got)
	assert.Equal(t, "a=3Db=2Cc", escapeSCRAMName("a=b,c"))

	_, err := NewSCRAMClient("SHA-256", "a\x07b", "pw")
	assert.Error(t, err)
	_, err = NewSCRAMClient("MD5", "a", "pw")
	assert.Error(t, err)
}

func TestSASLprep(t *testing.T) {
	// RFC 4013 3.: the examples.
	ok := map[string]string{
		"I\u00ADX": "IX", "user": "user", "USER": "USER", "\u00AA": "a", "\u2168": "IX",
		"a\u2000b": "a b", "": "",
	}
	for in, want := range ok {
		got, err := SASLprep(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{"\u0007", "a\x00b", "\uE000", "\xff", "\uFDD0", "\U000E0001", "\u200E"} {
		_, err := SASLprep(in)
		assert.Error(t, err, "%q", in)
	}
}

func TestOAuthBearerRFC7628(t *testing.T) {
	// RFC 7628 4.1: the IMAP example's initial response.
	const ir = "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
	c := NewOAuthBearerClient("user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "server.example.com", 143)
	mech, got, err := c.Start()
	require.NoError(t, err)
	assert.Equal(t, "OAUTHBEARER", mech)
	assert.Equal(t, ir, string(got))
	assert.Equal(t, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB",
		base64.StdEncoding.EncodeToString(got))

	var req OAuthRequest
	s := NewOAuthBearerServer(func(ctx context.Context, r OAuthRequest) (string, error) {
		req = r
		return r.Username, nil
	})
	_, done, err := s.Next(context.Background(), got)
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, OAuthRequest{"user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "server.example.com", 143}, req)

	// RFC 7628 4.3: an empty auth gets the JSON failure response; the
	// client answers "\x01" and the server fails.
	const failIR = "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=\x01\x01"
	const failJSON = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0="
	want := &OAuthError{Status: "invalid_token", Scope: "example_scope", OpenIDConfiguration: "https://example.com/.well-known/openid-configuration"}
	s = NewOAuthBearerServer(func(ctx context.Context, r OAuthRequest) (string, error) {
		assert.Empty(t, r.Token)
		return "", want
	})
	ch, done, err := s.Next(context.Background(), []byte(failIR))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, failJSON, base64.StdEncoding.EncodeToString(ch))
	resp, cerr := NewOAuthBearerClient("u", "t", "", 0).Next(ch)
	assert.Equal(t, "AQ==", base64.StdEncoding.EncodeToString(resp))
	var oe *OAuthError
	require.ErrorAs(t, cerr, &oe)
	assert.Equal(t, want, oe)
	_, done, err = s.Next(context.Background(), resp)
	assert.True(t, done)
	assert.ErrorIs(t, err, ErrAuthFailed)
	assert.ErrorAs(t, err, &oe)

	// A verifier that lets an empty token through is overruled.
	s = NewOAuthBearerServer(func(ctx context.Context, r OAuthRequest) (string, error) { return "x", nil })
	_, _, err = s.Next(context.Background(), []byte(failIR))
	assert.ErrorIs(t, err, ErrAuthFailed)
}

func TestOAuthMalformed(t *testing.T) {
	ok := func(ctx context.Context, r OAuthRequest) (string, error) { return r.Username, nil }
	for _, in := range []string{
		"", "n,,", "n,,\x01", "n,,\x01auth=Bearer x\x01", "x,,\x01auth=Bearer x\x01\x01", "n,a=u\x01auth=Bearer x\x01\x01",
		"n,,\x01auth=Basic x\x01\x01", "n,,\x01auth=Bearer \x01\x01", "n,,\x01auth=Bearer x\x01\x01junk",
		"n,,\x01auth=Bearer x\x01auth=Bearer y\x01\x01", "n,,\x01port=x\x01auth=Bearer x\x01\x01",
		"n,,\x01=v\x01auth=Bearer x\x01\x01", "n,,\x01k-1=v\x01auth=Bearer x\x01\x01", "n,a=,\x01auth=Bearer x\x01\x01",
		"n,,\x01auth=Bearer \xff\x01\x01",
	} {
		_, done, err := NewOAuthBearerServer(ok).Next(context.Background(), []byte(in))
		assert.True(t, done, "%q", in)
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
	for _, in := range []string{"", "user=u\x01\x01", "auth=Bearer x\x01\x01", "user=\x01auth=Bearer x\x01\x01", "user=u\x01auth=Bearer x"} {
		_, done, err := NewXOAUTH2Server(ok).Next(context.Background(), []byte(in))
		assert.True(t, done, "%q", in)
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
	_, err := NewOAuthBearerClient("u", "t", "", 0).Next([]byte("not json"))
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestXOAUTH2Wire(t *testing.T) {
	_, ir, err := NewXOAUTH2Client("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg").Start()
	require.NoError(t, err)
	assert.Equal(t, "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg\x01\x01", string(ir))
	// Google's failure challenge; the client answers with an empty response.
	resp, err := NewXOAUTH2Client("u", "t").Next([]byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`))
	assert.Equal(t, []byte{}, resp)
	var oe *OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "401", oe.Status)
	assert.Equal(t, "bearer", oe.Schemes)
}

func TestServersWithoutInitialResponse(t *testing.T) {
	// Every server asks with an empty challenge when the client sent no
	// initial response, then takes the first message.
	creds, _ := NewSCRAMCredentials("SHA-256", "pencil")
	scram, _ := NewSCRAMServer("SHA-256", func(ctx context.Context, u string) (SCRAMCredentials, error) { return creds, nil })
	c, _ := NewSCRAMClient("SHA-256", "user", "pencil")
	for _, tc := range []struct {
		c Client
		s Server
	}{
		{NewPlainClient("", "user", "pencil"), NewPlainServer(plainAuth(users))},
		{c, scram},
		{NewXOAUTH2Client("user", "good"), NewXOAUTH2Server(func(ctx context.Context, r OAuthRequest) (string, error) { return "user", nil })},
		{NewOAuthBearerClient("user", "good", "", 0), NewOAuthBearerServer(func(ctx context.Context, r OAuthRequest) (string, error) { return "user", nil })},
	} {
		ch, done, err := tc.s.Next(context.Background(), nil)
		require.NoError(t, err)
		require.False(t, done)
		assert.Equal(t, []byte{}, ch)
		_, ir, _ := tc.c.Start()
		resp := ir
		for !done {
			ch, done, err = tc.s.Next(context.Background(), resp)
			require.NoError(t, err)
			if !done {
				resp, err = tc.c.Next(ch)
				require.NoError(t, err)
			}
		}
		assert.Equal(t, "user", tc.s.Identity())
		_, _, err = tc.s.Next(context.Background(), []byte("again"))
		assert.ErrorIs(t, err, ErrUnexpected, strings.ToLower("after done"))
	}
}
