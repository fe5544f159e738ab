package proxyproto_test

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"github.com/postkit/postkit/internal/proxyproto"
)

// ReadHeader parses the header and leaves what follows it in the reader.
func ExampleReadHeader() {
	r := bufio.NewReader(strings.NewReader("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO client.example\r\n"))
	h, err := proxyproto.ReadHeader(r)
	if err != nil {
		log.Fatal(err)
	}
	line, _ := r.ReadString('\n')
	fmt.Println(h.Version, h.Command, h.Source, h.Destination)
	fmt.Printf("%q\n", line)
	// Output:
	// 1 PROXY 192.0.2.1:56324 198.51.100.2:25
	// "EHLO client.example\r\n"
}

// A server behind a proxy wraps each connection in its own goroutine and
// closes it when the header is missing or malformed.
func ExampleWrap() {
	server, client := net.Pipe()
	go client.Write([]byte("PROXY TCP6 2001:db8::1 2001:db8::25 40000 25\r\n"))

	conn, _, err := proxyproto.Wrap(server, 5*time.Second)
	if err != nil {
		server.Close() // section 2: never guess, never serve without the header
		log.Print(err)
		return
	}
	defer conn.Close()
	fmt.Println("client", conn.RemoteAddr())
	// Output:
	// client [2001:db8::1]:40000
}
