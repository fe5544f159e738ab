package mime

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// corpusDir holds the developer corpus with CPython's reference results.
const corpusDir = "../testdata/messages"

type expectedPart struct {
	Path        string  `json:"path"`
	ContentType string  `json:"content_type"`
	Charset     *string `json:"charset"`
	Filename    *string `json:"filename"`
	Disposition *string `json:"disposition"`
	SHA256      *string `json:"sha256"`
	Structured  bool    `json:"python_structured"`
}

type expectedMessage struct {
	File        string         `json:"file"`
	ContentType string         `json:"content_type"`
	Parts       []expectedPart `json:"parts"`
}

func loadExpected(t testing.TB) []expectedMessage {
	f, err := os.Open(filepath.Join(corpusDir, "expected.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out []expectedMessage
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m expectedMessage
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		out = append(out, m)
	}
	require.NoError(t, sc.Err())
	return out
}

type leafSummary struct {
	Path, ContentType, Charset, Filename, Disposition, SHA256 string
}

func summarize(r io.Reader) (top string, leaves []leafSummary, err error) {
	mr := NewReader(r)
	for {
		p, err := mr.Next()
		if err == io.EOF {
			return top, leaves, nil
		}
		if err != nil {
			return top, leaves, err
		}
		if p.Depth == 0 {
			top = p.MediaType
		}
		if p.Kind != Leaf {
			continue
		}
		h := sha256.New()
		if _, err := io.Copy(h, p.Body()); err != nil {
			h.Write([]byte("decode error: " + err.Error()))
		}
		leaves = append(leaves, leafSummary{
			Path: p.Path, ContentType: p.MediaType, Charset: p.Charset(),
			Filename: p.Filename(), Disposition: p.Disposition(),
			SHA256: hex.EncodeToString(h.Sum(nil)),
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestCorpusStructure(t *testing.T) {
	total, agree := 0, 0
	var report strings.Builder
	for _, m := range loadExpected(t) {
		f, err := os.Open(filepath.Join(corpusDir, m.File))
		require.NoError(t, err)
		top, leaves, err := summarize(f)
		f.Close()
		require.NoError(t, err, m.File)
		cmp := func(field, want, got string) {
			total++
			if want == got {
				agree++
				return
			}
			fmt.Fprintf(&report, "%s %s: want %q got %q\n", m.File, field, want, got)
		}
		cmp("content_type", m.ContentType, top)
		cmp("leaves", fmt.Sprint(len(m.Parts)), fmt.Sprint(len(leaves)))
		for i, e := range m.Parts {
			if i >= len(leaves) {
				break
			}
			g := leaves[i]
			cmp(e.Path+" path", e.Path, g.Path)
			cmp(e.Path+" type", e.ContentType, g.ContentType)
			cmp(e.Path+" charset", deref(e.Charset), g.Charset)
			cmp(e.Path+" filename", deref(e.Filename), g.Filename)
			cmp(e.Path+" disposition", deref(e.Disposition), g.Disposition)
			if !e.Structured && e.SHA256 != nil {
				cmp(e.Path+" sha256", *e.SHA256, g.SHA256)
			}
		}
	}
	t.Logf("agreement %d/%d = %.2f%%", agree, total, 100*float64(agree)/float64(total))
	os.WriteFile("/tmp/corpus_report.txt", []byte(report.String()), 0o644)
}
