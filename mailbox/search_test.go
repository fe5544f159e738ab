package mailbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mime"
)

// testMessage is a message of testMailbox.
type testMessage struct {
	uid    UID
	flags  []string
	date   time.Time
	modSeq uint64
	raw    []byte
	opens  atomic.Int32 // Open calls
	read   atomic.Int64 // octets read through ReadAt
	// cancelAt, when set, is called once reads pass cancelAfter octets.
	cancelAt    func()
	cancelAfter int64
}

func (m *testMessage) UID() UID                { return m.uid }
func (m *testMessage) Flags() []string         { return m.flags }
func (m *testMessage) InternalDate() time.Time { return m.date }
func (m *testMessage) Size() int64             { return int64(len(m.raw)) }
func (m *testMessage) ModSeq() uint64          { return m.modSeq }

func (m *testMessage) Open(ctx context.Context) (Body, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.opens.Add(1)
	return &testBody{m: m, r: bytes.NewReader(m.raw)}, nil
}

type testBody struct {
	m *testMessage
	r *bytes.Reader
}

func (b *testBody) ReadAt(p []byte, off int64) (int, error) {
	n, err := b.r.ReadAt(p, off)
	if total := b.m.read.Add(int64(n)); b.m.cancelAt != nil && total > b.m.cancelAfter {
		b.m.cancelAt()
	}
	return n, err
}
func (b *testBody) Size() int64  { return b.r.Size() }
func (b *testBody) Close() error { return nil }

// testMailbox is a Mailbox over a slice of messages in ascending UID
// order; only Fetch does anything.
type testMailbox struct {
	msgs []*testMessage
}

var errTestMailbox = errors.New("testMailbox: not implemented")

func (mb *testMailbox) Name() string                            { return "INBOX" }
func (mb *testMailbox) Status(context.Context) (*Status, error) { return nil, errTestMailbox }
func (mb *testMailbox) Append(context.Context, io.Reader, *AppendOptions) (UID, error) {
	return 0, errTestMailbox
}
func (mb *testMailbox) Store(context.Context, UIDSet, StoreOp, []string, *StoreOptions) (*StoreResult, error) {
	return nil, errTestMailbox
}
func (mb *testMailbox) Expunge(context.Context, *UIDSet) ([]UID, error) { return nil, errTestMailbox }
func (mb *testMailbox) Copy(context.Context, UIDSet, string) (*CopyResult, error) {
	return nil, errTestMailbox
}
func (mb *testMailbox) Updates() <-chan struct{}               { return nil }
func (mb *testMailbox) Poll(context.Context) ([]Update, error) { return nil, nil }
func (mb *testMailbox) Close() error                           { return nil }

