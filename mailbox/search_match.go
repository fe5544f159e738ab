package mailbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/postkit/postkit/mime"
)

// searchReadSize is how much decoded body text is matched at a time.
// With the overlap kept between reads it bounds the memory a body search
// takes, whatever the size of the message.
const searchReadSize = 32 << 10

// foldRune maps r to the smallest code point of its unicode.SimpleFold
// orbit, so that two runes are equal under simple case folding exactly
// when their foldRune values are. The result is never longer in UTF-8
// than r: folding a text never makes it grow.
func foldRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		return rune(asciiFold[r])
	case r < foldTableSize:
		return rune(foldTable()[r])
	case r < 0xA640, r >= 0xA800 && r < 0xAB53, r >= 0xABC0 && r < 0xFF21, r > 0xFF5A && r < 0x10400:
		// CJK, kana, Hangul, Yi, surrogates, private use, U+FFFD: no
		// case (checked by a test).
		return r
	}
	return foldOrbit(r)
}

// foldOrbit is foldRune the slow way, by the rune's orbit.
func foldOrbit(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// foldTableSize bounds the runes foldRune looks up in a table: the
// alphabets with case below CJK. Their folds are below it too.
const foldTableSize = 0x3000

// foldTable is foldRune for the runes below foldTableSize, made on first
// use (24 KiB).
var foldTable = sync.OnceValue(func() *[foldTableSize]uint16 {
	var t [foldTableSize]uint16
	for r := range rune(foldTableSize) {
		t[r] = uint16(foldOrbit(r))
	}
	return &t
})

// foldAppend appends the folded UTF-8 of src to dst. Invalid bytes
// become U+FFFD. An incomplete rune at the end of src is not consumed:
// n is how much of src was.
func foldAppend(dst, src []byte) (out []byte, n int) {
	dst = slices.Grow(dst, len(src)) // enough but for invalid octets
	i := 0
	for i < len(src) {
		// ASCII, the bulk of mail, eight octets at a time.
		if i+8 <= len(src) {
			w := binary.LittleEndian.Uint64(src[i:])
			if w&highBits == 0 {
				dst = binary.LittleEndian.AppendUint64(dst, upperASCII(w))
				i += 8
				continue
			}
		}
		if c := src[i]; c < utf8.RuneSelf {
			dst = append(dst, asciiFold[c])
			i++
			continue
		}
		if !utf8.FullRune(src[i:]) {
			break
		}
		r, size := utf8.DecodeRune(src[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst, i
}

// foldASCIIAppend appends src to dst folded for ASCII needles: ASCII
// as foldRune maps it, every other octet as 0x80.
func foldASCIIAppend(dst, src []byte) []byte {
	dst = slices.Grow(dst, len(src))
	i := 0
	for ; i+8 <= len(src); i += 8 {
		w := binary.LittleEndian.Uint64(src[i:])
		hi := w & highBits
		w = w&^((hi>>7)*0xff) | hi // non-ASCII octets to 0x80
		dst = binary.LittleEndian.AppendUint64(dst, upperASCII(w))
	}
	for _, c := range src[i:] {
		dst = append(dst, asciiFold[min(c, utf8.RuneSelf)])
	}
	return dst
}

// foldASCIIInPlace is foldASCIIAppend(b[:0], b) without the copy.
func foldASCIIInPlace(b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		hi := w & highBits
		w = w&^((hi>>7)*0xff) | hi // non-ASCII octets to 0x80
		binary.LittleEndian.PutUint64(b[i:], upperASCII(w))
	}
	for ; i < len(b); i++ {
		b[i] = asciiFold[min(b[i], utf8.RuneSelf)]
	}
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x80 * lowBits
)

// upperASCII maps the octets 'a' to 'z' of w to upper case, where w
// holds eight ASCII octets or 0x80. No sum carries from one octet into
// the next: each is at most 0x80, and what is added to it below 0x80.
func upperASCII(w uint64) uint64 {
	geA := w + (0x80-'a')*lowBits   // high bit set where >= 'a'
	gtZ := w + (0x80-'z'-1)*lowBits // high bit set where > 'z'
	lower := geA &^ gtZ & highBits  // 0x80 where in 'a'..'z'
	return w - lower>>2             // less 0x20 there
}

// asciiFold is foldRune for ASCII, and 0x80 for 0x80.
var asciiFold = func() (t [utf8.RuneSelf + 1]byte) {
	for c := range t {
		t[c] = byte(foldOrbit(rune(c)))
	}
	return t
}()

// foldString returns the folded UTF-8 of s.
func foldString(s string) []byte {
	out, n := foldAppend(make([]byte, 0, len(s)), []byte(s))
	if n < len(s) {
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	return out
}

// A scanner looks for the BODY and TEXT strings of a program in a stream
// of text segments (a header block, or the content of one part) fed in
// pieces of any size. It keeps, between pieces, the last len(longest
// string)-1 folded bytes, so a string split by a read is still found,
// and no more: memory is bounded by one read plus that overlap.
type scanner struct {
	needles  []needle
	found    []bool
	active   []int // needles searched in this segment and not found yet
	keep     int   // bytes of overlap the active needles need
	win      []byte
	pend     []byte // an incomplete rune at the end of the last piece
	newFound bool   // a needle was found since the caller last looked
	// ascii is set when every active needle is ASCII without K or S:
	// no non-ASCII rune folds into such a needle (only KELVIN SIGN and
	// LONG S fold into ASCII), so the text's non-ASCII octets are
	// matched as 0x80 each, without decoding.
	ascii   bool
	buf     []byte // read buffer
	scratch []byte
}

// start begins a segment: a header block when header is true (only TEXT
// strings are searched), else a body. It reports whether any string is
// still to be searched in such a segment.
func (s *scanner) start(p *searchProgram, found []bool, header bool) bool {
	s.needles, s.found = p.needles, found
	s.active = s.active[:0]
	s.keep = 0
	for i, nd := range p.needles {
		if found[i] || header && !nd.text {
			continue
		}
		if len(nd.folded) == 0 {
			found[i], s.newFound = true, true // "" is in any text
			continue
		}
		s.active = append(s.active, i)
		s.keep = max(s.keep, len(nd.folded)-1)
	}
	s.win, s.pend = s.win[:0], s.pend[:0]
	s.setASCII()
	return len(s.active) > 0
}

// setASCII sets s.ascii for the active needles.
func (s *scanner) setASCII() {
	s.ascii = true
	for _, i := range s.active {
		for _, c := range s.needles[i].folded {
			if c >= utf8.RuneSelf || c == 'K' || c == 'S' {
				s.ascii = false
				return
			}
		}
	}
}

// write feeds the next piece of the segment's UTF-8 text.
func (s *scanner) write(b []byte) {
	if len(s.active) == 0 {
		return
	}
	if s.ascii {
		for range s.pend {
			s.win = append(s.win, utf8.RuneSelf)
		}
		s.pend = s.pend[:0]
		s.win = foldASCIIAppend(s.win, b)
		s.search()
		return
	}
	if len(s.pend) > 0 {
		// Complete the rune the last piece cut: it is a lead byte and
		// continuation bytes.
		taken := 0
		for !utf8.FullRune(s.pend) && taken < len(b) {
			s.pend = append(s.pend, b[taken])
			taken++
		}
		if !utf8.FullRune(s.pend) {
			return
		}
		r, size := utf8.DecodeRune(s.pend)
		s.win = utf8.AppendRune(s.win, foldRune(r))
		if rest := len(s.pend) - size; rest <= taken {
			b = b[taken-rest:] // give back what the rune did not use
		} else {
			// An invalid sequence: the cut continuation bytes are one
			// U+FFFD each, and b is read again from its start.
			for range rest - taken {
				s.win = utf8.AppendRune(s.win, utf8.RuneError)
			}
		}
		s.pend = s.pend[:0]
	}
	var n int
	s.win, n = foldAppend(s.win, b)
	s.pend = append(s.pend, b[n:]...)
	s.search()
}

// readFrom reads the next piece of the segment's UTF-8 text from r and
// feeds it, as write does. In ASCII mode the piece is read straight
// into the window and folded there, which saves a copy.
func (s *scanner) readFrom(r io.Reader) (int, error) {
	if !s.ascii {
		n, err := r.Read(s.buf)
		s.write(s.buf[:n])
		return n, err
	}
	for range s.pend {
		s.win = append(s.win, utf8.RuneSelf)
	}
	s.pend = s.pend[:0]
	w := len(s.win)
	s.win = slices.Grow(s.win, searchReadSize)
	n, err := r.Read(s.win[w : w+searchReadSize])
	if n > 0 {
		foldASCIIInPlace(s.win[w : w+n])
		s.win = s.win[:w+n]
		s.search()
	}
	return n, err
}

// search looks for the active needles in the window and trims it to the
// overlap.
func (s *scanner) search() {
	for k := 0; k < len(s.active); {
		i := s.active[k]
		if bytes.Contains(s.win, s.needles[i].folded) {
			s.found[i], s.newFound = true, true
			s.active = append(s.active[:k], s.active[k+1:]...)
			continue
		}
		k++
	}
	s.keep = 0
	for _, i := range s.active {
		s.keep = max(s.keep, len(s.needles[i].folded)-1)
	}
	if !s.ascii {
		s.setASCII()
	}
	if len(s.win) > s.keep {
		n := copy(s.win, s.win[len(s.win)-s.keep:])
		s.win = s.win[:n]
	}
}

// finish ends the segment.
func (s *scanner) finish() {
	if len(s.pend) > 0 && len(s.active) > 0 {
		s.win = utf8.AppendRune(s.win, utf8.RuneError)
		s.search()
	}
	s.win, s.pend = s.win[:0], s.pend[:0]
}

// header feeds a header block as "Name: decoded value" lines.
func (s *scanner) header(h *mime.Header) {
	for _, f := range h.Fields() {
		if len(s.active) == 0 {
			return
		}
		v, _ := mime.DecodeHeader(f.Value)
		s.write([]byte(f.Key))
		s.write([]byte(": "))
		s.write([]byte(v))
		s.write([]byte("\r\n"))
	}
}

// fieldContains reports whether the decoded field value holds the folded
// string; an empty string is in every value.
func (s *scanner) fieldContains(value string, folded []byte) bool {
	if len(folded) == 0 {
		return true
	}
	v, _ := mime.DecodeHeader(value)
	s.scratch, _ = foldAppend(s.scratch[:0], []byte(v))
	return bytes.Contains(s.scratch, folded)
}

// searchable reports whether the body of p is text to search: text/*
// and message/* leaves (RFC 9051 6.4.4 lets other media types be left
// out), and a multipart without delimiters that mime.Reader hands out as
// one text.
func searchable(p *mime.Part) bool {
	if p.Kind != mime.Leaf {
		return false
	}
	t := p.MediaType
	return strings.HasPrefix(t, "text/") || strings.HasPrefix(t, "message/") || strings.HasPrefix(t, "multipart/")
}

// scanBody reads the rest of the message after its header, part by part,
// for the needles not found yet, and stops as soon as the program's
// result is known. A Limits bound ends the scan: what lies beyond is
// not searched.
func (ev *evaluator) scanBody(mr *mime.Reader, top *mime.Part) error {
	s := &ev.scan
	if s.buf == nil {
		s.buf = make([]byte, searchReadSize)
	}
	for p := top; ; {
		if p != top && s.start(ev.p, ev.found, true) {
			s.header(&p.Header)
			s.finish()
		}
		if searchable(p) && s.start(ev.p, ev.found, false) {
			done, err := ev.scanPart(p)
			if err != nil || done {
				return err
			}
		}
		if ev.decided() {
			return nil
		}
		var err error
		p, err = mr.Next()
		switch {
		case err == io.EOF || errors.Is(err, mime.ErrLimitExceeded):
			return nil
		case err != nil:
			return err
		}
	}
}

// scanPart feeds the decoded content of a leaf to the scanner. done says
// the program's result is known.
func (ev *evaluator) scanPart(p *mime.Part) (done bool, err error) {
	return ev.scanText(p.Body(), p.Charset())
}

// scanText feeds the transfer-decoded content r of a leaf in charset cs
// to the scanner. done says the program's result is known.
func (ev *evaluator) scanText(r io.Reader, cs string) (done bool, err error) {
	s := &ev.scan
	r = ev.textReader(r, cs)
	for {
		n, err := s.readFrom(r)
		if n > 0 {
			if ev.decided() {
				return true, nil
			}
			if len(s.active) == 0 {
				s.finish()
				return false, nil // found all this part can give
			}
		}
		switch {
		case err == io.EOF:
			s.finish()
			return ev.decided(), nil
		case errors.Is(err, mime.ErrLimitExceeded):
			s.finish()
			return false, nil
		case err != nil:
			return false, err
		}
	}
}

// decided reports whether the program's result is known, once a needle
// was found since the last call.
func (ev *evaluator) decided() bool {
	if !ev.scan.newFound {
		return false
	}
	ev.scan.newFound = false
	return ev.eval(ev.p.root) != triUnknown
}

// rawMatchable reports whether a folded string can be looked for in raw
// octets, ASCII case ignored, instead of in decoded, folded text: it is
// not empty, and ASCII without K or S (no non-ASCII rune folds into it),
// white space, CR or LF (which unfolding moves around).
func rawMatchable(folded []byte) bool {
	if len(folded) == 0 {
		return false
	}
	for _, c := range folded {
		if c >= utf8.RuneSelf || c == 'K' || c == 'S' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether h holds n, a string for which
// rawMatchable holds, ASCII case ignored.
func containsFoldASCII(h, n []byte) bool {
	first, other := n[0], n[0]
	if 'A' <= first && first <= 'Z' {
		other = first + 'a' - 'A'
	}
	last := len(h) - len(n) // the last position n can start at
	// The next positions of first and other at or after i; -1: none.
	nf, no := -1, -1
	for i := 0; i <= last; {
		if nf < i && nf != -2 {
			if nf = bytes.IndexByte(h[i:last+1], first); nf >= 0 {
				nf += i
			} else {
				nf = -2
			}
		}
		if no < i && no != -2 {
			if no = bytes.IndexByte(h[i:last+1], other); no >= 0 && other != first {
				no += i
			} else {
				no = -2
			}
		}
		j := nf
		if j < 0 || no >= 0 && no < j {
			j = no
		}
		if j < 0 {
			return false
		}
		if equalFoldASCII(h[j+1:j+len(n)], n[1:]) {
			return true
		}
		i = j + 1
	}
	return false
}

func equalFoldASCII(a, folded []byte) bool {
	for i, c := range folded {
		if asciiFold[min(a[i], utf8.RuneSelf)] != c {
			return false
		}
	}
	return true
}

// rawHeaderStep is how much of a message rawHeaderMisses reads at a
// time, and rawHeaderMax how far it looks for the end of the header.
const (
	rawHeaderStep = 8 << 10
	rawHeaderMax  = 256 << 10
)

// rawHeaderMisses reports whether no header key of the program can
// match, by a look at the raw octets of the message's header, without
// parsing it into fields: a key's string that is in none of the raw
// fields of the key's name, ASCII case ignored, is in none of their
// values. That holds for the strings rawMatchable accepts as long as
// the field holds no RFC 2047 word to decode: unfolding only takes out
// line breaks, before white space, and the decoding of a value without
// "=?" only replaces invalid UTF-8 with U+FFFD. A field with "=?" is
// unfolded and decoded as the parser would. The octets looked at run
// to the first empty line, where mime.Reader's header ends at the
// latest, and a field runs over every line after it that starts with
// white space, which is all of its value at least. A header with a bare
// CR (a line end for mime.Reader) is left to the parser. It reports
// false when it cannot tell.
//
// What it read stays in ev.raw, for the parse that follows when it
// cannot tell: the message is read once.
func (ev *evaluator) rawHeaderMisses(body Body) (bool, error) {
	size := body.Size()
	buf := ev.raw[:0]
	defer func() { ev.raw = buf }()
	crlf := 0 // lines ending in CRLF
	pos := 0  // start of the next line in buf
	// The field of a key's name being read: where it starts in buf, and
	// its value after the colon; -1 when none is.
	field, value := -1, -1
	for {
		i := bytes.IndexByte(buf[pos:], '\n')
		if i < 0 {
			off := int64(len(buf))
			if off < size {
				if off >= rawHeaderMax {
					return false, nil
				}
				n := int(min(rawHeaderStep, size-off))
				buf = slices.Grow(buf, n)[:int(off)+n]
				if _, err := body.ReadAt(buf[off:], off); err != nil && err != io.EOF {
					return false, err
				}
				continue
			}
			i = len(buf) - pos - 1 // the last line, without a line end
		}
		start := pos
		line := buf[pos : pos+i+1]
		pos += i + 1
		end := len(line) == 0
		if !end && line[len(line)-1] == '\n' {
			if len(line) >= 2 && line[len(line)-2] == '\r' {
				crlf++
				end = len(line) == 2
			} else {
				end = len(line) == 1
			}
		}
		if !end && (line[0] == ' ' || line[0] == '\t') {
			continue // a continuation: the value goes on
		}
		if value >= 0 {
			name := bytes.TrimRight(buf[field:value-1], " \t")
			if ev.rawFieldMayHold(name, buf[value:start]) {
				return false, nil
			}
			field, value = -1, -1
		}
		if end {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		n := bytes.TrimRight(line[:colon], " \t")
		for _, k := range ev.p.hkeys {
			if bytes.EqualFold(n, k.name) {
				field, value = start, start+colon+1
				break
			}
		}
	}
	// A bare CR is a line end to mime.Reader: such a header is left to it.
	if bytes.Count(buf[:pos], []byte("\r")) != crlf {
		return false, nil
	}
	return true, nil
}

// rawFieldMayHold reports whether the raw value v (its line breaks
// included) of a field named name may hold the string of a key of that
// name.
func (ev *evaluator) rawFieldMayHold(name, v []byte) bool {
	encoded := bytes.Contains(v, []byte("=?"))
	for _, k := range ev.p.hkeys {
		if !bytes.EqualFold(name, k.name) {
			continue
		}
		if !encoded {
			if containsFoldASCII(v, k.folded) {
				return true
			}
			continue
		}
		// RFC 2047 words: decoded as the parser would.
		var sb strings.Builder
		for _, c := range v {
			if c != '\r' && c != '\n' {
				sb.WriteByte(c)
			}
		}
		if ev.scan.fieldContains(strings.Trim(sb.String(), " \t"), k.folded) {
			return true
		}
	}
	return false
}
