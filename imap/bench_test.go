package imap

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func benchFetch() *FetchData {
	addr := []Address{{Name: "Terry Gray", Mailbox: "gray", Host: "cac.washington.edu"}}
	return &FetchData{
		Seq: 12, UID: 4827313, Flags: []string{`\Seen`, `\Answered`, "$Forwarded"}, ModSeq: 12121231000,
		InternalDate: time.Date(1996, 7, 17, 2, 44, 25, 0, time.FixedZone("", -7*3600)),
		RFC822Size:   new(int64(44827)),
		Envelope: &Envelope{
			Date: "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", Subject: "IMAP4rev2 WG mtg summary and minutes",
			From: addr, Sender: addr, ReplyTo: addr,
			To:        []Address{{Mailbox: "imap", Host: "cac.washington.edu"}},
			Cc:        []Address{{Mailbox: "minutes", Host: "CNRI.Reston.VA.US"}, {Name: "John Klensin", Mailbox: "KLENSIN", Host: "MIT.EDU"}},
			MessageID: "<B27397-0100000@cac.washington.edu>",
		},
		BodyStructure: &BodyStructure{Type: "MULTIPART", Subtype: "MIXED", Params: []Param{{"BOUNDARY", "xyz"}}, Parts: []*BodyStructure{
			{Type: "TEXT", Subtype: "PLAIN", Params: []Param{{"CHARSET", "utf-8"}}, Encoding: "QUOTED-PRINTABLE", Size: 3028, Lines: 92},
			{Type: "TEXT", Subtype: "HTML", Params: []Param{{"CHARSET", "utf-8"}}, Encoding: "QUOTED-PRINTABLE", Size: 8028, Lines: 192},
			{Type: "APPLICATION", Subtype: "PDF", Params: []Param{{"NAME", "minutes.pdf"}}, Encoding: "BASE64", Size: 30000,
				Disposition: "ATTACHMENT", DispositionParams: []Param{{"FILENAME", "minutes.pdf"}}},
		}},
	}
}

func BenchmarkWriteFetch(b *testing.B) {
	f := benchFetch()
	w := bufio.NewWriter(io.Discard)
	e := NewEncoder(w)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteResponse(e, f); err != nil {
			b.Fatal(err)
		}
	}
	e.Flush()
}

func BenchmarkReadCommand(b *testing.B) {
	wire := []byte(strings.Join([]string{
		"a1 UID FETCH 1:*,4827313:4828442 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)]) (CHANGEDSINCE 12345)",
		`a2 UID SEARCH RETURN (MIN MAX COUNT) CHARSET UTF-8 OR FROM "smith" SUBJECT "meeting" SINCE 1-Feb-1994 NOT DELETED`,
		`a3 UID STORE 1:100 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\Seen $Forwarded)`,
		`a4 LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))`,
	}, "\r\n") + "\r\n")
	r := bytes.NewReader(wire)
	br := bufio.NewReader(r)
	d := NewDecoder(br)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(wire)
		br.Reset(r)
		for range 4 {
			if _, err := ReadCommand(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
