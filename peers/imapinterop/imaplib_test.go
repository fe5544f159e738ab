package imapinterop

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/peers/internal/peertest"
)

//go:embed testdata/imaplib_client.py
var imaplibScript []byte

// runImaplib runs the imaplib script against s and returns its JSON.
func runImaplib(t *testing.T, s *ourServer) map[string]any {
	t.Helper()
	py := peertest.Need(t, "python3")
	script := filepath.Join(t.TempDir(), "imaplib_client.py")
	require.NoError(t, os.WriteFile(script, imaplibScript, 0o600))
	cmd := exec.CommandContext(testCtx(t), py, script, "127.0.0.1", strconv.Itoa(s.port), testUser, testPass, s.cert.PEMPath)
	stdout, stderr := new(limitedBuffer), new(limitedBuffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Run(), "imaplib script: %s", stderr.String())
	var out map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "output: %s", stdout.String())
	return out
}

// assertJSON checks that v, a part of the script's output, is the JSON
// text want, up to the order of flags in FLAGS lists (which the
// backends keep in different orders).
func assertJSON(t *testing.T, want string, v any, msg string) {
	t.Helper()
	var w any
	require.NoError(t, json.Unmarshal([]byte(want), &w), "want %s", want)
	assert.Equal(t, sortFlagLists(w), sortFlagLists(v), msg)
}

var flagList = regexp.MustCompile(`FLAGS \(([^)]*)\)`)

// sortFlagLists sorts the flags of every "FLAGS (...)" in the strings
// of a decoded JSON value.
func sortFlagLists(v any) any {
	switch v := v.(type) {
	case string:
		return flagList.ReplaceAllStringFunc(v, func(m string) string {
			f := strings.Fields(flagList.FindStringSubmatch(m)[1])
			slices.Sort(f)
			return "FLAGS (" + strings.Join(f, " ") + ")"
		})
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = sortFlagLists(x)
		}
		return out
	}
	return v
}

