package pop3

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestClientAgainstServer runs every client command against our server.
func TestClientAgainstServer(t *testing.T) {
	ts := startServer(t, nil)
	intl := []byte("Subject: caf\xc3\xa9\r\n\r\nbody\r\n")
	ts.store.put(testUser, msg120, msg200, intl)
	ctx := testContext(t)

	c, err := Dial(ctx, ts.addr)
	require.NoError(t, err)
	defer c.Close()
	assert.True(t, c.SupportsAPOP())
	caps, err := c.Capabilities(ctx)
	require.NoError(t, err)
	assert.True(t, caps.Has("STLS"))
	assert.Equal(t, []string{"CRAM-MD5", "LOGIN", "PLAIN", "SCRAM-SHA-256"}, caps["SASL"])
	require.NoError(t, c.StartTLS(ctx, ts.clientTLS()))
	assert.True(t, c.TLS())
	caps, err = c.Capabilities(ctx)
	require.NoError(t, err)
	assert.False(t, caps.Has("STLS"))
	langs, err := c.Languages(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"en English"}, langs)
	tag, err := c.Lang(ctx, "*")
	require.NoError(t, err)
	assert.Equal(t, "en", tag)
	require.NoError(t, c.Login(ctx, testUser, testPass))

	n, size, err := c.Stat(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, int64(320+len(intl)), size)
	list, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []MessageInfo{{1, 120}, {2, 200}, {3, int64(len(intl))}}, list)
	one, err := c.ListOne(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, MessageInfo{2, 200}, one)
	uidl, err := c.UIDL(ctx)
	require.NoError(t, err)
	require.Len(t, uidl, 3)
	u2, err := c.UIDLOne(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, uidl[1], u2)

	r, err := c.Retr(ctx, 2)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, msg200, got, "dot-unstuffed")
	require.NoError(t, r.Close())

	// A reader left open is finished by the next command.
	r, err = c.Retr(ctx, 1)
	require.NoError(t, err)
	buf := make([]byte, 10)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	require.NoError(t, c.Noop(ctx))

	r, err = c.Top(ctx, 2, 1)
	require.NoError(t, err)
	got, err = io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "Subject: two\r\n\r\n.starts with a dot\r\n", string(got))

	_, err = c.Retr(ctx, 3)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, CodeUTF8, pe.Code)
	assert.False(t, pe.Temporary())

	require.NoError(t, c.Dele(ctx, 1))
	err = c.Dele(ctx, 1)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "Message 1 already deleted", pe.Text)
	require.NoError(t, c.Rset(ctx))
	require.NoError(t, c.Dele(ctx, 3))

	// Pipelined LIST n, UIDL n and RETR of several messages.
	infos, errs, err := c.ListMessages(ctx, []int{1, 2, 3, 4})
	require.NoError(t, err)
	assert.Equal(t, []MessageInfo{{1, 120}, {2, 200}, {}, {}}, infos)
	assert.NoError(t, errs[0])
	assert.Error(t, errs[2])
	assert.Error(t, errs[3])
	uids, errs, err := c.UIDLMessages(ctx, []int{2, 1})
	require.NoError(t, err)
	assert.Equal(t, []UIDInfo{uidl[1], uidl[0]}, uids)
	assert.Equal(t, []error{nil, nil}, errs)
	var bodies [][]byte
	require.NoError(t, c.RetrMessages(ctx, []int{1, 3, 2}, func(n int, r io.Reader, err error) error {
		if n == 3 {
			assert.Error(t, err)
			assert.Nil(t, r)
			return nil
		}
		b, err := io.ReadAll(r)
		bodies = append(bodies, b)
		return err
	}))
	assert.Equal(t, [][]byte{msg120, msg200}, bodies)

	require.NoError(t, c.Quit(ctx))
	assert.Error(t, c.Noop(ctx), "closed after QUIT")
	assert.Len(t, ts.store.uids(testUser), 2)
}

// TestClientLogins checks APOP, every SASL mechanism and UTF8 with our
// client.
func TestClientLogins(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testContext(t)
	scram, err := sasl.NewSCRAMClient(sasl.SCRAMSHA256, testUser, testPass)
	require.NoError(t, err)
	logins := map[string]func(c *Client) error{
		"apop":     func(c *Client) error { return c.APOP(ctx, testUser, testSecret) },
		"plain":    func(c *Client) error { return c.Auth(ctx, sasl.NewPlainClient("", testUser, testPass)) },
		"login":    func(c *Client) error { return c.Auth(ctx, sasl.NewLoginClient(testUser, testPass)) },
		"cram-md5": func(c *Client) error { return c.Auth(ctx, sasl.NewCRAMMD5Client(testUser, testSecret)) },
		"scram":    func(c *Client) error { return c.Auth(ctx, scram) },
		"utf8": func(c *Client) error {
			if err := c.UTF8(ctx); err != nil {
				return err
			}
			return c.Login(ctx, testUser, testPass)
		},
	}
	for name, login := range logins {
		t.Run(name, func(t *testing.T) {
			c, err := Dial(ctx, ts.addr)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, login(c))
			_, _, err = c.Stat(ctx)
			require.NoError(t, err)
			require.NoError(t, c.Quit(ctx))
		})
	}
	c, err := Dial(ctx, ts.addr)
	require.NoError(t, err)
	defer c.Close()
	err = c.Auth(ctx, sasl.NewPlainClient("", testUser, "wrong"))
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, CodeAuth, pe.Code)
	// A login fails and the session goes on.
	require.NoError(t, c.Login(ctx, testUser, testPass))
}

