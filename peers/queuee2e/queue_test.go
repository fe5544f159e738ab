package queuee2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
	"github.com/postkit/postkit/queue"
	"github.com/postkit/postkit/smtp"
)

// fakeMX answers MX lookups: every domain d has the one host "mx.d".
type fakeMX struct{}

func (fakeMX) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return []*net.MX{{Host: "mx." + name + ".", Pref: 10}}, nil
}

// hostNet maps MX host names to loopback listeners.
type hostNet struct{ addrs map[string]string }

func (n *hostNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	real, ok := n.addrs[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, real)
}

// received is a message a sink accepted.
type received struct {
	from string
	to   []string
	data []byte
}

// sink is an SMTP server that records what it accepts and refuses the
// recipients rcpt says.
type sink struct {
	rcpt func(to string) error

	mu   sync.Mutex
	msgs []received
}

func (s *sink) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *sink) NewSession(c *smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s    *sink
	from string
	to   []string
}

func (ss *sinkSession) Mail(from string, p smtp.MailParams) error { ss.from = from; return nil }
func (ss *sinkSession) Rcpt(to string, p smtp.RcptParams) error {
	if ss.s.rcpt != nil {
		if err := ss.s.rcpt(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, received{from: ss.from, to: ss.to, data: b})
	ss.s.mu.Unlock()
	return nil
}
func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

func startSink(t *testing.T, name string, s *sink) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &smtp.Server{Hostname: name, Handler: s}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// startDropper starts a server that speaks just enough SMTP to reach
// DATA, and on its first connection closes it after part of the message;
// later connections are served to the end. It counts connections and
// keeps the messages it accepted.
func startDropper(t *testing.T) (addr string, conns *atomic.Int32, got func() []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	conns = new(atomic.Int32)
	var mu sync.Mutex
	var msgs []string
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				say := func(s string) { io.WriteString(c, s+"\r\n") }
				say("220 mx.drop.test ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						say("250 mx.drop.test")
					case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"):
						say("250 2.0.0 ok")
					case cmd == "DATA":
						say("354 go ahead")
						if n == 1 {
							r.ReadString('\n') // a line of the message, then the connection dies
							return
						}
						var b strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							b.WriteString(l)
						}
						mu.Lock()
						msgs = append(msgs, b.String())
						mu.Unlock()
						say("250 2.0.0 queued")
					case cmd == "QUIT":
						say("221 bye")
						return
					default:
						say("250 ok")
					}
				}
			}()
		}
	}()
	return l.Addr().String(), conns, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), msgs...)
	}
}

// dsnReport is the delivery-status part of a notification.
type dsnReport struct {
	perMessage mime.Header
	perRcpt    []mime.Header
	returned   string // media type of the third part
}

func readDSN(t *testing.T, raw []byte) (message.Header, dsnReport) {
	t.Helper()
	m, err := message.Read(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, "multipart/report", m.Root().MediaType)
	require.Equal(t, "delivery-status", m.Root().Params["report-type"])
	var rep dsnReport
	p, err := m.NextPart()
	require.NoError(t, err)
	require.Equal(t, "text/plain", p.MediaType)
	p, err = m.NextPart()
	require.NoError(t, err)
	require.Equal(t, "message/delivery-status", p.MediaType)
	b, err := io.ReadAll(p.Body())
	require.NoError(t, err)
	for i, blk := range strings.Split(strings.TrimRight(string(b), "\r\n"), "\r\n\r\n") {
		part, err := mime.NewReader(strings.NewReader(blk + "\r\n\r\n")).Next()
		require.NoError(t, err)
		if i == 0 {
			rep.perMessage = part.Header
		} else {
			rep.perRcpt = append(rep.perRcpt, part.Header)
		}
	}
	p, err = m.NextPart()
	require.NoError(t, err)
	rep.returned = p.MediaType
	return m.Header, rep
}

const original = "From: Alice <alice@sender.test>\r\n" +
	"To: many@example.test\r\n" +
	"Subject: queue end to end\r\n" +
	"Message-Id: <e2e-1@sender.test>\r\n" +
	"\r\n" +
	"Hello, everyone.\r\n" +
	".a line that needs dot-stuffing\r\n"