func (mb *testMailbox) Fetch(ctx context.Context, uids UIDSet, fn func(Message) error) error {
	for _, m := range mb.msgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if uids.Contains(m.uid) {
			if err := fn(m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (mb *testMailbox) resetCounts() {
	for _, m := range mb.msgs {
		m.opens.Store(0)
		m.read.Store(0)
	}
}

// searchCorpus lists the messages of the search tests: UID i+1 is
// searchCorpus[i], a file of testdata/messages or a message built by
// handMadeMessage.
var searchCorpus = []string{
	"cpython/msg_01.eml",                      // 1: plain US-ASCII, comment in From
	"cpython/msg_10.eml",                      // 2: 7bit, QP and base64 parts in ISO-8859-1
	"cpython/msg_46.eml",                      // 3: message/rfc822 body
	"dovecot/thirdparty-005.eml",              // 4: UTF-16LE/BE, EUC-JP; no From, Date, Subject
	"jwz/jwz-007.eml",                         // 5: ISO-2022-JP body and encoded word in From; JST date
	"jwz/jwz-003.eml",                         // 6: ISO-8859-8 encoded-word Subject and QP body
	"mail-mime-parser/m0008.eml",              // 7: UTF-8 QP body with ß, UTF-8 encoded words
	"enmime/mail-qp-utf8-header.eml",          // 8: encoded words in From, To, Subject
	"enmime/low-quality-unk-charset-part.eml", // 9: a part in an unknown charset
	"dovecot/thirdparty-010.eml",              // 10: UTF-8 encoded-word Subject, 8-bit header
	"mail-mime-parser/m0011.eml",              // 11: QP text and base64 images
	"cpython/msg_15.eml",                      // 12: nested multipart, no Date
	"handmade:shift_jis",                      // 13: Shift_JIS, Cc, Bcc, folded field
	"handmade:folding",                        // 14: Kelvin, long s, ß, Latin-1 HTML
}

// searchFlags gives the flags of each UID of the search corpus.
var searchFlags = map[UID][]string{
	1:  {FlagSeen},
	2:  {FlagSeen, FlagAnswered},
	3:  {FlagFlagged},
	4:  {FlagDeleted},
	5:  {FlagDraft},
	6:  {FlagSeen, KeywordForwarded},
	8:  {FlagSeen, FlagFlagged, KeywordJunk},
	9:  {FlagAnswered},
	10: {"$JUNK"},
	11: {FlagSeen, FlagDeleted},
	13: {FlagSeen},
	14: {FlagFlagged, FlagDraft},
}

// searchInternalDate: UID i arrived on 2026-03-i; 13 and 14 in zones
// where the UTC day is another.
func searchInternalDate(uid UID) time.Time {
	switch uid {
	case 13:
		return time.Date(2026, 3, 13, 23, 30, 0, 0, time.FixedZone("", -5*3600)) // 14th in UTC
	case 14:
		return time.Date(2026, 3, 14, 0, 30, 0, 0, time.FixedZone("", 9*3600)) // 13th in UTC
	}
	return time.Date(2026, 3, int(uid), 12, 0, 0, 0, time.UTC)
}

func mustEncode(t testing.TB, charset, s string) []byte {
	b, err := mime.EncodeCharset(charset, s)
	require.NoError(t, err)
	return b
}

func mustEncodeHeader(t testing.TB, charset, s string) string {
	v, err := mime.EncodeHeaderCharset(s, charset)
	require.NoError(t, err)
	return v
}

// handMadeMessage builds the messages the corpus lacks.
func handMadeMessage(t testing.TB, name string) []byte {
	var b strings.Builder
	switch name {
	case "shift_jis":
		b.WriteString("From: " + mustEncodeHeader(t, "shift_jis", "田中太郎") + " <tanaka@example.jp>\r\n")
		b.WriteString("To: alice@example.com, \"Bob Str\xc3\xb6m\" <bob@example.org>\r\n")
		b.WriteString("Cc: Carol <carol@example.net>\r\n")
		b.WriteString("Bcc: secret@example.com\r\n")
		b.WriteString("Subject: " + mustEncodeHeader(t, "shift_jis", "会議の議事録") + "\r\n")
		b.WriteString("Date: Fri, 13 Mar 2026 23:50:00 -0500\r\n") // 14th in UTC
		b.WriteString("Message-ID: <sjis@example.jp>\r\n")
		b.WriteString("X-Custom: Hello   Folded\r\n continuation\r\n")
		b.WriteString("MIME-Version: 1.0\r\n")
		b.WriteString("Content-Type: text/plain; charset=Shift_JIS\r\n")
		b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		body := mustEncode(t, "shift_jis", "本日の会議では予算について話し合いました。\r\n次回は来週の金曜日です。\r\n")
		b.WriteString(base64.StdEncoding.EncodeToString(body) + "\r\n")
	case "folding":
		b.WriteString("From: Kelvin <kelvin@example.com>\r\n")
		b.WriteString("To: team@example.com\r\n")
		b.WriteString("Subject: =?utf-8?q?Stra=C3=9Fe_und_STRASSE?=\r\n")
		b.WriteString("Date: Sat, 14 Mar 2026 00:10:00 +0900\r\n") // 13th in UTC
		b.WriteString("MIME-Version: 1.0\r\n")
		b.WriteString("Content-Type: multipart/alternative; boundary=b\r\n\r\n")
		b.WriteString("--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		b.WriteString("Temperature 300 =E2=84=AA and the MA=C5=BFS of the =C7=85 letter, =\r\nrunning on.\r\n")
		b.WriteString("Padding text so that the message is a little longer than five hundred octets.\r\n")
		b.WriteString("--b\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString("<p>Gr\xfc\xdfe aus K\xf6ln</p>\r\n")
		b.WriteString("--b--\r\n")
	default:
		t.Fatalf("no hand-made message %q", name)
	}
	return []byte(b.String())
}

// loadSearchCorpus returns a testMailbox holding searchCorpus.
func loadSearchCorpus(t testing.TB) *testMailbox {
	mb := &testMailbox{}
	for i, name := range searchCorpus {
		uid := UID(i + 1)
		var raw []byte
		if h, ok := strings.CutPrefix(name, "handmade:"); ok {
			raw = handMadeMessage(t, h)
		} else {
			var err error
			raw, err = os.ReadFile(filepath.Join("..", "testdata", "messages", name))
			require.NoError(t, err)
		}
		mb.msgs = append(mb.msgs, &testMessage{
			uid: uid, flags: searchFlags[uid], date: searchInternalDate(uid),
			modSeq: uint64(uid) * 10, raw: raw,
		})
	}
	return mb
}

func dateOn(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func uidRange(a, b UID) []UID {
	var out []UID
	for u := a; u <= b; u++ {
		out = append(out, u)
	}
	return out
}

// allBut returns the UIDs 1 to 14 except those given.
func allBut(except ...UID) []UID {
	return slices.DeleteFunc(uidRange(1, 14), func(u UID) bool { return slices.Contains(except, u) })
}

func hdr(field, value string) SearchCriteria {
	return SearchCriteria{Header: []SearchHeader{{field, value}}}
}

// SearchCase is one search of the corpus and the UIDs it finds.
type SearchCase struct {
	Name string
	C    SearchCriteria
	Want []UID
}

// searchCases covers every search key of RFC 3501 and RFC 9051 6.4.4,
// and MODSEQ (RFC 7162), on the corpus of loadSearchCorpus.
func searchCases() []SearchCase {
	mar := func(d int) time.Time { return dateOn(2026, time.March, d) }
	return []SearchCase{
		{"ALL", SearchCriteria{}, uidRange(1, 14)},
		{"ANSWERED", SearchCriteria{Flag: []string{FlagAnswered}}, []UID{2, 9}},
		{"UNANSWERED", SearchCriteria{NotFlag: []string{FlagAnswered}}, allBut(2, 9)},
		{"DELETED", SearchCriteria{Flag: []string{`\deleted`}}, []UID{4, 11}},
		{"UNDELETED", SearchCriteria{NotFlag: []string{FlagDeleted}}, allBut(4, 11)},
		{"DRAFT", SearchCriteria{Flag: []string{FlagDraft}}, []UID{5, 14}},
		{"UNDRAFT", SearchCriteria{NotFlag: []string{FlagDraft}}, allBut(5, 14)},
		{"FLAGGED", SearchCriteria{Flag: []string{FlagFlagged}}, []UID{3, 8, 14}},
		{"UNFLAGGED", SearchCriteria{NotFlag: []string{FlagFlagged}}, allBut(3, 8, 14)},
		{"SEEN", SearchCriteria{Flag: []string{FlagSeen}}, []UID{1, 2, 6, 8, 11, 13}},
		{"UNSEEN", SearchCriteria{NotFlag: []string{FlagSeen}}, []UID{3, 4, 5, 7, 9, 10, 12, 14}},
		{"KEYWORD case-insensitive", SearchCriteria{Flag: []string{"$junk"}}, []UID{8, 10}},
		{"KEYWORD $Forwarded", SearchCriteria{Flag: []string{KeywordForwarded}}, []UID{6}},
		{"UNKEYWORD", SearchCriteria{NotFlag: []string{"$Junk"}}, allBut(8, 10)},
		{"SEEN FLAGGED", SearchCriteria{Flag: []string{FlagSeen, FlagFlagged}}, []UID{8}},

		{"BEFORE", SearchCriteria{Before: mar(3)}, []UID{1, 2}},
		{"SINCE", SearchCriteria{Since: mar(10)}, uidRange(10, 14)},
		{"ON own zone -0500", SearchCriteria{Since: mar(13), Before: mar(14)}, []UID{13}},
		{"ON own zone +0900", SearchCriteria{Since: mar(14), Before: mar(15)}, []UID{14}},
		{"ON criteria zone ignored", SearchCriteria{
			Since:  time.Date(2026, 3, 5, 23, 0, 0, 0, time.FixedZone("", -10*3600)),
			Before: time.Date(2026, 3, 6, 1, 0, 0, 0, time.FixedZone("", 14*3600)),
		}, []UID{5}},
		{"SENTBEFORE", SearchCriteria{SentBefore: dateOn(2000, 1, 1)}, []UID{5, 6}},
		{"SENTSINCE", SearchCriteria{SentSince: dateOn(2012, 1, 1)}, []UID{8, 9, 13, 14}},
		{"SENTON", SearchCriteria{SentSince: dateOn(2000, 5, 17), SentBefore: dateOn(2000, 5, 18)}, []UID{7, 11}},
		{"SENTON own zone -0500", SearchCriteria{SentSince: mar(13), SentBefore: mar(14)}, []UID{13}},
		{"SENTON own zone +0900", SearchCriteria{SentSince: mar(14), SentBefore: mar(15)}, []UID{14}},
		{"SENTON unknown zone JST", SearchCriteria{SentSince: dateOn(1992, 6, 13), SentBefore: dateOn(1992, 6, 14)}, []UID{5}},
		{"NOT SENTBEFORE: no Date is no match", SearchCriteria{Not: []SearchCriteria{{SentBefore: dateOn(2000, 1, 1)}}}, allBut(5, 6)},
		{"SENTSINCE old: no Date is no match", SearchCriteria{SentSince: dateOn(1900, 1, 1)}, allBut(4, 10, 12)},

		{"LARGER", SearchCriteria{Larger: 4000}, []UID{8, 11}},
		{"LARGER exact size is not larger", SearchCriteria{Larger: 4016}, []UID{11}},
		{"SMALLER", SearchCriteria{Smaller: 500}, []UID{1, 10}},
		{"SMALLER exact size is not smaller", SearchCriteria{Smaller: 459}, []UID{10}},
		{"SMALLER 0 as an empty UID set", SearchCriteria{UID: []UIDSet{{}}}, nil},
		{"MODSEQ", SearchCriteria{ModSeq: &SearchModSeq{ModSeq: 120}}, []UID{12, 13, 14}},
		{"MODSEQ with entry", SearchCriteria{ModSeq: &SearchModSeq{ModSeq: 131, MetadataName: "/flags/\\draft", MetadataType: "all"}}, []UID{14}},
		{"UID", SearchCriteria{UID: []UIDSet{{{3, 5}, {9, 9}}}}, []UID{3, 4, 5, 9}},
		{"UID two sets", SearchCriteria{UID: []UIDSet{{{1, 10}}, {{5, MaxUID}}}}, uidRange(5, 10)},
		{"UID reversed range", SearchCriteria{UID: []UIDSet{{{12, 10}}}}, []UID{10, 11, 12}},
		{"UID none", SearchCriteria{UID: []UIDSet{{{100, 200}}}}, nil},

		{"FROM", hdr("From", "barry"), []UID{2}},
		{"FROM comment", hdr("FROM", "john x. doe"), []UID{1}},
		{"FROM address", hdr("From", "DOUG@example.com"), []UID{7, 11}},
		{"FROM encoded word ISO-8859-1", hdr("From", "ANDRÉ PIRARD"), []UID{8}},
		{"FROM encoded word ISO-2022-JP", hdr("From", "佐藤"), []UID{5}},
		{"FROM encoded word Shift_JIS", hdr("From", "田中"), []UID{13}},
		{"FROM only the message's own header", hdr("From", "Dr. Sender"), nil},
		{"FROM outer", hdr("From", "sender@example.net"), []UID{3}},
		{"TO encoded words", hdr("To", "müller"), []UID{7, 11}},
		{"TO encoded word in quotes", hdr("To", "MIROSŁAW"), []UID{8}},
		{"TO second address", hdr("To", "bob ström"), []UID{13}},
		{"CC", hdr("Cc", "carol"), []UID{13}},
		{"CC empty: presence", hdr("Cc", ""), []UID{13}},
		{"BCC", hdr("Bcc", "SECRET"), []UID{13}},
		{"SUBJECT", hdr("Subject", "lyrics"), []UID{2}},
		{"SUBJECT UTF-8 Q", hdr("Subject", "frösche"), []UID{7}},
		{"SUBJECT ISO-8859-8", hdr("Subject", "of תירבע in"), []UID{6}},
		{"SUBJECT UTF-8 B", hdr("Subject", "こんにちは"), []UID{10}},
		{"SUBJECT partly encoded", hdr("Subject", "test ¢ more"), []UID{8}},
		{"SUBJECT Shift_JIS", hdr("Subject", "議事録"), []UID{13}},
		{"SUBJECT empty: presence", hdr("Subject", ""), allBut(4)},
		{"HEADER presence", hdr("message-id", ""), []UID{1, 5, 7, 8, 9, 11, 12, 13}},
		{"HEADER unfolded", hdr("X-Custom", "folded continuation"), []UID{13}},
		{"HEADER any of several fields", hdr("Received", "ETLPOM"), []UID{5}},
		{"HEADER Content-Type", hdr("content-type", "shift_jis"), []UID{13}},
		{"HEADER absent field", hdr("X-None", ""), nil},

		{"BODY", SearchCriteria{Body: []string{"do you like"}}, []UID{1}},
		{"BODY empty matches all", SearchCriteria{Body: []string{""}}, uidRange(1, 14)},
		{"BODY QP ISO-8859-1", SearchCriteria{Body: []string{"¡this is a quoted"}}, []UID{2}},
		{"BODY base64", SearchCriteria{Body: []string{"base64 encoded message"}}, []UID{2}},
		{"BODY in message/rfc822", SearchCriteria{Body: []string{"testing email forwarding"}}, []UID{3}},
		{"BODY skips headers", SearchCriteria{Body: []string{"dr. sender"}}, nil},
		{"BODY UTF-16", SearchCriteria{Body: []string{"TEST MESSAGE"}}, []UID{4}},
		{"BODY EUC-JP base64", SearchCriteria{Body: []string{"世界人権"}}, []UID{4}},
		// jwz-007's body is UTF-8 labelled ISO-2022-JP: decoded as labelled.
		{"BODY mislabelled charset", SearchCriteria{Body: []string{"神戸です"}}, nil},
		{"BODY ASCII in ISO-2022-JP", SearchCriteria{Body: []string{"I-HEADERS MAINLING"}}, []UID{5}},
		{"BODY ISO-8859-8 QP", SearchCriteria{Body: []string{"hebrew (תירבע)"}}, []UID{6}},
		{"BODY UTF-8 QP soft breaks", SearchCriteria{Body: []string{"eine beute der hunde"}}, []UID{7}},
		{"BODY unknown charset", SearchCriteria{Body: []string{"a TEXT section"}}, []UID{9}},
		{"BODY 8-bit UTF-8 without charset", SearchCriteria{Body: []string{"人権の無視"}}, []UID{10}},
		{"BODY skips images", SearchCriteria{Body: []string{"iVBORw0KGgo"}}, nil},
		{"BODY skips part headers", SearchCriteria{Body: []string{"blueball"}}, nil},
		{"BODY QP", SearchCriteria{Body: []string{"slow but steady wins"}}, []UID{11}},
		{"BODY nested multipart", SearchCriteria{Body: []string{"some removed test"}}, []UID{12}},
		{"BODY Shift_JIS base64", SearchCriteria{Body: []string{"予算"}}, []UID{13}},
		{"BODY two strings", SearchCriteria{Body: []string{"予算", "来週"}}, []UID{13}},
		{"BODY two strings, one missing", SearchCriteria{Body: []string{"予算", "来年"}}, nil},

		{"TEXT header", SearchCriteria{Text: []string{"lyrics"}}, []UID{2}},
		{"TEXT body", SearchCriteria{Text: []string{"tortoise"}}, []UID{11}},
		{"TEXT part header", SearchCriteria{Text: []string{"blueball.png"}}, []UID{11}},
		{"TEXT encapsulated header", SearchCriteria{Text: []string{"dr. sender"}}, []UID{3}},
		{"TEXT field name and decoded value", SearchCriteria{Text: []string{"subject: こんにちは"}}, []UID{10}},
		{"TEXT part field", SearchCriteria{Text: []string{"Content-Language: JA"}}, []UID{10}},
		{"TEXT and BODY", SearchCriteria{Text: []string{"outlook"}, Body: []string{"hare"}}, []UID{11}},

		// Unicode simple case folding.
		{"fold KELVIN SIGN", SearchCriteria{Body: []string{"300 k and"}}, []UID{14}},
		{"fold LONG S", SearchCriteria{Body: []string{"mass of the"}}, []UID{14}},
		{"fold LONG S in needle", SearchCriteria{Body: []string{"maſs"}}, []UID{14}},
		{"fold DZ digraph", SearchCriteria{Body: []string{"of the ǆ letter"}}, []UID{14}},
		{"fold sharp s to capital sharp s", SearchCriteria{Body: []string{"GRÜẞE AUS KÖLN"}}, []UID{14}},
		{"no full folding of sharp s", SearchCriteria{Body: []string{"grüsse"}}, nil},
		{"fold subject sharp s", hdr("Subject", "STRAẞE UND strasse"), []UID{14}},
		{"fold ASCII needle K to KELVIN", SearchCriteria{Text: []string{"300 K AND"}}, []UID{14}},

		{"NOT", SearchCriteria{Not: []SearchCriteria{{Flag: []string{FlagSeen}}}}, []UID{3, 4, 5, 7, 9, 10, 12, 14}},
		{"NOT BODY", SearchCriteria{Not: []SearchCriteria{{Body: []string{"tortoise"}}}}, allBut(11)},
		{"NOT NOT", SearchCriteria{Not: []SearchCriteria{{Not: []SearchCriteria{{Flag: []string{FlagDraft}}}}}}, []UID{5, 14}},
		{"two NOTs", SearchCriteria{Not: []SearchCriteria{{Flag: []string{FlagSeen}}, {Flag: []string{FlagDeleted}}}}, []UID{3, 5, 7, 9, 10, 12, 14}},
		{"OR", SearchCriteria{Or: [][2]SearchCriteria{{hdr("From", "barry"), hdr("Subject", "frösche")}}}, []UID{2, 7}},
		{"OR flag or body", SearchCriteria{Or: [][2]SearchCriteria{{{Flag: []string{FlagSeen}}, {Body: []string{"tortoise"}}}}}, []UID{1, 2, 6, 8, 11, 13}},
		{"two ORs", SearchCriteria{Or: [][2]SearchCriteria{
			{{Flag: []string{FlagSeen}}, {Flag: []string{FlagDraft}}},
			{{Body: []string{"予算"}}, {Larger: 7000}},
		}}, []UID{11, 13}},
		{"FLAGGED NOT FROM", SearchCriteria{Flag: []string{FlagFlagged}, Not: []SearchCriteria{hdr("From", "kelvin")}}, []UID{3, 8}},
		{"DELETED FROM SINCE (RFC example shape)", SearchCriteria{
			Flag: []string{FlagDeleted}, Header: []SearchHeader{{"From", "müller"}}, Since: mar(1),
		}, nil},
		{"OR of NOT", SearchCriteria{Or: [][2]SearchCriteria{{
			{Not: []SearchCriteria{{Body: []string{"a"}}}}, // bodies with no "a": Japanese only
			{UID: []UIDSet{{{1, 1}}}},
		}}}, []UID{1, 10, 13}},
	}
}

func TestSearchCases(t *testing.T) {
	mb := loadSearchCorpus(t)
	for _, tc := range searchCases() {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := Search(context.Background(), mb, &tc.C)
			require.NoError(t, err)
			assert.Equal(t, tc.Want, got)
			// Match agrees message by message.
			for _, m := range mb.msgs {
				ok, err := Match(context.Background(), m, &tc.C)
				require.NoError(t, err)
				assert.Equal(t, slices.Contains(tc.Want, m.uid), ok, "Match of UID %d", m.uid)
			}
		})
	}
}

// TestSearchCasesCoverEveryKey checks the table uses every field of
// SearchCriteria.
func TestSearchCasesCoverEveryKey(t *testing.T) {
	seen := map[string]bool{}
	var walk func(c *SearchCriteria)
	walk = func(c *SearchCriteria) {
		set := func(name string, ok bool) {
			if ok {
				seen[name] = true
			}
		}
		set("UID", len(c.UID) > 0)
		set("Flag", len(c.Flag) > 0)
		set("NotFlag", len(c.NotFlag) > 0)
		set("Since", !c.Since.IsZero())
		set("Before", !c.Before.IsZero())
		set("SentSince", !c.SentSince.IsZero())
		set("SentBefore", !c.SentBefore.IsZero())
		set("Header", len(c.Header) > 0)
		set("Body", len(c.Body) > 0)
		set("Text", len(c.Text) > 0)
		set("Larger", c.Larger > 0)
		set("Smaller", c.Smaller > 0)
		set("ModSeq", c.ModSeq != nil)
		set("Not", len(c.Not) > 0)
		set("Or", len(c.Or) > 0)
		for i := range c.Not {
			walk(&c.Not[i])
		}
		for i := range c.Or {
			walk(&c.Or[i][0])
			walk(&c.Or[i][1])
		}
	}
	for _, tc := range searchCases() {
		walk(&tc.C)
	}
	assert.Len(t, seen, 15, "%v", seen)
	for _, f := range []string{FlagAnswered, FlagDeleted, FlagDraft, FlagFlagged, FlagSeen} {
		var flag, notFlag bool
		for _, tc := range searchCases() {
			flag = flag || HasFlag(tc.C.Flag, f)
			notFlag = notFlag || HasFlag(tc.C.NotFlag, f)
		}
		assert.True(t, flag && notFlag, f)
	}
}

// TestSearchReadsOnlyWhatItNeeds checks that metadata keys open no
// message and that any program reads each message at most once.
func TestSearchReadsOnlyWhatItNeeds(t *testing.T) {
	mb := loadSearchCorpus(t)
	opened := func() (n int) {
		for _, m := range mb.msgs {
			require.LessOrEqual(t, m.opens.Load(), int32(1), "UID %d opened twice", m.uid)
			n += int(m.opens.Load())
		}
		return n
	}
	cheap := SearchCriteria{
		Flag: []string{FlagSeen}, NotFlag: []string{FlagDraft}, Larger: 10, Smaller: 1 << 20,
		Since: dateOn(2026, 1, 1), ModSeq: &SearchModSeq{ModSeq: 1}, UID: []UIDSet{AllUIDs},
		Or:  [][2]SearchCriteria{{{Flag: []string{FlagAnswered}}, {NotFlag: []string{FlagAnswered}}}},
		Not: []SearchCriteria{{Larger: 1 << 30}},
	}
	_, err := Search(context.Background(), mb, &cheap)
	require.NoError(t, err)
	assert.Zero(t, opened())

	// A header key opens only the messages the cheap keys leave.
	mb.resetCounts()
	got, err := Search(context.Background(), mb, &SearchCriteria{Flag: []string{FlagSeen}, Header: []SearchHeader{{"Subject", "lyrics"}}})
	require.NoError(t, err)
	assert.Equal(t, []UID{2}, got)
	assert.Equal(t, 6, opened())

	// Several body and text keys: one read of each message.
	mb.resetCounts()
	_, err = Search(context.Background(), mb, &SearchCriteria{
		Body: []string{"x"}, Text: []string{"y"},
		Or:  [][2]SearchCriteria{{{Body: []string{"zz"}}, {Text: []string{"ww"}}}},
		Not: []SearchCriteria{{Header: []SearchHeader{{"From", "q"}}, SentBefore: dateOn(2030, 1, 1)}},
	})
	require.NoError(t, err)
	assert.Equal(t, 14, opened())
	for _, m := range mb.msgs {
		assert.LessOrEqual(t, m.read.Load(), int64(len(m.raw)), "UID %d read more than once", m.uid)
	}

	// A header key on a message whose body is large reads the header only.
	big := bigMessage(t, 4<<20, "")
	big.uid = 1
	mb2 := &testMailbox{msgs: []*testMessage{big}}
	got, err = Search(context.Background(), mb2, &SearchCriteria{Header: []SearchHeader{{"Subject", "big"}}})
	require.NoError(t, err)
	assert.Equal(t, []UID{1}, got)
	assert.Less(t, big.read.Load(), int64(256<<10))

	// A body string found early stops the read.
	big.read.Store(0)
	got, err = Search(context.Background(), mb2, &SearchCriteria{Body: []string{"filler line 10 "}})
	require.NoError(t, err)
	assert.Equal(t, []UID{1}, got)
	assert.Less(t, big.read.Load(), int64(256<<10))
}

// bigMessage returns a message with a base64 text/plain body of about
// size octets of decoded text, needle inserted at the middle when not "".
func bigMessage(t testing.TB, size int, needle string) *testMessage {
	var text bytes.Buffer
	for i := 0; text.Len() < size; i++ {
		if needle != "" && text.Len() >= size/2 {
			text.WriteString(needle)
			needle = ""
		}
		text.WriteString("filler line ")
		text.WriteString(strings.Repeat("x", i%50))
		text.WriteString(" ")
		text.WriteString(string(rune('0' + i%10)))
		text.WriteString("\r\n")
		if i == 10 {
			text.WriteString("filler line 10 \r\n")
		}
	}
	return newBase64Message(t, text.Bytes())
}

func newBase64Message(t testing.TB, text []byte) *testMessage {
	var raw bytes.Buffer
	raw.WriteString("From: a@example.com\r\nSubject: big\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n")
	raw.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	w := mime.NewBase64Writer(&raw)
	_, err := w.Write(text)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return &testMessage{uid: 1, date: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), raw: raw.Bytes()}
}

// TestSearchAcrossReadBoundary places a string across every position of
// the boundary between two reads of a large base64 body.
func TestSearchAcrossReadBoundary(t *testing.T) {
	const needle = "Ünïcødé-NEEDLE-€𝄞-end"
	fill := bytes.Repeat([]byte("abcdefghij"), 3*searchReadSize/10)
	for i := 0; i <= len(needle); i++ {
		text := slices.Concat(fill[:2*searchReadSize-i], []byte(needle), fill[:searchReadSize])
		m := newBase64Message(t, text)
		for _, n := range []string{needle, strings.ToUpper(needle), "NEEDLE-€𝄞"} {
			ok, err := Match(context.Background(), m, &SearchCriteria{Body: []string{n}})
			require.NoError(t, err)
			assert.True(t, ok, "offset %d needle %q", i, n)
		}
		ok, err := Match(context.Background(), m, &SearchCriteria{Body: []string{needle + "x"}})
		require.NoError(t, err)
		assert.False(t, ok, "offset %d", i)
	}
}

// TestScannerSplits feeds a text to the scanner split at every point and
// compares with the text in one piece.
func TestScannerSplits(t *testing.T) {
	text := []byte("xx\xe2\x82 KELVIN \u212a ſtraße \xff𝄞 end \xe2\x82\xac€")
	needles := []string{"kelvin k", "straße", "\ufffd kelvin", "\ufffd𝄞", "end \ufffd€€", "€", "𝄞 END"}
	p := &searchProgram{}
	for _, n := range needles {
		p.needles = append(p.needles, needle{folded: foldString(n)})
	}
	run := func(pieces ...[]byte) []bool {
		var s scanner
		found := make([]bool, len(needles))
		s.start(p, found, false)
		for _, b := range pieces {
			s.write(b)
		}
		s.finish()
		return found
	}
	want := run(text)
	assert.Equal(t, []bool{true, true, true, true, false, true, true}, want)
	for i := 0; i <= len(text); i++ {
		for j := i; j <= len(text); j++ {
			assert.Equal(t, want, run(text[:i], text[i:j], text[j:]), "split %d %d", i, j)
		}
	}
}

// TestFoldRune checks the fast path of foldRune against the orbits and a
// few well-known orbits.
func TestFoldRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		if foldRune(r) != m {
			t.Fatalf("foldRune(%U) = %U, want %U", r, foldRune(r), m)
		}
	}
	same := [][]rune{{'k', 'K', '\u212a'}, {'s', 'S', 'ſ'}, {'ß', 'ẞ'}, {'Ǆ', 'ǅ', 'ǆ'}, {'σ', 'ς', 'Σ'}, {'å', 'Å', '\u212b'}}
	for _, o := range same {
		for _, r := range o {
			assert.Equal(t, foldRune(o[0]), foldRune(r), "%q", o)
		}
	}
	assert.NotEqual(t, foldString("ß"), foldString("ss"))
}

// TestSearchLargeMessageBoundedMemory searches a 20 MB message for a
// string it does not hold, so all of it is read.
func TestSearchLargeMessageBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MB message")
	}
	m := bigMessage(t, 15<<20, "the needle in the haystack")
	require.Greater(t, len(m.raw), 20<<20)
	mb := &testMailbox{msgs: []*testMessage{m}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := Search(context.Background(), mb, &SearchCriteria{Text: []string{"not in the message"}})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, int64(len(m.raw)), m.read.Load())
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("20 MB message: %d octets allocated in all, heap in use %+d", alloc, int64(after.HeapInuse)-int64(before.HeapInuse))
	assert.Less(t, alloc, uint64(2<<20), "allocation grows with the message")

	got, err = Search(context.Background(), mb, &SearchCriteria{Body: []string{"THE NEEDLE IN"}})
	require.NoError(t, err)
	assert.Equal(t, []UID{1}, got)
}

