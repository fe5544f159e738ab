package mime

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeaderPassThroughCorpus reads the header of every corpus message and
// writes it back: byte for byte the same, unless reading recorded a defect
// for a line it had to drop (an mbox "From " line is dropped silently).
func TestHeaderPassThroughCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.eml"))
	require.NotEmpty(t, files)
	exact := 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		if bytes.HasPrefix(data, []byte("From ")) {
			data = data[bytes.IndexByte(data, '\n')+1:]
		}
		p, err := NewReader(bytes.NewReader(data)).Next()
		require.NoError(t, err)
		var out bytes.Buffer
		_, err = p.Header.WriteTo(&out)
		require.NoError(t, err, name)
		if bytes.HasPrefix(data, out.Bytes()) {
			exact++
			continue
		}
		if bytes.Equal(append(data, "\r\n"...), out.Bytes()) {
			exact++ // a header with no empty line after it gets one
			continue
		}
		dropped := false
		for _, d := range p.Defects {
			if d.Kind == DefectFirstLineContinuation || d.Kind == DefectMissingHeaderBodySeparator {
				dropped = true
			}
		}
		assert.True(t, dropped, "%s: header not written back as read", name)
	}
	t.Logf("%d of %d headers written back byte for byte", exact, len(files))
}
