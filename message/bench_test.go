package message

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postkit/postkit/mime"
)

// BenchmarkReadCorpus reads every corpus message, takes the typed header
// fields a mail client shows (From, To, Subject, Date), and walks and
// decodes every part.
func BenchmarkReadCorpus(b *testing.B) {
	files, _ := filepath.Glob("../testdata/messages/*/*.eml")
	if len(files) == 0 {
		b.Skip("corpus not found")
	}
	var msgs [][]byte
	var total int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs, total = append(msgs, data), total+int64(len(data))
	}
	buf := make([]byte, 32<<10)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range msgs {
			m, err := Read(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			m.Header.From()
			m.Header.To()
			m.Header.Date()
			_ = m.Header.Subject()
			err = m.Walk(func(p *mime.Part) error {
				if p.Kind == mime.Leaf {
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

// BenchmarkBuild composes a message with text, HTML and a 64 KiB attachment.
func BenchmarkBuild(b *testing.B) {
	att := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	b.SetBytes(int64(len(att)))
	b.ReportAllocs()
	for b.Loop() {
		var bd Builder
		bd.Header.SetAddressList("From", []Address{{Name: "Zoë", Addr: "zoe@example.org"}})
		bd.Header.SetSubject("Grüße " + strings.Repeat("x", 20))
		bd.Text = "Hello"
		bd.HTML = "<p>Hello</p>"
		bd.Attachments = []Attachment{{Filename: "a.bin", Body: bytes.NewReader(att)}}
		if _, err := bd.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
