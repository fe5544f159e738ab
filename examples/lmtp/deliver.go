package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/smtp"
)

// delivery puts messages into the INBOX of the accounts under root.
type delivery struct {
	root      string
	store     *maildir.Store // NoAutoCreate: an account is a directory that exists
	hostname  string
	localPart bool
	log       *slog.Logger
}

var (
	errNoUser = &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	errFull   = &smtp.Error{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Insufficient system storage"}
	errLocal  = &smtp.Error{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local error in delivery; try again later"}
)

// user returns the account name of a recipient address.
func (d *delivery) user(addr string) string {
	addr = strings.ToLower(addr)
	if d.localPart {
		if i := strings.LastIndexByte(addr, '@'); i >= 0 {
			addr = addr[:i]
		}
	}
	return addr
}

// deliver appends the message read from r to the INBOX of user, through
// a view that claims no \Recent (NoRecent): the message is new (in new/)
// and \Recent for the next IMAP session (RFC 3501 2.3.2).
func (d *delivery) deliver(ctx context.Context, user string, r io.Reader) error {
	acct, err := d.store.Account(ctx, user)
	if err != nil {
		return err
	}
	defer acct.Close()
	mb, err := acct.Open(ctx, mailbox.Inbox, &mailbox.OpenOptions{NoRecent: true})
	if err != nil {
		return err
	}
	defer mb.Close()
	_, err = mb.Append(ctx, r, nil)
	return err
}

// replyFor turns a delivery failure into the recipient's reply (RFC 3463
// codes): only a missing account is permanent.
func replyFor(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mailbox.ErrNoSuchAccount):
		return errNoUser
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return errFull
	default:
		return errLocal
	}
}

// session is one LMTP connection's transactions.
type session struct {
	d     *delivery
	conn  *smtp.Conn
	id    string
	from  string
	rcpts []rcpt
}

// rcpt is an accepted recipient: the address as given in RCPT and its
// account.
type rcpt struct{ addr, user string }

func (d *delivery) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{d: d, conn: c, id: newID()}, nil
}

func (s *session) Mail(from string, _ smtp.MailParams) error {
	s.from = from
	return nil
}

// Rcpt accepts the recipients that have an account (RFC 2033 4.1: LMTP
// refuses at RCPT what it knows it cannot deliver).
func (s *session) Rcpt(to string, _ smtp.RcptParams) error {
	user := s.d.user(to)
	acct, err := s.d.store.Account(s.conn.Context(), user)
	if err != nil {
		if !errors.Is(err, mailbox.ErrNoSuchAccount) {
			s.d.log.Warn("checking account", "user", user, "err", err)
		}
		return replyFor(err)
	}
	acct.Close()
	s.rcpts = append(s.rcpts, rcpt{addr: to, user: user})
	return nil
}

// Data is not called: the server is in LMTP mode, where LMTPData takes
// the message. It delivers all the same, with one answer for everyone.
func (s *session) Data(r io.Reader) error {
	var first error
	err := s.LMTPData(r, statusFunc(func(_ string, err error) {
		if first == nil {
			first = err
		}
	}))
	if err != nil {
		return err
	}
	return first
}

type statusFunc func(rcpt string, err error)

func (f statusFunc) SetStatus(rcpt string, err error) { f(rcpt, err) }

// LMTPData spools the message once, behind its trace fields, and appends
// a copy to each recipient's INBOX, reporting each result (RFC 2033 4.2).
// An error reading the message is returned as it is, for the server to
// answer for every recipient.
func (s *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	ctx := s.conn.Context()
	trace := returnPath(s.from) + s.conn.Received(s.d.hostname, s.id).String()
	spool, size, err := spoolMessage(s.d.root, trace, r)
	if err != nil {
		var le *localError
		if errors.As(err, &le) {
			s.d.log.Error("spooling", "id", s.id, "err", err)
			return replyFor(le.err)
		}
		return err
	}
	defer spool.Close()
	done := map[string]error{} // one copy per account, whatever the addresses
	for _, rc := range s.rcpts {
		res, ok := done[rc.user]
		if !ok {
			res = s.d.deliver(ctx, rc.user, io.NewSectionReader(spool, 0, size))
			done[rc.user] = res
			if res != nil {
				s.d.log.Error("delivery failed", "id", s.id, "user", rc.user, "err", res)
			} else {
				s.d.log.Info("delivered", "id", s.id, "from", s.from, "user", rc.user)
			}
		}
		status.SetStatus(rc.addr, replyFor(res))
	}
	return nil
}

func (s *session) Reset() {
	s.from, s.rcpts = "", nil
}

func (s *session) Logout() error { return nil }

// returnPath is the field the final delivery adds (RFC 5321 4.4): the
// reverse-path of MAIL FROM, <> for the null path.
func returnPath(from string) string {
	return "Return-Path: <" + from + ">\r\n"
}

// newID returns 10 random base32 characters naming a session in the logs
// and the Received field.
func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// localError is a failure of this host's disk, as opposed to one reading
// the message from the client.
type localError struct{ err error }

func (e *localError) Error() string { return "spool: " + e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// readErr remembers the error of the reader it wraps, to tell a broken
// message (answered by the server) from a broken disk.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// spoolMessage writes trace and then the message read from r into an
// unlinked temporary file in dir: memory stays bounded whatever the
// message's size, and a crash leaves nothing behind. The name starts with
// a dot, which no account name does (maildir.ValidUser). It returns the
// file and the size of what it holds.
func spoolMessage(dir, trace string, r io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp(dir, ".lmtp-spool-*")
	if err != nil {
		return nil, 0, &localError{err}
	}
	_ = os.Remove(f.Name())
	n, err := io.WriteString(f, trace)
	if err != nil {
		f.Close()
		return nil, 0, &localError{err}
	}
	rr := &readErr{r: r}
	m, err := io.Copy(f, rr)
	if err != nil {
		f.Close()
		if rr.err != nil {
			return nil, 0, rr.err
		}
		return nil, 0, &localError{err}
	}
	return f, int64(n) + m, nil
}
