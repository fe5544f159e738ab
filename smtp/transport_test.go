package smtp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The queue calls the transport through an interface of its own, by shape.
var _ interface {
	Deliver(context.Context, string, []string, io.Reader) []error
} = (*Transport)(nil)

// fakeMX answers MX lookups from a table; a domain not in it does not
// exist (IsNotFound, as Go's resolver says for NXDOMAIN and no data).
type fakeMX map[string]mxAnswer

type mxAnswer struct {
	mx  []*net.MX
	err error
}

func (f fakeMX) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a, ok := f[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return a.mx, a.err
}

func mxs(hostPrefs ...any) mxAnswer {
	var a mxAnswer
	for i := 0; i < len(hostPrefs); i += 2 {
		a.mx = append(a.mx, &net.MX{Host: hostPrefs[i].(string), Pref: uint16(hostPrefs[i+1].(int))})
	}
	return a
}

// testHost is one mail exchanger of a test: our Server with a backend,
// a scripted fake server (one script per connection, see play), or
// nothing listening.
type testHost struct {
	backend *testBackend
	tls     *tls.Config   // our Server's STARTTLS configuration
	sawTLS  *atomic.Bool  // set by each message our Server receives: over TLS or not
	conns   *atomic.Int32 // connections accepted by our Server
	scripts []string      // fake server conversations, in order
	sTLS    *tls.Config   // the fake server's configuration for a TLS step
	refuse  bool          // a port where nothing listens
}

// testNet is the Transport's dialer: it maps host names to loopback
// listeners and records the hosts dialed. A name it does not know does
// not resolve.
type testNet struct {
	mu    sync.Mutex
	addrs map[string]string
	dials []string
}

func (n *testNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port != "25" {
		return nil, fmt.Errorf("test dialer: unexpected address %q", addr)
	}
	n.mu.Lock()
	n.dials = append(n.dials, host)
	real, ok := n.addrs[host]
	n.mu.Unlock()
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, real)
}

func (n *testNet) dialed() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.dials...)
}

// startHosts starts every host of hosts on loopback until the test ends.
func startHosts(t *testing.T, hosts map[string]testHost) *testNet {
	t.Helper()
	n := &testNet{addrs: make(map[string]string)}
	for name, h := range hosts {
		switch {
		case h.refuse:
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			n.addrs[name] = l.Addr().String()
			l.Close()
		case h.scripts != nil:
			n.addrs[name] = scriptServer(t, h.scripts, h.sTLS)
		default:
			b := h.backend
			var handler Handler = b
			if h.sawTLS != nil || h.conns != nil {
				handler = HandlerFunc(func(c *Conn) (Session, error) {
					if h.conns != nil {
						h.conns.Add(1)
					}
					s, err := b.NewSession(c)
					return &tlsSpySession{Session: s, c: c, saw: h.sawTLS}, err
				})
			}
			n.addrs[name] = startTestServer(t, &Server{Hostname: name, Handler: handler, TLSConfig: h.tls})
		}
	}
	return n
}

// tlsSpySession records whether the message came over TLS.
type tlsSpySession struct {
	Session
	c   *Conn
	saw *atomic.Bool
}

func (s *tlsSpySession) Data(r io.Reader) error {
	if s.saw != nil {
		_, ok := s.c.ConnectionState()
		s.saw.Store(ok)
	}
	return s.Session.Data(r)
}

// scriptServer accepts one connection per script and plays it; the test
// fails if a script is not played through.
func scriptServer(t *testing.T, scripts []string, cfg *tls.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, len(scripts)+1)
	go func() {
		for i, s := range scripts {
			conn, err := l.Accept()
			if err != nil {
				errc <- fmt.Errorf("script %d never connected: %w", i, err)
				return
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			play(conn, s, cfg, errc)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for i := range scripts {
			select {
			case err := <-errc:
				assert.NoError(t, err, "script %d", i)
				if err != nil {
					return
				}
			case <-time.After(5 * time.Second):
				t.Errorf("script %d did not finish", i)
				return
			}
		}
	})
	return l.Addr().String()
}

func testTransport(n *testNet, r MXResolver) *Transport {
	return &Transport{
		Resolver:           r,
		Dialer:             n.dial,
		LocalName:          "client.test",
		Shuffle:            func(int, func(int, int)) {}, // keep the resolver's order
		ConnectTimeout:     2 * time.Second,
		CommandTimeout:     5 * time.Second,
		TransactionTimeout: 5 * time.Second,
	}
}

// summary describes a result: "ok", or the reply code if any, the
// status and the host, as "550 5.1.1@mx1.test" or "4.4.1@mx1.test".
// It checks what every result must satisfy.
func summary(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return "ok"
	}
	var tmp interface{ Temporary() bool }
	require.ErrorAs(t, err, &tmp)
	var de *DeliveryError
	require.ErrorAs(t, err, &de)
	require.True(t, de.Code.Valid(), "status %v of %v", de.Code, err)
	assert.Equal(t, de.Code[0] == 4, de.Temporary(), "Temporary() of %v", err)
	assert.Equal(t, tmp.Temporary(), de.Temporary())
	s := de.Status()
	if de.Reply != nil {
		s = strconv.Itoa(de.Reply.Code) + " " + s
		assert.Equal(t, de.Reply.Code/100, de.Code[0])
		assert.NotEmpty(t, de.DiagnosticCode())
	} else {
		assert.Empty(t, de.DiagnosticCode())
		assert.Error(t, de.Err)
	}
	if de.Host != "" {
		s += "@" + de.Host
	}
	return s
}

