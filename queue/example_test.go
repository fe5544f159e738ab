package queue_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/postkit/postkit/queue"
)

// A queue on a spool directory, delivering through any Deliverer — in a
// real program an *smtp.Transport.
func Example() {
	dir, err := os.MkdirTemp("", "spool")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	spool, err := queue.OpenSpool(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer spool.Close()

	delivered := make(chan string, 1)
	q := &queue.Queue{
		Store: spool,
		Deliverer: queue.DelivererFunc(func(ctx context.Context, from string, to []string, msg io.Reader) []error {
			delivered <- strings.Join(to, ",")
			return make([]error, len(to)) // all accepted
		}),
		Hostname: "mta.example.org",
	}
	ctx := context.Background()
	if err := q.Start(ctx); err != nil {
		log.Fatal(err)
	}
	env := &queue.Envelope{
		From:       "alice@example.org",
		Recipients: []queue.Recipient{{Addr: "bob@example.net", Notify: queue.NotifyFailure | queue.NotifyDelay}},
	}
	// Enqueue returns once the message is on disk: an SMTP server may
	// answer 250 now.
	if _, err := q.Enqueue(ctx, env, strings.NewReader("Subject: hi\r\n\r\nHello.\r\n")); err != nil {
		log.Fatal(err)
	}
	fmt.Println("delivered to", <-delivered)

	shutdown, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	q.Shutdown(shutdown)
	// Output: delivered to bob@example.net
}
