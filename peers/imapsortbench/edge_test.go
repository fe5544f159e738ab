package imapsortbench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
	// 21-28: more base subjects: blobs between reply prefixes, (fwd)
	// twice, an encoded "Re:", a leader alone, case folding beyond
	// ASCII, [fwd: Re: ...], prefixes without spaces, blank.
	"From: i@example.org\r\nSubject: Re: Fwd: [a] [b] Re: xyz\r\nDate: Sat, 3 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e21@x>\r\n",
	"From: j@example.org\r\nSubject: xyz (fwd) (fwd)\r\nDate: Sat, 3 Jan 2026 09:00:00 +0000\r\nMessage-ID: <e22@x>\r\n",
	"From: k@example.org\r\nSubject: =?UTF-8?Q?Re:_xyz?=\r\nDate: Sat, 3 Jan 2026 08:00:00 +0000\r\nMessage-ID: <e23@x>\r\n",
	"From: l@example.org\r\nSubject: [a] Re:\r\nDate: Sat, 3 Jan 2026 07:00:00 +0000\r\nMessage-ID: <e24@x>\r\n",
	"From: m@example.org\r\nSubject: ÉCOLE\r\nDate: Sat, 3 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e25@x>\r\n",
	"From: n@example.org\r\nSubject: école\r\nDate: Sat, 3 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e26@x>\r\n",
	"From: o@example.org\r\nSubject: [fwd: Re: ecole]\r\nDate: Sat, 3 Jan 2026 11:00:00 +0000\r\nMessage-ID: <e27@x>\r\n",
	"From: p@example.org\r\nSubject: RE:re:Re:  \t \r\nDate: Sat, 3 Jan 2026 11:00:00 +0000\r\nMessage-ID: <e28@x>\r\n",
	// 29-34: display names, the epoch, References over In-Reply-To,
	// junk in References, a folded header.
	"From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>\r\nSubject: names\r\nDate: Thu, 1 Jan 1970 00:00:00 +0000\r\nMessage-ID: <e29@x>\r\n",
	"From: \"\" <aaa@example.org>\r\nSubject: names\r\nDate: Sun, 4 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e30@x>\r\n",
	"From: \"Smith, John\" <js@example.org>\r\nSubject: names\r\nDate: Sun, 4 Jan 2026 10:00:00 +0000\r\nMessage-ID: <e31@x>\r\n",
	"From: q@example.org\r\nSubject: Re: conflict\r\nDate: Sun, 4 Jan 2026 11:00:00 +0000\r\nMessage-ID: <e32@x>\r\nReferences: <e15@x>\r\nIn-Reply-To: <e17@x>\r\n",
	"From: r@example.org\r\nSubject: Re: junk\r\nDate: Sun, 4 Jan 2026 12:00:00 +0000\r\nMessage-ID: <e33@x>\r\nReferences: foo <e13@x> bar <e33@x>\r\n",
	"From: Folded\r\n Name <folded@example.org>\r\nSubject: folded\r\n subject\r\nDate: Sun, 4 Jan 2026\r\n 13:00:00 +0000\r\nMessage-ID: <e34@x>\r\nIn-Reply-To: <e29@x> (names)\r\n",
}

// epochDated is the edge message dated 1 Jan 1970 00:00:00 +0000. Its
// Date parses, so RFC 5256 2.2 makes it its sent date, the earliest
// there is; only a Date missing or unparsable falls back to the
// INTERNALDATE. Dovecot 2.3 cannot tell a sent date of 0 from none (in
// lib-storage/index/index-sort.c, a date of 0 is replaced by the
// received date), so it uses the INTERNALDATE (3 Jan 2026 14:00): its
// SORT (DATE) and THREAD place the message by arrival. The comparison
// leaves the message out (and, from a THREAD answer, its thread);
// checkEpochDated checks where we place it.
const epochDated = 29

// withoutEpochDated returns the answer lines without epochDated.
func withoutEpochDated(lines []string) string {
	var out []string
	num := strconv.Itoa(epochDated)
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "* SORT"):
			out = append(out, strings.Join(slices.DeleteFunc(strings.Fields(l), func(f string) bool { return f == num }), " "))
		case strings.HasPrefix(l, "* THREAD"):
			roots, err := parseThreads(l)
			if err != nil {
				return l
			}
			var keep []string
			for _, r := range roots {
				if c := canonical(r); !slices.Contains(threadNums(r), epochDated) {
					keep = append(keep, c)
				}
			}
			out = append(out, "* THREAD "+strings.Join(keep, ""))
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// threadNums returns the numbers of a thread.
func threadNums(n *node) []uint32 {
	var nums []uint32
	if n.num != 0 {
		nums = append(nums, n.num)
	}
	for _, k := range n.kids {
		nums = append(nums, threadNums(k)...)
	}
	return nums
}

// checkEpochDated checks that our answer to cmd places epochDated by its
// sent date, the epoch: first by DATE, last by REVERSE DATE, and its
// thread first (RFC 5256 2.2; THREAD orders threads and siblings by sent
// date, sections 3 and 4).
func checkEpochDated(t *testing.T, cmd string, out []string) {
	t.Helper()
	if len(out) != 1 {
		return
	}
	f := strings.Fields(out[0])
	num := strconv.Itoa(epochDated)
	switch cmd {
	case "SORT (DATE) UTF-8 ALL":
		assert.Equal(t, num, f[2], "%s: the message dated at the epoch comes first", cmd)
	case "SORT (REVERSE DATE) UTF-8 ALL":
		assert.Equal(t, num, f[len(f)-1], "%s: the message dated at the epoch comes last", cmd)
	case "THREAD ORDEREDSUBJECT UTF-8 ALL", "THREAD REFERENCES UTF-8 ALL":
		roots, err := parseThreads(out[0])
		if assert.NoError(t, err) && assert.NotEmpty(t, roots) {
			assert.Contains(t, threadNums(roots[0]), uint32(epochDated), "%s: the thread of the message dated at the epoch comes first", cmd)
		}
	}
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
	"SORT (REVERSE DISPLAYFROM) UTF-8 ALL",
	"SORT (TO CC) UTF-8 ALL",
	"THREAD ORDEREDSUBJECT UTF-8 ALL",
	"THREAD REFERENCES UTF-8 ALL",
}

// TestSortThreadEdgeCases runs edgeCommands on both servers over the
// edge mailbox and checks that they answer the same; with -v it prints
// the answers.
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
		if testing.Verbose() {
			t.Logf("%s\n  postkit: %s\n  dovecot: %s", cmd, strings.Join(out[0], " / "), strings.Join(out[1], " / "))
		}
		checkEpochDated(t, cmd, out[0])
		if withoutEpochDated(out[0]) != withoutEpochDated(out[1]) {
			t.Errorf("%s\n  postkit: %s\n  dovecot: %s", cmd, strings.Join(out[0], " / "), strings.Join(out[1], " / "))
		}
	}
}
