package maildir

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// The dovecot-uidlist file of a folder maps UIDs to message base names,
// in Dovecot's version 3 format:
//
//	3 V<uidvalidity> N<nextuid> G<guid>
//	<uid> [<extension fields>] :<base name>
//
// Records are in ascending UID order. A writer holding the folder's lock
// either appends records (the header's N is then stale: the next UID is
// at least the last UID plus one) or writes a whole new file into the
// lock file and renames it over the old one. Version 1 (Courier's
// courierimapuiddb: "1 <uidvalidity> <nextuid>", "<uid> <file name>")
// is read too.

const (
	uidlistFile = "dovecot-uidlist"
	// maxUidlistLine bounds a line: a file name is at most 255 octets,
	// and extension fields are short.
	maxUidlistLine = 8192
)

var errUidlist = errors.New("maildir: corrupt dovecot-uidlist")

// uidRec is one record.
type uidRec struct {
	uid  mailbox.UID
	base string
	ext  string // extension fields, kept as they are
}

// uidList is a parsed uidlist.
type uidList struct {
	uidValidity uint32
	nextUID     mailbox.UID
	hdrExt      []string // other header fields, kept
	recs        []uidRec
	// end is the length of the whole lines parsed; anything after it is
	// a record a crashed writer left half written.
	end int
}

// parseUidlist parses a uidlist. A last line without its newline is
// ignored; records out of order or malformed are skipped (the file is
// rewritten on the next expunge).
func parseUidlist(b []byte) (*uidList, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 || nl > maxUidlistLine {
		return nil, errUidlist
	}
	l := &uidList{end: nl + 1}
	hdr := strings.Fields(string(b[:nl]))
	if len(hdr) == 0 {
		return nil, errUidlist
	}
	version := hdr[0]
	switch version {
	case "1":
		if len(hdr) < 3 {
			return nil, errUidlist
		}
		v, err1 := strconv.ParseUint(hdr[1], 10, 32)
		n, err2 := strconv.ParseUint(hdr[2], 10, 32)
		if err1 != nil || err2 != nil {
			return nil, errUidlist
		}
		l.uidValidity, l.nextUID = uint32(v), mailbox.UID(n)
	case "3":
		for _, f := range hdr[1:] {
			switch f[0] {
			case 'V':
				v, err := strconv.ParseUint(f[1:], 10, 32)
				if err != nil {
					return nil, errUidlist
				}
				l.uidValidity = uint32(v)
			case 'N':
				n, err := strconv.ParseUint(f[1:], 10, 32)
				if err != nil {
					return nil, errUidlist
				}
				l.nextUID = mailbox.UID(n)
			default:
				l.hdrExt = append(l.hdrExt, f)
			}
		}
	default:
		return nil, errUidlist
	}
	if l.uidValidity == 0 {
		return nil, errUidlist
	}
	rest := b[nl+1:]
	for len(rest) > 0 {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			break
		}
		line := string(rest[:nl])
		rest = rest[nl+1:]
		l.end += nl + 1
		if nl > maxUidlistLine {
			continue
		}
		if r, ok := parseUidRec(line, version); ok && (len(l.recs) == 0 || r.uid > l.recs[len(l.recs)-1].uid) {
			l.recs = append(l.recs, r)
		}
	}
	if n := len(l.recs); n > 0 && l.recs[n-1].uid >= l.nextUID {
		l.nextUID = l.recs[n-1].uid + 1
	}
	if l.nextUID == 0 {
		l.nextUID = 1
	}
	return l, nil
}

// parseUidRec parses a record line.
func parseUidRec(line, version string) (uidRec, bool) {
	num, rest, ok := strings.Cut(line, " ")
	if !ok {
		return uidRec{}, false
	}
	u, err := strconv.ParseUint(num, 10, 32)
	if err != nil || u == 0 {
		return uidRec{}, false
	}
	r := uidRec{uid: mailbox.UID(u)}
	if version == "1" {
		r.base, _ = splitName(rest)
	} else {
		i := strings.Index(rest, ":")
		if i < 0 {
			return uidRec{}, false
		}
		r.ext = strings.TrimSpace(rest[:i])
		r.base, _ = splitName(rest[i+1:])
	}
	if r.base == "" || strings.ContainsAny(r.base, "/\x00") || r.base == "." || r.base == ".." {
		return uidRec{}, false
	}
	return r, true
}

// formatHeader returns the version 3 header line.
func (l *uidList) formatHeader() []byte {
	var b []byte
	b = append(b, "3 V"...)
	b = strconv.AppendUint(b, uint64(l.uidValidity), 10)
	b = append(b, " N"...)
	b = strconv.AppendUint(b, uint64(l.nextUID), 10)
	for _, f := range l.hdrExt {
		b = append(b, ' ')
		b = append(b, f...)
	}
	return append(b, '\n')
}

// appendRec appends the line of r to b.
func appendRec(b []byte, r uidRec) []byte {
	b = strconv.AppendUint(b, uint64(r.uid), 10)
	if r.ext != "" {
		b = append(b, ' ')
		b = append(b, r.ext...)
	}
	b = append(b, " :"...)
	b = append(b, r.base...)
	return append(b, '\n')
}

// format returns the whole file.
func (l *uidList) format() []byte {
	b := l.formatHeader()
	for _, r := range l.recs {
		b = appendRec(b, r)
	}
	return b
}

// hasGUID reports whether the header has a G field.
func (l *uidList) hasGUID() bool {
	for _, f := range l.hdrExt {
		if strings.HasPrefix(f, "G") {
			return true
		}
	}
	return false
}
