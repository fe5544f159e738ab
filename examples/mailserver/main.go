// Command mailserver is a complete small mail system on one machine, built
// from the postkit packages: an SMTP server for incoming mail (MX), a
// submission server for the local users' outgoing mail, IMAP and POP3 over
// one Maildir store, and a queue that delivers remote mail by MX lookup or
// through a smarthost.
//
// Run it with no arguments to get a demo account on loopback ports:
//
//	go run ./examples/mailserver
//
// Flags:
//
//	-data DIR               store and spool root              (default ./postkit-data)
//	-domain NAME            local mail domain                  (default example.test)
//	-user ADDR:PASSWORD     a local account; repeatable         (default a demo account, printed)
//	-smtp ADDR              MX listener                         (default 127.0.0.1:2525)
//	-submission ADDR        submission listener                 (default 127.0.0.1:2587)
//	-imap ADDR              IMAP listener                       (default 127.0.0.1:1143)
//	-pop3 ADDR              POP3 listener                       (default 127.0.0.1:1110)
//	-http ADDR              webmail listener                    (default 127.0.0.1:8080)
//	-relay ADDR             smarthost for all outgoing mail     (default: MX lookups)
//	-tls-cert FILE -tls-key FILE   certificate for STARTTLS/STLS (default: self-signed, made at start)
//	-log-level LEVEL        debug, info, warn or error         (default info)
//
// Logins use the full address. Plain-text logins are accepted without TLS on
// loopback connections only. An empty ADDR disables that listener.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox/maildir"
	"github.com/postkit/postkit/pop3"
	"github.com/postkit/postkit/queue"
	"github.com/postkit/postkit/smtp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, a second one kills at once.
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "mailserver:", err)
		os.Exit(1)
	}
}

// shutdownTimeout bounds the graceful shutdown: sessions get this long to
// finish their command, deliveries in progress to end.
const shutdownTimeout = 10 * time.Second

// run is the program: it starts everything, prints the banner to stdout,
// serves until ctx is done, then shuts down gracefully. Logs go to stdout too.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	a, err := newApp(cfg, stdout)
	if err != nil {
		return err
	}
	if err := a.start(ctx); err != nil {
		a.shutdown()
		return err
	}
	a.banner(stdout)
	var serveErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "cause", context.Cause(ctx))
	case serveErr = <-a.errc:
		a.log.Error("listener failed, shutting down", "err", serveErr)
	}
	if err := a.shutdown(); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// config is the command line.
type config struct {
	data, domain                 string
	users                        []string
	smtp, submission, imap, pop3 string
	http, relay                  string
	tlsCert, tlsKey              string
	logLevel                     slog.Level
}

func parseFlags(args []string, out io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("mailserver", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.data, "data", "./postkit-data", "store and spool root `DIR`")
	fs.StringVar(&c.domain, "domain", "example.test", "local mail domain `NAME`")
	fs.Func("user", "a local account `ADDR:PASSWORD`; repeatable (default a demo account, printed)", func(s string) error {
		if _, _, err := parseUserFlag(s); err != nil {
			return err
		}
		c.users = append(c.users, s)
		return nil
	})
	fs.StringVar(&c.smtp, "smtp", "127.0.0.1:2525", "MX listener `ADDR` (empty: off)")
	fs.StringVar(&c.submission, "submission", "127.0.0.1:2587", "submission listener `ADDR` (empty: off)")
	fs.StringVar(&c.imap, "imap", "127.0.0.1:1143", "IMAP listener `ADDR` (empty: off)")
	fs.StringVar(&c.pop3, "pop3", "127.0.0.1:1110", "POP3 listener `ADDR` (empty: off)")
	fs.StringVar(&c.http, "http", "127.0.0.1:8080", "webmail listener `ADDR` (empty: off)")
	fs.StringVar(&c.relay, "relay", "", "send all outgoing mail through this SMTP smarthost `ADDR` instead of MX lookups")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "certificate `FILE` for STARTTLS/STLS (default: self-signed, made at start)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "private key `FILE` of -tls-cert")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "log `LEVEL`: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.domain = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(c.domain), "."))
	if c.domain == "" || strings.ContainsAny(c.domain, "@ /\\") {
		return nil, fmt.Errorf("-domain %q: not a domain name", c.domain)
	}
	return c, nil
}

// app is the running mail system.
type app struct {
	cfg       *config
	log       *slog.Logger
	users     *users
	hostname  string
	tmpDir    string
	authDelay time.Duration // 0: the servers' default

	demoPassword string // set when the demo account is in use
	tls          *tls.Config
	tlsInfo      string

	store *maildir.Store
	local *localDelivery
	spool *queue.Spool
	queue *queue.Queue

	smtpSrv, subSrv *smtp.Server
	imapSrv         *imap.Server
	pop3Srv         *pop3.Server
	httpSrv         *http.Server
	addrs           map[string]string // listener name -> address it listens on
	errc            chan error
	wg              sync.WaitGroup
	queueStarted    bool
	stopOnce        sync.Once
	stopErr         error
	webmailState
}

