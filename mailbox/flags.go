package mailbox

import "strings"

// System flags (RFC 9051 2.3.2). \Recent is IMAP4rev1 only and is not
// stored: a backend reports it per view.
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
	FlagRecent   = `\Recent`
)

// Keywords with registered meanings (RFC 9051 2.3.2, RFC 5788).
const (
	KeywordForwarded = "$Forwarded"
	KeywordMDNSent   = "$MDNSent"
	KeywordJunk      = "$Junk"
	KeywordNotJunk   = "$NotJunk"
	KeywordPhishing  = "$Phishing"
)

var systemFlags = [...]string{FlagSeen, FlagAnswered, FlagFlagged, FlagDeleted, FlagDraft, FlagRecent}

// CanonicalFlag returns flag with a system flag in its canonical case
// ("\SEEN" gives "\Seen"). Keywords are returned unchanged: they are
// case-insensitive (RFC 9051 2.3.2) but keep the case they were first
// given, which is the backend's business.
func CanonicalFlag(flag string) string {
	if strings.HasPrefix(flag, `\`) {
		for _, f := range systemFlags {
			if strings.EqualFold(f, flag) {
				return f
			}
		}
	}
	return flag
}

// ValidFlag reports whether flag can be stored: a system flag other
// than \Recent, or a keyword that is an IMAP atom (RFC 9051 9: flag-keyword
// = atom, no atom-specials and no "\").
func ValidFlag(flag string) bool {
	if strings.HasPrefix(flag, `\`) {
		f := CanonicalFlag(flag)
		return isSystemFlag(f) && f != FlagRecent
	}
	if flag == "" || len(flag) > 255 {
		return false
	}
	for i := 0; i < len(flag); i++ {
		c := flag[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

func isSystemFlag(f string) bool {
	for _, s := range systemFlags {
		if s == f {
			return true
		}
	}
	return false
}

// HasFlag reports whether flags holds flag, case-insensitively.
func HasFlag(flags []string, flag string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// ApplyFlags returns the flags that result from applying op with
// change to flags: canonical case, no duplicates (case-insensitive), in
// the order first seen. \Recent in change is ignored.
func ApplyFlags(flags []string, op StoreOp, change []string) []string {
	var out []string
	add := func(f string) {
		f = CanonicalFlag(f)
		if f == FlagRecent || HasFlag(out, f) {
			return
		}
		out = append(out, f)
	}
	switch op {
	case StoreReplace:
		for _, f := range change {
			add(f)
		}
	case StoreAdd:
		for _, f := range flags {
			add(f)
		}
		for _, f := range change {
			add(f)
		}
	case StoreRemove:
		for _, f := range flags {
			if !HasFlag(change, f) {
				add(f)
			}
		}
	}
	return out
}
