package main

import (
	"fmt"
	"io"
	"net"
	"text/tabwriter"
)

// banner prints where the system listens, the accounts, and how to connect
// with common clients.
func (a *app) banner(w io.Writer) {
	fmt.Fprintf(w, "postkit mailserver for @%s, data in %s\n\n", a.cfg.domain, a.cfg.data)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range []struct{ name, what string }{
		{"smtp", "SMTP (MX: mail for local users from anyone, STARTTLS)"},
		{"submission", "submission (AUTH PLAIN/LOGIN required, STARTTLS)"},
		{"imap", "IMAP4rev1/IMAP4rev2 (STARTTLS)"},
		{"pop3", "POP3 (STLS)"},
		{"http", "webmail (page at /, JSON API under /api/)"},
	} {
		if addr, ok := a.addrs[l.name]; ok {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", l.name, addr, l.what)
		} else {
			fmt.Fprintf(tw, "  %s\toff\t\n", l.name)
		}
	}
	tw.Flush()
	if a.cfg.relay != "" {
		fmt.Fprintf(w, "\nOutgoing mail goes through the smarthost %s.\n", a.cfg.relay)
	} else {
		fmt.Fprintf(w, "\nOutgoing mail goes to the recipients' MX hosts (port 25).\n")
	}
	fmt.Fprintf(w, "TLS: %s\n\nAccounts (log in with the full address):\n", a.tlsInfo)
	for _, addr := range a.users.addresses() {
		if a.demoPassword != "" {
			fmt.Fprintf(w, "  %s  password: %s  (demo account; kept in %s/demo-password)\n", addr, a.demoPassword, a.cfg.data)
		} else {
			fmt.Fprintf(w, "  %s\n", addr)
		}
	}
	user := a.users.addresses()[0]
	pass := "PASSWORD"
	if a.demoPassword != "" {
		pass = a.demoPassword
	}
	fmt.Fprintf(w, "\nTry it:\n")
	if addr, ok := a.addrs["smtp"]; ok {
		h, p := hostPort(addr)
		fmt.Fprintf(w, "  swaks --server %s --port %s --to %s --from someone@example.org\n", h, p, user)
	}
	if addr, ok := a.addrs["submission"]; ok {
		h, p := hostPort(addr)
		fmt.Fprintf(w, "  swaks --server %s --port %s -tls --auth PLAIN --auth-user %s --auth-password '%s' \\\n      --from %s --to %s\n", h, p, user, pass, user, user)
	}
	if addr, ok := a.addrs["imap"]; ok {
		h, p := hostPort(addr)
		fmt.Fprintf(w, "  openssl s_client -quiet -starttls imap -connect %s:%s   then: a LOGIN %s %s\n", h, p, user, pass)
	}
	if addr, ok := a.addrs["pop3"]; ok {
		h, p := hostPort(addr)
		fmt.Fprintf(w, "  python3 -c \"import poplib; p=poplib.POP3('%s',%s); p.user('%s'); p.pass_('%s'); print(p.stat())\"\n", h, p, user, pass)
	}
	if addr, ok := a.addrs["http"]; ok {
		fmt.Fprintf(w, "  open http://%s/\n", addr)
	}
	fmt.Fprintf(w, "Mail clients (Thunderbird, mutt): IMAP and SMTP as above, STARTTLS, normal password,\n"+
		"accept the self-signed certificate. Ctrl-C stops; everything is kept in %s.\n\n", a.cfg.data)
}

func hostPort(addr string) (string, string) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, ""
	}
	return h, p
}
