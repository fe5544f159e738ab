package pop3interop

import (
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/postkit/postkit/peers/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

//go:embed testdata/poplib_client.py
var poplibScript []byte

// poplibResult is what testdata/poplib_client.py prints.
type poplibResult struct {
	Error   *string  `json:"error"`
	Welcome string   `json:"welcome"`
	Capa    []string `json:"capa"`
	CapaTLS []string `json:"capa_tls"`
	Stat    []int    `json:"stat"`
	List    []string `json:"list"`
	List1   string   `json:"list1"`
	UIDL    []string `json:"uidl"`
	UIDL1   string   `json:"uidl1"`
	Top     string   `json:"top"`
	Retr    []struct {
		Body   string `json:"body"`
		Octets int    `json:"octets"`
	} `json:"retr"`
	StatAfterDele []int  `json:"stat_after_dele"`
	StatAfterRset []int  `json:"stat_after_rset"`
	Noop          string `json:"noop"`
	Quit          string `json:"quit"`
}

// TestPythonPoplibToOurServer drives our server with CPython's poplib:
// CAPA, STLS (verifying our certificate), USER/PASS and APOP, STAT,
// LIST, UIDL, TOP, RETR of every message (dot-stuffed ones included),
// DELE, RSET, NOOP and QUIT, and checks what the maildrop kept.
func TestPythonPoplibToOurServer(t *testing.T) {
	python := peertest.Need(t, "python3")
	script := filepath.Join(t.TempDir(), "poplib_client.py")
	require.NoError(t, os.WriteFile(script, poplibScript, 0o600))
	total := 0
	for _, m := range testMessages {
		total += len(m)
	}
	tests := []struct {
		name string
		mode string
		stls bool
		dele []int
		rset bool
		left [][]byte
	}{
		{name: "user_pass", mode: "user", left: testMessages},
		{name: "apop", mode: "apop", dele: []int{2}, left: [][]byte{testMessages[0], testMessages[2]}},
		{name: "stls_user_pass", mode: "user", stls: true, dele: []int{1, 3}, left: [][]byte{testMessages[1]}},
		{name: "dele_rset", mode: "apop", dele: []int{1, 2, 3}, rset: true, left: testMessages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startOurServer(t)
			cfg, err := json.Marshal(map[string]any{
				"host": srv.host, "port": srv.port, "timeout": caseTimeout.Seconds(), "cafile": srv.cert.PEMPath,
				"user": testUser, "pass": testPass, "mode": tt.mode, "stls": tt.stls, "dele": tt.dele, "rset": tt.rset,
			})
			require.NoError(t, err)
			out, err := exec.CommandContext(testCtx(t), python, "-I", script, string(cfg)).Output()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Logf("python3 stderr:\n%s", ee.Stderr)
			}
			require.NoError(t, err)
			var r poplibResult
			require.NoError(t, json.Unmarshal(out, &r), "%s", out)
			if r.Error != nil {
				t.Fatalf("poplib: %s (%s)", *r.Error, out)
			}

			assert.Regexp(t, `^\+OK POP3 server ready <[^>]+@localhost>$`, r.Welcome)
			assert.Equal(t, []string{"AUTH-RESP-CODE", "IMPLEMENTATION", "LANG", "PIPELINING", "RESP-CODES",
				"SASL", "STLS", "TOP", "UIDL", "USER", "UTF8"}, r.Capa)
			if tt.stls {
				assert.NotContains(t, r.CapaTLS, "STLS")
				assert.Contains(t, r.CapaTLS, "USER")
			}
			assert.Equal(t, []int{3, total}, r.Stat)
			var list, uidl []string
			for i, m := range testMessages {
				list = append(list, fmt.Sprintf("%d %d", i+1, len(m)))
				uidl = append(uidl, fmt.Sprintf("%d %s", i+1, uidlOf(i+1)))
			}
			assert.Equal(t, list, r.List)
			assert.Equal(t, "+OK "+list[0], r.List1)
			assert.Equal(t, uidl, r.UIDL)
			assert.Equal(t, "+OK "+uidl[0], r.UIDL1)
			assert.Equal(t, testMessages[0], unb64(t, r.Top))
			require.Len(t, r.Retr, 3)
			for i, m := range testMessages {
				assert.Equal(t, m, unb64(t, r.Retr[i].Body), "message %d", i+1)
				assert.Equal(t, len(m), r.Retr[i].Octets, "poplib's octet count of message %d", i+1)
			}
			left := total
			for _, n := range tt.dele {
				left -= len(testMessages[n-1])
			}
			assert.Equal(t, []int{3 - len(tt.dele), left}, r.StatAfterDele)
			if tt.rset {
				assert.Equal(t, []int{3, total}, r.StatAfterRset)
			}
			assert.Equal(t, "+OK", r.Noop)
			assert.Regexp(t, `^\+OK localhost POP3 server signing off`, r.Quit)
			assert.Equal(t, tt.left, srv.store.bodies())
		})
	}
}

func unb64(t *testing.T, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}
