package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/message"
	pkmime "github.com/postkit/postkit/mime"
)

// Reading mail in the webmail: the message list, one message, and its parts.

// webOpen opens the mailbox name (INBOX if empty) of the session's user,
// answering the request itself when it cannot.
func (a *app) webOpen(w http.ResponseWriter, r *http.Request, s *webSession, name string, readOnly bool) (mailbox.Account, mailbox.Mailbox, bool) {
	acct, ok := a.webAccount(w, r, s)
	if !ok {
		return nil, nil, false
	}
	if name == "" {
		name = mailbox.Inbox
	}
	mb, err := acct.Open(r.Context(), name, &mailbox.OpenOptions{ReadOnly: readOnly})
	if err != nil {
		acct.Close()
		if isNoMailbox(err) {
			webError(w, http.StatusNotFound, "no such mailbox")
		} else {
			webError(w, http.StatusInternalServerError, "cannot open mailbox")
		}
		return nil, nil, false
	}
	return acct, mb, true
}

func isNoMailbox(err error) bool {
	return errors.Is(err, mailbox.ErrNoSuchMailbox) || errors.Is(err, mailbox.ErrInvalidName) || errors.Is(err, mailbox.ErrNotSelectable)
}

type webSummary struct {
	UID     uint32    `json:"uid"`
	From    string    `json:"from"`
	To      string    `json:"to,omitempty"`
	Subject string    `json:"subject"`
	Date    time.Time `json:"date"`
	Flags   []string  `json:"flags"`
	Size    int64     `json:"size"`
}

// readHeader reads the header of a stored message.
func readHeader(ctx context.Context, m mailbox.Message) (*message.Message, mailbox.Body, error) {
	body, err := m.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	msg, err := message.Read(io.NewSectionReader(body, 0, body.Size()))
	if err != nil {
		body.Close()
		return nil, nil, err
	}
	return msg, body, nil
}

func summarize(m mailbox.Message, msg *message.Message) webSummary {
	sum := webSummary{UID: uint32(m.UID()), Flags: m.Flags(), Size: m.Size(), Date: m.InternalDate()}
	if sum.Flags == nil {
		sum.Flags = []string{}
	}
	if msg != nil {
		if from, _ := msg.Header.From(); len(from) > 0 {
			sum.From = message.FormatAddressListUTF8(from)
		} else {
			sum.From = msg.Header.Get("From")
		}
		if to, _ := msg.Header.To(); len(to) > 0 {
			sum.To = message.FormatAddressListUTF8(to)
		}
		sum.Subject = msg.Header.Subject()
		if d, err := msg.Header.Date(); err == nil {
			sum.Date = d
		}
	}
	return sum
}

// webList is a page of the message list.
type webList struct {
	Total    int          `json:"total"`  // messages in the mailbox, or found by the search
	Offset   int          `json:"offset"` // of the first message listed, 0 for the newest
	Limit    int          `json:"limit"`
	Messages []webSummary `json:"messages"` // newest first
}

func (a *app) webMessages(w http.ResponseWriter, r *http.Request, s *webSession) {
	q := r.URL.Query()
	offset, limit := 0, webPageSize
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			webError(w, http.StatusBadRequest, "bad offset")
			return
		}
		offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			webError(w, http.StatusBadRequest, "bad limit")
			return
		}
		limit = min(n, webListLimit)
	}
	acct, mb, ok := a.webOpen(w, r, s, q.Get("mailbox"), true)
	if !ok {
		return
	}
	defer acct.Close()
	defer mb.Close()
	ctx := r.Context()
	var crit *mailbox.SearchCriteria
	if words := strings.Fields(q.Get("q")); len(words) > 0 {
		crit = &mailbox.SearchCriteria{Text: words}
	}
	uids, err := mailbox.Search(ctx, mb, crit)
	if err != nil {
		webError(w, http.StatusBadRequest, "search failed")
		return
	}
	// UIDs ascend: the newest message is the last; offset counts from it.
	hi := max(len(uids)-offset, 0)
	page := uids[max(hi-limit, 0):hi]
	out := webList{Total: len(uids), Offset: offset, Limit: limit, Messages: make([]webSummary, 0, len(page))}
	if len(page) > 0 {
		err = mb.Fetch(ctx, mailbox.UIDSetOf(page...), func(m mailbox.Message) error {
			msg, body, err := readHeader(ctx, m)
			if err == nil {
				defer body.Close()
			}
			out.Messages = append(out.Messages, summarize(m, msg))
			return nil
		})
		if err != nil {
			webError(w, http.StatusInternalServerError, "cannot read messages")
			return
		}
	}
	slices.Reverse(out.Messages)
	writeJSON(w, http.StatusOK, out)
}

type webAttachment struct {
	Part     string `json:"part"`
	Type     string `json:"type"`
	Filename string `json:"filename,omitempty"`
	Size     int64  `json:"size"`
	CID      string `json:"cid,omitempty"` // Content-ID, for a part an HTML body shows inline
}

// webMessageView is what GET /api/message answers.
type webMessageView struct {
	webSummary
	Cc         string   `json:"cc,omitempty"`
	MessageID  string   `json:"message_id,omitempty"`
	References []string `json:"references,omitempty"`
	// Text is the text/plain body.
	Text string `json:"text"`
	// HTML is the text/html body, sanitised, as a whole document for the
	// srcdoc of a sandboxed iframe.
	HTML          string          `json:"html,omitempty"`
	RemoteBlocked int             `json:"remote_blocked,omitempty"` // remote images left out of HTML
	Truncated     bool            `json:"truncated,omitempty"`
	Attachments   []webAttachment `json:"attachments"`
}

