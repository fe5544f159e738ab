package mime

import (
	"strings"
)

// headerResult is what reading one header block found.
type headerResult struct {
	header  Header
	defects []Defect
	// bodyFollows says the block ended at the empty line (or at a line
	// that starts the body); otherwise it ended at a delimiter or the end
	// of input, and the body is empty.
	bodyFollows bool
}

// headerScratch holds buffers that readHeader reuses from one header block
// to the next: the fields are copied out of them into one string.
type headerScratch struct {
	block  []byte
	starts []int
}

// readHeader reads a header block from s (RFC 5322 2.2, 3.6; RFC 2045 3).
// A line that is neither a field nor a continuation ends the block without
// being consumed: it is the first line of the body, and a
// DefectMissingHeaderBodySeparator is recorded (this is what CPython and
// mail clients do). With skipFrom, a first line starting "From " (an mbox
// envelope line) is skipped.
func readHeader(s *scanner, lim *Limits, skipFrom bool, scratch *headerScratch) (headerResult, error) {
	var res headerResult
	maxBytes, maxFields := lim.maxHeaderBytes(), lim.maxHeaderFields()
	block := scratch.block[:0]
	starts := scratch.starts[:0] // start of each field in block
	defer func() { scratch.block, scratch.starts = block[:0], starts[:0] }()
	first := true
	inField := false // the previous line belongs to a field, so continuations attach to it
	dropping := false
	read := 0 // bytes of the block, dropped lines included
	strayNoted := false
	for {
		piece, eolLen, delim, eof := s.nextPiece()
		if delim || eof {
			break
		}
		if read += len(piece); read > maxBytes {
			return res, &LimitError{Limit: "header bytes", Max: maxBytes}
		}
		// A piece that does not start a line continues the previous one.
		if !s.pieceStart {
			if !dropping {
				block = append(block, piece...)
			}
			continue
		}
		line := piece[:len(piece)-eolLen]
		wasFirst := first
		first = false
		dropping = false
		switch {
		case len(line) == 0:
			res.bodyFollows = true
			res = res.finish(block, starts)
			if eol := string(piece); eol != "\r\n" {
				res.header.end = eol
			}
			return res, nil
		case wasFirst && skipFrom && len(line) >= 5 && string(line[:5]) == "From ":
			dropping = true
			continue
		case line[0] == ' ' || line[0] == '\t':
			if !inField {
				if !strayNoted { // once: a hostile peer could send many
					strayNoted = true
					res.defects = append(res.defects, Defect{Kind: DefectFirstLineContinuation, Detail: clip(line)})
				}
				dropping = true
				continue
			}
		default:
			if !isFieldLine(line) {
				s.unread()
				res.defects = append(res.defects, Defect{Kind: DefectMissingHeaderBodySeparator, Detail: clip(line)})
				res.bodyFollows = true
				return res.finish(block, starts), nil
			}
			if len(starts) >= maxFields {
				return res, &LimitError{Limit: "header fields", Max: maxFields}
			}
			starts = append(starts, len(block))
			inField = true
		}
		block = append(block, piece...)
	}
	return res.finish(block, starts), nil
}

// isFieldLine reports whether line starts with a field name and a colon.
// Field names are printable US-ASCII except colon (RFC 5322 3.6.8); white
// space between the name and the colon is accepted (RFC 5322 4.5).
func isFieldLine(line []byte) bool {
	for i, c := range line {
		switch {
		case c == ':':
			return i > 0
		case c == ' ' || c == '\t':
			// Only white space may follow, up to the colon.
			for _, d := range line[i:] {
				if d == ':' {
					return i > 0
				}
				if d != ' ' && d != '\t' {
					return false
				}
			}
			return false
		case c < 33 || c > 126:
			return false
		}
	}
	return false
}

// finish turns the raw block into fields. One string holds the whole block;
// keys, values and raw fields are substrings of it, so a header costs two
// allocations however many fields it has (plus one per folded value).
func (res *headerResult) finish(block []byte, starts []int) headerResult {
	if len(starts) == 0 {
		return *res
	}
	all := string(block)
	fields := make([]Field, len(starts))
	eightBitSeen := false
	for i, st := range starts {
		end := len(all)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		raw := all[st:end]
		colon := strings.IndexByte(raw, ':')
		fields[i] = Field{
			Key:   trimTrailingSpace(raw[:colon]),
			Value: unfold(raw[colon+1:]),
			raw:   raw,
		}
		if !eightBitSeen && hasEightBit(raw) {
			eightBitSeen = true
			res.defects = append(res.defects, Defect{Kind: DefectEightBitHeader, Detail: fields[i].Key})
		}
	}
	res.header = Header{fields: fields}
	return *res
}

func hasEightBit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// unfold removes the line breaks of a folded value (RFC 5322 2.2.3) and
// trims surrounding white space.
func unfold(v string) string {
	i, j := 0, len(v)
	for i < j && isFoldSpace(v[i]) {
		i++
	}
	for j > i && isFoldSpace(v[j-1]) {
		j--
	}
	v = v[i:j]
	lf := strings.IndexByte(v, '\n')
	if lf < 0 && strings.IndexByte(v, '\r') < 0 {
		return v
	}
	// Copy the runs between line breaks; a CR mostly comes just before
	// an LF, and is looked for only up to it.
	var b strings.Builder
	b.Grow(len(v))
	for len(v) > 0 {
		if lf < 0 {
			lf = len(v)
		}
		run := v[:lf]
		for {
			cr := strings.IndexByte(run, '\r')
			if cr < 0 {
				b.WriteString(run)
				break
			}
			b.WriteString(run[:cr])
			run = run[cr+1:]
		}
		if lf == len(v) {
			break
		}
		v = v[lf+1:]
		lf = strings.IndexByte(v, '\n')
	}
	return b.String()
}

func isFoldSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// clip shortens b for a defect's detail.
func clip(b []byte) string {
	const max = 64
	if len(b) > max {
		return strings.ToValidUTF8(string(b[:max]), "?") + "..."
	}
	return strings.ToValidUTF8(string(b), "?")
}

// trimTrailingSpace removes the white space RFC 5322 4.5 allows between a
// field name and its colon.
func trimTrailingSpace(s string) string {
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
