package queue

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

// The actions of a delivery status notification (RFC 3464 2.3.3).
const (
	ActionFailed  = "failed"
	ActionDelayed = "delayed"
	ActionRelayed = "relayed"
)

// dsnAction is what a notification says of recipient r.
func dsnAction(r *Recipient) string {
	switch r.State {
	case Failed:
		return ActionFailed
	case Delivered:
		// The queue cannot tell whether the next hop took the DSN
		// parameters (a DSNDeliverer passes them on only to a server
		// that offers DSN), so a success is reported as "relayed"
		// (RFC 3461 5.2.2, 6.2.1 d); after a DSN-capable next hop the
		// sender may also get its "delivered".
		return ActionRelayed
	}
	return ActionDelayed
}

// notify queues a delivery status notification to env's sender for the
// recipients at the indexes report, from the null sender. If the
// notification cannot be built with the original message or its header
// (a header too large to parse, a body that cannot be read), it is sent
// without that third part, which RFC 3464 2. makes optional: a message
// whose notification cannot be built must not stay in the queue for it.
// An error is returned only when the store could not take the
// notification, which a later round tries again.
func (q *Queue) notify(ctx context.Context, env *Envelope, report []int, expiry, now time.Time) error {
	body, err := q.Store.Open(ctx, env.ID)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		body = nil // the original is gone: report without it
	} else {
		defer body.Close()
	}
	id, werr, err := q.queueDSN(ctx, env, report, body, expiry, now)
	if err != nil && body != nil && werr != nil {
		q.logger().Warn("queue: notification sent without the original message", "id", env.ID, "err", werr)
		id, _, err = q.queueDSN(ctx, env, report, nil, expiry, now)
	}
	if err != nil {
		return err
	}
	if q.Hooks.Notified != nil {
		actions := make([]string, len(report))
		for k, i := range report {
			actions[k] = dsnAction(&env.Recipients[i])
		}
		q.Hooks.Notified(env.ID, id, actions)
	}
	return nil
}

// queueDSN builds a notification (without the original if orig is nil)
// and enqueues it. It returns the new message's id, the error of building
// it (nil if the building did not fail, or stopped only because the store
// stopped reading), and the error of enqueueing it.
func (q *Queue) queueDSN(ctx context.Context, env *Envelope, report []int, orig Body, expiry, now time.Time) (string, error, error) {
	pr, pw := io.Pipe()
	werrC := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(pw, 32<<10)
		err := q.writeDSN(bw, env, report, orig, expiry, now)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
		werrC <- err
	}()
	dsn := &Envelope{
		From:       "", // RFC 3464 2. and RFC 5321 4.5.5: notifications go from the null sender
		Recipients: []Recipient{{Addr: env.From, Notify: NotifyNever}},
		Meta:       map[string]string{"dsn-of": env.ID},
	}
	id, err := q.enqueue(ctx, dsn, pr, true)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the writer if Create stopped early
	werr := <-werrC                     // the writer is done with orig
	if errors.Is(werr, io.ErrClosedPipe) {
		werr = nil
	}
	return id, werr, err
}

