package imap

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const rfcFetchFull = `* 12 FETCH (FLAGS (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.ed>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))`

const multipartStructure = `* 1 FETCH (UID 7 BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)("APPLICATION" "PDF" ("NAME" "a.pdf") "<id@x>" "desc" "BASE64" 1000 "md5" ("ATTACHMENT" ("FILENAME" "a.pdf")) ("EN" "DE") "http://x")("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 300 (NIL "hi" ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "HTML" NIL NIL NIL "QUOTED-PRINTABLE" 20 2 NIL NIL NIL NIL) 12 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "xyz") NIL "EN" NIL))`

// responseExamples are responses, most from RFC 9051 6 and 7 and the
// extension RFCs, with the canonical form the encoder writes ("" when
// it is the same).
var responseExamples = []struct{ in, out string }{
	{"* OK IMAP4rev2 server ready", ""},
	{"* PREAUTH IMAP4rev2 server logged in as Smith", ""},
	{"* BYE Autologout; idle for too long", ""},
	{"* BAD Empty command line", ""},
	{"* NO Disk is 98% full, please delete unnecessary data", ""},
	{"* OK [ALERT] System shutdown in 10 minutes", ""},
	{"* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI] Ready", ""},
	{"* OK [CLOSED] Previous mailbox is now closed", ""},
	{"* OK [COPYUID 432432 42:69 1202:1229]", ""},
	{"* OK [PERMANENTFLAGS ()] No permanent flags permitted", ""},
	{`* OK [PERMANENTFLAGS (\Deleted \Seen \*)] Limited`, ""},
	{"* OK [UIDNEXT 4392] Predicted next UID", ""},
	{"* OK [UIDVALIDITY 3857529045] UIDs valid", ""},
	{"* OK [HIGHESTMODSEQ 715194045007] Highest", ""},
	{"* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences", ""},
	{"d105 OK [MODIFIED 7,9] Conditional STORE failed", ""},
	{"* NO [UIDNOTSTICKY] Non-persistent UIDs", ""},
	{"* NO [BADCHARSET (UTF-8 US-ASCII)] bad", ""},
	{"* NO [BADCHARSET] bad", ""},
	{"a OK [X-VENDOR some text here] done", ""},
	{"a OK [X-BARE] done", ""},
	{"A003 OK [APPENDUID 38505 3955] APPEND completed", ""},
	{"A003 OK [COPYUID 38505 304,319:320 3956:3958] COPY completed", ""},
	{"A142 OK [READ-WRITE] SELECT completed", ""},
	{`A044 BAD No such command as "BLURDYBLOOP"`, ""},
	{"A01 OK", ""},
	{"+ Ready for additional command text", ""},
	{"+ ", ""},
	{"+", "+ "},
	{"+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=", ""},
	{"* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED", ""},
	{"* ENABLED CONDSTORE QRESYNC", ""},
	{"* ENABLED", ""},
	{`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`, ""},
	{`* LIST () "." INBOX.bar`, ""},
	{`* LIST () "." "INBOX"`, `* LIST () "." INBOX`},
	{`* LIST (\Noselect) "/" ""`, ""},
	{`* LIST (\Marked \NoInferiors) NIL inbox`, ""},
	{`* LIST (\NonExistent \Sent) "/" "Sent Mail"`, ""},
	{`* LIST () "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))`, `* LIST () "/" Foo ("CHILDINFO" ("SUBSCRIBED"))`},
	{`* LIST () "/" "NewMailbox" ("OLDNAME" ("OldMailbox"))`, `* LIST () "/" NewMailbox ("OLDNAME" (OldMailbox))`},
	{`* LIST (\Marked) ":" Tables (tablecloth (("edge" "lacy") ("color" "red")) Sample "text")`, `* LIST (\Marked) ":" Tables`},
	{`* LSUB () "." #news.comp.mail.misc`, ""},
	{`* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)`, ""},
	{`* STATUS "INBOX" (MESSAGES 17 UNSEEN 16)`, `* STATUS INBOX (MESSAGES 17 UNSEEN 16)`},
	{`* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 3 UNSEEN 4 DELETED 5 RECENT 6 SIZE 7 HIGHESTMODSEQ 8 APPENDLIMIT 9)`, ""},
	{"* 23 EXISTS", ""},
	{"* 5 RECENT", ""},
	{"* 44 EXPUNGE", ""},
	{"* VANISHED (EARLIER) 300:310,405,411", ""},
	{"* VANISHED 405,407,410,425", ""},
	{"* SEARCH 2 84 882", ""},
	{"* SEARCH", ""},
	{"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)", ""},
	{`* ESEARCH (TAG "A282") MIN 2 COUNT 3`, ""},
	{`* ESEARCH (TAG "a567") UID COUNT 17 ALL 4:18,21,28`, `* ESEARCH (TAG "a567") UID ALL 4:18,21,28 COUNT 17`},
	{`* ESEARCH (TAG "A285") UID MIN 7 MAX 3800`, ""},
	{`* ESEARCH COUNT 0`, ""},
	{`* ESEARCH`, ""},
	{`* ESEARCH UID ALL 1:3 MODSEQ 12`, ""},
	{`* NAMESPACE (("" "/")) NIL NIL`, ""},
	{`* NAMESPACE NIL NIL (("" "."))`, ""},
	{`* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/")("#public/" "/")("#ftp/" "/")("#news." "."))`, ""},
	{`* NAMESPACE (("" "/")("#mh/" "/" "X-PARAM" ("FLAG1" "FLAG2"))) NIL NIL`, `* NAMESPACE (("" "/")("#mh/" "/")) NIL NIL`},
	{`* ID ("name" "Cyrus" "version" "1.5" "os" "sunos" "os-version" "5.5" "support-url" "mailto:cyrus-bugs+@andrew.cmu.edu")`, ""},
	{`* ID NIL`, ""},
	{`* XPIG-LATIN ow-nay eaking-spay ig-pay atin-lay`, ""},
	{`* 14 FETCH (UID 1305 FLAGS (\Seen \Deleted))`, ""},
	{`* 23 FETCH (FLAGS (\Seen) RFC822.SIZE 44827 UID 447)`, `* 23 FETCH (UID 447 FLAGS (\Seen) RFC822.SIZE 44827)`},
	{`* 4 FETCH (UID 8 MODSEQ (12121231000))`, ""},
	{`* 4 FETCH (FLAGS ())`, ""},
	{rfcFetchFull, ""},
	{multipartStructure, ""},
	{"* 12 FETCH (BODY[HEADER] {5}\r\nab\r\nc)", ""},
	{"* 12 FETCH (BODY[HEADER.FIELDS (DATE FROM)] {2}\r\nab BODY[1.2.TEXT]<10> {3}\r\nxyz BODY[] NIL RFC822.TEXT {0}\r\n)", ""},
	{`* 12 FETCH (BODY[] "quoted")`, "* 12 FETCH (BODY[] {6}\r\nquoted)"},
	{"* 1 FETCH (BINARY[1] ~{3}\r\na\x00b BINARY[2] {2}\r\nab BINARY.SIZE[1] 3)", "* 1 FETCH (BINARY.SIZE[1] 3 BINARY[1] ~{3}\r\na\x00b BINARY[2] {2}\r\nab)"},
}

