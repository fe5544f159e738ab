package smtpbench

import (
	"bytes"
	"context"
	"errors"
	"net/smtp"
	"sync"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	pksmtp "github.com/postkit/postkit/smtp"
)

// A sender is one client connection that sends testMessage again and
// again.
type sender interface {
	send() error
	close() error
}

// A clientImpl is one client under test.
type clientImpl struct {
	name string
	note string
	dial func(addr string) (sender, error)
}

// clientImpls lists the clients; go-smtp, the reference for the ratios,
// comes first.
var clientImpls = []clientImpl{
	{"go-smtp", "Client.SendMail on a reused connection: MAIL, RCPT, DATA one at a time", dialGoSMTP},
	{"postkit", "Client.Send on a reused connection: MAIL, RCPT and DATA pipelined in one write", dialPostkit},
	{"net/smtp", "Mail, Rcpt, Data on a reused connection: one command at a time", dialNetSMTP},
}

var rcpts = []string{rcptTo}

type postkitSender struct{ c *pksmtp.Client }

func dialPostkit(addr string) (sender, error) {
	ctx := context.Background()
	c, err := pksmtp.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if err := c.Hello(ctx, "client.test"); err != nil {
		c.Close()
		return nil, err
	}
	if ok, _ := c.Extension("PIPELINING"); !ok {
		c.Close()
		return nil, errors.New("server does not offer PIPELINING")
	}
	return postkitSender{c}, nil
}

func (s postkitSender) send() error {
	_, err := s.c.Send(context.Background(), mailFrom, rcpts, bytes.NewReader(testMessage), nil)
	return err
}

func (s postkitSender) close() error { return s.c.Quit(context.Background()) }

type goSMTPSender struct{ c *gosmtp.Client }

func dialGoSMTP(addr string) (sender, error) {
	c, err := gosmtp.Dial(addr)
	if err != nil {
		return nil, err
	}
	if err := c.Hello("client.test"); err != nil {
		c.Close()
		return nil, err
	}
	return goSMTPSender{c}, nil
}

func (s goSMTPSender) send() error {
	return s.c.SendMail(mailFrom, rcpts, bytes.NewReader(testMessage))
}

func (s goSMTPSender) close() error { return s.c.Quit() }

type netSMTPSender struct{ c *smtp.Client }

func dialNetSMTP(addr string) (sender, error) {
	c, err := smtp.Dial(addr)
	if err != nil {
		return nil, err
	}
	if err := c.Hello("client.test"); err != nil {
		c.Close()
		return nil, err
	}
	return netSMTPSender{c}, nil
}

func (s netSMTPSender) send() error {
	if err := s.c.Mail(mailFrom); err != nil {
		return err
	}
	if err := s.c.Rcpt(rcptTo); err != nil {
		return err
	}
	w, err := s.c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(testMessage); err != nil {
		return err
	}
	return w.Close()
}

func (s netSMTPSender) close() error { return s.c.Quit() }

// clientRun is what runClients measured: the time the messages took and
// this process's allocations and CPU time meanwhile.
type clientRun struct {
	d time.Duration
	u usage
}

// runClients sends total messages from conns connections of impl to
// addr. The connections are opened before the clock starts.
func runClients(impl clientImpl, addr string, conns, total int) (clientRun, error) {
	ss := make([]sender, conns)
	defer func() {
		for _, s := range ss {
			if s != nil {
				s.close()
			}
		}
	}()
	for i := range ss {
		s, err := impl.dial(addr)
		if err != nil {
			return clientRun{}, err
		}
		ss[i] = s
	}
	var wg sync.WaitGroup
	errs := make([]error, conns)
	before := selfUsage()
	start := time.Now()
	for i, s := range ss {
		n := total / conns
		if i < total%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := s.send(); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	return clientRun{d, selfUsage().sub(before)}, errors.Join(errs...)
}
