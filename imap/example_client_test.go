package imap_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/postkit/postkit/imap"
)

// A client logs in, lists the newest messages and streams one body.
// Commands may be issued from several goroutines at once.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := imap.DialTLS(ctx, "imap.example.org:993", &imap.ClientOptions{
		Unilateral: func(r imap.Response) {
			if e, ok := r.(*imap.ExistsData); ok {
				log.Printf("%d messages", e.Num)
			}
		},
	})
	if err != nil {
		log.Print(err)
		return
	}
	defer c.Close()
	if err := c.Login(ctx, "alice@example.org", "secret"); err != nil {
		log.Print(err)
		return
	}
	sel, err := c.Select(ctx, "INBOX", nil)
	if err != nil || sel.Exists == 0 {
		return
	}
	msgs, err := c.Fetch(ctx, imap.SeqSet{Ranges: []imap.SeqRange{{Start: max(1, sel.Exists-9), Stop: imap.Star}}},
		[]imap.FetchItem{{Name: imap.FetchUID}, {Name: imap.FetchEnvelope}}, nil)
	if err != nil {
		log.Print(err)
		return
	}
	for _, m := range msgs {
		fmt.Println(m.UID, m.Envelope.Subject)
	}
	// A large body streams from the connection.
	err = c.UIDFetchStream(ctx, imap.SeqSetOf(msgs[0].UID), []imap.FetchItem{{Name: imap.FetchBody, Peek: true, Section: &imap.Section{}}}, nil, imap.FetchHandler{
		Body: func(seq uint32, item imap.FetchItem, size int64, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		},
	})
	if err != nil {
		log.Print(err)
	}
	// Wait for new mail, re-issuing IDLE every 29 minutes.
	n, err := c.IdleWait(ctx, sel.Exists, nil)
	fmt.Println(n, err)
	c.Logout(ctx)
}
