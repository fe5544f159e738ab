package mime

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func loadCorpus(b *testing.B) ([][]byte, int64) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*", "*.eml"))
	if err != nil || len(files) == 0 {
		b.Skip("corpus not found")
	}
	var msgs [][]byte
	var total int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, data)
		total += int64(len(data))
	}
	return msgs, total
}

// BenchmarkWalkCorpus walks every message of the corpus and decodes every
// leaf body (transfer encoding only).
func BenchmarkWalkCorpus(b *testing.B) {
	msgs, total := loadCorpus(b)
	buf := make([]byte, 32<<10)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			err := Walk(bytes.NewReader(m), func(p *Part) error {
				if p.Kind == Leaf {
					_, err := io.CopyBuffer(io.Discard, p.Body(), buf)
					return err
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// corpusDir holds the developer corpus with CPython's reference results.
const corpusDir = "../testdata/messages"
