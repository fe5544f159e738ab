package imap

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The THREAD examples of RFC 5256 3 replayed to the message number on
// a mailbox built to give them: 165 messages received before
// 5-Mar-2000, then 166:208 with the subjects, dates and references
// that make both answers. (The SORT examples are TestSortRFC5256Examples;
// the response examples of RFC 5256 4 are TestThreadReferences' first
// case and TestThreadReferencesSearch.)

// rfc5256Order is the order of the sent dates of messages 166:208.
var rfc5256Order = []int{166, 167, 168, 169, 172, 170, 171, 173, 174, 175, 176, 178, 181, 180, 179,
	177, 183, 182, 188, 184, 185, 186, 187, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199,
	200, 201, 202, 203, 204, 205, 206, 207, 208}

// rfc5256Threads gives, for the messages of 166:208 that are not
// alone, the message whose base subject they share (ORDEREDSUBJECT's
// threads) and their References (REFERENCES' threads; <pN@x> are
// missing parents).
var rfc5256Threads = map[int]struct {
	subjectOf int
	refs      string
}{
	170: {170, "<p170@x>"}, 179: {179, "<p170@x>"},
	174: {174, "<p174@x>"}, 175: {174, "<p174@x>"}, 176: {174, "<p174@x>"},
	178: {174, "<p174@x>"}, 180: {174, "<p174@x>"}, 181: {174, "<p174@x>"},
	177: {177, "<p177@x>"}, 182: {177, "<p177@x>"}, 183: {177, "<p177@x>"},
	185: {177, "<p177@x>"}, 187: {177, "<p177@x>"}, 188: {177, "<p177@x>"},
	184: {177, "<p177@x> <m188@x>"}, 189: {177, "<p177@x> <m188@x>"},
	186: {177, "<p177@x> <m185@x>"},
	194: {194, "<p194@x>"}, 195: {194, "<p194@x>"},
	196: {196, "<p194@x> <m195@x>"}, 197: {196, ""}, 198: {196, "<m197@x>"},
	200: {200, ""}, 202: {200, "<m200@x>"},
	205: {205, ""}, 206: {206, "<m205@x>"}, 207: {206, "<m205@x> <m206@x>"},
}

func TestThreadRFC5256Examples(t *testing.T) {
	ts := newTestServer(t)
	rank := map[int]int{}
	for i, n := range rfc5256Order {
		rank[n] = i
	}
	var msgs []tm
	for n := 1; n <= 208; n++ {
		m := tm{subject: fmt.Sprint("S", n), id: fmt.Sprintf("<m%d@x>", n),
			arrival: time.Date(1999, 1, 1, 0, 0, n, 0, time.UTC)}
		if n >= 166 {
			m.arrival = time.Date(2000, 3, 10, 0, 0, n, 0, time.UTC)
			m.date = time.Date(2000, 3, 6, 10, rank[n], 0, 0, time.UTC).Format(time.RFC1123Z)
			if th, ok := rfc5256Threads[n]; ok {
				m.subject, m.refs = fmt.Sprint("S", th.subjectOf), th.refs
				if th.subjectOf != n {
					m.subject = "Re: " + m.subject
				}
			}
		}
		msgs = append(msgs, m)
	}
	ts.fill(t, msgs...)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	orderedSubject := strings.Join([]string{
		"(166)(167)(168)(169)(172)(170)(171)",
		"(173)(174 (175)(176)(178)(181)(180))(179)(177",
		" (183)(182)(188)(184)(185)(186)(187)(189))(190)",
		"(191)(192)(193)(194 195)(196 (197)(198))(199)",
		"(200 202)(201)(203)(204)(205)(206 207)(208)",
	}, "")
	references := strings.Join([]string{
		"(166)(167)(168)(169)(172)((170)(179))",
		"(171)(173)((174)(175)(176)(178)(181)(180))",
		"((177)(183)(182)(188 (184)(189))(185 186)(187))",
		"(190)(191)(192)(193)((194)(195 196))(197 198)",
		"(199)(200 202)(201)(203)(204)(205 206 207)(208)",
	}, "")
	for _, tc := range []struct{ cmd, want string }{
		{"A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000", "* THREAD " + orderedSubject},
		{`A284 THREAD ORDEREDSUBJECT US-ASCII TEXT "gewp"`, "* THREAD"},
		{"A285 THREAD REFERENCES UTF-8 SINCE 5-MAR-2000", "* THREAD " + references},
		// UIDs are message numbers here.
		{"A286 UID THREAD REFERENCES UTF-8 SINCE 5-MAR-2000", "* THREAD " + references},
	} {
		tag, _, _ := strings.Cut(tc.cmd, " ")
		assert.Equal(t, []string{tc.want, tag + " OK THREAD completed"}, c.cmd(tc.cmd), tc.cmd)
	}
}