func TestResponseRoundTrip(t *testing.T) {
	for _, tc := range responseExamples {
		t.Run(tc.in, func(t *testing.T) {
			want := tc.out
			if want == "" {
				want = tc.in
			}
			r, err := ReadResponse(newDec(tc.in+"\r\n"), nil)
			require.NoError(t, err)
			got := formatResponse(t, r)
			assert.Equal(t, want+"\r\n", got)
			r2, err := ReadResponse(newDec(got), nil)
			require.NoError(t, err)
			assert.Equal(t, r, r2)
		})
	}
}

func TestReadResponseTyped(t *testing.T) {
	r, err := ReadResponse(newDec(rfcFetchFull+"\r\n"), nil)
	require.NoError(t, err)
	f := r.(*FetchData)
	assert.Equal(t, uint32(12), f.Seq)
	assert.Equal(t, int64(4286), *f.RFC822Size)
	assert.Equal(t, "1996-07-17T02:44:25-07:00", f.InternalDate.Format(time.RFC3339))
	assert.Equal(t, []Address{{Mailbox: "minutes", Host: "CNRI.Reston.VA.US"},
		{Name: "John Klensin", Mailbox: "KLENSIN", Host: "MIT.EDU"}}, f.Envelope.Cc)
	assert.Equal(t, &BodyStructure{Type: "TEXT", Subtype: "PLAIN", Params: []Param{{"CHARSET", "US-ASCII"}},
		Encoding: "7BIT", Size: 3028, Lines: 92}, f.Body)

	r, err = ReadResponse(newDec(multipartStructure+"\r\n"), nil)
	require.NoError(t, err)
	bs := r.(*FetchData).BodyStructure
	require.Len(t, bs.Parts, 3)
	assert.Equal(t, "MIXED", bs.Subtype)
	assert.Equal(t, []string{"EN", "DE"}, bs.Parts[1].Language)
	assert.Equal(t, "ATTACHMENT", bs.Parts[1].Disposition)
	assert.True(t, bs.Parts[2].Envelope.From[0].IsGroupStart())
	assert.True(t, bs.Parts[2].Envelope.From[1].IsGroupEnd())
	assert.Equal(t, "HTML", bs.Parts[2].Body.Subtype)

	r, err = ReadResponse(newDec("a1 NO [COPYUID 38505 304,319:320 3956:3958] x\r\n"), nil)
	require.NoError(t, err)
	st := r.(*StatusResponse)
	assert.Equal(t, &CopyUIDCode{38505, SeqSet{Ranges: []SeqRange{{304, 304}, {319, 320}}}, SeqSet{Ranges: []SeqRange{{3956, 3958}}}}, st.CodeArg)
	var ie *Error
	require.ErrorAs(t, st.Err(), &ie)
	assert.Equal(t, "imap: NO [COPYUID] x", ie.Error())
}

