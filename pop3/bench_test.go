package pop3

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkRetr retrieves 1,000 messages of 100 KiB in one session,
// pipelined, through our client (RETR throughput: server streaming and
// dot-stuffing, client un-stuffing).
func BenchmarkRetr(b *testing.B) {
	const n, size = 1000, 100 << 10
	ts := newTestServer(b, nil)
	line := bytes.Repeat([]byte("x"), 76)
	line = append(line, "\r\n"...)
	body := []byte("Subject: bench\r\n\r\n")
	for len(body)+len(line) <= size {
		body = append(body, line...)
	}
	body = append(body, bytes.Repeat([]byte("."), size-len(body)-2)...)
	body = append(body, "\r\n"...)
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = body
	}
	ts.store.put(testUser, msgs...)
	ts.start(b, false)
	nums := make([]int, n)
	for i := range nums {
		nums[i] = i + 1
	}
	ctx := testContext(b)
	b.SetBytes(n * size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, err := Dial(ctx, ts.addr)
		require.NoError(b, err)
		require.NoError(b, c.Login(ctx, testUser, testPass))
		got := 0
		require.NoError(b, c.RetrMessages(ctx, nums, func(_ int, r io.Reader, err error) error {
			if err != nil {
				return err
			}
			m, err := io.Copy(io.Discard, r)
			got += int(m)
			return err
		}))
		require.Equal(b, n*size, got)
		require.NoError(b, c.Quit(ctx))
	}
}

// BenchmarkListUIDL logs in to a maildrop of 100,000 messages and lists
// their sizes and unique-ids.
func BenchmarkListUIDL(b *testing.B) {
	const n = 100000
	ts := newTestServer(b, nil)
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = msg120
	}
	ts.store.put(testUser, msgs...)
	ts.start(b, false)
	ctx := testContext(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, err := Dial(ctx, ts.addr)
		require.NoError(b, err)
		require.NoError(b, c.Login(ctx, testUser, testPass))
		list, err := c.List(ctx)
		require.NoError(b, err)
		require.Len(b, list, n)
		uidl, err := c.UIDL(ctx)
		require.NoError(b, err)
		require.Len(b, uidl, n)
		require.NoError(b, c.Quit(ctx))
	}
}