func TestSearchContextCancel(t *testing.T) {
	mb := loadSearchCorpus(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Search(ctx, mb, &SearchCriteria{Body: []string{"x"}})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = Match(ctx, mb.msgs[0], &SearchCriteria{Body: []string{"x"}})
	assert.ErrorIs(t, err, context.Canceled)

	// Cancelled while a large body is being read: the search stops soon.
	m := bigMessage(t, 8<<20, "")
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	m.cancelAt, m.cancelAfter = cancel, 1<<20
	_, err = Search(ctx, &testMailbox{msgs: []*testMessage{m}}, &SearchCriteria{Body: []string{"absent"}})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, m.read.Load(), int64(2<<20))
}

func TestSearchInvalid(t *testing.T) {
	mb := loadSearchCorpus(t)
	deep := func(n int) SearchCriteria {
		c := SearchCriteria{Flag: []string{FlagSeen}}
		for range n {
			c = SearchCriteria{Not: []SearchCriteria{c}}
		}
		return c
	}
	ok := deep(MaxSearchDepth)
	_, err := Search(context.Background(), mb, &ok)
	require.NoError(t, err)
	for name, c := range map[string]SearchCriteria{
		"too deep":         deep(MaxSearchDepth + 1),
		"too deep in OR":   {Or: [][2]SearchCriteria{{{}, deep(MaxSearchDepth)}}},
		"empty field":      hdr("", "x"),
		"field with colon": hdr("Subject:", "x"),
		"field with space": hdr("X Y", "x"),
		"negative size":    {Larger: -1},
		"empty flag":       {Flag: []string{""}},
		"bad UTF-8 body":   {Body: []string{"\xff"}},
		"bad UTF-8 value":  hdr("Subject", "\xc3"),
	} {
		_, err := Search(context.Background(), mb, &c)
		assert.ErrorIs(t, err, ErrInvalidSearch, name)
		_, err = Match(context.Background(), mb.msgs[0], &c)
		assert.ErrorIs(t, err, ErrInvalidSearch, name)
	}
	got, err := Search(context.Background(), mb, nil)
	require.NoError(t, err)
	assert.Equal(t, uidRange(1, 14), got)
}

