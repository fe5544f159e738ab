package maildir

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// MODSEQ values (RFC 7162) live in Dovecot's index, which this package
// does not write, so each folder keeps its own log, "postkit-modseq",
// which Dovecot, mutt and mbsync ignore:
//
//	postkit-modseq 1 V<uidvalidity>
//	<uid> <modseq> <info>     a message's MODSEQ and the flag letters it had then ("-": none)
//	X <modseq>                the highest MODSEQ went up (an expunge)
//	E <modseq> <uid-set>      these UIDs were expunged at modseq (expunged.go)
//
// The last line of a UID wins; the highest MODSEQ is the largest value in
// the file. Lines are appended under the folder's lock and synced; a
// last line without its newline is a crashed write and is ignored (and
// cut before the next append). When the log grows to twice the live
// messages it is rewritten whole (temporary file, sync, rename). A log
// of another UIDVALIDITY is ignored.
//
// The info column is how changes made by other programs are noticed: a
// message whose letters on disk differ from its last line changed
// without this package, and gets a new MODSEQ at the next sync.

const modseqFile = "postkit-modseq"

// modEntry is a message's MODSEQ and the flag letters it had.
type modEntry struct {
	modseq uint64
	info   string
}

// modLog is a parsed log.
type modLog struct {
	uidValidity uint32
	entries     map[mailbox.UID]modEntry
	highest     uint64
	tombs       []tombstone // the E lines, oldest first
	tombRanges  int         // the UID ranges in tombs
	lines       int
	end         int64 // length of the whole lines
}

// parseModLog parses a log; it returns an empty log of uidValidity when
// b is not a log of that UIDVALIDITY.
func parseModLog(b []byte, uidValidity uint32) *modLog {
	l := &modLog{uidValidity: uidValidity, entries: make(map[mailbox.UID]modEntry)}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 || string(b[:nl]) != modLogHeader(uidValidity) {
		return l
	}
	l.end = int64(nl + 1)
	rest := b[nl+1:]
	for {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			break
		}
		line := string(rest[:nl])
		rest = rest[nl+1:]
		l.end += int64(nl + 1)
		l.lines++
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "X" {
			if m, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				l.highest = max(l.highest, m)
			}
			continue
		}
		if len(f) != 3 {
			continue
		}
		if f[0] == "E" {
			m, err := strconv.ParseUint(f[1], 10, 64)
			if set, ok := parseUIDSet(f[2]); ok && err == nil {
				l.bury(m, set)
				l.highest = max(l.highest, m)
			}
			continue
		}
		u, err1 := strconv.ParseUint(f[0], 10, 32)
		m, err2 := strconv.ParseUint(f[1], 10, 64)
		if err1 != nil || err2 != nil || u == 0 {
			continue
		}
		info := f[2]
		if info == "-" {
			info = ""
		}
		l.entries[mailbox.UID(u)] = modEntry{m, normInfo(info)}
		l.highest = max(l.highest, m)
	}
	return l
}

func modLogHeader(uidValidity uint32) string {
	return "postkit-modseq 1 V" + strconv.FormatUint(uint64(uidValidity), 10)
}

// appendEntry appends the line of a message to b.
func appendEntry(b []byte, uid mailbox.UID, e modEntry) []byte {
	b = strconv.AppendUint(b, uint64(uid), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, e.modseq, 10)
	b = append(b, ' ')
	if e.info == "" {
		b = append(b, '-')
	} else {
		b = append(b, e.info...)
	}
	return append(b, '\n')
}

// format returns the whole log.
func (l *modLog) format() []byte {
	b := []byte(modLogHeader(l.uidValidity) + "\n")
	b = append(b, "X "...)
	b = strconv.AppendUint(b, l.highest, 10)
	b = append(b, '\n')
	for _, tb := range l.tombs {
		b = appendTomb(b, tb)
	}
	for u, e := range l.entries {
		b = appendEntry(b, u, e)
	}
	return b
}

// write appends lines to the log file at path, or rewrites it whole when
// it is missing, of another UIDVALIDITY (end == 0) or too long.
func (l *modLog) write(path string, lines []byte, noSync bool) error {
	if l.end == 0 || l.lines > 2*(len(l.entries)+len(l.tombs))+64 {
		b := l.format()
		if err := writeFileAtomic(path, b, noSync); err != nil {
			return err
		}
		l.end, l.lines = int64(len(b)), len(l.entries)+len(l.tombs)+1
		return nil
	}
	if len(lines) == 0 {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(lines, l.end)
	if err == nil {
		err = f.Truncate(l.end + int64(len(lines)))
	}
	if err == nil && !noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	l.end += int64(len(lines))
	l.lines += bytes.Count(lines, []byte{'\n'})
	return nil
}
