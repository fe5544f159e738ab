package smtp

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

// connInfo is what a session saw of its connection.
type connInfo struct {
	Remote, Local string
	Name, Ident   string
	RequireTLS    bool
}

// infoBackend records, for each session, what its Conn reported.
type infoBackend struct {
	mu       sync.Mutex
	sessions []connInfo
	logouts  int
}

func (b *infoBackend) NewSession(c *Conn) (Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions = append(b.sessions, connInfo{Remote: c.RemoteAddr().String(), Local: c.LocalAddr().String(),
		Name: c.RemoteHostname(), Ident: c.AuthIdentity()})
	return &infoSession{b: b, i: len(b.sessions) - 1}, nil
}

func (b *infoBackend) get() ([]connInfo, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]connInfo(nil), b.sessions...), b.logouts
}

type infoSession struct {
	b *infoBackend
	i int
}

func (s *infoSession) Mail(from string, p MailParams) error {
	s.b.mu.Lock()
	s.b.sessions[s.i].RequireTLS = p.RequireTLS
	s.b.mu.Unlock()
	return nil
}
func (s *infoSession) Rcpt(string, RcptParams) error { return nil }
func (s *infoSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (s *infoSession) Reset() {}
func (s *infoSession) Logout() error {
	s.b.mu.Lock()
	s.b.logouts++
	s.b.mu.Unlock()
	return nil
}

func TestServerLimitsExtension(t *testing.T) {
	addr := startTestServer(t, &Server{Handler: &testBackend{}, MaxRecipients: 7})
	c := dialWire(t, addr)
	c.expect(220)
	r := c.cmd("EHLO c.test", 250)
	assert.Contains(t, r.Lines, "LIMITS RCPTMAX=7") // RFC 9422
}

func TestServerRequireTLS(t *testing.T) {
	b := &infoBackend{}
	addr := startTestServer(t, &Server{Handler: b, TLSConfig: serverTLSConfig(t)})
	c := dialWire(t, addr)
	c.expect(220)
	r := c.cmd("EHLO c.test", 250)
	assert.NotContains(t, r.Lines, "REQUIRETLS", "offered only under TLS")
	r = c.cmd("MAIL FROM:<a@x.test> REQUIRETLS", 530)
	assert.Equal(t, EnhancedCode{5, 7, 10}, r.EnhancedCode())
	c.cmd("STARTTLS", 220)
	c.startTLS()
	r = c.cmd("EHLO c.test", 250)
	assert.Contains(t, r.Lines, "REQUIRETLS")
	c.cmd("MAIL FROM:<a@x.test> REQUIRETLS=yes", 501)
	c.cmd("MAIL FROM:<a@x.test> REQUIRETLS", 250)
	s, _ := b.get()
	require.Len(t, s, 1)
	assert.True(t, s[0].RequireTLS)
}

func TestServerMaxConnections(t *testing.T) {
	addr := startTestServer(t, &Server{Handler: &testBackend{}, MaxConnections: 2})
	a := dialWire(t, addr)
	a.expect(220)
	b := dialWire(t, addr)
	b.expect(220)
	over := dialWire(t, addr)
	r := over.expect(421)
	assert.Equal(t, EnhancedCode{4, 7, 0}, r.EnhancedCode())
	_, err := over.br.ReadByte()
	assert.Error(t, err, "closed after 421")

	a.cmd("QUIT", 221)
	// The slot is free once the server has seen the connection end.
	require.Eventually(t, func() bool {
		c := dialWire(t, addr)
		ok := c.reply().Code == 220
		c.nc.Close()
		return ok
	}, 5*time.Second, 20*time.Millisecond)
}

// addrConn is a net.Conn with a chosen remote address.
type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }

func TestServerMaxConnectionsPerIP(t *testing.T) {
	srv := &Server{MaxConnectionsPerIP: 2}
	conn := func(ip string) *Conn {
		return newConn(srv, addrConn{remote: &net.TCPAddr{IP: net.ParseIP(ip), Port: 1000}})
	}
	var added []*Conn
	for i, tt := range []struct {
		ip   string
		full bool
	}{
		{"192.0.2.1", false}, {"192.0.2.1", false}, {"192.0.2.1", true},
		{"2001:db8::1", false}, {"127.0.0.1", false}, {"127.0.0.1", false}, {"127.0.0.1", false}, // loopback is exempt
	} {
		c := conn(tt.ip)
		ok, full := srv.conns.Add(trackedConn{c}, -1)
		require.True(t, ok)
		require.False(t, full)
		assert.Equal(t, !tt.full, srv.claimIP(c), "connection %d from %s", i, tt.ip)
		added = append(added, c)
	}
	srv.conns.Remove(trackedConn{added[0]})
	c := conn("192.0.2.1")
	srv.conns.Add(trackedConn{c}, -1)
	assert.True(t, srv.claimIP(c), "a slot was freed")
	for _, c := range added[1:] {
		srv.conns.Remove(trackedConn{c})
	}
	assert.Equal(t, map[string]int{"192.0.2.1": 1}, srv.conns.PerIP())
}

