package memstore_test

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
)

// TestTextLayoutKept checks that a message keeps the layout its first
// BODY search read, that a copy shares it, and that searches agree
// before and after.
func TestTextLayoutKept(t *testing.T) {
	s := memstore.New()
	a := newAccount(t, s)
	require.NoError(t, a.Create(t.Context(), "Other", nil))
	m := open(t, a, "INBOX", false)
	appendMsg(t, m, "Subject: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"+
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nsee the at=\r\ntached file\r\n--b\r\n"+
		"Content-Type: application/pdf\r\n\r\nattached\r\n--b--\r\n")
	appendMsg(t, m, "Subject: b\r\n\r\nnothing here\r\n")

	layouts := func(m mailbox.Mailbox) []*mailbox.TextLayout {
		var out []*mailbox.TextLayout
		require.NoError(t, m.Fetch(t.Context(), mailbox.AllUIDs, func(msg mailbox.Message) error {
			l, err := msg.(mailbox.TextLayouter).TextLayout(t.Context())
			out = append(out, l)
			return err
		}))
		return out
	}
	crit := &mailbox.SearchCriteria{Body: []string{"ATTACHED"}}
	for range 2 {
		got, err := mailbox.Search(t.Context(), m, crit)
		require.NoError(t, err)
		assert.Equal(t, []mailbox.UID{1}, got)
	}
	first := layouts(m)
	require.Len(t, first, 2)
	require.Len(t, first[0].Parts, 1, "the PDF is not text")
	assert.Equal(t, "quoted-printable", first[0].Parts[0].TransferEncoding)
	assert.Same(t, first[0], layouts(m)[0], "kept")

	_, err := m.Copy(t.Context(), mailbox.AllUIDs, "Other")
	require.NoError(t, err)
	o := open(t, a, "Other", true)
	assert.Same(t, first[0], layouts(o)[0], "shared by the copy")
	got, err := mailbox.Search(t.Context(), o, crit)
	require.NoError(t, err)
	assert.Equal(t, []mailbox.UID{1}, got)
}

// TestTextLayoutMemory appends the corpus, searches it once for a body
// string, and checks what the layouts kept cost per message.
func TestTextLayoutMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the corpus")
	}
	dir := filepath.Join("..", "..", "testdata", "messages")
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	require.NoError(t, err)
	defer f.Close()
	a := newAccount(t, memstore.New())
	require.NoError(t, a.Create(t.Context(), "Warm", nil))
	m, warm := open(t, a, "INBOX", false), open(t, a, "Warm", false)
	n := 0
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		name, _, _ := strings.Cut(sc.Text(), "\t")
		raw, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		for _, m := range []mailbox.Mailbox{m, warm} {
			_, err = m.Append(t.Context(), strings.NewReader(string(raw)), nil)
			require.NoError(t, err)
		}
		n++
	}
	for _, m := range []mailbox.Mailbox{m, warm} {
		_, err = m.Poll(t.Context())
		require.NoError(t, err)
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// The first search anywhere makes tables and buffers that stay.
	crit := &mailbox.SearchCriteria{Body: []string{"attached"}}
	_, err = mailbox.Search(t.Context(), warm, crit)
	require.NoError(t, err)
	before := heap()
	_, err = mailbox.Search(t.Context(), m, crit)
	require.NoError(t, err)
	after := heap()
	per := (float64(after) - float64(before)) / float64(n)
	t.Logf("%d messages: layouts keep %.0f octets per message", n, per)
	// About 110 octets normally; heap figures move with what else runs
	// (under -race, with the other tests' goroutines), so the bound only
	// catches a layout that keeps what it should not, like the text.
	assert.Less(t, per, 1024.0)
}
