package imap

import "github.com/postkit/postkit/mailbox"

// listMailboxes answers LIST or LSUB (lsub) for cmd over the account's
// mailboxes and subscriptions, as RFC 9051 6.3.9, RFC 5258
// (LIST-EXTENDED: selection and return options, CHILDINFO), RFC 6154
// (SPECIAL-USE), RFC 3348 (CHILDREN) and RFC 3501 6.3.9 (LSUB) say.
// cmd.Reference and cmd.Patterns are already decoded to UTF-8, and the
// returned ListData carry UTF-8 names, which the session encodes for
// the wire; Delim is "/". STATUS for LIST-STATUS is the session's
// business.
//
// TODO: stub; being written.
func listMailboxes(infos []mailbox.MailboxInfo, subs []string, cmd *ListCommand, lsub bool) ([]ListData, error) {
	return nil, nil
}
