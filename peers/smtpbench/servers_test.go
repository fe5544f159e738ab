package smtpbench

import (
	"io"
	"log"
	"net"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/postkit/postkit/smtp"
)

// Settings both servers get. Timeouts are our defaults, given to go-smtp
// too, so both set a deadline before each read and write.
const (
	benchHost       = "bench.test"
	maxMessageBytes = 64 << 20
	maxRecipients   = 1000
	maxLineLength   = 2048
	readTimeout     = smtp.DefaultReadTimeout
	writeTimeout    = smtp.DefaultWriteTimeout
)

// A server is one side under test, listening on 127.0.0.1.
type server struct {
	name string
	addr string
	stop func()
}

// A serverImpl starts one implementation.
type serverImpl struct {
	name  string
	start func() (*server, error)
}

// serverImpls lists the servers; go-smtp, the reference for the ratios,
// comes first.
var serverImpls = []serverImpl{
	{"go-smtp", startGoSMTP},
	{"postkit", startPostkit},
}

// ourSession discards everything.
type ourSession struct{}

func (ourSession) Mail(string, smtp.MailParams) error { return nil }
func (ourSession) Rcpt(string, smtp.RcptParams) error { return nil }
func (ourSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (ourSession) Reset()        {}
func (ourSession) Logout() error { return nil }

func startPostkit() (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &smtp.Server{
		Hostname: benchHost,
		Handler: smtp.HandlerFunc(func(*smtp.Conn) (smtp.Session, error) {
			return ourSession{}, nil
		}),
		MaxMessageBytes: maxMessageBytes,
		MaxRecipients:   maxRecipients,
		MaxLineLength:   maxLineLength,
		ReadTimeout:     readTimeout,
		WriteTimeout:    writeTimeout,
		DataTimeout:     readTimeout,
		// The idle-memory measure opens 2000 connections from loopback;
		// go-smtp has no cap either.
		MaxConnections: -1,
	}
	done := make(chan struct{})
	go func() { s.Serve(l); close(done) }()
	return &server{name: "postkit", addr: l.Addr().String(), stop: func() {
		s.Close()
		<-done
	}}, nil
}

// goSession discards everything.
type goSession struct{}

func (goSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (goSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (goSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (goSession) Reset()        {}
func (goSession) Logout() error { return nil }

func startGoSMTP() (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return goSession{}, nil
	}))
	s.Domain = benchHost
	s.MaxMessageBytes = maxMessageBytes
	s.MaxRecipients = maxRecipients
	s.MaxLineLength = maxLineLength
	s.ReadTimeout = readTimeout
	s.WriteTimeout = writeTimeout
	s.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() { s.Serve(l); close(done) }()
	return &server{name: "go-smtp", addr: l.Addr().String(), stop: func() {
		s.Close()
		<-done
	}}, nil
}
