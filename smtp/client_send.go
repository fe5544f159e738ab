package smtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/postkit/postkit/internal/dotstuff"
)

// MailOptions are the ESMTP parameters of MAIL FROM. A parameter whose
// extension the server did not offer makes Mail fail before sending,
// except SIZE and AUTH, which are left out then.
type MailOptions struct {
	// Size is the message size in octets (RFC 1870 SIZE=); 0 sends none.
	Size int64
	// Body is "7BIT", "8BITMIME" (RFC 6152) or "BINARYMIME" (RFC 3030);
	// empty sends none.
	Body string
	// UTF8 asks for SMTPUTF8 (RFC 6531 3.4).
	UTF8 bool
	// Return is the DSN RET value, "FULL" or "HDRS" (RFC 3461 4.3).
	Return string
	// EnvelopeID is the DSN ENVID (RFC 3461 4.4), sent as xtext.
	EnvelopeID string
	// RequireTLS asks for REQUIRETLS (RFC 8689 4.1); only over TLS.
	RequireTLS bool
	// Auth is the AUTH= identity (RFC 4954 5.); nil sends none, a
	// pointer to "" sends AUTH=<>.
	Auth *string
	// Rcpt, used by Send only, gives the RCPT options of each recipient:
	// Rcpt[i] goes with to[i]; a nil entry, or none, sends no parameter.
	Rcpt []*RcptOptions
}

// RcptOptions are the ESMTP parameters of RCPT TO (RFC 3461 4.1, 4.2).
type RcptOptions struct {
	// Notify lists "NEVER" or any of "SUCCESS", "FAILURE", "DELAY".
	Notify []string
	// OriginalRecipient is the ORCPT address, sent as xtext;
	// OriginalRecipientType its type, "rfc822" if empty.
	OriginalRecipient     string
	OriginalRecipientType string
}

func (c *Client) has(ext string) bool {
	_, ok := c.ext[ext]
	return ok
}

// mailLine builds the MAIL command line, or says why it cannot.
func (c *Client) mailLine(from string, o *MailOptions) (string, error) {
	if !safe(from) || strings.ContainsAny(from, "<> ") {
		return "", errBadArg("sender")
	}
	var sb strings.Builder
	sb.WriteString("MAIL FROM:<")
	sb.WriteString(from)
	sb.WriteByte('>')
	if o == nil {
		return sb.String(), nil
	}
	if o.Size > 0 && c.size > 0 && o.Size > c.size {
		// RFC 1870 6.3: do not send what the server declared too large.
		return "", errors.New("smtp: message size " + strconv.FormatInt(o.Size, 10) +
			" exceeds the server's SIZE " + strconv.FormatInt(c.size, 10))
	}
	if o.Size > 0 && c.has("SIZE") {
		sb.WriteString(" SIZE=")
		sb.WriteString(strconv.FormatInt(o.Size, 10))
	}
	if o.Body != "" {
		b := strings.ToUpper(o.Body)
		switch {
		case b == "7BIT":
		case b == "8BITMIME" && c.has("8BITMIME"):
		case b == "BINARYMIME" && c.has("BINARYMIME") && c.has("CHUNKING"):
		default:
			return "", errors.New("smtp: server does not support BODY=" + o.Body)
		}
		sb.WriteString(" BODY=")
		sb.WriteString(b)
	}
	if o.UTF8 {
		if !c.has("SMTPUTF8") {
			return "", errors.New("smtp: server does not support SMTPUTF8")
		}
		sb.WriteString(" SMTPUTF8")
	}
	if o.Return != "" || o.EnvelopeID != "" {
		if !c.has("DSN") {
			return "", errors.New("smtp: server does not support DSN")
		}
	}
	if o.Return != "" {
		r := strings.ToUpper(o.Return)
		if r != "FULL" && r != "HDRS" {
			return "", errors.New("smtp: RET must be FULL or HDRS")
		}
		sb.WriteString(" RET=")
		sb.WriteString(r)
	}
	if o.EnvelopeID != "" {
		sb.WriteString(" ENVID=")
		sb.WriteString(EncodeXtext(o.EnvelopeID))
	}
	if o.RequireTLS {
		if !c.tls || !c.has("REQUIRETLS") {
			return "", errors.New("smtp: REQUIRETLS needs TLS and a server offering it")
		}
		sb.WriteString(" REQUIRETLS")
	}
	if o.Auth != nil && c.has("AUTH") {
		sb.WriteString(" AUTH=")
		if *o.Auth == "" {
			sb.WriteString("<>")
		} else {
			sb.WriteString(EncodeXtext(*o.Auth))
		}
	}
	return sb.String(), nil
}

