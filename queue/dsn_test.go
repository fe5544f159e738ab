package queue

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

// parsedDSN is a notification read back with our own message package.
type parsedDSN struct {
	header     message.Header
	reportType string
	text       string
	statusType string
	perMessage mime.Header
	perRcpt    []mime.Header
	origType   string
	origHeader mime.Header // of the returned message, or the returned header
	origBody   string      // of the returned message ("" for headers only)
}

// parseDSN reads a notification, checking its structure (RFC 3464 2.,
// RFC 6522 3.) on the way.
func parseDSN(t *testing.T, raw []byte) *parsedDSN {
	t.Helper()
	m, err := message.Read(bytes.NewReader(raw))
	require.NoError(t, err)
	d := &parsedDSN{header: m.Header}
	root := m.Root()
	require.Equal(t, "multipart/report", root.MediaType)
	d.reportType = root.Params["report-type"]

	p, err := m.NextPart()
	require.NoError(t, err)
	require.Equal(t, "text/plain", p.MediaType, "first part: human readable (RFC 6522 3.)")
	b, err := io.ReadAll(p.Body())
	require.NoError(t, err)
	d.text = string(b)

	p, err = m.NextPart()
	require.NoError(t, err)
	d.statusType = p.MediaType
	b, err = io.ReadAll(p.Body())
	require.NoError(t, err)
	// RFC 3464 2.1: blocks of fields separated by empty lines; the
	// first is per message, each other per recipient.
	blocks := strings.Split(strings.TrimRight(string(b), "\r\n"), "\r\n\r\n")
	for i, blk := range blocks {
		r := mime.NewReader(strings.NewReader(blk + "\r\n\r\n"))
		part, err := r.Next()
		require.NoError(t, err)
		for _, def := range part.Defects {
			// UTF-8 is the point of message/global-delivery-status.
			if d.statusType != "message/global-delivery-status" || def.Kind != mime.DefectEightBitHeader {
				t.Errorf("block %d: %v", i, def)
			}
		}
		if i == 0 {
			d.perMessage = part.Header
		} else {
			d.perRcpt = append(d.perRcpt, part.Header)
		}
	}

	p, err = m.NextPart()
	if err == io.EOF {
		return d // no third part: the original could not be returned
	}
	require.NoError(t, err)
	d.origType = p.MediaType
	switch p.MediaType {
	case "message/rfc822":
		inner, err := m.NextPart()
		require.NoError(t, err)
		d.origHeader = inner.Header
		b, err = io.ReadAll(inner.Body())
		require.NoError(t, err)
		d.origBody = string(b)
	case "text/rfc822-headers":
		b, err = io.ReadAll(p.Body())
		require.NoError(t, err)
		r := mime.NewReader(bytes.NewReader(b))
		hp, err := r.Next()
		require.NoError(t, err)
		d.origHeader = hp.Header
	default:
		t.Fatalf("third part is %s", p.MediaType)
	}
	_, err = m.NextPart()
	require.ErrorIs(t, err, io.EOF, "three parts only")
	return d
}

func TestDSNContent(t *testing.T) {
	d := &fakeDeliverer{result: func(rcpt string, _ int) error {
		switch rcpt {
		case "gone@x.test":
			return permErr("No such user")
		case "local@x.test":
			return &localErr{}
		}
		return nil
	}}
	q, clk := testQueue(t, d, nil)
	arrival := clk.Now()
	env := &Envelope{
		From:  "alice@example.org",
		EnvID: "QQ314159",
		Recipients: []Recipient{
			{Addr: "gone@x.test", ORcpt: "rfc822;Gone@X.test", Notify: NotifyFailure},
			{Addr: "ok@x.test"},
			{Addr: "local@x.test"},
		},
	}
	_, err := q.Enqueue(context.Background(), env, strings.NewReader(testBody))
	require.NoError(t, err)
	settle(t, q)
	dsns := d.dsns()
	require.Len(t, dsns, 1)
	assert.Equal(t, []string{"alice@example.org"}, dsns[0].to)
	assert.Equal(t, "", dsns[0].from, "from the null sender")

	p := parseDSN(t, dsns[0].body)
	from, err := p.header.From()
	require.NoError(t, err)
	require.Len(t, from, 1)
	assert.Equal(t, "MAILER-DAEMON@mta.example.org", from[0].Addr)
	to, err := p.header.To()
	require.NoError(t, err)
	require.Len(t, to, 1)
	assert.Equal(t, "alice@example.org", to[0].Addr)
	assert.Equal(t, "Undelivered Mail Returned to Sender", p.header.Subject())
	assert.Equal(t, "auto-replied", p.header.Get("Auto-Submitted"))
	assert.NotEmpty(t, p.header.MessageID())
	date, err := p.header.Date()
	require.NoError(t, err)
	assert.True(t, date.Equal(clk.Now()))
	assert.Equal(t, "delivery-status", p.reportType)
	assert.Contains(t, p.text, "<gone@x.test>: 550 5.1.1 No such user")

	// RFC 3464 2.2: per-message fields.
	assert.Equal(t, "message/delivery-status", p.statusType)
	assert.Equal(t, "QQ314159", p.perMessage.Get("Original-Envelope-Id"))
	assert.Equal(t, "dns; mta.example.org", p.perMessage.Get("Reporting-MTA"))
	ad, err := message.ParseDate(p.perMessage.Get("Arrival-Date"))
	require.NoError(t, err)
	assert.True(t, ad.Equal(arrival))
	assert.Equal(t, "Original-Envelope-Id", p.perMessage.Fields()[0].Key, "ENVID comes first (2.2 grammar)")

	// RFC 3464 2.3: one block per reported recipient.
	require.Len(t, p.perRcpt, 2)
	r := p.perRcpt[0]
	assert.Equal(t, "rfc822;Gone@X.test", r.Get("Original-Recipient"))
	assert.Equal(t, "rfc822; gone@x.test", r.Get("Final-Recipient"))
	assert.Equal(t, "failed", r.Get("Action"))
	assert.Equal(t, "5.1.1", r.Get("Status"))
	assert.Equal(t, "dns; mx.example.net", r.Get("Remote-MTA"))
	assert.Equal(t, "smtp; 550 5.1.1 No such user", r.Get("Diagnostic-Code"))
	la, err := message.ParseDate(r.Get("Last-Attempt-Date"))
	require.NoError(t, err)
	assert.True(t, la.Equal(arrival))
	assert.False(t, r.Has("Will-Retry-Until"))

	r = p.perRcpt[1]
	assert.False(t, r.Has("Original-Recipient"))
	assert.Equal(t, "rfc822; local@x.test", r.Get("Final-Recipient"))
	assert.Equal(t, "failed", r.Get("Action"))
	assert.Equal(t, "5.0.0", r.Get("Status"), "no Status method: the class alone")
	assert.False(t, r.Has("Remote-MTA"))
	assert.Equal(t, "X-Postkit; local trouble", r.Get("Diagnostic-Code"))

	// RET absent: the whole message returns.
	assert.Equal(t, "message/rfc822", p.origType)
	assert.Equal(t, "Hello", p.origHeader.Get("Subject"))
	assert.Equal(t, "Hi Bob.\r\n", p.origBody)
}

