package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero values of Transport's fields.
const (
	// DefaultMaxMXHosts is how many mail exchangers Deliver tries for one
	// domain. RFC 5321 5.1 asks for at least two; a handful covers every
	// sane MX set without letting a hostile zone keep a delivery busy.
	DefaultMaxMXHosts = 5
	// DefaultConnectTimeout bounds the TCP connection to one host.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultCommandTimeout bounds the greeting, EHLO and STARTTLS
	// with its handshake (RFC 5321 4.5.3.2.1: 5 minutes for the greeting).
	DefaultCommandTimeout = 5 * time.Minute
	// DefaultTransactionTimeout bounds one mail transaction: MAIL, RCPT, DATA,
	// the message and the final reply. RFC 5321 4.5.3.2 allows 5 minutes
	// per command, 3 per data block and 10 for the final reply; 20 minutes
	// lets 25 MiB through a slow link.
	DefaultTransactionTimeout = 20 * time.Minute
)

// quitTimeout bounds QUIT after a transaction: the result is known by
// then, so a server slow to say goodbye must not hold it back.
const quitTimeout = 10 * time.Second

// MXResolver looks up the MX records of a domain. *net.Resolver
// satisfies it. A lookup that finds no MX records returns an empty list
// or a *net.DNSError with IsNotFound set; any other error is taken as a
// temporary DNS failure.
type MXResolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

var _ MXResolver = (*net.Resolver)(nil)

// TLSPolicy says how a Transport uses STARTTLS (RFC 3207).
type TLSPolicy int

const (
	// TLSOpportunistic uses STARTTLS when the server offers it and does
	// not verify the certificate (RFC 7435 opportunistic security: an
	// encrypted channel to an unauthenticated peer beats plain text). If
	// the handshake fails, the transport reconnects to the same host and
	// delivers in plain text; if the server refuses STARTTLS with a reply,
	// it goes on in plain text on the same connection.
	TLSOpportunistic TLSPolicy = iota
	// TLSRequired delivers only over STARTTLS with a certificate that
	// verifies against the MX host name (the name from DNS, not the mail
	// domain). A host without STARTTLS or with a certificate that does not
	// verify is skipped with a temporary failure.
	TLSRequired
	// TLSDisabled never uses STARTTLS.
	TLSDisabled
)

// String returns the policy's name.
func (p TLSPolicy) String() string {
	switch p {
	case TLSOpportunistic:
		return "opportunistic"
	case TLSRequired:
		return "required"
	case TLSDisabled:
		return "disabled"
	}
	return "TLSPolicy(" + strconv.Itoa(int(p)) + ")"
}

// Transport delivers mail to the mail exchangers of the recipients'
// domains (RFC 5321 5.1): it looks up MX records, tries the hosts in
// order of preference and sends the message with a Client. Its zero value
// is a working transport with the defaults documented on each field.
// A Transport is safe for concurrent use; it keeps no connection between
// calls.
//
// Deliver has the shape the delivery queue calls (package queue does not
// import smtp): one error per recipient, each with a Temporary method.
type Transport struct {
	// Resolver looks up MX records; nil means net.DefaultResolver.
	Resolver MXResolver
	// Dialer connects to "host:port", where host is an MX host name (the
	// dialer resolves it) or an IP address; nil means a net.Dialer.
	// Tests and proxies replace it.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
	// Port is the port dialed on every host; "25" if empty.
	Port string
	// LocalName is the name sent with EHLO (RFC 5321 4.1.1.1); the
	// machine's host name if empty, "localhost" if that fails.
	LocalName string
	// TLS is the STARTTLS policy; the zero value is TLSOpportunistic.
	TLS TLSPolicy
	// TLSConfig is the base TLS configuration, cloned for each host
	// (RootCAs, client certificates, versions). Its ServerName is
	// replaced by the MX host name, and its InsecureSkipVerify by the
	// policy: TLSOpportunistic does not verify, TLSRequired does.
	TLSConfig *tls.Config
	// ConnectTimeout bounds each TCP connection; DefaultConnectTimeout if 0.
	ConnectTimeout time.Duration
	// CommandTimeout bounds the greeting, EHLO and STARTTLS of each host;
	// DefaultCommandTimeout if 0.
	CommandTimeout time.Duration
	// TransactionTimeout bounds each mail transaction, message included;
	// DefaultTransactionTimeout if 0.
	TransactionTimeout time.Duration
	// MaxHosts is how many mail exchangers are tried per domain;
	// DefaultMaxMXHosts if 0.
	MaxHosts int
	// Shuffle puts mail exchangers of equal preference in random order
	// (RFC 5321 5.1 requires it to spread load); nil means
	// math/rand/v2.Shuffle. Tests set a function that keeps the order.
	Shuffle func(n int, swap func(i, j int))
	// Logger receives a record per host tried; nil discards them.
	Logger *slog.Logger
}

