package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/smtp"
)

func TestSMTPInIMAPOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0", "-user", "me@example.test:pw"},
			io.Discard, func(s, i string) { addrs <- [2]string{s, i} })
	}()
	a := <-addrs

	c, err := smtp.Dial(ctx, a[0])
	require.NoError(t, err)
	perRcpt, err := c.Send(ctx, "x@example.org", []string{"me@example.test", "you@example.test"},
		strings.NewReader("Subject: mem\r\n\r\nin memory\r\n"), nil)
	require.NoError(t, err)
	assert.NoError(t, perRcpt[0])
	assert.Error(t, perRcpt[1])
	require.NoError(t, c.Quit(ctx))

	conn, err := net.Dial("tcp", a[1])
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	fmt.Fprint(conn, "a LOGIN me@example.test pw\r\nb SELECT INBOX\r\nc FETCH 1 BODY[TEXT]\r\nd LOGOUT\r\n")
	var all strings.Builder
	for {
		line, err := r.ReadString('\n')
		all.WriteString(line)
		if err != nil || strings.HasPrefix(line, "d ") {
			break
		}
	}
	assert.Contains(t, all.String(), "* 1 RECENT")
	assert.Contains(t, all.String(), "in memory")
	cancel()
	require.NoError(t, <-done)
}
