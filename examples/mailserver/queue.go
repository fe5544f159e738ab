package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/postkit/postkit/queue"
	"github.com/postkit/postkit/smtp"
)

// router is the queue's Deliverer. The queue calls it once per destination
// domain: mail for the local domain — delivery status notifications to our own
// users, above all — goes into the mail store, the rest to the next hop
// (the MX transport or the smarthost).
type router struct {
	users  *users
	local  *localDelivery
	remote queue.Deliverer
	log    *slog.Logger
}

// localResult is the error of a local delivery, with what the queue reads
// from it.
type localResult struct {
	status    string
	temporary bool
	err       error
}

func (e *localResult) Error() string   { return e.err.Error() }
func (e *localResult) Temporary() bool { return e.temporary }
func (e *localResult) Status() string  { return e.status }
func (e *localResult) Unwrap() error   { return e.err }

// DeliverDSN passes the DSN parameters on with remote mail (RFC 3461
// 5.2); local delivery needs none, the queue notifies by itself.
func (r *router) DeliverDSN(ctx context.Context, from string, to []string, msg io.Reader, ret, envID string, notify, orcpt []string) []error {
	if d, ok := r.remote.(queue.DSNDeliverer); ok && len(to) > 0 && !r.users.local(to[0]) {
		return d.DeliverDSN(ctx, from, to, msg, ret, envID, notify, orcpt)
	}
	return r.Deliver(ctx, from, to, msg)
}

func (r *router) Deliver(ctx context.Context, from string, to []string, msg io.Reader) []error {
	if len(to) == 0 || !r.users.local(to[0]) {
		return r.remote.Deliver(ctx, from, to, msg)
	}
	seeker, _ := msg.(io.Seeker)
	errs := make([]error, len(to))
	for i, rcpt := range to {
		acct := r.users.resolve(rcpt)
		if acct == "" {
			errs[i] = &localResult{status: "5.1.1", err: fmt.Errorf("no such user %s", rcpt)}
			continue
		}
		if seeker != nil {
			if _, err := seeker.Seek(0, io.SeekStart); err != nil {
				errs[i] = &localResult{status: "4.3.0", temporary: true, err: err}
				continue
			}
		} else if i > 0 {
			errs[i] = &localResult{status: "4.3.0", temporary: true, err: fmt.Errorf("message cannot be read again")}
			continue
		}
		if err := r.local.deliver(ctx, acct, msg); err != nil {
			errs[i] = &localResult{status: "4.3.0", temporary: true, err: err}
			continue
		}
		r.log.Info("delivered from queue", "from", from, "to", acct)
	}
	return errs
}

// newTransport returns the Deliverer for remote mail: the MX transport,
// or, with a relay address, a transport whose every lookup and connection
// lead to the relay.
func newTransport(relay, localName string, log *slog.Logger) (queue.Deliverer, error) {
	t := &smtp.Transport{LocalName: localName, Logger: log}
	if relay == "" {
		return t, nil
	}
	host, port, err := net.SplitHostPort(relay)
	if err != nil {
		return nil, fmt.Errorf("-relay %q: %w", relay, err)
	}
	if host == "" {
		host = "localhost"
	}
	t.Resolver = relayResolver{host: strings.TrimSuffix(host, ".")}
	t.Port = port
	t.MaxHosts = 1
	t.ConnectTimeout = 30 * time.Second
	dialer := &net.Dialer{}
	addr := net.JoinHostPort(host, port)
	t.Dialer = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}
	return t, nil
}

var _ queue.DSNDeliverer = (*smtp.Transport)(nil)

// relayResolver answers every MX lookup with the relay, so that the MX
// transport becomes a smarthost client.
type relayResolver struct{ host string }

func (r relayResolver) LookupMX(context.Context, string) ([]*net.MX, error) {
	return []*net.MX{{Host: r.host, Pref: 10}}, nil
}
