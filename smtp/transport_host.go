package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"time"
)

// delivery is the state of one DeliverMail call.
type delivery struct {
	t         *Transport
	from      string
	body      io.Reader
	read      bool // body read by a transaction: it must be rewound
	localName string
	policy    TLSPolicy
	opts      MailOptions
	// rcptOpts are the RCPT options of the recipients of the domain
	// being delivered (from opts.Rcpt), in the order of its rcpts; nil
	// when there are none.
	rcptOpts []*RcptOptions
}

// deliverDomain delivers to rcpts, all of one domain, trying its mail
// exchangers in turn. A host that fails before the message went out
// (no connection, a refused greeting, EHLO or MAIL, TLS under
// TLSRequired, a broken connection) passes the recipients to the next
// host; a result from the transaction itself is final.
func (d *delivery) deliverDomain(ctx context.Context, domain string, rcpts []string) []error {
	log := d.t.logger().With("domain", domain)
	hosts, err := d.t.hosts(ctx, domain)
	if err != nil {
		log.Info("smtp: no mail exchanger", "err", err)
		return mxFill(len(rcpts), err)
	}
	var last *DeliveryError
	notFound := 0
	for _, h := range hosts {
		per, herr := d.tryHost(ctx, h, rcpts)
		if herr == nil {
			return per
		}
		log.Info("smtp: mail exchanger failed", "host", h.name, "err", herr)
		if ctx.Err() != nil {
			return mxFill(len(rcpts), mxLocalErr(h.name, mxCodeTransient, ctx.Err()))
		}
		last = herr
		var dnsErr *net.DNSError
		if errors.As(herr.Err, &dnsErr) && dnsErr.IsNotFound {
			notFound++
		}
	}
	if notFound == len(hosts) {
		// RFC 5321 5.1: no usable MX, or an unusable implicit MX (the
		// domain has neither MX nor address records), is an error.
		code := mxCodeNoRoute
		if hosts[0].implicit {
			code = mxCodeNoHost
		}
		last = mxLocalErr("", code, errors.New("smtp: no address for the mail exchangers of "+domain+": "+last.Err.Error()))
	}
	return mxFill(len(rcpts), last)
}

// tryHost runs a session with one host; under TLSOpportunistic a failed
// handshake is followed by a second session in plain text.
func (d *delivery) tryHost(ctx context.Context, h mxHost, rcpts []string) ([]error, *DeliveryError) {
	per, herr, tlsFailed := d.session(ctx, h.name, rcpts, d.policy)
	if tlsFailed && ctx.Err() == nil {
		d.t.logger().Info("smtp: TLS handshake failed, retrying in plain text", "host", h.name, "err", herr)
		per, herr, _ = d.session(ctx, h.name, rcpts, TLSDisabled)
	}
	return per, herr
}

