package mailbox

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loadWholeCorpus returns a testMailbox with every message of
// testdata/messages (MANIFEST.tsv), and their total size.
func loadWholeCorpus(b *testing.B) (*testMailbox, int64) {
	dir := filepath.Join("..", "testdata", "messages")
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	mb := &testMailbox{}
	var total int64
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		name, _, _ := strings.Cut(sc.Text(), "\t")
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		uid := UID(len(mb.msgs) + 1)
		mb.msgs = append(mb.msgs, &testMessage{uid: uid, raw: raw, modSeq: 1,
			date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
		total += int64(len(raw))
	}
	return mb, total
}

func benchmarkSearch(b *testing.B, c *SearchCriteria) {
	mb, total := loadWholeCorpus(b)
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Search(context.Background(), mb, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(mb.msgs)), "msgs/op")
}

// BenchmarkSearchHeader searches every corpus message's header for a
// string it does not hold: the header is parsed, the body not read.
func BenchmarkSearchHeader(b *testing.B) {
	benchmarkSearch(b, &SearchCriteria{Header: []SearchHeader{{"Subject", "no such subject"}, {"From", ""}}})
}

// BenchmarkSearchBody searches every corpus message's whole text for a
// string it does not hold: every part is decoded and matched.
func BenchmarkSearchBody(b *testing.B) {
	benchmarkSearch(b, &SearchCriteria{Text: []string{"no such text"}, Body: []string{"naïve ﬁle"}})
}

// BenchmarkSearchBodyWord is the SEARCH BODY of peers/imapbench: an
// ASCII word found in some messages.
func BenchmarkSearchBodyWord(b *testing.B) {
	benchmarkSearch(b, &SearchCriteria{Body: []string{"attached"}})
}

// BenchmarkSearchSubjectWord is the SEARCH HEADER Subject of
// peers/imapbench.
func BenchmarkSearchSubjectWord(b *testing.B) {
	benchmarkSearch(b, &SearchCriteria{Header: []SearchHeader{{"Subject", "hello"}}})
}

// BenchmarkSearchBodyWordLayout is BenchmarkSearchBodyWord on messages
// whose store keeps their TextLayout, as memstore does after the first
// BODY search.
func BenchmarkSearchBodyWordLayout(b *testing.B) {
	tm, total := loadWholeCorpus(b)
	mb := &layoutMailbox{testMailbox: tm, msgs: withLayouts(b, tm)}
	c := &SearchCriteria{Body: []string{"attached"}}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Search(context.Background(), mb, c); err != nil {
			b.Fatal(err)
		}
	}
}
