// Command memserver is the smallest useful mail server: SMTP in, IMAP out,
// one account, everything in memory (package memstore). It shows the seams
// in a page: an smtp.Session that appends to a mailbox.Store, and an
// imap.Server over the same store, so an IDLEing client sees mail arrive.
//
//	go run ./examples/memserver -user me@example.test:secret
//
// For a complete system (submission, POP3, queue, Maildir, webmail), see
// examples/mailserver.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/sasl"
	"github.com/postkit/postkit/smtp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "memserver:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. ready, if not nil, gets the SMTP and IMAP
// addresses once they listen.
func run(ctx context.Context, args []string, stdout io.Writer, ready func(smtpAddr, imapAddr string)) error {
	fs := flag.NewFlagSet("memserver", flag.ContinueOnError)
	fs.SetOutput(stdout)
	smtpAddr := fs.String("smtp", "127.0.0.1:2525", "SMTP listener `ADDR`")
	imapAddr := fs.String("imap", "127.0.0.1:1143", "IMAP listener `ADDR`")
	userFlag := fs.String("user", "me@example.test:secret", "the account, `ADDR:PASSWORD`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	user, pass, ok := strings.Cut(*userFlag, ":")
	if !ok || !strings.Contains(user, "@") {
		return errors.New("-user: want ADDR:PASSWORD")
	}
	user = strings.ToLower(user)

	store := memstore.New()
	smtpSrv := &smtp.Server{Hostname: "localhost", Handler: smtp.HandlerFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{ctx: c.Context(), store: store, user: user}, nil
	})}
	imapSrv := &imap.Server{
		Store: store,
		Authenticate: func(_ context.Context, u, p string) (string, error) {
			if strings.EqualFold(u, user) && p == pass { // a real server compares hashes in constant time
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		},
	}
	sl, err := net.Listen("tcp", *smtpAddr)
	if err != nil {
		return err
	}
	il, err := net.Listen("tcp", *imapAddr)
	if err != nil {
		sl.Close()
		return err
	}
	go smtpSrv.Serve(sl)
	go imapSrv.Serve(il)
	fmt.Fprintf(stdout, "SMTP on %s, IMAP on %s; mail to %s, log in as %s (password %s)\n",
		sl.Addr(), il.Addr(), user, user, pass)
	if ready != nil {
		ready(sl.Addr().String(), il.Addr().String())
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	smtpSrv.Shutdown(sctx)
	imapSrv.Shutdown(sctx)
	return nil
}

// session takes mail for the one user and appends it to the INBOX.
type session struct {
	ctx   context.Context // the connection's
	store *memstore.Store
	user  string
}

func (s *session) Mail(string, smtp.MailParams) error { return nil }

func (s *session) Rcpt(to string, _ smtp.RcptParams) error {
	if !strings.EqualFold(to, s.user) {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	return nil
}

func (s *session) Data(r io.Reader) error {
	ctx := s.ctx
	acct, err := s.store.Account(ctx, s.user)
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

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }
