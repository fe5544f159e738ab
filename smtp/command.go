package smtp

import (
	"bytes"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Line and path limits (RFC 5321 4.5.3.1).
const (
	// MaxCommandLineLength is the longest command line RFC 5321 4.5.3.1.4
	// requires a server to accept, CRLF included.
	MaxCommandLineLength = 512

	// DefaultMaxCommandLineLength is the longest command line this package
	// accepts, CRLF included. Extensions may lengthen MAIL and RCPT
	// (RFC 1870 adds 26 octets, RFC 3461 up to 600, RFC 4954 AUTH=),
	// and a server reading commands should bound its lines by it.
	DefaultMaxCommandLineLength = 2048

	// MaxReplyLineLength is the longest reply line RFC 5321 4.5.3.1.5
	// allows, CRLF included.
	MaxReplyLineLength = 512

	// MaxLocalPartLength and MaxDomainLength are the limits of RFC 5321
	// 4.5.3.1.1 and 4.5.3.1.2; they are advisory and not enforced here
	// (4.5.3.1 asks receivers not to impose them).
	MaxLocalPartLength = 64
	MaxDomainLength    = 255
	// MaxPathLength is the longest reverse- or forward-path, angle brackets
	// included (RFC 5321 4.5.3.1.3).
	MaxPathLength = 256
)

// Command is one command line split into its verb and arguments.
type Command struct {
	Verb string // upper-case, as "MAIL" or "EHLO"
	Args string // the rest of the line, leading and trailing spaces removed
}

// ParseCommand parses a command line (RFC 5321 4.1.1), with or without its
// CRLF. The verb is 1 to 16 letters or digits and is returned upper-case;
// recognising it is the server's business (unknown verbs get 500,
// RFC 5321 4.2.4). A line longer than DefaultMaxCommandLineLength, an empty
// line, a bad verb, or a CR, LF or NUL inside the line give a *SyntaxError
// with code 500.
func ParseCommand(line []byte) (Command, error) {
	if len(line) > DefaultMaxCommandLineLength {
		return Command{}, syntaxErr(500, codeLineTooLong, "Line too long")
	}
	line = bytes.TrimSuffix(line, []byte("\r\n"))
	if bytes.IndexAny(line, "\r\n\x00") >= 0 {
		return Command{}, syntaxErr(500, codeSyntax, "Bare CR, LF or NUL in command")
	}
	verb, args, _ := bytes.Cut(line, []byte(" "))
	if len(verb) == 0 || len(verb) > 16 {
		return Command{}, syntaxErr(500, codeSyntax, "Syntax error, command unrecognized")
	}
	for _, c := range verb {
		if !isAlnum(c) {
			return Command{}, syntaxErr(500, codeSyntax, "Syntax error, command unrecognized")
		}
	}
	return Command{
		Verb: upperASCII(verb),
		Args: string(bytes.Trim(args, " \t")),
	}, nil
}

// upperASCII returns b upper-cased, avoiding an allocation for the
// common verbs.
func upperASCII(b []byte) string {
	switch string(b) {
	case "MAIL", "mail":
		return "MAIL"
	case "RCPT", "rcpt":
		return "RCPT"
	case "DATA", "data":
		return "DATA"
	case "EHLO", "ehlo":
		return "EHLO"
	case "BDAT", "bdat":
		return "BDAT"
	}
	return strings.ToUpper(string(b))
}

// ParseMailFrom parses the arguments of MAIL (RFC 5321 4.1.1.2):
//
//	"FROM:" Reverse-path [SP Mail-parameters]
//
// "FROM:" is matched without regard to case and may be followed by
// spaces. The path is returned without angle brackets and without a source
// route; the null reverse-path "<>" gives "". utf8 allows UTF-8 in the
// path and parameters (SMTPUTF8, RFC 6531 3.3). Errors are *SyntaxError
// with the reply to send: 501 5.1.7 for a bad path, 501 5.5.4 for bad
// parameters, 550 5.6.7 for UTF-8 without SMTPUTF8.
func ParseMailFrom(args string, utf8 bool) (path string, params Params, err error) {
	rest, ok := cutPrefixFold(args, "FROM:")
	if !ok {
		return "", nil, syntaxErr(501, codeBadArgs, `Syntax: MAIL FROM:<address>`)
	}
	path, rest, err = parsePath(rest, utf8, true, 550, codeBadSender)
	if err != nil {
		return "", nil, err
	}
	params, err = parseParams(rest, utf8)
	return path, params, err
}

// ParseRcptTo parses the arguments of RCPT (RFC 5321 4.1.1.3):
//
//	"TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters]
//
// as ParseMailFrom does, except that the null path is refused, and that
// bad paths give 501 5.1.3 and UTF-8 without SMTPUTF8 553 5.6.7.
// "<Postmaster>" (any case) is returned as "Postmaster".
func ParseRcptTo(args string, utf8 bool) (path string, params Params, err error) {
	rest, ok := cutPrefixFold(args, "TO:")
	if !ok {
		return "", nil, syntaxErr(501, codeBadArgs, `Syntax: RCPT TO:<address>`)
	}
	path, rest, err = parsePath(rest, utf8, false, 553, codeBadDest)
	if err != nil {
		return "", nil, err
	}
	params, err = parseParams(rest, utf8)
	return path, params, err
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimLeft(s[len(prefix):], " "), true
}

// parsePath reads a Path (RFC 5321 4.1.2) from the start of s and returns
// the mailbox and what follows it. A path without angle brackets, as some
// clients send, is accepted up to the first space.
func parsePath(s string, utf8ok, nullOK bool, utf8Code int, bad EnhancedCode) (string, string, error) {
	var p, rest string
	if strings.HasPrefix(s, "<") {
		end := closingBracket(s)
		if end < 0 {
			return "", "", syntaxErr(501, bad, "Missing '>' after path")
		}
		p, rest = s[1:end], s[end+1:]
		if rest != "" && rest[0] != ' ' {
			return "", "", syntaxErr(501, bad, "Junk after path")
		}
	} else {
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		p, rest = s[:end], s[end:]
		if p == "" {
			return "", "", syntaxErr(501, bad, "Missing path")
		}
	}
	if p == "" {
		if !nullOK {
			return "", "", syntaxErr(501, bad, "Null path not allowed here")
		}
		return "", rest, nil
	}
	// Obsolete source route: "@a,@b:" (RFC 5321 4.1.2 A-d-l, C. and
	// 3.3: accepted and ignored).
	if p[0] == '@' {
		colon := routeEnd(p)
		if colon < 0 {
			return "", "", syntaxErr(501, bad, "Malformed source route")
		}
		for _, hop := range strings.Split(p[:colon], ",") {
			if len(hop) < 2 || hop[0] != '@' || !validDomain(hop[1:], utf8ok) {
				return "", "", syntaxErr(501, bad, "Malformed source route")
			}
		}
		p = p[colon+1:]
	}
	if !utf8ok && hasNonASCII(p) {
		return "", "", syntaxErr(utf8Code, codeNoUTF8Allowed, "Non-ASCII address not permitted without SMTPUTF8")
	}
	if utf8ok && !utf8.ValidString(p) {
		return "", "", syntaxErr(501, bad, "Invalid UTF-8 in path")
	}
	if !nullOK && strings.EqualFold(p, "postmaster") {
		return "Postmaster", rest, nil
	}
	if err := checkMailbox(p, utf8ok); err != "" {
		return "", "", syntaxErr(501, bad, err)
	}
	return p, rest, nil
}

// closingBracket finds the '>' that closes the path opened at s[0],
// skipping quoted strings.
func closingBracket(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '>':
			return i
		}
	}
	return -1
}

