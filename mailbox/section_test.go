package mailbox

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/postkit/postkit/mime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memBody is a Body over bytes that records the range its reads touched.
type memBody struct {
	data     []byte
	min, max int64 // octets read: [min, max)
	reads    int
}

func newMemBody(s string) *memBody { return &memBody{data: []byte(s), min: -1} }

func (b *memBody) ReadAt(p []byte, off int64) (int, error) {
	n, err := bytes.NewReader(b.data).ReadAt(p, off)
	if n > 0 {
		if b.min < 0 || off < b.min {
			b.min = off
		}
		b.max = max(b.max, off+int64(n))
	}
	b.reads++
	return n, err
}

func (b *memBody) Close() error { return nil }
func (b *memBody) Size() int64  { return int64(len(b.data)) }
func (b *memBody) reset()       { b.min, b.max, b.reads = -1, 0, 0 }

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// parseSection turns "4.2.HEADER.FIELDS" and fields into a SectionSpec.
func parseSection(s string, fields ...string) SectionSpec {
	var spec SectionSpec
	for s != "" {
		num, rest, _ := strings.Cut(s, ".")
		n, err := strconv.Atoi(num)
		if err != nil {
			spec.Specifier = s
			break
		}
		spec.Part = append(spec.Part, n)
		s = rest
	}
	spec.Fields = fields
	return spec
}

// fetch returns BODY[section] of msg.
func fetch(t *testing.T, body *memBody, root *mime.Entity, spec SectionSpec) (string, error) {
	t.Helper()
	r, n, err := OpenSection(body, root, spec)
	if err != nil {
		return "", err
	}
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, n, int64(len(got)), "size announced")
	return string(got), nil
}

// complexMessage follows the example of RFC 9051 6.4.5.1.
var complexMessage = crlf(`From: a@example.com
To: b@example.com
Subject: test
 folded
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

preamble
--outer
Content-Type: text/plain

part one
--outer
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAEC
--outer
Content-Type: message/rfc822

Subject: inner
Content-Type: multipart/mixed; boundary=inner

--inner
Content-Type: text/plain

inner one
--inner
Content-Type: application/octet-stream

inner two
--inner--
--outer
Content-Type: multipart/mixed; boundary=four

--four
Content-Type: image/gif

GIF89a
--four
Content-Type: message/rfc822

Subject: deep

deep body
--four--

--outer--
epilogue
`)

// encodedInner is a message sent base64-encoded as a message/rfc822 part.
var encodedInner = crlf("Subject: enc\nContent-Type: multipart/mixed; boundary=z\n\n--z\n\nalpha\n--z\nContent-Type: text/html\n\n<b>beta</b>\n--z--\n")

var encodedMessage = crlf("Subject: outer\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nfirst\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n") +
	wrap76(base64.StdEncoding.EncodeToString([]byte(encodedInner))) + crlf("--b--\n")

// doublyEncoded has a base64 message/rfc822 holding a quoted-printable one.
var doublyEncoded = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n") +
	wrap76(base64.StdEncoding.EncodeToString([]byte(crlf("Subject: mid\nContent-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\nSubject: deepest\n\nz=3Dy\n")))) +
	crlf("--b--\n")

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s + "\r\n"
}

