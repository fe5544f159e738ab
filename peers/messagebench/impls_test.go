package messagebench

import (
	"bytes"
	"encoding/base64"
	"io"
	"io/fs"
	stdmime "mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	gomessage "github.com/emersion/go-message"
	"github.com/jhillyerd/enmime/v2"
	"github.com/postkit/postkit/mime"
)

// corpusDir is the developer corpus, relative to this package.
const corpusDir = "../../testdata/messages"

// A message is one corpus file, held in memory.
type message struct {
	name string // path relative to corpusDir
	data []byte
}

var (
	corpusOnce sync.Once
	corpus     []message
	corpusErr  error
)

// loadCorpus reads every *.eml file under corpusDir once.
func loadCorpus(tb testing.TB) []message {
	tb.Helper()
	corpusOnce.Do(func() {
		corpusErr = filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(corpusDir, path)
			corpus = append(corpus, message{name: filepath.ToSlash(rel), data: data})
			return nil
		})
		sort.Slice(corpus, func(i, j int) bool { return corpus[i].name < corpus[j].name })
	})
	if corpusErr != nil {
		tb.Fatalf("loading corpus: %v", corpusErr)
	}
	if len(corpus) == 0 {
		tb.Fatalf("no messages under %s", corpusDir)
	}
	return corpus
}

func totalBytes(msgs []message) int64 {
	var n int64
	for _, m := range msgs {
		n += int64(len(m.data))
	}
	return n
}

// A leafFunc consumes one transfer-decoded leaf body.
type leafFunc func(body io.Reader) error

// discardLeaf reads a body to its end.
func discardLeaf(body io.Reader) error {
	_, err := io.Copy(io.Discard, body)
	return err
}

// A result says how one implementation fared on one message.
type result struct {
	// warn: the implementation reported a problem it recovered from
	// (postkit: a Defect; go-message: an unknown transfer encoding;
	// enmime: Envelope.Errors).
	warn bool
	err  error // the message is rejected
}

// An impl is one parser under test.
type impl struct {
	name  string
	note  string
	parse func(data []byte, leaf leafFunc) result
}

// impls lists the implementations in table order; go-message, the
// reference for the ratios, comes first.
var impls = []impl{
	{"go-message", "Entity.Walk, descends message/rfc822, transfer decoding only (charset pkg not imported)", parseGoMessage},
	{"postkit", "mime.Reader.Next, transfer decoding only", parsePostkit},
	{"enmime", "ReadEnvelope: full envelope, charset conversion, header decoding: much more work", parseEnmime},
	{"std-multipart", "net/mail + mime/multipart NextRawPart walk, base64/QP decoding", parseStdMultipart},
	{"net/mail", "ReadMessage + io.Copy of the raw body: header only, no MIME walk", parseNetMail},
}

// parsePostkit walks every entity with mime.Reader and reads each leaf's
// transfer-decoded body.
func parsePostkit(data []byte, leaf leafFunc) result {
	var res result
	r := mime.NewReader(bytes.NewReader(data))
	var last *mime.Part
	for {
		p, err := r.Next()
		if last != nil && len(last.Defects) > 0 {
			res.warn = true // body defects are recorded once Next moves on
		}
		if err == io.EOF {
			return res
		}
		if err != nil {
			res.err = err
			return res
		}
		last = p
		if p.Kind != mime.Leaf {
			continue
		}
		if err := leaf(p.Body()); err != nil {
			res.err = err
			return res
		}
	}
}

// maxNest bounds the message/rfc822 recursion of the peer walkers, as
// mime.DefaultMaxDepth bounds ours.
const maxNest = mime.DefaultMaxDepth

func isIdentityCTE(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "7bit", "8bit", "binary":
		return true
	}
	return false
}

func isMessageType(t string) bool {
	return t == "message/rfc822" || t == "message/global"
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// parseGoMessage walks a message with go-message's Entity.Walk, which
// does not descend into message/rfc822; the walker does so itself. Without
// the charset package imported go-message reports UnknownCharsetError for
// text parts in charsets other than UTF-8 and US-ASCII but still hands out
// the transfer-decoded body: that error is the mode measured, not a failure.
// An unknown transfer encoding (the body is handed out raw) is a warning.
func parseGoMessage(data []byte, leaf leafFunc) result {
	var res result
	res.err = goMessageEntity(bytes.NewReader(data), leaf, &res, 0)
	return res
}

func goMessageSoft(err error, res *result) error {
	switch {
	case err == nil, gomessage.IsUnknownCharset(err):
		return nil
	case gomessage.IsUnknownEncoding(err):
		res.warn = true
		return nil
	}
	return err
}

func goMessageEntity(r io.Reader, leaf leafFunc, res *result, depth int) error {
	e, err := gomessage.Read(r)
	if err = goMessageSoft(err, res); err != nil {
		return err
	}
	return e.Walk(func(_ []int, part *gomessage.Entity, err error) error {
		if err = goMessageSoft(err, res); err != nil {
			return err
		}
		// The media type decides as Entity.MultipartReader does; parse it
		// only when it can be a container, as a caller would.
		raw := strings.TrimLeft(part.Header.Get("Content-Type"), " \t")
		if hasFoldPrefix(raw, "multipart/") || hasFoldPrefix(raw, "message/") {
			t, _, _ := part.Header.ContentType()
			if strings.HasPrefix(t, "multipart/") {
				return nil // Walk visits its parts
			}
			if isMessageType(t) && isIdentityCTE(part.Header.Get("Content-Transfer-Encoding")) && depth < maxNest {
				return goMessageEntity(part.Body, leaf, res, depth+1)
			}
		}
		return leaf(part.Body)
	})
}

// parseEnmime builds an enmime Envelope. enmime reads and decodes every
// part itself (charsets included); leaf is not used.
func parseEnmime(data []byte, _ leafFunc) result {
	env, err := enmime.ReadEnvelope(bytes.NewReader(data))
	if err != nil {
		return result{err: err}
	}
	return result{warn: len(env.Errors) > 0}
}

// parseNetMail reads the header with net/mail and copies the raw body.
func parseNetMail(data []byte, leaf leafFunc) result {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return result{err: err}
	}
	return result{err: leaf(m.Body)}
}

// parseStdMultipart walks a message with the standard library alone:
// net/mail for the header, mime.ParseMediaType, mime/multipart's
// NextRawPart (so the walker, not multipart, undoes quoted-printable) and
// encoding/base64 or mime/quotedprintable for the bodies.
func parseStdMultipart(data []byte, leaf leafFunc) result {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return result{err: err}
	}
	return result{err: stdEntity(textproto.MIMEHeader(m.Header), m.Body, leaf, 0)}
}

func stdEntity(h textproto.MIMEHeader, body io.Reader, leaf leafFunc, depth int) error {
	t := "text/plain"
	var params map[string]string
	if v := h.Get("Content-Type"); v != "" {
		if pt, pp, err := stdmime.ParseMediaType(v); err == nil {
			t, params = pt, pp
		}
	}
	switch {
	case strings.HasPrefix(t, "multipart/") && params["boundary"] != "":
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := stdEntity(p.Header, p, leaf, depth+1); err != nil {
				return err
			}
		}
	case isMessageType(t) && isIdentityCTE(h.Get("Content-Transfer-Encoding")) && depth < maxNest:
		m, err := mail.ReadMessage(body)
		if err != nil {
			return err
		}
		return stdEntity(textproto.MIMEHeader(m.Header), m.Body, leaf, depth+1)
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	return leaf(body)
}
