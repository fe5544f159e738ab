package smtp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/postkit/postkit/smtp"
)

// staticMX answers MX lookups from a table, standing in for DNS.
type staticMX map[string][]*net.MX

func (m staticMX) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if mx, ok := m[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// mxSession is the receiving side of the example: it knows every user
// but nobody.
type mxSession struct{}

func (mxSession) Mail(string, smtp.MailParams) error { return nil }
func (mxSession) Rcpt(to string, _ smtp.RcptParams) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	return nil
}
func (mxSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (mxSession) Reset()        {}
func (mxSession) Logout() error { return nil }

func ExampleTransport() {
	// The mail exchanger of example.org, here on loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := &smtp.Server{Hostname: "mx.example.org", Handler: smtp.HandlerFunc(func(*smtp.Conn) (smtp.Session, error) {
		return mxSession{}, nil
	})}
	go srv.Serve(l)
	defer srv.Close()
	host, port, _ := net.SplitHostPort(l.Addr().String())

	t := &smtp.Transport{
		Resolver:  staticMX{"example.org": {{Host: host, Pref: 10}}}, // nil: DNS
		Port:      port,                                              // "": 25
		LocalName: "mail.example.net",
	}
	to := []string{"alice@example.org", "nobody@example.org"}
	msg := strings.NewReader("From: bob@example.net\r\nSubject: hello\r\n\r\nHi.\r\n")
	for i, err := range t.Deliver(context.Background(), "bob@example.net", to, msg) {
		var de *smtp.DeliveryError
		switch {
		case err == nil:
			fmt.Println(to[i], "delivered")
		case errors.As(err, &de) && de.Temporary():
			fmt.Println(to[i], "retry later:", err)
		case errors.As(err, &de):
			// What a delivery status notification reports (RFC 3464).
			fmt.Println(to[i], "failed: Status:", de.Status(), "Diagnostic-Code: smtp;", de.DiagnosticCode())
		}
	}
	// Output:
	// alice@example.org delivered
	// nobody@example.org failed: Status: 5.1.1 Diagnostic-Code: smtp; 550 5.1.1 No such user
}