func TestOpenSection(t *testing.T) {
	messages := map[string]string{
		"complex": complexMessage,
		"simple":  crlf("Subject: hi\n there\nX-A: 1\n\nHello\nWorld\n"),
		"nobody":  "Subject: x\r\nFrom: y",
		"nosep":   "Subject: x\r\nnot a field\r\n",
		"rfc822":  crlf("Content-Type: message/rfc822\n\nSubject: in\n\nbody\n"),
		"encoded": encodedMessage,
		"lf":      "Subject: lf\nContent-Type: multipart/alternative; boundary=a\n\n--a\n\none\n--a\nContent-Type: text/html\n\n<p>two\n\n--a--\n",
		"nodelim": crlf("Subject: s\nContent-Type: multipart/mixed; boundary=b\n\njust text\n"),
		"double":  doublyEncoded,
		"mbox":    "From a@b Thu Jan  1 00:00:00 2026\nSubject: m\n\nhi\n",
	}
	tests := []struct {
		msg, section string
		fields       []string
		want         string
		err          error
	}{
		{msg: "complex", section: "HEADER", want: crlf("From: a@example.com\nTo: b@example.com\nSubject: test\n folded\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=outer\n\n")},
		{msg: "complex", section: "TEXT", want: complexMessage[strings.Index(complexMessage, "preamble"):]},
		{msg: "complex", section: "1", want: "part one"},
		{msg: "complex", section: "1.MIME", want: crlf("Content-Type: text/plain\n\n")},
		{msg: "complex", section: "1.1", want: "part one"}, // Dovecot: a leaf is its own part 1
		{msg: "complex", section: "2", want: "AAEC"},
		{msg: "complex", section: "3", want: crlf("Subject: inner\nContent-Type: multipart/mixed; boundary=inner\n\n--inner\nContent-Type: text/plain\n\ninner one\n--inner\nContent-Type: application/octet-stream\n\ninner two\n--inner--")},
		{msg: "complex", section: "3.MIME", want: crlf("Content-Type: message/rfc822\n\n")},
		{msg: "complex", section: "3.HEADER", want: crlf("Subject: inner\nContent-Type: multipart/mixed; boundary=inner\n\n")},
		{msg: "complex", section: "3.TEXT", want: crlf("--inner\nContent-Type: text/plain\n\ninner one\n--inner\nContent-Type: application/octet-stream\n\ninner two\n--inner--")},
		{msg: "complex", section: "3.1", want: "inner one"},
		{msg: "complex", section: "3.2", want: "inner two"},
		{msg: "complex", section: "3.2.MIME", want: crlf("Content-Type: application/octet-stream\n\n")},
		{msg: "complex", section: "4", want: crlf("--four\nContent-Type: image/gif\n\nGIF89a\n--four\nContent-Type: message/rfc822\n\nSubject: deep\n\ndeep body\n--four--\n")},
		{msg: "complex", section: "4.MIME", want: crlf("Content-Type: multipart/mixed; boundary=four\n\n")},
		{msg: "complex", section: "4.1", want: "GIF89a"},
		{msg: "complex", section: "4.1.MIME", want: crlf("Content-Type: image/gif\n\n")},
		{msg: "complex", section: "4.2", want: crlf("Subject: deep\n\ndeep body")},
		{msg: "complex", section: "4.2.HEADER", want: crlf("Subject: deep\n\n")},
		{msg: "complex", section: "4.2.TEXT", want: "deep body"},
		{msg: "complex", section: "4.2.1", want: "deep body"},
		{msg: "complex", section: "4.2.1.MIME", want: crlf("Subject: deep\n\n")}, // Dovecot: the message header
		{msg: "complex", section: "HEADER.FIELDS", fields: []string{"SUBJECT", "to"}, want: crlf("To: b@example.com\nSubject: test\n folded\n\n")},
		{msg: "complex", section: "HEADER.FIELDS.NOT", fields: []string{"subject", "To", "MIME-VERSION", "content-type"}, want: crlf("From: a@example.com\n\n")},
		{msg: "complex", section: "HEADER.FIELDS", fields: []string{"X-None"}, want: "\r\n"},
		{msg: "complex", section: "3.HEADER.FIELDS", fields: []string{"subject"}, want: crlf("Subject: inner\n\n")},
		{msg: "complex", section: "4.2.HEADER.FIELDS.NOT", fields: []string{"subject"}, want: "\r\n"},
		{msg: "complex", section: "header", want: crlf("From: a@example.com\nTo: b@example.com\nSubject: test\n folded\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=outer\n\n")},

		{msg: "complex", section: "5", err: ErrNoSuchSection},
		{msg: "complex", section: "1.2", err: ErrNoSuchSection},
		{msg: "complex", section: "1.1.1", err: ErrNoSuchSection},
		{msg: "complex", section: "1.HEADER", err: ErrNoSuchSection},
		{msg: "complex", section: "1.TEXT", err: ErrNoSuchSection},
		{msg: "complex", section: "4.HEADER", err: ErrNoSuchSection},
		{msg: "complex", section: "3.3", err: ErrNoSuchSection},
		{msg: "complex", section: "4.2.1.1", err: ErrNoSuchSection},
		{msg: "complex", section: "0", err: ErrInvalidSection},
		{msg: "complex", section: "MIME", err: ErrInvalidSection},
		{msg: "complex", section: "HEADER.FIELDS", err: ErrInvalidSection},
		{msg: "complex", section: "1.BOGUS", err: ErrInvalidSection},

		{msg: "simple", section: "HEADER", want: crlf("Subject: hi\n there\nX-A: 1\n\n")},
		{msg: "simple", section: "TEXT", want: crlf("Hello\nWorld\n")},
		{msg: "simple", section: "1", want: crlf("Hello\nWorld\n")},
		{msg: "simple", section: "1.MIME", want: crlf("Subject: hi\n there\nX-A: 1\n\n")},
		{msg: "simple", section: "HEADER.FIELDS", fields: []string{"subject"}, want: crlf("Subject: hi\n there\n\n")},
		{msg: "simple", section: "2", err: ErrNoSuchSection},
		{msg: "simple", section: "1.1", err: ErrNoSuchSection},

		// RFC 9051 6.4.5.1: no blank line for a message with no body and none.
		{msg: "nobody", section: "HEADER", want: "Subject: x\r\nFrom: y"},
		{msg: "nobody", section: "HEADER.FIELDS", fields: []string{"subject"}, want: "Subject: x\r\n"},
		{msg: "nobody", section: "TEXT", want: ""},
		{msg: "nobody", section: "1", want: ""},
		{msg: "nosep", section: "HEADER", want: "Subject: x\r\n"},
		{msg: "nosep", section: "TEXT", want: "not a field\r\n"},
		{msg: "nosep", section: "HEADER.FIELDS", fields: []string{"subject"}, want: "Subject: x\r\n\r\n"},

		{msg: "rfc822", section: "1", want: crlf("Subject: in\n\nbody\n")},
		{msg: "rfc822", section: "1.MIME", want: crlf("Content-Type: message/rfc822\n\n")},
		{msg: "rfc822", section: "1.HEADER", want: crlf("Subject: in\n\n")},
		{msg: "rfc822", section: "1.TEXT", want: "body\r\n"},
		{msg: "rfc822", section: "1.1", want: "body\r\n"},
		{msg: "rfc822", section: "TEXT", want: crlf("Subject: in\n\nbody\n")},

		{msg: "encoded", section: "2", want: wrap76(base64.StdEncoding.EncodeToString([]byte(encodedInner)))[:len(wrap76(base64.StdEncoding.EncodeToString([]byte(encodedInner))))-2]},
		{msg: "encoded", section: "2.MIME", want: crlf("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n")},
		{msg: "encoded", section: "2.HEADER", want: crlf("Subject: enc\nContent-Type: multipart/mixed; boundary=z\n\n")},
		{msg: "encoded", section: "2.HEADER.FIELDS", fields: []string{"subject"}, want: crlf("Subject: enc\n\n")},
		{msg: "encoded", section: "2.TEXT", want: crlf("--z\n\nalpha\n--z\nContent-Type: text/html\n\n<b>beta</b>\n--z--\n")},
		{msg: "encoded", section: "2.1", want: "alpha"},
		{msg: "encoded", section: "2.2", want: "<b>beta</b>"},
		{msg: "encoded", section: "2.2.MIME", want: crlf("Content-Type: text/html\n\n")},
		{msg: "encoded", section: "2.3", err: ErrNoSuchSection},

		{msg: "double", section: "1.HEADER", want: crlf("Subject: mid\nContent-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n")},
		{msg: "double", section: "1.1", want: crlf("Subject: deepest\n\nz=3Dy\n")},
		{msg: "double", section: "1.1.MIME", want: crlf("Subject: mid\nContent-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n")},
		{msg: "double", section: "1.1.HEADER", want: crlf("Subject: deepest\n\n")},
		{msg: "double", section: "1.1.TEXT", want: "z=y\r\n"},
		{msg: "double", section: "1.1.1", want: "z=y\r\n"},
		{msg: "double", section: "1.1.1.MIME", want: crlf("Subject: deepest\n\n")},

		{msg: "lf", section: "1", want: "one"},
		{msg: "lf", section: "2", want: "<p>two\n"},
		{msg: "lf", section: "2.MIME", want: "Content-Type: text/html\n\n"},
		{msg: "lf", section: "HEADER.FIELDS", fields: []string{"subject"}, want: "Subject: lf\n\n"},

		// A multipart with no delimiter line: its text is its part 1.
		{msg: "nodelim", section: "1", want: "just text\r\n"},
		{msg: "nodelim", section: "TEXT", want: "just text\r\n"},

		{msg: "mbox", section: "HEADER.FIELDS.NOT", fields: []string{"x"}, want: "Subject: m\n\n"},
	}
	roots := map[string]*mime.Entity{}
	bodies := map[string]*memBody{}
	for name, m := range messages {
		bodies[name] = newMemBody(m)
		root, err := ReadStructure(bodies[name])
		require.NoError(t, err, name)
		roots[name] = root
		// BODY[] is the whole message.
		got, err := fetch(t, bodies[name], root, SectionSpec{})
		require.NoError(t, err)
		require.Equal(t, m, got, name)
	}
	for _, tt := range tests {
		t.Run(tt.msg+"/"+tt.section, func(t *testing.T) {
			got, err := fetch(t, bodies[tt.msg], roots[tt.msg], parseSection(tt.section, tt.fields...))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestOpenSectionReadsOnlyTheSection checks that a section is read without
// the rest of the message.
func TestOpenSectionReadsOnlyTheSection(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	msg := crlf("Subject: big\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\n" + big + "\n--b\nContent-Type: text/plain\n\nsmall\n--b--\n")
	body := newMemBody(msg)
	root, err := ReadStructure(body)
	require.NoError(t, err)
	for _, section := range []string{"2", "2.MIME", "HEADER"} {
		body.reset()
		got, err := fetch(t, body, root, parseSection(section))
		require.NoError(t, err)
		assert.Less(t, body.max-body.min, int64(100), "%s read [%d,%d): %q", section, body.min, body.max, got)
		if section == "2" {
			assert.Equal(t, "small", got)
			assert.Equal(t, int64(strings.Index(msg, "small")), body.min)
		}
	}
}

func TestOpenSectionWrongStructure(t *testing.T) {
	root, err := ReadStructure(newMemBody(complexMessage))
	require.NoError(t, err)
	_, _, err = OpenSection(newMemBody("short"), root, parseSection("1"))
	require.Error(t, err)
	_, _, err = OpenSection(newMemBody("short"), nil, parseSection("1"))
	require.Error(t, err)
}

// TestOpenSectionCorpus opens every part of every corpus message by its
// path: the body and MIME header are the entity's octets, and BODY[]
// is the whole message.
func TestOpenSectionCorpus(t *testing.T) {
	dir := filepath.Join("..", "testdata", "messages")
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if os.IsNotExist(err) {
		t.Skip("corpus not found")
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	messages, sections, encoded := 0, 0, 0
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), "\t")
		if name == "" || name == "file" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		body := &memBody{data: data, min: -1}
		root, err := ReadStructure(body)
		require.NoError(t, err, name)
		messages++
		got, err := fetch(t, body, root, SectionSpec{})
		require.NoError(t, err, name)
		require.Equal(t, string(data), got, name)
		seen := map[string]bool{}
		require.NoError(t, root.Walk(func(e *mime.Entity) error {
			if e.Path == "" || seen[e.Path] {
				return nil // the first entity with a path is the one it names
			}
			seen[e.Path] = true
			spec := parseSection(e.Path)
			text, err := fetch(t, body, root, spec)
			require.NoError(t, err, "%s %s", name, e.Path)
			spec.Specifier = "MIME"
			header, err := fetch(t, body, root, spec)
			require.NoError(t, err, "%s %s.MIME", name, e.Path)
			sections++
			if e.Encoded {
				encoded++
				return nil
			}
			assert.Equal(t, string(data[e.BodyOffset:e.EndOffset]), text, "%s %s", name, e.Path)
			assert.Equal(t, string(data[e.HeaderOffset:e.BodyOffset]), header, "%s %s.MIME", name, e.Path)
			return nil
		}))
	}
	require.NoError(t, sc.Err())
	t.Logf("%d messages, %d sections (%d inside encoded messages)", messages, sections, encoded)
}
