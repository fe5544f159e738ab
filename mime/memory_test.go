package mime

import (
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigMessage generates, lazily, a multipart message of about size bytes
// whose parts are base64 attachments of 5 MiB each.
type bigMessage struct {
	pending []byte
	store   []byte // pending's backing array, reused
	left    int    // attachment lines still to produce in the current part
	parts   int
	done    bool
	line    [57]byte
	seed    uint32
	onRead  func()
}

const bigPartLines = 11 << 19 / 57 // 5.5 MiB decoded, 7.5 MiB encoded

func newBigMessage(parts int, onRead func()) *bigMessage {
	m := &bigMessage{parts: parts, onRead: onRead, seed: 1, store: make([]byte, 0, 512)}
	m.pending = append(m.store, "Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_big\"\r\n\r\npreamble\r\n"...)
	return m
}

func (m *bigMessage) Read(p []byte) (int, error) {
	if m.onRead != nil {
		m.onRead()
	}
	for len(m.pending) == 0 {
		switch {
		case m.left > 0:
			for i := range m.line {
				m.seed = m.seed*1664525 + 1013904223
				m.line[i] = byte(m.seed >> 24)
			}
			m.pending = base64.StdEncoding.AppendEncode(m.store[:0], m.line[:])
			m.pending = append(m.pending, '\r', '\n')
			m.left--
		case m.parts > 0:
			m.parts--
			m.left = bigPartLines
			m.pending = fmt.Appendf(m.store[:0], "--=_big\r\nContent-Type: application/octet-stream\r\n"+
				"Content-Disposition: attachment; filename=\"f%d.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", m.parts)
		case !m.done:
			m.done = true
			m.pending = append(m.store[:0], "--=_big--\r\n"...)
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, m.pending)
	m.pending = m.pending[n:]
	return n, nil
}

// TestLargeMessageBoundedMemory walks and decodes a 50 MiB message and
// checks that the heap never holds more than a few MiB: bodies stream.
func TestLargeMessageBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MiB walk")
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	reads := 0
	sample := func() {
		reads++
		if reads%256 != 0 {
			return
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	msg := newBigMessage(7, sample)
	var total int64
	var counted int64
	counter := &countingReader{r: msg, n: &counted}
	buf := make([]byte, 32<<10)
	leaves := 0
	err := Walk(counter, func(p *Part) error {
		if p.Kind != Leaf {
			return nil
		}
		leaves++
		n, err := io.CopyBuffer(io.Discard, p.Body(), buf)
		total += n
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, 7, leaves)
	assert.Equal(t, int64(7*bigPartLines*57), total)
	assert.Greater(t, counted, int64(50<<20))
	t.Logf("read %d MiB, decoded %d MiB, peak heap %d KiB (base %d KiB)", counted>>20, total>>20, peak>>10, base.HeapAlloc>>10)
	assert.Less(t, peak, uint64(4<<20), "peak heap")
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
