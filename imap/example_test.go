package imap_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/postkit/postkit/imap"
)

// A server reads commands and writes responses; the hook answers a
// synchronising literal with a continuation request, or refuses it.
func ExampleReadCommand() {
	in := "a1 LOGIN {4}\r\nfred secret\r\na2 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\n"
	out := bufio.NewWriter(stdout{})
	enc := imap.NewEncoder(out)
	dec := imap.NewDecoder(bufio.NewReader(strings.NewReader(in)))
	dec.OnLiteral = func(l imap.LiteralInfo) error {
		if l.Size > 1024 {
			return imap.ErrLiteralTooBig
		}
		if l.Sync {
			imap.WriteResponse(enc, &imap.ContinuationRequest{Text: "Ready"})
			return enc.Flush()
		}
		return nil
	}
	for {
		cmd, err := imap.ReadCommand(dec)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		switch args := cmd.Args.(type) {
		case *imap.LoginCommand:
			fmt.Fprintf(out, "(login %s)\n", args.Username)
		case *imap.FetchCommand:
			imap.WriteResponse(enc, &imap.FetchData{Seq: 1, UID: 42, Flags: []string{`\Seen`}})
		}
		imap.WriteResponse(enc, &imap.StatusResponse{Tag: cmd.Tag, Type: imap.StatusOK, Text: cmd.Name + " completed"})
		enc.Flush()
	}
	// Output:
	// + Ready
	// (login fred)
	// a1 OK LOGIN completed
	// * 1 FETCH (UID 42 FLAGS (\Seen))
	// a2 OK FETCH completed
}

// A client writes commands and reads responses; a string that cannot
// be quoted goes as a literal.
func ExampleWriteCommand() {
	enc := imap.NewEncoder(bufio.NewWriter(stdout{}))
	enc.Literals = imap.LiteralPlus
	imap.WriteCommand(enc, &imap.Command{Tag: "a1", Name: "SELECT", Args: &imap.SelectCommand{
		Mailbox: imap.EncodeMailboxName("Entwürfe", false), CondStore: true}})
	imap.WriteCommand(enc, &imap.Command{Tag: "a2", Name: "SEARCH", UID: true, Args: &imap.SearchCommand{
		HasReturn: true, Return: []string{imap.SearchReturnCount},
		Keys: []imap.SearchKey{{Op: "UNSEEN"}, {Op: "SUBJECT", Value: "line\r\nbreak"}}}})

	dec := imap.NewDecoder(bufio.NewReader(strings.NewReader(
		"* 3 EXISTS\r\n* ESEARCH (TAG \"a2\") UID COUNT 2\r\na2 OK [HIGHESTMODSEQ 7] done\r\n")))
	for {
		r, err := imap.ReadResponse(dec, nil)
		if err != nil {
			break
		}
		switch r := r.(type) {
		case *imap.ExistsData:
			fmt.Println("exists", r.Num)
		case *imap.ESearchData:
			fmt.Println("count", *r.Count)
		case *imap.StatusResponse:
			fmt.Println(r.Tag, r.Type, r.Code, r.CodeArg)
		}
	}
	// Output:
	// a1 SELECT Entw&APw-rfe (CONDSTORE)
	// a2 UID SEARCH RETURN (COUNT) UNSEEN SUBJECT {11+}
	// line
	// break
	// exists 3
	// count 2
	// a2 OK HIGHESTMODSEQ 7
}

// stdout writes to os.Stdout without the CRs of CRLF, for the examples'
// output checks.
type stdout struct{}

func (stdout) Write(p []byte) (int, error) {
	_, err := os.Stdout.Write(bytes.ReplaceAll(p, []byte("\r\n"), []byte("\n")))
	return len(p), err
}
