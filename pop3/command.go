package pop3

import (
	"errors"
	"strings"
)

// Commands (RFC 1939 5.-7., RFC 2449 5., RFC 2595 4., RFC 5034 4.,
// RFC 6856 2.1 and 3.).
const (
	CmdUser = "USER"
	CmdPass = "PASS"
	CmdAPOP = "APOP"
	CmdAuth = "AUTH"
	CmdCapa = "CAPA"
	CmdSTLS = "STLS"
	CmdStat = "STAT"
	CmdList = "LIST"
	CmdUIDL = "UIDL"
	CmdTop  = "TOP"
	CmdRetr = "RETR"
	CmdDele = "DELE"
	CmdRset = "RSET"
	CmdNoop = "NOOP"
	CmdQuit = "QUIT"
	CmdUTF8 = "UTF8"
	CmdLang = "LANG"
)

// MaxCommandLength is the longest command line, CRLF included, that
// every server supporting CAPA must accept (RFC 2449 4.). The server
// refuses longer ones, except the lines of an AUTH exchange.
const MaxCommandLength = 255

// MaxResponseLength is the longest first line of a response, CRLF
// included (RFC 2449 4.: 512 octets). The client accepts longer lines up
// to MaxClientLineLength, since servers do not all keep to it.
const MaxResponseLength = 512

// Command is a parsed command line.
type Command struct {
	// Name is the keyword in upper case ("RETR").
	Name string
	// Args are the space-separated parameters. The argument of PASS is
	// the whole rest of the line, spaces included (RFC 1939 7.: "a POP3
	// server may treat spaces in the argument as part of the password").
	Args []string
}

// ErrSyntax is wrapped by the errors ParseCommand returns.
var ErrSyntax = errors.New("pop3: syntax error")

// ParseCommand parses a command line without its CRLF (RFC 2449 3.:
// keyword *(SP param)). The keyword is 3 or 4 printable ASCII
// characters, case-insensitive. Parameters are printable ASCII or UTF-8
// (RFC 6856 2.2 lets USER, PASS and APOP carry UTF-8 before the UTF8
// command); runs of spaces and trailing spaces are tolerated. Control
// characters are refused anywhere.
func ParseCommand(line []byte) (Command, error) {
	for _, c := range line {
		if c < ' ' || c == 0x7f {
			return Command{}, errors.Join(ErrSyntax, errors.New("control character in command"))
		}
	}
	s := string(line)
	kw, rest, _ := strings.Cut(s, " ")
	if len(kw) < 3 || len(kw) > 4 {
		return Command{}, errors.Join(ErrSyntax, errors.New("bad keyword"))
	}
	for i := 0; i < len(kw); i++ {
		if kw[i] <= ' ' || kw[i] >= 0x7f {
			return Command{}, errors.Join(ErrSyntax, errors.New("bad keyword"))
		}
	}
	cmd := Command{Name: strings.ToUpper(kw)}
	if cmd.Name == CmdPass {
		// The password is the rest of the line as sent: only the one
		// separating space is removed.
		if rest != "" {
			cmd.Args = []string{rest}
		}
		return cmd, nil
	}
	for f := range strings.SplitSeq(rest, " ") {
		if f != "" {
			cmd.Args = append(cmd.Args, f)
		}
	}
	return cmd, nil
}

// AppendCommand appends the wire form of the command, CRLF included, to
// dst. It fails if the keyword is not 3 or 4 printable characters or an
// argument is empty or holds a CR, LF, NUL or (except for PASS) a space.
func AppendCommand(dst []byte, name string, args ...string) ([]byte, error) {
	if len(name) < 3 || len(name) > 4 || strings.ContainsAny(name, " \r\n\x00") {
		return dst, errors.New("pop3: bad command keyword " + name)
	}
	pass := strings.EqualFold(name, CmdPass)
	dst = append(dst, name...)
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, "\r\n\x00") || (!pass && strings.Contains(a, " ")) {
			return dst, errors.New("pop3: bad argument to " + name)
		}
		dst = append(dst, ' ')
		dst = append(dst, a...)
	}
	return append(dst, '\r', '\n'), nil
}
