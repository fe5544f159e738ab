package maildir

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// TestUnclaimedSurvivesEviction: a flagged delivery (NoRecent) stays
// \Recent for the next session even when other folders going idle
// would push its folder out of the Store's cache (a review finding).
func TestUnclaimedSurvivesEviction(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	a := openAccount(t, s, "alice")
	d, err := a.Open(ctx, "INBOX", &mailbox.OpenOptions{NoRecent: true})
	require.NoError(t, err)
	_, err = d.Append(ctx, strings.NewReader(testMsg), &mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen}})
	require.NoError(t, err)
	require.NoError(t, d.Close())
	for i := 0; i < maxIdleFolders+1; i++ {
		name := fmt.Sprintf("F%d", i)
		require.NoError(t, a.Create(ctx, name, nil))
		m, err := a.Open(ctx, name, &mailbox.OpenOptions{NoRecent: true})
		require.NoError(t, err)
		require.NoError(t, m.Close())
	}
	x := openBox(t, a, "INBOX", false)
	st, err := x.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), st.Recent, "the flagged delivery is \\Recent in the first session")
}
