package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/message"
	pkmime "github.com/postkit/postkit/mime"
	"github.com/postkit/postkit/queue"
	"github.com/postkit/postkit/smtp"
)

// webSendRequest is the JSON body of POST /api/send.
type webSendRequest struct {
	To, Cc, Bcc, Subject, Text string
	// InReplyTo and References make a reply (RFC 5322 3.6.4): the
	// Message-ID and References of the message answered.
	InReplyTo  string   `json:"in_reply_to"`
	References []string `json:"references"`
	// Attachments carry their content base64-encoded (JSON's []byte);
	// the whole request is at most webMaxSend octets.
	Attachments []struct {
		Filename string `json:"filename"`
		Type     string `json:"type"`
		Data     []byte `json:"data"`
	} `json:"attachments"`
}

func (a *app) webSend(w http.ResponseWriter, r *http.Request, s *webSession) {
	select {
	case a.sending <- struct{}{}:
		defer func() { <-a.sending }()
	case <-r.Context().Done():
		return
	}
	var req webSendRequest
	if !readJSON(w, r, webMaxSend, &req) {
		return
	}
	var b message.Builder
	from := []message.Address{{Addr: s.user}}
	_ = b.Header.SetAddressList("From", from)
	var rcpts []string
	for _, f := range []struct{ name, value string }{{"To", req.To}, {"Cc", req.Cc}, {"Bcc", req.Bcc}} {
		if strings.TrimSpace(f.value) == "" {
			continue
		}
		list, err := message.ParseAddressList(f.value)
		if err != nil {
			webError(w, http.StatusBadRequest, "bad "+f.name+" address list")
			return
		}
		for _, m := range message.Mailboxes(list) {
			rcpts = append(rcpts, m.Addr)
		}
		if f.name != "Bcc" {
			if err := b.Header.SetAddressList(f.name, list); err != nil {
				webError(w, http.StatusBadRequest, "bad "+f.name+" address list")
				return
			}
		}
	}
	if len(rcpts) == 0 {
		webError(w, http.StatusBadRequest, "no recipients")
		return
	}
	if len(rcpts) > 100 {
		webError(w, http.StatusBadRequest, "too many recipients")
		return
	}
	b.Header.SetSubject(req.Subject)
	b.Header.SetDate(time.Now())
	_ = b.Header.SetMessageID(message.GenerateMessageID(a.hostname))
	if req.InReplyTo != "" {
		id, err := parseMessageID(req.InReplyTo)
		if err != nil {
			webError(w, http.StatusBadRequest, "bad in_reply_to")
			return
		}
		var refs []string
		for _, ref := range req.References {
			if r, err := parseMessageID(ref); err == nil && len(refs) < 50 {
				refs = append(refs, r)
			}
		}
		_ = b.Header.SetMessageIDList("In-Reply-To", []string{id})
		_ = b.Header.SetMessageIDList("References", append(refs, id))
	}
	b.Text = req.Text
	if len(req.Attachments) > webMaxAttachments {
		webError(w, http.StatusBadRequest, "too many attachments")
		return
	}
	for _, att := range req.Attachments {
		ctype := ""
		if t, _, err := pkmime.ParseMediaType(att.Type); err == nil && t != "" {
			ctype = t // parameters of the browser's are dropped
		}
		name := strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f {
				return -1
			}
			return r
		}, att.Filename)
		if name == "" {
			name = "attachment"
		}
		b.Attachments = append(b.Attachments, message.Attachment{Filename: name, ContentType: ctype, Body: bytes.NewReader(att.Data)})
	}

	var local []string
	var remote []queue.Recipient
	for _, rc := range rcpts {
		if !a.users.local(rc) {
			if slices.IndexFunc(remote, func(x queue.Recipient) bool { return strings.EqualFold(x.Addr, rc) }) < 0 {
				remote = append(remote, queue.Recipient{Addr: rc})
			}
			continue
		}
		acct := a.users.resolve(rc)
		if acct == "" {
			webError(w, http.StatusBadRequest, "no such local user: "+rc)
			return
		}
		if !slices.Contains(local, acct) {
			local = append(local, acct)
		}
	}
	msgID := newID()
	log := a.log.With("proto", "http", "remote", r.RemoteAddr, "user", s.user)
	trace := (&smtp.Received{From: "webmail", FromIP: remoteIP(r.RemoteAddr), By: a.hostname, With: "HTTP", ID: msgID, Time: time.Now()}).String()
	// The message is written straight into the spool file, not into memory
	// first: with attachments it is as large as the request.
	pr, pw := io.Pipe()
	go func() {
		_, err := b.WriteTo(pw)
		pw.CloseWithError(err)
	}()
	sf, err := spoolMessage(a.tmpDir, trace, pr)
	pr.Close() // ends the writer if the spool failed first
	if err != nil {
		var le *localError
		if errors.As(err, &le) {
			webError(w, http.StatusInternalServerError, "cannot store message")
		} else {
			webError(w, http.StatusBadRequest, "cannot compose: "+err.Error())
		}
		return
	}
	defer sf.Close()
	if err := a.dispatch(r.Context(), log, msgID, s.user, "", "", local, remote, sf); err != nil {
		webError(w, http.StatusServiceUnavailable, "cannot send now, try again")
		return
	}
	a.saveSent(r.Context(), log, s.user, sf)
	writeJSON(w, http.StatusOK, map[string]string{"id": msgID})
}

// parseMessageID reads a msg-id with or without its angle brackets (the
// message view gives them without, as Header.MessageID does).
func parseMessageID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "<") {
		s = "<" + s + ">"
	}
	return message.ParseMessageID(s)
}

// saveSent keeps a copy in the user's Sent mailbox (RFC 6154 \Sent), made
// on first use. A failure is logged: the message went out.
func (a *app) saveSent(ctx context.Context, log *slog.Logger, user string, sf *spoolFile) {
	acct, err := a.store.Account(ctx, user)
	if err != nil {
		return
	}
	defer acct.Close()
	err = acct.Create(ctx, "Sent", &mailbox.CreateOptions{SpecialUse: []string{mailbox.AttrSent}})
	if err != nil && !errors.Is(err, mailbox.ErrMailboxExists) {
		log.Error("create Sent", "err", err)
		return
	}
	mb, err := acct.Open(ctx, "Sent", nil)
	if err != nil {
		log.Error("open Sent", "err", err)
		return
	}
	defer mb.Close()
	body, err := sf.reader()
	if err == nil {
		_, err = mb.Append(ctx, body, &mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen}})
	}
	if err != nil {
		log.Error("save to Sent", "err", err)
	}
}