// session connects to host and runs one transaction. It returns the
// per-recipient results, or a host failure after which the next host may
// be tried; tlsFailed reports a failed opportunistic handshake.
func (d *delivery) session(ctx context.Context, host string, rcpts []string, policy TLSPolicy) (per []error, herr *DeliveryError, tlsFailed bool) {
	t := d.t
	port := t.Port
	if port == "" {
		port = "25"
	}
	dial := t.Dialer
	if dial == nil {
		var nd net.Dialer
		dial = nd.DialContext
	}
	cctx, cancel := context.WithTimeout(ctx, mxTimeout(t.ConnectTimeout, DefaultConnectTimeout))
	conn, err := dial(cctx, "tcp", net.JoinHostPort(host, port))
	cancel()
	if err != nil {
		return nil, mxLocalErr(host, mxCodeNoAnswer, err), false
	}
	cctx, cancel = context.WithTimeout(ctx, mxTimeout(t.CommandTimeout, DefaultCommandTimeout))
	defer cancel()
	c, err := newClient(cctx, conn, host)
	if err != nil {
		return nil, mxHostErr(host, mxCodeNoAnswer, err), false
	}
	// QUIT ends every session, also one left for another host (RFC 8689
	// 4.2.1 asks for it); on a connection out of sync it just closes.
	defer d.quit(ctx, c)
	c.LocalName = d.localName
	if err := c.Hello(cctx, d.localName); err != nil {
		return nil, mxHostErr(host, mxCodeBadConn, err), false
	}
	if herr, tlsFailed := d.startTLS(cctx, c, host, policy); herr != nil {
		return nil, herr, tlsFailed
	}
	cancel()

	opts, per, send := d.prepare(c, host, rcpts)
	if len(send) == 0 {
		return per, nil, false
	}
	sendTo := make([]string, len(send))
	for j, i := range send {
		sendTo[j] = rcpts[i]
	}
	sctx, cancel := context.WithTimeout(ctx, mxTimeout(t.TransactionTimeout, DefaultTransactionTimeout))
	defer cancel()
	br := &trackedReader{r: d.body}
	var body io.Reader = br
	if sk, ok := d.body.(io.Seeker); ok {
		// Send rewinds for further transactions when the server limits
		// recipients (LIMITS RCPTMAX).
		body = trackedReadSeeker{br, sk}
	}
	results, err := c.Send(sctx, d.from, sendTo, body, opts)
	if br.read {
		d.read = true
	}
	var se *Error
	isReply := errors.As(err, &se)
	if err != nil && !br.read && !errors.Is(err, ErrNoRecipients) {
		// Nothing went out. A 4yz to MAIL or DATA (RFC 5321 4.2.1; 421
		// closes the connection, 3.8) or a broken connection concerns
		// this host: try the next. A 5yz to MAIL or DATA refuses the
		// message.
		if !isReply || se.Temporary() {
			return nil, mxHostErr(host, mxCodeBadConn, err), false
		}
	}
	// The transaction's results are final: no other host is tried once
	// the message may have gone out (RFC 5321 6.1 accepts a duplicate over
	// a loss, but only after a timeout, which is the queue's business).
	for j, i := range send {
		var r error
		if results != nil {
			r = results[j]
		}
		switch {
		case r != nil:
			per[i] = mxHostErr(host, mxCodeBadConn, r)
		case err == nil:
			per[i] = nil
		case ctx.Err() != nil:
			per[i] = mxLocalErr(host, mxCodeTransient, ctx.Err())
		case errors.Is(err, ErrNoRecipients):
			// Every recipient has its own reply; not reached.
			per[i] = mxLocalErr(host, mxCodeBadConn, err)
		default:
			per[i] = mxHostErr(host, mxCodeBadConn, err)
		}
	}
	t.logger().Debug("smtp: transaction done", "host", host, "tls", c.TLS(), "recipients", len(send), "err", err)
	return per, nil, false
}

// startTLS applies policy to c after EHLO (RFC 3207). It returns a host
// failure, and whether it was a failed opportunistic handshake after
// which the connection is unusable and a plain one should be tried.
func (d *delivery) startTLS(ctx context.Context, c *Client, host string, policy TLSPolicy) (*DeliveryError, bool) {
	if policy == TLSDisabled {
		return nil, false
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if policy == TLSRequired {
			return d.tlsErr(host, mxCodeTLSNeeded, errors.New("smtp: STARTTLS required but not offered")), false
		}
		return nil, false
	}
	cfg := &tls.Config{}
	if d.t.TLSConfig != nil {
		cfg = d.t.TLSConfig.Clone()
	}
	// RFC 7435 4.: opportunistic security does not authenticate; a
	// required TLS checks the certificate against the MX host name.
	cfg.ServerName = host
	cfg.InsecureSkipVerify = policy == TLSOpportunistic
	err := c.StartTLS(ctx, cfg)
	if err == nil {
		if d.opts.RequireTLS {
			// RFC 8689 4.2.1 step 5.
			if ok, _ := c.Extension("REQUIRETLS"); !ok {
				return mxLocalErr(host, mxCodeRequireTLS, errors.New("smtp: REQUIRETLS not offered")), false
			}
		}
		return nil, false
	}
	var se *Error
	switch {
	case c.TLS():
		// The handshake worked; EHLO after it failed.
		return mxHostErr(host, mxCodeBadConn, err), false
	case errors.As(err, &se):
		// STARTTLS refused with a reply (454): the connection is in sync.
		if policy == TLSRequired {
			// Our policy failed, not the message: temporary, with the
			// server's reply when that is temporary too (tlsErr), even
			// if the refusal was a 5yz.
			if !d.opts.RequireTLS && se.Temporary() {
				return mxReplyErr(host, se), false
			}
			return d.tlsErr(host, mxCodeTLSNeeded, err), false
		}
		return nil, false
	case policy == TLSRequired:
		return d.tlsErr(host, mxCodeTLSFailed, err), false
	default:
		return mxLocalErr(host, mxCodeTLSFailed, err), true
	}
}

