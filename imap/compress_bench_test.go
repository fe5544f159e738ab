package imap

import (
	"bufio"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
)

// countConn counts the bytes read from a connection.
type countConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// BenchmarkFetchCompress fetches 10,000 whole messages with ENVELOPE
// and FLAGS, plain and under COMPRESS=DEFLATE (RFC 4978). It reports
// the bytes on the wire per FETCH and the ratio to the uncompressed
// size; MB/s is of the uncompressed responses.
func BenchmarkFetchCompress(b *testing.B) {
	const n = 10000
	store := memstore.New()
	ctx := context.Background()
	acct, _ := store.Account(ctx, testUser)
	mb, err := acct.Open(ctx, "INBOX", nil)
	if err != nil {
		b.Fatal(err)
	}
	words := strings.Fields("the quarterly report meeting budget review schedule project update draft lunch invoice team release notes agenda travel")
	for i := range n {
		w := func(k int) string { return words[(i*7+k*13)%len(words)] }
		var body strings.Builder
		for l := range 5 + i%20 {
			fmt.Fprintf(&body, "Line %d of message %d: %s %s %s, see you %s.\r\n", l, i, w(l), w(l+1), w(l+2), w(l+3))
		}
		msg := fmt.Sprintf("From: User %d <user%d@example.org>\r\nTo: alice@example.org\r\nSubject: %s %s #%d\r\n"+
			"Date: Fri, 2 Jan 2026 03:04:05 +0000\r\nMessage-ID: <%d.%d@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s",
			i%50, i%50, w(0), w(1), i, i, i*31, body.String())
		if _, err := mb.Append(ctx, strings.NewReader(msg), &mailbox.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	mb.Close()
	acct.Close()
	srv := &Server{Store: store, AuthDelay: -1, Authenticate: func(ctx context.Context, user, pass string) (string, error) { return user, nil }}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	for _, compress := range []bool{false, true} {
		name := "plain"
		if compress {
			name = "deflate"
		}
		b.Run(name, func(b *testing.B) {
			nc, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			cc := &countConn{Conn: nc}
			var r io.Reader = cc
			br := bufio.NewReaderSize(r, 64<<10)
			var w io.Writer = nc
			readTo := func(tag string) int64 {
				var total int64
				for {
					nc.SetReadDeadline(time.Now().Add(time.Minute))
					line, err := br.ReadString('\n')
					if err != nil {
						b.Fatal(err)
					}
					total += int64(len(line))
					if k, ok := literalAt(line); ok {
						m, err := io.CopyN(io.Discard, br, int64(k))
						if err != nil {
							b.Fatal(err)
						}
						total += m
						continue
					}
					if strings.HasPrefix(line, tag+" ") {
						if !strings.HasPrefix(line, tag+" OK") {
							b.Fatal(line)
						}
						return total
					}
				}
			}
			br.ReadString('\n')
			io.WriteString(w, "a LOGIN alice x\r\n")
			readTo("a")
			if compress {
				io.WriteString(w, "z COMPRESS DEFLATE\r\n")
				readTo("z")
				fw, _ := flate.NewWriter(nc, flate.BestSpeed)
				w = &deflateConn{Conn: nc, fw: fw}
				br = bufio.NewReaderSize(flate.NewReader(br), 64<<10)
			}
			io.WriteString(w, "s SELECT INBOX\r\n")
			readTo("s")
			var plain, wire int64
			b.ResetTimer()
			for b.Loop() {
				before := cc.n.Load()
				io.WriteString(w, "f FETCH 1:* (UID FLAGS ENVELOPE BODY.PEEK[])\r\n")
				plain = readTo("f")
				wire = cc.n.Load() - before
				b.SetBytes(plain)
			}
			b.ReportMetric(float64(wire), "wireB/fetch")
			b.ReportMetric(float64(wire)/float64(plain), "ratio")
		})
	}
}