// DeliveryError is the result for a recipient that was not delivered.
// Every error Deliver returns is one. It says which host was involved,
// the remote reply if there was one, and an enhanced status code for a
// delivery status notification (RFC 3464).
//
// Its methods use only standard types, so that a caller that does not
// import this package (the queue) reads them through interfaces:
// Temporary, RemoteMTA, DiagnosticCode and Status.
type DeliveryError struct {
	// Host is the mail exchanger the result comes from, as named in DNS,
	// or the address of an address literal; "" when no host was reached
	// for a reason that concerns the whole domain (DNS, null MX).
	Host string
	// Reply is the server's refusal, nil when the failure was local
	// (connection, TLS, DNS, a missing extension).
	Reply *Error
	// Code is the enhanced status code (RFC 3463): Reply's when it has
	// one, else chosen by the transport. Its class (4 or 5) says whether
	// a local failure is temporary.
	Code EnhancedCode
	// Err is the local cause when Reply is nil.
	Err error
}

// Error implements error.
func (e *DeliveryError) Error() string {
	var sb strings.Builder
	sb.WriteString("smtp: ")
	if e.Host != "" {
		sb.WriteString(e.Host)
		sb.WriteString(": ")
	}
	switch {
	case e.Reply != nil:
		sb.WriteString(strings.TrimPrefix(e.Reply.Error(), "smtp: "))
	case e.Err != nil:
		sb.WriteString(e.Code.String())
		sb.WriteByte(' ')
		sb.WriteString(strings.TrimPrefix(e.Err.Error(), "smtp: "))
	default:
		sb.WriteString(e.Code.String())
	}
	return sb.String()
}

// Unwrap returns Reply, or Err when there is no reply.
func (e *DeliveryError) Unwrap() error {
	if e.Reply != nil {
		return e.Reply
	}
	return e.Err
}

// Temporary reports whether a later attempt may succeed: a 4yz reply,
// or a local failure of class 4 (connection, DNS, TLS, cancellation).
func (e *DeliveryError) Temporary() bool {
	if e.Reply != nil {
		return e.Reply.Temporary()
	}
	return e.Code[0] != 5
}

// RemoteMTA returns the host that gave the result, for the Remote-MTA
// field of a DSN (RFC 3464 2.3.5); "" if none.
func (e *DeliveryError) RemoteMTA() string { return e.Host }

// DiagnosticCode returns the remote reply on one line, as
// "550 5.1.1 No such user", for the Diagnostic-Code field of a DSN
// (RFC 3464 2.3.6, type smtp); "" when the failure was local.
func (e *DeliveryError) DiagnosticCode() string {
	if e.Reply == nil {
		return ""
	}
	s := strings.TrimPrefix(e.Reply.Error(), "smtp: ")
	return strings.ReplaceAll(s, "\n", " ")
}

// Status returns the enhanced status code as "4.4.1", for the Status
// field of a DSN (RFC 3464 2.3.4).
func (e *DeliveryError) Status() string { return e.Code.String() }

// replyErr wraps a refusal from host.
func mxReplyErr(host string, se *Error) *DeliveryError {
	code := se.EnhancedCode
	if code.IsZero() || code[0] != se.Code/100 {
		// RFC 3463 3.1: the class alone when the server gave no detail.
		code = EnhancedCode{se.Code / 100, 0, 0}
	}
	return &DeliveryError{Host: host, Reply: se, Code: code}
}

// localErr is a failure with no reply behind it.
func mxLocalErr(host string, code EnhancedCode, err error) *DeliveryError {
	return &DeliveryError{Host: host, Code: code, Err: err}
}

