package imapbench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const corpusDir = "../../testdata/messages"

// The words searched for: "attached" is in the body of 14 of the 426
// corpus messages, "hello" in the Subject of 4.
const (
	bodyWord    = "attached"
	subjectWord = "hello"
)

// fetchItems is what the FETCH measure asks for.
const fetchItems = "(UID FLAGS ENVELOPE BODYSTRUCTURE RFC822.SIZE)"

// probePrefix names the children the corpus is probed on.
const probePrefix = "probe-"

// A corpusMsg is one message of the corpus, line endings made CRLF.
type corpusMsg struct {
	file string
	data []byte
}

// readCorpus reads every message listed in MANIFEST.tsv.
func readCorpus() ([]corpusMsg, error) {
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var msgs []corpusMsg
	sc := bufio.NewScanner(f)
	sc.Scan() // the header row
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), "\t")
		data, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, corpusMsg{name, crlf(data)})
	}
	return msgs, sc.Err()
}

// crlf turns bare LFs into CRLF: IMAP messages have CRLF line endings
// (RFC 9051 2.3.3), and a third of the corpus has LF only.
func crlf(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/40)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out.WriteByte('\r')
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}

// corpusReport says which corpus messages the benchmark leaves out, and
// why, per server.
type corpusReport struct {
	total   int
	good    []corpusMsg
	skipped map[string]map[string][]string // server -> reason -> files
}

var (
	corpusOnce sync.Once
	corpusRep  *corpusReport
	corpusErr  error
)

// probedCorpus returns the corpus messages that every server takes and
// answers for, found by probing a fresh instance of each server (in its
// own child, stopped afterwards) with every message: CREATE a mailbox,
// APPEND the message, SELECT, FETCH fetchItems, SEARCH BODY and SEARCH
// HEADER Subject. A message any server fails on (go-imap closes the
// connection when a command panics) is left out for all.
func probedCorpus(tb testing.TB) *corpusReport {
	tb.Helper()
	corpusOnce.Do(func() {
		msgs, err := readCorpus()
		if err != nil {
			corpusErr = err
			return
		}
		rep := &corpusReport{total: len(msgs), skipped: map[string]map[string][]string{}}
		bad := make([]bool, len(msgs))
		for _, si := range serverImpls {
			if si.name == "postkit-cache" {
				continue // the same code as postkit
			}
			name := probePrefix + si.name
			c := serverChild(tb, name)
			for i, reason := range probe(c.addr, msgs) {
				if reason != "" {
					bad[i] = true
					if rep.skipped[si.name] == nil {
						rep.skipped[si.name] = map[string][]string{}
					}
					rep.skipped[si.name][reason] = append(rep.skipped[si.name][reason], msgs[i].file)
				}
			}
			stopChild(name)
		}
		for i, m := range msgs {
			if !bad[i] {
				rep.good = append(rep.good, m)
			}
		}
		corpusRep = rep
	})
	if corpusErr != nil {
		tb.Fatal(corpusErr)
	}
	return corpusRep
}

// probe returns, for each message, why the server at addr failed on it,
// or "".
func probe(addr string, msgs []corpusMsg) []string {
	reasons := make([]string, len(msgs))
	var c *rawConn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for i, m := range msgs {
		if c == nil {
			var err error
			if c, err = dialLogin(addr); err != nil {
				reasons[i] = "login: " + err.Error()
				continue
			}
		}
		c.setDeadline(10 * time.Second)
		if err := probeOne(c, i, m.data); err != nil {
			reasons[i] = err.Error()
			c.close()
			c = nil
		}
	}
	return reasons
}

func probeOne(c *rawConn, i int, msg []byte) error {
	box := fmt.Sprintf("p%d", i)
	n := 0
	steps := []struct {
		name string
		run  func() error
	}{
		{"CREATE", func() error { return c.do("CREATE "+box, nil) }},
		{"APPEND", func() error { return c.appendMsg(box, "", msg) }},
		{"SELECT", func() error { return c.do("SELECT "+box, nil) }},
		{"FETCH", func() error {
			err := c.do("FETCH 1 "+fetchItems, func(r []byte) {
				if isFetch(r) {
					n++
				}
			})
			if err == nil && n != 1 {
				err = fmt.Errorf("%d responses", n)
			}
			return err
		}},
		{"SEARCH BODY", func() error { return c.do("SEARCH BODY "+bodyWord, nil) }},
		{"SEARCH HEADER", func() error { return c.do("SEARCH HEADER Subject "+subjectWord, nil) }},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			if errors.Is(err, errClosed) {
				return fmt.Errorf("%s: connection closed by the server", s.name)
			}
			return fmt.Errorf("%s: %v", s.name, err)
		}
	}
	return nil
}

// isFetch reports whether an untagged response is "* n FETCH".
func isFetch(r []byte) bool {
	if len(r) > 24 {
		r = r[:24]
	}
	return bytes.Contains(r, []byte(" FETCH "))
}

// mailboxMessages returns n messages cycling through good.
func mailboxMessages(good []corpusMsg, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = good[i%len(good)].data
	}
	return out
}
