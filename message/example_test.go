package message_test

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

func ExampleRead() {
	raw := "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\r\n" +
		"To: undisclosed-recipients:;\r\n" +
		"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
		"Date: Tue, 24 Nov 2026 10:00:00 +0100\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--b--\r\n"
	m, err := message.Read(strings.NewReader(raw))
	if err != nil {
		panic(err)
	}
	from, _ := m.Header.From()
	to, _ := m.Header.To()
	date, _ := m.Header.Date()
	fmt.Println(from[0].Name, from[0].Addr)
	fmt.Println(to[0].Name, "group:", to[0].Group, "members:", len(to[0].Members))
	fmt.Println(m.Header.Subject(), date.UTC().Format(time.RFC3339))
	m.Walk(func(p *mime.Part) error {
		if p.Kind != mime.Leaf {
			return nil
		}
		body, _ := io.ReadAll(p.Body())
		fmt.Printf("%s %s %q %q\n", p.Path, p.MediaType, p.Filename(), body)
		return nil
	})
	// Output:
	// Zoë zoe@example.org
	// undisclosed-recipients group: true members: 0
	// Grüße 2026-11-24T09:00:00Z
	// 1 text/plain "" "Hallo"
	// 2 application/pdf "résumé.pdf" "%PDF-1.4"
}

func ExampleBuilder() {
	var b message.Builder
	b.Header.SetAddressList("From", []message.Address{{Name: "Zoë", Addr: "zoe@example.org"}})
	b.Header.SetAddressList("To", []message.Address{{Addr: "bob@example.com"}})
	b.Header.SetSubject("Grüße")
	b.Header.SetMessageID("1@example.org")
	b.Now = func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	b.Text = "Hello"
	// Set b.HTML, b.Inline and b.Attachments for richer structures.
	var out strings.Builder
	if _, err := b.WriteTo(&out); err != nil {
		fmt.Println(err)
	}
	fmt.Print(strings.ReplaceAll(out.String(), "\r\n", "\n")) // CRLF on the wire
	// Output:
	// From: =?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>
	// To: bob@example.com
	// Subject: =?UTF-8?B?R3LDvMOfZQ==?=
	// Message-Id: <1@example.org>
	// Date: Wed, 25 Nov 2026 10:00:00 +0000
	// MIME-Version: 1.0
	// Content-Type: text/plain; charset=us-ascii
	// Content-Transfer-Encoding: 7bit
	//
	// Hello
}

func ExampleParseAddressList() {
	list, err := message.ParseAddressList(`"Smith, Bob" <bob@example.com>, Team: ann@example.com, joe@example.com;, undisclosed-recipients:;`)
	fmt.Println(err)
	for _, a := range list {
		fmt.Printf("%q %q group=%v members=%d\n", a.Name, a.Addr, a.Group, len(a.Members))
	}
	fmt.Println(len(message.Mailboxes(list)))
	// Output:
	// <nil>
	// "Smith, Bob" "bob@example.com" group=false members=0
	// "Team" "" group=true members=2
	// "undisclosed-recipients" "" group=true members=0
	// 3
}
