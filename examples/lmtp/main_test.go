package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/smtp"
)

const testMsg = "From: sender@example.org\r\nTo: alice@example.test, bob@example.test\r\n" +
	"Subject: lmtp\r\n\r\nHello.\r\n..a stuffed dot\r\n"

// trace matches the fields the agent adds.
var trace = regexp.MustCompile(`^Return-Path: <([^>]*)>\r\n` +
	`Received: from \S+( \(\[127\.0\.0\.1\]\))?\r\n\tby mx\.example\.test with LMTP id [a-z2-7]{10};\r\n\t[^\r\n]+\r\n`)

// start runs the agent with the given arguments on a fresh root holding
// the accounts users, and returns the root and the listener's address.
func start(t *testing.T, listen string, users []string, extra ...string) (string, net.Addr) {
	t.Helper()
	root := t.TempDir()
	for _, u := range users {
		require.NoError(t, os.Mkdir(filepath.Join(root, u), 0o700))
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	args := append([]string{"-listen", listen, "-root", root, "-hostname", "mx.example.test"}, extra...)
	go func() { done <- run(ctx, args, io.Discard, func(a net.Addr) { addrc <- a }) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return root, addr
}

// delivered returns the messages in the INBOX of user (new/ only: that
// is where deliveries go).
func delivered(t *testing.T, root, user string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, user, "new"))
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(root, user, "new", e.Name()))
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

// checkCopy checks that got is msg behind a Return-Path of from and a
// Received field, and returns those fields.
func checkCopy(t *testing.T, got, from, msg string) string {
	t.Helper()
	m := trace.FindStringSubmatch(got)
	require.NotNil(t, m, "trace fields in %q", got)
	assert.Equal(t, from, m[1])
	assert.Equal(t, msg, got[len(m[0]):], "the message follows byte for byte")
	return m[0]
}

func dialLMTP(t *testing.T, addr net.Addr) *smtp.Client {
	t.Helper()
	conn, err := net.Dial(addr.Network(), addr.String())
	require.NoError(t, err)
	c, err := smtp.NewClient(conn, "localhost")
	require.NoError(t, err)
	c.LMTP = true
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDeliverOverUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "run", "lmtp.sock")
	root, addr := start(t, sock, []string{"alice@example.test", "bob@example.test"})
	assert.Equal(t, "unix", addr.Network())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dialLMTP(t, addr)
	per, err := c.Send(ctx, "sender@example.org",
		[]string{"alice@example.test", "Bob@Example.test", "nobody@example.test"}, strings.NewReader(testMsg), nil)
	require.NoError(t, err)
	require.Len(t, per, 3)
	assert.NoError(t, per[0])
	assert.NoError(t, per[1])
	var se *smtp.Error
	require.ErrorAs(t, per[2], &se)
	assert.Equal(t, 550, se.Code)
	assert.Equal(t, smtp.EnhancedCode{5, 1, 1}, se.EnhancedCode)
	require.NoError(t, c.Quit(ctx))

	a := delivered(t, root, "alice@example.test")
	b := delivered(t, root, "bob@example.test")
	require.Len(t, a, 1)
	require.Len(t, b, 1)
	checkCopy(t, a[0], "sender@example.org", testMsg)
	checkCopy(t, b[0], "sender@example.org", testMsg)
	assert.Equal(t, a[0], b[0], "both copies are the same bytes")
	_, err = os.Stat(filepath.Join(root, "nobody@example.test"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "no account is made")
	ents, err := os.ReadDir(root)
	require.NoError(t, err)
	assert.Len(t, ents, 2, "no spool file left behind")
}

func TestTemporaryFailureIsPerRecipient(t *testing.T) {
	root, addr := start(t, "127.0.0.1:0", []string{"alice", "bob", "carol"}, "-local-part")
	// carol's Maildir is broken: its tmp/ is a file.
	require.NoError(t, os.WriteFile(filepath.Join(root, "carol", "tmp"), nil, 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dialLMTP(t, addr)
	per, err := c.Send(ctx, "", []string{"alice@example.test", "carol@example.test", "bob@example.org"},
		strings.NewReader(testMsg), nil)
	require.NoError(t, err)
	assert.NoError(t, per[0])
	var se *smtp.Error
	require.ErrorAs(t, per[1], &se)
	assert.Equal(t, 451, se.Code)
	assert.True(t, se.Temporary())
	assert.NoError(t, per[2])

	// The connection goes on: a second message to alice.
	per, err = c.Send(ctx, "x@example.org", []string{"alice@example.test"}, strings.NewReader("Subject: 2\r\n\r\n2\r\n"), nil)
	require.NoError(t, err)
	assert.NoError(t, per[0])
	require.NoError(t, c.Quit(ctx))

	a := delivered(t, root, "alice")
	require.Len(t, a, 2)
	b := delivered(t, root, "bob")
	require.Len(t, b, 1)
	tr := checkCopy(t, b[0], "", testMsg) // the null reverse-path
	assert.Contains(t, tr, "([127.0.0.1])")
	assert.Contains(t, a, b[0])
}

// TestWire speaks LMTP by hand: RFC 2033 4.2, one reply per accepted
// recipient after the final dot, in RCPT order.
func TestWire(t *testing.T) {
	root, addr := start(t, "127.0.0.1:0", []string{"alice", "bob"}, "-local-part")
	conn, err := net.Dial("tcp", addr.String())
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	reply := func() string {
		var all string
		for {
			line, err := r.ReadString('\n')
			require.NoError(t, err)
			all += line
			if len(line) < 4 || line[3] != '-' {
				return all
			}
		}
	}
	assert.Regexp(t, `^220 mx\.example\.test `, reply())
	io.WriteString(conn, "EHLO client\r\n")
	assert.Regexp(t, `^500 `, reply(), "LMTP has no EHLO")
	io.WriteString(conn, "LHLO client\r\n")
	assert.Regexp(t, `^250`, reply())
	io.WriteString(conn, "MAIL FROM:<s@example.org>\r\n")
	assert.Regexp(t, `^250 `, reply())
	io.WriteString(conn, "RCPT TO:<bob@example.test>\r\n")
	assert.Regexp(t, `^250 `, reply())
	io.WriteString(conn, "RCPT TO:<\"../alice\"@example.test>\r\n")
	assert.Regexp(t, `^550 5\.1\.1 `, reply())
	io.WriteString(conn, "RCPT TO:<alice@example.test>\r\n")
	assert.Regexp(t, `^250 `, reply())
	io.WriteString(conn, "DATA\r\n")
	assert.Regexp(t, `^354 `, reply())
	io.WriteString(conn, "Subject: wire\r\n\r\n..dot\r\n.\r\n")
	assert.Regexp(t, `^250 2\.0\.0 `, reply(), "bob")
	assert.Regexp(t, `^250 2\.0\.0 `, reply(), "alice")
	io.WriteString(conn, "QUIT\r\n")
	assert.Regexp(t, `^221 `, reply())

	for _, u := range []string{"alice", "bob"} {
		got := delivered(t, root, u)
		require.Len(t, got, 1)
		checkCopy(t, got[0], "s@example.org", "Subject: wire\r\n\r\n.dot\r\n")
	}
}

func TestFlags(t *testing.T) {
	err := run(context.Background(), []string{"-listen", "127.0.0.1:0"}, io.Discard, nil)
	assert.ErrorContains(t, err, "-root")
	err = run(context.Background(), []string{"-root", filepath.Join(t.TempDir(), "missing")}, io.Discard, nil)
	assert.Error(t, err)
}
