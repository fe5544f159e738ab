package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/sasl"
	"github.com/postkit/postkit/smtp"
)

type sinkSession struct {
	conn *smtp.Conn
	mu   *sync.Mutex
	got  *[]string
}

func (s *sinkSession) Mail(string, smtp.MailParams) error {
	if s.conn.AuthIdentity() == "" {
		return &smtp.Error{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	return nil
}
func (s *sinkSession) Rcpt(to string, _ smtp.RcptParams) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.mu.Lock()
	*s.got = append(*s.got, string(b))
	s.mu.Unlock()
	return err
}
func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }

func TestSendThroughSubmission(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := &smtp.Server{
		Handler: smtp.HandlerFunc(func(c *smtp.Conn) (smtp.Session, error) {
			return &sinkSession{conn: c, mu: &mu, got: &got}, nil
		}),
		Auth: map[string]sasl.ServerFactory{"PLAIN": func() sasl.Server {
			return sasl.NewPlainServer(func(_ context.Context, _, user, pass string) (string, error) {
				if user == "a@example.test" && pass == "pw" {
					return user, nil
				}
				return "", sasl.ErrAuthFailed
			})
		}},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(l)
	defer srv.Close()

	dir := t.TempDir()
	passFile := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(passFile, []byte("pw\n"), 0o600))
	att := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(att, []byte("attached"), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out strings.Builder
	err = run(ctx, []string{"-server", l.Addr().String(), "-user", "a@example.test", "-password-file", passFile,
		"-from", "A <a@example.test>", "-to", "b@example.test, nobody@example.test", "-cc", "c@example.test",
		"-subject", "Grüße", "-attach", att}, strings.NewReader("Hello.\n"), &out)
	require.Error(t, err) // one recipient refused
	assert.Contains(t, out.String(), "b@example.test: accepted")
	assert.Contains(t, out.String(), "c@example.test: accepted")
	assert.Contains(t, out.String(), "nobody@example.test: ")

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 1)
	m, err := message.Read(strings.NewReader(got[0]))
	require.NoError(t, err)
	assert.Equal(t, "Grüße", m.Header.Subject())
	assert.Contains(t, got[0], "multipart/mixed")
	assert.Contains(t, got[0], `filename=notes.txt`)
}
