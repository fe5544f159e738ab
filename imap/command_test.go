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

// commandExamples are command lines, most from RFC 9051 6 and the
// extension RFCs, with the canonical form the encoder writes ("" when
// it is the same).
var commandExamples = []struct{ in, out string }{
	{"abcd CAPABILITY", ""},
	// RFC 5465 3.1, 6 (events without parentheses as in 3.1's example).
	{"b notify set status (selected MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge) (subtree Lists MessageNew)", "b NOTIFY SET STATUS (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS (from to subject)]) MessageExpunge)) (SUBTREE (Lists) (MessageNew))"},
	{"e notify set (selected MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge) (subtree Lists MessageNew) (mailboxes misc MessageNew)", "e NOTIFY SET (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS (from to subject)]) MessageExpunge)) (SUBTREE (Lists) (MessageNew)) (MAILBOXES (misc) (MessageNew))"},
	{"a notify set (mailboxes INBOX (Messagenew messageExpunge)) (personal (SubscriptionChange))", "a NOTIFY SET (MAILBOXES (INBOX) (Messagenew messageExpunge)) (PERSONAL (SubscriptionChange))"},
	{"a notify set (selected (Messagenew (uid flags) messageExpunge)) (personal (MessageNew FlagChange MessageExpunge))", "a NOTIFY SET (SELECTED (Messagenew (UID FLAGS) messageExpunge)) (PERSONAL (MessageNew FlagChange MessageExpunge))"},
	{"a NOTIFY SET (subtree (a \"b c\") NONE) (inboxes (MailboxName))", "a NOTIFY SET (SUBTREE (a \"b c\") NONE) (INBOXES (MailboxName))"},
	{"a NOTIFY NONE", ""},
	{"a047 NOOP", ""},
	{"A023 LOGOUT", ""},
	{"efgh STARTTLS", ""},
	{"a004 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=", ""},
	{"A01 AUTHENTICATE EXTERNAL =", ""},
	{"A001 AUTHENTICATE GSSAPI", ""},
	{"a001 LOGIN SMITH SESAME", ""},
	{`b LOGIN "fred" "foo"`, "b LOGIN fred foo"},
	{`x LOGIN "" "a b\"c"`, `x LOGIN "" "a b\"c"`},
	{"t2 ENABLE CONDSTORE X-GOOD-IDEA", ""},
	{"A142 SELECT INBOX", ""},
	{"A932 EXAMINE blurdybloop", ""},
	{"A142 SELECT INBOX (CONDSTORE)", ""},
	{"A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))", ""},
	{"B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))", ""},
	{"A03 SELECT INBOX (QRESYNC (67890007 90060115194045000 (1 2)))", ""},
	{"A003 CREATE owatagusiam/", ""},
	{`t1 CREATE MySpecial (USE (\Drafts \Sent))`, ""},
	{"A683 DELETE blurdybloop", ""},
	{"A683 RENAME blurdybloop sarasoop", ""},
	{"A002 SUBSCRIBE #news.comp.mail.mime", ""},
	{"A002 UNSUBSCRIBE #news.comp.mail.mime", ""},
	{`A682 LIST "" *`, ""},
	{`A101 LIST "" ""`, ""},
	{`A202 LIST ~/Mail/ %`, ""},
	{`A01 LIST "" "*"`, `A01 LIST "" *`},
	{`A03 LIST () "" "%" RETURN (CHILDREN)`, `A03 LIST () "" % RETURN (CHILDREN)`},
	{`A05 LIST (REMOTE SUBSCRIBED) "" "*"`, `A05 LIST (REMOTE SUBSCRIBED) "" *`},
	{`a1 LIST "" ("foo")`, `a1 LIST "" foo`},
	{`a1 LIST "" (foo bar%)`, ""},
	{`a3 LIST (SUBSCRIBED RECURSIVEMATCH) "" foo RETURN (CHILDREN)`, ""},
	{`A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))`, ""},
	{`A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (CHILDREN STATUS (MESSAGES))`, ""},
	{`A002 LIST (SPECIAL-USE) "" *`, ""},
	{`A004 LSUB "" *`, ""},
	{`A042 STATUS blurdybloop (UIDNEXT MESSAGES)`, ""},
	{`k2 status "/archive/projects/experiment-iv" (messages)`, `k2 STATUS /archive/projects/experiment-iv (MESSAGES)`},
	{`A042 STATUS INBOX (MESSAGES SIZE DELETED HIGHESTMODSEQ)`, ""},
	{"A004 COPY 2:4 meeting", ""},
	{"A005 UID COPY 305:310 meeting", ""},
	{`E283 COPY $ "Other Messages"`, ""},
	{"a UID MOVE 42:69 foo", ""},
	{"A003 UID EXPUNGE 3000:3002", ""},
	{"A202 EXPUNGE", ""},
	{"A341 CLOSE", ""},
	{"A342 UNSELECT", ""},
	{"A001 NAMESPACE", ""},
	{"A002 IDLE", ""},
	{"A003 FETCH 4 ALL", ""},
	{"a003 fetch 12 full", "a003 FETCH 12 FULL"},
	{"a004 fetch 12 body[header]", "a004 FETCH 12 (BODY[HEADER])"},
	{"A999 UID FETCH 4827313:4828442 FLAGS", "A999 UID FETCH 4827313:4828442 (FLAGS)"},
	{"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])", ""},
	{"A283 FETCH $ (UID INTERNALDATE FLAGS BODY.PEEK[HEADER])", ""},
	{"f FETCH 1:* (BODY.PEEK[1.2.HEADER.FIELDS.NOT (Received X-Spam)]<0.2048> BINARY.PEEK[1.2]<10.20> BINARY.SIZE[3] BODY[1.MIME] BODY[2.TEXT] BODY[] RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY MODSEQ)", ""},
	{"s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)", ""},
	{"s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)", ""},
	{`A003 STORE 2:4 +FLAGS (\Deleted)`, ""},
	{`F284 STORE $ +FLAGS.Silent (\Deleted)`, `F284 STORE $ +FLAGS.SILENT (\Deleted)`},
	{`a005 store 12 +flags \deleted`, `a005 STORE 12 +FLAGS (\deleted)`},
	{`m STORE 42 FLAGS f1 f2 f3`, `m STORE 42 FLAGS (f1 f2 f3)`},
	{`d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\Deleted)`, ""},
	{`x STORE 1 -FLAGS ()`, ""},
	{"A282 SEARCH RETURN (MIN COUNT) FLAGGED", ""},
	{"A283 SEARCH RETURN () FLAGGED", ""},
	{`A284 SEARCH TEXT "string not in mailbox"`, ""},
	{"A285 UID SEARCH RETURN (MIN MAX) 1:5000", ""},
	{"A282 SEARCH RETURN (SAVE) FLAGGED SINCE 1-Feb-1994", ""},
	{"A301 UID SEARCH UID $ SMALLER 4096", ""},
	{"A301 UID SEARCH $ SMALLER 4096", ""},
	{"F282 SEARCH RETURN (SAVE) KEYWORD $Junk", ""},
	{"h search from maria@example.com", "h SEARCH FROM maria@example.com"},
	{`A284 SEARCH CHARSET UTF-8 (OR $ 1,3000:3021) TEXT "abc"`, `A284 SEARCH CHARSET UTF-8 (OR $ 1,3000:3021) TEXT abc`},
	{`a SEARCH NOT (OR FROM "Smith" SUBJECT x) BEFORE "1-Feb-1994" ON 31-Dec-2020 SENTBEFORE 2-Jan-2021 SENTON 3-Jan-2021 SENTSINCE 4-Jan-2021 LARGER 10 SMALLER 10000`, `a SEARCH NOT (OR FROM Smith SUBJECT x) BEFORE 1-Feb-1994 ON 31-Dec-2020 SENTBEFORE 2-Jan-2021 SENTON 3-Jan-2021 SENTSINCE 4-Jan-2021 LARGER 10 SMALLER 10000`},
	{`a SEARCH ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN UNKEYWORD $Junk`, ""},
	{`a SEARCH BCC b BODY c CC d TO e HEADER X-Spam "" UID 1:*`, ""},
	{`a SEARCH MODSEQ "/flags/\\draft" all 620162338`, ""},
	{`a SEARCH MODSEQ 5 OLDER 3600 YOUNGER 60`, ""},
	{`a SEARCH RECENT`, ""},
	{`x ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited" "x" NIL)`, ""},
	{`x ID NIL`, ""},
	{`x CHECK`, ""},
	// RFC 4467 7 and RFC 5524 3.
	{"a31 RESETKEY", ""},
	{"a32 RESETKEY INBOX", ""},
	{"a33 RESETKEY INBOX xsample", "a33 RESETKEY INBOX XSAMPLE"},
	{`a777 GENURLAUTH "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred" INTERNAL`, ""},
	{`a002 URLFETCH "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred:internal:91354a473744909de610943775f92038"`, ""},
	{`a003 URLFETCH ("imap://joe@example.com/INBOX/;uid=20;urlauth=anonymous:internal:91354a473744909de610943775f92038" bodypartstructure BINARY) "u"`,
		`a003 URLFETCH ("imap://joe@example.com/INBOX/;uid=20;urlauth=anonymous:internal:91354a473744909de610943775f92038" BODYPARTSTRUCTURE BINARY) "u"`},
}

