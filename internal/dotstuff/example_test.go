package dotstuff_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/postkit/postkit/internal/dotstuff"
)

func ExampleReader() {
	// A smuggling attempt: "\n.\n" must not end the data.
	conn := bufio.NewReader(strings.NewReader(
		"Subject: hi\r\n\r\nbody\n.\nMAIL FROM:<evil@example.com>\r\n.\r\nQUIT\r\n"))
	_, err := io.Copy(io.Discard, dotstuff.NewReader(conn, 10<<20))
	if errors.Is(err, dotstuff.ErrBareLineEnding) {
		fmt.Println("550 5.6.0 bare CR or LF in message")
	}
	next, _ := conn.ReadString('\n')
	fmt.Printf("next command: %q\n", next)
	// Output:
	// 550 5.6.0 bare CR or LF in message
	// next command: "QUIT\r\n"
}

func ExampleWriter() {
	var wire bytes.Buffer
	w := dotstuff.NewWriter(&wire)
	io.WriteString(w, "line one\n.hidden\nlast")
	w.Close()
	fmt.Printf("%q\n", wire.String())
	// Output:
	// "line one\r\n..hidden\r\nlast\r\n.\r\n"
}
