package message

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postkit/postkit/mime"
)

// parsedLeaf is what the round trip carries over of a leaf.
type parsedLeaf struct {
	mediaType, filename string
	body                []byte
}

type parsed struct {
	subject string
	from    []Address
	leaves  []parsedLeaf
}

func parseForRoundTrip(data []byte) (*parsed, bool) {
	m, err := ReadWithLimits(bytes.NewReader(data), mime.Limits{MaxHeaderBytes: 64 << 10, MaxParts: 100, MaxDepth: 10})
	if err != nil {
		return nil, false
	}
	p := &parsed{subject: m.Header.Subject()}
	if from, err := m.Header.From(); err == nil {
		p.from = Mailboxes(from)
	}
	err = m.Walk(func(pt *mime.Part) error {
		if pt.Kind != mime.Leaf {
			return nil
		}
		body, err := io.ReadAll(io.LimitReader(pt.Body(), 1<<20))
		p.leaves = append(p.leaves, parsedLeaf{pt.MediaType, pt.Filename(), body})
		return err
	})
	return p, err == nil
}

// FuzzRoundTrip parses a message, composes a new one from what it found
// (subject, From, every leaf as a file with its type and name), writes it,
// parses that, and checks that everything came back.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("Subject: =?utf-8?q?caf=C3=A9?=\r\nFrom: \"A, B\" <a@b.example>\r\n\r\nhello\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/png; name*=utf-8''%E2%82%AC.png\r\n\r\nx\r\n--b--\r\n"))
	files, _ := filepath.Glob("../testdata/messages/synthetic/*.eml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 32<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, ok := parseForRoundTrip(data)
		if !ok || len(first.leaves) == 0 {
			return
		}
		var b Builder
		b.Header.SetSubject(first.subject)
		b.Header.SetAddressList("From", first.from)
		for i, l := range first.leaves {
			if strings.HasPrefix(l.mediaType, "message/") || strings.HasPrefix(l.mediaType, "multipart/") {
				// A message/* or multipart/* leaf is one the reader could
				// not open (no body, no boundary, no delimiter); sent again
				// as that type it would be opened, or refused as not 7-bit.
				first.leaves[i].mediaType = "application/octet-stream"
			}
			b.Attachments = append(b.Attachments, Attachment{Filename: l.filename, ContentType: first.leaves[i].mediaType, Body: bytes.NewReader(l.body)})
		}
		var out bytes.Buffer
		if _, err := b.WriteTo(&out); errors.Is(err, ErrEightBitHeader) {
			return // an address with no 7-bit form
		} else if err != nil {
			t.Fatalf("write: %v", err)
		}
		for i, line := range bytes.Split(out.Bytes(), []byte("\r\n")) {
			if len(line) > 998 {
				t.Fatalf("line %d has %d octets", i, len(line))
			}
			for _, c := range line {
				if c >= 0x80 || c == '\r' || c == '\n' || c == 0 {
					t.Fatalf("line %d is not 7-bit clean: %.100q", i, line)
				}
			}
		}
		second, ok := parseForRoundTrip(out.Bytes())
		if !ok {
			t.Fatalf("written message does not read back:\n%.500s", out.Bytes())
		}
		if got, want := strings.TrimSpace(second.subject), strings.TrimSpace(first.subject); got != want {
			t.Fatalf("subject %.100q became %.100q", want, got)
		}
		if len(second.from) != len(first.from) {
			t.Fatalf("from %v became %v", first.from, second.from)
		}
		for i := range first.from {
			// White space around a display name is not kept (RFC 5322
			// phrases do not carry it).
			if strings.TrimSpace(first.from[i].Name) != strings.TrimSpace(second.from[i].Name) || first.from[i].Addr != second.from[i].Addr {
				t.Fatalf("from %q became %q", first.from[i], second.from[i])
			}
		}
		if len(second.leaves) != len(first.leaves) {
			t.Fatalf("%d leaves became %d", len(first.leaves), len(second.leaves))
		}
		for i, l := range first.leaves {
			g := second.leaves[i]
			if g.mediaType != l.mediaType || g.filename != strings.TrimSpace(l.filename) || !bytes.Equal(g.body, l.body) {
				t.Fatalf("leaf %d: %q %.60q (%d bytes) became %q %.60q (%d bytes)", i,
					l.mediaType, l.filename, len(l.body), g.mediaType, g.filename, len(g.body))
			}
		}
	})
}