// TestReadResponseStreamsBody: a body section goes to the handler as
// a stream, not into memory, whatever its size.
func TestReadResponseStreamsBody(t *testing.T) {
	body := strings.Repeat("0123456789\r\n", 300000)
	wire := "* 1 FETCH (UID 5 BODY[] {" + fmtInt(len(body)) + "}\r\n" + body + " FLAGS (\\Seen))\r\n* 2 EXISTS\r\n"
	d := newDec(wire)
	var got bytes.Buffer
	r, err := ReadResponse(d, func(seq uint32, item FetchItem, info LiteralInfo, r io.Reader) error {
		assert.Equal(t, uint32(1), seq)
		assert.Equal(t, "BODY[]", item.String())
		_, err := io.Copy(&got, r)
		return err
	})
	require.NoError(t, err)
	f := r.(*FetchData)
	assert.Equal(t, body, got.String())
	assert.Equal(t, int64(len(body)), f.Sections[0].Size)
	assert.Nil(t, f.Sections[0].Data)
	assert.Equal(t, []string{`\Seen`}, f.Flags)
	r, err = ReadResponse(d, nil)
	require.NoError(t, err)
	assert.Equal(t, &ExistsData{2}, r)

	// Without a handler, a literal over the limit is refused; the
	// decoder skips it and the next response is read normally.
	d = newDec(wire)
	d.Limits.MaxStringLiteral = 1000
	d.Limits.MaxDiscard = 10 << 20
	_, err = ReadResponse(d, nil)
	require.Error(t, err)
	assert.False(t, IsFatal(err))
	r, err = ReadResponse(d, nil)
	require.NoError(t, err)
	assert.Equal(t, &ExistsData{2}, r)
}

func TestResponseErrors(t *testing.T) {
	for _, wire := range []string{
		"* OK [UIDVALIDITY 9877410381] UIDs valid\r\n", // RFC 9051 6.3.1's example is past 32 bits
		"* 1 FETCH (FLAGS (\\Seen)\r\n",
		"* 1 FETCH (UID 0)\r\n",
		"* 1 FETCH (FROB 1)\r\n",
		"* 1 FETCH (BODY (\"TEXT\"))\r\n",
		"* 1 FETCH (ENVELOPE (NIL NIL))\r\n",
		"* LIST () \"/\r\n",
		"a1 PREAUTH hi\r\n",
		"a1 FROB hi\r\n",
		"* SEARCH 0\r\n",
		"* STATUS x (MESSAGES x)\r\n",
		"* 1 FETCH (BODY[] {3}\r\nabc\r\n",
	} {
		t.Run(wire, func(t *testing.T) {
			d := newDec(wire + "* 3 EXISTS\r\n")
			_, err := ReadResponse(d, nil)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			r, err := ReadResponse(d, nil)
			require.NoError(t, err)
			assert.Equal(t, &ExistsData{3}, r)
		})
	}

	d := newDec("* 1 FETCH (BODYSTRUCTURE " + strings.Repeat("(", 200) + "\r\n")
	_, err := ReadResponse(d, nil)
	assert.ErrorIs(t, err, ErrTooDeep)
}

