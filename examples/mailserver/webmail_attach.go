package main

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postkit/postkit/mailbox"
	pkmime "github.com/postkit/postkit/mime"
)

// webDownloadTime bounds the sending of one attachment (the server's
// WriteTimeout is shorter, for the API's small answers).
const webDownloadTime = 15 * time.Minute

// inlineImageTypes are the media types an attachment is served as; every
// other part goes as application/octet-stream, which no browser renders.
// No SVG: it can carry script.
var inlineImageTypes = map[string]bool{"image/png": true, "image/gif": true, "image/jpeg": true, "image/webp": true}

var errNoPart = errors.New("no such part")

// errCutShort reports a download that failed after its header was sent.
type errCutShort struct{ err error }

func (e errCutShort) Error() string { return "download cut short: " + e.err.Error() }

// webAttachment streams one part of a message, transfer encoding undone,
// from the store: the structure is read once, then only the part's octets.
func (a *app) webAttachment(w http.ResponseWriter, r *http.Request, s *webSession) {
	q := r.URL.Query()
	uid, err := strconv.ParseUint(q.Get("uid"), 10, 32)
	if err != nil || uid == 0 {
		webError(w, http.StatusBadRequest, "bad uid")
		return
	}
	part := q.Get("part")
	nums, ok := parsePart(part)
	if !ok {
		webError(w, http.StatusBadRequest, "bad part")
		return
	}
	acct, mb, ok := a.webOpen(w, r, s, q.Get("mailbox"), true)
	if !ok {
		return
	}
	defer acct.Close()
	defer mb.Close()
	ctx := r.Context()
	found, sent := false, false
	err = mb.Fetch(ctx, mailbox.UIDSetOf(mailbox.UID(uid)), func(m mailbox.Message) error {
		found = true
		body, err := m.Open(ctx)
		if err != nil {
			return err
		}
		defer body.Close()
		root, err := mailbox.ReadStructure(body)
		if err != nil {
			return err
		}
		filename, ctype := "message-"+strconv.FormatUint(uid, 10)+".eml", "application/octet-stream"
		var ent *pkmime.Entity
		if part != "" {
			_ = root.Walk(func(e *pkmime.Entity) error {
				if ent == nil && e.Path == part && e.Kind != pkmime.Multipart {
					ent = e
				}
				return nil
			})
			if ent == nil {
				return errNoPart
			}
			filename = pkmime.Filename(ent.Header.Get("Content-Disposition"), ent.Header.Get("Content-Type"))
			if filename == "" {
				filename = "part-" + part
				if ent.Kind == pkmime.Encapsulated {
					filename += ".eml"
				}
			}
			if inlineImageTypes[ent.MediaType] {
				ctype = ent.MediaType
			}
		}
		rd, size, err := mailbox.OpenSection(body, root, mailbox.SectionSpec{Part: nums})
		if errors.Is(err, mailbox.ErrNoSuchSection) {
			return errNoPart
		} else if err != nil {
			return err
		}
		if ent != nil && ent.Kind == pkmime.Leaf {
			// A message/rfc822 part goes as it is; a leaf decoded.
			rd = pkmime.NewDecoder(ent.Header.Get("Content-Transfer-Encoding"), rd)
			size = -1
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Disposition", contentDisposition(filename))
		// Shown by nothing, fetched by the page only: even a browser that
		// opens it renders it sandboxed with nothing allowed.
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if size >= 0 {
			h.Set("Content-Length", strconv.FormatInt(size, 10))
		}
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(webDownloadTime))
		sent = true
		w.WriteHeader(http.StatusOK)
		if _, err := io.Copy(w, rd); err != nil {
			return errCutShort{err}
		}
		return nil
	})
	var cut errCutShort
	switch {
	case errors.As(err, &cut):
		a.log.Info("webmail download cut short", "user", s.user, "err", cut.err)
		// The client must not take a short file for the whole: abort the
		// response (after Fetch has returned and let go of the store).
		panic(http.ErrAbortHandler)
	case sent:
	case errors.Is(err, errNoPart):
		webError(w, http.StatusNotFound, "no such part")
	case err != nil:
		webError(w, http.StatusInternalServerError, "cannot read message")
	case !found:
		webError(w, http.StatusNotFound, "no such message")
	}
}

// parsePart reads an IMAP part number ("1.2"); "" is the whole message.
func parsePart(s string) ([]int, bool) {
	if s == "" {
		return nil, true
	}
	fields := strings.Split(s, ".")
	if len(fields) > 64 {
		return nil, false
	}
	nums := make([]int, len(fields))
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 1<<20 || strconv.Itoa(n) != f {
			return nil, false
		}
		nums[i] = n
	}
	return nums, true
}

// contentDisposition formats an attachment's Content-Disposition for HTTP
// (RFC 6266 4.1): a plain filename that every browser reads, with
// characters it cannot carry replaced, and the name itself in filename*
// (RFC 8187 3.2.1: UTF-8, percent-encoded but for attr-char).
func contentDisposition(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, strings.ToValidUTF8(name, "_"))
	if len(name) > 255 {
		name = strings.ToValidUTF8(name[:255], "")
	}
	var plain, ext strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 0x80 || c == '"' || c == '%':
			plain.WriteByte('_')
		default:
			plain.WriteByte(c)
		}
		// RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" /
		// "-" / "." / "^" / "_" / "`" / "|" / "~"
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			ext.WriteByte(c)
		} else {
			ext.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)>>4, 16)+strconv.FormatUint(uint64(c)&15, 16)))
		}
	}
	// The filename is quoted; plain has no '"', and '\' was replaced.
	return `attachment; filename="` + plain.String() + `"; filename*=UTF-8''` + ext.String()
}