// rcptLine builds the RCPT command line, or says why it cannot.
func (c *Client) rcptLine(to string, o *RcptOptions) (string, error) {
	if to == "" || !safe(to) || strings.ContainsAny(to, "<> ") {
		return "", errBadArg("recipient")
	}
	var sb strings.Builder
	sb.WriteString("RCPT TO:<")
	sb.WriteString(to)
	sb.WriteByte('>')
	if o == nil {
		return sb.String(), nil
	}
	if len(o.Notify) > 0 || o.OriginalRecipient != "" {
		if !c.has("DSN") {
			return "", errors.New("smtp: server does not support DSN")
		}
	}
	if err := writeRcptParams(&sb, o); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// writeRcptParams writes the NOTIFY and ORCPT parameters of o (RFC 3461
// 4.1, 4.2; RFC 6533 3. for an ORCPT of type utf-8), each after a space,
// or says why it cannot.
func writeRcptParams(sb *strings.Builder, o *RcptOptions) error {
	if len(o.Notify) > 0 {
		sb.WriteString(" NOTIFY=")
		for i, n := range o.Notify {
			n = strings.ToUpper(n)
			switch n {
			case "NEVER", "SUCCESS", "FAILURE", "DELAY":
			default:
				return errors.New("smtp: bad NOTIFY value")
			}
			if n == "NEVER" && len(o.Notify) > 1 {
				return errors.New("smtp: NOTIFY=NEVER stands alone")
			}
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(n)
		}
	}
	if o.OriginalRecipient != "" {
		typ := o.OriginalRecipientType
		if typ == "" {
			typ = "rfc822"
		}
		if !validKeyword(typ) {
			return errBadArg("ORCPT type")
		}
		sb.WriteString(" ORCPT=")
		sb.WriteString(typ)
		sb.WriteByte(';')
		if strings.EqualFold(typ, "utf-8") {
			sb.WriteString(encodeUTF8Addr(o.OriginalRecipient))
		} else {
			sb.WriteString(EncodeXtext(o.OriginalRecipient))
		}
	}
	return nil
}

// Mail sends MAIL FROM (RFC 5321 4.1.1.2) and starts a mail transaction.
// from may be empty for the null reverse-path. It sends EHLO first if
// Hello was not called.
func (c *Client) Mail(ctx context.Context, from string, opts *MailOptions) error {
	if err := c.hello(ctx); err != nil {
		return err
	}
	line, err := c.mailLine(from, opts)
	if err != nil {
		return err
	}
	if _, err := c.cmd(ctx, line); err != nil {
		return err
	}
	c.inTx, c.rcpts = true, 0
	return nil
}

// Rcpt sends RCPT TO (RFC 5321 4.1.1.3).
func (c *Client) Rcpt(ctx context.Context, to string, opts *RcptOptions) error {
	line, err := c.rcptLine(to, opts)
	if err != nil {
		return err
	}
	if _, err := c.cmd(ctx, line); err != nil {
		return err
	}
	c.rcpts++
	return nil
}

// dataWriter is the body writer Data returns.
type dataWriter struct {
	c      *Client
	ctx    context.Context
	end    func(error) error
	dw     *dotstuff.Writer
	closed bool
	errs   []error // LMTP: per recipient, after Close
}

// Data sends DATA (RFC 5321 4.1.1.4) and returns a writer for the
// message. The writer dot-stuffs the body and turns every bare CR or LF
// into CRLF (RFC 5321 2.3.8, 4.5.2), so nothing written can end the data
// early. Close sends the terminator and reads the reply; in LMTP mode it
// reads one reply per accepted recipient (RFC 2033 4.2) and returns
// a *DataErrors if any refused. ctx covers the whole body until Close.
func (c *Client) Data(ctx context.Context) (io.WriteCloser, error) {
	r, err := c.cmd(ctx, "DATA")
	if err != nil {
		return nil, err
	}
	if r.Code != 354 {
		return nil, c.unexpected(r)
	}
	return c.dataWriter(ctx), nil
}

func (c *Client) dataWriter(ctx context.Context) *dataWriter {
	return &dataWriter{c: c, ctx: ctx, end: c.watch(ctx), dw: dotstuff.NewWriter(c.bw)}
}

func (w *dataWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, dotstuff.ErrClosed
	}
	n, err := w.dw.Write(p)
	if err != nil {
		if w.c.err == nil {
			w.c.err = err
		}
	}
	return n, err
}