func TestCommandRoundTrip(t *testing.T) {
	for _, tc := range commandExamples {
		t.Run(tc.in, func(t *testing.T) {
			want := tc.out
			if want == "" {
				want = tc.in
			}
			c, err := ReadCommand(newDec(tc.in + "\r\n"))
			require.NoError(t, err)
			got := formatCommand(t, c)
			assert.Equal(t, want+"\r\n", got)
			c2, err := ReadCommand(newDec(got))
			require.NoError(t, err)
			assert.Equal(t, c, c2)
		})
	}
}

func TestReadCommandTyped(t *testing.T) {
	c, err := ReadCommand(newDec("a1 uid fetch 1:3,5 (uid body.peek[1.header.fields (from to)]<0.100>)\r\n"))
	require.NoError(t, err)
	assert.Equal(t, &Command{Tag: "a1", Name: "FETCH", UID: true, Args: &FetchCommand{
		Seq: SeqSet{Ranges: []SeqRange{{1, 3}, {5, 5}}},
		Items: []FetchItem{{Name: FetchUID}, {Name: FetchBody, Peek: true,
			Section: &Section{Part: []uint32{1}, Specifier: SectionHeaderFields, Fields: []string{"from", "to"}},
			Partial: &Partial{0, 100}}},
	}}, c)

	c, err = ReadCommand(newDec("a2 SEARCH OR UNSEEN (FLAGGED 2:*) SINCE 1-Feb-1994\r\n"))
	require.NoError(t, err)
	assert.Equal(t, &SearchCommand{Keys: []SearchKey{
		{Op: "OR", Keys: []SearchKey{{Op: "UNSEEN"}, {Op: SearchAnd, Keys: []SearchKey{
			{Op: "FLAGGED"}, {Op: SearchSeqSet, Seq: SeqSet{Ranges: []SeqRange{{2, Star}}}}}}}},
		{Op: "SINCE", Date: time.Date(1994, 2, 1, 0, 0, 0, 0, time.UTC)},
	}}, c.Args)

	c, err = ReadCommand(newDec("a3 AUTHENTICATE plain AGZyZWQAZm9v\r\n"))
	require.NoError(t, err)
	assert.Equal(t, &AuthenticateCommand{Mechanism: "PLAIN", InitialResponse: []byte("\x00fred\x00foo")}, c.Args)
}

