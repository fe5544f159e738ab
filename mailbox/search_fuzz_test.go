package mailbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzMatch evaluates fixed criteria on arbitrary message octets: no
// panic, no error (nothing in a message makes a search fail), and the
// results agree with each other.
func FuzzMatch(f *testing.F) {
	for _, name := range searchCorpus {
		if h, ok := cutHandMade(name); ok {
			f.Add(handMadeMessage(f, h))
			continue
		}
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "messages", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("Subject: =?utf-8?b?w58=?=\r\nContent-Type: text/plain; charset=utf-16\r\n\r\n\xff\xfe\x00"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain; charset=nope\r\n\r\nK\xe2\x84\r\n--x--"))

	ctx := context.Background()
	date := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	strs := []string{"e", "\u212a", "€𝄞", "subject: "}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 64<<10 {
			return
		}
		m := &testMessage{uid: 1, date: date, raw: raw}
		match := func(c *SearchCriteria) bool {
			opens := m.opens.Load()
			ok, err := Match(ctx, m, c)
			if err != nil {
				t.Fatalf("Match(%+v): %v", c, err)
			}
			if m.opens.Load()-opens > 1 || m.read.Load() > int64(len(raw))*int64(m.opens.Load()) {
				t.Fatalf("Match(%+v) read the message more than once", c)
			}
			return ok
		}
		for _, s := range strs {
			body := match(&SearchCriteria{Body: []string{s}})
			text := match(&SearchCriteria{Text: []string{s}})
			if body && !text {
				t.Fatalf("BODY %q matches but TEXT does not", s)
			}
			if match(&SearchCriteria{Not: []SearchCriteria{{Body: []string{s}}}}) == body {
				t.Fatalf("NOT BODY %q = BODY", s)
			}
			subj := match(&SearchCriteria{Header: []SearchHeader{{"Subject", s}}})
			both := match(&SearchCriteria{Or: [][2]SearchCriteria{{
				{Header: []SearchHeader{{"Subject", s}}}, {Body: []string{s}},
			}}})
			if both != (subj || body) {
				t.Fatalf("OR SUBJECT BODY %q = %v, want %v", s, both, subj || body)
			}
		}
		// A store's TextLayout changes no BODY result.
		lm := &layoutMessage{testMessage: &testMessage{uid: 1, date: date, raw: raw}}
		body, _ := lm.Open(ctx)
		l, err := ReadTextLayout(body)
		if err != nil {
			t.Fatalf("ReadTextLayout: %v", err)
		}
		lm.layout = l
		for _, s := range append(strs, "K", "k\u017f", "\x00", "") {
			for _, c := range []*SearchCriteria{
				{Body: []string{s}},
				{Body: []string{s}, Header: []SearchHeader{{"Subject", "e"}}},
			} {
				ok, err := Match(ctx, lm, c)
				if err != nil {
					t.Fatalf("Match(%+v) with a layout: %v", c, err)
				}
				if want := match(c); ok != want {
					t.Fatalf("Match(%+v) with a layout = %v, without %v", c, ok, want)
				}
			}
		}
		match(&SearchCriteria{
			SentSince: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
			Header:    []SearchHeader{{"From", ""}, {"Content-Type", "text"}},
			Text:      []string{"a", "b"},
		})
	})
}

func cutHandMade(name string) (string, bool) {
	const p = "handmade:"
	if len(name) > len(p) && name[:len(p)] == p {
		return name[len(p):], true
	}
	return "", false
}
