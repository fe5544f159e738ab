package sasl_test

import (
	"context"
	"fmt"

	"github.com/postkit/postkit/sasl"
)

// A SCRAM-SHA-256 login: the server keeps only derived credentials, and
// the messages pass between the two sides as a protocol would carry them.
func Example() {
	stored, _ := sasl.NewSCRAMCredentials("SHA-256", "pencil")
	server, _ := sasl.NewSCRAMServer("SHA-256", func(ctx context.Context, username string) (sasl.SCRAMCredentials, error) {
		if username != "user" {
			return sasl.SCRAMCredentials{}, sasl.ErrAuthFailed
		}
		return stored, nil
	})
	client, _ := sasl.NewSCRAMClient("SHA-256", "user", "pencil")

	mech, resp, _ := client.Start()
	fmt.Println("AUTH", mech)
	for {
		challenge, done, err := server.Next(context.Background(), resp)
		if err != nil {
			fmt.Println("failed:", err)
			return
		}
		if done {
			break
		}
		if resp, err = client.Next(challenge); err != nil {
			fmt.Println("client:", err)
			return
		}
	}
	fmt.Println("authenticated as", server.Identity())
	// Output:
	// AUTH SCRAM-SHA-256
	// authenticated as user
}

// A PLAIN server with the caller's password check.
func ExampleNewPlainServer() {
	server := sasl.NewPlainServer(func(ctx context.Context, identity, username, password string) (string, error) {
		if username != "tim" || password != "tanstaaftanstaaf" {
			return "", sasl.ErrAuthFailed
		}
		if identity != "" && identity != username {
			return "", sasl.ErrAuthFailed
		}
		return username, nil
	})
	_, done, err := server.Next(context.Background(), []byte("\x00tim\x00tanstaaftanstaaf"))
	fmt.Println(done, err, server.Identity())
	// Output: true <nil> tim
}
