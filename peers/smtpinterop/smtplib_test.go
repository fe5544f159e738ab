package smtpinterop

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"github.com/postkit/postkit/peers/internal/peertest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

//go:embed testdata/smtplib_client.py
var smtplibScript []byte

// TestPythonSmtplibToOurServer drives our server with CPython's smtplib:
// plain, STARTTLS (verifying our certificate), AUTH PLAIN and LOGIN with
// and without an initial response (auth() forces the mechanism), a 1 MiB
// message, BODY=8BITMIME and SMTPUTF8 with non-ASCII addresses, and a
// refused recipient. smtplib sends exactly the MAIL parameters it is
// given (and SIZE, which the server does not record).
func TestPythonSmtplibToOurServer(t *testing.T) {
	python := peertest.Need(t, "python3")
	dir := t.TempDir()
	script := filepath.Join(dir, "smtplib_client.py")
	if err := os.WriteFile(script, smtplibScript, 0o600); err != nil {
		t.Fatal(err)
	}
	runSendCases(t, func(t *testing.T, ctx context.Context, srv *ourServer, c sendCase) (sendResult, error) {
		return driveSmtplib(t, ctx, python, script, srv, c)
	}, asked)
}

func driveSmtplib(t *testing.T, ctx context.Context, python, script string, srv *ourServer, c sendCase) (res sendResult, err error) {
	msgfile := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(msgfile, c.msg, 0o600); err != nil {
		return res, err
	}
	opts := []string{}
	if c.body != "" {
		opts = append(opts, "BODY="+c.body)
	}
	if c.utf8 {
		opts = append(opts, "SMTPUTF8")
	}
	cfg, err := json.Marshal(map[string]any{
		"host": srv.host, "port": srv.port, "timeout": caseTimeout.Seconds(),
		"implicit_tls": c.implicitTLS, "starttls": c.startTLS, "cafile": srv.cert.PEMPath,
		"auth": c.auth, "no_ir": c.noIR, "user": testUser, "pass": c.password(),
		"from": c.from, "to": c.to, "mail_options": opts, "msgfile": msgfile,
	})
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, python, "-I", script, string(cfg))
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Logf("python3 stderr:\n%s", ee.Stderr)
		}
		return res, err
	}
	var r struct {
		AuthCode int            `json:"auth_code"`
		Refused  map[string]int `json:"refused"`
		Error    *string        `json:"error"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return res, errors.New("python3 output: " + err.Error() + ": " + string(out))
	}
	if r.Error != nil {
		return res, errors.New("smtplib: " + *r.Error)
	}
	if len(r.Refused) > 0 {
		res.refused = r.Refused
	}
	res.authCode = r.AuthCode
	return res, nil
}
