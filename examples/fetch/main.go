// Command fetch downloads a mailbox over IMAP or POP3 into a Maildir, as
// fetchmail or getmail do, with postkit's own clients (imap.Client,
// pop3.Client) and its Maildir writer (mailbox/maildir).
//
//	FETCH_PASSWORD=secret go run ./examples/fetch -proto imap -addr imap.example.org:993 -tls \
//	    -user alice@example.org -maildir ~/Mail/example
//
// Reruns fetch only what is new. IMAP remembers the mailbox's UIDVALIDITY
// and the last UID fetched; POP3 either deletes what it fetched (the
// default) or, with -keep, leaves the mail on the server and remembers the
// unique-ids (UIDL) it has fetched. The state is a JSON file next to the
// Maildir (-state), replaced atomically after each message. Bodies are
// streamed from the connection to the disk, never held in memory.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/sasl"
)

// connectTimeout bounds connecting, the TLS handshake and logging in: a
// server that takes longer is not going to deliver a mailbox either.
const connectTimeout = 30 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "fetch:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	proto     string
	addr      string
	implicit  bool // -tls
	startTLS  bool
	insecure  bool
	user      string
	pass      string
	mailbox   string // IMAP
	seen      bool   // IMAP: mark fetched messages \Seen on the server
	keep      bool   // POP3: leave messages on the server
	maildir   string
	stateFile string
	timeout   time.Duration
	out       io.Writer
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var c config
	fs.StringVar(&c.proto, "proto", "imap", "protocol: `imap` or pop3")
	fs.StringVar(&c.addr, "addr", "", "server `HOST:PORT` (993 or 995 with -tls, 143 or 110 otherwise)")
	fs.BoolVar(&c.implicit, "tls", false, "TLS from the first byte (implicit TLS, RFC 8314)")
	fs.BoolVar(&c.startTLS, "starttls", false, "upgrade to TLS with STARTTLS (IMAP) or STLS (POP3)")
	fs.BoolVar(&c.insecure, "insecure", false, "accept any server certificate (a self-signed test server)")
	fs.StringVar(&c.user, "user", "", "login `NAME`")
	fs.StringVar(&c.pass, "pass", "", "password (visible to other users in ps: prefer the FETCH_PASSWORD environment variable)")
	fs.StringVar(&c.mailbox, "mailbox", "INBOX", "IMAP mailbox to fetch")
	fs.BoolVar(&c.seen, "seen", false, "IMAP: mark fetched messages \\Seen on the server (default: leave them unread)")
	fs.BoolVar(&c.keep, "keep", false, "POP3: leave messages on the server and remember their UIDLs (default: delete them)")
	fs.StringVar(&c.maildir, "maildir", "", "the Maildir `DIR` to write into (created if missing)")
	fs.StringVar(&c.stateFile, "state", "", "state `FILE` (default: DIR.fetch-state.json, next to the Maildir)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "give up on the whole run after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.pass == "" {
		c.pass = os.Getenv("FETCH_PASSWORD")
	}
	switch {
	case c.proto != "imap" && c.proto != "pop3":
		return errors.New("-proto: want imap or pop3")
	case c.addr == "":
		return errors.New("-addr is required")
	case c.user == "" || c.pass == "":
		return errors.New("-user and a password (-pass or FETCH_PASSWORD) are required")
	case c.maildir == "":
		return errors.New("-maildir is required")
	case c.implicit && c.startTLS:
		return errors.New("-tls and -starttls exclude each other")
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	// RFC 8314 and RFC 2595: no password in the clear, except to this
	// machine.
	if !c.implicit && !c.startTLS && !sasl.AllowPlaintext(c.addr, false) {
		return errors.New("refusing to send the password without TLS to a remote server: use -tls or -starttls")
	}
	dir, err := filepath.Abs(c.maildir)
	if err != nil {
		return err
	}
	c.maildir = dir
	if c.stateFile == "" {
		c.stateFile = c.maildir + ".fetch-state.json"
	}
	c.out = stdout

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	inbox, err := openMaildir(ctx, c.maildir)
	if err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	defer inbox.Close()
	st, err := loadState(c.stateFile)
	if err != nil {
		return err
	}
	if c.proto == "imap" {
		return fetchIMAP(ctx, &c, inbox, st)
	}
	return fetchPOP3(ctx, &c, inbox, st)
}

// openMaildir opens the Maildir in dir (creating cur/, new/ and tmp/ when
// missing) for appending. The store's AccountPath makes dir itself the
// account, so its INBOX is dir: a plain Maildir that mutt, Dovecot or
// mbsync read. The view claims no \Recent (NoRecent), as a delivery agent's:
// messages land in new/ unless they carry flags.
func openMaildir(ctx context.Context, dir string) (*closingMailbox, error) {
	store := maildir.New(filepath.Dir(dir), &maildir.Options{
		AccountPath: func(string) (string, error) { return dir, nil },
	})
	acct, err := store.Account(ctx, "fetch")
	if err != nil {
		return nil, err
	}
	mb, err := acct.Open(ctx, mailbox.Inbox, &mailbox.OpenOptions{NoRecent: true})
	if err != nil {
		acct.Close()
		return nil, err
	}
	return &closingMailbox{Mailbox: mb, acct: acct}, nil
}

// closingMailbox closes its account with the view.
type closingMailbox struct {
	mailbox.Mailbox
	acct mailbox.Account
}

func (m *closingMailbox) Close() error {
	err := m.Mailbox.Close()
	if err2 := m.acct.Close(); err == nil {
		err = err2
	}
	return err
}

// tlsConfig returns the configuration that verifies the server of addr,
// or accepts any certificate with -insecure.
func (c *config) tlsConfig() *tls.Config {
	host, _, _ := net.SplitHostPort(c.addr)
	return &tls.Config{ServerName: host, InsecureSkipVerify: c.insecure}
}

// stateKey names one remote mailbox in the state file.
func (c *config) stateKey() string {
	if c.proto == "imap" {
		return "imap://" + c.user + "@" + c.addr + "/" + c.mailbox
	}
	return "pop3://" + c.user + "@" + c.addr
}
