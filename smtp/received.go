package smtp

import (
	"cmp"
	"net"
	"strings"
	"time"
)

// Received is the trace field a server prepends to each message it
// accepts (RFC 5321 4.4):
//
//	Received: from <From> (<FromHost> [<FromIP>])
//		by <By> with <With> id <ID>
//		for <For>; <Time>
//
// Parts left empty are left out. Text the peer chose (From, For) is
// sanitised: it cannot break the field, end a comment or add a clause.
type Received struct {
	From     string    // the name the client gave in EHLO, HELO or LHLO; "unknown" if empty
	FromHost string    // the client's verified host name, if known
	FromIP   net.IP    // the client's address, if known
	By       string    // this host's name
	With     string    // the protocol, as ESMTPSA (RFC 3848); see Conn.Received
	ID       string    // this server's name for the message or session
	For      string    // the recipient, when the message has just one
	Time     time.Time // when the message was received
}

// String returns the field, folded, ending in CRLF.
func (r *Received) String() string {
	var b strings.Builder
	b.WriteString("Received: from ")
	b.WriteString(cmp.Or(traceText(r.From), "unknown"))
	host := traceText(r.FromHost)
	switch {
	case host != "" && r.FromIP != nil:
		b.WriteString(" (" + host + " " + ipLiteral(r.FromIP) + ")")
	case host != "":
		b.WriteString(" (" + host + ")")
	case r.FromIP != nil:
		b.WriteString(" (" + ipLiteral(r.FromIP) + ")")
	}
	b.WriteString("\r\n\tby ")
	b.WriteString(cmp.Or(traceText(r.By), "localhost"))
	if w := traceText(r.With); w != "" {
		b.WriteString(" with " + w)
	}
	if id := traceText(r.ID); id != "" {
		b.WriteString(" id " + id)
	}
	if f := traceText(r.For); f != "" {
		b.WriteString("\r\n\tfor <" + f + ">")
	}
	b.WriteString(";\r\n\t")
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	b.WriteString("\r\n")
	return b.String()
}

// traceText replaces what could break a Received field or change its
// meaning: controls, spaces, parentheses, backslashes (which would quote
// a comment's closing parenthesis), angle brackets and semicolons, and
// what is not ASCII, which a message without SMTPUTF8 may not carry in
// its header.
func traceText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r <= ' ' || r >= 0x7f, r == '(' || r == ')' || r == '\\', r == '<' || r == '>', r == ';':
			return '_'
		}
		return r
	}, s)
}

// ipLiteral writes ip as an address literal (RFC 5321 4.1.3):
// "[192.0.2.1]" or "[IPv6:2001:db8::1]".
func ipLiteral(ip net.IP) string {
	if ip4 := ip.To4(); ip4 != nil {
		return "[" + ip4.String() + "]"
	}
	return "[IPv6:" + ip.String() + "]"
}

// Received returns the trace field for a message received on c now,
// filled from the connection: the client's EHLO/HELO/LHLO name, the host
// name a trusted front end gave (XCLIENT), its IP address, and the
// protocol of RFC 3848 — SMTP after HELO, ESMTP after EHLO, LMTP in LMTP
// mode, the last two with "S" under TLS and "A" once authenticated
// (ESMTPSA). by names
// this host, id the message or session.
func (c *Conn) Received(by, id string) *Received {
	r := &Received{From: c.Hostname(), FromHost: c.RemoteHostname(), By: by, ID: id, Time: time.Now()}
	switch a := c.RemoteAddr().(type) {
	case *net.TCPAddr:
		r.FromIP = a.IP
	case *net.UDPAddr:
		r.FromIP = a.IP
	}
	switch {
	case c.srv.LMTP:
		r.With = "LMTP"
	case c.ehlo:
		r.With = "ESMTP"
	default:
		r.With = "SMTP" // HELO: RFC 3848 has no suffixed form
		return r
	}
	if _, ok := c.ConnectionState(); ok {
		r.With += "S"
	}
	if c.AuthIdentity() != "" {
		r.With += "A"
	}
	return r
}
