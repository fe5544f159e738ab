package main

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/postkit/postkit/queue"
	"github.com/postkit/postkit/smtp"
)

// submissionSession is one connection to the submission listener (RFC 6409):
// only authenticated users send, only from their own address; local
// recipients get the message at once, remote ones through the queue.
type submissionSession struct {
	app  *app
	conn *smtp.Conn
	id   string
	log  *slog.Logger

	from   string
	params smtp.MailParams
	local  []string          // account names
	remote []queue.Recipient // in RCPT order
}

func (a *app) newSubmissionSession(c *smtp.Conn) (smtp.Session, error) {
	id := newID()
	log := a.log.With("proto", "submission", "conn", id, "remote", c.RemoteAddr().String())
	log.Info("connect")
	return &submissionSession{app: a, conn: c, id: id, log: log}, nil
}

func (s *submissionSession) Mail(from string, p smtp.MailParams) error {
	s.Reset()
	user := s.conn.AuthIdentity()
	if user == "" {
		// RFC 6409 4.3, RFC 4954 6.: 530 5.7.0.
		return errAuthRequired
	}
	// RFC 6409 8.1 lets the submission server check that the sender is
	// the user's; we allow nothing else (the null path included).
	if !strings.EqualFold(from, user) {
		s.log.Warn("sender refused", "user", user, "from", from)
		return errSenderNotOwn
	}
	s.from, s.params = user, p
	return nil
}

func (s *submissionSession) Rcpt(to string, p smtp.RcptParams) error {
	u := s.app.users
	if u.local(to) || strings.EqualFold(to, "postmaster") {
		acct := u.resolve(to)
		if acct == "" {
			return errNoSuchUser
		}
		for _, a := range s.local {
			if a == acct {
				return nil
			}
		}
		s.local = append(s.local, acct)
		return nil
	}
	r := queue.Recipient{Addr: to}
	if p.Notify != "" {
		n, err := queue.ParseNotify(p.Notify)
		if err != nil {
			return &smtp.Error{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "Bad NOTIFY parameter"}
		}
		r.Notify = n
	}
	if p.ORCPT != "" {
		if typ, addr, err := smtp.ParseORCPT(p.ORCPT); err == nil {
			r.ORcpt = typ + ";" + addr
		}
	}
	s.remote = append(s.remote, r)
	return nil
}

func (s *submissionSession) Data(r io.Reader) error {
	if len(s.local) == 0 && len(s.remote) == 0 {
		return errNeedRecipient
	}
	proto := "ESMTPA"
	if _, ok := s.conn.ConnectionState(); ok {
		proto = "ESMTPSA"
	}
	msgID := newID()
	trace := receivedHeader(s.conn.Hostname(), s.conn.RemoteAddr(), s.app.hostname, proto, msgID, time.Now())
	sf, err := spoolMessage(s.app.tmpDir, trace, r)
	if err != nil {
		var le *localError
		if !errors.As(err, &le) {
			return err
		}
		s.log.Error("spool", "err", err)
		return errLocalFailure
	}
	defer sf.Close()
	ctx := s.conn.Context()

	// Queue first: once the remote part is durable, the local deliveries
	// cannot leave the sender believing a failed message went out.
	if len(s.remote) > 0 {
		body, err := sf.reader()
		if err != nil {
			return errLocalFailure
		}
		env := &queue.Envelope{
			From:       s.from,
			Recipients: s.remote,
			Ret:        queue.Ret(strings.ToUpper(s.params.Ret)),
			EnvID:      s.params.EnvID,
			Meta:       map[string]string{"user": s.from, "received-id": msgID},
		}
		qid, err := s.app.queue.Enqueue(ctx, env, body)
		if err != nil {
			s.log.Error("enqueue failed", "id", msgID, "err", err)
			return errLocalFailure
		}
		addrs := make([]string, len(s.remote))
		for i, r := range s.remote {
			addrs[i] = r.Addr
		}
		s.log.Info("queued", "id", msgID, "queue_id", qid, "from", s.from, "to", addrs)
	}
	for _, acct := range s.local {
		body, err := sf.reader()
		if err == nil {
			err = s.app.local.deliver(ctx, acct, body)
		}
		if err != nil {
			s.log.Error("local delivery failed", "id", msgID, "to", acct, "err", err)
			return errLocalFailure
		}
	}
	if len(s.local) > 0 {
		s.log.Info("delivered", "id", msgID, "from", s.from, "to", s.local)
	}
	return nil
}

func (s *submissionSession) Reset() {
	s.from, s.params, s.local, s.remote = "", smtp.MailParams{}, nil, nil
}

func (s *submissionSession) Logout() error {
	s.log.Info("disconnect", "user", s.conn.AuthIdentity())
	return nil
}