func summaries(t *testing.T, to []string, res []error) []string {
	t.Helper()
	require.Len(t, res, len(to))
	out := make([]string, len(res))
	for i, err := range res {
		out[i] = summary(t, err)
	}
	return out
}

const (
	testBody  = "Subject: test\r\n\r\nhello\r\n"
	testWire  = `B: "Subject: test\r\n\r\nhello\r\n.\r\n"`
	ehloMX1   = "S: 220 mx1.test ESMTP\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 8BITMIME\n"
	quitLines = "\nC: QUIT\nS: 221 2.0.0 bye"
)

func TestTransportDeliver(t *testing.T) {
	refusing := func() *testBackend {
		return &testBackend{rejectTo: map[string]error{
			"gone@y.test": &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "gone@y.test: no such user"},
			"full@y.test": &Error{Code: 450, EnhancedCode: EnhancedCode{4, 2, 2}, Message: "mailbox full"},
		}}
	}
	oneMX := fakeMX{"y.test": mxs("mx1.test", 10, "mx2.test", 20)}
	tests := []struct {
		name  string
		mx    fakeMX
		hosts map[string]testHost
		from  string
		tls   TLSPolicy
		to    []string
		want  []string
		dials []string
		got   map[string][]string // host: recipients of the message it stored
	}{
		{name: "preference order",
			mx:    fakeMX{"y.test": mxs("mx2.test", 20, "mx1.test", 10)},
			hosts: map[string]testHost{"mx1.test": {backend: &testBackend{}}, "mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test", "c@Y.TEST"},
			want:  []string{"ok", "ok"},
			dials: []string{"mx1.test"},
			got:   map[string][]string{"mx1.test": {"b@y.test", "c@Y.TEST"}, "mx2.test": nil}},
		{name: "connection refused",
			mx:    oneMX,
			hosts: map[string]testHost{"mx1.test": {refuse: true}, "mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"mx1.test", "mx2.test"},
			got:   map[string][]string{"mx2.test": {"b@y.test"}}},
		{name: "421 greeting",
			mx:    oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 421 4.3.2 mx1.test busy"}}, "mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"mx1.test", "mx2.test"}},
		{name: "554 greeting",
			mx:    oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 554 5.3.2 no service here"}}, "mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"mx1.test", "mx2.test"}},
		{name: "4xx to EHLO and HELO",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 451 4.3.0 later" + quitLines}},
				"mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"mx1.test", "mx2.test"}},
		{name: "4xx to MAIL",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{ehloMX1 + "C: MAIL FROM:<a@x.test> BODY=8BITMIME\nS: 451 4.3.0 try later" + quitLines}},
				"mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"mx1.test", "mx2.test"}},
		{name: "421 to RCPT, pipelined",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{
				"S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 PIPELINING\n" +
					"C: MAIL FROM:<a@x.test>\nC: RCPT TO:<b@y.test>\nC: DATA\nS: 250 2.1.0 ok\nS: 421 4.3.2 going down"}},
				"mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"mx1.test", "mx2.test"},
			got:   map[string][]string{"mx2.test": {"b@y.test"}}},
		{name: "5xx to MAIL is final",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{ehloMX1 + "C: MAIL FROM:<a@x.test> BODY=8BITMIME\nS: 550 5.7.1 sender refused" + quitLines}},
				"mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test", "c@y.test"},
			want:  []string{"550 5.7.1@mx1.test", "550 5.7.1@mx1.test"},
			dials: []string{"mx1.test"},
			got:   map[string][]string{"mx2.test": nil}},
		{name: "per-recipient replies",
			mx:    oneMX,
			hosts: map[string]testHost{"mx1.test": {backend: refusing()}},
			to:    []string{"b@y.test", "gone@y.test", "full@y.test"},
			want:  []string{"ok", "550 5.1.1@mx1.test", "450 4.2.2@mx1.test"},
			dials: []string{"mx1.test"},
			got:   map[string][]string{"mx1.test": {"b@y.test"}}},
		{name: "every recipient refused",
			mx:    oneMX,
			hosts: map[string]testHost{"mx1.test": {backend: refusing()}, "mx2.test": {backend: &testBackend{}}},
			to:    []string{"gone@y.test", "full@y.test"},
			want:  []string{"550 5.1.1@mx1.test", "450 4.2.2@mx1.test"},
			dials: []string{"mx1.test"},
			got:   map[string][]string{"mx1.test": nil, "mx2.test": nil}},
		{name: "reply without enhanced code",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 250 mx1.test\n" +
				"C: MAIL FROM:<a@x.test>\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 550 unknown\nC: RCPT TO:<c@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" +
				testWire + "\nS: 452 out of space" + quitLines}}},
			to:    []string{"b@y.test", "c@y.test"},
			want:  []string{"550 5.0.0@mx1.test", "452 4.0.0@mx1.test"},
			dials: []string{"mx1.test"}},
		{name: "connection lost in DATA is final",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{ehloMX1 +
				"C: MAIL FROM:<a@x.test> BODY=8BITMIME\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: RCPT TO:<gone@y.test>\nS: 550 5.1.1 no\nC: DATA\nS: 354 go"}},
				"mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test", "gone@y.test"},
			want:  []string{"4.4.2@mx1.test", "550 5.1.1@mx1.test"},
			dials: []string{"mx1.test"},
			got:   map[string][]string{"mx2.test": nil}},
		{name: "every host down",
			mx:    oneMX,
			hosts: map[string]testHost{"mx1.test": {refuse: true}, "mx2.test": {refuse: true}},
			to:    []string{"b@y.test"},
			want:  []string{"4.4.1@mx2.test"},
			dials: []string{"mx1.test", "mx2.test"}},
		{name: "MaxHosts",
			mx:    fakeMX{"y.test": mxs("m1", 1, "m2", 2, "m3", 3, "m4", 4, "m5", 5, "m6", 6)},
			to:    []string{"b@y.test"},
			want:  []string{"5.4.4"},
			dials: []string{"m1", "m2", "m3", "m4", "m5"}},
		{name: "STARTTLS refused, opportunistic",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 STARTTLS\nC: STARTTLS\nS: 454 4.7.0 not now\n" +
				"C: MAIL FROM:<a@x.test>\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"mx1.test"}},
		{name: "STARTTLS refused, required",
			mx:    fakeMX{"y.test": mxs("mx1.test", 10)},
			tls:   TLSRequired,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 STARTTLS\nC: STARTTLS\nS: 454 4.7.0 not now" + quitLines}}},
			to:    []string{"b@y.test"},
			want:  []string{"454 4.7.0@mx1.test"},
			dials: []string{"mx1.test"}},
		{name: "SIZE declared for a seekable message",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 SIZE 1000\n" +
				"C: MAIL FROM:<a@x.test> SIZE=24\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines}}},
			to:   []string{"b@y.test"},
			want: []string{"ok"}},
		{name: "message larger than SIZE",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 SIZE 20" + quitLines}},
				"mx2.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"5.3.4@mx1.test"},
			dials: []string{"mx1.test"}},
		{name: "null MX",
			mx:    fakeMX{"y.test": mxs(".", 0)},
			hosts: map[string]testHost{"y.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test", "c@y.test"},
			want:  []string{"5.1.10", "5.1.10"}},
		{name: "implicit MX",
			mx:    fakeMX{},
			hosts: map[string]testHost{"y.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"y.test"},
			got:   map[string][]string{"y.test": {"b@y.test"}}},
		{name: "implicit MX, empty answer",
			mx:    fakeMX{"y.test": {}},
			hosts: map[string]testHost{"y.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"y.test"}},
		{name: "no MX and no address",
			mx:    fakeMX{},
			to:    []string{"b@nowhere.test"},
			want:  []string{"5.1.2"},
			dials: []string{"nowhere.test"}},
		{name: "MX hosts without address",
			mx:    fakeMX{"y.test": mxs("gone1.test", 10, "gone2.test", 10)},
			to:    []string{"b@y.test"},
			want:  []string{"5.4.4"},
			dials: []string{"gone1.test", "gone2.test"}},
		{name: "DNS temporary failure",
			mx:   fakeMX{"y.test": {err: &net.DNSError{Err: "server misbehaving", Name: "y.test", IsTemporary: true}}},
			to:   []string{"b@y.test"},
			want: []string{"4.4.3"}},
		{name: "DNS partial answer",
			mx:    fakeMX{"y.test": {mx: mxs("mx1.test", 10).mx, err: &net.DNSError{Err: "cannot unmarshal DNS message", Name: "y.test"}}},
			hosts: map[string]testHost{"mx1.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			dials: []string{"mx1.test"}},
		{name: "address literal",
			mx:    fakeMX{},
			hosts: map[string]testHost{"127.0.0.1": {backend: &testBackend{}}, "::1": {backend: &testBackend{}}},
			to:    []string{"b@[127.0.0.1]", "c@[IPv6:::1]", "d@[::1]", "e@[300.1.1.1]"},
			want:  []string{"ok", "ok", "5.1.2", "5.1.2"},
			dials: []string{"127.0.0.1", "::1"},
			got:   map[string][]string{"127.0.0.1": {"b@[127.0.0.1]"}, "::1": {"c@[IPv6:::1]"}}},
		{name: "unsendable addresses",
			mx:    oneMX,
			hosts: map[string]testHost{"mx1.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test", "no-domain", "c@", "x\r\nRSET@y.test", "<d@y.test>", "e f@y.test"},
			want:  []string{"ok", "5.1.3", "5.1.3", "5.1.3", "5.1.3", "5.1.3"},
			dials: []string{"mx1.test"},
			got:   map[string][]string{"mx1.test": {"b@y.test"}}},
		{name: "unsendable sender",
			mx:   oneMX,
			from: "a@x.test>\r\nRCPT TO:<c@y.test",
			to:   []string{"b@y.test", "b@z.test"},
			want: []string{"5.1.7", "5.1.7"}},
		{name: "null reverse-path",
			mx:    oneMX,
			from:  "<>",
			hosts: map[string]testHost{"mx1.test": {scripts: []string{ehloMX1 + "C: MAIL FROM:<> BODY=8BITMIME\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"}},
		{name: "SMTPUTF8 not offered: non-ASCII recipients refused",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 250 mx1.test\n" +
				"C: MAIL FROM:<a@x.test>\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines}}},
			to:   []string{"b@y.test", "bjørn@y.test"},
			want: []string{"ok", "5.6.7@mx1.test"}},
		{name: "SMTPUTF8 not offered: non-ASCII sender",
			mx:    oneMX,
			from:  "jürgen@x.test",
			hosts: map[string]testHost{"mx1.test": {scripts: []string{ehloMX1 + "C: QUIT\nS: 221 bye"}}},
			to:    []string{"b@y.test", "c@y.test"},
			want:  []string{"5.6.7@mx1.test", "5.6.7@mx1.test"}},
		{name: "SMTPUTF8 offered",
			mx: oneMX,
			hosts: map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250-8BITMIME\nS: 250 SMTPUTF8\n" +
				"C: MAIL FROM:<a@x.test> BODY=8BITMIME SMTPUTF8\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: RCPT TO:<bjørn@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" +
				testWire + "\nS: 250 ok" + quitLines}}},
			to:   []string{"b@y.test", "bjørn@y.test"},
			want: []string{"ok", "ok"}},
		{name: "SMTPUTF8 sender, ASCII recipient",
			mx:    oneMX,
			from:  "jürgen@x.test",
			hosts: map[string]testHost{"mx1.test": {backend: &testBackend{}}},
			to:    []string{"b@y.test"},
			want:  []string{"ok"},
			got:   map[string][]string{"mx1.test": {"b@y.test"}}},
		{name: "SMTPUTF8 with our server",
			mx:    oneMX,
			from:  "jürgen@x.test",
			hosts: map[string]testHost{"mx1.test": {backend: &testBackend{}}},
			to:    []string{"bjørn@y.test"},
			want:  []string{"ok"},
			got:   map[string][]string{"mx1.test": {"bjørn@y.test"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := startHosts(t, tc.hosts)
			tr := testTransport(n, tc.mx)
			tr.TLS = tc.tls
			from := tc.from
			switch from {
			case "":
				from = "a@x.test"
			case "<>":
				from = ""
			}
			res := tr.Deliver(testCtx(t), from, tc.to, strings.NewReader(testBody))
			assert.Equal(t, tc.want, summaries(t, tc.to, res))
			if tc.dials != nil {
				assert.Equal(t, tc.dials, n.dialed())
			}
			if tc.want[0] == "5.1.10" || strings.HasPrefix(tc.want[0], "5.1.7") {
				assert.Empty(t, n.dialed())
			}
			for host, want := range tc.got {
				msgs := tc.hosts[host].backend.messages()
				if want == nil {
					assert.Empty(t, msgs, host)
					continue
				}
				require.Len(t, msgs, 1, host)
				assert.Equal(t, want, msgs[0].To, host)
				assert.Equal(t, from, msgs[0].From, host)
				assert.Equal(t, testBody, msgs[0].Data, host)
			}
		})
	}
}

// TestTransportRemoteReply checks what the queue reads to write a DSN.
func TestTransportRemoteReply(t *testing.T) {
	b := &testBackend{rejectTo: map[string]error{
		"gone@y.test": &Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "gone@y.test: no such user\nsecond line"},
	}}
	n := startHosts(t, map[string]testHost{"mx1.test": {backend: b}})
	res := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10)}).Deliver(testCtx(t), "a@x.test", []string{"gone@y.test"}, strings.NewReader(testBody))
	require.Len(t, res, 1)
	dsn, ok := res[0].(interface {
		Temporary() bool
		RemoteMTA() string
		DiagnosticCode() string
		Status() string
	})
	require.True(t, ok, "%T", res[0])
	assert.False(t, dsn.Temporary())
	assert.Equal(t, "mx1.test", dsn.RemoteMTA())
	assert.Equal(t, "550 5.1.1 gone@y.test: no such user second line", dsn.DiagnosticCode())
	assert.Equal(t, "5.1.1", dsn.Status())
	assert.Equal(t, "smtp: mx1.test: 550 5.1.1 gone@y.test: no such user\nsecond line", res[0].Error())
	var se *Error
	require.ErrorAs(t, res[0], &se)
	assert.Equal(t, 550, se.Code)
}

