// Command sendmail composes a message and sends it: through a submission
// server with STARTTLS and AUTH, or straight to the recipients' mail
// exchangers. The text is read from standard input.
//
//	echo "Hello." | go run ./examples/sendmail -server 127.0.0.1:2587 -insecure \
//	    -user demo@example.test -password-file postkit-data/demo-password \
//	    -from demo@example.test -to demo@example.test -subject hi -attach notes.pdf
//
// Without -server, the message goes to each recipient domain's MX hosts on
// port 25 (smtp.Transport), as a mail server's queue would send it.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/sasl"
	"github.com/postkit/postkit/smtp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "sendmail:", err)
		os.Exit(1)
	}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("sendmail", flag.ContinueOnError)
	fs.SetOutput(stdout)
	server := fs.String("server", "", "submission server `HOST:PORT`; empty: deliver to the recipients' MX hosts")
	user := fs.String("user", "", "login for AUTH PLAIN (the full address)")
	passFile := fs.String("password-file", "", "`FILE` holding the password (or set SENDMAIL_PASSWORD)")
	insecure := fs.Bool("insecure", false, "accept any server certificate (a self-signed test server)")
	from := fs.String("from", "", "sender `ADDR`")
	subject := fs.String("subject", "", "subject")
	var to, cc, attach listFlag
	fs.Var(&to, "to", "recipient `ADDR` or list; repeatable")
	fs.Var(&cc, "cc", "copy recipient `ADDR` or list; repeatable")
	fs.Var(&attach, "attach", "attach `FILE`; repeatable")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || len(to) == 0 {
		return errors.New("-from and -to are required")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	// Compose.
	var b message.Builder
	fromAddr, err := message.ParseAddress(*from)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	if err := b.Header.SetAddressList("From", []message.Address{fromAddr}); err != nil {
		return err
	}
	var rcpts []string
	for _, f := range []struct {
		name string
		list listFlag
	}{{"To", to}, {"Cc", cc}} {
		if len(f.list) == 0 {
			continue
		}
		list, err := message.ParseAddressList(strings.Join(f.list, ", "))
		if err != nil {
			return fmt.Errorf("-%s: %w", strings.ToLower(f.name), err)
		}
		if err := b.Header.SetAddressList(f.name, list); err != nil {
			return err
		}
		for _, m := range message.Mailboxes(list) {
			rcpts = append(rcpts, m.Addr)
		}
	}
	b.Header.SetSubject(*subject)
	b.Header.SetDate(time.Now())
	domain := fromAddr.Addr[strings.LastIndexByte(fromAddr.Addr, '@')+1:]
	if err := b.Header.SetMessageID(message.GenerateMessageID(domain)); err != nil {
		return err
	}
	text, err := io.ReadAll(io.LimitReader(stdin, 10<<20))
	if err != nil {
		return err
	}
	b.Text = string(text)
	for _, name := range attach {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		b.Attachments = append(b.Attachments, message.Attachment{Filename: filepath.Base(name), Body: f})
	}
	var msg bytes.Buffer
	if _, err := b.WriteTo(&msg); err != nil {
		return err
	}

	// Send.
	var results []error
	if *server == "" {
		results = (&smtp.Transport{}).Deliver(ctx, fromAddr.Addr, rcpts, bytes.NewReader(msg.Bytes()))
	} else {
		results, err = submit(ctx, *server, *user, *passFile, *insecure, fromAddr.Addr, rcpts, msg.Bytes())
		if err != nil {
			return err
		}
	}
	failed := 0
	for i, err := range results {
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "%s: %v\n", rcpts[i], err)
		} else {
			fmt.Fprintf(stdout, "%s: accepted\n", rcpts[i])
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d recipients refused", failed, len(rcpts))
	}
	return nil
}

// submit sends msg through a submission server (RFC 6409): STARTTLS when
// offered (required before a password unless the server is on this machine),
// AUTH PLAIN when a user is given.
func submit(ctx context.Context, server, user, passFile string, insecure bool, from string, rcpts []string, msg []byte) ([]error, error) {
	c, err := smtp.Dial(ctx, server)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Hello(ctx, ""); err != nil {
		return nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		var cfg *tls.Config
		if insecure {
			cfg = &tls.Config{InsecureSkipVerify: true}
		}
		if err := c.StartTLS(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if user != "" {
		pass := os.Getenv("SENDMAIL_PASSWORD")
		if passFile != "" {
			b, err := os.ReadFile(passFile)
			if err != nil {
				return nil, err
			}
			pass = strings.TrimSpace(string(b))
		}
		if err := c.Auth(ctx, sasl.NewPlainClient("", user, pass)); err != nil {
			return nil, err
		}
	}
	results, err := c.Send(ctx, from, rcpts, bytes.NewReader(msg), nil)
	if err != nil && !errors.Is(err, smtp.ErrNoRecipients) {
		return nil, err
	}
	_ = c.Quit(ctx)
	return results, nil
}
