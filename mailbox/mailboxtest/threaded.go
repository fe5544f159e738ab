package mailboxtest

import (
	"fmt"
	"strings"
	"time"
)

// ThreadSize is the number of messages in each thread of
// ThreadedMessage's mailbox.
const ThreadSize = 5

// ThreadedMessage returns message i, counting from 0, of a synthetic
// mailbox for SORT and THREAD tests and benchmarks (RFC 5256), and its
// internal date. Messages come in threads of ThreadSize: message i is
// in thread i/ThreadSize, and each but the first of a thread replies to
// the one before it (References, In-Reply-To, a "Re: " or "Re: Re: "
// subject; one thread in ten has a "[list] " subject tag). Senders,
// recipients, dates and sizes vary, so that every sort key orders the
// mailbox differently. The same i always gives the same message.
func ThreadedMessage(i int) (msg string, internalDate time.Time) {
	th, k := i/ThreadSize, i%ThreadSize
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(th) * 7 * time.Minute)
	date := base.Add(time.Duration(k*37+(i*7919)%60) * time.Minute)
	var b strings.Builder
	fmt.Fprintf(&b, "From: User %d <user%d@example.org>\r\n", (i*31)%997, (i*17)%991)
	fmt.Fprintf(&b, "To: list%d@example.com\r\n", th%50)
	if i%3 == 0 {
		fmt.Fprintf(&b, "Cc: cc%d@example.net\r\n", i%89)
	}
	subject := fmt.Sprintf("Topic %d about things", th)
	if k > 0 {
		subject = strings.Repeat("Re: ", 1+k%2) + subject
	}
	if th%10 == 0 {
		subject = "[list] " + subject
	}
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <m%d@example.org>\r\n", i)
	if k > 0 {
		b.WriteString("References:")
		for j := th * ThreadSize; j < i; j++ {
			fmt.Fprintf(&b, " <m%d@example.org>", j)
		}
		b.WriteString("\r\n")
		fmt.Fprintf(&b, "In-Reply-To: <m%d@example.org>\r\n", i-1)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "Body of message %d.\r\n%s\r\n", i, strings.Repeat("Some text. ", 1+i%40))
	return b.String(), date.Add(time.Duration(i%13) * time.Second)
}