// TestImaplib drives our server with CPython's imaplib: one session
// through LOGIN, CAPABILITY, LIST, CREATE, APPEND, SELECT, FETCH,
// SEARCH, STORE, COPY, UID MOVE and EXPUNGE, IDLE on a raw second
// connection woken by an APPEND, then STARTTLS with AUTHENTICATE PLAIN.
func TestImaplib(t *testing.T) {
	peertest.Need(t, "python3")
	forEachBackend(t, func(t *testing.T, s *ourServer) {
		out := runImaplib(t, s)
		var sent [][]byte
		for _, h := range out["sent"].([]any) {
			b, err := hex.DecodeString(h.(string))
			require.NoError(t, err)
			sent = append(sent, b)
		}
		require.Len(t, sent, 4)

		assert.Contains(t, out["greeting"], "IMAP4rev2")
		assert.Subset(t, out["caps_before"], []any{"IMAP4REV1", "STARTTLS", "AUTH=PLAIN", "IDLE", "MOVE", "UIDPLUS"})
		assert.NotContains(t, out["caps_before"], "LOGINDISABLED", "LOGIN from loopback")
		assert.NotContains(t, out["tls_caps_after"], "STARTTLS", "after STARTTLS")
		assert.Equal(t, "TLSv1.3", out["tls_version"])

		assertJSON(t, `["(\\HasNoChildren) \"/\" INBOX"]`, out["list_before"], "LIST before CREATE")
		assert.Subset(t, out["list_after"], []any{
			`(\HasNoChildren) "/" INBOX`, `(\HasNoChildren) "/" Archive`,
			`(\HasNoChildren) "/" Trash`, `(\HasNoChildren) "/" Projects/2026`,
		})
		assertJSON(t, `["(\\HasNoChildren) \"/\" Projects/2026"]`, out["list_pattern"], "LIST Projects/%")

		for i, k := range []string{"append1", "append2", "append3"} {
			r := out[k].([]any)
			assert.Equal(t, "OK", r[0], k)
			assert.Regexp(t, `^\[APPENDUID \d+ `+strconv.Itoa(i+1)+`\] `, r[1].([]any)[0], k)
		}
		assertJSON(t, `["3"]`, out["select"], "SELECT")
		// The messages were appended while INBOX was not selected, so
		// they are \Recent in this, the first session to select it
		// (RFC 3501 2.3.2; imaplib speaks IMAP4rev1).

		assertJSON(t, `["1 (FLAGS (\\Flagged $Important \\Recent))", "2 (FLAGS (\\Recent))", "3 (FLAGS (\\Seen \\Recent))"]`, out["fetch_flags"], "FETCH FLAGS")
		assertJSON(t, `["1 (INTERNALDATE \"02-Jan-2026 03:04:05 +0000\" RFC822.SIZE 170)"]`, out["fetch_internaldate"], "INTERNALDATE")
		assertJSON(t, `["1 (ENVELOPE (\"Fri, 2 Jan 2026 03:04:05 +0000\" \"hello from imaplib\" ((\"Bob\" NIL \"bob\" \"example.org\")) ((\"Bob\" NIL \"bob\" \"example.org\")) ((\"Bob\" NIL \"bob\" \"example.org\")) ((NIL NIL \"alice\" \"example.test\")) NIL NIL NIL \"<plain@example.org>\"))"]`,
			out["fetch_envelope"], "ENVELOPE")
		assertJSON(t, `["3 (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 15 0 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"r.pdf\") NIL NIL \"BASE64\" 12 NIL (\"attachment\" (\"filename\" \"r.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))"]`,
			out["fetch_bodystructure"], "BODYSTRUCTURE")
		for i, h := range out["fetch_bodies"].([]any) {
			b, _ := hex.DecodeString(h.(string))
			assert.Equal(t, string(sent[i]), string(b), "BODY.PEEK[] of %d", i+1)
		}
		assertJSON(t, `["2 (FLAGS (\\Recent))"]`, out["fetch_flags_after_peek"], "BODY.PEEK sets no \\Seen")
		assertJSON(t, `[["1 (FLAGS (\\Flagged $Important \\Seen \\Recent) BODY[HEADER.FIELDS (SUBJECT)] {31}", "Subject: hello from imaplib\r\n\r\n"], ")"]`,
			out["fetch_header_fields"], "BODY[HEADER.FIELDS] sets \\Seen and reports it")
		assertJSON(t, `[["1 (BODY[]<0> {10}", "From: Bob "], ")"]`, out["fetch_partial"], "partial")
		assertJSON(t, `[["3 (BODY[2.MIME] {133}", "Content-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"], [" BODY[1] {15}", "See the report."], ")"]`,
			out["fetch_part"], "BODY[2.MIME] BODY[1]")
		assertJSON(t, `["1 (UID 1 FLAGS (\\Flagged $Important \\Seen \\Recent))", "2 (UID 2 FLAGS (\\Recent))", "3 (UID 3 FLAGS (\\Seen \\Recent))"]`, out["uid_fetch"], "UID FETCH")

		searches := map[string]string{
			"all": "1 2 3", "from": "1", "subject": "3", "flagged": "1", "keyword": "1",
			"unseen": "2", "or": "1 3", "not": "2 3", "larger": "3", "since": "2 3",
			"body": "3", "header": "1", "uid": "1 2 3", "utf8_subject": "2", "utf8_body": "2",
		}
		got := out["search"].(map[string]any)
		for k, want := range searches {
			assertJSON(t, `["`+want+`"]`, got[k], "SEARCH "+k)
		}

		assertJSON(t, `["2 (FLAGS (\\Answered $Label1 \\Recent))"]`, out["store_add"], "STORE +FLAGS")
		assertJSON(t, `["1 (FLAGS ($Important \\Seen \\Recent))"]`, out["store_remove"], "STORE -FLAGS")
		assertJSON(t, `[null]`, out["store_silent"], "STORE +FLAGS.SILENT")
		assertJSON(t, `["1 (FLAGS ($Important \\Seen \\Recent))", "2 (FLAGS (\\Answered $Label1 \\Recent))", "3 (FLAGS (\\Seen \\Draft \\Recent))"]`, out["flags_after_store"], "FLAGS after STORE")

		cp := out["copy"].([]any)
		assert.Equal(t, "OK", cp[0])
		assert.Regexp(t, `^\[COPYUID \d+ 1:2 1:2\] `, cp[1].([]any)[0])
		assertJSON(t, `["Archive (MESSAGES 2 UIDNEXT 3 UNSEEN 1)"]`, out["status_archive"], "STATUS")
		assert.Equal(t, "OK", out["uid_move"].([]any)[0], "UID MOVE")
		assertJSON(t, `["1 2"]`, out["after_move_search"], "after UID MOVE")
		// imaplib returns every EXPUNGE it collected: that of the MOVE, then
		// that of EXPUNGE.
		assertJSON(t, `["3", "1"]`, out["expunge"], "EXPUNGE")
		assertJSON(t, `["1"]`, out["after_expunge_search"], "after EXPUNGE")

		idle := out["idle"].(map[string]any)
		assert.Regexp(t, `^\+ `, idle["continuation"])
		assertJSON(t, `["* 2 EXISTS"]`, idle["during"], "IDLE sees the APPEND")
		assert.Less(t, idle["seconds"], 5.0, "IDLE wake-up time")
		assert.Regexp(t, `^i3 OK`, idle["done"].([]any)[len(idle["done"].([]any))-1])

		assertJSON(t, `["2"]`, out["tls_select"], "EXAMINE over TLS")
		assertJSON(t, `[["1 (BODY[HEADER.FIELDS (SUBJECT)] {31}", "Subject: hello from imaplib\r\n\r\n"], ")", ["2 (BODY[HEADER.FIELDS (SUBJECT)] {54}", "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n\r\n"], ")"]`,
			out["tls_fetch"], "FETCH over TLS")
		assert.Equal(t, "BYE", out["tls_logout"].([]any)[0])
		assert.Contains(t, out["bad_login"], "AUTHENTICATIONFAILED")

		// The store holds what the session left.
		assert.Subset(t, s.mailboxNames(t), []string{mailbox.Inbox, "Archive", "Trash", "Projects/2026"})
		inbox := s.messages(t, mailbox.Inbox)
		require.Len(t, inbox, 2)
		assert.Equal(t, mailbox.UID(2), inbox[0].UID)
		assert.Equal(t, string(sent[1]), string(inbox[0].Data))
		assert.ElementsMatch(t, []string{mailbox.FlagAnswered, "$Label1"}, inbox[0].Flags)
		assert.Equal(t, mailbox.UID(4), inbox[1].UID)
		assert.Equal(t, string(sent[3]), string(inbox[1].Data))
		archive := s.messages(t, "Archive")
		require.Len(t, archive, 2)
		assert.Equal(t, string(sent[0]), string(archive[0].Data))
		assert.ElementsMatch(t, []string{"$Important", mailbox.FlagSeen}, archive[0].Flags)
		assert.Equal(t, string(sent[1]), string(archive[1].Data))
		trash := s.messages(t, "Trash")
		require.Len(t, trash, 1)
		assert.Equal(t, string(sent[2]), string(trash[0].Data))
		assert.ElementsMatch(t, []string{mailbox.FlagSeen, mailbox.FlagDraft}, trash[0].Flags)
	})
}
