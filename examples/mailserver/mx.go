package main

import (
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/postkit/postkit/smtp"
)

// Replies of the MX and submission sessions.
var (
	errNoSuchUser    = &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	errRelayDenied   = &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied: this server accepts mail for its own domain only"}
	errLocalFailure  = &smtp.Error{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local error in processing, try again later"}
	errAuthRequired  = &smtp.Error{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errSenderNotOwn  = &smtp.Error{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender address not owned by the authenticated user"}
	errNeedRecipient = &smtp.Error{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "No valid recipients"}
)

// mxSession is one connection to the MX listener: mail from anyone to the
// local domain's users, never to anyone else (no open relay).
type mxSession struct {
	app  *app
	conn *smtp.Conn
	id   string
	log  *slog.Logger

	from  string
	rcpts []string // account names, one per accepted RCPT (duplicates removed)
}

func (a *app) newMXSession(c *smtp.Conn) (smtp.Session, error) {
	id := newID()
	log := a.log.With("proto", "smtp", "conn", id, "remote", c.RemoteAddr().String())
	log.Info("connect")
	return &mxSession{app: a, conn: c, id: id, log: log}, nil
}

func (s *mxSession) Mail(from string, _ smtp.MailParams) error {
	s.from, s.rcpts = from, nil
	return nil
}

func (s *mxSession) Rcpt(to string, _ smtp.RcptParams) error {
	u := s.app.users
	if !u.local(to) && !strings.EqualFold(to, "postmaster") {
		// RFC 5321 3.6.2: a server that is not a relay for the domain
		// refuses; 5.7.1 as RFC 3463 names it (delivery not authorized).
		s.log.Warn("relay attempt refused", "from", s.from, "to", to)
		return errRelayDenied
	}
	acct := u.resolve(to)
	if acct == "" {
		s.log.Info("unknown recipient", "to", to)
		return errNoSuchUser
	}
	for _, r := range s.rcpts {
		if r == acct {
			return nil
		}
	}
	s.rcpts = append(s.rcpts, acct)
	return nil
}

func (s *mxSession) Data(r io.Reader) error {
	msgID := newID()
	trace := s.conn.Received(s.app.hostname, msgID).String()
	sf, err := spoolMessage(s.app.tmpDir, trace, r)
	if err != nil {
		var le *localError
		if !errors.As(err, &le) {
			return err // the server answers for a failed read
		}
		s.log.Error("spool", "err", err)
		return errLocalFailure
	}
	defer sf.Close()
	ctx := s.conn.Context()
	for _, acct := range s.rcpts {
		body, err := sf.reader()
		if err == nil {
			err = s.app.local.deliver(ctx, acct, body)
		}
		if err != nil {
			// Nothing is acknowledged: the sender retries every
			// recipient, and one who got it already gets it twice
			// (RFC 5321 6.1 prefers that to a loss).
			s.log.Error("local delivery failed", "id", msgID, "to", acct, "err", err)
			return errLocalFailure
		}
	}
	s.log.Info("delivered", "id", msgID, "from", s.from, "to", s.rcpts)
	return nil
}

func (s *mxSession) Reset() { s.from, s.rcpts = "", nil }

func (s *mxSession) Logout() error {
	s.log.Info("disconnect")
	return nil
}