// TestReadCommandLiterals follows RFC 9051 6.3.12 and 7.5: a
// synchronising literal asks for a continuation; LITERAL+ does not.
func TestReadCommandLiterals(t *testing.T) {
	var asked []LiteralInfo
	d := newDec("A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n" +
		"A002 LOGIN {3+}\r\nabc x\r\n")
	d.OnLiteral = func(l LiteralInfo) error { asked = append(asked, l); return nil }
	c, err := ReadCommand(d)
	require.NoError(t, err)
	assert.Equal(t, &LoginCommand{"FRED FOOBAR", "fat man"}, c.Args)
	c, err = ReadCommand(d)
	require.NoError(t, err)
	assert.Equal(t, &LoginCommand{"abc", "x"}, c.Args)
	assert.Equal(t, []LiteralInfo{{11, true, false}, {7, true, false}, {3, false, false}}, asked)
}

func TestReadCommandAppend(t *testing.T) {
	msg := "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nSubject: afternoon meeting\r\n\r\nHello Joe\r\n"
	wire := "A003 APPEND saved-messages (\\Seen) \"05-Jan-2021 10:11:12 +0100\" {" +
		itoa(len(msg)) + "}\r\n" + msg + "\r\nA004 NOOP\r\n"
	d := newDec(wire)
	continued := 0
	d.OnLiteral = func(l LiteralInfo) error { continued++; return nil }
	c, err := ReadCommand(d)
	require.NoError(t, err)
	a := c.Args.(*AppendCommand)
	assert.Equal(t, "saved-messages", a.Mailbox)
	assert.Equal(t, []string{`\Seen`}, a.Flags)
	assert.Equal(t, "2021-01-05T10:11:12+01:00", a.Date.Format(time.RFC3339))
	body, err := io.ReadAll(a.Message)
	require.NoError(t, err)
	assert.Equal(t, msg, string(body))
	require.NoError(t, d.EndCommand())
	assert.Equal(t, 1, continued)

	a.Message = strings.NewReader(msg)
	assert.Equal(t, strings.TrimSuffix(wire, "A004 NOOP\r\n"), formatCommand(t, c))

	c, err = ReadCommand(d)
	require.NoError(t, err)
	assert.Equal(t, "NOOP", c.Name)

	// RFC 6855 4 and RFC 3516 literal8; EndCommand discards the unread rest.
	d = newDec("A5 APPEND INBOX UTF8 (~{5+}\r\nab\x00cd)\r\nA6 NOOP\r\n")
	c, err = ReadCommand(d)
	require.NoError(t, err)
	a = c.Args.(*AppendCommand)
	assert.True(t, a.UTF8)
	assert.Equal(t, LiteralInfo{5, false, true}, a.Literal)
	require.NoError(t, d.EndCommand())
	c, err = ReadCommand(d)
	require.NoError(t, err)
	assert.Equal(t, "A6", c.Tag)
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func fmtInt(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestCommandErrors checks that a bad command is refused with its tag,
// or untagged when no tag could be read, and that the next command is
// read normally.
func TestCommandErrors(t *testing.T) {
	cases := []struct {
		wire, tag string
	}{
		{"a1 FROB\r\n", "a1"},
		{"a1 LOGIN \"unterminated\r\n", "a1"},
		{"a1 LOGIN \"a\x00b\" c\r\n", "a1"},
		{"a1 LOGIN a\xe9 b\r\n", "a1"},
		{"a1 LOGIN \"a\\qb\" c\r\n", "a1"},
		{"a1 FETCH 0 FLAGS\r\n", "a1"},
		{"a1 FETCH 1 (FLAGS\r\n", "a1"},
		{"a1 FETCH 99999999999 FLAGS\r\n", "a1"},
		{"a1 FETCH 1 BODY[HEADER.FIELDS ()]\r\n", "a1"},
		{"a1 FETCH 1 BODY.PEEK\r\n", "a1"},
		{"a1 FETCH 1 BINARY[TEXT]\r\n", "a1"},
		{"a1 STORE 1 FLAGS.LOUD (x)\r\n", "a1"},
		{"a1 SEARCH FROB\r\n", "a1"},
		{"a1 SEARCH SINCE 31-Foo-2020\r\n", "a1"},
		{"a1 SEARCH LARGER 99999999999999999999999\r\n", "a1"},
		{"a1  NOOP\r\n", "a1"},
		{"a1 UID NOOP\r\n", "a1"},
		{"a1 SEARCH CHARSET UTF-8 RETURN (COUNT) ALL\r\n", "a1"},
		{"a1 NOOP extra\r\n", "a1"},
		{"a1 LOGIN a {5+}\r\nxx\r\nx extra\r\n", "a1"},
		{"+a NOOP\r\n", ""},
		{"\r\n", ""},
		{"(x) NOOP\r\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.wire, func(t *testing.T) {
			d := newDec(tc.wire + "n2 NOOP\r\n")
			_, err := ReadCommand(d)
			var ce *CommandError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.tag, ce.Tag)
			assert.False(t, IsFatal(err))
			c, err := ReadCommand(d)
			require.NoError(t, err)
			assert.Equal(t, "n2", c.Tag)
		})
	}
}

