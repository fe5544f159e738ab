package imapinterop

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox"
)

// corpusDir is the shared message corpus.
const corpusDir = "../../testdata/messages"

// corpusMsg is one message of the corpus.
type corpusMsg struct {
	file string
	data []byte
}

// loadCorpus reads every message MANIFEST.tsv lists.
func loadCorpus(t *testing.T) []corpusMsg {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	require.NoError(t, err)
	require.Equal(t, "file", rows[0][0])
	var out []corpusMsg
	for _, row := range rows[1:] {
		data, err := os.ReadFile(filepath.Join(corpusDir, filepath.FromSlash(row[0])))
		require.NoError(t, err)
		out = append(out, corpusMsg{file: row[0], data: data})
	}
	return out
}

// TestCorpusFetch appends every corpus message through our server and
// fetches them all back with one FETCH 1:* (BODYSTRUCTURE ENVELOPE
// BODY[]): the connection must stay up, BODY[] must be the message
// octet for octet, and BODYSTRUCTURE and ENVELOPE must parse with our
// codec and with go-imap's client.
func TestCorpusFetch(t *testing.T) {
	corpus := loadCorpus(t)
	require.Len(t, corpus, 426)
	forEachBackend(t, func(t *testing.T, s *ourServer) {
		c := s.dial(t)
		c.ok("LOGIN %s {%d+}\r\n%s", quoteIMAP(testUser), len(testPass), testPass)
		// RFC 6855 4: a message with 8-bit header fields needs ENABLE
		// UTF8=ACCEPT and the UTF8 (literal8) form of APPEND, which also
		// carries NUL (RFC 3516); the others go as plain literals.
		c.ok("ENABLE UTF8=ACCEPT")
		start := time.Now()
		var utf8Appends int
		all := corpus
		corpus := make([]corpusMsg, 0, len(all))
		for _, m := range all {
			if bytes.IndexByte(m.data, 0) >= 0 {
				// RFC 3516 4.4: the server does not store NUL (it could
				// not send it in BODY[]'s literal), and says so.
				l := c.appendRaw(mailbox.Inbox, m.data, "UTF8 (~{%d+}\r\n", ")\r\n")
				assert.Regexp(t, `^R\d+ NO \[UNKNOWN-CTE\]`, l, m.file)
				continue
			}
			corpus = append(corpus, m)
		}
		t.Logf("%d of the %d messages hold NUL and were refused", len(all)-len(corpus), len(all))
		for _, m := range corpus {
			if has8bit(m.data) {
				utf8Appends++
				c.appendUTF8(mailbox.Inbox, m.data)
			} else {
				c.appendMsg(mailbox.Inbox, m.data)
			}
		}
		t.Logf("%d of the %d messages appended with UTF8 (~{n})", utf8Appends, len(corpus))
		t.Logf("appended %d messages in %v", len(corpus), time.Since(start))
		sel := c.ok("SELECT INBOX")
		assert.Contains(t, sel, fmt.Sprintf("* %d EXISTS", len(corpus)))

		// One FETCH over the raw connection, read with our codec.
		start = time.Now()
		tag := c.send("FETCH 1:* (BODYSTRUCTURE ENVELOPE BODY[])")
		d := imap.NewDecoder(c.br)
		d.Limits.MaxStringLiteral = 4 << 20
		seen := make([]bool, len(corpus))
		var bodyErrs []string
		onBody := func(seq uint32, item imap.FetchItem, info imap.LiteralInfo, r io.Reader) error {
			got, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if seq == 0 || int(seq) > len(corpus) {
				return fmt.Errorf("FETCH for message %d", seq)
			}
			if m := corpus[seq-1]; !bytes.Equal(got, m.data) {
				bodyErrs = append(bodyErrs, fmt.Sprintf("%s: BODY[] is %d octets, file %d", m.file, len(got), len(m.data)))
			}
			return nil
		}
		var done *imap.StatusResponse
		for done == nil {
			resp, err := imap.ReadResponse(d, onBody)
			require.NoError(t, err, "reading FETCH responses (after %d messages)", count(seen))
			switch r := resp.(type) {
			case *imap.FetchData:
				require.True(t, r.Seq >= 1 && int(r.Seq) <= len(corpus), "FETCH %d", r.Seq)
				m := corpus[r.Seq-1]
				assert.NotNil(t, r.Envelope, "%s: ENVELOPE", m.file)
				assert.NotNil(t, r.BodyStructure, "%s: BODYSTRUCTURE", m.file)
				assert.Len(t, r.Sections, 1, "%s: BODY[]", m.file)
				seen[r.Seq-1] = true
			case *imap.StatusResponse:
				if r.Tag == tag {
					done = r
				} else {
					require.NotEqual(t, imap.StatusBYE, r.Type, "BYE: %s", r.Text)
				}
			}
		}
		require.Equal(t, imap.StatusOK, done.Type, "FETCH: %s", done.Text)
		assert.Equal(t, len(corpus), count(seen), "messages fetched")
		assert.Empty(t, bodyErrs)
		c.ok("NOOP") // the connection is still up
		t.Logf("raw FETCH 1:* of %d messages: %d fetched, %d body mismatches, %v",
			len(corpus), count(seen), len(bodyErrs), time.Since(start))

		// The same FETCH through go-imap's client and parser.
		start = time.Now()
		gc := goimapDial(t, s, false, nil)
		require.NoError(t, gc.Login(testUser, testPass).Wait())
		_, err := gc.Select(mailbox.Inbox, nil).Wait()
		require.NoError(t, err)
		fc := gc.Fetch(goimap.SeqSet{{Start: 1, Stop: 0}}, &goimap.FetchOptions{
			BodyStructure: &goimap.FetchItemBodyStructure{Extended: true},
			Envelope:      true,
			BodySection:   []*goimap.FetchItemBodySection{{}},
		})
		gseen := make([]bool, len(corpus))
		for msg := fc.Next(); msg != nil; msg = fc.Next() {
			require.True(t, msg.SeqNum >= 1 && int(msg.SeqNum) <= len(corpus), "FETCH %d", msg.SeqNum)
			m := corpus[msg.SeqNum-1]
			var env, bs, body bool
			for item := msg.Next(); item != nil; item = msg.Next() {
				switch item := item.(type) {
				case imapclient.FetchItemDataEnvelope:
					env = item.Envelope != nil
				case imapclient.FetchItemDataBodyStructure:
					bs = item.BodyStructure != nil
				case imapclient.FetchItemDataBodySection:
					got, err := io.ReadAll(item.Literal)
					require.NoError(t, err, m.file)
					body = true
					assert.True(t, bytes.Equal(got, m.data), "%s: go-imap BODY[] differs", m.file)
				}
			}
			assert.True(t, env && bs && body, "%s: envelope %v, bodystructure %v, body %v", m.file, env, bs, body)
			gseen[msg.SeqNum-1] = true
		}
		require.NoError(t, fc.Close(), "go-imap FETCH 1:*")
		assert.Equal(t, len(corpus), count(gseen), "messages go-imap fetched")
		require.NoError(t, gc.Logout().Wait())
		t.Logf("go-imap FETCH 1:* of %d messages: %d parsed, %v", len(corpus), count(gseen), time.Since(start))
	})
}

// has8bit reports whether b holds NUL or an octet over 127.
func has8bit(b []byte) bool {
	for _, c := range b {
		if c == 0 || c >= 0x80 {
			return true
		}
	}
	return false
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// quoteIMAP returns s as an IMAP quoted string.
func quoteIMAP(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