func TestTransportTLS(t *testing.T) {
	srv1, cli1 := selfSigned(t, "mx1.test")
	srv2, _ := selfSigned(t, "mx2.test")
	tls13 := srv1.Clone()
	tls13.MinVersion = tls.VersionTLS13
	pool := cli1.RootCAs
	pool.AddCert(mustLeaf(t, srv2))
	tests := []struct {
		name   string
		policy TLSPolicy
		client *tls.Config // Transport.TLSConfig
		mx1    *tls.Config // nil: no STARTTLS; mx2 always offers a verifiable one
		want   string
		host   string // that stored the message
		tls    bool   // message came over TLS
		conns1 int32  // connections to mx1
	}{
		{"opportunistic, unverified certificate", TLSOpportunistic, nil, srv1, "ok", "mx1.test", true, 1},
		{"opportunistic, no STARTTLS", TLSOpportunistic, nil, nil, "ok", "mx1.test", false, 1},
		{"opportunistic, handshake fails", TLSOpportunistic, &tls.Config{MaxVersion: tls.VersionTLS12}, tls13, "ok", "mx1.test", false, 2},
		{"required, verified", TLSRequired, &tls.Config{RootCAs: pool}, srv1, "ok", "mx1.test", true, 1},
		{"required, no STARTTLS", TLSRequired, &tls.Config{RootCAs: pool}, nil, "ok", "mx2.test", true, 1},
		{"required, unknown authority", TLSRequired, nil, srv1, "4.7.5@mx2.test", "", false, 1},
		{"required, name mismatch", TLSRequired, &tls.Config{RootCAs: pool}, srv2, "ok", "mx2.test", true, 1},
		{"required, handshake fails", TLSRequired, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}, tls13, "ok", "mx2.test", true, 1},
		{"disabled", TLSDisabled, nil, srv1, "ok", "mx1.test", false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hosts := map[string]testHost{
				"mx1.test": {backend: &testBackend{}, tls: tc.mx1, sawTLS: new(atomic.Bool), conns: new(atomic.Int32)},
				"mx2.test": {backend: &testBackend{}, tls: srv2, sawTLS: new(atomic.Bool), conns: new(atomic.Int32)},
			}
			n := startHosts(t, hosts)
			tr := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10, "mx2.test", 20)})
			tr.TLS, tr.TLSConfig = tc.policy, tc.client
			tr.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
			res := tr.Deliver(testCtx(t), "a@x.test", []string{"b@y.test"}, strings.NewReader(testBody))
			assert.Equal(t, []string{tc.want}, summaries(t, []string{"b@y.test"}, res))
			for name, h := range hosts {
				if name == tc.host {
					require.Len(t, h.backend.messages(), 1, name)
					assert.Equal(t, tc.tls, h.sawTLS.Load(), name)
				} else {
					assert.Empty(t, h.backend.messages(), name)
				}
			}
			assert.Equal(t, tc.conns1, hosts["mx1.test"].conns.Load())
		})
	}
}

