package imap

import (
	"bufio"
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

// fuzzLimits keeps a fuzz run's allocations small.
var fuzzLimits = Limits{MaxLineLength: 4096, MaxStringLiteral: 4096, MaxCommandBytes: 1 << 16, MaxDepth: 16, MaxDiscard: 4096}

// readAllCommands reads commands until the input ends or breaks,
// returning those read, with APPEND messages read into bytes.
func readAllCommands(t *testing.T, wire []byte) ([]*Command, [][]byte) {
	d := NewDecoder(bufio.NewReader(bytes.NewReader(wire)))
	d.Limits = fuzzLimits
	var cmds []*Command
	var msgs [][]byte
	for range 20 {
		c, err := ReadCommand(d)
		if err != nil {
			if IsFatal(err) {
				break
			}
			continue
		}
		var msg []byte
		if a, ok := c.Args.(*AppendCommand); ok && a.Catenate {
			// Only a server reads CATENATE (RFC 4469): its parts are
			// read, and the command is not formatted back.
			for {
				p, err := d.NextCatenatePart()
				if err != nil || p == nil {
					break
				}
				if p.Text != nil {
					if _, err := io.Copy(io.Discard, io.LimitReader(p.Text, 1<<16)); err != nil {
						break
					}
				}
			}
			if d.EndCommand() != nil {
				break
			}
			continue
		}
		if a, ok := c.Args.(*AppendCommand); ok {
			msg, err = io.ReadAll(io.LimitReader(a.Message, 1<<16))
			if err != nil || d.EndCommand() != nil {
				break
			}
			a.Message = nil
		}
		cmds = append(cmds, c)
		msgs = append(msgs, msg)
	}
	return cmds, msgs
}

func FuzzReadCommand(f *testing.F) {
	for _, tc := range commandExamples {
		f.Add([]byte(tc.in + "\r\n"))
	}
	f.Add([]byte("A001 LOGIN {11}\r\nFRED FOOBAR {7+}\r\nfat man\r\n"))
	f.Add([]byte("A003 APPEND saved-messages (\\Seen) \"05-Jan-2021 10:11:12 +0100\" {5}\r\nhello\r\n"))
	f.Add([]byte("A5 APPEND INBOX UTF8 (~{5+}\r\nab\x00cd)\r\n"))
	f.Add([]byte("A8 APPEND Drafts (\\Seen) CATENATE (URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER\" TEXT {4+}\r\n\r\n--\r\n URL \"/Drafts/;UID=30\" TEXT ~{2+}\r\n\x00x) {3+}\r\nabc\r\n"))
	f.Add([]byte("A8 APPEND INBOX CATENATE (UTF8 (~{3+}\r\nabc) TEXT {1+}\r\nx UTF8 ({2+}\r\nzz)) UTF8 (~{1+}\r\ny)\r\n"))
	f.Add([]byte("A8 APPEND INBOX CATENATE (UTF8 (~{3+}\r\nabc)\r\nA9 NOOP\r\n"))
	f.Add([]byte("A6 UID SORT RETURN (MIN COUNT) (REVERSE DISPLAYFROM SUBJECT) UTF-8 OLDER 3600 OR SUBJECT x YOUNGER 5\r\n"))
	f.Add([]byte("A7 SEARCH RETURN (COUNT UPDATE (UID BODY.PEEK[HEADER.FIELDS (TO FROM)])) FROM boss\r\n"))
	f.Add([]byte("A7 THREAD REFERENCES US-ASCII SINCE 1-Feb-1994\r\n"))
	f.Add([]byte("A9 SEARCH RETURN (UPDATE UPDATE (UID)) ALL\r\n"))
	f.Add([]byte("A9 SEARCH RETURN (update Update(UID MODSEQ) COUNT) ALL\r\n"))
	f.Add([]byte("A9 UID SORT RETURN (UPDATE(FLAGS) PARTIAL 1:10 UPDATE) (DATE) UTF-8 ALL\r\n"))
	f.Fuzz(func(t *testing.T, wire []byte) {
		cmds, msgs := readAllCommands(t, wire)
		// Every command read formats and reads back the same.
		for i, c := range cmds {
			if a, ok := c.Args.(*AppendCommand); ok {
				a.Message = bytes.NewReader(msgs[i])
				a.Literal.Size = int64(len(msgs[i]))
			}
			var buf bytes.Buffer
			w := bufio.NewWriter(&buf)
			if err := WriteCommand(NewEncoder(w), c); err != nil {
				t.Fatalf("format %#v: %v", c, err)
			}
			again, amsgs := readAllCommands(t, buf.Bytes())
			if len(again) != 1 {
				t.Fatalf("%q read back as %d commands", buf.String(), len(again))
			}
			if a, ok := c.Args.(*AppendCommand); ok {
				a.Message = nil
				if !bytes.Equal(amsgs[0], msgs[i]) {
					t.Fatalf("APPEND message changed")
				}
				b := again[0].Args.(*AppendCommand)
				a.Literal, b.Literal = LiteralInfo{}, LiteralInfo{}
			}
			if !reflect.DeepEqual(c, again[0]) {
				t.Fatalf("%q:\n%#v\nread back as\n%#v", buf.String(), c, again[0])
			}
		}
	})
}

func readAllResponses(wire []byte) []Response {
	d := NewDecoder(bufio.NewReader(bytes.NewReader(wire)))
	d.Limits = fuzzLimits
	var rs []Response
	for range 20 {
		r, err := ReadResponse(d, nil)
		if err != nil {
			if IsFatal(err) {
				break
			}
			continue
		}
		rs = append(rs, r)
	}
	return rs
}

func FuzzParseResponse(f *testing.F) {
	for _, tc := range responseExamples {
		f.Add([]byte(tc.in + "\r\n"))
	}
	f.Add([]byte("* 1 FETCH (BODY[] {3}\r\nabc BINARY[1] ~{2}\r\n\x00\x00)\r\n"))
	f.Add([]byte("* SORT 2 84 882 (MODSEQ 917)\r\n* THREAD (166)(167)(168)(169)(172)(170)(171)(173)(174 (175)(176)(178)(181)(180))(179)(177 (183)(182)(188)(184)(185)(186)(187)(189))\r\n"))
	f.Fuzz(func(t *testing.T, wire []byte) {
		for _, r := range readAllResponses(wire) {
			var buf bytes.Buffer
			w := bufio.NewWriter(&buf)
			e := NewEncoder(w)
			if err := WriteResponse(e, r); err != nil {
				t.Fatalf("format %#v: %v", r, err)
			}
			e.Flush()
			again := readAllResponses(buf.Bytes())
			if len(again) != 1 {
				t.Fatalf("%q read back as %d responses", buf.String(), len(again))
			}
			if !reflect.DeepEqual(r, again[0]) {
				t.Fatalf("%q:\n%#v\nread back as\n%#v", buf.String(), r, again[0])
			}
		}
	})
}

// TestFuzzSeedsRoundTrip runs the fuzz properties over hand-made
// hostile input without the fuzzing engine.
func TestFuzzSeedsRoundTrip(t *testing.T) {
	wire := strings.Join([]string{
		"a CREATE x ()",
		"a SEARCH NOT NOT NOT ALL",
		"a SEARCH MODSEQ \"/flags/\\\\seen\" priv 1",
		"a FETCH 1 (BINARY.SIZE[1] BINARY[2]<0.1>)",
	}, "\r\n") + "\r\n"
	cmds, _ := readAllCommands(t, []byte(wire))
	if len(cmds) != 4 {
		t.Fatalf("read %d commands", len(cmds))
	}
}
