// Package pop3 implements the Post Office Protocol, version 3 (RFC 1939)
// with its extensions: CAPA, response codes and the capabilities of
// RFC 2449 (TOP, UIDL, USER, SASL, RESP-CODES, PIPELINING, EXPIRE,
// LOGIN-DELAY, IMPLEMENTATION), AUTH-RESP-CODE (RFC 3206), STLS (RFC
// 2595), AUTH with SASL (RFC 5034) and UTF8 and LANG (RFC 6856).
//
// The package has three parts:
//
//   - The wire codec (command.go, response.go): ParseCommand and
//     AppendCommand, ParseResponse and AppendResponse, the extended
//     response codes, *Error for a -ERR answer and *ProtocolError for a
//     peer that breaks the protocol. Multi-line bodies are dot-stuffed
//     and un-stuffed as streams by internal/dotstuff, shared with smtp.
//   - The server (server.go, conn*.go, maildrop.go): a Server over a
//     mailbox.Store, whose maildrops are the accounts' INBOXes. Its zero
//     value with a Store and a way to log in works; every limit has a
//     default.
//   - The client (client.go, client_pipeline.go): Dial, DialTLS and
//     NewClient, one method per command, message bodies as streaming
//     io.Readers, and pipelined LIST, UIDL and RETR of many messages.
//
// # Server
//
// A session goes through the three states of RFC 1939 3. In the
// AUTHORIZATION state the client logs in with USER and PASS
// (Server.Authenticate), APOP (Server.APOPSecret) or AUTH
// (Server.Auth, any sasl mechanism), after STLS if it likes. USER/PASS
// and the SASL mechanisms that send a password in the clear are neither
// offered nor accepted on a connection without TLS from an address other
// than loopback, unless Server.AllowInsecureAuth says so.
//
// Logging in takes the maildrop lock of the account: one session per
// maildrop in this server, others get "-ERR [IN-USE]". The lock is in
// the process; sessions in other processes over the same store are the
// backend's business. Then the server opens the account's INBOX and
// takes a snapshot: the messages at login, numbered from 1 in ascending
// UID order. Messages that arrive later are for the next session.
//
// In the TRANSACTION state DELE only marks messages. Only QUIT enters the
// UPDATE state (RFC 1939 6.), which flags exactly the marked messages
// \Deleted and expunges those UIDs, and flags the retrieved messages
// kept \Seen. A connection that drops, times out or is shut down before
// QUIT changes nothing.
//
// Sizes in STAT, LIST and RETR's "+OK n octets" are the same number,
// meant to be the octets RETR sends (RFC 1939 5.: the "exact size"; RFC
// 6856 2.1). RETR sends every line ending as CRLF whatever the store
// holds, and ends a last line that lacks one with CRLF. By default the
// size is Message.Size, which the mailbox seam defines as RFC822.SIZE,
// the size of the CRLF form as SMTP and IMAP deliver it, plus the CRLF
// RETR adds when the message does not end with one: at login the
// server reads the last two octets of each message, not the whole
// maildrop. A store that holds bare LF line ends inside its messages
// gets exact sizes only with Server.CountSizes, which reads every
// message at login; without it RETR logs a warning when what it sent
// differs from the size it listed.
//
// The maildrop lock and LoginDelay are keyed by the account name the
// authentication returned (Authenticate's account, APOP's user, the
// SASL mechanism's Identity) as it is: backends return the name as the
// store spells it, so that one mailbox has one lock.
//
// Unique-ids (UIDL) are the mailbox's UIDVALIDITY and the message's UID
// in hex, 16 characters: stable across sessions and restarts for as
// long as the store keeps its UIDs.
//
// A message whose header holds UTF-8 is refused with "-ERR [UTF8]" until
// the client enters UTF-8 mode with UTF8 (RFC 6856 2.1); LANG offers
// English only.
//
// # Client
//
// Every method takes a context that bounds its exchange. Retr and Top
// return the message as an io.ReadCloser that un-stuffs it from the
// connection as it is read; the next command finishes it if the caller
// did not. ListMessages, UIDLMessages, RetrMessages and DeleMessages
// pipeline their commands when the server announces PIPELINING (RFC
// 2449 6.6); while they run, other methods return ErrBusy.
package pop3