func mustLeaf(t *testing.T, cfg *tls.Config) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	require.NoError(t, err)
	return c
}

// TestTransportDomains delivers to recipients of several domains with one
// call: each domain has its own transaction and reads the message again.
func TestTransportDomains(t *testing.T) {
	resolver := fakeMX{"y.test": mxs("mx.y.test", 10), "z.test": mxs("mx.z.test", 10), "down.test": {err: &net.DNSError{Err: "timeout", IsTimeout: true, IsTemporary: true}}}
	to := []string{"a@down.test", "b@y.test", "c@z.test", "d@Y.test"}
	tests := []struct {
		name string
		msg  func() io.Reader
		want []string
		z    bool // z.test got the message
	}{
		{"seekable", func() io.Reader { return strings.NewReader(testBody) }, []string{"4.4.3", "ok", "ok", "ok"}, true},
		{"seekable, not at the start", func() io.Reader {
			r := strings.NewReader("skip me" + testBody)
			r.Seek(7, io.SeekStart)
			return r
		}, []string{"4.4.3", "ok", "ok", "ok"}, true},
		{"not seekable", func() io.Reader { return struct{ io.Reader }{strings.NewReader(testBody)} }, []string{"4.4.3", "ok", "4.3.0", "ok"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hosts := map[string]testHost{"mx.y.test": {backend: &testBackend{}}, "mx.z.test": {backend: &testBackend{}}}
			n := startHosts(t, hosts)
			res := testTransport(n, resolver).Deliver(testCtx(t), "s@x.test", to, tc.msg())
			assert.Equal(t, tc.want, summaries(t, to, res))
			msgs := hosts["mx.y.test"].backend.messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, []string{"b@y.test", "d@Y.test"}, msgs[0].To)
			assert.Equal(t, testBody, msgs[0].Data)
			msgs = hosts["mx.z.test"].backend.messages()
			if tc.z {
				require.Len(t, msgs, 1)
				assert.Equal(t, testBody, msgs[0].Data)
			} else {
				assert.Empty(t, msgs)
				assert.ErrorIs(t, res[2], ErrMessageNotRewound)
			}
		})
	}
}

