package imapbench

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mailboxSize is how many messages the benchmark INBOX holds.
const mailboxSize = 10000

// appendFigures are what loading the benchmark mailbox measured: one
// connection appending mailboxSize messages, one after the other.
type appendFigures struct {
	n     int
	bytes int64
	d     time.Duration
	u     usage // the server's
}

// loadChild appends the benchmark mailbox, mailboxSize messages cycling
// through the corpus messages every server takes, into the INBOX of the
// server in c, once; every other message is \Seen. It returns what the
// loading measured.
func loadChild(tb testing.TB, c *child) appendFigures {
	tb.Helper()
	if c.loaded {
		return c.appendFig
	}
	msgs := mailboxMessages(probedCorpus(tb).good, mailboxSize)
	rc, err := dialLogin(c.addr)
	if err != nil {
		tb.Fatalf("%s: %v", c.name, err)
	}
	defer rc.close()
	f := appendFigures{n: len(msgs)}
	u0 := c.usage(tb)
	start := time.Now()
	for i, m := range msgs {
		flags := ""
		if i%2 == 0 {
			flags = `(\Seen) `
		}
		if err := rc.appendMsg("INBOX", flags, m); err != nil {
			tb.Fatalf("%s: message %d: %v", c.name, i+1, err)
		}
		f.bytes += int64(len(m))
	}
	f.d = time.Since(start)
	f.u = c.usage(tb).sub(u0)
	c.loaded, c.appendFig = true, f
	return f
}

// selectInbox selects INBOX and checks that it holds want messages.
func selectInbox(rc *rawConn, want int) error {
	exists := -1
	err := rc.do("SELECT INBOX", func(r []byte) {
		if f := strings.Fields(string(r)); len(f) == 3 && f[2] == "EXISTS" {
			exists, _ = strconv.Atoi(f[1])
		}
	})
	if err == nil && exists != want {
		err = fmt.Errorf("SELECT INBOX: %d EXISTS, want %d", exists, want)
	}
	return err
}

// fetchAll runs FETCH 1:* fetchItems and checks that every message is
// answered.
func fetchAll(rc *rawConn, want int) error {
	n := 0
	err := rc.do("FETCH 1:* "+fetchItems, func(r []byte) {
		if isFetch(r) {
			n++
		}
	})
	if err == nil && n != want {
		err = fmt.Errorf("FETCH 1:*: %d responses, want %d", n, want)
	}
	return err
}

// search runs SEARCH with the given criteria and returns how many
// messages matched.
func search(rc *rawConn, criteria string) (int, error) {
	n := 0
	err := rc.do("SEARCH "+criteria, func(r []byte) {
		if s, ok := strings.CutPrefix(string(r), "* SEARCH"); ok {
			n += len(strings.Fields(s))
		}
	})
	return n, err
}

// selectedConn returns a connection to c, logged in, with INBOX
// selected.
func selectedConn(tb testing.TB, c *child) *rawConn {
	tb.Helper()
	rc, err := dialLogin(c.addr)
	if err != nil {
		tb.Fatalf("%s: %v", c.name, err)
	}
	if err := selectInbox(rc, mailboxSize); err != nil {
		rc.close()
		tb.Fatalf("%s: %v", c.name, err)
	}
	return rc
}