// TestLiteralRefused: the server refuses a literal before reading it.
// A refused synchronising literal ends the command (the client never
// got "+" and sends nothing more of it); a refused LITERAL+ one is
// skipped when small, fatal when large.
func TestLiteralRefused(t *testing.T) {
	d := newDec("a1 LOGIN {2000000}\r\na2 NOOP\r\n")
	_, err := ReadCommand(d)
	var le *LiteralRefusedError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, ErrLiteralTooBig)
	assert.False(t, IsFatal(err))
	c, err := ReadCommand(d)
	require.NoError(t, err)
	assert.Equal(t, "a2", c.Tag)

	d = newDec("a1 APPEND INBOX {50000000}\r\na2 NOOP\r\n")
	d.OnLiteral = func(l LiteralInfo) error {
		if l.Size > 1000 {
			return ErrLiteralTooBig
		}
		return nil
	}
	_, err = ReadCommand(d)
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "a1", ce.Tag)
	c, err = ReadCommand(d)
	require.NoError(t, err)
	assert.Equal(t, "a2", c.Tag)

	d = newDec("a1 APPEND INBOX {5000+}\r\n" + strings.Repeat("x", 5000) + "\r\na2 NOOP\r\n")
	d.OnLiteral = func(l LiteralInfo) error { return ErrLiteralTooBig }
	_, err = ReadCommand(d)
	require.Error(t, err)
	assert.False(t, IsFatal(err))
	c, err = ReadCommand(d)
	require.NoError(t, err)
	assert.Equal(t, "a2", c.Tag)

	d = newDec("a1 APPEND INBOX {50000000+}\r\nxxxx")
	d.OnLiteral = func(l LiteralInfo) error { return ErrLiteralTooBig }
	_, err = ReadCommand(d)
	require.ErrorAs(t, err, &le)
	assert.True(t, IsFatal(err))
}