// writeDSN writes the notification: a multipart/report (RFC 6522) of a
// human-readable text, a message/delivery-status (RFC 3464 2.) and the
// original message (RET=FULL, or by default, in a failure notice) or its
// header (text/rfc822-headers); without that third part if orig is nil.
func (q *Queue) writeDSN(w io.Writer, env *Envelope, report []int, orig Body, expiry, now time.Time) error {
	host := q.hostname()
	var failed, delayed, relayed int
	global := !isASCII(env.From) || !isASCII(env.EnvID)
	for _, i := range report {
		r := &env.Recipients[i]
		switch dsnAction(r) {
		case ActionFailed:
			failed++
		case ActionDelayed:
			delayed++
		default:
			relayed++
		}
		if !isASCII(r.Addr) || !isASCII(r.ORcpt) {
			global = true
		}
	}

	var h message.Header
	if err := h.SetAddressList("From", []message.Address{{Name: "Mail Delivery System", Addr: "MAILER-DAEMON@" + host}}); err != nil {
		h.Set("From", "Mail Delivery System <MAILER-DAEMON@localhost>")
	}
	if err := h.SetAddressList("To", []message.Address{{Addr: env.From}}); err != nil {
		h.Set("To", "<"+env.From+">")
	}
	switch {
	case failed > 0:
		h.SetSubject("Undelivered Mail Returned to Sender")
	case delayed > 0:
		h.SetSubject("Delayed Mail (still being retried)")
	default:
		h.SetSubject("Successful Mail Delivery Report")
	}
	h.SetDate(now)
	h.SetMessageID(message.GenerateMessageID(host))
	h.Set("Auto-Submitted", "auto-replied") // RFC 3834 5.
	h.Set("MIME-Version", "1.0")
	mw := mime.NewMultipartWriter(w)
	// RFC 6522 3.: report-type names the second part.
	h.Set("Content-Type", mime.FormatMediaType("multipart/report", map[string]string{
		"report-type": "delivery-status",
		"boundary":    mw.Boundary(),
	}))
	if _, err := h.WriteTo(w); err != nil {
		return err
	}

	// 1. The human-readable part.
	text := dsnText(host, env, report, expiry)
	var th mime.Header
	cte := "7bit"
	th.Set("Content-Type", "text/plain; charset=us-ascii")
	if !isASCII(text) {
		cte = "quoted-printable"
		th.Set("Content-Type", "text/plain; charset=utf-8")
	}
	th.Set("Content-Transfer-Encoding", cte)
	th.Set("Content-Description", "Notification")
	pw, err := mw.CreatePart(th)
	if err != nil {
		return err
	}
	enc, err := mime.NewEncoder(cte, pw)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(enc, text); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}

	// 2. The delivery-status part (RFC 3464 2.1). With an address that
	// is not ASCII it is message/global-delivery-status (RFC 6533 6.).
	var sh mime.Header
	if global {
		sh.Set("Content-Type", "message/global-delivery-status")
	} else {
		sh.Set("Content-Type", "message/delivery-status")
	}
	sh.Set("Content-Description", "Delivery report")
	if pw, err = mw.CreatePart(sh); err != nil {
		return err
	}
	// RFC 3464 2.2: per-message fields.
	var pm mime.Header
	if env.EnvID != "" {
		pm.Add("Original-Envelope-Id", dsnText1(env.EnvID, global)) // 2.2.1
	}
	pm.Add("Reporting-MTA", mtaName(host))                  // 2.2.2
	pm.Add("Arrival-Date", message.FormatDate(env.Created)) // 2.2.5
	if _, err := pm.WriteTo(pw); err != nil {
		return err
	}
	// RFC 3464 2.3: per-recipient fields, a block each.
	for _, i := range report {
		r := &env.Recipients[i]
		var pr mime.Header
		if r.ORcpt != "" { // 2.3.1
			if t, a, ok := strings.Cut(r.ORcpt, ";"); ok {
				pr.Add("Original-Recipient", t+";"+dsnText1(a, global))
			}
		}
		pr.Add("Final-Recipient", addrType(r.Addr)+"; "+dsnText1(r.Addr, global)) // 2.3.2
		action := dsnAction(r)
		pr.Add("Action", action) // 2.3.3
		status := r.Status
		switch {
		case action == ActionRelayed:
			status = "2.0.0"
		case !validStatus(status) || (action == ActionDelayed && status[0] != '4'):
			status = "4.0.0"
			if action == ActionFailed {
				status = "5.0.0"
			}
		}
		pr.Add("Status", status) // 2.3.4
		if r.RemoteMTA != "" {   // 2.3.5
			pr.Add("Remote-MTA", "dns; "+dsnText1(r.RemoteMTA, global))
		}
		if r.Diagnostic != "" { // 2.3.6
			dt := "X-Postkit"
			if r.DiagnosticSMTP {
				dt = "smtp"
			}
			pr.Add("Diagnostic-Code", dt+"; "+dsnText1(r.Diagnostic, global))
		}
		if !r.LastAttempt.IsZero() { // 2.3.7
			pr.Add("Last-Attempt-Date", message.FormatDate(r.LastAttempt))
		}
		if action == ActionDelayed { // 2.3.9
			pr.Add("Will-Retry-Until", message.FormatDate(expiry))
		}
		if _, err := pr.WriteTo(pw); err != nil {
			return err
		}
	}

	// 3. The original (RFC 3464 2.; RFC 3461 4.3 RET), optional.
	if orig == nil {
		return mw.Close()
	}
	size, err := orig.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if _, err := orig.Seek(0, io.SeekStart); err != nil {
		return err
	}
	full := failed > 0 && env.Ret != RetHeaders && size <= q.dsnFullLimit()
	var oh mime.Header
	if full {
		eight, err := hasEightBit(orig)
		if err != nil {
			return err
		}
		if _, err := orig.Seek(0, io.SeekStart); err != nil {
			return err
		}
		oh.Set("Content-Type", "message/rfc822")
		if eight {
			oh.Set("Content-Transfer-Encoding", "8bit")
		}
		oh.Set("Content-Description", "Undelivered message")
		if pw, err = mw.CreatePart(oh); err != nil {
			return err
		}
		if _, err := io.Copy(pw, orig); err != nil {
			return err
		}
	} else {
		// RFC 6522 4.: text/rfc822-headers.
		m, err := message.Read(orig)
		if err != nil {
			return err
		}
		oh.Set("Content-Type", "text/rfc822-headers")
		oh.Set("Content-Description", "Message headers")
		if pw, err = mw.CreatePart(oh); err != nil {
			return err
		}
		if _, err := m.Header.WriteTo(pw); err != nil {
			return err
		}
	}
	return mw.Close()
}