func TestTransportCancel(t *testing.T) {
	hang := "S: 220 mx1.test\nHANG"
	t.Run("while waiting for EHLO reply", func(t *testing.T) {
		n := startHosts(t, map[string]testHost{"mx1.test": {scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nHANG"}}, "mx2.test": {backend: &testBackend{}}})
		tr := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10, "mx2.test", 20)})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		to := []string{"b@y.test", "c@z.test"}
		res := tr.Deliver(ctx, "a@x.test", to, strings.NewReader(testBody))
		assert.Less(t, time.Since(start), 2*time.Second)
		assert.Equal(t, []string{"4.0.0@mx1.test", "4.0.0"}, summaries(t, to, res))
		assert.ErrorIs(t, res[0], context.Canceled)
		assert.ErrorIs(t, res[1], context.Canceled)
		assert.Equal(t, []string{"mx1.test"}, n.dialed())
	})
	t.Run("already cancelled", func(t *testing.T) {
		n := startHosts(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		to := []string{"b@y.test"}
		res := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10)}).Deliver(ctx, "a@x.test", to, strings.NewReader(testBody))
		assert.Equal(t, []string{"4.0.0"}, summaries(t, to, res))
		assert.Empty(t, n.dialed())
	})
	t.Run("command timeout moves to the next host", func(t *testing.T) {
		n := startHosts(t, map[string]testHost{"mx1.test": {scripts: []string{hang}}, "mx2.test": {backend: &testBackend{}}})
		tr := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10, "mx2.test", 20)})
		tr.CommandTimeout = 100 * time.Millisecond
		to := []string{"b@y.test"}
		res := tr.Deliver(testCtx(t), "a@x.test", to, strings.NewReader(testBody))
		assert.Equal(t, []string{"ok"}, summaries(t, to, res))
		assert.Equal(t, []string{"mx1.test", "mx2.test"}, n.dialed())
	})
}

