package mime_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/postkit/postkit/mime"
)

func ExampleWalk() {
	msg := "Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>caf\xc3\xa9</p>\r\n" // no close delimiter
	err := mime.Walk(strings.NewReader(msg), func(p *mime.Part) error {
		if p.Kind != mime.Leaf {
			fmt.Println(p.MediaType)
			return nil
		}
		body, err := io.ReadAll(p.Body())
		fmt.Printf("%s %s %q\n", p.Path, p.MediaType, body)
		return err
	})
	fmt.Println(err)
	// Output:
	// multipart/alternative
	// 1 text/plain "café"
	// 2 text/html "<p>café</p>"
	// <nil>
}

func ExampleReadEntity() {
	msg := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nline 1\r\nline 2\r\n--b--\r\n"
	root, err := mime.ReadEntity(strings.NewReader(msg), nil)
	if err != nil {
		panic(err)
	}
	root.Walk(func(e *mime.Entity) error {
		fmt.Printf("%q %s size=%d lines=%d\n", e.Path, e.MediaType, e.Size, e.Lines)
		return nil
	})
	// Output:
	// "" multipart/mixed size=0 lines=0
	// "1" text/plain size=14 lines=1
}

func ExampleDecodeHeader() {
	s, err := mime.DecodeHeader("=?iso-8859-1?q?Caf=E9?= =?utf-8?b?4piV?= and tea")
	fmt.Println(s, err)
	// Output: Café☕ and tea <nil>
}

func ExampleFormatMediaType() {
	fmt.Println(mime.FormatMediaType("attachment", nil))
	fmt.Println(mime.FormatDisposition("attachment", map[string]string{"filename": "résumé.pdf"}))
	// Output:
	//
	// attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf
}
