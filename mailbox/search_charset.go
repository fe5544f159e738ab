package mailbox

import (
	"errors"
	"io"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"

	"github.com/postkit/postkit/mime"
)

// textReader returns the UTF-8 text of r, a part's content in charset
// cs, as mime decodes it: read as it is for UTF-8 and US-ASCII (invalid
// octets become U+FFFD in the scanner), and for a charset mime does not
// know (the raw octets, read as UTF-8); converted for the others. When
// the scanner matches only ASCII strings, a charset that maps ASCII to
// itself and every other octet to a non-ASCII rune (ISO-8859-x,
// windows-125x, KOI8) is read as it is too: the scanner sees any
// non-ASCII character as 0x80 octets, and which ones or how many cannot
// change where an ASCII string is found.
func (ev *evaluator) textReader(r io.Reader, cs string) io.Reader {
	switch cs {
	case "", "us-ascii", "utf-8", "utf8":
		return r
	}
	if ev.scan.ascii && asciiSafeCharset(cs) {
		return r
	}
	t, err := mime.NewCharsetDecoder(cs)
	if err != nil {
		return r // an unknown charset: the raw octets, read as UTF-8
	}
	ev.conv.reset(t, r)
	return &ev.conv
}

// asciiSafe caches asciiSafeCharset by charset name; the names are the
// few a mail system meets, bounded by maxASCIISafeNames.
var asciiSafe sync.Map

const maxASCIISafeNames = 256

var asciiSafeNames int32 // entries in asciiSafe, roughly

// asciiSafeCharset reports whether mime decodes cs one octet to one
// rune, ASCII octets to themselves and the others to non-ASCII runes.
func asciiSafeCharset(cs string) bool {
	if v, ok := asciiSafe.Load(cs); ok {
		return v.(bool)
	}
	safe := false
	if enc, err := mime.CharsetEncoding(cs); err == nil {
		if cm, ok := enc.(*charmap.Charmap); ok {
			safe = true
			for b := range 256 {
				r := cm.DecodeByte(byte(b))
				if b < utf8.RuneSelf && r != rune(b) || b >= utf8.RuneSelf && r < utf8.RuneSelf {
					safe = false
					break
				}
			}
		}
	}
	asciiSafeMu.Lock()
	if asciiSafeNames < maxASCIISafeNames {
		asciiSafeNames++
		asciiSafe.Store(cs, safe)
	}
	asciiSafeMu.Unlock()
	return safe
}

var asciiSafeMu sync.Mutex

// convReadSize is the source buffer of a convReader.
const convReadSize = 4 << 10

// convReader converts what it reads from r with a charset decoder, as
// transform.Reader does, into the caller's buffer and through a source
// buffer the evaluator keeps from part to part.
type convReader struct {
	t      transform.Transformer
	r      io.Reader
	src    []byte
	s0, s1 int   // untransformed octets in src
	err    error // r's error, once it gave one
	done   bool  // the transformer is flushed
}

func (c *convReader) reset(t transform.Transformer, r io.Reader) {
	if c.src == nil {
		c.src = make([]byte, convReadSize)
	}
	c.t, c.r, c.s0, c.s1, c.err, c.done = t, r, 0, 0, nil, false
}

// errConvStuck is returned when the transformer can make no progress:
// a buffer too small for it.
var errConvStuck = errors.New("mailbox: charset conversion makes no progress")

func (c *convReader) Read(p []byte) (int, error) {
	for {
		if c.done {
			return 0, c.err
		}
		if c.s0 != c.s1 || c.err != nil {
			n, m, err := c.t.Transform(p, c.src[c.s0:c.s1], c.err == io.EOF)
			c.s0 += m
			switch {
			case err == nil:
				if c.err != nil {
					c.done = c.s0 == c.s1
					if !c.done {
						c.done, c.err = true, errConvStuck
					}
				}
				if n > 0 {
					return n, nil
				}
				if c.done {
					return 0, c.err
				}
			case err == transform.ErrShortDst && n > 0:
				return n, nil
			case err == transform.ErrShortSrc && c.err == nil && c.s1-c.s0 < len(c.src):
				if n > 0 {
					return n, nil
				}
				// Read more, below.
			default:
				if err == transform.ErrShortDst || err == transform.ErrShortSrc {
					err = errConvStuck
				}
				c.done = true
				if c.err == nil || c.err == io.EOF {
					c.err = err
				}
				if n > 0 {
					return n, nil
				}
				return 0, c.err
			}
		}
		if c.s0 != 0 {
			c.s0, c.s1 = 0, copy(c.src, c.src[c.s0:c.s1])
		}
		var n int
		n, c.err = c.r.Read(c.src[c.s1:])
		c.s1 += n
	}
}
