package mailboxtest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

// searchFunc is the generic evaluator the search subtest runs: it
// delegates to the backend's mailbox.Searcher when there is one.
var searchFunc = mailbox.Search

// searchCorpus is the fixed set of messages the search table is written
// against, in append order, with the internal date (day of January
// 2026) and flags each gets.
var searchCorpus = []struct {
	path  string
	size  int
	day   int
	flags []string
}{
	// 1: From bbb@ddd.com, To bbb@zzz.org, Subject "This is a test
	// message", Date 4 May 2001 -0400; text/plain "Do you like this
	// message?".
	{"cpython/msg_01.eml", 459, 10, []string{mailbox.FlagSeen}},
	// 2: From barry@python.org (Barry A. Warsaw), Subject "a simple
	// multipart", Date 11 Sep 2001, X-Oblique-Strategy "Make a door
	// into a window"; two parts "a simple kind of mirror".
	{"cpython/msg_04.eml", 961, 11, []string{mailbox.FlagSeen, mailbox.FlagFlagged}},
	// 3: From Barry Warsaw <barry@python.org>, To Dingus Lovers
	// <cravindogs@cravindogs.com>, Subject "Lyrics", Date 20 Apr 2001,
	// no Message-ID; parts in 7bit, quoted-printable and base64 ("This
	// is a Base64 encoded message.").
	{"cpython/msg_10.eml", 884, 12, []string{mailbox.FlagAnswered}},
	// 4: as 1, with Cc ccc@, CC ddd@ and cc eee@zzz.org.
	{"cpython/msg_20.eml", 507, 13, []string{mailbox.FlagDeleted, "$Work"}},
	// 5: RFC 2047 everywhere: Subject "Zażółć gęślą jaźń - test
	// nagłówka" (ISO-8859-2), From "Preis: 100 € (Œuvre, Šimon)"
	// <euro@example.fr>, Cc in Greek; Date 3 Mar 2026; body
	// quoted-printable ISO-8859-15 "Preis: 100 € (Œuvre, Šimon)".
	{"synthetic/ew-european.eml", 731, 14, []string{mailbox.FlagDraft}},
}

// searchCase is one search and the messages (1-based positions in
// searchCorpus) it finds. uids fills in criteria that name UIDs.
type searchCase struct {
	name string
	c    mailbox.SearchCriteria
	uids func(u []mailbox.UID, modSeq uint64) mailbox.SearchCriteria
	want []int
}

func utcDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var searchCases = []searchCase{
	{name: "ALL", want: []int{1, 2, 3, 4, 5}},

	// Flags (RFC 9051 6.4.4: ANSWERED ... KEYWORD, UNANSWERED ...).
	{name: "SEEN", c: mailbox.SearchCriteria{Flag: []string{mailbox.FlagSeen}}, want: []int{1, 2}},
	{name: "UNSEEN", c: mailbox.SearchCriteria{NotFlag: []string{mailbox.FlagSeen}}, want: []int{3, 4, 5}},
	{name: "FLAGGED", c: mailbox.SearchCriteria{Flag: []string{mailbox.FlagFlagged}}, want: []int{2}},
	{name: "ANSWERED", c: mailbox.SearchCriteria{Flag: []string{mailbox.FlagAnswered}}, want: []int{3}},
	{name: "DELETED", c: mailbox.SearchCriteria{Flag: []string{mailbox.FlagDeleted}}, want: []int{4}},
	{name: "DRAFT", c: mailbox.SearchCriteria{Flag: []string{mailbox.FlagDraft}}, want: []int{5}},
	{name: "UNDRAFT UNDELETED", c: mailbox.SearchCriteria{NotFlag: []string{mailbox.FlagDraft, mailbox.FlagDeleted}}, want: []int{1, 2, 3}},
	{name: "SEEN FLAGGED", c: mailbox.SearchCriteria{Flag: []string{mailbox.FlagSeen, mailbox.FlagFlagged}}, want: []int{2}},
	{name: "system flag any case", c: mailbox.SearchCriteria{Flag: []string{`\SEEN`}}, want: []int{1, 2}},
	{name: "KEYWORD", c: mailbox.SearchCriteria{Flag: []string{"$work"}}, want: []int{4}},
	{name: "UNKEYWORD", c: mailbox.SearchCriteria{NotFlag: []string{"$WORK"}}, want: []int{1, 2, 3, 5}},
	{name: "KEYWORD unknown", c: mailbox.SearchCriteria{Flag: []string{"$Nope"}}},
	{name: "UNKEYWORD unknown", c: mailbox.SearchCriteria{NotFlag: []string{"$Nope"}}, want: []int{1, 2, 3, 4, 5}},

	// Internal date: the calendar day only.
	{name: "SINCE", c: mailbox.SearchCriteria{Since: utcDay(2026, 1, 12)}, want: []int{3, 4, 5}},
	{name: "BEFORE", c: mailbox.SearchCriteria{Before: utcDay(2026, 1, 12)}, want: []int{1, 2}},
	{name: "ON", c: mailbox.SearchCriteria{Since: utcDay(2026, 1, 12), Before: utcDay(2026, 1, 13)}, want: []int{3}},
	{name: "SINCE late in the day", c: mailbox.SearchCriteria{Since: time.Date(2026, 1, 14, 23, 0, 0, 0, time.UTC)}, want: []int{5}},
	{name: "BEFORE none", c: mailbox.SearchCriteria{Before: utcDay(2026, 1, 10)}},

	// Date header field.
	{name: "SENTSINCE", c: mailbox.SearchCriteria{SentSince: utcDay(2001, 5, 4)}, want: []int{1, 2, 4, 5}},
	{name: "SENTBEFORE", c: mailbox.SearchCriteria{SentBefore: utcDay(2001, 5, 4)}, want: []int{3}},
	{name: "SENTON", c: mailbox.SearchCriteria{SentSince: utcDay(2001, 5, 4), SentBefore: utcDay(2001, 5, 5)}, want: []int{1, 4}},
	{name: "SENTSINCE 2026", c: mailbox.SearchCriteria{SentSince: utcDay(2026, 1, 1)}, want: []int{5}},

	// Header fields: decoded, case-insensitive substrings.
	{name: "FROM", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "From", Value: "barry@python.org"}}}, want: []int{2, 3}},
	{name: "FROM display name", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "from", Value: "WARSAW"}}}, want: []int{2, 3}},
	{name: "FROM RFC 2047", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "From", Value: "Preis: 100 €"}}}, want: []int{5}},
	{name: "TO", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "To", Value: "cravindogs"}}}, want: []int{3}},
	{name: "CC", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "Cc", Value: "ddd@zzz.org"}}}, want: []int{4}},
	{name: "CC any", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "CC", Value: ""}}}, want: []int{4, 5}},
	{name: "BCC none", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "Bcc", Value: ""}}}},
	{name: "SUBJECT", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "Subject", Value: "test message"}}}, want: []int{1, 4}},
	{name: "SUBJECT case", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "Subject", Value: "LYRICS"}}}, want: []int{3}},
	{name: "SUBJECT RFC 2047", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "Subject", Value: "gęślą"}}}, want: []int{5}},
	{name: "SUBJECT Unicode case", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "Subject", Value: "ZAŻÓŁĆ GĘŚLĄ"}}}, want: []int{5}},
	{name: "HEADER", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "X-Oblique-Strategy", Value: "door"}}}, want: []int{2}},
	{name: "HEADER exists", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "message-id", Value: ""}}}, want: []int{1, 2, 4, 5}},
	{name: "HEADER absent", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "X-Nothing", Value: ""}}}},
	{name: "two headers", c: mailbox.SearchCriteria{Header: []mailbox.SearchHeader{{Field: "From", Value: "barry"}, {Field: "Subject", Value: "multipart"}}}, want: []int{2}},

	// Body and text: decoded parts.
	{name: "BODY", c: mailbox.SearchCriteria{Body: []string{"mirror"}}, want: []int{2}},
	{name: "BODY base64", c: mailbox.SearchCriteria{Body: []string{"Base64 encoded message"}}, want: []int{3}},
	{name: "BODY quoted-printable charset", c: mailbox.SearchCriteria{Body: []string{"Œuvre"}}, want: []int{5}},
	{name: "BODY folded case", c: mailbox.SearchCriteria{Body: []string{"œUVRE"}}, want: []int{5}},
	{name: "BODY not header", c: mailbox.SearchCriteria{Body: []string{"test message"}}},
	{name: "BODY two strings", c: mailbox.SearchCriteria{Body: []string{"like this", "Me"}}, want: []int{1, 4}},
	{name: "TEXT header", c: mailbox.SearchCriteria{Text: []string{"test message"}}, want: []int{1, 4}},
	{name: "TEXT body", c: mailbox.SearchCriteria{Text: []string{"kind of mirror"}}, want: []int{2}},
	{name: "TEXT RFC 2047", c: mailbox.SearchCriteria{Text: []string{"Zażółć"}}, want: []int{5}},

	// Size.
	{name: "LARGER", c: mailbox.SearchCriteria{Larger: 900}, want: []int{2}},
	{name: "SMALLER", c: mailbox.SearchCriteria{Smaller: 500}, want: []int{1}},
	{name: "LARGER SMALLER", c: mailbox.SearchCriteria{Larger: 700, Smaller: 900}, want: []int{3, 5}},
	{name: "LARGER exact", c: mailbox.SearchCriteria{Larger: 961}},

	// UID sets.
	{name: "UID", uids: func(u []mailbox.UID, _ uint64) mailbox.SearchCriteria {
		return mailbox.SearchCriteria{UID: []mailbox.UIDSet{{rng(u[1], u[2])}}}
	}, want: []int{2, 3}},
	{name: "UID two sets", uids: func(u []mailbox.UID, _ uint64) mailbox.SearchCriteria {
		return mailbox.SearchCriteria{UID: []mailbox.UIDSet{{rng(u[0], u[2])}, {rng(u[2], mailbox.MaxUID)}}}
	}, want: []int{3}},
	{name: "UID beyond", uids: func(u []mailbox.UID, _ uint64) mailbox.SearchCriteria {
		return mailbox.SearchCriteria{UID: []mailbox.UIDSet{{rng(u[4]+1, u[4]+9)}}}
	}},

	// MODSEQ (RFC 7162 3.1.5): only message 3 changed last.
	{name: "MODSEQ", uids: func(_ []mailbox.UID, ms uint64) mailbox.SearchCriteria {
		return mailbox.SearchCriteria{ModSeq: &mailbox.SearchModSeq{ModSeq: ms}}
	}, want: []int{3}},
	{name: "MODSEQ all", uids: func(_ []mailbox.UID, ms uint64) mailbox.SearchCriteria {
		return mailbox.SearchCriteria{ModSeq: &mailbox.SearchModSeq{ModSeq: 1}}
	}, want: []int{1, 2, 3, 4, 5}},

	// NOT and OR.
	{name: "NOT", c: mailbox.SearchCriteria{Not: []mailbox.SearchCriteria{{Flag: []string{mailbox.FlagSeen}}}}, want: []int{3, 4, 5}},
	{name: "NOT FROM", c: mailbox.SearchCriteria{Not: []mailbox.SearchCriteria{{Header: []mailbox.SearchHeader{{Field: "From", Value: "barry"}}}}}, want: []int{1, 4, 5}},
	{name: "NOT NOT", c: mailbox.SearchCriteria{Not: []mailbox.SearchCriteria{{Not: []mailbox.SearchCriteria{{Flag: []string{mailbox.FlagSeen}}}}}}, want: []int{1, 2}},
	{name: "OR", c: mailbox.SearchCriteria{Or: [][2]mailbox.SearchCriteria{{{Flag: []string{mailbox.FlagFlagged}}, {Flag: []string{mailbox.FlagAnswered}}}}}, want: []int{2, 3}},
	{name: "OR mixed keys", c: mailbox.SearchCriteria{Or: [][2]mailbox.SearchCriteria{{{Since: utcDay(2026, 1, 14)}, {Smaller: 500}}}}, want: []int{1, 5}},
	{name: "two ORs", c: mailbox.SearchCriteria{Or: [][2]mailbox.SearchCriteria{
		{{Flag: []string{mailbox.FlagSeen}}, {Flag: []string{mailbox.FlagDraft}}},
		{{Larger: 900}, {Smaller: 800}},
	}}, want: []int{1, 2, 5}},
	{name: "AND with OR and NOT", c: mailbox.SearchCriteria{
		Header: []mailbox.SearchHeader{{Field: "From", Value: "ddd.com"}},
		Or:     [][2]mailbox.SearchCriteria{{{Flag: []string{mailbox.FlagDeleted}}, {Body: []string{"mirror"}}}},
		Not:    []mailbox.SearchCriteria{{Flag: []string{mailbox.FlagSeen}}},
	}, want: []int{4}},
	{name: "SEEN FROM", c: mailbox.SearchCriteria{Flag: []string{mailbox.FlagSeen}, Header: []mailbox.SearchHeader{{Field: "From", Value: "barry"}}}, want: []int{2}},
}

