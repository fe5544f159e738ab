package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replayStep is one exchange of a replay server: it reads a command
// line containing expect and writes reply, with "TAG" replaced by the
// command's tag.
type replayStep struct {
	expect string
	reply  string
}

// replayServer serves one connection on loopback with the greeting and
// steps, written byte for byte as given: servers that break the
// grammar in the ways real ones do.
func replayServer(t *testing.T, greeting string, steps []replayStep) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(nc)
		io.WriteString(nc, greeting)
		for _, s := range steps {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			tag, _, _ := strings.Cut(line, " ")
			if !strings.Contains(line, s.expect) {
				t.Errorf("replay: got %q, want %q", line, s.expect)
				return
			}
			io.WriteString(nc, strings.ReplaceAll(s.reply, "TAG", tag))
		}
		io.Copy(io.Discard, br)
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return l.Addr().String()
}

func TestClientToleratesBrokenServers(t *testing.T) {
	steps := []replayStep{
		// A tagged OK whose response code never closes.
		{"LOGIN", "TAG OK [CAPABILITY IMAP4rev1 IDLE Logged in\r\n"},
		// Odd atoms in LIST, 8-bit in a quoted name.
		{"LIST", "* LIST (\\HasNoChildren) \"/\" Foo[bar]\r\n" +
			"* LIST () \"/\" \"Caf\xe9\"\r\n" +
			"* XYZZY something else\r\n" +
			"TAG OK done\r\n"},
		{"SELECT", "* 3 EXISTS\r\n* FLAGS (\\Seen \\Deleted)\r\n* OK [UIDVALIDITY 7] ok\r\n" +
			"* OK [UIDNEXT 4]\r\n" + // no text after the code
			"TAG OK [READ-WRITE] selected\r\n"},
		{"FETCH", "" +
			// Latin-1 in a quoted string, a bad escape, a missing space.
			"* 1 FETCH (UID 1 FLAGS (\\Seen)ENVELOPE (\"Mon, 1 Jan 2024 00:00:00 +0000\" \"Gr\xfc\xdfe \\q\" ((\"Bob\" NIL \"bob\" \"example.org\")) NIL NIL NIL NIL NIL NIL \"<a@b>\"))\r\n" +
			// BODYSTRUCTURE with NIL encoding and no line count.
			"* 2 FETCH (UID 2 BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL NIL 120))\r\n" +
			// A multipart with a broken part, and a good ENVELOPE.
			"* 3 FETCH (UID 3 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1)(\"application\" NIL NIL NIL NIL \"base64\" 300) \"mixed\") ENVELOPE (NIL \"ok\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n" +
			// Garbage that cannot be recovered: reported and skipped.
			"* 4 FETCH (UID\r\n" +
			// A parameter list with an odd count and doubled spaces
			// (seen from webmail providers), an empty media type.
			"* 5 FETCH (UID 5  BODYSTRUCTURE (\"\" \"\" (\"charset\") NIL NIL \"8bit\" 7 1) FLAGS ())\r\n" +
			"TAG OK fetched\r\n"},
		// A garbled tagged response still completes its command.
		{"NOOP", "TAG OK [garbage\x01\r\n"},
		{"NOOP", "TAG NO [ALERT] go away\r\n"},
		{"LOGOUT", "* BYE bye\r\nTAG OK out\r\n"},
	}
	addr := replayServer(t, "* OK [CAPABILITY IMAP4rev1] Dovec\xf6t ready.\r\n", steps)
	ctx := clientCtx(t)
	var ul unilateralLog
	var perrs []string
	var pmu sync.Mutex
	c, err := Dial(ctx, addr, &ClientOptions{
		Unilateral: ul.handle,
		OnParseError: func(err error, raw []byte) {
			pmu.Lock()
			perrs = append(perrs, string(raw))
			pmu.Unlock()
		},
	})
	require.NoError(t, err)
	defer c.Close()
	assert.Contains(t, c.Greeting().Text, "Dovec")

	require.NoError(t, c.Login(ctx, "u", "p"))
	list, err := c.List(ctx, "", "*", nil)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "Foo[bar]", list[0].Name)
	assert.Equal(t, "Café", list[1].Name)

	sd, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(3), sd.Exists)
	assert.Equal(t, uint32(7), sd.UIDValidity)
	assert.Equal(t, uint32(4), sd.UIDNext)

	msgs, err := c.Fetch(ctx, SeqSetOf(1, 2, 3, 4, 5), []FetchItem{{Name: FetchUID}, {Name: FetchEnvelope}, {Name: FetchBodyStructure}}, nil)
	require.NoError(t, err)
	require.Len(t, msgs, 4)
	assert.Equal(t, uint32(5), msgs[3].UID)
	require.NotNil(t, msgs[3].BodyStructure)
	assert.Equal(t, "TEXT", msgs[3].BodyStructure.Type, "an empty type is taken as text/plain")
	assert.Equal(t, uint32(7), msgs[3].BodyStructure.Size)
	assert.Equal(t, []string{}, msgs[3].Flags)
	assert.Equal(t, "Grüße \\q", msgs[0].Envelope.Subject)
	assert.Equal(t, []string{`\Seen`}, msgs[0].Flags)
	assert.Equal(t, "bob", msgs[0].Envelope.From[0].Mailbox)
	require.NotNil(t, msgs[1].BodyStructure)
	assert.Equal(t, "TEXT", msgs[1].BodyStructure.Type)
	assert.Equal(t, uint32(120), msgs[1].BodyStructure.Size)
	require.NotNil(t, msgs[2].BodyStructure)
	require.Len(t, msgs[2].BodyStructure.Parts, 2)
	assert.Equal(t, "MIXED", msgs[2].BodyStructure.Subtype)
	assert.Equal(t, "BASE64", msgs[2].BodyStructure.Parts[1].Encoding)
	assert.Equal(t, "ok", msgs[2].Envelope.Subject)
	assert.Equal(t, uint32(3), msgs[2].UID)

	require.NoError(t, c.Noop(ctx))
	err = c.Noop(ctx)
	var ie *Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "ALERT", ie.Response.Code)
	require.NoError(t, c.Logout(ctx))

	pmu.Lock()
	assert.GreaterOrEqual(t, len(perrs), 6, "recoveries are reported: %q", perrs)
	pmu.Unlock()
	var unknown, bye bool
	for _, r := range ul.all() {
		switch r := r.(type) {
		case *UnknownData:
			unknown = unknown || r.Name == "XYZZY"
		case *StatusResponse:
			bye = bye || r.Type == StatusBYE
		}
	}
	assert.True(t, unknown)
	assert.True(t, bye)
}

