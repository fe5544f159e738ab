package imap

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/memstore"
)

// fakeResolver has 5 messages: sequence number n is UID 100+n; the
// largest UID is 105, "$" holds UIDs 102 and 104, and 104 and 105 are
// \Recent.
type fakeResolver struct{}

var errFakeSeq = errors.New("fake: no such message")

func (fakeResolver) SeqUIDs(s SeqSet) (mailbox.UIDSet, error) {
	var u mailbox.UIDSet
	if s.Saved {
		u = mailbox.UIDSetOf(102, 104)
	}
	for _, r := range s.Resolve(5) {
		if r.Stop > 5 {
			return nil, errFakeSeq
		}
		u.AddRange(mailbox.UID(100+r.Start), mailbox.UID(100+r.Stop))
	}
	return u, nil
}

func (fakeResolver) UIDs(s SeqSet) (mailbox.UIDSet, error) {
	u := s.UIDSet(105)
	if s.Saved {
		u = unionUIDs(u, mailbox.UIDSetOf(102, 104))
	}
	return u, nil
}

func (fakeResolver) Recent() mailbox.UIDSet { return mailbox.UIDSetOf(104, 105) }

// parseSearch reads "A1 SEARCH " + program with the codec.
func parseSearch(t *testing.T, program string) []SearchKey {
	t.Helper()
	c, err := ReadCommand(newDec("A1 SEARCH " + program + "\r\n"))
	require.NoError(t, err, program)
	return c.Args.(*SearchCommand).Keys
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func uids(ranges ...mailbox.UID) mailbox.UIDSet {
	var s mailbox.UIDSet
	for i := 0; i+1 < len(ranges); i += 2 {
		s.AddRange(ranges[i], ranges[i+1])
	}
	return s
}

type crit = mailbox.SearchCriteria

var recentSet = uids(104, 105)

var searchCriteriaTests = []struct {
	program string
	want    crit
}{
	{"ALL", crit{}},
	{"ANSWERED", crit{Flag: []string{`\Answered`}}},
	{"DELETED", crit{Flag: []string{`\Deleted`}}},
	{"DRAFT", crit{Flag: []string{`\Draft`}}},
	{"FLAGGED", crit{Flag: []string{`\Flagged`}}},
	{"SEEN", crit{Flag: []string{`\Seen`}}},
	{"UNANSWERED", crit{NotFlag: []string{`\Answered`}}},
	{"UNDELETED", crit{NotFlag: []string{`\Deleted`}}},
	{"UNDRAFT", crit{NotFlag: []string{`\Draft`}}},
	{"UNFLAGGED", crit{NotFlag: []string{`\Flagged`}}},
	{"UNSEEN", crit{NotFlag: []string{`\Seen`}}},
	{"seen unseen", crit{Flag: []string{`\Seen`}, NotFlag: []string{`\Seen`}}},
	{"KEYWORD $Forwarded", crit{Flag: []string{"$Forwarded"}}},
	{"UNKEYWORD $Junk", crit{NotFlag: []string{"$Junk"}}},
	{"RECENT", crit{UID: []mailbox.UIDSet{recentSet}}},
	{"NEW", crit{UID: []mailbox.UIDSet{recentSet}, NotFlag: []string{`\Seen`}}},
	{"OLD", crit{Not: []crit{{UID: []mailbox.UIDSet{recentSet}}}}},
	{"BCC a", crit{Header: []mailbox.SearchHeader{{Field: "Bcc", Value: "a"}}}},
	{"CC b", crit{Header: []mailbox.SearchHeader{{Field: "Cc", Value: "b"}}}},
	{`FROM "Smith, J"`, crit{Header: []mailbox.SearchHeader{{Field: "From", Value: "Smith, J"}}}},
	{"TO c", crit{Header: []mailbox.SearchHeader{{Field: "To", Value: "c"}}}},
	{"SUBJECT {5}\r\nhello", crit{Header: []mailbox.SearchHeader{{Field: "Subject", Value: "hello"}}}},
	{"HEADER X-Mailer mutt", crit{Header: []mailbox.SearchHeader{{Field: "X-Mailer", Value: "mutt"}}}},
	{`HEADER List-Id ""`, crit{Header: []mailbox.SearchHeader{{Field: "List-Id", Value: ""}}}},
	{"BODY needle", crit{Body: []string{"needle"}}},
	{`TEXT "two words"`, crit{Text: []string{"two words"}}},
	{"BEFORE 1-Feb-1994", crit{Before: day(1994, 2, 1)}},
	{"SINCE 1-Feb-1994", crit{Since: day(1994, 2, 1)}},
	{"ON 1-Feb-1994", crit{Since: day(1994, 2, 1), Before: day(1994, 2, 2)}},
	{"ON 31-Dec-2025", crit{Since: day(2025, 12, 31), Before: day(2026, 1, 1)}},
	{"ON 28-Feb-2024", crit{Since: day(2024, 2, 28), Before: day(2024, 2, 29)}},
	{"SENTBEFORE 1-Feb-1994", crit{SentBefore: day(1994, 2, 1)}},
	{"SENTSINCE 1-Feb-1994", crit{SentSince: day(1994, 2, 1)}},
	{`SENTON "1-Feb-1994"`, crit{SentSince: day(1994, 2, 1), SentBefore: day(1994, 2, 2)}},
	{"SINCE 1-Jan-2020 SINCE 1-Jan-2021 BEFORE 1-Jan-2025 BEFORE 1-Jan-2024 ON 5-May-2022",
		crit{Since: day(2022, 5, 5), Before: day(2022, 5, 6)}},
	{"SENTSINCE 1-Jan-2020 SINCE 1-Jan-2019", crit{SentSince: day(2020, 1, 1), Since: day(2019, 1, 1)}},
	{"LARGER 100", crit{Larger: 100}},
	{"SMALLER 100", crit{Smaller: 100}},
	{"LARGER 0", crit{Not: []crit{{Smaller: 1}}}},
	{"SMALLER 0", crit{UID: []mailbox.UIDSet{{}}}},
	{"LARGER 9223372036854775807", crit{Larger: math.MaxInt64}},
	{"SMALLER 9223372036854775807", crit{Smaller: math.MaxInt64}},
	{"LARGER 5 LARGER 10 LARGER 7 SMALLER 100 SMALLER 50 SMALLER 70", crit{Larger: 10, Smaller: 50}},
	{"MODSEQ 620162338", crit{ModSeq: &mailbox.SearchModSeq{ModSeq: 620162338}}},
	{`MODSEQ "/flags/\\draft" all 620162338`,
		crit{ModSeq: &mailbox.SearchModSeq{ModSeq: 620162338, MetadataName: `/flags/\draft`, MetadataType: "all"}}},
	{"MODSEQ 5 MODSEQ 7", crit{ModSeq: &mailbox.SearchModSeq{ModSeq: 7}}},
	{`MODSEQ 5 MODSEQ "/flags/\\seen" priv 7`, crit{
		ModSeq: &mailbox.SearchModSeq{ModSeq: 5},
		Not:    []crit{{Not: []crit{{ModSeq: &mailbox.SearchModSeq{ModSeq: 7, MetadataName: `/flags/\seen`, MetadataType: "priv"}}}}},
	}},
	{"UID 1:3", crit{UID: []mailbox.UIDSet{uids(1, 3)}}},
	{"UID 103:*", crit{UID: []mailbox.UIDSet{uids(103, 105)}}},
	{"UID $", crit{UID: []mailbox.UIDSet{uids(102, 102, 104, 104)}}},
	{"2:4", crit{UID: []mailbox.UIDSet{uids(102, 104)}}},
	{"1,3:*", crit{UID: []mailbox.UIDSet{uids(101, 101, 103, 105)}}},
	{"$", crit{UID: []mailbox.UIDSet{uids(102, 102, 104, 104)}}},
	{"1:4 UID 102:*", crit{UID: []mailbox.UIDSet{uids(101, 104), uids(102, 105)}}},
	{"NOT SEEN", crit{NotFlag: []string{`\Seen`}}},
	{"NOT UNSEEN", crit{Flag: []string{`\Seen`}}},
	{"NOT KEYWORD x", crit{NotFlag: []string{"x"}}},
	{"NOT NOT SEEN", crit{Flag: []string{`\Seen`}}},
	{"NOT NOT NOT SEEN", crit{NotFlag: []string{`\Seen`}}},
	{"NOT NOT (SEEN LARGER 5)", crit{Flag: []string{`\Seen`}, Larger: 5}},
	{"SMALLER 9 NOT NOT (SEEN LARGER 5)", crit{Flag: []string{`\Seen`}, Larger: 5, Smaller: 9}},
	{"NOT (SEEN FLAGGED)", crit{Not: []crit{{Flag: []string{`\Seen`, `\Flagged`}}}}},
	{"NOT FROM x", crit{Not: []crit{{Header: []mailbox.SearchHeader{{Field: "From", Value: "x"}}}}}},
	{"NOT ALL", crit{Not: []crit{{}}}},
	{"NOT 1", crit{Not: []crit{{UID: []mailbox.UIDSet{uids(101, 101)}}}}},
	{"OR SEEN FLAGGED", crit{Or: [][2]crit{{{Flag: []string{`\Seen`}}, {Flag: []string{`\Flagged`}}}}}},
	{"OR 1 3", crit{UID: []mailbox.UIDSet{uids(101, 101, 103, 103)}}},
	{"OR UID 1 UID 2", crit{UID: []mailbox.UIDSet{uids(1, 2)}}},
	{"OR SMALLER 0 SMALLER 0", crit{UID: []mailbox.UIDSet{{}}}},
	{"OR RECENT 1", crit{UID: []mailbox.UIDSet{uids(101, 101, 104, 105)}}},
	{"OR NEW 1", crit{Or: [][2]crit{{
		{UID: []mailbox.UIDSet{recentSet}, NotFlag: []string{`\Seen`}},
		{UID: []mailbox.UIDSet{uids(101, 101)}},
	}}}},
	{"OR (SEEN FROM a) NOT DRAFT", crit{Or: [][2]crit{{
		{Flag: []string{`\Seen`}, Header: []mailbox.SearchHeader{{Field: "From", Value: "a"}}},
		{NotFlag: []string{`\Draft`}},
	}}}},
	{"(SEEN (FLAGGED (DELETED)))", crit{Flag: []string{`\Seen`, `\Flagged`, `\Deleted`}}},
	{"(SEEN) (UNDRAFT)", crit{Flag: []string{`\Seen`}, NotFlag: []string{`\Draft`}}},
	{"DELETED FROM SMITH SINCE 1-Feb-1994", crit{
		Flag:   []string{`\Deleted`},
		Header: []mailbox.SearchHeader{{Field: "From", Value: "SMITH"}},
		Since:  day(1994, 2, 1),
	}},
	{"TEXT \"string not in mailbox\"", crit{Text: []string{"string not in mailbox"}}},
	{"RETURN (MIN MAX) CHARSET UTF-8 BODY x", crit{Body: []string{"x"}}},
}

func TestSearchCriteria(t *testing.T) {
	for _, tt := range searchCriteriaTests {
		t.Run(tt.program, func(t *testing.T) {
			got, err := searchCriteria(parseSearch(t, tt.program), fakeResolver{})
			require.NoError(t, err)
			assert.Equal(t, &tt.want, got)
		})
	}
}

func TestSearchCriteriaHugeSize(t *testing.T) {
	c, err := searchCriteria([]SearchKey{{Op: "LARGER", Number: math.MaxUint64}, {Op: "SMALLER", Number: math.MaxUint64}}, fakeResolver{})
	require.NoError(t, err)
	assert.Equal(t, &crit{Larger: math.MaxInt64, Smaller: math.MaxInt64}, c)
}

// TestSearchCriteriaWithin: OLDER and YOUNGER become instants, the
// stricter one kept when repeated (RFC 5032 2).
func TestSearchCriteriaWithin(t *testing.T) {
	before := time.Now().Unix()
	c, err := searchCriteria(parseSearch(t, "OLDER 3600 OLDER 60 YOUNGER 7200 YOUNGER 86400"), fakeResolver{})
	require.NoError(t, err)
	after := time.Now().Unix()
	assert.True(t, c.Older.Unix() >= before-3600 && c.Older.Unix() <= after-3600, c.Older)
	assert.True(t, c.Younger.Unix() >= before-7200 && c.Younger.Unix() <= after-7200, c.Younger)
}

func TestSearchCriteriaErrors(t *testing.T) {
	// RFC 5032 3: the interval is an nz-number.
	for _, op := range []string{"OLDER", "YOUNGER"} {
		_, err := searchCriteria([]SearchKey{{Op: op}}, fakeResolver{})
		assert.ErrorIs(t, err, mailbox.ErrInvalidSearch, op)
	}
	// The resolver's errors are returned as they are.
	for _, program := range []string{"6", "NOT 1:9", "OR SEEN (1,7)"} {
		_, err := searchCriteria(parseSearch(t, program), fakeResolver{})
		assert.ErrorIs(t, err, errFakeSeq, program)
	}
	// Programs the codec does not make.
	for _, k := range []SearchKey{
		{Op: "X-UNKNOWN"},
		{Op: "NOT"},
		{Op: "OR", Keys: []SearchKey{{Op: "ALL"}}},
		{Op: "KEYWORD"},
		{Op: "SINCE"},
	} {
		_, err := searchCriteria([]SearchKey{k}, fakeResolver{})
		assert.ErrorIs(t, err, mailbox.ErrInvalidSearch, k.Op)
	}
	// Depth is bounded whatever the codec allows.
	for _, op := range []string{"NOT", SearchAnd, "OR"} {
		k := SearchKey{Op: "SEEN"}
		for range mailbox.MaxSearchDepth + 5 {
			k = SearchKey{Op: op, Keys: []SearchKey{k, k}[:1+boolInt(op == "OR")]}
		}
		_, err := searchCriteria([]SearchKey{k}, fakeResolver{})
		assert.ErrorIs(t, err, mailbox.ErrInvalidSearch, op)
	}
	// Within the bound, it works, and criteria stay shallow.
	k := SearchKey{Op: "SEEN"}
	for range mailbox.MaxSearchDepth {
		k = SearchKey{Op: SearchAnd, Keys: []SearchKey{k, {Op: "LARGER", Number: 3}}}
	}
	c, err := searchCriteria([]SearchKey{k}, fakeResolver{})
	require.NoError(t, err)
	assert.Equal(t, &crit{Flag: []string{`\Seen`}, Larger: 3}, c)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// memResolver resolves over a memstore view, as the session would.
type memResolver struct {
	uids   []mailbox.UID // by sequence number
	recent mailbox.UIDSet
}

func newMemResolver(t *testing.T, ctx context.Context, mb mailbox.Mailbox) *memResolver {
	r := &memResolver{}
	err := mb.Fetch(ctx, mailbox.AllUIDs, func(m mailbox.Message) error {
		r.uids = append(r.uids, m.UID())
		if mailbox.HasFlag(m.Flags(), mailbox.FlagRecent) {
			r.recent.Add(m.UID())
		}
		return nil
	})
	require.NoError(t, err)
	return r
}

func (r *memResolver) SeqUIDs(s SeqSet) (mailbox.UIDSet, error) {
	if s.Saved {
		return nil, errors.New("no saved result")
	}
	var u mailbox.UIDSet
	for _, rg := range s.Resolve(uint32(len(r.uids))) {
		if int(rg.Stop) > len(r.uids) {
			return nil, errFakeSeq
		}
		for n := rg.Start; n <= rg.Stop; n++ {
			u.Add(r.uids[n-1])
		}
	}
	return u, nil
}

func (r *memResolver) UIDs(s SeqSet) (mailbox.UIDSet, error) {
	if s.Saved {
		return nil, errors.New("no saved result")
	}
	return s.UIDSet(r.uids[len(r.uids)-1]), nil
}

func (r *memResolver) Recent() mailbox.UIDSet { return r.recent }

// TestSearchMemstore runs parsed programs over messages in a memstore
// mailbox through mailbox.Search.
func TestSearchMemstore(t *testing.T) {
	ctx := context.Background()
	acct, err := memstore.New().Account(ctx, "u")
	require.NoError(t, err)
	msgs := []struct {
		raw   string
		flags []string
		date  time.Time
	}{
		{"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Hello world\r\n" +
			"Date: Tue, 1 Feb 1994 21:52:25 -0800\r\n\r\nfirst body text\r\n",
			[]string{`\Seen`}, time.Date(1994, 2, 2, 12, 0, 0, 0, time.UTC)},
		{"From: bob@example.org\r\nCc: carol@example.org\r\nSubject: Re: Hello\r\n" +
			"Date: Sun, 15 Mar 2020 10:00:00 +0000\r\n\r\nsecond " + strings.Repeat("text ", 100) + "\r\n",
			[]string{`\Flagged`, `\Answered`, "$Forwarded"}, time.Date(2020, 3, 15, 12, 0, 0, 0, time.UTC)},
		{"From: carol@example.org\r\nSubject: Zebra\r\n\r\nthe unique-needle\r\n",
			nil, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)},
		{"From: dave@example.org\r\nSubject: big\r\nDate: Wed, 2 Feb 1994 08:00:00 +0000\r\n\r\n" +
			strings.Repeat("x", 5000) + "\r\n",
			[]string{`\Deleted`, `\Draft`}, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)},
	}
	// Messages 1 and 2 are recent in another view, 3 and 4 in ours.
	other, err := acct.Open(ctx, mailbox.Inbox, nil)
	require.NoError(t, err)
	defer other.Close()
	mb, err := acct.Open(ctx, mailbox.Inbox, nil)
	require.NoError(t, err)
	defer mb.Close()
	for i, m := range msgs {
		view := other
		if i >= 2 {
			view = mb
		}
		_, err := view.Append(ctx, strings.NewReader(m.raw), &mailbox.AppendOptions{Flags: m.flags, InternalDate: m.date})
		require.NoError(t, err)
	}
	_, err = mb.Poll(ctx)
	require.NoError(t, err)
	r := newMemResolver(t, ctx, mb)
	require.Len(t, r.uids, 4)
	require.Equal(t, uids(3, 4), r.recent)

	tests := []struct {
		program string
		want    []mailbox.UID
	}{
		{"ALL", []mailbox.UID{1, 2, 3, 4}},
		{"SEEN", []mailbox.UID{1}},
		{"UNSEEN", []mailbox.UID{2, 3, 4}},
		{"ANSWERED", []mailbox.UID{2}},
		{"FLAGGED", []mailbox.UID{2}},
		{"DELETED", []mailbox.UID{4}},
		{"DRAFT", []mailbox.UID{4}},
		{"UNDELETED", []mailbox.UID{1, 2, 3}},
		{"UNFLAGGED UNANSWERED UNDRAFT", []mailbox.UID{1, 3}},
		{"KEYWORD $forwarded", []mailbox.UID{2}},
		{"UNKEYWORD $Forwarded", []mailbox.UID{1, 3, 4}},
		{"RECENT", []mailbox.UID{3, 4}},
		{"NEW", []mailbox.UID{3, 4}},
		{"OLD", []mailbox.UID{1, 2}},
		{"FROM alice", []mailbox.UID{1}},
		{"TO bob", []mailbox.UID{1}},
		{"CC carol", []mailbox.UID{2}},
		{"BCC carol", nil},
		{"SUBJECT hello", []mailbox.UID{1, 2}},
		{"HEADER Subject zebra", []mailbox.UID{3}},
		{`HEADER Cc ""`, []mailbox.UID{2}},
		{"BODY unique-needle", []mailbox.UID{3}},
		{"BODY alice", nil},
		{"TEXT alice", []mailbox.UID{1}},
		{"TEXT unique-needle", []mailbox.UID{3}},
		{"BEFORE 15-Mar-2020", []mailbox.UID{1}},
		{"ON 15-Mar-2020", []mailbox.UID{2}},
		{"ON 2-Feb-1994", []mailbox.UID{1}},
		{"SINCE 15-Mar-2020", []mailbox.UID{2, 3, 4}},
		{"SENTON 1-Feb-1994", []mailbox.UID{1}},
		{"SENTBEFORE 1-Jan-2000", []mailbox.UID{1, 4}},
		{"SENTSINCE 1-Jan-2000", []mailbox.UID{2}},
		{"NOT SENTBEFORE 1-Jan-2000", []mailbox.UID{2, 3}},
		{"SENTSINCE 2-Feb-1994 SENTBEFORE 3-Feb-1994", []mailbox.UID{4}},
		{"LARGER 3000", []mailbox.UID{4}},
		{"SMALLER 3000", []mailbox.UID{1, 2, 3}},
		{"SMALLER 0", nil},
		{"LARGER 0", []mailbox.UID{1, 2, 3, 4}},
		{"UID 2:3", []mailbox.UID{2, 3}},
		{"UID 3:*", []mailbox.UID{3, 4}},
		{"UID 9:*", []mailbox.UID{4}},
		{"2,4", []mailbox.UID{2, 4}},
		{"*", []mailbox.UID{4}},
		{"1:* UNSEEN", []mailbox.UID{2, 3, 4}},
		{"NOT SEEN", []mailbox.UID{2, 3, 4}},
		{"NOT NOT SEEN", []mailbox.UID{1}},
		{"OR SEEN FLAGGED", []mailbox.UID{1, 2}},
		{"OR 1 4", []mailbox.UID{1, 4}},
		{"NOT (SEEN FLAGGED)", []mailbox.UID{1, 2, 3, 4}},
		{"(SEEN) (FROM alice)", []mailbox.UID{1}},
		{"OR (FROM alice) (FROM carol)", []mailbox.UID{1, 3}},
		{"DELETED OR DRAFT SEEN", []mailbox.UID{4}},
		{"OR NEW SEEN", []mailbox.UID{1, 3, 4}},
		{"NOT OR OLD DRAFT", []mailbox.UID{3}},
		{"MODSEQ 0", []mailbox.UID{1, 2, 3, 4}},
		{"CHARSET UTF-8 SUBJECT zebra", []mailbox.UID{3}},
	}
	for _, tt := range tests {
		c, err := searchCriteria(parseSearch(t, tt.program), r)
		require.NoError(t, err, tt.program)
		got, err := mailbox.Search(ctx, mb, c)
		require.NoError(t, err, tt.program)
		assert.Equal(t, tt.want, slices.Clip(got), tt.program)
	}
}
