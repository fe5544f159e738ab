package smtp_test

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/postkit/postkit/smtp"
)

func ExampleParseMailFrom() {
	cmd, _ := smtp.ParseCommand([]byte("mail from:<@relay.example:jane@example.org> SIZE=1024 BODY=8BITMIME\r\n"))
	path, params, err := smtp.ParseMailFrom(cmd.Args, false)
	if err != nil {
		var se *smtp.SyntaxError
		if errors.As(err, &se) {
			fmt.Printf("%s", se.SMTPError().Format())
		}
		return
	}
	size, _ := params.Get("SIZE")
	fmt.Println(cmd.Verb, path, size)
	// Output:
	// MAIL jane@example.org 1024
}

func ExampleParseReply() {
	conn := bufio.NewReader(strings.NewReader("550-5.1.1 No such user\r\n550 5.1.1 here\r\n"))
	reply, _ := smtp.ParseReply(conn)
	var e *smtp.Error
	if errors.As(reply.Err(), &e) {
		fmt.Println(e.Code, e.EnhancedCode, e.Temporary())
		fmt.Println(e.Message)
	}
	// Output:
	// 550 5.1.1 false
	// No such user
	// here
}

func ExampleFormatReply() {
	fmt.Printf("%q\n", smtp.FormatReply(250, smtp.EnhancedCode{}, "mail.example.org", "PIPELINING", "SMTPUTF8"))
	fmt.Printf("%q\n", smtp.FormatReply(550, smtp.EnhancedCode{5, 1, 1}, "No such user"))
	// Output:
	// "250-mail.example.org\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n"
	// "550 5.1.1 No such user\r\n"
}
