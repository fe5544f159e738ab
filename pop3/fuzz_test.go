package pop3

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/postkit/postkit/sasl"
)

// FuzzParseCommand checks that the command parser never panics and that
// what it accepts formats back to a line it parses the same way.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"STAT", "LIST 1", "TOP 1 10", "PASS a b  c", "APOP mrose c4c9334bac560ecc979e58001b3e22fb",
		"AUTH PLAIN AG1yb3NlAHRhbnN0YWFm", "USER j\xc3\xbcrgen", "", "X", "list  1 ", "UIDL\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		cmd, err := ParseCommand(line)
		if err != nil {
			return
		}
		out, err := AppendCommand(nil, cmd.Name, cmd.Args...)
		if err != nil {
			t.Fatalf("parsed %q to %+v, which does not format: %v", line, cmd, err)
		}
		again, err := ParseCommand(bytes.TrimSuffix(out, []byte("\r\n")))
		if err != nil || again.Name != cmd.Name || len(again.Args) != len(cmd.Args) {
			t.Fatalf("round trip of %q: %+v then %+v (%v)", line, cmd, again, err)
		}
	})
}

// FuzzClientResponses feeds arbitrary server output to the client's
// commands: no panic, no hang, bounded memory.
func FuzzClientResponses(f *testing.F) {
	for _, s := range []string{
		"+OK ready <1.2@h>\r\n+OK Capability list follows\r\nTOP\r\nPIPELINING\r\nSASL PLAIN\r\n.\r\n+OK\r\n+OK\r\n+OK 2 320\r\n+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n+OK\r\n1 abc\r\n.\r\n+OK 120 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n",
		"+OK\r\n-ERR [IN-USE] busy\r\n",
		"+OK\r\n+ \r\n+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n+OK\r\n",
		"+OK\r\n+OK\r\n1\r\n1 x\r\n.\r\n",
		"-ERR\r\n",
		"+OK\r\n+OK\r\nline\n.\n.\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		a, b := net.Pipe()
		defer a.Close()
		go func() {
			defer b.Close()
			go io.Copy(io.Discard, b)
			b.Write(script)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := NewClient(ctx, a)
		if err != nil {
			return
		}
		c.Capabilities(ctx)
		c.Auth(ctx, sasl.NewCRAMMD5Client("u", "s"))
		c.Auth(ctx, sasl.NewPlainClient("", "u", "p"))
		c.APOP(ctx, "u", "s")
		c.User(ctx, "u")
		c.Pass(ctx, "p")
		c.Stat(ctx)
		c.List(ctx)
		c.UIDL(ctx)
		if r, err := c.Retr(ctx, 1); err == nil {
			io.Copy(io.Discard, r)
			r.Close()
		}
		c.ListMessages(ctx, []int{1, 2})
		c.RetrMessages(ctx, []int{1, 2}, func(n int, r io.Reader, err error) error {
			if r != nil {
				io.Copy(io.Discard, r)
			}
			return nil
		})
		c.Quit(ctx)
	})
}