func TestWriteResponseSafety(t *testing.T) {
	for _, r := range []Response{
		&StatusResponse{Tag: "a1", Type: "OK", Text: "done\r\n* 1 EXISTS"},
		&StatusResponse{Type: "OK", Code: "X", CodeArg: "a]b"},
		&ContinuationRequest{Text: "a\nb"},
		&StatusResponse{Tag: "a 1", Type: "OK"},
		&FlagsData{Flags: []string{"a b"}},
		&CapabilityData{Caps: []string{"IMAP4rev2", "X\r\n"}},
	} {
		s, err := encode(t, func(e *Encoder) error {
			require.NoError(t, WriteResponse(e, &ExistsData{1}))
			err := WriteResponse(e, r)
			require.NoError(t, WriteResponse(e, &ExistsData{2}))
			return err
		})
		assert.ErrorIs(t, err, ErrBadString, "%#v", r)
		assert.Equal(t, "* 1 EXISTS\r\n* 2 EXISTS\r\n", s, "a failed response leaves nothing")
	}
	// Strings holding line breaks become literals.
	s := formatResponse(t, &ListData{Delim: "/", Mailbox: "a\r\nb", Attrs: []string{}})
	assert.Equal(t, "* LIST () \"/\" {4}\r\na\r\nb\r\n", s)
	s = formatResponse(t, &FetchData{Seq: 1, Envelope: &Envelope{Subject: "x\r\n* BYE"}})
	assert.Equal(t, "* 1 FETCH (ENVELOPE (NIL {8}\r\nx\r\n* BYE NIL NIL NIL NIL NIL NIL NIL NIL))\r\n", s)
}

// TestWriteFetchStreams: a body section is copied from its reader.
func TestWriteFetchStreams(t *testing.T) {
	body := "Subject: hi\r\n\r\nhello\r\n"
	s := formatResponse(t, &FetchData{Seq: 3, UID: 9, Sections: []FetchSection{{
		Item:   FetchItem{Name: FetchBody, Section: &Section{}, Partial: &Partial{Offset: 0}},
		Reader: strings.NewReader(body), Size: int64(len(body)),
	}}})
	assert.Equal(t, "* 3 FETCH (UID 9 BODY[]<0> {22}\r\n"+body+")\r\n", s)

	_, err := encode(t, func(e *Encoder) error {
		return WriteResponse(e, &FetchData{Seq: 3, Sections: []FetchSection{{
			Item: FetchItem{Name: FetchBody, Section: &Section{}}, Reader: strings.NewReader("short"), Size: 10}}})
	})
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestUnknownResponseLiterals: an unknown response with literals is
// read whole, so that the stream stays in step, and written back.
func TestUnknownResponseLiterals(t *testing.T) {
	wire := "* METADATA INBOX (/private/comment {3}\r\nabc /shared/x ~{2}\r\na\x00)\r\n* 1 EXISTS\r\n"
	d := newDec(wire)
	r, err := ReadResponse(d, nil)
	require.NoError(t, err)
	assert.Equal(t, &UnknownData{Name: "METADATA", Text: "INBOX (/private/comment {3}\r\nabc /shared/x ~{2}\r\na\x00)"}, r)
	assert.Equal(t, wire[:len(wire)-len("* 1 EXISTS\r\n")], formatResponse(t, r))
	r, err = ReadResponse(d, nil)
	require.NoError(t, err)
	assert.Equal(t, &ExistsData{1}, r)

	for _, bad := range []string{"a\r\nb", "{3}\r\nab", "{2}\r\na\x00", "x\x00"} {
		_, err := encode(t, func(e *Encoder) error { return WriteResponse(e, &UnknownData{Name: "X", Text: bad}) })
		assert.ErrorIs(t, err, ErrBadString, "%q", bad)
	}
}
