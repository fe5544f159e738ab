package imapclientinterop

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/peers/internal/dovecottest"
	"github.com/postkit/postkit/sasl"
)

func TestDovecot(t *testing.T) {
	dir, maildir := dovecottest.NewDir(t)
	// The Maildir exists before Dovecot starts, so that it can be
	// given to the user Dovecot serves mail as.
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(maildir, sub), 0o700))
	}
	d := startDovecot(t, dir)
	runSuite(t, server{addr: d.Addr})
}

// startGoIMAP starts the go-imap v2 in-memory server on loopback.
func startGoIMAP(t testing.TB) string {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(testUser, testPass)
	require.NoError(t, u.Create("INBOX", nil))
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: goimap.CapSet{
			goimap.CapIMAP4rev1: {}, goimap.CapIMAP4rev2: {},
			goimap.CapNamespace: {}, goimap.CapUIDPlus: {}, goimap.CapESearch: {},
			goimap.CapListExtended: {}, goimap.CapListStatus: {}, goimap.CapMove: {},
			goimap.CapStatusSize: {},
		},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func TestGoIMAPServer(t *testing.T) {
	runSuite(t, server{addr: startGoIMAP(t)})
}

// servePostkit starts postkit's own server over store on loopback and
// returns its address and a function that stops it.
func servePostkit(store *memstore.Store) (string, func() error, error) {
	srv := &imap.Server{
		Store: store,
		Authenticate: func(ctx context.Context, user, pass string) (string, error) {
			if user == testUser && pass == testPass {
				return user, nil
			}
			return "", sasl.ErrAuthFailed
		},
		Auth: map[string]sasl.ServerFactory{"PLAIN": func() sasl.Server {
			return sasl.NewPlainServer(func(ctx context.Context, _, user, pass string) (string, error) {
				if user == testUser && pass == testPass {
					return user, nil
				}
				return "", sasl.ErrAuthFailed
			})
		}},
		AuthDelay: -1,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	stop := func() error {
		srv.Close()
		if err := <-done; !errors.Is(err, imap.ErrServerClosed) {
			return err
		}
		return nil
	}
	return l.Addr().String(), stop, nil
}

// startPostkitStore is servePostkit for a test or benchmark.
func startPostkitStore(t testing.TB, store *memstore.Store) string {
	t.Helper()
	addr, stop, err := servePostkit(store)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return addr
}

func TestPostkitServer(t *testing.T) {
	runSuite(t, server{addr: startPostkitStore(t, memstore.New())})
}