// hostErr wraps err, from talking to host: a refusal keeps its reply,
// anything else is a temporary failure with code.
func mxHostErr(host string, code EnhancedCode, err error) *DeliveryError {
	var se *Error
	if errors.As(err, &se) {
		return mxReplyErr(host, se)
	}
	return mxLocalErr(host, code, err)
}

// Enhanced status codes of local failures (RFC 3463 3., RFC 5248).
var (
	mxCodeTransient      = EnhancedCode{4, 0, 0}  // other or undefined status: cancellation
	mxCodeNoAnswer       = EnhancedCode{4, 4, 1}  // no answer from host
	mxCodeBadConn        = EnhancedCode{4, 4, 2}  // bad connection
	mxCodeDNS            = EnhancedCode{4, 4, 3}  // directory server failure
	mxCodeNoRoute        = EnhancedCode{5, 4, 4}  // unable to route
	mxCodeNoHost         = EnhancedCode{5, 1, 2}  // bad destination system address
	mxCodeNullMX         = EnhancedCode{5, 1, 10} // RFC 7505 4.: recipient address has null MX
	mxCodeRcptSyntax     = EnhancedCode{5, 1, 3}  // bad destination mailbox address syntax
	mxCodeBadArgs        = EnhancedCode{5, 5, 4}  // invalid command arguments
	mxCodeSenderSyntax   = EnhancedCode{5, 1, 7}  // bad sender's mailbox address syntax
	mxCodeSystem         = EnhancedCode{4, 3, 0}  // other or undefined mail system status
	mxCodeTooBig         = EnhancedCode{5, 3, 4}  // message too big for system
	mxCodeConversion     = EnhancedCode{5, 6, 3}  // conversion required but not supported
	mxCodeNoUTF8         = EnhancedCode{5, 6, 7}  // RFC 6531 3.7.4.1: non-ASCII addresses not permitted
	mxCodeTLSFailed      = EnhancedCode{4, 7, 5}  // cryptographic failure
	mxCodeTLSNeeded      = EnhancedCode{4, 7, 10} // encryption needed
	mxCodeRequireTLS     = EnhancedCode{5, 7, 30} // RFC 8689 4.2.1: REQUIRETLS support required
	mxCodeRequireTLSConn = EnhancedCode{5, 7, 10} // RFC 8689 4.2.1: encryption needed, permanently
)

// ErrMessageNotRewound is the cause of the results Deliver gives to a
// domain it could not send to because the message, an io.Reader without
// io.Seeker, had already been read for another domain. Those results are
// temporary: the caller delivers again, one domain per call.
var ErrMessageNotRewound = errors.New("smtp: message already read for another domain and cannot be re-read (not an io.Seeker)")

// Deliver sends the message read from msg from the reverse-path from ("" for
// the null path) to the recipients to, and returns one result per
// recipient, in order: nil when the remote server accepted the message for
// that recipient, else a *DeliveryError, whose Temporary method says
// whether to try again later.
//
// Recipients are grouped by domain (the part after the last @, compared
// without case); each domain gets its own transaction with its mail
// exchangers, one domain after another. An address literal
// (user@[192.0.2.1], user@[IPv6:2001:db8::1]) is delivered to that address
// without DNS. The message is read once per transaction; when recipients
// span domains, msg must be an io.Seeker to be read again from where it
// was at the call, otherwise the domains after the first that read it get
// ErrMessageNotRewound. A queue that calls once per domain never needs
// that.
//
// Deliver declares BODY=8BITMIME (RFC 6152) when the server offers it,
// as it cannot tell whether the message is 7-bit, SIZE (RFC 1870) when
// msg is an io.Seeker, and SMTPUTF8 (RFC 6531) when an address is not
// ASCII; see DeliverMail for a message whose header
// needs SMTPUTF8. Domains must be given in ASCII (A-labels, RFC 5890):
// Deliver does not convert internationalized domain names, and fails
// recipients of a non-ASCII domain with 5.1.2.
//
// The returned slice always has len(to) entries. Cancelling ctx stops the
// delivery; recipients not yet delivered then get a temporary error.
func (t *Transport) Deliver(ctx context.Context, from string, to []string, msg io.Reader) []error {
	return t.DeliverMail(ctx, from, to, msg, nil)
}

