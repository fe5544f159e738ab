package imap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSyncLiteralConversation runs both sides over a pipe: the client
// waits for "+" before each synchronising literal, the server sends it
// from OnLiteral, or refuses a literal it will not read, in which case
// the client sends nothing of it and the server answers with the tag.
func TestSyncLiteralConversation(t *testing.T) {
	cconn, sconn := net.Pipe()
	defer cconn.Close()
	done := make(chan error, 1)
	go func() {
		defer sconn.Close()
		enc := NewEncoder(bufio.NewWriter(sconn))
		dec := NewDecoder(bufio.NewReader(sconn))
		dec.OnLiteral = func(l LiteralInfo) error {
			if l.Size > 100 {
				return ErrLiteralTooBig
			}
			if l.Sync {
				WriteResponse(enc, &ContinuationRequest{Text: "Ready"})
				return enc.Flush()
			}
			return nil
		}
		for {
			c, err := ReadCommand(dec)
			if err == io.EOF {
				done <- nil
				return
			}
			var ce *CommandError
			if errors.As(err, &ce) {
				WriteResponse(enc, &StatusResponse{Tag: ce.Tag, Type: StatusNO, Code: "TOOBIG", Text: "too big"})
				enc.Flush()
				continue
			}
			if err != nil {
				done <- err
				return
			}
			text := c.Name
			if a, ok := c.Args.(*AppendCommand); ok {
				body, _ := io.ReadAll(a.Message)
				if err := dec.EndCommand(); err != nil {
					done <- err
					return
				}
				text = fmt.Sprintf("%s %q", c.Name, body)
			}
			WriteResponse(enc, &StatusResponse{Tag: c.Tag, Type: StatusOK, Text: text})
			enc.Flush()
		}
	}()

	cdec := NewDecoder(bufio.NewReader(cconn))
	cenc := NewEncoder(bufio.NewWriter(cconn))
	cenc.OnSyncLiteral = func() error {
		r, err := ReadResponse(cdec, nil)
		if err != nil {
			return err
		}
		if s, ok := r.(*StatusResponse); ok {
			return s.Err()
		}
		return nil
	}
	send := func(c *Command) (*StatusResponse, error) {
		if err := WriteCommand(cenc, c); err != nil {
			return nil, err
		}
		r, err := ReadResponse(cdec, nil)
		if err != nil {
			return nil, err
		}
		return r.(*StatusResponse), nil
	}
	msg := "Subject: x\r\n\r\nhi\r\n"
	r, err := send(&Command{Tag: "a1", Name: "APPEND", Args: &AppendCommand{Mailbox: "INBOX",
		Literal: LiteralInfo{Size: int64(len(msg))}, Message: strings.NewReader(msg)}})
	require.NoError(t, err)
	assert.Equal(t, `APPEND "Subject: x\r\n\r\nhi\r\n"`, r.Text)

	big := strings.Repeat("x", 1000)
	_, err = send(&Command{Tag: "a2", Name: "APPEND", Args: &AppendCommand{Mailbox: "INBOX",
		Literal: LiteralInfo{Size: int64(len(big))}, Message: strings.NewReader(big)}})
	var ie *Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "a2", ie.Response.Tag)
	assert.Equal(t, "TOOBIG", ie.Response.Code)

	r, err = send(&Command{Tag: "a3", Name: "NOOP"})
	require.NoError(t, err)
	assert.Equal(t, "a3", r.Tag)
	cconn.Close()
	require.NoError(t, <-done)
}