type localErr struct{}

func (*localErr) Error() string   { return "local trouble" }
func (*localErr) Temporary() bool { return false }

func TestDSNReturnHeaders(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return permErr("no") }}
	for _, tc := range []struct {
		name  string
		ret   Ret
		limit int64
	}{
		{"RET=HDRS", RetHeaders, 0},
		{"over the size limit", RetFull, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakeDeliverer{result: d.result}
			q, _ := testQueue(t, d, func(q *Queue) { q.DSNFullLimit = tc.limit })
			_, err := q.Enqueue(context.Background(), &Envelope{From: "alice@example.org", Ret: tc.ret, Recipients: []Recipient{{Addr: "a@x.test"}}}, strings.NewReader(testBody))
			require.NoError(t, err)
			settle(t, q)
			require.Len(t, d.dsns(), 1)
			p := parseDSN(t, d.dsns()[0].body)
			assert.Equal(t, "text/rfc822-headers", p.origType)
			assert.Equal(t, "Hello", p.origHeader.Get("Subject"))
			assert.Equal(t, "<m1@example.org>", p.origHeader.Get("Message-Id"))
			assert.NotContains(t, string(d.dsns()[0].body), "Hi Bob.")
		})
	}
}

func TestDSNDelayed(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return tempErr("greylisted") }}
	q, clk := testQueue(t, d, func(q *Queue) {
		q.DelayWarning = time.Hour
		q.Lifetime = 48 * time.Hour
	})
	start := clk.Now()
	_, err := q.Enqueue(context.Background(), &Envelope{From: "alice@example.org", Recipients: []Recipient{
		{Addr: "a@x.test", Notify: NotifyDelay | NotifyFailure},
		{Addr: "b@x.test", Notify: NotifyFailure},
	}}, strings.NewReader(testBody))
	require.NoError(t, err)
	advance(t, q, clk, 2*time.Hour, 10*time.Minute)
	require.Len(t, d.dsns(), 1)
	p := parseDSN(t, d.dsns()[0].body)
	assert.Equal(t, "Delayed Mail (still being retried)", p.header.Subject())
	require.Len(t, p.perRcpt, 1, "only the recipient that asked for DELAY")
	r := p.perRcpt[0]
	assert.Equal(t, "rfc822; a@x.test", r.Get("Final-Recipient"))
	assert.Equal(t, "delayed", r.Get("Action"))
	assert.Equal(t, "4.2.0", r.Get("Status"))
	wr, err := message.ParseDate(r.Get("Will-Retry-Until"))
	require.NoError(t, err)
	assert.True(t, wr.Equal(start.Add(48*time.Hour)))
	assert.Equal(t, "text/rfc822-headers", p.origType)
}

func TestDSNNonASCIIRecipient(t *testing.T) {
	d := &fakeDeliverer{result: func(string, int) error { return permErr("no") }}
	q, _ := testQueue(t, d, nil)
	_, err := q.Enqueue(context.Background(), &Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "jörg@x.test"}}}, strings.NewReader(testBody))
	require.NoError(t, err)
	settle(t, q)
	require.Len(t, d.dsns(), 1)
	p := parseDSN(t, d.dsns()[0].body)
	// RFC 6533 6.: message/global-delivery-status, utf-8 address type.
	assert.Equal(t, "message/global-delivery-status", p.statusType)
	assert.Equal(t, "utf-8; jörg@x.test", p.perRcpt[0].Get("Final-Recipient"))
	assert.Contains(t, p.text, "jörg@x.test")
}