func TestQueueEndToEnd(t *testing.T) {
	accept, senderSink := &sink{}, &sink{}
	deferSink := &sink{rcpt: func(string) error {
		return &smtp.Error{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted, come back later"}
	}}
	reject := &sink{rcpt: func(to string) error {
		if strings.HasPrefix(to, "nobody@") {
			return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}}
	dropAddr, dropConns, dropGot := startDropper(t)
	n := &hostNet{addrs: map[string]string{
		"mx.accept.test": startSink(t, "mx.accept.test", accept),
		"mx.defer.test":  startSink(t, "mx.defer.test", deferSink),
		"mx.reject.test": startSink(t, "mx.reject.test", reject),
		"mx.sender.test": startSink(t, "mx.sender.test", senderSink),
		"mx.drop.test":   dropAddr,
	}}
	tr := &smtp.Transport{Resolver: fakeMX{}, Dialer: n.dial, TLS: smtp.TLSDisabled, LocalName: "queue.test",
		ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second, TransactionTimeout: 10 * time.Second}

	spool, err := queue.OpenSpool(t.TempDir())
	require.NoError(t, err)
	defer spool.Close()
	var removedMu sync.Mutex
	removed := map[string]*queue.Envelope{}
	q := &queue.Queue{
		Store:        spool,
		Deliverer:    tr, // *smtp.Transport satisfies queue.Deliverer by shape
		Hostname:     "queue.test",
		Backoff:      func(int) time.Duration { return 100 * time.Millisecond },
		Lifetime:     1500 * time.Millisecond,
		DelayWarning: 600 * time.Millisecond,
		Hooks: queue.Hooks{Removed: func(env *queue.Envelope, deleted bool) {
			removedMu.Lock()
			removed[env.ID] = env
			removedMu.Unlock()
		}},
	}
	ctx := context.Background()
	require.NoError(t, q.Start(ctx))
	defer q.Shutdown(ctx)

	env := &queue.Envelope{
		From:  "alice@sender.test",
		EnvID: "E2E-ENVID",
		Recipients: []queue.Recipient{
			{Addr: "bob@accept.test", Notify: queue.NotifySuccess | queue.NotifyFailure},
			{Addr: "carol@defer.test"},
			{Addr: "nobody@reject.test", ORcpt: "rfc822;Nobody@Reject.test"},
			{Addr: "dave@reject.test"},
			{Addr: "erin@drop.test"},
		},
	}
	id, err := q.Enqueue(ctx, env, strings.NewReader(original))
	require.NoError(t, err)
	// A bounce (from the null sender) that fails must not bounce.
	bounceID, err := q.Enqueue(ctx, &queue.Envelope{Recipients: []queue.Recipient{{Addr: "nobody@reject.test"}}}, strings.NewReader(original))
	require.NoError(t, err)

	require.Eventually(t, func() bool { return q.Len() == 0 }, 20*time.Second, 10*time.Millisecond, "every recipient final, every notification delivered")

	// Final outcome per recipient.
	removedMu.Lock()
	final := removed[id]
	require.Contains(t, removed, bounceID)
	removedMu.Unlock()
	require.NotNil(t, final)
	states := map[string]queue.State{}
	for _, r := range final.Recipients {
		states[r.Addr] = r.State
	}
	assert.Equal(t, map[string]queue.State{
		"bob@accept.test":    queue.Delivered,
		"carol@defer.test":   queue.Failed,
		"nobody@reject.test": queue.Failed,
		"dave@reject.test":   queue.Delivered,
		"erin@drop.test":     queue.Delivered,
	}, states)

	// What the sinks got: the original, intact, from the sender.
	acc := accept.got()
	require.Len(t, acc, 1)
	assert.Equal(t, "alice@sender.test", acc[0].from)
	assert.Equal(t, []string{"bob@accept.test"}, acc[0].to)
	assert.Equal(t, original, string(acc[0].data))
	rej := reject.got()
	require.Len(t, rej, 1)
	assert.Equal(t, []string{"dave@reject.test"}, rej[0].to)
	assert.Empty(t, deferSink.got())
	assert.Equal(t, int32(2), dropConns.Load(), "dropped mid-DATA once, then delivered")
	require.Len(t, dropGot(), 1)
	assert.Contains(t, dropGot()[0], "..a line that needs dot-stuffing")

	// The notifications, at the sender's domain, from the null sender.
	var actions []string
	perRcpt := map[string][]mime.Header{}
	for _, m := range senderSink.got() {
		assert.Equal(t, "", m.from, "MAIL FROM:<>")
		assert.Equal(t, []string{"alice@sender.test"}, m.to)
		h, rep := readDSN(t, m.data)
		from, _ := h.From()
		require.Len(t, from, 1)
		assert.Equal(t, "MAILER-DAEMON@queue.test", from[0].Addr)
		assert.Equal(t, "auto-replied", h.Get("Auto-Submitted"))
		assert.Equal(t, "dns; queue.test", rep.perMessage.Get("Reporting-MTA"))
		assert.Equal(t, "E2E-ENVID", rep.perMessage.Get("Original-Envelope-Id"))
		for _, r := range rep.perRcpt {
			fr := strings.TrimPrefix(r.Get("Final-Recipient"), "rfc822; ")
			perRcpt[fr] = append(perRcpt[fr], r)
			actions = append(actions, fr+" "+r.Get("Action"))
		}
	}
	// erin@drop.test is retried 100 ms after the dropped connection,
	// before DelayWarning: no notification.
	assert.ElementsMatch(t, []string{
		"bob@accept.test relayed",
		"nobody@reject.test failed",
		"carol@defer.test delayed",
		"carol@defer.test failed",
	}, actions)

	bob := perRcpt["bob@accept.test"][0]
	assert.Equal(t, "2.0.0", bob.Get("Status"))

	nobody := perRcpt["nobody@reject.test"][0]
	assert.Equal(t, "rfc822;Nobody@Reject.test", nobody.Get("Original-Recipient"))
	assert.Equal(t, "5.1.1", nobody.Get("Status"))
	assert.Equal(t, "dns; mx.reject.test", nobody.Get("Remote-MTA"))
	assert.Equal(t, "smtp; 550 5.1.1 no such user", nobody.Get("Diagnostic-Code"))

	carol := perRcpt["carol@defer.test"]
	require.Len(t, carol, 2)
	assert.Equal(t, "delayed", carol[0].Get("Action"))
	assert.Equal(t, "4.7.1", carol[0].Get("Status"))
	assert.NotEmpty(t, carol[0].Get("Will-Retry-Until"))
	assert.Equal(t, "failed", carol[1].Get("Action"))
	assert.Equal(t, "4.4.7", carol[1].Get("Status"), "expired (RFC 3463 4.4.7)")
	assert.Equal(t, "smtp; 451 4.7.1 greylisted, come back later", carol[1].Get("Diagnostic-Code"))
	assert.Equal(t, "dns; mx.defer.test", carol[1].Get("Remote-MTA"))
}
