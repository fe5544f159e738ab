package imap_test

import (
	"context"
	"log"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/sasl"
)

// An IMAP server over an in-memory store with one user, LOGIN and
// AUTHENTICATE PLAIN.
func ExampleServer() {
	check := func(ctx context.Context, user, pass string) (string, error) {
		if user == "alice" && pass == "secret" {
			return user, nil
		}
		return "", sasl.ErrAuthFailed
	}
	srv := &imap.Server{
		Addr:         "127.0.0.1:1143",
		Store:        memstore.New(),
		Authenticate: check,
		Auth: map[string]sasl.ServerFactory{
			sasl.Plain: func() sasl.Server {
				return sasl.NewPlainServer(func(ctx context.Context, _, user, pass string) (string, error) {
					return check(ctx, user, pass)
				})
			},
		},
	}
	go func() {
		if err := srv.ListenAndServe(); err != imap.ErrServerClosed {
			log.Print(err)
		}
	}()
	// ... later: send BYE to every client and stop.
	srv.Shutdown(context.Background())
}
