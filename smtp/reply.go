package smtp

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxReplyLines bounds the lines of one reply that ParseReply
// reads. An EHLO reply lists a dozen or two extensions; more than this is
// a hostile or broken server.
const DefaultMaxReplyLines = 128

// maxReplyLineRead is the longest reply line ParseReply reads. RFC 5321
// 4.5.3.1.5 allows 512 octets; real servers overshoot, so twice that is
// read before giving up.
const maxReplyLineRead = 2 * MaxReplyLineLength

// Reply is a server reply (RFC 5321 4.2): a three-digit code and one text
// per line, without the code, the separator and the CRLF. Enhanced status
// codes stay in the text; EnhancedCode and Message split them off.
type Reply struct {
	Code  int
	Lines []string
}

// ParseReply reads one reply, single- or multi-line (RFC 5321 4.2.1):
//
//	*( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
//
// Every line must carry the same code, whose first digit is 2 to 5. A
// bare LF is accepted as a line end. A reply with more than
// DefaultMaxReplyLines lines or a line longer than 1024 octets, or one
// that breaks the grammar, gives a *ProtocolError; the stream is then out
// of sync. An EOF before any byte is io.EOF, within a reply
// io.ErrUnexpectedEOF.
func ParseReply(r *bufio.Reader) (*Reply, error) {
	var reply Reply
	for n := 0; ; n++ {
		line, err := readLine(r)
		if err != nil {
			if err == io.EOF && n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if n >= DefaultMaxReplyLines {
			return nil, &ProtocolError{"reply has too many lines"}
		}
		code, more, text, perr := parseReplyLine(line)
		if perr != nil {
			return nil, perr
		}
		if n == 0 {
			reply.Code = code
		} else if code != reply.Code {
			return nil, &ProtocolError{"reply codes differ between lines"}
		}
		reply.Lines = append(reply.Lines, text)
		if !more {
			return &reply, nil
		}
	}
}

// readLine reads one line without its line end, bounded.
func readLine(r *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		frag, err := r.ReadSlice('\n')
		if err == nil || err == bufio.ErrBufferFull {
			if long == nil && err == nil {
				return trimEOL(frag), nil
			}
			if len(long)+len(frag) > maxReplyLineRead {
				return nil, &ProtocolError{"reply line too long"}
			}
			long = append(long, frag...)
			if err == nil {
				return trimEOL(long), nil
			}
			continue
		}
		if err == io.EOF && (len(frag) > 0 || len(long) > 0) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
}

func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

func parseReplyLine(line []byte) (code int, more bool, text string, err error) {
	if len(line) > maxReplyLineRead {
		return 0, false, "", &ProtocolError{"reply line too long"}
	}
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
		line[2] < '0' || line[2] > '9' {
		return 0, false, "", &ProtocolError{"malformed reply code: " + strconv.Quote(string(line[:min(len(line), 16)]))}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) == 3 {
		return code, false, "", nil
	}
	switch line[3] {
	case ' ':
	case '-':
		more = true
	default:
		return 0, false, "", &ProtocolError{"malformed reply line: " + strconv.Quote(string(line[:min(len(line), 16)]))}
	}
	return code, more, string(line[4:]), nil
}

// splitEnhanced splits an enhanced status code (RFC 2034 4.) off the start
// of text when it is there and its class matches the reply code.
func splitEnhanced(code int, text string) (EnhancedCode, string) {
	if len(text) < 5 || text[1] != '.' || int(text[0]-'0') != code/100 {
		return EnhancedCode{}, text
	}
	end := strings.IndexByte(text, ' ')
	if end < 0 {
		end = len(text)
	}
	enh, err := ParseEnhancedCode(text[:end])
	if err != nil {
		return EnhancedCode{}, text
	}
	if end < len(text) {
		end++
	}
	return enh, text[end:]
}

// EnhancedCode returns the enhanced status code of the first line, or the
// zero value.
func (r *Reply) EnhancedCode() EnhancedCode {
	if len(r.Lines) == 0 {
		return EnhancedCode{}
	}
	enh, _ := splitEnhanced(r.Code, r.Lines[0])
	return enh
}

// Message returns the text of the reply, lines joined by "\n", with the
// enhanced status code taken off each line that carries it.
func (r *Reply) Message() string {
	var sb strings.Builder
	for i, l := range r.Lines {
		if i > 0 {
			sb.WriteByte('\n')
		}
		_, text := splitEnhanced(r.Code, l)
		sb.WriteString(text)
	}
	return sb.String()
}

// Err returns nil for a positive reply (1yz to 3yz) and an *Error for a
// negative one (4yz, 5yz).
func (r *Reply) Err() error {
	if r.Code < 400 {
		return nil
	}
	return &Error{Code: r.Code, EnhancedCode: r.EnhancedCode(), Message: r.Message()}
}

// FormatReply returns a reply with the given lines (RFC 5321 4.2): every
// line but the last as "code-", the last as "code ", each prefixed with
// the enhanced status code unless it is zero (RFC 2034 4.). A text line
// holding line breaks is split in several lines; other control characters
// but tab become spaces, so no text can break the framing. A code outside
// 200 to 599 is written as 451 (local error in processing).
func FormatReply(code int, enh EnhancedCode, lines ...string) []byte {
	return AppendReply(nil, code, enh, lines...)
}

// AppendReply appends the reply FormatReply would return to dst.
func AppendReply(dst []byte, code int, enh EnhancedCode, lines ...string) []byte {
	if code < 200 || code > 599 {
		code = 451
	}
	if !enh.IsZero() && (!enh.Valid() || enh[0] != code/100) {
		enh = EnhancedCode{}
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	for i, l := range lines {
		last := i == len(lines)-1
		for {
			part, rest, split := strings.Cut(l, "\n")
			part = strings.TrimSuffix(part, "\r")
			dst = appendReplyLine(dst, code, enh, part, last && !split)
			if !split {
				break
			}
			l = rest
		}
	}
	return dst
}

func appendReplyLine(dst []byte, code int, enh EnhancedCode, text string, last bool) []byte {
	dst = strconv.AppendInt(dst, int64(code), 10)
	if !enh.IsZero() {
		if last {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, '-')
		}
		dst = enh.append(dst)
		if text != "" {
			dst = append(dst, ' ')
		}
	} else if text != "" || !last {
		if last {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, '-')
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < 32 && c != '\t' || c == 127 {
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}
