// Command lmtp is a local delivery agent: an LMTP server (RFC 2033) that
// puts each recipient's copy of a message into the Maildir of its account,
// <root>/<user>, in the layout of mailbox/maildir (Dovecot's Maildir++), so
// that examples/mailserver, Dovecot or mutt read it. An MTA such as
// Postfix hands it the mail for local users:
//
//	go run ./examples/lmtp -listen /run/postkit/lmtp -root /var/mail/postkit
//	# postfix main.cf: virtual_transport = lmtp:unix:/run/postkit/lmtp
//
// The account of a recipient is its address in lower case, as
// examples/mailserver names accounts, or its local part with -local-part.
// Accounts are the directories that exist under -root: a recipient without
// one is refused at RCPT with 550 5.1.1, and the directory is never made
// here. After the message, LMTP answers once per recipient (RFC 2033 4.2),
// so a full disk or a broken Maildir fails one recipient (4yz, for the MTA to
// retry) and not the others. Each copy starts with a Return-Path field
// (RFC 5321 4.4, this is the final delivery) and a Received field.
//
// LMTP has no authentication: listen on a Unix socket or on loopback only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/smtp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "lmtp:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. ready, if not nil, gets the listener's
// address once it listens.
func run(ctx context.Context, args []string, stdout io.Writer, ready func(addr net.Addr)) error {
	fls := flag.NewFlagSet("lmtp", flag.ContinueOnError)
	fls.SetOutput(stdout)
	listen := fls.String("listen", "127.0.0.1:2424", "`ADDR`: a Unix socket path (with a /) or a TCP host:port")
	root := fls.String("root", "", "`DIR` holding one Maildir per account (required)")
	hostname := fls.String("hostname", "", "this host's name in the greeting and Received fields (default: the system's)")
	localPart := fls.Bool("local-part", false, "name accounts by the local part of the address only")
	if err := fls.Parse(args); err != nil {
		return err
	}
	if *root == "" {
		return errors.New("-root is required")
	}
	if st, err := os.Stat(*root); err != nil {
		return err
	} else if !st.IsDir() {
		return fmt.Errorf("-root: %s is not a directory", *root)
	}
	if *hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			h = "localhost"
		}
		*hostname = h
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))

	d := &delivery{
		root:      *root,
		store:     maildir.New(*root, &maildir.Options{NoAutoCreate: true}),
		hostname:  *hostname,
		localPart: *localPart,
		log:       logger,
	}
	srv := &smtp.Server{
		Hostname: *hostname,
		LMTP:     true,
		Handler:  smtp.HandlerFunc(d.newSession),
		Logger:   logger,
	}
	l, err := listenOn(*listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "LMTP on %s (%s), delivering into %s/<user>\n", l.Addr(), l.Addr().Network(), *root)
	if ready != nil {
		ready(l.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return err
	}
	return nil
}

// listenOn listens on a Unix socket when addr holds a "/", on TCP
// otherwise. A socket file left by an earlier run is removed first; the
// listener removes it when it closes.
func listenOn(addr string) (net.Listener, error) {
	if !strings.Contains(addr, "/") {
		return net.Listen("tcp", addr)
	}
	if st, err := os.Lstat(addr); err == nil && st.Mode().Type() == fs.ModeSocket {
		if err := os.Remove(addr); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(addr), 0o755); err != nil {
		return nil, err
	}
	return net.Listen("unix", addr)
}
