package pop3interop

import (
	"bytes"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/postkit/postkit/pop3"
)

// TestCurlToOurServer reads our server with curl's pop3:// support:
// LIST (the URL without a message), RETR (/N), UIDL and TOP through -X,
// DELE through -X with -I, STLS with --ssl-reqd (verifying our
// certificate), and each way curl logs in: SASL PLAIN (its default when
// offered), APOP (--login-options AUTH=+APOP) and USER/PASS (its
// fallback when the server offers neither).
func TestCurlToOurServer(t *testing.T) {
	curl := peertest.Need(t, "curl")
	creds := testUser + ":" + testPass
	listing := "1 " + strconv.Itoa(len(testMessages[0])) + "\r\n2 " + strconv.Itoa(len(testMessages[1])) +
		"\r\n3 " + strconv.Itoa(len(testMessages[2])) + "\r\n"
	tests := []struct {
		name      string
		path      string
		args      []string
		configure func(*pop3.Server)
		host      string // "127.0.0.1" if empty
		want      string // curl's output
		wantLog   []string
		exit      int
		left      int // messages left; 3 if 0
	}{
		{name: "list", path: "/", want: listing, wantLog: []string{"> AUTH PLAIN", "> LIST"}},
		{name: "retr", path: "/2", want: string(testMessages[1])},
		{name: "uidl", path: "/", args: []string{"-X", "UIDL"}, want: "1 " + uidlOf(1) + "\r\n2 " + uidlOf(2) + "\r\n3 " + uidlOf(3) + "\r\n"},
		{name: "top", path: "/", args: []string{"-X", "TOP 3 1"}, want: "From: c@example.test\r\nSubject: three\r\n\r\nline 1\r\n"},
		{name: "apop", path: "/1", args: []string{"--login-options", "AUTH=+APOP"}, want: string(testMessages[0]), wantLog: []string{"> APOP " + testUser + " "}},
		{name: "user_pass", path: "/3", want: string(testMessages[2]), wantLog: []string{"> USER " + testUser, "> PASS "},
			configure: func(s *pop3.Server) { s.Auth = nil; s.APOPSecret = nil }},
		{name: "stls", path: "/2", host: "localhost", args: []string{"--ssl-reqd"}, want: string(testMessages[1]),
			wantLog: []string{"> STLS", "< +OK Begin TLS negotiation"}},
		{name: "dele", path: "/1", args: []string{"-X", "DELE", "-I"}, wantLog: []string{"> DELE 1", "< +OK message 1 deleted"}, left: 2},
		// CURLE_LOGIN_DENIED
		{name: "wrong_password", path: "/1", args: []string{"--user", testUser + ":wrong"}, exit: 67},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conf []func(*pop3.Server)
			if tt.configure != nil {
				conf = append(conf, tt.configure)
			}
			srv := startOurServer(t, conf...)
			host := tt.host
			if host == "" {
				host = "127.0.0.1"
			}
			args := []string{"-sS", "-v", "--cacert", srv.cert.PEMPath, "--max-time", "15", "--user", creds}
			args = append(args, tt.args...)
			args = append(args, "pop3://"+host+":"+strconv.Itoa(srv.port)+tt.path)
			cmd := exec.CommandContext(testCtx(t), curl, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tt.exit != 0 {
				var ee *exec.ExitError
				require.True(t, errors.As(err, &ee), "curl succeeded: %v\n%s", err, stderr.String())
				assert.Equal(t, tt.exit, ee.ExitCode())
				return
			}
			require.NoError(t, err, "curl:\n%s", stderr.String())
			if tt.want != "" {
				assert.Equal(t, tt.want, stdout.String())
			}
			for _, w := range tt.wantLog {
				assert.Contains(t, stderr.String(), w)
			}
			left := tt.left
			if left == 0 {
				left = 3
			}
			assert.Len(t, srv.store.bodies(), left, strings.TrimSpace(stderr.String()))
		})
	}
}