func TestTransportMailOptions(t *testing.T) {
	size := "S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 SIZE 100\nC: QUIT\nS: 221 bye"
	tests := []struct {
		name   string
		opts   MailOptions
		script string
		want   string
	}{
		{"DSN dropped without DSN", MailOptions{Return: "HDRS", EnvelopeID: "id1", Body: "7BIT"},
			ehloMX1 + "C: MAIL FROM:<a@x.test> BODY=7BIT\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines, "ok"},
		{"DSN and SIZE", MailOptions{Return: "HDRS", EnvelopeID: "id+1", Size: 24},
			"S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250-DSN\nS: 250 SIZE 1000\n" +
				"C: MAIL FROM:<a@x.test> SIZE=24 RET=HDRS ENVID=id+2B1\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines, "ok"},
		{"too big", MailOptions{Size: 101}, size, "5.3.4@mx1.test"},
		{"8BITMIME not offered", MailOptions{Body: "8bitmime"}, "S: 220 mx1.test\nC: EHLO client.test\nS: 250 mx1.test" + quitLines, "5.6.3@mx1.test"},
		{"UTF-8 header, SMTPUTF8 not offered", MailOptions{UTF8: true}, ehloMX1 + "C: QUIT\nS: 221 bye", "5.6.7@mx1.test"},
		{"bad BODY", MailOptions{Body: "9BIT"}, "", "5.5.4"},
		{"bad RET", MailOptions{Return: "ALL"}, "", "5.5.4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hosts := map[string]testHost{"mx1.test": {scripts: []string{tc.script}}}
			if tc.script == "" {
				hosts = nil
			}
			n := startHosts(t, hosts)
			to := []string{"b@y.test"}
			res := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10)}).DeliverMail(testCtx(t), "a@x.test", to, strings.NewReader(testBody), &tc.opts)
			assert.Equal(t, []string{tc.want}, summaries(t, to, res))
		})
	}
}

// TestTransportDSNRecipients: NOTIFY and ORCPT go with their recipients
// (whose indices shift when an earlier one is refused locally) to a
// server that offers DSN, and are dropped for one that does not
// (RFC 3461 5.2.2).
func TestTransportDSNRecipients(t *testing.T) {
	dsnEHLO := "S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 DSN\n"
	tests := []struct {
		name   string
		script string
	}{
		{"offered", dsnEHLO + "C: MAIL FROM:<a@x.test> RET=HDRS ENVID=e1\nS: 250 ok\n" +
			"C: RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;B+2Bx@y.test\nS: 250 ok\n" +
			"C: RCPT TO:<c@y.test>\nS: 250 ok\n" +
			"C: RCPT TO:<d@y.test> NOTIFY=NEVER\nS: 250 ok\nC: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines},
		{"not offered", ehloMX1 + "C: MAIL FROM:<a@x.test> BODY=8BITMIME\nS: 250 ok\n" +
			"C: RCPT TO:<b@y.test>\nS: 250 ok\nC: RCPT TO:<c@y.test>\nS: 250 ok\nC: RCPT TO:<d@y.test>\nS: 250 ok\n" +
			"C: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := startHosts(t, map[string]testHost{"mx1.test": {scripts: []string{tc.script}}})
			to := []string{"bad address", "b@y.test", "c@y.test", "d@y.test"}
			res := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10)}).DeliverDSN(testCtx(t), "a@x.test", to, strings.NewReader(testBody),
				"HDRS", "e1", []string{"", "success,failure", "", "NEVER"}, []string{"", "rfc822;B+x@y.test", "", ""})
			assert.Equal(t, []string{"5.1.3", "ok", "ok", "ok"}, summaries(t, to, res))
		})
	}
}