// routeEnd finds the ':' that ends a source route, before any quote.
func routeEnd(p string) int {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case ':':
			return i
		case '"', '<', '>':
			return -1
		}
	}
	return -1
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// checkMailbox checks Mailbox = Local-part "@" ( Domain / address-literal )
// (RFC 5321 4.1.2) and returns a message for the reply, or "".
func checkMailbox(p string, utf8ok bool) string {
	at := strings.LastIndexByte(p, '@')
	if at < 0 {
		return "Missing '@' in address"
	}
	local, domain := p[:at], p[at+1:]
	if !validLocalPart(local, utf8ok) {
		return "Invalid local part"
	}
	if strings.HasPrefix(domain, "[") {
		if !validAddressLiteral(domain) {
			return "Invalid address literal"
		}
		return ""
	}
	if !validDomain(domain, utf8ok) {
		return "Invalid domain"
	}
	return ""
}

// validLocalPart checks Local-part = Dot-string / Quoted-string
// (RFC 5321 4.1.2; RFC 6531 3.3 adds UTF-8 to atext and qtextSMTP).
func validLocalPart(s string, utf8ok bool) bool {
	if s == "" {
		return false
	}
	if s[0] == '"' {
		if len(s) < 2 || s[len(s)-1] != '"' {
			return false
		}
		q := s[1 : len(s)-1]
		for i := 0; i < len(q); i++ {
			c := q[i]
			switch {
			case c == '\\':
				i++
				if i >= len(q) || q[i] < 32 || q[i] > 126 {
					return false
				}
			case c == '"':
				return false
			case c >= 0x80:
				if !utf8ok {
					return false
				}
			case c < 32 || c > 126:
				return false
			}
		}
		return true
	}
	prevDot := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if prevDot {
				return false
			}
			prevDot = true
			continue
		}
		prevDot = false
		if c >= 0x80 {
			if !utf8ok {
				return false
			}
			continue
		}
		if !isAtext(c) {
			return false
		}
	}
	return !prevDot
}