func TestClientHostileServer(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  error
	}{
		{"huge literal in memory", "* 1 FETCH (BODY[] {99999999999}\r\n", ErrLiteralTooBig},
		{"endless line", "* 1 FETCH (UID 1 FLAGS (" + strings.Repeat("\\Seen ", 20000) + "\r\n", ErrLineTooLong},
		{"nesting", "* 1 FETCH (BODYSTRUCTURE " + strings.Repeat("(", 200) + "\r\n", ErrTooDeep},
		{"closes mid-response", "* 1 FETCH (UID 1", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := replayServer(t, "* OK hi\r\n", []replayStep{{"FETCH", tt.reply}})
			ctx := clientCtx(t)
			c, err := Dial(ctx, addr, nil)
			require.NoError(t, err)
			defer c.Close()
			if tt.want == io.ErrUnexpectedEOF {
				// The replay server keeps the connection: close it from
				// our side after a while to stand for the server.
				go func() { time.Sleep(100 * time.Millisecond); c.conn.Close() }()
			}
			_, err = c.Fetch(ctx, SeqSetOf(1), []FetchItem{{Name: FetchBody, Section: &Section{}}}, nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrClientClosed)
			if tt.want != io.ErrUnexpectedEOF {
				assert.ErrorIs(t, err, tt.want)
			}
			// Later commands fail at once with the same error.
			err2 := c.Noop(ctx)
			assert.ErrorIs(t, err2, ErrClientClosed)
		})
	}
}