// tlsErr is a failure to set up TLS under TLSRequired: temporary, as
// the server may be fixed, except for a message that requires TLS
// itself, which RFC 8689 4.2.1 returns to the sender with 5.7.10.
func (d *delivery) tlsErr(host string, code EnhancedCode, err error) *DeliveryError {
	if d.opts.RequireTLS {
		code = mxCodeRequireTLSConn
	}
	return mxLocalErr(host, code, err)
}

// prepare chooses the MAIL parameters for the server c and the
// recipients to send: per holds a final result for each recipient left
// out, send the indices of the others.
func (d *delivery) prepare(c *Client, host string, rcpts []string) (*MailOptions, []error, []int) {
	opts := d.opts
	per := make([]error, len(rcpts))
	refuseAll := func(err error) (*MailOptions, []error, []int) {
		return nil, mxFill(len(rcpts), err), nil
	}
	has := func(ext string) bool { ok, _ := c.Extension(ext); return ok }

	switch b := strings.ToUpper(opts.Body); {
	case b == "" && has("8BITMIME"):
		// RFC 6152 3.: the transport cannot tell a 7-bit message from an
		// 8-bit one, so it declares 8BITMIME whenever it may.
		opts.Body = "8BITMIME"
	case b == "8BITMIME" && !has("8BITMIME"),
		b == "BINARYMIME" && !(has("BINARYMIME") && has("CHUNKING")):
		return refuseAll(mxLocalErr(host, mxCodeConversion, errors.New("smtp: server does not offer BODY="+b)))
	}
	if max := c.MaxMessageSize(); opts.Size > 0 && max > 0 && opts.Size > max {
		// RFC 1870 4.: what passes the server's SIZE fails with 552.
		return refuseAll(mxLocalErr(host, mxCodeTooBig, errors.New("smtp: message larger than the server's SIZE")))
	}
	opts.Rcpt = nil
	if !has("DSN") {
		// RFC 3461 5.2.2 (a): no DSN parameters to a server without
		// DSN.
		opts.Return, opts.EnvelopeID = "", ""
	}

	// RFC 6531 3.2: no non-ASCII address, and no UTF-8 header, to a
	// server without SMTPUTF8.
	msgUTF8 := opts.UTF8 || !mxASCII(d.from)
	utf8OK := has("SMTPUTF8")
	noUTF8 := mxLocalErr(host, mxCodeNoUTF8, errors.New("smtp: server does not offer SMTPUTF8, needed for a non-ASCII address or header"))
	if msgUTF8 && !utf8OK {
		return refuseAll(noUTF8)
	}
	opts.UTF8 = msgUTF8
	var send []int
	for i, r := range rcpts {
		if !mxASCII(r) {
			if !utf8OK {
				per[i] = noUTF8
				continue
			}
			opts.UTF8 = true
		}
		send = append(send, i)
	}
	if d.rcptOpts != nil && has("DSN") {
		// RFC 3461 5.2.2: NOTIFY and ORCPT go on to a server that
		// offers DSN, each with its recipient.
		opts.Rcpt = make([]*RcptOptions, len(send))
		for j, i := range send {
			opts.Rcpt[j] = d.rcptOpts[i]
		}
	}
	return &opts, per, send
}

// quit sends QUIT and closes the connection, with a short bound: the
// results are known already. A Client out of sync closes at once.
func (d *delivery) quit(ctx context.Context, c *Client) {
	qctx, cancel := context.WithTimeout(ctx, min(quitTimeout, mxTimeout(d.t.CommandTimeout, DefaultCommandTimeout)))
	defer cancel()
	c.Quit(qctx)
}

// trackedReader records whether the message was read at all: once it
// was, the transaction reached its data and no other host may be tried.
type trackedReader struct {
	r    io.Reader
	read bool
}

func (t *trackedReader) Read(p []byte) (int, error) {
	t.read = true
	return t.r.Read(p)
}

// trackedReadSeeker is a trackedReader over a message that can seek.
type trackedReadSeeker struct {
	*trackedReader
	s io.Seeker
}

func (t trackedReadSeeker) Seek(offset int64, whence int) (int64, error) {
	return t.s.Seek(offset, whence)
}

func mxASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// mxTimeout returns v, or d when v is not positive.
func mxTimeout(v, d time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return d
}