func (w *dataWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	c := w.c
	err := w.dw.Close()
	if err == nil {
		err = c.bw.Flush()
	}
	n := 1
	if c.LMTP {
		n = max(c.rcpts, 1)
	}
	var first error
	for i := 0; i < n && err == nil; i++ {
		var r *Reply
		if r, err = c.readReply(); err == nil {
			rerr := r.Err()
			if rerr == nil && r.Code != 250 {
				rerr = c.unexpected(r)
			}
			w.errs = append(w.errs, rerr)
			if rerr != nil && first == nil {
				first = rerr
			}
		}
	}
	err = w.end(err)
	c.inTx, c.rcpts = false, 0
	if err != nil {
		return err
	}
	if c.LMTP && n > 1 && first != nil {
		return &DataErrors{Errs: w.errs}
	}
	return first
}

// DataErrors is returned by the Close of an LMTP DATA writer when some
// recipient was refused: one entry per accepted recipient, in RCPT
// order, nil for a delivery that succeeded (RFC 2033 4.2).
type DataErrors struct{ Errs []error }

// Error implements error.
func (e *DataErrors) Error() string {
	var sb strings.Builder
	sb.WriteString("smtp: LMTP delivery failed for some recipients:")
	for i, err := range e.Errs {
		if err != nil {
			sb.WriteString(" [")
			sb.WriteString(strconv.Itoa(i))
			sb.WriteString("] ")
			sb.WriteString(err.Error())
		}
	}
	return sb.String()
}

// ErrNoRecipients is returned by Send when the server refused every
// recipient; the per-recipient errors say why.
var ErrNoRecipients = errors.New("smtp: no recipient accepted")

// Send sends one message from from to the recipients to: MAIL, one RCPT
// per recipient, DATA and the body read from msg. When the server
// offers PIPELINING (RFC 2920 3.1) MAIL, every RCPT and DATA go in one
// write and the replies are read after, in order; otherwise one command
// at a time. A transaction left open by an earlier call is reset first,
// so a Client sends message after message.
//
// When the server limits recipients per transaction (LIMITS RCPTMAX,
// RFC 9422), Send sends that many per transaction: if msg is an
// io.Seeker it is rewound for each further transaction, otherwise the
// recipients past the limit are not sent and get a temporary 452 4.5.3
// error, for the caller to retry.
//
// perRecipient holds one entry per recipient, nil where the recipient
// was accepted (and, in LMTP mode, delivered). err is non-nil when the
// message was not sent to anyone: a MAIL or DATA refusal (an *Error), an
// I/O failure, or ErrNoRecipients when every RCPT was refused.
func (c *Client) Send(ctx context.Context, from string, to []string, msg io.Reader, opts *MailOptions) (perRecipient []error, err error) {
	if len(to) == 0 {
		return nil, errors.New("smtp: no recipients")
	}
	if err := c.hello(ctx); err != nil {
		return nil, err
	}
	mail, err := c.mailLine(from, opts)
	if err != nil {
		return nil, err
	}
	rcpts := make([]string, len(to))
	for i, t := range to {
		var ro *RcptOptions
		if opts != nil && i < len(opts.Rcpt) {
			ro = opts.Rcpt[i]
		}
		if rcpts[i], err = c.rcptLine(t, ro); err != nil {
			return nil, err
		}
	}
	// RFC 3030 3.: a BINARYMIME body goes with BDAT only.
	bdat := opts != nil && strings.EqualFold(opts.Body, "BINARYMIME")
	if c.rcptMax == 0 || len(rcpts) <= c.rcptMax {
		return c.sendTx(ctx, mail, rcpts, msg, bdat)
	}

	// RFC 9422 5.2: no more than RCPTMAX recipients per transaction. The
	// others go in further transactions when msg can be read again.
	perRecipient = make([]error, len(to))
	seeker, _ := msg.(io.Seeker)
	var start int64
	if seeker != nil {
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seeker = nil
		}
	}
	var firstErr error
	sent := false
	for lo := 0; lo < len(rcpts); lo += c.rcptMax {
		hi := min(lo+c.rcptMax, len(rcpts))
		var txErr error
		if lo > 0 && seeker == nil {
			txErr = &Error{Code: 452, EnhancedCode: EnhancedCode{4, 5, 3},
				Message: "Not sent: the server takes " + strconv.Itoa(c.rcptMax) + " recipients per message (LIMITS RCPTMAX) and the message cannot be read again"}
		} else if lo > 0 {
			if _, txErr = seeker.Seek(start, io.SeekStart); txErr != nil {
				txErr = fmt.Errorf("smtp: rewinding the message for more recipients: %w", txErr)
			}
		}
		var per []error
		if txErr == nil {
			per, txErr = c.sendTx(ctx, mail, rcpts[lo:hi], msg, bdat)
		}
		for i := lo; i < hi; i++ {
			switch {
			case per != nil && per[i-lo] != nil:
				perRecipient[i] = per[i-lo]
			case txErr != nil:
				perRecipient[i] = txErr
			}
		}
		if txErr == nil {
			sent = true
		} else if firstErr == nil {
			firstErr = txErr
		}
		if c.err != nil {
			// The connection is gone: the rest cannot be sent.
			for i := hi; i < len(rcpts); i++ {
				perRecipient[i] = c.err
			}
			break
		}
	}
	if sent {
		return perRecipient, nil
	}
	return perRecipient, firstErr
}

