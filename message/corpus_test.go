package message

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mime"
)

// The differential test: every message of the developer corpus is read
// with this package and compared, field by field, with what CPython's email
// package made of it (expected.jsonl, written by ../shared/judges/msgref.py).
// POSTKIT_CORPUS and POSTKIT_EXPECTED point it at another copy (CI runs it
// against a fresh msgref.py run).

func corpusPaths() (dir, expected string) {
	dir = os.Getenv("POSTKIT_CORPUS")
	if dir == "" {
		dir = "../testdata/messages"
	}
	expected = os.Getenv("POSTKIT_EXPECTED")
	if expected == "" {
		expected = filepath.Join(dir, "expected.jsonl")
	}
	return dir, expected
}

type refAddress struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
}

type refPart struct {
	Path        string  `json:"path"`
	ContentType string  `json:"content_type"`
	Charset     *string `json:"charset"`
	Filename    *string `json:"filename"`
	Disposition *string `json:"disposition"`
	SHA256      *string `json:"sha256"`
	Structured  bool    `json:"python_structured"`
}

type refMessage struct {
	File        string        `json:"file"`
	Error       string        `json:"error"`
	FieldErrors []string      `json:"field_errors"`
	Subject     *string       `json:"subject"`
	From        *[]refAddress `json:"from"`
	To          *[]refAddress `json:"to"`
	Cc          *[]refAddress `json:"cc"`
	Date        *string       `json:"date"`
	DateUnix    *int64        `json:"date_unix"`
	MessageID   *string       `json:"message_id"`
	ContentType string        `json:"content_type"`
	Parts       []refPart     `json:"parts"`
}

// ourMessage is the same record, made by this package.
type ourMessage struct {
	Subject, Date, MessageID, ContentType string
	From, To, Cc                          *[]refAddress
	DateUnix                              int64
	Parts                                 []refPart
}

func readOurs(r io.Reader) (*ourMessage, error) {
	m, err := Read(r)
	if err != nil {
		return nil, err
	}
	o := &ourMessage{Subject: m.Header.Subject(), MessageID: m.Header.Get("Message-Id"), ContentType: m.Root().MediaType}
	addrs := func(key string) *[]refAddress {
		if !m.Header.Has(key) {
			return nil
		}
		list, _ := m.Header.AddressList(key)
		out := []refAddress{}
		for _, a := range Mailboxes(list) {
			out = append(out, refAddress{Name: a.Name, Addr: a.Addr})
		}
		return &out
	}
	o.From, o.To, o.Cc = addrs("From"), addrs("To"), addrs("Cc")
	if t, err := m.Header.Date(); err == nil {
		o.Date, o.DateUnix = rfc3339(t), t.Unix()
	}
	err = m.Walk(func(p *mime.Part) error {
		if p.Kind != mime.Leaf {
			return nil
		}
		h := sha256.New()
		if _, err := io.Copy(h, p.Body()); err != nil {
			return err
		}
		sum := hex.EncodeToString(h.Sum(nil))
		o.Parts = append(o.Parts, refPart{Path: p.Path, ContentType: p.MediaType,
			Charset: nonEmpty(p.Charset()), Filename: nonEmpty(p.Filename()),
			Disposition: nonEmpty(p.Disposition()), SHA256: &sum})
		return nil
	})
	return o, err
}

func rfc3339(t time.Time) string {
	if name, _ := t.Zone(); name == "-0000" {
		return t.Format("2006-01-02T15:04:05") + "-00:00"
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func addrString(p *[]refAddress) string {
	if p == nil {
		return "<nil>"
	}
	var b strings.Builder
	for _, a := range *p {
		fmt.Fprintf(&b, "[%q %q]", a.Name, a.Addr)
	}
	return b.String()
}

// knownDisagreements lists every field where this package and CPython
// differ, keyed "file field", with the reason our answer is the right one.
var knownDisagreements = map[string]string{}

func TestCorpusDifferential(t *testing.T) {
	dir, expected := corpusPaths()
	f, err := os.Open(expected)
	require.NoError(t, err)
	defer f.Close()
	compared, agreed, messages := 0, 0, 0
	seen := map[string]bool{}
	var unexpected []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var ref refMessage
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ref))
		require.Empty(t, ref.Error, ref.File)
		messages++
		file, err := os.Open(filepath.Join(dir, ref.File))
		require.NoError(t, err)
		ours, err := readOurs(file)
		file.Close()
		require.NoError(t, err, "%s: every message must be accepted", ref.File)

		cmp := func(field, want, got string) {
			compared++
			key := ref.File + " " + field
			if want == got {
				agreed++
				if _, listed := knownDisagreements[key]; listed {
					unexpected = append(unexpected, fmt.Sprintf("%s: listed as a disagreement but agrees", key))
				}
				return
			}
			seen[key] = true
			if _, listed := knownDisagreements[key]; !listed {
				unexpected = append(unexpected, fmt.Sprintf("%s: python %.120q, ours %.120q", key, want, got))
			}
		}
		cmp("subject", str(ref.Subject), orNil(ours.Subject, ref.Subject == nil && ours.Subject == ""))
		cmp("from", addrString(ref.From), addrString(ours.From))
		cmp("to", addrString(ref.To), addrString(ours.To))
		cmp("cc", addrString(ref.Cc), addrString(ours.Cc))
		cmp("date", str(ref.Date), orNil(ours.Date, ours.Date == ""))
		if ref.DateUnix != nil && ours.Date != "" {
			cmp("date_unix", fmt.Sprint(*ref.DateUnix), fmt.Sprint(ours.DateUnix))
		}
		cmp("message_id", str(ref.MessageID), orNil(ours.MessageID, ref.MessageID == nil && ours.MessageID == ""))
		cmp("content_type", ref.ContentType, ours.ContentType)
		cmp("leaves", fmt.Sprint(len(ref.Parts)), fmt.Sprint(len(ours.Parts)))
		for i, rp := range ref.Parts {
			if i >= len(ours.Parts) {
				break
			}
			op := ours.Parts[i]
			cmp(rp.Path+" path", rp.Path, op.Path)
			cmp(rp.Path+" content_type", rp.ContentType, op.ContentType)
			cmp(rp.Path+" charset", str(rp.Charset), str(op.Charset))
			cmp(rp.Path+" filename", str(rp.Filename), str(op.Filename))
			cmp(rp.Path+" disposition", str(rp.Disposition), str(op.Disposition))
			if !rp.Structured && rp.SHA256 != nil {
				cmp(rp.Path+" sha256", *rp.SHA256, *op.SHA256)
			}
		}
	}
	require.NoError(t, sc.Err())
	rate := 100 * float64(agreed) / float64(compared)
	t.Logf("%d messages, all accepted; %d of %d fields agree with CPython (%.2f%%); %d listed disagreements",
		messages, agreed, compared, rate, len(seen))
	assert.GreaterOrEqual(t, rate, 99.0)
	for key := range knownDisagreements {
		if !seen[key] && !strings.HasPrefix(key, "#") {
			found := false
			for _, u := range unexpected {
				if strings.HasPrefix(u, key+":") {
					found = true
				}
			}
			if !found {
				unexpected = append(unexpected, key+": listed but not compared (stale entry)")
			}
		}
	}
	sort.Strings(unexpected)
	for _, u := range unexpected {
		t.Error(u)
	}
}

func orNil(s string, isNil bool) string {
	if isNil {
		return "<nil>"
	}
	return s
}
