package main

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/postkit/postkit/mailbox"
)

// Changing mail in the webmail: flags, moves, deletes. Each is a POST with
// a JSON body and the CSRF token (withSession), naming the messages by UID.

// webSelection is the part of a request body that names messages.
type webSelection struct {
	Mailbox string   `json:"mailbox"`
	UIDs    []uint32 `json:"uids"`
}

// set checks the UIDs and returns them as a UIDSet, or answers the request.
func (sel *webSelection) set(w http.ResponseWriter) (mailbox.UIDSet, bool) {
	if len(sel.UIDs) == 0 || len(sel.UIDs) > webMaxUIDs {
		webError(w, http.StatusBadRequest, "name 1 to 1000 messages")
		return nil, false
	}
	uids := make([]mailbox.UID, len(sel.UIDs))
	for i, u := range sel.UIDs {
		if u == 0 {
			webError(w, http.StatusBadRequest, "bad uid")
			return nil, false
		}
		uids[i] = mailbox.UID(u)
	}
	return mailbox.UIDSetOf(uids...), true
}

// webSelected checks the messages sel names and opens its mailbox for
// writing, or answers the request; the caller closes both.
func (a *app) webSelected(w http.ResponseWriter, r *http.Request, s *webSession, sel *webSelection) (mailbox.UIDSet, mailbox.Account, mailbox.Mailbox, bool) {
	set, ok := sel.set(w)
	if !ok {
		return nil, nil, nil, false
	}
	acct, mb, ok := a.webOpen(w, r, s, sel.Mailbox, false)
	return set, acct, mb, ok
}

func (a *app) webFlag(w http.ResponseWriter, r *http.Request, s *webSession) {
	var req struct {
		webSelection
		Flag string `json:"flag"`
		Set  bool   `json:"set"`
	}
	if !readJSON(w, r, 64<<10, &req) {
		return
	}
	flag := mailbox.CanonicalFlag(req.Flag)
	if flag != mailbox.FlagSeen && flag != mailbox.FlagFlagged {
		webError(w, http.StatusBadRequest, `flag must be \Seen or \Flagged`)
		return
	}
	set, acct, mb, ok := a.webSelected(w, r, s, &req.webSelection)
	if !ok {
		return
	}
	defer acct.Close()
	defer mb.Close()
	op := mailbox.StoreRemove
	if req.Set {
		op = mailbox.StoreAdd
	}
	res, err := mb.Store(r.Context(), set, op, []string{flag}, nil)
	if err != nil {
		webError(w, http.StatusInternalServerError, "cannot change flags")
		return
	}
	type changed struct {
		UID   uint32   `json:"uid"`
		Flags []string `json:"flags"`
	}
	out := []changed{}
	for _, u := range res.Updated {
		out = append(out, changed{uint32(u.UID), u.Flags})
	}
	writeJSON(w, http.StatusOK, map[string]any{"updated": out})
}

func (a *app) webMove(w http.ResponseWriter, r *http.Request, s *webSession) {
	var req struct {
		webSelection
		To string `json:"to"`
	}
	if !readJSON(w, r, 64<<10, &req) {
		return
	}
	set, acct, mb, ok := a.webSelected(w, r, s, &req.webSelection)
	if !ok {
		return
	}
	defer acct.Close()
	defer mb.Close()
	if req.To == "" || req.To == mb.Name() {
		webError(w, http.StatusBadRequest, "move to another mailbox")
		return
	}
	res, err := mailbox.Move(r.Context(), mb, set, req.To)
	if err != nil {
		if isNoMailbox(err) {
			webError(w, http.StatusNotFound, "no such target mailbox")
		} else {
			webError(w, http.StatusInternalServerError, "cannot move")
		}
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"moved": len(res.Source)})
}

// webDelete moves the messages to the Trash mailbox (RFC 6154 \Trash, else
// one named Trash) if there is one and they are not in it already;
// otherwise it flags them \Deleted and expunges exactly them (RFC 4315
// UID EXPUNGE), leaving other \Deleted messages alone.
func (a *app) webDelete(w http.ResponseWriter, r *http.Request, s *webSession) {
	var req webSelection
	if !readJSON(w, r, 64<<10, &req) {
		return
	}
	set, acct, mb, ok := a.webSelected(w, r, s, &req)
	if !ok {
		return
	}
	defer acct.Close()
	defer mb.Close()
	ctx := r.Context()
	trash, err := trashMailbox(r, acct)
	if err != nil {
		webError(w, http.StatusInternalServerError, "cannot list mailboxes")
		return
	}
	if trash != "" && trash != mb.Name() {
		res, err := mailbox.Move(ctx, mb, set, trash)
		if err == nil {
			writeJSON(w, http.StatusOK, map[string]any{"moved_to": trash, "moved": len(res.Source)})
			return
		}
		if !errors.Is(err, mailbox.ErrNoSuchMailbox) {
			webError(w, http.StatusInternalServerError, "cannot move to "+trash)
			return
		}
		// Trash went away meanwhile: delete for good.
	}
	if _, err := mb.Store(ctx, set, mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil); err != nil {
		webError(w, http.StatusInternalServerError, "cannot delete")
		return
	}
	gone, err := mb.Expunge(ctx, &set)
	if err != nil {
		webError(w, http.StatusInternalServerError, "cannot expunge")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"expunged": len(gone)})
}

// trashMailbox names the account's Trash mailbox, or "" when it has none.
func trashMailbox(r *http.Request, acct mailbox.Account) (string, error) {
	list, err := acct.Mailboxes(r.Context())
	if err != nil {
		return "", err
	}
	byName := ""
	for _, info := range list {
		if slices.Contains(info.Attrs, mailbox.AttrNoSelect) {
			continue
		}
		if slices.Contains(info.SpecialUse, mailbox.AttrTrash) {
			return info.Name, nil
		}
		if strings.EqualFold(info.Name, "Trash") {
			byName = info.Name
		}
	}
	return byName, nil
}