// searcherMailbox searches natively.
type searcherMailbox struct {
	testMailbox
	calls int
}

func (s *searcherMailbox) Search(ctx context.Context, c *SearchCriteria) ([]UID, error) {
	s.calls++
	return []UID{42}, nil
}

func TestSearchDelegates(t *testing.T) {
	s := &searcherMailbox{}
	got, err := Search(context.Background(), s, &SearchCriteria{Body: []string{"x"}})
	require.NoError(t, err)
	assert.Equal(t, []UID{42}, got)
	assert.Equal(t, 1, s.calls)
	_, err = Search(context.Background(), s, &SearchCriteria{Larger: -1})
	assert.ErrorIs(t, err, ErrInvalidSearch)
	assert.Equal(t, 1, s.calls)
}

// errBody fails its reads.
type errMessage struct{ testMessage }

var errDisk = errors.New("disk on fire")

func (m *errMessage) Open(context.Context) (Body, error) { return nil, errDisk }

func TestSearchOpenError(t *testing.T) {
	m := &errMessage{testMessage{uid: 7, raw: []byte("Subject: x\r\n\r\nbody")}}
	_, err := Match(context.Background(), m, &SearchCriteria{Body: []string{"x"}})
	assert.ErrorIs(t, err, errDisk)
	// No body key, no open.
	ok, err := Match(context.Background(), m, &SearchCriteria{UID: []UIDSet{{{7, 7}}}})
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestSearchHostileStructure(t *testing.T) {
	// Nesting beyond mime's bounds: what could be read is searched, the
	// search does not fail.
	var b strings.Builder
	b.WriteString("Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i < 80; i++ {
		b.WriteString("--b" + string(rune('0'+i%10)) + strings.Repeat("x", i) + "\r\n")
		b.WriteString("Content-Type: multipart/mixed; boundary=b" + string(rune('0'+(i+1)%10)) + strings.Repeat("x", i+1) + "\r\n\r\n")
	}
	b.WriteString("text at the bottom\r\n")
	m := &testMessage{uid: 1, raw: []byte(b.String())}
	ok, err := Match(context.Background(), m, &SearchCriteria{Text: []string{"nowhere"}})
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = Match(context.Background(), m, &SearchCriteria{Header: []SearchHeader{{"subject", "DEEP"}}})
	require.NoError(t, err)
	assert.True(t, ok)

	// No header/body separator, an empty message, a bare header.
	for _, raw := range []string{"", "\r\n", "Subject: only", "no header at all\r\n\r\nbody"} {
		m := &testMessage{uid: 1, raw: []byte(raw)}
		_, err := Match(context.Background(), m, &SearchCriteria{Text: []string{"body"}, SentSince: dateOn(2000, 1, 1)})
		require.NoError(t, err, "%q", raw)
	}
}

func TestIntersectUIDs(t *testing.T) {
	a := UIDSet{{1, 5}, {10, 20}, {30, MaxUID}}
	b := UIDSet{{3, 12}, {19, 31}}
	assert.Equal(t, UIDSet{{3, 5}, {10, 12}, {19, 20}, {30, 31}}, intersectUIDs(a, b))
	assert.Empty(t, intersectUIDs(a, UIDSet{{6, 9}}))
	assert.Equal(t, UIDSet{{2, 4}}, intersectUIDs(UIDSet{{4, 2}}, AllUIDs))
}

func ExampleMatch() {
	msg := &testMessage{uid: 1, flags: []string{FlagSeen}, raw: []byte("From: Kelvin <k@example.com>\r\n" +
		"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\n300 \u212a is hot\r\n")}
	c := &SearchCriteria{
		Flag:   []string{FlagSeen},
		Header: []SearchHeader{{"Subject", "GRÜẞE"}},
		Body:   []string{"300 k"},
	}
	ok, err := Match(context.Background(), msg, c)
	fmt.Println(ok, err)
	// Output: true <nil>
}

// TestFoldAppendASCII checks the eight-octet path of foldAppend against
// the table, every ASCII octet at every position of a word.
func TestFoldAppendASCII(t *testing.T) {
	for c := range utf8.RuneSelf {
		for pos := range 8 {
			src := []byte("aZ@[`{09xyz~" + "mnopqrstu")
			src[pos] = byte(c)
			got, n := foldAppend(nil, src)
			require.Equal(t, len(src), n)
			for i, b := range src {
				require.Equal(t, asciiFold[b], got[i], "octet %#x at %d", b, i)
			}
		}
	}
}

// TestScannerASCIINeedles: ASCII needles, matched without decoding the
// text, find what folding the whole text finds, however it is split.
func TestScannerASCIINeedles(t *testing.T) {
	text := []byte("Grüße \xff\xfe at\u00adtached ATTACHED-€ ba\u212aer 中文attach€d x\xe2\x82")
	needles := []string{"attached", "grüsse", "ttached-", "€d", "baker", "中文att", "x", "d x"}
	p := &searchProgram{}
	for _, n := range needles {
		p.needles = append(p.needles, needle{folded: foldString(n)})
	}
	folded := foldString(string(text))
	var want []bool
	for _, n := range needles {
		want = append(want, bytes.Contains(folded, foldString(n)))
	}
	assert.Equal(t, []bool{true, false, true, true, true, true, true, true}, want)
	for i := 0; i <= len(text); i++ {
		for j := i; j <= len(text); j++ {
			var s scanner
			found := make([]bool, len(needles))
			s.start(p, found, false)
			for _, b := range [][]byte{text[:i], text[i:j], text[j:]} {
				s.write(b)
			}
			s.finish()
			require.Equal(t, want, found, "split %d %d", i, j)
		}
	}
	// Each alone, so that the ASCII mode is used for the ASCII ones.
	for k, n := range needles {
		p := &searchProgram{needles: []needle{{folded: foldString(n)}}}
		for i := 0; i <= len(text); i++ {
			var s scanner
			found := make([]bool, 1)
			s.start(p, found, false)
			s.write(text[:i])
			s.write(text[i:])
			s.finish()
			require.Equal(t, want[k], found[0], "%q split %d", n, i)
		}
	}
}

// corpusMessages returns the messages of testdata/messages.
func corpusMessages(t testing.TB) []*testMessage {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "messages", "*", "*.eml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []*testMessage
	for i, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, &testMessage{uid: UID(i + 1), raw: raw, modSeq: 1})
	}
	return out
}