// TestClientInUse checks the error of a locked maildrop.
func TestClientInUse(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testContext(t)
	c1, err := Dial(ctx, ts.addr)
	require.NoError(t, err)
	defer c1.Close()
	require.NoError(t, c1.Login(ctx, testUser, testPass))
	c2, err := Dial(ctx, ts.addr)
	require.NoError(t, err)
	defer c2.Close()
	err = c2.Login(ctx, testUser, testPass)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, CodeInUse, pe.Code)
	assert.True(t, pe.Temporary())
}

// fakeServer answers a client with canned bytes and records what it
// sent.
func fakeServer(t *testing.T, script string) (*Client, *syncBuffer, error) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	sent := &syncBuffer{}
	go func() {
		go io.Copy(sent, b)
		b.Write([]byte(script))
	}()
	c, err := NewClient(testContext(t), a)
	return c, sent, err
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestClientResponses checks the client against malformed and unusual
// server answers.
func TestClientResponses(t *testing.T) {
	ctx := testContext(t)
	t.Run("bad_greeting", func(t *testing.T) {
		_, _, err := fakeServer(t, "220 smtp.example ESMTP\r\n")
		var pe *ProtocolError
		require.ErrorAs(t, err, &pe)
	})
	t.Run("err_greeting", func(t *testing.T) {
		_, _, err := fakeServer(t, "-ERR [SYS/TEMP] busy\r\n")
		var pe *Error
		require.ErrorAs(t, err, &pe)
		assert.True(t, pe.Temporary())
	})
	t.Run("bad_stat", func(t *testing.T) {
		c, _, err := fakeServer(t, "+OK hi\r\n+OK lots\r\n")
		require.NoError(t, err)
		_, _, err = c.Stat(ctx)
		var pe *ProtocolError
		require.ErrorAs(t, err, &pe)
	})
	t.Run("lf_only_body", func(t *testing.T) {
		// The un-stuffing is strict (internal/dotstuff): a bare LF is
		// no line end, the body runs to the real CRLF "." CRLF.
		c, _, err := fakeServer(t, "+OK hi\r\n+OK\r\nline\nmore\r\n.\r\n+OK\r\n")
		require.NoError(t, err)
		r, err := c.Retr(ctx, 1)
		require.NoError(t, err)
		_, err = io.ReadAll(r)
		require.Error(t, err)
		require.NoError(t, c.Noop(ctx), "the connection stays usable")
	})
	t.Run("long_line", func(t *testing.T) {
		long := strings.Repeat("a", 5000)
		c, _, err := fakeServer(t, "+OK hi\r\n+OK\r\n"+long+"\r\n.\r\n")
		require.NoError(t, err)
		r, err := c.Retr(ctx, 1)
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		require.NoError(t, err, "long lines are fine in POP3")
		assert.Equal(t, long+"\r\n", string(b))
	})
	t.Run("truncated", func(t *testing.T) {
		c, _, err := fakeServer(t, "+OK hi\r\n+OK\r\nline\r\n")
		require.NoError(t, err)
		r, err := c.Retr(ctx, 1)
		require.NoError(t, err)
		go func() { time.Sleep(50 * time.Millisecond); c.conn.Close() }()
		_, err = io.ReadAll(r)
		require.Error(t, err)
		assert.Error(t, c.Noop(ctx), "a broken connection stays broken")
	})
	t.Run("bad_argument", func(t *testing.T) {
		c, _, err := fakeServer(t, "+OK hi\r\n")
		require.NoError(t, err)
		assert.Error(t, c.User(ctx, "a\r\nDELE 1"))
		assert.Error(t, c.User(ctx, "two words"))
	})
	t.Run("context", func(t *testing.T) {
		c, _, err := fakeServer(t, "+OK hi\r\n")
		require.NoError(t, err)
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		err = c.Noop(cctx) // the server never answers
		require.Error(t, err)
		var ne net.Error
		assert.True(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
	})
	t.Run("auth_bad_challenge", func(t *testing.T) {
		c, sent, err := fakeServer(t, "+OK hi\r\n+ !!!\r\n-ERR cancelled\r\n")
		require.NoError(t, err)
		err = c.Auth(ctx, sasl.NewCRAMMD5Client("u", "s"))
		require.Error(t, err)
		time.Sleep(20 * time.Millisecond)
		assert.Equal(t, "AUTH CRAM-MD5\r\n*\r\n", sent.String())
	})
	t.Run("stls_injection", func(t *testing.T) {
		c, _, err := fakeServer(t, "+OK hi\r\n+OK go\r\n+OK injected\r\n")
		require.NoError(t, err)
		time.Sleep(20 * time.Millisecond)
		err = c.StartTLS(ctx, nil)
		require.Error(t, err)
	})
}

// ExampleClient retrieves and deletes every message of a maildrop.
func ExampleClient() {
	ctx := context.Background()
	c, err := Dial(ctx, "127.0.0.1:1110")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Login(ctx, "user@example.test", "password"); err != nil {
		fmt.Println(err)
		return
	}
	list, err := c.List(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	nums := make([]int, len(list))
	for i, m := range list {
		nums[i] = m.Number
	}
	err = c.RetrMessages(ctx, nums, func(n int, r io.Reader, err error) error {
		if err != nil {
			return nil // gone meanwhile
		}
		_, err = io.Copy(io.Discard, bufio.NewReader(r)) // store it somewhere
		if err == nil {
			err = c.Dele(ctx, n)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c.Quit(ctx)
}