// isAtext reports whether c is atext (RFC 5322 3.2.3).
func isAtext(c byte) bool {
	if isAlnum(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// validDomain checks Domain = sub-domain *("." sub-domain), sub-domain =
// Let-dig [Ldh-str] (RFC 5321 4.1.2); with utf8ok a label may be a U-label
// (RFC 6531 3.3). An underscore is tolerated, as real hostnames carry it.
func validDomain(d string, utf8ok bool) bool {
	if d == "" || len(d) > MaxDomainLength {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if c >= 0x80 {
				if !utf8ok {
					return false
				}
				continue
			}
			if !isAlnum(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// validAddressLiteral checks address-literal (RFC 5321 4.1.3):
// "[" IPv4 "]", "[IPv6:" IPv6 "]" or "[" tag ":" 1*dcontent "]".
func validAddressLiteral(s string) bool {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	lit := s[1 : len(s)-1]
	tag, addr, hasTag := strings.Cut(lit, ":")
	if !hasTag {
		a, err := netip.ParseAddr(lit)
		return err == nil && a.Is4()
	}
	if strings.EqualFold(tag, "IPv6") {
		a, err := netip.ParseAddr(addr)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	// General-address-literal = Standardized-tag ":" 1*dcontent
	if !validKeyword(tag) || tag[len(tag)-1] == '-' || addr == "" {
		return false
	}
	for i := 0; i < len(addr); i++ {
		if c := addr[i]; c < 33 || c > 126 || c == '[' || c == '\\' || c == ']' {
			return false
		}
	}
	return true
}

// KnownVerb reports whether verb (upper-case) is a command of RFC 5321
// 4.1.1 or of an extension this package knows (STARTTLS RFC 3207, AUTH
// RFC 4954, BDAT RFC 3030, LHLO RFC 2033). A server answers other verbs
// with 500 (RFC 5321 4.2.4).
func KnownVerb(verb string) bool {
	switch verb {
	case "HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN",
		"HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "BDAT", "LHLO":
		return true
	}
	return false
}

// ParseBdat parses the arguments of BDAT (RFC 3030 2.):
//
//	chunk-size [ SP "LAST" ]
//
// where chunk-size is 1*DIGIT. "LAST" is matched without regard to case.
// A size beyond 2^63-1 or a bad argument gives a 501 *SyntaxError.
func ParseBdat(args string) (size int64, last bool, err error) {
	num, marker, hasMarker := strings.Cut(args, " ")
	if hasMarker {
		marker = strings.TrimLeft(marker, " ")
		if !strings.EqualFold(marker, "LAST") {
			return 0, false, syntaxErr(501, codeBadArgs, "Syntax: BDAT <size> [LAST]")
		}
		last = true
	}
	if num == "" || len(num) > 18 {
		return 0, false, syntaxErr(501, codeBadArgs, "Syntax: BDAT <size> [LAST]")
	}
	for i := 0; i < len(num); i++ {
		c := num[i]
		if c < '0' || c > '9' {
			return 0, false, syntaxErr(501, codeBadArgs, "Syntax: BDAT <size> [LAST]")
		}
		size = size*10 + int64(c-'0')
	}
	return size, last, nil
}

// ParseHello parses the argument of HELO, EHLO or LHLO (RFC 5321
// 4.1.1.1): a domain or an address literal. Trailing text after a space
// is ignored, as some clients add it. With utf8 a U-label domain is
// accepted (RFC 6531 3.7.1). A missing or malformed argument gives a 501
// *SyntaxError.
func ParseHello(args string, utf8ok bool) (string, error) {
	name, _, _ := strings.Cut(args, " ")
	if name == "" {
		return "", syntaxErr(501, codeBadArgs, "Syntax: EHLO domain")
	}
	if strings.HasPrefix(name, "[") {
		if !validAddressLiteral(name) {
			return "", syntaxErr(501, codeBadArgs, "Invalid address literal")
		}
		return name, nil
	}
	if utf8ok && !utf8.ValidString(name) || !validDomain(strings.TrimSuffix(name, "."), utf8ok) {
		return "", syntaxErr(501, codeBadArgs, "Invalid domain")
	}
	return name, nil
}