func TestTransportRequireTLS(t *testing.T) {
	srv, cli := selfSigned(t, "mx1.test")
	tlsEHLO := "S: 220 mx1.test\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 STARTTLS\nC: STARTTLS\nS: 220 go ahead\nTLS\nC: EHLO client.test\n"
	tests := []struct {
		name   string
		host   testHost
		client *tls.Config
		want   string
	}{
		{"REQUIRETLS offered", testHost{sTLS: srv, scripts: []string{tlsEHLO + "S: 250-mx1.test\nS: 250 REQUIRETLS\n" +
			"C: MAIL FROM:<a@x.test> REQUIRETLS\nS: 250 ok\nC: RCPT TO:<b@y.test>\nS: 250 ok\nC: DATA\nS: 354 go\n" + testWire + "\nS: 250 ok" + quitLines}},
			cli, "ok"},
		// RFC 8689 4.2.1: QUIT, and 5.7.30 when no host offers REQUIRETLS.
		{"REQUIRETLS not offered", testHost{sTLS: srv, scripts: []string{tlsEHLO + "S: 250-mx1.test\nS: 250 8BITMIME" + quitLines}},
			cli, "5.7.30@mx1.test"},
		{"STARTTLS not offered", testHost{scripts: []string{"S: 220 mx1.test\nC: EHLO client.test\nS: 250 mx1.test" + quitLines}},
			cli, "5.7.10@mx1.test"},
		{"certificate not verified", testHost{backend: &testBackend{}, tls: srv}, nil, "5.7.10@mx1.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := startHosts(t, map[string]testHost{"mx1.test": tc.host})
			tr := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10)})
			tr.TLS, tr.TLSConfig = TLSDisabled, tc.client
			to := []string{"b@y.test"}
			res := tr.DeliverMail(testCtx(t), "a@x.test", to, strings.NewReader(testBody), &MailOptions{RequireTLS: true})
			assert.Equal(t, []string{tc.want}, summaries(t, to, res))
		})
	}
}

func TestTransportHosts(t *testing.T) {
	reverse := func(n int, swap func(i, j int)) {
		for i := 0; i < n/2; i++ {
			swap(i, n-1-i)
		}
	}
	tests := []struct {
		name    string
		answer  mxAnswer
		domain  string
		max     int
		want    []string
		wantErr string
	}{
		{name: "sorted, equal preferences shuffled", answer: mxs("c.", 20, "a.", 10, "b.", 10, "d.", 20, "e.", 20),
			want: []string{"b", "a", "e", "d", "c"}},
		{name: "MaxHosts", answer: mxs("a", 1, "b", 2, "c", 3), max: 2, want: []string{"a", "b"}},
		{name: "null MX", answer: mxs(".", 0), wantErr: "5.1.10"},
		{name: "null MX beside others is ignored", answer: mxs(".", 0, "a.", 10), want: []string{"a"}},
		{name: "no MX", answer: mxAnswer{}, want: []string{"y.test"}},
		{name: "not found", answer: mxAnswer{err: &net.DNSError{IsNotFound: true}}, want: []string{"y.test"}},
		{name: "temporary", answer: mxAnswer{err: &net.DNSError{IsTemporary: true}}, wantErr: "4.4.3"},
		{name: "other DNS error", answer: mxAnswer{err: errors.New("refused")}, wantErr: "4.4.3"},
		{name: "garbage targets", answer: mxs("a b", 1, "x/y", 2, "\r\n", 3), wantErr: "5.4.4"},
		{name: "IP literal target", answer: mxs("192.0.2.1.", 1), want: []string{"192.0.2.1"}},
		{name: "address literal", domain: "[192.0.2.1]", want: []string{"192.0.2.1"}},
		{name: "IPv6 address literal", domain: "[ipv6:2001:DB8::1]", want: []string{"2001:db8::1"}},
		{name: "IPv6 without tag", domain: "[2001:db8::1]", wantErr: "5.1.2"},
		{name: "IPv4 with IPv6 tag", domain: "[IPv6:192.0.2.1]", wantErr: "5.1.2"},
		{name: "zone", domain: "[IPv6:fe80::1%eth0]", wantErr: "5.1.2"},
		{name: "general literal", domain: "[x400:abc]", wantErr: "5.1.2"},
		{name: "U-label domain", domain: "bücher.test", wantErr: "5.1.2"},
		{name: "A-label domain", domain: "xn--bcher-kva.test", answer: mxs("mx.xn--bcher-kva.test.", 10), want: []string{"mx.xn--bcher-kva.test"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			domain := tc.domain
			if domain == "" {
				domain = "y.test"
			}
			tr := &Transport{Resolver: fakeMX{"y.test": tc.answer, "xn--bcher-kva.test": tc.answer}, Shuffle: reverse, MaxHosts: tc.max}
			hosts, err := tr.hosts(testCtx(t), domain)
			if tc.wantErr != "" {
				require.NotNil(t, err)
				assert.Equal(t, tc.wantErr, err.Status())
				return
			}
			require.Nil(t, err)
			var names []string
			for _, h := range hosts {
				names = append(names, h.name)
			}
			assert.Equal(t, tc.want, names)
		})
	}
}

