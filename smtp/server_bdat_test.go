package smtp

import (
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamSession reports each read of the message as it happens.
type streamSession struct {
	reads chan string
	mu    sync.Mutex
	got   []string
	// failAfter makes Data fail once it has read this many octets (0: never).
	failAfter int
}

func newStreamSession() *streamSession {
	return &streamSession{reads: make(chan string, 100)}
}

func (s *streamSession) NewSession(*Conn) (Session, error) { return s, nil }
func (s *streamSession) Mail(string, MailParams) error     { return nil }
func (s *streamSession) Rcpt(string, RcptParams) error     { return nil }
func (s *streamSession) Reset()                            {}
func (s *streamSession) Logout() error                     { return nil }

func (s *streamSession) Data(r io.Reader) error {
	var sb strings.Builder
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			sb.Write(buf[:n])
			select {
			case s.reads <- string(buf[:n]):
			default:
			}
			if s.failAfter > 0 && sb.Len() >= s.failAfter {
				return &Error{Code: 554, EnhancedCode: EnhancedCode{5, 6, 0}, Message: "rejected early"}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.got = append(s.got, sb.String())
	s.mu.Unlock()
	return nil
}

func (s *streamSession) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func startBDAT(t *testing.T, sess *streamSession, srv *Server) *wireClient {
	t.Helper()
	if srv == nil {
		srv = &Server{}
	}
	srv.Handler = sess
	c := dialWire(t, startTestServer(t, srv))
	c.expect(220)
	c.cmd("EHLO c.test", 250)
	c.cmd("MAIL FROM:<a@x.test>", 250)
	c.cmd("RCPT TO:<b@y.test>", 250)
	return c
}

// The session reads a chunk before the client has sent the next one: no
// chunk waits in memory for the LAST one.
func TestServerBDATStreams(t *testing.T) {
	sess := newStreamSession()
	c := startBDAT(t, sess, nil)
	c.send("BDAT 5\r\nhello")
	select {
	case got := <-sess.reads:
		assert.Equal(t, "hello", got)
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not see the first chunk before the next BDAT")
	}
	c.expect(250)
	c.send("BDAT 6 LAST\r\n world")
	c.expect(250)
	assert.Equal(t, []string{"hello world"}, sess.messages())
}

func TestServerBDATSequences(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	tests := []struct {
		name  string
		send  string
		codes []int
		msgs  []string
	}{
		{"pipelined chunks", "BDAT 3\r\nabcBDAT 0\r\nBDAT 3 LAST\r\ndef", []int{250, 250, 250}, []string{"abcdef"}},
		{"chunk ends in CR", "BDAT 4\r\nab\r\rBDAT 3 LAST\r\n\ncd", []int{250, 250}, []string{"ab\r\r\ncd"}},
		{"large", "BDAT 65536 LAST\r\n" + big, []int{250}, []string{big}},
		{"RSET between chunks", "BDAT 3\r\nabcRSET\r\n", []int{250, 250}, nil},
		{"NOOP between chunks ends the message", "BDAT 3\r\nabcNOOP\r\nBDAT 1 LAST\r\nx", []int{250, 250, 503}, nil},
		{"DATA between chunks", "BDAT 3\r\nabcDATA\r\n", []int{250, 503}, nil},
		{"bad BDAT between chunks", "BDAT 3\r\nabcBDAT x\r\n", []int{250, 501}, nil},
		{"BDAT after LAST", "BDAT 1 LAST\r\nxBDAT 1 LAST\r\ny", []int{250, 503}, []string{"x"}},
		{"over the limit in the second chunk", "BDAT 60\r\n" + strings.Repeat("x", 60) + "BDAT 60\r\n" + strings.Repeat("y", 60) + "BDAT 1 LAST\r\nz",
			[]int{250, 552, 503}, nil},
		{"over the limit at once", "BDAT 200 LAST\r\n" + strings.Repeat("x", 200), []int{552}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := newStreamSession()
			srv := &Server{MaxMessageBytes: 100}
			if strings.HasPrefix(tt.name, "large") {
				srv.MaxMessageBytes = 0
			}
			c := startBDAT(t, sess, srv)
			c.send(tt.send)
			for i, code := range tt.codes {
				r := c.reply()
				require.Equal(t, code, r.Code, "reply %d: %q", i, r.Lines)
			}
			c.cmd("NOOP", 250) // still in sync
			assert.Equal(t, tt.msgs, sess.messages())
			// A new transaction works after whatever happened.
			c.cmd("RSET", 250)
			c.cmd("MAIL FROM:<a@x.test>", 250)
			c.cmd("RCPT TO:<b@y.test>", 250)
			c.send("BDAT 2 LAST\r\nok")
			c.expect(250)
			assert.Equal(t, append(tt.msgs, "ok"), sess.messages())
		})
	}
}

// A session that refuses the message part way still gets every chunk
// acknowledged, and its refusal answers the LAST one.
func TestServerBDATSessionRefusesEarly(t *testing.T) {
	sess := newStreamSession()
	sess.failAfter = 3
	c := startBDAT(t, sess, nil)
	c.send("BDAT 10\r\n0123456789BDAT 10\r\n0123456789BDAT 3 LAST\r\nabc")
	c.expect(250)
	c.expect(250)
	r := c.expect(554)
	assert.Equal(t, EnhancedCode{5, 6, 0}, r.EnhancedCode())
	c.cmd("NOOP", 250)
	assert.Empty(t, sess.messages())
}

// QUIT before the LAST chunk abandons the message and closes.
func TestServerBDATQuit(t *testing.T) {
	sess := newStreamSession()
	c := startBDAT(t, sess, nil)
	c.send("BDAT 3\r\nabcQUIT\r\n")
	c.expect(250)
	c.expect(221)
	_, err := c.br.ReadByte()
	assert.ErrorIs(t, err, io.EOF)
	assert.Empty(t, sess.messages())
}