func TestServerProxyProtocol(t *testing.T) {
	b := &infoBackend{}
	tlsCfg := serverTLSConfig(t)
	srv := &Server{Handler: b, ProxyProtocol: true, MaxConnectionsPerIP: 1, TLSConfig: tlsCfg}
	addr := startTestServer(t, srv)

	c := dialWire(t, addr)
	c.send("PROXY TCP4 192.0.2.10 198.51.100.2 40000 25\r\n")
	c.expect(220)
	c.cmd("EHLO c.test", 250)
	c.cmd("STARTTLS", 220)
	c.startTLS()
	c.cmd("EHLO c.test", 250)

	// The per-IP cap counts the address the header gave.
	over := dialWire(t, addr)
	over.send("PROXY TCP4 192.0.2.10 198.51.100.2 40001 25\r\n")
	over.expect(421)
	other := dialWire(t, addr)
	other.send("PROXY TCP6 2001:db8::7 2001:db8::1 40002 587\r\n")
	other.expect(220)

	// No header: closed without a word.
	bad := dialWire(t, addr)
	bad.send("EHLO c.test\r\n")
	_, err := bad.br.ReadByte()
	assert.Error(t, err)

	s, _ := b.get()
	require.Len(t, s, 2)
	assert.Equal(t, "192.0.2.10:40000", s[0].Remote)
	assert.Equal(t, "198.51.100.2:25", s[0].Local)
	assert.Equal(t, "[2001:db8::7]:40002", s[1].Remote)
}

func TestServerServeTLSBehindProxy(t *testing.T) {
	b := &infoBackend{}
	srv := &Server{Handler: b, ProxyProtocol: true, TLSConfig: serverTLSConfig(t), Hostname: "mx.test", AuthDelay: -1}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(l) }()
	t.Cleanup(func() {
		srv.Close()
		assert.ErrorIs(t, <-done, ErrServerClosed)
	})
	c := dialWire(t, l.Addr().String())
	c.send("PROXY TCP4 192.0.2.10 198.51.100.2 40000 465\r\n")
	c.startTLS()
	c.expect(220)
	r := c.cmd("EHLO c.test", 250)
	assert.Contains(t, r.Lines, "REQUIRETLS")
	s, _ := b.get()
	require.Len(t, s, 1)
	assert.Equal(t, "192.0.2.10:40000", s[0].Remote)
}

func TestServerXCLIENT(t *testing.T) {
	b := &infoBackend{}
	srv := &Server{Handler: b, XCLIENT: func(a net.Addr) bool {
		return a.(*net.TCPAddr).IP.IsLoopback()
	}}
	addr := startTestServer(t, srv)
	c := dialWire(t, addr)
	c.expect(220)
	r := c.cmd("EHLO proxy.test", 250)
	assert.Contains(t, r.Lines, "XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT")

	for _, tt := range []struct {
		line string
		code int
	}{
		{"XCLIENT", 501},
		{"XCLIENT ADDR", 501},
		{"XCLIENT ADDR=999.1.1.1", 501},
		{"XCLIENT ADDR=2001:db8::1", 501}, // IPv6 needs the IPV6: prefix
		{"XCLIENT PORT=65536", 501},
		{"XCLIENT COLOR=blue", 501},
		{"XCLIENT NAME=a+0Db", 501}, // xtext for CR: no control characters
	} {
		c.cmd(tt.line, tt.code)
	}
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("XCLIENT ADDR=192.0.2.7", 503) // not inside a transaction
	c.cmd("RSET", 250)

	c.cmd("XCLIENT ADDR=192.0.2.7 PORT=4321 NAME=mail.client+2Etest LOGIN=bob HELO=x PROTO=ESMTP", 220)
	c.cmd("MAIL FROM:<a@x.test>", 503) // a new session: EHLO first
	r = c.cmd("EHLO client.test", 250)
	assert.NotContains(t, r.Lines, "AUTH")
	c.cmd("XCLIENT ADDR=IPV6:2001:db8::5 DESTADDR=198.51.100.1 DESTPORT=25 NAME=[UNAVAILABLE]", 220)
	c.cmd("QUIT", 221)

	require.Eventually(t, func() bool { _, n := b.get(); return n == 3 }, 5*time.Second, 10*time.Millisecond)
	s, _ := b.get()
	require.Len(t, s, 3)
	assert.Equal(t, "192.0.2.7:4321", s[1].Remote)
	assert.Equal(t, "mail.client.test", s[1].Name)
	assert.Equal(t, "bob", s[1].Ident)
	assert.Equal(t, "[2001:db8::5]:4321", s[2].Remote)
	assert.Equal(t, "198.51.100.1:25", s[2].Local)
	assert.Equal(t, "", s[2].Name)
	assert.Equal(t, "bob", s[2].Ident, "LOGIN stays until changed")
}

func TestServerXCLIENTUntrusted(t *testing.T) {
	b := &infoBackend{}
	addr := startTestServer(t, &Server{Handler: b, XCLIENT: func(net.Addr) bool { return false }})
	c := dialWire(t, addr)
	c.expect(220)
	r := c.cmd("EHLO c.test", 250)
	for _, l := range r.Lines {
		assert.NotContains(t, l, "XCLIENT")
	}
	r = c.cmd("XCLIENT ADDR=192.0.2.7", 550)
	assert.Equal(t, EnhancedCode{5, 7, 0}, r.EnhancedCode())
}

// RFC 4954 4.: an empty challenge is "334 " with its space; clients such
// as go-smtp and net/smtp need it.
func TestServerAuthEmptyChallenge(t *testing.T) {
	addr := startTestServer(t, &Server{Handler: &testBackend{}, Auth: map[string]sasl.ServerFactory{
		sasl.Plain: func() sasl.Server { return sasl.NewPlainServer(testPlainAuth) }}})
	c := dialWire(t, addr)
	c.expect(220)
	c.cmd("EHLO c.test", 250)
	c.send("AUTH PLAIN\r\n")
	line, err := c.br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "334 \r\n", line)
	c.send(testB64("\x00user\x00pass") + "\r\n")
	c.expect(235)
}
