package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"

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
	for _, r := range s.remote {
		if strings.EqualFold(r.Addr, to) {
			return nil
		}
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
	msgID := newID()
	trace := s.conn.Received(s.app.hostname, msgID).String() // with ESMTPA or ESMTPSA
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
	if err := s.app.dispatch(s.conn.Context(), s.log, msgID, s.from, s.params.Ret, s.params.EnvID, s.local, s.remote, sf); err != nil {
		return errLocalFailure
	}
	return nil
}

// dispatch sends a message a local user submitted: into the queue for the
// remote recipients, into the store for the local ones. The queue comes
// first; should either step fail, the caller is told to try again and a
// recipient may get the message twice (RFC 5321 6.1 prefers that to a loss).
func (a *app) dispatch(ctx context.Context, log *slog.Logger, msgID, from, ret, envID string,
	local []string, remote []queue.Recipient, sf *spoolFile) error {
	if len(remote) > 0 {
		body, err := sf.reader()
		if err != nil {
			return err
		}
		env := &queue.Envelope{
			From:       from,
			Recipients: remote,
			Ret:        queue.Ret(strings.ToUpper(ret)),
			EnvID:      envID,
			Meta:       map[string]string{"user": from, "received-id": msgID},
		}
		qid, err := a.queue.Enqueue(ctx, env, body)
		if err != nil {
			log.Error("enqueue failed", "id", msgID, "err", err)
			return err
		}
		addrs := make([]string, len(remote))
		for i, r := range remote {
			addrs[i] = r.Addr
		}
		log.Info("queued", "id", msgID, "queue_id", qid, "from", from, "to", addrs)
	}
	for _, acct := range local {
		body, err := sf.reader()
		if err == nil {
			err = a.local.deliver(ctx, acct, body)
		}
		if err != nil {
			log.Error("local delivery failed", "id", msgID, "to", acct, "err", err)
			return err
		}
	}
	if len(local) > 0 {
		log.Info("delivered", "id", msgID, "from", from, "to", local)
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