func newApp(cfg *config, logOut io.Writer) (*app, error) {
	a := &app{
		cfg:      cfg,
		log:      slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: cfg.logLevel})),
		users:    newUsers(cfg.domain),
		hostname: cfg.domain,
		addrs:    make(map[string]string),
		errc:     make(chan error, 5),
	}
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return nil, err
	}
	a.tmpDir = filepath.Join(cfg.data, "tmp")
	if err := os.MkdirAll(a.tmpDir, 0o700); err != nil {
		return nil, err
	}
	for _, s := range cfg.users {
		addr, pass, _ := parseUserFlag(s)
		if err := a.users.add(addr, pass); err != nil {
			return nil, err
		}
	}
	if len(cfg.users) == 0 {
		pass, _, err := demoPassword(cfg.data)
		if err != nil {
			return nil, fmt.Errorf("demo account: %w", err)
		}
		if err := a.users.add("demo@"+cfg.domain, pass); err != nil {
			return nil, err
		}
		a.demoPassword = pass
	}
	var err error
	a.tls, a.tlsInfo, err = tlsConfig(cfg.tlsCert, cfg.tlsKey, []string{a.hostname})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// start opens the store and the queue and starts every listener.
func (a *app) start(ctx context.Context) error {
	a.store = maildir.New(filepath.Join(a.cfg.data, "mail"), nil)
	a.local = &localDelivery{store: a.store}

	var err error
	a.spool, err = queue.OpenSpool(filepath.Join(a.cfg.data, "queue"))
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	remote, err := newTransport(a.cfg.relay, a.hostname, a.log.With("proto", "smtp-out"))
	if err != nil {
		return err
	}
	a.queue = &queue.Queue{
		Store:     a.spool,
		Deliverer: &router{users: a.users, local: a.local, remote: remote, log: a.log.With("proto", "queue")},
		Hostname:  a.hostname,
		Logger:    a.log.With("proto", "queue"),
		Hooks: queue.Hooks{
			Notified: func(id, dsnID string, actions []string) {
				a.log.Info("notification queued", "proto", "queue", "queue_id", id, "dsn_id", dsnID, "actions", actions)
			},
			Removed: func(env *queue.Envelope, deleted bool) {
				a.log.Info("message done", "proto", "queue", "queue_id", env.ID, "deleted", deleted)
			},
		},
	}
	// Start does not take ctx as the queue's lifetime: shutdown ends it.
	if err := a.queue.Start(context.WithoutCancel(ctx)); err != nil {
		// The messages that could be read are scheduled; go on.
		a.log.Error("queue start", "err", err)
	}
	a.queueStarted = true

	a.initWebmail()
	// The servers are made before any goroutine, so shutdown sees them.
	a.smtpSrv, a.subSrv = a.newMXServer(), a.newSubmissionServer()
	a.imapSrv, a.pop3Srv, a.httpSrv = a.newIMAPServer(), a.newPOP3Server(), a.newHTTPServer()
	listeners := []struct {
		name, addr string
		serve      func(net.Listener) error
	}{
		{"smtp", a.cfg.smtp, a.smtpSrv.Serve},
		{"submission", a.cfg.submission, a.subSrv.Serve},
		{"imap", a.cfg.imap, func(l net.Listener) error {
			return a.imapSrv.Serve(loggingListener{l, a.log.With("proto", "imap")})
		}},
		{"pop3", a.cfg.pop3, func(l net.Listener) error {
			return a.pop3Srv.Serve(loggingListener{l, a.log.With("proto", "pop3")})
		}},
		{"http", a.cfg.http, a.httpSrv.Serve},
	}
	lns := make([]net.Listener, len(listeners))
	for i, l := range listeners {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, o := range lns {
				if o != nil {
					o.Close()
				}
			}
			return fmt.Errorf("-%s %s: %w", l.name, l.addr, err)
		}
		lns[i] = ln
		a.addrs[l.name] = ln.Addr().String()
	}
	for i, l := range listeners {
		if lns[i] == nil {
			continue
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			err := l.serve(lns[i])
			switch {
			case err == nil, errors.Is(err, smtp.ErrServerClosed), errors.Is(err, imap.ErrServerClosed),
				errors.Is(err, pop3.ErrServerClosed), errors.Is(err, http.ErrServerClosed):
			default:
				select {
				case a.errc <- fmt.Errorf("%s: %w", l.name, err):
				default:
				}
			}
		}()
	}
	return nil
}

// shutdown stops the listeners, lets sessions finish, then stops the queue,
// whose state stays in the spool for the next start. Calls after the first
// return its result.
func (a *app) shutdown() error {
	a.stopOnce.Do(func() { a.stopErr = a.doShutdown() })
	return a.stopErr
}

func (a *app) doShutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	stop := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s shutdown: %w", name, err))
				mu.Unlock()
			}
		}()
	}
	if a.smtpSrv != nil {
		stop("smtp", a.smtpSrv.Shutdown)
		stop("submission", a.subSrv.Shutdown)
		stop("imap", a.imapSrv.Shutdown)
		stop("pop3", a.pop3Srv.Shutdown)
		stop("http", a.httpSrv.Shutdown)
	}
	wg.Wait()
	a.wg.Wait()
	if a.queueStarted {
		if err := a.queue.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("queue shutdown: %w", err))
		}
	}
	if a.spool != nil {
		if err := a.spool.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	a.log.Info("stopped")
	return errors.Join(errs...)
}
