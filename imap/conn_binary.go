package imap

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mime"
)

// maxBinaryInMemory is the largest decoded BINARY section held in memory
// to choose between a literal and a literal8 (RFC 9051 7.5.2: a string
// when there is no NUL). Larger ones are streamed as literal8.
const maxBinaryInMemory = 1 << 20

// binarySource opens the decoded content of a BINARY section (RFC 9051
// 6.4.5): the whole message for BINARY[], else a leaf part with its
// Content-Transfer-Encoding undone, and text/* with CRLF line ends.
type binarySource struct {
	open func() (io.Reader, error)
}

// binarySection finds the section of a BINARY or BINARY.SIZE item. nil
// with a nil error means the message has no such part.
func binarySection(body mailbox.Body, root *mime.Entity, sec *Section) (*binarySource, error) {
	if len(sec.Part) == 0 {
		return &binarySource{open: func() (io.Reader, error) {
			return io.NewSectionReader(body, 0, body.Size()), nil
		}}, nil
	}
	parts := make([]string, len(sec.Part))
	spec := mailbox.SectionSpec{Part: make([]int, len(sec.Part))}
	for i, p := range sec.Part {
		parts[i] = strconv.FormatUint(uint64(p), 10)
		spec.Part[i] = int(p)
	}
	path := strings.Join(parts, ".")
	var part *mime.Entity
	root.Walk(func(e *mime.Entity) error {
		if part == nil && e.Path == path {
			part = e
		}
		return nil
	})
	if part == nil {
		return nil, nil
	}
	if part.Kind != mime.Leaf {
		// RFC 9051 6.4.5: BINARY is for leaf parts only.
		return nil, &cmdError{typ: StatusNO, code: "CANNOT", text: "BINARY of a part that is not a leaf"}
	}
	cte := part.Header.Get("Content-Transfer-Encoding")
	if mime.NewDecoder(cte, nil).Encoding() == "" && strings.TrimSpace(cte) != "" {
		return nil, &cmdError{typ: StatusNO, code: "UNKNOWN-CTE", text: "Unknown Content-Transfer-Encoding " + cte}
	}
	text := strings.HasPrefix(strings.ToLower(part.MediaType), "text/")
	return &binarySource{open: func() (io.Reader, error) {
		r, _, err := mailbox.OpenSection(body, root, spec)
		if err != nil {
			return nil, err
		}
		var out io.Reader = mime.NewDecoder(cte, r)
		if text {
			out = &crlfReader{r: bufio.NewReader(out)}
		}
		return out, nil
	}}, nil
}

// size decodes the section once to count its octets; it also reports
// whether they hold a NUL.
func (b *binarySource) size() (int64, bool, error) {
	r, err := b.open()
	if err != nil {
		return 0, false, err
	}
	var buf [4096]byte
	var n int64
	nul := false
	for {
		k, err := r.Read(buf[:])
		n += int64(k)
		if !nul && bytes.IndexByte(buf[:k], 0) >= 0 {
			nul = true
		}
		if err == io.EOF {
			return n, nul, nil
		}
		if err != nil {
			return 0, false, err
		}
	}
}

// crlfReader turns bare LF and bare CR line ends into CRLF (RFC 9051
// 7.5.2: textual sections are sent with CRLF).
type crlfReader struct {
	r       *bufio.Reader
	pending []byte
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(c.pending) > 0 {
			k := copy(p[n:], c.pending)
			c.pending = c.pending[k:]
			n += k
			continue
		}
		b, err := c.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		switch b {
		case '\r':
			if next, err := c.r.Peek(1); err == nil && next[0] == '\n' {
				c.r.ReadByte()
			}
			c.pending = append(c.pending[:0], '\r', '\n')
		case '\n':
			c.pending = append(c.pending[:0], '\r', '\n')
		default:
			p[n] = b
			n++
		}
		if n > 0 && c.r.Buffered() == 0 && len(c.pending) == 0 {
			return n, nil
		}
	}
	return n, nil
}

// errBinaryNUL refuses an appended message that holds a NUL octet.
var errBinaryNUL = errors.New("imap: NUL octet in an appended message")

// nulRefuser passes an appended message on and fails at its first NUL
// octet. A literal8 (RFC 3516 4.4) may carry NUL, but this server
// stores messages as they come and sends BODY[] and RFC822 in plain
// literals, which cannot hold NUL (RFC 9051 4.3); RFC 3516 6 wants a
// FETCH BODY to return the content as BODYSTRUCTURE describes it. So
// such a message is refused with NO [UNKNOWN-CTE], the answer RFC 3516
// 4.4 gives a mailbox that cannot store binary content, rather than
// stored and later served broken. Binary content without NUL is kept.
type nulRefuser struct{ r io.Reader }

func (n nulRefuser) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if bytes.IndexByte(p[:k], 0) >= 0 {
		return 0, errBinaryNUL
	}
	return k, err
}
