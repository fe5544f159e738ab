package imapbench

import (
	"context"
	"io"
	"log"
	"net"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/postkit/postkit/imap"
	"github.com/postkit/postkit/mailbox/memstore"
	"github.com/postkit/postkit/sasl"
)

// The one account both servers have.
const (
	benchUser = "bench"
	benchPass = "bench"
)

// bigStructureCache is the StructureCacheSize of the "postkit-cache"
// server, a bound in messages on top of the default bound in bytes
// (imap.DefaultStructureCacheBytes, which holds the benchmark mailbox):
// the figures of the two show what the bound in messages costs.
const bigStructureCache = 16384

// A server is one side under test, listening on 127.0.0.1.
type server struct {
	addr string
	stop func()
}

// A serverImpl starts one implementation.
type serverImpl struct {
	name  string
	note  string
	start func() (*server, error)
}

// serverImpls lists the servers; go-imap, the reference for the ratios,
// comes first.
var serverImpls = []serverImpl{
	{"go-imap", "go-imap v2.0.0-beta.8 imapserver + imapmemserver, IMAP4rev1+IMAP4rev2 caps, InsecureAuth",
		startGoIMAP},
	{"postkit", "imap.Server + memstore, defaults (StructureCacheBytes 64 MiB) but no connection caps",
		func() (*server, error) { return startPostkit(0) }},
	{"postkit-cache", "the same with StructureCacheSize 16384 as well (a bound in messages that the mailbox fits)",
		func() (*server, error) { return startPostkit(bigStructureCache) }},
}

func startPostkit(cacheSize int) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	check := func(_ context.Context, user, pass string) (string, error) {
		if user == benchUser && pass == benchPass {
			return user, nil
		}
		return "", sasl.ErrAuthFailed
	}
	s := &imap.Server{
		Store:        memstore.New(),
		Authenticate: check,
		// The IDLE measure opens 2000 connections from loopback;
		// go-imap has no cap.
		MaxConnections:      -1,
		MaxConnectionsPerIP: -1,
		StructureCacheSize:  cacheSize,
	}
	done := make(chan struct{})
	go func() { s.Serve(l); close(done) }()
	return &server{addr: l.Addr().String(), stop: func() {
		s.Close()
		<-done
	}}, nil
}

func startGoIMAP() (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(benchUser, benchPass)
	if err := u.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(u)
	s := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         goimap.CapSet{goimap.CapIMAP4rev1: {}, goimap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	done := make(chan struct{})
	go func() { s.Serve(l); close(done) }()
	return &server{addr: l.Addr().String(), stop: func() {
		s.Close()
		<-done
	}}, nil
}