func testSearch(t *testing.T, f Factory) {
	e := newEnv(t, f)
	m := e.open("INBOX")
	type searcher struct {
		name string
		fn   func(ctx context.Context, c *mailbox.SearchCriteria) ([]mailbox.UID, error)
	}
	searchers := []searcher{{"Search", func(ctx context.Context, c *mailbox.SearchCriteria) ([]mailbox.UID, error) {
		return searchFunc(ctx, m, c)
	}}}
	if s, ok := m.(mailbox.Searcher); ok {
		searchers = append(searchers, searcher{"Searcher", s.Search})
	}

	var uids []mailbox.UID
	bodies := make([]string, len(searchCorpus))
	for i, sc := range searchCorpus {
		bodies[i] = sc.path
	}
	for i, b := range corpus(t, bodies...) {
		require.Len(t, b, searchCorpus[i].size, "%s changed: fix the search table", searchCorpus[i].path)
		uids = append(uids, addAt(t, m, b, day(searchCorpus[i].day), searchCorpus[i].flags...))
	}
	res, err := m.Store(e.ctx, mailbox.UIDSetOf(uids[2]), mailbox.StoreAdd, []string{"$Later"}, nil)
	require.NoError(t, err)
	modSeq := res.Updated[0].ModSeq

	for _, s := range searchers {
		t.Run(s.name, func(t *testing.T) {
			for _, tc := range searchCases {
				t.Run(tc.name, func(t *testing.T) {
					c := tc.c
					if tc.uids != nil {
						c = tc.uids(uids, modSeq)
					}
					got, err := s.fn(e.ctx, &c)
					require.NoError(t, err)
					want := []mailbox.UID{}
					for _, i := range tc.want {
						want = append(want, uids[i-1])
					}
					if got == nil {
						got = []mailbox.UID{}
					}
					assert.Equal(t, want, got)
				})
			}
		})
	}
}
