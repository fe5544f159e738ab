package smtp

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/sasl"
)

func TestReceivedString(t *testing.T) {
	when := time.Date(2026, 12, 3, 12, 0, 0, 0, time.FixedZone("", 3600))
	tests := []struct {
		name string
		r    Received
		want string
	}{
		{"full", Received{From: "client.example", FromHost: "mail.example", FromIP: net.ParseIP("192.0.2.1"), By: "mx.example.org", With: "ESMTPS", ID: "abc", For: "bob@example.org", Time: when},
			"Received: from client.example (mail.example [192.0.2.1])\r\n\tby mx.example.org with ESMTPS id abc\r\n\tfor <bob@example.org>;\r\n\tThu, 03 Dec 2026 12:00:00 +0100\r\n"},
		{"minimal", Received{By: "mx", Time: when},
			"Received: from unknown\r\n\tby mx;\r\n\tThu, 03 Dec 2026 12:00:00 +0100\r\n"},
		{"IPv6 only", Received{From: "x", FromIP: net.ParseIP("2001:db8::1"), By: "mx", With: "LMTP", Time: when},
			"Received: from x ([IPv6:2001:db8::1])\r\n\tby mx with LMTP;\r\n\tThu, 03 Dec 2026 12:00:00 +0100\r\n"},
		{"hostile names", Received{From: "evil\r\nX-Injected: 1 (", FromHost: "a\\) b", By: "mx", For: "x>; by y", Time: when},
			"Received: from evil__X-Injected:_1__ (a___b)\r\n\tby mx\r\n\tfor <x___by_y>;\r\n\tThu, 03 Dec 2026 12:00:00 +0100\r\n"},
		{"U-label", Received{From: "b\u00fccher.example", FromIP: net.ParseIP("::ffff:192.0.2.7"), By: "mx", Time: when},
			"Received: from b_cher.example ([192.0.2.7])\r\n\tby mx;\r\n\tThu, 03 Dec 2026 12:00:00 +0100\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.r.String())
		})
	}
}

// TestConnReceived: the protocol name of RFC 3848 follows the session:
// HELO, EHLO, STARTTLS, AUTH, LMTP.
func TestConnReceived(t *testing.T) {
	auth := map[string]sasl.ServerFactory{"PLAIN": func() sasl.Server { return sasl.NewPlainServer(testPlainAuth) }}
	tests := []struct {
		name  string
		lmtp  bool
		cmds  func(c *wireClient)
		with  string
		ident string
	}{
		{"HELO", false, func(c *wireClient) { c.cmd("HELO c.test", 250) }, "SMTP", ""},
		{"EHLO", false, func(c *wireClient) { c.cmd("EHLO c.test", 250) }, "ESMTP", ""},
		{"EHLO AUTH", false, func(c *wireClient) {
			c.cmd("EHLO c.test", 250)
			c.cmd("AUTH PLAIN "+testB64("\x00user\x00pass"), 235)
		}, "ESMTPA", "user"},
		{"STARTTLS AUTH", false, func(c *wireClient) {
			c.cmd("EHLO c.test", 250)
			c.cmd("STARTTLS", 220)
			c.startTLS()
			c.cmd("EHLO c.test", 250)
			c.cmd("AUTH PLAIN "+testB64("\x00user\x00pass"), 235)
		}, "ESMTPSA", "user"},
		{"LHLO", true, func(c *wireClient) { c.cmd("LHLO c.test", 250) }, "LMTP", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &testBackend{lmtp: tc.lmtp}
			addr := startTestServer(t, &Server{Handler: b, LMTP: tc.lmtp, TLSConfig: serverTLSConfig(t), Auth: auth})
			c := dialWire(t, addr)
			c.expect(220)
			tc.cmds(c)
			c.cmd("MAIL FROM:<a@x.test>", 250)
			c.cmd("RCPT TO:<b@y.test>", 250)
			c.cmd("DATA", 354)
			c.send("Subject: x\r\n\r\nhi\r\n.\r\n")
			c.expect(250)
			c.cmd("QUIT", 221)
			msgs := b.messages()
			require.Len(t, msgs, 1)
			assert.Regexp(t, `^Received: from c\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test with `+tc.with+` id id1;\r\n\t`, msgs[0].Trace)
			assert.Equal(t, tc.ident, msgs[0].Ident)
		})
	}
}
