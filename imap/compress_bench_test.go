package imap

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
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

// BenchmarkFetchCompress fetches 10,000 whole messages with FLAGS,
// ENVELOPE and BODYSTRUCTURE, plain and under COMPRESS=DEFLATE (RFC
// 4978). The messages are those of testdata/messages up to 16 KiB,
// over and over (a repeat is further back than DEFLATE's 32 KiB
// window). It reports the bytes on the wire per FETCH and their ratio
// to the uncompressed size; MB/s is of the uncompressed responses.
func BenchmarkFetchCompress(b *testing.B) {
	const n = 10000
	store := memstore.New()
	ctx := context.Background()
	acct, _ := store.Account(ctx, testUser)
	mb, err := acct.Open(ctx, "INBOX", nil)
	if err != nil {
		b.Fatal(err)
	}
	corpus := benchCorpus(b, 16<<10)
	for i := range n {
		if _, err := mb.Append(ctx, bytes.NewReader(corpus[i%len(corpus)]), &mailbox.AppendOptions{}); err != nil {
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
				io.WriteString(w, "f FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[])\r\n")
				plain = readTo("f")
				wire = cc.n.Load() - before
				b.SetBytes(plain)
			}
			b.ReportMetric(float64(wire), "wireB/fetch")
			b.ReportMetric(float64(wire)/float64(plain), "ratio")
		})
	}
}

// benchCorpus returns the messages of testdata/messages of at most
// maxSize octets, with CRLF line endings.
func benchCorpus(b *testing.B, maxSize int) [][]byte {
	dir := filepath.Join("..", "testdata", "messages")
	manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		b.Skip("no corpus:", err)
	}
	var out [][]byte
	for _, line := range strings.Split(string(manifest), "\n")[1:] {
		file, _, _ := strings.Cut(line, "\t")
		if file == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || len(data) > maxSize {
			continue
		}
		data = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		out = append(out, data)
	}
	if len(out) == 0 {
		b.Skip("empty corpus")
	}
	return out
}