func TestClientContextDeadlineClosesConnection(t *testing.T) {
	// The server never answers NOOP.
	addr := replayServer(t, "* OK hi\r\n", []replayStep{{"NOOP", ""}})
	c, err := Dial(clientCtx(t), addr, nil)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = c.Noop(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	<-c.Done()
	assert.True(t, errors.Is(c.Err(), context.DeadlineExceeded))
	assert.ErrorIs(t, c.Noop(clientCtx(t)), ErrClientClosed)
}

func TestClientUnknownTagAndContinuation(t *testing.T) {
	// An APPEND with a synchronising literal: the client waits for "+".
	addr := replayServer(t, "* OK hi\r\n", []replayStep{
		{"APPEND", "+ go on\r\n"},
		{"hello", "X99 OK not ours\r\n* 5 EXISTS\r\nT1 OK [APPENDUID 9 5] done\r\n"},
		{"APPEND", "TAG NO [TRYCREATE] no such mailbox\r\n"},
	})
	ctx := clientCtx(t)
	var ul unilateralLog
	c, err := Dial(ctx, addr, &ClientOptions{Unilateral: ul.handle})
	require.NoError(t, err)
	defer c.Close()
	au, err := c.Append(ctx, "INBOX", strings.NewReader("hello"), 5, nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(9), au.UIDValidity)
	// Refused at the literal: the stream stays in step.
	_, err = c.Append(ctx, "Nope", strings.NewReader("hello"), 5, nil)
	var ie *Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "TRYCREATE", ie.Response.Code)
	select {
	case <-c.Done():
		t.Fatal("connection closed")
	default:
	}
}

func TestClientReadTimeout(t *testing.T) {
	addr := replayServer(t, "* OK hi\r\n", []replayStep{{"NOOP", ""}})
	c, err := Dial(clientCtx(t), addr, &ClientOptions{ReadTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	// No command: the connection may stay quiet for ever.
	time.Sleep(200 * time.Millisecond)
	select {
	case <-c.Done():
		t.Fatalf("closed while idle: %v", c.Err())
	default:
	}
	err = c.Noop(clientCtx(t))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.ErrorIs(t, err, ErrClientClosed)
}

// RFC 9051 6.2.1 / CVE-2011-0411 class: bytes the server (or a man in
// the middle) sends after the STARTTLS OK, before the handshake, are
// discarded, not read as responses from inside TLS.
func TestClientStartTLSDiscardsInjected(t *testing.T) {
	cfg, pool := selfSigned(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		io.WriteString(nc, "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n")
		line, _ := br.ReadString('\n')
		tag, _, _ := strings.Cut(line, " ")
		// The OK and the injection arrive in one segment.
		io.WriteString(nc, tag+" OK begin\r\n* 99 EXISTS\r\n* BYE injected\r\n")
		tc := tls.Server(nc, cfg)
		if tc.Handshake() != nil {
			return
		}
		tbr := bufio.NewReader(tc)
		for {
			line, err := tbr.ReadString('\n')
			if err != nil {
				return
			}
			tag, _, _ := strings.Cut(line, " ")
			io.WriteString(tc, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"+tag+" OK done\r\n")
		}
	}()
	ctx := clientCtx(t)
	var ul unilateralLog
	c, err := DialStartTLS(ctx, l.Addr().String(), &ClientOptions{Unilateral: ul.handle, TLSConfig: &tls.Config{RootCAs: pool}})
	require.NoError(t, err)
	defer c.Close()
	caps, err := c.Capability(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"IMAP4rev1", "AUTH=PLAIN"}, caps)
	assert.Empty(t, ul.all(), "injected responses were read")
	assert.Equal(t, StateNotAuthenticated, c.State())
}

func TestClientCancelFetchClosesConnection(t *testing.T) {
	// The server starts a large body and stalls.
	addr := replayServer(t, "* OK hi\r\n", []replayStep{{"FETCH", "* 1 FETCH (BODY[] {100000}\r\nabc"}})
	c, err := Dial(clientCtx(t), addr, nil)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithCancel(clientCtx(t))
	err = c.FetchStream(ctx, SeqSetOf(1), []FetchItem{{Name: FetchBody, Section: &Section{}}}, nil, FetchHandler{
		Body: func(seq uint32, item FetchItem, size int64, r io.Reader) error {
			buf := make([]byte, 3)
			_, err := io.ReadFull(r, buf)
			require.NoError(t, err)
			cancel()
			_, err = io.Copy(io.Discard, r)
			return err
		},
	})
	require.Error(t, err)
	<-c.Done()
	assert.ErrorIs(t, c.Err(), context.Canceled)
	assert.ErrorIs(t, c.Noop(clientCtx(t)), ErrClientClosed)
}