// sendTx runs one mail transaction of Send.
func (c *Client) sendTx(ctx context.Context, mail string, rcpts []string, msg io.Reader, bdat bool) (perRecipient []error, err error) {
	if c.inTx {
		if err := c.Reset(ctx); err != nil {
			return nil, err
		}
	}
	perRecipient = make([]error, len(rcpts))
	var accepted int
	if c.has("PIPELINING") {
		accepted, err = c.sendPipelined(ctx, mail, rcpts, perRecipient, bdat)
	} else {
		accepted, err = c.sendSequential(ctx, mail, rcpts, perRecipient, bdat)
	}
	if err != nil {
		return perRecipient, err
	}
	if bdat {
		if accepted == 0 {
			return perRecipient, ErrNoRecipients
		}
		return c.lmtpResults(perRecipient, c.Bdat(ctx, msg, c.ChunkSize))
	}
	w := c.dataWriter(ctx)
	if accepted == 0 {
		// RFC 2920 3.1: DATA was accepted with no recipient; end it at
		// once with an empty body.
		w.Close()
		return perRecipient, ErrNoRecipients
	}
	if _, err := io.Copy(w, msg); err != nil {
		w.closed = true
		err = w.end(err)
		if c.err == nil {
			c.err = err // body half sent: out of sync
		}
		return perRecipient, err
	}
	return c.lmtpResults(perRecipient, w.Close())
}

// lmtpResults spreads the per-recipient LMTP replies of err, a
// *DataErrors, over the recipients RCPT accepted.
func (c *Client) lmtpResults(per []error, err error) ([]error, error) {
	var de *DataErrors
	if !errors.As(err, &de) {
		return per, err
	}
	j := 0
	for i := range per {
		if per[i] == nil && j < len(de.Errs) {
			per[i] = de.Errs[j]
			j++
		}
	}
	for _, e := range per {
		if e == nil {
			return per, nil
		}
	}
	return per, ErrNoRecipients
}

// sendSequential sends MAIL, RCPTs and DATA one at a time. It returns
// the number of recipients accepted; a nil error with none accepted
// means DATA was (wrongly) accepted and must be ended.
func (c *Client) sendSequential(ctx context.Context, mail string, rcpts []string, per []error, bdat bool) (int, error) {
	if _, err := c.cmd(ctx, mail); err != nil {
		return 0, err
	}
	c.inTx, c.rcpts = true, 0
	n := 0
	for i, line := range rcpts {
		_, err := c.cmd(ctx, line)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				return 0, err
			}
			per[i] = err
			continue
		}
		n++
		c.rcpts++
	}
	if n == 0 {
		return 0, ErrNoRecipients
	}
	if bdat {
		return n, nil
	}
	r, err := c.cmd(ctx, "DATA")
	if err != nil {
		return 0, err
	}
	if r.Code != 354 {
		return 0, c.unexpected(r)
	}
	return n, nil
}

// maxPipelined bounds the commands Send writes before reading their
// replies: some 100 RCPT lines, a few kilobytes, fit every transport
// buffer.
const maxPipelined = 100

