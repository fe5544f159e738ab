package mime

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// addCorpusSeeds adds a sample of the developer corpus as fuzz seeds.
func addCorpusSeeds(f *testing.F, max int) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.eml"))
	for i, name := range files {
		if i%(len(files)/max+1) != 0 {
			continue
		}
		if b, err := os.ReadFile(name); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
}

// FuzzReader walks arbitrary input, reading every body, and checks that
// the reader neither panics nor fails on anything but a limit, and that the
// structure it reports is consistent.
func FuzzReader(f *testing.F) {
	f.Add([]byte(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n")))
	f.Add([]byte("Content-Type: message/rfc822\n\nContent-Type: multipart/digest; boundary=\"a\"\n\n--a\n\n--a--"))
	f.Add([]byte("Subject: x\r\r\rbody\r"))
	addCorpusSeeds(f, 40)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.Limits = Limits{MaxHeaderBytes: 64 << 10, MaxParts: 500, MaxDepth: 20}
		var raw int64
		err := r.Walk(func(p *Part) error {
			if p.Depth > 20 {
				t.Fatalf("depth %d beyond the limit", p.Depth)
			}
			n, err := io.Copy(io.Discard, p.RawBody())
			raw += n
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, p.Body())
			for _, f := range p.Header.Fields() {
				if strings.ContainsAny(f.Value, "\r\n") {
					t.Fatalf("value not unfolded: %q", f.Value)
				}
			}
			return err
		})
		if err != nil && !isLimit(err) {
			t.Fatalf("walk: %v", err)
		}
		if err == nil && raw > int64(len(data)) {
			t.Fatalf("bodies hold %d bytes of %d input", raw, len(data))
		}
		// The tree holds the same entities.
		if _, err := ReadEntity(bytes.NewReader(data), &EntityOptions{Limits: r.Limits, MaxBodyBytes: 1024}); err != nil && !isLimit(err) {
			t.Fatalf("ReadEntity: %v", err)
		}
		// However the input arrives, the result is the same.
		if a, b := fingerprint(bytes.NewReader(data)), fingerprint(iotest.OneByteReader(bytes.NewReader(data))); a != b {
			t.Fatalf("chunking changes the result:\n%.300s\n%.300s", a, b)
		}
	})
}

// fingerprint describes every entity of a message and its raw body.
func fingerprint(in io.Reader) string {
	r := NewReader(in)
	r.Limits = Limits{MaxHeaderBytes: 64 << 10, MaxParts: 500, MaxDepth: 20}
	var b strings.Builder
	err := r.Walk(func(p *Part) error {
		body, err := io.ReadAll(p.RawBody())
		fmt.Fprintf(&b, "%s %d %s %q %d %d %v\n", p.Path, p.Kind, p.MediaType, body, p.Size(), p.Lines(), p.Defects)
		return err
	})
	fmt.Fprintf(&b, "err %v", err)
	return b.String()
}

func isLimit(err error) bool {
	_, ok := err.(*LimitError)
	return ok
}

// FuzzHeader reads a header block and checks that writing it back gives
// the same bytes (pass-through), and that a header rebuilt from its keys
// and values reads back to the same keys and values.
func FuzzHeader(f *testing.F) {
	f.Add([]byte("Subject: a\r\n b\r\nTo: x@y\r\n\r\n"))
	f.Add([]byte("A: 1\nB : 2\n\tcont\n\n"))
	f.Add([]byte(" lead\r\nX: \xff\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newScanner(bytes.NewReader(data))
		hr, err := readHeader(s, &Limits{}, false, &headerScratch{})
		if err != nil {
			return
		}
		var rebuilt Header
		for _, fl := range hr.header.Fields() {
			if !utf8.ValidString(fl.Key) || fl.Key == "" {
				t.Fatalf("bad key %q", fl.Key)
			}
			rebuilt.Add(fl.Key, fl.Value)
		}
		var b bytes.Buffer
		if _, err := rebuilt.WriteTo(&b); err != nil {
			for _, fl := range hr.header.Fields() {
				if !validFieldName(fl.Key) {
					return // a name read from input that cannot be written anew
				}
			}
			t.Fatal(err)
		}
		hr2, err := readHeader(newScanner(&b), &Limits{}, false, &headerScratch{})
		if err != nil {
			t.Fatal(err)
		}
		if hr2.header.Len() != hr.header.Len() {
			t.Fatalf("%d fields became %d:\n%.200q", hr.header.Len(), hr2.header.Len(), b.String())
		}
		for i, fl := range hr2.header.Fields() {
			want := hr.header.Fields()[i]
			if fl.Key != want.Key || dropSpace(fl.Value) != dropSpace(want.Value) {
				t.Fatalf("field %d: %.40q: %.80q became %.40q: %.80q", i, want.Key, want.Value, fl.Key, fl.Value)
			}
		}
	})
}

// dropSpace removes white space: folding may change white space (and break
// a word longer than a line may be), never other characters.
func dropSpace(s string) string {
	return strings.NewReplacer(" ", "", "\t", "").Replace(s)
}