// DeliverMail is Deliver with the ESMTP parameters of MAIL FROM:
//
//   - Body: "" declares 8BITMIME when offered, as Deliver does; "8BITMIME"
//     or "BINARYMIME" the server does not offer fails with 5.6.3, as the
//     transport does not convert (RFC 6152 3.).
//   - UTF8: the message needs SMTPUTF8 even with ASCII addresses (a UTF-8
//     header, RFC 6532). Whenever SMTPUTF8 is needed and a server does not
//     offer it, the recipients fail with 5.6.7 (RFC 6531 3.2); without UTF8
//     and with an ASCII sender, only the non-ASCII recipients fail.
//   - Size: a message larger than the server's SIZE fails with 5.3.4
//     (RFC 1870 4.).
//   - Return and EnvelopeID are sent when the server offers DSN and
//     dropped otherwise (RFC 3461 5.2.2).
//   - RequireTLS (RFC 8689 4.2.1) forces TLSRequired for this delivery
//     and skips hosts that do not offer REQUIRETLS after STARTTLS; when
//     no host will do, the failure is permanent: 5.7.10 if TLS could not
//     be set up, 5.7.30 if REQUIRETLS was missing. The transport does
//     not check the MX records with DNSSEC or MTA-STS (step 2).
//   - Auth is sent when the server offers AUTH.
//   - Rcpt gives each recipient's NOTIFY and ORCPT (Rcpt[i] goes with
//     to[i]); they are sent when the server offers DSN and dropped
//     otherwise (RFC 3461 5.2.2).
func (t *Transport) DeliverMail(ctx context.Context, from string, to []string, msg io.Reader, opts *MailOptions) []error {
	res := make([]error, len(to))
	if len(to) == 0 {
		return res
	}
	d := &delivery{t: t, from: from, body: msg, localName: t.localName(), policy: t.TLS}
	if opts != nil {
		d.opts = *opts
		if d.opts.RequireTLS {
			d.policy = TLSRequired
		}
	}
	for i, o := range d.opts.Rcpt {
		if i < len(to) && o != nil {
			// One recipient's bad NOTIFY or ORCPT fails it alone, and
			// for good, not its whole domain at RCPT time.
			if err := writeRcptParams(new(strings.Builder), o); err != nil {
				res[i] = mxLocalErr("", mxCodeBadArgs, err)
			}
		}
	}
	groups := groupRecipients(to, res)
	var refuse error
	switch {
	case !mxValidPath(from):
		refuse = mxLocalErr("", mxCodeSenderSyntax, errors.New("smtp: sender address cannot be sent: "+mxQuote(from)))
	case !validMailOptions(&d.opts):
		refuse = mxLocalErr("", mxCodeBadArgs, errors.New("smtp: invalid MailOptions"))
	}
	if refuse != nil {
		for _, g := range groups {
			for _, i := range g.idx {
				res[i] = refuse
			}
		}
		return res
	}
	seeker, _ := msg.(io.Seeker)
	var start int64
	if seeker != nil {
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seeker = nil
		} else if d.opts.Size == 0 {
			// RFC 1870 4.: declare the size, so that a server whose
			// limit it passes says so before the transfer.
			if end, err := seeker.Seek(0, io.SeekEnd); err == nil && end > start {
				d.opts.Size = end - start
			}
			if _, err := seeker.Seek(start, io.SeekStart); err != nil {
				seeker = nil
				d.read = true // position lost: no domain can be sent
			}
		}
	}
	for _, g := range groups {
		var per []error
		rcpts := make([]string, len(g.idx))
		d.rcptOpts = nil
		for j, i := range g.idx {
			rcpts[j] = to[i]
			if i < len(d.opts.Rcpt) && d.opts.Rcpt[i] != nil {
				if d.rcptOpts == nil {
					d.rcptOpts = make([]*RcptOptions, len(g.idx))
				}
				d.rcptOpts[j] = d.opts.Rcpt[i]
			}
		}
		switch {
		case ctx.Err() != nil:
			per = mxFill(len(rcpts), mxLocalErr("", mxCodeTransient, ctx.Err()))
		case d.read && seeker == nil:
			per = mxFill(len(rcpts), mxLocalErr("", mxCodeSystem, ErrMessageNotRewound))
		default:
			if d.read {
				if _, err := seeker.Seek(start, io.SeekStart); err != nil {
					per = mxFill(len(rcpts), mxLocalErr("", mxCodeSystem, err))
					break
				}
				d.read = false
			}
			per = d.deliverDomain(ctx, g.domain, rcpts)
		}
		for j, i := range g.idx {
			res[i] = per[j]
		}
	}
	return res
}

