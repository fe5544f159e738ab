package maildir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// The dovecot-keywords file of a folder maps the lower-case info letters
// a..z to keywords, one "<index> <keyword>" line each, index 0 for "a"
// (Dovecot's format). A folder holds at most 26 keywords.

const (
	keywordsFile = "dovecot-keywords"
	maxKeywords  = 26
)

// errTooManyKeywords is returned when a folder's 26 letters are taken.
var errTooManyKeywords = fmt.Errorf("maildir: a folder holds at most %d keywords: %w", maxKeywords, mailbox.ErrNotAllowed)

// keywords is a folder's keyword table.
type keywords struct {
	names   [maxKeywords]string
	other   [maxKeywords]string // lines this package cannot use, kept as they are
	changed bool                // names changed since parsed or written
}

// parseKeywords reads a dovecot-keywords file; lines it cannot use are
// skipped.
func parseKeywords(b []byte) *keywords {
	kw := &keywords{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		idx, name, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i >= maxKeywords || kw.names[i] != "" || kw.other[i] != "" {
			continue
		}
		if mailbox.ValidFlag(name) && !strings.HasPrefix(name, `\`) && kw.find(name) < 0 {
			kw.names[i] = name
		} else {
			// Not a keyword IMAP can name: its letter is left alone.
			kw.other[i] = name
		}
	}
	return kw
}

// format returns the file's content.
func (kw *keywords) format() []byte {
	var b bytes.Buffer
	for i, n := range kw.names {
		if n == "" {
			n = kw.other[i]
		}
		if n != "" {
			fmt.Fprintf(&b, "%d %s\n", i, n)
		}
	}
	return b.Bytes()
}

// name returns the keyword of index i, or "".
func (kw *keywords) name(i int) string {
	if kw == nil || i < 0 || i >= maxKeywords {
		return ""
	}
	return kw.names[i]
}

// find returns the index of keyword k (case-insensitive), or -1.
func (kw *keywords) find(k string) int {
	for i, n := range kw.names {
		if n != "" && strings.EqualFold(n, k) {
			return i
		}
	}
	return -1
}

// index returns the index of keyword k, allocating the lowest free one.
func (kw *keywords) index(k string) (int, error) {
	if i := kw.find(k); i >= 0 {
		return i, nil
	}
	if !mailbox.ValidFlag(k) {
		return 0, errors.New("maildir: invalid keyword")
	}
	for i, n := range kw.names {
		if n == "" && kw.other[i] == "" {
			kw.names[i], kw.changed = k, true
			return i, nil
		}
	}
	return 0, errTooManyKeywords
}

// full reports whether no letter is free.
func (kw *keywords) full() bool {
	for i, n := range kw.names {
		if n == "" && kw.other[i] == "" {
			return false
		}
	}
	return true
}

// list returns the keywords.
func (kw *keywords) list() []string {
	var out []string
	for _, k := range kw.names {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}
