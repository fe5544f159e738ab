package mailserverinterop

import (
	"errors"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/peers/internal/mailserverproc"
	"github.com/postkit/postkit/peers/internal/peertest"
)

// TestSwaks sends with swaks, the SMTP test tool the program's banner
// suggests: to the MX port (a local user, an unknown one, a relay attempt)
// and through submission after STARTTLS with AUTH PLAIN and AUTH LOGIN.
func TestSwaks(t *testing.T) {
	swaks := peertest.Need(t, "swaks")
	s := mailserverproc.Start(t, t.TempDir(), users()...)
	mxHost, mxPort, err := net.SplitHostPort(s.Addrs["smtp"])
	require.NoError(t, err)
	subHost, subPort, err := net.SplitHostPort(s.Addrs["submission"])
	require.NoError(t, err)
	mx := []string{"--server", mxHost, "--port", mxPort}
	submission := []string{"--server", subHost, "--port", subPort, "--tls"}
	auth := func(mech, pass string) []string {
		return []string{"--auth", mech, "--auth-user", alice, "--auth-password", pass}
	}

	for _, tc := range []struct {
		name string
		args []string
		code int      // swaks's exit status
		want []string // in its transcript
	}{
		{
			name: "mx local user",
			args: slices.Concat(mx, []string{"--from", "someone@example.org", "--to", alice, "--header", "Subject: swaks via mx"}),
			want: []string{"<-  250 2.0.0 "},
		},
		{
			// swaks exits 24 when no RCPT is accepted.
			name: "mx unknown user",
			args: slices.Concat(mx, []string{"--from", "someone@example.org", "--to", "nobody@example.test"}),
			code: 24,
			want: []string{"<** 550 5.1.1 "},
		},
		{
			name: "mx relay attempt",
			args: slices.Concat(mx, []string{"--from", "someone@example.org", "--to", "victim@example.net"}),
			code: 24,
			want: []string{"<** 550 5.7.1 "},
		},
		{
			name: "submission STARTTLS AUTH PLAIN",
			args: slices.Concat(submission, auth("PLAIN", alicePass), []string{"--from", alice, "--to", bob, "--header", "Subject: swaks plain"}),
			want: []string{"-> STARTTLS", "<-  220", "~> AUTH PLAIN", "<~  235", "<~  250 2.0.0 "},
		},
		{
			name: "submission STARTTLS AUTH LOGIN",
			args: slices.Concat(submission, auth("LOGIN", alicePass), []string{"--from", alice, "--to", bob, "--header", "Subject: swaks login"}),
			want: []string{"-> STARTTLS", "~> AUTH LOGIN", "<~  334 ", "<~  235", "<~  250 2.0.0 "},
		},
		{
			// swaks exits 28 when AUTH fails.
			name: "submission wrong password",
			args: slices.Concat(submission, auth("PLAIN", "wrong"), []string{"--from", alice, "--to", bob}),
			code: 28,
			want: []string{"<~* 535 5.7.8 "},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--timeout", "10", "--body", "sent by swaks"}, tc.args...)
			out, err := exec.Command(swaks, args...).CombinedOutput()
			code := 0
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.code, code, "exit status\n%s", out)
			for _, w := range tc.want {
				assert.Contains(t, string(out), w)
			}
		})
	}

	// Exactly the accepted messages arrived.
	got := pythonFetch(t, s, alice, alicePass)
	require.Len(t, got.IMAP, 1)
	assert.Contains(t, got.IMAP[0], "Subject: swaks via mx")
	assert.Contains(t, got.IMAP[0], "sent by swaks")
	got = pythonFetch(t, s, bob, bobPass)
	require.Len(t, got.IMAP, 2)
	subjects := strings.Join(got.IMAP, "\n")
	assert.Contains(t, subjects, "Subject: swaks plain")
	assert.Contains(t, subjects, "Subject: swaks login")
	for _, m := range got.IMAP {
		assert.Contains(t, m, "with ESMTPSA id")
	}
	stop(t, s)
}
