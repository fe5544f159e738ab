package mime

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadEntityTree(t *testing.T) {
	in := crlf(`Content-Type: multipart/mixed; boundary=o

--o
Content-Type: text/plain

one
two
--o
Content-Type: message/rfc822

Subject: inner
Content-Type: multipart/alternative; boundary=i

--i

inner text
--i--
--o
Content-Type: multipart/mixed; boundary=empty

no delimiter here
--o
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

` + strings.Repeat("QUJD", 100) + `
--o--
`)
	root, err := ReadEntity(strings.NewReader(in), &EntityOptions{MaxBodyBytes: 100})
	require.NoError(t, err)

	type node struct {
		Path, Type string
		Kind       PartKind
		Children   int
	}
	var got []node
	require.NoError(t, root.Walk(func(e *Entity) error {
		got = append(got, node{e.Path, e.MediaType, e.Kind, len(e.Parts)})
		return nil
	}))
	assert.Equal(t, []node{
		{"", "multipart/mixed", Multipart, 4},
		{"1", "text/plain", Leaf, 0},
		{"2", "message/rfc822", Encapsulated, 1},
		{"2", "multipart/alternative", Multipart, 1},
		{"2.1", "text/plain", Leaf, 0},
		{"3", "multipart/mixed", Multipart, 1},
		{"3.1", "multipart/mixed", Leaf, 0}, // the stand-in, numbered as the only part
		{"4", "application/octet-stream", Leaf, 0},
	}, got)

	text := root.Parts[0]
	assert.Equal(t, "one\r\ntwo", string(text.Body))
	assert.Equal(t, int64(8), text.Size)
	assert.Equal(t, 1, text.Lines)

	att := root.Parts[3]
	assert.Nil(t, att.Body, "300 decoded bytes exceed MaxBodyBytes")
	assert.Equal(t, int64(400), att.Size)
	assert.Contains(t, att.Defects, Defect{Kind: DefectBodyNotKept})
	assert.Contains(t, root.Parts[2].Defects, Defect{Kind: DefectStartBoundaryNotFound})

	// SkipPart prunes.
	var paths []string
	require.NoError(t, root.Walk(func(e *Entity) error {
		paths = append(paths, e.Path)
		if e.Kind == Encapsulated {
			return SkipPart
		}
		return nil
	}))
	assert.Equal(t, []string{"", "1", "2", "3", "3.1", "4"}, paths)
}

// TestReadEntityMatchesReader checks on the corpus that the tree holds the
// same entities, in the same order, as the streaming Reader hands out.
func TestReadEntityMatchesReader(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.eml"))
	require.NotEmpty(t, files)
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		var want []string
		require.NoError(t, Walk(bytes.NewReader(data), func(p *Part) error {
			n, err := io.Copy(io.Discard, p.RawBody())
			want = append(want, fmt.Sprint(p.Path, " ", p.MediaType, " ", p.Kind, " ", n))
			return err
		}))
		root, err := ReadEntity(bytes.NewReader(data), nil)
		require.NoError(t, err, name)
		var got []string
		require.NoError(t, root.Walk(func(e *Entity) error {
			size := e.Size
			if e.Kind != Leaf {
				size = 0 // the streaming Reader gives no body for containers
			}
			got = append(got, fmt.Sprint(e.Path, " ", e.MediaType, " ", e.Kind, " ", size))
			return nil
		}))
		assert.Equal(t, want, got, name)
	}
}