func TestTransportDefaults(t *testing.T) {
	var tr Transport
	assert.NotEmpty(t, tr.localName())
	assert.Equal(t, "opportunistic", tr.TLS.String())
	assert.Equal(t, "TLSPolicy(7)", TLSPolicy(7).String())
	assert.Empty(t, tr.Deliver(testCtx(t), "a@x.test", nil, strings.NewReader("")))

	// Port: a real dial to a loopback server through the default dialer.
	b := &testBackend{}
	addr := startTestServer(t, &Server{Handler: b})
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	tr = Transport{Port: port, Resolver: fakeMX{"y.test": mxs(host, 10)}}
	res := tr.Deliver(testCtx(t), "a@x.test", []string{"b@y.test"}, strings.NewReader(testBody))
	assert.Equal(t, []string{"ok"}, summaries(t, []string{"b@y.test"}, res))
	require.Len(t, b.messages(), 1)
}

// A seekable message to a domain with more recipients than the MX's
// LIMITS RCPTMAX goes in several transactions, all delivered.
func TestTransportRCPTMAXRewinds(t *testing.T) {
	b := &testBackend{}
	n := &testNet{addrs: map[string]string{"mx.y.test": startTestServer(t, &Server{Handler: b, MaxRecipients: 2})}}
	to := []string{"a@y.test", "b@y.test", "c@y.test"}
	res := testTransport(n, fakeMX{"y.test": mxs("mx.y.test", 10)}).Deliver(testCtx(t), "s@x.test", to, strings.NewReader(testBody))
	assert.Equal(t, []error{nil, nil, nil}, res)
	assert.Len(t, b.messages(), 2)
}

// Under TLSRequired a refused STARTTLS is our policy failing: temporary.
func TestTransportRequiredSTARTTLSRefused(t *testing.T) {
	script := "S: 220 mx1.test ESMTP\nC: EHLO client.test\nS: 250-mx1.test\nS: 250 STARTTLS\nC: STARTTLS\nS: 502 5.5.1 not now" + quitLines
	n := &testNet{addrs: map[string]string{"mx1.test": scriptServer(t, []string{script}, nil)}}
	tr := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10)})
	tr.TLS = TLSRequired
	res := tr.Deliver(testCtx(t), "a@x.test", []string{"b@y.test"}, strings.NewReader(testBody))
	var de *DeliveryError
	require.ErrorAs(t, res[0], &de)
	assert.True(t, de.Temporary(), "%v", de)
}

// TestTransportDSNRecipientEdges (review): an ORCPT of type utf-8 is
// sent as utf-8-addr-xtext, which a next hop accepts (RFC 6533 3.), and
// a bad NOTIFY fails its recipient alone, permanently.
func TestTransportDSNRecipientEdges(t *testing.T) {
	b := &testBackend{}
	n := startHosts(t, map[string]testHost{"mx1.test": {backend: b}})
	to := []string{"a@y.test", "b@y.test", "c@y.test"}
	res := testTransport(n, fakeMX{"y.test": mxs("mx1.test", 10)}).DeliverDSN(testCtx(t), "s@x.test", to, strings.NewReader(testBody),
		"", "", []string{"", "", "SUCCESS, FAILURE"}, []string{"utf-8;j\u00f6e@y.test", "utf-8;b+tag=\\x@y.test", ""})
	assert.Equal(t, []string{"ok", "ok", "5.5.4"}, summaries(t, to, res))
	require.Len(t, b.messages(), 1)
	assert.Equal(t, []string{"a@y.test", "b@y.test"}, b.messages()[0].To)
}

func TestEncodeUTF8Addr(t *testing.T) {
	for _, addr := range []string{"plain@example.org", "j\u00f6e@y.test", "b+tag=x@y.test", `back\slash@x`, "sp ace@x", "\U0001F600@x"} {
		enc := encodeUTF8Addr(addr)
		assert.NotContains(t, enc, "+")
		assert.NotContains(t, enc, "=")
		for _, c := range []byte(enc) {
			assert.Less(t, c, byte(0x80), "%q is 7-bit", enc)
		}
		typ, got, err := ParseORCPT("utf-8;" + enc)
		require.NoError(t, err, enc)
		assert.Equal(t, "utf-8", typ)
		assert.Equal(t, addr, got, enc)
	}
	assert.Equal(t, `j\x{F6}e\x{2B}1@y`, encodeUTF8Addr("jöe+1@y"))
}
