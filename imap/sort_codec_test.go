package imap

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSortCommandRoundTrip: the SORT and THREAD commands of RFC 5256,
// 5957 and 5267, parsed, written and parsed again.
func TestSortCommandRoundTrip(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994", ""},
		{"A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL", ""},
		{`A284 SORT (SUBJECT) US-ASCII TEXT "not in mailbox"`, `A284 SORT (SUBJECT) US-ASCII TEXT "not in mailbox"`},
		{"a UID SORT (ARRIVAL CC DATE FROM SIZE SUBJECT TO DISPLAYFROM DISPLAYTO) UTF-8 1:*", ""},
		{"a sort (reverse displayfrom) utf-8 all", "a SORT (REVERSE DISPLAYFROM) utf-8 ALL"},
		{"E01 UID SORT RETURN () (REVERSE DATE) UTF-8 UNDELETED UNKEYWORD $Junk", ""},
		{"E02 SORT RETURN (MIN MAX ALL COUNT) (DATE) UTF-8 YOUNGER 259200", ""},
		{"A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-Mar-2000", ""},
		{`A284 THREAD ORDEREDSUBJECT US-ASCII TEXT "gewp"`, "A284 THREAD ORDEREDSUBJECT US-ASCII TEXT gewp"},
		{"A285 UID THREAD REFERENCES UTF-8 SINCE 5-Mar-2000", ""},
		{`a THREAD REFERENCES "UTF-8" OLDER 60`, "a THREAD REFERENCES UTF-8 OLDER 60"},
	} {
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
	c, err := ReadCommand(newDec("E01 UID SORT RETURN (MIN) (REVERSE DATE SIZE) UTF-8 ALL\r\n"))
	require.NoError(t, err)
	assert.Equal(t, &Command{Tag: "E01", Name: "SORT", UID: true, Args: &SortCommand{
		HasReturn: true, Return: []string{"MIN"},
		Criteria: []SortCriterion{{Key: "DATE", Reverse: true}, {Key: "SIZE"}},
		Charset:  "UTF-8", Keys: []SearchKey{{Op: "ALL"}},
	}}, c)
}

func TestSortCommandErrors(t *testing.T) {
	for _, in := range []string{
		"a SORT",
		"a SORT ()",
		"a SORT () UTF-8 ALL",
		"a SORT (REVERSE) UTF-8 ALL",
		"a SORT (REVERSE REVERSE DATE) UTF-8 ALL",
		"a SORT (DATE)",
		"a SORT (DATE) UTF-8",
		"a SORT (DATE) UTF-8 ",
		"a SORT DATE UTF-8 ALL",
		"a SORT RETURN (MIN) UTF-8 ALL",
		"a THREAD",
		"a THREAD REFERENCES",
		"a THREAD REFERENCES UTF-8",
		"a THREAD (REFERENCES) UTF-8 ALL",
	} {
		_, err := ReadCommand(newDec(in + "\r\n"))
		assert.Error(t, err, in)
	}
}

// TestSortResponseRoundTrip: the SORT and THREAD responses of RFC 5256
// 3 and 4, written as one line.
func TestSortResponseRoundTrip(t *testing.T) {
	for _, in := range []string{
		"* SORT 2 3 6",
		"* SORT 2 84 882",
		"* SORT",
		"* SORT 5 3 4 1 2 (MODSEQ 917162500)",
		"* THREAD",
		"* THREAD (2)(3 6 (4 23)(44 7 96))",
		"* THREAD ((3)(5))",
		"* THREAD (166)(167)(168)(169)(172)(170)(171)(173)(174 (175)(176)(178)(181)(180))(179)(177 (183)(182)(188)(184)(185)(186)(187)(189))(190)(191)(192)(193)(194 195)(196 (197)(198))(199)(200 202)(201)(203)(204)(205)(206 207)(208)",
		"* THREAD (166)(167)(168)(169)(172)((170)(179))(171)(173)((174)(175)(176)(178)(181)(180))((177)(183)(182)(188 (184)(189))(185 186)(187))(190)(191)(192)(193)((194)(195 196))(197 198)(199)(200 202)(201)(203)(204)(205 206 207)(208)",
		`* ESEARCH (TAG "E01") UID ALL 23765,23764,23763,23761`,
	} {
		t.Run(in, func(t *testing.T) {
			r, err := ReadResponse(newDec(in+"\r\n"), nil)
			require.NoError(t, err)
			got := formatResponse(t, r)
			assert.Equal(t, in+"\r\n", got)
			r2, err := ReadResponse(newDec(got), nil)
			require.NoError(t, err)
			assert.Equal(t, r, r2)
		})
	}
	r, err := ReadResponse(newDec("* THREAD (2)(3 6 (4 23)(44 7 96))\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, &ThreadData{Threads: []*Thread{
		{Num: 2},
		{Num: 3, Children: []*Thread{{Num: 6, Children: []*Thread{
			{Num: 4, Children: []*Thread{{Num: 23}}},
			{Num: 44, Children: []*Thread{{Num: 7, Children: []*Thread{{Num: 96}}}}},
		}}}},
	}}, r)
	r, err = ReadResponse(newDec("* SORT 2 3 6\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, &SortData{Nums: []uint32{2, 3, 6}}, r)
}

// TestThreadDeepFlattened: threads nested deeper than maxThreadDepth
// are written flat below it, every message kept, within what clients
// parse.
func TestThreadDeepFlattened(t *testing.T) {
	// A comb: each message has two children, one a leaf.
	root := &Thread{Num: 1}
	cur := root
	n := uint32(2)
	for range 200 {
		leaf := &Thread{Num: n}
		next := &Thread{Num: n + 1}
		n += 2
		cur.Children = []*Thread{next, leaf}
		cur = next
	}
	s := formatResponse(t, &ThreadData{Threads: []*Thread{root}})
	depth, maxDepth := 0, 0
	for _, c := range s {
		switch c {
		case '(':
			depth++
			maxDepth = max(maxDepth, depth)
		case ')':
			depth--
		}
	}
	assert.LessOrEqual(t, maxDepth, maxThreadDepth+1)
	assert.Len(t, strings.Fields(strings.NewReplacer("(", " ", ")", " ", "* THREAD", "").Replace(s)), int(n-1))
	r, err := ReadResponse(newDec(s), nil)
	require.NoError(t, err)
	var count func(ts []*Thread) int
	count = func(ts []*Thread) int {
		k := 0
		for _, t := range ts {
			if t.Num != 0 {
				k++
			}
			k += count(t.Children)
		}
		return k
	}
	assert.Equal(t, int(n-1), count(r.(*ThreadData).Threads))
}