// TestSearchRawHeaderSameResults: the look at the raw header, which
// rules out HEADER keys without parsing, decides as parsing does, over
// the corpus and hand-made headers.
func TestSearchRawHeaderSameResults(t *testing.T) {
	msgs := corpusMessages(t)
	for i, raw := range []string{
		"Subject: hel\r\n lo\r\n\r\nhello",
		"Subject: =?utf-8?q?hello?=\r\n\r\n",
		"Subject: HeLLo\r\n\r\n",
		"X: y\r\nSubject:\r\n\tHello\r\n\r\n",
		"Subject: \xffhello\r\n\r\n",
		"Subject: hel\rlo\r\n\r\n",
		"Subject: x\n\nSubject: hello\n",
		"Subject: x\r\n\r\nSubject: hello\r\n",
		"Subject: hello",
		"\r\nSubject: hello\r\n",
		"From xyz\r\nSubject: hello\r\n\r\n",
		"Subject: x\r\n =?utf-8?q?hello?=\r\n\r\n",
		"SUBJECT : hello\r\n\r\n",
		"X-Subject: hello\r\n\r\n",
		"\u017fubject: hello\r\n\r\n",
		"X: a\rSubject: hello\r\n\r\n",
		"X: a\r\n\tSubject: hello\r\n\r\n",
		"Subject: he\r\n\tllo\r\nFrom: hello@example.org\r\n\r\n",
		"Subject: hello\r",
		"Subject: h\x00ello\r\n\r\n",
		"Subject: =?utf-8?q?bye?=\r\n\r\n",
		"From: =?utf-8?q?hello?= <a@example.org>\r\nSubject: x\r\n\r\n",
		"Subject: =?utf-8?b?SEVMTE8=?= world\r\n\r\n",
		"Subject: =?utf-8?q?hel?=\r\n =?utf-8?q?lo?=\r\n\r\n",
		"Subject: =?x-unknown?q?hel?= lo\r\n\r\n",
		"Subject: a\r\nSubject: =?utf-8?q?hello?=\r\n",
	} {
		msgs = append(msgs, &testMessage{uid: UID(10000 + i), raw: []byte(raw), modSeq: 1})
	}
	criteria := []*SearchCriteria{
		{Header: []SearchHeader{{"Subject", "hello"}}},
		{Header: []SearchHeader{{"Subject", "re:"}}},
		{Header: []SearchHeader{{"From", "example"}}},
		{Header: []SearchHeader{{"Subject", "the"}, {"To", "@"}}},
		{Not: []SearchCriteria{{Header: []SearchHeader{{"Subject", "hello"}}}}},
		{Header: []SearchHeader{{"Message-ID", "<"}}},
	}
	for _, c := range criteria {
		p, err := compileSearch(c)
		require.NoError(t, err)
		require.True(t, p.rawHeader)
		slow := *p
		slow.rawHeader = false
		var ev evaluator
		found := 0
		for _, m := range msgs {
			want, err := ev.match(context.Background(), &slow, m)
			require.NoError(t, err)
			got, err := ev.match(context.Background(), p, m)
			require.NoError(t, err)
			require.Equal(t, want, got, "%+v on message %d", c, m.uid)
			if got {
				found++
			}
		}
		assert.NotZero(t, found, "%+v", c)
	}
	for _, c := range []*SearchCriteria{
		{Header: []SearchHeader{{"Subject", "kiss"}}},
		{Header: []SearchHeader{{"Subject", "a b"}}},
		{Header: []SearchHeader{{"Subject", ""}}},
		{Header: []SearchHeader{{"Subject", "grüße"}}},
		{Header: []SearchHeader{{"Subject", "x"}}, SentSince: time.Now()},
		{Header: []SearchHeader{{"Subject", "x"}}, Body: []string{"x"}},
	} {
		p, err := compileSearch(c)
		require.NoError(t, err)
		assert.False(t, p.rawHeader, "%+v", c)
	}
}

func TestContainsFoldASCII(t *testing.T) {
	for _, tt := range []struct {
		h, n string
		want bool
	}{
		{"xxHeLLo", "HELLO", true},
		{"hellhello", "HELLO", true},
		{"HhHhello", "HELLO", true},
		{"hell", "HELLO", false},
		{"hel\xe9lo", "HELLO", false},
		{"", "A", false},
		{"a", "A", true},
		{"123-456", "3-4", true},
		{"aaaab", "AAB", true},
		{"AaAaB", "AAB", true},
	} {
		assert.Equal(t, tt.want, containsFoldASCII([]byte(tt.h), []byte(tt.n)), "%q in %q", tt.n, tt.h)
	}
}
