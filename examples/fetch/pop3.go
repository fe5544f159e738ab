package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/pop3"
)

// fetchPOP3 copies the maildrop into inbox in one of the two classic ways:
//
//   - download and delete (the default): each message is retrieved and
//     marked deleted; the server removes them at QUIT (RFC 1939 6.). A run
//     cut short before QUIT deletes nothing, and its unique-ids, kept in the
//     state, spare the next run fetching those messages again: it only
//     deletes them.
//   - download and keep (-keep): messages stay on the server, and the state
//     remembers the unique-ids (UIDL, RFC 1939 7.) fetched, so that each
//     message is fetched once. Unique-ids the server no longer lists are
//     forgotten.
//
// Messages are retrieved pipelined when the server allows it (RFC 2449
// 6.6), each streamed into the Maildir as it arrives.
func fetchPOP3(ctx context.Context, c *config, inbox mailbox.Mailbox, st *state) error {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var cl *pop3.Client
	var err error
	if c.implicit {
		cl, err = pop3.DialTLS(cctx, c.addr, c.tlsConfig())
	} else {
		cl, err = pop3.Dial(cctx, c.addr)
	}
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", c.addr, err)
	}
	defer cl.Close()
	if c.startTLS {
		if err := cl.StartTLS(cctx, c.tlsConfig()); err != nil {
			return fmt.Errorf("STLS: %w", err)
		}
	}
	if err := cl.Login(cctx, c.user, c.pass); err != nil {
		return fmt.Errorf("login: %w", err)
	}

	// The maildrop, numbered as in this session: UIDL when the server
	// has it (an optional command), LIST otherwise.
	var msgs []pop3.UIDInfo
	hasUIDL := true
	msgs, err = cl.UIDL(ctx)
	var perr *pop3.Error
	if errors.As(err, &perr) {
		if c.keep {
			return errors.New("the server has no UIDL: -keep needs it to know which messages are new")
		}
		hasUIDL = false
		list, err := cl.List(ctx)
		if err != nil {
			return err
		}
		msgs = msgs[:0]
		for _, m := range list {
			msgs = append(msgs, pop3.UIDInfo{Number: m.Number})
		}
	} else if err != nil {
		return err
	}

	e := st.entry(c.stateKey())
	known := make(map[string]bool, len(e.UIDLs))
	for _, u := range e.UIDLs {
		known[u] = true
	}
	uidOf := make(map[int]string, len(msgs))
	var retr, dele []int
	for _, m := range msgs {
		uidOf[m.Number] = m.UID
		switch {
		case hasUIDL && known[m.UID]:
			if !c.keep {
				dele = append(dele, m.Number) // fetched by a run that did not reach QUIT
			}
		default:
			retr = append(retr, m.Number)
		}
	}

	fetched := 0
	err = cl.RetrMessages(ctx, retr, func(n int, r io.Reader, err error) error {
		if err != nil { // refused: this message only
			fmt.Fprintf(c.out, "message %d: %v\n", n, err)
			return nil
		}
		if _, err := inbox.Append(ctx, r, nil); err != nil {
			return fmt.Errorf("message %d: %w", n, err)
		}
		fetched++
		if !c.keep {
			dele = append(dele, n)
		}
		if hasUIDL {
			e.UIDLs = append(e.UIDLs, uidOf[n])
			known[uidOf[n]] = true
			return st.save()
		}
		return nil
	})
	if err != nil {
		return err // no QUIT: the server deletes nothing
	}
	if len(dele) > 0 {
		errs, err := cl.DeleMessages(ctx, dele)
		if err != nil {
			return err
		}
		for i, err := range errs {
			if err != nil {
				fmt.Fprintf(c.out, "DELE %d: %v\n", dele[i], err)
			}
		}
	}
	if err := cl.Quit(ctx); err != nil {
		return fmt.Errorf("QUIT (messages not deleted): %w", err)
	}

	// The server has removed the deleted messages: their unique-ids can
	// go, with those the server no longer lists.
	deleted := make(map[string]bool, len(dele))
	for _, n := range dele {
		deleted[uidOf[n]] = true
	}
	listed := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		listed[m.UID] = true
	}
	var keepIDs []string
	for _, u := range e.UIDLs {
		if listed[u] && !deleted[u] {
			keepIDs = append(keepIDs, u)
		}
	}
	e.UIDLs = keepIDs
	if len(keepIDs) == 0 {
		delete(st.Entries, c.stateKey())
	}
	if err := st.save(); err != nil {
		return err
	}
	mode := "deleted from the server"
	if c.keep {
		mode = "kept on the server"
	}
	fmt.Fprintf(c.out, "%d new message(s) fetched into %s, %s\n", fetched, c.maildir, mode)
	return nil
}
