package mailbox

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/postkit/postkit/mime"
)

// BaseSubject returns the base subject of a Subject field value, as IMAP
// SORT and THREAD compare subjects (RFC 5256 2.1), and whether the
// extraction removed a reply or forward marker: a "Re:", "Fw:" or
// "Fwd:" leader, a "(fwd)" trailer, or a "[fwd: ...]" wrapper (RFC 5256
// 3, REFERENCES: "a reply or forward").
//
// RFC 2047 encoded words are decoded first (a word in an unknown charset
// is kept as written); the markers are matched ASCII-case-insensitively.
// The result is not case-folded: see CollationKey.
func BaseSubject(subject string) (base string, replyOrFwd bool) {
	// RFC 5256 2.1 (1): decode, tabs and continuations to spaces, runs
	// of spaces to one.
	if strings.Contains(subject, "=?") {
		if d, err := mime.DecodeHeader(subject); err == nil || d != "" {
			subject = d
		}
	}
	s := collapseSpace(subject)
	for {
		// (2) Trailers: "(fwd)" and white space, repeatedly.
		for {
			switch {
			case strings.HasSuffix(s, " "):
				s = s[:len(s)-1]
				continue
			case len(s) >= 5 && strings.EqualFold(s[len(s)-5:], "(fwd)"):
				s = s[:len(s)-5]
				replyOrFwd = true
				continue
			}
			break
		}
		// (3), (4), (5): leaders and blobs until none is left.
		for {
			changed := false
			// (3) subj-leader = (*subj-blob subj-refwd) / WSP
			for {
				if strings.HasPrefix(s, " ") {
					s = s[1:]
					changed = true
					continue
				}
				if n := refwdLeader(s); n > 0 {
					s = s[n:]
					replyOrFwd, changed = true, true
					continue
				}
				break
			}
			// (4) A leading subj-blob goes if something is left.
			if n := blobLen(s); n > 0 && n < len(s) {
				s = s[n:]
				changed = true
			}
			if !changed {
				break
			}
		}
		// (6) "[fwd:" subject "]": unwrap and start again at (2).
		if len(s) >= 6 && strings.EqualFold(s[:5], "[fwd:") && s[len(s)-1] == ']' {
			s = s[5 : len(s)-1]
			replyOrFwd = true
			continue
		}
		return s, replyOrFwd
	}
}

// collapseSpace turns tabs, CR and LF into spaces and runs of spaces
// into one (RFC 5256 2.1 (1)).
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// blobLen returns the length of the subj-blob at the start of s,
// "[" *BLOBCHAR "]" *WSP, or 0.
func blobLen(s string) int {
	if !strings.HasPrefix(s, "[") {
		return 0
	}
	i := 1
	for i < len(s) && s[i] != ']' && s[i] != '[' && s[i] != 0 {
		i++
	}
	if i == len(s) || s[i] != ']' {
		return 0
	}
	i++
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// refwdLeader returns the length of *subj-blob subj-refwd at the start
// of s, or 0; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".
func refwdLeader(s string) int {
	i := 0
	for {
		n := blobLen(s[i:])
		if n == 0 {
			break
		}
		i += n
	}
	rest := s[i:]
	switch {
	case len(rest) >= 3 && strings.EqualFold(rest[:3], "fwd"):
		i += 3
	case len(rest) >= 2 && (strings.EqualFold(rest[:2], "fw") || strings.EqualFold(rest[:2], "re")):
		i += 2
	default:
		return 0
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	i += blobLen(s[i:])
	if i < len(s) && s[i] == ':' {
		return i + 1
	}
	return 0
}

// CollationKey returns a key whose byte order is the order of the
// i;unicode-casemap collation (RFC 5051) that SORT and THREAD use (RFC
// 5256 7): s in canonical decomposition, each rune replaced by the
// smallest code point of its simple case folding orbit (for ASCII,
// the upper-case letter, as the collation's titlecasing does). Two
// strings are equal under the collation when their keys are equal.
// Invalid UTF-8 is kept as written.
func CollationKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		b := []byte(s)
		for i, c := range b {
			if 'a' <= c && c <= 'z' {
				b[i] = c - 'a' + 'A'
			}
		}
		return string(b)
	}
	if utf8.ValidString(s) {
		s = norm.NFD.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(s[0])
		} else {
			b.WriteRune(foldRune(r))
		}
		s = s[n:]
	}
	return b.String()
}