func TestCommandLimits(t *testing.T) {
	d := newDec("a1 LOGIN " + strings.Repeat("x", 100) + " y\r\n")
	d.Limits.MaxLineLength = 50
	_, err := ReadCommand(d)
	assert.ErrorIs(t, err, ErrLineTooLong)
	assert.True(t, IsFatal(err))

	d = newDec("a1 SEARCH " + strings.Repeat("(", 100) + "ALL" + strings.Repeat(")", 100) + "\r\n")
	_, err = ReadCommand(d)
	assert.ErrorIs(t, err, ErrTooDeep)

	d = newDec("a1 SEARCH " + strings.Repeat("NOT ", 100) + "ALL\r\n")
	_, err = ReadCommand(d)
	assert.ErrorIs(t, err, ErrTooDeep)

	// Many small literals cannot add up past MaxCommandBytes.
	d = newDec("a1 SEARCH" + strings.Repeat(" TEXT {10+}\r\n0123456789", 100) + "\r\n")
	d.Limits.MaxCommandBytes = 500
	_, err = ReadCommand(d)
	require.Error(t, err)
}

// TestWriteCommandSafety: strings that could inject a command are sent
// as literals, and a client waits for "+" before a synchronising one.
func TestWriteCommandSafety(t *testing.T) {
	var buf bytes.Buffer
	waits := 0
	c := &Command{Tag: "a1", Name: "LOGIN", Args: &LoginCommand{"fred\r\na2 DELETE INBOX", "pw"}}
	s, err := encode(t, func(e *Encoder) error {
		e.OnSyncLiteral = func() error { waits++; buf.WriteString("+"); return nil }
		return WriteCommand(e, c)
	})
	require.NoError(t, err)
	assert.Equal(t, "a1 LOGIN {21}\r\nfred\r\na2 DELETE INBOX pw\r\n", s)
	assert.Equal(t, 1, waits)

	s, err = encode(t, func(e *Encoder) error {
		e.Literals = LiteralPlus
		return WriteCommand(e, c)
	})
	require.NoError(t, err)
	assert.Equal(t, "a1 LOGIN {21+}\r\nfred\r\na2 DELETE INBOX pw\r\n", s)

	_, err = encode(t, func(e *Encoder) error {
		return WriteCommand(e, &Command{Tag: "a1", Name: "LOGIN", Args: &LoginCommand{"a\x00b", "pw"}})
	})
	assert.ErrorIs(t, err, ErrBadString)
	_, err = encode(t, func(e *Encoder) error {
		return WriteCommand(e, &Command{Tag: "a 1", Name: "NOOP"})
	})
	assert.ErrorIs(t, err, ErrBadString)
	_, err = encode(t, func(e *Encoder) error {
		return WriteCommand(e, &Command{Tag: "a1", Name: "STORE", Args: &StoreCommand{
			Seq: SeqSetOf(1), Flags: []string{"x\r\ny"}}})
	})
	assert.ErrorIs(t, err, ErrBadString)

	// 8-bit strings are literals unless UTF8 is allowed.
	c = &Command{Tag: "a1", Name: "SELECT", Args: &SelectCommand{Mailbox: "Entwürfe"}}
	s = formatCommand(t, c)
	assert.Equal(t, "a1 SELECT {9}\r\nEntwürfe\r\n", s)
	s, err = encode(t, func(e *Encoder) error { e.UTF8 = true; return WriteCommand(e, c) })
	require.NoError(t, err)
	assert.Equal(t, "a1 SELECT \"Entwürfe\"\r\n", s)

	// LITERAL-: non-synchronising up to 4096 bytes only.
	long := strings.Repeat("x ", 2500)
	s, err = encode(t, func(e *Encoder) error {
		e.Literals = LiteralMinus
		return WriteCommand(e, &Command{Tag: "a", Name: "SEARCH", Args: &SearchCommand{Keys: []SearchKey{
			{Op: "TEXT", Value: "a\r\n"}, {Op: "BODY", Value: long}}}})
	})
	require.NoError(t, err)
	assert.Equal(t, "a SEARCH TEXT {3+}\r\na\r\n BODY {5000}\r\n"+long+"\r\n", s)
}
