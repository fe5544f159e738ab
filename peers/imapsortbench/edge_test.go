package imapsortbench

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// edgeMessages are the headers of a small mailbox of RFC 5256 corner
// cases: ties (which fall back to the sequence number, also under
// REVERSE), base subjects (section 2.1), sent dates (2.2), first
// addresses, display names (RFC 5957) and threads with missing parents,
// subject merging and loops (section 3). Message i has UID i+1.
var edgeMessages = []string{
	// 1-6: base subjects.
	"From: Zed <zed@example.org>\r\nSubject: Re: [list] Re: hello (fwd)\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e1@x>\r\n",
	"From: zed@example.org\r\nSubject: hello\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e2@x>\r\n",
	"From: \"Bob B\" <BOB@example.org>\r\nSubject: Fwd: [list] hello\r\nMessage-ID: <e3@x>\r\n",
	"From: bob@example.org\r\nSubject: [list]\r\nDate: Thu, 1 Jan 2026 12:00:00 +0200\r\nMessage-ID: <e4@x>\r\n",
	"From: alice@example.org (Alice A)\r\nSubject: Re:\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e5@x>\r\n",
	"From: =?UTF-8?Q?=C3=89mile?= <emile@example.org>\r\nDate: garbage\r\nMessage-ID: <e6@x>\r\n",
	// 7-12: encodings, whitespace, [fwd: ...], Re [n]:, Fw:.
	"From: Émile <emile2@example.org>\r\nSubject: =?UTF-8?Q?R=C3=A9sum=C3=A9?=\r\nDate: 1 Jan 26 05:00:00 EST\r\nMessage-ID: <e7@x>\r\n",
	"From: undisclosed-recipients:;\r\nSubject: résumé\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e8@x>\r\n",
	"From: Carol <carol@example.org>\r\nSubject: [fwd: hello]\r\nDate: Wed, 31 Dec 2025 23:00:00 -0100\r\nMessage-ID: <e9@x>\r\n",
	"From: carol@example.org\r\nSubject: re: RE:   Hello \t World  \r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e10@x>\r\n",
	"From: \"\" <dave@example.org>\r\nSubject: Re [2]: hello world\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e11@x>\r\n",
	"Subject: Fw: Hello World\r\nDate: Thu, 1 Jan 2026 09:59:59 +0000\r\nMessage-ID: <e12@x>\r\n",
	// 13-20: threads: a missing parent with two children, subject
	// merging, a References loop, a duplicate Message-ID.
	"From: a@example.org\r\nSubject: Re: lost parent\r\nDate: Fri, 2 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e13@x>\r\nReferences: <gone@x>\r\n",
	"From: b@example.org\r\nSubject: Re: lost parent\r\nDate: Fri, 2 Jan 2026 09:00:00 +0000\r\nMessage-ID: <e14@x>\r\nIn-Reply-To: <gone@x>\r\n",
	"From: c@example.org\r\nSubject: merge me\r\nDate: Fri, 2 Jan 2026 11:00:00 +0000\r\nMessage-ID: <e15@x>\r\n",
	"From: d@example.org\r\nSubject: Re: merge me\r\nDate: Fri, 2 Jan 2026 12:00:00 +0000\r\nMessage-ID: <e16@x>\r\nReferences: <nowhere@x>\r\n",
	"From: e@example.org\r\nSubject: loop\r\nDate: Fri, 2 Jan 2026 13:00:00 +0000\r\nMessage-ID: <e17@x>\r\nReferences: <e18@x>\r\n",
	"From: f@example.org\r\nSubject: Re: loop\r\nDate: Fri, 2 Jan 2026 14:00:00 +0000\r\nMessage-ID: <e18@x>\r\nReferences: <e17@x>\r\n",
	"From: g@example.org\r\nSubject: dup\r\nDate: Fri, 2 Jan 2026 15:00:00 +0000\r\nMessage-ID: <e19@x>\r\n",
	"From: h@example.org\r\nSubject: Re: dup\r\nDate: Fri, 2 Jan 2026 16:00:00 +0000\r\nMessage-ID: <e19@x>\r\nReferences: <e19@x>\r\n",
}

// edgeMessage returns edge message i with a body, its internal date
// tied with its neighbour's.
func edgeMessage(i int) ([]byte, time.Time) {
	body := fmt.Sprintf("To: list@example.com\r\n\r\nEdge message %d.\r\n", i+1)
	at := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC).Add(time.Duration(i/2) * time.Hour)
	return []byte(edgeMessages[i] + body), at
}

var edgeCommands = []string{
	"SORT (ARRIVAL) UTF-8 ALL",
	"SORT (REVERSE ARRIVAL) UTF-8 ALL",
	"SORT (SIZE) UTF-8 ALL",
	"SORT (REVERSE SIZE) UTF-8 ALL",
	"SORT (DATE) UTF-8 ALL",
	"SORT (REVERSE DATE) UTF-8 ALL",
	"SORT (SUBJECT) UTF-8 ALL",
	"SORT (REVERSE SUBJECT) UTF-8 ALL",
	"SORT (FROM) UTF-8 ALL",
	"SORT (REVERSE FROM) UTF-8 ALL",
	"SORT (DISPLAYFROM) UTF-8 ALL",
	"SORT (TO CC) UTF-8 ALL",
	"THREAD ORDEREDSUBJECT UTF-8 ALL",
	"THREAD REFERENCES UTF-8 ALL",
}

// TestSortThreadEdgeCases runs edgeCommands on both servers over the
// edge mailbox and reports where they differ.
func TestSortThreadEdgeCases(t *testing.T) {
	servers := startServers(t, len(edgeMessages), edgeMessage, "")
	conns := make([]*conn, len(servers))
	for i, s := range servers {
		conns[i] = s.dial(t)
		_, err := conns[i].run("SELECT INBOX")
		require.NoError(t, err, s.name)
	}
	var out [2][]string
	for _, cmd := range edgeCommands {
		for i, s := range servers {
			var err error
			out[i], err = conns[i].run(cmd)
			require.NoError(t, err, "%s: %s", s.name, cmd)
		}
		if true || strings.Join(out[0], "\n") != strings.Join(out[1], "\n") {
			t.Logf("%s\n  postkit: %s\n  dovecot: %s", cmd, strings.Join(out[0], " / "), strings.Join(out[1], " / "))
		}
	}
}