func (a *app) webMessage(w http.ResponseWriter, r *http.Request, s *webSession) {
	q := r.URL.Query()
	uid, err := strconv.ParseUint(q.Get("uid"), 10, 32)
	if err != nil || uid == 0 {
		webError(w, http.StatusBadRequest, "bad uid")
		return
	}
	remote := q.Get("remote") == "1"
	acct, mb, ok := a.webOpen(w, r, s, q.Get("mailbox"), false)
	if !ok {
		return
	}
	defer acct.Close()
	defer mb.Close()
	ctx := r.Context()
	var out webMessageView
	found := false
	var htmlSrc string
	cids := map[string]string{} // Content-ID -> part
	err = mb.Fetch(ctx, mailbox.UIDSetOf(mailbox.UID(uid)), func(m mailbox.Message) error {
		found = true
		msg, body, err := readHeader(ctx, m)
		if err != nil {
			return err
		}
		defer body.Close()
		out.webSummary = summarize(m, msg)
		if cc, _ := msg.Header.Cc(); len(cc) > 0 {
			out.Cc = message.FormatAddressListUTF8(cc)
		}
		out.MessageID = msg.Header.MessageID()
		out.References = msg.Header.References()
		out.Attachments = []webAttachment{}
		haveText, haveHTML := false, false
		return msg.Walk(func(p *pkmime.Part) error {
			switch p.Kind {
			case pkmime.Multipart:
				return nil
			case pkmime.Encapsulated:
				// An attached message: listed, not shown.
				out.Attachments = append(out.Attachments, webAttachment{Part: p.Path, Type: p.MediaType, Filename: p.Filename()})
				return pkmime.SkipPart
			}
			attached := p.Disposition() == "attachment" || p.Filename() != ""
			switch {
			case !attached && p.MediaType == "text/plain" && !haveText:
				var cut bool
				out.Text, cut = readText(p, webMaxText)
				out.Truncated = out.Truncated || cut
				haveText = true
			case !attached && p.MediaType == "text/html" && !haveHTML:
				var cut bool
				htmlSrc, cut = readText(p, webMaxHTML)
				out.Truncated = out.Truncated || cut
				haveHTML = true
			default:
				n, _ := io.Copy(io.Discard, p.Body())
				att := webAttachment{Part: p.Path, Type: p.MediaType, Filename: p.Filename(), Size: n}
				if id := strings.Trim(strings.TrimSpace(p.Header.Get("Content-ID")), "<>"); id != "" {
					att.CID = id
					if _, dup := cids[id]; !dup {
						cids[id] = p.Path
					}
				}
				out.Attachments = append(out.Attachments, att)
			}
			return nil
		})
	})
	if err != nil {
		webError(w, http.StatusInternalServerError, "cannot read message")
		return
	}
	if !found {
		webError(w, http.StatusNotFound, "no such message")
		return
	}
	if htmlSrc != "" {
		mbName := mb.Name()
		res := sanitizeHTML(htmlSrc, sanitizeOptions{Remote: remote, CID: func(id string) string {
			if part, ok := cids[id]; ok {
				return attachmentURL(mbName, uint32(uid), part)
			}
			return ""
		}})
		out.HTML = htmlDocument(res.HTML, webOrigin(r), remote)
		out.RemoteBlocked = res.Blocked
		out.Truncated = out.Truncated || res.Truncated
	}
	if !mailbox.HasFlag(out.Flags, mailbox.FlagSeen) {
		if _, err := mb.Store(ctx, mailbox.UIDSetOf(mailbox.UID(uid)), mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil); err == nil {
			out.Flags = append(out.Flags, mailbox.FlagSeen)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// attachmentURL is the path of GET /api/attachment for a part.
func attachmentURL(mbName string, uid uint32, part string) string {
	return "/api/attachment?mailbox=" + url.QueryEscape(mbName) + "&uid=" + strconv.FormatUint(uint64(uid), 10) + "&part=" + part
}

var hostPattern = regexp.MustCompile(`^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)

// webOrigin returns the origin the request was made to ("http://host:port"),
// or "" when its Host field is not a plain host name or address.
func webOrigin(r *http.Request) string {
	if !hostPattern.MatchString(r.Host) {
		return ""
	}
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// htmlDocument wraps a sanitised HTML body into the document the page puts
// in a sandboxed iframe's srcdoc. Its CSP runs no script and loads images
// only from the server's attachment URL (cid: parts) and data: URLs, and
// from https URLs when remote is set (the user asked); style only inline.
func htmlDocument(body, origin string, remote bool) string {
	img := "'self'"
	if origin != "" {
		img = origin + "/api/attachment"
	}
	img += " data:"
	if remote {
		img += " https:"
	}
	return `<!DOCTYPE html><html><head><meta charset="utf-8">` +
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ` + img +
		`; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'">` +
		`<style>body{margin:0;font:14px sans-serif;overflow-wrap:anywhere}img{max-width:100%}</style>` +
		`</head><body>` + body + `</body></html>`
}

// readText returns a text part in UTF-8, at most limit octets of it, and
// whether it was cut.
func readText(p *pkmime.Part, limit int) (string, bool) {
	var r io.Reader = p.Body()
	if cs := p.Charset(); cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		if cr, err := pkmime.NewCharsetReader(cs, r); err == nil {
			r = cr
		}
	}
	b, _ := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	truncated := len(b) > limit
	if truncated {
		b = b[:limit]
	}
	return strings.ToValidUTF8(string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))), "\uFFFD"), truncated
}
