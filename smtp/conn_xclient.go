package smtp

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// xclientAttrs are the XCLIENT attributes this server takes, as listed in
// its EHLO reply.
const xclientAttrs = "NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT"

// xclientUnknown reports whether v is one of the values XCLIENT uses for
// "not known": [UNAVAILABLE] and [TEMPUNAVAIL].
func xclientUnknown(v string) bool {
	return strings.EqualFold(v, "[UNAVAILABLE]") || strings.EqualFold(v, "[TEMPUNAVAIL]")
}

// xclient answers XCLIENT, Postfix's extension by which a trusted front
// end (a proxy, a content filter) hands on the original client's
// address, host name and login:
//
//	XCLIENT SP attribute-name "=" xtext *( SP attribute-name "=" xtext )
//
// Only a client the Server.XCLIENT function trusts may use it, never
// inside a transaction. Accepted attributes replace what the connection
// reports (RemoteAddr, LocalAddr, RemoteHostname, AuthIdentity); the
// session ends and a new one starts as if the original client had just
// connected, with a new 220 greeting, so the front end says EHLO again.
// HELO and PROTO are accepted and ignored: the EHLO that follows gives
// them.
func (c *Conn) xclient(args string) bool {
	if !c.xclientTrusted {
		return c.badCommand(550, EnhancedCode{5, 7, 0}, "Insufficient authorization for XCLIENT")
	}
	if c.inTx {
		return c.badCommand(503, EnhancedCode{5, 5, 1}, "XCLIENT not permitted during a transaction")
	}
	if args == "" {
		return c.badCommand(501, EnhancedCode{5, 5, 4}, "Syntax: XCLIENT attribute=value ...")
	}
	remote, local := tcpAddrOf(c.RemoteAddr()), tcpAddrOf(c.LocalAddr())
	name, login, loginSet := c.remoteName, "", false
	for _, f := range strings.Fields(args) {
		k, raw, ok := strings.Cut(f, "=")
		if !ok {
			return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad XCLIENT attribute "+f)
		}
		v, err := DecodeXtext(raw)
		if err != nil || !safe(v) {
			return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad XCLIENT value for "+k)
		}
		unknown := xclientUnknown(v)
		switch strings.ToUpper(k) {
		case "NAME":
			name = v
			if unknown {
				name = ""
			}
		case "ADDR", "DESTADDR":
			a := remote
			if strings.EqualFold(k, "DESTADDR") {
				a = local
			}
			if unknown {
				a.IP = nil
			} else if ip, ok := parseXclientAddr(v); ok {
				a.IP = ip
			} else {
				return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad XCLIENT address "+v)
			}
			if strings.EqualFold(k, "DESTADDR") {
				local = a
			} else {
				remote = a
			}
		case "PORT", "DESTPORT":
			p := 0
			if !unknown {
				n, err := strconv.ParseUint(v, 10, 16)
				if err != nil {
					return c.badCommand(501, EnhancedCode{5, 5, 4}, "Bad XCLIENT port "+v)
				}
				p = int(n)
			}
			if strings.EqualFold(k, "DESTPORT") {
				local.Port = p
			} else {
				remote.Port = p
			}
		case "LOGIN":
			login, loginSet = v, true
			if unknown {
				login = ""
			}
		case "HELO", "PROTO":
		default:
			return c.badCommand(501, EnhancedCode{5, 5, 4}, "Unknown XCLIENT attribute "+k)
		}
	}
	// Start over as the original client.
	c.resetTx()
	if c.session != nil {
		if err := c.session.Logout(); err != nil {
			c.log().Error("smtp: logout", "err", err)
		}
		c.session = nil
	}
	c.remoteAddr, c.localAddr, c.remoteName = remote, local, name
	c.helo, c.ehlo = "", false
	// The front end's own AUTH, if any, is not the original client's:
	// only LOGIN says who that is, and an earlier XCLIENT's LOGIN stays
	// until another changes it.
	if loginSet {
		c.xclientLogin = login
	}
	c.authID = c.xclientLogin
	c.errors, c.authFailures = 0, 0
	return c.greet()
}

// tcpAddrOf copies a as a *net.TCPAddr (zero if it is of another kind).
func tcpAddrOf(a net.Addr) *net.TCPAddr {
	if ta, ok := a.(*net.TCPAddr); ok {
		cp := *ta
		return &cp
	}
	return &net.TCPAddr{}
}

// parseXclientAddr parses an XCLIENT address: IPv4 dotted, or IPv6 with
// the "IPV6:" prefix (RFC 5321 4.1.3 style).
func parseXclientAddr(v string) (net.IP, bool) {
	if len(v) > 5 && strings.EqualFold(v[:5], "IPV6:") {
		a, err := netip.ParseAddr(v[5:])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return nil, false
		}
		return net.IP(a.AsSlice()), true
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return nil, false
	}
	return net.IP(a.AsSlice()), true
}
