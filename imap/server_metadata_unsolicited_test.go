package imap

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// longEntryNames returns n entry names of size octets each, sorted,
// and a SETMETADATA list that sets them, each name in a LITERAL+.
func longEntryNames(n, size int) ([]string, string) {
	var names []string
	var sb strings.Builder
	for i := range n {
		s := fmt.Sprintf("/private/e%03d/", i)
		s += strings.Repeat("x", size-len(s))
		names = append(names, s)
		fmt.Fprintf(&sb, "%s \"v\" ", fmtLiteralPlus(s))
	}
	slices.Sort(names)
	return names, "(" + strings.TrimSuffix(sb.String(), " ") + ")"
}

// readMetadataNames reads unsolicited METADATA responses of mbox (as
// on the wire) until want names came, and checks that each line stays
// within a few KiB (RFC 5464 4.4 lets a server split them).
func readMetadataNames(t *testing.T, c *wireClient, mbox string, want int) []string {
	t.Helper()
	var got []string
	lines := 0
	for len(got) < want {
		l := c.line()
		lines++
		assert.LessOrEqual(t, len(l), metadataNamesChunk+len(mbox)+16, "line of %d octets", len(l))
		rest, ok := strings.CutPrefix(l, "* METADATA "+mbox+" ")
		require.True(t, ok, "%.80q", l)
		got = append(got, strings.Fields(rest)...)
	}
	assert.Greater(t, lines, 1, "split into several responses")
	slices.Sort(got)
	return got
}

// TestNotifyMetadataNamesSplit: the names of many changed entries, more
// than a line our client takes, come in several METADATA responses of
// a few KiB each (RFC 5465 5.6, 5.7; RFC 5464 4.4).
func TestNotifyMetadataNamesSplit(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t)
	other := ts.login(t)
	c.ok("a NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))")
	names, list := longEntryNames(DefaultMaxMetadataEntries, 1000)
	require.Greater(t, len(list), DefaultMaxLineLength)
	other.ok("o1 SETMETADATA INBOX " + list)
	assert.Equal(t, names, readMetadataNames(t, c, "INBOX", len(names)))
	other.ok(`o2 SETMETADATA "" ` + list)
	assert.Equal(t, names, readMetadataNames(t, c, `""`, len(names)))
	notifyQuiet(t, c, "b")
}