// sendPipelined writes MAIL, every RCPT and DATA at once (RFC 2920 3.1)
// and reads the replies in order.
func (c *Client) sendPipelined(ctx context.Context, mail string, rcpts []string, per []error, bdat bool) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	lines := make([]string, 0, len(rcpts)+2)
	lines = append(lines, mail)
	lines = append(lines, rcpts...)
	if !bdat {
		lines = append(lines, "DATA")
	}
	replies := make([]*Reply, 0, len(lines))
	end := c.watch(ctx)
	// RFC 2920 3.1 warns of a deadlock when a client writes more than
	// the transport buffers while the server's replies pile up unread;
	// writing at most maxPipelined commands before reading their
	// replies keeps both sides' buffers small.
	for start := 0; start < len(lines); start += maxPipelined {
		batch := lines[start:min(start+maxPipelined, len(lines))]
		for _, l := range batch {
			c.writeLine(l)
		}
		if err := c.bw.Flush(); err != nil {
			return 0, end(err)
		}
		for range batch {
			r, err := c.readReply()
			if err != nil {
				return 0, end(err)
			}
			replies = append(replies, r)
		}
	}
	r := replies[0]
	mailErr := r.Err()
	if mailErr == nil {
		c.inTx, c.rcpts = true, 0
	}
	n := 0
	for i := range rcpts {
		if per[i] = replies[1+i].Err(); per[i] == nil {
			n++
			c.rcpts++
		}
	}
	if bdat {
		end(nil)
		if mailErr != nil {
			for i := range per {
				per[i] = mailErr
			}
			return 0, mailErr
		}
		return n, nil
	}
	r = replies[len(replies)-1]
	end(nil)
	if mailErr != nil {
		for i := range per {
			per[i] = mailErr
		}
		if r.Code == 354 {
			c.dataWriter(ctx).Close()
		}
		return 0, mailErr
	}
	if err := r.Err(); err != nil {
		if n == 0 {
			return 0, ErrNoRecipients
		}
		return 0, err
	}
	if r.Code != 354 {
		return 0, c.unexpected(r)
	}
	return n, nil
}

// DefaultChunkSize is the BDAT chunk size Send uses: large enough that
// the per-chunk reply costs little, small enough to bound the buffer.
const DefaultChunkSize = 64 << 10

// Bdat sends the message read from r in BDAT chunks of at most
// chunkSize octets (RFC 3030 2.), the last one marked LAST, and reads the
// reply to each; 0 means DefaultChunkSize. The bytes go as they are: no
// dot-stuffing, no line-ending changes, so BODY=BINARYMIME messages pass.
// The server must offer CHUNKING. In LMTP mode the LAST chunk gets one
// reply per accepted recipient, as with Data.
func (c *Client) Bdat(ctx context.Context, r io.Reader, chunkSize int) error {
	if !c.has("CHUNKING") {
		return errors.New("smtp: server does not support CHUNKING")
	}
	if chunkSize <= 0 {
		chunkSize = DefaultChunkSize
	}
	if c.err != nil {
		return c.err
	}
	end := c.watch(ctx)
	buf := make([]byte, chunkSize+1)
	have := 0 // bytes in buf not yet sent
	eof := false
	var errs []error
	var first error
	for {
		for !eof && have < len(buf) {
			n, err := r.Read(buf[have:])
			have += n
			if err == io.EOF {
				eof = true
			} else if err != nil {
				// Nothing of this chunk went out; the transaction stays
				// open and a RSET ends it.
				return end(err)
			}
		}
		last := eof && have <= chunkSize
		n := min(have, chunkSize)
		c.bw.WriteString("BDAT ")
		c.bw.WriteString(strconv.Itoa(n))
		if last {
			c.bw.WriteString(" LAST")
		}
		c.bw.WriteString("\r\n")
		c.bw.Write(buf[:n])
		if err := c.bw.Flush(); err != nil {
			return end(err)
		}
		copy(buf, buf[n:have])
		have -= n
		replies := 1
		if last && c.LMTP {
			replies = max(c.rcpts, 1)
		}
		for range replies {
			rep, err := c.readReply()
			if err != nil {
				return end(err)
			}
			rerr := rep.Err()
			if rerr == nil && rep.Code != 250 {
				return end(c.unexpected(rep))
			}
			if !last && rerr != nil {
				// RFC 3030 2.: a refused chunk ends the transaction's
				// data; the server discards what it had.
				end(nil)
				return rerr
			}
			errs = append(errs, rerr)
			if rerr != nil && first == nil {
				first = rerr
			}
		}
		if last {
			break
		}
	}
	end(nil)
	c.inTx, c.rcpts = false, 0
	if c.LMTP && len(errs) > 1 && first != nil {
		return &DataErrors{Errs: errs}
	}
	return first
}
