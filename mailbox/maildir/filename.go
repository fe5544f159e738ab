package maildir

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/postkit/postkit/mailbox"
)

// Message file names follow the Maildir protocol as Dovecot writes them:
//
//	<seconds>.M<microseconds>P<pid>Q<counter>.<host>,S=<size>,W=<vsize>:2,<flags>
//
// The part before ":" is the base name, which stays the same while the
// flags change; S= is the size in octets (so Size needs no stat) and W=
// the size with every line ending CRLF. The info after ":2," is the
// flags: the system flags as upper-case letters in ASCII order, then the
// keywords as lower-case letters indexed by the folder's dovecot-keywords
// file.

// System flag letters (Maildir, cr.yp.to/proto/maildir.html), in the
// ASCII order the info must keep. "P" (passed) has no IMAP flag, as in
// Dovecot: it is kept on the file but not shown.
var flagLetters = []struct {
	letter byte
	flag   string
}{
	{'D', mailbox.FlagDraft},
	{'F', mailbox.FlagFlagged},
	{'R', mailbox.FlagAnswered},
	{'S', mailbox.FlagSeen},
	{'T', mailbox.FlagDeleted},
}

var (
	uniqCounter atomic.Uint64
	hostName    = sanitizeHost()
)

// sanitizeHost returns the host name with "/" and ":" escaped, as the
// Maildir protocol asks, and "," too since it starts the S= fields.
func sanitizeHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	r := strings.NewReplacer("/", `\057`, ":", `\072`, ",", `\054`)
	return r.Replace(h)
}

// newBase returns a fresh base name for a message of the given sizes.
func newBase(now time.Time, size, vsize int64) string {
	return fmt.Sprintf("%d.M%dP%dQ%d.%s,S=%d,W=%d", now.Unix(), now.Nanosecond()/1000,
		os.Getpid(), uniqCounter.Add(1), hostName, size, vsize)
}

// splitName splits a file name into its base and its flag letters (the
// info after ":2,"; "" when there is none or it is of another version).
func splitName(name string) (base, info string) {
	i := strings.IndexByte(name, ':')
	if i < 0 {
		return name, ""
	}
	base, rest := name[:i], name[i+1:]
	if !strings.HasPrefix(rest, "2,") {
		return base, ""
	}
	return base, rest[2:]
}

// fileName returns the file name of a message in cur/.
func fileName(base, info string) string { return base + ":2," + info }

// baseSize returns the S= size in a base name, or -1.
func baseSize(base string) int64 { return baseField(base, "S=") }

// baseVSize returns the W= size in a base name, or -1.
func baseVSize(base string) int64 { return baseField(base, "W=") }

// baseField returns the number of the first field of base, after its
// first comma, that starts with key, or -1. It allocates nothing: it
// runs for every message of a folder being read.
func baseField(base, key string) int64 {
	_, rest, ok := strings.Cut(base, ",")
	for ok {
		var f string
		f, rest, ok = strings.Cut(rest, ",")
		if v, found := strings.CutPrefix(f, key); found {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				return n
			}
		}
	}
	return -1
}

// baseTime returns the arrival time a base name starts with, or the zero
// time.
func baseTime(base string) time.Time {
	i := strings.IndexByte(base, '.')
	if i < 0 {
		return time.Time{}
	}
	n, err := strconv.ParseInt(base[:i], 10, 64)
	if err != nil || n < 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// normInfo returns the letters of info, without duplicates and in ASCII
// order, dropping anything that is not a letter.
func normInfo(info string) string {
	b := []byte(info)
	b = slices.DeleteFunc(b, func(c byte) bool { return !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') })
	slices.Sort(b)
	return string(slices.Compact(b))
}

// infoFlags returns the flags the letters of info stand for, with kw the
// folder's keywords by index. Letters with no meaning are left out.
func infoFlags(info string, kw *keywords) []string {
	var out []string
	for i := 0; i < len(info); i++ {
		c := info[i]
		if 'a' <= c && c <= 'z' {
			if k := kw.name(int(c - 'a')); k != "" {
				out = append(out, k)
			}
			continue
		}
		if f := letterFlag(c); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// letterFlag returns the system flag of an upper-case info letter, or "".
func letterFlag(c byte) string {
	for _, fl := range flagLetters {
		if fl.letter == c {
			return fl.flag
		}
	}
	return ""
}

// flagsInfo returns the info letters of flags, adding keywords to kw as
// needed (kw.changed then says so). Letters of keep that no flag can
// express (unknown upper-case letters, keyword letters with no usable
// keyword) are kept.
func flagsInfo(flags []string, kw *keywords, keep string) (string, error) {
	var b []byte
	for i := 0; i < len(keep); i++ {
		c := keep[i]
		if 'A' <= c && c <= 'Z' && letterFlag(c) == "" || 'a' <= c && c <= 'z' && kw.name(int(c-'a')) == "" {
			b = append(b, c) // a letter with no IMAP flag: kept
		}
	}
flags:
	for _, f := range flags {
		f = mailbox.CanonicalFlag(f)
		for _, fl := range flagLetters {
			if strings.EqualFold(fl.flag, f) {
				b = append(b, fl.letter)
				continue flags
			}
		}
		if strings.HasPrefix(f, `\`) {
			continue // \Recent, or an unknown system flag
		}
		i, err := kw.index(f)
		if err != nil {
			return "", err
		}
		b = append(b, byte('a'+i))
	}
	return normInfo(string(b)), nil
}
