package maildir_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
)

func Example() {
	root, err := os.MkdirTemp("", "maildir-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	ctx := context.Background()

	store := maildir.New(root, nil) // accounts are root/<user>/
	acct, err := store.Account(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	defer acct.Close()
	if err := acct.Create(ctx, "Archive/2026", nil); err != nil {
		log.Fatal(err)
	}
	box, err := acct.Open(ctx, "Archive/2026", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer box.Close()
	uid, err := box.Append(ctx, strings.NewReader("Subject: hello\r\n\r\nHi!\r\n"),
		&mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen, "$Important"}})
	if err != nil {
		log.Fatal(err)
	}
	// The view learns of the message, as of every new one, by polling.
	updates, err := box.Poll(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(updates), "new")
	box.Fetch(ctx, mailbox.UIDSetOf(uid), func(m mailbox.Message) error {
		fmt.Println(m.UID(), m.Flags(), m.Size())
		return nil
	})
	// Output:
	// 1 new
	// 1 [\Seen $Important \Recent] 23
}
