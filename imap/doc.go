// Package imap implements IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051):
// a wire codec, a server over the mailbox seam, and a client.
//
// The server (server.go, conn*.go, selected.go) is a Server shaped like
// net/http's, serving a mailbox.Store: every command of both revisions
// in every state, with IDLE, UIDPLUS, MOVE, NAMESPACE, ID, ENABLE,
// UNSELECT, CHILDREN, SPECIAL-USE, LIST-EXTENDED, LIST-STATUS, ESEARCH,
// SEARCHRES, SASL-IR, LITERAL+, APPENDLIMIT, STATUS=SIZE, BINARY,
// CONDSTORE, QRESYNC (conn_qresync.go: VANISHED from the mailbox's
// mailbox.ExpungeTracker, or every missing UID), SORT, SORT=DISPLAY,
// THREAD=ORDEREDSUBJECT, THREAD=REFERENCES, ESORT and WITHIN
// (conn_sort.go, thread.go), CONTEXT=SEARCH and CONTEXT=SORT
// (conn_context.go: PARTIAL, UPDATE with ADDTO/REMOVEFROM, CANCELUPDATE),
// MULTIAPPEND (conn_multiappend.go),
// CATENATE (conn_catenate.go), REPLACE (conn_replace.go),
// CREATE-SPECIAL-USE, PREVIEW (preview.go), SAVEDATE (conn_savedate.go,
// from mailbox.SaveDater) and OBJECTID (conn_objectid.go, from
// mailbox.ObjectIDer and Status.MailboxID),
// COMPRESS=DEFLATE (conn_compress.go), METADATA and METADATA-SERVER
// (conn_metadata.go, from mailbox.Metadataer), QUOTA (conn_quota.go,
// from mailbox.Quotaer; offered only when the store has limits), URLAUTH
// and URLAUTH=BINARY (conn_urlauth.go, keys from mailbox.URLAuthKeyer)
// and NOTIFY (conn_notify.go, from mailbox.AccountWatcher, offered only
// for accounts that are one: changes are reported as they happen,
// between commands, STATUS for other mailboxes, LIST for names and
// METADATA naming changed annotations; SEARCH and SORT RETURN (UPDATE
// (...)) fetch each new message of the result, conn_context_fetch.go). Each
// session keeps its own map of sequence numbers to UIDs (selected.go)
// and reports what other sessions changed at the points
// RFC 9051 7 allows. ENVELOPE and BODYSTRUCTURE are built from the
// message's structure (server_bodydata.go), parsed once and cached
// (server_cache.go, Server.StructureCacheBytes); SORT and THREAD keep
// each message's parsed keys in a second cache (server_sortcache.go,
// Server.SortCacheBytes) and sort them by radix; LIST and SEARCH
// programs are translated in server_list.go and server_search.go, and
// SEARCH runs mailbox.Search.
//
// The client (client*.go) is a Client that pipelines: every method takes
// a context, may be called from several goroutines at once, and waits
// only for its own tagged reply, while commands whose untagged replies
// cannot be told apart are serialised by kind. Dial, DialTLS and
// DialStartTLS connect; Login and Authenticate (through sasl, with
// SASL-IR) log in. It covers the commands of both revisions and the
// extensions a mail program needs (UIDPLUS, MOVE, ESEARCH, CONDSTORE,
// SORT, THREAD, QUOTA, METADATA, MULTIAPPEND, COMPRESS=DEFLATE, ID,
// ENABLE, UTF8=ACCEPT). FETCH results stream through a FetchHandler,
// body sections as io.Readers, so a large message is never held whole;
// Fetch collects them for small jobs. Idle and IdleWait run IDLE;
// FetchMessage and DownloadAttachments parse a message with the message
// package. Untagged data no command claims (EXISTS, EXPUNGE, FLAGS
// from other sessions) reaches ClientOptions.Unilateral. A server that breaks the grammar costs one
// command, not the connection, where the stream can be resynchronised
// (client_recover.go).
//
// The wire codec is shared by the server and the client and is usable
// on its own, for instance to write conformance tests that send and
// check raw IMAP:
//
//   - Decoder (wire_decoder.go) reads the elements of the grammar of
//     RFC 9051 9 — atoms, quoted strings, literals ("{n}", LITERAL+ and
//     LITERAL- "{n+}" of RFC 7888, literal8 "~{n}" of RFC 3516), NIL,
//     numbers, lists, flags, dates, sequence sets. Its OnLiteral hook
//     sees every literal before any of it is read, so that a server can
//     send the continuation request or refuse the literal; Limits bound
//     line length, in-memory literals, a command's total size and list
//     nesting. LiteralReader streams large literals.
//   - Encoder (wire_encoder.go) writes them, choosing between atom,
//     quoted string and literal so that no string can break a line; its
//     OnSyncLiteral hook lets a client wait for "+" before a
//     synchronising literal.
//   - SeqSet (seqset.go): sequence sets with "*" and "$" (RFC 5182), and
//     their conversion to mailbox.UIDSet.
//   - EncodeMUTF7, DecodeMUTF7 and the mailbox-name helpers (mutf7.go):
//     modified UTF-7 (RFC 3501 5.1.3) and UTF-8 names (RFC 6855).
//   - Command and its argument types (command.go): ReadCommand for a
//     server (command_parse.go), WriteCommand for a client
//     (command_format.go). Search programs are SearchKey trees
//     (search.go); fetch attributes and body sections are FetchItem and
//     Section (fetch.go).
//   - Response and its types (response.go): WriteResponse for a server
//     (response_format.go), which streams FETCH body sections from an
//     io.Reader, and ReadResponse for a client (response_parse.go),
//     which can hand body sections to a BodyHandler as they arrive.
//     Envelope and BodyStructure (body.go) are plain data the server
//     fills in.
//
// Errors: a *SyntaxError means the peer broke the grammar and the
// decoder has skipped to the next line; ReadCommand wraps it in a
// *CommandError carrying the tag for the BAD response. IsFatal tells
// the errors after which the stream is out of step (I/O errors, limits)
// and the connection has to be closed. NO, BAD and BYE responses become
// *Error through StatusResponse.Err.
//
// Mailbox names cross the codec as they are on the wire; the session
// converts them with DecodeMailboxName and EncodeMailboxName, since
// whether they are modified UTF-7 or UTF-8 depends on its state.
package imap