// DeliverDSN is DeliverMail with only the DSN parameters, given as plain
// strings so that a delivery queue can pass them on without importing
// this package (RFC 3461 5.2: a relay passes NOTIFY, ORCPT, RET and ENVID
// to a next hop that offers DSN). ret is "", "FULL" or "HDRS"; envID is
// the ENVID, xtext decoded. notify and orcpt, when not nil, have an entry
// per recipient: notify[i] is "", "NEVER" or a comma-separated list of
// SUCCESS, FAILURE and DELAY; orcpt[i] is "" or "addr-type;address" with
// the address xtext decoded, as "rfc822;user@example.org".
func (t *Transport) DeliverDSN(ctx context.Context, from string, to []string, msg io.Reader, ret, envID string, notify, orcpt []string) []error {
	opts := &MailOptions{Return: ret, EnvelopeID: envID}
	for i := range to {
		var o RcptOptions
		if i < len(notify) && notify[i] != "" {
			o.Notify = strings.Split(notify[i], ",")
		}
		if i < len(orcpt) && orcpt[i] != "" {
			typ, addr, ok := strings.Cut(orcpt[i], ";")
			if !ok {
				typ, addr = "rfc822", orcpt[i]
			}
			o.OriginalRecipientType, o.OriginalRecipient = typ, addr
		}
		if o.Notify == nil && o.OriginalRecipient == "" {
			continue
		}
		if opts.Rcpt == nil {
			opts.Rcpt = make([]*RcptOptions, len(to))
		}
		opts.Rcpt[i] = &o
	}
	return t.DeliverMail(ctx, from, to, msg, opts)
}

// validMailOptions reports whether o has only values mailLine takes.
func validMailOptions(o *MailOptions) bool {
	switch strings.ToUpper(o.Body) {
	case "", "7BIT", "8BITMIME", "BINARYMIME":
	default:
		return false
	}
	switch strings.ToUpper(o.Return) {
	case "", "FULL", "HDRS":
	default:
		return false
	}
	return o.Size >= 0
}

func mxFill(n int, err error) []error {
	per := make([]error, n)
	for i := range per {
		per[i] = err
	}
	return per
}

func (t *Transport) localName() string {
	if t.LocalName != "" {
		return t.LocalName
	}
	if h, err := os.Hostname(); err == nil && h != "" && safe(h) && !strings.ContainsRune(h, ' ') {
		return h
	}
	return "localhost"
}

func (t *Transport) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// domainGroup is the recipients of one domain, by index into to.
type domainGroup struct {
	domain string // lower case
	idx    []int
}

// groupRecipients groups to by domain in order of first appearance and
// sets res for the addresses that cannot be sent.
func groupRecipients(to []string, res []error) []domainGroup {
	var groups []domainGroup
	index := make(map[string]int)
	for i, addr := range to {
		if res[i] != nil {
			continue // refused already
		}
		at := strings.LastIndexByte(addr, '@')
		if at <= 0 || at == len(addr)-1 || !mxValidPath(addr) {
			res[i] = mxLocalErr("", mxCodeRcptSyntax, errors.New("smtp: recipient address cannot be sent: "+mxQuote(addr)))
			continue
		}
		dom := strings.ToLower(addr[at+1:])
		k, ok := index[dom]
		if !ok {
			k = len(groups)
			index[dom] = k
			groups = append(groups, domainGroup{domain: dom})
		}
		groups[k].idx = append(groups[k].idx, i)
	}
	return groups
}

// validPath reports whether addr can go into MAIL or RCPT as it is.
func mxValidPath(addr string) bool {
	return safe(addr) && !strings.ContainsAny(addr, "<> ")
}

func mxQuote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return "<" + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s) + ">"
}

