package smtpinterop

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCurlToOurServer uploads messages to our server with curl's SMTP
// support: plain, STARTTLS (--ssl-reqd, verifying our certificate), AUTH
// (curl picks PLAIN among PLAIN and LOGIN; --login-options forces LOGIN;
// --sasl-ir sends an initial response), a 1 MiB message and recipients
// refused with and without --mail-rcpt-allowfails.
//
// curl sends the file as it is, dot-stuffed, and adds a CRLF before the
// final "." when the file does not end with one. It does not turn LF into
// CRLF unless --crlf is given, and a message with bare LF is refused by
// our server with 550 (RFC 5321 2.3.8: CR and LF only as CRLF).
func TestCurlToOurServer(t *testing.T) {
	curl := peertest.Need(t, "curl")
	cert := peertest.NewCert(t)
	lfOnly := bytes.ReplaceAll(msgDots, []byte("\r\n"), []byte("\n"))
	noFinalEOL := []byte("Subject: no end of line\r\n\r\nlast line without CRLF")
	tests := []struct {
		name    string
		file    []byte
		args    []string
		to      []string
		tls     bool
		mech    string // SASL mechanism the server saw, "" for none
		exit    int    // curl's exit code: 0 for success, -1 for any failure
		wantOut string // in curl's output (-v shows the replies as "< ...")
		want    []byte // message the server keeps; nil for none
		wantTo  []string
		null    bool // --mail-from "": the null reverse-path
	}{
		{name: "plain", file: msgDots, want: msgDots},
		{name: "starttls", file: msgDots, tls: true, args: []string{"--ssl-reqd"}, want: msgDots},
		{name: "auth_default", file: msgDots, args: []string{"--user", testUser + ":" + testPass},
			mech: "PLAIN", want: msgDots},
		{name: "auth_plain_ir", file: msgDots, args: []string{"--user", testUser + ":" + testPass, "--sasl-ir"},
			mech: "PLAIN", want: msgDots},
		{name: "auth_login", file: msgDots, args: []string{"--user", testUser + ":" + testPass, "--login-options", "AUTH=LOGIN"},
			mech: "LOGIN", want: msgDots},
		{name: "starttls_auth", file: msgDots, tls: true,
			args: []string{"--ssl-reqd", "--user", testUser + ":" + testPass}, mech: "PLAIN", want: msgDots},
		// CURLE_LOGIN_DENIED
		{name: "auth_wrong_password", file: msgDots, args: []string{"--user", testUser + ":wrong", "--sasl-ir"}, exit: 67},
		{name: "null_sender", file: msgDots, null: true, want: msgDots},
		{name: "1MiB", file: msgBig, want: msgBig},
		{name: "1MiB_starttls", file: msgBig, tls: true, args: []string{"--ssl-reqd"}, want: msgBig},
		{name: "lf_with_crlf_option", file: lfOnly, args: []string{"--crlf"}, want: msgDots},
		// RFC 5321 4.1.1.4: the CRLF before "." belongs to the message.
		{name: "no_final_crlf", file: noFinalEOL, want: append(bytes.Clone(noFinalEOL), "\r\n"...)},
		// Bare LF refused with 550 after the data; curl 7.88 calls
		// the refusal a weird server reply (exit 8).
		{name: "bare_lf_refused", file: lfOnly, args: []string{"-v"}, exit: -1,
			wantOut: "< 550 5.6.0 Bare CR or LF"},
		// One refused RCPT fails the whole upload (exit 55 in 7.88)...
		{name: "rcpt_refused", file: msgDots, to: []string{"b@example.org", refusedRcpt}, args: []string{"-v"},
			exit: -1, wantOut: "< 550 5.1.1 No such user here"},
		// ...unless --mail-rcpt-allowfails.
		{name: "rcpt_refused_allowfails", file: msgDots, args: []string{"--mail-rcpt-allowfails"},
			to: []string{"b@example.org", refusedRcpt, "c@example.org"}, want: msgDots,
			wantTo: []string{"b@example.org", "c@example.org"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startOurServer(t, cert)
			file := filepath.Join(t.TempDir(), "msg.eml")
			require.NoError(t, os.WriteFile(file, tc.file, 0o600))
			to := tc.to
			if to == nil {
				to = []string{"b@example.org"}
			}
			from := "a@example.org"
			if tc.null {
				from = ""
			}
			args := []string{"--silent", "--show-error", "--max-time", strconv.Itoa(int(caseTimeout.Seconds())),
				"--url", "smtp://" + srv.addr + "/client.example", "--cacert", srv.cert.PEMPath,
				"--mail-from", from, "--upload-file", file}
			for _, r := range to {
				args = append(args, "--mail-rcpt", r)
			}
			args = append(args, tc.args...)
			out, err := exec.CommandContext(testCtx(t), curl, args...).CombinedOutput()
			var ee *exec.ExitError
			switch {
			case err == nil:
				assert.Zero(t, tc.exit, "curl succeeded; want exit %d", tc.exit)
			case errors.As(err, &ee) && tc.exit == -1:
			case errors.As(err, &ee):
				assert.Equal(t, tc.exit, ee.ExitCode(), "curl exit code; output: %s", out)
			default:
				require.NoError(t, err)
			}
			assert.Contains(t, string(out), tc.wantOut)
			msgs := srv.rec.messages()
			if tc.want == nil {
				assert.Empty(t, msgs)
				return
			}
			require.Len(t, msgs, 1, "curl output: %s", out)
			m := msgs[0]
			assert.Equal(t, "client.example", m.Hello)
			assert.Equal(t, from, m.From)
			wantTo := tc.wantTo
			if wantTo == nil {
				wantTo = to
			}
			assert.Equal(t, wantTo, m.To)
			assert.Equal(t, tc.tls, m.TLS, "TLS")
			if tc.mech != "" {
				assert.Equal(t, testUser, m.Ident)
				assert.Equal(t, []string{tc.mech}, srv.rec.mechanisms())
			} else {
				assert.Empty(t, m.Ident)
			}
			assert.Equal(t, len(tc.want), len(m.Data), "message length")
			assert.True(t, bytes.Equal(tc.want, m.Data), "message bytes differ")
		})
	}
}