func (q *Queue) dsnFullLimit() int64 {
	if q.DSNFullLimit > 0 {
		return q.DSNFullLimit
	}
	return DefaultDSNFullLimit
}

// dsnText is the human-readable part.
func dsnText(host string, env *Envelope, report []int, expiry time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This is the mail system at host %s.\r\n\r\n", host)
	var failed, delayed, relayed []int
	for _, i := range report {
		switch dsnAction(&env.Recipients[i]) {
		case ActionFailed:
			failed = append(failed, i)
		case ActionDelayed:
			delayed = append(delayed, i)
		default:
			relayed = append(relayed, i)
		}
	}
	list := func(idx []int) {
		for _, i := range idx {
			r := &env.Recipients[i]
			fmt.Fprintf(&b, "<%s>", r.Addr)
			if r.Diagnostic != "" {
				fmt.Fprintf(&b, ": %s", r.Diagnostic)
			}
			if r.RemoteMTA != "" {
				fmt.Fprintf(&b, " (host %s)", r.RemoteMTA)
			}
			b.WriteString("\r\n")
		}
		b.WriteString("\r\n")
	}
	if len(failed) > 0 {
		b.WriteString("Your message could not be delivered to the following recipients:\r\n\r\n")
		list(failed)
	}
	if len(delayed) > 0 {
		fmt.Fprintf(&b, "Your message has not been delivered yet to the following recipients.\r\nDelivery will be tried until %s; no action is needed.\r\n\r\n", message.FormatDate(expiry))
		list(delayed)
	}
	if len(relayed) > 0 {
		b.WriteString("Your message was delivered to the next mail system for the following\r\nrecipients, which sends no further notifications:\r\n\r\n")
		list(relayed)
	}
	return b.String()
}

// mtaName is the value of a Reporting-MTA field for host: of type dns
// only when host is a fully qualified domain name, else of type
// x-local-hostname (RFC 3461 6.3 b, RFC 3464 2.2.2).
func mtaName(host string) string {
	h := strings.TrimSuffix(host, ".")
	l := strings.ToLower(h)
	if strings.Contains(l, ".") && !strings.HasSuffix(l, ".localhost") &&
		l != "localhost.localdomain" && isASCII(l) && !strings.ContainsAny(l, " ;()") {
		return "dns; " + h
	}
	return "x-local-hostname; " + dsnText1(host, false)
}

// addrType is the address type of a Final-Recipient: rfc822, or utf-8
// for an address that is not ASCII (RFC 6533 3.).
func addrType(addr string) string {
	if isASCII(addr) {
		return "rfc822"
	}
	return "utf-8"
}

// dsnText1 makes s fit one DSN field: one line and, unless global, ASCII
// (others become '?').
func dsnText1(s string, global bool) string {
	s = oneLine(s)
	if global || isASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= 0x80 {
			return '?'
		}
		return r
	}, s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hasEightBit reports whether r has an octet above 127.
func hasEightBit(r io.Reader) (bool, error) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			if c >= 0x80 {
				return true, nil
			}
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}