// mxHost is one mail exchanger to try.
type mxHost struct {
	name     string // host name without the final dot, or an IP address
	implicit bool   // the domain itself, for lack of MX records
}

// hosts returns the mail exchangers of domain in the order to try them
// (RFC 5321 5.1), or the error that ends delivery to the domain.
func (t *Transport) hosts(ctx context.Context, domain string) ([]mxHost, *DeliveryError) {
	if strings.HasPrefix(domain, "[") {
		ip, ok := addressLiteral(domain)
		if !ok {
			return nil, mxLocalErr("", mxCodeNoHost, errors.New("smtp: unusable address literal "+domain))
		}
		return []mxHost{{name: ip}}, nil
	}
	if !mxASCII(domain) {
		// RFC 6531 3.2: DNS wants A-labels; converting U-labels takes
		// IDNA tables this package does not carry.
		return nil, mxLocalErr("", mxCodeNoHost, errors.New("smtp: internationalized domain "+domain+" must be given in A-labels (RFC 5890)"))
	}
	var r MXResolver = net.DefaultResolver
	if t.Resolver != nil {
		r = t.Resolver
	}
	mxs, err := r.LookupMX(ctx, domain)
	if err != nil && len(mxs) == 0 {
		if ctx.Err() != nil {
			return nil, mxLocalErr("", mxCodeTransient, ctx.Err())
		}
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			// RFC 5321 5.1: a temporary error queues the message.
			return nil, mxLocalErr("", mxCodeDNS, err)
		}
		// Go's resolver reports both NXDOMAIN and "no MX records" as
		// not found; dialing the implicit MX tells them apart.
	}
	mxs = slices.DeleteFunc(slices.Clone(mxs), func(mx *net.MX) bool { return mx == nil })
	// RFC 7505 3.: a null MX is a single record with the target ".".
	if len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == "") {
		return nil, mxLocalErr("", mxCodeNullMX, errors.New("smtp: "+domain+" has a null MX record: it accepts no mail (RFC 7505)"))
	}
	if len(mxs) == 0 {
		// RFC 5321 5.1: no MX records, the domain is its own implicit MX.
		return []mxHost{{name: strings.TrimSuffix(domain, "."), implicit: true}}, nil
	}
	slices.SortStableFunc(mxs, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })
	shuffle := rand.Shuffle
	if t.Shuffle != nil {
		shuffle = t.Shuffle
	}
	// RFC 5321 5.1: randomize hosts of equal preference.
	for i := 0; i < len(mxs); {
		j := i + 1
		for j < len(mxs) && mxs[j].Pref == mxs[i].Pref {
			j++
		}
		if j-i > 1 {
			run := mxs[i:j]
			shuffle(len(run), func(a, b int) { run[a], run[b] = run[b], run[a] })
		}
		i = j
	}
	limit := t.MaxHosts
	if limit <= 0 {
		limit = DefaultMaxMXHosts
	}
	var hosts []mxHost
	for _, mx := range mxs {
		name := strings.TrimSuffix(mx.Host, ".")
		if name == "" || !safe(name) || strings.ContainsAny(name, " /") {
			continue // a "." beside real records, or garbage
		}
		if len(hosts) == limit {
			break
		}
		hosts = append(hosts, mxHost{name: name})
	}
	if len(hosts) == 0 {
		// RFC 5321 5.1: MX records present but none usable is an error.
		return nil, mxLocalErr("", mxCodeNoRoute, errors.New("smtp: no usable MX record for "+domain))
	}
	return hosts, nil
}

// addressLiteral returns the IP address of an address literal
// (RFC 5321 4.1.3): [192.0.2.1] or [IPv6:2001:db8::1].
func addressLiteral(dom string) (string, bool) {
	if !strings.HasPrefix(dom, "[") || !strings.HasSuffix(dom, "]") {
		return "", false
	}
	lit := dom[1 : len(dom)-1]
	v6 := false
	if len(lit) > 5 && strings.EqualFold(lit[:5], "ipv6:") {
		lit, v6 = lit[5:], true
	}
	ip, err := netip.ParseAddr(lit)
	if err != nil || ip.Zone() != "" || ip.Is4() == v6 {
		return "", false
	}
	return ip.String(), true
}
