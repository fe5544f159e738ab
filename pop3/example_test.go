package pop3_test

import (
	"context"
	"log"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/pop3"
	"github.com/postkit/postkit/sasl"
)

// ExampleServer serves the INBOXes of a store over POP3, with USER/PASS
// and SASL PLAIN checked against one password.
func ExampleServer() {
	var store mailbox.Store // memstore, maildir, ...
	check := func(ctx context.Context, user, pass string) (string, error) {
		if user == "user@example.test" && pass == "secret" {
			return user, nil
		}
		return "", sasl.ErrAuthFailed
	}
	srv := &pop3.Server{
		Addr:         "127.0.0.1:1110",
		Hostname:     "mail.example.test",
		Store:        store,
		Authenticate: check,
		Auth: map[string]sasl.ServerFactory{
			sasl.Plain: func() sasl.Server {
				return sasl.NewPlainServer(func(ctx context.Context, identity, user, pass string) (string, error) {
					return check(ctx, user, pass)
				})
			},
		},
		Expire: "NEVER",
	}
	if store != nil {
		log.Fatal(srv.ListenAndServe())
	}
}
